/* /analysis/{name}: the planning analyses over HTTP, through analysis_dispatch
 * like `gisd analyze`, on the job pool (never on an HTTP thread) with the
 * request's deadline. */
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "http.h"
#include "report.h"
#include "routes.h"
#include "xalloc.h"

static const char *const ARGS[] = {"radius_m", "park_id", "capable", "max_km",
                                   "level", "f", "analysis_crs", NULL};

/* What the job needs; the strings are the connection's, alive while it waits. */
typedef struct {
    const layer_registry *reg;
    const site_rules *rules;
    char *name; /* owned: the route's segments do not outlive the first call */
    analysis_args args;
    int pdf;      /* site-check asked for as a PDF report */
    json_t *site; /* owned */
} analysis_job;

static void job_free(void *arg)
{
    analysis_job *j = arg;
    json_decref(j->site);
    free(j->name);
    free(j);
}

static void job_run(void *arg, worker *w, http_answer *out)
{
    analysis_job *j = arg;
    json_t *doc = NULL;
    if (j->pdf) {
        strbuf b = {0};
        if (report_site_check_pdf(w->st, j->reg, j->rules, &j->args, j->site, &b, &out->err) != 0) {
            strbuf_free(&b);
            return;
        }
        out->status = 200;
        out->body = b.data;
        out->len = b.len;
        out->type = "application/pdf";
        return;
    }
    if (analysis_dispatch(w->st, j->reg, j->rules, j->name, &j->args, j->site, &doc, &out->err) != 0)
        return;
    http_answer_json(out, doc, ANALYSIS_JSON_FLAGS,
                     j->args.format && strcmp(j->args.format, "geojson") == 0 ? MEDIA_GEOJSON : MEDIA_JSON);
}

/* A site-check answered as its PDF report: asked for with Accept:
 * application/pdf (and no f). */
static int wants_pdf(http_req *r)
{
    const char *accept = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept");
    return !http_arg(r, "f") && accept && strstr(accept, "application/pdf") != NULL;
}

static enum MHD_Result run(http_req *r, json_t *site)
{
    const char *unknown = http_unknown_arg(r, ARGS, NULL);
    if (unknown) {
        json_decref(site);
        return http_reply_error(r, 400, "InvalidParameterValue",
                                "unknown parameter \"%s\"; the analyses take radius_m, park_id, "
                                "capable, max_km, level, f and analysis_crs", unknown);
    }
    analysis_job *j = xcalloc(1, sizeof *j);
    *j = (analysis_job){.reg = r->reg, .rules = server_rules(r->srv), .name = xstrdup(r->params[0]),
                        .site = site,
                        .args = {http_arg(r, "radius_m"), http_arg(r, "park_id"),
                                 http_arg(r, "capable"), http_arg(r, "max_km"),
                                 http_arg(r, "level"), http_arg(r, "f"),
                                 http_arg(r, "analysis_crs")},
                        .pdf = site && wants_pdf(r)};
    /* the cheap checks answer at once; the work itself goes to the job pool */
    gisd_error err = {0};
    if (analysis_check(j->name, &j->args, &err) != 0) {
        job_free(j);
        return http_reply_gisd_error(r, &err);
    }
    return server_defer(r, job_run, j, job_free);
}

enum MHD_Result http_analysis_get(http_req *r)
{
    if (strcmp(r->params[0], "site-check") == 0)
        return http_reply_error(r, 405, "MethodNotAllowed",
                                "site-check takes the site as a POST body (a GeoJSON Feature)");
    return run(r, NULL);
}

enum MHD_Result http_analysis_post(http_req *r)
{
    if (strcmp(r->params[0], "site-check") != 0)
        return http_reply_error(r, 405, "MethodNotAllowed", "only site-check takes a POST body");
    if (!r->body || r->body_len == 0)
        return http_reply_error(r, 400, "InvalidParameterValue",
                                "the body must be the site as a GeoJSON Feature");
    json_error_t jerr;
    json_t *site = json_loadb(r->body, r->body_len, 0, &jerr);
    if (!site)
        return http_reply_error(r, 400, "InvalidParameterValue",
                                "the body is not JSON: line %d, column %d: %s", jerr.line, jerr.column,
                                jerr.text);
    return run(r, site);
}
