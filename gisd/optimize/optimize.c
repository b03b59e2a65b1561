/* The optimisations' parameter tables (param.h; the catalog serves them
 * through every door) and the run each goes through. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crs.h"
#include "optimize_int.h"
#include "xalloc.h"

#define END_PARAMS {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}
#define COMMON_PARAMS                                                                              \
    {"time_limit_s", PARAM_NUMBER, "s", 0.1, 3600, NULL, "60", 0,                                  \
     "seconds the solver may take; past them the best layout so far, optimal false"},              \
        {"save_scenario", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 0,                                   \
         "store the layout as this new scenario, based on the one the run reads (docs/SCENARIOS.md)"}, \
        ANALYSIS_FORMAT_AND_CRS_PARAMS

const param_def RECYCLING_SITING_PARAMS[] = {
    {"radius_m", PARAM_NUMBER, "m", 1, 50000, NULL, "1000", 0, "a community is covered within this many metres"},
    {"p", PARAM_INT, NULL, 1, 100000, NULL, NULL, 0, "at most this many new points (maximal covering); absent: the fewest that cover all (set covering)"},
    {"existing", PARAM_CHOICE, NULL, 0, 0, "keep|none", "keep", 0, "keep today's community points, or plan from scratch"},
    {"exclude_protected", PARAM_BOOL, NULL, 0, 0, NULL, "true", 0, "no candidate inside a water source, ecological redline or basic farmland"},
    ANALYSIS_DISTANCE_PARAMS,
    COMMON_PARAMS,
    END_PARAMS};
const param_def SORTING_SITING_PARAMS[] = {
    {"p", PARAM_INT, NULL, 1, 100000, NULL, NULL, 1, "how many sorting centres"},
    ANALYSIS_DISTANCE_PARAMS,
    {"unreachable", PARAM_CHOICE, NULL, 0, 0, "error|ignore", "error", 0,
     "with distance=network: communities that reach no candidate make it infeasible, or are left out and listed"},
    COMMON_PARAMS,
    END_PARAMS};
const param_def HW_ALLOCATION_PARAMS[] = {
    {"max_km", PARAM_NUMBER, "km", 0.001, 1000, NULL, "50", 0, "waste travels at most this far"},
    ANALYSIS_DISTANCE_PARAMS,
    COMMON_PARAMS,
    END_PARAMS};
const param_def HEAT_EXTENSION_PARAMS[] = {
    {"radius_m", PARAM_NUMBER, "m", 0, 50000, NULL, "1000", 0, "heat-network coverage today"},
    {"budget_km", PARAM_NUMBER, "km", 0, 100000, NULL, NULL, 1, "kilometres of spur pipe to build"},
    {"frontier", PARAM_INT, NULL, 2, 200, NULL, NULL, 0, "also the t/h retired at this many budgets from 0 to connecting every boiler"},
    {"park_id", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 0, "only the boilers inside this park (its own programme)"},
    COMMON_PARAMS,
    END_PARAMS};

const opt_def OPTIMIZATIONS[] = {{"recycling-siting", optimize_recycling},
                                  {"sorting-siting", optimize_sorting},
                                  {"hw-allocation", optimize_hw},
                                  {"heat-extension", optimize_heat},
                                  {NULL, NULL}};

const opt_def *optimize_find(const char *name)
{
    for (const opt_def *d = OPTIMIZATIONS; d->name; d++)
        if (strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

int optimize_run(store *s, const layer_registry *reg, const site_rules *rules, const opt_def *d,
                 const param_values *v, json_t *candidates, const milp_progress *progress, json_t **out,
                 gisd_error *err)
{
    *out = NULL;
    opt_run r = {.st = s, .reg = reg, .rules = rules, .time_limit_s = param_num(v, "time_limit_s"),
                 .progress = progress};
    if (analysis_setup(s, reg, v, &r.srid, &r.geojson, err) != 0)
        return -1;
    r.h = geos_context_new();
    r.fail = (afail){err, 0};
    int rc = d->solve(&r, v, candidates, out, err);
    GEOS_finish_r(r.h);
    if (rc != 0) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

/* Why feature i (1-based) of the candidates cannot be one, or NULL when it can. */
static const char *candidate_problem(json_t *f, const char **id, char idbuf[64])
{
    json_t *jid = json_object_get(f, "id");
    *id = json_string_value(jid);
    if (!*id && json_is_integer(jid)) {
        snprintf(idbuf, 64, "%lld", (long long)json_integer_value(jid));
        *id = idbuf;
    }
    if (!*id || !**id)
        return "has no id; every candidate needs one";
    const char *gt = json_string_value(json_object_get(json_object_get(f, "geometry"), "type"));
    if (!gt || strcmp(gt, "Point") != 0)
        return "is not a Point";
    return NULL;
}

int opt_candidates(opt_run *r, json_t *fc, opt_site **out, size_t *n, gisd_error *err)
{
    *out = NULL;
    *n = 0;
    json_t *features = json_object_get(fc, "features");
    const char *type = json_string_value(json_object_get(fc, "type"));
    if (!type || strcmp(type, "FeatureCollection") != 0 || !json_is_array(features))
        return gisd_fail(err, GISD_E_INPUT, "candidates must be a GeoJSON FeatureCollection of Points with ids");
    size_t count = json_array_size(features), got = 0, i;
    opt_site *s = xcalloc(count ? count : 1, sizeof *s);
    json_t *f;
    int rc = 0;
    json_array_foreach(features, i, f) {
        const char *id, *why;
        char idbuf[64];
        if ((why = candidate_problem(f, &id, idbuf))) {
            rc = gisd_fail(err, GISD_E_INPUT, "candidates: feature %zu%s%s%s %s", i + 1, id ? " (" : "",
                           id ? id : "", id ? ")" : "", why);
            break;
        }
        for (size_t k = 0; k < got && rc == 0; k++)
            if (strcmp(s[k].id, id) == 0)
                rc = gisd_fail(err, GISD_E_INPUT, "candidates: the id \"%s\" appears twice", id);
        if (rc != 0)
            break;
        GEOSGeometry *g = analysis_site_geometry(r->h, json_object_get(f, "geometry"), r->srid, err);
        if (!g) {
            rc = gisd_error_prefix(err, "candidates: feature %zu (%s): ", i + 1, id);
            break;
        }
        s[got].id = xstrdup(id);
        s[got++].g = g;
    }
    if (rc != 0) {
        opt_sites_free(r, s, got);
        return -1;
    }
    *out = s;
    *n = got;
    return 0;
}

void opt_sites_free(opt_run *r, opt_site *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        free(s[i].id);
        GEOSGeom_destroy_r(r->h, s[i].g);
    }
    free(s);
}

json_t *opt_number(double x, int d)
{
    double m = pow(10, d), y = round(x * m) / m;
    return analysis_number(y == 0 ? 0 : y);
}

void opt_report(json_t *doc, const milp_result *res, double objective, double bound)
{
    json_object_set_new(doc, "optimal", json_boolean(res->optimal));
    json_object_set_new(doc, "bound", opt_number(res->optimal ? objective : bound, 3));
    double gap = res->optimal ? 0 : fabs(objective - bound) / fmax(1, fabs(objective));
    json_object_set_new(doc, "gap", opt_number(gap, 6));
}

int opt_solve(opt_run *r, milp *m, milp_result *res, gisd_error *err)
{
    if (milp_solve(m, r->time_limit_s, r->progress, res, err) != 0)
        return -1;
    if (!res->feasible)
        return gisd_fail(err, GISD_E_INPUT, res->infeasible ? "the problem is infeasible as posed"
                                                           : "no layout found within time_limit_s");
    return 0;
}

int opt_map_open(opt_run *r, opt_map *m)
{
    m->features = json_array();
    if (map_view_open(&m->mv, r->h, r->srid, &r->fail) == 0)
        return 0;
    json_decref(m->features);
    map_view_close(&m->mv);
    return -1;
}

void opt_map_point(opt_map *m, const GEOSGeometry *g, json_t *props)
{
    map_view_add(&m->mv, m->features, g, props);
}

void opt_map_link(opt_run *r, opt_map *m, const GEOSGeometry *a, const GEOSGeometry *b, json_t *props)
{
    GEOSCoordSequence *cs = GEOSNearestPoints_r(r->h, a, b);
    GEOSGeometry *line = cs ? GEOSGeom_createLineString_r(r->h, cs) : NULL; /* takes cs */
    if (afail_ok(&r->fail, line != NULL, "drawing a link"))
        map_view_add(&m->mv, m->features, line, props);
    else
        json_decref(props);
    if (line)
        GEOSGeom_destroy_r(r->h, line);
}

json_t *opt_map_finish(opt_map *m, json_t *report)
{
    json_t *fc = json_pack("{s:s, s:o, s:o}", "type", "FeatureCollection", "features", m->features,
                           "answer", report);
    map_view_close(&m->mv);
    return fc;
}

int opt_str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
