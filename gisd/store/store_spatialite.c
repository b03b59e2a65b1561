/* The SpatiaLite backend of store.h (store_backend.h): the embedded store's SQL lives here. */
#include "store_backend.h"

#include <glib.h>
#include <sqlite3.h>
/* spatialite.h needs sqlite3.h first */
#include <spatialite.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cancel.h"
#include "cql2_text.h"
#include "file_sig.h"
#include "store_cql.h"
#include "crs.h"
#include "xalloc.h"

#define STMT_CACHE 24

/* A replace writes every page of the layer, its id index and then its
 * R*Tree inside one transaction: with SQLite's 2 MB page cache the pages
 * spill to the WAL over and over while the rows go in. The cache is raised
 * for the replace and given back at its end. */
#define REPLACE_CACHE "PRAGMA cache_size=-262144"
#define DEFAULT_CACHE "PRAGMA cache_size=-2000"

typedef struct sl_store sl_store;
typedef struct sl_cursor sl_cursor;

static void sl_close(store *h);
static void sl_rollback(store *h);
static void sl_cursor_free(store_cursor *cb);

struct sl_store {
    store base; /* first: a store * is this handle */
    sqlite3 *db;
    void *splite; /* SpatiaLite's per-connection cache */
    const layer_registry *reg;
    sqlite3_stmt *insert; /* the prepared insert of the layer being replaced */
    sqlite3_stmt *changes; /* prepared once: asked on every tile request */
    /* The change counters last read, reused while the WAL is untouched (see
     * sl_layer_changes); NULL until first read. */
    struct {
        int wal_fd; /* the -wal file held open, or -1 */
        long long *counts;
        file_sig sig;
        double read_at; /* cancel_now() */
        int settled;    /* both files were older than SIG_RACY_S when read */
    } chg;
    const layer_def *insert_layer;
    int immutable; /* opened read-only with immutable=1: no writer's change is seen */
    /* The statements of the reading queries, kept prepared: a request's
     * queries repeat, and preparing them again costs more than running them. */
    struct {
        char *sql; /* sqlite3_malloc'd */
        sqlite3_stmt *st;
        int in_use;
    } cache[STMT_CACHE];
    unsigned cache_next;
};

struct sl_cursor {
    store_cursor base; /* first: a store_cursor * is this cursor */
    sl_store *s;
    sqlite3_stmt *stmt;
    const layer_def *layer;
    int has_geom;
};

/* A prepared statement for sql (taken: sqlite3_malloc'd), from the cache when
 * it holds one that no one uses; give it back with stmt_release. */
static int stmt_acquire(sl_store *s, char *sql, sqlite3_stmt **out)
{
    for (unsigned i = 0; i < STMT_CACHE; i++)
        if (s->cache[i].sql && !s->cache[i].in_use && strcmp(s->cache[i].sql, sql) == 0) {
            s->cache[i].in_use = 1;
            sqlite3_free(sql);
            *out = s->cache[i].st;
            return SQLITE_OK;
        }
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_free(sql);
        return rc;
    }
    /* into the next slot no one uses; when all are in use it stays uncached */
    for (unsigned k = 0; k < STMT_CACHE; k++) {
        unsigned i = (s->cache_next + k) % STMT_CACHE;
        if (s->cache[i].in_use)
            continue;
        sqlite3_finalize(s->cache[i].st);
        sqlite3_free(s->cache[i].sql);
        s->cache[i].sql = sql;
        s->cache[i].st = *out;
        s->cache[i].in_use = 1;
        s->cache_next = i + 1;
        return SQLITE_OK;
    }
    sqlite3_free(sql);
    return SQLITE_OK;
}

static void stmt_release(sl_store *s, sqlite3_stmt *st)
{
    for (unsigned i = 0; i < STMT_CACHE; i++)
        if (s->cache[i].st == st && s->cache[i].in_use) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            s->cache[i].in_use = 0;
            return;
        }
    sqlite3_finalize(st);
}

/* The kind of a failed call, from SQLite's code: a full disk, a damaged file
 * and a cancelled query are not the bugs that the rest are. */
static int sql_code_fail(int code, gisd_error *err, const char *what, const char *msg)
{
    switch (code & 0xFF) {
    case SQLITE_FULL:
        return gisd_fail(err, GISD_E_NOSPACE, "the disk is full (%s: %s); nothing was written",
                         what, msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return gisd_fail(err, GISD_E_IO, "the store is damaged (%s: %s); restore it from a backup",
                         what, msg);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        return gisd_fail(err, GISD_E_IO, "the store cannot be read or written (%s: %s)", what, msg);
    case SQLITE_MISMATCH: /* a filter whose arithmetic cannot be evaluated */
        return gisd_fail(err, GISD_E_INPUT, "%s", msg);
    case SQLITE_INTERRUPT:
        return gisd_fail(err, GISD_E_TIMEOUT, "cancelled at its deadline or at shutdown (%s)", what);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return gisd_fail(err, GISD_E_BUSY, "the store is busy (%s: %s); retry", what, msg);
    default:
        return gisd_fail(err, GISD_E_INTERNAL, "store: %s: %s", what, msg);
    }
}

static int sql_fail(sl_store *s, gisd_error *err, const char *what)
{
    return sql_code_fail(sqlite3_extended_errcode(s->db), err, what, sqlite3_errmsg(s->db));
}

static int exec_sql(sl_store *s, const char *sql, gisd_error *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        sql_code_fail(rc == SQLITE_ABORT ? rc : sqlite3_extended_errcode(s->db), err, sql,
                      msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Runs sql (from sql_text) and frees it. */
static int exec_owned(sl_store *s, char *sql, gisd_error *err)
{
    int rc = exec_sql(s, sql, err);
    sqlite3_free(sql);
    return rc;
}

/* The progress handler of every connection: a query of a cancelled request stops. */
/* CQL2's CASEI, ACCENTI and LIKE as SQL functions of every connection. */
static void sql_text_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    if (!s) {
        sqlite3_result_null(ctx);
        return;
    }
    char *(*fn)(const char *) = (char *(*)(const char *))sqlite3_user_data(ctx);
    char *r = fn(s);
    sqlite3_result_text(ctx, r, -1, free);
}

static void sql_like_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *s = (const char *)sqlite3_value_text(argv[0]), *p = (const char *)sqlite3_value_text(argv[1]);
    int m = s && p ? cql2_like(s, p) : 0;
    if (!s || !p)
        sqlite3_result_null(ctx);
    else if (m < 0) /* past the filter's deadline: the statement ends as the progress handler would end it */
        sqlite3_result_error_code(ctx, SQLITE_INTERRUPT);
    else
        sqlite3_result_int(ctx, m);
}

/* CQL2's arithmetic as PostgreSQL computes it in double precision (the
 * other store): the same operations in the same order give the same bits.
 * A result out of range (or an underflow to zero, which PostgreSQL also
 * refuses) ends the statement with SQLITE_MISMATCH, which gisd answers 400. */
static void sql_arith_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[1]) == SQLITE_NULL || sqlite3_value_type(argv[2]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    int op = sqlite3_value_int(argv[0]);
    double a = sqlite3_value_double(argv[1]), b = sqlite3_value_double(argv[2]), r = 0;
    if ((op == CQL_DIV || op == CQL_MOD || op == CQL_INTDIV) && b == 0) {
        sqlite3_result_null(ctx);
        return;
    }
    int under = 0;
    switch (op) {
    case CQL_ADD: r = a + b; break;
    case CQL_SUB: r = a - b; break;
    case CQL_MUL: r = a * b; under = r == 0 && a != 0 && b != 0; break;
    case CQL_DIV: r = a / b; under = r == 0 && a != 0; break;
    case CQL_MOD: r = a - b * trunc(a / b); break;
    case CQL_INTDIV: r = trunc(a / b); break;
    default: r = pow(a, b); under = r == 0 && a != 0; break;
    }
    if (!isfinite(r) || under) {
        char msg[160];
        snprintf(msg, sizeof msg, "filter: arithmetic %s (%.17g and %.17g)",
                 under ? "underflows to zero" : isnan(r) ? "is undefined" : "overflows", a, b);
        sqlite3_result_error(ctx, msg, -1);
        sqlite3_result_error_code(ctx, SQLITE_MISMATCH);
        return;
    }
    sqlite3_result_double(ctx, r);
}

static int register_functions(sqlite3 *db)
{
    const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
    return sqlite3_create_function_v2(db, "gisd_casei", 1, flags, (void *)cql2_casefold, sql_text_fn, NULL, NULL, NULL) ||
           sqlite3_create_function_v2(db, "gisd_accenti", 1, flags, (void *)cql2_strip_accents, sql_text_fn, NULL,
                                      NULL, NULL) ||
           sqlite3_create_function_v2(db, "gisd_like", 2, flags, NULL, sql_like_fn, NULL, NULL, NULL) ||
           sqlite3_create_function_v2(db, "gisd_arith", 3, flags, NULL, sql_arith_fn, NULL, NULL, NULL);
}

static int progress_cancel(void *unused)
{
    (void)unused;
    return cancel_requested();
}

/* Runs a statement that yields one integer (SELECT AddGeometryColumn(...)); frees sql. */
static int exec_int(sl_store *s, char *sql, long long *out, gisd_error *err)
{
    sqlite3_stmt *st;
    int rc = -1;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sql_fail(s, err, sql);
    } else {
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW && out)
            *out = sqlite3_column_int64(st, 0);
        rc = step == SQLITE_ROW || step == SQLITE_DONE ? 0 : sql_fail(s, err, sql);
        sqlite3_finalize(st);
    }
    sqlite3_free(sql);
    return rc;
}

static int table_exists(sl_store *s, const char *name)
{
    sqlite3_stmt *st;
    if (stmt_acquire(s, store_sql_text("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?"), &st) !=
        SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int found = sqlite3_step(st) == SQLITE_ROW;
    stmt_release(s, st);
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

/* The editing tables, added to stores made before gisd could edit. */
static const char EDIT_SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS gisd_history(id INTEGER PRIMARY KEY, at TEXT NOT NULL, who TEXT NOT NULL,"
    " layer TEXT NOT NULL, feature TEXT, action TEXT NOT NULL, before TEXT, after TEXT, note TEXT);"
    "CREATE INDEX IF NOT EXISTS gisd_history_feature ON gisd_history(layer, feature);"
    "CREATE TABLE IF NOT EXISTS gisd_tokens(name TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE,"
    " scope TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT);";

/* InitSpatialMetadata(1) runs its own transaction, so it cannot share ours. */
static int init_schema(sl_store *s, gisd_error *err)
{
    if (exec_int(s, store_sql_text("SELECT InitSpatialMetadata(1)"), NULL, err) != 0 ||
        exec_sql(s, "BEGIN", err) != 0)
        return -1;
    if (exec_sql(s, SCHEMA, err) != 0) {
        sl_rollback(&s->base);
        return -1;
    }
    return exec_sql(s, "COMMIT", err);
}

static void sl_discard_created(const char *path)
{
    size_t n = strlen(path);
    char *side = xmalloc(n + 5);
    unlink(path);
    memcpy(side, path, n);
    memcpy(side + n, "-wal", 5);
    unlink(side);
    memcpy(side + n, "-shm", 5);
    unlink(side);
    free(side);
}

static void sl_global_init(void)
{
    /* SQLite's memory statistics take one process-wide mutex on every
     * allocation: with many request threads that lock is the bottleneck.
     * gisd never reads those statistics. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* 1 when the schema can be read (a WAL store needs its -shm file for that). */
static int readable(sl_store *s)
{
    return sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) == SQLITE_OK;
}

/* 1 when the directory holding path cannot be written by us. */
static int access_dir_readonly(const char *path)
{
    char *dir = store_sql_text("%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir ? 1 : 0] = '\0';
    int ro = access(slash ? dir : ".", W_OK) != 0;
    sqlite3_free(dir);
    return ro;
}

/* "file:PATH?immutable=1" with the characters a URI gives meaning to
 * percent-encoded; sqlite3_free it. */
static char *immutable_uri(const char *path)
{
    sqlite3_str *b = sqlite3_str_new(NULL);
    sqlite3_str_appendall(b, "file:");
    for (const char *p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            sqlite3_str_appendf(b, "%%%02X", (unsigned char)*p);
        else
            sqlite3_str_appendchar(b, 1, *p);
    }
    sqlite3_str_appendall(b, "?immutable=1");
    char *uri = sqlite3_str_finish(b);
    if (!uri) {
        fprintf(stderr, "gisd: out of memory building a URI\n");
        abort();
    }
    return uri;
}

static int sl_open(const char *path, store_mode mode, const layer_registry *reg, store **out,
               int *created, gisd_error *err)
{
    *out = NULL;
    if (created)
        *created = 0;
    int exists = access(path, F_OK) == 0;
    if (!exists && mode == STORE_READONLY)
        return gisd_fail(err, GISD_E_IO,
                         "no store at %s: import data first (gisd import --db %s ...)", path, path);
    sl_store *s = xcalloc(1, sizeof *s);
    s->chg.wal_fd = -1;
    s->base.ops = &store_spatialite_ops;
    s->base.reg = reg;
    s->reg = reg;
    int flags = mode == STORE_READONLY ? SQLITE_OPEN_READONLY
                                       : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        gisd_fail(err, GISD_E_IO, "cannot open the store %s: %s", path,
                  s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sl_close(&s->base);
        return -1;
    }
    if (mode == STORE_READONLY && !readable(s) && access_dir_readonly(path)) {
        /* A WAL store in a directory we cannot write: SQLite cannot make the
         * -shm file readers share, so read it as an unchanging file. */
        sqlite3_close_v2(s->db);
        s->db = NULL;
        char *uri = immutable_uri(path);
        int rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
        sqlite3_free(uri);
        if (rc != SQLITE_OK) {
            gisd_fail(err, GISD_E_IO, "cannot open the store %s read-only: %s", path,
                      s->db ? sqlite3_errmsg(s->db) : "out of memory");
            sl_close(&s->base);
            return -1;
        }
        s->immutable = 1;
    }
    sqlite3_busy_timeout(s->db, 30000);
    sqlite3_progress_handler(s->db, 1000, progress_cancel, NULL);
    if (register_functions(s->db) != SQLITE_OK) {
        gisd_fail(err, GISD_E_INTERNAL, "cannot register gisd's SQL functions: %s", sqlite3_errmsg(s->db));
        sl_close(&s->base);
        return -1;
    }
    s->splite = spatialite_alloc_connection();
    spatialite_init_ex(s->db, s->splite, 0);
    if (mode == STORE_READWRITE) {
        if (exec_sql(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", err) != 0) {
            sl_close(&s->base);
            return -1;
        }
        if (!table_exists(s, "gisd_meta")) {
            if (init_schema(s, err) != 0) {
                sl_close(&s->base);
                return -1;
            }
        }
        if (!table_exists(s, "gisd_tokens") && exec_sql(s, EDIT_SCHEMA, err) != 0) {
            sl_close(&s->base);
            return -1;
        }
        if (created)
            *created = !exists;
    } else if (!table_exists(s, "gisd_meta")) {
        int code = sqlite3_extended_errcode(s->db);
        if (code != SQLITE_OK && code != SQLITE_DONE && code != SQLITE_ROW) {
            sql_fail(s, err, path);
            sl_close(&s->base);
            return -1;
        }
        sl_close(&s->base);
        return gisd_fail(err, GISD_E_INPUT, "%s is not a gisd store (no gisd_meta table)", path);
    }
    *out = &s->base;
    return 0;
}

static void sl_close(store *h)
{
    sl_store *s = (sl_store *)h;
    if (!s)
        return;
    if (s->insert)
        sqlite3_finalize(s->insert);
    if (s->changes)
        sqlite3_finalize(s->changes);
    free(s->chg.counts);
    if (s->chg.wal_fd >= 0)
        close(s->chg.wal_fd);
    for (unsigned i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(s->cache[i].st);
        sqlite3_free(s->cache[i].sql);
    }
    if (s->db)
        sqlite3_close_v2(s->db);
    if (s->splite)
        spatialite_cleanup_ex(s->splite);
    free(s);
}

static int sl_begin(store *h, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    return exec_sql(s, "BEGIN IMMEDIATE", err);
}

static int sl_read_begin(store *h, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    return exec_sql(s, "BEGIN", err);
}

static void sl_read_end(store *h)
{
    sl_store *s = (sl_store *)h;
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
}

static int sl_commit(store *h, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    if (s->insert) {
        sqlite3_finalize(s->insert);
        s->insert = NULL;
    }
    return exec_sql(s, "COMMIT", err);
}

static void sl_rollback(store *h)
{
    sl_store *s = (sl_store *)h;
    if (s->insert) {
        sqlite3_finalize(s->insert);
        s->insert = NULL;
    }
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_exec(s->db, DEFAULT_CACHE, NULL, NULL, NULL); /* after a replace's */
}

static const char *sql_type(field_type t)
{
    return t == FIELD_INTEGER || t == FIELD_BOOLEAN ? "INTEGER" : t == FIELD_REAL ? "REAL" : "TEXT";
}

/* Text from a sqlite3_str; aborts when SQLite ran out of memory. */
static int create_layer_table(sl_store *s, const layer_def *l, gisd_error *err)
{
    sqlite3_str *b = sqlite3_str_new(s->db);
    sqlite3_str_appendf(b, "CREATE TABLE \"%w\" (fid INTEGER PRIMARY KEY", l->id);
    for (size_t i = 0; i < l->nfields; i++)
        sqlite3_str_appendf(b, ", \"%w\" %s%s", l->fields[i].name, sql_type(l->fields[i].type),
                            i == l->id_index ? " NOT NULL UNIQUE" : "");
    sqlite3_str_appendall(b, ")");
    if (exec_owned(s, store_sql_finish(b), err) != 0)
        return -1;
    long long ok = 0;
    if (exec_int(s, store_sql_text("SELECT AddGeometryColumn(%Q, 'geom', %d, %Q, 'XY', 1)", l->id,
                             STORE_SRID, geom_kind_sql_name(l->geometry)),
                 &ok, err) != 0)
        return -1;
    if (!ok)
        return gisd_fail(err, GISD_E_INTERNAL, "store: SpatiaLite refused the geometry column of %s",
                         l->id);
    return 0;
}

static int sl_layer_replace_begin(store *h, const layer_def *l, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    if (exec_sql(s, REPLACE_CACHE, err) != 0)
        return -1;
    if (!table_exists(s, l->id)) {
        if (create_layer_table(s, l, err) != 0)
            return -1;
    } else {
        /* Rows go in without the R*Tree, which replace_end builds in one pass:
         * per-row index triggers make a large import several times slower. */
        if (exec_int(s, store_sql_text("SELECT DisableSpatialIndex(%Q, 'geom')", l->id), NULL, err) != 0 ||
            exec_owned(s, store_sql_text("DROP TABLE IF EXISTS \"idx_%w_geom\"; DELETE FROM \"%w\"",
                                   l->id, l->id), err) != 0)
            return -1;
    }
    sqlite3_str *b = sqlite3_str_new(s->db);
    /* a layer without an id field keeps its source's FIDs as its own */
    sqlite3_str_appendf(b, "INSERT INTO \"%w\" (%s", l->id, l->id_field ? "" : "fid, ");
    for (size_t i = 0; i < l->nfields; i++)
        sqlite3_str_appendf(b, "\"%w\", ", l->fields[i].name);
    sqlite3_str_appendall(b, "geom) VALUES (");
    for (size_t i = 0; i < l->nfields + (l->id_field ? 0 : 1); i++)
        sqlite3_str_appendall(b, "?, ");
    sqlite3_str_appendf(b, "GeomFromWKB(?, %d))", STORE_SRID);
    char *ins = store_sql_finish(b);
    if (s->insert)
        sqlite3_finalize(s->insert);
    s->insert = NULL;
    int rc = sqlite3_prepare_v2(s->db, ins, -1, &s->insert, NULL);
    sqlite3_free(ins);
    if (rc != SQLITE_OK)
        return sql_fail(s, err, "preparing the insert");
    s->insert_layer = l;
    return 0;
}

static int sl_layer_insert(store *h, const layer_def *l, const store_value *values,
                       const unsigned char *wkb, size_t wkb_len, long feature_no, long long source_fid,
                       gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    if (!s->insert || s->insert_layer != l)
        return gisd_fail(err, GISD_E_INTERNAL, "store: insert into %s before replace_begin", l->id);
    sqlite3_stmt *st = s->insert;
    sqlite3_reset(st);
    int shift = l->id_field ? 0 : 1;
    if (shift && source_fid >= 0)
        sqlite3_bind_int64(st, 1, source_fid);
    else if (shift)
        sqlite3_bind_null(st, 1);
    for (size_t i = 0; i < l->nfields; i++) {
        int col = (int)i + 1 + shift;
        if (values[i].is_null)
            sqlite3_bind_null(st, col);
        else if (l->fields[i].type == FIELD_INTEGER || l->fields[i].type == FIELD_BOOLEAN)
            sqlite3_bind_int64(st, col, values[i].i);
        else if (l->fields[i].type == FIELD_REAL)
            sqlite3_bind_double(st, col, values[i].d);
        else
            sqlite3_bind_text(st, col, values[i].text, -1, SQLITE_STATIC);
    }
    sqlite3_bind_blob(st, (int)l->nfields + 1 + shift, wkb, (int)wkb_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_DONE)
        return 0;
    int ext = sqlite3_extended_errcode(s->db);
    if (!l->id_field && (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE))
        return gisd_fail(err, GISD_E_INPUT, "feature %ld: its FID %lld appears twice", feature_no, source_fid);
    if (ext == SQLITE_CONSTRAINT_UNIQUE)
        return gisd_fail(err, GISD_E_INPUT, "feature %ld: %s \"%s\" appears twice; ids must be unique",
                         feature_no, l->id_field,
                         values[l->id_index].text ? values[l->id_index].text : "");
    if (ext == SQLITE_CONSTRAINT_NOTNULL && strstr(sqlite3_errmsg(s->db), ".geom"))
        return gisd_fail(err, GISD_E_INPUT, "feature %ld: the store refused its geometry", feature_no);
    if (ext == SQLITE_CONSTRAINT_NOTNULL)
        return gisd_fail(err, GISD_E_INPUT, "feature %ld: %s is empty; every feature needs an id",
                         feature_no, layer_id_column(l));
    if ((ext & 0xFF) != SQLITE_CONSTRAINT && (ext & 0xFF) != SQLITE_MISMATCH)
        return sql_fail(s, err, "inserting a feature");
    return gisd_fail(err, GISD_E_INPUT, "feature %ld: the store refused it: %s", feature_no,
                     sqlite3_errmsg(s->db));
}

static int sl_layer_touch(store *h, const layer_def *l, gisd_error *err);
static int prepare_str(sl_store *s, sqlite3_str *b, sqlite3_stmt **st, const char *what, gisd_error *err);

static int sl_layer_replace_end(store *h, const layer_def *l, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    if (s->insert) {
        sqlite3_finalize(s->insert);
        s->insert = NULL;
    }
    if (exec_int(s, store_sql_text("SELECT CreateSpatialIndex(%Q, 'geom')", l->id), NULL, err) != 0 ||
        sl_layer_touch(h, l, err) != 0)
        return -1;
    return exec_sql(s, DEFAULT_CACHE, err);
}

static int sl_layer_touch(store *h, const layer_def *l, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    char now[32];
    store_utc_now(now, sizeof now);
    char *sql = store_sql_text(
        "INSERT INTO gisd_layers(layer, feature_count, minx, miny, maxx, maxy, changes, updated_at)"
        " SELECT %Q, (SELECT count(*) FROM \"%w\"), MbrMinX(e), MbrMinY(e), MbrMaxX(e),"
        " MbrMaxY(e), 1, ? FROM (SELECT Extent(geom) AS e FROM \"%w\") WHERE 1"
        " ON CONFLICT(layer) DO UPDATE SET feature_count=excluded.feature_count,"
        " minx=excluded.minx, miny=excluded.miny, maxx=excluded.maxx, maxy=excluded.maxy,"
        " changes=changes+1, updated_at=excluded.updated_at",
        l->id, l->id, l->id);
    sqlite3_stmt *st;
    int prc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    sqlite3_free(sql);
    if (prc != SQLITE_OK)
        return sql_fail(s, err, "recording the layer's extent");
    sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(s, err, "recording the layer's extent");
}

static int sl_import_record(store *h, const char *file, const char *layer, long features,
                        long repaired, double seconds, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    sqlite3_stmt *st;
    char now[32];
    store_utc_now(now, sizeof now);
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
    if (rc != SQLITE_DONE)
        return sql_fail(s, err, "recording the import");
    /* the history has every change, imports too (they cannot be reverted one feature at a time) */
    if (sqlite3_prepare_v2(s->db, "INSERT INTO gisd_history(at, who, layer, action, note) VALUES (?, 'import', ?, 'import', ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(s, err, "recording the import in the history");
    char note[1200];
    snprintf(note, sizeof note, "%s: %ld features", file, features);
    sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, layer, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, note, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(s, err, "recording the import in the history");
}

/* ---- editing ---- */

static store_found sl_feature_read(store *h, const layer_def *l, const char *id, char **geojson, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    *geojson = NULL;
    if (!table_exists(s, l->id))
        return STORE_ABSENT;
    sqlite3_str *b = sqlite3_str_new(s->db);
    sqlite3_str_appendf(b, "SELECT json_object('type', 'Feature', 'id', \"%w\", 'geometry', json(AsGeoJSON(geom, 9)),"
                           " 'properties', json_object(", layer_id_column(l));
    for (size_t i = 0; i < l->nfields; i++)
        sqlite3_str_appendf(b, l->fields[i].type == FIELD_BOOLEAN ? "%s%Q, json(CASE WHEN \"%w\" IS NULL THEN 'null' "
                                                                    "WHEN \"%w\" THEN 'true' ELSE 'false' END)"
                                                                  : "%s%Q, \"%w\"",
                            i ? ", " : "", l->fields[i].name, l->fields[i].name, l->fields[i].name);
    sqlite3_str_appendall(b, ")) FROM ");
    store_sql_layer_from(b, h, l);
    sqlite3_str_appendf(b, " WHERE \"%w\" = ?", layer_id_column(l));
    sqlite3_stmt *st;
    if (prepare_str(s, b, &st, "reading a feature", err) != 0)
        return STORE_FAILED;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *geojson = xstrdup((const char *)sqlite3_column_text(st, 0));
    store_found out = rc == SQLITE_ROW ? STORE_FOUND : rc == SQLITE_DONE ? STORE_ABSENT
                                                                         : (sql_fail(s, err, "reading a feature"), STORE_FAILED);
    stmt_release(s, st);
    return out;
}

static void bind_values(sqlite3_stmt *st, const layer_def *l, const store_value *v)
{
    for (size_t i = 0; i < l->nfields; i++) {
        int col = (int)i + 1;
        if (v[i].is_null)
            sqlite3_bind_null(st, col);
        else if (l->fields[i].type == FIELD_INTEGER || l->fields[i].type == FIELD_BOOLEAN)
            sqlite3_bind_int64(st, col, v[i].i);
        else if (l->fields[i].type == FIELD_REAL)
            sqlite3_bind_double(st, col, v[i].d);
        else
            sqlite3_bind_text(st, col, v[i].text, -1, SQLITE_TRANSIENT);
    }
}

static int sl_edit_begin(store *h, const layer_def *l, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    if (exec_sql(s, "BEGIN IMMEDIATE", err) != 0)
        return -1;
    if (!table_exists(s, l->id) && (create_layer_table(s, l, err) != 0 ||
                                    exec_int(s, store_sql_text("SELECT CreateSpatialIndex(%Q, 'geom')", l->id), NULL, err) != 0)) {
        sl_rollback(h);
        return -1;
    }
    return 0;
}

static int sl_edit_row(store *h, const layer_def *l, const store_edit *e, const char *id, char new_id[64],
                       gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    sqlite3_str *b = sqlite3_str_new(s->db);
    if (e->kind == STORE_CREATE) {
        sqlite3_str_appendf(b, "INSERT INTO \"%w\" (", l->id);
        for (size_t i = 0; i < l->nfields; i++)
            sqlite3_str_appendf(b, "\"%w\", ", l->fields[i].name);
        sqlite3_str_appendall(b, "geom) VALUES (");
        for (size_t i = 0; i < l->nfields; i++)
            sqlite3_str_appendall(b, "?, ");
        sqlite3_str_appendf(b, "GeomFromWKB(?, %d))", STORE_SRID);
    } else if (e->kind == STORE_REPLACE) {
        sqlite3_str_appendf(b, "UPDATE \"%w\" SET ", l->id);
        for (size_t i = 0; i < l->nfields; i++)
            sqlite3_str_appendf(b, "\"%w\" = ?, ", l->fields[i].name);
        sqlite3_str_appendf(b, "geom = GeomFromWKB(?, %d) WHERE \"%w\" = ?", STORE_SRID, layer_id_column(l));
    } else {
        sqlite3_str_appendf(b, "DELETE FROM \"%w\" WHERE \"%w\" = ?", l->id, layer_id_column(l));
    }
    char *sql = store_sql_finish(b);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return sql_fail(s, err, "preparing the write");
    int k = 1;
    if (e->kind != STORE_DELETE) {
        bind_values(st, l, e->values);
        k = (int)l->nfields + 1;
        sqlite3_bind_blob(st, k++, e->wkb, (int)e->wkb_len, SQLITE_TRANSIENT);
    }
    if (e->kind != STORE_CREATE)
        sqlite3_bind_text(st, k, id, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    int ext = sqlite3_extended_errcode(s->db);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE && !id)
        snprintf(new_id, 64, "%lld", (long long)sqlite3_last_insert_rowid(s->db));
    if (rc == SQLITE_DONE)
        return 0;
    if ((ext & 0xFF) == SQLITE_CONSTRAINT || (ext & 0xFF) == SQLITE_MISMATCH)
        return gisd_fail(err, GISD_E_INPUT, "the store refused the feature: %s", msg);
    return sql_fail(s, err, "writing the feature");
}

static int sl_history_add(store *h, const store_history_row *row, long long *change, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO gisd_history(at, who, layer, feature, action, before, after, note)"
                                  " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
        return sql_fail(s, err, "recording the change");
    const char *v[8] = {row->at, row->who, row->layer, row->feature, row->action, row->before, row->after, row->note};
    for (int i = 0; i < 8; i++)
        if (v[i])
            sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sql_fail(s, err, "recording the change");
    *change = sqlite3_last_insert_rowid(s->db);
    return 0;
}

static int sl_history(store *h, const char *layer, const char *feature, long long change, json_t **out,
                  gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    *out = json_array();
    if (!table_exists(s, "gisd_history"))
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT id, at, who, layer, feature, action, before, after, note FROM gisd_history"
                                  " WHERE (?1 IS NULL OR layer = ?1) AND (?2 IS NULL OR feature = ?2)"
                                  " AND (?3 = 0 OR id = ?3) ORDER BY id", -1, &st, NULL) != SQLITE_OK) {
        json_decref(*out);
        *out = NULL;
        return sql_fail(s, err, "reading the history");
    }
    if (layer)
        sqlite3_bind_text(st, 1, layer, -1, SQLITE_TRANSIENT);
    if (feature)
        sqlite3_bind_text(st, 2, feature, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, change);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *row = json_pack("{s:I}", "change", (json_int_t)sqlite3_column_int64(st, 0));
        static const char *const COLS[] = {NULL, "at", "who", "layer", "feature", "action", "before", "after", "note"};
        for (int c = 1; c < 9; c++) {
            const char *t = (const char *)sqlite3_column_text(st, c);
            json_t *v = !t ? json_null() : (c == 6 || c == 7) ? json_loads(t, 0, NULL) : json_string(t);
            json_object_set_new(row, COLS[c], v ? v : json_null());
        }
        json_array_append_new(*out, row);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return 0;
    json_decref(*out);
    *out = NULL;
    return sql_fail(s, err, "reading the history");
}

static int sl_token_add(store *h, const char *name, const char *scope, const char *hash, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    char now[32];
    store_utc_now(now, sizeof now);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO gisd_tokens(name, hash, scope, created_at) VALUES (?, ?, ?, ?)", -1,
                           &st, NULL) != SQLITE_OK)
        return sql_fail(s, err, "storing the token");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, scope, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int ext = sqlite3_extended_errcode(s->db);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return 0;
    if ((ext & 0xFF) == SQLITE_CONSTRAINT)
        return gisd_fail(err, GISD_E_CONFLICT, "there is a token called \"%s\" already", name);
    return sql_fail(s, err, "storing the token");
}

static int sl_token_revoke(store *h, const char *name, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    char now[32];
    store_utc_now(now, sizeof now);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "UPDATE gisd_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", -1,
                           &st, NULL) != SQLITE_OK)
        return sql_fail(s, err, "revoking the token");
    sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sql_fail(s, err, "revoking the token");
    if (sqlite3_changes(s->db) == 0)
        return gisd_fail(err, GISD_E_NOTFOUND, "there is no live token called \"%s\"", name);
    return 0;
}

static int sl_token_list(store *h, json_t **out, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    *out = json_array();
    if (!table_exists(s, "gisd_tokens"))
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT name, scope, created_at, revoked_at FROM gisd_tokens ORDER BY name", -1,
                           &st, NULL) != SQLITE_OK) {
        json_decref(*out);
        *out = NULL;
        return sql_fail(s, err, "listing the tokens");
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *revoked = (const char *)sqlite3_column_text(st, 3);
        json_array_append_new(*out, json_pack("{s:s, s:s, s:s, s:s?}", "name", sqlite3_column_text(st, 0), "scope",
                                              sqlite3_column_text(st, 1), "created_at", sqlite3_column_text(st, 2),
                                              "revoked_at", revoked));
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return 0;
    json_decref(*out);
    *out = NULL;
    return sql_fail(s, err, "listing the tokens");
}

static store_found sl_token_find(store *h, const char *hash, char name[128], char scope[512], gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    if (!table_exists(s, "gisd_tokens"))
        return STORE_ABSENT;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT name, scope FROM gisd_tokens WHERE hash = ? AND revoked_at IS NULL", -1, &st,
                           NULL) != SQLITE_OK)
        return sql_fail(s, err, "checking the token"), STORE_FAILED;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(name, 128, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(scope, 512, "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_FOUND : rc == SQLITE_DONE ? STORE_ABSENT : (sql_fail(s, err, "checking the token"), STORE_FAILED);
}

static int sl_meta_set(store *h, const char *key, const char *value, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
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

static store_found sl_meta_get(store *h, const char *key, char *buf, size_t bufsize, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM gisd_meta WHERE key = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return sql_fail(s, err, "reading metadata"), STORE_FAILED;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW;
    if (found)
        snprintf(buf, bufsize, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sql_fail(s, err, "reading metadata"), STORE_FAILED;
    return found ? STORE_FOUND : STORE_ABSENT;
}

/* Reads the counters from the database into changes. */
static int read_changes(sl_store *s, long long *changes, gisd_error *err)
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

/* Asked before every tile, so a read transaction each time would be most of
 * a cached tile's cost. In WAL mode every commit, from any process, writes
 * the -wal file (which, while this connection is open, nobody deletes or
 * replaces), so while its size and mtime stay put the counters read last
 * still hold. Two guards against what a file's times cannot show: a WAL
 * written within SIG_RACY_S of the read may be written again within the same
 * timestamp tick (git's "racy" index entries), so such a read is not reused;
 * and a writer that syncs its WAL before publishing the commit in the -shm
 * index leaves the WAL untouched afterwards, so no read is reused for longer
 * than CHANGES_REUSE_S. */
#define CHANGES_REUSE_S 0.1
static int sl_layer_changes(store *h, long long *changes, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    if (!s->base.location || !sqlite3_get_autocommit(s->db) || s->immutable)
        return read_changes(s, changes, err);
    if (s->chg.wal_fd < 0) {
        char *wal = sqlite3_mprintf("%s-wal", s->base.location);
        s->chg.wal_fd = open(wal, O_RDONLY | O_CLOEXEC);
        sqlite3_free(wal);
    }
    file_sig sig;
    double now = cancel_now();
    int have = s->chg.wal_fd >= 0 && file_sig_of(s->chg.wal_fd, &sig) == 0;
    if (have && s->chg.counts && s->chg.settled && now - s->chg.read_at <= CHANGES_REUSE_S &&
        file_sig_equal(&sig, &s->chg.sig)) {
        memcpy(changes, s->chg.counts, s->reg->n * sizeof *changes);
        return 0;
    }
    if (read_changes(s, changes, err) != 0)
        return -1;
    if (!have)
        return 0;
    if (!s->chg.counts)
        s->chg.counts = xcalloc(s->reg->n ? s->reg->n : 1, sizeof *s->chg.counts);
    memcpy(s->chg.counts, changes, s->reg->n * sizeof *changes);
    s->chg.sig = sig;
    s->chg.read_at = now;
    s->chg.settled = file_sig_settled(&sig);
    return 0;
}

static int sl_layer_stats_get(store *h, const layer_def *l, store_layer_stats *out, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (stmt_acquire(s, store_sql_text("SELECT feature_count, minx, miny, maxx, maxy, changes, updated_at"
                                 " FROM gisd_layers WHERE layer = ?"), &st) != SQLITE_OK)
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
    int fail = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sql_fail(s, err, "reading layer statistics");
    stmt_release(s, st);
    return fail;
}

static int sl_import_history(store *h, store_import_row **rows, size_t *n, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
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
        store_import_row *grown = xrealloc(*rows, (*n + 1) * sizeof **rows);
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

/* The values a CQL2 filter binds, in the order its SQL names them. */
typedef struct {
    struct {
        const cql_node *n;
        int alt; /* a date bound as its midnight timestamp */
    } *lits;
    size_t n, cap;
} cql_binds;

static void bind_alt(cql_binds *bv, const cql_node *n, int alt)
{
    if (bv->n == bv->cap) {
        bv->cap = bv->cap ? bv->cap * 2 : 16;
        bv->lits = xreallocarray(bv->lits, bv->cap, sizeof *bv->lits);
    }
    bv->lits[bv->n].n = n;
    bv->lits[bv->n++].alt = alt;
}

/* A CQL2 literal as SQLite parameters, bound later by bind_cql in order. */
static void sl_cql_literal(const cql_node *n, int ts, sqlite3_str *b, void *params)
{
    if (n->kind == CQL_GEOM)
        sqlite3_str_appendf(b, "GeomFromWKB(?, %d)", STORE_SRID);
    else if (n->kind == CQL_BBOX)
        sqlite3_str_appendf(b, "BuildMbr(?, ?, ?, ?, %d)", STORE_SRID);
    else
        sqlite3_str_appendall(b, "?");
    bind_alt(params, n, ts && n->kind == CQL_DATE);
}

/* CQL2 in SpatiaLite: LIKE, CASEI and ACCENTI through gisd's own SQL
 * functions (Unicode, as CQL2 wants), spatial predicates as 0/1 integers,
 * / as real division and div truncated. */
static const store_cql_dialect SL_CQL = {
    .literal = sl_cql_literal,
    .like = {"(gisd_like(", ", ", ") = 1)"},
    .spatial = {"(", ") = 1)"},
    .arith = {[CQL_ADD] = {"gisd_arith(0, ", ", ", ")"},
              [CQL_SUB] = {"gisd_arith(1, ", ", ", ")"},
              [CQL_MUL] = {"gisd_arith(2, ", ", ", ")"},
              [CQL_DIV] = {"gisd_arith(3, ", ", ", ")"},
              [CQL_MOD] = {"gisd_arith(4, ", ", ", ")"},
              [CQL_INTDIV] = {"gisd_arith(5, ", ", ", ")"},
              [CQL_POW] = {"gisd_arith(6, ", ", ", ")"}},
    .casei = "gisd_casei(",
    .accenti = "gisd_accenti(",
    .temporal_cmp = "",
};

static int bind_cql(sqlite3_stmt *st, int k, const cql_binds *bv)
{
    for (size_t i = 0; bv && i < bv->n; i++) {
        const cql_node *n = bv->lits[i].n;
        if (n->kind == CQL_DATE && bv->lits[i].alt)
            sqlite3_bind_text(st, k++, n->alt, -1, SQLITE_TRANSIENT);
        else if (n->kind == CQL_GEOM)
            sqlite3_bind_blob(st, k++, n->wkb, (int)n->wkb_len, SQLITE_TRANSIENT);
        else if (n->kind == CQL_TEXT || n->kind == CQL_DATE || n->kind == CQL_TIMESTAMP)
            sqlite3_bind_text(st, k++, n->text, -1, SQLITE_TRANSIENT);
        else if (n->kind == CQL_BBOX)
            for (int j = 0; j < 4; j++)
                sqlite3_bind_double(st, k++, n->bbox[j]);
        else if (n->kind == CQL_BOOL)
            sqlite3_bind_int(st, k++, n->number != 0);
        else
            sqlite3_bind_double(st, k++, n->number);
    }
    return k;
}

/* What a query of q reads l from: in a scenario with a bbox, the table's
 * rows through its R*Tree and the changes by their bounding boxes, inside
 * the union, as parameters 1 to 4 (the box, bound first by bind_where). */
static void layer_from(sqlite3_str *b, const store *h, const layer_def *l, const store_query *q)
{
    if (!store_in_scenario(h) || !q->has_bbox) {
        store_sql_layer_from(b, h, l);
        return;
    }
    char *base = store_sql_text("fid IN (SELECT pkid FROM \"idx_%w_geom\" WHERE xmin <= ?1 AND xmax >= ?2"
                                " AND ymin <= ?3 AND ymax >= ?4)", l->id);
    store_sql_layer_from_where(b, h, l, base,
                               "MbrMinX(c.geom) <= ?1 AND MbrMaxX(c.geom) >= ?2 AND MbrMinY(c.geom) <= ?3"
                               " AND MbrMaxY(c.geom) >= ?4");
    sqlite3_free(base);
}

/* Appends the WHERE clause; bind_where binds its parameters in the same order. */
static int build_where(const store *h, const layer_def *l, const store_query *q, sqlite3_str *b, double bbox[4],
                       cql_binds *bv, gisd_error *err)
{
    sqlite3_str_appendall(b, " WHERE 1");
    if (q->has_bbox) {
        memcpy(bbox, q->bbox, 4 * sizeof *bbox);
        /* in a scenario the box's first test is inside the layer's union
         * (layer_from), where the table's R*Tree serves it */
        if (!store_in_scenario(h))
            sqlite3_str_appendf(b,
                                " AND fid IN (SELECT pkid FROM \"idx_%w_geom\" WHERE xmin <= ? AND xmax >= ?"
                                " AND ymin <= ? AND ymax >= ?)", l->id);
        /* A point meets the box when its bounding box does: SpatiaLite reads
         * that from the blob's header, where ST_Intersects would go to GEOS. */
        if (!q->bbox_mbr_only)
            sqlite3_str_appendf(b, " AND %s(geom, BuildMbr(?, ?, ?, ?, %d))",
                                l->geometry == GEOM_POINT ? "MbrIntersects" : "ST_Intersects", STORE_SRID);
    }
    for (size_t i = 0; i < q->nfilters; i++) {
        if (layer_field_index(l, q->filter_fields[i]) < 0)
            return gisd_fail(err, GISD_E_INPUT, "layer %s has no field \"%s\"", l->id,
                             q->filter_fields[i]);
        sqlite3_str_appendf(b, " AND \"%w\" = ?", q->filter_fields[i]);
    }
    if (q->filter) {
        sqlite3_str_appendall(b, " AND ");
        store_cql_condition(&SL_CQL, l, q->filter, b, bv);
    }
    if (q->feature_id)
        sqlite3_str_appendf(b, " AND \"%w\" = ?", layer_id_column(l));
    if (q->has_after)
        sqlite3_str_appendall(b, " AND fid > ?");
    return 0;
}

static int bind_where(sqlite3_stmt *st, const store_query *q, const double bbox[4], const cql_binds *bv)
{
    int k = 1;
    if (q->has_bbox) {
        sqlite3_bind_double(st, k++, bbox[2]);
        sqlite3_bind_double(st, k++, bbox[0]);
        sqlite3_bind_double(st, k++, bbox[3]);
        sqlite3_bind_double(st, k++, bbox[1]);
        for (int i = 0; i < 4 && !q->bbox_mbr_only; i++)
            sqlite3_bind_double(st, k++, bbox[i]);
    }
    for (size_t i = 0; i < q->nfilters; i++)
        sqlite3_bind_text(st, k++, q->filter_values[i], -1, SQLITE_TRANSIENT);
    k = bind_cql(st, k, bv);
    if (q->feature_id)
        sqlite3_bind_text(st, k++, q->feature_id, -1, SQLITE_TRANSIENT);
    if (q->has_after)
        sqlite3_bind_int64(st, k++, q->after_fid);
    return k;
}

/* The statement of the text of b (consumed), cached; give it back with stmt_release. */
static int prepare_str(sl_store *s, sqlite3_str *b, sqlite3_stmt **st, const char *what,
                       gisd_error *err)
{
    return stmt_acquire(s, store_sql_finish(b), st) == SQLITE_OK ? 0 : sql_fail(s, err, what);
}

static int sl_query_count(store *h, const layer_def *l, const store_query *q, long long *out,
                      gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    *out = 0;
    if (!table_exists(s, l->id))
        return 0;
    sqlite3_str *b = sqlite3_str_new(s->db);
    double bbox[4];
    cql_binds bv = {0};
    sqlite3_str_appendall(b, "SELECT count(*) FROM ");
    layer_from(b, h, l, q);
    if (build_where(h, l, q, b, bbox, &bv, err) != 0) {
        sqlite3_free(store_sql_finish(b));
        free(bv.lits);
        return -1;
    }
    sqlite3_stmt *st;
    if (prepare_str(s, b, &st, "counting features", err) != 0) {
        free(bv.lits);
        return -1;
    }
    bind_where(st, q, bbox, &bv);
    free(bv.lits);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    int fail = rc == SQLITE_ROW ? 0 : sql_fail(s, err, "counting features");
    stmt_release(s, st);
    return fail;
}

static int sl_cursor_open(store *h, const layer_def *l, const store_query *q, store_cursor **out,
                      gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    *out = NULL;
    sl_cursor *c = xcalloc(1, sizeof *c);
    c->base.ops = &store_spatialite_ops;
    c->s = s;
    c->layer = l;
    if (!table_exists(s, l->id)) {
        *out = &c->base; /* a layer never imported is empty */
        return 0;
    }
    sqlite3_str *b = sqlite3_str_new(s->db);
    sqlite3_str_appendall(b, "SELECT ");
    for (size_t i = 0; i < l->nfields; i++)
        sqlite3_str_appendf(b, "\"%w\", ", l->fields[i].name);
    int srid = q->out_srid ? q->out_srid : STORE_SRID;
    /* EPSG:4326 output is the stored CGCS2000 as is: the two differ by centimetres. */
    char *g = srid == STORE_SRID || srid == 4326 ? store_sql_text("geom")
                                                 : store_sql_text("ST_Transform(geom, %d)", srid);
    if (q->swap_axes) {
        char *swapped = store_sql_text("SwapCoordinates(%s)", g);
        sqlite3_free(g);
        g = swapped;
    }
    c->has_geom = q->geom_format != STORE_GEOM_NONE;
    if (q->geom_format == STORE_GEOM_WKB)
        sqlite3_str_appendf(b, "ST_AsBinary(%s)", g);
    else if (q->geom_format == STORE_GEOM_GEOJSON)
        sqlite3_str_appendf(b, "AsGeoJSON(%s, %d)", g, q->precision > 0 ? q->precision : 7);
    else
        sqlite3_str_appendall(b, "NULL");
    sqlite3_free(g);
    sqlite3_str_appendall(b, ", fid FROM ");
    layer_from(b, h, l, q);
    double bbox[4];
    cql_binds bv = {0};
    if (build_where(h, l, q, b, bbox, &bv, err) != 0) {
        sqlite3_free(store_sql_finish(b));
        free(bv.lits);
        sl_cursor_free(&c->base);
        return -1;
    }
    sqlite3_str_appendall(b, " ORDER BY fid LIMIT ? OFFSET ?");
    if (prepare_str(s, b, &c->stmt, "reading features", err) != 0) {
        free(bv.lits);
        sl_cursor_free(&c->base);
        return -1;
    }
    int k = bind_where(c->stmt, q, bbox, &bv);
    free(bv.lits);
    sqlite3_bind_int64(c->stmt, k++, q->limit);
    sqlite3_bind_int64(c->stmt, k, q->offset);
    *out = &c->base;
    return 0;
}

static int sl_cursor_next(store_cursor *cb, gisd_error *err)
{
    sl_cursor *c = (sl_cursor *)cb;
    if (!c->stmt)
        return 0;
    int rc = sqlite3_step(c->stmt);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    sqlite3 *db = sqlite3_db_handle(c->stmt);
    return sql_code_fail(sqlite3_extended_errcode(db), err, c->layer->id, sqlite3_errmsg(db));
}

static int sl_cursor_is_null(store_cursor *cb, size_t f)
{
    sl_cursor *c = (sl_cursor *)cb;
    return sqlite3_column_type(c->stmt, (int)f) == SQLITE_NULL;
}

static const char *sl_cursor_text(store_cursor *cb, size_t f)
{
    sl_cursor *c = (sl_cursor *)cb;
    const unsigned char *t = sqlite3_column_text(c->stmt, (int)f);
    return t ? (const char *)t : "";
}

static long long sl_cursor_int(store_cursor *cb, size_t f)
{
    sl_cursor *c = (sl_cursor *)cb;
    return sqlite3_column_int64(c->stmt, (int)f);
}
static double sl_cursor_real(store_cursor *cb, size_t f)
{
    sl_cursor *c = (sl_cursor *)cb;
    return sqlite3_column_double(c->stmt, (int)f);
}

static const void *sl_cursor_geom(store_cursor *cb, size_t *len)
{
    sl_cursor *c = (sl_cursor *)cb;
    int col = (int)c->layer->nfields;
    if (!c->has_geom || sqlite3_column_type(c->stmt, col) == SQLITE_NULL) {
        *len = 0;
        return NULL;
    }
    const void *p = sqlite3_column_blob(c->stmt, col);
    *len = (size_t)sqlite3_column_bytes(c->stmt, col);
    return p;
}

static long long sl_cursor_fid(store_cursor *cb)
{
    sl_cursor *c = (sl_cursor *)cb;
    return sqlite3_column_int64(c->stmt, (int)c->layer->nfields + 1);
}

static int sl_check(store *h, char *msg, size_t n, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st, NULL) != SQLITE_OK)
        return sql_fail(s, err, "checking the store");
    int rc = sqlite3_step(st);
    int ok = rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
    if (rc == SQLITE_ROW && !ok)
        snprintf(msg, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return ok ? 0 : 1;
    int code = sqlite3_extended_errcode(s->db) & 0xFF;
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
        snprintf(msg, n, "%s", sqlite3_errmsg(s->db));
        return 1;
    }
    return sql_fail(s, err, "checking the store");
}

static int sl_is_immutable(const store *h)
{
    const sl_store *s = (const sl_store *)h;
    return s->immutable;
}

static int sl_wait_changes(store *h, int timeout_ms, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    (void)s, (void)timeout_ms;
    return gisd_fail(err, GISD_E_INPUT, "a SpatiaLite store sends no change notifications");
}

static void sl_cursor_free(store_cursor *cb)
{
    sl_cursor *c = (sl_cursor *)cb;
    if (!c)
        return;
    if (c->stmt)
        stmt_release(c->s, c->stmt);
    free(c);
}

static int sl_sql_query(store *h, const char *sql, int n, const char *const *params, json_t **rows, gisd_error *err)
{
    sl_store *s = (sl_store *)h;
    if (rows)
        *rows = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sql_fail(s, err, "reading the scenarios");
    for (int i = 0; i < n; i++)
        if (params[i])
            sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_TRANSIENT);
    json_t *out = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *row = json_array();
        for (int c = 0; c < sqlite3_column_count(st); c++)
            json_array_append_new(row, sqlite3_column_type(st, c) == SQLITE_NULL
                                           ? json_null()
                                           : json_string((const char *)sqlite3_column_text(st, c)));
        json_array_append_new(out, row);
    }
    int fail = rc == SQLITE_DONE ? 0 : sql_fail(s, err, "the scenarios");
    sqlite3_finalize(st);
    if (fail || !rows)
        json_decref(out);
    else
        *rows = out;
    return fail;
}

static int sl_has_table(store *h, const char *name, gisd_error *err)
{
    (void)err;
    return table_exists((sl_store *)h, name);
}

static const char *const SL_SCENARIO_DDL[] = {
    "CREATE TABLE IF NOT EXISTS gisd_scenarios (id TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT,"
    " base TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL, who TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS gisd_changes (fid INTEGER PRIMARY KEY, scenario TEXT NOT NULL, layer TEXT NOT NULL,"
    " feature_id TEXT NOT NULL, op TEXT NOT NULL, base_etag TEXT, props TEXT, UNIQUE (scenario, layer, feature_id))",
    "SELECT AddGeometryColumn('gisd_changes', 'geom', 4490, 'GEOMETRY', 'XY', 0)",
    NULL};

static void sl_sql_prop(sqlite3_str *b, const char *alias, const field_def *f)
{
    sqlite3_str_appendf(b, "CAST(json_extract(%s.props, '$.\"%w\"') AS %s)", alias, f->name,
                        f->type == FIELD_INTEGER || f->type == FIELD_BOOLEAN ? "INTEGER"
                        : f->type == FIELD_REAL                             ? "REAL"
                                                                            : "TEXT");
}

const store_ops store_spatialite_ops = {
    .name = "SpatiaLite",
    .global_init = sl_global_init,
    .discard_created = sl_discard_created,
    .open = sl_open,
    .close = sl_close,
    .begin = sl_begin,
    .read_begin = sl_read_begin,
    .read_end = sl_read_end,
    .commit = sl_commit,
    .rollback = sl_rollback,
    .layer_replace_begin = sl_layer_replace_begin,
    .layer_insert = sl_layer_insert,
    .layer_replace_end = sl_layer_replace_end,
    .import_record = sl_import_record,
    .feature_read = sl_feature_read,
    .edit_begin = sl_edit_begin,
    .edit_row = sl_edit_row,
    .layer_touch = sl_layer_touch,
    .history_add = sl_history_add,
    .history = sl_history,
    .token_add = sl_token_add,
    .token_revoke = sl_token_revoke,
    .token_list = sl_token_list,
    .token_find = sl_token_find,
    .meta_set = sl_meta_set,
    .meta_get = sl_meta_get,
    .layer_changes = sl_layer_changes,
    .layer_stats_get = sl_layer_stats_get,
    .import_history = sl_import_history,
    .query_count = sl_query_count,
    .cursor_open = sl_cursor_open,
    .cursor_next = sl_cursor_next,
    .cursor_is_null = sl_cursor_is_null,
    .cursor_text = sl_cursor_text,
    .cursor_int = sl_cursor_int,
    .cursor_real = sl_cursor_real,
    .cursor_geom = sl_cursor_geom,
    .cursor_fid = sl_cursor_fid,
    .cursor_free = sl_cursor_free,
    .check = sl_check,
    .wait_changes = sl_wait_changes,
    .is_immutable = sl_is_immutable,
    .sql_query = sl_sql_query,
    .sql_prop = sl_sql_prop,
    .has_table = sl_has_table,
    .scenario_ddl = SL_SCENARIO_DDL,
};
