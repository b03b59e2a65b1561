/* Coordinate reference systems by EPSG code: parsing what users write, the
 * nearest Gauss-Kruger zone, and axis order. */
#ifndef GISD_CRS_H
#define GISD_CRS_H

#include "error.h"

#define CRS84_URI "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

/* Parses "EPSG:4549", "4549", "urn:ogc:def:crs:EPSG::4549",
 * "http://www.opengis.net/def/crs/EPSG/0/4549" or CRS84 (which gives 4326 with
 * *lonlat set). Returns the code, or -1 with err set. */
int crs_parse(const char *text, int *lonlat, gisd_error *err);

/* 1 when PROJ knows EPSG:code as a CRS. */
int crs_exists(int code);
/* 1 when EPSG:code is projected and in metres. */
int crs_is_projected_metres(int code);
/* 1 when the authority's axis order puts latitude or northing first. */
int crs_northing_first(int code);
/* The scale factor of the projected CRS EPSG:code at lon/lat that is
 * furthest from 1 (along the meridian or the parallel), in *k: 0, or -1
 * with err when PROJ cannot tell. */
int crs_scale_at(int code, double lon, double lat, double *k, gisd_error *err);
/* The CGCS2000 3-degree Gauss-Kruger CRS (central meridian in the code, no
 * zone prefix: EPSG:4534..4554) whose meridian is nearest lon. */
int crs_gk_zone_for_lon(double lon);
/* A PROJ transformation (through OGR) from EPSG:from to EPSG:to, both in
 * easting/longitude-first order; NULL when PROJ has none. The caller frees
 * it with OCTDestroyCoordinateTransformation. */
void *crs_transform_new(int from, int to);
/* No projected coordinate on Earth lies farther from its CRS's origin than
 * this (the equator is 40,075 km long), with false eastings to spare. */
#define CRS_PROJECTED_LIMIT_M 1e8

/* The lon/lat box (EPSG:4490, clamped to -180..180, -90..90) covering the
 * easting/northing box in of EPSG:srid; 0, or -1 with an input error when a
 * coordinate is past CRS_PROJECTED_LIMIT_M or the box has no lon/lat. */
int crs_bbox_to_lonlat(int srid, const double in[4], double out[4], gisd_error *err);
/* "http://www.opengis.net/def/crs/EPSG/0/<code>" */
void crs_uri(int code, char *buf, unsigned long n);

/* ---- the offsets of Chinese web maps (crs_china.c) ---- */

/* GCJ-02 (高德, 腾讯) or BD-09 (百度): lon/lat with an offset PROJ does not know. */
typedef enum { CRS_OFFSET_NONE, CRS_OFFSET_GCJ02, CRS_OFFSET_BD09 } crs_offset;

/* "GCJ02", "GCJ-02", "gcj02", "BD09", "BD-09" ...: the offset; anything else NONE. */
crs_offset crs_offset_parse(const char *text);
/* 1 when lon/lat lies in the box the offsets are defined in (China). */
int crs_in_china(double lon, double lat);
/* WGS 84 (or CGCS2000) lon/lat to GCJ-02, and to BD-09: the published formulas. */
void crs_wgs84_to_gcj02(double lon, double lat, double *glon, double *glat);
void crs_wgs84_to_bd09(double lon, double lat, double *blon, double *blat);
/* The inverses, iterated to 1e-10 degrees: 0, or -1 with an input error for
 * a point outside China, where the offset is not defined. */
int crs_gcj02_to_wgs84(double glon, double glat, double *lon, double *lat, gisd_error *err);
int crs_bd09_to_wgs84(double blon, double blat, double *lon, double *lat, gisd_error *err);

#endif
