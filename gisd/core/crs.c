#include "crs.h"

#include <ctype.h>
#include <math.h>
#include <cpl_error.h>
#include <ogr_srs_api.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_code(const char *s)
{
    if (!*s)
        return -1;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v <= 0 || v > 999999)
        return -1;
    return (int)v;
}

int crs_parse(const char *text, int *lonlat, gisd_error *err)
{
    if (lonlat)
        *lonlat = 0;
    if (!text || !*text)
        return gisd_fail(err, GISD_E_INPUT, "empty CRS");
    static const char *const crs84[] = {CRS84_URI, "https://www.opengis.net/def/crs/OGC/1.3/CRS84",
                                        "urn:ogc:def:crs:OGC:1.3:CRS84", "OGC:CRS84", "CRS84"};
    for (size_t i = 0; i < sizeof crs84 / sizeof *crs84; i++)
        if (strcmp(text, crs84[i]) == 0) {
            if (lonlat)
                *lonlat = 1;
            return 4326;
        }
    static const char *const prefixes[] = {"http://www.opengis.net/def/crs/EPSG/0/",
                                           "https://www.opengis.net/def/crs/EPSG/0/",
                                           "urn:ogc:def:crs:EPSG::", "urn:ogc:def:crs:EPSG:",
                                           "EPSG:", "epsg:", ""};
    int code = -1;
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes && code < 0; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(text, prefixes[i], n) == 0)
            code = parse_code(text + n);
    }
    if (code < 0 || !crs_exists(code))
        return gisd_fail(err, GISD_E_INPUT,
                         "\"%s\" is not a known CRS: write EPSG:<code> or an OGC CRS URI such as "
                         "http://www.opengis.net/def/crs/EPSG/0/4490",
                         text);
    return code;
}

static OGRSpatialReferenceH srs_from_epsg(int code)
{
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    if (OSRImportFromEPSG(srs, code) != OGRERR_NONE) {
        OSRDestroySpatialReference(srs);
        return NULL;
    }
    return srs;
}

int crs_exists(int code)
{
    CPLPushErrorHandler(CPLQuietErrorHandler);
    OGRSpatialReferenceH srs = srs_from_epsg(code);
    CPLPopErrorHandler();
    if (!srs)
        return 0;
    OSRDestroySpatialReference(srs);
    return 1;
}

/* The answers of crs_is_projected_metres so far: every feature page asks it
 * of its output CRS, and building the CRS from PROJ's database each time
 * cost a tenth of a page. A CRS's definition does not change while we run. */
#define MEMO_SIZE 64
static struct {
    int code, answer;
} memo[MEMO_SIZE];
static size_t nmemo;
static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;

int crs_is_projected_metres(int code)
{
    pthread_mutex_lock(&memo_lock);
    for (size_t i = 0; i < nmemo; i++)
        if (memo[i].code == code) {
            int answer = memo[i].answer;
            pthread_mutex_unlock(&memo_lock);
            return answer;
        }
    pthread_mutex_unlock(&memo_lock);
    OGRSpatialReferenceH srs = srs_from_epsg(code);
    int ok = srs && OSRIsProjected(srs) && fabs(OSRGetLinearUnits(srs, NULL) - 1.0) < 1e-12;
    if (srs)
        OSRDestroySpatialReference(srs);
    pthread_mutex_lock(&memo_lock);
    if (srs && nmemo < MEMO_SIZE) { /* an unknown code is not remembered: it may be a passing failure */
        memo[nmemo].code = code;
        memo[nmemo++].answer = ok;
    }
    pthread_mutex_unlock(&memo_lock);
    return ok;
}

int crs_northing_first(int code)
{
    OGRSpatialReferenceH srs = srs_from_epsg(code);
    if (!srs)
        return 0;
    int r = OSREPSGTreatsAsLatLong(srs) || OSREPSGTreatsAsNorthingEasting(srs);
    OSRDestroySpatialReference(srs);
    return r;
}

int crs_gk_zone_for_lon(double lon)
{
    long cm = lround((lon - 75.0) / 3.0);
    if (cm < 0)
        cm = 0;
    if (cm > 20)
        cm = 20;
    return 4534 + (int)cm;
}

void crs_uri(int code, char *buf, unsigned long n)
{
    if (code == 0)
        snprintf(buf, n, "%s", CRS84_URI);
    else
        snprintf(buf, n, "http://www.opengis.net/def/crs/EPSG/0/%d", code);
}

void *crs_transform_new(int from, int to)
{
    OGRSpatialReferenceH a = OSRNewSpatialReference(NULL), b = OSRNewSpatialReference(NULL);
    OGRCoordinateTransformationH ct = NULL;
    if (a && b && OSRImportFromEPSG(a, from) == OGRERR_NONE && OSRImportFromEPSG(b, to) == OGRERR_NONE) {
        OSRSetAxisMappingStrategy(a, OAMS_TRADITIONAL_GIS_ORDER);
        OSRSetAxisMappingStrategy(b, OAMS_TRADITIONAL_GIS_ORDER);
        ct = OCTNewCoordinateTransformation(a, b);
    }
    OSRDestroySpatialReference(a);
    OSRDestroySpatialReference(b);
    return ct;
}

int crs_bbox_to_lonlat(int srid, const double in[4], double out[4], gisd_error *err)
{
    for (int i = 0; i < 4; i++)
        if (!isfinite(in[i]) || fabs(in[i]) > CRS_PROJECTED_LIMIT_M)
            return gisd_fail(err, GISD_E_INPUT,
                             "bbox: in EPSG:%d every coordinate must lie within +-%.0f metres "
                             "(%g does not)", srid, CRS_PROJECTED_LIMIT_M, in[i]);
    OGRCoordinateTransformationH ct = crs_transform_new(srid, 4490);
    if (!ct)
        return gisd_fail(err, GISD_E_INPUT, "bbox: no transformation from EPSG:%d to lon/lat", srid);
    /* Corners and 21 points along each side: a projected box's edges bow in lon/lat. */
    CPLPushErrorHandler(CPLQuietErrorHandler);
    int ok = OCTTransformBounds(ct, in[0], in[1], in[2], in[3], &out[0], &out[1], &out[2], &out[3], 21);
    CPLPopErrorHandler();
    OCTDestroyCoordinateTransformation(ct);
    for (int i = 0; ok && i < 4; i++)
        ok = isfinite(out[i]);
    if (!ok)
        return gisd_fail(err, GISD_E_INPUT,
                         "bbox: it lies outside where EPSG:%d is defined, so it has no lon/lat", srid);
    out[0] = fmax(out[0], -180), out[1] = fmax(out[1], -90);
    out[2] = fmin(out[2], 180), out[3] = fmin(out[3], 90);
    return 0;
}

int crs_scale_at(int code, double lon, double lat, double *k, gisd_error *err)
{
    /* measured: 100 m steps north and east as CGCS2000's ellipsoid has them
     * (its radii of curvature there), against what the projection makes of them */
    const double a = 6378137.0, f = 1 / 298.257222101, e2 = f * (2 - f), step = 100.0;
    double phi = lat * M_PI / 180, w = sqrt(1 - e2 * sin(phi) * sin(phi));
    double meridian = a * (1 - e2) / (w * w * w), prime = a / w;
    double dlat = step / meridian * 180 / M_PI, dlon = step / (prime * cos(phi)) * 180 / M_PI;
    double x[3] = {lon, lon, lon + dlon}, y[3] = {lat, lat + dlat, lat}, z[3] = {0, 0, 0};
    OGRCoordinateTransformationH t = crs_transform_new(4490, code);
    int ok = t && OCTTransform(t, 3, x, y, z);
    if (t)
        OCTDestroyCoordinateTransformation(t);
    if (!ok)
        return gisd_fail(err, GISD_E_INPUT, "PROJ cannot bring %.4f, %.4f into EPSG:%d", lon, lat, code);
    double kn = hypot(x[1] - x[0], y[1] - y[0]) / step, ke = hypot(x[2] - x[0], y[2] - y[0]) / step;
    *k = fabs(kn - 1) > fabs(ke - 1) ? kn : ke;
    return 0;
}
