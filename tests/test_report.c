/* Park scorecards and the reports people file: every scorecard number checked
 * against the analysis it comes from, the PDFs read back with poppler
 * (pdftotext, pdftoppm) and the PNG map decoded with Cairo, over the command
 * line and a real server. */
#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "testutil.h"

static char refdb[1200];
static tu_server srv;

static int setup(void **state)
{
    (void)state;
    tu_serve_reference("report", refdb, sizeof refdb, &srv);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    return 0;
}

static json_t *run_json(const char *fmt, const char *a, const char *b)
{
    char cmd[2048], *out;
    snprintf(cmd, sizeof cmd, fmt, a, b);
    int rc = tu_run(&out, "'%s' %s --db '%s' 2>/dev/null", tu_gisd(), cmd, refdb);
    if (rc != 0)
        fail_msg("gisd %s exited %d: %s", cmd, rc, out);
    json_t *j = tu_json_text(out);
    free(out);
    return j;
}

static double num(json_t *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *v = o;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
        v = json_object_get(v, k);
    if (!json_is_number(v))
        fail_msg("%s is not a number", path);
    return json_number_value(v);
}

#define SAME(card, cpath, src, spath) assert_float_equal(num(card, cpath), num(src, spath), 1e-9)

/* Enterprises of the park (point in polygon) with hazardous waste, as
 * SpatiaLite finds them: "id,id,..." and their tonnes. */
static char *hw_members(const char *park, double *tonnes, long *count)
{
    char *out;
    char q[512];
    snprintf(q, sizeof q, "SELECT count(*), coalesce(sum(e.hw_tpy), 0), %s FROM enterprises e, parks p WHERE "
                          "p.park_id='%s' AND e.hw_tpy > 0 AND ST_Contains(p.geom, e.geom)",
             tu_on_pg() ? "string_agg(e.ent_id, ',')" : "group_concat(e.ent_id)", park);
    int rc = tu_sql(&out, refdb, q);
    if (rc != 0)
        fail_msg("%s: %s", q, out);
    out[strcspn(out, "\n")] = 0;
    char *p = strchr(out, '|');
    *count = atol(out);
    *tonnes = strtod(p + 1, &p);
    char *ids = strdup(p + 1);
    free(out);
    return ids;
}

static void scorecard_numbers_come_from_their_analyses(void **state)
{
    (void)state;
    const char *park = "WZ01";
    json_t *card = run_json("analyze park-scorecard --park-id %s%s", park, "");
    assert_string_equal(json_string_value(json_object_get(card, "park_id")), park);
    assert_non_null(json_string_value(json_object_get(card, "name")));

    json_t *heat = run_json("analyze heating-coverage --park-id %s%s", park, "");
    json_t *hp = json_array_get(json_object_get(heat, "parks"), 0);
    SAME(card, "area_km2", hp, "area_km2");
    SAME(card, "heating.covered_km2", hp, "covered_km2");
    SAME(card, "heating.coverage_ratio", hp, "coverage_ratio");
    SAME(card, "heating.enterprises", hp, "enterprises");
    SAME(card, "heating.enterprises_covered", hp, "enterprises_covered");
    json_t *coal = json_object_get(hp, "coal_boilers_in_coverage");
    assert_int_equal((size_t)num(card, "heating.coal_boilers_in_coverage.count"), json_array_size(coal));
    assert_true(json_equal(json_object_get(json_object_get(json_object_get(card, "heating"), "coal_boilers_in_coverage"), "ids"), coal));
    /* their t/h from the enterprises layer itself */
    strbuf in = {0};
    size_t i;
    json_t *v;
    json_array_foreach(coal, i, v)
        strbuf_printf(&in, "%s'%s'", i ? "," : "", json_string_value(v));
    char *out;
    char q[8192];
    snprintf(q, sizeof q, "SELECT coalesce(sum(boiler_tph), 0) FROM enterprises WHERE ent_id IN (%s)", in.data);
    assert_int_equal(tu_sql(&out, refdb, q), 0);
    assert_float_equal(num(card, "heating.coal_boilers_in_coverage.tph"), strtod(out, NULL), 1e-6);
    free(out);
    strbuf_free(&in);

    json_t *ext = run_json("optimize heat-extension --budget-km 10 --frontier 9 --park-id %s%s", park, "");
    SAME(card, "heating.coal_boilers_outside.count", ext, "boilers");
    SAME(card, "heating.coal_boilers_outside.tph", ext, "boiler_tph");
    SAME(card, "heating.extension.tph_retired", ext, "tph_retired");
    SAME(card, "heating.extension.pipe_km", ext, "pipe_km");
    assert_true(json_equal(json_object_get(json_object_get(json_object_get(card, "heating"), "extension"), "frontier"),
                           json_object_get(ext, "frontier")));

    double tonnes;
    long producers;
    char *ids = hw_members(park, &tonnes, &producers);
    json_t *hw = run_json("optimize hw-allocation --max-km 50%s%s", "", "");
    double served = 0;
    json_t *f;
    json_array_foreach(json_object_get(hw, "flows"), i, f) {
        char key[64];
        snprintf(key, sizeof key, ",%s,", json_string_value(json_object_get(f, "ent_id")));
        char *list = NULL;
        assert_true(asprintf(&list, ",%s,", ids) > 0);
        if (strstr(list, key))
            served += json_number_value(json_object_get(f, "tonnes"));
        free(list);
    }
    free(ids);
    assert_true(producers > 0);
    assert_int_equal((long)num(card, "hazardous_waste.producers"), producers);
    assert_float_equal(num(card, "hazardous_waste.tonnes"), tonnes, 1e-3);
    assert_float_equal(num(card, "hazardous_waste.served_t"), served, 1e-3);
    assert_float_equal(num(card, "hazardous_waste.share_served"), served / tonnes, 1e-6);

    json_t *sym = run_json("analyze symbiosis --max-km 10 --park-id %s%s", park, "");
    json_t *sp = json_array_get(json_object_get(sym, "parks"), 0);
    SAME(card, "symbiosis.demands", sp, "demands");
    SAME(card, "symbiosis.links_in_park", sp, "links_in_park");
    SAME(card, "symbiosis.in_park_ratio", sp, "in_park_ratio");
    assert_int_equal((size_t)num(card, "symbiosis.links"), json_array_size(json_object_get(sym, "links")));
    assert_int_equal((size_t)num(card, "symbiosis.unmatched"), json_array_size(json_object_get(sym, "unmatched")));
    assert_int_equal((size_t)num(card, "symbiosis.unused"), json_array_size(json_object_get(sym, "unused")));
    /* the park's links are the city-wide answer's links with a consumer in the park */
    json_t *all = run_json("analyze symbiosis --max-km 10%s%s", "", "");
    size_t in_park = 0;
    json_array_foreach(json_object_get(all, "links"), i, f)
        in_park += json_is_string(json_object_get(f, "park_id")) &&
                   strcmp(json_string_value(json_object_get(f, "park_id")), park) == 0;
    assert_int_equal((size_t)num(card, "symbiosis.links_in_park"), in_park);

    json_t *rec = run_json("analyze recycling-coverage --radius-m 1000 --level community%s%s", "", "");
    const char *district = json_string_value(json_object_get(json_object_get(card, "recycling"), "district"));
    assert_non_null(district);
    json_t *d, *entry = NULL;
    json_array_foreach(json_object_get(rec, "districts"), i, d)
        if (strcmp(json_string_value(json_object_get(d, "name")), district) == 0)
            entry = d;
    assert_non_null(entry);
    SAME(card, "recycling.communities", entry, "communities");
    SAME(card, "recycling.households", entry, "households");
    SAME(card, "recycling.households_covered", entry, "households_covered");
    SAME(card, "recycling.coverage_ratio", entry, "coverage_ratio");
    /* and that district is the one holding most of the park */
    char dq[512];
    snprintf(dq, sizeof dq, "SELECT d.name FROM districts d, parks p WHERE p.park_id='%s' ORDER BY "
                          "ST_Area(ST_Intersection(d.geom, p.geom)) DESC LIMIT 1", park);
    assert_int_equal(tu_sql(&out, refdb, dq), 0);
    out[strcspn(out, "\n")] = 0;
    assert_string_equal(out, district);
    free(out);

    /* the server's scorecard is the command line's */
    char *body;
    assert_int_equal(tu_http(&srv, "GET", "/parks/WZ01/scorecard", NULL, &body, NULL), 200);
    json_t *over_http = tu_json_text(body);
    free(body);
    assert_true(json_equal(over_http, card));
    json_decref(over_http);
    json_decref(card);
    json_decref(heat);
    json_decref(ext);
    json_decref(hw);
    json_decref(sym);
    json_decref(all);
    json_decref(rec);
}

static void scorecard_errors(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(tu_run(&out, "'%s' analyze park-scorecard --db '%s' --park-id NOPE", tu_gisd(), refdb), 1);
    assert_non_null(strstr(out, "NOPE"));
    free(out);
    assert_int_equal(tu_run(&out, "'%s' analyze park-scorecard --db '%s'", tu_gisd(), refdb), 1);
    assert_non_null(strstr(out, "park_id"));
    free(out);
    char *body;
    assert_int_equal(tu_http(&srv, "GET", "/parks/NOPE/scorecard", NULL, &body, NULL), 404);
    assert_non_null(strstr(body, "NOPE"));
    free(body);
    assert_int_equal(tu_http(&srv, "GET", "/parks/WZ01/budget", NULL, &body, NULL), 404);
    free(body);
    assert_int_equal(tu_http(&srv, "GET", "/parks/WZ01/map.png?width=10", NULL, &body, NULL), 400);
    assert_non_null(strstr(body, "width"));
    free(body);
    assert_int_equal(tu_http(&srv, "GET", "/parks/WZ01/scorecard?colour=red", NULL, &body, NULL), 400);
    free(body);
}

/* The text of page (0: all) of a PDF. */
static char *pdf_text(const char *pdf, int page)
{
    char *out;
    int rc = page ? tu_run(&out, "pdftotext -q -f %d -l %d '%s' -", page, page, pdf)
                  : tu_run(&out, "pdftotext -q '%s' -", pdf);
    if (rc != 0)
        fail_msg("pdftotext %s: %s", pdf, out);
    return out;
}

static int pdf_pages(const char *pdf)
{
    char *out;
    if (tu_run(&out, "pdfinfo '%s'", pdf) != 0)
        fail_msg("pdfinfo %s: %s", pdf, out);
    assert_non_null(strstr(out, "595.276 x 841.89 pts (A4)"));
    int n = atoi(strstr(out, "Pages:") + 6);
    free(out);
    return n;
}

typedef struct {
    int w, h;
    unsigned char *rgb;
} image;

/* Renders page of pdf with pdftoppm (a binary PPM) and reads it. */
static image render_page(const char *pdf, int page)
{
    char ppm[1400];
    snprintf(ppm, sizeof ppm, "%s.%d.ppm", pdf, page);
    char *out;
    if (tu_run(&out, "pdftoppm -r 60 -f %d -l %d -singlefile '%s' > '%s'", page, page, pdf, ppm) != 0)
        fail_msg("pdftoppm: %s", out);
    free(out);
    FILE *f = fopen(ppm, "rb");
    assert_non_null(f);
    image im = {0};
    int maxval;
    assert_int_equal(fscanf(f, "P6 %d %d %d", &im.w, &im.h, &maxval), 3);
    fgetc(f);
    im.rgb = malloc((size_t)im.w * (size_t)im.h * 3);
    assert_int_equal(fread(im.rgb, 3, (size_t)im.w * (size_t)im.h, f), (size_t)im.w * (size_t)im.h);
    fclose(f);
    return im;
}

/* Pixels within tol of colour "#rrggbb". */
static long pixels_near(const image *im, const char *hex, int tol)
{
    unsigned v;
    sscanf(hex + 1, "%6x", &v);
    int r = (int)(v >> 16) & 255, g = (int)(v >> 8) & 255, b = (int)v & 255;
    long n = 0;
    for (long i = 0; i < (long)im->w * im->h; i++) {
        const unsigned char *p = im->rgb + 3 * i;
        n += abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol;
    }
    return n;
}

static long pixels_not_white(const image *im)
{
    long n = 0;
    for (long i = 0; i < (long)im->w * im->h; i++)
        n += im->rgb[3 * i] < 240 || im->rgb[3 * i + 1] < 240 || im->rgb[3 * i + 2] < 240;
    return n;
}

/* The page of pdf whose text has needle, or 0. */
static int page_with(const char *pdf, int pages, const char *needle)
{
    for (int p = 1; p <= pages; p++) {
        char *t = pdf_text(pdf, p);
        int hit = strstr(t, needle) != NULL;
        free(t);
        if (hit)
            return p;
    }
    return 0;
}

static void a_park_report_in_pdf(void **state)
{
    (void)state;
    char pdf[1400];
    snprintf(pdf, sizeof pdf, "%s/park.pdf", tu_tmpdir("report-park"));
    char *out;
    if (tu_run(&out, "'%s' report park --db '%s' --park-id WZ01 --out '%s'", tu_gisd(), refdb, pdf) != 0)
        fail_msg("gisd report park: %s", out);
    free(out);
    int pages = pdf_pages(pdf);
    assert_true(pages >= 3);
    char *text = pdf_text(pdf, 0);
    static const char *const needles[] = {"温州经济技术开发区", "WZ01", "国家级 national", "供热覆盖率",
                                          "覆盖内燃煤锅炉(应淘汰) 台", "可处置比例", "园内配套率", "覆盖户数",
                                          "Heat-extension frontier", "园区地图 Park map", "wenzhou",
                                          "目标对照", "未达标", "应淘汰的燃煤锅炉", "距热网", "建议"};
    for (size_t i = 0; i < sizeof needles / sizeof *needles; i++)
        if (!strstr(text, needles[i]))
            fail_msg("the park report lacks \"%s\"", needles[i]);
    /* no JSON field name anywhere: a planner reads 覆盖率, not coverage_ratio */
    for (const char *p = text; *p; p++)
        if (*p == '_' && p > text && p[-1] >= 'a' && p[-1] <= 'z' && p[1] >= 'a' && p[1] <= 'z') {
            const char *w = p;
            while (w > text && ((w[-1] >= 'a' && w[-1] <= 'z') || w[-1] == '_'))
                w--;
            fail_msg("the park report prints the field name \"%.40s\"", w);
        }
    /* the indicators print the scorecard's numbers */
    json_t *card = run_json("analyze park-scorecard --park-id %s%s", "WZ01", "");
    char expect[64];
    snprintf(expect, sizeof expect, "%.0f", num(card, "heating.enterprises"));
    assert_non_null(strstr(text, expect));
    snprintf(expect, sizeof expect, "%.1f%%", num(card, "heating.coverage_ratio") * 100);
    assert_non_null(strstr(text, expect));
    /* the boilers to retire by name, as the enterprises layer names them */
    json_t *ids = json_object_get(json_object_get(json_object_get(card, "heating"), "coal_boilers_in_coverage"), "ids");
    assert_true(json_array_size(ids) > 0);
    for (size_t i = 0; i < json_array_size(ids) && i < 5; i++) {
        char *name;
        assert_int_equal(tu_run(&name, "curl -s '%s/collections/enterprises/items/%s' | /usr/bin/python3 -c "
                                       "\"import json,sys; print(json.load(sys.stdin)['properties']['name'])\"",
                                srv.base, json_string_value(json_array_get(ids, i))),
                         0);
        name[strcspn(name, "\n")] = '\0';
        if (!strstr(text, name))
            fail_msg("the park report does not name the boiler of %s (%s)", json_string_value(json_array_get(ids, i)), name);
        free(name);
    }
    json_decref(card);
    free(text);
    /* the map page: the park's boundary (national: #c62828) and the coverage (#00b8d4) are drawn */
    int mp = page_with(pdf, pages, "园区地图");
    assert_true(mp > 0);
    /* the map names what it shows: the heat source inside the park (HS01 of heat_sources.csv) and the park */
    char *maptext = pdf_text(pdf, mp);
    assert_non_null(strstr(maptext, "温州经济热电厂"));
    assert_non_null(strstr(maptext, "热源 heat source"));
    free(maptext);
    image im = render_page(pdf, mp);
    long boundary = pixels_near(&im, "#c62828", 40), coverage = pixels_near(&im, "#00b8d4", 40);
    if (boundary < 200 || coverage < 200)
        fail_msg("map page: %ld boundary pixels, %ld coverage pixels", boundary, coverage);
    assert_true(pixels_not_white(&im) > (long)im.w * im.h / 8);
    free(im.rgb);

    /* the same over HTTP */
    char *status;
    assert_int_equal(tu_run(&status, "curl -s -o '%s.http' -w '%%{http_code} %%{content_type}' '%s/parks/WZ01/report.pdf'",
                            pdf, srv.base), 0);
    assert_string_equal(status, "200 application/pdf");
    free(status);
    char http_pdf[1500];
    snprintf(http_pdf, sizeof http_pdf, "%s.http", pdf);
    assert_int_equal(pdf_pages(http_pdf), pages);
    text = pdf_text(http_pdf, 0);
    assert_non_null(strstr(text, "温州经济技术开发区"));
    free(text);
}

static void a_park_map_as_png(void **state)
{
    (void)state;
    char png[1400], *status;
    snprintf(png, sizeof png, "%s/map.png", tu_tmpdir("report-png"));
    assert_int_equal(tu_run(&status, "curl -s -o '%s' -w '%%{http_code} %%{content_type}' "
                                     "'%s/parks/WZ01/map.png?width=640&height=480'", png, srv.base), 0);
    assert_string_equal(status, "200 image/png");
    free(status);
    cairo_surface_t *s = cairo_image_surface_create_from_png(png);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(s), 640);
    assert_int_equal(cairo_image_surface_get_height(s), 480);
    cairo_surface_flush(s);
    image im = {640, 480, malloc(640 * 480 * 3)};
    const unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < 480; y++)
        for (int x = 0; x < 640; x++) {
            uint32_t px = *(const uint32_t *)(data + y * stride + 4 * x);
            im.rgb[3 * (y * 640 + x)] = (px >> 16) & 255;
            im.rgb[3 * (y * 640 + x) + 1] = (px >> 8) & 255;
            im.rgb[3 * (y * 640 + x) + 2] = px & 255;
        }
    cairo_surface_destroy(s);
    assert_true(pixels_near(&im, "#c62828", 40) > 200);
    assert_true(pixels_near(&im, "#00b8d4", 40) > 100);
    free(im.rgb);
}

static void a_site_check_as_a_compliance_opinion(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("report-site");
    char site[1400], pdf[1400], *out;
    snprintf(site, sizeof site, "%s/site.json", dir);
    snprintf(pdf, sizeof pdf, "%s/site.pdf", dir);
    assert_int_equal(tu_run(&out, "python3 -c \"import json,sys; f=json.load(open('%s'))['features'][0]; "
                                  "json.dump(f, open('%s','w'))\"", tu_data("reference/sites.geojson"), site), 0);
    free(out);
    if (tu_run(&out, "'%s' analyze site-check --db '%s' --site '%s' --format pdf --out '%s'", tu_gisd(), refdb,
               site, pdf) != 0)
        fail_msg("site-check --format pdf: %s", out);
    free(out);
    assert_int_equal(pdf_pages(pdf), 2); /* the rules, then the standards and who signs */
    char *text = pdf_text(pdf, 0);
    /* the evidence in sentences, never the answer's JSON names */
    static const char *const needles[] = {"选址合规审查意见", "site01", "inside a park", "compatible land use",
                                          "setback", "outside protected areas", "central heating", "通过 pass",
                                          "不通过 fail", "最近的供热管网相距", "审查依据", "GB 50137-2011",
                                          "审查人", "盖章", "一类工业项目（M1）"};
    for (size_t i = 0; i < sizeof needles / sizeof *needles; i++)
        if (!strstr(text, needles[i]))
            fail_msg("the site report lacks \"%s\"", needles[i]);
    assert_null(strstr(text, "nearest_pipe_m"));
    assert_null(strstr(text, "{\""));
    free(text);
    image im = render_page(pdf, 1);
    assert_true(pixels_near(&im, "#004d40", 30) > 20); /* the site's outline */
    assert_true(pixels_not_white(&im) > (long)im.w * im.h / 8);
    free(im.rgb);

    /* over HTTP, asked for with Accept */
    char *status;
    assert_int_equal(tu_run(&status, "curl -s -o '%s.http' -H 'Accept: application/pdf' -H 'Content-Type: application/geo+json' "
                                     "--data-binary '@%s' -w '%%{http_code} %%{content_type}' '%s/analysis/site-check'",
                            pdf, site, srv.base), 0);
    assert_string_equal(status, "200 application/pdf");
    free(status);
    char http_pdf[1500];
    snprintf(http_pdf, sizeof http_pdf, "%s.http", pdf);
    text = pdf_text(http_pdf, 0);
    assert_non_null(strstr(text, "inside a park"));
    free(text);
}

/* A site outside every park, with its project's name, applicant and
 * reviewer: the opinion names them, says which park is nearest, and each
 * zone, sensitive area and residential zone of the answer appears in its
 * sentences with the standards the rules file cites. */
static void an_opinion_names_the_project_the_nearest_park_and_its_standards(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("report-opinion");
    char site[1400], pdf[1400], *out;
    snprintf(site, sizeof site, "%s/site03.json", dir);
    snprintf(pdf, sizeof pdf, "%s/site03.pdf", dir);
    assert_int_equal(tu_run(&out, "python3 -c \"import json; f=[f for f in json.load(open('%s'))['features'] if "
                                  "f['id']=='site03'][0]; f['properties'].update(name='瓯江口再生资源项目', "
                                  "applicant='温州某再生资源有限公司', reviewer='李四'); json.dump(f, open('%s','w'))\"",
                            tu_data("reference/sites.geojson"), site),
                     0);
    free(out);
    if (tu_run(&out, "'%s' analyze site-check --db '%s' --site '%s' --format pdf --out '%s'", tu_gisd(), refdb, site,
               pdf) != 0)
        fail_msg("site-check --format pdf: %s", out);
    free(out);
    assert_int_equal(tu_run(&out, "pdftotext -q '%s' - | tr -d ' \\n'", pdf), 0);
    json_t *want = tu_json_file(tu_data("reference/expected/site-check.json"));
    json_t *rules = json_object_get(json_object_get(want, "site03"), "rules");
    assert_false(json_is_true(json_object_get(json_array_get(rules, 0), "pass"))); /* outside every park */
    static const char *const needles[] = {"瓯江口再生资源项目", "温州某再生资源有限公司", "李四", "不在任何园区范围内",
                                          "最近的园区为WZ", "三类工业项目（M3）", "GB/T39499-2020", "发改环资"};
    for (size_t i = 0; i < sizeof needles / sizeof *needles; i++)
        if (!strstr(out, needles[i]))
            fail_msg("the opinion lacks \"%s\"", needles[i]);
    size_t i;
    json_t *z;
    json_array_foreach(json_object_get(json_array_get(rules, 1), "zones"), i, z)
        if (!strstr(out, json_string_value(json_object_get(z, "zone_id"))))
            fail_msg("the land-use sentence lacks zone %s", json_string_value(json_object_get(z, "zone_id")));
    json_t *setback = json_array_get(rules, 2);
    const char *area = json_string_value(json_object_get(json_object_get(setback, "nearest"), "area_id"));
    const char *home = json_string_value(json_object_get(json_object_get(setback, "nearest_residential_zone"), "zone_id"));
    assert_true(!area || strstr(out, area));
    assert_true(!home || strstr(out, home));
    json_decref(want);
    free(out);
}

/* site04's map draws the evidence: the zone it overlaps named with its land
 * use, the nearest sensitive area and the residential zone inside its 800 m
 * labelled with their distances, the grid's Gauss-Kruger values (X the
 * northing, Y the easting) and the legend's entries for them. */
static void an_opinion_map_draws_its_evidence(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("report-evidence");
    char site[1400], pdf[1400], *out;
    snprintf(site, sizeof site, "%s/site04.json", dir);
    snprintf(pdf, sizeof pdf, "%s/site04.pdf", dir);
    assert_int_equal(tu_run(&out, "python3 -c \"import json; f=[f for f in json.load(open('%s'))['features'] if "
                                  "f['id']=='site04'][0]; json.dump(f, open('%s','w'))\"",
                            tu_data("reference/sites.geojson"), site),
                     0);
    free(out);
    assert_int_equal(tu_run(&out, "'%s' analyze site-check --db '%s' --site '%s' --format pdf --out '%s' && "
                                  "pdftotext -q -f 1 -l 1 '%s' - | tr -d ' \n'",
                            tu_gisd(), refdb, site, pdf, pdf),
                     0);
    static const char *const needles[] = {"Z00431M2", "S0027706.5m", "Z00467R2279.7m", "X3106500", "Y592500",
                                          "重叠用地zoneoverlapped", "最近居住用地nearestresidentialzone"};
    for (size_t i = 0; i < sizeof needles / sizeof *needles; i++)
        if (!strstr(out, needles[i]))
            fail_msg("site04's map lacks \"%s\"", needles[i]);
    free(out);
    /* drawn, not only written: the page's picture holds the residential zone's orange outline */
    assert_int_equal(tu_run(&out, "pdftoppm -r 40 -f 1 -l 1 -png '%s' '%s/p' && /usr/bin/python3 -c \"import sys\n"
                                  "from PIL import Image\n"
                                  "im=Image.open(sys.argv[1]).convert('RGB')\n"
                                  "print(sum(1 for p in im.getdata() if abs(p[0]-255)<40 and abs(p[1]-109)<40 and p[2]<60))\" "
                                  "'%s/p-1.png'",
                            pdf, dir, dir),
                     0);
    assert_true(atoi(out) > 30);
    free(out);
}

/* Text of any length: a site named with 200 Chinese characters and a park
 * renamed to 200 give whole PDFs (a fixed title buffer used to cut a
 * character in two: 500 and thousands of Pango-CRITICAL lines); with no font
 * that writes Chinese, gisd report and gisd serve refuse to start. */
static void long_names_and_a_missing_font(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("report-long");
    char site[1400], pdf[1400], db[1200], *out;
    snprintf(site, sizeof site, "%s/site.json", dir);
    snprintf(pdf, sizeof pdf, "%s/long.pdf", dir);
    assert_int_equal(tu_run(&out, "python3 -c \"import json; f=json.load(open('%s'))['features'][0]; "
                                  "f['properties']['name']='循环'*100; f['properties']['id']='长'*200; "
                                  "json.dump(f, open('%s','w'), ensure_ascii=False)\"",
                            tu_data("reference/sites.geojson"), site), 0);
    free(out);
    char *status;
    assert_int_equal(tu_run(&status, "curl -s -o '%s' -H 'Accept: application/pdf' -H 'Content-Type: application/geo+json' "
                                     "--data-binary '@%s' -w '%%{http_code}' '%s/analysis/site-check'", pdf, site, srv.base), 0);
    assert_string_equal(status, "200");
    free(status);
    char *text = pdf_text(pdf, 0);
    assert_non_null(strstr(text, "选址合规审查意见"));
    free(text);
    tu_db(db, sizeof db, dir, "city");
    tu_import_reference(db);
    assert_int_equal(tu_sql(&out, db, "UPDATE parks SET name = '温州经济技术开发区循环化改造示范园区温州经济技术开发区循环化改造示范园区"
                                      "温州经济技术开发区循环化改造示范园区温州经济技术开发区循环化改造示范园区温州经济技术开发区循环化改造示范园区"
                                      "温州经济技术开发区循环化改造示范园区温州经济技术开发区循环化改造示范园区温州经济技术开发区循环化改造示范园区"
                                      "温州经济技术开发区循环化改造示范园区温州经济技术开发区循环化改造示范园区' WHERE park_id = 'WZ01'"), 0);
    free(out);
    if (tu_run(&out, "'%s' report park --db '%s' --park-id WZ01 --out '%s' 2>&1", tu_gisd(), db, pdf) != 0 ||
        strstr(out, "CRITICAL"))
        fail_msg("a park of a long name: %s", out);
    free(out);
    text = pdf_text(pdf, 0);
    assert_non_null(strstr(text, "园区循环化改造评估报告"));
    free(text);
    /* no font: refused at start, saying what to install */
    char conf[1400];
    snprintf(conf, sizeof conf, "%s/fonts.conf", dir);
    FILE *fp = fopen(conf, "w");
    assert_non_null(fp);
    fprintf(fp, "<?xml version=\"1.0\"?>\n<fontconfig><dir>%s/none</dir><cachedir>%s/cache</cachedir></fontconfig>\n", dir, dir);
    fclose(fp);
    assert_int_equal(tu_run(&out, "FONTCONFIG_FILE='%s' '%s' report park --db '%s' --park-id WZ01 --out '%s.nofont'",
                            conf, tu_gisd(), db, pdf), 1);
    assert_non_null(strstr(out, "fonts-wqy-zenhei"));
    free(out);
    assert_int_equal(tu_run(&out, "FONTCONFIG_FILE='%s' timeout 20 '%s' serve --db '%s' --listen 127.0.0.1:0", conf,
                            tu_gisd(), db), 1);
    assert_non_null(strstr(out, "fonts-wqy-zenhei"));
    free(out);
}

/* A site inside a district but outside every park, and a park with no
 * enterprises, still give whole reports. */
static void empty_parks_and_sites_outside_every_park(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("report-empty");
    char db[1400], parks[1400], site[1400], pdf[1400], *out;
    tu_db(db, sizeof db, dir, "city");
    snprintf(parks, sizeof parks, "%s/parks.geojson", dir);
    snprintf(site, sizeof site, "%s/site.json", dir);
    tu_import_reference(db);
    /* the city's parks and one more, far from every enterprise, inside a district */
    if (tu_run(&out, "'%s' export --db '%s' --layer parks --format geojson '%s/p.geojson' && python3 -c \""
                     "import json; fc=json.load(open('%s/p.geojson')); "
                     "fc['features'].append({'type':'Feature','properties':{'park_id':'EMPTY','name':'空园区','level':'provincial',"
                     "'planned_area_km2':1,'circular_retrofit':0,'industries':''},'geometry':{'type':'Polygon','coordinates':"
                     "[[[120.40,27.72],[120.41,27.72],[120.41,27.73],[120.40,27.73],[120.40,27.72]]]}}); "
                     "json.dump(fc, open('%s','w'), ensure_ascii=False)\" && "
                     "'%s' import --quiet --db '%s' '%s' --layer parks",
               tu_gisd(), refdb, dir, dir, parks, tu_gisd(), db, parks) != 0)
        fail_msg("adding an empty park: %s", out);
    free(out);
    assert_int_equal(tu_run(&out, "'%s' analyze park-scorecard --db '%s' --park-id EMPTY", tu_gisd(), db), 0);
    json_t *card = tu_json_text(out);
    free(out);
    assert_int_equal((long)num(card, "heating.enterprises"), 0);
    assert_int_equal((long)num(card, "hazardous_waste.producers"), 0);
    assert_true(json_is_null(json_object_get(json_object_get(card, "hazardous_waste"), "share_served")));
    assert_int_equal((long)num(card, "symbiosis.demands"), 0);
    json_decref(card);
    snprintf(pdf, sizeof pdf, "%s/empty.pdf", dir);
    if (tu_run(&out, "'%s' report park --db '%s' --park-id EMPTY --out '%s'", tu_gisd(), db, pdf) != 0)
        fail_msg("report of an empty park: %s", out);
    free(out);
    assert_true(pdf_pages(pdf) >= 3);
    char *text = pdf_text(pdf, 0);
    assert_non_null(strstr(text, "空园区"));
    assert_non_null(strstr(text, "可处置比例"));
    assert_non_null(strstr(text, "无法评价")); /* no waste, no share to judge against its target */
    assert_non_null(strstr(text, "园区内没有燃煤锅炉"));
    free(text);

    /* a site in the empty park's district but in no park: not compliant, and still a whole report */
    FILE *f = fopen(site, "w");
    assert_non_null(f);
    fputs("{\"type\":\"Feature\",\"properties\":{\"id\":\"outside\",\"project_class\":\"M1\",\"coal_boiler_tph\":0},"
          "\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.45,27.75]}}", f);
    fclose(f);
    snprintf(pdf, sizeof pdf, "%s/outside.pdf", dir);
    if (tu_run(&out, "'%s' analyze site-check --db '%s' --site '%s' --format pdf --out '%s'", tu_gisd(), db, site, pdf) != 0)
        fail_msg("report of a site outside every park: %s", out);
    free(out);
    text = pdf_text(pdf, 0);
    assert_non_null(strstr(text, "不合规 not compliant"));
    assert_non_null(strstr(text, "不通过 fail"));
    assert_non_null(strstr(text, "outside"));
    free(text);
    /* a PDF of another analysis is refused */
    assert_int_equal(tu_run(&out, "'%s' analyze heating-coverage --db '%s' --format pdf", tu_gisd(), db), 1);
    assert_non_null(strstr(out, "pdf"));
    free(out);
}

static void land_use_colours_are_the_styles(void **state)
{
    (void)state;
    char path[1200];
    snprintf(path, sizeof path, "%s/styles/planning.json", tu_root());
    json_t *style = tu_json_file(path);
    json_t *layers = json_object_get(style, "layers"), *l, *match = NULL;
    size_t i;
    json_array_foreach(layers, i, l)
        if (strcmp(json_string_value(json_object_get(l, "id")), "zones-fill") == 0)
            match = json_object_get(json_object_get(l, "paint"), "fill-color");
    assert_non_null(match);
    size_t n = json_array_size(match), checked = 0;
    for (size_t k = 2; k + 1 < n; k += 2) {
        json_t *label = json_array_get(match, k);
        /* a label is a string or an array of strings */
        for (size_t m = 0; m < (json_is_array(label) ? json_array_size(label) : 1); m++) {
            const char *code = json_string_value(json_is_array(label) ? json_array_get(label, m) : label);
            assert_string_equal(report_landuse_colour(code), json_string_value(json_array_get(match, k + 1)));
            checked++;
        }
    }
    assert_true(checked >= 10);
    json_decref(style);
}

/* The print view: a map of an area on the paper asked for, with its title,
 * date, the data's version and the legend of what it draws; the same from
 * the command line; bad questions a 400 or exit 1. */
static void a_map_printed_on_a3(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("report-print");
    char pdf[1300], *out;
    snprintf(pdf, sizeof pdf, "%s/print.pdf", dir);
    int rc = tu_run(&out, "curl -s -o '%s' -w '%%{http_code} %%{content_type}' '%s/print?bbox=120.55,27.9,120.85,28.1"
                          "&size=A3&orientation=portrait&title=%%E5%%9B%%9E%%E6%%94%%B6%%E7%%BD%%91%%E7%%BB%%9C%%E5%%9B%%BE'",
                    pdf, srv.base);
    assert_int_equal(rc, 0);
    assert_string_equal(out, "200 application/pdf");
    free(out);
    assert_int_equal(tu_run(&out, "pdfinfo '%s'", pdf), 0);
    assert_non_null(strstr(out, "841.89 x 1190.55")); /* A3 portrait (pdf_pages asks A4) */
    assert_non_null(strstr(out, "Pages:           1"));
    free(out);
    char *text = pdf_text(pdf, 0);
    static const char *const needles[] = {"回收网络图", "日期", "数据 wenzhou", "EPSG:4549", "A3 纵向",
                                          "社区回收点", "国家级园区", "行政区界", "用地 M1",
                                          "瓯海区", "浙江温州鹿城轻工产业园区"}; /* names on the map */
    for (size_t i = 0; i < sizeof needles / sizeof *needles; i++)
        if (!strstr(text, needles[i]))
            fail_msg("the printed map lacks \"%s\"", needles[i]);
    free(text);
    /* the map is drawn: its roads, districts and points (the land is near white, as in the styles; a blank page holds only its title) */
    image im = render_page(pdf, 1);
    if (pixels_not_white(&im) <= (long)im.w * im.h / 30)
        fail_msg("the printed page is blank: %ld of %ld pixels drawn", pixels_not_white(&im), (long)im.w * im.h);
    assert_true(pixels_near(&im, "#43a047", 30) > 20); /* community recycling points */
    free(im.rgb);
    /* only the layers asked for, and their legend only; from the command line */
    rc = tu_run(&out, "'%s' report print --db '%s' --bbox 120.55,27.9,120.85,28.1 --layers recycling_points,districts "
                      "--out '%s/cli.pdf' 2>&1",
                tu_gisd(), refdb, dir);
    if (rc != 0)
        fail_msg("gisd report print: %s", out);
    free(out);
    snprintf(pdf, sizeof pdf, "%s/cli.pdf", dir);
    assert_int_equal(tu_run(&out, "pdfinfo '%s' | grep 'Page size'", pdf), 0);
    assert_non_null(strstr(out, "841.89 x 595.276")); /* A4 landscape by default */
    free(out);
    text = pdf_text(pdf, 0);
    assert_non_null(strstr(text, "社区回收点"));
    assert_null(strstr(text, "用地"));
    assert_non_null(strstr(text, "规划图"));
    free(text);
    static const char *const BAD[][2] = {{"/print", "bbox"},
                                         {"/print?bbox=120,28", "minlon,minlat,maxlon,maxlat"},
                                         {"/print?bbox=121,28,120,29", "minlon < maxlon"},
                                         {"/print?bbox=100,20,125,30", "wider than 10 degrees"},
                                         {"/print?bbox=120,27,121,28&size=A5", "size"},
                                         {"/print?bbox=120,27,121,28&layers=zones,nope", "is not drawn on a printed map"},
                                         {"/print?bbox=120,27,121,28&scale=5", "takes no parameter"}};
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        char *body;
        int st = tu_http(&srv, "GET", BAD[i][0], NULL, &body, NULL);
        if (st != 400 || !strstr(body, BAD[i][1]))
            fail_msg("%s answered %d: %s", BAD[i][0], st, body);
        free(body);
    }
    assert_int_equal(tu_run(&out, "'%s' report print --db '%s' --bbox x --out '%s/x.pdf' 2>&1", tu_gisd(), refdb, dir), 1);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scorecard_numbers_come_from_their_analyses),
        cmocka_unit_test(scorecard_errors),
        cmocka_unit_test(a_park_report_in_pdf),
        cmocka_unit_test(a_park_map_as_png),
        cmocka_unit_test(a_site_check_as_a_compliance_opinion),
        cmocka_unit_test(an_opinion_names_the_project_the_nearest_park_and_its_standards),
        cmocka_unit_test(an_opinion_map_draws_its_evidence),
        cmocka_unit_test(empty_parks_and_sites_outside_every_park),
        cmocka_unit_test(long_names_and_a_missing_font),
        cmocka_unit_test(land_use_colours_are_the_styles),
        cmocka_unit_test(a_map_printed_on_a3),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
