#include "source.h"

#include <ogr_api.h>
#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "crs.h"

static void CPL_STDCALL capture(CPLErr cls, CPLErrorNum no, const char *msg)
{
    (void)no;
    ogr_errors *e = CPLGetErrorHandlerUserData();
    if (e && cls >= CE_Failure && !e->failed) {
        e->failed = 1;
        snprintf(e->msg, sizeof e->msg, "%s", msg);
    }
}

void ogr_errors_push(ogr_errors *e)
{
    e->failed = 0;
    e->msg[0] = '\0';
    CPLPushErrorHandlerEx(capture, e);
}

void ogr_errors_pop(void) { CPLPopErrorHandler(); }

static const char *extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    return dot ? dot + 1 : "";
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A shapefile without its .shx opens in GDAL only with a config flag; say which file is missing. */
static int check_shapefile_parts(const char *path, gisd_error *err)
{
    char other[4096];
    size_t stem = strlen(path) - 3;
    static const char *const parts[][2] = {{"shx", "SHX"}, {"dbf", "DBF"}};
    for (size_t i = 0; i < 2; i++) {
        int found = 0;
        for (size_t k = 0; k < 2 && !found; k++) {
            snprintf(other, sizeof other, "%.*s%s", (int)stem, path, parts[i][k]);
            found = file_exists(other);
        }
        if (!found) {
            snprintf(other, sizeof other, "%.*s%s", (int)stem, path, parts[i][0]);
            return gisd_fail(err, GISD_E_INPUT,
                             "%s: the shapefile's %s file %s is missing; a shapefile needs its "
                             ".shp, .shx and .dbf side by side",
                             path, i == 0 ? "index" : "attribute", other);
        }
    }
    return 0;
}

/* Finds the one vector file inside a zip (a zipped shapefile, usually). */
static int zip_member(const char *path, char *out, size_t n, gisd_error *err)
{
    char vsi[4200];
    snprintf(vsi, sizeof vsi, "/vsizip/%s", path);
    CPLPushErrorHandler(CPLQuietErrorHandler);
    char **list = VSIReadDirRecursive(vsi);
    CPLPopErrorHandler();
    if (!list)
        return gisd_fail(err, GISD_E_INPUT, "%s: not a readable zip archive", path);
    const char *pick = NULL;
    int count = 0;
    static const char *const exts[] = {"shp", "geojson", "json", "gpkg", "kml", "csv"};
    for (char **p = list; *p; p++)
        for (size_t i = 0; i < sizeof exts / sizeof *exts; i++)
            if (strcasecmp(extension(*p), exts[i]) == 0) {
                if (!pick)
                    pick = *p;
                count++;
            }
    if (!pick) {
        CSLDestroy(list);
        return gisd_fail(err, GISD_E_INPUT, "%s: the archive holds no shapefile or other vector file",
                         path);
    }
    if (count > 1) {
        CSLDestroy(list);
        return gisd_fail(err, GISD_E_INPUT,
                         "%s: the archive holds several vector files; unzip it and import one", path);
    }
    snprintf(out, n, "%s/%s", vsi, pick);
    CSLDestroy(list);
    return 0;
}

static int pick_layer(ogr_source *s, const import_source *src, gisd_error *err)
{
    int n = GDALDatasetGetLayerCount(s->ds);
    if (n == 1) {
        s->lyr = GDALDatasetGetLayer(s->ds, 0);
        return 0;
    }
    s->lyr = GDALDatasetGetLayerByName(s->ds, src->layer);
    if (s->lyr)
        return 0;
    if (n == 0)
        return gisd_fail(err, GISD_E_INPUT, "%s: the file holds no layer", src->file);
    char names[1024] = "";
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names);
        snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                 OGR_L_GetName(GDALDatasetGetLayer(s->ds, i)));
    }
    return gisd_fail(err, GISD_E_INPUT,
                     "%s: the file holds %d tables (%s) and none is named %s; import one into a "
                     "file of its own or rename it",
                     src->file, n, names, src->layer);
}

static int resolve_srs(ogr_source *s, const import_source *src, gisd_error *err)
{
    OGRSpatialReferenceH given = NULL;
    if (src->srs) {
        int code = crs_parse(src->srs, NULL, err);
        if (code < 0)
            return gisd_error_prefix(err, "%s: srs: ", src->file);
        given = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(given, code);
    }
    OGRSpatialReferenceH own = s->is_table ? NULL : OGR_L_GetSpatialRef(s->lyr);
    if (own && given) {
        const char *opts[] = {"IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES",
                              "CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS", NULL};
        if (!OSRIsSameEx(own, given, opts)) {
            char *wkt = NULL;
            OSRExportToWkt(own, &wkt);
            gisd_fail(err, GISD_E_INPUT,
                      "%s: the file states its CRS as %s, which is not %s; drop the srs setting "
                      "or fix the file",
                      src->file, OSRGetName(own) ? OSRGetName(own) : (wkt ? wkt : "?"), src->srs);
            CPLFree(wkt);
            OSRDestroySpatialReference(given);
            return -1;
        }
    }
    if (own) {
        s->srs = OSRClone(own);
        if (given)
            OSRDestroySpatialReference(given);
    } else if (given) {
        s->srs = given;
    } else {
        return gisd_fail(err, GISD_E_INPUT,
                         "%s: the file does not say which CRS its coordinates are in (%s); name "
                         "it with --srs EPSG:<code> (in a manifest: \"srs\")",
                         src->file,
                         s->is_table ? "a table has no CRS" : "no .prj or crs member");
    }
    OSRSetAxisMappingStrategy(s->srs, OAMS_TRADITIONAL_GIS_ORDER);
    s->srs_geographic = OSRIsGeographic(s->srs);
    return 0;
}

int ogr_source_open(const import_source *src, ogr_source *out, gisd_error *err)
{
    memset(out, 0, sizeof *out);
    const char *ext = extension(src->file);
    struct stat st;
    if (stat(src->file, &st) != 0)
        return gisd_fail(err, GISD_E_IO, "%s: no such file", src->file);
    if (S_ISREG(st.st_mode) && st.st_size == 0)
        return gisd_fail(err, GISD_E_INPUT, "%s: the file is empty (0 bytes)", src->file);
    char path[4400];
    snprintf(path, sizeof path, "%s", src->file);
    if (strcasecmp(ext, "zip") == 0) {
        if (zip_member(src->file, path, sizeof path, err) != 0)
            return -1;
        ext = extension(path);
    } else if (strcasecmp(ext, "shp") == 0 && check_shapefile_parts(src->file, err) != 0) {
        return -1;
    }
    out->is_table = strcasecmp(ext, "csv") == 0 || strcasecmp(ext, "tsv") == 0 ||
                    strcasecmp(ext, "xlsx") == 0 || strcasecmp(ext, "ods") == 0;
    char **opts = NULL;
    if (out->is_table && strcasecmp(ext, "csv") == 0)
        opts = CSLAddString(opts, "AUTODETECT_TYPE=NO");
    if (strcasecmp(ext, "shp") == 0 && src->encoding)
        opts = CSLSetNameValue(opts, "ENCODING", src->encoding);
    ogr_errors errs;
    ogr_errors_push(&errs);
    CPLErrorReset();
    out->ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, (const char *const *)opts,
                         NULL);
    ogr_errors_pop();
    CSLDestroy(opts);
    if (!out->ds)
        return gisd_fail(err, GISD_E_INPUT, "%s: not a readable vector file%s%s", src->file,
                         errs.failed ? ": " : " (GDAL knows no format for it)",
                         errs.failed ? errs.msg : "");
    out->open_errors = errs;
    const char *driver = GDALGetDriverShortName(GDALGetDatasetDriver(out->ds));
    out->gdal_recodes = strcmp(driver, "ESRI Shapefile") == 0;
    if (strcmp(driver, "CSV") == 0 || strcmp(driver, "XLSX") == 0 || strcmp(driver, "ODS") == 0)
        out->is_table = 1;
    if (out->is_table && (!src->x || !src->y)) {
        ogr_source_close(out);
        return gisd_fail(err, GISD_E_INPUT,
                         "%s: a table needs its coordinate columns: --x COLUMN --y COLUMN (in a "
                         "manifest: \"x\" and \"y\")",
                         src->file);
    }
    if (pick_layer(out, src, err) != 0 || resolve_srs(out, src, err) != 0) {
        ogr_source_close(out);
        return -1;
    }
    return 0;
}

void ogr_source_close(ogr_source *s)
{
    if (s->srs)
        OSRDestroySpatialReference(s->srs);
    if (s->ds)
        GDALClose(s->ds);
    memset(s, 0, sizeof *s);
}
