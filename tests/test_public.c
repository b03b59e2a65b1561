/* The public map's questions on the reference city with its roads: GET
 * /nearest in a straight line (checked against GDAL's own measure,
 * tests/nearest_check.py) and walking (each distance the route analysis'
 * own, and no point among the straight-line nearest is nearer); GET /search
 * by name and by pinyin initials, roads one match a name, an edit found at
 * once; every bad question a 400; every answer downloaded as CSV, XLSX
 * and GeoJSON (tests/table_check.py); and the /map page in Chromium at phone
 * and desktop sizes (tests/public_map.mjs), its screenshots in
 * build/screenshots/. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char db[1200];
static tu_server srv;

static int setup(void **state)
{
    (void)state;
    tu_db(db, sizeof db, tu_tmpdir("public"), "city");
    char *out;
    int rc = tu_run(&out, "'%s' import --quiet --db '%s' --manifest '%s'", tu_gisd(), db,
                    tu_data("reference/manifest-network.json"));
    if (rc != 0)
        fail_msg("importing the city with its roads: %s", out);
    free(out);
    tu_server_start(&srv, db);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    return 0;
}

/* text percent-encoded for a query into out. */
static void encode(const char *text, char *out, size_t n)
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && k + 4 < n; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-_.~,", *p))
            out[k++] = (char)*p;
        else
            k += (size_t)snprintf(out + k, n - k, "%%%02X", *p);
    }
    out[k] = '\0';
}

/* GET path (a printf format) as JSON; the status in *status. */
static json_t *get(int *status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static json_t *get(int *status, const char *fmt, ...)
{
    char path[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    char *body;
    *status = tu_http(&srv, "GET", path, NULL, &body, NULL);
    json_t *doc = tu_json_text(body);
    free(body);
    return doc;
}

static const char *first_id(json_t *fc)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(fc, "features"), 0), "id"));
}

static void nearest_in_a_straight_line(void **state)
{
    (void)state;
    static const struct {
        double lon, lat;
        int n;
        const char *level, *category;
    } ASK[] = {{120.655, 28.012, 5, NULL, NULL},
               {120.508729, 28.052952, 10, NULL, NULL},
               {120.7, 27.8, 5, "transit", NULL},
               {121.0, 28.3, 3, NULL, "废轮胎"},
               {120.3, 27.6, 50, "community", "废纸"}};
    const char *dir = tu_tmpdir("public-nearest");
    for (size_t i = 0; i < sizeof ASK / sizeof *ASK; i++) {
        char filters[256] = "", enc[128];
        if (ASK[i].level)
            snprintf(filters, sizeof filters, "&level=%s", ASK[i].level);
        if (ASK[i].category) {
            encode(ASK[i].category, enc, sizeof enc);
            snprintf(filters + strlen(filters), sizeof filters - strlen(filters), "&category=%s", enc);
        }
        int st;
        json_t *fc = get(&st, "/nearest?lon=%.6f&lat=%.6f&n=%d%s", ASK[i].lon, ASK[i].lat, ASK[i].n, filters);
        assert_int_equal(st, 200);
        assert_string_equal(json_string_value(json_object_get(fc, "distance")), "euclidean");
        char file[1300];
        snprintf(file, sizeof file, "%s/answer-%zu.json", dir, i);
        assert_int_equal(json_dump_file(fc, file, 0), 0);
        json_decref(fc);
        char *out;
        int rc = tu_run(&out, "/usr/bin/python3 '%s/tests/nearest_check.py' '%s' '%s' %.6f %.6f %d '%s' '%s'", tu_root(),
                        file, tu_data("reference/recycling_points.geojson"), ASK[i].lon, ASK[i].lat, ASK[i].n,
                        ASK[i].level ? ASK[i].level : "-", ASK[i].category ? ASK[i].category : "-");
        if (rc != 0)
            fail_msg("nearest %.4f,%.4f: %s", ASK[i].lon, ASK[i].lat, out);
        free(out);
    }
}

static void nearest_walking_is_the_routes_distance(void **state)
{
    (void)state;
    const double lon = 120.508729, lat = 28.052952; /* beside 鹿城区1社区 */
    int st;
    json_t *walk = get(&st, "/nearest?lon=%.6f&lat=%.6f&n=5&distance=network", lon, lat);
    assert_int_equal(st, 200);
    assert_string_equal(json_string_value(json_object_get(walk, "distance")), "network");
    json_t *features = json_object_get(walk, "features");
    assert_int_equal(json_array_size(features), 5);
    double fifth = 0, prev = 0;
    size_t i;
    json_t *f;
    json_array_foreach(features, i, f) {
        json_t *p = json_object_get(f, "properties");
        double d = json_real_value(json_object_get(p, "distance_m"));
        assert_true(d >= prev);
        assert_true(d + 0.05 >= json_real_value(json_object_get(p, "straight_m")));
        prev = fifth = d;
        /* the route analysis walks the same way */
        json_t *route = get(&st, "/analysis/route?from=%.6f,%.6f&to=recycling_points:%s&mode=walk", lon, lat,
                            json_string_value(json_object_get(f, "id")));
        assert_int_equal(st, 200);
        double rd = json_number_value(json_object_get(route, "distance_m"));
        if (!(rd - d < 0.5 && d - rd < 0.5))
            fail_msg("%s: /nearest walks %.1f m, the route %.1f m", json_string_value(json_object_get(f, "id")), d, rd);
        json_decref(route);
        /* its walking route is drawn from the place */
        json_t *line = json_object_get(json_object_get(p, "route"), "coordinates");
        assert_true(json_array_size(line) >= 2);
        double x0 = json_real_value(json_array_get(json_array_get(line, 0), 0));
        assert_true(x0 - lon < 1e-6 && lon - x0 < 1e-6);
    }
    /* no point among the 20 nearest in a straight line walks nearer than the fifth; beyond them a straight line is already longer */
    json_t *straight = get(&st, "/nearest?lon=%.6f&lat=%.6f&n=20", lon, lat);
    assert_int_equal(st, 200);
    json_t *last = json_array_get(json_object_get(straight, "features"), 19);
    assert_true(json_real_value(json_object_get(json_object_get(last, "properties"), "distance_m")) >= fifth);
    json_array_foreach(json_object_get(straight, "features"), i, f) {
        const char *id = json_string_value(json_object_get(f, "id"));
        int listed = 0;
        size_t k;
        json_t *g;
        json_array_foreach(features, k, g) listed |= strcmp(json_string_value(json_object_get(g, "id")), id) == 0;
        json_t *route = get(&st, "/analysis/route?from=%.6f,%.6f&to=recycling_points:%s&mode=walk", lon, lat, id);
        if (st == 200 && !listed && json_number_value(json_object_get(route, "distance_m")) < fifth - 0.5)
            fail_msg("%s walks %.1f m, nearer than the fifth listed (%.1f m)", id,
                     json_number_value(json_object_get(route, "distance_m")), fifth);
        json_decref(route);
    }
    json_decref(straight);
    json_decref(walk);
    /* a place far from every road one may walk is told so */
    json_t *off = get(&st, "/nearest?lon=120.662&lat=28.0186&distance=network");
    assert_int_equal(st, 404);
    assert_non_null(strstr(json_string_value(json_object_get(off, "description")), "off the walking network"));
    json_decref(off);
}

static void search_by_name_and_initials(void **state)
{
    (void)state;
    static const struct {
        const char *q, *layer, *id, *name, *matched;
    } FIND[] = {{"回收点490", NULL, "R00490", "回收点490", "name"},
                {"hsd490", NULL, "R00490", "回收点490", "pinyin"},
                {"HSD490", NULL, "R00490", "回收点490", "pinyin"},
                {"温州绕城", "roads", NULL, "温州绕城高速", "name"},
                {"wzrcgs", NULL, NULL, "温州绕城高速", "pinyin"},
                {"鹿城", NULL, NULL, "鹿城区", "name"},
                {"lcq", "districts", NULL, "鹿城区", "pinyin"},
                {"永嘉县分拣", NULL, "R00884", "永嘉县分拣中心", "name"}};
    for (size_t i = 0; i < sizeof FIND / sizeof *FIND; i++) {
        char q[256];
        encode(FIND[i].q, q, sizeof q);
        int st;
        json_t *fc = FIND[i].layer ? get(&st, "/search?q=%s&layer=%s", q, FIND[i].layer) : get(&st, "/search?q=%s", q);
        assert_int_equal(st, 200);
        json_t *p = json_object_get(json_array_get(json_object_get(fc, "features"), 0), "properties");
        if (!p || strcmp(json_string_value(json_object_get(p, "name")), FIND[i].name) != 0)
            fail_msg("searching %s: the first match is %s, not %s", FIND[i].q,
                     p ? json_string_value(json_object_get(p, "name")) : "nothing", FIND[i].name);
        assert_string_equal(json_string_value(json_object_get(p, "matched")), FIND[i].matched);
        if (FIND[i].id)
            assert_string_equal(first_id(fc), FIND[i].id);
        if (FIND[i].layer)
            assert_string_equal(json_string_value(json_object_get(p, "layer")), FIND[i].layer);
        json_decref(fc);
    }
    /* a road of many segments is one match, its box the whole road's */
    char q[256];
    encode("县道X250", q, sizeof q);
    int st;
    json_t *fc = get(&st, "/search?q=%s&layer=roads", q);
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(fc, "numberMatched")), 1);
    json_t *road = json_array_get(json_object_get(fc, "features"), 0);
    assert_true(json_integer_value(json_object_get(json_object_get(road, "properties"), "parts")) > 1);
    assert_int_equal(json_array_size(json_object_get(road, "bbox")), 4);
    json_decref(fc);
}

static void search_sees_an_edit_at_once(void **state)
{
    (void)state;
    char *tok;
    if (tu_run(&tok, "'%s' token add --db '%s' --name public --scope write:recycling_points 2>/dev/null", tu_gisd(), db) != 0)
        fail_msg("token add: %s", tok);
    tok[strcspn(tok, "\n")] = 0;
    const char *dir = tu_tmpdir("public-edit");
    char body[1300];
    snprintf(body, sizeof body, "%s/point.json", dir);
    FILE *f = fopen(body, "w");
    fputs("{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.66,28.01]},"
          "\"properties\":{\"point_id\":\"R09999\",\"name\":\"新华社区回收亭\",\"level\":\"community\","
          "\"capacity_tpd\":1.5,\"categories\":\"废纸;废玻璃\"}}",
          f);
    fclose(f);
    char *out;
    int rc = tu_run(&out, "curl -s -o /dev/null -w '%%{http_code}' -X POST -H 'Authorization: Bearer %s' "
                          "-H 'Content-Type: application/geo+json' --data-binary '@%s' '%s/collections/recycling_points/items'",
                    tok, body, srv.base);
    assert_int_equal(rc, 0);
    assert_string_equal(out, "201");
    free(out);
    free(tok);
    int st;
    json_t *fc = get(&st, "/search?q=xhsqhst");
    assert_int_equal(st, 200);
    assert_string_equal(first_id(fc), "R09999");
    json_decref(fc);
    /* and the nearest to where it stands is it */
    fc = get(&st, "/nearest?lon=120.66&lat=28.01&n=1&category=%%E5%%BA%%9F%%E7%%8E%%BB%%E7%%92%%83");
    assert_int_equal(st, 200);
    assert_string_equal(first_id(fc), "R09999");
    json_decref(fc);
}

static void bad_questions_are_400(void **state)
{
    (void)state;
    static const struct {
        const char *path, *says;
    } BAD[] = {{"/nearest?lat=28", "lon"},
               {"/nearest?lon=200&lat=28", "lon 200"},
               {"/nearest?lon=120&lat=28&n=0", "n 0"},
               {"/nearest?lon=120&lat=28&n=51", "n 51"},
               {"/nearest?lon=120&lat=28&layer=districts", "no point layer"},
               {"/nearest?lon=120&lat=28&layer=nope", "not defined"},
               {"/nearest?lon=120&lat=28&layer=communities&level=transit", "no level"},
               {"/nearest?lon=120&lat=28&distance=crow", "distance"},
               {"/nearest?lon=120&lat=28&radius=5", "takes no parameter \"radius\""},
               {"/search", "q"},
               {"/search?q=", "q"},
               {"/search?q=%FF%FE", "UTF-8"},
               {"/search?q=a&layer=nope", "not searched"},
               {"/search?q=a&limit=0", "limit 0"},
               {"/search?q=a&limit=51", "limit 51"},
               {"/search?q=a&where=x", "takes no parameter \"where\""}};
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        int st;
        json_t *e = get(&st, "%s", BAD[i].path);
        if (st != 400)
            fail_msg("%s answered %d", BAD[i].path, st);
        const char *d = json_string_value(json_object_get(e, "description"));
        if (!d || !strstr(d, BAD[i].says))
            fail_msg("%s said \"%s\", not \"%s\"", BAD[i].path, d ? d : "(nothing)", BAD[i].says);
        json_decref(e);
    }
    char q[400];
    memset(q, 'a', 201);
    q[201] = 0;
    int st;
    json_t *e = get(&st, "/search?q=%s", q);
    assert_int_equal(st, 400);
    json_decref(e);
}

/* Every answer as a planner keeps it: CSV and XLSX read back, GeoJSON by
 * GDAL, a job's results as a table (tests/table_check.py); the command
 * line writes the same CSV as HTTP. */
static void every_answer_downloads_as_a_table(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("public-tables");
    char *out;
    int rc = tu_run(&out, "/usr/bin/python3 '%s/tests/table_check.py' '%s' '%s' 2>&1", tu_root(), srv.base, dir);
    if (rc != 0)
        fail_msg("the answers as tables: %s", out);
    free(out);
    rc = tu_run(&out, "curl -s '%s/analysis/recycling-coverage?f=csv' > '%s/http.csv' && '%s' analyze recycling-coverage "
                      "--db '%s' --format csv --out '%s/cli.csv' && cmp '%s/http.csv' '%s/cli.csv' 2>&1",
                srv.base, dir, tu_gisd(), db, dir, dir, dir);
    if (rc != 0)
        fail_msg("the command line's CSV is not HTTP's: %s", out);
    free(out);
    int st;
    json_t *e = get(&st, "/analysis/heating-coverage?f=docx");
    assert_int_equal(st, 400);
    json_decref(e);
}

/* The browser's part reads the HTTP API, whose answers the suites above
 * check on both stores: it runs once, on SpatiaLite, to keep make test short. */
static int browser_once(void)
{
    if (!tu_on_pg())
        return 0;
    print_message("skipped on PostgreSQL: the page reads the API checked above on this store\n");
    return 1;
}

/* A deployment's basemap: its templates under every style gisd serves (the
 * style's own land fill hidden), fetched by the browser from the tile
 * server configured and from nowhere when none is. */
static void a_configured_basemap_lies_under_every_map(void **state)
{
    (void)state;
    if (browser_once())
        skip();
    const char *dir = tu_tmpdir("public-basemap");
    char log[1300], *out;
    snprintf(log, sizeof log, "%s/tiles.log", dir);
    /* the stub tile server, in the background, printing its port */
    int rc = tu_run(&out, "( /usr/bin/python3 '%s/tests/tile_stub.py' '%s' > '%s/port.txt' 2>&1 & echo $! > '%s/pid.txt' ); "
                          "for i in $(seq 100); do [ -s '%s/port.txt' ] && break; sleep 0.05; done; cat '%s/port.txt'",
                    tu_root(), log, dir, dir, dir, dir);
    assert_int_equal(rc, 0);
    int port = atoi(out);
    free(out);
    assert_true(port > 0);
    char vec[256], cva[256];
    snprintf(vec, sizeof vec, "http://127.0.0.1:%d/vec_w/{z}/{x}/{y}.png", port);
    snprintf(cva, sizeof cva, "http://127.0.0.1:%d/cva_w/{z}/{x}/{y}.png", port);
    tu_server b;
    const char *extra[] = {"--basemap", vec, "--basemap-overlay", cva, "--basemap-attribution", "天地图 测试", NULL};
    tu_server_start_args(&b, db, extra);
    char *body;
    assert_int_equal(tu_http(&b, "GET", "/styles/public.json", NULL, &body, NULL), 200);
    json_t *style = tu_json_text(body);
    free(body);
    json_t *src = json_object_get(json_object_get(style, "sources"), "basemap");
    assert_string_equal(json_string_value(json_array_get(json_object_get(src, "tiles"), 0)), vec);
    assert_string_equal(json_string_value(json_object_get(src, "attribution")), "天地图 测试");
    json_t *layers = json_object_get(style, "layers");
    assert_string_equal(json_string_value(json_object_get(json_array_get(layers, 0), "type")), "background");
    assert_string_equal(json_string_value(json_object_get(json_array_get(layers, 1), "id")), "basemap");
    assert_string_equal(json_string_value(json_object_get(json_array_get(layers, 2), "id")), "basemap-overlay");
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l) if (strcmp(json_string_value(json_object_get(l, "id")), "districts-fill") == 0)
        assert_string_equal(json_string_value(json_object_get(json_object_get(l, "layout"), "visibility")), "none");
    json_decref(style);
    /* the browser draws it: both templates fetched from the stub */
    rc = tu_run(&out, "cd '%s' && timeout 120 node tests/basemap_view.mjs '%s/map' '%s/build/screenshots/public-map-basemap.png' 2>&1",
                tu_root(), b.base, tu_root());
    if (rc != 0)
        fail_msg("the map on a basemap: %s", out);
    free(out);
    tu_server_stop(&b);
    assert_int_equal(tu_run(&out, "grep -c '^/vec_w/' '%s'; grep -c '^/cva_w/' '%s'", log, log), 0);
    int nvec = 0, ncva = 0;
    sscanf(out, "%d %d", &nvec, &ncva);
    free(out);
    assert_true(nvec > 0 && ncva > 0);
    /* without one, the styles name no outside server and the page fetches nothing from it */
    assert_int_equal(tu_run(&out, ": > '%s'", log), 0);
    free(out);
    assert_int_equal(tu_http(&srv, "GET", "/styles/public.json", NULL, &body, NULL), 200);
    assert_null(strstr(body, "basemap"));
    free(body);
    rc = tu_run(&out, "cd '%s' && timeout 120 node tests/basemap_view.mjs '%s/map' '%s/nobase.png' 2>&1", tu_root(), srv.base, dir);
    if (rc != 0)
        fail_msg("the map without a basemap: %s", out);
    free(out);
    assert_int_equal(tu_run(&out, "wc -l < '%s'", log), 0);
    assert_int_equal(atoi(out), 0);
    free(out);
    assert_int_equal(tu_run(&out, "kill $(cat '%s/pid.txt')", dir), 0);
    free(out);
    /* templates that are none are refused at start */
    static const char *const BAD[][2] = {{"--basemap", "ftp://tiles/{z}/{x}/{y}.png"},
                                         {"--basemap", "http://tiles/{z}.png"},
                                         {"--basemap-overlay", "http://tiles/{z}/{x}/{y}.png"}};
    for (size_t k = 0; k < 3; k++) {
        rc = tu_run(&out, "timeout 20 '%s' serve --db '%s' --listen 127.0.0.1:0 %s '%s' 2>&1", tu_gisd(), db, BAD[k][0],
                    BAD[k][1]);
        assert_int_equal(rc, 1);
        assert_non_null(strstr(out, "basemap"));
        free(out);
    }
}

static void the_public_map_in_chromium(void **state)
{
    (void)state;
    if (browser_once())
        skip();
    char *out;
    assert_int_equal(tu_run(&out, "mkdir -p '%s/build/screenshots'", tu_root()), 0);
    free(out);
    int rc = tu_run(&out, "cd '%s' && timeout 240 node tests/public_map.mjs '%s' build/screenshots 2>&1", tu_root(),
                    srv.base);
    if (rc != 0)
        fail_msg("the public map in Chromium: %s", out);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nearest_in_a_straight_line),
        cmocka_unit_test(nearest_walking_is_the_routes_distance),
        cmocka_unit_test(search_by_name_and_initials),
        cmocka_unit_test(bad_questions_are_400),
        cmocka_unit_test(every_answer_downloads_as_a_table),
        cmocka_unit_test(the_public_map_in_chromium),
        cmocka_unit_test(a_configured_basemap_lies_under_every_map),
        cmocka_unit_test(search_sees_an_edit_at_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
