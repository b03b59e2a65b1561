/* The public map's questions: GET /nearest (the recycling points nearest to
 * a place, in a straight line or walking) and GET /search (features by
 * name or pinyin initials), on the job pool like the analyses. */
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "http.h"
#include "report.h"
#include "routes.h"
#include "xalloc.h"

typedef struct {
    const layer_registry *reg;
    int search; /* 1: /search, 0: /nearest */
    param_values v;
} public_job;

static void job_free(void *arg)
{
    public_job *j = arg;
    param_values_free(&j->v);
    free(j);
}

static void job_run(void *arg, worker *w, http_answer *out)
{
    public_job *j = arg;
    json_t *doc = NULL;
    int rc;
    if (j->search) {
        search_params p = {param_text(&j->v, "q"), param_text(&j->v, "layer"), (int)param_num(&j->v, "limit")};
        rc = analysis_search(w->st, j->reg, &p, &doc, &out->err);
    } else {
        int srid, geojson;
        nearest_params p = {param_text(&j->v, "layer"),
                            param_num(&j->v, "lon"),
                            param_num(&j->v, "lat"),
                            (int)param_num(&j->v, "n"),
                            param_text(&j->v, "level"),
                            param_text(&j->v, "category"),
                            strcmp(param_text(&j->v, "distance"), "network") == 0,
                            param_num(&j->v, "snap_max_m")};
        rc = analysis_setup(w->st, j->reg, &j->v, &srid, &geojson, &out->err);
        if (rc == 0)
            rc = analysis_nearest(w->st, j->reg, srid, &p, &doc, &out->err);
    }
    if (rc == 0)
        http_answer_json(out, doc, ANALYSIS_JSON_FLAGS, MEDIA_GEOJSON);
}

static enum MHD_Result ask(http_req *r, int search)
{
    public_job *j = xcalloc(1, sizeof *j);
    j->reg = r->reg;
    j->search = search;
    const param_def *defs = search ? SEARCH_PARAMS : NEAREST_PARAMS;
    const char *owner = search ? "/search" : "/nearest";
    param_values_init(&j->v, defs, owner);
    gisd_error err = {0};
    if (http_query_params(r, defs, owner, 0, &j->v, &err) != 0) {
        job_free(j);
        return http_reply_gisd_error(r, &err);
    }
    return server_defer(r, job_run, j, job_free);
}

enum MHD_Result http_nearest(http_req *r) { return ask(r, 0); }

enum MHD_Result http_labels(http_req *r) { return http_reply_json(r, 200, report_answer_labels(), MEDIA_JSON); }

enum MHD_Result http_search(http_req *r) { return ask(r, 1); }
