/* /opinions: the register of compliance opinions. POST issues one (a token
 * with issue:opinions), on the job pool with its own read-write handle;
 * GET lists them and gives one by its number, as JSON or as its PDF. */
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "auth.h"
#include "catalog.h"
#include "http.h"
#include "report.h"
#include "routes.h"
#include "xalloc.h"

typedef struct {
    const layer_registry *reg;
    const site_rules *rules;
    const char *db_path;
    param_values v;
    json_t *site; /* owned */
    char who[128];
} issue_job;

static void issue_free(void *arg)
{
    issue_job *j = arg;
    json_decref(j->site);
    param_values_free(&j->v);
    free(j);
}

/* The number as a path segment of a link. */
static void number_path(const char *number, strbuf *out)
{
    strbuf_printf(out, "/opinions/");
    http_url_encode(number, out);
}

static void issue_run(void *arg, worker *w, http_answer *out)
{
    (void)w; /* an issue writes: a handle of its own, as the edits have */
    issue_job *j = arg;
    store *st = NULL;
    json_t *rec = NULL;
    if (store_open(j->db_path, STORE_READWRITE, j->reg, &st, NULL, &out->err) != 0)
        return;
    int rc = opinion_issue(st, j->reg, j->rules, j->site, &j->v, j->who, &rec, &out->err);
    store_close(st);
    if (rc != 0)
        return;
    strbuf path = {0};
    number_path(json_string_value(json_object_get(rec, "number")), &path);
    snprintf(out->location, sizeof out->location, "%s", path.data);
    strbuf_free(&path);
    http_answer_json(out, rec, JSON_COMPACT, MEDIA_JSON);
    out->status = 201;
}

enum MHD_Result http_opinion_issue(http_req *r)
{
    char who[128];
    enum MHD_Result ret;
    if (!http_opinion_issue_allowed(r, who, &ret))
        return ret;
    if (!r->body || r->body_len == 0)
        return http_reply_error(r, 400, "InvalidParameterValue",
                                "the body must be the site: a GeoJSON Feature with name, applicant, reviewer, "
                                "project_class and coal_boiler_tph, or a file as site-check takes");
    const catalog_entry *e = catalog_find("site-check", CATALOG_ANALYSIS);
    static const char *const ALLOWED[] = {"srs", "project_class", "coal_boiler_tph", "analysis_crs", NULL};
    const char *unknown = http_unknown_arg(r, ALLOWED, NULL);
    if (unknown)
        return http_reply_error(r, 400, "InvalidParameterValue",
                                "POST /opinions takes no parameter \"%s\"; it takes srs, project_class, "
                                "coal_boiler_tph, analysis_crs", unknown);
    gisd_error err = {0};
    issue_job *j = xcalloc(1, sizeof *j);
    *j = (issue_job){.reg = r->reg, .rules = server_rules(r->srv), .db_path = server_config_of(r->srv)->db_path};
    snprintf(j->who, sizeof j->who, "%s", who);
    catalog_values_init(e, &j->v);
    int rc = 0;
    for (const char *const *k = ALLOWED; rc == 0 && *k; k++) {
        const char *text = http_arg(r, *k);
        if (text)
            rc = param_set_text(&j->v, *k, text, &err);
    }
    if (rc == 0)
        rc = param_finish(&j->v, &err);
    const char *srs = param_given(&j->v, "srs") ? param_text(&j->v, "srs") : NULL;
    if (!srs)
        srs = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Crs");
    if (rc == 0)
        rc = site_input_read(r->body, r->body_len, NULL, srs, &j->site, &err);
    if (rc != 0) {
        issue_free(j);
        return http_reply_gisd_error(r, &err);
    }
    return server_defer(r, issue_run, j, issue_free);
}

enum MHD_Result http_opinions(http_req *r)
{
    static const char *const ALLOWED[] = {"site_id", "pdf_sha256", "f", NULL};
    const char *unknown = http_unknown_arg(r, ALLOWED, NULL);
    if (unknown)
        return http_reply_error(r, 400, "InvalidParameterValue",
                                "/opinions takes no parameter \"%s\"; it takes site_id, pdf_sha256", unknown);
    gisd_error err = {0};
    worker *w = server_worker_acquire(r->srv, &err);
    json_t *list = NULL;
    int rc = w ? store_opinion_list(w->st, http_arg(r, "site_id"), http_arg(r, "pdf_sha256"), &list, &err) : -1;
    server_worker_release(r->srv, w);
    if (rc != 0)
        return http_reply_gisd_error(r, &err);
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o) {
        strbuf path = {0};
        number_path(json_string_value(json_object_get(o, "number")), &path);
        json_t *links = json_array();
        json_array_append_new(links, http_link(r, "self", MEDIA_JSON, "the opinion", "%s", path.data));
        json_array_append_new(links, http_link(r, "alternate", "application/pdf", "the opinion as filed", "%s?f=pdf",
                                               path.data));
        json_object_set_new(o, "links", links);
        strbuf_free(&path);
    }
    json_t *links = json_array();
    json_array_append_new(links, http_link(r, "self", MEDIA_JSON, "the register of opinions", "/opinions"));
    return http_reply_json(r, 200, json_pack("{s:I, s:o, s:o}", "total", (json_int_t)json_array_size(list),
                                             "opinions", list, "links", links),
                           MEDIA_JSON);
}

enum MHD_Result http_opinion(http_req *r)
{
    static const char *const ALLOWED[] = {"f", NULL};
    const char *unknown = http_unknown_arg(r, ALLOWED, NULL);
    const char *f = http_arg(r, "f");
    if (unknown || (f && strcmp(f, "json") != 0 && strcmp(f, "pdf") != 0))
        return http_reply_error(r, 400, "InvalidParameterValue", "an opinion takes f=json or f=pdf, nothing else");
    const char *accept = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept");
    int pdf = f ? strcmp(f, "pdf") == 0 : accept && strstr(accept, "application/pdf") != NULL;
    gisd_error err = {0};
    worker *w = server_worker_acquire(r->srv, &err);
    json_t *rec = NULL;
    char *bytes = NULL;
    size_t len = 0;
    store_found found =
        w ? store_opinion_get(w->st, r->params[0], &rec, pdf ? &bytes : NULL, &len, &err) : STORE_FAILED;
    server_worker_release(r->srv, w);
    if (found == STORE_FAILED)
        return http_reply_gisd_error(r, &err);
    if (found == STORE_ABSENT)
        return http_reply_error(r, 404, "NotFound", "the register holds no opinion \"%s\"; see /opinions",
                                r->params[0]);
    if (pdf) {
        json_decref(rec);
        static const char *const hdrs[][2] = {{"Content-Type", "application/pdf"}, {NULL, NULL}};
        return http_send_owned(r, 200, bytes, len, hdrs);
    }
    strbuf path = {0};
    number_path(r->params[0], &path);
    json_t *links = json_array();
    json_array_append_new(links, http_link(r, "self", MEDIA_JSON, "the opinion", "%s", path.data));
    json_array_append_new(links, http_link(r, "alternate", "application/pdf", "the opinion as filed", "%s?f=pdf",
                                           path.data));
    const char *sup = json_string_value(json_object_get(rec, "supersedes"));
    if (sup) {
        strbuf p2 = {0};
        number_path(sup, &p2);
        json_array_append_new(links, http_link(r, "predecessor-version", MEDIA_JSON, "the opinion it replaces", "%s",
                                               p2.data));
        strbuf_free(&p2);
    }
    const char *by = json_string_value(json_object_get(rec, "superseded_by"));
    if (by) {
        strbuf p2 = {0};
        number_path(by, &p2);
        json_array_append_new(links, http_link(r, "successor-version", MEDIA_JSON, "the opinion replacing it", "%s",
                                               p2.data));
        strbuf_free(&p2);
    }
    strbuf_free(&path);
    json_object_set_new(rec, "links", links);
    return http_reply_json(r, 200, rec, MEDIA_JSON);
}
