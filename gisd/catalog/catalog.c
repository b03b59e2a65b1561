/* catalog.h: the table of what users run, and the one way each is run. */
#include "catalog.h"

#include <stdio.h>
#include <string.h>

#include "analysis.h"
#include "catalog_save.h"
#include "optimize.h"
#include "report.h"
#include "strbuf.h"

/* Each analysis with its typed parameters, from v. */
static int run_heating(const catalog_ctx *c, const param_values *v, int srid, int geojson, json_t *object,
                       json_t **out, gisd_error *err)
{
    (void)object;
    heating_params p = {param_num(v, "radius_m"), param_text(v, "park_id")};
    return analysis_heating_coverage(c->st, c->reg, srid, &p, geojson, out, err);
}

static int run_hw(const catalog_ctx *c, const param_values *v, int srid, int geojson, json_t *object,
                  json_t **out, gisd_error *err)
{
    (void)object;
    hw_params p = {(int)param_num(v, "capable"), param_num(v, "max_km"), analysis_net_params(v)};
    return analysis_hw_proximity(c->st, c->reg, srid, &p, geojson, out, err);
}

static int run_recycling(const catalog_ctx *c, const param_values *v, int srid, int geojson, json_t *object,
                         json_t **out, gisd_error *err)
{
    (void)object;
    recycling_params p = {param_num(v, "radius_m"), param_text(v, "level"), analysis_net_params(v)};
    return analysis_recycling_coverage(c->st, c->reg, srid, &p, geojson, out, err);
}

static int run_site(const catalog_ctx *c, const param_values *v, int srid, int geojson, json_t *object,
                    json_t **out, gisd_error *err)
{
    json_t *site = NULL;
    if (site_input_prepare(object, v, &site, err) != 0)
        return -1;
    int rc = site_input_is_batch(site)
                 ? analysis_site_check_batch(c->st, c->reg, srid, c->rules, site, geojson, out, err)
                 : analysis_site_check(c->st, c->reg, srid, c->rules, site, geojson, out, err);
    json_decref(site);
    return rc;
}

static int run_symbiosis(const catalog_ctx *c, const param_values *v, int srid, int geojson, json_t *object,
                         json_t **out, gisd_error *err)
{
    (void)object;
    symbiosis_params p = {param_num(v, "max_km"), param_text(v, "park_id"), analysis_net_params(v)};
    return analysis_symbiosis(c->st, c->reg, srid, &p, geojson, out, err);
}

static int run_route(const catalog_ctx *c, const param_values *v, int srid, int geojson, json_t *object,
                     json_t **out, gisd_error *err)
{
    (void)object;
    route_params p = {param_text(v, "from"), param_text(v, "to"), param_text(v, "mode"), param_num(v, "snap_max_m"),
                      param_num(v, "exposure_m")};
    return analysis_route(c->st, c->reg, srid, &p, geojson, out, err);
}

static int run_service_area(const catalog_ctx *c, const param_values *v, int srid, int geojson, json_t *object,
                            json_t **out, gisd_error *err)
{
    (void)object;
    service_area_params p = {param_text(v, "from"), param_text(v, "mode"), param_num(v, "max_m"),
                             param_num(v, "snap_max_m")};
    return analysis_service_area(c->st, c->reg, srid, &p, geojson, out, err);
}

static int run_network_check(const catalog_ctx *c, const param_values *v, int srid, int geojson, json_t *object,
                             json_t **out, gisd_error *err)
{
    (void)object;
    (void)geojson;
    return analysis_network_check(c->st, c->reg, srid, param_num(v, "snap_max_m"), out, err);
}

static int run_scorecard(const catalog_ctx *c, const param_values *v, int srid, int geojson, json_t *object,
                         json_t **out, gisd_error *err)
{
    (void)object;
    (void)geojson;
    return report_scorecard(c->st, c->reg, c->rules, srid, param_text(v, "park_id"), out, err);
}

typedef int (*analysis_fn)(const catalog_ctx *c, const param_values *v, int srid, int geojson, json_t *object,
                           json_t **out, gisd_error *err);

/* The analysis function of each analysis entry, by id. */
static const struct {
    const char *id;
    analysis_fn fn;
} ANALYSES[] = {{"heating-coverage", run_heating}, {"hw-proximity", run_hw},       {"recycling-coverage", run_recycling},
                {"site-check", run_site},          {"symbiosis", run_symbiosis}, {"park-scorecard", run_scorecard},
                {"route", run_route},              {"service-area", run_service_area},
                {"network-check", run_network_check}};

static int run_analysis(const catalog_entry *e, const catalog_ctx *c, const param_values *v, json_t *object,
                        json_t **out, gisd_error *err)
{
    int srid, geojson;
    if (analysis_setup(c->st, c->reg, v, &srid, &geojson, err) != 0)
        return -1;
    for (size_t k = 0; k < sizeof ANALYSES / sizeof *ANALYSES; k++)
        if (strcmp(ANALYSES[k].id, e->id) == 0)
            return ANALYSES[k].fn(c, v, srid, geojson, object, out, err);
    return gisd_fail(err, GISD_E_INTERNAL, "%s has no function", e->id);
}

static int run_optimization(const catalog_entry *e, const catalog_ctx *c, const param_values *v, json_t *object,
                            json_t **out, gisd_error *err)
{
    if (!param_given(v, "save_scenario"))
        return optimize_run(c->st, c->reg, c->rules, optimize_find(e->id), v, object, c->progress, out, err);
    /* the layout is read off the map: its points and lines */
    if (strcmp(e->id, "hw-allocation") == 0)
        return gisd_fail(err, GISD_E_INPUT, "hw-allocation moves waste, not facilities: it saves no scenario");
    if (!c->writer)
        return gisd_fail(err, GISD_E_INPUT, "save_scenario needs a store this call may write");
    const char *sid = param_text(v, "save_scenario");
    if (!store_scenario_id_ok(sid))
        return gisd_fail(err, GISD_E_INPUT, "save_scenario \"%.80s\" is no scenario id: [A-Za-z0-9_-], 1 to 64 of them",
                         sid);
    param_values mv;
    param_values_copy(&mv, v);
    json_t *map = NULL;
    int rc = param_set_text(&mv, "format", "geojson", err);
    if (rc == 0)
        rc = optimize_run(c->st, c->reg, c->rules, optimize_find(e->id), &mv, object, c->progress, &map, err);
    param_values_free(&mv);
    if (rc == 0)
        rc = catalog_save_scenario(c->writer, c->reg, e->id, e->title, v, object != NULL, store_scenario(c->st), map,
                                   c->who ? c->who : "cli", err);
    if (rc != 0) {
        json_decref(map);
        return -1;
    }
    json_t *answer = json_incref(json_object_get(map, "answer"));
    json_object_set_new(answer, "scenario", json_string(sid));
    if (strcmp(param_text(v, "format"), "geojson") == 0) {
        *out = map;
        json_decref(answer);
    } else {
        *out = answer;
        json_decref(map);
    }
    return 0;
}

#define OPT(id, title, object, params)                                                                     \
    {id, title, CATALOG_OPTIMIZATION, params, object, 0,                                                   \
     object ? "a GeoJSON FeatureCollection of candidate Points with ids; absent: the layer's candidates" : NULL, \
     run_optimization}

const catalog_entry CATALOG[] = {
    {"heating-coverage", "centralized heating coverage of the parks", CATALOG_ANALYSIS, HEATING_COVERAGE_PARAMS,
     NULL, 0, NULL, run_analysis},
    {"hw-proximity", "distance to hazardous-waste facilities", CATALOG_ANALYSIS, HW_PROXIMITY_PARAMS, NULL, 0, NULL,
     run_analysis},
    {"recycling-coverage", "the recycling network's reach", CATALOG_ANALYSIS, RECYCLING_COVERAGE_PARAMS, NULL, 0,
     NULL, run_analysis},
    {"site-check", "compliance of a proposed site", CATALOG_ANALYSIS, SITE_CHECK_PARAMS, "site", 1,
     "the proposed site: a GeoJSON Feature (Point or Polygon; a FeatureCollection checks each), in lon/lat or the CRS its crs member or srs names", run_analysis},
    {"symbiosis", "by-product exchange between enterprises", CATALOG_ANALYSIS, SYMBIOSIS_PARAMS, NULL, 0, NULL,
     run_analysis},
    {"park-scorecard", "a park's indicators, from the analyses above", CATALOG_ANALYSIS, PARK_SCORECARD_PARAMS, NULL,
     0, NULL, run_analysis},
    {"route", "one route along the road network, with what it exposes", CATALOG_ANALYSIS, ROUTE_PARAMS, NULL, 0, NULL,
     run_analysis},
    {"service-area", "what a point reaches along the roads (a walking catchment)", CATALOG_ANALYSIS,
     SERVICE_AREA_PARAMS, NULL, 0, NULL, run_analysis},
    {"network-check", "what to fix in the roads before trusting a network answer", CATALOG_ANALYSIS,
     NETWORK_CHECK_PARAMS, NULL, 0, NULL, run_analysis},
    OPT("recycling-siting", "community recycling points: maximal or set covering", "candidates",
        RECYCLING_SITING_PARAMS),
    OPT("sorting-siting", "sorting centres: p-median", "candidates", SORTING_SITING_PARAMS),
    OPT("hw-allocation", "hazardous-waste disposal capacity: lexicographic transport", NULL, HW_ALLOCATION_PARAMS),
    OPT("heat-extension", "retiring coal boilers by extending the heat network", NULL, HEAT_EXTENSION_PARAMS),
    {NULL, NULL, 0, NULL, NULL, 0, NULL, NULL}};

const catalog_entry *catalog_find(const char *id, catalog_kind kind)
{
    const catalog_entry *e = catalog_find_any(id);
    return e && e->kind == kind ? e : NULL;
}

const catalog_entry *catalog_find_any(const char *id)
{
    for (const catalog_entry *e = CATALOG; e->id; e++)
        if (strcmp(e->id, id) == 0)
            return e;
    return NULL;
}

void catalog_ids(catalog_kind kind, char *buf, size_t n)
{
    size_t count = 0, k = 0, at = 0;
    for (const catalog_entry *e = CATALOG; e->id; e++)
        count += e->kind == kind;
    buf[0] = 0;
    for (const catalog_entry *e = CATALOG; e->id && at < n; e++)
        if (e->kind == kind) {
            k++;
            at += (size_t)snprintf(buf + at, n - at, "%s%s", k == 1 ? "" : k == count ? " or " : ", ", e->id);
        }
}

void catalog_values_init(const catalog_entry *e, param_values *v)
{
    param_values_init(v, e->params, e->id);
}

int catalog_run(const catalog_entry *e, const catalog_ctx *c, const param_values *v, json_t *object, json_t **out,
                gisd_error *err)
{
    *out = NULL;
    if (object && !e->object)
        return gisd_fail(err, GISD_E_INPUT, "%s takes no GeoJSON input", e->id);
    if (!object && e->object_required)
        return gisd_fail(err, GISD_E_INPUT, "%s needs the %s (%s)", e->id, e->object, e->object_doc);
    return e->run(e, c, v, object, out, err);
}

int catalog_parse_execute(const catalog_entry *e, const char *body, size_t len, param_values *v, json_t **object,
                          gisd_error *err)
{
    catalog_values_init(e, v);
    *object = NULL;
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
    json_t *val;
    if (rc == 0)
        json_object_foreach(doc, k, val) {
            if (strcmp(k, "inputs") && strcmp(k, "outputs") && strcmp(k, "response") && strcmp(k, "subscriber")) {
                rc = gisd_fail(err, GISD_E_INPUT, "an execute request has no member \"%s\"; it takes inputs, "
                                                  "outputs, response and subscriber", k);
                break;
            }
        }
    if (rc == 0)
        json_object_foreach(inputs, k, val) {
            if (e->object && strcmp(k, e->object) == 0) {
                json_decref(*object);
                *object = json_incref(val);
            } else if (!param_find(e->params, k)) {
                rc = gisd_fail(err, GISD_E_INPUT, "%s has no input \"%s\"; see /processes/%s", e->id, k, e->id);
            } else {
                rc = param_set_json(v, k, val, err);
            }
            if (rc != 0)
                break;
        }
    json_decref(doc);
    if (rc == 0 && e->object_required && !*object)
        rc = gisd_fail(err, GISD_E_INPUT, "%s needs the input %s", e->id, e->object);
    if (rc == 0)
        rc = param_finish(v, err);
    if (rc != 0) {
        param_values_free(v);
        json_decref(*object);
        *object = NULL;
    }
    return rc;
}
