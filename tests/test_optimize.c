/* The layout optimisations: every reference answer of data/reference/expected
 * reproduced on the command line (the objective within OPTIMIZE.md's
 * tolerances, the layout recomputed independently by optimize_check.py), a
 * hand-made town whose optimum is known by hand, and bad input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char refdb[1200], towndb[1200];

static int setup(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("optimize");
    tu_db(refdb, sizeof refdb, dir, "ref");
    tu_import_reference(refdb);
    /* a town on one street (EPSG:4549 metres): A at 0, B 900 m east, C 1,800 m east */
    tu_db(towndb, sizeof towndb, dir, "town");
    char *out;
    int rc = tu_run(&out, "cd '%s' && printf 'community_id,name,households,X,Y\\nA,a,100,560000,3090000\\n"
                          "B,b,50,560900,3090000\\nC,c,80,561800,3090000\\n' > comm.csv && "
                          "printf 'point_id,name,level,X,Y\\nR1,far,community,590000,3090000\\n"
                          "S1,x,sorting,560000,3090000\\nS2,y,transit,561800,3090000\\n' > points.csv && "
                          "'%s' import --quiet --db '%s' comm.csv --layer communities --srs EPSG:4549 "
                          "--x X --y Y && '%s' import --quiet --db '%s' points.csv --layer "
                          "recycling_points --srs EPSG:4549 --x X --y Y", dir, tu_gisd(), towndb, tu_gisd(), towndb);
    if (rc != 0)
        fail_msg("the town: %s", out);
    free(out);
    /* its heat pipe (560-561 km east), coal boilers E1-E4 and hazardous
     * waste H1-H3 with facilities F1 (100 t, HW08 and HW49) and F2 (1,000 t,
     * HW08 only, 10 km east) */
    rc = tu_run(&out, "cd '%s' && printf '%%s' '{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\","
                      "\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::4549\"}},\"features\":[{\"type\":\"Feature\","
                      "\"properties\":{\"pipe_id\":\"P1\",\"source_id\":\"S1\",\"diameter_mm\":300,\"medium\":\"hot_water\"},"
                      "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[560000,3090000],[561000,3090000]]}}]}' > pipes.geojson && "
                      "printf 'ent_id,name,boiler_tph,boiler_fuel,hw_tpy,hw_codes,X,Y\nE1,a,10,coal,0,,563000,3090000\n"
                      "E2,b,6,coal,0,,563500,3090000\nE3,c,5,coal,0,,558000,3090000\nE4,d,20,coal,0,,561500,3090000\n"
                      "H1,h1,0,,80,HW08,561000,3090100\nH2,h2,0,,50,HW49,562000,3090100\nH3,h3,0,,10,HW17,569000,3090100\n' > ents.csv && "
                      "printf 'facility_id,name,capacity_tpy,hw_codes,X,Y\nF1,f1,100,HW08;HW49,560000,3090100\n"
                      "F2,f2,1000,HW08,570000,3090100\n' > facs.csv && "
                      "'%s' import --quiet --db '%s' pipes.geojson --layer heat_network && "
                      "'%s' import --quiet --db '%s' ents.csv --layer enterprises --srs EPSG:4549 --x X --y Y && "
                      "'%s' import --quiet --db '%s' facs.csv --layer hw_facilities --srs EPSG:4549 --x X --y Y",
                dir, tu_gisd(), towndb, tu_gisd(), towndb, tu_gisd(), towndb);
    if (rc != 0)
        fail_msg("the town: %s", out);
    free(out);
    return 0;
}

static json_t *optimize(const char *db, const char *args, int want_rc, char **text)
{
    char *out;
    /* stderr (the progress line of a slow run) only when it failed */
    int rc = tu_run(&out, "'%s' optimize %s --db '%s' > build/tmp/opt.json 2> build/tmp/opt.err; rc=$?; "
                          "[ $rc = 0 ] || cat build/tmp/opt.err; cat build/tmp/opt.json; exit $rc", tu_gisd(), args, db);
    if (rc != want_rc)
        fail_msg("gisd optimize %s: exit %d, want %d: %s", args, rc, want_rc, out);
    json_t *j = want_rc == 0 ? tu_json_text(out) : NULL;
    if (text)
        *text = out;
    else
        free(out);
    return j;
}

static void check_layout(const char *name, const char *param)
{
    char *out;
    int rc = tu_run(&out, "python3 '%s/tests/optimize_check.py' %s build/tmp/opt.json '%s' %s", tu_root(),
                    name, refdb, param);
    if (rc != 0 || strcmp(out, "ok\n") != 0)
        fail_msg("%s: the layout does not achieve what it claims: %s", name, out);
    free(out);
}

static double num(json_t *j, const char *k) { return json_number_value(json_object_get(j, k)); }

static json_t *expected(const char *file)
{
    char path[1200];
    snprintf(path, sizeof path, "%s", tu_data(file));
    return tu_json_file(path);
}

static void recycling_siting_matches_the_reference(void **state)
{
    (void)state;
    json_t *want = expected("reference/expected/optimize-recycling-siting_mclp_r1000_p10.json");
    json_t *got = optimize(refdb, "recycling-siting --radius-m 1000 --p 10", 0, NULL);
    check_layout("recycling-siting", "1000");
    for (const char *k = "households\0households_covered_before\0households_covered_after\0existing\0candidates\0"; *k; k += strlen(k) + 1)
        assert_int_equal((long long)num(got, k), (long long)num(want, k));
    assert_true(json_equal(json_object_get(got, "uncoverable"), json_object_get(want, "uncoverable")));
    assert_int_equal(json_array_size(json_object_get(got, "selected")), 10);
    assert_true(json_is_true(json_object_get(got, "optimal")));
    json_decref(got);
    json_decref(want);
    want = expected("reference/expected/optimize-recycling-siting_lscp_r1000.json");
    got = optimize(refdb, "recycling-siting --radius-m 1000", 0, NULL);
    check_layout("recycling-siting", "1000");
    assert_string_equal(json_string_value(json_object_get(got, "mode")), "lscp");
    assert_true(json_is_null(json_object_get(got, "p")));
    assert_int_equal(json_array_size(json_object_get(got, "selected")),
                     json_array_size(json_object_get(want, "selected")));
    assert_int_equal((long long)num(got, "households_covered_after"), (long long)num(want, "households_covered_after"));
    json_decref(got);
    json_decref(want);
}

static void sorting_siting_matches_the_reference(void **state)
{
    (void)state;
    json_t *want = expected("reference/expected/optimize-sorting-siting_p5.json");
    json_t *got = optimize(refdb, "sorting-siting --p 5", 0, NULL);
    check_layout("sorting-siting", "");
    assert_true(fabs(num(got, "household_km") - num(want, "household_km")) <= 1e-4 * num(want, "household_km"));
    assert_int_equal((long long)num(got, "candidates"), (long long)num(want, "candidates"));
    assert_int_equal(json_array_size(json_object_get(got, "sites")), 5);
    assert_true(json_is_true(json_object_get(got, "optimal")));
    json_decref(got);
    json_decref(want);
}

static void hw_allocation_matches_the_reference(void **state)
{
    (void)state;
    json_t *want = expected("reference/expected/optimize-hw-allocation_50km.json");
    json_t *got = optimize(refdb, "hw-allocation --max-km 50", 0, NULL);
    check_layout("hw-allocation", "50");
    assert_true(fabs(num(got, "tonnes") - num(want, "tonnes")) < 0.01);
    assert_true(fabs(num(got, "served_t") - num(want, "served_t")) < 0.01);
    assert_true(fabs(num(got, "tonne_km") - num(want, "tonne_km")) <= 1e-4 * num(want, "tonne_km"));
    assert_int_equal(json_array_size(json_object_get(got, "facilities")), json_array_size(json_object_get(want, "facilities")));
    json_decref(got);
    json_decref(want);
}

static void heat_extension_matches_the_reference(void **state)
{
    (void)state;
    json_t *want = expected("reference/expected/optimize-heat-extension_r1000_b20.json");
    json_t *got = optimize(refdb, "heat-extension --radius-m 1000 --budget-km 20 --frontier 5", 0, NULL);
    check_layout("heat-extension", "20");
    assert_int_equal((long long)num(got, "boilers"), (long long)num(want, "boilers"));
    assert_true(fabs(num(got, "boiler_tph") - num(want, "boiler_tph")) < 0.01);
    assert_true(fabs(num(got, "tph_retired") - num(want, "tph_retired")) < 0.01);
    assert_true(num(got, "pipe_km") <= 20);
    /* the frontier rises from nothing at budget 0 to every boiler at the last */
    json_t *fr = json_object_get(got, "frontier");
    assert_int_equal(json_array_size(fr), 5);
    assert_true(num(json_array_get(fr, 0), "tph_retired") == 0);
    assert_true(fabs(num(json_array_get(fr, 4), "tph_retired") - num(want, "boiler_tph")) < 0.01);
    for (size_t i = 1; i < 5; i++)
        assert_true(num(json_array_get(fr, i), "tph_retired") >= num(json_array_get(fr, i - 1), "tph_retired"));
    json_decref(got);
    json_decref(want);
}

/* The town: B reaches A and C (900 m), so one point at B covers everyone. */
static void a_town_whose_optimum_is_known_by_hand(void **state)
{
    (void)state;
    json_t *got = optimize(towndb, "recycling-siting --radius-m 1000 --p 1", 0, NULL);
    assert_string_equal(json_string_value(json_array_get(json_object_get(got, "selected"), 0)), "B");
    assert_int_equal((long long)num(got, "households_covered_after"), 230);
    assert_int_equal((long long)num(got, "households_covered_before"), 0);
    json_decref(got);
    got = optimize(towndb, "recycling-siting --radius-m 1000", 0, NULL);
    assert_int_equal(json_array_size(json_object_get(got, "selected")), 1);
    json_decref(got);
    /* at 800 m nobody reaches anybody: every community needs its own point */
    got = optimize(towndb, "recycling-siting --radius-m 800", 0, NULL);
    assert_int_equal(json_array_size(json_object_get(got, "selected")), 3);
    json_decref(got);
    /* a tie: at 800 m with p 2, the best two cover A (100) and C (80) */
    got = optimize(towndb, "recycling-siting --radius-m 800 --p 2", 0, NULL);
    assert_int_equal((long long)num(got, "households_covered_after"), 180);
    json_decref(got);
    /* p-median: S1 at A costs 0.9 x 50 + 1.8 x 80 = 189 household-km, S2 at C 225 */
    got = optimize(towndb, "sorting-siting --p 1", 0, NULL);
    assert_string_equal(json_string_value(json_array_get(json_object_get(got, "selected"), 0)), "S1");
    assert_true(fabs(num(got, "household_km") - 189) < 1e-6);
    assert_true(fabs(num(got, "max_distance_m") - 1800) < 1e-6);
    json_decref(got);
    /* p larger than the two candidates: infeasible as posed */
    char *why;
    optimize(towndb, "sorting-siting --p 3", 1, &why);
    if (!strstr(why, "p 3 is more than the 2 candidates"))
        fail_msg("p over the candidates: %s", why);
    free(why);
    /* heat extension: E4 is within 1 km of the pipe already; E1 (10 t/h) and
     * E3 (5 t/h) need 2 km of spur each, E2 (6 t/h) 2.5 km. At 4.5 km E1 + E2
     * retire 16 t/h; at 4 km E1 + E3 retire 15 */
    got = optimize(towndb, "heat-extension --budget-km 4.5", 0, NULL);
    assert_int_equal((long long)num(got, "boilers"), 3);
    assert_true(fabs(num(got, "tph_retired") - 16) < 1e-9);
    json_t *sel = json_object_get(got, "selected");
    assert_int_equal(json_array_size(sel), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(sel, 0), "ent_id")), "E1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(sel, 1), "ent_id")), "E2");
    json_decref(got);
    got = optimize(towndb, "heat-extension --budget-km 4", 0, NULL);
    sel = json_object_get(got, "selected");
    assert_true(fabs(num(got, "tph_retired") - 15) < 1e-9);
    assert_string_equal(json_string_value(json_object_get(json_array_get(sel, 1), "ent_id")), "E3");
    json_decref(got);
    /* hazardous waste: H2's HW49 only F1 takes, so H1 fills F1's other 50 t
     * (1 km) and sends 30 t to F2 (9 km); H3's HW17 nobody takes. 130 t
     * served, 50 x 1 + 30 x 9 + 50 x 2 = 420 tonne-km */
    got = optimize(towndb, "hw-allocation", 0, NULL);
    assert_true(fabs(num(got, "served_t") - 130) < 1e-6);
    assert_true(fabs(num(got, "tonne_km") - 420) < 0.01);
    json_t *flows = json_object_get(got, "flows");
    assert_int_equal(json_array_size(flows), 3);
    static const char *const want[][3] = {{"H1", "F1", "50"}, {"H1", "F2", "30"}, {"H2", "F1", "50"}};
    for (size_t i = 0; i < 3; i++) {
        json_t *f = json_array_get(flows, i);
        assert_string_equal(json_string_value(json_object_get(f, "ent_id")), want[i][0]);
        assert_string_equal(json_string_value(json_object_get(f, "facility_id")), want[i][1]);
        assert_true(fabs(json_number_value(json_object_get(f, "tonnes")) - atof(want[i][2])) < 1e-6);
    }
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(got, "unserved"), 0), "ent_id")), "H3");
    json_decref(got);
}

static void bad_input_is_refused_with_what_is_allowed(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"recycling-siting --p 0", "p 0 is out of range"},
        {"recycling-siting --p 5000", "more than the 1469 candidates"},
        {"recycling-siting --radius-m 1e300", "radius_m 1e300 is out of range"},
        {"recycling-siting --radius-m -5", "out of range"},
        {"recycling-siting --existing maybe", "keep|none"},
        {"sorting-siting", "needs p"},
        {"sorting-siting --p 14", "more than the 13 candidates"},
        {"heat-extension --budget-km -1", "budget_km -1 is out of range"},
        {"hw-allocation --max-km 0", "out of range"},
        {"hw-allocation --speed 3", "takes no parameter \"speed\""}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *out;
        optimize(refdb, cases[i][0], 1, &out);
        if (!strstr(out, cases[i][1]))
            fail_msg("gisd optimize %s: \"%s\" does not say \"%s\"", cases[i][0], out, cases[i][1]);
        free(out);
    }
    /* candidates files: not Points, no id, an id twice */
    static const char *const files[][2] = {
        {"{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"id\":\"X\",\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[120.6,27.9],[120.7,27.9]]}}]}", "is not a Point"},
        {"{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.6,27.9]}}]}", "has no id"},
        {"{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"id\":\"X\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.6,27.9]}},{\"type\":\"Feature\",\"id\":\"X\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.7,27.9]}}]}", "appears twice"}};
    for (size_t i = 0; i < 3; i++) {
        FILE *f = fopen("build/tmp/cand.geojson", "w");
        assert_non_null(f);
        fputs(files[i][0], f);
        fclose(f);
        char *out;
        optimize(refdb, "sorting-siting --p 1 --candidates build/tmp/cand.geojson", 1, &out);
        if (!strstr(out, files[i][1]))
            fail_msg("candidates %zu: \"%s\" does not say \"%s\"", i, out, files[i][1]);
        free(out);
    }
    /* a p-median of 3,400 candidates (5 million community-candidate pairs, a
     * size the full assignment model cannot take) is solved with a proven
     * bound, and its layout achieves what it claims */
    assert_int_equal(tu_run(NULL, "python3 -c \"import json; print(json.dumps({'type': 'FeatureCollection', "
                                  "'features': [{'type': 'Feature', 'id': 'K%%d' %% i, 'geometry': {'type': 'Point', "
                                  "'coordinates': [120.5 + (i %% 68) * 0.005, 27.8 + (i // 68) * 0.004]}} for i in range(3400)]}))\" "
                                  "> build/tmp/many-cand.geojson"), 0);
    json_t *big = optimize(refdb, "sorting-siting --p 3 --candidates build/tmp/many-cand.geojson", 0, NULL);
    assert_int_equal(json_array_size(json_object_get(big, "selected")), 3);
    assert_true(num(big, "bound") <= num(big, "household_km") + 1e-6);
    assert_true(num(big, "gap") < 1e-3);
    json_decref(big);
    check_layout("sorting-siting", "--candidates build/tmp/many-cand.geojson");
    /* the progress line: incumbent, bound and gap on stderr, JSON alone on stdout */
    char *prog;
    assert_int_equal(tu_run(&prog, "'%s' optimize sorting-siting --p 5 --progress always --db '%s' 2>&1 >/dev/null",
                            tu_gisd(), refdb), 0);
    if (!strstr(prog, "sorting-siting: ") || !strstr(prog, "incumbent ") || !strstr(prog, "gap 0.0000%"))
        fail_msg("no progress line with the closed gap: %s", prog);
    free(prog);
    assert_int_equal(tu_run(&prog, "'%s' optimize recycling-siting --p 10 --progress always --db '%s' 2>/dev/null",
                            tu_gisd(), refdb), 0);
    json_decref(tu_json_text(prog)); /* CBC's own log stays off stdout */
    free(prog);
    /* a time limit answers with the best layout so far, never an error */
    json_t *got = optimize(refdb, "recycling-siting --radius-m 1000 --p 10 --time-limit-s 0.1", 0, NULL);
    assert_non_null(json_object_get(got, "optimal"));
    assert_int_equal(json_array_size(json_object_get(got, "selected")), 10);
    json_decref(got);
}

/* format geojson: the map of each answer, with the answer itself inside */
static void each_answer_has_its_map(void **state)
{
    (void)state;
    static const char *const runs[][3] = {
        {"recycling-siting --p 10 --format geojson", "selected", "Point"},
        {"sorting-siting --p 5 --format geojson", "community", "Point"},
        {"hw-allocation --format geojson", "flow", "LineString"},
        {"heat-extension --budget-km 20 --format geojson", "spur", "LineString"}};
    for (size_t i = 0; i < 4; i++) {
        json_t *fc = optimize(refdb, runs[i][0], 0, NULL);
        assert_string_equal(json_string_value(json_object_get(fc, "type")), "FeatureCollection");
        assert_non_null(json_object_get(json_object_get(fc, "answer"), "optimal"));
        size_t k, found = 0;
        json_t *f;
        json_array_foreach(json_object_get(fc, "features"), k, f) {
            json_t *g = json_object_get(f, "geometry");
            if (strcmp(json_string_value(json_object_get(json_object_get(f, "properties"), "kind")), runs[i][1]) == 0 &&
                strcmp(json_string_value(json_object_get(g, "type")), runs[i][2]) == 0) {
                /* drawn in lon/lat, in the city */
                json_t *c = json_object_get(g, "coordinates");
                double lon = json_number_value(json_array_get(json_is_array(json_array_get(c, 0)) ? json_array_get(c, 0) : c, 0));
                assert_true(lon > 119 && lon < 122);
                found++;
            }
        }
        if (found == 0)
            fail_msg("%s: no %s %s in the map", runs[i][0], runs[i][1], runs[i][2]);
        json_decref(fc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recycling_siting_matches_the_reference),
        cmocka_unit_test(sorting_siting_matches_the_reference),
        cmocka_unit_test(hw_allocation_matches_the_reference),
        cmocka_unit_test(heat_extension_matches_the_reference),
        cmocka_unit_test(a_town_whose_optimum_is_known_by_hand),
        cmocka_unit_test(bad_input_is_refused_with_what_is_allowed),
        cmocka_unit_test(each_answer_has_its_map),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
