/* The sites a land bureau receives (site_input.c): every form of one site
 * (GeoJSON in any CRS, shapefile, zipped shapefile, DXF, KML, GeoPackage,
 * boundary-point TXT, GCJ-02 and BD-09) answers as its GeoJSON Feature on
 * the command line, over HTTP and through the process (site_forms.py); the
 * 20 reference sites at once answer as the 20 reference answers; bad
 * files are refused naming the line or the file. Runs on both stores. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char refdb[1200];
static tu_server srv;

static int setup(void **state)
{
    (void)state;
    tu_serve_reference("sites", refdb, sizeof refdb, &srv);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    return 0;
}

static void every_form_of_a_site_gives_its_verdict(void **state)
{
    (void)state;
    char *out;
    int rc = tu_run(&out, "/usr/bin/python3 '%s/tests/site_forms.py' '%s' '%s' '%s' '%s' '%s' 2>&1 | grep -v '^Warning'",
                    tu_root(), tu_gisd(), refdb, srv.base, tu_data("reference/sites.geojson"), tu_tmpdir("sites-forms"));
    if (rc != 0 || strcmp(out, "ok\n") != 0)
        fail_msg("site_forms.py: %s", out);
    free(out);
}

/* The reference sites as one FeatureCollection: each site's rules are the
 * reference answer's, the counts add up, the order is by id. */
static void twenty_sites_at_once_are_twenty_answers(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(tu_run(&out, "'%s' analyze site-check --db '%s' --site '%s' > build/tmp/sites-batch.json",
                            tu_gisd(), refdb, tu_data("reference/sites.geojson")),
                     0);
    free(out);
    json_t *got = tu_json_file("build/tmp/sites-batch.json"), *want = tu_json_file(tu_data("reference/expected/site-check.json"));
    assert_int_equal(json_integer_value(json_object_get(got, "total")), 20);
    json_t *sites = json_object_get(got, "sites");
    assert_int_equal(json_array_size(sites), 20);
    long compliant = 0;
    const char *prev = "";
    size_t i;
    json_t *s;
    json_array_foreach(sites, i, s) {
        const char *id = json_string_value(json_object_get(s, "id"));
        assert_true(strcmp(prev, id) < 0);
        prev = id;
        json_t *one = json_pack("{s:O, s:O}", "compliant", json_object_get(s, "compliant"), "rules",
                                json_object_get(s, "rules"));
        char why[512];
        if (tu_json_match(one, json_object_get(want, id), id, why, sizeof why) != 0)
            fail_msg("%s", why);
        json_decref(one);
        compliant += json_is_true(json_object_get(s, "compliant"));
    }
    assert_int_equal(json_integer_value(json_object_get(got, "compliant")), compliant);
    json_decref(got);
    json_decref(want);
}

/* A TXT of boundary points, with the class on the command line, drawn as
 * an opinion; a collection is not one opinion. */
static void an_opinion_of_a_boundary_point_file(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("sites-pdf");
    char path[1400];
    snprintf(path, sizeof path, "%s/site.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    /* a 200 m square at 120.75E 28.19N in zone 40 (EPSG:4528), X north, Y east */
    fputs("[属性描述]\n带号=40\n[地块坐标]\n5,4.0,S-TXT,拟建项目,面,,,,@\n"
          "J1,1,3119908.686,40573013.541\nJ2,1,3119908.686,40573213.541\nJ3,1,3120108.686,40573213.541\n"
          "J4,1,3120108.686,40573013.541\nJ1,1,3119908.686,40573013.541\n", f);
    fclose(f);
    char *out;
    assert_int_equal(tu_run(&out, "'%s' analyze site-check --db '%s' --site '%s' --project-class M3 --format pdf --out "
                                  "'%s/o.pdf' && pdftotext '%s/o.pdf' - | tr -d ' \\n'",
                            tu_gisd(), refdb, path, dir, dir),
                     0);
    assert_non_null(strstr(out, "S-TXT"));
    assert_non_null(strstr(out, "M3"));
    free(out);
    assert_int_equal(tu_run(&out, "'%s' analyze site-check --db '%s' --site '%s' --format pdf --out '%s/b.pdf' 2>&1",
                            tu_gisd(), refdb, tu_data("reference/sites.geojson"), dir),
                     1);
    assert_non_null(strstr(out, "one site"));
    free(out);
}

/* The office's outputs of a batch: the CSV table (a BOM, a header and a row
 * a site, the verdicts as the reference's), the same table as XLSX read back
 * by GDAL, a zip of summary.csv and a PDF per site; HTTP's f=csv is the
 * command line's. */
static void a_batch_as_a_table_a_workbook_and_a_zip(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("sites-files");
    const char *sites = tu_data("reference/sites.geojson");
    char *out;
    for (int k = 0; k < 3; k++) {
        static const char *const fmt[] = {"csv", "xlsx", "zip"};
        assert_int_equal(tu_run(&out, "'%s' analyze site-check --db '%s' --site '%s' --format %s --out '%s/s.%s'",
                                tu_gisd(), refdb, sites, fmt[k], dir, fmt[k]),
                         0);
        free(out);
    }
    json_t *want = tu_json_file(tu_data("reference/expected/site-check.json"));
    long compliant = 0;
    const char *id;
    json_t *v;
    json_object_foreach(want, id, v) compliant += json_is_true(json_object_get(v, "compliant"));
    json_decref(want);
    /* CSV: read as a spreadsheet would, the reference's verdict per site */
    assert_int_equal(tu_run(&out, "/usr/bin/python3 -c \"import csv,json,sys\n"
                                  "rows=list(csv.reader(open(sys.argv[1],encoding='utf-8-sig')))\n"
                                  "want=json.load(open(sys.argv[2]))\n"
                                  "assert rows[0][0]=='用地编号 id' and rows[0][4]=='结论 compliant', rows[0]\n"
                                  "assert [r[0] for r in rows[1:]]==sorted(want), [r[0] for r in rows[1:]]\n"
                                  "for r in rows[1:]: assert (r[4]=='合规')==want[r[0]]['compliant'], r\n"
                                  "print(sum(r[4]=='合规' for r in rows[1:]))\" '%s/s.csv' '%s'",
                            dir, tu_data("reference/expected/site-check.json")),
                     0);
    assert_int_equal(atol(out), compliant);
    free(out);
    assert_int_equal(tu_run(&out, "head -c 3 '%s/s.csv' | od -An -tx1 | tr -d ' \n'", dir), 0);
    assert_string_equal(out, "efbbbf");
    free(out);
    /* XLSX: GDAL reads the sheet back, a row a site */
    assert_int_equal(tu_run(&out, "/usr/bin/python3 -c \"from osgeo import ogr\n"
                                  "ds=ogr.Open('%s/s.xlsx'); l=ds.GetLayer(0)\n"
                                  "print(l.GetName(), l.GetFeatureCount(), sum(f.GetField(4)=='合规' for f in l))\"",
                            dir),
                     0);
    char line[128];
    snprintf(line, sizeof line, "选址合规审查 20 %ld\n", compliant);
    assert_string_equal(out, line);
    free(out);
    /* zip: the table and an opinion per site */
    assert_int_equal(tu_run(&out, "cd '%s' && rm -rf z && mkdir z && cd z && unzip -q ../s.zip && ls | wc -l && "
                                  "cmp summary.csv ../s.csv && pdftotext site04.pdf - | tr -d ' \n'",
                            dir),
                     0);
    assert_int_equal(atoi(out), 21);
    assert_non_null(strstr(out, "危险废物利用处置设施"));
    free(out);
    /* over HTTP the same table */
    assert_int_equal(tu_run(&out, "curl -sf -H 'Content-Type: application/geo+json' --data-binary @'%s' "
                                  "'%s/analysis/site-check?f=csv' | cmp - '%s/s.csv' && echo same",
                            sites, srv.base, dir),
                     0);
    assert_string_equal(out, "same\n");
    free(out);
}

/* site15 (M3, 300 m; its nearest residential zone 522.8 m away) as a cement
 * plant: the industry's table asks 600 / 500 / 400 m of 600 kt/a by the
 * mean wind (below 2, 2 to 4, above 4 m/s), the larger of it and the class
 * counts; below the table's scales the class's 300 m; an unknown industry
 * is refused listing the known. */
static json_t *cement_check(const char *dir, double scale, double wind, const char *industry, int want_rc, char **msg)
{
    json_t *sites = tu_json_file(tu_data("reference/sites.geojson"));
    json_t *f = NULL, *g;
    size_t i;
    json_array_foreach(json_object_get(sites, "features"), i, g) if (strcmp(json_string_value(json_object_get(
                                                                              json_object_get(g, "properties"), "id")),
                                                                          "site15") == 0) f = json_deep_copy(g);
    json_decref(sites);
    assert_non_null(f);
    json_t *p = json_object_get(f, "properties");
    json_object_set_new(p, "industry", json_string(industry));
    json_object_set_new(p, "scale", json_real(scale));
    if (wind >= 0)
        json_object_set_new(p, "wind_mps", json_real(wind));
    char path[1400];
    snprintf(path, sizeof path, "%s/cement.geojson", dir);
    assert_int_equal(json_dump_file(f, path, 0), 0);
    json_decref(f);
    char *out;
    assert_int_equal(tu_run(&out, "'%s' analyze site-check --db '%s' --site '%s' 2>&1", tu_gisd(), refdb, path), want_rc);
    if (want_rc != 0) {
        *msg = out;
        return NULL;
    }
    json_t *ans = tu_json_text(out);
    free(out);
    json_array_foreach(json_object_get(ans, "rules"), i, g) if (strcmp(json_string_value(json_object_get(g, "rule")),
                                                                       "setback") == 0) {
        json_t *r = json_incref(g);
        json_decref(ans);
        return r;
    }
    fail_msg("no setback rule");
    return NULL;
}

static void an_industry_table_sets_the_setback_by_scale_and_wind(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("sites-cement");
    static const struct {
        double scale, wind, required;
        int pass;
    } cases[] = {{600, 1.5, 600, 0}, {600, -1, 500, 1}, {600, 3, 500, 1}, {600, 5, 400, 1}, {100, 1.5, 300, 1}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        json_t *r = cement_check(dir, cases[k].scale, cases[k].wind, "cement", 0, NULL);
        if (json_number_value(json_object_get(r, "required_m")) != cases[k].required ||
            json_is_true(json_object_get(r, "pass")) != cases[k].pass)
            fail_msg("cement %g kt/a at %g m/s: %s", cases[k].scale, cases[k].wind, json_dumps(r, JSON_COMPACT));
        json_t *ind = json_object_get(r, "industry");
        assert_string_equal(json_string_value(json_object_get(ind, "title")), "水泥制造");
        assert_true(json_number_value(json_object_get(ind, "class_m")) == 300);
        assert_true(cases[k].scale < 500 ? json_is_null(json_object_get(ind, "table_m"))
                                         : json_number_value(json_object_get(ind, "table_m")) == cases[k].required);
        json_decref(r);
    }
    char *msg;
    assert_null(cement_check(dir, 600, 2, "steel", 1, &msg));
    assert_non_null(strstr(msg, "cement (水泥制造)"));
    free(msg);
    /* the opinion names the table and its standard */
    json_decref(cement_check(dir, 600, 1.5, "cement", 0, NULL));
    char *out;
    assert_int_equal(tu_run(&out, "'%s' analyze site-check --db '%s' --site '%s/cement.geojson' --format pdf --out "
                                  "'%s/c.pdf' && pdftotext '%s/c.pdf' - | tr -d ' \n'",
                            tu_gisd(), refdb, dir, dir, dir),
                     0);
    assert_non_null(strstr(out, "GB18068.1-2012"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_form_of_a_site_gives_its_verdict),
        cmocka_unit_test(twenty_sites_at_once_are_twenty_answers),
        cmocka_unit_test(an_opinion_of_a_boundary_point_file),
        cmocka_unit_test(a_batch_as_a_table_a_workbook_and_a_zip),
        cmocka_unit_test(an_industry_table_sets_the_setback_by_scale_and_wind),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
