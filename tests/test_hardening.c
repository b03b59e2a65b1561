/* Hostile requests and operator faults against the real server: every one
 * of them gets a clear answer, and none takes gisd down, wedges it or makes
 * it lie. Each test reproduces a row of the hardening issue. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "utf8.h"
#include "testutil.h"

static char refdb[1200], heavydb[1200];
static tu_server srv;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int setup(void **state)
{
    (void)state;
    tu_serve_reference("hardening", refdb, sizeof refdb, &srv);
    tu_make_heavy("hardening-heavy", heavydb, sizeof heavydb);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    return 0;
}

/* GET path from s; the status, with the body parsed as JSON (which also
 * proves it is valid UTF-8: jansson refuses anything else). */
static int get_json(const tu_server *s, const char *path, json_t **doc)
{
    char *body = NULL;
    int status = tu_http(s, "GET", path, NULL, &body, NULL);
    json_error_t e;
    *doc = json_loads(body, 0, &e);
    if (!*doc)
        fail_msg("GET %s: %d and not JSON (%s): %.300s", path, status, e.text, body);
    free(body);
    return status;
}

static void assert_alive(const tu_server *s)
{
    json_t *j;
    assert_int_equal(get_json(s, "/healthz", &j), 200);
    json_decref(j);
}

static const char *description(json_t *j) { return json_string_value(json_object_get(j, "description")); }

/* Row 1: a radius GEOS cannot buffer was a segfault; now a 400 naming the limit. */
static void absurd_radius_is_refused_with_its_limit(void **state)
{
    (void)state;
    json_t *j;
    assert_int_equal(get_json(&srv, "/analysis/heating-coverage?radius_m=1e300", &j), 400);
    assert_non_null(strstr(description(j), "50000"));
    json_decref(j);
    assert_int_equal(get_json(&srv, "/analysis/recycling-coverage?radius_m=-1", &j), 400);
    json_decref(j);
    assert_int_equal(get_json(&srv, "/analysis/hw-proximity?max_km=1e9", &j), 400);
    assert_non_null(strstr(description(j), "1000"));
    json_decref(j);
    assert_alive(&srv);
    char *out;
    int rc = tu_run(&out, "'%s' analyze heating-coverage --db '%s' --radius-m 1e300 2>&1", tu_gisd(), refdb);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "50000"));
    free(out);
}

/* Row 2: a bbox that made ST_Segmentize spin forever is a quick 400. */
static void absurd_projected_bbox_is_refused_at_once(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "/collections/enterprises/items?bbox=0,0,1e300,1e300&bbox-crs=EPSG:4549",
        "/collections/enterprises/items?bbox=0,0,1e300,1e300&bbox-crs=EPSG:3857",
        "/collections/enterprises/items?bbox=-1e9,-1e9,1e9,1e9&bbox-crs=EPSG:4549"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        double t0 = now_s();
        json_t *j;
        assert_int_equal(get_json(&srv, paths[i], &j), 400);
        assert_true(now_s() - t0 < 2.0);
        assert_non_null(strstr(description(j), "bbox"));
        json_decref(j);
    }
    /* a sane projected bbox (northing first, as EPSG:4549 orders its axes) still answers */
    json_t *j;
    assert_int_equal(get_json(&srv, "/collections/enterprises/items?bbox=3070000,570000,3080000,580000"
                                    "&bbox-crs=EPSG:4549&limit=1", &j), 200);
    assert_true(json_integer_value(json_object_get(j, "numberMatched")) > 0);
    json_decref(j);
    assert_alive(&srv);
}

/* Rows 4 and 5: invalid UTF-8 and long CJK values were dropped connections. */
static void errors_are_valid_utf8_whatever_the_request_carried(void **state)
{
    (void)state;
    json_t *j;
    assert_int_equal(get_json(&srv, "/collections/%FF%FE/items", &j), 404);
    assert_true(utf8_valid(description(j)));
    json_decref(j);
    assert_int_equal(get_json(&srv, "/collections/enterprises/items/%FF%FE", &j), 404);
    json_decref(j);
    assert_int_equal(get_json(&srv, "/collections/enterprises/items?%FF%FE=1", &j), 400);
    json_decref(j);
    char path[8000] = "/collections/enterprises/items?";
    for (int i = 0; i < 800; i++)
        strcat(path, "%E4%B8%AD"); /* 中 */
    strcat(path, "=1");
    assert_int_equal(get_json(&srv, path, &j), 400);
    assert_true(utf8_valid(description(j)));
    json_decref(j);
    strcpy(path, "/collections/enterprises/items/");
    for (int i = 0; i < 800; i++)
        strcat(path, "%E4%B8%AD");
    assert_int_equal(get_json(&srv, path, &j), 404);
    json_decref(j);
    /* site-check with a 1,000-character project class */
    const char *site = "build/tmp/long-class.geojson";
    FILE *f = fopen(site, "w");
    assert_non_null(f);
    fputs("{\"type\":\"Feature\",\"properties\":{\"project_class\":\"", f);
    for (int i = 0; i < 1000; i++)
        fputs("中", f);
    fputs("\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.65,27.95]}}", f);
    fclose(f);
    char *body = NULL;
    assert_int_equal(tu_http(&srv, "POST", "/analysis/site-check", site, &body, NULL), 400);
    j = tu_json_text(body);
    assert_true(utf8_valid(description(j)));
    json_decref(j);
    free(body);
    assert_alive(&srv);
}

/* The site's vertex count has a documented limit too. */
static void a_site_of_too_many_vertices_is_refused(void **state)
{
    (void)state;
    const char *site = "build/tmp/many-vertices.geojson";
    assert_int_equal(tu_run(NULL, "python3 -c \"import json, math; n = 120000; "
                                  "ring = [[120.65 + 0.01 * math.cos(2 * math.pi * i / n), "
                                  "27.95 + 0.01 * math.sin(2 * math.pi * i / n)] for i in range(n)]; "
                                  "ring.append(ring[0]); print(json.dumps({'type': 'Feature', "
                                  "'properties': {'project_class': 'M2'}, 'geometry': "
                                  "{'type': 'Polygon', 'coordinates': [ring]}}))\" > %s", site), 0);
    char *body = NULL;
    assert_int_equal(tu_http(&srv, "POST", "/analysis/site-check", site, &body, NULL), 400);
    assert_non_null(strstr(body, "100000 vertices"));
    free(body);
}

/* Row 6: a Host nobody vouched for is never reflected into links. */
static void links_never_carry_an_unvouched_host(void **state)
{
    (void)state;
    char *out;
    int rc = tu_run(&out, "curl -s -H 'Host: evil.example' -w ' %%{http_code}' '%s/tiles/all.json'", srv.base);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, " 400"));
    assert_non_null(strstr(out, "--allowed-hosts"));
    free(out);
    /* X-Forwarded-* from a client that is not the trusted proxy changes nothing */
    rc = tu_run(&out, "curl -s -H 'X-Forwarded-Proto: https' -H 'X-Forwarded-Host: evil.example' '%s/'", srv.base);
    assert_int_equal(rc, 0);
    assert_null(strstr(out, "evil"));
    assert_null(strstr(out, "https:"));
    free(out);

    tu_server s;
    const char *pub[] = {"--public-url", "https://maps.example.org/gisd/", NULL};
    tu_server_start_args(&s, refdb, pub);
    rc = tu_run(&out, "curl -s -H 'Host: evil.example' '%s/tiles/all.json'", s.base);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "\"https://maps.example.org/gisd/tiles/all/{z}/{x}/{y}.mvt\""));
    assert_null(strstr(out, "evil"));
    free(out);
    tu_server_stop(&s);

    const char *proxied[] = {"--trusted-proxy", "127.0.0.1", "--allowed-hosts", "maps.example", NULL};
    tu_server_start_args(&s, refdb, proxied);
    rc = tu_run(&out, "curl -s -D- -H 'X-Forwarded-Proto: https' -H 'X-Forwarded-Host: maps.example' "
                      "'%s/styles/planning.json'", s.base);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "https://maps.example/tiles/all.json"));
    assert_non_null(strstr(out, "Vary: X-Forwarded-Proto, X-Forwarded-Host"));
    free(out);
    tu_server_stop(&s);
}

/* Row 7: slow readers of big pages no longer starve everyone else of store
 * connections. */
static void slow_readers_do_not_starve_other_clients(void **state)
{
    (void)state;
    char *out;
    int rc = tu_run(&out, "python3 '%s/tests/net_probe.py' storm 127.0.0.1 %d 100 200 "
                          "'/collections/zones/items?limit=10000' /healthz "
                          "/tiles/all/12/3420/1710.mvt 30",
                    tu_root(), srv.port);
    if (rc != 0 || !strstr(out, "probes 200 ok 200"))
        fail_msg("probes beside 100 slow readers: %s", out);
    free(out);
    assert_alive(&srv);
}

/* Row 9: HEAD of a streamed collection sends headers and nothing after. */
static void head_of_items_has_no_body(void **state)
{
    (void)state;
    char *out;
    int rc = tu_run(&out, "python3 '%s/tests/net_probe.py' head 127.0.0.1 %d /collections/parks/items",
                    tu_root(), srv.port);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "status 200"));
    if (!strstr(out, "after_headers 0"))
        fail_msg("HEAD sent a body: %s", out);
    free(out);
}

/* Row 10: q=0 means no. */
static void gzip_only_when_accepted(void **state)
{
    (void)state;
    char *out;
    const char *tile = "/tiles/all/12/3420/1710.mvt";
    int rc = tu_run(&out, "curl -s -D- -o /dev/null -H 'Accept-Encoding: gzip;q=0, *;q=0' '%s%s'", srv.base, tile);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "200 OK"));
    assert_null(strstr(out, "Content-Encoding: gzip"));
    free(out);
    rc = tu_run(&out, "curl -s -D- -o /dev/null -H 'Accept-Encoding: br, gzip;q=0.5' '%s%s'", srv.base, tile);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "Content-Encoding: gzip"));
    free(out);
}

/* Row 12: the limits answer in JSON with their own statuses. */
static void limits_answer_414_431_in_json(void **state)
{
    (void)state;
    char *out;
    /* (413 for a body over 10 MiB is in test_http.c) */
    int rc = tu_run(&out, "curl -s -w ' %%{http_code}' \"%s/collections/$(head -c 9000 /dev/zero | tr '\\0' a)\"",
                srv.base);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "URITooLong"));
    assert_non_null(strstr(out, " 414"));
    free(out);
    rc = tu_run(&out, "curl -s -w ' %%{http_code}' -H \"X-Big: $(head -c 40000 /dev/zero | tr '\\0' a)\" "
                      "'%s/healthz'", srv.base);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "RequestHeaderFieldsTooLarge"));
    assert_non_null(strstr(out, " 431"));
    free(out);
    assert_alive(&srv);
}

/* The access log: one JSON line per request with what operators need. */
static void access_log_has_a_json_line_per_request(void **state)
{
    (void)state;
    char logpath[1300];
    snprintf(logpath, sizeof logpath, "%s/access.log", tu_tmpdir("hardening-log"));
    const char *args[] = {"--access-log", logpath, NULL};
    tu_server s;
    tu_server_start_args(&s, refdb, args);
    json_t *j;
    assert_int_equal(get_json(&s, "/collections/parks/items?limit=2", &j), 200);
    json_decref(j);
    assert_int_equal(get_json(&s, "/nowhere", &j), 404);
    json_decref(j);
    /* every answer's bytes are counted: a feature, a write, a 401 and a 429 */
    assert_int_equal(get_json(&s, "/collections/parks/items/WZ01", &j), 200);
    json_decref(j);
    char *tok, *o;
    assert_int_equal(tu_run(&tok, "'%s' token add --db '%s' --name logger --scope write:zones 2>/dev/null", tu_gisd(), refdb), 0);
    tok[strcspn(tok, "\n")] = 0;
    assert_int_equal(tu_run(&o, "curl -s -o /dev/null -w '%%{http_code}' -X POST -H 'Authorization: Bearer %s' "
                                "--data-binary '{\"type\":\"Feature\",\"properties\":{\"zone_id\":\"ZLOG\",\"park_id\":\"WZ01\","
                                "\"land_use\":\"M1\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[120.7,28.0],"
                                "[120.71,28.0],[120.71,28.01],[120.7,28.0]]]}}' '%s/collections/zones/items'", tok, s.base), 0);
    assert_string_equal(o, "201");
    free(o);
    assert_int_equal(tu_run(&o, "curl -s -o /dev/null -w '%%{http_code}' -X PATCH -H 'Authorization: Bearer %s' "
                                "-H 'If-Match: *' --data-binary '{\"properties\":{\"land_use\":\"M2\"}}' "
                                "'%s/collections/zones/items/ZLOG'", tok, s.base), 0);
    assert_string_equal(o, "200");
    free(o);
    free(tok);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(tu_run(&o, "curl -s -o /dev/null -X DELETE -H 'Authorization: Bearer nottoken' -H 'If-Match: *' "
                                    "'%s/collections/zones/items/ZLOG'", s.base), 0);
        free(o);
    }
    tu_server_stop(&s);
    FILE *f = fopen(logpath, "r");
    assert_non_null(f);
    char line[4096];
    int items = 0, missing = 0, counted = 0;
    while (fgets(line, sizeof line, f)) {
        json_t *l = tu_json_text(line);
        for (const char *k = "time\0method\0path\0query\0status\0bytes\0ms\0client\0"; *k; k += strlen(k) + 1)
            assert_non_null(json_object_get(l, k));
        const char *path = json_string_value(json_object_get(l, "path"));
        if (strcmp(path, "/collections/parks/items") == 0) {
            items++;
            assert_int_equal(json_integer_value(json_object_get(l, "status")), 200);
            assert_string_equal(json_string_value(json_object_get(l, "query")), "limit=2");
            assert_true(json_integer_value(json_object_get(l, "bytes")) > 100);
            assert_string_equal(json_string_value(json_object_get(l, "client")), "127.0.0.1");
        }
        if (strcmp(path, "/nowhere") == 0)
            missing = json_integer_value(json_object_get(l, "status")) == 404;
        if (strncmp(path, "/collections/parks/items/", 25) == 0 || strncmp(path, "/collections/zones/items", 24) == 0) {
            if (json_integer_value(json_object_get(l, "bytes")) <= 0)
                fail_msg("no bytes counted: %s", line);
            counted++;
        }
        json_decref(l);
    }
    fclose(f);
    assert_int_equal(items, 1);
    assert_true(missing);
    assert_int_equal(counted, 1 + 2 + 6);
}

/* An analysis CRS must measure the ground near the data: Web Mercator (14%
 * there) and a Gauss-Kruger zone 45 degrees away are refused, naming why and
 * what to use; the city's own zone and UTM are taken. */
static void analysis_crs_must_be_true_near_the_data(void **state)
{
    (void)state;
    json_t *j;
    const char *bad[] = {"EPSG:3857", "EPSG:4513", "EPSG:4326"};
    for (size_t i = 0; i < 3; i++) {
        char path[200];
        snprintf(path, sizeof path, "/analysis/heating-coverage?park_id=WZ01&analysis_crs=%s", bad[i]);
        assert_int_equal(get_json(&srv, path, &j), 400);
        const char *d = json_string_value(json_object_get(j, "description"));
        if (!strstr(d, i < 2 ? "distorts distances" : "not a projected CRS") || !strstr(d, "EPSG:45"))
            fail_msg("%s: %s", bad[i], d);
        json_decref(j);
    }
    assert_int_equal(get_json(&srv, "/analysis/heating-coverage?park_id=WZ01&analysis_crs=EPSG:32651", &j), 200);
    json_decref(j);
    char *o;
    assert_int_equal(tu_run(&o, "'%s' analyze heating-coverage --db '%s' --park-id WZ01 --analysis-crs EPSG:3857", tu_gisd(),
                            refdb), 1);
    assert_non_null(strstr(o, "distorts distances"));
    free(o);
}

/* Small things the hostile round found: datetime must be one, an execute
 * request an object of known members. */
static void malformed_datetime_and_execute_requests(void **state)
{
    (void)state;
    json_t *j;
    static const struct {
        const char *value;
        int status;
    } cases[] = {{"", 400}, {"yesterday", 400}, {"2024-13-01", 400}, {"../..", 400},
                 {"2024-01-01/2024-02-01/2024-03-01", 400}, {"2024-05-01", 200}, {"2024-05-01T08:00:00Z", 200},
                 {"2024-05-01T08:00:00%2B08:00", 200}, {"../2024-05-01", 200}, {"2024-05-01/..", 200}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[200];
        snprintf(path, sizeof path, "/collections/parks/items?limit=1&datetime=%s", cases[i].value);
        int status = get_json(&srv, path, &j);
        if (status != cases[i].status)
            fail_msg("datetime=%s: %d, want %d", cases[i].value, status, cases[i].status);
        json_decref(j);
    }
    const char *bodies[][2] = {{"[]", "execute request"}, {"{\"capable\": 1}", "capable"},
                               {"{\"inputs\": []}", "inputs must be an object"}};
    for (size_t i = 0; i < 3; i++) {
        char *o;
        assert_int_equal(tu_run(&o, "curl -s -w ' %%{http_code}' -H 'Content-Type: application/json' --data-binary '%s' "
                                    "'%s/processes/heating-coverage/execution'", bodies[i][0], srv.base), 0);
        if (!strstr(o, " 400") || !strstr(o, bodies[i][1]))
            fail_msg("%s: %s", bodies[i][0], o);
        free(o);
    }
}

/* Row 8: analyses run on their own pool with a deadline; the queue has a
 * limit; tiles and health stay fast meanwhile. */
static void heavy_analyses_keep_off_the_http_threads(void **state)
{
    (void)state;
    tu_server s;
    const char *args[] = {"--analysis-timeout-s", "4", "--analysis-threads", "2", "--analysis-queue", "6", NULL};
    tu_server_start_args(&s, heavydb, args);
    const char *tile = "/tiles/parks/10/855/429.mvt";
    char *out;
    assert_int_equal(tu_run(&out, "curl -s -o /dev/null -w '%%{http_code}' '%s%s'", s.base, tile), 0);
    assert_string_equal(out, "200");
    free(out);
    /* 10 heavy analyses at once: 8 fit (2 running, 6 queued), the rest are turned away */
    char dir[1300];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("hardening-heavy-req"));
    assert_int_equal(tu_run(NULL, "for i in 0 1 2 3 4 5 6 7 8 9; do curl -s -D '%s/h'$i -o '%s/b'$i "
                                  "'%s/analysis/heating-coverage?radius_m=50000' >/dev/null 2>&1 & done; sleep 0.5",
                            dir, dir, s.base), 0);
    double worst = 0;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(tu_run(&out, "curl -s -o /dev/null -w '%%{http_code} %%{time_total}' '%s%s'", s.base,
                                i % 2 ? tile : "/healthz"), 0);
        double t = atof(strchr(out, ' ') + 1);
        if (t > worst)
            worst = t;
        assert_int_equal(atoi(out), 200);
        free(out);
        usleep(100000);
    }
    if (worst >= 0.1)
        fail_msg("a tile or /healthz took %.3f s beside 8 heavy analyses", worst);
    assert_int_equal(tu_run(NULL, "for i in 0 1 2 3 4 5 6 7 8 9; do n=0; until grep -q . '%s/b'$i "
                                  "2>/dev/null || [ $n -gt 100 ]; do sleep 0.2; n=$((n+1)); done; done", dir), 0);
    int busy = 0, timeout = 0;
    for (int i = 0; i < 10; i++) {
        char path[1400];
        snprintf(path, sizeof path, "%s/h%d", dir, i);
        assert_int_equal(tu_run(&out, "cat '%s' '%s/b%d'", path, dir, i), 0);
        assert_non_null(strstr(out, "Retry-After: 5"));
        assert_non_null(strstr(out, "HTTP/1.1 503"));
        busy += strstr(out, "ServiceUnavailable") != NULL;
        timeout += strstr(out, "\"Timeout\"") != NULL && strstr(out, "--analysis-timeout-s 4") != NULL;
        free(out);
    }
    /* 2 run and 6 wait once the workers have taken theirs; a worker slower to
     * take one leaves one more turned away */
    assert_true(busy >= 2 && busy <= 4);
    assert_int_equal(busy + timeout, 10);
    assert_alive(&s);
    tu_server_stop(&s);
}

/* Rows 2 and 3: SIGTERM ends the process within the grace period and 2 s,
 * whatever its workers are doing; clients waiting get an answer. */
static void sigterm_ends_gisd_within_the_grace_period(void **state)
{
    (void)state;
    tu_server s;
    const char *args[] = {"--grace-s", "1", "--analysis-timeout-s", "600", NULL};
    tu_server_start_args(&s, heavydb, args);
    char dir[1300];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("hardening-term"));
    assert_int_equal(tu_run(NULL, "for i in 0 1 2; do curl -s -o '%s/b'$i "
                                  "'%s/analysis/heating-coverage?radius_m=50000' >/dev/null 2>&1 & done; "
                                  "curl -s -o /dev/null '%s/collections/enterprises/items?bbox=0,0,1e300,1e300&bbox-crs=EPSG:3857'; "
                                  "sleep 1", dir, s.base, s.base), 0);
    double t0 = now_s();
    kill(s.pid, SIGTERM);
    int st = 0;
    assert_int_equal(waitpid(s.pid, &st, 0), s.pid);
    double took = now_s() - t0;
    if (took > 3.0)
        fail_msg("gisd took %.1f s to stop; the grace period is 1 s", took);
    assert_true(WIFEXITED(st));
    char *out;
    assert_int_equal(tu_run(&out, "sleep 0.5; cat '%s/b0' '%s/b1' '%s/b2'", dir, dir, dir), 0);
    /* every waiting client was told, in JSON, that its analysis was cancelled */
    assert_non_null(strstr(out, "cancelled"));
    free(out);
}

/* Row 15: a damaged page is reported by /healthz and never served as a short 200. */
static void a_damaged_store_is_reported_not_served(void **state)
{
    (void)state;
    if (tu_on_pg()) {
        /* a damaged page is SQLite's; PostgreSQL's failure is the server going away (test_pg) */
        printf("skipped on PostgreSQL: the database's pages are PostgreSQL's to check\n");
        skip();
    }
    char db[1300], *out;
    snprintf(db, sizeof db, "%s/damaged.sqlite", tu_tmpdir("hardening-damaged"));
    assert_int_equal(tu_run(NULL, "cp '%s' '%s'", refdb, db), 0);
    /* overwrite the middle of the zones table's pages with garbage */
    int rc = tu_run(&out, "sqlite3 '%s' \"SELECT pageno FROM dbstat WHERE name='zones' AND pagetype='leaf' "
                          "ORDER BY pageno LIMIT 1 OFFSET 3\"", db);
    assert_int_equal(rc, 0);
    long page = atol(out);
    free(out);
    assert_true(page > 1);
    assert_int_equal(tu_run(NULL, "printf 'garbage%%.0s' $(seq 1 500) | dd of='%s' bs=1 seek=%ld conv=notrunc "
                                  "status=none", db, (page - 1) * 4096 + 100), 0);
    const char *args[] = {"--check-interval-s", "1", NULL};
    tu_server s;
    tu_server_start_args(&s, db, args);
    json_t *j = NULL;
    int status = 0;
    for (int i = 0; i < 40 && status != 503; i++) {
        json_decref(j);
        status = get_json(&s, "/healthz", &j);
        usleep(100000);
    }
    assert_int_equal(status, 503);
    assert_non_null(strstr(description(j), "quick_check"));
    json_decref(j);
    /* the whole layer: an error status, or a stream that ends in error; never a clean 200 */
    rc = tu_run(&out, "curl -s -o /dev/null -w '%%{http_code}' '%s/collections/zones/items?limit=10000'", s.base);
    if (rc == 0 && strcmp(out, "200") == 0)
        fail_msg("a damaged layer was served as a complete 200");
    free(out);
    tu_server_stop(&s);
}

/* Rows 13 and 14, which need a file system of their own: an import on a full
 * disk says so with its own exit status and changes nothing; a store in a
 * read-only directory is still served. */
static void full_disk_and_read_only_directory(void **state)
{
    (void)state;
    const char *mnt = tu_tmpdir("hardening-mnt");
    if (tu_on_pg()) {
        printf("skipped on PostgreSQL: its disk is the database server's, not a file gisd writes\n");
        skip();
    }
    if (getuid() != 0 || mount("tmpfs", mnt, "tmpfs", 0, "size=24m") != 0) {
        printf("skipped: full disk and read-only directory need root and a tmpfs mount (uid %d)\n",
               (int)getuid());
        return;
    }
    char db[1300], digest[65], after[65], *out;
    snprintf(db, sizeof db, "%s/store.sqlite", mnt);
    tu_import_reference(db);
    tu_store_digest(db, digest);
    /* fill all but 300 KB (room to open the store, not to import), then import 60,000 points */
    assert_int_equal(tu_run(NULL, "avail=$(df --output=avail -k '%s' | tail -1); "
                                  "dd if=/dev/zero of='%s/fill' bs=1k count=$((avail - 300)) status=none",
                            mnt, mnt), 0);
    assert_int_equal(tu_run(NULL, "python3 -c \"print('name,lon,lat'); "
                                  "[print('p%%d,120.%%04d,27.9' %% (i, i %% 10000)) for i in range(60000)]\" "
                                  "> build/tmp/many.csv"), 0);
    int rc = tu_run(&out, "'%s' import --quiet --db '%s' build/tmp/many.csv --layer recycling_points "
                          "--x lon --y lat --srs EPSG:4490 --map name=point_id 2>&1", tu_gisd(), db);
    assert_int_equal(rc, 74);
    assert_non_null(strstr(out, "disk is full"));
    free(out);
    assert_int_equal(tu_run(NULL, "rm -f '%s/fill'", mnt), 0);
    tu_store_digest(db, after);
    assert_string_equal(digest, after);
    /* read-only: SQLite cannot make the WAL's -shm file here */
    assert_int_equal(tu_run(NULL, "rm -f '%s-wal' '%s-shm'", db, db), 0);
    assert_int_equal(mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
    tu_server s;
    tu_server_start(&s, db);
    json_t *j;
    assert_int_equal(get_json(&s, "/collections/parks/items?limit=1", &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "features")), 1);
    json_decref(j);
    tu_server_stop(&s);
    assert_int_equal(umount(mnt), 0);
}

/* An import killed in the middle (SIGKILL or SIGTERM) leaves the store as it
 * was, and the store still opens. */
static void killed_imports_change_nothing(void **state)
{
    (void)state;
    char db[1300], before[65], after[65];
    tu_db(db, sizeof db, tu_tmpdir("hardening-killed"), "killed");
    tu_import_reference(db);
    tu_store_digest(db, before);
    assert_int_equal(tu_run(NULL, "python3 -c \"print('id,lon,lat'); "
                                  "[print('k%%d,120.%%05d,27.9' %% (i, i %% 100000)) for i in range(300000)]\" "
                                  "> build/tmp/killed.csv"), 0);
    static const char *const sigs[] = {"KILL", "TERM"};
    for (size_t i = 0; i < 2; i++) {
        char *out;
        /* kill it once it is writing rows: when its progress says so, or after 2 s */
        int rc = tu_run(&out, "'%s' import --db '%s' build/tmp/killed.csv --layer recycling_points --x lon "
                              "--y lat --srs EPSG:4490 --map id=point_id > build/tmp/killed.log 2>&1 & pid=$!; "
                              "sleep 2; kill -%s $pid; wait $pid; echo \"status $?\"",
                        tu_gisd(), db, sigs[i]);
        assert_int_equal(rc, 0);
        /* 128 + the signal: it died of it, mid-import */
        assert_non_null(strstr(out, i == 0 ? "status 137" : "status 143"));
        free(out);
        tu_store_digest(db, after);
        assert_string_equal(before, after);
        assert_int_equal(tu_run(&out, "'%s' analyze recycling-coverage --db '%s'", tu_gisd(), db), 0);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(absurd_radius_is_refused_with_its_limit),
        cmocka_unit_test(absurd_projected_bbox_is_refused_at_once),
        cmocka_unit_test(errors_are_valid_utf8_whatever_the_request_carried),
        cmocka_unit_test(a_site_of_too_many_vertices_is_refused),
        cmocka_unit_test(links_never_carry_an_unvouched_host),
        cmocka_unit_test(slow_readers_do_not_starve_other_clients),
        cmocka_unit_test(head_of_items_has_no_body),
        cmocka_unit_test(gzip_only_when_accepted),
        cmocka_unit_test(limits_answer_414_431_in_json),
        cmocka_unit_test(access_log_has_a_json_line_per_request),
        cmocka_unit_test(heavy_analyses_keep_off_the_http_threads),
        cmocka_unit_test(sigterm_ends_gisd_within_the_grace_period),
        cmocka_unit_test(a_damaged_store_is_reported_not_served),
        cmocka_unit_test(full_disk_and_read_only_directory),
        cmocka_unit_test(killed_imports_change_nothing),
        cmocka_unit_test(analysis_crs_must_be_true_near_the_data),
        cmocka_unit_test(malformed_datetime_and_execute_requests),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
