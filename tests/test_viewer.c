/* Styles and the viewer: every style passes MapLibre's own validator, as
 * committed and as served; the landing page negotiates HTML for browsers;
 * and the viewer runs in a real headless Chromium (tests/viewer_check.mjs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glyphs.h"
#include "glyphs.pb-c.h"
#include "testutil.h"

static char db[1200];
static tu_server srv;

static int setup(void **state)
{
    (void)state;
    tu_serve_reference("viewer", db, sizeof db, &srv);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    return 0;
}

static int validate(const char *file, char **out)
{
    return tu_run(out, "cd '%s' && node_modules/.bin/gl-style-validate '%s'", tu_root(), file);
}

static void styles_pass_the_maplibre_validator(void **state)
{
    (void)state;
    char *out;
    int rc = tu_run(&out, "ls '%s'/styles/*.json | wc -l", tu_root());
    assert_true(atoi(out) >= 2);
    free(out);
    rc = tu_run(&out, "cd '%s' && node_modules/.bin/gl-style-validate styles/*.json", tu_root());
    if (rc != 0)
        fail_msg("gl-style-validate: %s", out);
    free(out);
    /* as served, with this server's absolute URLs */
    const char *dir = tu_tmpdir("viewer-styles");
    char *body;
    assert_int_equal(tu_http(&srv, "GET", "/styles/planning.json", NULL, &body, NULL), 200);
    char served[1300];
    snprintf(served, sizeof served, "%s/planning.json", dir);
    FILE *f = fopen(served, "w");
    fputs(body, f);
    fclose(f);
    assert_non_null(strstr(body, srv.base));
    free(body);
    rc = validate(served, &out);
    if (rc != 0)
        fail_msg("the served style: %s", out);
    free(out);
    /* the validator does reject a broken style: a layer of an unknown type */
    char broken[1300];
    snprintf(broken, sizeof broken, "%s/broken.json", dir);
    rc = tu_run(&out, "sed 's/\"type\":\"circle\"/\"type\":\"blob\"/' '%s' > '%s'", served, broken);
    free(out);
    assert_int_not_equal(validate(broken, &out), 0);
    free(out);
    assert_int_equal(tu_http(&srv, "GET", "/styles", NULL, &body, NULL), 200);
    assert_non_null(strstr(body, "/styles/recycling.json"));
    free(body);
    assert_int_equal(tu_http(&srv, "GET", "/styles/none.json", NULL, &body, NULL), 404);
    free(body);
}

static void landing_page_negotiates_html_and_json(void **state)
{
    (void)state;
    char *out;
    tu_run(&out, "curl -s -H 'Accept: text/html,application/xhtml+xml' '%s/'", srv.base);
    assert_non_null(strstr(out, "<!doctype html>"));
    assert_non_null(strstr(out, "/vendor/maplibre-gl.js"));
    free(out);
    tu_run(&out, "curl -s -H 'Accept: text/html' '%s/?f=json'", srv.base);
    assert_non_null(strstr(out, "\"conformance\""));
    free(out);
    tu_run(&out, "curl -s -H 'Accept: application/json' '%s/'", srv.base);
    assert_non_null(strstr(out, "\"links\""));
    free(out);
    tu_run(&out, "curl -s -o /dev/null -w '%%{http_code} %%{content_type}' '%s/vendor/maplibre-gl.js'",
           srv.base);
    assert_non_null(strstr(out, "200 text/javascript"));
    free(out);
    tu_run(&out, "curl -s --path-as-is -o /dev/null -w '%%{http_code}' '%s/viewer/..%%2Fviewer.js'",
           srv.base);
    assert_string_equal(out, "404");
    free(out);
}

static void viewer_works_in_headless_chromium(void **state)
{
    (void)state;
    char *park;
    /* a point inside the first park, and its name, from the API */
    int rc = tu_run(&park, "curl -s '%s/collections/parks/items/WZ01' | /usr/bin/python3 -c "
                           "\"import json,sys; print(json.load(sys.stdin)['properties']['name'])\"",
                    srv.base);
    assert_int_equal(rc, 0);
    park[strcspn(park, "\n")] = '\0';
    char shot[1200];
    snprintf(shot, sizeof shot, "%s/build/viewer.png", tu_root());
    char *out;
    /* 120.8121, 27.8280 lies inside WZ01, well away from its edges */
    rc = tu_run(&out, "cd '%s' && node tests/viewer_check.mjs '%s' '%s' 120.812091 27.828005 '%s'",
                tu_root(), srv.base, shot, park);
    int ok = rc == 0 && strstr(out, "ok:") != NULL;
    if (!ok)
        print_error("viewer: %s\n", out);
    free(out);
    free(park);
    assert_true(ok);
    tu_run(&out, "test -s '%s' && echo saved", shot);
    assert_non_null(strstr(out, "saved"));
    free(out);
}

/* The planner reads tables: an analysis and an optimisation run from the
 * panel answer as tables under Chinese headers, sortable, with downloads
 * that answer; Clear clears (tests/viewer_tables.mjs). */
static void the_viewer_answers_in_tables(void **state)
{
    (void)state;
    /* the page reads the HTTP API, whose answers the store suites check on both stores: once is enough */
    if (tu_on_pg()) {
        print_message("skipped on PostgreSQL: the tables read the same API as on SpatiaLite\n");
        skip();
    }
    char *out;
    assert_int_equal(tu_run(&out, "mkdir -p '%s/build/screenshots'", tu_root()), 0);
    free(out);
    int rc = tu_run(&out, "cd '%s' && timeout 240 node tests/viewer_tables.mjs '%s' build/screenshots 2>&1", tu_root(),
                    srv.base);
    if (rc != 0)
        fail_msg("the viewer's tables: %s", out);
    free(out);
}

/* A glyph range as MapLibre reads it: every printable ASCII glyph with its
 * signed distance field (a 3-pixel border around the glyph) and metrics. */
static void glyph_ranges_hold_sdf_glyphs(void **state)
{
    (void)state;
    glyphs *g;
    gisd_error err = {0};
    if (glyphs_open(GLYPHS_FONT_DEFAULT, &g, &err) != 0)
        fail_msg("%s", err.message);
    strbuf pbf = {0};
    assert_int_equal(glyphs_range(g, "Noto Sans Regular", 0, &pbf, &err), 0);
    Llmr__Glyphs__Glyphs *doc = llmr__glyphs__glyphs__unpack(NULL, pbf.len, (const uint8_t *)pbf.data);
    assert_non_null(doc);
    assert_int_equal(doc->n_stacks, 1);
    Llmr__Glyphs__Fontstack *fs = doc->stacks[0];
    assert_string_equal(fs->name, "Noto Sans Regular");
    assert_string_equal(fs->range, "0-255");
    int printable = 0;
    for (size_t i = 0; i < fs->n_glyphs; i++) {
        Llmr__Glyphs__Glyph *gl = fs->glyphs[i];
        if (gl->id > 32 && gl->id < 127) {
            printable++;
            assert_true(gl->has_bitmap);
            assert_int_equal(gl->bitmap.len, (gl->width + 6) * (gl->height + 6));
            assert_true(gl->advance > 0);
        }
        if (gl->id == '4') {
            /* the edge (192) runs through the glyph: some pixels inside, some out */
            int in = 0, out = 0;
            for (size_t k = 0; k < gl->bitmap.len; k++)
                gl->bitmap.data[k] >= 192 ? in++ : out++;
            assert_true(in > 10 && out > 10);
        }
    }
    assert_int_equal(printable, 94);
    llmr__glyphs__glyphs__free_unpacked(doc, NULL);
    strbuf_free(&pbf);
    pbf = (strbuf){0};
    assert_int_not_equal(glyphs_range(g, "x", 100, &pbf, &err), 0);
    strbuf_free(&pbf);
    glyphs_close(g);
    char *body;
    assert_int_equal(tu_http(&srv, "GET", "/fonts/Noto%20Sans%20Regular/19968-20223.pbf", NULL, &body, NULL), 200);
    free(body);
    assert_int_equal(tu_http(&srv, "GET", "/fonts/Noto%20Sans%20Regular/1-256.pbf", NULL, &body, NULL), 400);
    free(body);
}

/* The planner's workbench (tests/workbench_check.mjs): a scenario made, a
 * point drawn in it with terra-draw, an analysis run there, the compare view. */
static void the_workbench_draws_runs_and_compares(void **state)
{
    (void)state;
    char *tok, *out;
    assert_int_equal(tu_run(&tok, "'%s' token add --db '%s' --name planner --scope admin:scenarios "
                                  "--scope write:scenarios 2>/dev/null | tail -1",
                            tu_gisd(), db),
                     0);
    tok[strcspn(tok, "\n")] = 0;
    int rc = tu_run(&out, "cd '%s' && timeout 180 node tests/workbench_check.mjs '%s' '%s' build/tmp/workbench.png 2>&1", tu_root(),
                    srv.base, tok);
    if (rc != 0)
        fail_msg("the workbench: %s", out);
    assert_non_null(strstr(out, "ok: drew"));
    free(out);
    free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(styles_pass_the_maplibre_validator),
        cmocka_unit_test(landing_page_negotiates_html_and_json),
        cmocka_unit_test(glyph_ranges_hold_sdf_glyphs),
        cmocka_unit_test(viewer_works_in_headless_chromium),
        cmocka_unit_test(the_viewer_answers_in_tables),
        cmocka_unit_test(the_workbench_draws_runs_and_compares),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
