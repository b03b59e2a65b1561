#include "testutil.h"

#include <arpa/inet.h>
#include <math.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *tu_root(void)
{
    const char *r = getenv("GISD_ROOT");
    return r ? r : ".";
}

const char *tu_gisd(void)
{
    const char *b = getenv("GISD_BIN");
    return b ? b : "gisd/gisd";
}

const char *tu_data(const char *rel)
{
    static char bufs[8][1024];
    static int k;
    char *b = bufs[k++ % 8];
    snprintf(b, 1024, "%s/data/%s", tu_root(), rel);
    return b;
}

const char *tu_tmpdir(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/build/tmp/%s-%d", tu_root(), name, (int)getpid());
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", path, path);
    assert_int_equal(system(cmd), 0);
    return path;
}

int tu_run(char **out, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[8300];
    snprintf(full, sizeof full, "( %s ) 2>&1", cmd);
    FILE *p = popen(full, "r");
    assert_non_null(p);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 1024) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    buf[len] = '\0';
    int st = pclose(p);
    if (out)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

void tu_import_reference(const char *db)
{
    char *out;
    int rc = tu_run(&out, "'%s' import --quiet --db '%s' --manifest '%s'", tu_gisd(), db,
                    tu_data("reference/manifest.json"));
    if (rc != 0)
        fprintf(stderr, "%s\n", out);
    free(out);
    assert_int_equal(rc, 0);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

void tu_server_start(tu_server *s, const char *db) { tu_server_start_args(s, db, NULL); }

void tu_server_start_args(tu_server *s, const char *db, const char *const *extra)
{
    s->port = free_port();
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        /* a test that fails before stopping its server must not leave it running */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        const char *argv[64] = {tu_gisd(), "serve", "--db", db, "--listen", listen, "--threads", "2"};
        size_t n = 8;
        for (size_t i = 0; extra && extra[i] && n < 63; i++)
            argv[n++] = extra[i];
        argv[n] = NULL;
        execv(tu_gisd(), (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        char *body = NULL;
        int status = tu_http(s, "GET", "/healthz", NULL, &body, NULL);
        free(body);
        if (status != 0) /* answering: 200, or 503 for a damaged store */
            return;
        usleep(50000);
    }
    fail_msg("gisd serve did not answer /healthz on port %d", s->port);
}

void tu_server_start_on(tu_server *s, const char *db, const char *host, int https, const char *const *extra)
{
    s->port = free_port();
    snprintf(s->base, sizeof s->base, "%s://127.0.0.1:%d", https ? "https" : "http", s->port);
    char listen[96];
    snprintf(listen, sizeof listen, "%s:%d", host, s->port);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        const char *argv[64] = {tu_gisd(), "serve", "--db", db, "--listen", listen, "--threads", "2"};
        size_t n = 8;
        for (size_t i = 0; extra && extra[i] && n < 63; i++)
            argv[n++] = extra[i];
        argv[n] = NULL;
        execv(tu_gisd(), (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        char *out = NULL;
        /* -k: the wait only asks whether it answers; the tests check the certificate */
        tu_run(&out, "curl -sk -o /dev/null -w '%%{http_code}' '%s/healthz'", s->base);
        int status = out ? atoi(out) : 0;
        free(out);
        if (status != 0)
            return;
        usleep(50000);
    }
    fail_msg("gisd serve did not answer /healthz at %s", s->base);
}

void tu_serve_reference(const char *suite, char *db, size_t dbsize, tu_server *s)
{
    tu_db(db, dbsize, tu_tmpdir(suite), "ref");
    tu_import_reference(db);
    tu_server_start(s, db);
}

void tu_server_stop(tu_server *s)
{
    kill(s->pid, SIGTERM);
    int st = 0;
    assert_int_equal(waitpid(s->pid, &st, 0), s->pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    size_t got = fread(b, 1, (size_t)n, f);
    b[got] = '\0';
    fclose(f);
    return b;
}

int tu_http(const tu_server *s, const char *method, const char *path, const char *body_file,
            char **body, char **headers)
{
    char bpath[256], hpath[256];
    snprintf(bpath, sizeof bpath, "/tmp/gisd-test-body-%d", (int)getpid());
    snprintf(hpath, sizeof hpath, "/tmp/gisd-test-head-%d", (int)getpid());
    char data[1200] = "";
    if (body_file)
        snprintf(data, sizeof data, "--data-binary '@%s' -H 'Content-Type: application/geo+json'",
                 body_file);
    char *out;
    tu_run(&out, "curl -s -g -X %s %s -o '%s' -D '%s' -w '%%{http_code}' '%s%s'", method, data,
           bpath, hpath, s->base, path);
    int status = atoi(out);
    free(out);
    if (body)
        *body = slurp(bpath);
    if (headers)
        *headers = slurp(hpath);
    unlink(bpath);
    unlink(hpath);
    return status;
}

void tu_make_heavy(const char *suite, char *db, size_t dbsize)
{
    const char *dir = tu_tmpdir(suite);
    tu_db(db, dbsize, dir, "heavy");
    tu_import_reference(db);
    char *out;
    int rc = tu_run(&out, "python3 '%s/tests/make_heavy_network.py' 400 > '%s/heavy.geojson' && "
                          "'%s' import --quiet --db '%s' '%s/heavy.geojson' --layer heat_network",
                    tu_root(), dir, tu_gisd(), db, dir);
    if (rc != 0)
        fail_msg("making the heavy city: %s", out);
    free(out);
}

int tu_on_pg(void)
{
    const char *pg = getenv("GISD_TEST_PG");
    return pg && *pg;
}

/* Appends s to a PostgreSQL identifier: lower-case letters, digits and _. */
static size_t ident_append(char *id, size_t k, size_t max, const char *s)
{
    for (; *s && k < max; s++)
        id[k++] = (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ? *s : '_';
    id[k] = '\0';
    return k;
}

void tu_db(char *db, size_t n, const char *dir, const char *name)
{
    if (!tu_on_pg()) {
        snprintf(db, n, "%s/%s.sqlite", dir, name);
        return;
    }
    /* the suite's directory name carries its pid, so no two runs share a database */
    char id[64];
    const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    size_t k = ident_append(id, 0, 40, base);
    k = ident_append(id, k, 41, "_");
    ident_append(id, k, 63, name);
    const char *uri = getenv("GISD_TEST_PG");
    char *out;
    int rc = tu_run(&out, "psql -X -q -v ON_ERROR_STOP=1 '%s' -c 'DROP DATABASE IF EXISTS \"%s\"'"
                          " -c 'CREATE DATABASE \"%s\" TEMPLATE gisd_template'",
                    uri, id, id);
    if (rc != 0)
        fail_msg("creating the database %s: %s", id, out);
    free(out);
    snprintf(db, n, "%.*s/%s", (int)(strrchr(uri, '/') - uri), uri, id);
}

int tu_sql(char **out, const char *db, const char *sql)
{
    if (strncmp(db, "postgresql://", 13) == 0)
        return tu_run(out, "psql -X -q -t -A -v ON_ERROR_STOP=1 '%s' -c \"%s\"", db, sql);
    return tu_run(out, "sqlite3 -cmd '.load mod_spatialite' '%s' \"%s\"", db, sql);
}

void tu_store_digest(const char *db, char out[65])
{
    char *o;
    if (strncmp(db, "postgresql://", 13) == 0) {
        /* every table in gisd's schema, row by row in a fixed order (PostGIS's catalogue aside) */
        int rc = tu_run(&o, "psql -X -q -t -A -v ON_ERROR_STOP=1 '%s' -c \"SELECT md5(string_agg(t, '|' ORDER BY t)) FROM ("
                            "SELECT format('%%s:%%s', c.relname, (xpath('/row/m/text()', query_to_xml(format("
                            "'SELECT md5(coalesce(string_agg(x::text, '','' ORDER BY x::text), '''')) AS m FROM %%I x',"
                            " c.relname), false, true, '')))[1]::text) AS t FROM pg_class c JOIN pg_namespace n ON"
                            " n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
                            " AND c.relname <> 'spatial_ref_sys') s\"",
                        db);
        if (rc != 0)
            fail_msg("psql: %s", o);
    } else {
        assert_int_equal(tu_run(&o, "sqlite3 '%s' .dump | sha256sum | cut -c1-64", db), 0);
    }
    snprintf(out, 65, "%.64s", o);
    out[strcspn(out, "\n")] = '\0';
    free(o);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

double tu_json_metres = 1.0;

int tu_json_match(json_t *got, json_t *want, const char *path, char *why, size_t n)
{
    char sub[512];
    if (json_is_object(want)) {
        if (!json_is_object(got))
            return snprintf(why, n, "%s: not an object", path), 1;
        const char *k;
        json_t *v;
        json_object_foreach(want, k, v) {
            snprintf(sub, sizeof sub, "%s.%s", path, k);
            json_t *g = json_object_get(got, k);
            if (!g)
                return snprintf(why, n, "%s: missing", sub), 1;
            if (tu_json_match(g, v, sub, why, n))
                return 1;
        }
        if (json_object_size(got) != json_object_size(want))
            return snprintf(why, n, "%s: %zu keys, want %zu", path, json_object_size(got),
                            json_object_size(want)), 1;
        return 0;
    }
    if (json_is_array(want)) {
        if (!json_is_array(got) || json_array_size(got) != json_array_size(want))
            return snprintf(why, n, "%s: %zu items, want %zu", path,
                            json_is_array(got) ? json_array_size(got) : 0, json_array_size(want)), 1;
        for (size_t i = 0; i < json_array_size(want); i++) {
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            if (tu_json_match(json_array_get(got, i), json_array_get(want, i), sub, why, n))
                return 1;
        }
        return 0;
    }
    if (json_is_number(want)) {
        if (!json_is_number(got))
            return snprintf(why, n, "%s: not a number", path), 1;
        double g = json_number_value(got), w = json_number_value(want);
        int ok = ends_with(path, "_m")                                    ? fabs(g - w) <= tu_json_metres
                 : ends_with(path, "reached_km")                          ? fabs(g - w) <= 0.001 * fabs(w) + 1e-9
                 : ends_with(path, "km2") || ends_with(path, "ratio")     ? fabs(g - w) <= 0.01 * fabs(w) + 1e-9
                                                                          : g == w;
        return ok ? 0 : (snprintf(why, n, "%s: %.6f, want %.6f", path, g, w), 1);
    }
    if (!json_equal(got, want)) {
        char *a = json_dumps(got, JSON_ENCODE_ANY), *b = json_dumps(want, JSON_ENCODE_ANY);
        snprintf(why, n, "%s: %s, want %s", path, a ? a : "?", b ? b : "?");
        free(a);
        free(b);
        return 1;
    }
    return 0;
}

json_t *tu_json_file(const char *path)
{
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    if (!j)
        fail_msg("%s: line %d: %s", path, e.line, e.text);
    return j;
}

json_t *tu_json_text(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("not JSON (%s): %.300s", e.text, text);
    return j;
}
