#include "process.h"

#include <string.h>

#include "analysis.h"

#define FORMAT_AND_CRS                                                                             \
    {"format", OPT_CHOICE, 0, 0, "json|geojson", "json", 0, "the report, or its map"},             \
        {"analysis_crs", OPT_CHOICE, 0, 0, NULL, NULL, 0, "a projected CRS in metres (EPSG:n)"}

static const opt_param HEATING[] = {
    {"radius_m", OPT_NUMBER, 0, ANALYSIS_RADIUS_MAX_M, NULL, "1000", 0, "covered within this many metres of a pipe"},
    {"park_id", OPT_CHOICE, 0, 0, NULL, NULL, 0, "one park only"},
    FORMAT_AND_CRS,
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
static const opt_param HWPROX[] = {
    {"capable", OPT_BOOL, 0, 0, NULL, "false", 0, "only facilities taking every code the enterprise produces"},
    {"max_km", OPT_NUMBER, 0.001, ANALYSIS_DISTANCE_MAX_KM, NULL, "50", 0, "counted as beyond_max past this"},
    FORMAT_AND_CRS,
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
static const opt_param RECYCLING[] = {
    {"radius_m", OPT_NUMBER, 0, ANALYSIS_RADIUS_MAX_M, NULL, "1000", 0, "covered within this many metres of a point"},
    {"level", OPT_CHOICE, 0, 0, "community|transit|sorting|any", "community", 0, "the level of points that count"},
    FORMAT_AND_CRS,
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
static const opt_param SYMBIOSIS[] = {
    {"max_km", OPT_NUMBER, 0.001, ANALYSIS_DISTANCE_MAX_KM, NULL, "10", 0, "a by-product travels at most this far"},
    {"park_id", OPT_CHOICE, 0, 0, NULL, NULL, 0, "one park: the links, gaps and ratio of its enterprises"},
    FORMAT_AND_CRS,
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
static const opt_param SCORECARD[] = {
    {"park_id", OPT_CHOICE, 0, 0, NULL, NULL, 1, "the park"},
    {"analysis_crs", OPT_CHOICE, 0, 0, NULL, NULL, 0, "a projected CRS in metres (EPSG:n)"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
static const opt_param SITE[] = {FORMAT_AND_CRS, {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};

static const char *arg(const opt_args *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->names[i], name) == 0)
            return a->values[i];
    return NULL;
}

static int run_analysis(const process_def *p, store *s, const layer_registry *reg,
                        const site_rules *rules, const opt_args *a, json_t *object, json_t **out,
                        gisd_error *err)
{
    for (size_t i = 0; i < a->n; i++) {
        int known = 0;
        for (const opt_param *q = p->params; q->name && !known; q++)
            known = strcmp(q->name, a->names[i]) == 0;
        if (!known)
            return gisd_fail(err, GISD_E_INPUT, "%s takes no input \"%s\"", p->id, a->names[i]);
    }
    analysis_args args = {arg(a, "radius_m"), arg(a, "park_id"), arg(a, "capable"), arg(a, "max_km"),
                          arg(a, "level"),    arg(a, "format"),  arg(a, "analysis_crs")};
    return analysis_dispatch(s, reg, rules, p->id, &args, object, out, err);
}

static int run_optimization(const process_def *p, store *s, const layer_registry *reg,
                            const site_rules *rules, const opt_args *a, json_t *object, json_t **out,
                            gisd_error *err)
{
    return optimize_run(s, reg, rules, p->id, a, object, out, err);
}

const process_def PROCESSES[] = {
    {"heating-coverage", "centralized heating coverage of the parks", HEATING, NULL, 1, 0, run_analysis},
    {"hw-proximity", "distance to hazardous-waste facilities", HWPROX, NULL, 1, 0, run_analysis},
    {"recycling-coverage", "the recycling network's reach", RECYCLING, NULL, 1, 0, run_analysis},
    {"site-check", "compliance of a proposed site", SITE, "site", 1, 1, run_analysis},
    {"symbiosis", "by-product exchange between enterprises", SYMBIOSIS, NULL, 1, 0, run_analysis},
    {"park-scorecard", "a park's indicators, from the analyses above", SCORECARD, NULL, 1, 0, run_analysis},
    {"recycling-siting", "community recycling points: maximal or set covering", NULL, "candidates", 0, 0,
     run_optimization},
    {"sorting-siting", "sorting centres: p-median", NULL, "candidates", 0, 0, run_optimization},
    {"hw-allocation", "hazardous-waste disposal capacity", NULL, NULL, 0, 0, run_optimization},
    {"heat-extension", "retiring coal boilers by extending the heat network", NULL, NULL, 0, 0,
     run_optimization},
    {NULL, NULL, NULL, NULL, 0, 0, NULL}};

const opt_param *process_params(const process_def *p)
{
    return p->params ? p->params : optimize_find(p->id)->params;
}

const process_def *process_find(const char *id)
{
    for (const process_def *p = PROCESSES; p->id; p++)
        if (strcmp(p->id, id) == 0)
            return p;
    return NULL;
}

json_t *process_input_schema(const opt_param *p)
{
    json_t *s;
    switch (p->kind) {
    case OPT_NUMBER:
    case OPT_INT:
        s = json_pack("{s:s, s:f, s:f}", "type", p->kind == OPT_INT ? "integer" : "number", "minimum",
                      p->min, "maximum", p->max);
        break;
    case OPT_BOOL:
        s = json_pack("{s:s}", "type", "boolean");
        break;
    default:
        s = json_pack("{s:s}", "type", "string");
        if (p->choices) {
            json_t *e = json_array();
            for (const char *c = p->choices; *c;) {
                size_t n = strcspn(c, "|");
                json_array_append_new(e, json_stringn(c, n));
                c += n + (c[n] == '|');
            }
            json_object_set_new(s, "enum", e);
        }
    }
    if (p->dflt) {
        if (p->kind == OPT_NUMBER || p->kind == OPT_INT)
            json_object_set_new(s, "default", json_real(strtod(p->dflt, NULL)));
        else if (p->kind == OPT_BOOL)
            json_object_set_new(s, "default", json_boolean(strcmp(p->dflt, "true") == 0));
        else
            json_object_set_new(s, "default", json_string(p->dflt));
    }
    return s;
}
