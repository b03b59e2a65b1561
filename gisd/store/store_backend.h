/* The backends of store.h. store.c picks one per store from the --db value
 * (a libpq URI, postgresql://..., is PostgreSQL; anything else a SpatiaLite
 * file) and passes each call to it; every backend function keeps the
 * contract store.h states for the function of the same name. */
#ifndef GISD_STORE_BACKEND_H
#define GISD_STORE_BACKEND_H

#include "store.h"

typedef struct sl_store sl_store;
typedef struct sl_cursor sl_cursor;
typedef struct pg_store pg_store;
typedef struct pg_cursor pg_cursor;

/* One backend's functions: prefix P, store type S, cursor type C. */
#define STORE_BACKEND(P, S, C) \
    void P##_global_init(void); \
    void P##_discard_created(const char *path); \
    int P##_open(const char *path, store_mode mode, const layer_registry *reg, S **out, int *created, gisd_error *err); \
    void P##_close(S *s); \
    int P##_begin(S *s, gisd_error *err); \
    int P##_read_begin(S *s, gisd_error *err); \
    void P##_read_end(S *s); \
    int P##_commit(S *s, gisd_error *err); \
    void P##_rollback(S *s); \
    int P##_layer_replace_begin(S *s, const layer_def *l, gisd_error *err); \
    int P##_layer_insert(S *s, const layer_def *l, const store_value *values, const unsigned char *wkb, size_t wkb_len, long feature_no, long long source_fid, gisd_error *err); \
    int P##_layer_replace_end(S *s, const layer_def *l, gisd_error *err); \
    int P##_import_record(S *s, const char *file, const char *layer, long features, long repaired, double seconds, gisd_error *err); \
    int P##_feature_state(S *s, const layer_def *l, const char *id, char **geojson, char etag[65], gisd_error *err); \
    int P##_edit_apply(S *s, const layer_def *l, const store_edit *e, long long *change, char etag[65], char *id_out, gisd_error *err); \
    int P##_history(S *s, const char *layer, const char *feature, long long change, json_t **out, gisd_error *err); \
    int P##_token_add(S *s, const char *name, const char *scope, const char *hash, gisd_error *err); \
    int P##_token_revoke(S *s, const char *name, gisd_error *err); \
    int P##_token_list(S *s, json_t **out, gisd_error *err); \
    int P##_token_find(S *s, const char *hash, char name[128], char scope[512], gisd_error *err); \
    int P##_meta_set(S *s, const char *key, const char *value, gisd_error *err); \
    int P##_meta_get(S *s, const char *key, char *buf, size_t bufsize, gisd_error *err); \
    int P##_layer_changes(S *s, long long *changes, gisd_error *err); \
    int P##_layer_stats_get(S *s, const layer_def *l, store_layer_stats *out, gisd_error *err); \
    int P##_import_history(S *s, store_import_row **rows, size_t *n, gisd_error *err); \
    int P##_query_count(S *s, const layer_def *l, const store_query *q, long long *out, gisd_error *err); \
    int P##_cursor_open(S *s, const layer_def *l, const store_query *q, C **out, gisd_error *err); \
    int P##_cursor_next(C *c, gisd_error *err); \
    int P##_cursor_is_null(C *c, size_t f); \
    const char *P##_cursor_text(C *c, size_t f); \
    long long P##_cursor_int(C *c, size_t f); \
    double P##_cursor_real(C *c, size_t f); \
    const void *P##_cursor_geom(C *c, size_t *len); \
    long long P##_cursor_fid(C *c); \
    int P##_check(S *s, char *msg, size_t n, gisd_error *err); \
    int P##_wait_changes(S *s, int timeout_ms, gisd_error *err); \
    int P##_is_immutable(const S *s); \
    void P##_cursor_free(C *c);

STORE_BACKEND(sl, sl_store, sl_cursor)
STORE_BACKEND(pg, pg_store, pg_cursor)

#endif
