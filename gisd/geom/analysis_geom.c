#include "analysis_geom.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "crs.h"
#include "dataset.h"
#include "strbuf.h"
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

/* Reads the set from the store (aset_load without resident sets). */
static int load_from_store(GEOSContextHandle_t h, store *s, const layer_def *l, int srid,
                           const char *const *fields, const double *bbox, aset *out, afail *fail)
{
    gisd_error *err = fail->err;
    const char *layer = l->id;
    memset(out, 0, sizeof *out);
    out->h = h;
    out->fail = fail;
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
        f->is_point = GEOSGeomTypeId_r(h, f->g) == GEOS_POINT && GEOSisEmpty_r(h, f->g) == 0 &&
                      GEOSGeomGetX_r(h, f->g, &f->x) && GEOSGeomGetY_r(h, f->g, &f->y);
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

/* ---- resident sets: the layers a running server's analyses load ---- */

struct aset_shared {
    atomic_int refs;   /* the registry's (while listed) and each view's */
    char *key;         /* layer, CRS and fields, then the change counter */
    size_t prefix;     /* the key's length without the counter */
    aset set;          /* owns f, vals and tree; h and fail unused */
    unsigned long long used;
};

static struct {
    pthread_mutex_t lock;
    aset_shared **sets;
    size_t n, max;
    unsigned long long tick;
} resident = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void own_free(aset *a);

/* Gives back one reference; the last frees the set, with h (alive: the
 * releasing request's, or the registry's caller's). */
static void shared_release(GEOSContextHandle_t h, aset_shared *sh)
{
    if (atomic_fetch_sub(&sh->refs, 1) != 1)
        return;
    sh->set.h = h;
    own_free(&sh->set);
    free(sh->key);
    free(sh);
}

void aset_resident_start(size_t max_sets)
{
    pthread_mutex_lock(&resident.lock);
    resident.max = max_sets ? max_sets : 1;
    pthread_mutex_unlock(&resident.lock);
}

void aset_resident_stop(void)
{
    pthread_mutex_lock(&resident.lock);
    aset_shared **sets = resident.sets;
    size_t n = resident.n;
    resident.sets = NULL;
    resident.n = resident.max = 0;
    pthread_mutex_unlock(&resident.lock);
    GEOSContextHandle_t h = n ? geos_context_new() : NULL;
    for (size_t i = 0; i < n; i++)
        shared_release(h, sets[i]);
    if (h)
        GEOS_finish_r(h);
    free(sets);
}

/* The view of sh for one analysis, referenced. */
static void view_of(aset_shared *sh, GEOSContextHandle_t h, afail *fail, aset *out)
{
    *out = sh->set;
    out->h = h;
    out->fail = fail;
    out->shared = sh;
    out->prep = NULL;
}

/* The listed set under key, referenced and marked used; or NULL. With the lock. */
static aset_shared *listed(const char *key)
{
    for (size_t i = 0; i < resident.n; i++)
        if (strcmp(resident.sets[i]->key, key) == 0) {
            atomic_fetch_add(&resident.sets[i]->refs, 1);
            resident.sets[i]->used = ++resident.tick;
            return resident.sets[i];
        }
    return NULL;
}

/* Lists mine (referenced for the caller and, now, the registry) unless a set
 * of its key is there already: then that one, referenced for the caller,
 * and mine released. Drops the older versions of the same layer, CRS and
 * fields, then the least recently used set when full. Returns the set to view. */
static aset_shared *list(GEOSContextHandle_t h, aset_shared *mine)
{
    aset_shared *drop[2] = {NULL, NULL};
    size_t ndrop = 0;
    pthread_mutex_lock(&resident.lock);
    aset_shared *have = resident.max ? listed(mine->key) : NULL;
    if (!have && resident.max) {
        for (size_t i = 0; i < resident.n; i++)
            if (resident.sets[i]->prefix == mine->prefix && strncmp(resident.sets[i]->key, mine->key, mine->prefix) == 0) {
                drop[ndrop++] = resident.sets[i]; /* an older version: nobody asks for it again */
                resident.sets[i] = resident.sets[--resident.n];
                break;
            }
        if (resident.n == resident.max) {
            size_t lru = 0;
            for (size_t i = 1; i < resident.n; i++)
                if (resident.sets[i]->used < resident.sets[lru]->used)
                    lru = i;
            drop[ndrop++] = resident.sets[lru];
            resident.sets[lru] = resident.sets[--resident.n];
        }
        resident.sets = xreallocarray(resident.sets, resident.n + 1, sizeof *resident.sets);
        atomic_fetch_add(&mine->refs, 1);
        mine->used = ++resident.tick;
        resident.sets[resident.n++] = mine;
    }
    pthread_mutex_unlock(&resident.lock);
    for (size_t i = 0; i < ndrop; i++)
        shared_release(h, drop[i]);
    if (have) {
        shared_release(h, mine);
        return have;
    }
    return mine;
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
    pthread_mutex_lock(&resident.lock);
    int on = resident.max > 0;
    pthread_mutex_unlock(&resident.lock);
    if (!on || bbox || store_in_scenario(s))
        return load_from_store(h, s, l, srid, fields, bbox, out, fail);
    store_layer_stats st;
    if (store_layer_stats_get(s, l, &st, err) != 0) {
        fail->failed = 1;
        return -1;
    }
    strbuf key = {0};
    strbuf_printf(&key, "%s|%d|", l->id, srid);
    for (size_t i = 0; fields && fields[i]; i++)
        strbuf_printf(&key, "%s,", fields[i]);
    size_t prefix = key.len;
    strbuf_printf(&key, "|%lld", st.changes);
    pthread_mutex_lock(&resident.lock);
    aset_shared *sh = listed(key.data);
    pthread_mutex_unlock(&resident.lock);
    if (!sh) {
        aset mine;
        if (load_from_store(h, s, l, srid, fields, NULL, &mine, fail) != 0) {
            strbuf_free(&key);
            return -1;
        }
        /* built now, while only this thread sees it: the tree builds itself
         * on its first query otherwise */
        GEOSGeometry *probe = GEOSGeom_createPointFromXY_r(h, 0, 0);
        if (!afail_ok(fail, probe != NULL, "making a probe point")) {
            aset_free(&mine);
            strbuf_free(&key);
            return -1;
        }
        aset_near(&mine, probe, 0, NULL, NULL);
        GEOSGeom_destroy_r(h, probe);
        sh = xcalloc(1, sizeof *sh);
        atomic_init(&sh->refs, 1);
        sh->key = key.data;
        key.data = NULL;
        sh->prefix = prefix;
        sh->set = mine;
        sh->set.fail = NULL;
        sh = list(h, sh);
    }
    strbuf_free(&key);
    view_of(sh, h, fail, out);
    return 0;
}

void aset_free(aset *a)
{
    if (a->shared) {
        for (size_t i = 0; a->prep && i < a->n; i++)
            if (a->prep[i])
                GEOSPreparedGeom_destroy_r(a->h, a->prep[i]);
        free(a->prep);
        shared_release(a->h, a->shared);
        memset(a, 0, sizeof *a);
        return;
    }
    own_free(a);
}

static void own_free(aset *a)
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
    if (n->visit && afail_live(n->fail))
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
    int qpoint; /* query is the point (qx, qy) */
    double qx, qy;
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
    if (f->is_point && n->qpoint) {
        /* GEOS's own point distance, without its operation's set-up */
        double dx = f->x - n->qx, dy = f->y - n->qy;
        *d = sqrt(dx * dx + dy * dy);
        return 1;
    }
    return GEOSDistance_r(n->a->h, f->g, n->query, d);
}

afeat *aset_nearest(aset *a, const GEOSGeometry *g, aset_filter keep, void *ud, double *dist)
{
    if (a->n == 0 || !afail_live(a->fail))
        return NULL;
    nearest_ctx n = {a, g, keep, ud, 0, 0, 0};
    n.qpoint = GEOSGeomTypeId_r(a->h, g) == GEOS_POINT && GEOSisEmpty_r(a->h, g) == 0 &&
               GEOSGeomGetX_r(a->h, g, &n.qx) && GEOSGeomGetY_r(a->h, g, &n.qy);
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
    /* a resident set is read by many analyses at once: each view prepares
     * its own (GEOS's prepared geometries build their indexes lazily) */
    const GEOSPreparedGeometry **slot = &f->prep;
    if (a->shared) {
        if (!a->prep)
            a->prep = xcalloc(a->n ? a->n : 1, sizeof *a->prep);
        slot = &a->prep[f->index];
    }
    if (!*slot)
        *slot = GEOSPrepare_r(a->h, f->g);
    afail_ok(a->fail, *slot != NULL, "preparing a geometry");
    return *slot;
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
