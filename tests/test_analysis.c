/* The analyses: every reference answer of data/reference/expected reproduced on
 * the command line, and each site-check rule on small hand-made geometries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char refdb[1200];

static int setup(void **state)
{
    (void)state;
    tu_db(refdb, sizeof refdb, tu_tmpdir("analysis"), "ref");
    tu_import_reference(refdb);
    return 0;
}

static json_t *analyze(const char *args)
{
    char *out;
    int rc = tu_run(&out, "'%s' analyze %s --db '%s' 2>/dev/null", tu_gisd(), args, refdb);
    if (rc != 0) {
        fprintf(stderr, "%s\n", out);
        free(out);
        fail_msg("gisd analyze %s exited %d", args, rc);
    }
    json_t *j = tu_json_text(out);
    free(out);
    return j;
}

static void expect_reference(const char *args, const char *expected)
{
    char path[1200], why[1024];
    snprintf(path, sizeof path, "reference/expected/%s", expected);
    json_t *want = tu_json_file(tu_data(path));
    json_t *got = analyze(args);
    if (tu_json_match(got, want, "$", why, sizeof why))
        fail_msg("gisd analyze %s vs %s: %s", args, expected, why);
    json_decref(got);
    json_decref(want);
}

static void heating_coverage_matches_the_reference(void **state)
{
    (void)state;
    expect_reference("heating-coverage --radius-m 500", "heating-coverage_r500.json");
    expect_reference("heating-coverage", "heating-coverage_r1000.json");
    expect_reference("heating-coverage --radius-m 2000", "heating-coverage_r2000.json");
}

static void hw_proximity_matches_the_reference(void **state)
{
    (void)state;
    expect_reference("hw-proximity", "hw-proximity.json");
    expect_reference("hw-proximity --capable --max-km 50", "hw-proximity_capable.json");
}

static void recycling_coverage_matches_the_reference(void **state)
{
    (void)state;
    expect_reference("recycling-coverage", "recycling-coverage_r1000.json");
    expect_reference("recycling-coverage --radius-m 500 --level any", "recycling-coverage_r500_any.json");
}

static void every_site_gets_its_expected_answer(void **state)
{
    (void)state;
    json_t *sites = tu_json_file(tu_data("reference/sites.geojson"));
    json_t *want = tu_json_file(tu_data("reference/expected/site-check.json"));
    const char *dir = tu_tmpdir("sites");
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(sites, "features"), i, f) {
        const char *id = json_string_value(json_object_get(json_object_get(f, "properties"), "id"));
        char path[1300], args[1400], why[1024];
        snprintf(path, sizeof path, "%s/%s.geojson", dir, id);
        json_dump_file(f, path, 0);
        snprintf(args, sizeof args, "site-check --site '%s'", path);
        json_t *got = analyze(args);
        if (tu_json_match(got, json_object_get(want, id), id, why, sizeof why))
            fail_msg("site-check %s: %s", id, why);
        json_decref(got);
    }
    assert_int_equal(i, 20);
    json_decref(sites);
    json_decref(want);
}

static void symbiosis_matches_the_reference(void **state)
{
    (void)state;
    expect_reference("symbiosis --max-km 3", "symbiosis_3km.json");
    expect_reference("symbiosis", "symbiosis_10km.json");
}

static void bad_parameters_are_refused(void **state)
{
    (void)state;
    char *out;
    assert_int_not_equal(tu_run(&out, "'%s' analyze heating-coverage --db '%s' --radius-m -1", tu_gisd(), refdb), 0);
    assert_non_null(strstr(out, "radius_m"));
    free(out);
    assert_int_not_equal(tu_run(&out, "'%s' analyze heating-coverage --db '%s' --park-id NOPE", tu_gisd(), refdb), 0);
    assert_non_null(strstr(out, "NOPE"));
    free(out);
    assert_int_not_equal(tu_run(&out, "'%s' analyze recycling-coverage --db '%s' --level street", tu_gisd(), refdb), 0);
    assert_non_null(strstr(out, "street"));
    free(out);
    assert_int_not_equal(tu_run(&out, "'%s' analyze symbiosis --db '%s' --max-km 0", tu_gisd(), refdb), 0);
    assert_non_null(strstr(out, "max_km"));
    free(out);
    assert_int_not_equal(tu_run(&out, "'%s' analyze nonsense --db '%s'", tu_gisd(), refdb), 0);
    assert_non_null(strstr(out, "site-check"));
    free(out);
}

/* ---- the rules on a tiny hand-made city, in lon/lat so that a site can sit
 * exactly on a stored vertex ---- */

static char tinydb[1200];

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A park 120.000..120.010E x 28.000..28.010N, split into zones Z1 (M2, west)
 * and Z2 (R2, east) along 120.005E, whose edge has a vertex at 28.005N; a
 * school about 147 m east of the park, a water source north of it, and a pipe
 * along 27.994N, about 666 m south of it. */
static void build_tiny_city(void)
{
    const char *dir = tu_tmpdir("tiny");
    tu_db(tinydb, sizeof tinydb, dir, "tiny");
    static const char *const layers[][2] = {
        {"districts", "{\"name\":\"甲区\"}, \"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
                      "[[[119.9,27.9],[120.1,27.9],[120.1,28.1],[119.9,28.1],[119.9,27.9]]]}"},
        {"parks", "{\"park_id\":\"P1\",\"name\":\"园\"}, \"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
                  "[[[120.0,28.0],[120.01,28.0],[120.01,28.01],[120.0,28.01],[120.0,28.0]]]}"},
        {"zones", "{\"zone_id\":\"Z1\",\"park_id\":\"P1\",\"land_use\":\"M2\",\"name\":\"w\"}, \"geometry\":"
                  "{\"type\":\"Polygon\",\"coordinates\":[[[120.0,28.0],[120.005,28.0],[120.005,28.005],"
                  "[120.005,28.01],[120.0,28.01],[120.0,28.0]]]}}, {\"type\":\"Feature\",\"properties\":"
                  "{\"zone_id\":\"Z2\",\"park_id\":\"P1\",\"land_use\":\"R2\",\"name\":\"e\"}, \"geometry\":"
                  "{\"type\":\"Polygon\",\"coordinates\":[[[120.005,28.0],[120.01,28.0],[120.01,28.01],"
                  "[120.005,28.01],[120.005,28.005],[120.005,28.0]]]}"},
        {"sensitive_areas", "{\"area_id\":\"S1\",\"name\":\"学校\",\"kind\":\"school\"}, \"geometry\":"
                            "{\"type\":\"Polygon\",\"coordinates\":[[[120.0115,28.004],[120.0125,28.004],"
                            "[120.0125,28.006],[120.0115,28.006],[120.0115,28.004]]]}}, {\"type\":\"Feature\","
                            "\"properties\":{\"area_id\":\"S2\",\"name\":\"水源\",\"kind\":\"water_source\"},"
                            "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[120.0,28.015],[120.01,28.015],"
                            "[120.01,28.02],[120.0,28.02],[120.0,28.015]]]}"},
        {"heat_network", "{\"pipe_id\":\"H1\",\"source_id\":\"HS1\",\"diameter_mm\":300,\"medium\":\"steam\"},"
                         " \"geometry\":{\"type\":\"LineString\",\"coordinates\":[[119.99,27.994],[120.02,27.994]]}"},
    };
    for (size_t i = 0; i < 5; i++) {
        char path[1400], text[4096];
        snprintf(path, sizeof path, "%s/%s.geojson", dir, layers[i][0]);
        snprintf(text, sizeof text, "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\","
                                    "\"properties\":%s}]}", layers[i][1]);
        write_text(path, text);
        char *out;
        int rc = tu_run(&out, "'%s' import --quiet --db '%s' '%s' --layer %s", tu_gisd(), tinydb, path,
                        layers[i][0]);
        if (rc != 0)
            fail_msg("tiny city %s: %s", layers[i][0], out);
        free(out);
    }
}

/* Runs site-check on a site geometry (GeoJSON, lon/lat); returns the answer. */
static json_t *check_site(const char *geometry, const char *cls, double tph)
{
    char path[1400], text[4096];
    snprintf(path, sizeof path, "%s/site.geojson", tu_tmpdir("tiny-site"));
    snprintf(text, sizeof text, "{\"type\":\"Feature\",\"properties\":{\"project_class\":\"%s\","
                                "\"coal_boiler_tph\":%g},\"geometry\":%s}", cls, tph, geometry);
    write_text(path, text);
    char *out;
    int rc = tu_run(&out, "'%s' analyze site-check --db '%s' --site '%s' 2>&1", tu_gisd(), tinydb, path);
    if (rc != 0)
        fail_msg("site-check: %s", out);
    json_t *j = tu_json_text(out);
    free(out);
    return j;
}

static json_t *rule_of(json_t *answer, size_t i) { return json_array_get(json_object_get(answer, "rules"), i); }
static int passes(json_t *answer, size_t i) { return json_is_true(json_object_get(rule_of(answer, i), "pass")); }
static double number_in(json_t *o, const char *key) { return json_number_value(json_object_get(o, key)); }

static void a_site_touching_the_park_boundary_is_inside(void **state)
{
    (void)state;
    build_tiny_city();
    json_t *a = check_site("{\"type\":\"Polygon\",\"coordinates\":[[[120.0,28.001],[120.002,28.001],"
                           "[120.002,28.003],[120.0,28.003],[120.0,28.001]]]}", "M2", 0);
    assert_true(passes(a, 0));
    assert_string_equal(json_string_value(json_object_get(rule_of(a, 0), "park_id")), "P1");
    assert_true(passes(a, 1));
    assert_int_equal(json_array_size(json_object_get(rule_of(a, 1), "zones")), 1); /* Z1 only */
    assert_true(json_is_true(json_object_get(a, "compliant")));
    json_decref(a);
    a = check_site("{\"type\":\"Polygon\",\"coordinates\":[[[120.009,28.001],[120.011,28.001],"
                   "[120.011,28.003],[120.009,28.003],[120.009,28.001]]]}", "M1", 0);
    assert_false(passes(a, 0)); /* it sticks out of the park */
    assert_true(json_is_null(json_object_get(rule_of(a, 0), "park_id")));
    json_decref(a);
}

static void a_point_exactly_on_a_zone_edge_lies_in_both_zones(void **state)
{
    (void)state;
    json_t *a = check_site("{\"type\":\"Point\",\"coordinates\":[120.005,28.005]}", "M2", 0);
    json_t *zones = json_object_get(rule_of(a, 1), "zones");
    assert_int_equal(json_array_size(zones), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(zones, 1), "zone_id")), "Z2");
    assert_false(passes(a, 1)); /* Z2 is R2: no place for class 2 industry */
    json_decref(a);
}

static void a_multipart_site_spanning_two_zones(void **state)
{
    (void)state;
    json_t *a = check_site("{\"type\":\"MultiPolygon\",\"coordinates\":[[[[120.001,28.001],[120.002,28.001],"
                           "[120.002,28.002],[120.001,28.002],[120.001,28.001]]],[[[120.007,28.001],"
                           "[120.008,28.001],[120.008,28.002],[120.007,28.002],[120.007,28.001]]]]}", "M1", 0);
    assert_int_equal(json_array_size(json_object_get(rule_of(a, 1), "zones")), 2);
    assert_false(passes(a, 1));
    assert_true(passes(a, 0));
    json_decref(a);
}

static void setbacks_protected_areas_and_heating(void **state)
{
    (void)state;
    /* ~147 m from the school, enough for M2 (100 m); but on the edge of Z2,
     * residential land (R2), which the setback counts since ANALYSES.md's
     * revision: so it fails, and says which zone */
    json_t *a = check_site("{\"type\":\"Point\",\"coordinates\":[120.01,28.005]}", "M2", 0);
    double d = number_in(json_object_get(rule_of(a, 2), "nearest"), "distance_m");
    assert_true(d > 140 && d < 155);
    json_t *home = json_object_get(rule_of(a, 2), "nearest_residential_zone");
    assert_string_equal(json_string_value(json_object_get(home, "zone_id")), "Z2");
    assert_string_equal(json_string_value(json_object_get(home, "land_use")), "R2");
    assert_true(number_in(home, "distance_m") < 0.01);
    assert_false(passes(a, 2));
    json_decref(a);
    /* inside Z1, about 196 m west of Z2 and 830 m from the school: the
     * residential zone alone decides (M2 100 m passes, M3 300 m fails) */
    a = check_site("{\"type\":\"Point\",\"coordinates\":[120.003,28.005]}", "M2", 0);
    assert_true(passes(a, 2));
    home = json_object_get(rule_of(a, 2), "nearest_residential_zone");
    double dz = number_in(home, "distance_m");
    assert_true(dz > 190 && dz < 200);
    assert_true(number_in(json_object_get(rule_of(a, 2), "nearest"), "distance_m") > 300);
    json_decref(a);
    a = check_site("{\"type\":\"Point\",\"coordinates\":[120.003,28.005]}", "M3", 0);
    assert_false(passes(a, 2));
    json_decref(a);
    a = check_site("{\"type\":\"Point\",\"coordinates\":[120.01,28.005]}", "M3", 0);
    assert_false(passes(a, 2));
    assert_int_equal(number_in(rule_of(a, 2), "required_m"), 300);
    json_decref(a);
    /* a site reaching into the water source */
    a = check_site("{\"type\":\"Polygon\",\"coordinates\":[[[120.001,28.009],[120.002,28.009],"
                   "[120.002,28.016],[120.001,28.016],[120.001,28.009]]]}", "M1", 0);
    assert_false(passes(a, 3));
    assert_string_equal(json_string_value(json_array_get(json_object_get(rule_of(a, 3), "overlaps"), 0)), "S2");
    json_decref(a);
    /* a coal boiler ~777 m from the pipe, inside the 1000 m heating radius, fails; without one it passes */
    a = check_site("{\"type\":\"Point\",\"coordinates\":[120.002,28.001]}", "M1", 4);
    assert_false(passes(a, 4));
    d = number_in(rule_of(a, 4), "nearest_pipe_m");
    assert_true(d > 760 && d < 790);
    json_decref(a);
    a = check_site("{\"type\":\"Point\",\"coordinates\":[120.002,28.001]}", "M1", 0);
    assert_true(passes(a, 4));
    json_decref(a);
}

/* By-products in the tiny city: A1 and A2 feed each other, C's supply has two
 * producers at one spot (the smaller id wins), O1 outside the park takes A1's
 * scrap (a link without a park), S1 only feeds itself (unmatched and unused),
 * F1 and F2 are about 9.8 km apart (a link at 10 km, a gap at 3 km). Lists
 * carry spaces, an ideographic space, empty parts and repeats. */
static void symbiosis_links_ties_self_supply_and_gaps(void **state)
{
    (void)state;
    static const char *const ents[][4] = {
        {"A1", "120.002,28.002", "粉煤灰; 粉煤灰 ;\u3000废金属;", "污泥"},
        {"A2", "120.004,28.002", "污泥", "粉煤灰;;粉煤灰"},
        {"B2", "120.001,28.008", "废酸", ""},
        {"B1", "120.001,28.008", "废酸", ""},
        {"C", "120.003,28.008", "", "废酸"},
        {"O1", "120.02,28.005", "", "废金属"},
        {"S1", "120.008,28.002", "废溶剂", "废溶剂"},
        {"F1", "120.2,28.0", "", "炉渣"},
        {"F2", "120.1,28.0", "炉渣", ""},
    };
    char path[1400], *text = NULL, *out;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fputs("{\"type\":\"FeatureCollection\",\"features\":[", f);
    for (size_t i = 0; i < sizeof ents / sizeof *ents; i++)
        fprintf(f, "%s{\"type\":\"Feature\",\"properties\":{\"ent_id\":\"%s\",\"name\":\"%s\",\"outputs\":\"%s\","
                   "\"inputs\":\"%s\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[%s]}}",
                i ? "," : "", ents[i][0], ents[i][0], ents[i][2], ents[i][3], ents[i][1]);
    fputs("]}", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/enterprises.geojson", tu_tmpdir("tiny-ents"));
    write_text(path, text);
    free(text);
    if (tu_run(&out, "'%s' import --quiet --db '%s' '%s' --layer enterprises", tu_gisd(), tinydb, path) != 0)
        fail_msg("enterprises: %s", out);
    free(out);
    char why[1024];
    assert_int_equal(tu_run(&out, "'%s' analyze symbiosis --db '%s' --max-km 3", tu_gisd(), tinydb), 0);
    json_t *got = tu_json_text(out);
    free(out);
    json_t *want = tu_json_text(
        "{\"max_km\":3,"
        "\"links\":[{\"consumer\":\"A1\",\"byproduct\":\"污泥\",\"producer\":\"A2\",\"park_id\":\"P1\"},"
        "{\"consumer\":\"A2\",\"byproduct\":\"粉煤灰\",\"producer\":\"A1\",\"park_id\":\"P1\"},"
        "{\"consumer\":\"C\",\"byproduct\":\"废酸\",\"producer\":\"B1\",\"park_id\":\"P1\"},"
        "{\"consumer\":\"O1\",\"byproduct\":\"废金属\",\"producer\":\"A1\",\"park_id\":null}],"
        "\"unmatched\":[{\"ent_id\":\"F1\",\"byproduct\":\"炉渣\"},{\"ent_id\":\"S1\",\"byproduct\":\"废溶剂\"}],"
        "\"unused\":[{\"ent_id\":\"F2\",\"byproduct\":\"炉渣\"},{\"ent_id\":\"S1\",\"byproduct\":\"废溶剂\"}],"
        "\"byproducts\":["
        "{\"byproduct\":\"废溶剂\",\"producers\":1,\"consumers\":1,\"links\":0,\"unmatched\":1,\"unused\":1},"
        "{\"byproduct\":\"废酸\",\"producers\":2,\"consumers\":1,\"links\":1,\"unmatched\":0,\"unused\":0},"
        "{\"byproduct\":\"废金属\",\"producers\":1,\"consumers\":1,\"links\":1,\"unmatched\":0,\"unused\":0},"
        "{\"byproduct\":\"污泥\",\"producers\":1,\"consumers\":1,\"links\":1,\"unmatched\":0,\"unused\":0},"
        "{\"byproduct\":\"炉渣\",\"producers\":1,\"consumers\":1,\"links\":0,\"unmatched\":1,\"unused\":1},"
        "{\"byproduct\":\"粉煤灰\",\"producers\":1,\"consumers\":1,\"links\":1,\"unmatched\":0,\"unused\":0}],"
        "\"parks\":[{\"park_id\":\"P1\",\"demands\":4,\"links_in_park\":3,\"in_park_ratio\":0.75}]}");
    /* distances depend on the projection; the 10 km run below checks one */
    json_t *links = json_object_get(got, "links");
    for (size_t i = 0; i < json_array_size(links); i++)
        assert_true(json_object_del(json_array_get(links, i), "distance_m") == 0);
    if (tu_json_match(got, want, "$", why, sizeof why))
        fail_msg("symbiosis on the tiny city: %s", why);
    json_decref(got);
    json_decref(want);
    /* at 10 km F1 reaches F2 */
    assert_int_equal(tu_run(&out, "'%s' analyze symbiosis --db '%s'", tu_gisd(), tinydb), 0);
    got = tu_json_text(out);
    free(out);
    json_t *last = json_array_get(json_object_get(got, "links"), 3);
    assert_string_equal(json_string_value(json_object_get(last, "consumer")), "F1");
    double d = json_number_value(json_object_get(last, "distance_m"));
    assert_true(d > 9700 && d < 9900);
    assert_int_equal(json_array_size(json_object_get(got, "unmatched")), 1);
    json_decref(got);
    /* the map: links as lines, the gaps as points */
    assert_int_equal(tu_run(&out, "'%s' analyze symbiosis --db '%s' --max-km 3 --format geojson", tu_gisd(), tinydb), 0);
    got = tu_json_text(out);
    free(out);
    size_t lines = 0, points = 0, n = json_array_size(json_object_get(got, "features"));
    for (size_t i = 0; i < n; i++) {
        json_t *ft = json_array_get(json_object_get(got, "features"), i);
        const char *type = json_string_value(json_object_get(json_object_get(ft, "geometry"), "type"));
        const char *kind = json_string_value(json_object_get(json_object_get(ft, "properties"), "kind"));
        lines += strcmp(type, "LineString") == 0 && strcmp(kind, "link") == 0;
        points += strcmp(type, "Point") == 0 && (strcmp(kind, "unmatched") == 0 || strcmp(kind, "unused") == 0);
    }
    assert_int_equal(lines, 4);
    assert_int_equal(points, 4);
    json_decref(got);
}

static void a_malformed_rules_file_is_refused_with_its_line(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("rules");
    char *out;
    assert_int_equal(tu_run(NULL, "printf '{\\n \"heating_radius_m\": 1000,\\n \"classes\": {\\n' > '%s/r.json'", dir), 0);
    int rc = tu_run(&out, "'%s' analyze heating-coverage --db '%s' --rules '%s/r.json'", tu_gisd(), refdb, dir);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(out, "r.json"));
    assert_non_null(strstr(out, "line 4"));
    free(out);
    assert_int_equal(tu_run(NULL, "printf '{\"heating_radius_m\": -1, \"classes\": {}}' > '%s/r2.json'", dir), 0);
    rc = tu_run(&out, "'%s' analyze heating-coverage --db '%s' --rules '%s/r2.json'", tu_gisd(), refdb, dir);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(out, "heating_radius_m"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heating_coverage_matches_the_reference),
        cmocka_unit_test(hw_proximity_matches_the_reference),
        cmocka_unit_test(recycling_coverage_matches_the_reference),
        cmocka_unit_test(every_site_gets_its_expected_answer),
        cmocka_unit_test(symbiosis_matches_the_reference),
        cmocka_unit_test(bad_parameters_are_refused),
        cmocka_unit_test(a_site_touching_the_park_boundary_is_inside),
        cmocka_unit_test(a_point_exactly_on_a_zone_edge_lies_in_both_zones),
        cmocka_unit_test(a_multipart_site_spanning_two_zones),
        cmocka_unit_test(setbacks_protected_areas_and_heating),
        cmocka_unit_test(symbiosis_links_ties_self_supply_and_gaps),
        cmocka_unit_test(a_malformed_rules_file_is_refused_with_its_line),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
