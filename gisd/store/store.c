/* store.h: each call goes to the backend the store was opened with
 * (store_backend.h); the protocols made of the backends' primitives are
 * written here once: an edit's checks, history row and read-back, the
 * feature ETags, a query's bbox brought to the store's lon/lat. */
#include "store_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crs.h"
#include "digest.h"

/* 1 when db names a PostgreSQL database (a libpq connection URI). */
static int is_postgres(const char *db)
{
    return strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0;
}

static const store_ops *backend_of(const char *path)
{
    return is_postgres(path) ? &store_pg_ops : &store_spatialite_ops;
}

void store_utc_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void store_global_init(void)
{
    store_spatialite_ops.global_init();
    store_pg_ops.global_init();
}

int store_open(const char *path, store_mode mode, const layer_registry *reg, store **out, int *created,
               gisd_error *err)
{
    int rc = backend_of(path)->open(path, mode, reg, out, created, err);
    if (rc == 0)
        (*out)->location = sqlite3_mprintf("%s", path);
    return rc;
}

const char *store_location(const store *s) { return s->location ? s->location : ""; }

void store_discard_created(const char *path)
{
    backend_of(path)->discard_created(path);
}

void store_close(store *s)
{
    if (!s)
        return;
    sqlite3_free(s->chain_in);
    sqlite3_free(s->chain_rank);
    sqlite3_free(s->location);
    s->ops->close(s);
}

int store_begin(store *s, gisd_error *err) { return s->ops->begin(s, err); }
int store_read_begin(store *s, gisd_error *err) { return s->ops->read_begin(s, err); }
void store_read_end(store *s) { s->ops->read_end(s); }
int store_commit(store *s, gisd_error *err) { return s->ops->commit(s, err); }
void store_rollback(store *s) { s->ops->rollback(s); }

int store_layer_replace_begin(store *s, const layer_def *l, gisd_error *err)
{
    return s->ops->layer_replace_begin(s, l, err);
}

int store_layer_insert(store *s, const layer_def *l, const store_value *values, const unsigned char *wkb,
                       size_t wkb_len, long feature_no, long long source_fid, gisd_error *err)
{
    return s->ops->layer_insert(s, l, values, wkb, wkb_len, feature_no, source_fid, err);
}

int store_layer_replace_end(store *s, const layer_def *l, gisd_error *err)
{
    return s->ops->layer_replace_end(s, l, err);
}

int store_import_record(store *s, const char *file, const char *layer, long features, long repaired,
                        double seconds, gisd_error *err)
{
    return s->ops->import_record(s, file, layer, features, repaired, seconds, err);
}

store_found store_feature_state(store *s, const layer_def *l, const char *id, char **geojson, char etag[65],
                                gisd_error *err)
{
    etag[0] = 0;
    store_found f = s->ops->feature_read(s, l, id, geojson, err);
    if (f == STORE_FOUND)
        digest_sha256_hex(*geojson, etag);
    return f;
}

/* The id a CREATE gives its feature (buf holds a number's text): NULL when
 * the store numbers it; -1 with err when the values lack it. */
static int created_id(const layer_def *l, const store_edit *e, char buf[64], const char **id, gisd_error *err)
{
    *id = NULL;
    if (!l->id_field)
        return 0;
    const store_value *v = &e->values[l->id_index];
    int numeric = field_type_numeric(l->fields[l->id_index].type);
    if (v->is_null || (!numeric && (!v->text || !*v->text)))
        return gisd_fail(err, GISD_E_INPUT, "the feature needs its %s", l->id_field);
    if (numeric) {
        snprintf(buf, 64, "%lld", v->i);
        *id = buf;
    } else {
        *id = v->text;
    }
    return 0;
}

/* Inside the edit's transaction: checks e against the feature as stored
 * (found, its GeoJSON before and ETag old), writes the row, reads it back
 * and records the history row. */
static int edit_in_transaction(store *s, const layer_def *l, const store_edit *e, const char *id, long long *change,
                               char etag[65], char *id_out, gisd_error *err)
{
    char *before = NULL, *after = NULL, old[65] = "", new_id[64] = "";
    store_found found = id ? store_feature_state(s, l, id, &before, old, err) : STORE_ABSENT;
    int rc = 0;
    if (found == STORE_FAILED)
        rc = -1;
    else if (e->kind == STORE_CREATE && found == STORE_FOUND)
        rc = gisd_fail(err, GISD_E_CONFLICT, "%s already has a feature %s \"%s\"", l->id, l->id_field, id);
    else if (e->kind != STORE_CREATE && found == STORE_ABSENT)
        rc = gisd_fail(err, GISD_E_NOTFOUND, "%s has no feature \"%s\"", l->id, id);
    else if (e->kind != STORE_CREATE && e->if_match && strcmp(e->if_match, old) != 0)
        rc = gisd_fail(err, GISD_E_STALE, "feature \"%s\" changed since its ETag %s was read (now %s): read it again",
                       id, e->if_match, old);
    store_edit rewritten;
    if (rc == 0 && e->kind == STORE_REPLACE && e->rewrite) {
        rewritten = *e;
        rc = e->rewrite(e->rewrite_ud, before, &rewritten, err);
        e = &rewritten;
    }
    if (rc == 0 && store_in_scenario(s) && !id)
        rc = gisd_fail(err, GISD_E_INPUT, "a scenario changes features by their id: %s has no id field", l->id);
    if (rc == 0)
        rc = store_in_scenario(s) ? store_scenario_edit_row(s, l, e, id, found == STORE_FOUND ? old : NULL, err)
                                  : s->ops->edit_row(s, l, e, id, new_id, err);
    if (rc == 0 && !id)
        id = new_id;
    if (rc == 0 && id_out)
        snprintf(id_out, STORE_ID_MAX + 1, "%s", id);
    if (rc == 0 && e->kind != STORE_DELETE && store_feature_state(s, l, id, &after, etag, err) != STORE_FOUND)
        rc = gisd_fail(err, GISD_E_INTERNAL, "the feature \"%s\" cannot be read back after the write", id);
    if (rc == 0 && !store_in_scenario(s)) /* a scenario's change leaves the baseline's counters */
        rc = s->ops->layer_touch(s, l, err);
    if (rc == 0) {
        char now[32], note[80];
        store_utc_now(now, sizeof now);
        snprintf(note, sizeof note, "scenario %s", s->scenario);
        store_history_row row = {.at = now, .who = e->who ? e->who : "", .layer = l->id, .feature = id,
                                 .action = e->action, .before = before, .after = after,
                                 .note = store_in_scenario(s) ? note : NULL};
        rc = s->ops->history_add(s, &row, change, err);
    }
    free(before);
    free(after);
    return rc;
}

int store_edit_apply(store *s, const layer_def *l, const store_edit *e, long long *change, char etag[65],
                     char *id_out, gisd_error *err)
{
    *change = 0;
    etag[0] = 0;
    if (id_out)
        id_out[0] = 0;
    if (e->feature_id && strlen(e->feature_id) > STORE_ID_MAX) /* no write can have made it */
        return gisd_fail(err, GISD_E_NOTFOUND, "%s has no feature of an id over %d bytes", l->id, STORE_ID_MAX);
    char idbuf[64];
    const char *id = e->feature_id;
    if (e->kind == STORE_CREATE && created_id(l, e, idbuf, &id, err) != 0)
        return -1;
    if (s->batch) /* one write of several: the batch's transaction holds it (store_batch_begin) */
        return edit_in_transaction(s, l, e, id, change, etag, id_out, err);
    if (s->ops->edit_begin(s, l, err) != 0)
        return -1;
    if (edit_in_transaction(s, l, e, id, change, etag, id_out, err) == 0 && s->ops->commit(s, err) == 0)
        return 0;
    s->ops->rollback(s);
    etag[0] = 0;
    *change = 0;
    if (id_out)
        id_out[0] = 0;
    return -1;
}

int store_batch_begin(store *s, gisd_error *err)
{
    if (s->ops->begin(s, err) != 0)
        return -1;
    s->batch = 1;
    return 0;
}

int store_batch_end(store *s, int commit, gisd_error *err)
{
    s->batch = 0;
    if (commit && s->ops->commit(s, err) == 0)
        return 0;
    s->ops->rollback(s);
    return commit ? -1 : 0;
}

int store_history(store *s, const char *layer, const char *feature, long long change, json_t **out,
                  gisd_error *err)
{
    return s->ops->history(s, layer, feature, change, out, err);
}

int store_token_add(store *s, const char *name, const char *scope, const char *hash, gisd_error *err)
{
    return s->ops->token_add(s, name, scope, hash, err);
}

int store_token_revoke(store *s, const char *name, gisd_error *err) { return s->ops->token_revoke(s, name, err); }
int store_token_list(store *s, json_t **out, gisd_error *err) { return s->ops->token_list(s, out, err); }

store_found store_token_find(store *s, const char *hash, char name[128], char scope[512], gisd_error *err)
{
    return s->ops->token_find(s, hash, name, scope, err);
}

int store_meta_set(store *s, const char *key, const char *value, gisd_error *err)
{
    return s->ops->meta_set(s, key, value, err);
}

store_found store_meta_get(store *s, const char *key, char *buf, size_t bufsize, gisd_error *err)
{
    return s->ops->meta_get(s, key, buf, bufsize, err);
}

int store_layer_changes(store *s, long long *changes, gisd_error *err) { return s->ops->layer_changes(s, changes, err); }

int store_layer_stats_get(store *s, const layer_def *l, store_layer_stats *out, gisd_error *err)
{
    return s->ops->layer_stats_get(s, l, out, err);
}

int store_import_history(store *s, store_import_row **rows, size_t *n, gisd_error *err)
{
    return s->ops->import_history(s, rows, n, err);
}

/* q with its bbox in the store's lon/lat, in *local (EPSG:4326 is taken as
 * the stored CGCS2000: the two differ by centimetres). */
static const store_query *bbox_in_store(const store_query *q, store_query *local, gisd_error *err)
{
    if (!q->has_bbox || q->bbox_srid == 0 || q->bbox_srid == STORE_SRID || q->bbox_srid == 4326)
        return q;
    *local = *q;
    local->bbox_srid = STORE_SRID;
    return crs_bbox_to_lonlat(q->bbox_srid, q->bbox, local->bbox, err) == 0 ? local : NULL;
}

int store_query_count(store *s, const layer_def *l, const store_query *q, long long *out, gisd_error *err)
{
    store_query local;
    *out = 0;
    if (!(q = bbox_in_store(q, &local, err)))
        return -1;
    return s->ops->query_count(s, l, q, out, err);
}

int store_cursor_open(store *s, const layer_def *l, const store_query *q, store_cursor **out, gisd_error *err)
{
    store_query local;
    *out = NULL;
    if (!(q = bbox_in_store(q, &local, err)))
        return -1;
    return s->ops->cursor_open(s, l, q, out, err);
}

void store_cursor_free(store_cursor *c)
{
    if (c)
        c->ops->cursor_free(c);
}

int store_cursor_next(store_cursor *c, gisd_error *err) { return c->ops->cursor_next(c, err); }
int store_cursor_is_null(store_cursor *c, size_t f) { return c->ops->cursor_is_null(c, f); }
const char *store_cursor_text(store_cursor *c, size_t f) { return c->ops->cursor_text(c, f); }
long long store_cursor_int(store_cursor *c, size_t f) { return c->ops->cursor_int(c, f); }
double store_cursor_real(store_cursor *c, size_t f) { return c->ops->cursor_real(c, f); }
const void *store_cursor_geom(store_cursor *c, size_t *len) { return c->ops->cursor_geom(c, len); }
long long store_cursor_fid(store_cursor *c) { return c->ops->cursor_fid(c); }
int store_check(store *s, char *msg, size_t n, gisd_error *err) { return s->ops->check(s, msg, n, err); }
int store_is_immutable(const store *s) { return s->ops->is_immutable(s); }

int store_wait_changes(store *s, int timeout_ms, gisd_error *err)
{
    return s->ops->wait_changes(s, timeout_ms, err);
}
