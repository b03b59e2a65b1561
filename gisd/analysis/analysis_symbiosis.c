/* symbiosis: which enterprise's by-product can feed which other enterprise
 * nearby (产业共生 / 废物交换), and where the chains have gaps (补链). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "analysis_geom.h"
#include "analysis_net.h"
#include "xalloc.h"

enum { E_ID, E_OUT, E_IN };
enum { P_ID };

/* One entry of an enterprise's outputs (a supply) or inputs (a demand). */
typedef struct {
    const char *bp; /* owned by the entries' array */
    size_t ent;
} entry;

/* An enterprise as symbiosis sees it: a point and the park covering it. */
typedef struct {
    const char *id;
    double x, y;
    long park; /* index into parks, -1 outside every park */
} ent_pt;

typedef struct {
    entry *e;
    size_t n, cap;
} entries;

static int is_space_at(const char *s, size_t *len)
{
    if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
        *len = 1;
        return 1;
    }
    /* U+3000, the ideographic space a Chinese spreadsheet leaves behind */
    if ((unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x80) {
        *len = 3;
        return 1;
    }
    return 0;
}

/* Appends the ;-separated, trimmed, non-empty and distinct parts of text. */
static void split_list(entries *out, const char *text, size_t ent)
{
    if (!text)
        return;
    size_t first = out->n;
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, ";"), sp;
        const char *a = p, *b = p + len;
        while (a < b && is_space_at(a, &sp))
            a += sp;
        while (b > a) {
            if (b - a >= 1 && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r' || b[-1] == '\n'))
                b--;
            else if (b - a >= 3 && (unsigned char)b[-3] == 0xE3 && (unsigned char)b[-2] == 0x80 &&
                     (unsigned char)b[-1] == 0x80)
                b -= 3;
            else
                break;
        }
        int dup = b == a;
        for (size_t k = first; k < out->n && !dup; k++)
            dup = strlen(out->e[k].bp) == (size_t)(b - a) && memcmp(out->e[k].bp, a, (size_t)(b - a)) == 0;
        if (!dup) {
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 256;
                out->e = xreallocarray(out->e, out->cap, sizeof *out->e);
            }
            out->e[out->n++] = (entry){xstrndup(a, (size_t)(b - a)), ent};
        }
        p += len;
        if (*p == ';')
            p++;
    }
}

static void entries_free(entries *l)
{
    for (size_t i = 0; i < l->n; i++)
        free((char *)l->e[i].bp);
    free(l->e);
}

typedef struct {
    const ent_pt *ents;
    const entry *list; /* for sorting indices into it */
} sort_ctx;

static int by_bp_then_ent(const void *a, const void *b, void *ud)
{
    const entry *x = a, *y = b;
    const ent_pt *e = ((const sort_ctx *)ud)->ents;
    int c = strcmp(x->bp, y->bp);
    return c ? c : strcmp(e[x->ent].id, e[y->ent].id);
}

static int by_ent_then_bp(const void *a, const void *b, void *ud)
{
    const entry *x = a, *y = b;
    const ent_pt *e = ((const sort_ctx *)ud)->ents;
    int c = strcmp(e[x->ent].id, e[y->ent].id);
    return c ? c : strcmp(x->bp, y->bp);
}

static int index_by_ent_then_bp(const void *a, const void *b, void *ud)
{
    const entry *l = ((const sort_ctx *)ud)->list;
    return by_ent_then_bp(&l[*(const size_t *)a], &l[*(const size_t *)b], ud);
}

static int by_x(const void *a, const void *b, void *ud)
{
    const ent_pt *e = ud;
    double x = e[*(const size_t *)a].x, y = e[*(const size_t *)b].x;
    return (x > y) - (x < y);
}

/* The enterprises of one by-product's suppliers or consumers, sorted by x so
 * that a nearest-neighbour search sweeps outwards and stops once the x gap
 * alone exceeds the best distance. */
typedef struct {
    size_t *ent;
    size_t n;
} sweep;

static void consider(const ent_pt *e, size_t cand, size_t self, size_t *best, double *bd)
{
    if (cand == self)
        return;
    double d = hypot(e[cand].x - e[self].x, e[cand].y - e[self].y);
    if (d < *bd || (d == *bd && strcmp(e[cand].id, e[*best].id) < 0)) {
        *bd = d;
        *best = cand;
    }
}

/* The nearest enterprise of s other than self (ties: the smaller ent_id), or
 * (size_t)-1 when there is none; *dist is its distance. */
static size_t sweep_nearest(const sweep *s, const ent_pt *e, size_t self, double *dist)
{
    const ent_pt *q = &e[self];
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[s->ent[mid]].x < q->x)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t best = (size_t)-1;
    double bd = INFINITY;
    for (size_t i = lo; i < s->n && e[s->ent[i]].x - q->x <= bd; i++)
        consider(e, s->ent[i], self, &best, &bd);
    for (size_t i = lo; i-- > 0 && q->x - e[s->ent[i]].x <= bd;)
        consider(e, s->ent[i], self, &best, &bd);
    *dist = bd;
    return best;
}

/* The enterprise of the entries [from, to) nearest to self along the roads
 * (to it backwards: from a producer to the consumer self; forwards: from
 * the producer self to a consumer), or (size_t)-1; *dist its distance.
 * tsp and keep are room for to - from spots. */
static size_t net_nearest(net_search *srch, const net_spot *spots, const entry *l, size_t from, size_t to, size_t self,
                          int backwards, net_spot *tsp, unsigned char *keep, double *dist)
{
    for (size_t i = from; i < to; i++) {
        tsp[i - from] = spots[l[i].ent];
        keep[i - from] = l[i].ent != self;
    }
    long k = net_search_nearest(srch, &spots[self], backwards, tsp, to - from, keep, INFINITY, dist);
    return k >= 0 ? l[from + (size_t)k].ent : (size_t)-1;
}

/* The enterprises of the entries [from, to) (one by-product), as a sweep. */
static sweep sweep_of(const entry *l, size_t from, size_t to, ent_pt *e)
{
    sweep s = {xmalloc((to - from + 1) * sizeof *s.ent), to - from};
    for (size_t i = from; i < to; i++)
        s.ent[i - from] = l[i].ent;
    qsort_r(s.ent, s.n, sizeof *s.ent, by_x, e);
    return s;
}

typedef struct {
    long producers, consumers, links, unmatched, unused;
} bp_tally;

typedef struct {
    long demands, in_park;
} park_tally;

typedef struct {
    size_t producer; /* (size_t)-1: unmatched */
    double dist;
} demand_answer;

typedef struct {
    GEOSContextHandle_t h;
    aset *parks;
    const GEOSGeometry *pt;
    long found;
} park_probe;

static void probe_park(afeat *f, void *ud)
{
    park_probe *p = ud;
    const GEOSPreparedGeometry *g = afeat_prepared(p->parks, f);
    /* parks do not overlap; where they would, the smaller park_id holds it */
    if (g && afail_pred(p->parks->fail, GEOSPreparedCovers_r(p->h, g, p->pt), "testing an enterprise in a park") &&
        (p->found < 0 || strcmp(f->vals[P_ID], p->parks->f[p->found].vals[P_ID]) < 0))
        p->found = (long)f->index;
}

static int by_park_id(const void *a, const void *b, void *parks)
{
    const aset *p = parks;
    return strcmp(p->f[*(const size_t *)a].vals[P_ID], p->f[*(const size_t *)b].vals[P_ID]);
}

void symbiosis_result_free(symbiosis_result *r)
{
    for (size_t i = 0; r->links && i < r->nlinks; i++) {
        free(r->links[i].consumer);
        free(r->links[i].byproduct);
        free(r->links[i].producer);
        free(r->links[i].park_id);
    }
    for (size_t i = 0; r->unmatched && i < r->nunmatched; i++) {
        free(r->unmatched[i].ent_id);
        free(r->unmatched[i].byproduct);
    }
    for (size_t i = 0; r->unused && i < r->nunused; i++) {
        free(r->unused[i].ent_id);
        free(r->unused[i].byproduct);
    }
    for (size_t i = 0; r->byproducts && i < r->nbyproducts; i++)
        free(r->byproducts[i].byproduct);
    for (size_t i = 0; r->parks && i < r->nparks; i++)
        free(r->parks[i].park_id);
    free(r->links);
    free(r->unmatched);
    free(r->unused);
    free(r->byproducts);
    free(r->parks);
    memset(r, 0, sizeof *r);
}

static json_t *pairs_json(const symbiosis_pair *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "ent_id", v[i].ent_id, "byproduct", v[i].byproduct));
    return a;
}

json_t *symbiosis_result_json(const symbiosis_result *r)
{
    json_t *links = json_array(), *bps = json_array(), *pl = json_array(), *o;
    for (size_t i = 0; i < r->nlinks; i++) {
        const symbiosis_link *k = &r->links[i];
        json_array_append_new(links, json_pack("{s:s, s:s, s:s, s:f, s:o}", "consumer", k->consumer, "byproduct",
                                               k->byproduct, "producer", k->producer, "distance_m",
                                               analysis_round(k->distance_m, 3), "park_id",
                                               k->park_id ? json_string(k->park_id) : json_null()));
    }
    for (size_t i = 0; i < r->nbyproducts; i++) {
        const symbiosis_byproduct *b = &r->byproducts[i];
        json_array_append_new(bps, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "byproduct", b->byproduct, "producers",
                                             (json_int_t)b->producers, "consumers", (json_int_t)b->consumers, "links",
                                             (json_int_t)b->links, "unmatched", (json_int_t)b->unmatched, "unused",
                                             (json_int_t)b->unused));
    }
    for (size_t i = 0; i < r->nparks; i++) {
        const symbiosis_park *k = &r->parks[i];
        json_array_append_new(pl, json_pack("{s:s, s:I, s:I, s:f}", "park_id", k->park_id, "demands",
                                            (json_int_t)k->demands, "links_in_park", (json_int_t)k->links_in_park,
                                            "in_park_ratio", analysis_round(k->in_park_ratio, 6)));
    }
    o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "max_km", analysis_number(r->max_km), "links", links, "unmatched",
                  pairs_json(r->unmatched, r->nunmatched), "unused", pairs_json(r->unused, r->nunused), "byproducts", bps,
                  "parks", pl);
    anet_describe(&r->net, o);
    return o;
}

int analysis_symbiosis(store *st, const layer_registry *reg, int srid, const symbiosis_params *p, int geojson,
                       json_t **out, gisd_error *err)
{
    symbiosis_result r;
    json_t *map = NULL;
    *out = NULL;
    if (analysis_symbiosis_compute(st, reg, srid, p, &r, geojson ? &map : NULL, err) != 0)
        return -1;
    *out = geojson ? map : symbiosis_result_json(&r);
    symbiosis_result_free(&r);
    return 0;
}

int analysis_symbiosis_compute(store *st, const layer_registry *reg, int srid, const symbiosis_params *p,
                               symbiosis_result *out, json_t **map, gisd_error *err)
{
    memset(out, 0, sizeof *out);
    if (map)
        *map = NULL;
    out->max_km = p->max_km;
    out->net = p->net;
    if (!(p->max_km > 0 && p->max_km <= ANALYSIS_DISTANCE_MAX_KM))
        return gisd_fail(err, GISD_E_INPUT, "max_km must be more than 0 and at most %g",
                         ANALYSIS_DISTANCE_MAX_KM);
    const double max_m = p->max_km * 1000.0;
    GEOSContextHandle_t h = geos_context_new();
    afail fail = {err, 0};
    aset ents = {0}, parks = {0};
    static const char *const ef[] = {"ent_id", "outputs", "inputs", NULL};
    static const char *const pf[] = {"park_id", NULL};
    if (aset_load(h, st, reg, "enterprises", srid, ef, NULL, &ents, &fail) ||
        aset_load(h, st, reg, "parks", srid, pf, NULL, &parks, &fail)) {
        aset_free(&ents);
        GEOS_finish_r(h);
        return -1;
    }
    ent_pt *e = xcalloc(ents.n + 1, sizeof *e);
    entries sup = {0}, dem = {0};
    for (size_t i = 0; i < ents.n && afail_live(&fail); i++) {
        afeat *f = &ents.f[i];
        e[i].id = f->vals[E_ID] ? f->vals[E_ID] : "";
        if (!afail_ok(&fail, GEOSGeomGetX_r(h, f->g, &e[i].x) && GEOSGeomGetY_r(h, f->g, &e[i].y),
                      "reading an enterprise's point"))
            break;
        park_probe pp = {h, &parks, f->g, -1};
        aset_near(&parks, f->g, 0, probe_park, &pp);
        e[i].park = pp.found;
        split_list(&sup, f->vals[E_OUT], i);
        split_list(&dem, f->vals[E_IN], i);
    }
    long only = -1; /* the park asked for */
    for (size_t i = 0; p->park_id && i < parks.n; i++)
        if (parks.f[i].vals[P_ID] && strcmp(parks.f[i].vals[P_ID], p->park_id) == 0)
            only = (long)i;
    sort_ctx sc = {e, NULL};
    qsort_r(sup.e, sup.n, sizeof *sup.e, by_bp_then_ent, &sc);
    qsort_r(dem.e, dem.n, sizeof *dem.e, by_bp_then_ent, &sc);

    /* with distance=network: every enterprise joined to the roads vehicles
     * use, by-products travelling from producer to consumer */
    anet an;
    int nrc = afail_live(&fail) ? anet_open(st, reg, srid, &p->net, &an, err) : -1;
    net_spot *spots = nrc == 0 && an.net ? anet_snap_set(&an, NET_DRIVE, &ents, &fail) : NULL;
    net_search *srch = spots ? net_search_new(an.net, NET_DRIVE) : NULL;
    if (nrc != 0 || (an.net && !spots))
        fail.failed = 1;
    net_spot *tsp = xmalloc((sup.n + dem.n + 1) * sizeof *tsp);
    unsigned char *keep = xmalloc(sup.n + dem.n + 1);

    /* per by-product: match its demands to supplies and its supplies to demands */
    demand_answer *ans = xcalloc(dem.n + 1, sizeof *ans);
    char *unused = xcalloc(sup.n + 1, 1);
    size_t is = 0, id = 0;
    while ((is < sup.n || id < dem.n) && afail_live(&fail)) {
        const char *bp = is == sup.n                        ? dem.e[id].bp
                         : id == dem.n                      ? sup.e[is].bp
                         : strcmp(sup.e[is].bp, dem.e[id].bp) < 0 ? sup.e[is].bp
                                                                 : dem.e[id].bp;
        size_t s_end = is, d_end = id;
        while (s_end < sup.n && strcmp(sup.e[s_end].bp, bp) == 0)
            s_end++;
        while (d_end < dem.n && strcmp(dem.e[d_end].bp, bp) == 0)
            d_end++;
        sweep ss = sweep_of(sup.e, is, s_end, e), ds = sweep_of(dem.e, id, d_end, e);
        bp_tally t = {(long)(s_end - is), (long)(d_end - id), 0, 0, 0};
        for (size_t k = id; k < d_end; k++) {
            double d;
            size_t pr = srch ? net_nearest(srch, spots, sup.e, is, s_end, dem.e[k].ent, 1, tsp, keep, &d)
                             : sweep_nearest(&ss, e, dem.e[k].ent, &d);
            ans[k].producer = pr != (size_t)-1 && d <= max_m ? pr : (size_t)-1;
            ans[k].dist = d;
            if (ans[k].producer == (size_t)-1)
                t.unmatched++;
            else
                t.links++;
        }
        for (size_t k = is; k < s_end; k++) {
            double d;
            size_t c = srch ? net_nearest(srch, spots, dem.e, id, d_end, sup.e[k].ent, 0, tsp, keep, &d)
                            : sweep_nearest(&ds, e, sup.e[k].ent, &d);
            unused[k] = c == (size_t)-1 || d > max_m;
            t.unused += unused[k];
        }
        out->byproducts = xreallocarray(out->byproducts, out->nbyproducts + 1, sizeof *out->byproducts);
        out->byproducts[out->nbyproducts++] = (symbiosis_byproduct){xstrdup(bp), t.producers, t.consumers, t.links,
                                                                    t.unmatched, t.unused};
        free(ss.ent);
        free(ds.ent);
        is = s_end;
        id = d_end;
    }

    /* the lists in enterprise then by-product order: indices are sorted, not
     * entries, so each entry keeps its answer */
    size_t *dord = xmalloc((dem.n + 1) * sizeof *dord), *sord = xmalloc((sup.n + 1) * sizeof *sord);
    for (size_t k = 0; k < dem.n; k++)
        dord[k] = k;
    for (size_t k = 0; k < sup.n; k++)
        sord[k] = k;
    sort_ctx dsc = {e, dem.e}, ssc = {e, sup.e};
    qsort_r(dord, dem.n, sizeof *dord, index_by_ent_then_bp, &dsc);
    qsort_r(sord, sup.n, sizeof *sord, index_by_ent_then_bp, &ssc);
    free(tsp);
    free(keep);
    net_search_free(srch);
    free(spots);
    if (nrc == 0)
        anet_close(&an);
    int rc = p->park_id && only < 0 && !fail.failed
                 ? gisd_fail(err, GISD_E_INPUT, "park_id \"%s\" is not a park of this dataset", p->park_id)
                 : 0;
    map_view mv = {0};
    json_t *features = NULL;
    if (map && (rc = map_view_open(&mv, h, srid, &fail)) == 0)
        features = json_array();
    park_tally *pt = xcalloc(parks.n + 1, sizeof *pt);
    out->links = xcalloc(dem.n + 1, sizeof *out->links);
    out->unmatched = xcalloc(dem.n + 1, sizeof *out->unmatched);
    out->unused = xcalloc(sup.n + 1, sizeof *out->unused);
    for (size_t k = 0; rc == 0 && k < dem.n && afail_live(&fail); k++) {
        const entry *d = &dem.e[dord[k]];
        const demand_answer *a = &ans[dord[k]];
        const ent_pt *c = &e[d->ent];
        if (c->park >= 0)
            pt[c->park].demands++;
        if (only >= 0 && c->park != only)
            continue;
        if (a->producer == (size_t)-1) {
            out->unmatched[out->nunmatched++] = (symbiosis_pair){xstrdup(c->id), xstrdup(d->bp)};
            if (features)
                map_view_add(&mv, features, ents.f[d->ent].g,
                             json_pack("{s:s, s:s, s:s}", "kind", "unmatched", "ent_id", c->id,
                                       "byproduct", d->bp));
            continue;
        }
        const ent_pt *pr = &e[a->producer];
        int same = c->park >= 0 && c->park == pr->park;
        if (same)
            pt[c->park].in_park++;
        json_t *park = same ? json_string(parks.f[c->park].vals[P_ID]) : json_null();
        out->links[out->nlinks++] = (symbiosis_link){xstrdup(c->id), xstrdup(d->bp), xstrdup(pr->id), a->dist,
                                                     same ? xstrdup(parks.f[c->park].vals[P_ID]) : NULL};
        if (features) {
            GEOSGeometry *line = analysis_segment(h, pr->x, pr->y, c->x, c->y, &fail);
            if (line) {
                map_view_add(&mv, features, line,
                             json_pack("{s:s, s:s, s:s, s:s, s:f, s:O}", "kind", "link", "byproduct",
                                       d->bp, "producer", pr->id, "consumer", c->id, "distance_m",
                                       analysis_round(a->dist, 3), "park_id", park));
                GEOSGeom_destroy_r(h, line);
            }
        }
        json_decref(park);
    }
    for (size_t k = 0; rc == 0 && k < sup.n && afail_live(&fail); k++) {
        const entry *s = &sup.e[sord[k]];
        if (!unused[sord[k]] || (only >= 0 && e[s->ent].park != only))
            continue;
        out->unused[out->nunused++] = (symbiosis_pair){xstrdup(e[s->ent].id), xstrdup(s->bp)};
        if (features)
            map_view_add(&mv, features, ents.f[s->ent].g,
                         json_pack("{s:s, s:s, s:s}", "kind", "unused", "ent_id", e[s->ent].id,
                                   "byproduct", s->bp));
    }
    if (rc == 0 && fail.failed)
        rc = -1;
    if (rc == 0) {
        size_t *po = xmalloc((parks.n + 1) * sizeof *po);
        for (size_t k = 0; k < parks.n; k++)
            po[k] = k;
        qsort_r(po, parks.n, sizeof *po, by_park_id, &parks);
        out->parks = xcalloc(parks.n + 1, sizeof *out->parks);
        for (size_t k = 0; k < parks.n; k++) {
            const park_tally *t = &pt[po[k]];
            if (only >= 0 && (long)po[k] != only)
                continue;
            out->parks[out->nparks++] = (symbiosis_park){xstrdup(parks.f[po[k]].vals[P_ID]), t->demands, t->in_park,
                                                         t->demands ? (double)t->in_park / (double)t->demands : 0};
        }
        free(po);
    }
    if (rc == 0 && map) {
        *map = json_pack("{s:s, s:o}", "type", "FeatureCollection", "features", features);
        features = NULL;
    }
    if (rc != 0)
        symbiosis_result_free(out);
    json_decref(features);
    map_view_close(&mv);
    free(pt);
    free(dord);
    free(sord);
    free(ans);
    free(unused);
    entries_free(&sup);
    entries_free(&dem);
    free(e);
    aset_free(&ents);
    aset_free(&parks);
    GEOS_finish_r(h);
    return rc;
}
