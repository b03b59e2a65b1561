#include "tile_render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "geos_ctx.h"
#include "mvt.h"
#include "xalloc.h"

/* Per tile: where it lies and the scratch memory its features reuse. */
typedef struct {
    GEOSContextHandle_t ctx;
    double b[4];  /* tile bounds, Web Mercator */
    double qb[4]; /* with the buffer */
    double unit;  /* metres per tile unit */
    int z;
    tile_feature **hits;
    size_t nhits, caphits;
    int in_tile; /* a hit meets the unbuffered tile */
    const char *failed; /* the GEOS step that failed: the tile is an error */
    double *coords;
    size_t capcoords;
    int32_t *xy;
    size_t capxy;
    mvt_geom geom;
} render_ctx;

static void collect(tile_feature *f, void *arg)
{
    render_ctx *rc = arg;
    if (f->maxx >= rc->b[0] && f->minx <= rc->b[2] && f->maxy >= rc->b[1] && f->miny <= rc->b[3])
        rc->in_tile = 1;
    if (rc->nhits == rc->caphits) {
        size_t cap = rc->caphits ? rc->caphits * 2 : 256;
        tile_feature **n = xrealloc(rc->hits, cap * sizeof *n);
        rc->hits = n;
        rc->caphits = cap;
    }
    rc->hits[rc->nhits++] = f;
}

static int by_id(const void *a, const void *b)
{
    unsigned long long x = (*(tile_feature *const *)a)->id, y = (*(tile_feature *const *)b)->id;
    return (x > y) - (x < y);
}

static void add_attributes(mvt_layer *ml, const layer_def *l, const tile_feature *f)
{
    for (size_t k = 0; k < l->nfields; k++) {
        const tile_value *v = &f->values[k];
        if (v->type == TV_INT)
            mvt_feature_int(ml, l->fields[k].name, v->i);
        else if (v->type == TV_REAL)
            mvt_feature_real(ml, l->fields[k].name, v->d);
        else if (v->type == TV_TEXT)
            mvt_feature_text_hashed(ml, l->fields[k].name, v->s, v->hash);
    }
}

static void ensure(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t n = *cap ? *cap : 256;
    while (n < need)
        n *= 2;
    *p = xreallocarray(*p, n, elem);
    *cap = n;
}

/* The sequence's points in tile units, consecutive repeats dropped; the
 * count kept, or -1 (rc->failed set) when GEOS cannot give them. */
static long quantize(render_ctx *rc, const GEOSCoordSequence *seq)
{
    unsigned int n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(rc->ctx, seq, &n)) {
        rc->failed = "reading coordinates";
        return -1;
    }
    if (n == 0)
        return 0;
    ensure((void **)&rc->coords, &rc->capcoords, 2 * (size_t)n, sizeof *rc->coords);
    ensure((void **)&rc->xy, &rc->capxy, 2 * (size_t)n, sizeof *rc->xy);
    if (!GEOSCoordSeq_copyToBuffer_r(rc->ctx, seq, rc->coords, 0, 0)) {
        rc->failed = "copying coordinates";
        return -1;
    }
    long k = 0;
    for (unsigned i = 0; i < n; i++) {
        int32_t x = (int32_t)lround((rc->coords[2 * i] - rc->b[0]) / rc->unit);
        int32_t y = (int32_t)lround((rc->b[3] - rc->coords[2 * i + 1]) / rc->unit);
        if (k > 0 && rc->xy[2 * k - 2] == x && rc->xy[2 * k - 1] == y)
            continue;
        rc->xy[2 * k] = x;
        rc->xy[2 * k + 1] = y;
        k++;
    }
    return k;
}

/* Twice the signed area in tile units (y down): positive for an exterior ring. */
static long long ring_area2(const int32_t *xy, long n)
{
    long long a = 0;
    for (long i = 0; i < n; i++) {
        long j = (i + 1) % n;
        a += (long long)xy[2 * i] * xy[2 * j + 1] - (long long)xy[2 * j] * xy[2 * i + 1];
    }
    return a;
}

static void reverse_points(int32_t *xy, long n)
{
    for (long i = 0, j = n - 1; i < j; i++, j--) {
        int32_t tx = xy[2 * i], ty = xy[2 * i + 1];
        xy[2 * i] = xy[2 * j];
        xy[2 * i + 1] = xy[2 * j + 1];
        xy[2 * j] = tx;
        xy[2 * j + 1] = ty;
    }
}

/* Adds one ring, wound as MVT wants; 0 when it collapsed on the grid. */
static int add_ring(render_ctx *rc, const GEOSGeometry *ring, int exterior)
{
    long n = quantize(rc, GEOSGeom_getCoordSeq_r(rc->ctx, ring));
    if (n < 0)
        return 0;
    if (n >= 2 && rc->xy[0] == rc->xy[2 * n - 2] && rc->xy[1] == rc->xy[2 * n - 1])
        n--; /* MVT closes rings with ClosePath, not a repeated point */
    if (n < 3)
        return 0;
    long long a = ring_area2(rc->xy, n);
    if (a == 0)
        return 0;
    if ((a > 0) != exterior)
        reverse_points(rc->xy, n);
    mvt_geom_ring(&rc->geom, rc->xy, (size_t)n);
    return 1;
}

static void add_polygon(render_ctx *rc, const GEOSGeometry *p)
{
    if (!add_ring(rc, GEOSGetExteriorRing_r(rc->ctx, p), 1))
        return;
    int holes = GEOSGetNumInteriorRings_r(rc->ctx, p);
    for (int i = 0; i < holes; i++)
        add_ring(rc, GEOSGetInteriorRingN_r(rc->ctx, p, i), 0);
}

static void add_line(render_ctx *rc, const GEOSGeometry *line)
{
    long n = quantize(rc, GEOSGeom_getCoordSeq_r(rc->ctx, line));
    if (n >= 2)
        mvt_geom_line(&rc->geom, rc->xy, (size_t)n);
}

/* Walks g (and the members of collections) adding the parts of the wanted family. */
static void add_parts(render_ctx *rc, const GEOSGeometry *g, mvt_geom_type want)
{
    int type = GEOSGeomTypeId_r(rc->ctx, g);
    if (type == GEOS_POLYGON && want == MVT_POLYGON)
        add_polygon(rc, g);
    else if ((type == GEOS_LINESTRING || type == GEOS_LINEARRING) && want == MVT_LINESTRING)
        add_line(rc, g);
    else if (type == GEOS_MULTIPOLYGON || type == GEOS_MULTILINESTRING ||
             type == GEOS_GEOMETRYCOLLECTION) {
        int n = GEOSGetNumGeometries_r(rc->ctx, g);
        for (int i = 0; i < n; i++)
            add_parts(rc, GEOSGetGeometryN_r(rc->ctx, g, i), want);
    }
}

static void add_shape(render_ctx *rc, mvt_layer *ml, const layer_def *l, tile_feature *f,
                      mvt_geom_type type)
{
    /* Douglas-Peucker at one tile unit (what the grid cannot show goes),
     * once per feature and zoom, then clipped to this tile */
    const GEOSGeometry *g = tile_feature_simplified(rc->ctx, f, rc->z, rc->unit);
    if (!g) {
        rc->failed = "simplifying a feature";
        return;
    }
    GEOSGeometry *clipped = NULL;
    if (f->minx < rc->qb[0] || f->maxx > rc->qb[2] || f->miny < rc->qb[1] || f->maxy > rc->qb[3]) {
        clipped = GEOSClipByRect_r(rc->ctx, g, rc->qb[0], rc->qb[1], rc->qb[2], rc->qb[3]);
        if (!clipped) {
            rc->failed = "clipping a feature to the tile";
            return;
        }
        g = clipped;
    }
    mvt_geom_reset(&rc->geom);
    add_parts(rc, g, type);
    if (rc->geom.n > 0) {
        mvt_feature_begin(ml, f->id);
        add_attributes(ml, l, f);
        mvt_feature_end(ml, type, &rc->geom);
    }
    if (clipped)
        GEOSGeom_destroy_r(rc->ctx, clipped);
}

/* The point's tile units; 0 when it lies outside the buffered tile. */
static int point_xy(render_ctx *rc, const GEOSGeometry *p, int32_t *x, int32_t *y)
{
    double px, py;
    if (!GEOSGeomGetX_r(rc->ctx, p, &px) || !GEOSGeomGetY_r(rc->ctx, p, &py))
        return 0;
    if (px < rc->qb[0] || px > rc->qb[2] || py < rc->qb[1] || py > rc->qb[3])
        return 0;
    *x = (int32_t)lround((px - rc->b[0]) / rc->unit);
    *y = (int32_t)lround((rc->b[3] - py) / rc->unit);
    return 1;
}

static void add_point(render_ctx *rc, mvt_layer *ml, const layer_def *l, tile_feature *f,
                      long long count)
{
    mvt_geom_reset(&rc->geom);
    int n = GEOSGetNumGeometries_r(rc->ctx, f->geom);
    for (int i = 0; i < n; i++) {
        int32_t xy[2];
        if (point_xy(rc, GEOSGetGeometryN_r(rc->ctx, f->geom, i), &xy[0], &xy[1]))
            mvt_geom_points(&rc->geom, xy, 1);
    }
    if (rc->geom.n == 0)
        return;
    mvt_feature_begin(ml, f->id);
    add_attributes(ml, l, f);
    if (count > 1)
        mvt_feature_int(ml, "point_count", count);
    mvt_feature_end(ml, MVT_POINT, &rc->geom);
}

/* Too many points for one tile: the first point of each cell stands for the
 * cell, with how many it stands for. */
static void add_thinned_points(render_ctx *rc, mvt_layer *ml, const layer_def *l)
{
    enum { CELLS = (TILE_EXTENT + 2 * TILE_BUFFER) / TILE_CLUSTER_CELL + 1 };
    static const size_t NCELLS = (size_t)CELLS * CELLS;
    tile_feature **first = xcalloc(NCELLS, sizeof *first);
    long long *count = xcalloc(NCELLS, sizeof *count);
    for (size_t i = 0; i < rc->nhits; i++) {
        int32_t x, y;
        const GEOSGeometry *p = GEOSGetGeometryN_r(rc->ctx, rc->hits[i]->geom, 0);
        if (!point_xy(rc, p, &x, &y))
            continue;
        size_t cell = (size_t)((y + TILE_BUFFER) / TILE_CLUSTER_CELL) * CELLS +
                      (size_t)((x + TILE_BUFFER) / TILE_CLUSTER_CELL);
        if (!first[cell])
            first[cell] = rc->hits[i];
        count[cell]++;
    }
    for (size_t c = 0; c < NCELLS; c++)
        if (first[c])
            add_point(rc, ml, l, first[c], count[c]);
    free(first);
    free(count);
}

/* Below a point layer's minzoom: one point per cell (and per value of the
 * group field) carrying how many it stands for and, when the layer names
 * one, the sum of its sum field; no other attributes, which would speak
 * for one point of many. */
static void add_point_clusters(render_ctx *rc, mvt_layer *ml, const layer_def *l)
{
    enum { CELLS = (TILE_EXTENT + 2 * TILE_BUFFER) / TILE_CLUSTER_CELL + 1 };
    typedef struct {
        size_t cell;
        const tile_value *group;
        long long count;
        double sum, x, y;
    } cluster;
    cluster *cl = xcalloc(rc->nhits + 1, sizeof *cl);
    size_t ncl = 0;
    for (size_t i = 0; i < rc->nhits; i++) {
        int32_t x, y;
        const tile_feature *f = rc->hits[i];
        if (!point_xy(rc, GEOSGetGeometryN_r(rc->ctx, f->geom, 0), &x, &y))
            continue;
        size_t cell = (size_t)((y + TILE_BUFFER) / TILE_CLUSTER_CELL) * CELLS +
                      (size_t)((x + TILE_BUFFER) / TILE_CLUSTER_CELL);
        const tile_value *g = l->group_index >= 0 ? &f->values[l->group_index] : NULL;
        size_t k = 0;
        /* hits are in id order, not by cell: look for this cell's cluster from the end */
        for (k = ncl; k-- > 0;) {
            if (cl[k].cell != cell)
                continue;
            const tile_value *h = cl[k].group;
            if (!g || (h->type == g->type && (g->type != TV_TEXT || strcmp(h->s, g->s) == 0) &&
                       (g->type != TV_INT || h->i == g->i)))
                break;
        }
        if (k == (size_t)-1) {
            k = ncl++;
            cl[k] = (cluster){cell, g, 0, 0, 0, 0};
        }
        cluster *c = &cl[k];
        c->count++;
        c->x += x;
        c->y += y;
        if (l->sum_index >= 0) {
            const tile_value *v = &f->values[l->sum_index];
            c->sum += v->type == TV_INT ? (double)v->i : v->type == TV_REAL ? v->d : 0;
        }
    }
    for (size_t k = 0; k < ncl; k++) {
        cluster *c = &cl[k];
        int32_t xy[2] = {(int32_t)lround(c->x / (double)c->count), (int32_t)lround(c->y / (double)c->count)};
        mvt_geom_reset(&rc->geom);
        mvt_geom_points(&rc->geom, xy, 1);
        mvt_feature_begin(ml, k + 1);
        if (c->group && c->group->type == TV_TEXT)
            mvt_feature_text(ml, l->fields[l->group_index].name, c->group->s);
        else if (c->group && c->group->type == TV_INT)
            mvt_feature_int(ml, l->fields[l->group_index].name, c->group->i);
        mvt_feature_int(ml, "point_count", c->count);
        if (l->sum_index >= 0)
            mvt_feature_real(ml, l->fields[l->sum_index].name, c->sum);
        mvt_feature_end(ml, MVT_POINT, &rc->geom);
    }
    free(cl);
}

/* A polygon layer's labels: one point per feature, in the one tile that
 * holds it (not in the buffer), so a name is drawn once however many tiles
 * the polygon spans. */
static void add_labels(render_ctx *rc, mvt_tile *tile, const layer_def *l)
{
    mvt_layer *ml = NULL;
    for (size_t k = 0; k < rc->nhits; k++) {
        tile_feature *f = rc->hits[k];
        if (!f->labelled || f->lx < rc->b[0] || f->lx >= rc->b[2] || f->ly <= rc->b[1] || f->ly > rc->b[3])
            continue;
        if (!ml)
            ml = mvt_layer_add(tile, l->label_layer);
        int32_t xy[2] = {(int32_t)lround((f->lx - rc->b[0]) / rc->unit), (int32_t)lround((rc->b[3] - f->ly) / rc->unit)};
        mvt_geom_reset(&rc->geom);
        mvt_geom_points(&rc->geom, xy, 1);
        mvt_feature_begin(ml, f->id);
        add_attributes(ml, l, f);
        mvt_feature_end(ml, MVT_POINT, &rc->geom);
    }
}

/* Below a polygon layer's minzoom: its dissolved overview, clipped and
 * simplified like any shape; 0, or -1 with rc->failed set. */
static int add_overview_shapes(render_ctx *rc, mvt_tile *tile, tile_layer_data *d, gisd_error *err)
{
    const tile_feature *ov;
    size_t n;
    if (tile_layer_overview(d, &ov, &n, err) != 0) {
        rc->failed = "dissolving the overview";
        return -1;
    }
    mvt_layer *ml = NULL;
    for (size_t k = 0; k < n && !rc->failed; k++) {
        const tile_feature *f = &ov[k];
        if (f->maxx < rc->qb[0] || f->minx > rc->qb[2] || f->maxy < rc->qb[1] || f->miny > rc->qb[3])
            continue;
        if (!ml)
            ml = mvt_layer_add(tile, d->layer->id);
        add_shape(rc, ml, d->layer, (tile_feature *)f, MVT_POLYGON);
    }
    return rc->failed ? -1 : 0;
}

static int is_point_layer(const layer_def *l)
{
    return l->geometry == GEOM_POINT || l->geometry == GEOM_MULTIPOINT;
}

static mvt_geom_type shape_type(const layer_def *l)
{
    return l->geometry == GEOM_POLYGON || l->geometry == GEOM_MULTIPOLYGON ? MVT_POLYGON
                                                                           : MVT_LINESTRING;
}

int tile_render(GEOSContextHandle_t ctx, tile_layer_data *const *layers, size_t n, tile_id t,
                strbuf *out, tile_render_info *info, gisd_error *err)
{
    memset(info, 0, sizeof *info);
    render_ctx rc = {.ctx = ctx};
    tile_bounds_merc(t, rc.b);
    rc.unit = (rc.b[2] - rc.b[0]) / TILE_EXTENT;
    rc.z = t.z;
    double pad = TILE_BUFFER * rc.unit;
    rc.qb[0] = rc.b[0] - pad;
    rc.qb[1] = rc.b[1] - pad;
    rc.qb[2] = rc.b[2] + pad;
    rc.qb[3] = rc.b[3] + pad;
    mvt_tile *tile = mvt_tile_new();
    gisd_error ov_err = {0};
    for (size_t i = 0; i < n && !rc.failed; i++) {
        const layer_def *l = layers[i]->layer;
        rc.nhits = 0;
        if (tile_layer_data_query(layers[i], ctx, rc.qb, collect, &rc) != 0) {
            rc.failed = "querying a layer's STR-tree";
            break;
        }
        if (rc.in_tile)
            info->has_data = 1;
        if (t.z > l->maxzoom || rc.nhits == 0)
            continue;
        qsort(rc.hits, rc.nhits, sizeof *rc.hits, by_id);
        if (t.z < l->minzoom) {
            /* the city must read at every zoom: an overview where the layer defines one */
            if (!l->has_overview)
                continue;
            if (is_point_layer(l))
                add_point_clusters(&rc, mvt_layer_add(tile, l->id), l);
            else if (add_overview_shapes(&rc, tile, layers[i], &ov_err) != 0)
                break;
            continue;
        }
        mvt_layer *ml = mvt_layer_add(tile, l->id);
        if (is_point_layer(l) && rc.nhits > TILE_CLUSTER_MIN_POINTS && t.z < l->maxzoom)
            add_thinned_points(&rc, ml, l);
        else
            for (size_t k = 0; k < rc.nhits; k++) {
                if (is_point_layer(l))
                    add_point(&rc, ml, l, rc.hits[k], 1);
                else
                    add_shape(&rc, ml, l, rc.hits[k], shape_type(l));
            }
        if (l->label_index >= 0)
            add_labels(&rc, tile, l);
    }
    info->features = mvt_tile_features(tile);
    if (!rc.failed)
        mvt_tile_encode(tile, out);
    mvt_tile_free(tile);
    free(rc.hits);
    free(rc.coords);
    free(rc.xy);
    mvt_geom_free(&rc.geom);
    if (rc.failed && ov_err.code) {
        *err = ov_err;
        return -1;
    }
    if (rc.failed)
        return gisd_fail(err, cancel_requested() ? GISD_E_TIMEOUT : GISD_E_INTERNAL,
                         "tile %d/%u/%u: GEOS failed %s: %s", t.z, t.x, t.y, rc.failed,
                         geos_last_error());
    return 0;
}
