/* /scenarios: plan scenarios (docs/SCENARIOS.md) over HTTP: list, create,
 * show and drop them, and compare one with another. Reading and editing in
 * a scenario is every other route under /scenarios/{sid}/ (server.c). */
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "auth.h"
#include "edit.h"
#include "http.h"
#include "report.h"
#include "routes.h"
#include "xalloc.h"

/* A read-write store for a scenario's own rows; NULL with the answer sent. */
static store *writer(http_req *r, enum MHD_Result *ret);

/* The same for creating, dropping or adopting, which need admin:scenarios:
 * who gets the token's holder. */
static store *admin_writer(http_req *r, char who[128], enum MHD_Result *ret)
{
    return http_scenario_admin_allowed(r, who, ret) ? writer(r, ret) : NULL;
}

static store *writer(http_req *r, enum MHD_Result *ret)
{
    gisd_error err = {0};
    store *st = NULL;
    if (store_open(server_config_of(r->srv)->db_path, STORE_READWRITE, r->reg, &st, NULL, &err) != 0) {
        *ret = http_reply_gisd_error(r, &err);
        return NULL;
    }
    return st;
}

enum MHD_Result http_scenarios(http_req *r)
{
    gisd_error err = {0};
    worker *w = server_worker_acquire(r->srv, &err);
    json_t *list = NULL;
    int rc = w ? store_scenario_list(w->st, &list, &err) : -1;
    server_worker_release(r->srv, w);
    if (rc != 0)
        return http_reply_gisd_error(r, &err);
    json_t *links = json_array();
    json_array_append_new(links, http_link(r, "self", MEDIA_JSON, "the scenarios", "/scenarios"));
    return http_reply_json(r, 200, json_pack("{s:o, s:o}", "scenarios", list, "links", links), MEDIA_JSON);
}

enum MHD_Result http_scenario(http_req *r)
{
    gisd_error err = {0};
    worker *w = server_worker_acquire(r->srv, &err);
    json_t *doc = NULL;
    int rc = w ? store_scenario_get(w->st, r->params[0], &doc, &err) : -1;
    server_worker_release(r->srv, w);
    if (rc != 0)
        return http_reply_gisd_error(r, &err);
    json_t *links = json_array();
    json_array_append_new(links, http_link(r, "self", MEDIA_JSON, "this scenario", "/scenarios/%s", r->params[0]));
    json_array_append_new(links, http_link(r, "data", MEDIA_JSON, "its collections", "/scenarios/%s/collections",
                                           r->params[0]));
    json_object_set_new(doc, "links", links);
    return http_reply_json(r, 200, doc, MEDIA_JSON);
}

enum MHD_Result http_scenario_create(http_req *r)
{
    char who[128];
    enum MHD_Result ret;
    if (!http_scenario_admin_allowed(r, who, &ret))
        return ret;
    json_error_t jerr;
    json_t *body = r->body_len ? json_loadb(r->body, r->body_len, 0, &jerr) : NULL;
    if (!json_is_object(body)) {
        json_decref(body);
        return http_reply_error(r, 400, "InvalidParameterValue",
                                "the body must be {\"id\", \"title\", \"description\", \"base\"}");
    }
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v) {
        if (strcmp(k, "id") && strcmp(k, "title") && strcmp(k, "description") && strcmp(k, "base")) {
            enum MHD_Result bad = http_reply_error(r, 400, "InvalidParameterValue",
                                                   "a scenario has no member \"%s\": id, title, description, base", k);
            json_decref(body);
            return bad;
        }
        if (!json_is_string(v) && !json_is_null(v)) {
            enum MHD_Result bad = http_reply_error(r, 400, "InvalidParameterValue", "%s must be a string", k);
            json_decref(body);
            return bad;
        }
    }
    const char *id = json_string_value(json_object_get(body, "id"));
    store *st = writer(r, &ret);
    if (!st) {
        json_decref(body);
        return ret;
    }
    gisd_error err = {0};
    int rc = store_scenario_create(st, id, json_string_value(json_object_get(body, "title")),
                                   json_string_value(json_object_get(body, "description")),
                                   json_string_value(json_object_get(body, "base")), who, &err);
    json_t *doc = NULL;
    if (rc == 0)
        rc = store_scenario_get(st, id, &doc, &err);
    store_close(st);
    if (rc != 0) {
        json_decref(body);
        return http_reply_gisd_error(r, &err);
    }
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    char location[700];
    snprintf(location, sizeof location, "%s/scenarios/%s", r->base, id); /* id is the body's */
    json_decref(body);
    const char *hdrs[][2] = {{"Content-Type", MEDIA_JSON}, {"Location", location}, {NULL, NULL}};
    return http_send_owned(r, 201, text, strlen(text), hdrs);
}

enum MHD_Result http_scenario_drop(http_req *r)
{
    char who[128];
    enum MHD_Result ret;
    store *st = admin_writer(r, who, &ret);
    if (!st)
        return ret;
    gisd_error err = {0};
    int rc = store_scenario_drop(st, r->params[0], &err);
    store_close(st);
    if (rc != 0)
        return http_reply_gisd_error(r, &err);
    return http_send(r, 204, MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT), NULL);
}

enum MHD_Result http_scenario_adopt(http_req *r)
{
    char who[128];
    enum MHD_Result ret;
    store *st = admin_writer(r, who, &ret);
    if (!st)
        return ret;
    gisd_error err = {0};
    json_t *history = NULL, *conflicts = NULL, *sc = NULL;
    int rc = store_scenario_get(st, r->params[0], &sc, &err);
    if (rc == 0)
        rc = edit_adopt(st, r->reg, r->params[0], who, &history, &conflicts, &err);
    store_close(st);
    if (rc != 0 && conflicts) {
        json_decref(sc);
        return http_reply_json(r, 409, json_pack("{s:s, s:s, s:i, s:o}", "code", "Conflict", "description", err.message,
                                                 "status", 409, "conflicts", conflicts),
                               MEDIA_JSON);
    }
    if (rc != 0) {
        json_decref(sc);
        return http_reply_gisd_error(r, &err);
    }
    json_t *doc = json_pack("{s:s, s:O, s:o}", "scenario", r->params[0], "base", json_object_get(sc, "base"), "history",
                            history);
    json_decref(sc);
    return http_reply_json(r, 200, doc, MEDIA_JSON);
}

/* The comparison's job: a and b owned, sites the body's (owned, or NULL). */
typedef struct {
    const layer_registry *reg;
    const site_rules *rules;
    char *a, *b;
    json_t *sites;
    int pdf; /* the comparison report, asked for with f=pdf or Accept: application/pdf */
} compare_job;

static void compare_free(void *arg)
{
    compare_job *j = arg;
    free(j->a);
    free(j->b);
    json_decref(j->sites);
    free(j);
}

static void compare_run(void *arg, worker *w, http_answer *out)
{
    compare_job *j = arg;
    json_t *doc = NULL;
    if (j->pdf) {
        strbuf b = {0};
        if (report_scenario_compare_pdf(w->st, j->reg, j->rules, j->a, j->b, &b, &out->err) != 0) {
            strbuf_free(&b);
            return;
        }
        http_answer_bytes(out, &b, "application/pdf");
        return;
    }
    if (report_scenario_compare(w->st, j->reg, j->rules, j->a, j->b, j->sites, &doc, &out->err) == 0)
        http_answer_json(out, doc, ANALYSIS_JSON_FLAGS, MEDIA_JSON);
}

enum MHD_Result http_scenario_compare(http_req *r)
{
    json_t *sites = NULL;
    if (strcmp(r->method, "POST") == 0) {
        json_error_t jerr;
        sites = r->body_len ? json_loadb(r->body, r->body_len, 0, &jerr) : NULL;
        if (!json_is_array(json_object_get(sites, "features"))) {
            json_decref(sites);
            return http_reply_error(r, 400, "InvalidParameterValue",
                                    "the body must be the sites: a GeoJSON FeatureCollection");
        }
    }
    const char *f = http_arg(r, "f"), *accept = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept");
    if (f && strcmp(f, "pdf") != 0 && strcmp(f, "json") != 0) {
        json_decref(sites);
        return http_reply_error(r, 400, "InvalidParameterValue", "f \"%s\" must be json or pdf", f);
    }
    compare_job *j = xcalloc(1, sizeof *j);
    *j = (compare_job){.reg = r->reg, .rules = server_rules(r->srv), .a = xstrdup(r->params[0]),
                       .b = xstrdup(r->params[1]), .sites = sites,
                       .pdf = f ? strcmp(f, "pdf") == 0 : accept && strstr(accept, "application/pdf") != NULL};
    return server_defer(r, compare_run, j, compare_free);
}
