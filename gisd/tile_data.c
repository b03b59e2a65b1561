#include "geos_ctx.h"
#include "tile_data.h"

#include <stdlib.h>
#include <string.h>

#include "tile_grid.h"
#include "xalloc.h"

struct tile_source {
    const layer_registry *reg;
    pthread_mutex_t lock;        /* guards current and the refcounts */
    pthread_mutex_t *load_locks; /* one per layer: one load of a layer at a time */
    tile_layer_data **current;   /* one per layer; NULL until first asked */
};

static void layer_data_free(tile_layer_data *d)
{
    if (!d)
        return;
    if (d->index)
        GEOSSTRtree_destroy_r(d->geos, d->index);
    for (size_t i = 0; i < d->n; i++) {
        tile_feature *f = &d->features[i];
        if (f->geom)
            GEOSGeom_destroy_r(d->geos, f->geom);
        if (f->values)
            for (size_t k = 0; k < d->layer->nfields; k++)
                free((char *)f->values[k].s);
        free(f->values);
    }
    free(d->features);
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
            v->type = TV_INT;
            v->i = store_cursor_int(c, k);
            break;
        case FIELD_REAL:
            v->type = TV_REAL;
            v->d = store_cursor_real(c, k);
            break;
        case FIELD_TEXT:
            v->type = TV_TEXT;
            if (!(v->s = xstrdup(store_cursor_text(c, k))))
                return -1;
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

static int read_feature(tile_layer_data *d, store_cursor *c, GEOSWKBReader *rd, gisd_error *err)
{
    size_t len;
    const void *wkb = store_cursor_geom(c, &len);
    if (!wkb)
        return 0;
    if (d->n % 1024 == 0) {
        tile_feature *grown = xrealloc(d->features, (d->n + 1024) * sizeof *grown);
        d->features = grown;
    }
    tile_feature *f = &d->features[d->n];
    memset(f, 0, sizeof *f);
    d->n++;
    f->id = d->n;
    GEOSGeometry *g = GEOSWKBReader_read_r(d->geos, rd, wkb, len);
    if (!g)
        return gisd_fail(err, GISD_E_INTERNAL, "layer %s, feature %zu: unreadable geometry",
                         d->layer->id, d->n);
    f->geom = GEOSGeom_transformXY_r(d->geos, g, to_mercator, NULL);
    GEOSGeom_destroy_r(d->geos, g);
    if (!f->geom || read_values(c, d->layer, f) != 0)
        return gisd_fail(err, GISD_E_INTERNAL, "out of memory loading %s", d->layer->id);
    /* Asking for the envelope here makes GEOS cache it now, while one
     * thread owns the geometry, instead of lazily during a shared read. */
    GEOSGeom_getXMin_r(d->geos, f->geom, &f->minx);
    GEOSGeom_getYMin_r(d->geos, f->geom, &f->miny);
    GEOSGeom_getXMax_r(d->geos, f->geom, &f->maxx);
    GEOSGeom_getYMax_r(d->geos, f->geom, &f->maxy);
    return 0;
}

static int layer_data_load(store *st, const layer_def *l, long long changes,
                           tile_layer_data **out, gisd_error *err)
{
    tile_layer_data *d = xcalloc(1, sizeof *d);
    d->layer = l;
    d->changes = changes;
    d->geos = geos_context_new();
    GEOSWKBReader *rd = GEOSWKBReader_create_r(d->geos);
    store_query q = {.limit = -1, .geom_format = STORE_GEOM_WKB};
    store_cursor *c = NULL;
    int rc = store_cursor_open(st, l, &q, &c, err);
    while (rc == 0) {
        int more = store_cursor_next(c, err);
        if (more <= 0) {
            rc = more;
            break;
        }
        rc = read_feature(d, c, rd, err);
    }
    store_cursor_free(c);
    GEOSWKBReader_destroy_r(d->geos, rd);
    if (rc == 0) {
        d->index = GEOSSTRtree_create_r(d->geos, 10);
        for (size_t i = 0; i < d->n; i++)
            GEOSSTRtree_insert_r(d->geos, d->index, d->features[i].geom, &d->features[i]);
        /* GEOS builds the tree on its first query; build it now, before
         * other threads share it. */
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(d->geos, 0, 0);
        GEOSSTRtree_query_r(d->geos, d->index, pt, ignore_item, NULL);
        GEOSGeom_destroy_r(d->geos, pt);
    }
    if (rc != 0) {
        layer_data_free(d);
        return -1;
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

void tile_layer_data_query(const tile_layer_data *d, GEOSContextHandle_t ctx, const double b[4],
                           void (*fn)(tile_feature *f, void *arg), void *arg)
{
    if (d->n == 0)
        return;
    GEOSGeometry *env = GEOSGeom_createRectangle_r(ctx, b[0], b[1], b[2], b[3]);
    if (!env)
        return;
    query_ctx q = {b, fn, arg};
    GEOSSTRtree_query_r(ctx, d->index, env, query_hit, &q);
    GEOSGeom_destroy_r(ctx, env);
}

tile_source *tile_source_new(const layer_registry *reg)
{
    tile_source *src = xcalloc(1, sizeof *src);
    src->reg = reg;
    src->current = xcalloc(reg->n ? reg->n : 1, sizeof *src->current);
    src->load_locks = xcalloc(reg->n ? reg->n : 1, sizeof *src->load_locks);
    if (!src->current || !src->load_locks) {
        free(src->current);
        free(src->load_locks);
        free(src);
        return NULL;
    }
    pthread_mutex_init(&src->lock, NULL);
    for (size_t i = 0; i < reg->n; i++)
        pthread_mutex_init(&src->load_locks[i], NULL);
    return src;
}

void tile_source_free(tile_source *src)
{
    if (!src)
        return;
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

int tile_source_acquire(tile_source *src, store *st, const size_t *layers, size_t n,
                        const long long *changes, tile_layer_data **out, gisd_error *err)
{
    for (size_t i = 0; i < n; i++) {
        size_t li = layers[i];
        if ((out[i] = take_if_current(src, li, changes[i])))
            continue;
        /* One thread loads a layer while those that need the same layer wait
         * for it; requests for other layers go on. */
        pthread_mutex_lock(&src->load_locks[li]);
        if (!(out[i] = take_if_current(src, li, changes[i]))) {
            tile_layer_data *fresh = NULL;
            if (layer_data_load(st, &src->reg->layers[li], changes[i], &fresh, err) != 0) {
                pthread_mutex_unlock(&src->load_locks[li]);
                tile_source_release(src, out, i);
                return -1;
            }
            /* fresh holds one reference, the caller's; it becomes current
             * unless a request that saw a later import already installed one */
            pthread_mutex_lock(&src->lock);
            tile_layer_data *cur = src->current[li];
            if (!cur || cur->changes <= fresh->changes) {
                unref_locked(cur);
                src->current[li] = fresh;
                fresh->refs++;
            }
            out[i] = fresh;
            pthread_mutex_unlock(&src->lock);
        }
        pthread_mutex_unlock(&src->load_locks[li]);
    }
    return 0;
}

void tile_source_release(tile_source *src, tile_layer_data **data, size_t n)
{
    pthread_mutex_lock(&src->lock);
    for (size_t i = 0; i < n; i++)
        unref_locked(data[i]);
    pthread_mutex_unlock(&src->lock);
}
