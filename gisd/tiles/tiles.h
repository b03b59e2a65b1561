/* Vector tiles as the server hands them out: the layers' snapshots, the
 * renderer and the cache put together. The CLI's MBTiles writer uses the
 * snapshots and the renderer without the cache. */
#ifndef GISD_TILES_H
#define GISD_TILES_H

#include <jansson.h>

#include "tile_data.h"
#include "tile_grid.h"
#include "tilecache.h"

#define TILES_CACHE_MB_DEFAULT 256

/* "all" or a comma-separated list of layer ids into registry indexes (idx has
 * room for reg->n); a repeated layer counts once. */
int tiles_parse_layers(const layer_registry *reg, const char *spec, size_t *idx, size_t *n,
                       gisd_error *err);

/* The union of the layers' extents in lon/lat into out: 1, or 0 when no
 * layer holds data, or -1 on error. */
int tiles_extent(store *st, const layer_registry *reg, const size_t *idx, size_t n, double out[4],
                 gisd_error *err);

/* vector_layers for the layers: id, description, zooms, and fields with their
 * descriptions (TileJSON 3.0.0) or with their types, "String" or "Number"
 * (MBTiles 1.3, which GDAL reads field types from). */
json_t *tiles_vector_layers(const layer_registry *reg, const size_t *idx, size_t n,
                            int field_types);

typedef struct tile_service tile_service;

/* The tiles of the store at db_path (borrowed), with a cache of cache_mb and
 * whole-layer snapshots of at most snapshot_max_bytes each (0: no bound;
 * tile_source_new). NULL when the cache cannot be made. */
tile_service *tile_service_new(const layer_registry *reg, const char *db_path, size_t cache_mb,
                               size_t snapshot_max_bytes);
void tile_service_free(tile_service *svc);
tilecache *tile_service_cache(tile_service *svc);
/* The layers' snapshots behind the service. */
tile_source *tile_service_source(tile_service *svc);

/* The tile of the layers, from the cache or rendered now from st; the entry
 * is referenced: give it back with tile_entry_release. */
int tile_service_get(tile_service *svc, store *st, GEOSContextHandle_t ctx, const size_t *layers,
                     size_t n, tile_id t, tile_entry **out, gisd_error *err);

#endif
