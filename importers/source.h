/* Opening a planner's file with OGR: format quirks, archives, layer choice and CRS. */
#ifndef GISD_SOURCE_H
#define GISD_SOURCE_H

#include <gdal.h>
#include <ogr_srs_api.h>

#include "import.h"

/* GDAL's complaints while a call runs, kept to name them in our errors. */
typedef struct {
    int failed;
    char msg[1024];
} ogr_errors;

typedef struct {
    GDALDatasetH ds;
    OGRLayerH lyr;
    OGRSpatialReferenceH srs; /* owned; lon/lat or easting/northing order; never NULL after open */
    int gdal_recodes;         /* the driver already turns the text into UTF-8 (shapefiles) */
    int is_table;             /* a CSV or spreadsheet: points come from x/y columns */
    int srs_geographic;
    ogr_errors open_errors; /* complaints of a driver that parses the whole file on open */
} ogr_source;

void ogr_errors_push(ogr_errors *e);
void ogr_errors_pop(void);

int ogr_source_open(const import_source *src, ogr_source *out, gisd_error *err);
void ogr_source_close(ogr_source *s);

#endif
