/* Parameter parsing and JSON writing: CRS names, counts, URL and JSON escaping. */
#include <stdlib.h>
#include <string.h>

#include "../gisd/crs.h"
#include "../gisd/features.h"
#include "../gisd/http.h"
#include "../gisd/strbuf.h"
#include "testutil.h"

static void crs_parse_accepts_what_users_write(void **state)
{
    (void)state;
    int lonlat = 0;
    assert_int_equal(crs_parse("EPSG:4549", &lonlat, NULL), 4549);
    assert_int_equal(lonlat, 0);
    assert_int_equal(crs_parse("4490", NULL, NULL), 4490);
    assert_int_equal(crs_parse("urn:ogc:def:crs:EPSG::4326", NULL, NULL), 4326);
    assert_int_equal(crs_parse("http://www.opengis.net/def/crs/EPSG/0/4513", NULL, NULL), 4513);
    assert_int_equal(crs_parse(CRS84_URI, &lonlat, NULL), 4326);
    assert_int_equal(lonlat, 1);
}

static void crs_parse_refuses_nonsense_with_a_reason(void **state)
{
    (void)state;
    gisd_error err = {0};
    assert_int_equal(crs_parse("EPSG:999999", NULL, &err), -1);
    assert_int_equal(err.code, GISD_E_INPUT);
    assert_non_null(strstr(err.message, "EPSG:999999"));
    assert_int_equal(crs_parse("EPSG:abc", NULL, NULL), -1);
    assert_int_equal(crs_parse("", NULL, NULL), -1);
}

static void gauss_kruger_zone_is_the_nearest_meridian(void **state)
{
    (void)state;
    assert_int_equal(crs_gk_zone_for_lon(120.6), 4549); /* Wenzhou: 120E */
    assert_int_equal(crs_gk_zone_for_lon(118.6), 4549);
    assert_int_equal(crs_gk_zone_for_lon(118.4), 4548); /* 117E */
    assert_int_equal(crs_gk_zone_for_lon(102.2), 4543); /* Jinchang: 102E */
    assert_int_equal(crs_gk_zone_for_lon(60.0), 4534);  /* clamped to the first zone */
}

static void axis_order_follows_the_authority(void **state)
{
    (void)state;
    assert_true(crs_northing_first(4326));
    assert_true(crs_northing_first(4490));
    assert_true(crs_northing_first(4549));
    assert_false(crs_northing_first(3857));
    assert_true(crs_is_projected_metres(4549));
    assert_false(crs_is_projected_metres(4490));
}

static void counts_are_whole_non_negative_numbers(void **state)
{
    (void)state;
    assert_int_equal(http_parse_count("0"), 0);
    assert_int_equal(http_parse_count("10000"), 10000);
    assert_int_equal(http_parse_count("-1"), -1);
    assert_int_equal(http_parse_count("1.5"), -1);
    assert_int_equal(http_parse_count(""), -1);
    assert_int_equal(http_parse_count("99999999999999999999"), -1);
}

static void url_encoding_keeps_chinese_intact(void **state)
{
    (void)state;
    char buf[128];
    http_url_encode("印染 a&b", buf, sizeof buf);
    assert_string_equal(buf, "%E5%8D%B0%E6%9F%93%20a%26b");
    http_url_encode("120.5,27.9", buf, sizeof buf);
    assert_string_equal(buf, "120.5,27.9");
}

static void json_strings_are_escaped(void **state)
{
    (void)state;
    strbuf b = {0};
    strbuf_json_string(&b, "温州 \"A\"\\\n\x01");
    assert_string_equal(b.data, "\"温州 \\\"A\\\"\\\\\\n\\u0001\"");
    strbuf_free(&b);
    strbuf_printf(&b, "%d-%s", 42, "x");
    assert_string_equal(b.data, "42-x");
    strbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crs_parse_accepts_what_users_write),
        cmocka_unit_test(crs_parse_refuses_nonsense_with_a_reason),
        cmocka_unit_test(gauss_kruger_zone_is_the_nearest_meridian),
        cmocka_unit_test(axis_order_follows_the_authority),
        cmocka_unit_test(counts_are_whole_non_negative_numbers),
        cmocka_unit_test(url_encoding_keeps_chinese_intact),
        cmocka_unit_test(json_strings_are_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
