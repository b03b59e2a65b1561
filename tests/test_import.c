/* Importers through the real gisd binary: the reference city, the formats and
 * encodings planners have, and every broken file of data/bad. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char *sql(const char *db, const char *query)
{
    char *out;
    int rc = tu_sql(&out, db, query);
    if (rc != 0) {
        fprintf(stderr, "%s\n", out);
        free(out);
        fail_msg("the store's SQL tool failed on %s", query);
    }
    size_t n = strlen(out);
    while (n && out[n - 1] == '\n')
        out[--n] = '\0';
    return out;
}

/* The query in the store's dialect. */
static const char *dialect(const char *spatialite, const char *postgis)
{
    return tu_on_pg() ? postgis : spatialite;
}

static void expect_sql(const char *db, const char *query, const char *want)
{
    char *got = sql(db, query);
    if (strcmp(got, want) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", query, got, want);
    free(got);
}

static const char *const COUNTS[][2] = {
    {"parks", "11"},          {"zones", "766"},        {"heat_network", "230"},
    {"heat_sources", "9"},    {"enterprises", "2000"}, {"recycling_points", "885"},
    {"hw_facilities", "10"},  {"sensitive_areas", "76"}, {"communities", "1487"},
    {"districts", "11"}};

static void reference_city_imports_with_the_expected_counts(void **state)
{
    (void)state;
    char db[1200];
    tu_db(db, sizeof db, tu_tmpdir("import-ref"), "ref");
    tu_import_reference(db);
    char q[256];
    for (size_t i = 0; i < 10; i++) {
        snprintf(q, sizeof q, "SELECT count(*) FROM %s", COUNTS[i][0]);
        expect_sql(db, q, COUNTS[i][1]);
        snprintf(q, sizeof q, "SELECT feature_count FROM gisd_layers WHERE layer='%s'", COUNTS[i][0]);
        expect_sql(db, q, COUNTS[i][1]);
    }
    expect_sql(db, "SELECT value FROM gisd_meta WHERE key='analysis_crs'", "EPSG:4549");
    expect_sql(db, "SELECT value FROM gisd_meta WHERE key='dataset'", "wenzhou");
    /* GBK shapefile (.cpg) decoded */
    expect_sql(db, "SELECT name FROM parks WHERE park_id='WZ01'", "温州经济技术开发区");
    /* The bow-tie S0076 was repaired into a valid multipolygon */
    expect_sql(db, "SELECT ST_IsValid(geom) FROM sensitive_areas WHERE area_id='S0076'", dialect("1", "t"));
    expect_sql(db, "SELECT sum(repaired) FROM gisd_imports WHERE layer='sensitive_areas'", "1");
    /* Chinese CSV headers and Gauss-Kruger metres: E00001 at X 573954.638, Y 3075061.637
     * is 120.75038023E 27.78698462N (cs2cs EPSG:4549 EPSG:4490). */
    expect_sql(db, dialect("SELECT printf('%.6f %.6f', X(geom), Y(geom)) FROM enterprises WHERE ent_id='E00001'",
                           "SELECT to_char(ST_X(geom), 'FM990.000000') || ' ' || to_char(ST_Y(geom), 'FM990.000000') "
                           "FROM enterprises WHERE ent_id='E00001'"),
               "120.750380 27.786985");
    expect_sql(db, "SELECT name || '|' || industry FROM enterprises WHERE ent_id='E00001'",
               "东方鞋业有限公司1|汽摩配");

    /* A second import replaces each layer instead of adding to it. */
    tu_import_reference(db);
    expect_sql(db, "SELECT count(*) FROM enterprises", "2000");
    expect_sql(db, "SELECT count(*) FROM gisd_imports", "20");
    expect_sql(db, "SELECT changes FROM gisd_layers WHERE layer='parks'", "2");
}

typedef struct {
    const char *file;
    const char *args;
    const char *says[3];
} bad_case;

static const bad_case BAD[] = {
    {"truncated.geojson", "--layer recycling_points", {"truncated.geojson", "not a readable", "Unterminated"}},
    {"non_numeric_coordinate.geojson", "--layer recycling_points", {"feature 18", "index 17", "120.6E"}},
    {"lines_for_parks.geojson", "--layer parks", {"lines_for_parks.geojson", "LINESTRING", "does not fit"}},
    {"unclosed_ring_parks.geojson", "--layer parks", {"feature 1", "closed ring", "unclosed_ring_parks"}},
    {"enterprises_bad_row57.csv",
     "--layer enterprises --srs EPSG:4549 --x X坐标 --y Y坐标 --map 企业编号=ent_id,企业名称=name",
     {"row 57", "X坐标", "abc"}},
    {"heat_sources_latlon_swapped.csv", "--layer heat_sources --srs EPSG:4326 --x lon --y lat",
     {"row 1", "swapped", "latitude"}},
    {"missing_shx.shp", "--layer parks", {"missing_shx.shx", "missing", "missing_shx.shp"}},
    {"no_prj.shp", "--layer parks", {"no_prj.shp", "--srs", "CRS"}},
    {"empty.geojson", "--layer parks", {"empty.geojson", "empty", "0 bytes"}},
    {"not_a_zip.zip", "--layer parks", {"not_a_zip.zip", "not a readable", "archive"}},
};

static void broken_files_are_refused_and_change_nothing(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("import-bad");
    char db[1200];
    tu_db(db, sizeof db, dir, "ref");
    tu_import_reference(db);
    char before[65], after[65];
    tu_store_digest(db, before);
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        char *out;
        /* whole stacks (slower), so that tests/lsan.supp can name the GDAL frame
         * that leaks on a broken file */
        int rc = tu_run(&out, "ASAN_OPTIONS=\"$ASAN_OPTIONS:fast_unwind_on_malloc=0\" '%s' import --db '%s' "
                              "'%s/data/bad/%s' %s", tu_gisd(), db, tu_root(), BAD[i].file, BAD[i].args);
        if (rc == 0)
            fail_msg("%s was imported; it must be refused", BAD[i].file);
        for (size_t k = 0; k < 3; k++)
            if (!strstr(out, BAD[i].says[k]))
                fail_msg("%s: the error does not say \"%s\":\n%s", BAD[i].file, BAD[i].says[k], out);
        assert_null(strstr(out, "AddressSanitizer"));
        free(out);
        tu_store_digest(db, after);
        if (strcmp(before, after) != 0)
            fail_msg("refusing %s changed the store", BAD[i].file);
    }
    /* A refused import into a store that did not exist leaves no file behind. */
    char fresh[1300];
    tu_db(fresh, sizeof fresh, dir, "fresh");
    if (tu_on_pg())
        tu_store_digest(fresh, before);
    assert_int_not_equal(tu_run(NULL, "'%s' import --db '%s' '%s' --layer parks", tu_gisd(), fresh,
                                tu_data("bad/empty.geojson")), 0);
    if (tu_on_pg()) {
        /* the database was made for the test: it keeps no schema either */
        tu_store_digest(fresh, after);
        assert_string_equal(before, after);
    } else {
        assert_int_not_equal(access(fresh, F_OK), 0);
    }
}

static void valid_odd_files_import(void **state)
{
    (void)state;
    char db[1200];
    tu_db(db, sizeof db, tu_tmpdir("import-odd"), "odd");
    char *out;
    int rc = tu_run(&out, "'%s' import --db '%s' '%s' --layer parks --srs EPSG:4549", tu_gisd(), db,
                    tu_data("bad/no_prj.shp"));
    if (rc != 0)
        fail_msg("no_prj.shp --srs EPSG:4549: %s", out);
    free(out);
    expect_sql(db, "SELECT count(*) FROM parks", "11");
    rc = tu_run(&out, "'%s' import --db '%s' '%s' --layer hw_facilities", tu_gisd(), db,
                tu_data("bad/危废 设施 (副本).geojson"));
    if (rc != 0)
        fail_msg("危废 设施 (副本).geojson: %s", out);
    free(out);
    expect_sql(db, "SELECT count(*) FROM hw_facilities", "10");
    /* 70,000 characters in, 70,000 characters stored: nothing is truncated. */
    rc = tu_run(&out, "'%s' import --db '%s' '%s' --layer hw_facilities", tu_gisd(), db,
                tu_data("bad/huge_property.geojson"));
    if (rc != 0)
        fail_msg("huge_property.geojson: %s", out);
    free(out);
    expect_sql(db, "SELECT max(length(name)) FROM hw_facilities", "70000");
}

static void other_formats_encodings_and_zones(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("import-formats");
    char d[1200], db[1300];
    snprintf(d, sizeof d, "%s", dir);
    tu_db(db, sizeof db, d, "f");
    char *out;
    /* A zipped shapefile */
    assert_int_equal(tu_run(NULL, "cd '%s/data/reference' && zip -q '%s/parks.zip' parks.shp parks.shx parks.dbf parks.prj parks.cpg",
                            tu_root(), d), 0);
    int rc = tu_run(&out, "'%s' import --db '%s' '%s/parks.zip' --layer parks", tu_gisd(), db, d);
    if (rc != 0)
        fail_msg("parks.zip: %s", out);
    free(out);
    expect_sql(db, "SELECT name FROM parks WHERE park_id='WZ02'", "浙江温州滨海工业园区");
    /* A GBK CSV with Chinese headers */
    assert_int_equal(tu_run(NULL, "printf '编号,名称,类型,容量,经度,纬度\\n' > '%s/hs.csv' && "
                                  "tail -n +2 '%s' >> '%s/hs.csv' && iconv -f UTF-8 -t GBK '%s/hs.csv' > '%s/hs_gbk.csv'",
                            d, tu_data("reference/heat_sources.csv"), d, d, d), 0);
    rc = tu_run(&out, "'%s' import --db '%s' '%s/hs_gbk.csv' --layer heat_sources --encoding GBK "
                      "--srs EPSG:4326 --x 经度 --y 纬度 --map 编号=source_id,名称=name,类型=kind,容量=capacity_tph",
                tu_gisd(), db, d);
    if (rc != 0)
        fail_msg("GBK CSV: %s", out);
    free(out);
    expect_sql(db, "SELECT name FROM heat_sources WHERE source_id='HS01'", "温州经济热电厂");
    /* Without --encoding the same file is refused with the advice to name it. */
    rc = tu_run(&out, "'%s' import --db '%s' '%s/hs_gbk.csv' --layer heat_sources --srs EPSG:4326 "
                      "--x lon --y lat", tu_gisd(), db, d);
    assert_int_not_equal(rc, 0);
    free(out);
    /* A GeoPackage of several tables: the one named like the layer is read. */
    assert_int_equal(tu_run(NULL, "ogr2ogr -f GPKG '%s/multi.gpkg' '%s' -nln communities && "
                                  "ogr2ogr -update -f GPKG '%s/multi.gpkg' '%s' -nln zones",
                            d, tu_data("reference/communities.gpkg"), d, tu_data("reference/zones.gpkg")), 0);
    rc = tu_run(&out, "'%s' import --db '%s' '%s/multi.gpkg' --layer zones", tu_gisd(), db, d);
    if (rc != 0)
        fail_msg("multi.gpkg: %s", out);
    free(out);
    expect_sql(db, "SELECT count(*) FROM zones", "766");
    /* Lines in another Gauss-Kruger zone (117E, EPSG:4548) come back to the same place. */
    assert_int_equal(tu_run(NULL, "ogr2ogr -f 'ESRI Shapefile' -t_srs EPSG:4548 '%s/pipes.shp' '%s'",
                            d, tu_data("reference/heat_network.geojson")), 0);
    rc = tu_run(&out, "'%s' import --db '%s' '%s/pipes.shp' --layer heat_network", tu_gisd(), db, d);
    if (rc != 0)
        fail_msg("pipes.shp: %s", out);
    free(out);
    expect_sql(db, "SELECT count(*) FROM heat_network", "230");
    /* ogrinfo data/reference/heat_network.geojson: Extent (120.219194, 27.460784) - ... */
    expect_sql(db, dialect("SELECT printf('%.6f %.6f', MbrMinX(e), MbrMinY(e)) FROM (SELECT Extent(geom) e FROM heat_network)",
                           "SELECT to_char(ST_XMin(e), 'FM990.000000') || ' ' || to_char(ST_YMin(e), 'FM990.000000') "
                           "FROM (SELECT ST_Extent(geom) e FROM heat_network) s"),
               "120.219194 27.460784");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_city_imports_with_the_expected_counts),
        cmocka_unit_test(broken_files_are_refused_and_change_nothing),
        cmocka_unit_test(valid_odd_files_import),
        cmocka_unit_test(other_formats_encodings_and_zones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
