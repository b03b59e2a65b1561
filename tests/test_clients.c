/* Clients no one here wrote: GDAL's OAPIF driver and python3-owslib. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char db[1200];
static tu_server srv;

static int setup(void **state)
{
    (void)state;
    tu_serve_reference("clients", db, sizeof db, &srv);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    return 0;
}

static void gdal_oapif_lists_ten_collections_with_their_counts(void **state)
{
    (void)state;
    char *out;
    int rc = tu_run(&out, "o=$(ogrinfo -ro -al -so 'OAPIF:%s') && printf '%%s\\n' \"$o\" | grep -E '^Layer name|^Feature Count'",
                    srv.base);
    assert_int_equal(rc, 0);
    static const char *const counts[][2] = {
        {"parks", "11"},         {"zones", "766"},         {"heat_network", "230"},
        {"heat_sources", "9"},   {"enterprises", "2000"},  {"recycling_points", "885"},
        {"hw_facilities", "10"}, {"sensitive_areas", "76"}, {"communities", "1487"},
        {"districts", "11"}};
    for (size_t i = 0; i < 10; i++) {
        char want[128];
        snprintf(want, sizeof want, "Layer name: %s\nFeature Count: %s\n", counts[i][0], counts[i][1]);
        if (!strstr(out, want))
            fail_msg("ogrinfo OAPIF does not show \"%s\" in:\n%s", want, out);
    }
    free(out);
    /* and reads every feature of a layer through the next links */
    rc = tu_run(&out, "o=$(ogrinfo -ro -al -q 'OAPIF:%s' enterprises) && printf '%%s\\n' \"$o\" | grep -c '^OGRFeature'",
                srv.base);
    assert_int_equal(rc, 0);
    assert_int_equal(atoi(out), 2000);
    free(out);
    /* the same through a spatial filter: both ogrinfo runs must succeed and agree */
    rc = tu_run(&out, "o=$(ogrinfo -ro -al -so -spat 120.5 27.9 120.8 28.1 'OAPIF:%s' enterprises) && "
                      "printf '%%s\\n' \"$o\" | grep 'Feature Count'", srv.base);
    assert_int_equal(rc, 0);
    char *direct;
    rc = tu_run(&direct, "o=$(ogrinfo -ro -al -so -spat 120.5 27.9 120.8 28.1 '%s' enterprises) && "
                         "printf '%%s\\n' \"$o\" | grep 'Feature Count'", db);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "Feature Count: "));
    assert_true(atoi(strstr(out, "Feature Count: ") + 15) > 0);
    assert_string_equal(out, direct);
    free(out);
    free(direct);
}

static void owslib_pages_and_filters_by_bbox(void **state)
{
    (void)state;
    char *out;
    int rc = tu_run(&out, "/usr/bin/python3 '%s/tests/owslib_check.py' '%s' '%s'", tu_root(), srv.base, db);
    if (rc != 0 || !strstr(out, "ok"))
        fail_msg("owslib: %s", out);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gdal_oapif_lists_ten_collections_with_their_counts),
        cmocka_unit_test(owslib_pages_and_filters_by_bbox),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
