#include "tile_data.h"

#include <stdatomic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "geos_ctx.h"
#include "mvt.h"
#include "tile_grid.h"
#include "xalloc.h"

struct tile_source {
    const layer_registry *reg;
    pthread_mutex_t lock;        /* guards current, the refcounts, loading and loaders */
    pthread_mutex_t *load_locks; /* one per layer: one load of a layer at a time */
    tile_layer_data **current;   /* one per layer; NULL until first asked */
    const char *db_path;         /* where background loads read; NULL: none */
    long long *loading;          /* per layer: 1 + the change counter a background load reads, or 0
                                  * (a layer never imported is at 0 and loads too) */
    int loaders;                 /* background loads running */
    long long snapshots, area_reads; /* whole-layer snapshots installed; tiles' area reads */
    size_t max_bytes;            /* a whole snapshot's bound (estimated); 0: none */
    long long *too_large;        /* per layer: 1 + the change counter at which it passed max_bytes, or 0 */
    pthread_cond_t loaders_done;
};

/* Where a zoom draws the feature's own geometry. */
static char simple_same;
#define SIMPLE_SAME ((GEOSGeometry *)(void *)&simple_same)

const GEOSGeometry *tile_feature_simplified(GEOSContextHandle_t ctx, tile_feature *f, int z, double tolerance)
{
    tile_simplified *sv = atomic_load(&f->simple);
    if (!sv) {
        tile_simplified *mine = xcalloc(1, sizeof *mine), *none = NULL;
        if (atomic_compare_exchange_strong(&f->simple, &none, mine))
            sv = mine;
        else {
            free(mine);
            sv = none;
        }
    }
    GEOSGeometry *g = atomic_load(&sv->at[z]);
    if (g)
        return g == SIMPLE_SAME ? f->geom : g;
    int n = GEOSGetNumCoordinates_r(ctx, f->geom);
    if (n < 0)
        return NULL;
    GEOSGeometry *made = SIMPLE_SAME;
    if (n > 8) {
        made = GEOSSimplify_r(ctx, f->geom, tolerance);
        if (!made)
            return NULL;
        double x;
        int kept = GEOSGetNumCoordinates_r(ctx, made);
        /* the envelope is cached on first use: made before other threads read it */
        if (kept < 0 || (!GEOSisEmpty_r(ctx, made) && !GEOSGeom_getXMin_r(ctx, made, &x))) {
            GEOSGeom_destroy_r(ctx, made);
            return NULL;
        }
        if (kept * 10 >= n * 9) {
            GEOSGeom_destroy_r(ctx, made);
            made = SIMPLE_SAME;
        }
    }
    GEOSGeometry *none = NULL;
    if (!atomic_compare_exchange_strong(&sv->at[z], &none, made)) {
        if (made != SIMPLE_SAME)
            GEOSGeom_destroy_r(ctx, made); /* another thread made it first */
        made = none;
    }
    return made == SIMPLE_SAME ? f->geom : made;
}

static void features_free(tile_layer_data *d, tile_feature *fs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tile_feature *f = &fs[i];
        tile_simplified *sv = atomic_load(&f->simple);
        for (int z = 0; sv && z <= TILE_MAX_ZOOM; z++) {
            GEOSGeometry *g = atomic_load(&sv->at[z]);
            if (g && g != SIMPLE_SAME)
                GEOSGeom_destroy_r(d->geos, g);
        }
        free(sv);
        if (f->geom)
            GEOSGeom_destroy_r(d->geos, f->geom);
        if (f->values)
            for (size_t k = 0; k < d->layer->nfields; k++)
                free((char *)f->values[k].s);
        free(f->values);
    }
    free(fs);
}

static void layer_data_free(tile_layer_data *d)
{
    if (!d)
        return;
    if (d->index)
        GEOSSTRtree_destroy_r(d->geos, d->index);
    features_free(d, d->features, d->n);
    features_free(d, d->overview, d->noverview);
    pthread_mutex_destroy(&d->overview_lock);
    if (d->geos)
        GEOS_finish_r(d->geos);
    free(d);
}

static int to_mercator(double *x, double *y, void *unused)
{
    (void)unused;
    merc_from_lonlat(*x, *y, x, y);
    return 1;
}

static int read_values(store_cursor *c, const layer_def *l, tile_feature *f)
{
    f->values = xcalloc(l->nfields ? l->nfields : 1, sizeof *f->values);
    for (size_t k = 0; k < l->nfields; k++) {
        tile_value *v = &f->values[k];
        if (store_cursor_is_null(c, k))
            continue;
        switch (l->fields[k].type) {
        case FIELD_INTEGER:
        case FIELD_BOOLEAN:
            v->type = TV_INT;
            v->i = store_cursor_int(c, k);
            break;
        case FIELD_REAL:
            v->type = TV_REAL;
            v->d = store_cursor_real(c, k);
            break;
        case FIELD_TEXT:
        case FIELD_DATE:
        case FIELD_TIMESTAMP:
            v->type = TV_TEXT;
            v->s = xstrdup(store_cursor_text(c, k));
            v->hash = mvt_text_hash(v->s);
            break;
        }
    }
    return 0;
}

static void ignore_item(void *item, void *arg)
{
    (void)item;
    (void)arg;
}

/* A snapshot's memory, estimated as it loads: GEOS holds a geometry in
 * about twice its WKB (coordinates plus its objects), and each feature has
 * its record and values. */
static size_t feature_bytes(const layer_def *l, size_t wkb_len)
{
    return sizeof(tile_feature) + 2 * wkb_len + l->nfields * (sizeof(tile_value) + 16);
}

static int read_feature(tile_layer_data *d, store_cursor *c, GEOSWKBReader *rd, size_t *bytes, gisd_error *err)
{
    size_t len;
    const void *wkb = store_cursor_geom(c, &len);
    if (!wkb)
        return 0;
    *bytes += feature_bytes(d->layer, len);
    if (d->n % 1024 == 0)
        d->features = xreallocarray(d->features, d->n + 1024, sizeof *d->features);
    tile_feature *f = &d->features[d->n];
    memset(f, 0, sizeof *f);
    d->n++;
    /* the store's own id: the same feature has the same MVT id in a tile cut
     * from a whole-layer snapshot or from one tile's area */
    f->id = (unsigned long long)store_cursor_fid(c);
    GEOSGeometry *g = GEOSWKBReader_read_r(d->geos, rd, wkb, len);
    if (!g)
        return gisd_fail(err, GISD_E_INTERNAL, "layer %s, feature %zu: GEOS cannot read its geometry: %s",
                         d->layer->id, d->n, geos_last_error());
    f->geom = GEOSGeom_transformXY_r(d->geos, g, to_mercator, NULL);
    GEOSGeom_destroy_r(d->geos, g);
    if (!f->geom)
        return gisd_fail(err, GISD_E_INTERNAL, "layer %s, feature %zu: GEOS cannot project it: %s",
                         d->layer->id, d->n, geos_last_error());
    if (read_values(c, d->layer, f) != 0)
        return gisd_fail(err, GISD_E_INTERNAL, "layer %s, feature %zu: its values cannot be read",
                         d->layer->id, d->n);
    /* Asking for the envelope here makes GEOS cache it now, while one
     * thread owns the geometry, instead of lazily during a shared read. */
    if (!GEOSGeom_getXMin_r(d->geos, f->geom, &f->minx) || !GEOSGeom_getYMin_r(d->geos, f->geom, &f->miny) ||
        !GEOSGeom_getXMax_r(d->geos, f->geom, &f->maxx) || !GEOSGeom_getYMax_r(d->geos, f->geom, &f->maxy))
        return gisd_fail(err, GISD_E_INTERNAL, "layer %s, feature %zu: GEOS cannot take its envelope: %s",
                         d->layer->id, d->n, geos_last_error());
    if (d->layer->label_index >= 0 && !GEOSisEmpty_r(d->geos, f->geom)) {
        GEOSGeometry *p = GEOSPointOnSurface_r(d->geos, f->geom);
        int ok = p && GEOSGeomGetX_r(d->geos, p, &f->lx) && GEOSGeomGetY_r(d->geos, p, &f->ly);
        if (p)
            GEOSGeom_destroy_r(d->geos, p);
        if (!ok)
            return gisd_fail(err, GISD_E_INTERNAL, "layer %s, feature %zu: GEOS cannot place its label: %s",
                             d->layer->id, d->n, geos_last_error());
        f->labelled = 1;
    }
    return 0;
}

/* The snapshot of layer l (area: only the features whose bounding box meets
 * that lon/lat box; NULL: all): 0, -1 with err, or 1 (nothing made) when it
 * grew past max_bytes (0: no bound). */
static int layer_data_load(store *st, const layer_def *l, long long changes, const double *area,
                           size_t max_bytes, tile_layer_data **out, gisd_error *err)
{
    tile_layer_data *d = xcalloc(1, sizeof *d);
    d->layer = l;
    d->changes = changes;
    pthread_mutex_init(&d->overview_lock, NULL);
    d->geos = geos_context_new();
    GEOSWKBReader *rd = GEOSWKBReader_create_r(d->geos);
    store_query q = {.limit = -1, .geom_format = STORE_GEOM_WKB, .bbox_mbr_only = 1};
    if (area) {
        q.has_bbox = 1;
        memcpy(q.bbox, area, sizeof q.bbox);
    }
    store_cursor *c = NULL;
    size_t bytes = 0;
    int rc = rd ? store_cursor_open(st, l, &q, &c, err)
                : gisd_fail(err, GISD_E_INTERNAL, "GEOS cannot make a WKB reader: %s", geos_last_error());
    while (rc == 0) {
        int more = store_cursor_next(c, err);
        if (more <= 0) {
            rc = more;
            break;
        }
        rc = read_feature(d, c, rd, &bytes, err);
        if (rc == 0 && max_bytes && bytes > max_bytes)
            rc = 1;
    }
    store_cursor_free(c);
    if (rd)
        GEOSWKBReader_destroy_r(d->geos, rd);
    if (rc == 0 && !(d->index = GEOSSTRtree_create_r(d->geos, 10)))
        rc = gisd_fail(err, GISD_E_INTERNAL, "GEOS cannot make an STR-tree: %s", geos_last_error());
    if (rc == 0) {
        for (size_t i = 0; i < d->n; i++)
            GEOSSTRtree_insert_r(d->geos, d->index, d->features[i].geom, &d->features[i]);
        /* GEOS builds the tree on its first query; build it now, before
         * other threads share it. */
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(d->geos, 0, 0);
        if (pt) {
            GEOSSTRtree_query_r(d->geos, d->index, pt, ignore_item, NULL);
            GEOSGeom_destroy_r(d->geos, pt);
        } else {
            rc = gisd_fail(err, GISD_E_INTERNAL, "GEOS cannot make a point: %s", geos_last_error());
        }
    }
    if (rc != 0) {
        layer_data_free(d);
        return rc > 0 ? 1 : -1;
    }
    d->refs = 1; /* the caller's */
    *out = d;
    return 0;
}

typedef struct {
    const double *b;
    void (*fn)(tile_feature *, void *);
    void *arg;
} query_ctx;

static void query_hit(void *item, void *arg)
{
    query_ctx *q = arg;
    tile_feature *f = item;
    if (f->maxx >= q->b[0] && f->minx <= q->b[2] && f->maxy >= q->b[1] && f->miny <= q->b[3])
        q->fn(f, q->arg);
}

int tile_layer_data_query(const tile_layer_data *d, GEOSContextHandle_t ctx, const double b[4],
                          void (*fn)(tile_feature *f, void *arg), void *arg)
{
    if (d->n == 0)
        return 0;
    GEOSGeometry *env = GEOSGeom_createRectangle_r(ctx, b[0], b[1], b[2], b[3]);
    if (!env)
        return -1;
    query_ctx q = {b, fn, arg};
    GEOSSTRtree_query_r(ctx, d->index, env, query_hit, &q);
    GEOSGeom_destroy_r(ctx, env);
    return 0;
}

/* The text a dissolve groups by: text as it is, numbers written out. */
static void value_key(const tile_value *v, char *buf, size_t n)
{
    if (v->type == TV_TEXT)
        snprintf(buf, n, "%s", v->s);
    else if (v->type == TV_INT)
        snprintf(buf, n, "%lld", v->i);
    else if (v->type == TV_REAL)
        snprintf(buf, n, "%.17g", v->d);
    else
        buf[0] = 0;
}

typedef struct {
    const tile_layer_data *d;
    size_t field;
} group_ctx;

static int by_group(const void *a, const void *b, void *arg)
{
    const group_ctx *g = arg;
    char x[256], y[256];
    value_key(&g->d->features[*(const size_t *)a].values[g->field], x, sizeof x);
    value_key(&g->d->features[*(const size_t *)b].values[g->field], y, sizeof y);
    return strcmp(x, y);
}

/* The union of features idx[0..n) in one geometry of d's context, or NULL. */
static GEOSGeometry *dissolve(tile_layer_data *d, const size_t *idx, size_t n)
{
    GEOSGeometry **parts = xcalloc(n + 1, sizeof *parts);
    size_t k = 0;
    for (; k < n; k++)
        if (!(parts[k] = GEOSGeom_clone_r(d->geos, d->features[idx[k]].geom)))
            break;
    GEOSGeometry *coll = NULL, *u = NULL;
    if (k == n)
        coll = GEOSGeom_createCollection_r(d->geos, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)n);
    if (coll) {
        /* on a 1 m grid: robust where neighbours' edges almost meet, and
         * finer than any overview zoom draws */
        u = GEOSUnaryUnionPrec_r(d->geos, coll, 1.0);
        GEOSGeom_destroy_r(d->geos, coll);
    } else {
        for (size_t i = 0; i < k; i++)
            GEOSGeom_destroy_r(d->geos, parts[i]);
    }
    free(parts);
    return u;
}

int tile_layer_overview(tile_layer_data *d, const tile_feature **out, size_t *n, gisd_error *err)
{
    pthread_mutex_lock(&d->overview_lock);
    int rc = 0;
    if (!d->overview_built && d->layer->dissolve_index >= 0) {
        size_t field = (size_t)d->layer->dissolve_index;
        size_t *idx = xcalloc(d->n + 1, sizeof *idx);
        for (size_t i = 0; i < d->n; i++)
            idx[i] = i;
        group_ctx g = {d, field};
        qsort_r(idx, d->n, sizeof *idx, by_group, &g);
        tile_feature *ov = NULL;
        size_t nov = 0;
        for (size_t i = 0; i < d->n && rc == 0;) {
            size_t j = i + 1;
            while (j < d->n && by_group(&idx[i], &idx[j], &g) == 0)
                j++;
            GEOSGeometry *u = dissolve(d, idx + i, j - i);
            ov = xreallocarray(ov, nov + 1, sizeof *ov);
            tile_feature *f = &ov[nov];
            memset(f, 0, sizeof *f);
            f->id = nov + 1;
            f->geom = u;
            f->values = xcalloc(d->layer->nfields, sizeof *f->values);
            nov++;
            const tile_value *v = &d->features[idx[i]].values[field];
            f->values[field] = *v;
            if (v->type == TV_TEXT)
                f->values[field].s = xstrdup(v->s);
            if (!u || !GEOSGeom_getXMin_r(d->geos, u, &f->minx) || !GEOSGeom_getYMin_r(d->geos, u, &f->miny) ||
                !GEOSGeom_getXMax_r(d->geos, u, &f->maxx) || !GEOSGeom_getYMax_r(d->geos, u, &f->maxy))
                rc = gisd_fail(err, cancel_requested() ? GISD_E_TIMEOUT : GISD_E_INTERNAL,
                               "layer %s: GEOS cannot dissolve its overview: %s", d->layer->id, geos_last_error());
            i = j;
        }
        free(idx);
        if (rc == 0) {
            d->overview = ov;
            d->noverview = nov;
            d->overview_built = 1;
        } else {
            features_free(d, ov, nov);
        }
    }
    *out = d->overview;
    *n = d->noverview;
    pthread_mutex_unlock(&d->overview_lock);
    return rc;
}

tile_source *tile_source_new(const layer_registry *reg, const char *db_path, size_t max_bytes)
{
    tile_source *src = xcalloc(1, sizeof *src);
    src->reg = reg;
    src->db_path = db_path;
    src->max_bytes = db_path ? max_bytes : 0;
    src->too_large = xcalloc(reg->n ? reg->n : 1, sizeof *src->too_large);
    src->current = xcalloc(reg->n ? reg->n : 1, sizeof *src->current);
    src->load_locks = xcalloc(reg->n ? reg->n : 1, sizeof *src->load_locks);
    src->loading = xcalloc(reg->n ? reg->n : 1, sizeof *src->loading);
    pthread_cond_init(&src->loaders_done, NULL);
    pthread_mutex_init(&src->lock, NULL);
    for (size_t i = 0; i < reg->n; i++)
        pthread_mutex_init(&src->load_locks[i], NULL);
    return src;
}

void tile_source_free(tile_source *src)
{
    if (!src)
        return;
    /* background loads end quickly at shutdown: their queries are cancelled */
    pthread_mutex_lock(&src->lock);
    while (src->loaders > 0)
        pthread_cond_wait(&src->loaders_done, &src->lock);
    pthread_mutex_unlock(&src->lock);
    pthread_cond_destroy(&src->loaders_done);
    free(src->loading);
    free(src->too_large);
    for (size_t i = 0; i < src->reg->n; i++) {
        layer_data_free(src->current[i]);
        pthread_mutex_destroy(&src->load_locks[i]);
    }
    free(src->current);
    free(src->load_locks);
    pthread_mutex_destroy(&src->lock);
    free(src);
}

static void unref_locked(tile_layer_data *d)
{
    if (d && --d->refs == 0)
        layer_data_free(d);
}

/* A reference to layer li's snapshot at the given change counter, or NULL
 * when the current one is older (or absent). */
static tile_layer_data *take_if_current(tile_source *src, size_t li, long long changes)
{
    pthread_mutex_lock(&src->lock);
    tile_layer_data *cur = src->current[li];
    if (cur && cur->changes == changes)
        cur->refs++;
    else
        cur = NULL;
    pthread_mutex_unlock(&src->lock);
    return cur;
}

/* Installs fresh (one reference, the caller's) as layer li's current
 * snapshot unless a later one is already there; takes a reference for it. */
static void install_locked(tile_source *src, size_t li, tile_layer_data *fresh)
{
    tile_layer_data *cur = src->current[li];
    if (!cur || cur->changes <= fresh->changes) {
        unref_locked(cur);
        src->current[li] = fresh;
        fresh->refs++;
        src->snapshots++;
    }
}

void tile_source_counts(tile_source *src, long long *snapshots, long long *area_reads, long long *too_large)
{
    pthread_mutex_lock(&src->lock);
    *snapshots = src->snapshots;
    *area_reads = src->area_reads;
    *too_large = 0;
    for (size_t i = 0; i < src->reg->n; i++)
        *too_large += src->too_large[i] != 0;
    pthread_mutex_unlock(&src->lock);
}

typedef struct {
    tile_source *src;
    size_t li;
    long long changes;
} bg_load;

static void *bg_load_main(void *arg)
{
    bg_load *job = arg;
    tile_source *src = job->src;
    store *st = NULL;
    tile_layer_data *fresh = NULL;
    gisd_error err = {0};
    int rc = store_open(src->db_path, STORE_READONLY, src->reg, &st, NULL, &err);
    if (rc == 0)
        rc = layer_data_load(st, &src->reg->layers[job->li], job->changes, NULL, src->max_bytes, &fresh, &err);
    if (rc == 0) {
        pthread_mutex_lock(&src->lock);
        src->too_large[job->li] = 0;
        install_locked(src, job->li, fresh);
        unref_locked(fresh);
        pthread_mutex_unlock(&src->lock);
    } else if (rc > 0) {
        /* too large to hold: its tiles read their own areas until it changes */
        pthread_mutex_lock(&src->lock);
        src->too_large[job->li] = job->changes + 1;
        pthread_mutex_unlock(&src->lock);
    } else if (err.code != GISD_E_TIMEOUT) {
        /* the next tile of the layer tries again (and reports the error itself) */
        fprintf(stderr, "gisd: loading layer %s in the background: %s\n",
                src->reg->layers[job->li].id, err.message);
    }
    store_close(st);
    pthread_mutex_lock(&src->lock);
    if (src->loading[job->li] == job->changes + 1)
        src->loading[job->li] = 0;
    if (--src->loaders == 0)
        pthread_cond_broadcast(&src->loaders_done);
    pthread_mutex_unlock(&src->lock);
    free(job);
    return NULL;
}

/* Starts loading layer li's whole snapshot at changes in a thread of its
 * own, unless one is loading it already. */
static void start_bg_load(tile_source *src, size_t li, long long changes)
{
    pthread_mutex_lock(&src->lock);
    if (src->loading[li] == changes + 1) {
        pthread_mutex_unlock(&src->lock);
        return;
    }
    bg_load *job = xmalloc(sizeof *job);
    *job = (bg_load){src, li, changes};
    pthread_t t;
    if (pthread_create(&t, NULL, bg_load_main, job) == 0) {
        pthread_detach(t);
        src->loading[li] = changes + 1;
        src->loaders++;
    } else {
        free(job); /* no thread now: the next tile loads the layer itself */
    }
    pthread_mutex_unlock(&src->lock);
}

int tile_area_load(store *st, const layer_def *l, const double area[4], tile_layer_data **out, gisd_error *err)
{
    return layer_data_load(st, l, 0, area, 0, out, err);
}

void tile_area_free(tile_layer_data *d)
{
    if (d)
        layer_data_free(d);
}

int tile_source_acquire(tile_source *src, store *st, const size_t *layers, size_t n,
                        const long long *changes, const double *area, tile_layer_data **out,
                        gisd_error *err)
{
    for (size_t i = 0; i < n; i++) {
        size_t li = layers[i];
        if ((out[i] = take_if_current(src, li, changes[i])))
            continue;
        if (area && src->db_path) {
            /* no current snapshot: the whole layer loads in the background
             * (unless it was found too large to hold at this change), and
             * this tile reads only its own area meanwhile */
            pthread_mutex_lock(&src->lock);
            int hold = src->too_large[li] != changes[i] + 1;
            pthread_mutex_unlock(&src->lock);
            if (hold)
                start_bg_load(src, li, changes[i]);
            if (layer_data_load(st, &src->reg->layers[li], changes[i], area, 0, &out[i], err) != 0) {
                tile_source_release(src, out, i);
                return -1;
            }
            pthread_mutex_lock(&src->lock);
            src->area_reads++;
            pthread_mutex_unlock(&src->lock);
            continue;
        }
        /* One thread loads a layer while those that need the same layer wait
         * for it; requests for other layers go on. */
        pthread_mutex_lock(&src->load_locks[li]);
        if (!(out[i] = take_if_current(src, li, changes[i]))) {
            tile_layer_data *fresh = NULL;
            if (layer_data_load(st, &src->reg->layers[li], changes[i], NULL, 0, &fresh, err) != 0) {
                pthread_mutex_unlock(&src->load_locks[li]);
                tile_source_release(src, out, i);
                return -1;
            }
            /* fresh becomes current unless a request that saw a later import
             * already installed one */
            pthread_mutex_lock(&src->lock);
            install_locked(src, li, fresh);
            out[i] = fresh;
            pthread_mutex_unlock(&src->lock);
        }
        pthread_mutex_unlock(&src->load_locks[li]);
    }
    return 0;
}

void tile_source_refresh(tile_source *src, const long long *changes)
{
    if (!src->db_path)
        return;
    for (size_t li = 0; li < src->reg->n; li++) {
        pthread_mutex_lock(&src->lock);
        int stale = src->current[li] && src->current[li]->changes < changes[li];
        pthread_mutex_unlock(&src->lock);
        if (stale)
            start_bg_load(src, li, changes[li]);
    }
}

void tile_source_release(tile_source *src, tile_layer_data **data, size_t n)
{
    pthread_mutex_lock(&src->lock);
    for (size_t i = 0; i < n; i++)
        unref_locked(data[i]);
    pthread_mutex_unlock(&src->lock);
}
