/* heating-coverage: how much of each park lies within reach of the heat
 * network, and which coal boilers inside that reach must go (集中供热). */
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "analysis_geom.h"
#include "xalloc.h"

enum { P_ID };
enum { E_ID, E_FUEL, E_TPH };

typedef struct {
    aset *pipes;
    GEOSGeometry **parts;
    size_t n, cap;
} gather;

static void gather_pipe(afeat *f, void *ud)
{
    gather *g = ud;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 64;
        g->parts = xreallocarray(g->parts, g->cap, sizeof *g->parts);
    }
    g->parts[g->n++] = f->g;
}

/* The union of the buffers of the pipes near the park: the network's reach
 * there; NULL with the failure recorded in pipes->fail. */
static GEOSGeometry *reach_near(GEOSContextHandle_t h, aset *pipes, const GEOSGeometry *park,
                                double radius)
{
    gather g = {pipes, NULL, 0, 0};
    aset_near(pipes, park, radius, gather_pipe, &g);
    GEOSGeometry **buffers = xreallocarray(NULL, g.n, sizeof *buffers);
    size_t nb = 0;
    while (nb < g.n && afail_live(pipes->fail) &&
           afail_ok(pipes->fail, (buffers[nb] = GEOSBuffer_r(h, g.parts[nb], radius, 8)) != NULL,
                    "buffering a pipe"))
        nb++;
    GEOSGeometry *u = NULL;
    if (nb == g.n) {
        /* the collection takes the buffers, even when it fails */
        GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, buffers, (unsigned)nb);
        nb = 0;
        if (afail_ok(pipes->fail, coll != NULL, "collecting the pipes' buffers")) {
            u = GEOSUnaryUnion_r(h, coll);
            afail_ok(pipes->fail, u != NULL, "uniting the pipes' buffers");
            GEOSGeom_destroy_r(h, coll);
        }
    }
    for (size_t i = 0; i < nb; i++)
        GEOSGeom_destroy_r(h, buffers[i]);
    free(buffers);
    free(g.parts);
    return u;
}

typedef struct {
    GEOSContextHandle_t h;
    aset *pipes;
    const GEOSPreparedGeometry *park;
    double radius;
    long inside, covered;
    char **coal;
    double *tph;
    size_t ncoal;
    json_t *view; /* map features of covered coal boilers, or NULL */
    map_view *mv;
} ent_scan;

typedef struct {
    GEOSContextHandle_t h;
    const GEOSGeometry *pt;
    double radius;
    int hit;
    afail *fail;
} pipe_probe;

static void probe_pipe(afeat *f, void *ud)
{
    pipe_probe *p = ud;
    double d;
    if (!p->hit && afail_ok(p->fail, GEOSDistance_r(p->h, f->g, p->pt, &d), "measuring to a pipe") &&
        d <= p->radius)
        p->hit = 1;
}

static void scan_enterprise(afeat *f, void *ud)
{
    ent_scan *s = ud;
    if (!s->park || !afail_pred(s->pipes->fail, GEOSPreparedContains_r(s->h, s->park, f->g),
                                "testing an enterprise in a park"))
        return;
    s->inside++;
    pipe_probe p = {s->h, f->g, s->radius, 0, s->pipes->fail};
    aset_near(s->pipes, f->g, s->radius, probe_pipe, &p);
    if (!p.hit)
        return;
    s->covered++;
    if (f->vals[E_FUEL] && strcmp(f->vals[E_FUEL], "coal") == 0 && afeat_num(f, E_TPH) > 0) {
        s->coal = xreallocarray(s->coal, s->ncoal + 1, sizeof *s->coal);
        s->tph = xreallocarray(s->tph, s->ncoal + 1, sizeof *s->tph);
        s->coal[s->ncoal] = xstrdup(f->vals[E_ID]);
        s->tph[s->ncoal++] = afeat_num(f, E_TPH);
        if (s->view)
            map_view_add(s->mv, s->view, f->g,
                         json_pack("{s:s, s:s, s:f}", "kind", "coal_boiler", "ent_id", f->vals[E_ID],
                                   "boiler_tph", afeat_num(f, E_TPH)));
    }
}

/* Sorts the coal boilers by id, their t/h with them. */
static void sort_coal(ent_scan *es)
{
    for (size_t i = 1; i < es->ncoal; i++)
        for (size_t k = i; k > 0 && analysis_id_cmp(&es->coal[k - 1], &es->coal[k]) > 0; k--) {
            char *t = es->coal[k];
            es->coal[k] = es->coal[k - 1];
            es->coal[k - 1] = t;
            double x = es->tph[k];
            es->tph[k] = es->tph[k - 1];
            es->tph[k - 1] = x;
        }
}

void heating_result_free(heating_result *r)
{
    for (size_t i = 0; r->parks && i < r->nparks; i++) {
        heating_park *hp = &r->parks[i];
        for (size_t k = 0; k < hp->ncoal; k++)
            free(hp->coal_ids[k]);
        free(hp->coal_ids);
        free(hp->coal_tph);
        free(hp->park_id);
    }
    free(r->parks);
    memset(r, 0, sizeof *r);
}

int analysis_heating_compute(store *st, const layer_registry *reg, int srid, const heating_params *p,
                             heating_result *out, json_t **map, gisd_error *err)
{
    memset(out, 0, sizeof *out);
    if (map)
        *map = NULL;
    if (!(p->radius_m >= 0 && p->radius_m <= ANALYSIS_RADIUS_MAX_M))
        return gisd_fail(err, GISD_E_INPUT, "radius_m must be 0 to %g metres", ANALYSIS_RADIUS_MAX_M);
    GEOSContextHandle_t h = geos_context_new();
    afail fail = {err, 0};
    aset parks = {0}, pipes = {0}, ents = {0};
    static const char *const pf[] = {"park_id", NULL};
    static const char *const ef[] = {"ent_id", "boiler_fuel", "boiler_tph", NULL};
    if (aset_load(h, st, reg, "parks", srid, pf, NULL, &parks, &fail) ||
        aset_load(h, st, reg, "heat_network", srid, NULL, NULL, &pipes, &fail) ||
        aset_load(h, st, reg, "enterprises", srid, ef, NULL, &ents, &fail)) {
        aset_free(&parks);
        aset_free(&pipes);
        GEOS_finish_r(h);
        return -1;
    }
    int rc = 0;
    /* parks in park_id order */
    afeat **order = xmalloc((parks.n ? parks.n : 1) * sizeof *order);
    size_t n = 0;
    for (size_t i = 0; i < parks.n; i++)
        if (!p->park_id || (parks.f[i].vals[P_ID] && strcmp(parks.f[i].vals[P_ID], p->park_id) == 0))
            order[n++] = &parks.f[i];
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && strcmp(order[k - 1]->vals[P_ID], order[k]->vals[P_ID]) > 0; k--) {
            afeat *t = order[k];
            order[k] = order[k - 1];
            order[k - 1] = t;
        }
    if (p->park_id && n == 0)
        rc = gisd_fail(err, GISD_E_INPUT, "park_id \"%s\" is not a park of this dataset", p->park_id);
    map_view mv = {0};
    json_t *features = map ? json_array() : NULL;
    if (rc == 0 && map)
        rc = map_view_open(&mv, h, srid, &fail);
    out->radius_m = p->radius_m;
    out->parks = xcalloc(n ? n : 1, sizeof *out->parks);
    double area_t = 0, covered_t = 0;
    for (size_t i = 0; rc == 0 && i < n && afail_live(&fail); i++) {
        afeat *park = order[i];
        double area = 0, covered = 0;
        afail_ok(&fail, GEOSArea_r(h, park->g, &area), "measuring a park");
        GEOSGeometry *reach = reach_near(h, &pipes, park->g, p->radius_m);
        GEOSGeometry *inside = reach ? GEOSIntersection_r(h, park->g, reach) : NULL;
        if (reach && afail_ok(&fail, inside != NULL, "intersecting a park with the network's reach"))
            afail_ok(&fail, GEOSArea_r(h, inside, &covered), "measuring the covered area");
        ent_scan es = {h, &pipes, afeat_prepared(&parks, park), p->radius_m, 0, 0, NULL, NULL, 0,
                       features, &mv};
        aset_near(&ents, park->g, 0, scan_enterprise, &es);
        sort_coal(&es);
        if (features && inside)
            map_view_add(&mv, features, inside,
                         json_pack("{s:s, s:s, s:f}", "kind", "coverage", "park_id", park->vals[P_ID],
                                   "covered_km2", analysis_round(covered / 1e6, 6)));
        out->parks[out->nparks++] = (heating_park){
            .park_id = xstrdup(park->vals[P_ID]), .area_km2 = area / 1e6, .covered_km2 = covered / 1e6,
            .coverage_ratio = area > 0 ? covered / area : 0, .enterprises = es.inside,
            .enterprises_covered = es.covered, .ncoal = es.ncoal, .coal_ids = es.coal, .coal_tph = es.tph};
        area_t += area;
        covered_t += covered;
        out->enterprises += es.inside;
        out->enterprises_covered += es.covered;
        out->coal_boilers += (long)es.ncoal;
        if (inside)
            GEOSGeom_destroy_r(h, inside);
        if (reach)
            GEOSGeom_destroy_r(h, reach);
    }
    out->area_km2 = area_t / 1e6;
    out->covered_km2 = covered_t / 1e6;
    out->coverage_ratio = area_t > 0 ? covered_t / area_t : 0;
    if (rc == 0 && fail.failed)
        rc = -1;
    if (rc == 0 && map) {
        *map = json_pack("{s:s, s:o}", "type", "FeatureCollection", "features", features);
        features = NULL;
    }
    if (rc != 0)
        heating_result_free(out);
    json_decref(features);
    map_view_close(&mv);
    free(order);
    aset_free(&parks);
    aset_free(&pipes);
    aset_free(&ents);
    GEOS_finish_r(h);
    return rc;
}

json_t *heating_result_json(const heating_result *r)
{
    json_t *list = json_array();
    for (size_t i = 0; i < r->nparks; i++) {
        const heating_park *hp = &r->parks[i];
        json_t *coal = json_array();
        for (size_t k = 0; k < hp->ncoal; k++)
            json_array_append_new(coal, json_string(hp->coal_ids[k]));
        json_array_append_new(
            list, json_pack("{s:s, s:f, s:f, s:f, s:I, s:I, s:o}", "park_id", hp->park_id, "area_km2",
                            analysis_round(hp->area_km2, 6), "covered_km2", analysis_round(hp->covered_km2, 6),
                            "coverage_ratio", analysis_round(hp->coverage_ratio, 6), "enterprises",
                            (json_int_t)hp->enterprises, "enterprises_covered",
                            (json_int_t)hp->enterprises_covered, "coal_boilers_in_coverage", coal));
    }
    return json_pack("{s:o, s:o, s:{s:f, s:f, s:f, s:I, s:I, s:I}}", "radius_m", analysis_number(r->radius_m),
                     "parks", list, "total", "area_km2", analysis_round(r->area_km2, 6), "covered_km2",
                     analysis_round(r->covered_km2, 6), "coverage_ratio", analysis_round(r->coverage_ratio, 6),
                     "enterprises", (json_int_t)r->enterprises, "enterprises_covered",
                     (json_int_t)r->enterprises_covered, "coal_boilers_in_coverage", (json_int_t)r->coal_boilers);
}

int analysis_heating_coverage(store *st, const layer_registry *reg, int srid, const heating_params *p, int geojson,
                              json_t **out, gisd_error *err)
{
    heating_result r;
    json_t *map = NULL;
    *out = NULL;
    if (analysis_heating_compute(st, reg, srid, p, &r, geojson ? &map : NULL, err) != 0)
        return -1;
    *out = geojson ? map : heating_result_json(&r);
    heating_result_free(&r);
    return 0;
}
