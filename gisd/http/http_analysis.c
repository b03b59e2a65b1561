/* /analysis/{name}: the planning analyses over HTTP, through analysis_dispatch
 * like `gisd analyze`, on the job pool (never on an HTTP thread) with the
 * request's deadline. */
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "catalog.h"
#include "http.h"
#include "report.h"
#include "routes.h"
#include "xalloc.h"

/* What the job needs: the entry, its checked values, the site. */
typedef struct {
    const catalog_entry *e;
    const layer_registry *reg;
    const site_rules *rules;
    param_values v;
    const char *file; /* site-check asked for as a file: pdf, csv, xlsx, zip; any answer as csv, xlsx; or NULL */
    json_t *site; /* owned */
} analysis_job;

static void job_free(void *arg)
{
    analysis_job *j = arg;
    json_decref(j->site);
    param_values_free(&j->v);
    free(j);
}

static void job_run(void *arg, worker *w, http_answer *out)
{
    analysis_job *j = arg;
    json_t *doc = NULL;
    if (j->file && strcmp(j->e->id, "site-check") != 0) {
        catalog_ctx ctx = {w->st, j->reg, j->rules, NULL, NULL, NULL};
        if (catalog_run(j->e, &ctx, &j->v, j->site, &doc, &out->err) != 0)
            return;
        http_answer_table(out, doc, j->file, j->e->id);
        return;
    }
    if (j->file) {
        strbuf b = {0};
        int srid, geojson;
        const char *media;
        if (analysis_setup(w->st, j->reg, &j->v, &srid, &geojson, &out->err) != 0 ||
            report_site_check_file(w->st, j->reg, j->rules, srid, j->site, &j->v, j->file, &b, &media, &out->err) != 0) {
            strbuf_free(&b);
            return;
        }
        http_answer_bytes(out, &b, media);
        return;
    }
    catalog_ctx ctx = {w->st, j->reg, j->rules, NULL, NULL, NULL};
    if (catalog_run(j->e, &ctx, &j->v, j->site, &doc, &out->err) != 0)
        return;
    const char *format = param_find(j->e->params, "format") ? param_text(&j->v, "format") : "json";
    http_answer_json(out, doc, ANALYSIS_JSON_FLAGS, strcmp(format, "geojson") == 0 ? MEDIA_GEOJSON : MEDIA_JSON);
}

/* A site-check answered as a file: f=pdf, csv, xlsx or zip, or Accept:
 * application/pdf (and no f); NULL for the JSON answers. */
static const char *wants_file(http_req *r)
{
    static const char *const FILES[] = {"pdf", "csv", "xlsx", "zip", NULL};
    const char *f = http_arg(r, "f");
    for (const char *const *k = FILES; f && *k; k++)
        if (strcmp(f, *k) == 0)
            return *k;
    const char *accept = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept");
    return !f && accept && strstr(accept, "application/pdf") != NULL ? "pdf" : NULL;
}

int http_query_params(http_req *r, const param_def *defs, const char *owner, int skip_f, param_values *v,
                      gisd_error *err)
{
    const char *names[PARAM_MAX + 2];
    size_t n = 0;
    int has_f = 0;
    for (const param_def *p = defs; p->name; p++) {
        names[n++] = strcmp(p->name, "format") == 0 ? "f" : p->name;
        has_f |= strcmp(names[n - 1], "f") == 0;
    }
    /* a file format (f=csv) is the door's, whether or not the answer has formats of its own */
    names[n] = skip_f && !has_f ? "f" : NULL;
    names[n + 1] = NULL;
    const char *unknown = http_unknown_arg(r, names, NULL);
    if (unknown) {
        strbuf known = {0};
        for (size_t k = 0; k < n; k++)
            strbuf_printf(&known, "%s%s", k ? ", " : "", names[k]);
        int rc = gisd_fail(err, GISD_E_INPUT, "%s takes no parameter \"%s\"; it takes %s", owner, unknown,
                           known.data);
        strbuf_free(&known);
        return rc;
    }
    for (size_t k = 0; k < n; k++) {
        const char *text = http_arg(r, names[k]);
        if (skip_f && strcmp(names[k], "f") == 0)
            continue; /* a file format, not the JSON answer's */
        if (text && param_set_text(v, defs[k].name, text, err) != 0)
            return -1;
    }
    return param_finish(v, err);
}

static enum MHD_Result run_id(http_req *r, const char *id, json_t *site)
{
    gisd_error err = {0};
    const catalog_entry *e = catalog_find(id, CATALOG_ANALYSIS);
    if (!e) {
        char ids[512];
        catalog_ids(CATALOG_ANALYSIS, ids, sizeof ids);
        json_decref(site);
        gisd_fail(&err, GISD_E_NOTFOUND, "there is no analysis \"%s\": %s", id, ids);
        return http_reply_gisd_error(r, &err);
    }
    analysis_job *j = xcalloc(1, sizeof *j);
    *j = (analysis_job){.e = e, .reg = r->reg, .rules = server_rules(r->srv), .site = site,
                        .file = site ? wants_file(r) : http_table_format(r)};
    catalog_values_init(e, &j->v);
    /* the cheap checks answer at once; the work itself goes to the job pool */
    if (http_query_params(r, e->params, e->id, j->file != NULL, &j->v, &err) != 0) {
        job_free(j);
        return http_reply_gisd_error(r, &err);
    }
    return server_defer(r, job_run, j, job_free);
}

static enum MHD_Result run(http_req *r, json_t *site) { return run_id(r, r->params[0], site); }

enum MHD_Result http_roads_network(http_req *r)
{
    if (strcmp(r->params[0], "roads") != 0)
        return http_reply_error(r, 404, "NotFound", "only the roads collection is a network: /collections/roads/network");
    return run_id(r, "network-check", NULL);
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
    /* srs, or OGC API Part 4's Content-Crs header, names the CRS of a body
     * that states none */
    const char *srs = http_arg(r, "srs");
    if (!srs)
        srs = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Crs");
    gisd_error err = {0};
    json_t *site = NULL;
    if (site_input_read(r->body, r->body_len, NULL, srs, &site, &err) != 0)
        return http_reply_gisd_error(r, &err);
    return run(r, site);
}

enum MHD_Result http_site_rules(http_req *r)
{
    return http_reply_json(r, 200, rules_json(server_rules(r->srv)), MEDIA_JSON);
}
