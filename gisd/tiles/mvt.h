/* Mapbox Vector Tile 2.1 encoding: a tile of layers, each with its features,
 * its deduplicated keys and values, and command-encoded geometry. The bytes
 * come from protobuf-c and the specification's own vector_tile.proto. */
#ifndef GISD_MVT_H
#define GISD_MVT_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

typedef enum { MVT_POINT = 1, MVT_LINESTRING = 2, MVT_POLYGON = 3 } mvt_geom_type;

/* One feature's geometry commands, built part by part in tile coordinates. */
typedef struct {
    uint32_t *v;
    size_t n, cap;
    int32_t cx, cy; /* the cursor the next command starts from */
} mvt_geom;

void mvt_geom_reset(mvt_geom *g); /* keeps the memory */
void mvt_geom_free(mvt_geom *g);
/* xy holds n points as x0, y0, x1, y1, ... */
void mvt_geom_points(mvt_geom *g, const int32_t *xy, size_t n);
void mvt_geom_line(mvt_geom *g, const int32_t *xy, size_t n);  /* n >= 2 */
void mvt_geom_ring(mvt_geom *g, const int32_t *xy, size_t n);  /* n >= 3, unclosed */

typedef struct mvt_tile mvt_tile;
typedef struct mvt_layer mvt_layer;

mvt_tile *mvt_tile_new(void);
void mvt_tile_free(mvt_tile *t);
/* A new layer of t; name is borrowed until the tile is encoded. */
mvt_layer *mvt_layer_add(mvt_tile *t, const char *name);

/* Starts a feature; its attributes follow, then mvt_feature_end. */
void mvt_feature_begin(mvt_layer *l, uint64_t id);
void mvt_feature_int(mvt_layer *l, const char *key, long long v);
void mvt_feature_real(mvt_layer *l, const char *key, double v);
void mvt_feature_text(mvt_layer *l, const char *key, const char *v);
/* The same with v's mvt_text_hash given, and v borrowed: it must outlive the
 * tile's encoding (a snapshot's text, which hashes its texts once, not in
 * every tile, and holds them while the tile is made). */
void mvt_feature_text_hashed(mvt_layer *l, const char *key, const char *v, uint64_t hash);
/* The hash a layer's value table keys text v by. */
uint64_t mvt_text_hash(const char *v);
void mvt_feature_end(mvt_layer *l, mvt_geom_type type, const mvt_geom *g);

/* Features in the tile so far. */
size_t mvt_tile_features(const mvt_tile *t);
/* Appends the encoded tile to out; layers without features are left out. */
void mvt_tile_encode(mvt_tile *t, strbuf *out);

#endif
