/* What the analyses share: a layer loaded into GEOS in the analysis CRS, with
 * an STR-tree so no analysis compares every feature with every other. */
#ifndef GISD_ANALYSIS_GEOM_H
#define GISD_ANALYSIS_GEOM_H

#include <geos_c.h>
#include <jansson.h>

#include "analysis.h"

typedef struct {
    GEOSGeometry *g;
    const GEOSPreparedGeometry *prep; /* made on first use */
    char **vals;                      /* the requested fields as text (NULL for null) */
    size_t index;
} afeat;

typedef struct {
    GEOSContextHandle_t h;
    afeat *f;
    size_t n, nvals;
    GEOSSTRtree *tree;
} aset;

/* Loads fields (by name) and geometry of the layer's features, in srid: all
 * of them, or (bbox not NULL) those meeting bbox, given in srid. */
int aset_load(GEOSContextHandle_t h, store *s, const layer_registry *reg, const char *layer,
              int srid, const char *const *fields, const double *bbox, aset *out,
              gisd_error *err);
/* Safe on a zeroed aset, so callers can zero several, load them in turn and
 * free them all whichever load failed. */
void aset_free(aset *a);

typedef void (*aset_visit)(afeat *f, void *ud);
/* Visits the features whose envelope is within `margin` of g's envelope. */
void aset_near(aset *a, const GEOSGeometry *g, double margin, aset_visit visit, void *ud);

typedef int (*aset_filter)(const afeat *f, void *ud);
/* The nearest feature to g that passes keep (NULL: all), or NULL; *dist is its distance. */
afeat *aset_nearest(aset *a, const GEOSGeometry *g, aset_filter keep, void *ud, double *dist);
const GEOSPreparedGeometry *afeat_prepared(aset *a, afeat *f);

double analysis_round(double v, int decimals);
double afeat_num(const afeat *f, size_t k); /* 0 for null */
int analysis_id_cmp(const void *a, const void *b); /* qsort of char* */

/* A Feature of the map view: geometry g (transformed back to lon/lat by the
 * caller's ctx), properties props (taken). */
typedef struct {
    GEOSContextHandle_t h;
    int srid;
    void *to_lonlat; /* OGRCoordinateTransformationH */
    GEOSWKBWriter *wkb;
} map_view;
int map_view_open(map_view *v, GEOSContextHandle_t h, int srid, gisd_error *err);
void map_view_close(map_view *v);
/* Appends {"type":"Feature","geometry":g in lon/lat,"properties":props} to features. */
void map_view_add(map_view *v, json_t *features, const GEOSGeometry *g, json_t *props);

/* A JSON number, written as an integer when it is whole (radius_m: 1000). */
json_t *analysis_number(double v);

#endif
