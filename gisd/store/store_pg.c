/* The PostgreSQL/PostGIS backend of store.h (store_backend.h): a shared
 * database for many gisd processes. Geometry columns are
 * geometry(<kind>, 4490) with GiST indexes; imports stream with COPY in
 * binary form inside the import's one transaction; literals always travel
 * as bound parameters, and identifiers are quoted with SQLite's %w (the same
 * double-quote rule as PostgreSQL's). */
#include "store_backend.h"

#include <arpa/inet.h>
#include <endian.h>
#include <glib.h>
#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cancel.h"
#include "cql2_text.h"
#include "crs.h"
#include "store_cql.h"
#include "utf8.h"
#include "xalloc.h"

#define STMT_CACHE 32
/* 2: unaccent, for CQL2's ACCENTI; 3: gisd_casei, gisd_accenti and
 * gisd_mod, CQL2's text and arithmetic as SQLite's store computes them */
#define SCHEMA_VERSION 3
#define COPY_FLUSH (256 * 1024)

typedef struct pg_store pg_store;
typedef struct pg_cursor pg_cursor;

static void pg_close(store *h);
static void pg_rollback(store *h);
static void pg_cursor_free(store_cursor *cb);
static int pg_commit(store *h, gisd_error *err);

struct pg_store {
    store base; /* first: a store * is this handle */
    PGconn *conn;
    const layer_registry *reg;
    const layer_def *copy_layer; /* the layer whose COPY is open */
    unsigned char *buf;          /* COPY rows not yet sent */
    size_t len, cap;
    long long next_fid;          /* a layer without an id field: the next number */
    long rows;                   /* rows sent in this COPY */
    long timeout_ms;             /* the statement_timeout last set */
    int listening;               /* LISTEN gisd_changes sent on this connection */
    int schema_pending;          /* the schema this open made waits in the first transaction */
    GHashTable *copy_ids;        /* the ids (or source FIDs) sent in this COPY */
    /* The queries this connection has prepared (named s0, s1, ...): a
     * request's queries repeat, and planning them again costs more than
     * running them. */
    char *stmt[STMT_CACHE];
    unsigned stmt_next;
};

struct pg_cursor {
    store_cursor base; /* first: a store_cursor * is this cursor */
    pg_store *s;
    PGresult *res;
    const layer_def *layer;
    int row, nrows, has_geom, wkb;
    unsigned char *geom; /* the current row's WKB, decoded from bytea */
    size_t geom_len;
};

/* The error of a failed result (or of the connection), as gisd's: a lost
 * server is unavailable for now (503), a cancelled statement a timeout. */
static int pg_fail(pg_store *s, PGresult *r, gisd_error *err, const char *what)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r && *PQresultErrorMessage(r) ? PQresultErrorMessage(r) : PQerrorMessage(s->conn);
    char clean[1024];
    snprintf(clean, sizeof clean, "%s", msg);
    size_t n = strlen(clean);
    while (n && (clean[n - 1] == '\n' || clean[n - 1] == ' '))
        clean[--n] = 0;
    /* 08: the connection; 57P01-57P03: the server shutting down or crashed */
    if (PQstatus(s->conn) == CONNECTION_BAD || (state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)))
        return gisd_fail(err, GISD_E_UNAVAILABLE, "store: the PostgreSQL server is unavailable (%s): %s", what, clean);
    if (state && strcmp(state, "57014") == 0)
        return gisd_fail(err, GISD_E_TIMEOUT, "store: %s was cancelled at its deadline", what);
    if (state && strcmp(state, "53100") == 0)
        return gisd_fail(err, GISD_E_NOSPACE, "store: the database's disk is full; nothing was written");
    if (state && strncmp(state, "22", 2) == 0) /* data exceptions: a filter's arithmetic out of range */
        return gisd_fail(err, GISD_E_INPUT, "a value cannot be computed (%s): %s", what, clean);
    if (state && strcmp(state, "25006") == 0)
        return gisd_fail(err, GISD_E_IO, "store: %s: the database is a read-only standby; nothing was written "
                                         "(send writes to a node on the primary)", what);
    return gisd_fail(err, GISD_E_INTERNAL, "store: %s: %s", what, clean);
}

/* A connection lost between requests is made again before the next query
 * (the server may have restarted); 0 when the connection is usable. */
static int connected(pg_store *s, gisd_error *err)
{
    if (PQstatus(s->conn) == CONNECTION_OK)
        return 0;
    PQreset(s->conn);
    s->timeout_ms = -1;
    s->listening = 0;
    /* a new session has none of the old one's prepared statements */
    for (unsigned i = 0; i < STMT_CACHE; i++) {
        free(s->stmt[i]);
        s->stmt[i] = NULL;
    }
    if (PQstatus(s->conn) == CONNECTION_OK)
        return 0;
    return pg_fail(s, NULL, err, "connecting");
}

/* The thread's deadline as statement_timeout, set only when it changed. */
static int set_timeout(pg_store *s, gisd_error *err)
{
    double left = cancel_remaining();
    long ms = left < 0 ? 0 : (long)(left * 1000) + 1;
    if (ms == s->timeout_ms || (ms > 0 && s->timeout_ms > 0 && labs(ms - s->timeout_ms) < 1000))
        return 0;
    char sql[64];
    snprintf(sql, sizeof sql, "SET statement_timeout = %ld", ms);
    PGresult *r = PQexec(s->conn, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        pg_fail(s, r, err, "setting the statement timeout");
    PQclear(r);
    if (ok)
        s->timeout_ms = ms;
    return ok ? 0 : -1;
}

/* Runs one statement with text parameters through a prepared statement of
 * the connection, preparing it (and forgetting the oldest) when it is new;
 * a result to PQclear, whatever happened. */
static PGresult *prepared(pg_store *s, const char *sql, int n, const char *const *params)
{
    char name[16];
    for (unsigned i = 0; i < STMT_CACHE; i++)
        if (s->stmt[i] && strcmp(s->stmt[i], sql) == 0) {
            snprintf(name, sizeof name, "s%u", i);
            return PQexecPrepared(s->conn, name, n, params, NULL, NULL, 0);
        }
    unsigned slot = s->stmt_next++ % STMT_CACHE;
    snprintf(name, sizeof name, "s%u", slot);
    if (s->stmt[slot]) {
        char sql_free[32];
        snprintf(sql_free, sizeof sql_free, "DEALLOCATE %s", name);
        PQclear(PQexec(s->conn, sql_free));
        free(s->stmt[slot]);
        s->stmt[slot] = NULL;
    }
    PGresult *r = PQprepare(s->conn, name, sql, n, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return r;
    PQclear(r);
    s->stmt[slot] = xstrdup(sql);
    return PQexecPrepared(s->conn, name, n, params, NULL, NULL, 0);
}

/* Runs sql with text parameters; *out the result (PQclear it) on success. */
static int run(pg_store *s, const char *sql, int n, const char *const *params, PGresult **out,
               gisd_error *err, const char *what)
{
    *out = NULL;
    if (connected(s, err) != 0 || set_timeout(s, err) != 0)
        return -1;
    /* a text holding several statements (with ';') cannot be prepared */
    PGresult *r = strchr(sql, ';') ? PQexec(s->conn, sql) : prepared(s, sql, n, params);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        pg_fail(s, r, err, what);
        PQclear(r);
        return -1;
    }
    *out = r;
    return 0;
}

/* run() for statements whose result is not needed. */
static int exec(pg_store *s, const char *sql, int n, const char *const *params, gisd_error *err, const char *what)
{
    PGresult *r;
    if (run(s, sql, n, params, &r, err, what) != 0)
        return -1;
    PQclear(r);
    return 0;
}

static int exec_owned(pg_store *s, char *sql, gisd_error *err, const char *what)
{
    int rc = exec(s, sql, 0, NULL, err, what);
    sqlite3_free(sql);
    return rc;
}

static const char SCHEMA[] =
    "CREATE EXTENSION IF NOT EXISTS postgis;"
    "CREATE TABLE IF NOT EXISTS gisd_schema_version(version integer NOT NULL);"
    "CREATE TABLE IF NOT EXISTS gisd_meta(key text PRIMARY KEY, value text NOT NULL);"
    "CREATE TABLE IF NOT EXISTS gisd_imports(id bigserial PRIMARY KEY, file text NOT NULL,"
    " layer text NOT NULL, imported_at text NOT NULL, features bigint NOT NULL,"
    " repaired bigint NOT NULL, seconds double precision NOT NULL);"
    "CREATE TABLE IF NOT EXISTS gisd_layers(layer text PRIMARY KEY, feature_count bigint NOT NULL,"
    " minx double precision, miny double precision, maxx double precision, maxy double precision,"
    " changes bigint NOT NULL, updated_at text NOT NULL);"
    "CREATE TABLE IF NOT EXISTS gisd_history(id bigserial PRIMARY KEY, at text NOT NULL, who text NOT NULL,"
    " layer text NOT NULL, feature text, action text NOT NULL, before text, after text, note text);"
    "CREATE INDEX IF NOT EXISTS gisd_history_feature ON gisd_history(layer, feature);"
    "CREATE TABLE IF NOT EXISTS gisd_tokens(name text PRIMARY KEY, hash text NOT NULL UNIQUE,"
    " scope text NOT NULL, created_at text NOT NULL, revoked_at text);";

/* CREATE FUNCTION name(text): CASEI's folding (accents 0) or ACCENTI's
 * (accents 1) character by character, from cql2_text's own table, so that a
 * filter means on PostgreSQL what it means on SpatiaLite (lower() leaves ß
 * and unaccent() its own list). ASCII text, and text with no character the
 * table names (a regular expression of them all: Chinese names, mostly),
 * take the short way. sqlite3_free the result. */
static char *fold_function_sql(const char *name, int accents)
{
    cql2_char_table t;
    cql2_char_table_make(accents, &t);
    sqlite3_str *cls = sqlite3_str_new(NULL), *b = sqlite3_str_new(NULL);
    sqlite3_str_appendf(cls, "[%s", t.from);
    for (size_t i = 0; i < t.nmulti; i++)
        sqlite3_str_appendall(cls, t.multi[i][0]);
    sqlite3_str_appendall(cls, "]");
    char *klass = sqlite3_str_finish(cls);
    const char *ascii = accents ? "t" : "translate(t, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')";
    sqlite3_str_appendf(b,
                        "CREATE OR REPLACE FUNCTION %s(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT "
                        "PARALLEL SAFE AS $gisd$ SELECT CASE WHEN octet_length(t) = char_length(t) OR NOT t ~ %Q "
                        "THEN %s ELSE translate(",
                        name, klass, ascii);
    for (size_t i = 0; i < t.nmulti; i++)
        sqlite3_str_appendall(b, "replace(");
    sqlite3_str_appendall(b, ascii);
    for (size_t i = 0; i < t.nmulti; i++)
        sqlite3_str_appendf(b, ", %Q, %Q)", t.multi[i][0], t.multi[i][1]);
    sqlite3_str_appendf(b, ", %Q, %Q) END $gisd$;", t.from, t.to);
    sqlite3_free(klass);
    cql2_char_table_free(&t);
    char *sql = sqlite3_str_finish(b);
    if (!sql) {
        fprintf(stderr, "gisd: out of memory building SQL\n");
        abort();
    }
    return sql;
}

/* What version 3 adds: the functions CQL2 filters call. */
static int create_functions(pg_store *s, gisd_error *err)
{
    char *casei = fold_function_sql("gisd_casei", 0), *accenti = fold_function_sql("gisd_accenti", 1);
    int rc = exec(s, casei, 0, NULL, err, "creating gisd_casei");
    if (rc == 0)
        rc = exec(s, accenti, 0, NULL, err, "creating gisd_accenti");
    if (rc == 0)
        rc = exec(s,
                  "CREATE OR REPLACE FUNCTION gisd_mod(a float8, b float8) RETURNS float8 LANGUAGE sql "
                  "IMMUTABLE STRICT PARALLEL SAFE AS $gisd$ SELECT a - b * trunc(a / NULLIF(b, 0)) $gisd$",
                  0, NULL, err, "creating gisd_mod");
    sqlite3_free(casei);
    sqlite3_free(accenti);
    return rc;
}

/* Creates or migrates the schema under an advisory lock, so that nodes
 * starting together do not race; 0 or -1. With keep_open the transaction
 * stays open (schema_pending) for the caller's first write to commit or
 * roll back with it. */
static int migrate(pg_store *s, int keep_open, gisd_error *err)
{
    if (exec(s, "BEGIN", 0, NULL, err, "migrating the schema") != 0)
        return -1;
    PGresult *r = NULL;
    int rc = exec(s, "SELECT pg_advisory_xact_lock(4490)", 0, NULL, err, "locking the schema");
    if (rc == 0)
        rc = exec(s, SCHEMA, 0, NULL, err, "creating the schema");
    if (rc == 0)
        rc = create_functions(s, err);
    if (rc == 0)
        rc = run(s, "SELECT version FROM gisd_schema_version", 0, NULL, &r, err, "reading the schema version");
    if (rc == 0 && PQntuples(r) == 0)
        rc = exec(s, "INSERT INTO gisd_schema_version VALUES (3)", 0, NULL, err, "recording the schema version");
    else if (rc == 0 && atoi(PQgetvalue(r, 0, 0)) > SCHEMA_VERSION)
        rc = gisd_fail(err, GISD_E_INPUT, "the database's gisd schema is version %s, newer than this gisd's %d",
                       PQgetvalue(r, 0, 0), SCHEMA_VERSION);
    else if (rc == 0) /* the statements above brought it up to date */
        rc = exec(s, "UPDATE gisd_schema_version SET version = 3", 0, NULL, err, "recording the schema version");
    PQclear(r);
    if (rc == 0 && keep_open) {
        s->schema_pending = 1;
        return 0;
    }
    if (rc == 0)
        return exec(s, "COMMIT", 0, NULL, err, "migrating the schema");
    PQclear(PQexec(s->conn, "ROLLBACK"));
    return -1;
}

static void pg_global_init(void)
{
}

static void pg_discard_created(const char *path)
{
    (void)path; /* the schema went with the rolled-back transaction (migrate's keep_open) */
}

static int pg_open(const char *uri, store_mode mode, const layer_registry *reg, store **out, int *created,
            gisd_error *err)
{
    *out = NULL;
    if (created)
        *created = 0;
    pg_store *s = xcalloc(1, sizeof *s);
    s->base.ops = &store_pg_ops;
    s->base.reg = reg;
    s->reg = reg;
    s->timeout_ms = -1;
    s->conn = PQconnectdb(uri);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        char clean[512];
        snprintf(clean, sizeof clean, "%s", s->conn ? PQerrorMessage(s->conn) : "out of memory");
        clean[strcspn(clean, "\n")] = 0;
        pg_close(&s->base);
        return gisd_fail(err, GISD_E_UNAVAILABLE, "cannot connect to the PostgreSQL store: %s", clean);
    }
    PQclear(PQexec(s->conn, "SET client_min_messages = warning"));
    PGresult *r;
    if (run(s, "SELECT to_regclass('gisd_meta') IS NOT NULL", 0, NULL, &r, err, "opening the store") != 0) {
        pg_close(&s->base);
        return -1;
    }
    int exists = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (!exists && mode == STORE_READONLY) {
        pg_close(&s->base);
        return gisd_fail(err, GISD_E_IO, "the PostgreSQL database has no gisd store: import data first "
                                         "(gisd import --db postgresql://... ) or run gisd migrate");
    }
    int current = 0, version = 0;
    if (exists) {
        /* a store at this gisd's schema needs no migration: writers open it often */
        PGresult *v = PQexec(s->conn, "SELECT version FROM gisd_schema_version");
        if (PQresultStatus(v) == PGRES_TUPLES_OK && PQntuples(v) == 1)
            version = atoi(PQgetvalue(v, 0, 0));
        current = version == SCHEMA_VERSION;
        PQclear(v);
    }
    if (exists && mode == STORE_READONLY && version < SCHEMA_VERSION) {
        /* a reader cannot migrate, and an older schema lacks what filters call */
        pg_close(&s->base);
        return gisd_fail(err, GISD_E_INPUT, "the database's gisd schema is version %d, older than this gisd's %d: "
                                            "run gisd migrate --db URI first", version, SCHEMA_VERSION);
    }
    /* a caller that asks whether the store was created (an import) gets the
     * new schema inside its transaction: a refused first import leaves the
     * database as empty as it found it, as SpatiaLite leaves no file */
    if (mode == STORE_READWRITE && !current && migrate(s, created && !exists, err) != 0) {
        pg_close(&s->base);
        return -1;
    }
    if (created)
        *created = !exists;
    *out = &s->base;
    return 0;
}

static void pg_close(store *h)
{
    pg_store *s = (pg_store *)h;
    if (!s)
        return;
    if (s->copy_ids)
        g_hash_table_destroy(s->copy_ids);
    if (s->conn && s->schema_pending) /* opened to create, never written: keep the schema */
        PQclear(PQexec(s->conn, "COMMIT"));
    if (s->conn)
        PQfinish(s->conn);
    for (unsigned i = 0; i < STMT_CACHE; i++)
        free(s->stmt[i]);
    free(s->buf);
    free(s);
}

static int pg_begin(store *h, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    if (s->schema_pending) /* the transaction that makes the schema is this one */
        return 0;
    return exec(s, "BEGIN", 0, NULL, err, "starting a transaction");
}

static int pg_read_begin(store *h, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    /* one snapshot for the whole read, as SQLite's read transaction gives */
    return exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL, err, "starting a read");
}

static void pg_read_end(store *h)
{
    pg_store *s = (pg_store *)h;
    if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
        PQclear(PQexec(s->conn, "COMMIT"));
}

static int pg_commit(store *h, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    s->schema_pending = 0;
    return exec(s, "COMMIT", 0, NULL, err, "committing");
}

static void pg_rollback(store *h)
{
    pg_store *s = (pg_store *)h;
    if (s->copy_ids) {
        g_hash_table_destroy(s->copy_ids);
        s->copy_ids = NULL;
    }
    if (s->copy_layer) {
        PQputCopyEnd(s->conn, "import refused");
        PGresult *r;
        while ((r = PQgetResult(s->conn)))
            PQclear(r);
        s->copy_layer = NULL;
    }
    s->schema_pending = 0;
    if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
        PQclear(PQexec(s->conn, "ROLLBACK"));
}

static const char *pg_type(field_type t)
{
    return t == FIELD_INTEGER || t == FIELD_BOOLEAN ? "bigint" : t == FIELD_REAL ? "double precision" : "text";
}

/* 1 when the layer's table exists, 0 when not, -1 on error. */
static int table_exists(pg_store *s, const char *name, gisd_error *err)
{
    char *q = store_sql_text("\"%w\"", name);
    const char *p[1] = {q};
    PGresult *r;
    int rc = run(s, "SELECT to_regclass($1) IS NOT NULL", 1, p, &r, err, "looking for a table");
    sqlite3_free(q);
    if (rc != 0)
        return -1;
    int found = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return found;
}

static int create_layer_table(pg_store *s, const layer_def *l, gisd_error *err)
{
    sqlite3_str *b = sqlite3_str_new(NULL);
    sqlite3_str_appendf(b, "CREATE TABLE \"%w\" (fid bigserial PRIMARY KEY", l->id);
    for (size_t i = 0; i < l->nfields; i++)
        sqlite3_str_appendf(b, ", \"%w\" %s%s", l->fields[i].name, pg_type(l->fields[i].type),
                            i == l->id_index ? " NOT NULL UNIQUE" : "");
    sqlite3_str_appendf(b, ", geom geometry(%s, %d) NOT NULL)", geom_kind_sql_name(l->geometry), STORE_SRID);
    return exec_owned(s, store_sql_finish(b), err, "creating a layer table");
}

static void put(pg_store *s, const void *p, size_t n)
{
    if (s->len + n > s->cap) {
        while (s->len + n > s->cap)
            s->cap = s->cap ? s->cap * 2 : 64 * 1024;
        s->buf = xrealloc(s->buf, s->cap);
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
}

static void put16(pg_store *s, uint16_t v)
{
    v = htons(v);
    put(s, &v, 2);
}

static void put32(pg_store *s, uint32_t v)
{
    v = htonl(v);
    put(s, &v, 4);
}

static void put64(pg_store *s, uint64_t v)
{
    v = htobe64(v);
    put(s, &v, 8);
}

static int flush(pg_store *s, gisd_error *err)
{
    if (s->len && PQputCopyData(s->conn, (const char *)s->buf, (int)s->len) != 1)
        return pg_fail(s, NULL, err, "sending features");
    s->len = 0;
    return 0;
}

static int pg_layer_replace_begin(store *h, const layer_def *l, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    int exists = table_exists(s, l->id, err);
    if (exists < 0)
        return -1;
    if (!exists && create_layer_table(s, l, err) != 0)
        return -1;
    /* the rows go in without the GiST index, which replace_end builds in one pass */
    if (exists && exec_owned(s, store_sql_text("DROP INDEX IF EXISTS \"%w_geom\"; TRUNCATE \"%w\"", l->id, l->id), err,
                             "emptying the layer") != 0)
        return -1;
    sqlite3_str *b = sqlite3_str_new(NULL);
    sqlite3_str_appendf(b, "COPY \"%w\" (fid", l->id);
    for (size_t i = 0; i < l->nfields; i++)
        sqlite3_str_appendf(b, ", \"%w\"", l->fields[i].name);
    sqlite3_str_appendall(b, ", geom) FROM STDIN (FORMAT binary)");
    char *sql = store_sql_finish(b);
    PGresult *r = PQexec(s->conn, sql);
    sqlite3_free(sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        pg_fail(s, r, err, "starting the copy");
        PQclear(r);
        return -1;
    }
    PQclear(r);
    s->copy_layer = l;
    s->len = 0;
    s->rows = 0;
    s->next_fid = 1;
    /* a repeated id is refused at its own feature, as SQLite's unique index
     * does on insert, not at the end of the COPY */
    if (s->copy_ids)
        g_hash_table_destroy(s->copy_ids);
    s->copy_ids = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
    static const char header[] = "PGCOPY\n\377\r\n";
    put(s, header, 11);
    put32(s, 0); /* flags */
    put32(s, 0); /* header extension */
    return 0;
}

static int pg_layer_insert(store *h, const layer_def *l, const store_value *values, const unsigned char *wkb,
                    size_t wkb_len, long feature_no, long long source_fid, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    if (s->copy_layer != l)
        return gisd_fail(err, GISD_E_INTERNAL, "store: insert into %s before replace_begin", l->id);
    if (wkb_len < 5)
        return gisd_fail(err, GISD_E_INPUT, "feature %ld: the store refused its geometry", feature_no);
    const store_value *idv = l->id_field ? &values[l->id_index] : NULL;
    char key[32];
    const char *k = NULL;
    if (idv && !idv->is_null && idv->text)
        k = idv->text;
    else if (idv && !idv->is_null)
        k = (snprintf(key, sizeof key, "%lld", (long long)idv->i), key);
    else if (!idv && source_fid >= 0)
        k = (snprintf(key, sizeof key, "%lld", source_fid), key);
    if (k && !g_hash_table_add(s->copy_ids, xstrdup(k))) {
        if (!idv)
            return gisd_fail(err, GISD_E_INPUT, "feature %ld: its FID %lld appears twice", feature_no, source_fid);
        return gisd_fail(err, GISD_E_INPUT, "feature %ld: %s \"%s\" appears twice; ids must be unique", feature_no,
                         l->id_field, k);
    }
    put16(s, (uint16_t)(l->nfields + 2));
    /* fid: the source's FID for a layer without an id field, else a count */
    long long fid = !l->id_field && source_fid >= 0 ? source_fid : s->next_fid;
    if (fid >= s->next_fid)
        s->next_fid = fid + 1;
    put32(s, 8);
    put64(s, (uint64_t)fid);
    for (size_t i = 0; i < l->nfields; i++) {
        const store_value *v = &values[i];
        if (v->is_null) {
            put32(s, 0xFFFFFFFFu);
        } else if (l->fields[i].type == FIELD_INTEGER || l->fields[i].type == FIELD_BOOLEAN) {
            put32(s, 8);
            put64(s, (uint64_t)v->i);
        } else if (l->fields[i].type == FIELD_REAL) {
            uint64_t bits;
            memcpy(&bits, &v->d, 8);
            put32(s, 8);
            put64(s, bits);
        } else {
            size_t n = strlen(v->text ? v->text : "");
            put32(s, (uint32_t)n);
            put(s, v->text ? v->text : "", n);
        }
    }
    /* EWKB: the WKB with the SRID flag and the SRID after the type */
    int little = wkb[0] == 1;
    uint32_t type;
    memcpy(&type, wkb + 1, 4);
    type = little ? le32toh(type) : be32toh(type);
    type |= 0x20000000u;
    uint32_t srid = STORE_SRID;
    uint32_t t = little ? htole32(type) : htobe32(type), sr = little ? htole32(srid) : htobe32(srid);
    put32(s, (uint32_t)(wkb_len + 4));
    put(s, wkb, 1);
    put(s, &t, 4);
    put(s, &sr, 4);
    put(s, wkb + 5, wkb_len - 5);
    s->rows++;
    return s->len >= COPY_FLUSH ? flush(s, err) : 0;
}

/* The feature a failed COPY names ("COPY parks, line 12"), for the error. */
static long copy_line(PGresult *r)
{
    const char *ctx = PQresultErrorField(r, PG_DIAG_CONTEXT);
    const char *at = ctx ? strstr(ctx, ", line ") : NULL;
    return at ? strtol(at + 7, NULL, 10) : 0;
}

static int pg_layer_touch(store *h, const layer_def *l, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    char now[32];
    store_utc_now(now, sizeof now);
    const char *p[2] = {l->id, now};
    char *sql = store_sql_text(
        "INSERT INTO gisd_layers(layer, feature_count, minx, miny, maxx, maxy, changes, updated_at)"
        " SELECT $1, count(*), ST_XMin(ST_Extent(geom)), ST_YMin(ST_Extent(geom)), ST_XMax(ST_Extent(geom)),"
        " ST_YMax(ST_Extent(geom)), 1, $2 FROM \"%w\""
        " ON CONFLICT(layer) DO UPDATE SET feature_count = excluded.feature_count,"
        " minx = excluded.minx, miny = excluded.miny, maxx = excluded.maxx, maxy = excluded.maxy,"
        " changes = gisd_layers.changes + 1, updated_at = excluded.updated_at",
        l->id);
    int rc = exec(s, sql, 2, p, err, "recording the layer's extent");
    sqlite3_free(sql);
    if (rc != 0)
        return -1;
    /* other nodes listening drop what they hold of the layer at once */
    return exec(s, "SELECT pg_notify('gisd_changes', $1)", 1, p, err, "announcing the change");
}

static int pg_layer_replace_end(store *h, const layer_def *l, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    if (s->copy_layer != l)
        return gisd_fail(err, GISD_E_INTERNAL, "store: replace_end of %s without its begin", l->id);
    put16(s, 0xFFFF); /* the trailer */
    int rc = flush(s, err);
    s->copy_layer = NULL;
    g_hash_table_destroy(s->copy_ids);
    s->copy_ids = NULL;
    if (rc == 0 && PQputCopyEnd(s->conn, NULL) != 1)
        rc = pg_fail(s, NULL, err, "ending the copy");
    PGresult *r, *bad = NULL;
    while ((r = PQgetResult(s->conn))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && !bad)
            bad = r;
        else
            PQclear(r);
    }
    if (rc == 0 && bad) {
        const char *state = PQresultErrorField(bad, PG_DIAG_SQLSTATE);
        long line = copy_line(bad);
        if (state && strcmp(state, "23505") == 0)
            rc = gisd_fail(err, GISD_E_INPUT, "feature %ld: its %s appears twice; ids must be unique", line,
                           layer_id_column(l));
        else if (state && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0 || strcmp(state, "XX000") == 0))
            rc = gisd_fail(err, GISD_E_INPUT, "feature %ld: the store refused it: %s", line,
                           PQresultErrorField(bad, PG_DIAG_MESSAGE_PRIMARY));
        else
            rc = pg_fail(s, bad, err, "copying the features");
    }
    PQclear(bad);
    if (rc != 0)
        return -1;
    /* COPY gave every row its fid: the sequence goes on after the last, for
     * edits. No ANALYZE: autovacuum analyses the new rows on its own, and
     * here it would add a third of the import's time */
    char *quoted = store_sql_text("\"%w\"", l->id);
    rc = exec_owned(s, store_sql_text("CREATE INDEX \"%w_geom\" ON \"%w\" USING gist (geom);"
                                " SELECT setval(pg_get_serial_sequence(%Q, 'fid'), coalesce(max(fid), 0) + 1, false)"
                                " FROM \"%w\"",
                                l->id, l->id, quoted, l->id),
                    err, "indexing the layer");
    sqlite3_free(quoted);
    if (rc != 0)
        return -1;
    return pg_layer_touch(h, l, err);
}

static int pg_import_record(store *h, const char *file, const char *layer, long features, long repaired, double seconds,
                     gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    char now[32], f[32], rp[32], sec[64], note[1200];
    store_utc_now(now, sizeof now);
    snprintf(f, sizeof f, "%ld", features);
    snprintf(rp, sizeof rp, "%ld", repaired);
    snprintf(sec, sizeof sec, "%.17g", seconds);
    snprintf(note, sizeof note, "%s: %ld features", file, features);
    const char *p[6] = {file, layer, now, f, rp, sec};
    if (exec(s, "INSERT INTO gisd_imports(file, layer, imported_at, features, repaired, seconds)"
                " VALUES ($1, $2, $3, $4, $5, $6)", 6, p, err, "recording the import") != 0)
        return -1;
    const char *hp[3] = {now, layer, note};
    return exec(s, "INSERT INTO gisd_history(at, who, layer, action, note) VALUES ($1, 'import', $2, 'import', $3)",
                3, hp, err, "recording the import in the history");
}

static int pg_meta_set(store *h, const char *key, const char *value, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    const char *p[2] = {key, value};
    return exec(s, "INSERT INTO gisd_meta(key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET value = $2",
                2, p, err, "writing metadata");
}

static store_found pg_meta_get(store *h, const char *key, char *buf, size_t bufsize, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    const char *p[1] = {key};
    PGresult *r;
    if (run(s, "SELECT value FROM gisd_meta WHERE key = $1", 1, p, &r, err, "reading metadata") != 0)
        return STORE_FAILED;
    int found = PQntuples(r) > 0;
    if (found)
        snprintf(buf, bufsize, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return found ? STORE_FOUND : STORE_ABSENT;
}

/* ---- editing ---- */

static store_found pg_feature_read(store *h, const layer_def *l, const char *id, char **geojson, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    *geojson = NULL;
    int exists = table_exists(s, l->id, err);
    if (exists <= 0)
        return exists < 0 ? STORE_FAILED : STORE_ABSENT;
    sqlite3_str *b = sqlite3_str_new(NULL);
    sqlite3_str_appendf(b, "SELECT json_build_object('type', 'Feature', 'id', \"%w\", 'geometry',"
                           " ST_AsGeoJSON(geom, 9, 0)::json, 'properties', (SELECT row_to_json(p) FROM (SELECT ",
                        layer_id_column(l));
    for (size_t i = 0; i < l->nfields; i++)
        sqlite3_str_appendf(b, l->fields[i].type == FIELD_BOOLEAN ? "%s(\"%w\" <> 0) AS \"%w\"" : "%s\"%w\" AS \"%w\"",
                            i ? ", " : "", l->fields[i].name, l->fields[i].name);
    sqlite3_str_appendall(b, ") AS p))::text FROM ");
    store_sql_layer_from(b, h, l);
    sqlite3_str_appendf(b, " WHERE \"%w\"::text = $1", layer_id_column(l));
    char *sql = store_sql_finish(b);
    const char *p[1] = {id};
    PGresult *r;
    int rc = run(s, sql, 1, p, &r, err, "reading a feature");
    sqlite3_free(sql);
    if (rc != 0)
        return STORE_FAILED;
    int found = PQntuples(r) > 0;
    if (found)
        *geojson = xstrdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return found ? STORE_FOUND : STORE_ABSENT;
}

/* The text parameters of a feature's values and geometry (hex WKB). */
static void edit_params(const layer_def *l, const store_edit *e, char **p, char (*num)[32], char **hex)
{
    for (size_t i = 0; i < l->nfields; i++) {
        const store_value *v = &e->values[i];
        if (v->is_null)
            p[i] = NULL;
        else if (l->fields[i].type == FIELD_INTEGER || l->fields[i].type == FIELD_BOOLEAN)
            snprintf(num[i], 32, "%lld", v->i), p[i] = num[i];
        else if (l->fields[i].type == FIELD_REAL)
            snprintf(num[i], 32, "%.17g", v->d), p[i] = num[i];
        else
            p[i] = (char *)(v->text ? v->text : "");
    }
    *hex = xmalloc(e->wkb_len * 2 + 1);
    for (size_t k = 0; k < e->wkb_len; k++)
        snprintf(*hex + 2 * k, 3, "%02x", e->wkb[k]);
    p[l->nfields] = *hex;
}

static int pg_edit_row(store *h, const layer_def *l, const store_edit *e, const char *id, char new_id[64],
                       gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    sqlite3_str *b = sqlite3_str_new(NULL);
    size_t nf = l->nfields;
    if (e->kind == STORE_CREATE) {
        sqlite3_str_appendf(b, "INSERT INTO \"%w\" (", l->id);
        for (size_t i = 0; i < nf; i++)
            sqlite3_str_appendf(b, "\"%w\", ", l->fields[i].name);
        sqlite3_str_appendall(b, "geom) VALUES (");
        for (size_t i = 0; i < nf; i++)
            sqlite3_str_appendf(b, "$%d, ", (int)i + 1);
        sqlite3_str_appendf(b, "ST_SetSRID(ST_GeomFromWKB(decode($%d, 'hex')), %d)) RETURNING fid", (int)nf + 1,
                            STORE_SRID);
    } else if (e->kind == STORE_REPLACE) {
        sqlite3_str_appendf(b, "UPDATE \"%w\" SET ", l->id);
        for (size_t i = 0; i < nf; i++)
            sqlite3_str_appendf(b, "\"%w\" = $%d, ", l->fields[i].name, (int)i + 1);
        sqlite3_str_appendf(b, "geom = ST_SetSRID(ST_GeomFromWKB(decode($%d, 'hex')), %d) WHERE \"%w\"::text = $%d",
                            (int)nf + 1, STORE_SRID, layer_id_column(l), (int)nf + 2);
    } else {
        sqlite3_str_appendf(b, "DELETE FROM \"%w\" WHERE \"%w\"::text = $1", l->id, layer_id_column(l));
    }
    char *sql = store_sql_finish(b);
    char **p = xcalloc(nf + 3, sizeof *p), (*num)[32] = xcalloc(nf + 1, sizeof *num), *hex = NULL;
    int n = 1;
    if (e->kind != STORE_DELETE) {
        edit_params(l, e, p, num, &hex);
        n = (int)nf + 1;
        if (e->kind == STORE_REPLACE)
            p[n++] = (char *)id;
    } else {
        p[0] = (char *)id;
    }
    PGresult *r;
    int rc = connected(s, err) == 0 ? 0 : -1;
    if (rc == 0) {
        r = PQexecParams(s->conn, sql, n, NULL, (const char *const *)p, NULL, NULL, 0);
        ExecStatusType st = PQresultStatus(r);
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (st == PGRES_TUPLES_OK && !id && PQntuples(r) == 1)
            snprintf(new_id, 64, "%s", PQgetvalue(r, 0, 0));
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
            rc = state && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0 || strcmp(state, "XX000") == 0)
                     ? gisd_fail(err, GISD_E_INPUT, "the store refused the feature: %s",
                                 PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY))
                     : pg_fail(s, r, err, "writing the feature");
        PQclear(r);
    }
    sqlite3_free(sql);
    free(p);
    free(num);
    free(hex);
    return rc;
}

static int pg_edit_begin(store *h, const layer_def *l, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    if (exec(s, "BEGIN", 0, NULL, err, "starting the write") != 0)
        return -1;
    /* writers of one layer take turns, so an ETag check and its write are one step */
    char *lock = store_sql_text("SELECT pg_advisory_xact_lock(hashtext(%Q))", l->id);
    int rc = exec(s, lock, 0, NULL, err, "locking the layer");
    sqlite3_free(lock);
    int exists = rc == 0 ? table_exists(s, l->id, err) : -1;
    if (exists == 0 && (create_layer_table(s, l, err) != 0 ||
                        exec_owned(s, store_sql_text("CREATE INDEX \"%w_geom\" ON \"%w\" USING gist (geom)", l->id, l->id),
                                   err, "indexing the layer") != 0))
        rc = -1;
    if (exists < 0)
        rc = -1;
    if (rc != 0)
        pg_rollback(h);
    return rc;
}

static int pg_history_add(store *h, const store_history_row *row, long long *change, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    const char *p[8] = {row->at, row->who, row->layer, row->feature, row->action, row->before, row->after, row->note};
    PGresult *r;
    if (run(s, "INSERT INTO gisd_history(at, who, layer, feature, action, before, after, note)"
               " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id", 8, p, &r, err, "recording the change") != 0)
        return -1;
    *change = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return 0;
}

static int pg_history(store *h, const char *layer, const char *feature, long long change, json_t **out,
               gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    *out = NULL;
    char ch[32];
    snprintf(ch, sizeof ch, "%lld", change);
    const char *p[3] = {layer, feature, ch};
    PGresult *r;
    if (run(s, "SELECT id, at, who, layer, feature, action, before, after, note FROM gisd_history"
               " WHERE ($1::text IS NULL OR layer = $1) AND ($2::text IS NULL OR feature = $2)"
               " AND ($3::bigint = 0 OR id = $3) ORDER BY id", 3, p, &r, err, "reading the history") != 0)
        return -1;
    *out = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *row = json_pack("{s:I, s:s, s:s, s:s}", "change", (json_int_t)strtoll(PQgetvalue(r, i, 0), NULL, 10),
                                "at", PQgetvalue(r, i, 1), "who", PQgetvalue(r, i, 2), "layer", PQgetvalue(r, i, 3));
        json_object_set_new(row, "feature", PQgetisnull(r, i, 4) ? json_null() : json_string(PQgetvalue(r, i, 4)));
        json_object_set_new(row, "action", json_string(PQgetvalue(r, i, 5)));
        for (int k = 6; k <= 7; k++) {
            json_t *g = PQgetisnull(r, i, k) ? NULL : json_loads(PQgetvalue(r, i, k), 0, NULL);
            json_object_set_new(row, k == 6 ? "before" : "after", g ? g : json_null());
        }
        json_object_set_new(row, "note", PQgetisnull(r, i, 8) ? json_null() : json_string(PQgetvalue(r, i, 8)));
        json_array_append_new(*out, row);
    }
    PQclear(r);
    return 0;
}

static int pg_token_add(store *h, const char *name, const char *scope, const char *hash, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    char now[32];
    store_utc_now(now, sizeof now);
    const char *p[4] = {name, hash, scope, now};
    PGresult *r;
    if (connected(s, err) != 0)
        return -1;
    r = PQexecParams(s->conn, "INSERT INTO gisd_tokens(name, hash, scope, created_at) VALUES ($1, $2, $3, $4)", 4, NULL,
                     p, NULL, NULL, 0);
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0
             : state && strcmp(state, "23505") == 0
                 ? gisd_fail(err, GISD_E_CONFLICT, "there is a token called \"%s\" already", name)
                 : pg_fail(s, r, err, "storing the token");
    PQclear(r);
    return rc;
}

static int pg_token_revoke(store *h, const char *name, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    char now[32];
    store_utc_now(now, sizeof now);
    const char *p[2] = {now, name};
    PGresult *r;
    if (run(s, "UPDATE gisd_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL", 2, p, &r, err,
            "revoking the token") != 0)
        return -1;
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    return n ? 0 : gisd_fail(err, GISD_E_NOTFOUND, "there is no live token called \"%s\"", name);
}

static int pg_token_list(store *h, json_t **out, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    *out = NULL;
    PGresult *r;
    if (run(s, "SELECT name, scope, created_at, revoked_at FROM gisd_tokens ORDER BY name", 0, NULL, &r, err,
            "listing the tokens") != 0)
        return -1;
    *out = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(*out, json_pack("{s:s, s:s, s:s, s:s?}", "name", PQgetvalue(r, i, 0), "scope",
                                              PQgetvalue(r, i, 1), "created_at", PQgetvalue(r, i, 2), "revoked_at",
                                              PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3)));
    PQclear(r);
    return 0;
}

static store_found pg_token_find(store *h, const char *hash, char name[128], char scope[512], gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    const char *p[1] = {hash};
    PGresult *r;
    if (run(s, "SELECT name, scope FROM gisd_tokens WHERE hash = $1 AND revoked_at IS NULL", 1, p, &r, err,
            "checking the token") != 0)
        return STORE_FAILED;
    int found = PQntuples(r) > 0;
    if (found) {
        snprintf(name, 128, "%s", PQgetvalue(r, 0, 0));
        snprintf(scope, 512, "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return found ? STORE_FOUND : STORE_ABSENT;
}

/* ---- reading ---- */

static int pg_layer_changes(store *h, long long *changes, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    memset(changes, 0, s->reg->n * sizeof *changes);
    PGresult *r;
    if (run(s, "SELECT layer, changes FROM gisd_layers", 0, NULL, &r, err, "reading the layers' change counters") != 0)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        const layer_def *l = layer_registry_find(s->reg, PQgetvalue(r, i, 0));
        if (l)
            changes[l - s->reg->layers] = strtoll(PQgetvalue(r, i, 1), NULL, 10);
    }
    PQclear(r);
    return 0;
}

static int pg_layer_stats_get(store *h, const layer_def *l, store_layer_stats *out, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    memset(out, 0, sizeof *out);
    const char *p[1] = {l->id};
    PGresult *r;
    if (run(s, "SELECT feature_count, minx, miny, maxx, maxy, changes, updated_at FROM gisd_layers WHERE layer = $1",
            1, p, &r, err, "reading layer statistics") != 0)
        return -1;
    if (PQntuples(r) > 0) {
        out->count = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        out->has_extent = !PQgetisnull(r, 0, 1);
        out->minx = strtod(PQgetvalue(r, 0, 1), NULL);
        out->miny = strtod(PQgetvalue(r, 0, 2), NULL);
        out->maxx = strtod(PQgetvalue(r, 0, 3), NULL);
        out->maxy = strtod(PQgetvalue(r, 0, 4), NULL);
        out->changes = strtoll(PQgetvalue(r, 0, 5), NULL, 10);
        snprintf(out->updated, sizeof out->updated, "%s", PQgetvalue(r, 0, 6));
    }
    PQclear(r);
    return 0;
}

static int pg_import_history(store *h, store_import_row **rows, size_t *n, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    *rows = NULL;
    *n = 0;
    PGresult *r;
    if (run(s, "SELECT id, file, layer, imported_at, features, repaired, seconds FROM gisd_imports ORDER BY id DESC",
            0, NULL, &r, err, "reading the import history") != 0)
        return -1;
    *n = (size_t)PQntuples(r);
    *rows = xcalloc(*n + 1, sizeof **rows);
    for (size_t i = 0; i < *n; i++) {
        store_import_row *w = &(*rows)[i];
        w->id = strtoll(PQgetvalue(r, (int)i, 0), NULL, 10);
        snprintf(w->file, sizeof w->file, "%s", PQgetvalue(r, (int)i, 1));
        snprintf(w->layer, sizeof w->layer, "%s", PQgetvalue(r, (int)i, 2));
        snprintf(w->imported_at, sizeof w->imported_at, "%s", PQgetvalue(r, (int)i, 3));
        w->features = strtoll(PQgetvalue(r, (int)i, 4), NULL, 10);
        w->repaired = strtoll(PQgetvalue(r, (int)i, 5), NULL, 10);
        w->seconds = strtod(PQgetvalue(r, (int)i, 6), NULL);
    }
    PQclear(r);
    return 0;
}

/* A query's parameters, as text (sqlite3_malloc'd, NULL for SQL NULL). */
typedef struct {
    char **p;
    int n, cap;
    int never; /* a value no row can equal (text for a number field) */
} params;

/* Adds a parameter (owned: taken) and returns its number for $n. */
static int param(params *ps, char *owned)
{
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 16;
        ps->p = xreallocarray(ps->p, (size_t)ps->cap, sizeof *ps->p);
    }
    ps->p[ps->n++] = owned;
    return ps->n;
}

static void params_free(params *ps)
{
    for (int i = 0; i < ps->n; i++)
        sqlite3_free(ps->p[i]);
    free(ps->p);
}

/* A literal of the CQL2 tree as a typed parameter. ts: a date read as its
 * midnight timestamp. */
static void pg_cql_literal(const cql_node *n, int ts, sqlite3_str *b, void *ud)
{
    params *ps = ud;
    if (n->kind == CQL_GEOM) {
        char *hex = sqlite3_malloc64(n->wkb_len * 2 + 1);
        if (!hex) {
            fprintf(stderr, "gisd: out of memory\n");
            abort();
        }
        for (size_t k = 0; k < n->wkb_len; k++)
            snprintf(hex + 2 * k, 3, "%02x", n->wkb[k]);
        hex[n->wkb_len * 2] = 0;
        sqlite3_str_appendf(b, "ST_SetSRID(ST_GeomFromWKB(decode($%d, 'hex')), %d)", param(ps, hex), STORE_SRID);
    } else if (n->kind == CQL_BBOX) {
        int k = param(ps, store_sql_double(n->bbox[0]));
        for (int j = 1; j < 4; j++)
            param(ps, store_sql_double(n->bbox[j]));
        sqlite3_str_appendf(b, "ST_MakeEnvelope($%d, $%d, $%d, $%d, %d)", k, k + 1, k + 2, k + 3, STORE_SRID);
    } else if (n->kind == CQL_DATE && ts) {
        sqlite3_str_appendf(b, "$%d::text", param(ps, store_sql_text("%s", n->alt)));
    } else if (n->kind == CQL_TEXT || n->kind == CQL_DATE || n->kind == CQL_TIMESTAMP) {
        sqlite3_str_appendf(b, "$%d::text", param(ps, store_sql_text("%s", n->text)));
    } else if (n->kind == CQL_BOOL) {
        /* booleans are stored as integers, as in SpatiaLite */
        sqlite3_str_appendf(b, "$%d::bigint", param(ps, store_sql_text("%d", n->number != 0)));
    } else {
        sqlite3_str_appendf(b, "$%d::double precision", param(ps, store_sql_double(n->number)));
    }
}

/* CQL2 in PostgreSQL: CASEI and ACCENTI by gisd's own folding
 * (fold_function_sql), LIKE PostgreSQL's (the same wildcards and backslash
 * escape as CQL2; a pattern's lone final backslash is escaped by the
 * parser), arithmetic in double precision as in SQLite's gisd_arith (/, %
 * and div by zero give NULL), temporal text compared by its bytes (COLLATE
 * "C"), as SQLite does. */
static const store_cql_dialect PG_CQL = {
    .literal = pg_cql_literal,
    .like = {"((", ") LIKE (", "))"},
    .spatial = {"", ")"},
    .arith = {[CQL_ADD] = {"((", ")::float8 + (", ")::float8)"},
              [CQL_SUB] = {"((", ")::float8 - (", ")::float8)"},
              [CQL_MUL] = {"((", ")::float8 * (", ")::float8)"},
              [CQL_DIV] = {"((", ")::float8 / NULLIF((", ")::float8, 0))"},
              [CQL_MOD] = {"gisd_mod((", ")::float8, (", ")::float8)"},
              [CQL_INTDIV] = {"trunc((", ")::float8 / NULLIF((", ")::float8, 0))"},
              [CQL_POW] = {"power((", ")::float8, (", ")::float8)"}},
    .casei = "gisd_casei(",
    .accenti = "gisd_accenti(",
    .temporal_cmp = " COLLATE \"C\"",
};

static int build_where(const layer_def *l, const store_query *q, sqlite3_str *b, params *ps, gisd_error *err)
{
    sqlite3_str_appendall(b, " WHERE true");
    if (q->has_bbox) {
        int k = ps->n + 1;
        for (int i = 0; i < 4; i++)
            param(ps, store_sql_double(q->bbox[i]));
        sqlite3_str_appendf(b, " AND geom && ST_MakeEnvelope($%d, $%d, $%d, $%d, %d)", k, k + 1, k + 2, k + 3,
                            STORE_SRID);
        if (!q->bbox_mbr_only && l->geometry != GEOM_POINT)
            sqlite3_str_appendf(b, " AND ST_Intersects(geom, ST_MakeEnvelope($%d, $%d, $%d, $%d, %d))", k, k + 1,
                                k + 2, k + 3, STORE_SRID);
    }
    for (size_t i = 0; i < q->nfilters; i++) {
        int f = layer_field_index(l, q->filter_fields[i]);
        if (f < 0)
            return gisd_fail(err, GISD_E_INPUT, "layer %s has no field \"%s\"", l->id, q->filter_fields[i]);
        if (field_type_numeric(l->fields[f].type)) {
            /* as SQLite compares a number column with text: by value, and never equal to non-numbers */
            char *end;
            double v = strtod(q->filter_values[i], &end);
            if (end == q->filter_values[i] || *end) {
                ps->never = 1;
                continue;
            }
            param(ps, store_sql_double(v));
            sqlite3_str_appendf(b, " AND \"%w\" = $%d::double precision", q->filter_fields[i], ps->n);
        } else if (!utf8_valid(q->filter_values[i])) {
            /* no UTF-8 text equals it; PostgreSQL would refuse the parameter outright */
            ps->never = 1;
        } else {
            param(ps, store_sql_text("%s", q->filter_values[i]));
            sqlite3_str_appendf(b, " AND \"%w\" = $%d", q->filter_fields[i], ps->n);
        }
    }
    if (q->feature_id && !utf8_valid(q->feature_id))
        ps->never = 1; /* no such feature, as SQLite finds none */
    else if (q->feature_id) {
        param(ps, store_sql_text("%s", q->feature_id));
        sqlite3_str_appendf(b, " AND \"%w\"::text = $%d", layer_id_column(l), ps->n);
    }
    if (ps->never)
        sqlite3_str_appendall(b, " AND false");
    if (q->filter) {
        sqlite3_str_appendall(b, " AND ");
        store_cql_condition(&PG_CQL, l, q->filter, b, ps);
    }
    if (q->has_after) {
        param(ps, store_sql_text("%lld", q->after_fid));
        sqlite3_str_appendf(b, " AND fid > $%d", ps->n);
    }
    return 0;
}

static int pg_query_count(store *h, const layer_def *l, const store_query *q, long long *out, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    *out = 0;
    int exists = table_exists(s, l->id, err);
    if (exists <= 0)
        return exists;
    sqlite3_str *b = sqlite3_str_new(NULL);
    sqlite3_str_appendall(b, "SELECT count(*) FROM ");
    store_sql_layer_from(b, h, l);
    params ps = {0};
    int rc = build_where(l, q, b, &ps, err);
    char *sql = store_sql_finish(b);
    PGresult *r = NULL;
    if (rc == 0)
        rc = run(s, sql, ps.n, (const char *const *)ps.p, &r, err, "counting features");
    if (rc == 0)
        *out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    sqlite3_free(sql);
    params_free(&ps);
    return rc;
}

static int pg_cursor_open(store *h, const layer_def *l, const store_query *q, store_cursor **out, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    *out = NULL;
    pg_cursor *c = xcalloc(1, sizeof *c);
    c->base.ops = &store_pg_ops;
    c->s = s;
    c->layer = l;
    c->row = -1;
    int exists = table_exists(s, l->id, err);
    if (exists <= 0) {
        if (exists < 0) {
            free(c);
            return -1;
        }
        *out = &c->base; /* a layer never imported is empty */
        return 0;
    }
    sqlite3_str *b = sqlite3_str_new(NULL);
    sqlite3_str_appendall(b, "SELECT ");
    for (size_t i = 0; i < l->nfields; i++)
        sqlite3_str_appendf(b, "\"%w\", ", l->fields[i].name);
    int srid = q->out_srid ? q->out_srid : STORE_SRID;
    /* EPSG:4326 output is the stored CGCS2000 as is, as on SpatiaLite */
    char *g = srid == STORE_SRID || srid == 4326 ? store_sql_text("geom") : store_sql_text("ST_Transform(geom, %d)", srid);
    if (q->swap_axes) {
        char *swapped = store_sql_text("ST_FlipCoordinates(%s)", g);
        sqlite3_free(g);
        g = swapped;
    }
    c->has_geom = q->geom_format != STORE_GEOM_NONE;
    c->wkb = q->geom_format == STORE_GEOM_WKB;
    if (q->geom_format == STORE_GEOM_WKB)
        sqlite3_str_appendf(b, "ST_AsBinary(%s)", g);
    else if (q->geom_format == STORE_GEOM_GEOJSON)
        /* options 0: no "crs" member, as RFC 7946 and SpatiaLite leave it out */
        sqlite3_str_appendf(b, "ST_AsGeoJSON(%s, %d, 0)", g, q->precision > 0 ? q->precision : 7);
    else
        sqlite3_str_appendall(b, "NULL");
    sqlite3_free(g);
    sqlite3_str_appendall(b, ", fid FROM ");
    store_sql_layer_from(b, h, l);
    params ps = {0};
    int rc = build_where(l, q, b, &ps, err);
    param(&ps, q->limit < 0 ? NULL : store_sql_text("%lld", q->limit));
    param(&ps, store_sql_text("%lld", q->offset));
    sqlite3_str_appendf(b, " ORDER BY fid LIMIT $%d OFFSET $%d", ps.n - 1, ps.n);
    char *sql = store_sql_finish(b);
    if (rc == 0)
        rc = run(s, sql, ps.n, (const char *const *)ps.p, &c->res, err, "reading features");
    sqlite3_free(sql);
    params_free(&ps);
    if (rc != 0) {
        pg_cursor_free(&c->base);
        return -1;
    }
    c->nrows = PQntuples(c->res);
    *out = &c->base;
    return 0;
}

static int hexval(char h)
{
    return h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h - 'A' + 10;
}

static int pg_cursor_next(store_cursor *cb, gisd_error *err)
{
    pg_cursor *c = (pg_cursor *)cb;
    (void)err;
    if (!c->res || c->row + 1 >= c->nrows)
        return 0;
    c->row++;
    int col = (int)c->layer->nfields;
    c->geom_len = 0;
    if (c->has_geom && c->wkb && !PQgetisnull(c->res, c->row, col)) {
        /* bytea arrives as "\x" and hex digits */
        const char *h = PQgetvalue(c->res, c->row, col);
        size_t n = (size_t)PQgetlength(c->res, c->row, col);
        if (n >= 2 && h[0] == '\\' && h[1] == 'x') {
            c->geom = xrealloc(c->geom, n / 2 + 1);
            for (size_t k = 2; k + 1 < n; k += 2)
                c->geom[c->geom_len++] = (unsigned char)(hexval(h[k]) << 4 | hexval(h[k + 1]));
        }
    }
    return 1;
}

static int pg_cursor_is_null(store_cursor *cb, size_t f)
{
    pg_cursor *c = (pg_cursor *)cb;
    return PQgetisnull(c->res, c->row, (int)f);
}

static const char *pg_cursor_text(store_cursor *cb, size_t f)
{
    pg_cursor *c = (pg_cursor *)cb;
    return PQgetvalue(c->res, c->row, (int)f);
}

static long long pg_cursor_int(store_cursor *cb, size_t f)
{
    pg_cursor *c = (pg_cursor *)cb;
    return strtoll(PQgetvalue(c->res, c->row, (int)f), NULL, 10);
}

static double pg_cursor_real(store_cursor *cb, size_t f)
{
    pg_cursor *c = (pg_cursor *)cb;
    return strtod(PQgetvalue(c->res, c->row, (int)f), NULL);
}

static const void *pg_cursor_geom(store_cursor *cb, size_t *len)
{
    pg_cursor *c = (pg_cursor *)cb;
    int col = (int)c->layer->nfields;
    *len = 0;
    if (!c->has_geom || PQgetisnull(c->res, c->row, col))
        return NULL;
    if (c->wkb) {
        *len = c->geom_len;
        return c->geom;
    }
    *len = (size_t)PQgetlength(c->res, c->row, col);
    return PQgetvalue(c->res, c->row, col);
}

static long long pg_cursor_fid(store_cursor *cb)
{
    pg_cursor *c = (pg_cursor *)cb;
    return strtoll(PQgetvalue(c->res, c->row, (int)c->layer->nfields + 1), NULL, 10);
}

static void pg_cursor_free(store_cursor *cb)
{
    pg_cursor *c = (pg_cursor *)cb;
    if (!c)
        return;
    PQclear(c->res);
    free(c->geom);
    free(c);
}

static int pg_check(store *h, char *msg, size_t n, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    (void)msg, (void)n;
    /* PostgreSQL checks its own pages; what gisd can see is whether it answers */
    PGresult *r;
    if (run(s, "SELECT 1", 0, NULL, &r, err, "checking the store") != 0)
        return -1;
    PQclear(r);
    return 0;
}

/* 1 when notifications of gisd_changes are waiting (consumed), 0 when not, -1 on error. */
static int drain_notifies(pg_store *s, gisd_error *err)
{
    if (!PQconsumeInput(s->conn))
        return pg_fail(s, NULL, err, "waiting for changes");
    int got = 0;
    PGnotify *n;
    while ((n = PQnotifies(s->conn))) {
        got = 1;
        PQfreemem(n);
    }
    return got;
}

static int pg_wait_changes(store *h, int timeout_ms, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    if (connected(s, err) != 0)
        return -1;
    if (!s->listening) {
        /* a streaming standby takes no LISTEN (and replays no NOTIFY): its
         * nodes rely on the change counters, which replication brings */
        PGresult *r;
        if (run(s, "SELECT pg_is_in_recovery()", 0, NULL, &r, err, "asking whether the database is a standby") != 0)
            return -1;
        int standby = PQgetvalue(r, 0, 0)[0] == 't';
        PQclear(r);
        if (standby)
            return gisd_fail(err, GISD_E_INPUT, "a standby announces no changes");
        if (exec(s, "LISTEN gisd_changes", 0, NULL, err, "listening for changes") != 0)
            return -1;
        s->listening = 1;
    }
    int got = drain_notifies(s, err);
    if (got != 0)
        return got;
    struct pollfd p = {.fd = PQsocket(s->conn), .events = POLLIN};
    int ready = poll(&p, 1, timeout_ms);
    return ready > 0 ? drain_notifies(s, err) : 0;
}

static int pg_is_immutable(const store *h)
{
    const pg_store *s = (const pg_store *)h;
    (void)s;
    return 0;
}

static int pg_sql_query(store *h, const char *sql, int n, const char *const *params, json_t **rows, gisd_error *err)
{
    pg_store *s = (pg_store *)h;
    if (rows)
        *rows = NULL;
    /* ? as $1, $2, ...: the scenario tables' SQL is written once for both */
    sqlite3_str *b = sqlite3_str_new(NULL);
    int k = 0;
    for (const char *c = sql; *c; c++)
        if (*c == '?')
            sqlite3_str_appendf(b, "$%d", ++k);
        else
            sqlite3_str_appendchar(b, 1, *c);
    char *text = store_sql_finish(b);
    PGresult *r;
    int rc = run(s, text, n, params, &r, err, "the scenarios");
    sqlite3_free(text);
    if (rc != 0)
        return -1;
    if (rows) {
        *rows = json_array();
        for (int i = 0; i < PQntuples(r); i++) {
            json_t *row = json_array();
            for (int c = 0; c < PQnfields(r); c++)
                json_array_append_new(row, PQgetisnull(r, i, c) ? json_null() : json_string(PQgetvalue(r, i, c)));
            json_array_append_new(*rows, row);
        }
    }
    PQclear(r);
    return 0;
}

static int pg_has_table(store *h, const char *name, gisd_error *err)
{
    return table_exists((pg_store *)h, name, err);
}

static const char *const PG_SCENARIO_DDL[] = {
    "CREATE TABLE IF NOT EXISTS gisd_scenarios (id text PRIMARY KEY, title text NOT NULL, description text,"
    " base text NOT NULL, created text NOT NULL, updated text NOT NULL, who text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS gisd_changes (fid bigserial PRIMARY KEY, scenario text NOT NULL, layer text NOT NULL,"
    " feature_id text NOT NULL, op text NOT NULL, base_etag text, props text, geom geometry(Geometry, 4490),"
    " UNIQUE (scenario, layer, feature_id))",
    NULL};

static void pg_sql_prop(sqlite3_str *b, const char *alias, const field_def *f)
{
    sqlite3_str_appendf(b, "(%s.props::jsonb ->> %Q)::%s", alias, f->name, pg_type(f->type));
}

const store_ops store_pg_ops = {
    .name = "PostgreSQL",
    .global_init = pg_global_init,
    .discard_created = pg_discard_created,
    .open = pg_open,
    .close = pg_close,
    .begin = pg_begin,
    .read_begin = pg_read_begin,
    .read_end = pg_read_end,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .layer_replace_begin = pg_layer_replace_begin,
    .layer_insert = pg_layer_insert,
    .layer_replace_end = pg_layer_replace_end,
    .import_record = pg_import_record,
    .feature_read = pg_feature_read,
    .edit_begin = pg_edit_begin,
    .edit_row = pg_edit_row,
    .layer_touch = pg_layer_touch,
    .history_add = pg_history_add,
    .history = pg_history,
    .token_add = pg_token_add,
    .token_revoke = pg_token_revoke,
    .token_list = pg_token_list,
    .token_find = pg_token_find,
    .meta_set = pg_meta_set,
    .meta_get = pg_meta_get,
    .layer_changes = pg_layer_changes,
    .layer_stats_get = pg_layer_stats_get,
    .import_history = pg_import_history,
    .query_count = pg_query_count,
    .cursor_open = pg_cursor_open,
    .cursor_next = pg_cursor_next,
    .cursor_is_null = pg_cursor_is_null,
    .cursor_text = pg_cursor_text,
    .cursor_int = pg_cursor_int,
    .cursor_real = pg_cursor_real,
    .cursor_geom = pg_cursor_geom,
    .cursor_fid = pg_cursor_fid,
    .cursor_free = pg_cursor_free,
    .check = pg_check,
    .wait_changes = pg_wait_changes,
    .is_immutable = pg_is_immutable,
    .sql_query = pg_sql_query,
    .sql_prop = pg_sql_prop,
    .has_table = pg_has_table,
    .scenario_ddl = PG_SCENARIO_DDL,
};
