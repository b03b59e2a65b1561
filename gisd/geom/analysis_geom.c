#include "analysis_geom.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <float.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "crs.h"
#include "dataset.h"
#include "xalloc.h"

int afail_live(afail *f)
{
    if (f->failed)
        return 0;
    if (cancel_requested()) {
        f->failed = 1;
        gisd_fail(f->err, GISD_E_TIMEOUT, "the analysis was cancelled at its deadline or at shutdown");
        return 0;
    }
    return 1;
}

static void afail_record(afail *f, const char *what)
{
    if (f->failed)
        return;
    f->failed = 1;
    if (cancel_requested())
        gisd_fail(f->err, GISD_E_TIMEOUT, "the analysis was cancelled at its deadline or at shutdown");
    else
        gisd_fail(f->err, GISD_E_INTERNAL, "GEOS failed %s: %s; no answer can be given", what,
                  *geos_last_error() ? geos_last_error() : "no message");
}

int afail_pred(afail *f, char r, const char *what)
{
    if (r == 0 || r == 1)
        return r;
    afail_record(f, what);
    return 0;
}

int afail_ok(afail *f, int ok, const char *what)
{
    if (!ok)
        afail_record(f, what);
    return ok != 0;
}

static int transform_point(double *x, double *y, void *ct)
{
    return OCTTransform(ct, 1, x, y, NULL) ? 1 : 0;
}

int aset_load(GEOSContextHandle_t h, store *s, const layer_registry *reg, const char *layer,
              int srid, const char *const *fields, const double *bbox, aset *out, afail *fail)
{
    gisd_error *err = fail->err;
    memset(out, 0, sizeof *out);
    out->h = h;
    out->fail = fail;
    if (!afail_live(fail))
        return -1;
    const layer_def *l = layer_registry_find(reg, layer);
    if (!l)
        return gisd_fail(err, GISD_E_INPUT, "the analyses need the layer %s, which is not defined",
                         layer);
    size_t nf = 0;
    int idx[16];
    for (; fields && fields[nf]; nf++) {
        idx[nf] = layer_field_index(l, fields[nf]);
        if (idx[nf] < 0)
            return gisd_fail(err, GISD_E_INTERNAL, "layer %s has no field %s", layer, fields[nf]);
    }
    out->nvals = nf;
    store_query q = {.limit = -1, .geom_format = STORE_GEOM_WKB};
    /* Projected here by PROJ rather than by SpatiaLite's ST_Transform in the
     * query, which costs some 20 us a point against well under 2. */
    OGRCoordinateTransformationH ct = NULL;
    if (srid != STORE_SRID && srid != 4326 && !(ct = crs_transform_new(STORE_SRID, srid)))
        return gisd_fail(err, GISD_E_INPUT, "no transformation from lon/lat to EPSG:%d", srid);
    if (bbox) {
        q.has_bbox = 1;
        memcpy(q.bbox, bbox, sizeof q.bbox);
        q.bbox_srid = srid;
    }
    store_cursor *c;
    if (store_cursor_open(s, l, &q, &c, err) != 0) {
        if (ct)
            OCTDestroyCoordinateTransformation(ct);
        return -1;
    }
    GEOSWKBReader *rd = GEOSWKBReader_create_r(h);
    size_t cap = 0;
    int rc = afail_ok(fail, rd != NULL, "creating a WKB reader") ? 1 : -1;
    while (rc == 1 && (rc = store_cursor_next(c, err)) == 1) {
        size_t len;
        const unsigned char *wkb = store_cursor_geom(c, &len);
        if (!wkb)
            continue;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 256;
            out->f = xreallocarray(out->f, cap, sizeof *out->f);
        }
        afeat *f = &out->f[out->n];
        memset(f, 0, sizeof *f);
        f->g = GEOSWKBReader_read_r(h, rd, wkb, len);
        if (f->g && ct) {
            GEOSGeometry *projected = GEOSGeom_transformXY_r(h, f->g, transform_point, ct);
            GEOSGeom_destroy_r(h, f->g);
            f->g = projected;
        }
        if (!afail_ok(fail, f->g != NULL, "reading or projecting a stored geometry")) {
            gisd_error_prefix(err, "layer %s: ", layer);
            rc = -1;
            break;
        }
        f->index = out->n;
        f->vals = xcalloc(nf ? nf : 1, sizeof *f->vals);
        for (size_t k = 0; k < nf; k++)
            f->vals[k] = store_cursor_is_null(c, (size_t)idx[k]) ? NULL
                                                                 : xstrdup(store_cursor_text(c, (size_t)idx[k]));
        out->n++;
    }
    if (rd)
        GEOSWKBReader_destroy_r(h, rd);
    store_cursor_free(c);
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    if (rc < 0) {
        fail->failed = 1;
        aset_free(out);
        return -1;
    }
    out->tree = GEOSSTRtree_create_r(h, 10);
    if (!afail_ok(fail, out->tree != NULL, "creating an STR-tree")) {
        aset_free(out);
        return -1;
    }
    for (size_t i = 0; i < out->n; i++)
        GEOSSTRtree_insert_r(h, out->tree, out->f[i].g, &out->f[i]);
    return 0;
}

void aset_free(aset *a)
{
    if (a->tree)
        GEOSSTRtree_destroy_r(a->h, a->tree);
    for (size_t i = 0; i < a->n; i++) {
        if (a->f[i].prep)
            GEOSPreparedGeom_destroy_r(a->h, a->f[i].prep);
        GEOSGeom_destroy_r(a->h, a->f[i].g);
        for (size_t k = 0; k < a->nvals; k++)
            free(a->f[i].vals[k]);
        free(a->f[i].vals);
    }
    free(a->f);
    memset(a, 0, sizeof *a);
}

typedef struct {
    aset_visit visit;
    void *ud;
    afail *fail;
} near_ctx;

static void near_cb(void *item, void *ud)
{
    near_ctx *n = ud;
    if (afail_live(n->fail))
        n->visit(item, n->ud);
}

void aset_near(aset *a, const GEOSGeometry *g, double margin, aset_visit visit, void *ud)
{
    if (a->n == 0 || !afail_live(a->fail))
        return;
    double x0, y0, x1, y1;
    if (!afail_ok(a->fail, GEOSGeom_getXMin_r(a->h, g, &x0) && GEOSGeom_getYMin_r(a->h, g, &y0) &&
                               GEOSGeom_getXMax_r(a->h, g, &x1) && GEOSGeom_getYMax_r(a->h, g, &y1),
                  "taking an envelope"))
        return;
    GEOSGeometry *env = GEOSGeom_createRectangle_r(a->h, x0 - margin, y0 - margin, x1 + margin, y1 + margin);
    if (!afail_ok(a->fail, env != NULL, "making a search rectangle"))
        return;
    near_ctx n = {visit, ud, a->fail};
    GEOSSTRtree_query_r(a->h, a->tree, env, near_cb, &n);
    GEOSGeom_destroy_r(a->h, env);
}

typedef struct {
    aset *a;
    const GEOSGeometry *query;
    aset_filter keep;
    void *ud;
} nearest_ctx;

/* The tree asks for distances between its items and the query item (our ctx). */
static int nearest_dist(const void *i1, const void *i2, double *d, void *ud)
{
    nearest_ctx *n = ud;
    const afeat *f = (i1 == n) ? i2 : i1;
    if (n->keep && !n->keep(f, n->ud)) {
        *d = DBL_MAX / 4;
        return 1;
    }
    return GEOSDistance_r(n->a->h, f->g, n->query, d);
}

afeat *aset_nearest(aset *a, const GEOSGeometry *g, aset_filter keep, void *ud, double *dist)
{
    if (a->n == 0 || !afail_live(a->fail))
        return NULL;
    nearest_ctx n = {a, g, keep, ud};
    afeat *f = (afeat *)GEOSSTRtree_nearest_generic_r(a->h, a->tree, &n, g, nearest_dist, &n);
    if (!f) {
        afail_ok(a->fail, 0, "finding the nearest feature");
        return NULL;
    }
    if (keep && !keep(f, ud))
        return NULL;
    if (!afail_ok(a->fail, GEOSDistance_r(a->h, f->g, g, dist), "measuring a distance"))
        return NULL;
    return f;
}

const GEOSPreparedGeometry *afeat_prepared(aset *a, afeat *f)
{
    if (!f->prep)
        f->prep = GEOSPrepare_r(a->h, f->g);
    afail_ok(a->fail, f->prep != NULL, "preparing a geometry");
    return f->prep;
}

double analysis_round(double v, int decimals)
{
    double m = pow(10, decimals);
    return round(v * m) / m;
}

double afeat_num(const afeat *f, size_t k) { return f->vals[k] ? strtod(f->vals[k], NULL) : 0.0; }

int analysis_id_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int map_view_open(map_view *v, GEOSContextHandle_t h, int srid, afail *fail)
{
    memset(v, 0, sizeof *v);
    v->h = h;
    v->srid = srid;
    v->fail = fail;
    v->to_lonlat = crs_transform_new(srid, STORE_SRID);
    v->wkb = GEOSWKBWriter_create_r(h);
    if (!afail_ok(fail, v->wkb != NULL, "creating a WKB writer"))
        return -1;
    if (!v->to_lonlat) {
        fail->failed = 1;
        return gisd_fail(fail->err, GISD_E_INTERNAL, "no transformation from EPSG:%d to lon/lat", srid);
    }
    return 0;
}

void map_view_close(map_view *v)
{
    if (v->to_lonlat)
        OCTDestroyCoordinateTransformation(v->to_lonlat);
    if (v->wkb)
        GEOSWKBWriter_destroy_r(v->h, v->wkb);
}

void map_view_add(map_view *v, json_t *features, const GEOSGeometry *g, json_t *props)
{
    size_t len;
    unsigned char *wkb = GEOSWKBWriter_write_r(v->h, v->wkb, g, &len);
    afail_ok(v->fail, wkb != NULL, "writing a map feature");
    OGRGeometryH og = NULL;
    json_t *geom = json_null();
    if (wkb && OGR_G_CreateFromWkb(wkb, NULL, &og, (int)len) == OGRERR_NONE &&
        OGR_G_Transform(og, v->to_lonlat) == OGRERR_NONE) {
        char **opts = NULL;
        opts = CSLSetNameValue(opts, "COORDINATE_PRECISION", "7");
        char *text = OGR_G_ExportToJsonEx(og, opts);
        CSLDestroy(opts);
        json_t *parsed = text ? json_loads(text, 0, NULL) : NULL;
        if (parsed) {
            json_decref(geom);
            geom = parsed;
        }
        CPLFree(text);
    }
    if (og)
        OGR_G_DestroyGeometry(og);
    GEOSFree_r(v->h, wkb);
    json_array_append_new(features, json_pack("{s:s, s:o, s:o}", "type", "Feature", "geometry", geom,
                                              "properties", props));
}

json_t *analysis_number(double v)
{
    if (v == floor(v) && fabs(v) < 9e15)
        return json_integer((json_int_t)v);
    return json_real(v);
}

GEOSGeometry *analysis_segment(GEOSContextHandle_t h, double x0, double y0, double x1, double y1,
                               afail *fail)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 2, 2);
    if (!afail_ok(fail, cs != NULL, "making a line"))
        return NULL;
    if (!afail_ok(fail, GEOSCoordSeq_setXY_r(h, cs, 0, x0, y0) && GEOSCoordSeq_setXY_r(h, cs, 1, x1, y1),
                  "making a line")) {
        GEOSCoordSeq_destroy_r(h, cs);
        return NULL;
    }
    GEOSGeometry *line = GEOSGeom_createLineString_r(h, cs); /* takes cs, even when it fails */
    afail_ok(fail, line != NULL, "making a line");
    return line;
}
