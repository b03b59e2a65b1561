/* CQL2 filtering (OGC API - Features Part 3): the parser's errors say where;
 * every filter's numberMatched equals a SQLite query written by hand here;
 * both encodings agree; the queryables and conformance classes; GDAL's OAPIF
 * driver and OWSLib send their filters to the real server; a filter past
 * --filter-timeout-ms is a 400. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cancel.h"
#include "cql2.h"
#include "cql2_text.h"
#include "strbuf.h"
#include "testutil.h"
#include "xalloc.h"

static char refdb[1200], oracle[1200];
static tu_server srv;
static layer_registry *reg;

static int setup(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("cql2-log");
    char log[1400], arg[1500];
    snprintf(log, sizeof log, "%s/access.log", dir);
    snprintf(arg, sizeof arg, "%s", log);
    const char *extra[] = {"--access-log", arg, NULL};
    const char *cdir = tu_tmpdir("cql2");
    tu_db(refdb, sizeof refdb, cdir, "ref");
    tu_import_reference(refdb);
    /* the hand-written SQL is SpatiaLite's: on PostgreSQL it counts in a SpatiaLite copy of the city */
    snprintf(oracle, sizeof oracle, "%s/oracle.sqlite", cdir);
    if (tu_on_pg())
        tu_import_reference(oracle);
    else
        snprintf(oracle, sizeof oracle, "%s", refdb);
    tu_server_start_args(&srv, refdb, extra);
    return layer_registry_load(getenv("GISD_LAYERS"), &reg, NULL);
}

static int teardown(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    layer_registry_free(reg);
    return 0;
}

static const char *access_log(void)
{
    static char path[1400];
    snprintf(path, sizeof path, "%s/build/tmp/cql2-log-%d/access.log", tu_root(), (int)getpid());
    return path;
}

/* ---- the parser, like PostGIS's cunit: filter in, error or tree shape out ---- */

static void expect_error(const char *filter, const char *lang, const char *want)
{
    cql_node *n = NULL;
    gisd_error err = {0};
    if (cql2_parse(filter, lang, NULL, layer_registry_find(reg, "enterprises"), &n, &err) == 0)
        fail_msg("\"%s\" was accepted", filter);
    assert_null(n);
    assert_int_equal(err.code, GISD_E_INPUT);
    if (!strstr(err.message, want))
        fail_msg("\"%s\": \"%s\" lacks \"%s\"", filter, err.message, want);
}

static void errors_say_where(void **state)
{
    (void)state;
    expect_error("boiler_tph > 4)", NULL, "unexpected ')' at character 15; expected AND, OR or the end");
    expect_error("boiler_tph >", NULL, "unexpected end at character 13; expected a literal or a property");
    expect_error("(boiler_tph > 4", NULL, "character 16");
    expect_error("nope = 1", NULL, "no property \"nope\"");
    expect_error("boiler_tph = 'x'", NULL, "compares a number with text");
    expect_error("name LIKE 3", NULL, "a LIKE pattern must be text");
    expect_error("S_INTERSECTS(geometry, POINT(1))", NULL, "geometry");
    expect_error("S_INTERSECTS(geometry, BBOX(3,2,1,0))", NULL, "lower corner first");
    expect_error("boiler_tph", NULL, "unexpected end at character 11; expected a comparison");
    expect_error("{\"property\":\"boiler_tph\"}", "cql2-json", "expected an object with \"op\"");
    expect_error("name = 'it''s", NULL, "closing '");
    expect_error("{\"op\":\"=\",\"args\":[1]}", "cql2-json", "two args");
    expect_error("{\"op\":\"frobnicate\",\"args\":[1,2]}", "cql2-json", "frobnicate");
    expect_error("{\"op\":", "cql2-json", "not JSON");
    expect_error("x = 1", "cql2-xml", "filter-lang");
    /* past the limits: refused, never a runaway */
    char deep[400] = "";
    for (int i = 0; i < 100; i++)
        strcat(deep, "(");
    expect_error(deep, NULL, "nesting");
    strbuf big = {0};
    for (int i = 0; i < 1200; i++)
        strbuf_printf(&big, "%sboiler_tph = %d", i ? " OR " : "", i);
    expect_error(big.data, NULL, "more than");
    strbuf_free(&big);
}

static void text_semantics(void **state)
{
    (void)state;
    char *s = cql2_casefold("ÄÖÜ Straße COAL");
    assert_string_equal(s, "äöü strasse coal");
    free(s);
    s = cql2_strip_accents("Café Ñandú Zürich");
    assert_string_equal(s, "Cafe Nandu Zurich");
    free(s);
    assert_true(cql2_like("温州化工有限公司", "%化工%"));
    assert_true(cql2_like("abc", "a_c"));
    assert_true(cql2_like("温c", "_c"));
    assert_false(cql2_like("ABC", "abc"));
    assert_true(cql2_like("50%", "50\\%"));
    assert_false(cql2_like("500", "50\\%"));
    assert_true(cql2_like("", "%"));
    assert_false(cql2_like("a", ""));
    /* segments between %s: anchored first and last, leftmost between */
    assert_true(cql2_like("abcabd", "%ab_"));
    assert_true(cql2_like("xaaab", "%a_b"));
    assert_false(cql2_like("ab", "a%%b%c"));
    assert_true(cql2_like("a%b", "a\\%b"));
    assert_true(cql2_like("a\\", "a\\")); /* a lone final backslash is itself */
    assert_true(cql2_like("温州化工", "__化_"));
    assert_false(cql2_like("温州化工", "___"));
    assert_true(cql2_like("aXbXc", "a%b%c"));
    assert_false(cql2_like("aXcXb", "a%b%c"));
}

/* The pattern the hostile user sent: '%' + 1,000 a + 'b' against a 2 MB
 * value of a's, which the backtracking walk took 29 s over; linear now. */
static void like_is_linear_in_the_text(void **state)
{
    (void)state;
    size_t n = 2 * 1024 * 1024;
    char *s = xmalloc(n + 1), *p = xmalloc(1004);
    memset(s, 'a', n);
    s[n] = 0;
    p[0] = '%';
    memset(p + 1, 'a', 1000);
    strcpy(p + 1001, "b");
    double t0 = cancel_now();
    assert_int_equal(cql2_like(s, p), 0);
    s[n - 1] = 'b';
    assert_int_equal(cql2_like(s, p), 1);
    p[500] = '_';
    assert_int_equal(cql2_like(s, p), 1);
    double took = cancel_now() - t0;
    if (took > 2.0)
        fail_msg("three LIKEs over 2 MB took %.2f s", took);
    /* and it stops at the request's deadline (a segment between two %s is searched) */
    s[n - 1] = 'a';
    strcpy(p + 1001, "b%");
    cancel_set_deadline(cancel_now() - 1);
    assert_int_equal(cql2_like(s, p), -1);
    cancel_set_deadline(0);
    free(s);
    free(p);
}

/* ---- on the server, against SQLite ---- */

static long long sql_count(const char *where, const char *layer)
{
    char *out;
    int rc = tu_run(&out, "sqlite3 -cmd '.load mod_spatialite' '%s' \"SELECT count(*) FROM %s WHERE %s\"", oracle,
                    layer, where);
    if (rc != 0)
        fail_msg("sqlite3 %s: %s", where, out);
    long long n = atoll(out);
    free(out);
    return n;
}

static long long matched(const char *layer, const char *filter, const char *extra, int want_status)
{
    char *out;
    const char *dir = tu_tmpdir("cql2-q");
    char path[1400];
    snprintf(path, sizeof path, "%s/filter.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(filter, f);
    fclose(f);
    int rc = tu_run(&out, "curl -s -G -o '%s/out.json' -w '%%{http_code}' --data-urlencode 'filter@%s' %s "
                          "--data-urlencode limit=1 '%s/collections/%s/items' && cat '%s/out.json'",
                    dir, path, extra, srv.base, layer, dir);
    assert_int_equal(rc, 0);
    int status = atoi(out);
    if (status != want_status)
        fail_msg("%s: HTTP %d (want %d): %s", filter, status, want_status, out + 3);
    json_t *j = tu_json_text(out + 3);
    free(out);
    long long n = want_status == 200 ? json_integer_value(json_object_get(j, "numberMatched")) : -1;
    json_decref(j);
    return n;
}

/* GET srv.base + path: the status, the body in *out. */
static int call_json(char **out, const char *path)
{
    char *head = NULL;
    int status = tu_http(&srv, "GET", path, NULL, out, &head);
    free(head);
    return status;
}

static void filters_match_hand_written_sql(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"enterprises", "boiler_tph > 4 AND boiler_fuel = 'coal'", "boiler_tph > 4 AND boiler_fuel = 'coal'"},
        {"enterprises", "boiler_fuel <> 'coal' OR boiler_tph <= 2", "boiler_fuel <> 'coal' OR boiler_tph <= 2"},
        {"enterprises", "industry IN ('化工', '印染') AND NOT hw_tpy BETWEEN 0 AND 100",
         "industry IN ('化工', '印染') AND NOT hw_tpy BETWEEN 0 AND 100"},
        {"enterprises", "name LIKE '%化工%'", "name GLOB '*化工*'"},
        {"enterprises", "name LIKE '东方_业有限公司%'", "name GLOB '东方?业有限公司*'"},
        {"enterprises", "park_id IS NULL", "park_id IS NULL"},
        {"enterprises", "park_id IS NOT NULL AND hw_codes IS NULL", "park_id IS NOT NULL AND hw_codes IS NULL"},
        {"enterprises", "CASEI(boiler_fuel) = CASEI('CoAl')", "lower(boiler_fuel) = 'coal'"},
        {"enterprises", "ACCENTI('Café') = 'Cafe' AND boiler_fuel = 'gas'", "boiler_fuel = 'gas'"},
        {"enterprises", "boiler_tph * 2 + hw_tpy / 100 > 30", "boiler_tph * 2 + hw_tpy * 1.0 / 100 > 30"},
        {"enterprises", "hw_tpy div 100 = 3", "CAST(hw_tpy / 100 AS INTEGER) = 3"},
        {"enterprises", "boiler_tph > hw_tpy", "boiler_tph > hw_tpy"},
        {"enterprises", "NOT (boiler_fuel = 'coal' OR boiler_fuel = 'gas')", "NOT (boiler_fuel = 'coal' OR boiler_fuel = 'gas')"},
        {"enterprises", "S_INTERSECTS(geometry, BBOX(120.6, 27.9, 120.8, 28.1))",
         "ST_Intersects(geom, BuildMbr(120.6, 27.9, 120.8, 28.1, 4490)) = 1"},
        {"zones", "S_INTERSECTS(geometry, POLYGON((120.6 27.9, 120.8 27.9, 120.8 28.1, 120.6 28.1, 120.6 27.9))) AND land_use = 'M2'",
         "ST_Intersects(geom, GeomFromText('POLYGON((120.6 27.9, 120.8 27.9, 120.8 28.1, 120.6 28.1, 120.6 27.9))', 4490)) = 1 AND land_use = 'M2'"},
        {"zones", "S_WITHIN(geometry, BBOX(120.6, 27.9, 120.8, 28.1))",
         "ST_Within(geom, BuildMbr(120.6, 27.9, 120.8, 28.1, 4490)) = 1"},
        {"parks", "S_CONTAINS(geometry, POINT(120.7 28.0)) OR S_TOUCHES(geometry, POINT(120.7 28.0))",
         "ST_Contains(geom, MakePoint(120.7, 28.0, 4490)) = 1 OR ST_Touches(geom, MakePoint(120.7, 28.0, 4490)) = 1"},
        {"heat_network", "S_CROSSES(geometry, LINESTRING(120.6 27.95, 120.8 28.05))",
         "ST_Crosses(geom, GeomFromText('LINESTRING(120.6 27.95, 120.8 28.05)', 4490)) = 1"},
        {"zones", "S_DISJOINT(geometry, BBOX(120.6, 27.9, 120.8, 28.1))",
         "ST_Disjoint(geom, BuildMbr(120.6, 27.9, 120.8, 28.1, 4490)) = 1"},
        {"zones", "S_OVERLAPS(geometry, BBOX(120.6, 27.9, 120.8, 28.1))",
         "ST_Overlaps(geom, BuildMbr(120.6, 27.9, 120.8, 28.1, 4490)) = 1"},
        {"parks", "S_EQUALS(geometry, geometry) AND TRUE", "1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        long long want = sql_count(cases[i][2], cases[i][0]);
        long long got = matched(cases[i][0], cases[i][1], "", 200);
        if (got != want)
            fail_msg("%s on %s: %lld, SQLite says %lld", cases[i][1], cases[i][0], got, want);
    }
    /* a filter that keeps something and drops something, so the comparisons mean something */
    assert_true(sql_count("boiler_tph > 4 AND boiler_fuel = 'coal'", "enterprises") > 0);
    assert_true(sql_count("boiler_tph > 4 AND boiler_fuel = 'coal'", "enterprises") < sql_count("1", "enterprises"));
}

static void both_encodings_and_filter_crs_agree(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"boiler_tph > 4 AND boiler_fuel = 'coal'",
         "{\"op\":\"and\",\"args\":[{\"op\":\">\",\"args\":[{\"property\":\"boiler_tph\"},4]},"
         "{\"op\":\"=\",\"args\":[{\"property\":\"boiler_fuel\"},\"coal\"]}]}"},
        {"industry IN ('化工','印染')", "{\"op\":\"in\",\"args\":[{\"property\":\"industry\"},[\"化工\",\"印染\"]]}"},
        {"name LIKE '%化工%'", "{\"op\":\"like\",\"args\":[{\"property\":\"name\"},\"%化工%\"]}"},
        {"hw_tpy BETWEEN 10 AND 100", "{\"op\":\"between\",\"args\":[{\"property\":\"hw_tpy\"},10,100]}"},
        {"park_id IS NULL", "{\"op\":\"isNull\",\"args\":[{\"property\":\"park_id\"}]}"},
        {"CASEI(boiler_fuel) = CASEI('COAL')",
         "{\"op\":\"=\",\"args\":[{\"op\":\"casei\",\"args\":[{\"property\":\"boiler_fuel\"}]},"
         "{\"op\":\"casei\",\"args\":[\"COAL\"]}]}"},
        {"S_INTERSECTS(geometry, POLYGON((120.6 27.9, 120.8 27.9, 120.8 28.1, 120.6 28.1, 120.6 27.9)))",
         "{\"op\":\"s_intersects\",\"args\":[{\"property\":\"geometry\"},{\"type\":\"Polygon\",\"coordinates\":"
         "[[[120.6,27.9],[120.8,27.9],[120.8,28.1],[120.6,28.1],[120.6,27.9]]]}]}"},
        {"boiler_tph * 2 > 30", "{\"op\":\">\",\"args\":[{\"op\":\"*\",\"args\":[{\"property\":\"boiler_tph\"},2]},30]}"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        long long a = matched("enterprises", pairs[i][0], "", 200);
        long long b = matched("enterprises", pairs[i][1], "--data-urlencode filter-lang=cql2-json", 200);
        if (a != b)
            fail_msg("%s: text %lld, json %lld", pairs[i][0], a, b);
    }
    /* the same box in lon/lat, in EPSG:4326's lat/lon order and in the Gauss-Kruger zone (northing first) */
    long long lonlat = matched("enterprises", "S_INTERSECTS(geometry, BBOX(120.6, 27.9, 120.8, 28.1))", "", 200);
    long long latlon = matched("enterprises", "S_INTERSECTS(geometry, BBOX(27.9, 120.6, 28.1, 120.8))",
                               "--data-urlencode filter-crs=http://www.opengis.net/def/crs/EPSG/0/4326", 200);
    assert_true(lonlat > 0);
    assert_int_equal(latlon, lonlat);
    long long gk = matched("enterprises", "S_WITHIN(geometry, POLYGON((3080000 450000, 3080000 550000, "
                                          "3130000 550000, 3130000 450000, 3080000 450000)))",
                           "--data-urlencode filter-crs=EPSG:4549", 200);
    long long gk_ll = sql_count("ST_Within(geom, Transform(GeomFromText('POLYGON((450000 3080000, 450000 3130000, "
                                "550000 3130000, 550000 3080000, 450000 3080000))', 4549), 4490)) = 1", "enterprises");
    assert_true(gk > 0);
    assert_int_equal(gk, gk_ll);
    /* bad requests get 400 with where it went wrong */
    matched("enterprises", "boiler_tph > ", "", 400);
    matched("enterprises", "x = 1", "--data-urlencode filter-lang=cql3", 400);
    char *body;
    assert_int_equal(tu_http(&srv, "GET", "/collections/enterprises/items?filter-lang=cql2-json", NULL, &body, NULL), 400);
    assert_non_null(strstr(body, "without filter"));
    free(body);
}

static void queryables_and_conformance(void **state)
{
    (void)state;
    char *body, *headers;
    assert_int_equal(tu_http(&srv, "GET", "/collections/enterprises/queryables", NULL, &body, &headers), 200);
    assert_non_null(strstr(headers, "application/schema+json"));
    json_t *q = tu_json_text(body);
    free(body);
    free(headers);
    json_t *props = json_object_get(q, "properties");
    assert_string_equal(json_string_value(json_object_get(json_object_get(props, "boiler_tph"), "type")), "number");
    assert_string_equal(json_string_value(json_object_get(json_object_get(props, "name"), "type")), "string");
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(props, "geometry"), "$ref")), "Point"));
    assert_int_equal(json_object_size(props), 11);
    json_decref(q);
    assert_int_equal(tu_http(&srv, "GET", "/collections/nope/queryables", NULL, &body, NULL), 404);
    free(body);
    assert_int_equal(tu_http(&srv, "GET", "/conformance", NULL, &body, NULL), 200);
    static const char *const classes[] = {"ogcapi-features-3/1.0/conf/filter", "ogcapi-features-3/1.0/conf/features-filter",
                                          "ogcapi-features-3/1.0/conf/queryables", "cql2/1.0/conf/cql2-text",
                                          "cql2/1.0/conf/cql2-json", "cql2/1.0/conf/basic-cql2",
                                          "cql2/1.0/conf/advanced-comparison-operators",
                                          "cql2/1.0/conf/case-insensitive-comparison",
                                          "cql2/1.0/conf/accent-insensitive-comparison",
                                          "cql2/1.0/conf/spatial-functions", "cql2/1.0/conf/arithmetic",
                                          "cql2/1.0/conf/property-property"};
    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++)
        if (!strstr(body, classes[i]))
            fail_msg("/conformance lacks %s", classes[i]);
    free(body);
}

static void gdal_and_owslib_send_their_filters(void **state)
{
    (void)state;
    char *out;
    /* GDAL 3.6 turns an OGR -where into the draft's cql-text when the API
     * declares it; the server then evaluates it (the access log shows it) */
    int rc = tu_run(&out, "ogrinfo -ro -al -geom=NO 'OAPIF:%s' enterprises -where \"boiler_tph > 4 AND boiler_fuel = 'coal'\" "
                          "| grep -c '^OGRFeature'", srv.base);
    assert_int_equal(rc, 0);
    long long want = sql_count("boiler_tph > 4 AND boiler_fuel = 'coal'", "enterprises");
    assert_int_equal(atoll(out), want);
    free(out);
    assert_int_equal(tu_run(&out, "grep -c 'filter-lang=cql-text' '%s'", access_log()), 0);
    assert_true(atoi(out) > 0);
    free(out);
    /* OWSLib 0.27 passes filter through to /items */
    rc = tu_run(&out, "/usr/bin/python3 -c \"from owslib.ogcapi.features import Features; "
                      "f = Features('%s'); r = f.collection_items('enterprises', filter=\\\"boiler_fuel = 'coal' AND boiler_tph > 4\\\", limit=1); "
                      "print(r['numberMatched'])\" 2>&1", srv.base);
    if (rc != 0)
        fail_msg("owslib: %s", out);
    assert_int_equal(atoll(out), want);
    free(out);
}

static int filter_status(const tu_server *s, const char *layer, const char *filter, const char *lang, long long *matched)
{
    char path[1400], *out;
    snprintf(path, sizeof path, "%s/filter.txt", tu_tmpdir("cql2-f"));
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(filter, fp);
    fclose(fp);
    int rc = tu_run(&out, "curl -s -G -o %s.out -w '%%{http_code}' --data-urlencode 'filter@%s' %s%s '%s/collections/%s/items?limit=1'",
                    path, path, lang ? "--data-urlencode filter-lang=" : "", lang ? lang : "", s->base, layer);
    assert_int_equal(rc, 0);
    int status = atoi(out);
    free(out);
    *matched = -1;
    if (status == 200) {
        char body[1500];
        snprintf(body, sizeof body, "%s.out", path);
        json_t *j = tu_json_file(body);
        *matched = json_integer_value(json_object_get(j, "numberMatched"));
        json_decref(j);
    }
    return status;
}

/* What the hostile round found, on each store: limits said by gisd before
 * the engine sees the query, and one meaning of every operator. */
static void hostile_filters_are_bounded_and_mean_the_same(void **state)
{
    (void)state;
    long long m, zones = sql_count("1", "zones"), ents = sql_count("1", "enterprises");
    strbuf f = {0};
    /* 1,000 terms (the limit is 2,000) balanced for SQLite's depth limit */
    for (int i = 0; i < 1000; i++)
        strbuf_puts(&f, i ? " AND TRUE" : "TRUE");
    assert_int_equal(filter_status(&srv, "zones", f.data, NULL, &m), 200);
    assert_int_equal(m, zones);
    strbuf_free(&f);
    strbuf_puts(&f, "{\"op\":\"or\",\"args\":[");
    for (int i = 0; i < 1000; i++)
        strbuf_puts(&f, i ? ",true" : "true");
    strbuf_puts(&f, "]}");
    assert_int_equal(filter_status(&srv, "zones", f.data, "cql2-json", &m), 200);
    assert_int_equal(m, zones);
    strbuf_free(&f);
    /* 64 parentheses are taken, 65 refused */
    for (int k = 64; k <= 65; k++) {
        for (int i = 0; i < k; i++)
            strbuf_puts(&f, "(");
        strbuf_puts(&f, "land_use = 'M2'");
        for (int i = 0; i < k; i++)
            strbuf_puts(&f, ")");
        assert_int_equal(filter_status(&srv, "zones", f.data, NULL, &m), k == 64 ? 200 : 400);
        strbuf_free(&f);
    }
    /* operators nested 24 deep are taken (alternating AND, OR, NOT: what
     * SQLite's parser finds hardest), 25 refused */
    for (int k = 23; k <= 24; k++) {
        strbuf_puts(&f, "land_use = 'M2'");
        for (int i = 0; i < k; i++) {
            char *inner = xstrdup(f.data);
            strbuf_free(&f);
            if (i % 3 == 2)
                strbuf_printf(&f, "NOT (%s)", inner);
            else
                strbuf_printf(&f, "(zone_id <> 'x' %s %s)", i % 3 ? "OR" : "AND", inner);
            free(inner);
        }
        int status = filter_status(&srv, "zones", f.data, NULL, &m);
        if (status != (k == 23 ? 200 : 400))
            fail_msg("nested %d: %d", k + 1, status);
        strbuf_free(&f);
    }
    /* 11 nested additions and a comparison taken (2 each and 1: 23), 12 refused */
    for (int k = 12; k <= 13; k++) {
        for (int i = 0; i < k; i++)
            strbuf_puts(&f, i ? "+1" : "1");
        strbuf_puts(&f, " > 0");
        assert_int_equal(filter_status(&srv, "zones", f.data, NULL, &m), k == 12 ? 200 : 400);
        strbuf_free(&f);
    }
    /* functions under alternating AND and OR: 5 levels of 4 (AND/OR, a
     * comparison, CASEI) and a LIKE at the bottom */
    strbuf_puts(&f, "CASEI(name) LIKE CASEI('%a%')");
    for (int i = 0; i < 5; i++) {
        char *inner = xstrdup(f.data);
        strbuf_free(&f);
        strbuf_printf(&f, "(CASEI(zone_id) <> CASEI('x') %s %s)", i % 2 ? "OR" : "AND", inner);
        free(inner);
    }
    assert_int_equal(filter_status(&srv, "zones", f.data, NULL, &m), 200);
    strbuf_free(&f);
    /* one meaning on both stores (each was 0 on one of them) */
    const char *all[] = {"CASEI('Straße') = CASEI('STRASSE')", "7.5 % 2 = 1.5", "-7.5 % 2 = -1.5", "2^3 = 8",
                         "-2^2 = 4", "10 div 3 = 3", "1/0 IS NULL", "ACCENTI('Ñandú') = 'Nandu'"};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        if (filter_status(&srv, "zones", all[i], NULL, &m) != 200 || m != zones)
            fail_msg("%s: matched %lld of %lld", all[i], m, zones);
    }
    const char *none[] = {"INTERVAL('2020-01-01','..') IS NULL", "name LIKE '\\'", "DATE('2020-01-01') IS NULL"};
    for (size_t i = 0; i < sizeof none / sizeof *none; i++) {
        if (filter_status(&srv, "zones", none[i], NULL, &m) != 200 || m != 0)
            fail_msg("%s: matched %lld, want 0", none[i], m);
    }
    /* an overflow is the user's 400, never a 500 */
    const char *overflow[] = {"boiler_tph*1e308*1e308 > 0", "1e308*1e308 > 0", "(-8)^0.5 > 0", "0^(-1) > 0"};
    for (size_t i = 0; i < sizeof overflow / sizeof *overflow; i++)
        if (filter_status(&srv, "enterprises", overflow[i], NULL, &m) != 400)
            fail_msg("%s: not a 400", overflow[i]);
    /* a self-overlapping multipolygon means its union on both stores */
    const char *bowtie = "S_INTERSECTS(geometry, MULTIPOLYGON(((120.6 27.9,120.8 27.9,120.8 28.1,120.6 28.1,120.6 27.9)),"
                         "((120.7 28.0,120.9 28.0,120.9 28.2,120.7 28.2,120.7 28.0))))";
    assert_int_equal(filter_status(&srv, "enterprises", bowtie, NULL, &m), 200);
    long long want = sql_count("ST_Intersects(geom, ST_Union(GeomFromText('POLYGON((120.6 27.9,120.8 27.9,120.8 28.1,"
                               "120.6 28.1,120.6 27.9))', 4490), GeomFromText('POLYGON((120.7 28.0,120.9 28.0,120.9 "
                               "28.2,120.7 28.2,120.7 28.0))', 4490))) = 1", "enterprises");
    assert_int_equal(m, want);
    assert_true(ents > 0);
    /* the message of a bad filter-crs is whole */
    char *out;
    assert_int_equal(tu_run(&out, "curl -s '%s/collections/zones/items?filter=land_use%%3D%%27M2%%27&filter-crs=bogus'",
                            srv.base), 0);
    if (!strstr(out, "filter-crs: ") || strstr(out, "filter-crs: filter-crs"))
        fail_msg("filter-crs=bogus: %s", out);
    free(out);
}

/* A few hundred filters drawn at random give the same answers on
 * PostgreSQL as on SpatiaLite (on the PostgreSQL pass, which has both). */
static void both_stores_agree_on_random_filters(void **state)
{
    (void)state;
    if (!tu_on_pg())
        skip(); /* the SpatiaLite pass has one store; the PostgreSQL pass compares the two */
    tu_server sl;
    tu_server_start(&sl, oracle);
    char *out;
    int rc = tu_run(&out, "python3 '%s/tests/cql2_differential.py' '%s' '%s' 300 %d", tu_root(), sl.base, srv.base,
                    (int)getpid());
    if (rc != 0)
        fail_msg("%s", out);
    free(out);
    tu_server_stop(&sl);
}

/* A 2 MB value and a pattern built to make LIKE backtrack: answered within
 * the filter timeout, never a pinned thread. */
static void like_over_a_huge_value_is_bounded(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("cql2-huge");
    char db[1200], path[1400];
    tu_db(db, sizeof db, dir, "huge");
    snprintf(path, sizeof path, "%s/zones.geojson", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{\"zone_id\":\"Z1\","
          "\"park_id\":\"WZ01\",\"land_use\":\"M2\",\"name\":\"", fp);
    for (int i = 0; i < 2 * 1024 * 1024; i++)
        fputc('a', fp);
    fputs("\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[120.6,27.9],[120.7,27.9],[120.7,28.0],"
          "[120.6,27.9]]]}}]}", fp);
    fclose(fp);
    char *out;
    if (tu_run(&out, "'%s' import --db '%s' '%s' --layer zones", tu_gisd(), db, path) != 0)
        fail_msg("import: %s", out);
    free(out);
    tu_server s;
    const char *extra[] = {"--filter-timeout-ms", "3000", NULL};
    tu_server_start_args(&s, db, extra);
    strbuf f = {0};
    strbuf_puts(&f, "name LIKE '%");
    for (int i = 0; i < 1000; i++)
        strbuf_puts(&f, "a");
    strbuf_puts(&f, "b'");
    long long m;
    double t0 = cancel_now();
    int status = filter_status(&s, "zones", f.data, NULL, &m);
    double took = cancel_now() - t0;
    strbuf_free(&f);
    /* SpatiaLite's gisd_like is linear; PostgreSQL's LIKE may be cancelled at the timeout */
    if (!(status == 200 && m == 0) && !(tu_on_pg() && status == 400))
        fail_msg("LIKE over 2 MB: %d", status);
    if (took > 3.0 + 2.0)
        fail_msg("LIKE over 2 MB took %.1f s, past a 3 s filter timeout", took);
    tu_server_stop(&s);
}

static void a_slow_filter_is_cancelled_with_400(void **state)
{
    (void)state;
    char db[1200];
    tu_make_heavy("cql2-heavy", db, sizeof db);
    tu_server heavy;
    const char *extra[] = {"--filter-timeout-ms", "1", NULL};
    tu_server_start_args(&heavy, db, extra);
    char *out;
    /* the 400 long winding pipes against a polygon of many vertices, compared with GEOS row by row */
    strbuf f = {0};
    strbuf_puts(&f, "S_INTERSECTS(geometry, POLYGON((");
    for (int i = 0; i <= 720; i++) {
        double a = i * 3.14159265358979 / 360;
        strbuf_printf(&f, "%s%.6f %.6f", i ? ", " : "", 120.7 + 0.3 * cos(a) * (1 + 0.2 * (i % 2)),
                      28.0 + 0.3 * sin(a) * (1 + 0.2 * (i % 2)));
    }
    strbuf_puts(&f, "))) OR S_CROSSES(geometry, BBOX(120.5, 27.8, 120.9, 28.2))");
    char path[1400];
    snprintf(path, sizeof path, "%s/slow.txt", tu_tmpdir("cql2-slow"));
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(f.data, fp);
    fclose(fp);
    strbuf_free(&f);
    int rc = tu_run(&out, "curl -s -G -w ' %%{http_code}' --data-urlencode 'filter@%s' '%s/collections/heat_network/items'",
                    path, heavy.base);
    assert_int_equal(rc, 0);
    if (!strstr(out, " 400") || !strstr(out, "filter-timeout-ms"))
        fail_msg("a slow filter: %s", out);
    free(out);
    /* the server is still there */
    assert_int_equal(tu_http(&heavy, "GET", "/collections/heat_network/items?limit=1", NULL, &out, NULL), 200);
    free(out);
    tu_server_stop(&heavy);
}

/* A deployment drops in a layer definition with the source's own field
 * names (upper case, SQL keywords), dates, timestamps and booleans, imports a
 * GeoPackage table, and filters it like the planning layers, temporal
 * functions included. */
static void a_dropped_in_layer_with_dates_and_keywords(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("cql2-events");
    char *out;
    int rc = tu_run(&out,
                    "cd '%s' && mkdir layers && cp '%s'/layers/*.json layers/ && cat > layers/events.layer.json <<'EOF2'\n"
                    "{\"id\": \"events\", \"title\": \"Events\", \"geometry\": \"Point\", \"id_field\": \"ID\",\n"
                    " \"fields\": [{\"name\": \"ID\", \"type\": \"text\"}, {\"name\": \"NAME\", \"type\": \"text\"},\n"
                    "  {\"name\": \"POP_EST\", \"type\": \"real\"}, {\"name\": \"date\", \"type\": \"date\"},\n"
                    "  {\"name\": \"end\", \"type\": \"timestamp\"}, {\"name\": \"open\", \"type\": \"boolean\"}]}\n"
                    "EOF2\n"
                    "cat > layers/events_noid.layer.json <<'EOF3'\n"
                    "{\"id\": \"events_noid\", \"title\": \"Events without ids\", \"geometry\": \"Point\",\n"
                    " \"fields\": [{\"name\": \"NAME\", \"type\": \"text\"}, {\"name\": \"date\", \"type\": \"date\"}]}\n"
                    "EOF3\n"
                    "printf 'ID,NAME,POP_EST,date,end,open,lon,lat\\n"
                    "E1,Alpha,1500,2019-05-01,2021-02-01T08:00:00+08:00,true,120.70,28.00\\n"
                    "E2,Beta,800,2020-03-15,2021-06-30T12:00:00Z,false,120.71,28.01\\n"
                    "E3,Atlas,2500,2020-07-01,,yes,120.72,28.02\\n"
                    "E4,Gamma,,2021-01-10,2022-01-01T00:00:00Z,no,120.73,28.03\\n' > events.csv && "
                    "ogr2ogr -q -f GPKG events.gpkg events.csv -oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat "
                    "-oo KEEP_GEOM_COLUMNS=NO -oo AUTODETECT_TYPE=YES -a_srs EPSG:4326 -nln events && "
                    "'%s' import --quiet --layers layers --db '%s' events.gpkg --layer events 2>&1 && "
                    "'%s' import --quiet --layers layers --db '%s' events.gpkg --layer events_noid 2>&1 && "
                    "{ [ '%s' = '%s' ] || '%s' import --quiet --layers layers --db '%s' events.gpkg --layer events 2>&1; }",
                    dir, tu_root(), tu_gisd(), refdb, tu_gisd(), refdb, oracle, refdb, tu_gisd(), oracle);
    if (rc != 0)
        fail_msg("events: %s", out);
    free(out);
    char layers[1400];
    snprintf(layers, sizeof layers, "%s/layers", dir);
    const char *extra[] = {"--layers", layers, NULL};
    tu_server ev;
    tu_server_start_args(&ev, refdb, extra);
    tu_server keep = srv;
    srv = ev; /* matched() asks srv */
    static const char *const cases[][2] = {
        {"date > DATE('2020-01-01')", "\"date\" > '2020-01-01'"},
        {"\"end\" < TIMESTAMP('2021-03-01T00:00:00Z')", "\"end\" < '2021-03-01T00:00:00Z'"},
        {"open", "open = 1"},
        {"NOT open AND POP_EST IS NULL", "open = 0 AND POP_EST IS NULL"},
        {"open = TRUE AND NAME LIKE 'A%'", "open = 1 AND NAME GLOB 'A*'"},
        {"T_BEFORE(date, DATE('2020-06-01'))", "\"date\" < '2020-06-01'"},
        {"T_DURING(\"end\", INTERVAL('2021-01-01T00:00:00Z', '2021-12-31T00:00:00Z'))",
         "\"end\" > '2021-01-01T00:00:00Z' AND \"end\" < '2021-12-31T00:00:00Z'"},
        {"T_INTERSECTS(date, INTERVAL('..', '2020-03-15'))", "\"date\" <= '2020-03-15'"},
        {"T_AFTER(date, TIMESTAMP('2020-03-15T12:00:00Z'))", "\"date\" || 'T00:00:00Z' > '2020-03-15T12:00:00Z'"},
        {"T_EQUALS(date, DATE('2020-07-01')) OR POP_EST > 2000", "\"date\" = '2020-07-01' OR POP_EST > 2000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        long long want = sql_count(cases[i][1], "events");
        long long got = matched("events", cases[i][0], "", 200);
        if (got != want)
            fail_msg("%s: %lld, SQLite says %lld", cases[i][0], got, want);
    }
    /* the timestamp came in at +08:00 and is kept in UTC; the boolean reads as JSON */
    assert_int_equal(call_json(&out, "/collections/events/items/E1"), 200);
    assert_non_null(strstr(out, "\"end\":\"2021-02-01T00:00:00Z\""));
    assert_non_null(strstr(out, "\"open\":true"));
    assert_non_null(strstr(out, "\"date\":\"2019-05-01\""));
    free(out);
    assert_int_equal(call_json(&out, "/collections/events/queryables"), 200);
    assert_non_null(strstr(out, "\"format\":\"date\""));
    assert_non_null(strstr(out, "\"format\":\"date-time\""));
    assert_non_null(strstr(out, "\"type\":\"boolean\""));
    free(out);
    /* a layer without an id field: its features are numbered by the GeoPackage's FIDs */
    assert_int_equal(call_json(&out, "/collections/events_noid/items/3"), 200);
    assert_non_null(strstr(out, "\"id\":3"));
    assert_non_null(strstr(out, "Atlas"));
    free(out);
    assert_int_equal(matched("events_noid", "date >= DATE('2020-03-15')", "", 200), 3);
    /* the JSON encoding's temporal literals */
    long long a = matched("events", "T_BEFORE(date, DATE('2020-06-01'))", "", 200);
    long long b = matched("events", "{\"op\":\"t_before\",\"args\":[{\"property\":\"date\"},{\"date\":\"2020-06-01\"}]}",
                          "--data-urlencode filter-lang=cql2-json", 200);
    assert_int_equal(a, b);
    matched("events", "date > TIMESTAMP('2020-01-01T00:00:00Z')", "", 400); /* a date is not a timestamp */
    matched("events", "T_BEFORE(POP_EST, DATE('2020-06-01'))", "", 400);
    srv = keep;
    tu_server_stop(&ev);
}

/* The standard's own abstract test suite (OGC 21-065, Annex A): its test
 * dataset imported as three collections, and every predicate of its test-data
 * tables (data/cql2-ats/expected.tsv) answered with the expected number of items. */
static void the_standards_abstract_test_suite(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("cql2-ats");
    char db[1400], layers[1400], *out;
    tu_db(db, sizeof db, dir, "ats");
    snprintf(layers, sizeof layers, "%s/data/cql2-ats/layers", tu_root());
    static const char *const tables[] = {"ne_110m_admin_0_countries", "ne_110m_populated_places_simple",
                                         "ne_110m_rivers_lake_centerlines"};
    for (size_t i = 0; i < 3; i++)
        if (tu_run(&out, "'%s' import --quiet --layers '%s' --db '%s' '%s/data/cql2-ats/ne110m4cql2.gpkg' --layer %s 2>&1",
                   tu_gisd(), layers, db, tu_root(), tables[i]) != 0)
            fail_msg("importing %s: %s", tables[i], out);
        else
            free(out);
    char rules[1400];
    snprintf(rules, sizeof rules, "%s/layers/site-rules.json", tu_root());
    const char *extra[] = {"--layers", layers, "--rules", rules, NULL};
    tu_server ats;
    tu_server_start_args(&ats, db, extra);
    tu_server keep = srv;
    srv = ats;
    char path[1400];
    snprintf(path, sizeof path, "%s/data/cql2-ats/expected.tsv", tu_root());
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[8192];
    int rows = 0, wrong = 0;
    strbuf why = {0};
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        line[strcspn(line, "\n")] = 0;
        char *cls = strtok(line, "\t"), *coll = strtok(NULL, "\t"), *pred = strtok(NULL, "\t"), *n = strtok(NULL, "\t");
        if (!cls || !coll || !pred || !n)
            continue;
        rows++;
        long long got = matched(coll, pred, "", 200), want = atoll(n);
        if (got != want && wrong++ < 10)
            strbuf_printf(&why, "\n  %s on %s: %lld, the suite expects %lld", pred, coll, got, want);
    }
    fclose(f);
    srv = keep;
    tu_server_stop(&ats);
    assert_true(rows > 200);
    if (wrong)
        fail_msg("%d of %d predicates of the abstract test suite differ:%s", wrong, rows, why.data);
    strbuf_free(&why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(errors_say_where),
        cmocka_unit_test(text_semantics),
        cmocka_unit_test(like_is_linear_in_the_text),
        cmocka_unit_test(filters_match_hand_written_sql),
        cmocka_unit_test(both_encodings_and_filter_crs_agree),
        cmocka_unit_test(queryables_and_conformance),
        cmocka_unit_test(gdal_and_owslib_send_their_filters),
        cmocka_unit_test(a_slow_filter_is_cancelled_with_400),
        cmocka_unit_test(hostile_filters_are_bounded_and_mean_the_same),
        cmocka_unit_test(both_stores_agree_on_random_filters),
        cmocka_unit_test(like_over_a_huge_value_is_bounded),
        cmocka_unit_test(a_dropped_in_layer_with_dates_and_keywords),
        cmocka_unit_test(the_standards_abstract_test_suite),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
