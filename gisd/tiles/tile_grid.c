#include "tile_grid.h"

#include <math.h>

void merc_from_lonlat(double lon, double lat, double *mx, double *my)
{
    if (lat > MERC_MAX_LAT)
        lat = MERC_MAX_LAT;
    if (lat < -MERC_MAX_LAT)
        lat = -MERC_MAX_LAT;
    *mx = lon * MERC_HALF / 180.0;
    *my = log(tan((90.0 + lat) * M_PI / 360.0)) * MERC_HALF / M_PI;
}

void tile_bounds_merc(tile_id t, double out[4])
{
    double size = 2.0 * MERC_HALF / (double)(1u << t.z);
    out[0] = -MERC_HALF + t.x * size;
    out[2] = out[0] + size;
    out[3] = MERC_HALF - t.y * size;
    out[1] = out[3] - size;
}

static double lat_of_merc(double my)
{
    return 360.0 / M_PI * atan(exp(my * M_PI / MERC_HALF)) - 90.0;
}

void lonlat_from_merc(double mx, double my, double *lon, double *lat)
{
    *lon = mx * 180.0 / MERC_HALF;
    *lat = lat_of_merc(my);
}

void tile_bounds_lonlat(tile_id t, double out[4])
{
    double m[4];
    tile_bounds_merc(t, m);
    out[0] = m[0] * 180.0 / MERC_HALF;
    out[2] = m[2] * 180.0 / MERC_HALF;
    out[1] = lat_of_merc(m[1]);
    out[3] = lat_of_merc(m[3]);
}

int tile_valid(tile_id t)
{
    if (t.z < 0 || t.z > TILE_MAX_ZOOM)
        return 0;
    unsigned n = 1u << t.z;
    return t.x < n && t.y < n;
}

static unsigned clamp_index(double v, unsigned n)
{
    if (v < 0)
        return 0;
    if (v >= n)
        return n - 1;
    return (unsigned)v;
}

void tile_range_lonlat(int z, const double bbox[4], unsigned *x0, unsigned *y0, unsigned *x1,
                       unsigned *y1)
{
    unsigned n = 1u << z;
    double size = 2.0 * MERC_HALF / n, ax, ay, bx, by;
    merc_from_lonlat(bbox[0], bbox[1], &ax, &ay);
    merc_from_lonlat(bbox[2], bbox[3], &bx, &by);
    *x0 = clamp_index((ax + MERC_HALF) / size, n);
    *x1 = clamp_index((bx + MERC_HALF) / size, n);
    *y0 = clamp_index((MERC_HALF - by) / size, n);
    *y1 = clamp_index((MERC_HALF - ay) / size, n);
}
