/* The analyses' parameter tables (param.h), read by the catalog for every
 * door, and the set-up all analyses share. */
#include "analysis.h"

#include <math.h>
#include <string.h>

#include "crs.h"
#include "dataset.h"

const param_def HEATING_COVERAGE_PARAMS[] = {
    {"radius_m", PARAM_NUMBER, "m", 0, ANALYSIS_RADIUS_MAX_M, NULL, "1000", 0,
     "covered within this many metres of a pipe"},
    {"park_id", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 0, "one park only"},
    ANALYSIS_FORMAT_AND_CRS_PARAMS,
    {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

const param_def HW_PROXIMITY_PARAMS[] = {
    {"capable", PARAM_BOOL, NULL, 0, 0, NULL, "false", 0, "only facilities taking every code the enterprise produces"},
    {"max_km", PARAM_NUMBER, "km", 0.001, ANALYSIS_DISTANCE_MAX_KM, NULL, "50", 0, "counted as beyond_max past this"},
    ANALYSIS_DISTANCE_PARAMS,
    ANALYSIS_FORMAT_AND_CRS_PARAMS,
    {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

const param_def RECYCLING_COVERAGE_PARAMS[] = {
    {"radius_m", PARAM_NUMBER, "m", 0, ANALYSIS_RADIUS_MAX_M, NULL, "1000", 0,
     "covered within this many metres of a point"},
    {"level", PARAM_CHOICE, NULL, 0, 0, "community|transit|sorting|any", "community", 0,
     "the level of points that count"},
    ANALYSIS_DISTANCE_PARAMS,
    ANALYSIS_FORMAT_AND_CRS_PARAMS,
    {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

const param_def SITE_CHECK_PARAMS[] = {
    {"srs", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 0,
     "the CRS of a site that states none: EPSG:n, GCJ02 (高德/腾讯) or BD09 (百度); default lon/lat CGCS2000"},
    {"project_class", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 0,
     "the project class of a site whose properties name none (M1, M2, M3, hw_facility, ...)"},
    {"coal_boiler_tph", PARAM_NUMBER, "t/h", 0, 100000, NULL, NULL, 0,
     "the coal boiler of a site whose properties give none, in t/h"},
    ANALYSIS_FORMAT_AND_CRS_PARAMS,
    {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

const param_def SYMBIOSIS_PARAMS[] = {
    {"max_km", PARAM_NUMBER, "km", 0.001, ANALYSIS_DISTANCE_MAX_KM, NULL, "10", 0,
     "a by-product travels at most this far"},
    {"park_id", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 0, "one park: the links, gaps and ratio of its enterprises"},
    ANALYSIS_DISTANCE_PARAMS,
    ANALYSIS_FORMAT_AND_CRS_PARAMS,
    {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

const param_def ROUTE_PARAMS[] = {
    {"from", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 1, "LAYER:ID (enterprises:E00017) or lon,lat"},
    {"to", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 1, "LAYER:ID or lon,lat"},
    {"mode", PARAM_CHOICE, NULL, 0, 0, "walk|drive|hazmat", "hazmat", 0, "whose roads: pedestrians, vehicles, dangerous goods"},
    {"snap_max_m", PARAM_NUMBER, "m", 1, 5000, NULL, "500", 0, "a point farther than this from the roads is off the network"},
    {"exposure_m", PARAM_NUMBER, "m", 0, ANALYSIS_RADIUS_MAX_M, NULL, "500", 0,
     "communities within this many metres of the route are exposed"},
    ANALYSIS_FORMAT_AND_CRS_PARAMS,
    {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

const param_def SERVICE_AREA_PARAMS[] = {
    {"from", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 1, "LAYER:ID (recycling_points:R00012) or lon,lat"},
    {"mode", PARAM_CHOICE, NULL, 0, 0, "walk|drive|hazmat", "walk", 0, "whose roads: pedestrians, vehicles, dangerous goods"},
    {"max_m", PARAM_NUMBER, "m", 1, ANALYSIS_RADIUS_MAX_M, NULL, "1000", 0, "the budget along the roads, access leg included"},
    {"snap_max_m", PARAM_NUMBER, "m", 1, 5000, NULL, "500", 0, "a point farther than this from the roads is off the network"},
    ANALYSIS_FORMAT_AND_CRS_PARAMS,
    {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

const param_def NETWORK_CHECK_PARAMS[] = {
    {"snap_max_m", PARAM_NUMBER, "m", 1, 5000, NULL, "500", 0, "a point farther than this from the roads is off the network"},
    {"analysis_crs", PARAM_CRS, NULL, 0, 0, NULL, NULL, 0, "the projected CRS in metres measured in (EPSG:n); default: the store's"},
    {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

net_params analysis_net_params(const param_values *v)
{
    net_params p = {0, 500};
    if (param_find(v->defs, "distance"))
        p.network = strcmp(param_text(v, "distance"), "network") == 0;
    if (param_find(v->defs, "snap_max_m"))
        p.snap_max_m = param_num(v, "snap_max_m");
    return p;
}

int analysis_setup(store *s, const layer_registry *reg, const param_values *v, int *srid, int *geojson,
                   gisd_error *err)
{
    *geojson = 0;
    if (param_find(v->defs, "format"))
        *geojson = strcmp(param_text(v, "format"), "geojson") == 0;
    int requested = param_find(v->defs, "analysis_crs") ? (int)param_num(v, "analysis_crs") : 0;
    return analysis_crs_resolve(s, reg, requested, srid, err);
}

/* The most a requested analysis CRS may scale distances by (1 ± this). */
#define ANALYSIS_CRS_MAX_DISTORTION 0.01

int analysis_crs_resolve(store *s, const layer_registry *reg, int requested, int *srid,
                         gisd_error *err)
{
    if (requested) {
        if (!crs_is_projected_metres(requested))
            return gisd_fail(err, GISD_E_INPUT,
                             "EPSG:%d is not a projected CRS in metres; analyses measure in one "
                             "such as EPSG:4549", requested);
        /* distances and areas measured in it must be the ground's: its scale
         * at the data's centre within 1% of true (a Gauss-Kruger or UTM zone
         * over the city; not Web Mercator, nor a zone far away) */
        double lon, lat, k = 1;
        int rc = dataset_centre(s, reg, &lon, &lat, err);
        if (rc < 0 || (rc == 0 && crs_scale_at(requested, lon, lat, &k, err) != 0))
            return -1;
        if (fabs(k - 1) > ANALYSIS_CRS_MAX_DISTORTION) {
            int zone = crs_gk_zone_for_lon(lon);
            return gisd_fail(err, GISD_E_INPUT,
                             "EPSG:%d distorts distances by %.1f%% at the data's centre (%.3f, %.3f), more than "
                             "the %.0f%% an analysis takes; measure in a CRS true near the data, such as EPSG:%d",
                             requested, fabs(k - 1) * 100, lon, lat, ANALYSIS_CRS_MAX_DISTORTION * 100, zone);
        }
        *srid = requested;
        return 0;
    }
    char value[64];
    store_found found = store_meta_get(s, "analysis_crs", value, sizeof value, err);
    if (found == STORE_FAILED)
        return -1;
    if (found == STORE_FOUND) {
        *srid = crs_parse(value, NULL, err);
        return *srid < 0 ? -1 : 0;
    }
    int rc = dataset_nearest_gk_zone(s, reg, srid, err);
    if (rc == 1)
        return gisd_fail(err, GISD_E_INPUT, "the store holds no data yet: import a city first");
    return rc;
}
