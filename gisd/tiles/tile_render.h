/* One vector tile from layer snapshots: the features that meet the tile (plus
 * a buffer) clipped, simplified for the zoom level, snapped to the 4096 grid
 * and, where a point layer is too dense for one tile, thinned to one point
 * per grid cell carrying the count it stands for. */
#ifndef GISD_TILE_RENDER_H
#define GISD_TILE_RENDER_H

#include "tile_data.h"
#include "strbuf.h"
#include "tile_grid.h"

#define TILE_BUFFER 64              /* tile units drawn beyond each edge */
#define TILE_CLUSTER_MIN_POINTS 2000 /* a point layer denser than this in one tile is thinned */
#define TILE_CLUSTER_CELL 64        /* tile units per side of a thinning cell */

typedef struct {
    size_t features; /* written to the tile */
    int has_data;    /* some feature of the layers meets the tile, whatever its zoom range */
} tile_render_info;

/* Appends the encoded tile (possibly with no layer at all) to out. Layers
 * outside their zoom range are left out. */
int tile_render(GEOSContextHandle_t ctx, tile_layer_data *const *layers, size_t n, tile_id t,
                strbuf *out, tile_render_info *info, gisd_error *err);

#endif
