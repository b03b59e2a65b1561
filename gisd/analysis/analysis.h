/* Planning analyses (docs/ANALYSES.md): pure functions over store
 * cursors and GEOS. The CLI and HTTP call exactly these. Each answer is a
 * jansson document the caller owns. */
#ifndef GISD_ANALYSIS_H
#define GISD_ANALYSIS_H

#include <jansson.h>

#include "error.h"
#include "param.h"
#include "layers.h"
#include "rules.h"
#include "store.h"

/* The projected CRS analyses measure in: `requested` when not 0, else the one
 * recorded at import, else the Gauss-Kruger zone nearest the data. */
int analysis_crs_resolve(store *s, const layer_registry *reg, int requested, int *srid,
                         gisd_error *err);

/* How the network analyses measure (docs/NETWORK.md): straight lines, or
 * along the roads with points joined within snap_max_m. */
typedef struct {
    int network;
    double snap_max_m;
} net_params;

typedef struct {
    double radius_m;
    const char *park_id; /* NULL: every park */
} heating_params;

typedef struct {
    int capable;
    double max_km;
    net_params net;
} hw_params;

typedef struct {
    double max_km;
    const char *park_id; /* NULL: every park; else the lists of its enterprises only */
    net_params net;
} symbiosis_params;

typedef struct {
    double radius_m;
    const char *level; /* community, transit, sorting or any */
    net_params net;
} recycling_params;

/* heating-coverage of one park, as numbers. */
typedef struct {
    char *park_id;
    double area_km2, covered_km2, coverage_ratio;
    long enterprises, enterprises_covered;
    size_t ncoal;        /* coal boilers inside the coverage, */
    char **coal_ids;     /* by id, */
    double *coal_tph;    /* each one's t/h */
} heating_park;

typedef struct {
    double radius_m;
    size_t nparks;
    heating_park *parks; /* in park_id order */
    double area_km2, covered_km2, coverage_ratio;
    long enterprises, enterprises_covered, coal_boilers;
} heating_result;

/* heating-coverage as numbers in *out (free with heating_result_free), and
 * with map (not NULL) its map view, a FeatureCollection, the caller's:
 * 0, or -1 with err. */
int analysis_heating_compute(store *s, const layer_registry *reg, int srid, const heating_params *p,
                             heating_result *out, json_t **map, gisd_error *err);
/* The report of r (docs/ANALYSES.md), the caller's. */
json_t *heating_result_json(const heating_result *r);
void heating_result_free(heating_result *r);

/* hw-proximity as numbers: each producing enterprise (by id) with its
 * nearest (eligible) facility, NULL when there is none. */
typedef struct {
    char *ent_id, *facility_id;
    double hw_tpy, distance_m;
} hw_row;

typedef struct {
    int capable;
    double max_km;
    net_params net;
    size_t n;
    hw_row *rows;
    long beyond_max, no_facility;
} hw_result;

int analysis_hw_compute(store *s, const layer_registry *reg, int srid, const hw_params *p, hw_result *out,
                        json_t **map, gisd_error *err);
json_t *hw_result_json(const hw_result *r);
void hw_result_free(hw_result *r);

/* symbiosis as numbers (the lists in enterprise, then by-product order). */
typedef struct {
    char *consumer, *byproduct, *producer;
    double distance_m;
    char *park_id; /* both ends in this park, or NULL */
} symbiosis_link;

typedef struct {
    char *ent_id, *byproduct;
} symbiosis_pair;

typedef struct {
    char *byproduct;
    long producers, consumers, links, unmatched, unused;
} symbiosis_byproduct;

typedef struct {
    char *park_id;
    long demands, links_in_park;
    double in_park_ratio;
} symbiosis_park;

typedef struct {
    double max_km;
    net_params net;
    size_t nlinks, nunmatched, nunused, nbyproducts, nparks;
    symbiosis_link *links;
    symbiosis_pair *unmatched, *unused;
    symbiosis_byproduct *byproducts;
    symbiosis_park *parks;
} symbiosis_result;

int analysis_symbiosis_compute(store *s, const layer_registry *reg, int srid, const symbiosis_params *p,
                               symbiosis_result *out, json_t **map, gisd_error *err);
json_t *symbiosis_result_json(const symbiosis_result *r);
void symbiosis_result_free(symbiosis_result *r);

/* recycling-coverage as numbers: the tally of a district (name set) or of
 * the city (name NULL). */
typedef struct {
    char *name;
    long communities;
    double households, households_covered;
} recycling_tally;

typedef struct {
    double radius_m;
    char level[16];
    net_params net;
    size_t ndistricts;
    recycling_tally *districts; /* the districts holding communities, by name */
    recycling_tally total;
    size_t nuncovered;
    char **uncovered; /* the communities out of reach, by id */
} recycling_result;

/* recycling-coverage as numbers in *out (free with recycling_result_free),
 * and with map (not NULL) its map view, the caller's: 0, or -1 with err. */
int analysis_recycling_compute(store *s, const layer_registry *reg, int srid, const recycling_params *p,
                               recycling_result *out, json_t **map, gisd_error *err);
json_t *recycling_result_json(const recycling_result *r);
void recycling_result_free(recycling_result *r);

/* geojson: answer with the map's view (a FeatureCollection) instead of the report. */
int analysis_heating_coverage(store *s, const layer_registry *reg, int srid,
                              const heating_params *p, int geojson, json_t **out, gisd_error *err);
int analysis_hw_proximity(store *s, const layer_registry *reg, int srid, const hw_params *p,
                          int geojson, json_t **out, gisd_error *err);
int analysis_recycling_coverage(store *s, const layer_registry *reg, int srid,
                                const recycling_params *p, int geojson, json_t **out,
                                gisd_error *err);
int analysis_symbiosis(store *s, const layer_registry *reg, int srid, const symbiosis_params *p,
                       int geojson, json_t **out, gisd_error *err);
/* site is a GeoJSON Feature (borrowed) in lon/lat. */
int analysis_site_check(store *s, const layer_registry *reg, int srid, const site_rules *rules,
                        json_t *site, int geojson, json_t **out, gisd_error *err);

/* The documented limits of the parameters: past them the answer is a 400
 * naming the limit, never minutes of GEOS work. */
#define ANALYSIS_RADIUS_MAX_M 50000.0
#define ANALYSIS_DISTANCE_MAX_KM 1000.0
#define ANALYSIS_SITE_MAX_VERTICES 100000
/* Sites checked at once (a FeatureCollection or a file of several). */
#define SITE_INPUT_MAX_SITES 1000

/* ---- the sites offices send (site_input.c) ----
 * Each returns a Feature (one site) or a FeatureCollection (several) in
 * lon/lat (CGCS2000), marked with a CRS84 crs member so that reading it
 * again changes nothing; *out the caller's; -1 with an input error naming
 * the file and line otherwise. srs (EPSG:n, an OGC URI, <uri>, GCJ02 or
 * BD09; NULL: lon/lat) is the CRS of a site that states none. */

/* A GeoJSON object (Feature or FeatureCollection, with or without a crs
 * member) into lon/lat. Anything else is passed on for site-check to refuse. */
int site_input_normalise(json_t *object, const char *srs, json_t **out, gisd_error *err);
/* The bytes of a site file: GeoJSON, boundary-point TXT (界址点), or any OGR
 * vector format (zipped shapefile, DXF, KML, GeoPackage); path (or NULL for
 * a request body) names it in errors and, on disk, lets a shapefile's
 * sidecars be found. */
int site_input_read(const void *data, size_t len, const char *path, const char *srs, json_t **out, gisd_error *err);
/* The same for the file at path. */
int site_input_file(const char *path, const char *srs, json_t **out, gisd_error *err);
/* Gives each site without them the project_class and coal_boiler_tph
 * (either NULL: none); a site's own values stay. Returns 0. */
int site_input_defaults(json_t *site, const char *project_class, const double *coal_boiler_tph);
/* What a site of a batch is called: its id, its properties' id or name,
 * else "site i+1"; xmalloc'd, the caller's. */
char *analysis_site_id(json_t *f, size_t i);
/* 1 when site is a FeatureCollection (a batch), else 0. */
int site_input_is_batch(json_t *site);
/* The site param values v (srs, project_class, coal_boiler_tph) apply to
 * site: normalised, defaults filled; *out the caller's: 0, or -1 with err. */
int site_input_prepare(json_t *site, const param_values *v, json_t **out, gisd_error *err);
/* The park nearest site (a prepared Feature) in srid, for an opinion on a
 * site outside every park: 1 with its id and distance, 0 when there are no
 * parks, -1 with err. */
int analysis_site_nearest_park(store *s, const layer_registry *reg, int srid, json_t *site, char id[64],
                               double *distance_m, gisd_error *err);
/* site-check of each site of batch (a prepared FeatureCollection):
 * {total, compliant, sites: [{id, compliant, rules}]} sorted by id (with
 * geojson, one FeatureCollection of every site's features, each with its
 * site's id as "site"); 0, or -1 with err naming the site that failed. */
int analysis_site_check_batch(store *s, const layer_registry *reg, int srid, const site_rules *rules, json_t *batch,
                              int geojson, json_t **out, gisd_error *err);

/* Each analysis' parameters (param.h), which the catalog serves through
 * every door; the last two of each are format (json|geojson: the report or
 * its map) and analysis_crs. */
extern const param_def HEATING_COVERAGE_PARAMS[];
extern const param_def HW_PROXIMITY_PARAMS[];
extern const param_def RECYCLING_COVERAGE_PARAMS[];
extern const param_def SITE_CHECK_PARAMS[];
extern const param_def SYMBIOSIS_PARAMS[];

/* route and service-area (docs/NETWORK.md): from and to are LAYER:ID or
 * "lon,lat"; mode walk, drive or hazmat. */
typedef struct {
    const char *from, *to, *mode;
    double snap_max_m, exposure_m;
} route_params;

typedef struct {
    const char *from, *mode;
    double max_m, snap_max_m;
} service_area_params;

int analysis_route(store *s, const layer_registry *reg, int srid, const route_params *p, int geojson, json_t **out,
                   gisd_error *err);
int analysis_service_area(store *s, const layer_registry *reg, int srid, const service_area_params *p, int geojson,
                          json_t **out, gisd_error *err);
/* What a planner must fix before trusting a network answer: per mode its
 * edges, components, dangles and the features of the point layers off it,
 * and the endpoints 0.5 to 5 m apart that do not join. */
int analysis_network_check(store *s, const layer_registry *reg, int srid, double snap_max_m, json_t **out,
                           gisd_error *err);

/* nearest (GET /nearest): the n features of a point layer nearest to
 * (lon lat), only those of level and taking category when given; walking
 * along the roads when network. */
typedef struct {
    const char *layer;
    double lon, lat;
    int n;
    const char *level, *category;
    int network;
    double snap_max_m;
} nearest_params;

/* A FeatureCollection of them sorted by distance (ties by id), each with
 * distance_m, straight_m, rank and (network) its walking route as a
 * LineString in lon/lat; those the roads do not reach are left out. 0, or
 * -1 with err (an input error for a layer that is not one of points or
 * lacks the field filtered by; not found when the place is off the roads). */
int analysis_nearest(store *s, const layer_registry *reg, int srid, const nearest_params *p, json_t **out,
                     gisd_error *err);
extern const param_def NEAREST_PARAMS[];

/* search (GET /search): q, the layers to search (comma-separated, NULL:
 * all with names), at most limit matches. */
typedef struct {
    const char *q, *layers;
    int limit;
} search_params;

/* A FeatureCollection of the features whose name is q, begins with it,
 * holds it, or (q of two or more ASCII letters and digits) is spelt by its
 * pinyin initials, in that order, then shorter names first, then by layer
 * (recycling points first), name and id; each a Point on the feature with its bbox and the
 * properties layer, name, id, matched (name|pinyin) and, for a road of many
 * segments, parts. Roads are one match a name. numberMatched counts all.
 * 0, or -1 with err (an input error for a bad q or layer). */
int analysis_search(store *s, const layer_registry *reg, const search_params *p, json_t **out, gisd_error *err);
extern const param_def SEARCH_PARAMS[];
/* Drops the cached search indexes (at exit, so no leak is reported). */
void search_cache_clear(void);

extern const param_def ROUTE_PARAMS[];
extern const param_def SERVICE_AREA_PARAMS[];
extern const param_def NETWORK_CHECK_PARAMS[];

/* distance and snap_max_m, which the network analyses and optimisations take. */
#define ANALYSIS_DISTANCE_PARAMS                                                                          \
    {"distance", PARAM_CHOICE, NULL, 0, 0, "euclidean|network", "euclidean", 0,                           \
     "straight lines, or along the roads (docs/NETWORK.md)"},                                             \
        {"snap_max_m", PARAM_NUMBER, "m", 1, 5000, NULL, "500", 0,                                        \
         "with distance=network: a point farther than this from the roads is off the network"}

/* The net_params of v's distance and snap_max_m. */
net_params analysis_net_params(const param_values *v);

/* The two parameters every analysis and optimisation ends with. */
#define ANALYSIS_FORMAT_AND_CRS_PARAMS                                                                    \
    {"format", PARAM_CHOICE, NULL, 0, 0, "json|geojson", "json", 0, "the report, or its map"},           \
        {"analysis_crs", PARAM_CRS, NULL, 0, 0, NULL, NULL, 0,                                           \
         "the projected CRS in metres measured in (EPSG:n); default: the store's"}

/* The analysis CRS asked for in v's analysis_crs (the store's when absent)
 * and whether v's format asks for the map: 0, or -1 with err. */
int analysis_setup(store *s, const layer_registry *reg, const param_values *v, int *srid, int *geojson,
                   gisd_error *err);

/* The JSON encoding flags every analysis answer is written with. */
#define ANALYSIS_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(12))

#endif
