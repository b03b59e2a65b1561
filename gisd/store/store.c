/* store.h's functions, each passed to the backend the store was opened
 * with (store_backend.h). */
#include "store_backend.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Exactly one of the two is set. */
struct store {
    sl_store *sl;
    pg_store *pg;
};

struct store_cursor {
    sl_cursor *sl;
    pg_cursor *pg;
};

/* 1 when db names a PostgreSQL database (a libpq connection URI). */
static int is_postgres(const char *db)
{
    return strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0;
}

void store_global_init(void)
{
    sl_global_init();
    pg_global_init();
}

int store_open(const char *path, store_mode mode, const layer_registry *reg, store **out, int *created,
               gisd_error *err)
{
    store *s = xcalloc(1, sizeof *s);
    int rc = is_postgres(path) ? pg_open(path, mode, reg, &s->pg, created, err)
                               : sl_open(path, mode, reg, &s->sl, created, err);
    if (rc != 0) {
        free(s);
        *out = NULL;
        return rc;
    }
    *out = s;
    return 0;
}

void store_discard_created(const char *path)
{
    if (is_postgres(path))
        pg_discard_created(path);
    else
        sl_discard_created(path);
}

void store_close(store *s)
{
    if (!s)
        return;
    if (s->pg)
        pg_close(s->pg);
    else
        sl_close(s->sl);
    free(s);
}

int store_cursor_open(store *s, const layer_def *layer, const store_query *q, store_cursor **out,
                      gisd_error *err)
{
    store_cursor *c = xcalloc(1, sizeof *c);
    int rc = s->pg ? pg_cursor_open(s->pg, layer, q, &c->pg, err) : sl_cursor_open(s->sl, layer, q, &c->sl, err);
    if (rc != 0) {
        free(c);
        *out = NULL;
        return rc;
    }
    *out = c;
    return 0;
}

void store_cursor_free(store_cursor *c)
{
    if (!c)
        return;
    if (c->pg)
        pg_cursor_free(c->pg);
    else
        sl_cursor_free(c->sl);
    free(c);
}

int store_begin(store *s, gisd_error *err)
{
    return s->pg ? pg_begin(s->pg, err) : sl_begin(s->sl, err);
}

int store_read_begin(store *s, gisd_error *err)
{
    return s->pg ? pg_read_begin(s->pg, err) : sl_read_begin(s->sl, err);
}

void store_read_end(store *s)
{
    if (s->pg)
        pg_read_end(s->pg);
    else
        sl_read_end(s->sl);
}

int store_commit(store *s, gisd_error *err)
{
    return s->pg ? pg_commit(s->pg, err) : sl_commit(s->sl, err);
}

void store_rollback(store *s)
{
    if (s->pg)
        pg_rollback(s->pg);
    else
        sl_rollback(s->sl);
}

int store_layer_replace_begin(store *s, const layer_def *l, gisd_error *err)
{
    return s->pg ? pg_layer_replace_begin(s->pg, l, err) : sl_layer_replace_begin(s->sl, l, err);
}

int store_layer_insert(store *s, const layer_def *l, const store_value *values,
                       const unsigned char *wkb, size_t wkb_len, long feature_no, long long source_fid, gisd_error *err)
{
    return s->pg ? pg_layer_insert(s->pg, l, values, wkb, wkb_len, feature_no, source_fid, err)
                 : sl_layer_insert(s->sl, l, values, wkb, wkb_len, feature_no, source_fid, err);
}

int store_layer_replace_end(store *s, const layer_def *l, gisd_error *err)
{
    return s->pg ? pg_layer_replace_end(s->pg, l, err) : sl_layer_replace_end(s->sl, l, err);
}

int store_import_record(store *s, const char *file, const char *layer, long features,
                        long repaired, double seconds, gisd_error *err)
{
    return s->pg ? pg_import_record(s->pg, file, layer, features, repaired, seconds, err)
                 : sl_import_record(s->sl, file, layer, features, repaired, seconds, err);
}

int store_feature_state(store *s, const layer_def *l, const char *id, char **geojson,
                        char etag[65], gisd_error *err)
{
    return s->pg ? pg_feature_state(s->pg, l, id, geojson, etag, err)
                 : sl_feature_state(s->sl, l, id, geojson, etag, err);
}

int store_edit_apply(store *s, const layer_def *l, const store_edit *e, long long *change,
                     char etag[65], char *id_out, gisd_error *err)
{
    if (e->feature_id && strlen(e->feature_id) > STORE_ID_MAX) { /* no write can have made it */
        *change = 0;
        etag[0] = 0;
        if (id_out)
            id_out[0] = 0;
        return gisd_fail(err, GISD_E_NOTFOUND, "%s has no feature of an id over %d bytes", l->id, STORE_ID_MAX);
    }
    return s->pg ? pg_edit_apply(s->pg, l, e, change, etag, id_out, err)
                 : sl_edit_apply(s->sl, l, e, change, etag, id_out, err);
}

int store_history(store *s, const char *layer, const char *feature, long long change, json_t **out,
                  gisd_error *err)
{
    return s->pg ? pg_history(s->pg, layer, feature, change, out, err)
                 : sl_history(s->sl, layer, feature, change, out, err);
}

int store_token_add(store *s, const char *name, const char *scope, const char *hash, gisd_error *err)
{
    return s->pg ? pg_token_add(s->pg, name, scope, hash, err) : sl_token_add(s->sl, name, scope, hash, err);
}

int store_token_revoke(store *s, const char *name, gisd_error *err)
{
    return s->pg ? pg_token_revoke(s->pg, name, err) : sl_token_revoke(s->sl, name, err);
}

int store_token_list(store *s, json_t **out, gisd_error *err)
{
    return s->pg ? pg_token_list(s->pg, out, err) : sl_token_list(s->sl, out, err);
}

int store_token_find(store *s, const char *hash, char name[128], char scope[512], gisd_error *err)
{
    return s->pg ? pg_token_find(s->pg, hash, name, scope, err)
                 : sl_token_find(s->sl, hash, name, scope, err);
}

int store_meta_set(store *s, const char *key, const char *value, gisd_error *err)
{
    return s->pg ? pg_meta_set(s->pg, key, value, err) : sl_meta_set(s->sl, key, value, err);
}

int store_meta_get(store *s, const char *key, char *buf, size_t bufsize, gisd_error *err)
{
    return s->pg ? pg_meta_get(s->pg, key, buf, bufsize, err) : sl_meta_get(s->sl, key, buf, bufsize, err);
}

int store_layer_changes(store *s, long long *changes, gisd_error *err)
{
    return s->pg ? pg_layer_changes(s->pg, changes, err) : sl_layer_changes(s->sl, changes, err);
}

int store_layer_stats_get(store *s, const layer_def *l, store_layer_stats *out, gisd_error *err)
{
    return s->pg ? pg_layer_stats_get(s->pg, l, out, err) : sl_layer_stats_get(s->sl, l, out, err);
}

int store_import_history(store *s, store_import_row **rows, size_t *n, gisd_error *err)
{
    return s->pg ? pg_import_history(s->pg, rows, n, err) : sl_import_history(s->sl, rows, n, err);
}

int store_query_count(store *s, const layer_def *l, const store_query *q, long long *out, gisd_error *err)
{
    return s->pg ? pg_query_count(s->pg, l, q, out, err) : sl_query_count(s->sl, l, q, out, err);
}

int store_cursor_next(store_cursor *c, gisd_error *err)
{
    return c->pg ? pg_cursor_next(c->pg, err) : sl_cursor_next(c->sl, err);
}

int store_cursor_is_null(store_cursor *c, size_t f)
{
    return c->pg ? pg_cursor_is_null(c->pg, f) : sl_cursor_is_null(c->sl, f);
}

const char *store_cursor_text(store_cursor *c, size_t f)
{
    return c->pg ? pg_cursor_text(c->pg, f) : sl_cursor_text(c->sl, f);
}

long long store_cursor_int(store_cursor *c, size_t f)
{
    return c->pg ? pg_cursor_int(c->pg, f) : sl_cursor_int(c->sl, f);
}

double store_cursor_real(store_cursor *c, size_t f)
{
    return c->pg ? pg_cursor_real(c->pg, f) : sl_cursor_real(c->sl, f);
}

const void *store_cursor_geom(store_cursor *c, size_t *len)
{
    return c->pg ? pg_cursor_geom(c->pg, len) : sl_cursor_geom(c->sl, len);
}

long long store_cursor_fid(store_cursor *c)
{
    return c->pg ? pg_cursor_fid(c->pg) : sl_cursor_fid(c->sl);
}

int store_check(store *s, char *msg, size_t n, gisd_error *err)
{
    return s->pg ? pg_check(s->pg, msg, n, err) : sl_check(s->sl, msg, n, err);
}

int store_is_immutable(const store *s)
{
    return s->pg ? pg_is_immutable(s->pg) : sl_is_immutable(s->sl);
}

int store_wait_changes(store *s, int timeout_ms, gisd_error *err)
{
    return s->pg ? pg_wait_changes(s->pg, timeout_ms, err) : sl_wait_changes(s->sl, timeout_ms, err);
}
