/* The offsets Chinese web maps apply to coordinates: GCJ-02 (国测局, used by
 * 高德 and 腾讯) and BD-09 (百度, a further offset of GCJ-02). PROJ has
 * neither: they are published as formulas, not as datums. The forward
 * formulas are the public ones; each inverse is solved by fixed-point
 * iteration of the forward, which converges to well under a millimetre in
 * a handful of steps because the offset varies slowly (a few hundred metres
 * over tens of kilometres). WGS 84 and CGCS2000 differ by centimetres here,
 * far below the offsets' own accuracy, so the offsets are applied to
 * CGCS2000 lon/lat as to WGS 84. */
#include "crs.h"

#include <math.h>
#include <string.h>

#define KRASOVSKY_A 6378245.0
#define KRASOVSKY_EE 0.00669342162296594323
#define BD_X_PI (M_PI * 3000.0 / 180.0)

int crs_in_china(double lon, double lat)
{
    /* the box the offset's publishers define it in */
    return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

static double shift_lat(double x, double y)
{
    double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(fabs(x));
    r += (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
    r += (20.0 * sin(y * M_PI) + 40.0 * sin(y / 3.0 * M_PI)) * 2.0 / 3.0;
    r += (160.0 * sin(y / 12.0 * M_PI) + 320.0 * sin(y * M_PI / 30.0)) * 2.0 / 3.0;
    return r;
}

static double shift_lon(double x, double y)
{
    double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(fabs(x));
    r += (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
    r += (20.0 * sin(x * M_PI) + 40.0 * sin(x / 3.0 * M_PI)) * 2.0 / 3.0;
    r += (150.0 * sin(x / 12.0 * M_PI) + 300.0 * sin(x / 30.0 * M_PI)) * 2.0 / 3.0;
    return r;
}

void crs_wgs84_to_gcj02(double lon, double lat, double *glon, double *glat)
{
    double dlat = shift_lat(lon - 105.0, lat - 35.0), dlon = shift_lon(lon - 105.0, lat - 35.0);
    double rad = lat / 180.0 * M_PI, magic = 1 - KRASOVSKY_EE * sin(rad) * sin(rad), sq = sqrt(magic);
    dlat = dlat * 180.0 / ((KRASOVSKY_A * (1 - KRASOVSKY_EE)) / (magic * sq) * M_PI);
    dlon = dlon * 180.0 / (KRASOVSKY_A / sq * cos(rad) * M_PI);
    *glat = lat + dlat;
    *glon = lon + dlon;
}

static void gcj02_to_bd09(double lon, double lat, double *blon, double *blat)
{
    double z = sqrt(lon * lon + lat * lat) + 0.00002 * sin(lat * BD_X_PI);
    double t = atan2(lat, lon) + 0.000003 * cos(lon * BD_X_PI);
    *blon = z * cos(t) + 0.0065;
    *blat = z * sin(t) + 0.006;
}

void crs_wgs84_to_bd09(double lon, double lat, double *blon, double *blat)
{
    double glon, glat;
    crs_wgs84_to_gcj02(lon, lat, &glon, &glat);
    gcj02_to_bd09(glon, glat, blon, blat);
}

/* The point whose forward image is (x, y): start there and move by what
 * the forward misses until it misses by less than 1e-10 degrees (about
 * 0.01 mm). */
static void invert(void (*fwd)(double, double, double *, double *), double x, double y, double *lon, double *lat)
{
    double a = x, b = y;
    for (int i = 0; i < 40; i++) {
        double fx, fy;
        fwd(a, b, &fx, &fy);
        double ex = x - fx, ey = y - fy;
        a += ex;
        b += ey;
        if (fabs(ex) < 1e-10 && fabs(ey) < 1e-10)
            break;
    }
    *lon = a;
    *lat = b;
}

int crs_gcj02_to_wgs84(double glon, double glat, double *lon, double *lat, gisd_error *err)
{
    if (!crs_in_china(glon, glat))
        return gisd_fail(err, GISD_E_INPUT,
                         "%.6f, %.6f lies outside China, where GCJ-02 is not defined (lon 72.004..137.8347, "
                         "lat 0.8293..55.8271)", glon, glat);
    invert(crs_wgs84_to_gcj02, glon, glat, lon, lat);
    return 0;
}

int crs_bd09_to_wgs84(double blon, double blat, double *lon, double *lat, gisd_error *err)
{
    if (!crs_in_china(blon, blat))
        return gisd_fail(err, GISD_E_INPUT,
                         "%.6f, %.6f lies outside China, where BD-09 is not defined (lon 72.004..137.8347, "
                         "lat 0.8293..55.8271)", blon, blat);
    invert(crs_wgs84_to_bd09, blon, blat, lon, lat);
    return 0;
}

crs_offset crs_offset_parse(const char *text)
{
    if (!text || strlen(text) > 12)
        return CRS_OFFSET_NONE;
    char s[16];
    size_t n = 0;
    for (const char *c = text; *c && n + 1 < sizeof s; c++)
        if (*c != '-' && *c != '_' && *c != ' ')
            s[n++] = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    s[n] = 0;
    return strcmp(s, "GCJ02") == 0 ? CRS_OFFSET_GCJ02 : strcmp(s, "BD09") == 0 ? CRS_OFFSET_BD09 : CRS_OFFSET_NONE;
}
