/* What the tile renderer reads: each layer held in memory in Web Mercator
 * with an STR-tree, reloaded from the store when the layer's change counter
 * moves. A snapshot is immutable once built, so any number of threads render
 * from it at once; refcounts keep it alive while a tile is being made. */
#ifndef GISD_TILE_DATA_H
#define GISD_TILE_DATA_H

#include <geos_c.h>
#include <pthread.h>
#include <stdatomic.h>

#include "store.h"
#include "tile_grid.h"

typedef enum { TV_NULL, TV_INT, TV_REAL, TV_TEXT } tile_value_type;

typedef struct {
    tile_value_type type;
    long long i;
    double d;
    const char *s; /* owned by the snapshot */
    unsigned long long hash; /* mvt_text_hash(s) */
} tile_value;

/* A feature's shape as each zoom draws it, made on first use. */
typedef struct {
    GEOSGeometry *_Atomic at[TILE_MAX_ZOOM + 1];
} tile_simplified;

typedef struct {
    unsigned long long id; /* 1-based position in the layer, the MVT feature id */
    GEOSGeometry *geom;    /* Web Mercator metres */
    double minx, miny, maxx, maxy;
    tile_value *values;    /* one per field of the layer */
    int labelled;          /* lx, ly: where a polygon's label goes (a point on its surface) */
    double lx, ly;
    tile_simplified *_Atomic simple; /* see tile_feature_simplified; NULL until then */
} tile_feature;

/* f's geometry simplified at zoom z to tolerance (Douglas-Peucker, one tile
 * unit), made by the first tile of that zoom to draw it and kept with the
 * snapshot for every later one (geojson-vt's order: the whole feature
 * simplified per zoom, then clipped per tile); f->geom itself when it has at most 8 vertices or simplifying
 * keeps nine in ten of them. Thread-safe. NULL when GEOS fails
 * (geos_last_error says why). */
const GEOSGeometry *tile_feature_simplified(GEOSContextHandle_t ctx, tile_feature *f, int z, double tolerance);

typedef struct {
    const layer_def *layer;
    long long changes;
    size_t n;
    tile_feature *features;
    GEOSSTRtree *index;
    GEOSContextHandle_t geos; /* built the snapshot; destroys it */
    int refs;
    /* the polygons dissolved for zooms below the layer's minzoom, made on
     * first use (overview_lock) */
    pthread_mutex_t overview_lock;
    int overview_built;
    tile_feature *overview;
    size_t noverview;
} tile_layer_data;

/* The layer's overview (its polygons dissolved by the definition's dissolve
 * field, one feature per value) in *out, built on first use and kept with the
 * snapshot; 0, or -1 with err when GEOS fails or the request's deadline
 * passes (it is tried again next time). */
int tile_layer_overview(tile_layer_data *d, const tile_feature **out, size_t *n, gisd_error *err);

/* Calls fn for every feature whose bbox meets [minx, miny, maxx, maxy]; 0, or
 * -1 when GEOS cannot make the query rectangle (geos_last_error says why). */
int tile_layer_data_query(const tile_layer_data *d, GEOSContextHandle_t ctx, const double b[4],
                           void (*fn)(tile_feature *f, void *arg), void *arg);

/* The features of l whose bounding box meets area (lon/lat) as st reads
 * them (through its scenario), held by no source: free with tile_area_free.
 * 0, or -1 with err. */
int tile_area_load(store *st, const layer_def *l, const double area[4], tile_layer_data **out, gisd_error *err);
void tile_area_free(tile_layer_data *d);

/* The snapshots of every layer of a registry. */
typedef struct tile_source tile_source;

/* db_path (borrowed; may be NULL) lets a tile whose layer has no current
 * snapshot be cut from its own area while the whole layer loads in the
 * background, from a store handle of its own. With db_path, max_bytes (0:
 * none) bounds each whole snapshot (estimated as it loads): a layer past it
 * is not held, and every tile reads its own area of it until it changes. */
tile_source *tile_source_new(const layer_registry *reg, const char *db_path, size_t max_bytes);
void tile_source_free(tile_source *src);

/* The snapshots of the layers (registry indexes) at the change counters
 * given, loading from st those that moved; every one returned holds a
 * reference that tile_source_release gives back. With area (a lon/lat box)
 * and a db_path, a layer without a current snapshot is read for that area
 * only, and its whole snapshot loads in the background. */
int tile_source_acquire(tile_source *src, store *st, const size_t *layers, size_t n,
                        const long long *changes, const double *area, tile_layer_data **out,
                        gisd_error *err);
void tile_source_release(tile_source *src, tile_layer_data **data, size_t n);
/* Starts loading again, in the background, every snapshot held of a layer
 * whose change counter (changes, in registry order) has moved, so the first
 * tile after another node's import finds it ready; needs a db_path. */
void tile_source_refresh(tile_source *src, const long long *changes);
/* How many whole-layer snapshots were installed and how many times a tile
 * read its own area instead, since src was made, and how many layers are
 * now too large to hold (tile_source_new's max_bytes). */
void tile_source_counts(tile_source *src, long long *snapshots, long long *area_reads, long long *too_large);

#endif
