/* The SpatiaLite backend of store.h: all of gisd's SQL lives here. */
#include "store.h"

#include <sqlite3.h>
/* spatialite.h needs sqlite3.h first */
#include <spatialite.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct store {
    sqlite3 *db;
    void *splite; /* SpatiaLite's per-connection cache */
    const layer_registry *reg;
    sqlite3_stmt *insert; /* the prepared insert of the layer being replaced */
    sqlite3_stmt *changes; /* prepared once: asked on every tile request */
    const layer_def *insert_layer;
};

struct store_cursor {
    sqlite3_stmt *stmt;
    const layer_def *layer;
    int has_geom;
};

static int sql_fail(store *s, gisd_error *err, const char *what)
{
    return gisd_fail(err, GISD_E_INTERNAL, "store: %s: %s", what, sqlite3_errmsg(s->db));
}

static int exec_sql(store *s, const char *sql, gisd_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        gisd_fail(err, GISD_E_INTERNAL, "store: %s: %s", sql, msg ? msg : "error");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Runs a statement that yields one integer (SELECT AddGeometryColumn(...)). */
static int exec_int(store *s, const char *sql, long long *out, gisd_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sql_fail(s, err, sql);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && out)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sql_fail(s, err, sql);
    return 0;
}

static int table_exists(store *s, const char *name)
{
    sqlite3_stmt *st;
    int found = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS gisd_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS gisd_imports(id INTEGER PRIMARY KEY, file TEXT NOT NULL,"
    " layer TEXT NOT NULL, imported_at TEXT NOT NULL, features INTEGER NOT NULL,"
    " repaired INTEGER NOT NULL, seconds REAL NOT NULL);"
    "CREATE TABLE IF NOT EXISTS gisd_layers(layer TEXT PRIMARY KEY, feature_count INTEGER NOT NULL,"
    " minx REAL, miny REAL, maxx REAL, maxy REAL, changes INTEGER NOT NULL,"
    " updated_at TEXT NOT NULL);";

/* InitSpatialMetadata(1) runs its own transaction, so it cannot share ours. */
static int store_init_schema(store *s, gisd_error *err)
{
    if (exec_int(s, "SELECT InitSpatialMetadata(1)", NULL, err) != 0 || exec_sql(s, "BEGIN", err) != 0)
        return -1;
    if (exec_sql(s, SCHEMA, err) != 0) {
        store_rollback(s);
        return -1;
    }
    return exec_sql(s, "COMMIT", err);
}

int store_open(const char *path, store_mode mode, const layer_registry *reg, store **out,
               int *created, gisd_error *err)
{
    *out = NULL;
    if (created)
        *created = 0;
    int exists = access(path, F_OK) == 0;
    if (!exists && mode == STORE_READONLY)
        return gisd_fail(err, GISD_E_IO,
                         "no store at %s: import data first (gisd import --db %s ...)", path, path);
    store *s = calloc(1, sizeof *s);
    if (!s)
        return gisd_fail(err, GISD_E_INTERNAL, "out of memory");
    s->reg = reg;
    int flags = mode == STORE_READONLY ? SQLITE_OPEN_READONLY
                                       : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        gisd_fail(err, GISD_E_IO, "cannot open the store %s: %s", path,
                  s->db ? sqlite3_errmsg(s->db) : "out of memory");
        store_close(s);
        return -1;
    }
    sqlite3_busy_timeout(s->db, 30000);
    s->splite = spatialite_alloc_connection();
    spatialite_init_ex(s->db, s->splite, 0);
    if (mode == STORE_READWRITE) {
        if (exec_sql(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", err) != 0) {
            store_close(s);
            return -1;
        }
        if (!table_exists(s, "gisd_meta")) {
            if (store_init_schema(s, err) != 0) {
                store_close(s);
                return -1;
            }
        }
        if (created)
            *created = !exists;
    } else if (!table_exists(s, "gisd_meta")) {
        store_close(s);
        return gisd_fail(err, GISD_E_INPUT, "%s is not a gisd store (no gisd_meta table)", path);
    }
    *out = s;
    return 0;
}

void store_close(store *s)
{
    if (!s)
        return;
    if (s->insert)
        sqlite3_finalize(s->insert);
    if (s->changes)
        sqlite3_finalize(s->changes);
    if (s->db)
        sqlite3_close_v2(s->db);
    if (s->splite)
        spatialite_cleanup_ex(s->splite);
    free(s);
}

int store_begin(store *s, gisd_error *err) { return exec_sql(s, "BEGIN IMMEDIATE", err); }

int store_commit(store *s, gisd_error *err)
{
    if (s->insert) {
        sqlite3_finalize(s->insert);
        s->insert = NULL;
    }
    return exec_sql(s, "COMMIT", err);
}

void store_rollback(store *s)
{
    if (s->insert) {
        sqlite3_finalize(s->insert);
        s->insert = NULL;
    }
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static const char *sql_type(field_type t)
{
    return t == FIELD_INTEGER ? "INTEGER" : t == FIELD_REAL ? "REAL" : "TEXT";
}

static int create_layer_table(store *s, const layer_def *l, gisd_error *err)
{
    char sql[8192];
    size_t off = (size_t)snprintf(sql, sizeof sql, "CREATE TABLE \"%s\" (fid INTEGER PRIMARY KEY",
                                  l->id);
    for (size_t i = 0; i < l->nfields && off < sizeof sql; i++)
        off += (size_t)snprintf(sql + off, sizeof sql - off, ", \"%s\" %s%s", l->fields[i].name,
                                sql_type(l->fields[i].type),
                                i == l->id_index ? " NOT NULL UNIQUE" : "");
    if (off >= sizeof sql - 2)
        return gisd_fail(err, GISD_E_INPUT, "layer %s has too many fields", l->id);
    strcat(sql, ")");
    if (exec_sql(s, sql, err) != 0)
        return -1;
    long long ok = 0;
    snprintf(sql, sizeof sql, "SELECT AddGeometryColumn('%s', 'geom', %d, '%s', 'XY', 1)", l->id,
             STORE_SRID, geom_kind_sql_name(l->geometry));
    if (exec_int(s, sql, &ok, err) != 0)
        return -1;
    if (!ok)
        return gisd_fail(err, GISD_E_INTERNAL, "store: SpatiaLite refused the geometry column of %s",
                         l->id);
    return 0;
}

int store_layer_replace_begin(store *s, const layer_def *l, gisd_error *err)
{
    char sql[1024];
    if (!table_exists(s, l->id)) {
        if (create_layer_table(s, l, err) != 0)
            return -1;
    } else {
        /* Rows go in without the R*Tree, which replace_end builds in one pass:
         * per-row index triggers make a large import several times slower. */
        snprintf(sql, sizeof sql, "SELECT DisableSpatialIndex('%s', 'geom')", l->id);
        if (exec_int(s, sql, NULL, err) != 0)
            return -1;
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS \"idx_%s_geom\"; DELETE FROM \"%s\"", l->id,
                 l->id);
        if (exec_sql(s, sql, err) != 0)
            return -1;
    }
    char ins[8192];
    size_t off = (size_t)snprintf(ins, sizeof ins, "INSERT INTO \"%s\" (", l->id);
    for (size_t i = 0; i < l->nfields; i++)
        off += (size_t)snprintf(ins + off, sizeof ins - off, "\"%s\", ", l->fields[i].name);
    off += (size_t)snprintf(ins + off, sizeof ins - off, "geom) VALUES (");
    for (size_t i = 0; i < l->nfields; i++)
        off += (size_t)snprintf(ins + off, sizeof ins - off, "?, ");
    snprintf(ins + off, sizeof ins - off, "GeomFromWKB(?, %d))", STORE_SRID);
    if (s->insert)
        sqlite3_finalize(s->insert);
    s->insert = NULL;
    if (sqlite3_prepare_v2(s->db, ins, -1, &s->insert, NULL) != SQLITE_OK)
        return sql_fail(s, err, "preparing the insert");
    s->insert_layer = l;
    return 0;
}

int store_layer_insert(store *s, const layer_def *l, const store_value *values,
                       const unsigned char *wkb, size_t wkb_len, long feature_no, gisd_error *err)
{
    if (!s->insert || s->insert_layer != l)
        return gisd_fail(err, GISD_E_INTERNAL, "store: insert into %s before replace_begin", l->id);
    sqlite3_stmt *st = s->insert;
    sqlite3_reset(st);
    for (size_t i = 0; i < l->nfields; i++) {
        int col = (int)i + 1;
        if (values[i].is_null)
            sqlite3_bind_null(st, col);
        else if (l->fields[i].type == FIELD_INTEGER)
            sqlite3_bind_int64(st, col, values[i].i);
        else if (l->fields[i].type == FIELD_REAL)
            sqlite3_bind_double(st, col, values[i].d);
        else
            sqlite3_bind_text(st, col, values[i].text, -1, SQLITE_STATIC);
    }
    sqlite3_bind_blob(st, (int)l->nfields + 1, wkb, (int)wkb_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_DONE)
        return 0;
    int ext = sqlite3_extended_errcode(s->db);
    if (ext == SQLITE_CONSTRAINT_UNIQUE)
        return gisd_fail(err, GISD_E_INPUT, "feature %ld: %s \"%s\" appears twice; ids must be unique",
                         feature_no, l->id_field,
                         values[l->id_index].text ? values[l->id_index].text : "");
    if (ext == SQLITE_CONSTRAINT_NOTNULL && strstr(sqlite3_errmsg(s->db), ".geom"))
        return gisd_fail(err, GISD_E_INPUT, "feature %ld: the store refused its geometry", feature_no);
    if (ext == SQLITE_CONSTRAINT_NOTNULL)
        return gisd_fail(err, GISD_E_INPUT, "feature %ld: %s is empty; every feature needs an id",
                         feature_no, l->id_field);
    return gisd_fail(err, GISD_E_INPUT, "feature %ld: the store refused it: %s", feature_no,
                     sqlite3_errmsg(s->db));
}

static void utc_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int store_layer_replace_end(store *s, const layer_def *l, gisd_error *err)
{
    if (s->insert) {
        sqlite3_finalize(s->insert);
        s->insert = NULL;
    }
    char sql[1024], now[32];
    snprintf(sql, sizeof sql, "SELECT CreateSpatialIndex('%s', 'geom')", l->id);
    if (exec_int(s, sql, NULL, err) != 0)
        return -1;
    utc_now(now, sizeof now);
    snprintf(sql, sizeof sql,
             "INSERT INTO gisd_layers(layer, feature_count, minx, miny, maxx, maxy, changes, updated_at)"
             " SELECT '%s', (SELECT count(*) FROM \"%s\"), MbrMinX(e), MbrMinY(e), MbrMaxX(e),"
             " MbrMaxY(e), 1, ? FROM (SELECT Extent(geom) AS e FROM \"%s\") WHERE 1"
             " ON CONFLICT(layer) DO UPDATE SET feature_count=excluded.feature_count,"
             " minx=excluded.minx, miny=excluded.miny, maxx=excluded.maxx, maxy=excluded.maxy,"
             " changes=changes+1, updated_at=excluded.updated_at",
             l->id, l->id, l->id);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sql_fail(s, err, "recording the layer's extent");
    sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(s, err, "recording the layer's extent");
}

int store_import_record(store *s, const char *file, const char *layer, long features,
                        long repaired, double seconds, gisd_error *err)
{
    sqlite3_stmt *st;
    char now[32];
    utc_now(now, sizeof now);
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO gisd_imports(file, layer, imported_at, features, repaired,"
                           " seconds) VALUES (?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(s, err, "recording the import");
    sqlite3_bind_text(st, 1, file, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, layer, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, features);
    sqlite3_bind_int64(st, 5, repaired);
    sqlite3_bind_double(st, 6, seconds);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(s, err, "recording the import");
}

int store_meta_set(store *s, const char *key, const char *value, gisd_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO gisd_meta(key, value) VALUES (?, ?)", -1,
                           &st, NULL) != SQLITE_OK)
        return sql_fail(s, err, "writing metadata");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(s, err, "writing metadata");
}

int store_meta_get(store *s, const char *key, char *buf, size_t bufsize, gisd_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM gisd_meta WHERE key = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return sql_fail(s, err, "reading metadata");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW;
    if (found)
        snprintf(buf, bufsize, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sql_fail(s, err, "reading metadata");
    return found ? 0 : 1;
}

int store_layer_changes(store *s, long long *changes, gisd_error *err)
{
    memset(changes, 0, s->reg->n * sizeof *changes);
    if (!s->changes &&
        sqlite3_prepare_v2(s->db, "SELECT layer, changes FROM gisd_layers", -1, &s->changes,
                           NULL) != SQLITE_OK)
        return sql_fail(s, err, "reading the layers' change counters");
    int rc;
    while ((rc = sqlite3_step(s->changes)) == SQLITE_ROW) {
        const layer_def *l = layer_registry_find(s->reg, (const char *)sqlite3_column_text(s->changes, 0));
        if (l)
            changes[l - s->reg->layers] = sqlite3_column_int64(s->changes, 1);
    }
    sqlite3_reset(s->changes);
    return rc == SQLITE_DONE ? 0 : sql_fail(s, err, "reading the layers' change counters");
}

int store_layer_stats_get(store *s, const layer_def *l, store_layer_stats *out, gisd_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT feature_count, minx, miny, maxx, maxy, changes, updated_at"
                           " FROM gisd_layers WHERE layer = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(s, err, "reading layer statistics");
    sqlite3_bind_text(st, 1, l->id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->count = sqlite3_column_int64(st, 0);
        out->has_extent = sqlite3_column_type(st, 1) != SQLITE_NULL;
        out->minx = sqlite3_column_double(st, 1);
        out->miny = sqlite3_column_double(st, 2);
        out->maxx = sqlite3_column_double(st, 3);
        out->maxy = sqlite3_column_double(st, 4);
        out->changes = sqlite3_column_int64(st, 5);
        snprintf(out->updated, sizeof out->updated, "%s", (const char *)sqlite3_column_text(st, 6));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sql_fail(s, err, "reading layer statistics");
    return 0;
}

int store_import_history(store *s, store_import_row **rows, size_t *n, gisd_error *err)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, file, layer, imported_at, features, repaired, seconds"
                           " FROM gisd_imports ORDER BY id DESC",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(s, err, "reading the import history");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_import_row *grown = realloc(*rows, (*n + 1) * sizeof **rows);
        if (!grown) {
            sqlite3_finalize(st);
            return gisd_fail(err, GISD_E_INTERNAL, "out of memory");
        }
        *rows = grown;
        store_import_row *r = &(*rows)[(*n)++];
        r->id = sqlite3_column_int64(st, 0);
        snprintf(r->file, sizeof r->file, "%s", (const char *)sqlite3_column_text(st, 1));
        snprintf(r->layer, sizeof r->layer, "%s", (const char *)sqlite3_column_text(st, 2));
        snprintf(r->imported_at, sizeof r->imported_at, "%s",
                 (const char *)sqlite3_column_text(st, 3));
        r->features = sqlite3_column_int64(st, 4);
        r->repaired = sqlite3_column_int64(st, 5);
        r->seconds = sqlite3_column_double(st, 6);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(s, err, "reading the import history");
}

/* ---- queries ---- */

/* A growable SQL text; truncation is reported by the caller's bound check. */
typedef struct {
    char buf[8192];
    size_t len;
} sqlbuf;

static void sb_add(sqlbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sqlbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (b->len < sizeof b->buf) {
        int n = vsnprintf(b->buf + b->len, sizeof b->buf - b->len, fmt, ap);
        b->len += n > 0 ? (size_t)n : 0;
    }
    va_end(ap);
}

/* Brings a bbox given in another CRS to the store's lon/lat. */
static int bbox_to_store(store *s, const store_query *q, double out[4], gisd_error *err)
{
    memcpy(out, q->bbox, 4 * sizeof *out);
    if (q->bbox_srid == 0 || q->bbox_srid == STORE_SRID || q->bbox_srid == 4326)
        return 0;
    sqlite3_stmt *st;
    const char *sql = "SELECT MbrMinX(t), MbrMinY(t), MbrMaxX(t), MbrMaxY(t) FROM"
                      " (SELECT ST_Transform(ST_Segmentize(BuildMbr(?, ?, ?, ?, ?),"
                      " (? - ?) / 16.0), 4490) AS t)";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sql_fail(s, err, "transforming the bbox");
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(st, i + 1, q->bbox[i]);
    sqlite3_bind_int(st, 5, q->bbox_srid);
    sqlite3_bind_double(st, 6, q->bbox[2]);
    sqlite3_bind_double(st, 7, q->bbox[0]);
    int rc = sqlite3_step(st);
    int ok = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
    for (int i = 0; ok && i < 4; i++)
        out[i] = sqlite3_column_double(st, i);
    sqlite3_finalize(st);
    if (!ok)
        return gisd_fail(err, GISD_E_INPUT, "bbox cannot be transformed from EPSG:%d to lon/lat",
                         q->bbox_srid);
    return 0;
}

/* Appends the WHERE clause; binds are recorded in order for bind_where(). */
static int build_where(store *s, const layer_def *l, const store_query *q, sqlbuf *b,
                       double bbox[4], gisd_error *err)
{
    sb_add(b, " WHERE 1");
    if (q->has_bbox) {
        if (bbox_to_store(s, q, bbox, err) != 0)
            return -1;
        sb_add(b,
               " AND fid IN (SELECT pkid FROM \"idx_%s_geom\" WHERE xmin <= ? AND xmax >= ?"
               " AND ymin <= ? AND ymax >= ?) AND ST_Intersects(geom, BuildMbr(?, ?, ?, ?, %d))",
               l->id, STORE_SRID);
    }
    for (size_t i = 0; i < q->nfilters; i++) {
        if (layer_field_index(l, q->filter_fields[i]) < 0)
            return gisd_fail(err, GISD_E_INPUT, "layer %s has no field \"%s\"", l->id,
                             q->filter_fields[i]);
        sb_add(b, " AND \"%s\" = ?", q->filter_fields[i]);
    }
    if (q->feature_id)
        sb_add(b, " AND \"%s\" = ?", l->id_field);
    return 0;
}

static int bind_where(sqlite3_stmt *st, const store_query *q, const double bbox[4])
{
    int k = 1;
    if (q->has_bbox) {
        sqlite3_bind_double(st, k++, bbox[2]);
        sqlite3_bind_double(st, k++, bbox[0]);
        sqlite3_bind_double(st, k++, bbox[3]);
        sqlite3_bind_double(st, k++, bbox[1]);
        for (int i = 0; i < 4; i++)
            sqlite3_bind_double(st, k++, bbox[i]);
    }
    for (size_t i = 0; i < q->nfilters; i++)
        sqlite3_bind_text(st, k++, q->filter_values[i], -1, SQLITE_TRANSIENT);
    if (q->feature_id)
        sqlite3_bind_text(st, k++, q->feature_id, -1, SQLITE_TRANSIENT);
    return k;
}

int store_query_count(store *s, const layer_def *l, const store_query *q, long long *out,
                      gisd_error *err)
{
    *out = 0;
    if (!table_exists(s, l->id))
        return 0;
    sqlbuf b = {.len = 0};
    double bbox[4];
    sb_add(&b, "SELECT count(*) FROM \"%s\"", l->id);
    if (build_where(s, l, q, &b, bbox, err) != 0)
        return -1;
    sqlite3_stmt *st;
    if (b.len >= sizeof b.buf)
        return gisd_fail(err, GISD_E_INPUT, "too many filters");
    if (sqlite3_prepare_v2(s->db, b.buf, -1, &st, NULL) != SQLITE_OK)
        return sql_fail(s, err, "counting features");
    bind_where(st, q, bbox);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : sql_fail(s, err, "counting features");
}

int store_cursor_open(store *s, const layer_def *l, const store_query *q, store_cursor **out,
                      gisd_error *err)
{
    *out = NULL;
    store_cursor *c = calloc(1, sizeof *c);
    if (!c)
        return gisd_fail(err, GISD_E_INTERNAL, "out of memory");
    c->layer = l;
    if (!table_exists(s, l->id)) {
        *out = c; /* a layer never imported is empty */
        return 0;
    }
    sqlbuf b = {.len = 0};
    sb_add(&b, "SELECT ");
    for (size_t i = 0; i < l->nfields; i++)
        sb_add(&b, "\"%s\", ", l->fields[i].name);
    char g[128];
    int srid = q->out_srid ? q->out_srid : STORE_SRID;
    /* EPSG:4326 output is the stored CGCS2000 as is: the two differ by centimetres. */
    if (srid == STORE_SRID || srid == 4326)
        snprintf(g, sizeof g, "%sgeom%s", q->swap_axes ? "SwapCoordinates(" : "",
                 q->swap_axes ? ")" : "");
    else
        snprintf(g, sizeof g, "%sST_Transform(geom, %d)%s", q->swap_axes ? "SwapCoordinates(" : "",
                 srid, q->swap_axes ? ")" : "");
    c->has_geom = q->geom_format != STORE_GEOM_NONE;
    if (q->geom_format == STORE_GEOM_WKB)
        sb_add(&b, "ST_AsBinary(%s)", g);
    else if (q->geom_format == STORE_GEOM_GEOJSON)
        sb_add(&b, "AsGeoJSON(%s, %d)", g, q->precision > 0 ? q->precision : 7);
    else
        sb_add(&b, "NULL");
    sb_add(&b, " FROM \"%s\"", l->id);
    double bbox[4];
    if (build_where(s, l, q, &b, bbox, err) != 0) {
        store_cursor_free(c);
        return -1;
    }
    sb_add(&b, " ORDER BY fid LIMIT ? OFFSET ?");
    if (b.len >= sizeof b.buf) {
        store_cursor_free(c);
        return gisd_fail(err, GISD_E_INPUT, "too many filters");
    }
    if (sqlite3_prepare_v2(s->db, b.buf, -1, &c->stmt, NULL) != SQLITE_OK) {
        sql_fail(s, err, "reading features");
        store_cursor_free(c);
        return -1;
    }
    int k = bind_where(c->stmt, q, bbox);
    sqlite3_bind_int64(c->stmt, k++, q->limit);
    sqlite3_bind_int64(c->stmt, k, q->offset);
    *out = c;
    return 0;
}

int store_cursor_next(store_cursor *c, gisd_error *err)
{
    if (!c->stmt)
        return 0;
    int rc = sqlite3_step(c->stmt);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return gisd_fail(err, GISD_E_INTERNAL, "store: reading %s: %s", c->layer->id,
                     sqlite3_errmsg(sqlite3_db_handle(c->stmt)));
}

int store_cursor_is_null(store_cursor *c, size_t f)
{
    return sqlite3_column_type(c->stmt, (int)f) == SQLITE_NULL;
}

const char *store_cursor_text(store_cursor *c, size_t f)
{
    const unsigned char *t = sqlite3_column_text(c->stmt, (int)f);
    return t ? (const char *)t : "";
}

long long store_cursor_int(store_cursor *c, size_t f) { return sqlite3_column_int64(c->stmt, (int)f); }
double store_cursor_real(store_cursor *c, size_t f) { return sqlite3_column_double(c->stmt, (int)f); }

const void *store_cursor_geom(store_cursor *c, size_t *len)
{
    int col = (int)c->layer->nfields;
    if (!c->has_geom || sqlite3_column_type(c->stmt, col) == SQLITE_NULL) {
        *len = 0;
        return NULL;
    }
    const void *p = sqlite3_column_blob(c->stmt, col);
    *len = (size_t)sqlite3_column_bytes(c->stmt, col);
    return p;
}

void store_cursor_free(store_cursor *c)
{
    if (!c)
        return;
    if (c->stmt)
        sqlite3_finalize(c->stmt);
    free(c);
}
