/* /parks/{park_id}/scorecard, /report.pdf and /map.png: a park's scorecard
 * and the reports drawn from it, on the job pool like the analyses (drawing
 * a report takes the analyses' time and more). */
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "catalog.h"
#include "http.h"
#include "qgis_project.h"
#include "report.h"
#include "routes.h"
#include "xalloc.h"

typedef enum { PARK_SCORECARD, PARK_PDF, PARK_PNG } park_output;

typedef struct {
    const layer_registry *reg;
    const site_rules *rules;
    park_output what;
    char *park_id; /* owned: the route's segments do not outlive the first call */
    const char *analysis_crs;
    int width, height;
} park_job;

static void park_job_free(void *arg)
{
    park_job *j = arg;
    free(j->park_id);
    free(j);
}

static void park_job_run(void *arg, worker *w, http_answer *out)
{
    park_job *j = arg;
    if (j->what == PARK_SCORECARD) {
        const catalog_entry *e = catalog_find("park-scorecard", CATALOG_ANALYSIS);
        param_values v;
        catalog_values_init(e, &v);
        catalog_ctx ctx = {w->st, j->reg, j->rules, NULL, NULL, NULL};
        json_t *doc = NULL;
        if (param_set_text(&v, "park_id", j->park_id, &out->err) == 0 &&
            (!j->analysis_crs || param_set_text(&v, "analysis_crs", j->analysis_crs, &out->err) == 0) &&
            param_finish(&v, &out->err) == 0 && catalog_run(e, &ctx, &v, NULL, &doc, &out->err) == 0)
            http_answer_json(out, doc, ANALYSIS_JSON_FLAGS, MEDIA_JSON);
        param_values_free(&v);
        return;
    }
    strbuf b = {0};
    int rc = j->what == PARK_PDF
                 ? report_park_pdf(w->st, j->reg, j->rules, j->analysis_crs, j->park_id, &b, &out->err)
                 : report_park_png(w->st, j->reg, j->rules, j->analysis_crs, j->park_id, j->width, j->height,
                                   &b, &out->err);
    if (rc != 0) {
        strbuf_free(&b);
        return;
    }
    http_answer_bytes(out, &b, j->what == PARK_PDF ? "application/pdf" : "image/png");
}

static int dimension(const char *text, int dflt, int *out)
{
    if (!text) {
        *out = dflt;
        return 0;
    }
    char *end;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < REPORT_PNG_MIN || v > REPORT_PNG_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

enum MHD_Result http_park(http_req *r)
{
    static const struct {
        const char *name;
        park_output what;
        const char *const args[4];
    } OUTPUTS[] = {{"scorecard", PARK_SCORECARD, {"analysis_crs", NULL}},
                   {"report.pdf", PARK_PDF, {"analysis_crs", NULL}},
                   {"map.png", PARK_PNG, {"analysis_crs", "width", "height", NULL}}};
    size_t k = 0;
    while (k < sizeof OUTPUTS / sizeof *OUTPUTS && strcmp(OUTPUTS[k].name, r->params[1]) != 0)
        k++;
    if (k == sizeof OUTPUTS / sizeof *OUTPUTS)
        return http_reply_error(r, 404, "NotFound", "a park has /scorecard, /report.pdf and /map.png");
    const char *unknown = http_unknown_arg(r, OUTPUTS[k].args, NULL);
    if (unknown)
        return http_reply_error(r, 400, "InvalidParameterValue", "unknown parameter \"%s\" for %s", unknown,
                                OUTPUTS[k].name);
    park_job *j = xcalloc(1, sizeof *j);
    *j = (park_job){.reg = r->reg, .rules = server_rules(r->srv), .what = OUTPUTS[k].what,
                    .park_id = xstrdup(r->params[0]), .analysis_crs = http_arg(r, "analysis_crs")};
    if (dimension(http_arg(r, "width"), 1200, &j->width) != 0 ||
        dimension(http_arg(r, "height"), 900, &j->height) != 0) {
        park_job_free(j);
        return http_reply_error(r, 400, "InvalidParameterValue", "width and height must be %d to %d pixels",
                                REPORT_PNG_MIN, REPORT_PNG_MAX);
    }
    return server_defer(r, park_job_run, j, park_job_free);
}

enum MHD_Result http_qgis_project(http_req *r)
{
    static const char *const none[] = {NULL};
    const char *unknown = http_unknown_arg(r, none, NULL);
    if (unknown)
        return http_reply_error(r, 400, "InvalidParameterValue", "/qgis/project.qgz takes no parameter \"%s\"", unknown);
    gisd_error err = {0};
    strbuf qgz = {0};
    worker *w = server_worker_for(r->srv, r->scenario, &err);
    int rc = w ? qgis_project_qgz(w->st, r->reg, r->base, server_config_of(r->srv)->styles_dir,
                                  server_config_of(r->srv)->basemap, &qgz, &err) : -1;
    server_worker_release(r->srv, w);
    if (rc != 0) {
        strbuf_free(&qgz);
        return http_reply_gisd_error(r, &err);
    }
    static const char *const headers[][2] = {{"Content-Type", "application/zip"},
                                             {"Content-Disposition", "attachment; filename=\"gisd.qgz\""},
                                             {"Cache-Control", "no-cache"},
                                             {NULL, NULL}};
    return http_send_owned(r, 200, qgz.data, qgz.len, headers);
}

/* ---- GET /print: a map of any area as a PDF to print ---- */

typedef struct {
    const layer_registry *reg;
    param_values v;
} print_job;

static void print_job_free(void *arg)
{
    print_job *j = arg;
    param_values_free(&j->v);
    free(j);
}

static void print_job_run(void *arg, worker *w, http_answer *out)
{
    print_job *j = arg;
    int srid;
    strbuf b = {0};
    if (analysis_crs_resolve(w->st, j->reg, (int)param_num(&j->v, "analysis_crs"), &srid, &out->err) != 0 ||
        report_print_pdf(w->st, j->reg, srid, &j->v, &b, &out->err) != 0) {
        strbuf_free(&b);
        return;
    }
    http_answer_bytes(out, &b, "application/pdf");
}

enum MHD_Result http_print(http_req *r)
{
    print_job *j = xcalloc(1, sizeof *j);
    j->reg = r->reg;
    param_values_init(&j->v, PRINT_PARAMS, "/print");
    gisd_error err = {0};
    if (http_query_params(r, PRINT_PARAMS, "/print", 0, &j->v, &err) != 0) {
        print_job_free(j);
        return http_reply_gisd_error(r, &err);
    }
    return server_defer(r, print_job_run, j, print_job_free);
}
