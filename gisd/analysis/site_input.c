/* The sites a land bureau receives, read into what site-check takes: GeoJSON
 * Features in lon/lat (CGCS2000). Offices exchange sites as GeoJSON in any
 * CRS, as shapefiles, DXF from CAD, KML and GeoPackages, as boundary-point
 * lists (界址点 TXT, Gauss-Kruger X/Y with the zone often prefixed to Y) and
 * as coordinates picked from web maps in GCJ-02 or BD-09. A file that states
 * its CRS (a crs member, a .prj, a zone prefix) is read in it; srs names the
 * CRS of one that does not. */
#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis.h"
#include "crs.h"
#include "strbuf.h"
#include "utf8.h"
#include "xalloc.h"

/* The mark a read site carries: its coordinates are lon/lat already. */
#define LONLAT_URN "urn:ogc:def:crs:OGC:1.3:CRS84"

static json_t *lonlat_crs(void)
{
    return json_pack("{s:s, s:{s:s}}", "type", "name", "properties", "name", LONLAT_URN);
}

/* What the site's coordinates are in: an EPSG code (lon/lat 4490 or 4326:
 * nothing to do), or an offset of lon/lat. */
typedef struct {
    int code;
    crs_offset offset;
} site_crs;

static int crs_of_text(const char *text, site_crs *out, gisd_error *err)
{
    out->offset = crs_offset_parse(text);
    out->code = 4490;
    if (out->offset != CRS_OFFSET_NONE)
        return 0;
    char buf[256];
    size_t n = strlen(text);
    /* OGC API Part 4 writes Content-Crs as <uri> */
    if (n >= 2 && n < sizeof buf && text[0] == '<' && text[n - 1] == '>') {
        memcpy(buf, text + 1, n - 2);
        buf[n - 2] = 0;
        text = buf;
    }
    int code = crs_parse(text, NULL, err);
    if (code < 0) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err->message);
        return gisd_fail(err, GISD_E_INPUT, "%s; or GCJ02 / BD09 for coordinates from 高德/腾讯 or 百度 maps", msg);
    }
    out->code = code;
    return 0;
}

static int is_lonlat(const site_crs *c) { return c->offset == CRS_OFFSET_NONE && (c->code == 4490 || c->code == 4326); }

/* ---- GeoJSON geometries into lon/lat ---- */

static int unoffset_positions(json_t *coords, crs_offset off, int depth, gisd_error *err)
{
    if (!json_is_array(coords) || depth > 8)
        return gisd_fail(err, GISD_E_INPUT, "the site's coordinates are not GeoJSON positions");
    if (json_is_number(json_array_get(coords, 0))) {
        json_t *x = json_array_get(coords, 0), *y = json_array_get(coords, 1);
        if (!json_is_number(y))
            return gisd_fail(err, GISD_E_INPUT, "the site's coordinates are not GeoJSON positions");
        double lon, lat;
        int rc = off == CRS_OFFSET_GCJ02
                     ? crs_gcj02_to_wgs84(json_number_value(x), json_number_value(y), &lon, &lat, err)
                     : crs_bd09_to_wgs84(json_number_value(x), json_number_value(y), &lon, &lat, err);
        if (rc != 0)
            return -1;
        json_array_set_new(coords, 0, json_real(lon));
        json_array_set_new(coords, 1, json_real(lat));
        return 0;
    }
    size_t i;
    json_t *v;
    json_array_foreach(coords, i, v)
        if (unoffset_positions(v, off, depth + 1, err) != 0)
            return -1;
    return 0;
}

/* geometry (GeoJSON, in c) as a new GeoJSON geometry in lon/lat, or NULL with err. */
static json_t *geometry_to_lonlat(json_t *geometry, const site_crs *c, gisd_error *err)
{
    if (!json_is_object(geometry) || is_lonlat(c))
        return json_incref(geometry); /* analysis_site_geometry says what is wrong with it */
    json_t *copy = json_deep_copy(geometry);
    if (c->offset != CRS_OFFSET_NONE) {
        if (unoffset_positions(json_object_get(copy, "coordinates"), c->offset, 0, err) != 0) {
            json_decref(copy);
            return NULL;
        }
        return copy;
    }
    char *text = json_dumps(copy, JSON_COMPACT);
    json_decref(copy);
    CPLPushErrorHandler(CPLQuietErrorHandler);
    OGRGeometryH g = text ? OGR_G_CreateGeometryFromJson(text) : NULL;
    CPLPopErrorHandler();
    free(text);
    if (!g) {
        gisd_fail(err, GISD_E_INPUT, "the site's geometry is not valid GeoJSON");
        return NULL;
    }
    OGRCoordinateTransformationH ct = crs_transform_new(c->code, STORE_SRID);
    CPLPushErrorHandler(CPLQuietErrorHandler);
    int ok = ct && OGR_G_Transform(g, ct) == OGRERR_NONE;
    CPLPopErrorHandler();
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    char *out = ok ? OGR_G_ExportToJson(g) : NULL;
    OGR_G_DestroyGeometry(g);
    json_t *j = out ? json_loads(out, 0, NULL) : NULL;
    CPLFree(out);
    if (!j)
        gisd_fail(err, GISD_E_INPUT, "the site cannot be brought from EPSG:%d into lon/lat: it lies outside "
                                     "where that CRS is defined", c->code);
    return j;
}

/* The CRS a GeoJSON object states in its (2008 GeoJSON) crs member: 1 with
 * *out, 0 when it states none, -1 with err. */
static int stated_crs(json_t *object, site_crs *out, gisd_error *err)
{
    json_t *crs = json_object_get(object, "crs");
    if (!crs || json_is_null(crs))
        return 0;
    const char *name = json_string_value(json_object_get(json_object_get(crs, "properties"), "name"));
    if (!name)
        return gisd_fail(err, GISD_E_INPUT, "the site's crs member must be {\"type\": \"name\", \"properties\": "
                                            "{\"name\": \"urn:ogc:def:crs:EPSG::4549\"}}");
    return crs_of_text(name, out, err) == 0 ? 1 : -1;
}

static json_t *feature_to_lonlat(json_t *f, const site_crs *c, gisd_error *err)
{
    if (!json_is_object(f) || !json_is_object(json_object_get(f, "geometry")))
        return json_deep_copy(f); /* site-check says what is missing */
    json_t *g = geometry_to_lonlat(json_object_get(f, "geometry"), c, err);
    if (!g)
        return NULL;
    json_t *copy = json_deep_copy(f); /* the defaults go into its properties */
    json_object_set_new(copy, "geometry", g);
    json_object_del(copy, "crs");
    return copy;
}

int site_input_normalise(json_t *object, const char *srs, json_t **out, gisd_error *err)
{
    *out = NULL;
    site_crs c = {4490, CRS_OFFSET_NONE};
    int stated = stated_crs(object, &c, err);
    if (stated < 0 || (stated == 0 && srs && *srs && crs_of_text(srs, &c, err) != 0))
        return -1;
    const char *type = json_string_value(json_object_get(object, "type"));
    json_t *res;
    if (!type || (strcmp(type, "FeatureCollection") && strcmp(type, "Feature"))) {
        *out = json_incref(object); /* site-check says what it must be */
        return 0;
    }
    if (strcmp(type, "FeatureCollection") == 0) {
        json_t *list = json_object_get(object, "features");
        if (!json_is_array(list) || json_array_size(list) == 0)
            return gisd_fail(err, GISD_E_INPUT, "the FeatureCollection of sites holds no feature");
        if (json_array_size(list) > SITE_INPUT_MAX_SITES)
            return gisd_fail(err, GISD_E_INPUT, "at most %d sites at once; split the collection",
                             SITE_INPUT_MAX_SITES);
        json_t *fs = json_array();
        size_t i;
        json_t *f;
        json_array_foreach(list, i, f) {
            json_t *g = feature_to_lonlat(f, &c, err);
            if (!g) {
                json_decref(fs);
                return -1;
            }
            json_array_append_new(fs, g);
        }
        res = json_pack("{s:s, s:o, s:o}", "type", "FeatureCollection", "features", fs, "crs", lonlat_crs());
    } else {
        if (!(res = feature_to_lonlat(object, &c, err)))
            return -1;
        json_object_set_new(res, "crs", lonlat_crs());
    }
    *out = res;
    return 0;
}

int site_input_defaults(json_t *site, const char *project_class, const double *coal_boiler_tph)
{
    const char *type = json_string_value(json_object_get(site, "type"));
    if (type && strcmp(type, "FeatureCollection") == 0) {
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(site, "features"), i, f)
            site_input_defaults(f, project_class, coal_boiler_tph);
        return 0;
    }
    if (!type || strcmp(type, "Feature") != 0)
        return 0;
    json_t *props = json_object_get(site, "properties");
    if (!json_is_object(props) && (project_class || coal_boiler_tph)) {
        props = json_object();
        json_object_set_new(site, "properties", props);
    }
    if (project_class && !json_is_string(json_object_get(props, "project_class")))
        json_object_set_new(props, "project_class", json_string(project_class));
    if (coal_boiler_tph && !json_is_number(json_object_get(props, "coal_boiler_tph")))
        json_object_set_new(props, "coal_boiler_tph", json_real(*coal_boiler_tph));
    return 0;
}

/* What a file of sites answers as: one site as its Feature (so that every
 * form of one site answers as its GeoJSON Feature does), several as their
 * collection; both marked lon/lat. Takes features. */
static json_t *sites_of(json_t *features)
{
    if (json_array_size(features) == 1) {
        json_t *f = json_incref(json_array_get(features, 0));
        json_decref(features);
        json_object_set_new(f, "crs", lonlat_crs());
        return f;
    }
    return json_pack("{s:s, s:o, s:o}", "type", "FeatureCollection", "features", features, "crs", lonlat_crs());
}

/* ---- boundary-point TXT (界址点坐标) ---- */

/* One parcel being read: its rings of [easting, northing] positions. */
typedef struct {
    json_t *rings; /* array of arrays of positions */
    long ring_line; /* where the current ring started */
    long last_ring;
    char id[128];
    char name[128];
} parcel;

/* The CGCS2000 Gauss-Kruger CRS of zone (3-degree zones 25-45, 6-degree
 * 13-23) with the zone prefixed to the easting, or 0. */
static int zone_crs(int zone, int six_degree)
{
    if (!six_degree && zone >= 25 && zone <= 45)
        return 4513 + zone - 25;
    if (zone >= 13 && zone <= 23)
        return 4491 + zone - 13;
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
    return s;
}

/* A line's fields: comma-separated ones keep their empty places (a parcel
 * header's 面积 may be blank), others are split on runs of blanks. */
static int split_fields(char *line, char *f[12])
{
    int n = 0;
    for (char *c = line; *c; c++)
        if (strncmp(c, "，", strlen("，")) == 0) /* a full-width comma */
            memcpy(c, ",  ", strlen("，"));
    if (strchr(line, ',')) {
        for (char *at = line; at && n < 12;) {
            char *comma = strchr(at, ',');
            if (comma)
                *comma = 0;
            f[n++] = trim(at);
            at = comma ? comma + 1 : NULL;
        }
        return n;
    }
    for (char *save = NULL, *tok = strtok_r(line, " \t", &save); tok && n < 12; tok = strtok_r(NULL, " \t", &save))
        f[n++] = tok;
    return n;
}

static int number(const char *s, double *out)
{
    char *end;
    *out = strtod(s, &end);
    return end != s && *end == 0 && isfinite(*out);
}

typedef struct {
    const char *name;
    int code;          /* the CRS the coordinates are in, 0 until known */
    int zone, six;     /* from the header (带号, 几度分带) */
    int code_from_srs; /* given by srs, with no zone prefix */
    json_t *features;
    parcel p;
    int in_parcel;
    gisd_error *err;
} txt_reader;

static int ring_close(txt_reader *t, long line)
{
    json_t *ring = json_array_get(t->p.rings, json_array_size(t->p.rings) - 1);
    size_t n = json_array_size(ring);
    if (!ring || n == 0)
        return 0;
    json_t *a = json_array_get(ring, 0), *b = json_array_get(ring, n - 1);
    double dx = json_number_value(json_array_get(a, 0)) - json_number_value(json_array_get(b, 0));
    double dy = json_number_value(json_array_get(a, 1)) - json_number_value(json_array_get(b, 1));
    if (n < 4 || hypot(dx, dy) > 0.001)
        return gisd_fail(t->err, GISD_E_INPUT,
                         "%s: line %ld: the ring that starts on line %ld does not close (its last point must "
                         "repeat its first, and a ring needs three corners)", t->name, line, t->p.ring_line);
    return 0;
}

/* Ends the parcel being read (line: where the next begins or the file ends). */
static int parcel_end(txt_reader *t, long line)
{
    if (!t->p.rings || json_array_size(t->p.rings) == 0) {
        json_decref(t->p.rings);
        t->p.rings = NULL;
        return 0;
    }
    if (ring_close(t, line) != 0)
        return -1;
    json_t *props = json_object();
    if (t->p.name[0])
        json_object_set_new(props, "name", json_string(t->p.name));
    char id[160];
    snprintf(id, sizeof id, "%s", t->p.id[0] ? t->p.id : "");
    if (!id[0])
        snprintf(id, sizeof id, "parcel %zu", json_array_size(t->features) + 1);
    json_t *f = json_pack("{s:s, s:s, s:o, s:{s:s, s:o}}", "type", "Feature", "id", id, "properties", props,
                          "geometry", "type", "Polygon", "coordinates", t->p.rings);
    t->p.rings = NULL;
    site_crs c = {t->code, CRS_OFFSET_NONE};
    json_t *g = geometry_to_lonlat(json_object_get(f, "geometry"), &c, t->err);
    if (!g) {
        json_decref(f);
        return -1;
    }
    json_object_set_new(f, "geometry", g);
    json_array_append_new(t->features, f);
    return 0;
}

static int txt_point(txt_reader *t, long line, double x_north, double y_east, double ring_no)
{
    double e = y_east;
    long ring = ring_no >= 0 && ring_no <= 1e6 ? (long)ring_no : -1;
    int code = t->code_from_srs;
    if (y_east >= 1e8 || y_east < 0 || ring < 0 || ring > 1e6)
        return gisd_fail(t->err, GISD_E_INPUT,
                         "%s: line %ld: X %.3f, Y %.3f, ring %ld are no Gauss-Kruger boundary point (Y is the easting, "
                         "with at most a two-digit zone prefixed)", t->name, line, x_north, y_east, ring);
    if (y_east >= 1e7) {
        int zone = (int)(y_east / 1e6);
        code = zone_crs(zone, t->six);
        if (!code)
            return gisd_fail(t->err, GISD_E_INPUT,
                             "%s: line %ld: Y %.3f carries zone %d, which is no CGCS2000 Gauss-Kruger zone of China "
                             "(3-degree 25-45, 6-degree 13-23)", t->name, line, y_east, zone);
        e = y_east - zone * 1e6;
    } else if (!code && t->zone) {
        /* a zone named in the header, coordinates without the prefix: the
         * zone's CRS of the central meridian (EPSG:4534.. for 3-degree) */
        int cm = t->six ? t->zone * 6 - 3 : t->zone * 3;
        code = t->six ? 0 : (cm >= 75 && cm <= 135 ? 4534 + (cm - 75) / 3 : 0);
        if (!code)
            return gisd_fail(t->err, GISD_E_INPUT, "%s: line %ld: zone %d has no CGCS2000 CRS without its prefix; "
                                                   "give --srs", t->name, line, t->zone);
    }
    if (!code)
        return gisd_fail(t->err, GISD_E_INPUT,
                         "%s: line %ld: Y %.3f carries no zone prefix and the file names no zone (带号=); give the "
                         "CRS with --srs (e.g. EPSG:4549, CGCS2000 3-degree zone at 120E) or Content-Crs",
                         t->name, line, y_east);
    if (e < 100000 || e > 900000 || x_north < 0 || x_north > 1e7)
        return gisd_fail(t->err, GISD_E_INPUT,
                         "%s: line %ld: X %.3f, Y %.3f lie outside the Gauss-Kruger zone (an easting without the "
                         "zone prefix is 100 000-900 000 m; X is the northing, Y the easting)", t->name, line,
                         x_north, y_east);
    if (t->code && t->code != code)
        return gisd_fail(t->err, GISD_E_INPUT, "%s: line %ld: this point's zone differs from the file's earlier points",
                         t->name, line);
    t->code = code;
    if (!t->p.rings)
        t->p.rings = json_array();
    if (json_array_size(t->p.rings) == 0 || ring != t->p.last_ring) {
        if (json_array_size(t->p.rings) > 0 && ring_close(t, line) != 0)
            return -1;
        json_array_append_new(t->p.rings, json_array());
        t->p.ring_line = line;
        t->p.last_ring = ring;
    }
    json_t *r = json_array_get(t->p.rings, json_array_size(t->p.rings) - 1);
    /* GeoJSON order: easting first, with the zone prefix when there is one,
     * which the zone's CRS (EPSG:4513..4533) carries in its false easting */
    json_array_append_new(r, json_pack("[f, f]", y_east, x_north));
    return 0;
}

static int read_txt(const char *data, size_t len, const char *name, const site_crs *srs, json_t **out,
                    gisd_error *err)
{
    txt_reader t = {.name = name, .features = json_array(), .err = err};
    if (srs && srs->code && srs->offset == CRS_OFFSET_NONE && !is_lonlat(srs))
        t.code_from_srs = srs->code;
    char *text = xmalloc(len + 1);
    memcpy(text, data, len);
    text[len] = 0;
    if (!utf8_valid(text)) {
        /* offices' TXT files are most often GBK (Windows' CP936) */
        char *u = CPLRecode(text, "CP936", CPL_ENC_UTF8);
        char *clean = utf8_clean(u ? u : "", 0);
        CPLFree(u);
        free(text);
        text = clean;
    }
    char *at = text;
    if ((unsigned char)at[0] == 0xEF && (unsigned char)at[1] == 0xBB && (unsigned char)at[2] == 0xBF)
        at += 3;
    long lineno = 0, points = 0;
    int rc = 0;
    while (rc == 0 && at && *at) {
        char *nl = strchr(at, '\n'), *line = at;
        if (nl)
            *nl = 0;
        at = nl ? nl + 1 : NULL;
        lineno++;
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = 0;
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#' || *line == '[')
            continue;
        char *eq = strchr(line, '=');
        if (eq) { /* a header line of the 属性描述 section */
            if (strncmp(line, "带号", eq - line) == 0 && eq - line == (long)strlen("带号"))
                t.zone = atoi(eq + 1);
            else if (strncmp(line, "几度分带", eq - line) == 0 && eq - line == (long)strlen("几度分带"))
                t.six = atoi(eq + 1) == 6;
            continue;
        }
        char *f[12];
        int nf = split_fields(line, f);
        if (nf > 0 && strcmp(f[nf - 1], "@") == 0) {
            /* a parcel's header: 点数,面积,地块编号,地块名称,图形属性,图幅号,用途,地类编码,@ */
            if ((rc = parcel_end(&t, lineno)) != 0)
                break;
            memset(&t.p, 0, sizeof t.p);
            if (nf > 3)
                utf8_format(t.p.id, sizeof t.p.id, "%s", f[2]);
            if (nf > 4)
                utf8_format(t.p.name, sizeof t.p.name, "%s", f[3]);
            t.in_parcel = 1;
            continue;
        }
        double x, y, ring = 1;
        int ok;
        if (nf == 4) /* J1,1,X,Y: point, ring, X, Y */
            ok = number(f[1], &ring) && number(f[2], &x) && number(f[3], &y);
        else if (nf == 3) /* J1,X,Y or 1,X,Y */
            ok = number(f[1], &x) && number(f[2], &y);
        else if (nf == 2)
            ok = number(f[0], &x) && number(f[1], &y);
        else
            ok = 0;
        if (!ok) {
            /* nothing read yet: most likely not meant as boundary points */
            rc = gisd_fail(err, GISD_E_INPUT,
                           "%s: %sline %ld: not a boundary point (point,ring,X,Y or point,X,Y or X,Y, X the "
                           "northing and Y the easting in metres)", name,
                           points == 0 && !t.in_parcel ? "not JSON (GeoJSON), nor a boundary-point TXT: " : "",
                           lineno);
            break;
        }
        rc = txt_point(&t, lineno, x, y, ring);
        points++;
    }
    if (rc == 0)
        rc = parcel_end(&t, lineno + 1);
    if (rc == 0 && json_array_size(t.features) == 0)
        rc = gisd_fail(err, GISD_E_INPUT, "%s: no boundary points (界址点) in the file", name);
    json_decref(t.p.rings);
    free(text);
    if (rc != 0) {
        json_decref(t.features);
        return -1;
    }
    *out = sites_of(t.features);
    return 0;
}

/* ---- any OGR vector file ---- */

/* A closed line (a CAD polyline) as a polygon; other geometries as they are. */
static OGRGeometryH polygonal(OGRGeometryH g)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbLineString && OGR_G_GetPointCount(g) >= 4) {
        int n = OGR_G_GetPointCount(g);
        if (OGR_G_GetX(g, 0) == OGR_G_GetX(g, n - 1) && OGR_G_GetY(g, 0) == OGR_G_GetY(g, n - 1)) {
            OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing), poly = OGR_G_CreateGeometry(wkbPolygon);
            for (int i = 0; i < n; i++)
                OGR_G_AddPoint_2D(ring, OGR_G_GetX(g, i), OGR_G_GetY(g, i));
            OGR_G_AddGeometryDirectly(poly, ring);
            return poly;
        }
    }
    if (t == wkbPoint || t == wkbPolygon || t == wkbMultiPolygon)
        return OGR_G_Clone(g);
    return NULL;
}

static json_t *field_value(OGRFeatureH f, int i)
{
    OGRFieldDefnH d = OGR_F_GetFieldDefnRef(f, i);
    if (!OGR_F_IsFieldSetAndNotNull(f, i))
        return json_null();
    switch (OGR_Fld_GetType(d)) {
    case OFTInteger:
    case OFTInteger64:
        return json_integer(OGR_F_GetFieldAsInteger64(f, i));
    case OFTReal:
        return json_real(OGR_F_GetFieldAsDouble(f, i));
    default: {
        char *clean = utf8_clean(OGR_F_GetFieldAsString(f, i), 0); /* a shapefile without its .cpg */
        json_t *v = json_string(clean);
        free(clean);
        return v;
    }
    }
}

/* A shapefile cuts field names to 10 characters: project_cl and coal_boile
 * are the site's project_class and coal_boiler_tph. */
static const char *site_field_name(const char *name)
{
    static const char *const full[] = {"project_class", "coal_boiler_tph", "applicant", "reviewer"};
    for (size_t i = 0; i < sizeof full / sizeof *full; i++)
        if (strlen(name) == 10 && strncmp(full[i], name, 10) == 0)
            return full[i];
    return name;
}

static int read_ogr(const char *path, const char *name, const site_crs *srs, json_t **out, gisd_error *err)
{
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    CPLPopErrorHandler();
    if (!ds)
        return gisd_fail(err, GISD_E_INPUT,
                         "%s: not a site file gisd reads (GeoJSON, boundary-point TXT, shapefile or zipped shapefile, "
                         "DXF, KML, GeoPackage)", name);
    int is_dxf = strcmp(GDALGetDriverShortName(GDALGetDatasetDriver(ds)), "DXF") == 0;
    json_t *features = json_array();
    int rc = 0, skipped = 0;
    for (int li = 0; rc == 0 && li < GDALDatasetGetLayerCount(ds); li++) {
        OGRLayerH layer = GDALDatasetGetLayer(ds, li);
        OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(layer);
        OGRCoordinateTransformationH ct = NULL;
        int offset_after = 0;
        if (lsrs) {
            OGRSpatialReferenceH to = OSRNewSpatialReference(NULL);
            OSRImportFromEPSG(to, STORE_SRID);
            OSRSetAxisMappingStrategy(to, OAMS_TRADITIONAL_GIS_ORDER);
            OGRSpatialReferenceH from = OSRClone(lsrs);
            OSRSetAxisMappingStrategy(from, OAMS_TRADITIONAL_GIS_ORDER);
            ct = OCTNewCoordinateTransformation(from, to);
            OSRDestroySpatialReference(from);
            OSRDestroySpatialReference(to);
            if (!ct)
                rc = gisd_fail(err, GISD_E_INPUT, "%s: its CRS has no transformation to CGCS2000 lon/lat", name);
        } else if (srs && srs->offset != CRS_OFFSET_NONE) {
            offset_after = 1;
        } else if (srs && !is_lonlat(srs)) {
            if (!(ct = crs_transform_new(srs->code, STORE_SRID)))
                rc = gisd_fail(err, GISD_E_INPUT, "%s: no transformation from EPSG:%d to lon/lat", name, srs->code);
        }
        OGR_L_ResetReading(layer);
        OGRFeatureH f;
        while (rc == 0 && (f = OGR_L_GetNextFeature(layer)) != NULL) {
            OGRGeometryH g0 = OGR_F_GetGeometryRef(f);
            OGRGeometryH g = g0 ? polygonal(g0) : NULL;
            if (!g) {
                skipped++;
                OGR_F_Destroy(f);
                continue;
            }
            OGR_G_FlattenTo2D(g); /* KML and CAD carry heights a site does not need */
            if (ct) {
                CPLPushErrorHandler(CPLQuietErrorHandler);
                if (OGR_G_Transform(g, ct) != OGRERR_NONE)
                    rc = gisd_fail(err, GISD_E_INPUT, "%s: feature %lld lies outside where its CRS is defined", name,
                                   (long long)OGR_F_GetFID(f));
                CPLPopErrorHandler();
            } else if (!offset_after) {
                OGREnvelope env;
                OGR_G_GetEnvelope(g, &env);
                if (env.MinX < -180 || env.MaxX > 180 || env.MinY < -90 || env.MaxY > 90)
                    rc = gisd_fail(err, GISD_E_INPUT,
                                   "%s: the file states no CRS and its coordinates are not lon/lat; give the CRS with "
                                   "--srs (e.g. EPSG:4549) or Content-Crs", name);
            }
            json_t *props = json_object(), *geom = NULL;
            for (int i = 0; i < OGR_F_GetFieldCount(f); i++)
                json_object_set_new(props, site_field_name(OGR_Fld_GetNameRef(OGR_F_GetFieldDefnRef(f, i))),
                                    field_value(f, i));
            char *gj = rc == 0 ? OGR_G_ExportToJson(g) : NULL;
            if (gj)
                geom = json_loads(gj, 0, NULL);
            CPLFree(gj);
            OGR_G_DestroyGeometry(g);
            char fid[64];
            const char *id = json_string_value(json_object_get(props, "id"));
            if (!id)
                id = json_string_value(json_object_get(props, "site_id"));
            snprintf(fid, sizeof fid, "%lld", (long long)OGR_F_GetFID(f));
            if (geom && offset_after) {
                site_crs c = *srs;
                json_t *g2 = geometry_to_lonlat(geom, &c, err);
                json_decref(geom);
                geom = g2;
                rc = g2 ? 0 : -1;
            }
            if (geom)
                json_array_append_new(features, json_pack("{s:s, s:s, s:o, s:o}", "type", "Feature", "id",
                                                          id ? id : fid, "properties", props, "geometry", geom));
            else
                json_decref(props);
            if (!geom && rc == 0)
                rc = gisd_fail(err, GISD_E_INPUT, "%s: feature %lld's geometry cannot be read", name,
                               (long long)OGR_F_GetFID(f));
            OGR_F_Destroy(f);
        }
        if (ct)
            OCTDestroyCoordinateTransformation(ct);
    }
    GDALClose(ds);
    if (rc == 0 && json_array_size(features) == 0)
        rc = is_dxf ? gisd_fail(err, GISD_E_INPUT,
                                "%s: no closed polyline; a site drawn in CAD must be a closed polyline", name)
                    : gisd_fail(err, GISD_E_INPUT, "%s: no point or polygon to check (%d other features)", name,
                                skipped);
    if (rc != 0) {
        json_decref(features);
        return -1;
    }
    *out = sites_of(features);
    return 0;
}

/* ---- which form the bytes are ---- */

static int starts_with(const void *data, size_t len, const char *magic)
{
    size_t n = strlen(magic);
    return len >= n && memcmp(data, magic, n) == 0;
}

static int has_suffix(const char *name, const char *suffix)
{
    size_t n = name ? strlen(name) : 0, m = strlen(suffix);
    return n >= m && strcasecmp(name + n - m, suffix) == 0;
}

static const char *skip_space(const char *p, const char *end)
{
    if (end - p >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
        p += 3;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

int site_input_read(const void *data, size_t len, const char *path, const char *srs, json_t **out, gisd_error *err)
{
    *out = NULL;
    const char *name = path ? path : "the site";
    const char *p = skip_space(data, (const char *)data + len);
    site_crs c = {4490, CRS_OFFSET_NONE};
    if (srs && *srs && crs_of_text(srs, &c, err) != 0)
        return -1;
    if (p < (const char *)data + len && *p == '{') {
        json_error_t jerr;
        json_t *j = json_loadb(data, len, 0, &jerr);
        if (!j)
            return gisd_fail(err, GISD_E_INPUT, "%s: not JSON: line %d, column %d: %s", name, jerr.line, jerr.column,
                             jerr.text);
        int rc = site_input_normalise(j, srs, out, err);
        json_decref(j);
        return rc;
    }
    /* text with boundary points, unless it is one of OGR's text formats */
    int binary = memchr(data, 0, len < 65536 ? len : 65536) != NULL;
    int xml = p < (const char *)data + len && *p == '<';
    int dxf = has_suffix(path, ".dxf") || (len > 16 && memmem(data, len < 4096 ? len : 4096, "SECTION", 7) &&
                                           (starts_with(p, len, "0\n") || starts_with(p, len, "0\r\n")));
    if (!binary && !xml && !dxf && !has_suffix(path, ".kml") && !has_suffix(path, ".gml"))
        return read_txt(data, len, name, &c, out, err);
    if (path && !has_suffix(path, ".zip")) { /* a file on disk: its sidecars (.shx, .dbf, .prj) beside it */
        CPLPushErrorHandler(CPLQuietErrorHandler);
        int rc = read_ogr(path, name, &c, out, err);
        CPLPopErrorHandler();
        return rc;
    }
    /* bytes from a request: a file of its own in GDAL's memory */
    const char *ext = starts_with(data, len, "PK\003\004")          ? ".zip"
                      : starts_with(data, len, "SQLite format 3") ? ".gpkg"
                      : dxf                                       ? ".dxf"
                      : xml                                       ? ".kml"
                                                                  : "";
    if (path && has_suffix(path, ".zip"))
        ext = ".zip";
    char mem[128], open_path[160];
    snprintf(mem, sizeof mem, "/vsimem/gisd-site-%p%s", (void *)out, ext);
    snprintf(open_path, sizeof open_path, "%s%s", strcmp(ext, ".zip") == 0 ? "/vsizip/" : "", mem);
    VSILFILE *fp = VSIFileFromMemBuffer(mem, (GByte *)data, (vsi_l_offset)len, FALSE);
    if (!fp)
        return gisd_fail(err, GISD_E_INTERNAL, "%s: cannot open it in memory", name);
    VSIFCloseL(fp);
    CPLPushErrorHandler(CPLQuietErrorHandler); /* OGR's drivers say what they tried; gisd says what failed */
    int rc = read_ogr(open_path, name, &c, out, err);
    CPLPopErrorHandler();
    VSIUnlink(mem);
    return rc;
}

int site_input_file(const char *path, const char *srs, json_t **out, gisd_error *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return gisd_fail(err, GISD_E_INPUT, "%s: cannot be read", path);
    strbuf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        strbuf_append(&b, chunk, n);
    int bad = ferror(fp);
    fclose(fp);
    int rc = bad ? gisd_fail(err, GISD_E_INPUT, "%s: cannot be read", path)
                 : site_input_read(b.data ? b.data : "", b.len, path, srs, out, err);
    strbuf_free(&b);
    return rc;
}

int site_input_is_batch(json_t *site)
{
    const char *type = json_string_value(json_object_get(site, "type"));
    return type && strcmp(type, "FeatureCollection") == 0;
}

int site_input_prepare(json_t *site, const param_values *v, json_t **out, gisd_error *err)
{
    if (site_input_normalise(site, param_text(v, "srs"), out, err) != 0)
        return -1;
    double tph = param_num(v, "coal_boiler_tph");
    return site_input_defaults(*out, param_text(v, "project_class"), param_given(v, "coal_boiler_tph") ? &tph : NULL);
}
