/* The real server on a loopback port: OGC API Features and its CRS part, the
 * analyses over HTTP, bad requests, metrics and a clean stop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_table.h"
#include "testutil.h"

static char db[1200];
static tu_server srv;

static int setup(void **state)
{
    (void)state;
    tu_serve_reference("http", db, sizeof db, &srv);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    return 0;
}

static json_t *get_json(const char *path, int want_status)
{
    char *body = NULL;
    int status = tu_http(&srv, "GET", path, NULL, &body, NULL);
    if (status != want_status)
        fail_msg("GET %s: %d, want %d: %.300s", path, status, want_status, body);
    json_t *j = tu_json_text(body);
    free(body);
    return j;
}

static void landing_conformance_and_collections(void **state)
{
    (void)state;
    json_t *j = get_json("/", 200);
    assert_true(json_array_size(json_object_get(j, "links")) >= 4);
    json_decref(j);
    j = get_json("/conformance", 200);
    char *text = json_dumps(j, 0);
    assert_non_null(strstr(text, "ogcapi-features-1/1.0/conf/core"));
    assert_non_null(strstr(text, "ogcapi-features-2/1.0/conf/crs"));
    free(text);
    json_decref(j);
    j = get_json("/collections", 200);
    assert_int_equal(json_array_size(json_object_get(j, "collections")), 11);
    json_decref(j);
    j = get_json("/collections/parks", 200);
    assert_string_equal(json_string_value(json_object_get(j, "id")), "parks");
    json_t *bbox = json_array_get(json_object_get(json_object_get(json_object_get(j, "extent"), "spatial"), "bbox"), 0);
    assert_true(json_number_value(json_array_get(bbox, 0)) > 120.0);
    json_decref(j);
    j = get_json("/api", 200);
    assert_string_equal(json_string_value(json_object_get(j, "openapi")), "3.0.3");
    assert_non_null(json_object_get(json_object_get(j, "paths"), "/collections/enterprises/items"));
    assert_non_null(json_object_get(json_object_get(j, "paths"), "/tiles/{layers}/{z}/{x}/{y}.mvt"));
    assert_non_null(json_object_get(json_object_get(j, "paths"), "/analysis/site-check"));
    json_decref(j);
    /* and it is a valid OpenAPI 3.0 document for a validator no one here wrote */
    char *out;
    int rc = tu_run(&out, "cd '%s' && curl -s '%s/api' > build/tmp/openapi.json && node -e \""
                          "require('@apidevtools/swagger-parser').validate('build/tmp/openapi.json')"
                          ".then(() => console.log('valid'), e => { console.log(e.message); process.exit(1) })\"",
                    tu_root(), srv.base);
    if (rc != 0 || !strstr(out, "valid"))
        fail_msg("the OpenAPI document: %s", out);
    free(out);
    /* every route of the routing table is in it, a write with its bearer token */
    j = get_json("/api", 200);
    json_t *paths = json_object_get(j, "paths");
    for (const route *rt = ROUTES; rt->method; rt++) {
        if (!rt->api)
            continue;
        char path[512], method[16];
        const char *mark = strstr(rt->api, "{collectionId}");
        snprintf(path, sizeof path, "%.*s%s%s", mark ? (int)(mark - rt->api) : (int)strlen(rt->api), rt->api,
                 mark ? "parks" : "", mark ? mark + strlen("{collectionId}") : "");
        snprintf(method, sizeof method, "%s", rt->method);
        for (char *c = method; *c; c++)
            *c = (char)(*c + 32);
        json_t *op = json_object_get(json_object_get(paths, path), method);
        if (!op)
            fail_msg("/api lacks %s %s (the route %s %s)", rt->method, path, rt->method, rt->pattern);
        if (rt->access == ROUTE_WRITE && !json_object_get(op, "security"))
            fail_msg("/api: %s %s is a write but names no token", rt->method, path);
    }
    json_decref(j);
}

static void items_page_filter_and_bbox(void **state)
{
    (void)state;
    char *headers = NULL, *body = NULL;
    int status = tu_http(&srv, "GET", "/collections/enterprises/items?limit=100&offset=50", NULL, &body, &headers);
    assert_int_equal(status, 200);
    assert_non_null(strstr(headers, "application/geo+json"));
    assert_non_null(strstr(headers, "Content-Crs: <http://www.opengis.net/def/crs/OGC/1.3/CRS84>"));
    json_t *j = tu_json_text(body);
    assert_int_equal(json_integer_value(json_object_get(j, "numberMatched")), 2000);
    assert_int_equal(json_integer_value(json_object_get(j, "numberReturned")), 100);
    assert_int_equal(json_array_size(json_object_get(j, "features")), 100);
    {
        char *t = json_dumps(json_object_get(j, "links"), 0);
        assert_non_null(strstr(t, "\"next\""));
        assert_non_null(strstr(t, "offset=150"));
        assert_non_null(strstr(t, "\"prev\""));
        free(t);
    }
    json_decref(j);
    free(body);
    free(headers);
    /* a filter on a Chinese value: 化工 enterprises, counted independently by the store's SQL tool */
    char *want;
    assert_int_equal(tu_sql(&want, db, "SELECT count(*) FROM enterprises WHERE industry='化工'"), 0);
    j = get_json("/collections/enterprises/items?industry=%E5%8C%96%E5%B7%A5&limit=1000", 200);
    assert_int_equal(json_integer_value(json_object_get(j, "numberMatched")), atoi(want));
    assert_true(atoi(want) > 0);
    free(want);
    json_decref(j);
    /* bbox in CRS84 and the same box in EPSG:4549 (northing first) agree */
    j = get_json("/collections/enterprises/items?bbox=120.5,27.9,120.8,28.1&limit=1", 200);
    json_int_t n84 = json_integer_value(json_object_get(j, "numberMatched"));
    json_decref(j);
    assert_true(n84 > 0 && n84 < 2000);
    j = get_json("/collections/enterprises/items?bbox=27.9,120.5,28.1,120.8&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4490&limit=1", 200);
    assert_int_equal(json_integer_value(json_object_get(j, "numberMatched")), n84);
    json_decref(j);
}

static void one_feature_in_another_crs(void **state)
{
    (void)state;
    char *headers = NULL, *body = NULL;
    int status = tu_http(&srv, "GET", "/collections/enterprises/items/E00001?crs=http://www.opengis.net/def/crs/EPSG/0/4549",
                         NULL, &body, &headers);
    assert_int_equal(status, 200);
    assert_non_null(strstr(headers, "Content-Crs: <http://www.opengis.net/def/crs/EPSG/0/4549>"));
    json_t *j = tu_json_text(body);
    json_t *c = json_object_get(json_object_get(j, "geometry"), "coordinates");
    /* EPSG:4549 puts northing first; the CSV said X坐标 573954.638, Y坐标 3075061.637 */
    assert_float_equal(json_number_value(json_array_get(c, 0)), 3075061.637, 0.01);
    assert_float_equal(json_number_value(json_array_get(c, 1)), 573954.638, 0.01);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "properties"), "name")), "东方鞋业有限公司1");
    json_decref(j);
    free(body);
    free(headers);
}

static void bad_requests_get_a_4xx_with_a_json_message(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        int status;
        const char *says;
    } cases[] = {
        {"/collections/nope/items", 404, "nope"},
        {"/collections/parks/items/NOPE", 404, "NOPE"},
        {"/nothing/here", 404, "/nothing/here"},
        {"/collections/parks/items?limit=0", 400, "limit"},
        {"/collections/parks/items?limit=abc", 400, "limit"},
        {"/collections/parks/items?offset=-3", 400, "offset"},
        {"/collections/parks/items?bbox=1,2,3", 400, "bbox"},
        {"/collections/parks/items?bbox=3,2,1,0", 400, "bbox"},
        {"/collections/parks/items?crs=EPSG:999999", 400, "crs"},
        {"/collections/parks/items?crs=http://www.opengis.net/def/crs/EPSG/0/2000", 400, "not offered"},
        {"/collections/parks/items?colour=red", 400, "colour"},
        {"/collections/parks/items?circular_retrofit=yes", 400, "circular_retrofit"},
        {"/analysis/heating-coverage?radius_m=-1", 400, "radius_m"},
        {"/analysis/heating-coverage?park_id=NOPE", 400, "NOPE"},
        {"/analysis/hw-proximity?capable=maybe", 400, "capable"},
        {"/analysis/recycling-coverage?level=street", 400, "street"},
        {"/analysis/nonsense", 404, "nonsense"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *j = get_json(cases[i].path, cases[i].status);
        const char *d = json_string_value(json_object_get(j, "description"));
        if (!d || !strstr(d, cases[i].says))
            fail_msg("%s: the message \"%s\" does not name \"%s\"", cases[i].path, d ? d : "", cases[i].says);
        json_decref(j);
    }
}

static void analyses_over_http_match_the_reference(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"/analysis/heating-coverage?radius_m=500", "heating-coverage_r500.json"},
        {"/analysis/heating-coverage", "heating-coverage_r1000.json"},
        {"/analysis/heating-coverage?radius_m=2000", "heating-coverage_r2000.json"},
        {"/analysis/hw-proximity", "hw-proximity.json"},
        {"/analysis/hw-proximity?capable=true&max_km=50", "hw-proximity_capable.json"},
        {"/analysis/recycling-coverage?radius_m=1000&level=community", "recycling-coverage_r1000.json"},
        {"/analysis/recycling-coverage?radius_m=500&level=any", "recycling-coverage_r500_any.json"},
        {"/analysis/symbiosis?max_km=3", "symbiosis_3km.json"},
        {"/analysis/symbiosis", "symbiosis_10km.json"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[256], why[1024];
        snprintf(path, sizeof path, "reference/expected/%s", cases[i][1]);
        json_t *want = tu_json_file(tu_data(path));
        json_t *got = get_json(cases[i][0], 200);
        if (tu_json_match(got, want, "$", why, sizeof why))
            fail_msg("%s: %s", cases[i][0], why);
        json_decref(got);
        json_decref(want);
    }
    json_t *sites = tu_json_file(tu_data("reference/sites.geojson"));
    json_t *want = tu_json_file(tu_data("reference/expected/site-check.json"));
    const char *dir = tu_tmpdir("http-sites");
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(sites, "features"), i, f) {
        const char *id = json_string_value(json_object_get(json_object_get(f, "properties"), "id"));
        char path[1300], why[1024];
        snprintf(path, sizeof path, "%s/%s.geojson", dir, id);
        json_dump_file(f, path, 0);
        char *body = NULL;
        assert_int_equal(tu_http(&srv, "POST", "/analysis/site-check", path, &body, NULL), 200);
        json_t *got = tu_json_text(body);
        free(body);
        if (tu_json_match(got, json_object_get(want, id), id, why, sizeof why))
            fail_msg("POST site-check %s: %s", id, why);
        json_decref(got);
    }
    json_decref(sites);
    json_decref(want);

    /* the rules the sites were checked against, as the viewer lists them */
    json_t *rules = get_json("/site-rules", 200);
    json_t *classes = json_object_get(rules, "classes");
    assert_int_equal(json_array_size(classes), 4);
    json_t *m3 = json_array_get(classes, 2);
    assert_string_equal(json_string_value(json_object_get(m3, "id")), "M3");
    assert_string_equal(json_string_value(json_object_get(m3, "title")), "三类工业项目");
    assert_true(json_real_value(json_object_get(m3, "setback_m")) == 300.0);
    assert_true(json_real_value(json_object_get(rules, "heating_radius_m")) == 1000.0);
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(rules, "citations"), "land_use")),
                           "GB 50137-2011"));
    json_decref(rules);
}

static void bad_sites_and_big_bodies_are_refused(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("http-bad-sites");
    static const char *const bodies[][2] = {
        {"not json", "not JSON"},
        {"{\"type\":\"Feature\",\"properties\":{\"project_class\":\"M1\",\"coal_boiler_tph\":0},"
         "\"geometry\":{\"type\":\"Point\",\"coordinates\":[10,10]}}", "outside every district"},
        {"{\"type\":\"Feature\",\"properties\":{\"project_class\":\"M9\"},"
         "\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.6,28]}}", "project_class"},
        {"{\"type\":\"Feature\",\"properties\":{\"project_class\":\"M1\"},"
         "\"geometry\":{\"type\":\"Point\",\"coordinates\":[\"x\",28]}}", "GeoJSON"},
    };
    for (size_t i = 0; i < 4; i++) {
        char path[1300], *body = NULL;
        snprintf(path, sizeof path, "%s/b%zu.json", dir, i);
        FILE *fp = fopen(path, "w");
        fputs(bodies[i][0], fp);
        fclose(fp);
        assert_int_equal(tu_http(&srv, "POST", "/analysis/site-check", path, &body, NULL), 400);
        if (!strstr(body, bodies[i][1]))
            fail_msg("site %zu: \"%s\" does not say \"%s\"", i, body, bodies[i][1]);
        free(body);
    }
    char path[1300], *body = NULL;
    snprintf(path, sizeof path, "%s/big.json", dir);
    assert_int_equal(tu_run(NULL, "head -c 11000000 /dev/zero | tr '\\0' ' ' > '%s'", path), 0);
    /* too large is 413, not 400 (the hardening issue, row 11) */
    assert_int_equal(tu_http(&srv, "POST", "/analysis/site-check", path, &body, NULL), 413);
    assert_non_null(strstr(body, "10485760"));
    assert_non_null(strstr(body, "PayloadTooLarge"));
    free(body);
}

static void health_and_metrics(void **state)
{
    (void)state;
    json_t *j = get_json("/healthz", 200);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
    assert_string_equal(json_string_value(json_object_get(j, "dataset")), "wenzhou");
    json_decref(j);
    char *body = NULL;
    assert_int_equal(tu_http(&srv, "GET", "/metrics", NULL, &body, NULL), 200);
    assert_non_null(strstr(body, "gisd_http_requests_total{route=\"/collections/{}/items\",status=\"200\"}"));
    assert_non_null(strstr(body, "status=\"400\""));
    assert_non_null(strstr(body, "gisd_http_request_duration_seconds_bucket{le=\"+Inf\"}"));
    const char *f = strstr(body, "\ngisd_features_served_total ");
    assert_non_null(f);
    if (atoll(f + strlen("\ngisd_features_served_total ")) < 100)
        fail_msg("features served: %.60s", f);
    free(body);
}

static void export_writes_every_format(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("export");
    static const char *const formats[][3] = {
        {"GeoJSON", "parks.geojson", "11"}, {"GPKG", "parks.gpkg", "11"},
        {"CSV", "parks.csv", "11"},         {"KML", "parks.kml", "11"},
        {"ESRI Shapefile", "parks.shp", "11"},
    };
    for (size_t i = 0; i < 5; i++) {
        char *out;
        int rc = tu_run(&out, "'%s' export --db '%s' --layer parks --format '%s' '%s/%s'", tu_gisd(), db,
                        formats[i][0], dir, formats[i][1]);
        if (rc != 0)
            fail_msg("export %s: %s", formats[i][0], out);
        free(out);
        tu_run(&out, "ogrinfo -ro -al -so '%s/%s' | grep 'Feature Count'", dir, formats[i][1]);
        if (!strstr(out, formats[i][2]))
            fail_msg("export %s: ogrinfo says %s", formats[i][0], out);
        free(out);
    }
    char *out;
    assert_int_equal(tu_run(NULL, "'%s' export --db '%s' --layer enterprises --format GeoJSON --srs EPSG:4549 '%s/e.geojson'",
                            tu_gisd(), db, dir), 0);
    tu_run(&out, "ogrinfo -ro -al -q -where \"ent_id='E00001'\" '%s/e.geojson' | grep POINT", dir);
    assert_non_null(strstr(out, "573954.63"));
    free(out);
    tu_run(&out, "ogrinfo -ro -al -q -where \"park_id='WZ01'\" '%s/parks.shp' | grep ' name '", dir);
    assert_non_null(strstr(out, "温州经济技术开发区"));
    free(out);
    assert_int_not_equal(tu_run(&out, "'%s' export --db '%s' --layer parks --format Nope '%s/x'", tu_gisd(), db, dir), 0);
    assert_non_null(strstr(out, "Nope"));
    free(out);
}

static json_t *cli_json(const char *args)
{
    char *out;
    int rc = tu_run(&out, "'%s' %s 2>/dev/null", tu_gisd(), args);
    if (rc != 0)
        fail_msg("gisd %s: exit %d: %.300s", args, rc, out);
    json_t *j = tu_json_text(out);
    free(out);
    return j;
}

/* A running server's analyses read their layers from memory while the
 * layers do not change: after another process imports a layer, the next
 * answer is the command line's (which reads the store) on the new data, and
 * after the old data comes back, the old answer. */
static void analyses_follow_an_import_into_the_running_server(void **state)
{
    (void)state;
    json_t *before = get_json("/analysis/hw-proximity", 200), *again = get_json("/analysis/hw-proximity", 200);
    assert_true(json_equal(before, again));
    json_decref(again);
    json_t *fc = tu_json_file(tu_data("reference/hw_facilities.geojson"));
    assert_int_equal(json_array_remove(json_object_get(fc, "features"), 0), 0);
    char path[1300];
    snprintf(path, sizeof path, "%s/fewer_facilities.geojson", tu_tmpdir("http-resident"));
    assert_int_equal(json_dump_file(fc, path, 0), 0);
    json_decref(fc);
    char args[3000];
    snprintf(args, sizeof args, "import --quiet --db '%s' '%s' --layer hw_facilities", db, path);
    char *out;
    assert_int_equal(tu_run(&out, "'%s' %s", tu_gisd(), args), 0);
    free(out);
    json_t *after = get_json("/analysis/hw-proximity", 200);
    snprintf(args, sizeof args, "analyze hw-proximity --db '%s'", db);
    json_t *cli = cli_json(args);
    assert_false(json_equal(after, before));
    assert_true(json_equal(after, cli));
    json_decref(after);
    json_decref(cli);
    snprintf(args, sizeof args, "import --quiet --db '%s' '%s' --layer hw_facilities", db,
             tu_data("reference/hw_facilities.geojson"));
    assert_int_equal(tu_run(&out, "'%s' %s", tu_gisd(), args), 0);
    free(out);
    json_t *back = get_json("/analysis/hw-proximity", 200);
    assert_true(json_equal(back, before));
    json_decref(back);
    json_decref(before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(landing_conformance_and_collections),
        cmocka_unit_test(items_page_filter_and_bbox),
        cmocka_unit_test(one_feature_in_another_crs),
        cmocka_unit_test(bad_requests_get_a_4xx_with_a_json_message),
        cmocka_unit_test(analyses_over_http_match_the_reference),
        cmocka_unit_test(bad_sites_and_big_bodies_are_refused),
        cmocka_unit_test(health_and_metrics),
        cmocka_unit_test(export_writes_every_format),
        cmocka_unit_test(analyses_follow_an_import_into_the_running_server),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
