/* What the analyses share: a layer loaded into GEOS in the analysis CRS, with
 * an STR-tree so no analysis compares every feature with every other. */
#ifndef GISD_ANALYSIS_GEOM_H
#define GISD_ANALYSIS_GEOM_H

#include <geos_c.h>
#include <jansson.h>

#include "error.h"
#include "layers.h"
#include "store.h"
#include "geos_ctx.h"

typedef struct {
    GEOSGeometry *g;
    const GEOSPreparedGeometry *prep; /* made on first use (in a view of a resident set: aset.prep) */
    char **vals;                      /* the requested fields as text (NULL for null) */
    size_t index;
    int is_point;                     /* g is a point at (x, y): distances to points without GEOS */
    double x, y;
} afeat;

/* How an analysis fails closed: the first GEOS failure (a predicate's
 * exception value 2, a NULL result) or the deadline is kept here with GEOS's
 * own message, every later step becomes a no-op, and the analysis answers
 * with that error instead of a result. */
typedef struct {
    gisd_error *err;
    int failed;
} afail;

/* 1 when the analysis may go on; 0 when it failed or (recorded now) its
 * deadline passed. */
int afail_live(afail *f);
/* A GEOS predicate's value: 1 or 0, or 0 with the failure recorded on 2. */
int afail_pred(afail *f, char r, const char *what);
/* 1 when a GEOS call returning a pointer or a status gave one (ok != 0);
 * else 0 with the failure recorded. */
int afail_ok(afail *f, int ok, const char *what);

typedef struct aset_shared aset_shared;

typedef struct {
    GEOSContextHandle_t h;
    afeat *f;
    size_t n, nvals;
    GEOSSTRtree *tree;
    afail *fail;
    aset_shared *shared; /* the resident set this views (f and tree are its), or NULL */
    const GEOSPreparedGeometry **prep; /* a view's own prepared geometries, by index */
} aset;

/* From now on, in this process, aset_load keeps every whole layer it loads
 * of the baseline (no bbox, no scenario) in memory, shared read-only by the
 * analyses that load it again at the same change counter, with its STR-tree
 * built: up to max_sets layer, CRS and field sets, the least recently used
 * going first. What a running server does; the command line reads the store
 * each time. Never fails. */
void aset_resident_start(size_t max_sets);
/* Drops every resident set not in use (those in use go with their last
 * view); after it aset_load reads the store again. */
void aset_resident_stop(void);

/* Loads fields (by name) and geometry of the layer's features, in srid: all
 * of them, or (bbox not NULL) those meeting bbox, given in srid. Failures go
 * to fail (kept by the set for its later queries); returns 0 or -1. With
 * aset_resident_start, the whole layer may come as a view of the resident
 * copy: read it as any other, never change it. */
int aset_load(GEOSContextHandle_t h, store *s, const layer_registry *reg, const char *layer,
              int srid, const char *const *fields, const double *bbox, aset *out, afail *fail);
/* Safe on a zeroed aset, so callers can zero several, load them in turn and
 * free them all whichever load failed. */
void aset_free(aset *a);

typedef void (*aset_visit)(afeat *f, void *ud);
/* Visits the features whose envelope is within `margin` of g's envelope
 * (none once the analysis failed). */
void aset_near(aset *a, const GEOSGeometry *g, double margin, aset_visit visit, void *ud);

typedef int (*aset_filter)(const afeat *f, void *ud);
/* The nearest feature to g that passes keep (NULL: all), or NULL (also when
 * it failed: ask a->fail); *dist is its distance. */
afeat *aset_nearest(aset *a, const GEOSGeometry *g, aset_filter keep, void *ud, double *dist);
/* f prepared (made on first use); NULL with the failure recorded. */
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
    afail *fail;
} map_view;
/* Opens the map view of an analysis measuring in srid; 0, or -1 recorded in fail. */
int map_view_open(map_view *v, GEOSContextHandle_t h, int srid, afail *fail);
void map_view_close(map_view *v);
/* Appends {"type":"Feature","geometry":g in lon/lat,"properties":props} to
 * features; a geometry that cannot be written back to lon/lat is null. */
void map_view_add(map_view *v, json_t *features, const GEOSGeometry *g, json_t *props);

/* The line from (x0 y0) to (x1 y1), the caller's; NULL with the failure recorded. */
GEOSGeometry *analysis_segment(GEOSContextHandle_t h, double x0, double y0, double x1, double y1,
                               afail *fail);

/* A site's GeoJSON geometry (Point, Polygon or MultiPolygon in lon/lat,
 * borrowed) in the analysis CRS srid, as GEOS (the caller's); NULL with an
 * input error naming what is wrong. */
GEOSGeometry *analysis_site_geometry(GEOSContextHandle_t h, json_t *geometry, int srid, gisd_error *err);

/* 1 when every ;-separated hazardous-waste code of need is in have (an empty
 * need is covered by anything). */
int hw_codes_cover(const char *have, const char *need);

/* A JSON number, written as an integer when it is whole (radius_m: 1000). */
json_t *analysis_number(double v);

#endif
