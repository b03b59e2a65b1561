/* Planning analyses (docs/ANALYSES.md): pure functions over store
 * cursors and GEOS. The CLI and HTTP call exactly these. Each answer is a
 * jansson document the caller owns. */
#ifndef GISD_ANALYSIS_H
#define GISD_ANALYSIS_H

#include <jansson.h>

#include "error.h"
#include "layers.h"
#include "rules.h"
#include "store.h"

/* The projected CRS analyses measure in: `requested` when not 0, else the one
 * recorded at import, else the Gauss-Kruger zone nearest the data. */
int analysis_crs_resolve(store *s, const layer_registry *reg, int requested, int *srid,
                         gisd_error *err);

typedef struct {
    double radius_m;
    const char *park_id; /* NULL: every park */
} heating_params;

typedef struct {
    int capable;
    double max_km;
} hw_params;

typedef struct {
    double max_km;
    const char *park_id; /* NULL: every park; else the lists of its enterprises only */
} symbiosis_params;

typedef struct {
    double radius_m;
    const char *level; /* community, transit, sorting or any */
} recycling_params;

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

/* The parameters of any analysis as the user wrote them (NULL: default), so
 * that the command line and HTTP parse them in one place. */
typedef struct {
    const char *radius_m, *park_id, *capable, *max_km, *level, *format, *analysis_crs;
} analysis_args;

/* The documented limits of the parameters: past them the answer is a 400
 * naming the limit, never minutes of GEOS work. */
#define ANALYSIS_RADIUS_MAX_M 50000.0
#define ANALYSIS_DISTANCE_MAX_KM 1000.0
#define ANALYSIS_SITE_MAX_VERTICES 100000

/* Checks what needs no store (the name, the format, the CRS, each parameter
 * against its limit): 0, or -1 with err (GISD_E_NOTFOUND for an unknown name). */
int analysis_check(const char *name, const analysis_args *args, gisd_error *err);
/* Runs the analysis called name ("heating-coverage", "hw-proximity",
 * "recycling-coverage", "site-check", "symbiosis"); site is the Feature for site-check.
 * *out is the caller's on success; on failure it is NULL and err says why
 * (GISD_E_TIMEOUT when cancelled, GISD_E_INTERNAL when GEOS failed). */
int analysis_dispatch(store *s, const layer_registry *reg, const site_rules *rules,
                      const char *name, const analysis_args *args, json_t *site, json_t **out,
                      gisd_error *err);

/* The JSON encoding flags every analysis answer is written with. */
#define ANALYSIS_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(12))

#endif
