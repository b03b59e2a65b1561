/* Parameter parsing and what is written back: CRS names and bbox limits,
 * counts, Accept-Encoding, URL and JSON escaping, UTF-8 of echoed text. */
#include <stdlib.h>
#include <string.h>

#include "crs.h"
#include "features.h"
#include "http.h"
#include "strbuf.h"
#include "utf8.h"
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
    strbuf b = {0};
    http_url_encode("印染 a&b", &b);
    assert_string_equal(b.data, "%E5%8D%B0%E6%9F%93%20a%26b");
    b.len = 0;
    http_url_encode("120.5,27.9", &b);
    assert_string_equal(b.data, "120.5,27.9");
    strbuf_free(&b);
}

static void invalid_utf8_is_replaced_and_long_text_cut_between_characters(void **state)
{
    (void)state;
    char *c = utf8_clean("a\xFF\xFE" "b", 0);
    assert_string_equal(c, "a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
    free(c);
    /* overlong encodings and surrogates are not UTF-8 either */
    assert_false(utf8_valid("\xC0\xAF"));
    assert_false(utf8_valid("\xED\xA0\x80"));
    assert_true(utf8_valid("温州 ok"));
    /* 中 is 3 bytes: a limit of 4 keeps one and says the rest was cut */
    c = utf8_clean("中中中", 4);
    assert_string_equal(c, "中\xE2\x80\xA6");
    free(c);
    assert_int_equal(utf8_cut("中中", 4), 3);
    assert_int_equal(utf8_cut("中中", 6), 6);
    assert_int_equal(utf8_cut("ab", 10), 2);
}

static void error_messages_are_cut_between_characters(void **state)
{
    (void)state;
    gisd_error err;
    char big[3000];
    size_t n = 0;
    while (n + 3 < sizeof big) {
        memcpy(big + n, "中", 3);
        n += 3;
    }
    big[n] = '\0';
    /* one ASCII byte first puts every later boundary off the buffer's end */
    gisd_fail(&err, GISD_E_INPUT, "x%s", big);
    assert_true(utf8_valid(err.message));
    assert_true(strlen(err.message) > 2000);
    gisd_error_prefix(&err, "feature 中: ");
    assert_true(utf8_valid(err.message));
}

static void accept_encoding_follows_the_q_values(void **state)
{
    (void)state;
    assert_true(http_coding_accepted("gzip", "gzip"));
    assert_true(http_coding_accepted("deflate, GZIP;q=0.5", "gzip"));
    assert_true(http_coding_accepted("*", "gzip"));
    assert_false(http_coding_accepted("gzip;q=0, *;q=0", "gzip"));
    assert_false(http_coding_accepted("gzip;q=0", "gzip"));
    assert_false(http_coding_accepted("*;q=0", "gzip"));
    assert_false(http_coding_accepted("identity", "gzip"));
    assert_false(http_coding_accepted("x-gzip", "gzip"));
    assert_false(http_coding_accepted(NULL, "gzip"));
    /* named beats the wildcard either way */
    assert_true(http_coding_accepted("*;q=0, gzip", "gzip"));
    assert_false(http_coding_accepted("gzip;q=0, *", "gzip"));
    assert_false(http_coding_accepted("gzip;q=nonsense", "gzip"));
}

static void projected_bboxes_have_limits(void **state)
{
    (void)state;
    gisd_error err = {0};
    double out[4];
    const double huge[4] = {0, 0, 1e300, 1e300};
    assert_int_equal(crs_bbox_to_lonlat(4549, huge, out, &err), -1);
    assert_int_equal(err.code, GISD_E_INPUT);
    assert_non_null(strstr(err.message, "100000000"));
    const double merc[4] = {0, 0, 1e300, 1e300};
    assert_int_equal(crs_bbox_to_lonlat(3857, merc, out, &err), -1);
    /* Wenzhou in its own Gauss-Kruger zone comes back near 120.6E 28N */
    const double gk[4] = {555000, 3090000, 565000, 3100000};
    assert_int_equal(crs_bbox_to_lonlat(4549, gk, out, &err), 0);
    assert_true(out[0] > 120 && out[2] < 121 && out[1] > 27.5 && out[3] < 28.5);
    /* the whole of Web Mercator is the whole world, clamped */
    const double world[4] = {-20037508.34, -20048966.1, 20037508.34, 20048966.1};
    assert_int_equal(crs_bbox_to_lonlat(3857, world, out, &err), 0);
    assert_true(out[0] >= -180 && out[2] <= 180 && out[1] >= -90 && out[3] <= 90);
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
        cmocka_unit_test(invalid_utf8_is_replaced_and_long_text_cut_between_characters),
        cmocka_unit_test(error_messages_are_cut_between_characters),
        cmocka_unit_test(accept_encoding_follows_the_q_values),
        cmocka_unit_test(projected_bboxes_have_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
