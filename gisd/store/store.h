/* The store: the only door to the database. Everything else in gisd calls
 * these functions and never writes SQL. Two backends implement its
 * primitives (store_backend.h): store_spatialite.c on a SpatiaLite file,
 * store_pg.c on PostgreSQL + PostGIS; store.c writes the protocols once.
 *
 * Geometry is kept in EPSG:4490. A store handle is used by one thread at a
 * time: the server gives each worker its own read handle. */
#ifndef GISD_STORE_H
#define GISD_STORE_H

#include <stddef.h>

#include <jansson.h>

#include "cql2.h"
#include "error.h"
#include "layers.h"

#define STORE_SRID 4490

typedef struct store store;
typedef struct store_cursor store_cursor;

typedef enum { STORE_READONLY, STORE_READWRITE } store_mode;

/* What a lookup found; STORE_FAILED comes with its gisd_error. */
typedef enum { STORE_FAILED = -1, STORE_FOUND = 0, STORE_ABSENT = 1 } store_found;

/* Process-wide settings of the store's engine; call once at start, before
 * anything else opens a database. */
void store_global_init(void);

/* Opens (READWRITE: creating when absent, then *created is set) the store at
 * path (a libpq URI, postgresql://..., is PostgreSQL; anything else a
 * SpatiaLite file). reg is borrowed and must outlive the store. A READONLY store whose
 * directory cannot be written is opened immutable (store_is_immutable). Every
 * query of the handle stops when cancel_requested() (GISD_E_TIMEOUT). Errors:
 * GISD_E_NOSPACE for a full disk, GISD_E_IO for a damaged or unreadable file. */
int store_open(const char *path, store_mode mode, const layer_registry *reg, store **out,
               int *created, gisd_error *err);
void store_close(store *s);
/* The path or URI s was opened from (borrowed; "" when unknown). */
const char *store_location(const store *s);
/* After a store_open that set *created and a first transaction rolled back:
 * removes what the open made, so a refused first import leaves nothing (a
 * SpatiaLite file and its -wal/-shm; on PostgreSQL the new schema was part of
 * that transaction and is already gone). Errors are ignored: there is
 * nothing left to protect. */
void store_discard_created(const char *path);

/* ---- writing: one transaction around a whole import ---- */
int store_begin(store *s, gisd_error *err);
int store_commit(store *s, gisd_error *err);
void store_rollback(store *s);

/* One field value of a feature to insert; text is borrowed for the call. */
typedef struct {
    int is_null;
    const char *text;
    long long i;
    double d;
} store_value;

/* Empties the layer (creating its table when absent) so the import replaces it. */
int store_layer_replace_begin(store *s, const layer_def *layer, gisd_error *err);
/* values has layer->nfields entries; wkb is a geometry of the layer's kind in
 * EPSG:4490. feature_no names the feature in errors (1-based). A layer without
 * an id field numbers its features by source_fid (the source's FID; < 0: the
 * next number). */
int store_layer_insert(store *s, const layer_def *layer, const store_value *values,
                       const unsigned char *wkb, size_t wkb_len, long feature_no,
                       long long source_fid, gisd_error *err);
/* Records the layer's count, extent and change counter. */
int store_layer_replace_end(store *s, const layer_def *layer, gisd_error *err);

int store_import_record(store *s, const char *file, const char *layer, long features,
                        long repaired, double seconds, gisd_error *err);
int store_meta_set(store *s, const char *key, const char *value, gisd_error *err);
/* STORE_FOUND with buf filled, STORE_ABSENT, or STORE_FAILED with err. */
store_found store_meta_get(store *s, const char *key, char *buf, size_t bufsize, gisd_error *err);

/* ---- editing: one feature a write, each its own transaction with its
 * history row; tokens ---- */

/* The feature whose id field is id as GeoJSON text (lon/lat, its fields as
 * properties; *geojson malloc'd, the caller's) and its ETag (a SHA-256 of
 * that text, hex): STORE_FOUND, STORE_ABSENT, or STORE_FAILED with err. */
store_found store_feature_state(store *s, const layer_def *layer, const char *id, char **geojson, char etag[65],
                        gisd_error *err);

typedef enum { STORE_CREATE, STORE_REPLACE, STORE_DELETE } store_edit_kind;

typedef struct store_edit store_edit;
struct store_edit {
    store_edit_kind kind;
    const char *feature_id;     /* REPLACE, DELETE; CREATE takes values[layer->id_index] */
    const store_value *values;  /* CREATE, REPLACE: layer->nfields of them */
    const unsigned char *wkb;   /* CREATE, REPLACE: in EPSG:4490, of the layer's kind */
    size_t wkb_len;
    const char *if_match;       /* REPLACE, DELETE: the ETag the writer saw; NULL skips the check */
    const char *who;            /* the token's name, "gisd revert", ... */
    const char *action;         /* the history's word: create, replace, update, delete, revert */
    /* REPLACE, when set: called inside the write's transaction, after the
     * ETag check, with the feature as stored (GeoJSON text), to fill
     * values, wkb and wkb_len of *out (a copy of this edit) from it, as a
     * merge patch is read against what it replaces, so that no write made
     * between a read and this one is lost; 0, or -1 with err. */
    int (*rewrite)(void *ud, const char *current, store_edit *out, gisd_error *err);
    void *rewrite_ud;
};

/* The longest feature id a write takes, in bytes. */
#define STORE_ID_MAX 255

/* Applies e in one transaction that also bumps the layer's change counter
 * and records the history row (*change its number; id_out, STORE_ID_MAX + 1 bytes or
 * NULL, the feature's id, which the store gives a layer without an id
 * field): 0 with etag the
 * feature's new ETag ("" once deleted), or -1 with err: GISD_E_NOTFOUND (no
 * such feature), GISD_E_STALE (if_match is not the current ETag),
 * GISD_E_CONFLICT (the id is taken), GISD_E_INPUT (values refused). */
int store_edit_apply(store *s, const layer_def *layer, const store_edit *e, long long *change, char etag[65],
                     char *id_out, gisd_error *err);

/* Several edits in one transaction: after store_batch_begin, each
 * store_edit_apply joins it (a failed one leaves the batch to be ended
 * without commit); store_batch_end commits (commit) or rolls it all back.
 * The layers written must exist. 0, or -1 with err. */
int store_batch_begin(store *s, gisd_error *err);
int store_batch_end(store *s, int commit, gisd_error *err);

/* The history rows, oldest first, as a JSON array of {change, at, who, layer,
 * feature, action, before, after, note} (before/after GeoJSON objects or
 * null); filtered by layer and feature when not NULL, and by change when > 0.
 * *out the caller's. */
int store_history(store *s, const char *layer, const char *feature, long long change, json_t **out,
                  gisd_error *err);

/* Stores a token's hash (hex SHA-256) under name with its scope
 * ("admin" or "write:parks,zones"): 0, or GISD_E_CONFLICT when the name is taken. */
int store_token_add(store *s, const char *name, const char *scope, const char *hash, gisd_error *err);
/* Revokes the token called name: 0, or GISD_E_NOTFOUND. */
int store_token_revoke(store *s, const char *name, gisd_error *err);
/* Every token (never its hash): [{name, scope, created_at, revoked_at}], the caller's. */
int store_token_list(store *s, json_t **out, gisd_error *err);
/* The live token with this hash: STORE_FOUND with its name and scope,
 * STORE_ABSENT when there is none (or it is revoked), STORE_FAILED with err. */
store_found store_token_find(store *s, const char *hash, char name[128], char scope[512], gisd_error *err);

/* ---- reading ---- */
/* Starts a read transaction: every query until store_read_end sees the same
 * state of the store, whatever imports commit meanwhile. */
int store_read_begin(store *s, gisd_error *err);
/* Ends it (cursors opened in it must be freed first). */
void store_read_end(store *s);
typedef struct {
    long long count;
    int has_extent;
    double minx, miny, maxx, maxy; /* lon/lat, EPSG:4490 */
    long long changes;             /* grows with every import into the layer */
    char updated[32];              /* ISO 8601 UTC of the last import, or "" */
} store_layer_stats;

int store_layer_stats_get(store *s, const layer_def *layer, store_layer_stats *out,
                          gisd_error *err);
/* The change counter of every layer of the registry, in registry order (0 for
 * a layer never imported): cheap enough to ask on every tile request. */
int store_layer_changes(store *s, long long *changes, gisd_error *err);

typedef struct {
    long long id;
    char file[512];
    char layer[64];
    char imported_at[32];
    long long features, repaired;
    double seconds;
} store_import_row;

/* The newest imports first; *rows is the caller's to free(). */
int store_import_history(store *s, store_import_row **rows, size_t *n, gisd_error *err);

typedef enum { STORE_GEOM_NONE, STORE_GEOM_WKB, STORE_GEOM_GEOJSON } store_geom_format;

typedef struct {
    int has_bbox;
    double bbox[4];   /* minx, miny, maxx, maxy in bbox_srid, easting/longitude first */
    int bbox_srid;    /* 0 means STORE_SRID */
    size_t nfilters;  /* equality filters, field = value */
    const char *const *filter_fields;
    const char *const *filter_values;
    const cql_node *filter; /* a CQL2 condition (cql2.h) on the layer, or NULL */
    const char *feature_id; /* only the feature whose id field equals this */
    int has_after;          /* only features after after_fid (store_cursor_fid) */
    long long after_fid;
    int bbox_mbr_only;      /* the bbox filter compares bounding boxes only (the R*Tree) */
    long long limit;  /* < 0: no limit */
    long long offset;
    int out_srid;     /* 0 means STORE_SRID */
    int swap_axes;    /* output northing/latitude first */
    int precision;    /* decimals of GeoJSON coordinates */
    store_geom_format geom_format;
} store_query;

int store_query_count(store *s, const layer_def *layer, const store_query *q, long long *out,
                      gisd_error *err);
/* The cursor borrows s and layer; free it before either. */
int store_cursor_open(store *s, const layer_def *layer, const store_query *q,
                      store_cursor **out, gisd_error *err);
/* 1: a row is ready; 0: no more rows; -1: error. */
int store_cursor_next(store_cursor *c, gisd_error *err);
/* Accessors for the current row, valid until the next store_cursor_next. */
int store_cursor_is_null(store_cursor *c, size_t field);
const char *store_cursor_text(store_cursor *c, size_t field);
long long store_cursor_int(store_cursor *c, size_t field);
double store_cursor_real(store_cursor *c, size_t field);
/* WKB bytes or GeoJSON text of the geometry, per the query; NULL when none. */
const void *store_cursor_geom(store_cursor *c, size_t *len);
/* The current row's stable position, for a later query's after_fid. */
long long store_cursor_fid(store_cursor *c);
void store_cursor_free(store_cursor *c);

/* Waits up to timeout_ms for a change another process commits to the store
 * (an import or an edit): 1 when one came, 0 when the time passed, -1 with
 * err. GISD_E_INPUT: this store sends no notifications (SpatiaLite, or a
 * PostgreSQL streaming standby: readers ask the change counters instead). */
int store_wait_changes(store *s, int timeout_ms, gisd_error *err);

/* Runs SQLite's quick_check: 0 when the store is sound, 1 with what is wrong
 * in msg when it is damaged, -1 (err) when the check itself could not run. */
int store_check(store *s, char *msg, size_t n, gisd_error *err);
/* 1 when the store was opened as an unchanging file (its directory is not
 * writable), so imports made meanwhile by others are not seen. */
int store_is_immutable(const store *s);

/* ---- plan scenarios (docs/SCENARIOS.md): changes over a base, read
 * through it (store_scenario.c) ---- */

/* 1 when id may name a scenario: [A-Za-z0-9_-]{1,64}, and not "baseline". */
int store_scenario_id_ok(const char *id);
/* Makes every read of s (features, counts, cursors, so every analysis) and
 * every edit go through scenario id; NULL, "" or "baseline": the city as
 * imported. 0, or -1 with err: GISD_E_NOTFOUND naming an unknown scenario. */
int store_set_scenario(store *s, const char *id, gisd_error *err);
/* 1 when s reads through a scenario (not the baseline). */
int store_in_scenario(const store *s);
/* The scenario s reads through: "baseline" or its id. */
const char *store_scenario(const store *s);
/* Creates scenario id over base ("baseline" or another scenario) by who:
 * 0, or -1 with err (GISD_E_INPUT: a bad id, no title, a base that does
 * not exist or is id itself; GISD_E_CONFLICT: the id is taken). */
int store_scenario_create(store *s, const char *id, const char *title, const char *description, const char *base,
                          const char *who, gisd_error *err);
/* Every scenario: [{id, title, description, base, created, updated, who,
 * changes: {layer: n}}], id order; *out the caller's. */
int store_scenario_list(store *s, json_t **out, gisd_error *err);
/* One scenario as in the list, its changes relative to its base as
 * {layer: {added, replaced, deleted}} (ids sorted): 0, or -1 with err
 * (GISD_E_NOTFOUND). */
int store_scenario_get(store *s, const char *id, json_t **out, gisd_error *err);
/* Drops scenario id and its changes: 0, or -1 with err (GISD_E_NOTFOUND;
 * GISD_E_CONFLICT while another scenario is based on it). */
int store_scenario_drop(store *s, const char *id, gisd_error *err);
/* What differs from scenario b to scenario a ("baseline" for either):
 * {layer: {added, replaced, deleted}} for each layer with a difference,
 * ids sorted; *out the caller's. s reads the baseline afterwards. */
int store_scenario_diff(store *s, const char *a, const char *b, json_t **out, gisd_error *err);
/* Scenario id's own changes, oldest first: [{layer, id, op}] (op add,
 * replace or delete); *out the caller's. */
int store_scenario_changes(store *s, const char *id, json_t **out, gisd_error *err);
/* Empties scenario id of its changes (inside the caller's transaction, as
 * an adoption's): 0, or -1 with err. */
int store_scenario_clear(store *s, const char *id, gisd_error *err);
/* The changes of scenario id whose base changed under them since:
 * [{layer, id, scenario: feature or null, base: feature or null}]. */
int store_scenario_conflicts(store *s, const char *id, json_t **out, gisd_error *err);

/* ---- the register of compliance opinions (store_opinion.c) ---- */

/* Now in UTC as ISO 8601 ("2026-12-03T11:30:00Z") into buf (>= 21 bytes),
 * as every timestamp the store keeps. */
void store_utc_now(char *buf, size_t n);

/* One opinion as the register keeps it; every pointer borrowed. */
typedef struct {
    const char *number;     /* its 文号, unique */
    int year;
    long long serial;
    const char *issued;     /* ISO 8601 UTC */
    const char *who;        /* the token's holder, or "cli" */
    const char *site_id;    /* NULL when the site names none */
    int compliant;
    const char *supersedes; /* the number it replaces, or NULL */
    const char *record;     /* the record as JSON text: inputs, verdict, data version */
    const char *record_sha256, *pdf_sha256;
    const void *pdf;
    size_t pdf_len;
} store_opinion;

/* Inside the caller's transaction (store_begin), creating the register when
 * absent: the next serial of year (1, 2, ...; concurrent issuers wait for
 * each other). 0, or -1 with err. */
int store_opinion_next_serial(store *s, int year, long long *serial, gisd_error *err);
/* Inside the same transaction: stores o and marks the opinion it supersedes
 * as superseded by it. 0, or -1 with err. */
int store_opinion_add(store *s, const store_opinion *o, gisd_error *err);
/* The opinions issued, oldest first, as [{number, issued, who, site_id,
 * compliant, supersedes, superseded_by, record_sha256, pdf_sha256}],
 * only site_id's and only the one whose PDF hashes to pdf_sha256 when not
 * NULL; *out the caller's. 0, or -1 with err. */
int store_opinion_list(store *s, const char *site_id, const char *pdf_sha256, json_t **out, gisd_error *err);
/* Opinion number: STORE_FOUND with *record (its record and its summary's
 * members, the caller's) and, when pdf is not NULL, the PDF's bytes in *pdf
 * (malloc'd, the caller's) and *pdf_len; STORE_ABSENT; STORE_FAILED with err. */
store_found store_opinion_get(store *s, const char *number, json_t **record, char **pdf, size_t *pdf_len,
                              gisd_error *err);
/* The number (into number, n bytes) of site_id's newest opinion that nothing
 * supersedes: STORE_FOUND, STORE_ABSENT, or STORE_FAILED with err. */
store_found store_opinion_current(store *s, const char *site_id, char *number, size_t n, gisd_error *err);

/* ---- MBTiles output (store_mbtiles.c): a tile pyramid in its own file ---- */
typedef struct store_mbtiles store_mbtiles;

/* Starts path anew; nothing appears at path until store_mbtiles_finish. */
int store_mbtiles_create(const char *path, store_mbtiles **out, gisd_error *err);
int store_mbtiles_meta(store_mbtiles *m, const char *name, const char *value, gisd_error *err);
/* z/x/y in the XYZ scheme (MBTiles' TMS rows are flipped here). */
int store_mbtiles_tile(store_mbtiles *m, int z, unsigned x, unsigned y, const void *data,
                       size_t len, gisd_error *err);
/* Commits and moves the file into place. */
int store_mbtiles_finish(store_mbtiles *m, gisd_error *err);
/* Frees m; an unfinished file is removed. */
void store_mbtiles_free(store_mbtiles *m);

#endif
