/* The WebMercatorQuad tile grid (EPSG:3857, 256-pixel tiles, y down from the
 * north), as OGC API - Tiles and every web map use it. */
#ifndef GISD_TILE_GRID_H
#define GISD_TILE_GRID_H

#define TILE_MAX_ZOOM 24
#define TILE_EXTENT 4096 /* MVT coordinates per tile side */
#define MERC_HALF 20037508.342789244
#define MERC_MAX_LAT 85.0511287798066

typedef struct {
    int z;
    unsigned x, y;
} tile_id;

/* Web Mercator metres of a lon/lat (latitudes clamped to the grid's). */
void merc_from_lonlat(double lon, double lat, double *mx, double *my);
/* The tile's minx, miny, maxx, maxy in Web Mercator metres. */
void tile_bounds_merc(tile_id t, double out[4]);
/* The lon/lat of Web Mercator metres. */
void lonlat_from_merc(double mx, double my, double *lon, double *lat);
/* The tile's bounds in lon/lat. */
void tile_bounds_lonlat(tile_id t, double out[4]);
/* 1 when x and y lie in the zoom level's matrix and z is in 0..TILE_MAX_ZOOM. */
int tile_valid(tile_id t);
/* The tiles of zoom z covering a lon/lat bbox: columns x0..x1, rows y0..y1. */
void tile_range_lonlat(int z, const double bbox[4], unsigned *x0, unsigned *y0, unsigned *x1,
                       unsigned *y1);

#endif
