/* OGC API - Processes (Part 1: Core): the entries of the catalog (the
 * analyses and optimisations), described from their parameter tables and
 * executed on the job pool, synchronously (the connection waits) or, with
 * Prefer: respond-async, as a job (jobs.c) to poll, fetch and dismiss. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "catalog.h"
#include "http.h"
#include "jobs.h"
#include "milp.h"
#include "routes.h"
#include "xalloc.h"

static json_t *process_summary(http_req *r, const catalog_entry *p)
{
    json_t *links = json_array();
    json_array_append_new(links, http_link(r, "self", MEDIA_JSON, p->title, "/processes/%s", p->id));
    return json_pack("{s:s, s:s, s:s, s:[s,s,s], s:[s], s:o}", "id", p->id, "title", p->title,
                     "version", "1.0.0", "jobControlOptions", "sync-execute", "async-execute",
                     "dismiss", "outputTransmission", "value", "links", links);
}

enum MHD_Result http_processes(http_req *r)
{
    json_t *list = json_array();
    for (const catalog_entry *p = CATALOG; p->id; p++)
        json_array_append_new(list, process_summary(r, p));
    json_t *links = json_array();
    json_array_append_new(links, http_link(r, "self", MEDIA_JSON, "the processes", "/processes"));
    return http_reply_json(r, 200, json_pack("{s:o, s:o}", "processes", list, "links", links), MEDIA_JSON);
}

enum MHD_Result http_process(http_req *r)
{
    const catalog_entry *p = catalog_find_any(r->params[0]);
    if (!p)
        return http_reply_error(r, 404, "NoSuchProcess", "there is no process \"%s\"; see /processes",
                                r->params[0]);
    json_t *doc = process_summary(r, p), *inputs = json_object();
    for (const param_def *q = p->params; q->name; q++)
        json_object_set_new(inputs, q->name,
                            json_pack("{s:s, s:s, s:o, s:i, s:i}", "title", q->name, "description",
                                      q->doc, "schema", param_schema(q), "minOccurs", q->required,
                                      "maxOccurs", 1));
    if (p->object)
        json_object_set_new(inputs, p->object,
                            json_pack("{s:s, s:s, s:{s:s, s:s}, s:i, s:i}", "title", p->object,
                                      "description", p->object_doc,
                                      "schema", "type", "object", "contentMediaType", MEDIA_GEOJSON,
                                      "minOccurs", p->object_required, "maxOccurs", 1));
    json_object_set_new(doc, "inputs", inputs);
    json_object_set_new(doc, "outputs",
                        json_pack("{s:{s:s, s:{s:s, s:s}}}", "result", "title",
                                  "the answer (ANALYSES.md / OPTIMIZE.md)", "schema", "type", "object",
                                  "contentMediaType", MEDIA_JSON));
    return http_reply_json(r, 200, doc, MEDIA_JSON);
}

/* ---- one execution: its inputs checked against the parameter table ---- */

typedef struct {
    const catalog_entry *p;
    const layer_registry *reg;
    const site_rules *rules;
    param_values v;
    json_t *object;
    const milp_progress *progress; /* an async job's; NULL for a synchronous call */
    const char *table;             /* f=csv|xlsx: the answer as a table; NULL: JSON */
    const char *db_path;           /* save_scenario writes there, */
    char who[128];                 /* as the token holder, allowed at the request */
} execution;

static void execution_free(void *arg)
{
    execution *e = arg;
    param_values_free(&e->v);
    json_decref(e->object);
    free(e);
}

/* The answer of e with w's store into out (the deferred job's contract). */
static void execution_run(void *arg, worker *w, http_answer *out)
{
    execution *e = arg;
    store *writer = NULL;
    if (param_find(e->p->params, "save_scenario") && param_given(&e->v, "save_scenario") &&
        store_open(e->db_path, STORE_READWRITE, e->reg, &writer, NULL, &out->err) != 0)
        return;
    catalog_ctx ctx = {w->st, e->reg, e->rules, e->progress, writer, e->who};
    json_t *doc = NULL;
    int rc = catalog_run(e->p, &ctx, &e->v, e->object, &doc, &out->err);
    store_close(writer);
    if (rc != 0)
        return;
    if (e->table && !e->progress) {
        http_answer_table(out, doc, e->table, e->p->id);
        return;
    }
    http_answer_json(out, doc, JSON_COMPACT | JSON_REAL_PRECISION(12), MEDIA_JSON);
}

/* As execution_run, for an asynchronous job: with the job's progress. */
static void execution_job(void *arg, const milp_progress *progress, worker *w, http_answer *out)
{
    execution *e = arg;
    e->progress = progress;
    execution_run(e, w, out);
}

/* The execution the body asks for; NULL with err when it is not one. */
static execution *execution_parse(http_req *r, const catalog_entry *p, gisd_error *err)
{
    execution *e = xcalloc(1, sizeof *e);
    *e = (execution){.p = p, .reg = r->reg, .rules = server_rules(r->srv), .table = http_table_format(r),
                     .db_path = server_config_of(r->srv)->db_path};
    if (catalog_parse_execute(p, r->body, r->body_len, &e->v, &e->object, err) != 0) {
        free(e);
        return NULL;
    }
    return e;
}

enum MHD_Result http_process_execute(http_req *r)
{
    const catalog_entry *p = catalog_find_any(r->params[0]);
    if (!p)
        return http_reply_error(r, 404, "NoSuchProcess", "there is no process \"%s\"; see /processes",
                                r->params[0]);
    gisd_error err = {0};
    execution *e = execution_parse(r, p, &err);
    if (!e)
        return http_reply_gisd_error(r, &err);
    /* keeping the layout as a scenario creates one: admin:scenarios */
    enum MHD_Result refused;
    if (param_find(p->params, "save_scenario") && param_given(&e->v, "save_scenario") &&
        !http_scenario_admin_allowed(r, e->who, &refused)) {
        execution_free(e);
        return refused;
    }
    const char *prefer = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Prefer");
    if (!prefer || !strstr(prefer, "respond-async"))
        return server_defer(r, execution_run, e, execution_free);
    return jobs_submit(r, p->id, e, execution_job, execution_free);
}

