/* QGIS as a client: Debian's QGIS 3.22 headless (python3-qgis, Qt offscreen)
 * opens the server's one-click project, renders the city and converts the
 * planning style (tests/qgis_check.py); the command line writes the same
 * project as /qgis/project.qgz. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char refdb[1200];
static tu_server srv;

static int setup(void **state)
{
    (void)state;
    tu_serve_reference("qgis", refdb, sizeof refdb, &srv);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    return 0;
}

static void qgis_opens_the_project_and_draws_the_city(void **state)
{
    (void)state;
    char *out;
    /* the analysis CRS the import recorded, which the project must use */
    assert_int_equal(tu_sql(&out, refdb, "SELECT value FROM gisd_meta WHERE key='analysis_crs'"), 0);
    out[strcspn(out, "\n")] = 0;
    char crs[64];
    snprintf(crs, sizeof crs, "%s", out);
    free(out);
    assert_non_null(strstr(crs, "EPSG:"));
    int rc = tu_run(&out, "/usr/bin/python3 '%s/tests/qgis_check.py' '%s' '%s' '%s' 2>&1 | grep -v XDG_RUNTIME_DIR",
                    tu_root(), srv.base, tu_root(), crs);
    if (rc != 0 || !strstr(out, "ok:"))
        fail_msg("qgis_check: %s", out);
    free(out);
}

static void the_command_line_writes_the_same_project(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("qgis-cli");
    char *out;
    int rc = tu_run(&out, "cd '%s' && '%s' qgis-project --db '%s' --url '%s/' --out cli.qgz && "
                          "curl -sf -o http.qgz '%s/qgis/project.qgz' && "
                          "unzip -p cli.qgz gisd.qgs > cli.qgs && unzip -p http.qgz gisd.qgs > http.qgs && "
                          "cmp cli.qgs http.qgs && grep -c 'providerKey=\"OAPIF\"' cli.qgs",
                    dir, tu_gisd(), refdb, srv.base, srv.base);
    if (rc != 0)
        fail_msg("gisd qgis-project: %s", out);
    assert_int_equal(atoi(out), 11);
    free(out);
    /* a URL that is not one is refused */
    assert_int_equal(tu_run(&out, "'%s' qgis-project --db '%s' --url localhost:8080 --out '%s/x.qgz'", tu_gisd(),
                            refdb, dir), 2);
    free(out);
    char *body;
    assert_int_equal(tu_http(&srv, "GET", "/qgis/project.qgz?x=1", NULL, &body, NULL), 400);
    free(body);
}

/* A deployment's basemap in the project: an XYZ raster layer QGIS reads as
 * valid, drawn under everything, its template the one configured. */
static void a_basemap_lies_under_the_project(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("qgis-basemap");
    char *out;
    int rc = tu_run(&out, "cd '%s' && '%s' qgis-project --db '%s' --url '%s/' --basemap 'http://127.0.0.1:9/vec_w/{z}/{x}/{y}.png' "
                          "--out base.qgz 2>&1",
                    dir, tu_gisd(), refdb, srv.base);
    if (rc != 0)
        fail_msg("gisd qgis-project --basemap: %s", out);
    free(out);
    rc = tu_run(&out, "cd '%s' && QT_QPA_PLATFORM=offscreen /usr/bin/python3 -c \""
                      "from qgis.core import QgsApplication, QgsProject\n"
                      "app = QgsApplication([], False); app.initQgis()\n"
                      "p = QgsProject.instance(); assert p.read('base.qgz')\n"
                      "order = [l.name() for l in p.layerTreeRoot().layerOrder()]\n"
                      "b = [l for l in p.mapLayers().values() if l.name() == '底图 basemap'][0]\n"
                      "print(b.isValid(), b.providerType(), order[-1], 'vec_w' in b.source() and '%%7Bz%%7D' in b.source())\n"
                      "\" 2>&1 | tail -1",
                dir);
    if (rc != 0 || !strstr(out, "True wms 底图 basemap True"))
        fail_msg("QGIS on the basemap project: %s", out);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(qgis_opens_the_project_and_draws_the_city),
        cmocka_unit_test(the_command_line_writes_the_same_project),
        cmocka_unit_test(a_basemap_lies_under_the_project),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
