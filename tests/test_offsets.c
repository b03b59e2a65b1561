/* The web maps' offsets (crs_china.c): GCJ-02 and BD-09 against published
 * point pairs, their inverses within 0.5 m, and refusal outside China. */
#include <math.h>
#include <string.h>

#include "crs.h"
#include "testutil.h"

/* metres between two lon/lat points, on a sphere: enough at 0.5 m */
static double metres(double lon1, double lat1, double lon2, double lat2)
{
    double k = M_PI / 180, dx = (lon2 - lon1) * k * cos((lat1 + lat2) / 2 * k), dy = (lat2 - lat1) * k;
    return 6371000.0 * hypot(dx, dy);
}

/* WGS 84 lon, lat and GCJ-02 lon, lat, as published with the formula's
 * reference implementations (eviltransform's tests: Shanghai, Shenzhen, Beijing) */
static const double GCJ_PAIRS[][4] = {
    {121.5272106, 31.1774276, 121.531541859215, 31.17530398364597},
    {113.912316, 22.543847, 113.9171764808363, 22.540796131694766},
    {116.377817, 39.911954, 116.38404722455657, 39.91334545536069},
    {116.404, 39.915, 116.41024449916938, 39.91640428150164}, /* coordtransform's test */
};

/* BD-09 lon, lat and the GCJ-02 lon, lat it offsets, published with
 * coordtransform's tests. (Pairs taken from Baidu's own service differ
 * from the published formula by up to 10 m, so they cannot test it.) */
static const double BD_PAIRS[][4] = {
    {116.41036949371029, 39.92133699351021, 116.404, 39.915},
};

static void gcj02_forward_matches_published_pairs(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof GCJ_PAIRS / sizeof *GCJ_PAIRS; i++) {
        double lon, lat;
        crs_wgs84_to_gcj02(GCJ_PAIRS[i][0], GCJ_PAIRS[i][1], &lon, &lat);
        assert_true(metres(lon, lat, GCJ_PAIRS[i][2], GCJ_PAIRS[i][3]) < 0.01);
    }
}

static void gcj02_inverse_is_within_half_a_metre(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof GCJ_PAIRS / sizeof *GCJ_PAIRS; i++) {
        double lon, lat;
        assert_int_equal(crs_gcj02_to_wgs84(GCJ_PAIRS[i][2], GCJ_PAIRS[i][3], &lon, &lat, NULL), 0);
        assert_true(metres(lon, lat, GCJ_PAIRS[i][0], GCJ_PAIRS[i][1]) < 0.5);
    }
}

static void bd09_inverse_matches_published_pairs(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof BD_PAIRS / sizeof *BD_PAIRS; i++) {
        double lon, lat;
        double glon, glat;
        assert_int_equal(crs_bd09_to_wgs84(BD_PAIRS[i][0], BD_PAIRS[i][1], &lon, &lat, NULL), 0);
        crs_wgs84_to_gcj02(lon, lat, &glon, &glat);
        assert_true(metres(glon, glat, BD_PAIRS[i][2], BD_PAIRS[i][3]) < 0.5);
    }
}

static void round_trips_over_wenzhou_stay_within_half_a_metre(void **state)
{
    (void)state;
    double worst = 0;
    for (double lon = 120.0; lon <= 121.2; lon += 0.05)
        for (double lat = 27.5; lat <= 28.4; lat += 0.05) {
            double g[2], b[2], w[2];
            crs_wgs84_to_gcj02(lon, lat, &g[0], &g[1]);
            assert_true(metres(lon, lat, g[0], g[1]) > 100); /* the offset is hundreds of metres */
            assert_int_equal(crs_gcj02_to_wgs84(g[0], g[1], &w[0], &w[1], NULL), 0);
            worst = fmax(worst, metres(lon, lat, w[0], w[1]));
            crs_wgs84_to_bd09(lon, lat, &b[0], &b[1]);
            assert_int_equal(crs_bd09_to_wgs84(b[0], b[1], &w[0], &w[1], NULL), 0);
            worst = fmax(worst, metres(lon, lat, w[0], w[1]));
        }
    assert_true(worst < 0.5);
}

static void outside_china_is_refused(void **state)
{
    (void)state;
    gisd_error err = {0};
    double lon, lat;
    assert_int_equal(crs_gcj02_to_wgs84(2.35, 48.85, &lon, &lat, &err), -1); /* Paris */
    assert_int_equal(err.code, GISD_E_INPUT);
    assert_non_null(strstr(err.message, "outside China"));
    assert_int_equal(crs_bd09_to_wgs84(-74.0, 40.7, &lon, &lat, &err), -1);
    assert_true(crs_in_china(120.6, 28.0));
    assert_false(crs_in_china(139.7, 35.7)); /* Tokyo lies past the box */
}

static void offset_names(void **state)
{
    (void)state;
    assert_int_equal(crs_offset_parse("GCJ02"), CRS_OFFSET_GCJ02);
    assert_int_equal(crs_offset_parse("gcj-02"), CRS_OFFSET_GCJ02);
    assert_int_equal(crs_offset_parse("BD09"), CRS_OFFSET_BD09);
    assert_int_equal(crs_offset_parse("bd-09"), CRS_OFFSET_BD09);
    assert_int_equal(crs_offset_parse("EPSG:4490"), CRS_OFFSET_NONE);
    assert_int_equal(crs_offset_parse(NULL), CRS_OFFSET_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gcj02_forward_matches_published_pairs),
        cmocka_unit_test(gcj02_inverse_is_within_half_a_metre),
        cmocka_unit_test(bd09_inverse_matches_published_pairs),
        cmocka_unit_test(round_trips_over_wenzhou_stay_within_half_a_metre),
        cmocka_unit_test(outside_china_is_refused),
        cmocka_unit_test(offset_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
