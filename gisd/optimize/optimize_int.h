/* What the optimisations share inside optimize_*.c. */
#ifndef GISD_OPTIMIZE_INT_H
#define GISD_OPTIMIZE_INT_H

#include "analysis.h"
#include "analysis_geom.h"
#include "milp.h"
#include "optimize.h"


/* One run: the GEOS work, its failures, the store and the analysis CRS. */
typedef struct opt_run {
    GEOSContextHandle_t h;
    afail fail;
    store *st;
    const layer_registry *reg;
    const site_rules *rules;
    int srid;
    double time_limit_s;
    int geojson;
    const milp_progress *progress; /* NULL: no one asked */
} opt_run;

/* A candidate site: an id and a point in the analysis CRS. */
typedef struct {
    char *id;
    GEOSGeometry *g;
} opt_site;

/* The user's candidates (a FeatureCollection of Points with ids, unique) in
 * the analysis CRS: 0, or -1 with an input error naming the feature. */
int opt_candidates(opt_run *r, json_t *fc, opt_site **out, size_t *n, gisd_error *err);
void opt_sites_free(opt_run *r, opt_site *s, size_t n);

/* The map of an answer (format geojson): features added with opt_map_point
 * and opt_map_link, then opt_map_finish puts the report in as "answer". */
typedef struct {
    map_view mv;
    json_t *features;
} opt_map;
/* 0, or -1 (recorded in r->fail) when the map cannot be drawn. */
int opt_map_open(opt_run *r, opt_map *m);
/* g (a point or any geometry) with props (taken). */
void opt_map_point(opt_map *m, const GEOSGeometry *g, json_t *props);
/* A line between the nearest points of a and b, with props (taken). */
void opt_map_link(opt_run *r, opt_map *m, const GEOSGeometry *a, const GEOSGeometry *b, json_t *props);
/* The FeatureCollection holding the features and, as "answer", report
 * (taken); closes m. */
json_t *opt_map_finish(opt_map *m, json_t *report);

/* Solves m within r's time limit: 0 with a layout in *res, or -1 with an
 * input error when the problem is infeasible or no layout came in time. */
int opt_solve(opt_run *r, milp *m, milp_result *res, gisd_error *err);

/* The fields of the solver's answer every optimisation reports. */
void opt_report(json_t *doc, const milp_result *res, double objective, double bound);
/* x rounded to d decimals, as a JSON number (whole numbers as integers). */
json_t *opt_number(double x, int d);
int opt_str_cmp(const void *a, const void *b); /* qsort of const char * */

int optimize_recycling(opt_run *r, const param_values *v, json_t *candidates, json_t **out,
                       gisd_error *err);
int optimize_sorting(opt_run *r, const param_values *v, json_t *candidates, json_t **out,
                     gisd_error *err);
int optimize_hw(opt_run *r, const param_values *v, json_t *candidates, json_t **out, gisd_error *err);
int optimize_heat(opt_run *r, const param_values *v, json_t *candidates, json_t **out, gisd_error *err);

#endif
