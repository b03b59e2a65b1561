/* The PostgreSQL/PostGIS store: a throwaway PostgreSQL 15 + PostGIS cluster
 * (tests/pg_cluster.sh) holds the reference city imported by gisd, and
 * every answer is compared with the same city in SpatiaLite: the analyses
 * and an optimisation on the command line, items, a feature and tiles over
 * HTTP. Also: a refused import leaves the database as it was, two servers on
 * one database (an import through one is seen by the other at once), edits
 * with tokens and history, and a database that goes away and comes back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char dir[1200], uri[256], sldb[1200];
static char sdir[1300]; /* the standby's cluster, once a test made one */

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/cluster", tu_tmpdir("pg"));
    char *out;
    if (tu_run(&out, "'%s/tests/pg_cluster.sh' start '%s'", tu_root(), dir) != 0)
        fail_msg("the PostgreSQL cluster did not start: %s", out);
    snprintf(uri, sizeof uri, "%s", out);
    uri[strcspn(uri, "\n")] = 0;
    free(out);
    /* gisd migrate makes the schema; the import then finds it */
    if (tu_run(&out, "'%s' migrate --db '%s' 2>&1", tu_gisd(), uri) != 0 || !strstr(out, "current schema"))
        fail_msg("gisd migrate: %s", out);
    free(out);
    tu_import_reference(uri);
    snprintf(sldb, sizeof sldb, "%s/ref.sqlite", tu_tmpdir("pg-sl"));
    tu_import_reference(sldb);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_run(NULL, "'%s/tests/pg_cluster.sh' stop '%s'", tu_root(), dir);
    if (sdir[0]) /* a failed standby test left it running */
        tu_run(NULL, "'%s/tests/pg_cluster.sh' stop '%s'", tu_root(), sdir);
    return 0;
}

static void analyses_and_optimisations_equal_spatialite(void **state)
{
    (void)state;
    static const char *const runs[] = {"analyze heating-coverage", "analyze hw-proximity", "analyze recycling-coverage",
                                       "analyze symbiosis", "analyze park-scorecard --park-id WZ01",
                                       "optimize sorting-siting --p 5", "optimize hw-allocation",
                                       "optimize recycling-siting --p 10"};
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        char *a, *b;
        if (tu_run(&a, "'%s' %s --db '%s' 2>&1", tu_gisd(), runs[i], uri) != 0)
            fail_msg("gisd %s on PostgreSQL: %s", runs[i], a);
        assert_int_equal(tu_run(&b, "'%s' %s --db '%s' 2>&1", tu_gisd(), runs[i], sldb), 0);
        if (strcmp(a, b) != 0)
            fail_msg("gisd %s: PostgreSQL and SpatiaLite differ:\n%.400s\n%.400s", runs[i], a, b);
        free(a);
        free(b);
    }
}

static void a_refused_import_leaves_the_database_as_it_was(void **state)
{
    (void)state;
    char before[65], after[65], *out;
    tu_store_digest(uri, before);
    /* a manifest whose last file is broken: the layers before it are not kept either */
    assert_int_equal(tu_run(NULL, "cd '%s' && printf '%%s' '{\"layers\": [{\"layer\": \"parks\", \"file\": \"%s\"},"
                                  " {\"layer\": \"parks\", \"file\": \"%s/data/bad/unclosed_ring_parks.geojson\"}]}'"
                                  " > bad-manifest.json",
                             tu_tmpdir("pg-bad"), tu_data("reference/parks.shp"), tu_root()),
                     0);
    int rc = tu_run(&out, "'%s' import --db '%s' --manifest '%s/bad-manifest.json' 2>&1", tu_gisd(), uri,
                    tu_tmpdir("pg-bad"));
    if (rc != 1)
        fail_msg("a broken file: exit %d, want 1: %s", rc, out);
    free(out);
    tu_store_digest(uri, after);
    assert_string_equal(before, after);
}

/* The parts of a response that differ between two servers of one city: the port. */
static char *same_port(char *body, int from, int to)
{
    char a[32], b[32];
    snprintf(a, sizeof a, ":%d/", from);
    snprintf(b, sizeof b, ":%d/", to);
    for (char *p = strstr(body, a); p; p = strstr(p + strlen(b), a))
        memcpy(p, b, strlen(b)); /* both ports have five digits or the same count */
    return body;
}

static void http_answers_equal_spatialite(void **state)
{
    (void)state;
    tu_server pg, sl;
    tu_server_start(&pg, uri);
    tu_server_start(&sl, sldb);
    static const char *const paths[] = {"/collections/zones/items?limit=50&bbox=120.3,27.9,120.8,28.2",
                                        "/collections/enterprises/items?limit=20&park_id=P01",
                                        "/collections/communities/items?limit=5&offset=100&crs=http://www.opengis.net/def/crs/EPSG/0/4549",
                                        "/collections/parks/items/WZ01",
                                        "/analysis/heating-coverage",
                                        "/analysis/site-check?lon=120.65&lat=28.01",
                                        "/collections/parks"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        char *a, *b;
        int sa = tu_http(&pg, "GET", paths[i], NULL, &a, NULL), sb = tu_http(&sl, "GET", paths[i], NULL, &b, NULL);
        assert_int_equal(sa, sb);
        json_t *ja = tu_json_text(same_port(a, pg.port, sl.port)), *jb = tu_json_text(b);
        /* coordinates are rounded by PostGIS and SpatiaLite alike to 7 decimals, the
         * last of which may differ by one where the value is a binary tie */
        char why[512];
        if (tu_json_match(ja, jb, paths[i], why, sizeof why) != 0 && !strstr(paths[i], "items"))
            fail_msg("%s: %s", paths[i], why);
        json_t *fa = json_object_get(ja, "features"), *fb = json_object_get(jb, "features");
        assert_int_equal(json_array_size(fa), json_array_size(fb));
        for (size_t k = 0; k < json_array_size(fa); k++)
            assert_true(json_equal(json_object_get(json_array_get(fa, k), "properties"),
                                   json_object_get(json_array_get(fb, k), "properties")));
        json_decref(ja);
        json_decref(jb);
        free(a);
        free(b);
    }
    /* tiles are cut from the same features */
    char *ta, *tb;
    assert_int_equal(tu_run(&ta, "curl -s '%s/tiles/all/12/3410/1713.mvt' | md5sum", pg.base), 0);
    assert_int_equal(tu_run(&tb, "curl -s '%s/tiles/all/12/3410/1713.mvt' | md5sum", sl.base), 0);
    assert_string_equal(ta, tb);
    free(ta);
    free(tb);
    /* CQL2 filters give the same features on both stores */
    static const char *const filters[] = {
        "boiler_fuel = 'coal' AND boiler_tph > 4",
        "S_INTERSECTS(geom, BBOX(120.5, 27.8, 121.0, 28.2)) AND industry IN ('化工', '电镀')",
        "CASEI(boiler_fuel) LIKE 'C%' OR hw_tpy BETWEEN 10 AND 100",
        "NOT (hw_codes IS NULL) AND hw_tpy * 2 > 50",
        "S_WITHIN(geom, POLYGON((120.5 27.8, 121.0 27.8, 121.0 28.2, 120.5 28.2, 120.5 27.8)))"};
    char path[1400], *out;
    snprintf(path, sizeof path, "%s/filters.txt", tu_tmpdir("pg-cql2"));
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (size_t i = 0; i < sizeof filters / sizeof *filters; i++)
        fprintf(f, "%s\n", filters[i]);
    fclose(f);
    if (tu_run(&out, "python3 '%s/tests/cql2_counts.py' '%s' '%s' '%s' enterprises 2>&1", tu_root(), path, pg.base,
               sl.base) != 0)
        fail_msg("CQL2 on PostgreSQL and SpatiaLite:\n%s", out);
    free(out);
    tu_server_stop(&pg);
    tu_server_stop(&sl);
}

/* gisd_tile_snapshots_total of a server's /metrics. */
static long long snapshots(const tu_server *s)
{
    char *body;
    if (tu_http(s, "GET", "/metrics", NULL, &body, NULL) != 200)
        fail_msg("/metrics: %s", body);
    static const char key[] = "\ngisd_tile_snapshots_total ";
    const char *at = strstr(body, key);
    long long n = at ? atoll(at + strlen(key)) : -1;
    free(body);
    return n;
}

static void two_servers_see_each_import_at_once(void **state)
{
    (void)state;
    tu_server one, two;
    tu_server_start(&one, uri);
    tu_server_start(&two, uri);
    char *body;
    assert_int_equal(tu_http(&two, "GET", "/collections/heat_sources/items?limit=100", NULL, &body, NULL), 200);
    json_t *j = tu_json_text(body);
    assert_int_equal(json_integer_value(json_object_get(j, "numberMatched")), 9);
    json_decref(j);
    free(body);
    /* the second server holds a snapshot of the layer for its tiles */
    long long before = 0;
    for (int i = 0; i < 100 && before == 0; i++) {
        tu_run(NULL, "curl -s -o /dev/null '%s/tiles/heat_sources/10/853/428.mvt'", two.base);
        before = snapshots(&two);
        usleep(50000);
    }
    assert_true(before > 0);
    /* one heat source left, imported through the command line (another node) */
    char *out;
    int rc = tu_run(&out, "cd '%s' && printf 'source_id,name,kind,capacity_tph,X,Y\\nS99,only,chp,10,120.65,28.01\\n' > hs.csv"
                          " && '%s' import --quiet --db '%s' hs.csv --layer heat_sources --srs EPSG:4490 --x X --y Y 2>&1",
                    tu_tmpdir("pg-two"), tu_gisd(), uri);
    if (rc != 0)
        fail_msg("import: %s", out);
    free(out);
    assert_int_equal(tu_http(&two, "GET", "/collections/heat_sources/items?limit=100", NULL, &body, NULL), 200);
    j = tu_json_text(body);
    assert_int_equal(json_integer_value(json_object_get(j, "numberMatched")), 1);
    json_decref(j);
    free(body);
    /* and, told by NOTIFY, it reloads its snapshot of the layer by itself,
     * with no tile asked for */
    long long after = before;
    for (int i = 0; i < 100 && after == before; i++) {
        usleep(50000);
        after = snapshots(&two);
    }
    if (after == before)
        fail_msg("the second server did not reload its heat_sources snapshot after the import's NOTIFY");
    tu_server_stop(&one);
    tu_server_stop(&two);
    /* the reference heat sources back, for the tests that follow */
    if (tu_run(&out, "'%s' import --quiet --db '%s' '%s' --layer heat_sources --srs EPSG:4326 --x lon --y lat 2>&1",
               tu_gisd(), uri, tu_data("reference/heat_sources.csv")) != 0)
        fail_msg("the heat sources back: %s", out);
    free(out);
}

static long long matched(const tu_server *s, const char *path)
{
    char *body;
    if (tu_http(s, "GET", path, NULL, &body, NULL) != 200)
        fail_msg("%s: %s", path, body);
    json_t *j = tu_json_text(body);
    long long n = json_integer_value(json_object_get(j, "numberMatched"));
    json_decref(j);
    free(body);
    return n;
}

/* A read-only node on a streaming standby: it serves, sees the primary's
 * imports through the replicated change counters (a standby takes no
 * LISTEN), and refuses writes with 503 saying where to send them. */
static void a_node_on_a_standby_reads_and_refuses_writes(void **state)
{
    (void)state;
    char suri[256], *out;
    snprintf(sdir, sizeof sdir, "%s/standby", tu_tmpdir("pg-standby"));
    if (tu_run(&out, "'%s/tests/pg_cluster.sh' standby '%s' '%s'", tu_root(), sdir, dir) != 0)
        fail_msg("the standby did not start: %s", out);
    snprintf(suri, sizeof suri, "%s", out);
    suri[strcspn(suri, "\n")] = 0;
    free(out);
    char *token;
    assert_int_equal(tu_run(&token, "'%s' token add --db '%s' --name replica-writer --scope write:parks", tu_gisd(),
                            uri), 0);
    token[strcspn(token, "\n")] = 0;
    tu_server s;
    tu_server_start(&s, suri);
    assert_int_equal(matched(&s, "/collections/heat_sources/items?limit=100"), 9);
    long long before = 0;
    for (int i = 0; i < 100 && before == 0; i++) {
        tu_run(NULL, "curl -s -o /dev/null '%s/tiles/heat_sources/10/853/428.mvt'", s.base);
        before = snapshots(&s);
        usleep(50000);
    }
    assert_true(before > 0);
    /* an import into the primary reaches the standby's node once replayed */
    int rc = tu_run(&out, "cd '%s' && printf 'source_id,name,kind,capacity_tph,X,Y\\nS98,one,chp,10,120.65,28.01\\n' > hs.csv"
                          " && '%s' import --quiet --db '%s' hs.csv --layer heat_sources --srs EPSG:4490 --x X --y Y 2>&1",
                    tu_tmpdir("pg-standby-import"), tu_gisd(), uri);
    if (rc != 0)
        fail_msg("import: %s", out);
    free(out);
    long long n = 9;
    for (int i = 0; i < 200 && n != 1; i++) {
        usleep(50000);
        n = matched(&s, "/collections/heat_sources/items?limit=100");
    }
    assert_int_equal(n, 1);
    /* its next tile is not cut from the stale snapshot: it reads its own area
     * while the layer's new snapshot loads */
    tu_run(NULL, "curl -s -o /dev/null '%s/tiles/heat_sources/10/853/428.mvt'", s.base);
    long long after = before;
    for (int i = 0; i < 100 && after == before; i++) {
        usleep(50000);
        after = snapshots(&s);
    }
    assert_true(after > before);
    /* a write: 503, naming the standby */
    rc = tu_run(&out, "curl -s -w ' %%{http_code}' -X POST -H 'Authorization: Bearer %s'"
                      " -H 'Content-Type: application/geo+json' --data '{\"type\":\"Feature\",\"properties\":"
                      "{\"park_id\":\"P98\",\"name\":\"备园\",\"level\":\"county\"},\"geometry\":{\"type\":"
                      "\"MultiPolygon\",\"coordinates\":[[[[120.6,28.0],[120.61,28.0],[120.61,28.01],[120.6,28.01],"
                      "[120.6,28.0]]]]}}' '%s/collections/parks/items'",
                token, s.base);
    assert_int_equal(rc, 0);
    if (!strstr(out, " 503") || !strstr(out, "standby"))
        fail_msg("a write on the standby: %s", out);
    free(out);
    free(token);
    tu_server_stop(&s);
    assert_int_equal(tu_run(NULL, "'%s/tests/pg_cluster.sh' stop '%s'", tu_root(), sdir), 0);
    if (tu_run(&out, "'%s' import --quiet --db '%s' '%s' --layer heat_sources --srs EPSG:4326 --x lon --y lat 2>&1",
               tu_gisd(), uri, tu_data("reference/heat_sources.csv")) != 0)
        fail_msg("the heat sources back: %s", out);
    free(out);
}

static void edits_tokens_and_history(void **state)
{
    (void)state;
    char *token;
    assert_int_equal(tu_run(&token, "'%s' token add --db '%s' --name planner --scope write:parks", tu_gisd(), uri), 0);
    token[strcspn(token, "\n")] = 0;
    tu_server s;
    tu_server_start(&s, uri);
    char *out;
    int rc = tu_run(&out, "curl -s -w ' %%{http_code}' -X POST -H 'Authorization: Bearer %s'"
                          " -H 'Content-Type: application/geo+json' --data '{\"type\":\"Feature\",\"properties\":"
                          "{\"park_id\":\"P99\",\"name\":\"新园区\",\"level\":\"county\"},\"geometry\":{\"type\":"
                          "\"MultiPolygon\",\"coordinates\":[[[[120.6,28.0],[120.61,28.0],[120.61,28.01],[120.6,28.01],"
                          "[120.6,28.0]]]]}}' '%s/collections/parks/items'",
                    token, s.base);
    assert_int_equal(rc, 0);
    if (!strstr(out, " 201"))
        fail_msg("POST on PostgreSQL: %s", out);
    free(out);
    char *headers, *body;
    assert_int_equal(tu_http(&s, "GET", "/collections/parks/items/P99", NULL, &body, &headers), 200);
    assert_non_null(strstr(body, "新园区"));
    assert_non_null(strcasestr(headers, "etag:"));
    free(body);
    free(headers);
    assert_int_equal(tu_http(&s, "GET", "/collections/parks/items/P99/history", NULL, &body, NULL), 200);
    assert_non_null(strstr(body, "\"who\":\"planner\""));
    free(body);
    /* a revoked token is refused */
    assert_int_equal(tu_run(NULL, "'%s' token revoke --db '%s' --name planner", tu_gisd(), uri), 0);
    assert_int_equal(tu_run(&out, "curl -s -o /dev/null -w '%%{http_code}' -X DELETE -H 'Authorization: Bearer %s'"
                                  " -H 'If-Match: *' '%s/collections/parks/items/P99'", token, s.base),
                     0);
    assert_true(strcmp(out, "401") == 0 || strcmp(out, "403") == 0 || strcmp(out, "429") == 0);
    free(out);
    free(token);
    tu_server_stop(&s);
}

/* A store of schema version 2 (before gisd made its CQL2 functions) is
 * refused by readers, saying to migrate; gisd migrate brings it to 3, and
 * CASEI then folds as on SpatiaLite. */
static void an_old_schema_is_migrated_not_misread(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(tu_sql(&out, uri, "UPDATE gisd_schema_version SET version = 2"), 0);
    free(out);
    const char *geojson = tu_tmpdir("pg-old");
    assert_int_equal(tu_run(&out, "'%s' export --db '%s' --layer parks --format GeoJSON '%s/parks.geojson'", tu_gisd(),
                            uri, geojson), 1);
    assert_non_null(strstr(out, "gisd migrate"));
    free(out);
    assert_int_equal(tu_run(&out, "'%s' migrate --db '%s'", tu_gisd(), uri), 0);
    free(out);
    assert_int_equal(tu_sql(&out, uri, "SELECT version, gisd_casei('Straße'), gisd_accenti('Ñandú') FROM gisd_schema_version"), 0);
    if (!strstr(out, "3|strasse|Nandu"))
        fail_msg("after migrate: %s", out);
    free(out);
}

static void a_database_that_goes_away_gives_503_and_comes_back(void **state)
{
    (void)state;
    tu_server s;
    tu_server_start(&s, uri);
    char *body;
    assert_int_equal(tu_http(&s, "GET", "/collections/zones/items?limit=1", NULL, &body, NULL), 200);
    free(body);
    assert_int_equal(tu_run(NULL, "'%s/tests/pg_cluster.sh' stop '%s'", tu_root(), dir), 0);
    int st = tu_http(&s, "GET", "/collections/zones/items?limit=1&offset=3", NULL, &body, NULL);
    if (st != 503 || !strstr(body, "PostgreSQL"))
        fail_msg("with the database down: %d %s", st, body);
    free(body);
    /* an import meanwhile is not the input's fault: exit 70, saying so */
    char *out;
    assert_int_equal(tu_run(&out, "'%s' import --db '%s' --manifest '%s'", tu_gisd(), uri,
                            tu_data("reference/manifest.json")), 70);
    assert_non_null(strstr(out, "PostgreSQL"));
    free(out);
    assert_int_equal(tu_run(NULL, "'%s/tests/pg_cluster.sh' restart '%s'", tu_root(), dir), 0);
    assert_int_equal(tu_http(&s, "GET", "/collections/zones/items?limit=1&offset=4", NULL, &body, NULL), 200);
    free(body);
    tu_server_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(analyses_and_optimisations_equal_spatialite),
        cmocka_unit_test(a_refused_import_leaves_the_database_as_it_was),
        cmocka_unit_test(http_answers_equal_spatialite),
        cmocka_unit_test(two_servers_see_each_import_at_once),
        cmocka_unit_test(a_node_on_a_standby_reads_and_refuses_writes),
        cmocka_unit_test(edits_tokens_and_history),
        cmocka_unit_test(an_old_schema_is_migrated_not_misread),
        cmocka_unit_test(a_database_that_goes_away_gives_503_and_comes_back),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
