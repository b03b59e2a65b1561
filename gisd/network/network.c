/* Building the road network and searching it (docs/NETWORK.md). The CSR
 * Dijkstra is written here rather than taken from igraph: the searches must
 * stop at a radius or at the first eligible target, start from points in
 * the middle of edges and keep no per-search allocation, and a few hundred
 * lines do that with less than a shim would (bench/network.sh measures it
 * next to pgRouting). */
#include "network.h"

#include <float.h>
#include <pthread.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ogr_srs_api.h>

#include "cancel.h"
#include "crs.h"
#include "xalloc.h"

static const char *const MODE_NAMES[NET_NMODES] = {"walk", "drive", "hazmat"};

int net_mode_parse(const char *name)
{
    for (int m = 0; name && m < NET_NMODES; m++)
        if (strcmp(name, MODE_NAMES[m]) == 0)
            return m;
    return -1;
}

const char *net_mode_name(net_mode m) { return MODE_NAMES[m]; }

/* ---- building ---- */

enum { R_ID, R_CLASS, R_ONEWAY, R_HAZMAT, R_WALK };

/* Endpoints into junctions: a hash of 1 m cells, each endpoint joining a
 * junction within NET_JUNCTION_M in its own or a neighbouring cell. */
typedef struct {
    size_t nbuckets;
    int *head, *next; /* by junction */
    network *n;
    size_t cap;
} junctions;

static size_t cell_hash(long long cx, long long cy, size_t nb)
{
    uint64_t k = (uint64_t)cx * 0x9E3779B97F4A7C15ULL ^ (uint64_t)cy * 0xC2B2AE3D27D4EB4FULL;
    return (size_t)((k ^ (k >> 29)) % nb);
}

/* Doubles the buckets and rehashes the junctions made so far. */
static void junctions_grow(junctions *j)
{
    j->nbuckets *= 2;
    j->head = xreallocarray(j->head, j->nbuckets, sizeof *j->head);
    for (size_t b = 0; b < j->nbuckets; b++)
        j->head[b] = -1;
    for (size_t k = 0; k < j->n->nnodes; k++) {
        size_t b = cell_hash((long long)floor(j->n->nx[k]), (long long)floor(j->n->ny[k]), j->nbuckets);
        j->next[k] = j->head[b];
        j->head[b] = (int)k;
    }
}

static int junction_of(junctions *j, double x, double y)
{
    network *n = j->n;
    long long cx = (long long)floor(x), cy = (long long)floor(y);
    int best = -1;
    double bd = NET_JUNCTION_M * NET_JUNCTION_M;
    /* a circle of 0.5 m in cells of 1 m meets its own cell and at most one
     * neighbour across each axis: the one on the nearer side */
    long long sx = x - (double)cx < 0.5 ? -1 : 1, sy = y - (double)cy < 0.5 ? -1 : 1;
    for (long long dx = 0; dx != 2 * sx; dx += sx)
        for (long long dy = 0; dy != 2 * sy; dy += sy)
            for (int k = j->head[cell_hash(cx + dx, cy + dy, j->nbuckets)]; k >= 0; k = j->next[k]) {
                double ex = n->nx[k] - x, ey = n->ny[k] - y, d = ex * ex + ey * ey;
                if (d <= bd) {
                    bd = d;
                    best = k;
                }
            }
    if (best >= 0)
        return best;
    if (n->nnodes == j->cap) {
        j->cap = j->cap ? j->cap * 2 : 1024;
        n->nx = xreallocarray(n->nx, j->cap, sizeof *n->nx);
        n->ny = xreallocarray(n->ny, j->cap, sizeof *n->ny);
        j->next = xreallocarray(j->next, j->cap, sizeof *j->next);
    }
    int id = (int)n->nnodes++;
    n->nx[id] = x;
    n->ny[id] = y;
    size_t b = cell_hash(cx, cy, j->nbuckets);
    j->next[id] = j->head[b];
    j->head[b] = id;
    return id;
}

/* The CSR of mode m: forwards (rev 0) or backwards. */
static void build_csr(network *n, int m, int rev)
{
    net_csr *c = rev ? &n->rev[m] : &n->fwd[m];
    c->off = xcalloc(n->nnodes + 2, sizeof *c->off);
    for (size_t e = 0; e < n->nedges; e++) {
        const net_edge *ed = &n->edges[e];
        if (!(ed->modes & (1u << m)))
            continue;
        int both = m == NET_WALK || !ed->oneway;
        c->off[(rev ? ed->to : ed->from) + 1]++;
        if (both)
            c->off[(rev ? ed->from : ed->to) + 1]++;
    }
    for (size_t i = 0; i < n->nnodes; i++)
        c->off[i + 1] += c->off[i];
    c->arcs = xmalloc((c->off[n->nnodes] + 1) * sizeof *c->arcs);
    size_t *fill = xmalloc((n->nnodes + 1) * sizeof *fill);
    memcpy(fill, c->off, n->nnodes * sizeof *fill);
    for (size_t e = 0; e < n->nedges; e++) {
        const net_edge *ed = &n->edges[e];
        if (!(ed->modes & (1u << m)))
            continue;
        int both = m == NET_WALK || !ed->oneway;
        /* forwards an arc u->v sits at u; backwards it sits at v pointing to u */
        if (rev)
            c->arcs[fill[ed->to]++] = (net_arc){ed->from, (int)e, ed->len};
        else
            c->arcs[fill[ed->from]++] = (net_arc){ed->to, (int)e, ed->len};
        if (both) {
            if (rev)
                c->arcs[fill[ed->from]++] = (net_arc){ed->to, (int)e, ed->len};
            else
                c->arcs[fill[ed->to]++] = (net_arc){ed->from, (int)e, ed->len};
        }
    }
    free(fill);
}

/* The grid of segments snapping searches: cells of 250 m over the extent
 * of the edges, kept sparse (the cells a segment's box meets, sorted by
 * key), so that a region of scattered cities costs what its roads do. */
static void build_grid(network *n)
{
    double x0 = DBL_MAX, y0 = DBL_MAX, x1 = -DBL_MAX;
    size_t nv = n->nedges ? n->edges[n->nedges - 1].c0 + n->edges[n->nedges - 1].nc : 0;
    for (size_t i = 0; i < nv; i++) {
        x0 = fmin(x0, n->coords[2 * i]);
        x1 = fmax(x1, n->coords[2 * i]);
        y0 = fmin(y0, n->coords[2 * i + 1]);
    }
    if (nv == 0)
        x0 = y0 = x1 = 0;
    n->cell = 250;
    n->gx0 = x0;
    n->gy0 = y0;
    n->gw = (size_t)((x1 - x0) / n->cell) + 1;
    /* counted first, then filled: no array grown by copying */
    for (int pass = 0; pass < 2; pass++) {
        size_t at = 0;
        for (size_t e = 0; e < n->nedges; e++) {
            const net_edge *ed = &n->edges[e];
            for (size_t k = 0; k + 1 < ed->nc; k++) {
                const double *a = &n->coords[2 * (ed->c0 + k)], *b = a + 2;
                size_t cx0 = (size_t)((fmin(a[0], b[0]) - x0) / n->cell), cx1 = (size_t)((fmax(a[0], b[0]) - x0) / n->cell);
                size_t cy0 = (size_t)((fmin(a[1], b[1]) - y0) / n->cell), cy1 = (size_t)((fmax(a[1], b[1]) - y0) / n->cell);
                if (pass == 0) {
                    at += (cx1 - cx0 + 1) * (cy1 - cy0 + 1);
                    continue;
                }
                for (size_t cy = cy0; cy <= cy1; cy++)
                    for (size_t cx = cx0; cx <= cx1; cx++)
                        n->grid[at++] = (net_cellseg){(uint64_t)cy * n->gw + cx, (int)e, (int)k};
            }
        }
        if (pass == 0) {
            n->ngrid = at;
            n->grid = xmalloc((at + 1) * sizeof *n->grid);
        }
    }
    /* by key, 16 bits a pass (stable, so each cell keeps edge order) */
    net_cellseg *tmp = xmalloc((n->ngrid + 1) * sizeof *tmp);
    uint64_t maxkey = 0;
    for (size_t i = 0; i < n->ngrid; i++)
        maxkey = n->grid[i].key > maxkey ? n->grid[i].key : maxkey;
    size_t *count = xmalloc(65537 * sizeof *count);
    for (int shift = 0; shift < 64 && (maxkey >> shift) != 0; shift += 16) {
        memset(count, 0, 65537 * sizeof *count);
        for (size_t i = 0; i < n->ngrid; i++)
            count[((n->grid[i].key >> shift) & 0xffff) + 1]++;
        for (size_t d = 0; d < 65536; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n->ngrid; i++)
            tmp[count[(n->grid[i].key >> shift) & 0xffff]++] = n->grid[i];
        net_cellseg *t = n->grid;
        n->grid = tmp;
        tmp = t;
    }
    free(count);
    free(tmp);
}

static void *grid_main(void *n)
{
    build_grid(n);
    return NULL;
}

/* The first entry of cell key in the grid (ngrid when it holds none). */
static size_t cell_first(const network *n, uint64_t key)
{
    size_t lo = 0, hi = n->ngrid;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (n->grid[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* A little reader of the WKB the store hands out: LineString and
 * MultiLineString, either byte order, ISO or EWKB flags for Z/M/SRID. */
typedef struct {
    const unsigned char *p, *end;
    int ok;
} wkb;

static uint32_t wkb_u32(wkb *w, int little)
{
    if (w->end - w->p < 4) {
        w->ok = 0;
        return 0;
    }
    uint32_t v = little ? (uint32_t)w->p[0] | (uint32_t)w->p[1] << 8 | (uint32_t)w->p[2] << 16 | (uint32_t)w->p[3] << 24
                        : (uint32_t)w->p[3] | (uint32_t)w->p[2] << 8 | (uint32_t)w->p[1] << 16 | (uint32_t)w->p[0] << 24;
    w->p += 4;
    return v;
}

static double wkb_f64(wkb *w, int little)
{
    if (w->end - w->p < 8) {
        w->ok = 0;
        return 0;
    }
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = little ? w->p[i] : w->p[7 - i];
    w->p += 8;
    double v;
    memcpy(&v, b, sizeof v); /* x86-64 and ARM64 doubles are little-endian IEEE 754 */
    return v;
}

/* A geometry's header: its byte order and flat type, and how many doubles
 * a vertex holds. */
static uint32_t wkb_header(wkb *w, int *little, int *dims)
{
    if (w->end - w->p < 1) {
        w->ok = 0;
        return 0;
    }
    *little = *w->p++ == 1;
    uint32_t t = wkb_u32(w, *little);
    *dims = 2 + ((t & 0x80000000u) != 0) + ((t & 0x40000000u) != 0);
    if (t & 0x20000000u)
        wkb_u32(w, *little); /* an EWKB SRID */
    t &= 0x0fffffffu;
    *dims += t / 1000 == 1 || t / 1000 == 2 ? 1 : t / 1000 == 3 ? 2 : 0;
    return t % 1000;
}

/* Appends the n vertices of a LineString body at w to the coordinates,
 * projected by ct (NULL: as they are); the first vertex's index. */
static size_t read_line(network *n, wkb *w, int little, int dims, uint32_t nv, size_t *ccap, void *ct)
{
    size_t c0 = n->nedges ? n->edges[n->nedges - 1].c0 + n->edges[n->nedges - 1].nc : 0;
    if ((size_t)(w->end - w->p) / (8 * (size_t)dims) < nv) {
        w->ok = 0;
        return c0;
    }
    if (c0 + nv > *ccap) {
        while (c0 + nv > *ccap)
            *ccap = *ccap ? *ccap * 2 : 4096;
        n->coords = xreallocarray(n->coords, *ccap, 2 * sizeof *n->coords);
        n->cy_tmp = xreallocarray(n->cy_tmp, *ccap, sizeof *n->cy_tmp);
        n->cx_tmp = xreallocarray(n->cx_tmp, *ccap, sizeof *n->cx_tmp);
    }
    for (uint32_t k = 0; k < nv; k++) {
        n->cx_tmp[k] = wkb_f64(w, little);
        n->cy_tmp[k] = wkb_f64(w, little);
        for (int d = 2; d < dims; d++)
            wkb_f64(w, little);
    }
    /* one call of PROJ for the whole line */
    if (ct && nv && !OCTTransform(ct, (int)nv, n->cx_tmp, n->cy_tmp, NULL))
        w->ok = 0;
    for (uint32_t k = 0; k < nv; k++) {
        n->coords[2 * (c0 + k)] = n->cx_tmp[k];
        n->coords[2 * (c0 + k) + 1] = n->cy_tmp[k];
    }
    return c0;
}

/* Appends the parts of one road (its WKB) as edges: 1, or 0 when the WKB
 * is no line or cannot be projected. */
static int add_road(network *n, junctions *j, const unsigned char *g, size_t len, int road, unsigned char modes,
                    unsigned char oneway, size_t *ccap, size_t *ecap, void *ct)
{
    wkb w = {g, g + len, 1};
    int little, dims;
    uint32_t t = wkb_header(&w, &little, &dims), parts = 1;
    if (t == 5)
        parts = wkb_u32(&w, little);
    else if (t != 2)
        return 0;
    for (uint32_t p = 0; p < parts && w.ok; p++) {
        int pd = dims;
        if (t == 5 && wkb_header(&w, &little, &pd) != 2)
            return 0;
        uint32_t nv = wkb_u32(&w, little);
        size_t c0 = read_line(n, &w, little, pd, nv, ccap, ct);
        if (!w.ok)
            return 0;
        if (nv < 2)
            continue;
        double l = 0;
        for (uint32_t k = 1; k < nv; k++) {
            const double *c = &n->coords[2 * (c0 + k)];
            l += hypot(c[0] - c[-2], c[1] - c[-1]);
        }
        if (n->nedges == *ecap) {
            *ecap = *ecap ? *ecap * 2 : 1024;
            n->edges = xreallocarray(n->edges, *ecap, sizeof *n->edges);
        }
        const double *first = &n->coords[2 * c0], *last = &n->coords[2 * (c0 + nv - 1)];
        net_edge *e = &n->edges[n->nedges++];
        *e = (net_edge){.road = road, .part = (int)p, .len = l, .c0 = c0, .nc = nv, .modes = modes, .oneway = oneway};
        e->from = junction_of(j, first[0], first[1]);
        e->to = junction_of(j, last[0], last[1]);
    }
    return w.ok;
}

static unsigned char road_modes(store_cursor *c, const int *idx)
{
    const char *cls = store_cursor_is_null(c, (size_t)idx[R_CLASS]) ? "" : store_cursor_text(c, (size_t)idx[R_CLASS]);
    int path = strcmp(cls, "path") == 0;
    int walk = !store_cursor_is_null(c, (size_t)idx[R_WALK]) && store_cursor_int(c, (size_t)idx[R_WALK]) == 1;
    int hazmat = !store_cursor_is_null(c, (size_t)idx[R_HAZMAT]) && store_cursor_int(c, (size_t)idx[R_HAZMAT]) == 1;
    return (unsigned char)((walk ? 1u << NET_WALK : 0) | (!path ? 1u << NET_DRIVE : 0) |
                           (!path && hazmat ? 1u << NET_HAZMAT : 0));
}

int network_build(store *s, const layer_registry *reg, int srid, network **out, gisd_error *err)
{
    *out = NULL;
    const layer_def *l = layer_registry_find(reg, "roads");
    if (!l)
        return gisd_fail(err, GISD_E_INPUT,
                         "distance=network needs the roads layer, which is not defined: add "
                         "layers/roads.layer.json and import the roads (gisd import --db DB --layer roads "
                         "roads.geojson)");
    static const char *const names[] = {"road_id", "class", "oneway", "hazmat", "walk"};
    int idx[5];
    for (int k = 0; k < 5; k++)
        if ((idx[k] = layer_field_index(l, names[k])) < 0)
            return gisd_fail(err, GISD_E_INPUT, "the roads layer has no field %s (docs/NETWORK.md)", names[k]);
    OGRCoordinateTransformationH ct = NULL;
    if (srid != STORE_SRID && srid != 4326 && !(ct = crs_transform_new(STORE_SRID, srid)))
        return gisd_fail(err, GISD_E_INPUT, "no transformation from lon/lat to EPSG:%d", srid);
    store_query q = {.limit = -1, .geom_format = STORE_GEOM_WKB};
    store_cursor *c;
    if (store_cursor_open(s, l, &q, &c, err) != 0) {
        if (ct)
            OCTDestroyCoordinateTransformation(ct);
        return -1;
    }
    network *n = xcalloc(1, sizeof *n);
    n->srid = srid;
    junctions j = {.nbuckets = 1 << 16, .n = n};
    j.head = xmalloc(j.nbuckets * sizeof *j.head);
    for (size_t b = 0; b < j.nbuckets; b++)
        j.head[b] = -1;
    size_t ccap = 0, ecap = 0, rcap = 0;
    int rc;
    /* the roads in the store's order, each read straight off its WKB; ties
     * in snapping compare their ids (better), so no order is needed */
    while ((rc = store_cursor_next(c, err)) == 1) {
        size_t len;
        const unsigned char *g = store_cursor_geom(c, &len);
        if (!g)
            continue;
        if (n->nroads == rcap) {
            rcap = rcap ? rcap * 2 : 1024;
            n->road_ids = xreallocarray(n->road_ids, rcap, sizeof *n->road_ids);
        }
        const char *id = store_cursor_is_null(c, (size_t)idx[R_ID]) ? "" : store_cursor_text(c, (size_t)idx[R_ID]);
        n->road_ids[n->nroads] = xstrdup(id);
        int oneway = !store_cursor_is_null(c, (size_t)idx[R_ONEWAY]) && store_cursor_int(c, (size_t)idx[R_ONEWAY]) == 1;
        if (n->nnodes > j.nbuckets) /* about one junction a bucket */
            junctions_grow(&j);
        int ok = add_road(n, &j, g, len, (int)n->nroads, road_modes(c, idx), (unsigned char)oneway, &ccap, &ecap, ct);
        n->nroads++;
        if (!ok) {
            rc = gisd_fail(err, GISD_E_INPUT, "road %s: its geometry is no line gisd can read and project to EPSG:%d",
                           id, srid);
            break;
        }
        if ((n->nroads & 4095) == 0 && cancel_requested()) {
            rc = gisd_fail(err, GISD_E_TIMEOUT, "building the network was cancelled at its deadline or at shutdown");
            break;
        }
    }
    store_cursor_free(c);
    free(j.head);
    free(j.next);
    free(n->cx_tmp);
    free(n->cy_tmp);
    n->cx_tmp = n->cy_tmp = NULL;
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    if (rc != 0) {
        network_free(n);
        return -1;
    }
    /* the snapping grid in a thread of its own while the rows are laid out
     * here: they read the edges and write apart */
    pthread_t grid;
    int threaded = pthread_create(&grid, NULL, grid_main, n) == 0;
    for (int m = 0; m < NET_NMODES; m++) {
        for (size_t e = 0; e < n->nedges; e++)
            n->mode_edges[m] += (n->edges[e].modes >> m) & 1;
        build_csr(n, m, 0);
        build_csr(n, m, 1);
    }
    if (threaded)
        pthread_join(grid, NULL);
    else
        build_grid(n);
    *out = n;
    return 0;
}

void network_free(network *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nroads; i++)
        free(n->road_ids[i]);
    free(n->road_ids);
    for (int m = 0; m < NET_NMODES; m++) {
        free(n->fwd[m].off);
        free(n->fwd[m].arcs);
        free(n->rev[m].off);
        free(n->rev[m].arcs);
    }
    free(n->nx);
    free(n->ny);
    free(n->edges);
    free(n->coords);
    free(n->grid);
    free(n);
}

/* ---- snapping ---- */

/* The nearest point of segment a-b to (x y): its squared distance and the fraction along. */
static double seg_nearest2(const double *a, const double *b, double x, double y, double *frac)
{
    double dx = b[0] - a[0], dy = b[1] - a[1], l2 = dx * dx + dy * dy;
    double u = l2 > 0 ? ((x - a[0]) * dx + (y - a[1]) * dy) / l2 : 0;
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    *frac = u;
    double ex = a[0] + u * dx - x, ey = a[1] + u * dy - y;
    return ex * ex + ey * ey;
}

/* Distances within this are one: the same point met twice by a bent line
 * comes out a few 1e-10 m apart, and must fall to the rule, not to noise. */
#define SNAP_TIE_M 1e-6

/* Whether segment k of edge e at d is nearer than the best so far (edge
 * be, segment bk at bd): ties to the smaller road id, then part, then the
 * earlier point along the edge, as a linear referencing projection does. */
static int better(const network *n, double d, int e, int k, double bd, int be, int bk)
{
    if (be < 0 || d < bd - SNAP_TIE_M)
        return 1;
    if (d > bd + SNAP_TIE_M)
        return 0;
    if (e == be)
        return k < bk;
    const net_edge *x = &n->edges[e], *y = &n->edges[be];
    return x->road != y->road ? strcmp(n->road_ids[x->road], n->road_ids[y->road]) < 0 : x->part < y->part;
}

void network_snap(const network *n, net_mode m, double x, double y, double snap_max, net_spot *out)
{
    *out = (net_spot){.edge = -1, .node = -1, .access = INFINITY};
    if (n->mode_edges[m] == 0 || !isfinite(x) || !isfinite(y))
        return;
    long cx = (long)floor((x - n->gx0) / n->cell), cy = (long)floor((y - n->gy0) / n->cell);
    int be = -1, bk = 0;
    double bd = INFINITY, bu = 0;
    long rmax = (long)ceil(snap_max / n->cell) + 1;
    for (long r = 0; r <= rmax; r++) {
        for (long yy = cy - r; yy <= cy + r; yy++) {
            if (yy < 0)
                continue;
            for (long xx = cx - r; xx <= cx + r; xx += (yy == cy - r || yy == cy + r) ? 1 : 2 * r) {
                if (xx >= 0 && xx < (long)n->gw) {
                    uint64_t key = (uint64_t)yy * n->gw + (uint64_t)xx;
                    for (size_t k = cell_first(n, key); k < n->ngrid && n->grid[k].key == key; k++) {
                        int e = n->grid[k].edge;
                        if (!(n->edges[e].modes & (1u << m)))
                            continue;
                        const double *a = &n->coords[2 * (n->edges[e].c0 + (size_t)n->grid[k].seg)];
                        double u, d2 = seg_nearest2(a, a + 2, x, y, &u);
                        /* the square root only for what may be the nearest */
                        if (be >= 0 && d2 > (bd + SNAP_TIE_M) * (bd + SNAP_TIE_M))
                            continue;
                        double d = sqrt(d2);
                        if (better(n, d, e, n->grid[k].seg, bd, be, bk)) {
                            bd = d;
                            be = e;
                            bk = n->grid[k].seg;
                            bu = u;
                        }
                    }
                }
                if (r == 0)
                    break;
            }
        }
        /* every cell of the next ring is at least r cells away */
        if (be >= 0 && bd <= (double)r * n->cell)
            break;
    }
    if (be < 0 || bd > snap_max)
        return;
    const net_edge *e = &n->edges[be];
    const double *a = &n->coords[2 * (e->c0 + (size_t)bk)];
    double t = 0;
    for (int k = 0; k < bk; k++) {
        const double *p = &n->coords[2 * (e->c0 + (size_t)k)];
        t += hypot(p[2] - p[0], p[3] - p[1]);
    }
    double seg = hypot(a[2] - a[0], a[3] - a[1]);
    out->edge = be;
    out->access = bd;
    out->x = a[0] + bu * (a[2] - a[0]);
    out->y = a[1] + bu * (a[3] - a[1]);
    if (bu <= 0 && bk == 0) {
        out->t = 0;
        out->node = e->from;
    } else if (bu >= 1 && (size_t)bk + 2 == e->nc) {
        out->t = e->len;
        out->node = e->to;
    } else {
        out->t = fmin(e->len, t + bu * seg);
    }
}

double *network_piece(const network *n, int ei, double t0, double t1, size_t *npts)
{
    const net_edge *e = &n->edges[ei];
    int rev = t1 < t0;
    double lo = rev ? t1 : t0, hi = rev ? t0 : t1;
    double *out = xmalloc((e->nc + 2) * 2 * sizeof *out);
    size_t k = 0;
    double at = 0;
    for (size_t i = 0; i + 1 < e->nc; i++) {
        const double *a = &n->coords[2 * (e->c0 + i)];
        double seg = hypot(a[2] - a[0], a[3] - a[1]), next = at + seg;
        if (next >= lo && at <= hi) {
            double u0 = seg > 0 ? fmax(0, (lo - at) / seg) : 0, u1 = seg > 0 ? fmin(1, (hi - at) / seg) : 1;
            if (k == 0) {
                out[0] = a[0] + u0 * (a[2] - a[0]);
                out[1] = a[1] + u0 * (a[3] - a[1]);
                k = 1;
            }
            out[2 * k] = a[0] + u1 * (a[2] - a[0]);
            out[2 * k + 1] = a[1] + u1 * (a[3] - a[1]);
            k++;
        }
        at = next;
        if (at > hi)
            break;
    }
    if (rev)
        for (size_t i = 0; i < k / 2; i++) {
            double tx = out[2 * i], ty = out[2 * i + 1];
            out[2 * i] = out[2 * (k - 1 - i)];
            out[2 * i + 1] = out[2 * (k - 1 - i) + 1];
            out[2 * (k - 1 - i)] = tx;
            out[2 * (k - 1 - i) + 1] = ty;
        }
    *npts = k;
    return out;
}

/* ---- searching ---- */

typedef struct {
    double d;
    int node;
} heap_item;

struct net_search {
    const network *n;
    net_mode m;
    int backwards;
    double *dist;
    int *pred_edge; /* the edge a junction was reached by; -1 from the source's own edge */
    int *touched;
    size_t ntouched;
    heap_item *heap;
    size_t nheap, heapcap;
    net_spot src;
    double bound;
    /* net_search_nearest: the targets entering at each junction */
    int *thead, *tnext, *tnode;
    double *tcost;
    size_t tcap;
};

net_search *net_search_new(const network *n, net_mode m)
{
    net_search *s = xcalloc(1, sizeof *s);
    s->n = n;
    s->m = m;
    s->dist = xmalloc((n->nnodes + 1) * sizeof *s->dist);
    s->pred_edge = xmalloc((n->nnodes + 1) * sizeof *s->pred_edge);
    s->touched = xmalloc((n->nnodes + 1) * sizeof *s->touched);
    s->thead = xmalloc((n->nnodes + 1) * sizeof *s->thead);
    for (size_t i = 0; i < n->nnodes; i++) {
        s->dist[i] = INFINITY;
        s->thead[i] = -1;
    }
    return s;
}

void net_search_free(net_search *s)
{
    if (!s)
        return;
    free(s->dist);
    free(s->pred_edge);
    free(s->touched);
    free(s->heap);
    free(s->thead);
    free(s->tnext);
    free(s->tnode);
    free(s->tcost);
    free(s);
}

static int edge_both_ways(const network *n, net_mode m, int e) { return m == NET_WALK || !n->edges[e].oneway; }

/* The junctions a spot leaves by (towards, forwards) or is reached from
 * (backwards searches leave a target backwards, so the same): *k of them
 * with the metres along the spot's edge. */
static int spot_ends(const network *n, net_mode m, const net_spot *p, int leaving, int node[2], double cost[2])
{
    if (p->edge < 0)
        return 0;
    if (p->node >= 0) {
        node[0] = p->node;
        cost[0] = 0;
        return 1;
    }
    const net_edge *e = &n->edges[p->edge];
    int k = 0, both = edge_both_ways(n, m, p->edge);
    /* leaving forwards along the edge reaches its end; reaching it forwards
     * comes from its start */
    node[k] = leaving ? e->to : e->from;
    cost[k++] = leaving ? e->len - p->t : p->t;
    if (both) {
        node[k] = leaving ? e->from : e->to;
        cost[k++] = leaving ? p->t : e->len - p->t;
    }
    return k;
}

/* Along one edge, from spot a to spot b without a junction between. */
static double direct(const network *n, net_mode m, const net_spot *a, const net_spot *b)
{
    if (a->edge < 0 || b->edge < 0 || a->edge != b->edge)
        return INFINITY;
    if (b->t >= a->t)
        return b->t - a->t;
    return edge_both_ways(n, m, a->edge) ? a->t - b->t : INFINITY;
}

static void heap_push(net_search *s, double d, int node)
{
    if (s->nheap == s->heapcap) {
        s->heapcap = s->heapcap ? s->heapcap * 2 : 1024;
        s->heap = xreallocarray(s->heap, s->heapcap, sizeof *s->heap);
    }
    size_t i = s->nheap++;
    while (i > 0 && s->heap[(i - 1) / 2].d > d) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = (heap_item){d, node};
}

static heap_item heap_pop(net_search *s)
{
    heap_item top = s->heap[0], last = s->heap[--s->nheap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->nheap)
            break;
        if (c + 1 < s->nheap && s->heap[c + 1].d < s->heap[c].d)
            c++;
        if (s->heap[c].d >= last.d)
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->nheap)
        s->heap[i] = last;
    return top;
}

static void relax(net_search *s, int node, double d, int edge)
{
    if (d >= s->dist[node])
        return;
    if (!isfinite(s->dist[node]))
        s->touched[s->ntouched++] = node;
    s->dist[node] = d;
    s->pred_edge[node] = edge;
    heap_push(s, d, node);
}

static void reset(net_search *s)
{
    for (size_t i = 0; i < s->ntouched; i++)
        s->dist[s->touched[i]] = INFINITY;
    s->ntouched = 0;
    s->nheap = 0;
}

static void seed(net_search *s, const net_spot *src, int backwards, double bound)
{
    reset(s);
    s->src = *src;
    s->backwards = backwards;
    s->bound = bound;
    int node[2];
    double cost[2];
    int k = spot_ends(s->n, s->m, src, !backwards, node, cost);
    for (int i = 0; i < k; i++)
        if (cost[i] <= bound)
            relax(s, node[i], cost[i], -1);
}

/* Settles the next junction; 0 when none is left within the bound. */
static int step(net_search *s, heap_item *out)
{
    const net_csr *c = s->backwards ? &s->n->rev[s->m] : &s->n->fwd[s->m];
    while (s->nheap) {
        heap_item it = heap_pop(s);
        if (it.d > s->dist[it.node])
            continue; /* a stale entry */
        if (it.d > s->bound)
            return 0;
        for (size_t a = c->off[it.node]; a < c->off[it.node + 1]; a++) {
            const net_arc *arc = &c->arcs[a];
            double d = it.d + arc->w;
            if (d <= s->bound)
                relax(s, arc->to, d, arc->edge);
        }
        *out = it;
        return 1;
    }
    return 0;
}

int net_search_run(net_search *s, const net_spot *src, int backwards, double bound)
{
    seed(s, src, backwards, bound);
    heap_item it;
    long settled = 0;
    while (step(s, &it))
        if ((++settled & 1023) == 0 && cancel_requested())
            return -1;
    return 0;
}

double net_search_dist(const net_search *s, const net_spot *dst)
{
    if (s->src.edge < 0 || dst->edge < 0)
        return INFINITY;
    double best = s->backwards ? direct(s->n, s->m, dst, &s->src) : direct(s->n, s->m, &s->src, dst);
    int node[2];
    double cost[2];
    /* forwards a target is entered from a junction; backwards a source leaves towards one */
    int k = spot_ends(s->n, s->m, dst, s->backwards, node, cost);
    for (int i = 0; i < k; i++)
        best = fmin(best, s->dist[node[i]] + cost[i]);
    if (best > s->bound)
        return INFINITY;
    return s->src.access + best + dst->access;
}

double net_search_node_dist(const net_search *s, int node) { return s->dist[node]; }

const net_spot *net_search_source(const net_search *s) { return &s->src; }

long net_search_nearest(net_search *s, const net_spot *src, int backwards, const net_spot *targets, size_t n,
                        const unsigned char *keep, double bound, double *dist)
{
    *dist = INFINITY;
    if (src->edge < 0)
        return -1;
    if (2 * n > s->tcap) {
        s->tcap = 2 * n;
        s->tnext = xreallocarray(s->tnext, s->tcap, sizeof *s->tnext);
        s->tnode = xreallocarray(s->tnode, s->tcap, sizeof *s->tnode);
        s->tcost = xreallocarray(s->tcost, s->tcap, sizeof *s->tcost);
    }
    long best = -1;
    double bd = INFINITY;
    size_t ne = 0;
    for (size_t i = 0; i < n; i++) {
        const net_spot *t = &targets[i];
        if ((keep && !keep[i]) || t->edge < 0)
            continue;
        double d = backwards ? direct(s->n, s->m, t, src) : direct(s->n, s->m, src, t);
        if (d + t->access < bd) {
            bd = d + t->access;
            best = (long)i;
        }
        int node[2];
        double cost[2];
        int k = spot_ends(s->n, s->m, t, backwards, node, cost);
        for (int j = 0; j < k; j++) {
            s->tnode[ne] = (int)i;
            s->tcost[ne] = cost[j] + t->access;
            s->tnext[ne] = s->thead[node[j]];
            s->thead[node[j]] = (int)ne++;
        }
    }
    seed(s, src, backwards, bound);
    heap_item it;
    long settled = 0, rc = 0;
    while (step(s, &it)) {
        if (it.d >= bd)
            break;
        for (int k = s->thead[it.node]; k >= 0; k = s->tnext[k]) {
            double d = it.d + s->tcost[k];
            /* equal totals: the smaller target index, as a straight-line nearest does */
            if (d < bd || (d == bd && s->tnode[k] < best)) {
                bd = d;
                best = s->tnode[k];
            }
        }
        if ((++settled & 1023) == 0 && cancel_requested()) {
            rc = -2;
            break;
        }
    }
    /* unhook the targets */
    for (size_t i = 0; i < n; i++) {
        const net_spot *t = &targets[i];
        if ((keep && !keep[i]) || t->edge < 0)
            continue;
        int node[2];
        double cost[2];
        int k = spot_ends(s->n, s->m, t, backwards, node, cost);
        for (int j = 0; j < k; j++)
            s->thead[node[j]] = -1;
    }
    s->bound = INFINITY;
    if (rc)
        return rc;
    if (best >= 0)
        *dist = src->access + bd;
    return best;
}

net_leg *net_search_path(const net_search *s, const net_spot *dst, size_t *n)
{
    *n = 0;
    const network *net = s->n;
    double best = direct(net, s->m, &s->src, dst);
    int via = -1;
    double via_cost = 0;
    int node[2];
    double cost[2];
    int k = spot_ends(net, s->m, dst, 0, node, cost);
    for (int i = 0; i < k; i++)
        if (s->dist[node[i]] + cost[i] < best) {
            best = s->dist[node[i]] + cost[i];
            via = node[i];
            via_cost = cost[i];
        }
    if (via < 0) {
        if (s->src.edge == dst->edge && s->src.t != dst->t) {
            net_leg *l = xmalloc(sizeof *l);
            *l = (net_leg){s->src.edge, s->src.t, dst->t};
            *n = 1;
            return l;
        }
        return NULL;
    }
    /* back from the junction dst is entered from, to the source */
    size_t cap = 16, len = 0;
    net_leg *legs = xmalloc(cap * sizeof *legs);
    if (dst->node < 0 && via_cost > 0) {
        const net_edge *e = &net->edges[dst->edge];
        legs[len++] = (net_leg){dst->edge, via == e->from ? 0 : e->len, dst->t};
    }
    int at = via;
    while (s->pred_edge[at] >= 0) {
        int ei = s->pred_edge[at];
        const net_edge *e = &net->edges[ei];
        int from = e->to == at && (e->from != at || s->dist[e->from] + e->len == s->dist[at]) ? e->from : e->to;
        if (len == cap) {
            cap *= 2;
            legs = xreallocarray(legs, cap, sizeof *legs);
        }
        legs[len++] = from == e->from ? (net_leg){ei, 0, e->len} : (net_leg){ei, e->len, 0};
        at = from;
    }
    if (s->src.node < 0) {
        const net_edge *e = &net->edges[s->src.edge];
        if (len == cap)
            legs = xreallocarray(legs, ++cap, sizeof *legs);
        legs[len++] = (net_leg){s->src.edge, s->src.t, at == e->from ? 0 : e->len};
    }
    for (size_t i = 0; i < len / 2; i++) {
        net_leg t = legs[i];
        legs[i] = legs[len - 1 - i];
        legs[len - 1 - i] = t;
    }
    *n = len;
    return legs;
}
