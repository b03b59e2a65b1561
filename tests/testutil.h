/* Shared by the tests: paths, running commands, a real server on a free port. */
#ifndef GISD_TESTUTIL_H
#define GISD_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three headers above first */
#include <cmocka.h>
#include <sys/types.h>

/* The repository root (GISD_ROOT) and the gisd binary under test (GISD_BIN). */
const char *tu_root(void);
const char *tu_gisd(void);
/* A fresh directory under build/tmp; the path is static storage. */
const char *tu_tmpdir(const char *name);
/* Runs a shell command; returns its exit status and (if out) what it printed
 * on stdout and stderr, malloc'd. */
int tu_run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "data/reference/<name>" under the root, in static storage (rotating buffers). */
const char *tu_data(const char *rel);
/* Imports the bundled reference manifest into db with the gisd binary. */
void tu_import_reference(const char *db);

typedef struct {
    pid_t pid;
    int port;
    char base[64];
} tu_server;

/* Starts `gisd serve` on a free loopback port and waits until /healthz answers. */
void tu_server_start(tu_server *s, const char *db);
/* The same with extra options of gisd serve (NULL-terminated; may be NULL). */
void tu_server_start_args(tu_server *s, const char *db, const char *const *extra);
/* The same listening on host (an address of this machine) over HTTPS when
 * https; base is still 127.0.0.1. */
void tu_server_start_on(tu_server *s, const char *db, const char *host, int https, const char *const *extra);
/* Imports the reference city into a fresh db (named after the suite) and serves it. */
void tu_serve_reference(const char *suite, char *db, size_t dbsize, tu_server *s);
/* SIGTERM, then checks that it exited cleanly. */
void tu_server_stop(tu_server *s);
/* GET (or with body, POST) base+path with curl; returns the status, body malloc'd. */
int tu_http(const tu_server *s, const char *method, const char *path, const char *body_file,
            char **body, char **headers);

/* The reference city with a heat network of 400 long winding pipes (its 50 km
 * coverage takes GEOS minutes), in a fresh db named after the suite. */
void tu_make_heavy(const char *suite, char *db, size_t dbsize);

/* 1 when the harness runs the suite on PostgreSQL (GISD_TEST_PG holds the URI
 * of its throwaway cluster, with a database gisd_template holding PostGIS),
 * 0 on SpatiaLite. */
int tu_on_pg(void);
/* A fresh, empty store called name for a suite whose directory is dir (from
 * tu_tmpdir): the file dir/name.sqlite, or a new database on the harness's
 * cluster. db gets the --db value; fails the test if the database cannot be made. */
void tu_db(char *db, size_t n, const char *dir, const char *name);
/* Runs one SQL query on the store, with sqlite3 (SpatiaLite loaded) or psql:
 * a row a line, columns between |. Returns the tool's exit status, its output in out. */
int tu_sql(char **out, const char *db, const char *sql);
/* A digest of the store's content (sqlite3 .dump, or every table of the
 * PostgreSQL database row by row), to prove nothing changed. */
void tu_store_digest(const char *db, char out[65]);

#include <jansson.h>
/* Compares an answer with a reference answer within ANALYSES.md's tolerances:
 * keys ending in _m within 1 m, in km2 or ratio within 1%, everything else
 * exactly. Returns 0, or 1 with the first difference in why. */
int tu_json_match(json_t *got, json_t *want, const char *path, char *why, size_t n);
/* The tolerance of keys ending in _m (1 m unless a suite sets it; NETWORK.md
 * asks 0.5 m); reached_km within 0.1%. */
extern double tu_json_metres;
/* Loads a JSON file or text; fails the test when it does not parse. */
json_t *tu_json_file(const char *path);
json_t *tu_json_text(const char *text);

#endif
