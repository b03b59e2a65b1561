/* Distances along the road network (docs/NETWORK.md): every reference
 * answer of data/reference/expected (*_network*, route_*, service-area_*)
 * reproduced within NETWORK.md's tolerances, each network layout
 * recomputed from the reference's own distances (network_verify.py), a
 * hand-made town whose distances are known by hand, the check, the server's
 * doors and bad input. Runs on both stores. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char refdb[1200], towndb[1200], bare[1200];
static tu_server srv;

#define X0 500000
#define Y0 3100000

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A road of the town from (x0 y0) to (x1 y1), metres from the origin. */
static void road(FILE *f, int first, const char *id, const char *cls, int oneway, int hazmat, int walk, double x0,
                 double y0, double x1, double y1)
{
    fprintf(f,
            "%s{\"type\":\"Feature\",\"properties\":{\"road_id\":\"%s\",\"name\":\"\",\"class\":\"%s\",\"oneway\":%d,"
            "\"hazmat\":%d,\"walk\":%d},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[%.3f,%.3f],[%.3f,%.3f]]}}",
            first ? "" : ",", id, cls, oneway, hazmat, walk, X0 + x0, Y0 + y0, X0 + x1, Y0 + y1);
}

/* The town (EPSG:4549 metres from X0 Y0): A(0 0) - B(1000 0) two ways (R1);
 * a one-way loop B -> C(1000 1000) (R2) -> D(0 500) (R3) -> A (R4); a
 * diagonal A - C that dangerous goods may not take (R6); R5 crossing R1 on
 * a bridge at (500 0), joined to nothing; and an island 4 km east (R7)
 * with its own community K3 and points Q3, P3. */
static void build_town(const char *dir)
{
    char path[1400];
    snprintf(path, sizeof path, "%s/roads.geojson", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
          "\"urn:ogc:def:crs:EPSG::4549\"}},\"features\":[", f);
    road(f, 1, "R1", "local", 0, 1, 1, 0, 0, 1000, 0);
    road(f, 0, "R2", "arterial", 1, 1, 1, 1000, 0, 1000, 1000);
    road(f, 0, "R3", "arterial", 1, 1, 1, 1000, 1000, 0, 500);
    road(f, 0, "R4", "arterial", 1, 1, 1, 0, 500, 0, 0);
    road(f, 0, "R5", "collector", 0, 1, 1, 500, -500, 500, 300);
    road(f, 0, "R6", "collector", 0, 0, 1, 0, 0, 1000, 1000);
    road(f, 0, "R7", "local", 0, 1, 1, 5000, 0, 6000, 0); /* an island no road joins */
    fputs("]}", f);
    fclose(f);
    char text[2048];
    snprintf(text, sizeof text,
             "ent_id,name,hw_tpy,hw_codes,X,Y\nE1,e1,100,HW08,%d,%d\nE2,far,10,HW08,%d,%d\n", X0, Y0 - 10, X0 + 3000,
             Y0 + 3000);
    snprintf(path, sizeof path, "%s/ents.csv", dir);
    write_file(path, text);
    snprintf(text, sizeof text, "facility_id,name,capacity_tpy,hw_codes,X,Y\nF1,f1,1000,HW08,%d,%d\n", X0 + 1010,
             Y0 + 1000);
    snprintf(path, sizeof path, "%s/facs.csv", dir);
    write_file(path, text);
    snprintf(text, sizeof text, "community_id,name,households,X,Y\nK1,k1,100,%d,%d\nK3,k3,50,%d,%d\n", X0 + 200, Y0 - 30,
             X0 + 5500, Y0 - 20);
    snprintf(path, sizeof path, "%s/comms.csv", dir);
    write_file(path, text);
    snprintf(text, sizeof text,
             "point_id,name,level,X,Y\nP1,p1,community,%d,%d\nP2,p2,community,%d,%d\nQ1,q1,transit,%d,%d\n"
             "Q2,q2,transit,%d,%d\nQ3,q3,transit,%d,%d\nP3,p3,community,%d,%d\n",
             X0 + 700, Y0 + 20, X0 + 510, Y0 - 400, X0 + 1010, Y0 + 200, X0 + 1010, Y0 + 800, X0 + 5700, Y0 + 10,
             X0 + 5600, Y0 + 20);
    snprintf(path, sizeof path, "%s/points.csv", dir);
    write_file(path, text);
    char *out;
    int rc = tu_run(&out,
                    "cd '%s' && '%s' import --quiet --db '%s' roads.geojson --layer roads --analysis-crs EPSG:4549 && "
                    "'%s' import --quiet --db '%s' ents.csv --layer enterprises --srs EPSG:4549 --x X --y Y && "
                    "'%s' import --quiet --db '%s' facs.csv --layer hw_facilities --srs EPSG:4549 --x X --y Y && "
                    "'%s' import --quiet --db '%s' comms.csv --layer communities --srs EPSG:4549 --x X --y Y && "
                    "'%s' import --quiet --db '%s' points.csv --layer recycling_points --srs EPSG:4549 --x X --y Y",
                    dir, tu_gisd(), towndb, tu_gisd(), towndb, tu_gisd(), towndb, tu_gisd(), towndb, tu_gisd(), towndb);
    if (rc != 0)
        fail_msg("the town: %s", out);
    free(out);
}

static int setup(void **state)
{
    (void)state;
    tu_json_metres = 0.5; /* NETWORK.md's tolerance for distances */
    const char *dir = tu_tmpdir("network");
    tu_db(refdb, sizeof refdb, dir, "ref");
    char *out;
    int rc = tu_run(&out, "'%s' import --quiet --db '%s' --manifest '%s'", tu_gisd(), refdb,
                    tu_data("reference/manifest-network.json"));
    if (rc != 0)
        fail_msg("importing the city with its roads: %s", out);
    free(out);
    tu_db(towndb, sizeof towndb, dir, "town");
    build_town(dir);
    tu_db(bare, sizeof bare, dir, "bare");
    tu_import_reference(bare); /* the city without its roads */
    tu_server_start(&srv, refdb);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    return 0;
}

/* gisd analyze|optimize ARGS on db: its answer (exit 0 asserted). */
static json_t *run(const char *verb, const char *db, const char *args)
{
    char *out;
    int rc = tu_run(&out, "'%s' %s %s --db '%s' 2>build/tmp/network.err", tu_gisd(), verb, args, db);
    if (rc != 0) {
        char *err;
        tu_run(&err, "cat build/tmp/network.err");
        fail_msg("gisd %s %s exited %d: %s", verb, args, rc, err);
    }
    json_t *j = tu_json_text(out);
    free(out);
    return j;
}

static void expect(const char *verb, const char *args, const char *expected)
{
    char path[600], why[1024];
    snprintf(path, sizeof path, "reference/expected/%s", expected);
    json_t *want = tu_json_file(tu_data(path));
    json_t *got = run(verb, refdb, args);
    if (tu_json_match(got, want, "$", why, sizeof why))
        fail_msg("gisd %s %s vs %s: %s", verb, args, expected, why);
    json_decref(got);
    json_decref(want);
}

static void analyses_match_the_reference(void **state)
{
    (void)state;
    expect("analyze", "recycling-coverage --distance network", "recycling-coverage_network_r1000.json");
    expect("analyze", "recycling-coverage --distance network --radius-m 500 --level any",
           "recycling-coverage_network_r500_any.json");
    expect("analyze", "hw-proximity --distance network", "hw-proximity_network.json");
    expect("analyze", "hw-proximity --distance network --capable", "hw-proximity_network_capable.json");
    expect("analyze", "symbiosis --distance network", "symbiosis_network_10km.json");
    /* euclidean stays the default, its answers exactly as before */
    expect("analyze", "hw-proximity", "hw-proximity.json");
    expect("analyze", "recycling-coverage --distance euclidean", "recycling-coverage_r1000.json");
}

/* A line's length in metres on the sphere's local plane: enough to compare
 * two drawings of one route (the same vertices within centimetres). */
static double line_length(json_t *coords)
{
    double len = 0;
    for (size_t i = 1; i < json_array_size(coords); i++) {
        json_t *a = json_array_get(coords, i - 1), *b = json_array_get(coords, i);
        double lon0 = json_number_value(json_array_get(a, 0)), lat0 = json_number_value(json_array_get(a, 1));
        double lon1 = json_number_value(json_array_get(b, 0)), lat1 = json_number_value(json_array_get(b, 1));
        double k = cos((lat0 + lat1) / 2 * M_PI / 180);
        len += hypot((lon1 - lon0) * k, lat1 - lat0) * 111320;
    }
    return len;
}

static double geometry_length(json_t *g)
{
    json_t *c = json_object_get(g, "coordinates");
    if (strcmp(json_string_value(json_object_get(g, "type")), "LineString") == 0)
        return line_length(c);
    double len = 0;
    for (size_t i = 0; i < json_array_size(c); i++)
        len += line_length(json_array_get(c, i));
    return len;
}

/* got against want: the geometry in type and length (0.1%), the rest as
 * tu_json_match. */
static void match_drawn(json_t *got, json_t *want, const char *what)
{
    char why[1024];
    json_t *gg = json_incref(json_object_get(got, "geometry")), *wg = json_incref(json_object_get(want, "geometry"));
    assert_non_null(gg);
    json_object_del(got, "geometry");
    json_object_del(want, "geometry");
    if (tu_json_match(got, want, "$", why, sizeof why))
        fail_msg("%s: %s", what, why);
    assert_string_equal(json_string_value(json_object_get(gg, "type")), json_string_value(json_object_get(wg, "type")));
    double a = geometry_length(gg), b = geometry_length(wg);
    if (fabs(a - b) > 0.001 * b + 0.5)
        fail_msg("%s: the geometry is %.1f m long, want %.1f m", what, a, b);
    json_decref(gg);
    json_decref(wg);
}

static void routes_match_the_reference(void **state)
{
    (void)state;
    json_t *index = tu_json_file(tu_data("reference/expected/routes.json"));
    size_t i;
    json_t *r;
    int reachable = 0, unreachable = 0;
    json_array_foreach(index, i, r) {
        const char *from = json_string_value(json_object_get(r, "from")), *to = json_string_value(json_object_get(r, "to"));
        const char *mode = json_string_value(json_object_get(r, "mode"));
        char args[800], path[600];
        snprintf(args, sizeof args, "route --from '%s' --to '%s' --mode %s --snap-max-m %g --exposure-m %g", from, to,
                 mode, json_number_value(json_object_get(r, "snap_max_m")),
                 json_number_value(json_object_get(r, "exposure_m")));
        snprintf(path, sizeof path, "reference/expected/%s", json_string_value(json_object_get(r, "expected")));
        json_t *want = tu_json_file(tu_data(path));
        if (json_is_true(json_object_get(r, "unreachable"))) {
            /* a 404 naming the end that is off the network */
            char *out;
            int rc = tu_run(&out, "'%s' analyze %s --db '%s' 2>&1", tu_gisd(), args, refdb);
            assert_int_equal(rc, 1);
            char end[64];
            snprintf(end, sizeof end, "the %s end", json_string_value(json_object_get(want, "end")));
            if (!strstr(out, end) || !strstr(out, "off the network"))
                fail_msg("route %s -> %s: %s (want %s)", from, to, out, end);
            free(out);
            char q[800], *body;
            snprintf(q, sizeof q, "/analysis/route?from=%s&to=%s&mode=%s", from, to, mode);
            assert_int_equal(tu_http(&srv, "GET", q, NULL, &body, NULL), 404);
            assert_non_null(strstr(body, end));
            free(body);
            unreachable++;
        } else {
            json_t *got = run("analyze", refdb, args);
            match_drawn(got, want, args);
            json_decref(got);
            reachable++;
        }
        json_decref(want);
    }
    assert_true(reachable >= 10 && unreachable >= 1);
    json_decref(index);
}

static void service_areas_match_the_reference(void **state)
{
    (void)state;
    json_t *index = tu_json_file(tu_data("reference/expected/service-areas.json"));
    size_t i;
    json_t *r;
    json_array_foreach(index, i, r) {
        char args[600], path[600];
        snprintf(args, sizeof args, "service-area --from '%s' --mode %s --max-m %g --snap-max-m %g",
                 json_string_value(json_object_get(r, "from")), json_string_value(json_object_get(r, "mode")),
                 json_number_value(json_object_get(r, "max_m")), json_number_value(json_object_get(r, "snap_max_m")));
        snprintf(path, sizeof path, "reference/expected/%s", json_string_value(json_object_get(r, "expected")));
        json_t *want = tu_json_file(tu_data(path)), *got = run("analyze", refdb, args);
        match_drawn(got, want, args);
        json_decref(got);
        json_decref(want);
    }
    assert_int_equal(json_array_size(index), 5);
    json_decref(index);
}

/* The layout's objective, recomputed by network_verify.py from the
 * reference's distances, is the answer's and the reference optimum's. */
static void optimise(const char *name, const char *args, const char *verify, const char *expected)
{
    char *out;
    int rc = tu_run(&out, "'%s' optimize %s %s --distance network --db '%s' > build/tmp/network-opt.json && "
                          "python3 '%s/tests/network_verify.py' %s build/tmp/network-opt.json '%s' '%s'",
                    tu_gisd(), name, args, refdb, tu_root(), name, tu_data(verify), tu_data(expected));
    if (rc != 0 || strcmp(out, "ok\n") != 0)
        fail_msg("optimize %s %s: %s", name, args, out);
    free(out);
    json_t *got = tu_json_file("build/tmp/network-opt.json");
    assert_true(json_is_true(json_object_get(got, "optimal")));
    json_decref(got);
}

static void optimisations_match_the_reference(void **state)
{
    (void)state;
    optimise("recycling-siting", "--radius-m 1000", "reference/expected/verify-recycling-siting_network_lscp_r1000.json",
             "reference/expected/optimize-recycling-siting_network_lscp_r1000.json");
    optimise("recycling-siting", "--radius-m 1000 --p 10",
             "reference/expected/verify-recycling-siting_network_mclp_r1000_p10.json",
             "reference/expected/optimize-recycling-siting_network_mclp_r1000_p10.json");
    optimise("sorting-siting", "--p 5 --unreachable ignore", "reference/expected/verify-sorting-siting_network_p5.json",
             "reference/expected/optimize-sorting-siting_network_p5.json");
    optimise("hw-allocation", "--max-km 50", "reference/expected/verify-hw-allocation_network_50km.json",
             "reference/expected/optimize-hw-allocation_network_50km.json");
    /* without unreachable=ignore the communities that reach no candidate are a 400 naming them */
    char *out;
    assert_int_equal(tu_run(&out, "'%s' optimize sorting-siting --p 5 --distance network --db '%s' 2>&1", tu_gisd(),
                            refdb), 1);
    assert_non_null(strstr(out, "C00226"));
    assert_non_null(strstr(out, "unreachable=ignore"));
    free(out);
}

static double route_m(const char *args, json_t **road_ids)
{
    json_t *j = run("analyze", towndb, args);
    double d = json_number_value(json_object_get(j, "distance_m"));
    if (road_ids)
        *road_ids = json_incref(json_object_get(j, "road_ids"));
    json_decref(j);
    return d;
}

static void ids_are(json_t *ids, const char *want)
{
    char *got = json_dumps(ids, JSON_COMPACT);
    if (strcmp(got, want) != 0)
        fail_msg("road_ids %s, want %s", got, want);
    free(got);
    json_decref(ids);
}

static void a_town_known_by_hand(void **state)
{
    (void)state;
    json_t *ids;
    /* E1 sits 10 m below junction A, F1 10 m beside C. Dangerous goods may
     * not take the diagonal, and the loop B -> C -> D -> A runs one way */
    assert_true(fabs(route_m("route --from enterprises:E1 --to hw_facilities:F1", &ids) - 2020) < 1e-3);
    ids_are(ids, "[\"R1\",\"R2\"]");
    assert_true(fabs(route_m("route --from enterprises:E1 --to hw_facilities:F1 --mode drive", &ids) -
                     (20 + 1000 * sqrt(2))) < 1e-3);
    ids_are(ids, "[\"R6\"]");
    /* back the other way round the loop: C -> D -> A */
    assert_true(fabs(route_m("route --from hw_facilities:F1 --to enterprises:E1", &ids) - (20 + sqrt(1250000) + 500)) <
                1e-3);
    ids_are(ids, "[\"R3\",\"R4\"]");
    /* two spots on one edge: K1 (200 along R1, 30 off) to P1 (700 along, 20 off) */
    assert_true(fabs(route_m("route --from communities:K1 --to recycling_points:P1 --mode walk", &ids) - 550) < 1e-3);
    ids_are(ids, "[\"R1\"]");
    /* two spots on a one-way edge: forwards along it, or all the way round */
    assert_true(fabs(route_m("route --from recycling_points:Q1 --to recycling_points:Q2 --mode drive", NULL) - 620) < 1e-3);
    assert_true(fabs(route_m("route --from recycling_points:Q2 --to recycling_points:Q1 --mode drive", NULL) -
                     (20 + 200 + 1000 * sqrt(2) + 1000 + 200)) < 1e-3);
    char *out;
    /* the bridge: R5 crosses R1 without a junction, so P2 on it reaches nothing */
    assert_int_equal(tu_run(&out, "'%s' analyze route --from recycling_points:P2 --to recycling_points:P1 --mode walk "
                                  "--db '%s' 2>&1", tu_gisd(), towndb), 1);
    if (!strstr(out, "the to end"))
        fail_msg("a route off the bridge: %s", out);
    free(out);
    /* beyond snap_max_m: E2 lies kilometres from every road */
    assert_int_equal(tu_run(&out, "'%s' analyze route --from enterprises:E2 --to hw_facilities:F1 --db '%s' 2>&1",
                            tu_gisd(), towndb), 1);
    if (!strstr(out, "the from end") || !strstr(out, "off the network"))
        fail_msg("a route from beyond snap_max_m: %s", out);
    free(out);
    /* what P1 reaches walking 300 m: 280 m of budget each way along R1 */
    json_t *sa = run("analyze", towndb, "service-area --from recycling_points:P1 --max-m 300");
    assert_true(fabs(json_number_value(json_object_get(sa, "reached_km")) - 0.56) < 1e-6);
    assert_int_equal(json_integer_value(json_object_get(sa, "communities")), 0);
    json_decref(sa);
    /* driving 1,000 m from Q1: forwards up R2 (800 m) and 190 m on from C on R3 and on R6, never back down R2 */
    sa = run("analyze", towndb, "service-area --from recycling_points:Q1 --max-m 1000 --mode drive");
    assert_true(fabs(json_number_value(json_object_get(sa, "reached_km")) - 1.18) < 1e-6);
    json_decref(sa);
    /* coverage: K1 is 502.5 m from P1 in a straight line, 550 m walking */
    json_t *c = run("analyze", towndb, "recycling-coverage --radius-m 540");
    assert_int_equal(json_array_size(json_object_get(c, "uncovered")), 0);
    json_decref(c);
    c = run("analyze", towndb, "recycling-coverage --radius-m 540 --distance network");
    assert_int_equal(json_array_size(json_object_get(c, "uncovered")), 1);
    json_decref(c);
    /* sorting centres on two islands no road joins: each needs its own (the
     * p-median by parts); K1 drives 800 m to B, 200 m up R2 to Q1, K3 200 m to Q3 */
    json_t *ps = run("optimize", towndb, "sorting-siting --p 2 --distance network");
    char *sel = json_dumps(json_object_get(ps, "selected"), JSON_COMPACT);
    assert_string_equal(sel, "[\"Q1\",\"Q3\"]");
    free(sel);
    assert_true(fabs(json_number_value(json_object_get(ps, "household_km")) - (100 * 1040 + 50 * 230) / 1000.0) < 1e-3);
    assert_true(json_is_true(json_object_get(ps, "optimal")));
    json_decref(ps);
    char *msg;
    assert_int_equal(tu_run(&msg, "'%s' optimize sorting-siting --p 1 --distance network --db '%s' 2>&1", tu_gisd(), towndb),
                     1);
    if (!strstr(msg, "2 parts"))
        fail_msg("one centre for two islands: %s", msg);
    free(msg);
    /* hw-proximity along the hazmat roads: E1 2,020 m, E2 off the network reaches nothing */
    json_t *hw = run("analyze", towndb, "hw-proximity --distance network");
    json_t *rows = json_object_get(hw, "enterprises");
    assert_true(fabs(json_number_value(json_object_get(json_array_get(rows, 0), "distance_m")) - 2020) < 1e-3);
    assert_true(json_is_null(json_object_get(json_array_get(rows, 1), "facility_id")));
    assert_int_equal(json_integer_value(json_object_get(hw, "no_facility")), 1);
    json_decref(hw);
}

static void the_check_counts_what_to_fix(void **state)
{
    (void)state;
    json_t *want = tu_json_file(tu_data("reference/expected/network-stats.json"));
    json_t *got = run("network", refdb, "check");
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(want, "modes"), k, v) {
        char why[512], path[64];
        snprintf(path, sizeof path, "$.modes.%s", k);
        if (tu_json_match(json_object_get(json_object_get(got, "modes"), k), v, path, why, sizeof why))
            fail_msg("gisd network check: %s", why);
    }
    for (const char *f = "roads\0edges\0junctions\0"; *f; f += strlen(f) + 1)
        assert_int_equal(json_integer_value(json_object_get(got, f)), json_integer_value(json_object_get(want, f)));
    assert_int_equal(json_integer_value(json_object_get(got, "unjoined_endpoints")), 0);
    json_decref(got);
    /* the same over HTTP */
    char *body;
    assert_int_equal(tu_http(&srv, "GET", "/collections/roads/network", NULL, &body, NULL), 200);
    got = tu_json_text(body);
    assert_int_equal(json_integer_value(json_object_get(got, "edges")), json_integer_value(json_object_get(want, "edges")));
    json_decref(got);
    free(body);
    json_decref(want);
    /* the town's bridge and its island are components of their own, and their lines end in dangles */
    got = run("network", towndb, "check");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(got, "modes"), "walk"),
                                                        "components")), 3);
    assert_int_equal(json_integer_value(json_object_get(got, "dangles")), 4);
    json_decref(got);
}

static void every_door_takes_the_network(void **state)
{
    (void)state;
    char *body;
    /* HTTP, the same answer as the command line */
    assert_int_equal(tu_http(&srv, "GET", "/analysis/hw-proximity?distance=network", NULL, &body, NULL), 200);
    json_t *got = tu_json_text(body), *want = tu_json_file(tu_data("reference/expected/hw-proximity_network.json"));
    char why[512];
    if (tu_json_match(got, want, "$", why, sizeof why))
        fail_msg("GET /analysis/hw-proximity?distance=network: %s", why);
    json_decref(got);
    json_decref(want);
    free(body);
    /* a process, synchronously */
    write_file("build/tmp/network-exec.json",
               "{\"inputs\":{\"from\":\"recycling_points:R00012\",\"max_m\":500,\"mode\":\"walk\"}}");
    int status = tu_http(&srv, "POST", "/processes/service-area/execution", "build/tmp/network-exec.json", &body, NULL);
    if (status != 200)
        fail_msg("POST /processes/service-area/execution: %d %s", status, body);
    got = tu_json_text(body);
    assert_int_equal(json_integer_value(json_object_get(got, "communities")), 1);
    json_decref(got);
    free(body);
    /* the flows of f=geojson follow their routes: longer than the straight links */
    assert_int_equal(tu_http(&srv, "GET", "/analysis/hw-proximity?distance=network&f=geojson", NULL, &body, NULL),
                     200);
    got = tu_json_text(body);
    json_t *f0 = json_array_get(json_object_get(got, "features"), 0);
    assert_true(json_array_size(json_object_get(json_object_get(f0, "geometry"), "coordinates")) > 2);
    json_decref(got);
    free(body);
    /* the process description lists distance and snap_max_m */
    assert_int_equal(tu_http(&srv, "GET", "/processes/recycling-coverage", NULL, &body, NULL), 200);
    assert_non_null(strstr(body, "snap_max_m"));
    free(body);
}

/* The viewer's doors (tests/network_view.mjs in headless Chromium): a
 * recycling point clicked shows its walking catchment, an enterprise and a
 * facility clicked the route between them, the reference's distance. */
static void the_viewer_draws_routes_and_catchments(void **state)
{
    (void)state;
    json_t *want = tu_json_file(tu_data("reference/expected/route_hazmat_E01940_HWF01.json"));
    char *out;
    int rc = tu_run(&out, "cd '%s' && timeout 180 node tests/network_view.mjs '%s' build/network %.3f 2>&1", tu_root(),
                    srv.base, json_number_value(json_object_get(want, "distance_m")));
    if (rc != 0 || !strstr(out, "ok:"))
        fail_msg("the viewer: %s", out);
    free(out);
    json_decref(want);
    assert_int_equal(tu_run(&out, "test -s build/network-route.png && test -s build/network-catchment.png"), 0);
    free(out);
}

/* The server keeps the network between requests and builds it again when
 * the roads change: the town's diagonal opened to dangerous goods by a new
 * import of the roads shortens E1's route at once. */
static void the_network_follows_the_roads(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("network-follow");
    char db[1200], *out, *body;
    tu_db(db, sizeof db, dir, "town");
    /* the town again, served */
    char *town;
    assert_int_equal(tu_run(&town, "'%s' export --db '%s' --layer roads --format GeoJSON '%s/roads.geojson' && "
                                   "'%s' export --db '%s' --layer enterprises --format GeoJSON '%s/ents.geojson' && "
                                   "'%s' export --db '%s' --layer hw_facilities --format GeoJSON '%s/facs.geojson' && "
                                   "'%s' import --quiet --db '%s' '%s/roads.geojson' --layer roads --analysis-crs EPSG:4549 && "
                                   "'%s' import --quiet --db '%s' '%s/ents.geojson' --layer enterprises && "
                                   "'%s' import --quiet --db '%s' '%s/facs.geojson' --layer hw_facilities",
                            tu_gisd(), towndb, dir, tu_gisd(), towndb, dir, tu_gisd(), towndb, dir, tu_gisd(), db, dir,
                            tu_gisd(), db, dir, tu_gisd(), db, dir),
                     0);
    free(town);
    tu_server t;
    tu_server_start(&t, db);
    const char *q = "/analysis/route?from=enterprises:E1&to=hw_facilities:F1";
    assert_int_equal(tu_http(&t, "GET", q, NULL, &body, NULL), 200);
    json_t *j = tu_json_text(body);
    assert_true(fabs(json_number_value(json_object_get(j, "distance_m")) - 2020) < 1e-3);
    json_decref(j);
    free(body);
    /* R6 open to dangerous goods now */
    assert_int_equal(tu_run(&out, "sed -i '/\"R6\"/s/\"hazmat\": 0/\"hazmat\": 1/' '%s/roads.geojson' && "
                                  "grep -q '\"R6\".*\"hazmat\": 1' '%s/roads.geojson' && "
                                  "'%s' import --quiet --db '%s' '%s/roads.geojson' --layer roads 2>&1",
                            dir, dir, tu_gisd(), db, dir),
                     0);
    free(out);
    assert_int_equal(tu_http(&t, "GET", q, NULL, &body, NULL), 200);
    j = tu_json_text(body);
    if (!(fabs(json_number_value(json_object_get(j, "distance_m")) - (20 + 1000 * sqrt(2))) < 1e-3))
        fail_msg("after the roads changed: %s", body);
    json_decref(j);
    free(body);
    tu_server_stop(&t);
}

static void bad_input_is_refused(void **state)
{
    (void)state;
    char *out, *body;
    /* no roads: a 400 naming the layer and how to import it */
    assert_int_equal(tu_run(&out, "'%s' analyze recycling-coverage --distance network --db '%s' 2>&1", tu_gisd(), bare), 1);
    assert_non_null(strstr(out, "roads"));
    assert_non_null(strstr(out, "import"));
    free(out);
    /* snap_max_m outside 1-5,000 */
    assert_int_equal(tu_http(&srv, "GET", "/analysis/hw-proximity?distance=network&snap_max_m=6000", NULL, &body, NULL), 400);
    assert_non_null(strstr(body, "5000"));
    free(body);
    assert_int_equal(tu_http(&srv, "GET", "/analysis/route?from=enterprises:E00017&to=hw_facilities:HWF04&snap_max_m=0.5",
                             NULL, &body, NULL), 400);
    free(body);
    /* an end that names no feature: 404 naming it */
    assert_int_equal(tu_http(&srv, "GET", "/analysis/route?from=enterprises:NOPE&to=hw_facilities:HWF01", NULL, &body,
                             NULL), 404);
    assert_non_null(strstr(body, "NOPE"));
    free(body);
    assert_int_equal(tu_http(&srv, "GET", "/analysis/route?from=parks:WZ01&to=hw_facilities:HWF01", NULL, &body, NULL),
                     400);
    free(body);
    /* a roads file with a point, or a oneway of 2: refused at import naming the feature, nothing stored */
    const char *dir = tu_tmpdir("network-bad");
    char db[1200], path[1400];
    tu_db(db, sizeof db, dir, "bad");
    snprintf(path, sizeof path, "%s/point.geojson", dir);
    write_file(path, "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{\"road_id\":"
                     "\"X0\",\"class\":\"local\",\"oneway\":0,\"hazmat\":1,\"walk\":1},\"geometry\":{\"type\":"
                     "\"LineString\",\"coordinates\":[[120.6,28.0],[120.61,28.0]]}},{\"type\":\"Feature\",\"properties\":"
                     "{\"road_id\":\"X1\",\"class\":\"local\",\"oneway\":0,\"hazmat\":1,\"walk\":1},\"geometry\":"
                     "{\"type\":\"Point\",\"coordinates\":[120.6,28.0]}}]}");
    assert_int_equal(tu_run(&out, "'%s' import --quiet --db '%s' '%s' --layer roads 2>&1", tu_gisd(), db, path), 1);
    assert_non_null(strstr(out, "feature 2 is a POINT"));
    free(out);
    snprintf(path, sizeof path, "%s/oneway.geojson", dir);
    write_file(path, "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{\"road_id\":"
                     "\"X1\",\"class\":\"local\",\"oneway\":0,\"hazmat\":1,\"walk\":1},\"geometry\":{\"type\":\"LineString\","
                     "\"coordinates\":[[120.6,28.0],[120.61,28.0]]}},{\"type\":\"Feature\",\"properties\":{\"road_id\":"
                     "\"X2\",\"class\":\"local\",\"oneway\":2,\"hazmat\":1,\"walk\":1},\"geometry\":{\"type\":\"LineString\","
                     "\"coordinates\":[[120.61,28.0],[120.62,28.0]]}}]}");
    assert_int_equal(tu_run(&out, "'%s' import --quiet --db '%s' '%s' --layer roads 2>&1", tu_gisd(), db, path), 1);
    assert_non_null(strstr(out, "feature 2"));
    assert_non_null(strstr(out, "oneway"));
    free(out);
    assert_int_equal(tu_run(&out, "'%s' export --db '%s' --layer roads --format GeoJSON /dev/stdout 2>&1 | grep -c X1",
                            tu_gisd(), db), 1);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(analyses_match_the_reference),
        cmocka_unit_test(routes_match_the_reference),
        cmocka_unit_test(service_areas_match_the_reference),
        cmocka_unit_test(optimisations_match_the_reference),
        cmocka_unit_test(a_town_known_by_hand),
        cmocka_unit_test(the_check_counts_what_to_fix),
        cmocka_unit_test(every_door_takes_the_network),
        cmocka_unit_test(the_viewer_draws_routes_and_catchments),
        cmocka_unit_test(the_network_follows_the_roads),
        cmocka_unit_test(bad_input_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
