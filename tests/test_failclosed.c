/* Failing closed, in the style of PostGIS's cunit: WKT in, GEOS's answer out.
 * A predicate GEOS cannot evaluate (its exception value 2) or a NULL result
 * must become the analysis's error, carrying GEOS's own message, and stop
 * every later step; it is never read as true or false. */
#include <string.h>

#include "analysis_geom.h"
#include "testutil.h"

static GEOSGeometry *wkt(GEOSContextHandle_t h, const char *text)
{
    GEOSWKTReader *r = GEOSWKTReader_create_r(h);
    GEOSGeometry *g = GEOSWKTReader_read_r(h, r, text);
    GEOSWKTReader_destroy_r(h, r);
    return g;
}

static void a_predicate_geos_cannot_evaluate_is_an_error(void **state)
{
    (void)state;
    gisd_error err = {0};
    afail f = {&err, 0};
    /* 1 and 0 pass through */
    assert_int_equal(afail_pred(&f, 1, "testing a park"), 1);
    assert_int_equal(afail_pred(&f, 0, "testing a park"), 0);
    assert_false(f.failed);
    /* 2 is GEOS's exception value: neither true nor false */
    assert_int_equal(afail_pred(&f, 2, "testing whether a park covers the site"), 0);
    assert_true(f.failed);
    assert_int_equal(err.code, GISD_E_INTERNAL);
    assert_non_null(strstr(err.message, "GEOS failed testing whether a park covers the site"));
    /* the first failure stays, and nothing after it runs */
    assert_int_equal(afail_pred(&f, 1, "later"), 1);
    assert_null(strstr(err.message, "later"));
    assert_false(afail_live(&f));
}

static void an_intersection_geos_cannot_compute_is_an_error(void **state)
{
    (void)state;
    GEOSContextHandle_t h = geos_context_new();
    GEOSGeometry *zone = wkt(h, "POLYGON((0 0, 10 10, 10 0, 0 10, 0 0))"); /* a bow tie */
    GEOSGeometry *site = wkt(h, "POLYGON((0 0, 10 0, 10 10, 0 10, 0 0))");
    assert_non_null(zone);
    assert_non_null(site);
    gisd_error err = {0};
    afail f = {&err, 0};
    GEOSGeometry *i = GEOSIntersection_r(h, zone, site);
    assert_null(i);
    /* not an overlap of area 0: an error, with GEOS's words */
    assert_false(afail_ok(&f, i != NULL, "intersecting a zone with the site"));
    assert_true(f.failed);
    assert_non_null(strstr(err.message, "GEOS failed intersecting a zone with the site"));
    assert_non_null(strstr(err.message, "TopologyException"));
    GEOSGeom_destroy_r(h, zone);
    GEOSGeom_destroy_r(h, site);
    GEOS_finish_r(h);
}

static void a_null_result_is_an_error(void **state)
{
    (void)state;
    GEOSContextHandle_t h = geos_context_new();
    gisd_error err = {0};
    afail f = {&err, 0};
    /* a ring of two points: GEOS says why it cannot make it */
    GEOSGeometry *g = wkt(h, "LINEARRING(0 0, 1 1)");
    assert_false(afail_ok(&f, g != NULL, "reading a ring"));
    assert_true(f.failed);
    assert_non_null(strstr(err.message, "GEOS failed reading a ring"));
    assert_non_null(strstr(err.message, "LinearRing"));
    GEOS_finish_r(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_predicate_geos_cannot_evaluate_is_an_error),
        cmocka_unit_test(an_intersection_geos_cannot_compute_is_an_error),
        cmocka_unit_test(a_null_result_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
