/* The analyses' parameter tables (param.h), read by the catalog for every
 * door, and the set-up all analyses share. */
#include "analysis.h"

#include <string.h>

const param_def HEATING_COVERAGE_PARAMS[] = {
    {"radius_m", PARAM_NUMBER, "m", 0, ANALYSIS_RADIUS_MAX_M, NULL, "1000", 0,
     "covered within this many metres of a pipe"},
    {"park_id", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 0, "one park only"},
    ANALYSIS_FORMAT_AND_CRS_PARAMS,
    {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

const param_def HW_PROXIMITY_PARAMS[] = {
    {"capable", PARAM_BOOL, NULL, 0, 0, NULL, "false", 0, "only facilities taking every code the enterprise produces"},
    {"max_km", PARAM_NUMBER, "km", 0.001, ANALYSIS_DISTANCE_MAX_KM, NULL, "50", 0, "counted as beyond_max past this"},
    ANALYSIS_FORMAT_AND_CRS_PARAMS,
    {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

const param_def RECYCLING_COVERAGE_PARAMS[] = {
    {"radius_m", PARAM_NUMBER, "m", 0, ANALYSIS_RADIUS_MAX_M, NULL, "1000", 0,
     "covered within this many metres of a point"},
    {"level", PARAM_CHOICE, NULL, 0, 0, "community|transit|sorting|any", "community", 0,
     "the level of points that count"},
    ANALYSIS_FORMAT_AND_CRS_PARAMS,
    {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

const param_def SITE_CHECK_PARAMS[] = {ANALYSIS_FORMAT_AND_CRS_PARAMS, {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

const param_def SYMBIOSIS_PARAMS[] = {
    {"max_km", PARAM_NUMBER, "km", 0.001, ANALYSIS_DISTANCE_MAX_KM, NULL, "10", 0,
     "a by-product travels at most this far"},
    {"park_id", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 0, "one park: the links, gaps and ratio of its enterprises"},
    ANALYSIS_FORMAT_AND_CRS_PARAMS,
    {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

int analysis_setup(store *s, const layer_registry *reg, const param_values *v, int *srid, int *geojson,
                   gisd_error *err)
{
    *geojson = 0;
    if (param_find(v->defs, "format"))
        *geojson = strcmp(param_text(v, "format"), "geojson") == 0;
    int requested = param_find(v->defs, "analysis_crs") ? (int)param_num(v, "analysis_crs") : 0;
    return analysis_crs_resolve(s, reg, requested, srid, err);
}
