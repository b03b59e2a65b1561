/* What a backend of store.h implements: primitives only, in one table of
 * functions (store_ops), as MapServer's layerVTable. The protocols built of
 * them (an edit with its ETag checks and history row, feature ETags, a
 * query's bbox in the store's lon/lat) are written once, in store.c.
 * store.c picks the backend from the --db value: a libpq URI
 * (postgresql://...) is PostgreSQL, anything else a SpatiaLite file. */
#ifndef GISD_STORE_BACKEND_H
#define GISD_STORE_BACKEND_H

#include <sqlite3.h>

#include "store.h"

/* The first member of every backend's handle, so that a store * is the
 * backend's handle and the backend's handle a store *. */
struct store {
    const struct store_ops *ops;
    /* the scenario every read goes through (store_set_scenario): its id
     * ("" for the baseline) and its chain, itself first, then its bases,
     * as SQL text (sqlite3_malloc'd; NULL for the baseline): chain_in
     * "'S', 'B'", chain_rank "CASE %s.scenario WHEN 'S' THEN 0 ... END" */
    char scenario[65];
    char *chain_in, *chain_rank;
    const layer_registry *reg; /* the store's layers, set by the backend's open */
    int batch;                 /* between store_batch_begin and _end */
    char *location;            /* the path or URI it was opened from (sqlite3_malloc'd) */
};

struct store_cursor {
    const struct store_ops *ops;
};

/* One history row as the edit protocol writes it; every text borrowed. */
typedef struct {
    const char *at, *who, *layer, *feature, *action;
    const char *before, *after; /* GeoJSON text, or NULL */
    const char *note;           /* "scenario S" for a scenario's change, or NULL */
} store_history_row;

/* Unless said otherwise below, a function keeps the contract store.h states
 * for the store_ function of the same name. */
typedef struct store_ops {
    const char *name;
    void (*global_init)(void);
    void (*discard_created)(const char *path);
    int (*open)(const char *path, store_mode mode, const layer_registry *reg, store **out, int *created,
                gisd_error *err);
    void (*close)(store *s);
    int (*begin)(store *s, gisd_error *err);
    int (*read_begin)(store *s, gisd_error *err);
    void (*read_end)(store *s);
    int (*commit)(store *s, gisd_error *err);
    void (*rollback)(store *s);
    int (*layer_replace_begin)(store *s, const layer_def *l, gisd_error *err);
    int (*layer_insert)(store *s, const layer_def *l, const store_value *values, const unsigned char *wkb,
                        size_t wkb_len, long feature_no, long long source_fid, gisd_error *err);
    int (*layer_replace_end)(store *s, const layer_def *l, gisd_error *err);
    int (*import_record)(store *s, const char *file, const char *layer, long features, long repaired,
                         double seconds, gisd_error *err);
    /* The feature as GeoJSON text (*geojson the caller's): STORE_FOUND,
     * STORE_ABSENT, or STORE_FAILED with err. */
    store_found (*feature_read)(store *s, const layer_def *l, const char *id, char **geojson, gisd_error *err);
    /* Starts an edit's transaction on l, creating its table when absent;
     * writers of one layer wait for each other until commit or rollback. */
    int (*edit_begin)(store *s, const layer_def *l, gisd_error *err);
    /* The row of e (id: of the feature replaced or deleted, NULL for a
     * CREATE the store numbers, whose number new_id then receives):
     * 0, or -1 with err (GISD_E_INPUT: the values were refused). */
    int (*edit_row)(store *s, const layer_def *l, const store_edit *e, const char *id, char new_id[64],
                    gisd_error *err);
    /* Records l's count, extent and a new change counter. */
    int (*layer_touch)(store *s, const layer_def *l, gisd_error *err);
    /* Appends a history row: 0 with *change its number, or -1 with err. */
    int (*history_add)(store *s, const store_history_row *row, long long *change, gisd_error *err);
    int (*history)(store *s, const char *layer, const char *feature, long long change, json_t **out,
                   gisd_error *err);
    int (*token_add)(store *s, const char *name, const char *scope, const char *hash, gisd_error *err);
    int (*token_revoke)(store *s, const char *name, gisd_error *err);
    int (*token_list)(store *s, json_t **out, gisd_error *err);
    store_found (*token_find)(store *s, const char *hash, char name[128], char scope[512], gisd_error *err);
    int (*meta_set)(store *s, const char *key, const char *value, gisd_error *err);
    store_found (*meta_get)(store *s, const char *key, char *buf, size_t bufsize, gisd_error *err);
    int (*layer_changes)(store *s, long long *changes, gisd_error *err);
    int (*layer_stats_get)(store *s, const layer_def *l, store_layer_stats *out, gisd_error *err);
    int (*import_history)(store *s, store_import_row **rows, size_t *n, gisd_error *err);
    /* The two reading calls get q with its bbox already in the store's
     * lon/lat (bbox_srid STORE_SRID). */
    int (*query_count)(store *s, const layer_def *l, const store_query *q, long long *out, gisd_error *err);
    int (*cursor_open)(store *s, const layer_def *l, const store_query *q, store_cursor **out, gisd_error *err);
    int (*cursor_next)(store_cursor *c, gisd_error *err);
    int (*cursor_is_null)(store_cursor *c, size_t f);
    const char *(*cursor_text)(store_cursor *c, size_t f);
    long long (*cursor_int)(store_cursor *c, size_t f);
    double (*cursor_real)(store_cursor *c, size_t f);
    const void *(*cursor_geom)(store_cursor *c, size_t *len);
    long long (*cursor_fid)(store_cursor *c);
    void (*cursor_free)(store_cursor *c);
    int (*check)(store *s, char *msg, size_t n, gisd_error *err);
    int (*wait_changes)(store *s, int timeout_ms, gisd_error *err);
    int (*is_immutable)(const store *s);
    /* Runs sql, whose parameters are ? (n text values, NULL for SQL NULL):
     * 0 with *rows (when rows is not NULL) an array of arrays of strings and
     * nulls, the caller's; or -1 with err. The scenario tables' SQL, written
     * once in store_scenario.c, goes through it. */
    int (*sql_query)(store *s, const char *sql, int n, const char *const *params, json_t **rows, gisd_error *err);
    /* Appends the SQL reading field f, of the type its layer gives it, out
     * of the JSON text column alias.props. */
    void (*sql_prop)(sqlite3_str *b, const char *alias, const field_def *f);
    /* 1 when the table called name exists, 0 when not, -1 with err. */
    int (*has_table)(store *s, const char *name, gisd_error *err);
    /* The statements making the scenario tables (gisd_scenarios and
     * gisd_changes, whose geom column takes any geometry), ending with NULL. */
    const char *const *scenario_ddl;
} store_ops;

extern const store_ops store_spatialite_ops;
extern const store_ops store_pg_ops;

/* Appends what a query reads layer l from: its table, or, in a scenario,
 * the table with the scenario chain's changes over it (gisd_changes),
 * named as the table. */
void store_sql_layer_from(sqlite3_str *b, const store *s, const layer_def *l);
/* The same with a condition on the table's rows (base_cond) and one on the
 * changes' rows (change_cond, whose columns are c.geom, c.props ...) inside
 * the union, where an engine that does not push the query's own conditions
 * down can still use the table's indexes; either may be NULL. */
void store_sql_layer_from_where(sqlite3_str *b, const store *s, const layer_def *l, const char *base_cond,
                                const char *change_cond);
/* Inside an edit's transaction in s's scenario: records e of feature id of
 * l as the scenario's change (old_etag: the feature's ETag before it, NULL
 * for a create), so that the base is untouched: 0, or -1 with err. */
int store_scenario_edit_row(store *s, const layer_def *l, const store_edit *e, const char *id, const char *old_etag,
                            gisd_error *err);


#endif
