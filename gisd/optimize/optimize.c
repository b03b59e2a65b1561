/* The optimisations' one table of parameters, their parsing and the run that
 * every door (the command line, HTTP) goes through. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crs.h"
#include "optimize_int.h"
#include "xalloc.h"

#define COMMON_PARAMS                                                                              \
    {"time_limit_s", OPT_NUMBER, 0.1, 3600, NULL, "60", 0,                                         \
     "seconds the solver may take; past them the best layout so far, optimal false"},              \
        {"format", OPT_CHOICE, 0, 0, "json|geojson", "json", 0, "the report, or its map"},        \
        {"analysis_crs", OPT_CHOICE, 0, 0, NULL, NULL, 0, "a projected CRS in metres (EPSG:n)"}

static const opt_param RECYCLING[] = {
    {"radius_m", OPT_NUMBER, 1, 50000, NULL, "1000", 0, "a community is covered within this many metres"},
    {"p", OPT_INT, 1, 100000, NULL, NULL, 0, "at most this many new points (maximal covering); absent: the fewest that cover all (set covering)"},
    {"existing", OPT_CHOICE, 0, 0, "keep|none", "keep", 0, "keep today's community points, or plan from scratch"},
    {"exclude_protected", OPT_BOOL, 0, 0, NULL, "true", 0, "no candidate inside a water source, ecological redline or basic farmland"},
    COMMON_PARAMS,
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
static const opt_param SORTING[] = {
    {"p", OPT_INT, 1, 100000, NULL, NULL, 1, "how many sorting centres"},
    COMMON_PARAMS,
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
static const opt_param HW[] = {
    {"max_km", OPT_NUMBER, 0.001, 1000, NULL, "50", 0, "waste travels at most this far"},
    COMMON_PARAMS,
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
static const opt_param HEAT[] = {
    {"radius_m", OPT_NUMBER, 0, 50000, NULL, "1000", 0, "heat-network coverage today"},
    {"budget_km", OPT_NUMBER, 0, 100000, NULL, NULL, 1, "kilometres of spur pipe to build"},
    {"frontier", OPT_INT, 2, 200, NULL, NULL, 0, "also the t/h retired at this many budgets from 0 to connecting every boiler"},
    {"park_id", OPT_CHOICE, 0, 0, NULL, NULL, 0, "only the boilers inside this park (its own programme)"},
    COMMON_PARAMS,
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};

const opt_def OPTIMIZATIONS[] = {
    {"recycling-siting", "community recycling points: maximal or set covering", RECYCLING, 1,
     optimize_recycling},
    {"sorting-siting", "sorting centres: p-median", SORTING, 1, optimize_sorting},
    {"hw-allocation", "hazardous-waste disposal capacity: lexicographic transport", HW, 0, optimize_hw},
    {"heat-extension", "retiring coal boilers by extending the heat network", HEAT, 0, optimize_heat},
    {NULL, NULL, NULL, 0, NULL}};

const opt_def *optimize_find(const char *name)
{
    for (const opt_def *d = OPTIMIZATIONS; d->name; d++)
        if (strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

void opt_args_set(opt_args *a, const char *name, const char *value)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->names[i], name) == 0) {
            a->values[i] = value;
            return;
        }
    if (a->n < sizeof a->names / sizeof *a->names) {
        a->names[a->n] = name;
        a->values[a->n++] = value;
    }
}

static int index_of(const opt_def *d, const char *name)
{
    for (int k = 0; d->params[k].name; k++)
        if (strcmp(d->params[k].name, name) == 0)
            return k;
    return -1;
}

double opt_get(const opt_values *v, const char *name)
{
    int k = index_of(v->def, name);
    return k < 0 ? 0 : v->v[k];
}

int opt_given(const opt_values *v, const char *name)
{
    int k = index_of(v->def, name);
    return k >= 0 && v->given[k];
}

const char *opt_choice(const opt_values *v, const char *name)
{
    int k = index_of(v->def, name);
    return k < 0 ? NULL : v->text[k];
}

static int parse_value(const opt_param *p, const char *text, opt_values *v, int k, gisd_error *err)
{
    char *end;
    switch (p->kind) {
    case OPT_NUMBER:
    case OPT_INT: {
        double x = strtod(text, &end);
        if (!*text || *end || !isfinite(x) || (p->kind == OPT_INT && x != floor(x)))
            return gisd_fail(err, GISD_E_INPUT, "%s \"%s\" must be %s from %g to %g", p->name, text,
                             p->kind == OPT_INT ? "a whole number" : "a number", p->min, p->max);
        if (x < p->min || x > p->max)
            return gisd_fail(err, GISD_E_INPUT, "%s %s is out of range: it must be from %g to %g",
                             p->name, text, p->min, p->max);
        v->v[k] = x;
        return 0;
    }
    case OPT_BOOL:
        if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
            v->v[k] = 1;
        else if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
            v->v[k] = 0;
        else
            return gisd_fail(err, GISD_E_INPUT, "%s \"%s\" must be true or false", p->name, text);
        return 0;
    case OPT_CHOICE:
        if (p->choices) {
            size_t len = strlen(text);
            const char *c = p->choices;
            int found = 0;
            while (*c && !found) {
                size_t n = strcspn(c, "|");
                found = n == len && strncmp(c, text, n) == 0;
                c += n + (c[n] == '|');
            }
            if (!found)
                return gisd_fail(err, GISD_E_INPUT, "%s \"%s\" must be one of %s", p->name, text,
                                 p->choices);
        }
        v->text[k] = text;
        return 0;
    }
    return 0;
}

int opt_param_check(const opt_param *p, const char *text, gisd_error *err)
{
    opt_values v;
    memset(&v, 0, sizeof v);
    return parse_value(p, text, &v, 0, err);
}

static int parse_all(const opt_def *d, const opt_args *a, opt_values *v, gisd_error *err)
{
    memset(v, 0, sizeof *v);
    v->def = d;
    for (size_t i = 0; i < a->n; i++)
        if (index_of(d, a->names[i]) < 0) {
            char known[512] = "";
            for (int k = 0; d->params[k].name; k++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", k ? ", " : "",
                         d->params[k].name);
            return gisd_fail(err, GISD_E_INPUT, "%s takes no parameter \"%s\"; it takes %s", d->name,
                             a->names[i], known);
        }
    for (int k = 0; d->params[k].name; k++) {
        const opt_param *p = &d->params[k];
        const char *text = NULL;
        for (size_t i = 0; i < a->n; i++)
            if (strcmp(a->names[i], p->name) == 0)
                text = a->values[i];
        v->given[k] = text != NULL;
        if (!text && p->required)
            return gisd_fail(err, GISD_E_INPUT, "%s needs %s: %s", d->name, p->name, p->doc);
        if (!text)
            text = p->dflt;
        if (text && parse_value(p, text, v, k, err) != 0)
            return -1;
    }
    return 0;
}

static int analysis_crs_of(opt_run *r, const opt_values *v, gisd_error *err)
{
    const char *text = opt_choice(v, "analysis_crs");
    int requested = 0;
    if (text && (requested = crs_parse(text, NULL, err)) < 0)
        return -1;
    return analysis_crs_resolve(r->st, r->reg, requested, &r->srid, err);
}

int optimize_run(store *s, const layer_registry *reg, const site_rules *rules, const char *name,
                 const opt_args *args, json_t *candidates, json_t **out, gisd_error *err)
{
    *out = NULL;
    const opt_def *d = optimize_find(name);
    if (!d)
        return gisd_fail(err, GISD_E_NOTFOUND,
                         "there is no optimisation \"%s\": recycling-siting, sorting-siting, "
                         "hw-allocation or heat-extension", name);
    if (candidates && !d->takes_candidates)
        return gisd_fail(err, GISD_E_INPUT, "%s takes no candidates", name);
    opt_values v;
    if (parse_all(d, args, &v, err) != 0)
        return -1;
    opt_run r = {.st = s, .reg = reg, .rules = rules, .time_limit_s = opt_get(&v, "time_limit_s"),
                 .geojson = strcmp(opt_choice(&v, "format"), "geojson") == 0};
    if (analysis_crs_of(&r, &v, err) != 0)
        return -1;
    r.h = geos_context_new();
    r.fail = (afail){err, 0};
    int rc = d->solve(&r, &v, candidates, out, err);
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
    if (milp_solve(m, r->time_limit_s, res, err) != 0)
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
