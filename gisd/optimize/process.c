#include "process.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "xalloc.h"

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

void process_inputs_free(process_inputs *in)
{
    for (size_t i = 0; i < in->n; i++) {
        free(in->names[i]);
        free(in->values[i]);
    }
    json_decref(in->object);
    memset(in, 0, sizeof *in);
}

int process_inputs_parse(const process_def *p, const char *body, size_t len, process_inputs *in, gisd_error *err)
{
    memset(in, 0, sizeof *in);
    if (!body || len == 0)
        return gisd_fail(err, GISD_E_INPUT, "the body must be {\"inputs\": {...}}");
    json_error_t jerr;
    json_t *doc = json_loadb(body, len, 0, &jerr);
    if (!doc)
        return gisd_fail(err, GISD_E_INPUT, "the body is not JSON: line %d: %s", jerr.line, jerr.text);
    int rc = 0;
    json_t *inputs = json_object_get(doc, "inputs");
    if (!json_is_object(doc))
        rc = gisd_fail(err, GISD_E_INPUT, "the body must be an execute request, {\"inputs\": {...}}");
    else if (inputs && !json_is_object(inputs))
        rc = gisd_fail(err, GISD_E_INPUT, "inputs must be an object");
    /* an execute request's members (OGC API - Processes, execute.yaml); a
     * misspelt one would otherwise be ignored in silence */
    const char *k;
    json_t *v;
    if (rc == 0)
        json_object_foreach(doc, k, v) {
            if (strcmp(k, "inputs") && strcmp(k, "outputs") && strcmp(k, "response") && strcmp(k, "subscriber")) {
                rc = gisd_fail(err, GISD_E_INPUT, "an execute request has no member \"%s\"; it takes inputs, "
                                                  "outputs, response and subscriber", k);
                break;
            }
        }
    if (rc == 0)
        json_object_foreach(inputs, k, v) {
            if (p->object && strcmp(k, p->object) == 0) {
                json_decref(in->object);
                in->object = json_incref(v);
                continue;
            }
            const opt_param *q = process_params(p);
            while (q->name && strcmp(q->name, k) != 0)
                q++;
            if (!q->name) {
                rc = gisd_fail(err, GISD_E_INPUT, "%s has no input \"%s\"; see /processes/%s", p->id, k, p->id);
                break;
            }
            char buf[64];
            const char *text = json_string_value(v);
            if (json_is_integer(v))
                snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v)), text = buf;
            else if (json_is_real(v))
                snprintf(buf, sizeof buf, "%.17g", json_real_value(v)), text = buf;
            else if (json_is_boolean(v))
                text = json_is_true(v) ? "true" : "false";
            if (!text || in->n == sizeof in->names / sizeof *in->names) {
                rc = gisd_fail(err, GISD_E_INPUT, "input %s must be a number, a string or a boolean", k);
                break;
            }
            /* checked now, so that a bad value is the request's 400, not a failed job */
            if ((rc = opt_param_check(q, text, err)) != 0)
                break;
            in->names[in->n] = xstrdup(k);
            in->values[in->n++] = xstrdup(text);
        }
    json_decref(doc);
    if (rc == 0 && p->object_required && !in->object)
        rc = gisd_fail(err, GISD_E_INPUT, "%s needs the input %s", p->id, p->object);
    for (const opt_param *q = process_params(p); rc == 0 && q->name; q++) {
        int given = 0;
        for (size_t i = 0; i < in->n && !given; i++)
            given = strcmp(in->names[i], q->name) == 0;
        if (q->required && !given)
            rc = gisd_fail(err, GISD_E_INPUT, "%s needs %s: %s", p->id, q->name, q->doc);
    }
    if (rc != 0)
        process_inputs_free(in);
    return rc;
}
