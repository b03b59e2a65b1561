/* Plan scenarios (docs/SCENARIOS.md) on the real server, on the backend the
 * harness runs: the reference city's two scenarios made with Part 4
 * requests, every answer of data/reference/scenarios/expected reproduced
 * through HTTP and the command line, the baseline's answers unchanged
 * meanwhile, the comparisons, conflicts, and every refusal leaving the
 * store as it was. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char refdb[1200], token[128], admin[128];
static tu_server srv;

/* Makes scenario plan (plan-a, plan-b) from its change list. */
static void apply_plan(const char *plan)
{
    char rel[128], *out;
    snprintf(rel, sizeof rel, "reference/scenarios/%s.json", plan);
    int rc = tu_run(&out, "python3 '%s/tests/scenario_apply.py' '%s' '%s' '%s' 2>&1", tu_root(), srv.base, token,
                    tu_data(rel));
    if (rc != 0)
        fail_msg("making %s: %s", plan, out);
    free(out);
}

static int setup(void **state)
{
    (void)state;
    tu_serve_reference("scenarios", refdb, sizeof refdb, &srv);
    char *out;
    assert_int_equal(tu_run(&out, "'%s' token add --db '%s' --name planner --scope admin:scenarios "
                                  "--scope write:scenarios 2>/dev/null | tail -1",
                            tu_gisd(), refdb),
                     0);
    snprintf(token, sizeof token, "%.*s", (int)strcspn(out, "\n"), out);
    free(out);
    assert_int_equal(strlen(token), 64);
    assert_int_equal(tu_run(&out, "'%s' token add --db '%s' --name city --scope admin 2>/dev/null | tail -1", tu_gisd(),
                            refdb),
                     0);
    snprintf(admin, sizeof admin, "%.*s", (int)strcspn(out, "\n"), out);
    free(out);
    apply_plan("plan-a");
    apply_plan("plan-b");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    return 0;
}

/* GET path: want's status, the body parsed. */
static json_t *get(const char *path, int want)
{
    char *body = NULL;
    int status = tu_http(&srv, "GET", path, NULL, &body, NULL);
    if (status != want)
        fail_msg("GET %s: %d, want %d: %.300s", path, status, want, body);
    json_t *j = tu_json_text(body);
    free(body);
    return j;
}

/* A request with a bearer token (NULL: none) and a body (NULL: none); the
 * status, the body in *out (the caller's). */
static int call(const char *method, const char *path, const char *tok, const char *body, const char *extra, char **out)
{
    FILE *f = fopen("build/tmp/scenario-body.json", "w");
    assert_non_null(f);
    fputs(body ? body : "", f);
    fclose(f);
    char auth[200] = "";
    if (tok)
        snprintf(auth, sizeof auth, "-H 'Authorization: Bearer %s'", tok);
    char *o;
    assert_int_equal(tu_run(&o, "curl -s -o build/tmp/scenario-out -w '%%{http_code}' -X %s %s %s %s '%s%s'", method,
                            auth, body ? "-H 'Content-Type: application/geo+json' --data-binary @build/tmp/scenario-body.json"
                                       : "",
                            extra ? extra : "", srv.base, path),
                     0);
    int status = atoi(o);
    free(o);
    assert_int_equal(tu_run(out, "cat build/tmp/scenario-out"), 0);
    return status;
}

static void match(json_t *got, const char *file, const char *what)
{
    json_t *want = tu_json_file(tu_data(file));
    char why[1024];
    if (tu_json_match(got, want, "", why, sizeof why) != 0)
        fail_msg("%s: %s", what, why);
    json_decref(want);
}

static void the_scenarios_hold_their_changes(void **state)
{
    (void)state;
    for (const char *sid = "plan-a\0plan-b\0"; *sid; sid += strlen(sid) + 1) {
        char file[256], path[256];
        snprintf(file, sizeof file, "reference/scenarios/expected/%s/counts.json", sid);
        json_t *counts = tu_json_file(tu_data(file));
        const char *layer;
        json_t *n;
        json_object_foreach(counts, layer, n) {
            snprintf(path, sizeof path, "/scenarios/%s/collections/%s/items?limit=1", sid, layer);
            json_t *j = get(path, 200);
            if (json_integer_value(json_object_get(j, "numberMatched")) != json_integer_value(n))
                fail_msg("%s %s: %lld features, want %lld", sid, layer,
                         (long long)json_integer_value(json_object_get(j, "numberMatched")),
                         (long long)json_integer_value(n));
            json_decref(j);
        }
        json_decref(counts);
    }
    /* the baseline is untouched: as the reference city */
    json_t *j = get("/collections/recycling_points/items?limit=1", 200);
    assert_int_equal(json_integer_value(json_object_get(j, "numberMatched")), 885);
    json_decref(j);
    /* a scenario's own changes, with their ids */
    j = get("/scenarios/plan-a", 200);
    json_t *rp = json_object_get(json_object_get(j, "changes"), "recycling_points");
    assert_int_equal(json_array_size(json_object_get(rp, "added")), 12);
    assert_int_equal(json_array_size(json_object_get(rp, "deleted")), 4);
    assert_string_equal(json_string_value(json_object_get(j, "who")), "planner");
    json_decref(j);
    j = get("/scenarios", 200);
    assert_int_equal(json_array_size(json_object_get(j, "scenarios")), 2);
    json_decref(j);
    /* a feature read through the scenario, and its links under the prefix */
    j = get("/scenarios/plan-a/collections/recycling_points/items/RPA01", 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "properties"), "level")), "community");
    char *text = json_dumps(j, 0);
    assert_non_null(strstr(text, "/scenarios/plan-a/collections/recycling_points/items/RPA01"));
    free(text);
    json_decref(j);
    j = get("/collections/recycling_points/items/RPA01", 404);
    json_decref(j);
    j = get("/scenarios/plan-a/collections/recycling_points/items/R00310", 404); /* deleted there */
    json_decref(j);
}

static void a_scenario_has_its_own_tiles(void **state)
{
    (void)state;
    /* the tile holding RPA01, a point plan-a adds: in plan-a's tile, not in the baseline's */
    double lon = 119.846325, lat = 27.4896537, n = 1 << 14, r = lat * M_PI / 180;
    unsigned x = (unsigned)((lon + 180) / 360 * n), y = (unsigned)((1 - log(tan(r) + 1 / cos(r)) / M_PI) / 2 * n);
    char path[200], *a, *b;
    snprintf(path, sizeof path, "/scenarios/plan-a/tiles/recycling_points/14/%u/%u.mvt", x, y);
    assert_int_equal(tu_run(&a, "curl -s -o build/tmp/sc-tile.mvt -w '%%{http_code}' '%s%s' && grep -c RPA01 "
                                "build/tmp/sc-tile.mvt",
                            srv.base, path),
                     0);
    assert_non_null(strstr(a, "200"));
    free(a);
    snprintf(path, sizeof path, "/tiles/recycling_points/14/%u/%u.mvt", x, y);
    assert_int_not_equal(tu_run(&b, "curl -s -o build/tmp/base-tile.mvt '%s%s' && grep -c RPA01 build/tmp/base-tile.mvt",
                                srv.base, path),
                         0);
    free(b);
    /* its TileJSON points at the scenario's tiles */
    json_t *tj = get("/scenarios/plan-a/tiles/all.json", 200);
    assert_non_null(strstr(json_string_value(json_array_get(json_object_get(tj, "tiles"), 0)), "/scenarios/plan-a/tiles/"));
    json_decref(tj);
}

static void every_answer_in_a_scenario_is_the_reference(void **state)
{
    (void)state;
    static const char *const Q[][2] = {
        {"heating-coverage?radius_m=1000", "heating-coverage_r1000"},
        {"heating-coverage?radius_m=500", "heating-coverage_r500"},
        {"heating-coverage?radius_m=2000", "heating-coverage_r2000"},
        {"hw-proximity", "hw-proximity"},
        {"hw-proximity?capable=true", "hw-proximity_capable"},
        {"recycling-coverage?radius_m=1000", "recycling-coverage_r1000"},
        {"recycling-coverage?radius_m=500&level=any", "recycling-coverage_r500_any"},
        {"symbiosis?max_km=10", "symbiosis_10km"},
        {"symbiosis?max_km=3", "symbiosis_3km"},
    };
    for (const char *sid = "plan-a\0plan-b\0"; *sid; sid += strlen(sid) + 1)
        for (size_t i = 0; i < sizeof Q / sizeof *Q; i++) {
            char path[256], file[256], what[300];
            snprintf(path, sizeof path, "/scenarios/%s/analysis/%s", sid, Q[i][0]);
            snprintf(file, sizeof file, "reference/scenarios/expected/%s/%s.json", sid, Q[i][1]);
            snprintf(what, sizeof what, "GET %s", path);
            json_t *got = get(path, 200);
            match(got, file, what);
            json_decref(got);
        }
    /* the command line, --scenario */
    char *out;
    assert_int_equal(tu_run(&out, "'%s' analyze recycling-coverage --db '%s' --scenario plan-a --radius-m 1000", tu_gisd(),
                            refdb),
                     0);
    json_t *got = tu_json_text(out);
    match(got, "reference/scenarios/expected/plan-a/recycling-coverage_r1000.json", "gisd analyze --scenario plan-a");
    json_decref(got);
    free(out);
    assert_int_equal(tu_run(&out, "'%s' analyze symbiosis --db '%s' --scenario plan-b --max-km 3", tu_gisd(), refdb), 0);
    got = tu_json_text(out);
    match(got, "reference/scenarios/expected/plan-b/symbiosis_3km.json", "gisd analyze --scenario plan-b");
    json_decref(got);
    free(out);
    /* exported as the scenario has it */
    assert_int_equal(tu_run(&out, "'%s' export --db '%s' --scenario plan-b --layer hw_facilities --format GeoJSON "
                                  "build/tmp/scenario-export.geojson && cat build/tmp/scenario-export.geojson",
                            tu_gisd(), refdb),
                     0);
    assert_non_null(strstr(out, "HWF-B1"));
    free(out);
    /* meanwhile the baseline answers as ever */
    got = get("/analysis/recycling-coverage?radius_m=1000", 200);
    match(got, "reference/expected/recycling-coverage_r1000.json", "the baseline's recycling coverage");
    json_decref(got);
    got = get("/analysis/heating-coverage?radius_m=1000", 200);
    match(got, "reference/expected/heating-coverage_r1000.json", "the baseline's heating coverage");
    json_decref(got);
}

static void site_checks_in_a_scenario(void **state)
{
    (void)state;
    json_t *sites = tu_json_file(tu_data("reference/sites.geojson"));
    for (const char *sid = "plan-a\0plan-b\0"; *sid; sid += strlen(sid) + 1) {
        char file[256], path[256];
        snprintf(file, sizeof file, "reference/scenarios/expected/%s/site-check.json", sid);
        json_t *want = tu_json_file(tu_data(file));
        size_t i;
        json_t *f;
        int checked = 0;
        json_array_foreach(json_object_get(sites, "features"), i, f) {
            const char *id = json_string_value(json_object_get(f, "id"));
            json_t *w = json_object_get(want, id);
            if (!w)
                continue;
            char *body = json_dumps(f, 0), *out;
            snprintf(path, sizeof path, "/scenarios/%s/analysis/site-check", sid);
            assert_int_equal(call("POST", path, NULL, body, NULL, &out), 200);
            json_t *got = tu_json_text(out);
            char why[1024];
            if (tu_json_match(got, w, "", why, sizeof why) != 0)
                fail_msg("%s site-check %s: %s", sid, id, why);
            json_decref(got);
            free(out);
            free(body);
            checked++;
        }
        assert_int_equal(checked, (int)json_object_size(want));
        json_decref(want);
    }
    json_decref(sites);
}

static void optimisations_run_in_a_scenario(void **state)
{
    (void)state;
    for (const char *sid = "plan-a\0plan-b\0"; *sid; sid += strlen(sid) + 1) {
        char path[256], file[256], *out;
        snprintf(path, sizeof path, "/scenarios/%s/processes/heat-extension/execution", sid);
        assert_int_equal(tu_run(&out, "curl -s -H 'Content-Type: application/json' -d "
                                      "'{\"inputs\":{\"radius_m\":1000,\"budget_km\":20}}' '%s%s'",
                                srv.base, path),
                         0);
        json_t *got = tu_json_text(out);
        snprintf(file, sizeof file, "reference/scenarios/expected/%s/optimize-heat-extension_r1000_b20.json", sid);
        match(got, file, path);
        json_decref(got);
        free(out);
        /* the covering's optimum may be reached by other points: its numbers are the reference's */
        assert_int_equal(tu_run(&out, "'%s' optimize recycling-siting --db '%s' --scenario %s --radius-m 1000 --p 10 "
                                      "--progress never",
                                tu_gisd(), refdb, sid),
                         0);
        got = tu_json_text(out);
        snprintf(file, sizeof file, "reference/scenarios/expected/%s/optimize-recycling-siting_mclp_r1000_p10.json", sid);
        json_t *want = tu_json_file(tu_data(file));
        for (const char *k = "households\0households_covered_before\0households_covered_after\0existing\0candidates\0";
             *k; k += strlen(k) + 1)
            if (json_integer_value(json_object_get(got, k)) != json_integer_value(json_object_get(want, k)))
                fail_msg("%s recycling-siting %s: %lld, want %lld", sid, k, (long long)json_integer_value(json_object_get(got, k)),
                         (long long)json_integer_value(json_object_get(want, k)));
        assert_true(json_is_true(json_object_get(got, "optimal")));
        json_decref(got);
        json_decref(want);
        free(out);
    }
}

/* got's indicators against want's: by id and order, within ANALYSES.md's
 * tolerances (km2 and ratios 1%, the rest exactly; a delta's that of the
 * larger of its two). */
static void indicators_match(json_t *got, json_t *want, const char *what)
{
    json_t *g = json_object_get(got, "indicators"), *w = json_object_get(want, "indicators");
    assert_int_equal(json_array_size(g), json_array_size(w));
    for (size_t i = 0; i < json_array_size(w); i++) {
        json_t *gi = json_array_get(g, i), *wi = json_array_get(w, i);
        const char *id = json_string_value(json_object_get(wi, "id"));
        assert_string_equal(json_string_value(json_object_get(gi, "id")), id);
        int loose = strstr(id, "km2") || strstr(id, "ratio");
        double big = fmax(fabs(json_number_value(json_object_get(wi, "a"))), fabs(json_number_value(json_object_get(wi, "b"))));
        for (const char *k = "a\0b\0delta\0"; *k; k += strlen(k) + 1) {
            double x = json_number_value(json_object_get(gi, k)), y = json_number_value(json_object_get(wi, k));
            double tol = loose ? 0.01 * (strcmp(k, "delta") == 0 ? big : fabs(y)) + 1e-6 : 0;
            if (fabs(x - y) > tol)
                fail_msg("%s: %s.%s %g, want %g", what, id, k, x, y);
        }
    }
}

static void scenarios_compare_with_each_other_and_the_baseline(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {{"plan-a", "baseline"}, {"plan-b", "baseline"}, {"plan-a", "plan-b"}};
    for (size_t i = 0; i < 3; i++) {
        char path[256], file[256];
        snprintf(path, sizeof path, "/scenarios/%s/compare/%s", pairs[i][0], pairs[i][1]);
        snprintf(file, sizeof file, "reference/scenarios/expected/compare_%s_%s.json", pairs[i][0], pairs[i][1]);
        json_t *got = get(path, 200), *want = tu_json_file(tu_data(file));
        if (!json_equal(json_object_get(got, "changes"), json_object_get(want, "changes")))
            fail_msg("%s: the changes differ", path);
        assert_true(json_equal(json_object_get(got, "conflicts"), json_object_get(want, "conflicts")));
        indicators_match(got, want, path);
        json_decref(got);
        json_decref(want);
    }
    char *out;
    assert_int_equal(tu_run(&out, "'%s' scenario compare --db '%s' --id plan-b --with baseline", tu_gisd(), refdb), 0);
    json_t *got = tu_json_text(out), *want = tu_json_file(tu_data("reference/scenarios/expected/compare_plan-b_baseline.json"));
    assert_true(json_equal(json_object_get(got, "changes"), json_object_get(want, "changes")));
    indicators_match(got, want, "gisd scenario compare");
    json_decref(got);
    json_decref(want);
    free(out);
    /* the comparison's report, read back by poppler */
    assert_int_equal(tu_run(&out, "curl -s -f -o build/tmp/compare.pdf '%s/scenarios/plan-a/compare/baseline?f=pdf' && "
                                  "pdfinfo build/tmp/compare.pdf | grep -c '^Pages:' && pdftotext build/tmp/compare.pdf -",
                            srv.base),
                     0);
    for (const char *want = "规划方案比选报告\0heating.coverage_ratio\0RPA01\0R00310\0差异图\0"; *want; want += strlen(want) + 1)
        if (!strstr(out, want))
            fail_msg("the comparison report lacks \"%s\"", want);
    free(out);
    assert_int_equal(tu_run(&out, "'%s' scenario compare --db '%s' --id plan-b --format pdf --out build/tmp/compare-b.pdf && "
                                  "pdftotext build/tmp/compare-b.pdf - | grep -c HWF-B1",
                            tu_gisd(), refdb),
                     0);
    free(out);
    /* with sites: how many comply in each */
    char *body, *fc = NULL;
    json_t *sites = tu_json_file(tu_data("reference/sites.geojson"));
    fc = json_dumps(sites, 0);
    json_decref(sites);
    assert_int_equal(call("POST", "/scenarios/plan-a/compare/baseline", NULL, fc, NULL, &body), 200);
    got = tu_json_text(body);
    json_t *last = json_array_get(json_object_get(got, "indicators"), 10);
    assert_string_equal(json_string_value(json_object_get(last, "id")), "site.compliant");
    assert_true(json_number_value(json_object_get(last, "b")) > 0);
    json_decref(got);
    free(body);
    free(fc);
}

static void bad_requests_are_refused_and_change_nothing(void **state)
{
    (void)state;
    char digest[65], after[65], *out;
    tu_store_digest(refdb, digest);
    static const struct {
        const char *method, *path, *tok, *body;
        int status;
        const char *want;
    } cases[] = {
        {"GET", "/scenarios/nope", NULL, NULL, 404, "no scenario \\\"nope\\\""},
        {"GET", "/scenarios/nope/collections/parks/items", NULL, NULL, 404, "nope"},
        {"GET", "/scenarios/baseline/collections/parks/items", NULL, NULL, 400, "no scenario id"},
        {"GET", "/scenarios/a%20b/collections/parks/items", NULL, NULL, 400, "no scenario id"},
        {"POST", "/scenarios", "T", "{\"id\": \"x1\", \"title\": \"t\", \"base\": \"nope\"}", 400, "base"},
        {"POST", "/scenarios", "T", "{\"id\": \"x1\", \"title\": \"t\", \"base\": \"x1\"}", 400, "its own base"},
        {"POST", "/scenarios", "T", "{\"id\": \"baseline\", \"title\": \"t\"}", 400, "no scenario id"},
        {"POST", "/scenarios", "T", "{\"id\": \"plan-a\", \"title\": \"t\"}", 409, "already"},
        {"POST", "/scenarios", "T", "{\"id\": \"x1\"}", 400, "title"},
        {"POST", "/scenarios", NULL, "{\"id\": \"x1\", \"title\": \"t\"}", 401, "Bearer"},
        {"DELETE", "/scenarios/nope", "T", NULL, 404, "nope"},
        {"DELETE", "/scenarios/plan-a/collections/recycling_points/items/RPA01", "T", NULL, 428, "If-Match"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int st = call(cases[i].method, cases[i].path, cases[i].tok ? token : NULL, cases[i].body, NULL, &out);
        if (st != cases[i].status || !strstr(out, cases[i].want))
            fail_msg("%s %s: %d %s, want %d with %s", cases[i].method, cases[i].path, st, out, cases[i].status,
                     cases[i].want);
        free(out);
    }
    /* a stale ETag is 412; a token without a scenario scope 403 */
    assert_int_equal(call("DELETE", "/scenarios/plan-a/collections/recycling_points/items/RPA01", token, NULL,
                          "-H 'If-Match: \"0000\"'", &out),
                     412);
    free(out);
    char *plain;
    assert_int_equal(tu_run(&plain, "'%s' token add --db '%s' --name layers-only --scope write:parks 2>/dev/null | tail -1",
                            tu_gisd(), refdb),
                     0);
    plain[strcspn(plain, "\n")] = 0;
    tu_store_digest(refdb, digest); /* the new token is a change; what follows must not be */
    assert_int_equal(call("DELETE", "/scenarios/plan-a/collections/recycling_points/items/RPA01", plain, NULL,
                          "-H 'If-Match: *'", &out),
                     403);
    assert_non_null(strstr(out, "write:scenarios"));
    free(out);
    assert_int_equal(call("POST", "/scenarios", plain, "{\"id\": \"x2\", \"title\": \"t\"}", NULL, &out), 403);
    assert_non_null(strstr(out, "admin:scenarios"));
    free(out);
    free(plain);
    tu_store_digest(refdb, after);
    assert_string_equal(digest, after);
}

static void a_base_changed_under_a_scenario_is_a_conflict(void **state)
{
    (void)state;
    char *out, *body;
    /* a scenario over plan-b, then a drop of plan-b is refused while it is a base */
    assert_int_equal(call("POST", "/scenarios", token, "{\"id\": \"plan-c\", \"title\": \"over B\", \"base\": \"plan-b\"}",
                          NULL, &out),
                     201);
    free(out);
    assert_int_equal(call("DELETE", "/scenarios/plan-b", token, NULL, NULL, &out), 409);
    assert_non_null(strstr(out, "plan-c"));
    free(out);
    /* plan-c reads through plan-b: plan-b's facility is there */
    json_t *j = get("/scenarios/plan-c/collections/hw_facilities/items/HWF-B1", 200);
    json_decref(j);
    /* plan-c changes a feature of plan-b, then plan-b changes it again */
    j = get("/scenarios/plan-c/collections/hw_facilities/items/HWF-B1", 200);
    json_object_set_new(json_object_get(j, "properties"), "capacity_tpy", json_real(1000));
    body = json_dumps(j, 0);
    json_decref(j);
    assert_int_equal(call("PUT", "/scenarios/plan-c/collections/hw_facilities/items/HWF-B1", token, body,
                          "-H 'If-Match: *'", &out),
                     200);
    free(out);
    j = get("/scenarios/plan-c/compare/plan-b", 200);
    assert_int_equal(json_array_size(json_object_get(j, "conflicts")), 0);
    json_decref(j);
    assert_int_equal(call("PUT", "/scenarios/plan-b/collections/hw_facilities/items/HWF-B1", token, body,
                          "-H 'If-Match: *'", &out),
                     200);
    free(out);
    free(body);
    j = get("/scenarios/plan-c/compare/plan-b", 200);
    json_t *c = json_array_get(json_object_get(j, "conflicts"), 0);
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "id")), "HWF-B1");
    assert_true(json_is_object(json_object_get(c, "scenario")) && json_is_object(json_object_get(c, "base")));
    json_decref(j);
    /* plan-b itself is unchanged in its answers but for HWF-B1's capacity: plan-a never saw any of it */
    j = get("/scenarios/plan-a/collections/hw_facilities/items/HWF-B1", 404);
    json_decref(j);
    assert_int_equal(call("DELETE", "/scenarios/plan-c", token, NULL, NULL, &out), 204);
    free(out);
    j = get("/scenarios/plan-c", 404);
    json_decref(j);
}

/* 1 when a and b are the same JSON but for numbers within 2e-7 (degrees: 2 cm). */
static int near(json_t *a, json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return fabs(json_number_value(a) - json_number_value(b)) <= 2e-7;
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!near(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *v;
        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_foreach(a, k, v) if (!near(v, json_object_get(b, k))) return 0;
        return 1;
    }
    return json_equal(a, b);
}

/* The features of layer in the baseline, by id (the caller's). */
static json_t *by_id(const char *layer)
{
    char path[200];
    snprintf(path, sizeof path, "/collections/%s/items?limit=10000", layer);
    json_t *fc = get(path, 200), *o = json_object();
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(fc, "features"), i, f) {
        json_object_del(f, "links");
        json_t *id = json_object_get(f, "id");
        char key[128];
        if (json_is_string(id))
            snprintf(key, sizeof key, "%s", json_string_value(id));
        else
            snprintf(key, sizeof key, "%lld", (long long)json_integer_value(id));
        json_object_set(o, key, f);
    }
    json_decref(fc);
    return o;
}

static void adopting_writes_the_base_and_revert_undoes_it(void **state)
{
    (void)state;
    char *out, digest[65], after[65];
    /* a conflict blocks it, naming the feature, and writes nothing */
    assert_int_equal(call("POST", "/scenarios", token, "{\"id\": \"plan-d\", \"title\": \"a park renamed\"}", NULL, &out),
                     201);
    free(out);
    json_t *park = get("/collections/parks/items/WZ01", 200);
    json_object_set_new(json_object_get(park, "properties"), "name", json_string("方案D园区"));
    char *body = json_dumps(park, 0);
    assert_int_equal(call("PUT", "/scenarios/plan-d/collections/parks/items/WZ01", token, body, "-H 'If-Match: *'", &out),
                     200);
    free(out);
    json_object_set_new(json_object_get(park, "properties"), "name", json_string("城市改名"));
    free(body);
    body = json_dumps(park, 0);
    json_decref(park);
    assert_int_equal(call("PUT", "/collections/parks/items/WZ01", admin, body, "-H 'If-Match: *'", &out), 200);
    free(out);
    free(body);
    tu_store_digest(refdb, digest);
    assert_int_equal(call("POST", "/scenarios/plan-d/adopt", token, NULL, NULL, &out), 409);
    json_t *j = tu_json_text(out);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "conflicts"), 0), "id")),
                        "WZ01");
    json_decref(j);
    free(out);
    tu_store_digest(refdb, after);
    assert_string_equal(digest, after);
    assert_int_equal(call("DELETE", "/scenarios/plan-d", token, NULL, NULL, &out), 204);
    free(out);

    /* plan-a adopted: the baseline answers as plan-a did */
    static const char *const layers[] = {"recycling_points", "enterprises", "heat_network", "hw_facilities", "parks"};
    json_t *before[5];
    for (size_t i = 0; i < 5; i++)
        before[i] = by_id(layers[i]);
    assert_int_equal(call("POST", "/scenarios/plan-a/adopt", token, NULL, NULL, &out), 200);
    j = tu_json_text(out);
    free(out);
    json_t *history = json_object_get(j, "history");
    assert_int_equal(json_array_size(history), 23);
    json_t *got = get("/analysis/recycling-coverage?radius_m=1000", 200);
    match(got, "reference/scenarios/expected/plan-a/recycling-coverage_r1000.json", "the baseline after adopting plan-a");
    json_decref(got);
    json_t *sc = get("/scenarios/plan-a", 200); /* empty now: what it held is the baseline */
    assert_int_equal(json_object_size(json_object_get(sc, "changes")), 0);
    json_decref(sc);
    /* each change reverted, newest first, gives the baseline back */
    for (size_t i = json_array_size(history); i-- > 0;) {
        char *o;
        long long n = json_integer_value(json_array_get(history, i));
        if (tu_run(&o, "'%s' revert --db '%s' --change %lld 2>&1", tu_gisd(), refdb, n) != 0)
            fail_msg("gisd revert --change %lld: %s", n, o);
        free(o);
    }
    json_decref(j);
    for (size_t i = 0; i < 5; i++) {
        json_t *now = by_id(layers[i]);
        const char *k;
        json_t *f;
        json_object_foreach(before[i], k, f) {
            json_t *g = json_object_get(now, k);
            /* the history keeps 9 decimals, the items show 7: a last digit may round the other way */
            if (!g || !json_equal(json_object_get(f, "properties"), json_object_get(g, "properties")) ||
                !near(json_object_get(f, "geometry"), json_object_get(g, "geometry")))
                fail_msg("%s %s differs from before the adoption once it is reverted", layers[i], k);
        }
        if (json_object_size(now) != json_object_size(before[i]))
            fail_msg("%s: %zu features, %zu before the adoption", layers[i], json_object_size(now),
                     json_object_size(before[i]));
        json_decref(now);
        json_decref(before[i]);
    }
    got = get("/analysis/recycling-coverage?radius_m=1000", 200);
    match(got, "reference/expected/recycling-coverage_r1000.json", "the baseline after reverting the adoption");
    json_decref(got);
}

static void an_optimisation_becomes_a_scenario(void **state)
{
    (void)state;
    char *out;
    /* the covering's layout: its scenario covers what the optimisation said */
    assert_int_equal(tu_run(&out, "'%s' optimize recycling-siting --db '%s' --radius-m 1000 --p 10 --progress never "
                                  "--save-scenario mclp",
                            tu_gisd(), refdb),
                     0);
    json_t *opt = tu_json_text(out);
    free(out);
    assert_string_equal(json_string_value(json_object_get(opt, "scenario")), "mclp");
    json_t *cov = get("/scenarios/mclp/analysis/recycling-coverage?radius_m=1000", 200);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(cov, "total"), "households_covered")),
                     json_integer_value(json_object_get(opt, "households_covered_after")));
    json_decref(cov);
    json_t *sc = get("/scenarios/mclp", 200);
    json_t *added = json_object_get(json_object_get(json_object_get(sc, "changes"), "recycling_points"), "added");
    assert_int_equal(json_array_size(added), 10);
    assert_int_equal(strncmp(json_string_value(json_array_get(added, 0)), "P-", 2), 0);
    json_decref(sc);
    json_decref(opt);

    /* the heat extension over HTTP: its scenario's coverage has none of the retired boilers */
    static const char *body = "{\"inputs\": {\"radius_m\": 1000, \"budget_km\": 20, \"save_scenario\": \"heat20\"}}";
    assert_int_equal(call("POST", "/processes/heat-extension/execution", NULL, body, NULL, &out), 401);
    free(out);
    assert_int_equal(call("POST", "/processes/heat-extension/execution", token, body, NULL, &out), 200);
    opt = tu_json_text(out);
    free(out);
    assert_string_equal(json_string_value(json_object_get(opt, "scenario")), "heat20");
    json_t *heat = get("/scenarios/heat20/analysis/heating-coverage?radius_m=1000", 200);
    char *text = json_dumps(json_object_get(heat, "parks"), 0);
    size_t i;
    json_t *sel;
    assert_true(json_array_size(json_object_get(opt, "selected")) > 0);
    json_array_foreach(json_object_get(opt, "selected"), i, sel) {
        char quoted[80];
        snprintf(quoted, sizeof quoted, "\"%s\"", json_string_value(json_object_get(sel, "ent_id")));
        if (strstr(text, quoted))
            fail_msg("the retired boiler %s is still in coverage in heat20", quoted);
        char path[160];
        snprintf(path, sizeof path, "/scenarios/heat20/collections/heat_network/items/SP-%s",
                 json_string_value(json_object_get(sel, "ent_id")));
        json_t *spur = get(path, 200);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(spur, "properties"), "diameter_mm")), 100);
        json_decref(spur);
    }
    free(text);
    json_decref(heat);
    json_decref(opt);
    /* hw-allocation keeps no layout; a taken id is refused; neither leaves a scenario */
    assert_int_equal(call("POST", "/processes/hw-allocation/execution", token,
                          "{\"inputs\": {\"save_scenario\": \"hw1\"}}", NULL, &out),
                     400);
    assert_non_null(strstr(out, "moves waste"));
    free(out);
    assert_int_equal(tu_run(&out, "'%s' optimize heat-extension --db '%s' --budget-km 5 --save-scenario heat20 2>&1",
                            tu_gisd(), refdb),
                     1);
    assert_non_null(strstr(out, "already"));
    free(out);
    json_t *j = get("/scenarios/hw1", 404);
    json_decref(j);
}

/* Two nodes on one PostgreSQL database: a scenario edit through one is in
 * the other's features, tiles and analyses at once (nothing of a scenario
 * is cached). On SpatiaLite the second server reads the same file. */
static void a_second_node_sees_a_scenario_edit_at_once(void **state)
{
    (void)state;
    tu_server other;
    tu_server_start(&other, refdb);
    char *out, path[200];
    assert_int_equal(call("POST", "/scenarios", token, "{\"id\": \"nodes\", \"title\": \"two nodes\"}", NULL, &out), 201);
    free(out);
    /* a point where plan-a put RPA01, now in scenario nodes, through this node */
    static const char *pt = "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [119.846325, "
                            "27.4896537]}, \"properties\": {\"point_id\": \"NODE1\", \"name\": \"n\", \"level\": \"community\", "
                            "\"capacity_tpd\": 1, \"categories\": null}}";
    /* the other node answers, before and after */
    char *before;
    snprintf(path, sizeof path, "%s/scenarios/nodes/analysis/recycling-coverage?radius_m=1000", other.base);
    assert_int_equal(tu_run(&before, "curl -s '%s'", path), 0);
    assert_int_equal(call("POST", "/scenarios/nodes/collections/recycling_points/items", token, pt, NULL, &out), 201);
    free(out);
    assert_int_equal(tu_run(&out, "curl -s -o /dev/null -w '%%{http_code}' '%s/scenarios/nodes/collections/recycling_points/items/NODE1'",
                            other.base),
                     0);
    assert_string_equal(out, "200");
    free(out);
    char *after;
    assert_int_equal(tu_run(&after, "curl -s '%s'", path), 0);
    json_t *a = tu_json_text(before), *b = tu_json_text(after);
    assert_true(json_integer_value(json_object_get(json_object_get(b, "total"), "households_covered")) >
                json_integer_value(json_object_get(json_object_get(a, "total"), "households_covered")));
    json_decref(a);
    json_decref(b);
    free(before);
    free(after);
    double lon = 119.846325, lat = 27.4896537, n = 1 << 14, r = lat * M_PI / 180;
    unsigned x = (unsigned)((lon + 180) / 360 * n), y = (unsigned)((1 - log(tan(r) + 1 / cos(r)) / M_PI) / 2 * n);
    assert_int_equal(tu_run(&out, "curl -s -o build/tmp/node-tile.mvt '%s/scenarios/nodes/tiles/recycling_points/14/%u/%u.mvt'"
                                  " && grep -c NODE1 build/tmp/node-tile.mvt",
                            other.base, x, y),
                     0);
    free(out);
    tu_server_stop(&other);
}

static void a_file_imported_into_a_scenario_becomes_its_changes(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(tu_run(&out, "'%s' scenario create --db '%s' --id imp --title 'a new facilities file'", tu_gisd(), refdb),
                     0);
    free(out);
    /* the baseline's facilities, one gone, one with more capacity, one new */
    assert_int_equal(tu_run(&out, "'%s' export --db '%s' --layer hw_facilities --format GeoJSON build/tmp/hwf.geojson && "
                                  "python3 -c \"import json; d = json.load(open('build/tmp/hwf.geojson')); f = d['features'];"
                                  " gone = f.pop(0)['properties']['facility_id']; f[0]['properties']['capacity_tpy'] = 99999;"
                                  " new = json.loads(json.dumps(f[1])); new['properties']['facility_id'] = 'HWF-NEW';"
                                  " f.append(new); json.dump(d, open('build/tmp/hwf2.geojson', 'w')); print(gone)\"",
                            tu_gisd(), refdb),
                     0);
    char gone[64];
    out[strcspn(out, "\0")] = 0;
    while (*out && out[strlen(out) - 1] == '\n')
        out[strlen(out) - 1] = 0;
    const char *last = strrchr(out, '\n'); /* export says what it wrote first */
    snprintf(gone, sizeof gone, "%s", last ? last + 1 : out);
    free(out);
    char digest[65], after[65];
    assert_int_equal(tu_run(&out, "'%s' import --db '%s' --scenario imp build/tmp/hwf2.geojson --layer hw_facilities --quiet",
                            tu_gisd(), refdb),
                     0);
    assert_non_null(strstr(out, "1 added, 1 replaced, 1 deleted"));
    free(out);
    json_t *j = get("/scenarios/imp", 200);
    json_t *c = json_object_get(json_object_get(j, "changes"), "hw_facilities");
    assert_string_equal(json_string_value(json_array_get(json_object_get(c, "added"), 0)), "HWF-NEW");
    assert_string_equal(json_string_value(json_array_get(json_object_get(c, "deleted"), 0)), gone);
    json_decref(j);
    j = get("/collections/hw_facilities/items/HWF-NEW", 404); /* the baseline keeps its own */
    json_decref(j);
    /* a file with a bad feature changes nothing */
    tu_store_digest(refdb, digest);
    FILE *f = fopen("build/tmp/hwf3.geojson", "w");
    assert_non_null(f);
    fputs("{\"type\": \"FeatureCollection\", \"features\": [{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\","
          " \"coordinates\": [120.6, 28]}, \"properties\": {\"facility_id\": \"X\", \"capacity_tpy\": \"lots\"}}]}", f);
    fclose(f);
    assert_int_equal(tu_run(&out, "'%s' import --db '%s' --scenario imp build/tmp/hwf3.geojson --layer hw_facilities "
                                  "--quiet 2>&1",
                            tu_gisd(), refdb),
                     1);
    free(out);
    tu_store_digest(refdb, after);
    assert_string_equal(digest, after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_scenarios_hold_their_changes),
        cmocka_unit_test(a_scenario_has_its_own_tiles),
        cmocka_unit_test(every_answer_in_a_scenario_is_the_reference),
        cmocka_unit_test(site_checks_in_a_scenario),
        cmocka_unit_test(optimisations_run_in_a_scenario),
        cmocka_unit_test(scenarios_compare_with_each_other_and_the_baseline),
        cmocka_unit_test(bad_requests_are_refused_and_change_nothing),
        cmocka_unit_test(a_base_changed_under_a_scenario_is_a_conflict),
        cmocka_unit_test(adopting_writes_the_base_and_revert_undoes_it),
        cmocka_unit_test(an_optimisation_becomes_a_scenario),
        cmocka_unit_test(a_second_node_sees_a_scenario_edit_at_once),
        cmocka_unit_test(a_file_imported_into_a_scenario_becomes_its_changes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
