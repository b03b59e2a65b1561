/* One source file into one layer: field mapping, value conversion, geometry
 * checks and repair, reprojection to the store's EPSG:4490. */
#include <cpl_conv.h>
#include <cpl_string.h>
#include <errno.h>
#include <math.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "xalloc.h"
#include "import.h"
#include "progress.h"
#include "source.h"

/* Everything one import needs while it walks the features. */
typedef struct {
    const import_source *src;
    const layer_def *layer;
    ogr_source in;
    int *src_field;        /* per canonical field: OGR field index or -1 */
    int x_field, y_field;  /* for tables */
    OGRCoordinateTransformationH ct; /* NULL when the source is already lon/lat */
    const char *recode_from;         /* encoding to recode text from, or NULL */
    const char *unit;                /* "row" for tables, "feature" otherwise */
    store_value *values;
    char **texts;                    /* owned text values of the current feature */
    unsigned char *wkb;
    size_t wkb_cap;
} import_job;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- fields ---- */

/* The source field's name as UTF-8 (recoded when the file is in another encoding). */
static char *source_field_name(import_job *j, int i)
{
    const char *raw = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(j->in.lyr), i));
    if (j->recode_from)
        return CPLRecode(raw, j->recode_from, CPL_ENC_UTF8);
    return CPLStrdup(raw);
}

static int find_source_field(import_job *j, const char *name, int ignore_case)
{
    int n = OGR_FD_GetFieldCount(OGR_L_GetLayerDefn(j->in.lyr));
    for (int i = 0; i < n; i++) {
        char *have = source_field_name(j, i);
        int same = ignore_case ? strcasecmp(have, name) == 0 : strcmp(have, name) == 0;
        CPLFree(have);
        if (same)
            return i;
    }
    return -1;
}

static int map_fields(import_job *j, gisd_error *err)
{
    const layer_def *l = j->layer;
    const import_source *src = j->src;
    for (size_t i = 0; i < l->nfields; i++)
        j->src_field[i] = -1;
    for (size_t m = 0; m < src->nmap; m++) {
        int dst = layer_field_index(l, src->map_dst[m]);
        if (dst < 0)
            return gisd_fail(err, GISD_E_INPUT,
                             "%s: field map names \"%s\", which is not a field of layer %s",
                             src->file, src->map_dst[m], l->id);
        int from = find_source_field(j, src->map_src[m], 0);
        if (from < 0)
            from = find_source_field(j, src->map_src[m], 1);
        if (from < 0)
            return gisd_fail(err, GISD_E_INPUT,
                             "%s: the field map names source field \"%s\", which the file does "
                             "not have",
                             src->file, src->map_src[m]);
        j->src_field[dst] = from;
    }
    for (size_t i = 0; i < l->nfields; i++) {
        if (j->src_field[i] >= 0)
            continue;
        if (src->strict_map)
            return gisd_fail(err, GISD_E_INPUT,
                             "%s: field \"%s\" of layer %s is not mapped from any source field",
                             src->file, l->fields[i].name, l->id);
        if (src->nmap == 0)
            j->src_field[i] = find_source_field(j, l->fields[i].name, 1);
        if (j->src_field[i] < 0 && i == l->id_index)
            return gisd_fail(err, GISD_E_INPUT,
                             "%s: no source field gives the id field \"%s\" of layer %s; map one "
                             "with --map SOURCE=%s",
                             src->file, l->id_field, l->id, l->id_field);
        if (j->src_field[i] < 0)
            fprintf(stderr, "gisd: %s: no field \"%s\" in the file; it is left empty\n", src->file,
                    l->fields[i].name);
    }
    if (j->in.is_table) {
        j->x_field = find_source_field(j, src->x, 0);
        j->y_field = find_source_field(j, src->y, 0);
        if (j->x_field < 0 || j->y_field < 0)
            return gisd_fail(err, GISD_E_INPUT, "%s: the coordinate column \"%s\" is not in the file",
                             src->file, j->x_field < 0 ? src->x : src->y);
    }
    return 0;
}

/* Parses a whole string as a number; spaces around it are allowed. */
static int parse_double(const char *s, double *out)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (*end == ' ' || *end == '\t' || *end == '\r')
        end++;
    if (*end || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* The source's text of a field as UTF-8, owned by the caller (CPLFree). */
static char *field_text(import_job *j, OGRFeatureH f, int idx, long no, gisd_error *err)
{
    const char *raw = OGR_F_GetFieldAsString(f, idx);
    char *text = j->recode_from ? CPLRecode(raw, j->recode_from, CPL_ENC_UTF8) : CPLStrdup(raw);
    if (!CPLIsUTF8(text, -1)) {
        char *name = source_field_name(j, idx);
        gisd_fail(err, GISD_E_INPUT,
                  "%s: %s %ld, field \"%s\": the text is not UTF-8; name the file's encoding with "
                  "--encoding GBK (or GB18030; in a manifest: \"encoding\")",
                  j->src->file, j->unit, no, name);
        CPLFree(name);
        CPLFree(text);
        return NULL;
    }
    return text;
}

static int convert_value(import_job *j, OGRFeatureH f, size_t i, long no, gisd_error *err)
{
    const field_def *fd = &j->layer->fields[i];
    store_value *v = &j->values[i];
    memset(v, 0, sizeof *v);
    int idx = j->src_field[i];
    if (idx < 0 || !OGR_F_IsFieldSetAndNotNull(f, idx)) {
        v->is_null = 1;
        return 0;
    }
    OGRFieldType t = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, idx));
    if ((fd->type == FIELD_DATE || fd->type == FIELD_TIMESTAMP || fd->type == FIELD_BOOLEAN) &&
        t != OFTDate && t != OFTDateTime && t != OFTInteger && t != OFTInteger64 && t != OFTString)
        goto not_a_number;
    if (fd->type == FIELD_DATE || fd->type == FIELD_TIMESTAMP) {
        /* OGR's own dates, or ISO 8601 text: kept as ISO text (timestamps in UTC) */
        char iso[32];
        if (t == OFTDate || t == OFTDateTime) {
            int y, mo, d, h, mi, tz;
            float sec;
            if (!OGR_F_GetFieldAsDateTimeEx(f, idx, &y, &mo, &d, &h, &mi, &sec, &tz))
                goto not_a_number;
            char raw[40];
            /* tz: 0 unknown, 1 local, 100 UTC, 100 + n quarter hours east */
            if (tz > 1 && tz != 100)
                snprintf(raw, sizeof raw, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, mo, d, h, mi, (int)sec,
                         tz > 100 ? '+' : '-', abs(tz - 100) / 4, abs(tz - 100) % 4 * 15);
            else
                snprintf(raw, sizeof raw, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, (int)sec);
            if (fd->type == FIELD_DATE ? field_parse_date(raw, iso) : field_parse_timestamp(raw, iso))
                goto not_a_number;
        } else {
            char *text = field_text(j, f, idx, no, err);
            if (!text)
                return -1;
            j->texts[i] = text;
            const char *p = text;
            while (*p == ' ')
                p++;
            if (!*p) {
                v->is_null = 1;
                return 0;
            }
            if (fd->type == FIELD_DATE ? field_parse_date(text, iso) : field_parse_timestamp(text, iso))
                goto not_a_number;
        }
        CPLFree(j->texts[i]);
        j->texts[i] = CPLStrdup(iso);
        v->text = j->texts[i];
        return 0;
    }
    if (fd->type == FIELD_BOOLEAN) {
        if (t == OFTInteger || t == OFTInteger64) {
            long long b = OGR_F_GetFieldAsInteger64(f, idx);
            if (b != 0 && b != 1)
                goto not_a_number;
            v->i = b;
            return 0;
        }
        char *text = field_text(j, f, idx, no, err);
        if (!text)
            return -1;
        j->texts[i] = text;
        const char *p = text;
        while (*p == ' ')
            p++;
        if (!*p) {
            v->is_null = 1;
            return 0;
        }
        if (field_parse_boolean(text, &v->i) != 0)
            goto not_a_number;
        return 0;
    }
    if (fd->type != FIELD_TEXT && (t == OFTInteger || t == OFTInteger64 || t == OFTReal)) {
        double d = OGR_F_GetFieldAsDouble(f, idx);
        if (fd->type == FIELD_INTEGER && d != floor(d))
            goto not_a_number;
        v->d = d;
        v->i = t == OFTReal ? (long long)d : (long long)OGR_F_GetFieldAsInteger64(f, idx);
        return 0;
    }
    char *text = field_text(j, f, idx, no, err);
    if (!text)
        return -1;
    j->texts[i] = text;
    if (fd->type == FIELD_TEXT) {
        if (*text)
            v->text = text;
        else
            v->is_null = 1;
        return 0;
    }
    const char *p = text;
    while (*p == ' ')
        p++;
    if (!*p) {
        v->is_null = 1;
        return 0;
    }
    double d;
    if (parse_double(text, &d) != 0 || (fd->type == FIELD_INTEGER && d != floor(d)))
        goto not_a_number;
    v->d = d;
    v->i = (long long)d;
    return 0;
not_a_number: {
    char *name = source_field_name(j, idx);
    gisd_fail(err, GISD_E_INPUT, "%s: %s %ld, field \"%s\" (%s): \"%s\" is not %s", j->src->file,
              j->unit, no, name, fd->name, OGR_F_GetFieldAsString(f, idx),
              fd->type == FIELD_INTEGER     ? "a whole number"
              : fd->type == FIELD_DATE      ? "a date (YYYY-MM-DD)"
              : fd->type == FIELD_TIMESTAMP ? "a timestamp (ISO 8601)"
              : fd->type == FIELD_BOOLEAN   ? "true or false"
                                            : "a number");
    CPLFree(name);
    return -1;
}
}

/* A number outside its field's "min" and "max" (roads' oneway: 0 or 1) is
 * refused with the feature named, not stored to mislead every search. */
static int check_range(import_job *j, size_t i, long no, gisd_error *err)
{
    const field_def *fd = &j->layer->fields[i];
    const store_value *v = &j->values[i];
    if (!fd->has_range || v->is_null || (v->d >= fd->min && v->d <= fd->max))
        return 0;
    return gisd_fail(err, GISD_E_INPUT, "%s: %s %ld, field \"%s\": %.17g is outside %g to %g", j->src->file, j->unit,
                     no, fd->name, v->d, fd->min, fd->max);
}

/* ---- geometry ---- */

typedef enum { FAMILY_POINT, FAMILY_LINE, FAMILY_POLYGON, FAMILY_OTHER } geom_family;

static geom_family family_of_ogr(OGRwkbGeometryType t)
{
    switch (wkbFlatten(t)) {
    case wkbPoint:
    case wkbMultiPoint:
        return FAMILY_POINT;
    case wkbLineString:
    case wkbMultiLineString:
        return FAMILY_LINE;
    case wkbPolygon:
    case wkbMultiPolygon:
        return FAMILY_POLYGON;
    default:
        return FAMILY_OTHER;
    }
}

static geom_family family_of_layer(geom_kind k)
{
    return k == GEOM_POINT || k == GEOM_MULTIPOINT         ? FAMILY_POINT
           : k == GEOM_LINESTRING || k == GEOM_MULTILINESTRING ? FAMILY_LINE
                                                               : FAMILY_POLYGON;
}

static OGRwkbGeometryType ogr_type_of_layer(geom_kind k)
{
    static const OGRwkbGeometryType t[] = {wkbPoint,      wkbLineString,      wkbPolygon,
                                           wkbMultiPoint, wkbMultiLineString, wkbMultiPolygon};
    return t[k];
}

static const char *family_name(geom_family f)
{
    return f == FAMILY_POINT ? "points" : f == FAMILY_LINE ? "lines" : "polygons";
}

/* Keeps the parts of a repaired geometry that belong to the family (MakeValid
 * may return a collection of a polygon and a stray line). Takes g. */
static OGRGeometryH keep_family(OGRGeometryH g, geom_family fam)
{
    if (wkbFlatten(OGR_G_GetGeometryType(g)) != wkbGeometryCollection)
        return g;
    OGRwkbGeometryType multi = fam == FAMILY_POINT  ? wkbMultiPoint
                               : fam == FAMILY_LINE ? wkbMultiLineString
                                                    : wkbMultiPolygon;
    OGRGeometryH out = OGR_G_CreateGeometry(multi);
    for (int i = 0; i < OGR_G_GetGeometryCount(g); i++) {
        OGRGeometryH part = OGR_G_GetGeometryRef(g, i);
        if (family_of_ogr(OGR_G_GetGeometryType(part)) != fam)
            continue;
        int single = wkbFlatten(OGR_G_GetGeometryType(part)) != multi;
        if (single)
            OGR_G_AddGeometry(out, part);
        else
            for (int k = 0; k < OGR_G_GetGeometryCount(part); k++)
                OGR_G_AddGeometry(out, OGR_G_GetGeometryRef(part, k));
    }
    OGR_G_DestroyGeometry(g);
    return out;
}

static OGRGeometryH point_from_columns(import_job *j, OGRFeatureH f, long no, gisd_error *err)
{
    double xy[2];
    int cols[2] = {j->x_field, j->y_field};
    const char *names[2] = {j->src->x, j->src->y};
    for (int k = 0; k < 2; k++) {
        const char *s = OGR_F_GetFieldAsString(f, cols[k]);
        if (parse_double(s, &xy[k]) != 0) {
            gisd_fail(err, GISD_E_INPUT, "%s: row %ld, column \"%s\": \"%s\" is not a coordinate",
                      j->src->file, no, names[k], s);
            return NULL;
        }
    }
    if (j->in.srs_geographic && (fabs(xy[1]) > 90.0 || fabs(xy[0]) > 180.0)) {
        gisd_fail(err, GISD_E_INPUT,
                  "%s: row %ld: %s %s = %g is out of range for %s; the x and y columns may be "
                  "swapped (x must hold the longitude, y the latitude)",
                  j->src->file, no, fabs(xy[1]) > 90.0 ? "latitude" : "longitude",
                  fabs(xy[1]) > 90.0 ? names[1] : names[0], fabs(xy[1]) > 90.0 ? xy[1] : xy[0],
                  fabs(xy[1]) > 90.0 ? "a latitude (-90..90)" : "a longitude (-180..180)");
        return NULL;
    }
    OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(g, 0, xy[0], xy[1]);
    return g;
}

/* Turns the feature's geometry into the layer's kind in EPSG:4490 WKB. */
static int prepare_geometry(import_job *j, OGRFeatureH f, long no, int *repaired, gisd_error *err)
{
    const layer_def *l = j->layer;
    geom_family want = family_of_layer(l->geometry);
    OGRGeometryH g = j->in.is_table ? point_from_columns(j, f, no, err) : OGR_F_StealGeometry(f);
    if (!g) {
        if (j->in.is_table)
            return -1;
        return gisd_fail(err, GISD_E_INPUT, "%s: %s %ld (index %ld) has no geometry", j->src->file,
                         j->unit, no, no - 1);
    }
    if (OGR_G_IsEmpty(g)) {
        OGR_G_DestroyGeometry(g);
        return gisd_fail(err, GISD_E_INPUT, "%s: %s %ld (index %ld) has an empty geometry",
                         j->src->file, j->unit, no, no - 1);
    }
    OGR_G_FlattenTo2D(g);
    geom_family have = family_of_ogr(OGR_G_GetGeometryType(g));
    if (have != want) {
        gisd_fail(err, GISD_E_INPUT,
                  "%s: %s %ld is a %s, but layer %s holds %s: the geometry type does not fit the "
                  "layer; import it into a layer of %s",
                  j->src->file, j->unit, no, OGR_G_GetGeometryName(g), l->id, family_name(want),
                  have == FAMILY_OTHER ? "its kind" : family_name(have));
        OGR_G_DestroyGeometry(g);
        return -1;
    }
    if (j->ct && OGR_G_Transform(g, j->ct) != OGRERR_NONE) {
        OGR_G_DestroyGeometry(g);
        return gisd_fail(err, GISD_E_INPUT,
                         "%s: %s %ld: its coordinates cannot be transformed to EPSG:4490; check "
                         "the CRS (--srs)",
                         j->src->file, j->unit, no);
    }
    OGREnvelope env;
    OGR_G_GetEnvelope(g, &env);
    /* the transformation may leave a vertex of the antimeridian a rounding error past it */
    const double eps = 1e-7;
    if (env.MinX < -180.0 - eps || env.MaxX > 180.0 + eps || env.MinY < -90.0 - eps || env.MaxY > 90.0 + eps ||
        !isfinite(env.MinX) || !isfinite(env.MaxY)) {
        OGR_G_DestroyGeometry(g);
        return gisd_fail(err, GISD_E_INPUT,
                         "%s: %s %ld: its coordinates fall outside the globe in EPSG:4490; the "
                         "CRS is probably wrong (--srs) or x and y are swapped",
                         j->src->file, j->unit, no);
    }
    CPLPushErrorHandler(CPLQuietErrorHandler); /* GEOS explains each invalidity as a warning */
    int valid = want == FAMILY_POINT || OGR_G_IsValid(g);
    CPLPopErrorHandler();
    if (!valid) {
        CPLPushErrorHandler(CPLQuietErrorHandler);
        OGRGeometryH fixed = OGR_G_MakeValid(g);
        CPLPopErrorHandler();
        OGR_G_DestroyGeometry(g);
        g = fixed ? keep_family(fixed, want) : NULL;
        if (!g || OGR_G_IsEmpty(g)) {
            if (g)
                OGR_G_DestroyGeometry(g);
            return gisd_fail(err, GISD_E_INPUT,
                             "%s: %s %ld: invalid geometry that cannot be repaired", j->src->file,
                             j->unit, no);
        }
        *repaired = 1;
    }
    OGRwkbGeometryType target = ogr_type_of_layer(l->geometry);
    OGRwkbGeometryType type = wkbFlatten(OGR_G_GetGeometryType(g));
    if (type != target) {
        if (OGR_GT_IsSubClassOf(type, wkbGeometryCollection)) {
            if (OGR_G_GetGeometryCount(g) != 1) {
                gisd_fail(err, GISD_E_INPUT,
                          "%s: %s %ld is a %s of %d parts, but layer %s holds single %s",
                          j->src->file, j->unit, no, OGR_G_GetGeometryName(g),
                          OGR_G_GetGeometryCount(g), l->id, family_name(want));
                OGR_G_DestroyGeometry(g);
                return -1;
            }
            OGRGeometryH part = OGR_G_Clone(OGR_G_GetGeometryRef(g, 0));
            OGR_G_DestroyGeometry(g);
            g = part;
        } else {
            g = OGR_G_ForceTo(g, target, NULL);
        }
    }
    size_t n = (size_t)OGR_G_WkbSize(g);
    if (n > j->wkb_cap) {
        unsigned char *grown = xrealloc(j->wkb, n);
        j->wkb = grown;
        j->wkb_cap = n;
    }
    OGR_G_ExportToIsoWkb(g, wkbNDR, j->wkb);
    OGR_G_DestroyGeometry(g);
    return (int)n;
}

/* Refuses a file of the wrong kind of geometry before anything else is said about it. */
static int check_layer_family(import_job *j, gisd_error *err)
{
    if (j->in.is_table)
        return 0;
    geom_family want = family_of_layer(j->layer->geometry);
    OGRwkbGeometryType declared = OGR_L_GetGeomType(j->in.lyr);
    geom_family have = family_of_ogr(declared);
    const char *name = OGRGeometryTypeToName(declared);
    OGRFeatureH first = NULL;
    if (wkbFlatten(declared) == wkbUnknown) {
        CPLPushErrorHandler(CPLQuietErrorHandler);
        first = OGR_L_GetNextFeature(j->in.lyr);
        CPLPopErrorHandler();
        OGRGeometryH g = first ? OGR_F_GetGeometryRef(first) : NULL;
        have = g ? family_of_ogr(OGR_G_GetGeometryType(g)) : want;
        name = g ? OGR_G_GetGeometryName(g) : "";
        OGR_L_ResetReading(j->in.lyr);
    }
    int rc = 0;
    if (have != want)
        rc = gisd_fail(err, GISD_E_INPUT,
                       "%s: the file holds %s geometries, but layer %s holds %s: the geometry "
                       "type does not fit the layer",
                       j->src->file, name, j->layer->id, family_name(want));
    if (first)
        OGR_F_Destroy(first);
    return rc;
}

/* ---- the job ---- */

static int job_open(import_job *j, const layer_registry *reg, const import_source *src,
                    gisd_error *err)
{
    memset(j, 0, sizeof *j);
    j->src = src;
    j->layer = layer_registry_find(reg, src->layer);
    if (!j->layer)
        return gisd_fail(err, GISD_E_INPUT, "%s: there is no layer \"%s\" (see layers/*.layer.json)",
                         src->file, src->layer ? src->layer : "");
    if (ogr_source_open(src, &j->in, err) != 0)
        return -1;
    j->unit = j->in.is_table ? "row" : "feature";
    if (src->encoding && !j->in.gdal_recodes && strcasecmp(src->encoding, "UTF-8") != 0 &&
        strcasecmp(src->encoding, "UTF8") != 0)
        j->recode_from = src->encoding;
    size_t n = j->layer->nfields;
    j->src_field = xcalloc(n, sizeof *j->src_field);
    j->values = xcalloc(n, sizeof *j->values);
    j->texts = xcalloc(n, sizeof *j->texts);
    if (!j->src_field || !j->values || !j->texts)
        return gisd_fail(err, GISD_E_INTERNAL, "out of memory");
    if (check_layer_family(j, err) != 0 || map_fields(j, err) != 0)
        return -1;
    OGRSpatialReferenceH dst = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(dst, STORE_SRID);
    OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
    const char *same_opts[] = {"CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS", NULL};
    int lonlat = j->in.srs_geographic && (OSRIsSameEx(j->in.srs, dst, same_opts) ||
                                          OSRIsSameGeogCS(j->in.srs, dst) ||
                                          (OSRGetAuthorityCode(j->in.srs, NULL) &&
                                           strcmp(OSRGetAuthorityCode(j->in.srs, NULL), "4326") == 0));
    /* CGCS2000 and WGS 84 differ by centimetres; gisd treats them as one, like PROJ's ballpark. */
    if (!lonlat) {
        j->ct = OCTNewCoordinateTransformation(j->in.srs, dst);
        if (!j->ct) {
            OSRDestroySpatialReference(dst);
            return gisd_fail(err, GISD_E_INPUT, "%s: PROJ finds no way from the file's CRS to EPSG:4490",
                             src->file);
        }
    }
    OSRDestroySpatialReference(dst);
    return 0;
}

static void job_clear_texts(import_job *j)
{
    for (size_t i = 0; j->texts && i < j->layer->nfields; i++) {
        CPLFree(j->texts[i]);
        j->texts[i] = NULL;
    }
}

static void job_close(import_job *j)
{
    if (j->layer)
        job_clear_texts(j);
    if (j->ct)
        OCTDestroyCoordinateTransformation(j->ct);
    ogr_source_close(&j->in);
    free(j->src_field);
    free(j->values);
    free(j->texts);
    free(j->wkb);
}

static int import_features(import_job *j, store *s, int show_progress, import_counts *out,
                           gisd_error *err)
{
    OGRLayerH lyr = j->in.lyr;
    long long total = OGR_L_GetFeatureCount(lyr, 0);
    progress pr;
    progress_start(&pr, j->layer->id, total, show_progress);
    OGR_L_ResetReading(lyr);
    long no = 0;
    /* GeoJSON is parsed whole before the first feature comes back, so GDAL's
     * complaint about a coordinate arrives early; the feature it left without
     * a geometry is the one to name. */
    ogr_errors pending = j->in.open_errors;
    for (;;) {
        ogr_errors errs;
        ogr_errors_push(&errs);
        OGRFeatureH f = OGR_L_GetNextFeature(lyr);
        ogr_errors_pop();
        if (errs.failed && !pending.failed)
            pending = errs;
        if (!f)
            break;
        no++;
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (pending.failed && !j->in.is_table && (!g || OGR_G_IsEmpty(g))) {
            OGR_F_Destroy(f);
            return gisd_fail(err, GISD_E_INPUT, "%s: %s %ld (index %ld): %s", j->src->file,
                             j->unit, no, no - 1, pending.msg);
        }
        int repaired = 0;
        int wkb_len = prepare_geometry(j, f, no, &repaired, err);
        for (size_t i = 0; i < j->layer->nfields && wkb_len >= 0; i++)
            if (convert_value(j, f, i, no, err) != 0 || check_range(j, i, no, err) != 0)
                wkb_len = -1;
        long long source_fid = OGR_F_GetFID(f);
        OGR_F_Destroy(f);
        if (wkb_len < 0 ||
            store_layer_insert(s, j->layer, j->values, j->wkb, (size_t)wkb_len, no, source_fid, err) != 0) {
            job_clear_texts(j);
            if (wkb_len >= 0)
                gisd_error_prefix(err, "%s: ", j->src->file);
            return -1;
        }
        job_clear_texts(j);
        out->features++;
        out->repaired += repaired;
        progress_update(&pr, no);
    }
    progress_end(&pr);
    if (pending.failed)
        return gisd_fail(err, GISD_E_INPUT, "%s: %s", j->src->file, pending.msg);
    if (no == 0)
        return gisd_fail(err, GISD_E_INPUT, "%s: the file holds no features", j->src->file);
    return 0;
}

int import_file(store *s, const layer_registry *reg, const import_source *src, int show_progress,
                import_counts *out, gisd_error *err)
{
    double t0 = now_seconds();
    memset(out, 0, sizeof *out);
    /* RFC 7946 rings are closed; GDAL would otherwise accept open ones silently. */
    CPLSetThreadLocalConfigOption("OGR_GEOMETRY_ACCEPT_UNCLOSED_RING", "NO");
    import_job j;
    int rc = job_open(&j, reg, src, err);
    if (rc == 0)
        rc = store_layer_replace_begin(s, j.layer, err);
    if (rc == 0)
        rc = import_features(&j, s, show_progress, out, err);
    if (rc == 0)
        rc = store_layer_replace_end(s, j.layer, err);
    out->seconds = now_seconds() - t0;
    if (rc == 0)
        rc = store_import_record(s, src->file, j.layer->id, out->features, out->repaired,
                                 out->seconds, err);
    job_close(&j);
    CPLSetThreadLocalConfigOption("OGR_GEOMETRY_ACCEPT_UNCLOSED_RING", NULL);
    return rc;
}
