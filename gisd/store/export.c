#include "export.h"

#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static OGRwkbGeometryType ogr_type(geom_kind k)
{
    static const OGRwkbGeometryType t[] = {wkbPoint,      wkbLineString,      wkbPolygon,
                                           wkbMultiPoint, wkbMultiLineString, wkbMultiPolygon};
    return t[k];
}

static GDALDriverH vector_driver(const char *format, gisd_error *err)
{
    GDALDriverH drv = GDALGetDriverByName(format);
    if (!drv || !GDALGetMetadataItem(drv, GDAL_DCAP_VECTOR, NULL) ||
        !GDALGetMetadataItem(drv, GDAL_DCAP_CREATE, NULL)) {
        gisd_fail(err, GISD_E_INPUT,
                  "format \"%s\" cannot be written; use GeoJSON, GPKG, CSV, KML or \"ESRI "
                  "Shapefile\" (any OGR vector driver that creates files)",
                  format);
        return NULL;
    }
    return drv;
}

static char **layer_options(const char *format, const layer_def *l)
{
    char **opts = NULL;
    if (strcmp(format, "ESRI Shapefile") == 0)
        opts = CSLSetNameValue(opts, "ENCODING", "UTF-8");
    if (strcmp(format, "CSV") == 0)
        opts = CSLSetNameValue(opts, "GEOMETRY",
                               l->geometry == GEOM_POINT ? "AS_XY" : "AS_WKT");
    if (strcmp(format, "GeoJSON") == 0)
        opts = CSLSetNameValue(opts, "RFC7946", "NO");
    return opts;
}

static int define_fields(OGRLayerH lyr, const layer_def *l, gisd_error *err)
{
    for (size_t i = 0; i < l->nfields; i++) {
        field_type ft = l->fields[i].type;
        OGRFieldType t = ft == FIELD_INTEGER ? OFTInteger64
                         : ft == FIELD_REAL  ? OFTReal
                         : ft == FIELD_BOOLEAN ? OFTInteger
                         : ft == FIELD_DATE ? OFTDate
                         : ft == FIELD_TIMESTAMP ? OFTDateTime
                                                 : OFTString;
        OGRFieldDefnH fd = OGR_Fld_Create(l->fields[i].name, t);
        if (ft == FIELD_BOOLEAN)
            OGR_Fld_SetSubType(fd, OFSTBoolean);
        OGRErr e = OGR_L_CreateField(lyr, fd, TRUE);
        OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE)
            return gisd_fail(err, GISD_E_IO, "cannot create field %s: %s", l->fields[i].name,
                             CPLGetLastErrorMsg());
    }
    return 0;
}

static int copy_features(store *s, const layer_def *l, GDALDatasetH ds, OGRLayerH lyr,
                         int out_srid, long long *written, gisd_error *err)
{
    store_query q = {.limit = -1, .out_srid = out_srid, .geom_format = STORE_GEOM_WKB};
    store_cursor *c;
    if (store_cursor_open(s, l, &q, &c, err) != 0)
        return -1;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    int in_tx = GDALDatasetStartTransaction(ds, FALSE) == OGRERR_NONE;
    int rc;
    while ((rc = store_cursor_next(c, err)) == 1) {
        OGRFeatureH f = OGR_F_Create(defn);
        for (size_t i = 0; i < l->nfields; i++) {
            if (store_cursor_is_null(c, i))
                OGR_F_SetFieldNull(f, (int)i);
            else if (l->fields[i].type == FIELD_INTEGER || l->fields[i].type == FIELD_BOOLEAN)
                OGR_F_SetFieldInteger64(f, (int)i, store_cursor_int(c, i));
            else if (l->fields[i].type == FIELD_REAL)
                OGR_F_SetFieldDouble(f, (int)i, store_cursor_real(c, i));
            else
                OGR_F_SetFieldString(f, (int)i, store_cursor_text(c, i));
        }
        size_t len;
        const void *wkb = store_cursor_geom(c, &len);
        OGRGeometryH g = NULL;
        if (wkb && OGR_G_CreateFromWkb(wkb, NULL, &g, (int)len) == OGRERR_NONE)
            OGR_F_SetGeometryDirectly(f, g);
        OGRErr e = OGR_L_CreateFeature(lyr, f);
        OGR_F_Destroy(f);
        if (e != OGRERR_NONE) {
            rc = gisd_fail(err, GISD_E_IO, "writing feature %lld: %s", *written + 1,
                           CPLGetLastErrorMsg());
            break;
        }
        if (++*written % 100000 == 0 && in_tx) {
            GDALDatasetCommitTransaction(ds);
            in_tx = GDALDatasetStartTransaction(ds, FALSE) == OGRERR_NONE;
        }
    }
    if (in_tx)
        GDALDatasetCommitTransaction(ds);
    store_cursor_free(c);
    return rc < 0 ? -1 : 0;
}

int export_layer(store *s, const layer_def *l, const char *format, const char *out_path,
                 int out_srid, long long *written, gisd_error *err)
{
    *written = 0;
    GDALDriverH drv = vector_driver(format, err);
    if (!drv)
        return -1;
    if (access(out_path, F_OK) == 0)
        GDALDeleteDataset(drv, out_path);
    GDALDatasetH ds = GDALCreate(drv, out_path, 0, 0, 0, GDT_Unknown, NULL);
    if (!ds)
        return gisd_fail(err, GISD_E_IO, "cannot create %s: %s", out_path, CPLGetLastErrorMsg());
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, out_srid ? out_srid : STORE_SRID);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    char **opts = layer_options(format, l);
    OGRLayerH lyr = GDALDatasetCreateLayer(ds, l->id, srs, ogr_type(l->geometry), opts);
    CSLDestroy(opts);
    OSRDestroySpatialReference(srs);
    int rc = 0;
    if (!lyr)
        rc = gisd_fail(err, GISD_E_IO, "cannot create layer %s in %s: %s", l->id, out_path,
                       CPLGetLastErrorMsg());
    if (rc == 0)
        rc = define_fields(lyr, l, err);
    if (rc == 0)
        rc = copy_features(s, l, ds, lyr, out_srid, written, err);
    GDALClose(ds);
    if (rc != 0)
        gisd_error_prefix(err, "exporting %s to %s: ", l->id, out_path);
    return rc;
}
