/* recycling-coverage: which communities have a recycling point of the level
 * asked for within reach, by district (回收网络覆盖). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "analysis_geom.h"
#include "analysis_net.h"
#include "xalloc.h"

enum { C_ID, C_HH };
enum { P_LEVEL };
enum { D_NAME };

typedef struct {
    GEOSContextHandle_t h;
    const GEOSGeometry *pt;
    double radius;
    const char *level; /* NULL: any */
    int hit;
    afail *fail;
} point_probe;

static void probe_point(afeat *f, void *ud)
{
    point_probe *p = ud;
    if (p->hit || (p->level && (!f->vals[P_LEVEL] || strcmp(f->vals[P_LEVEL], p->level) != 0)))
        return;
    double d;
    if (afail_ok(p->fail, GEOSDistance_r(p->h, f->g, p->pt, &d), "measuring to a recycling point") &&
        d <= p->radius)
        p->hit = 1;
}

typedef struct {
    aset *districts;
    const GEOSGeometry *pt;
    afeat *found;
} district_probe;

static void probe_district(afeat *f, void *ud)
{
    district_probe *p = ud;
    const GEOSPreparedGeometry *d = p->found ? NULL : afeat_prepared(p->districts, f);
    if (d && afail_pred(p->districts->fail, GEOSPreparedContains_r(p->districts->h, d, p->pt),
                        "testing a community in a district"))
        p->found = f;
}

static json_t *tally_json(const recycling_tally *t, const char *name)
{
    json_t *o = name ? json_pack("{s:s}", "name", name) : json_object();
    json_object_set_new(o, "communities", json_integer(t->communities));
    json_object_set_new(o, "households", analysis_number(t->households));
    json_object_set_new(o, "households_covered", analysis_number(t->households_covered));
    json_object_set_new(o, "coverage_ratio",
                        json_real(analysis_round(t->households > 0 ? t->households_covered / t->households : 0, 6)));
    return o;
}

static int by_district_name(const void *a, const void *b, void *districts)
{
    const aset *d = districts;
    const char *x = d->f[*(const size_t *)a].vals[D_NAME];
    const char *y = d->f[*(const size_t *)b].vals[D_NAME];
    return strcmp(x ? x : "", y ? y : "");
}

void recycling_result_free(recycling_result *r)
{
    for (size_t i = 0; r->districts && i < r->ndistricts; i++)
        free(r->districts[i].name);
    for (size_t i = 0; r->uncovered && i < r->nuncovered; i++)
        free(r->uncovered[i]);
    free(r->districts);
    free(r->uncovered);
    memset(r, 0, sizeof *r);
}

json_t *recycling_result_json(const recycling_result *r)
{
    json_t *dl = json_array(), *ul = json_array();
    for (size_t k = 0; k < r->ndistricts; k++)
        json_array_append_new(dl, tally_json(&r->districts[k], r->districts[k].name));
    for (size_t k = 0; k < r->nuncovered; k++)
        json_array_append_new(ul, json_string(r->uncovered[k]));
    json_t *o = json_pack("{s:o, s:s, s:o, s:o, s:o}", "radius_m", analysis_number(r->radius_m), "level", r->level,
                          "districts", dl, "total", tally_json(&r->total, NULL), "uncovered", ul);
    anet_describe(&r->net, o);
    return o;
}

int analysis_recycling_coverage(store *st, const layer_registry *reg, int srid, const recycling_params *p,
                                int geojson, json_t **out, gisd_error *err)
{
    recycling_result r;
    json_t *map = NULL;
    *out = NULL;
    if (analysis_recycling_compute(st, reg, srid, p, &r, geojson ? &map : NULL, err) != 0)
        return -1;
    *out = geojson ? map : recycling_result_json(&r);
    recycling_result_free(&r);
    return 0;
}

int analysis_recycling_compute(store *st, const layer_registry *reg, int srid, const recycling_params *p,
                               recycling_result *out, json_t **map, gisd_error *err)
{
    memset(out, 0, sizeof *out);
    if (map)
        *map = NULL;
    if (!(p->radius_m >= 0 && p->radius_m <= ANALYSIS_RADIUS_MAX_M))
        return gisd_fail(err, GISD_E_INPUT, "radius_m must be 0 to %g metres", ANALYSIS_RADIUS_MAX_M);
    const char *level = p->level ? p->level : "community";
    if (strcmp(level, "community") && strcmp(level, "transit") && strcmp(level, "sorting") &&
        strcmp(level, "any"))
        return gisd_fail(err, GISD_E_INPUT, "level \"%s\" must be community, transit, sorting or any",
                         level);
    GEOSContextHandle_t h = geos_context_new();
    afail fail = {err, 0};
    aset comms = {0}, points = {0}, dists = {0};
    static const char *const cf[] = {"community_id", "households", NULL};
    static const char *const pf[] = {"level", NULL};
    static const char *const df[] = {"name", NULL};
    if (aset_load(h, st, reg, "communities", srid, cf, NULL, &comms, &fail) ||
        aset_load(h, st, reg, "recycling_points", srid, pf, NULL, &points, &fail) ||
        aset_load(h, st, reg, "districts", srid, df, NULL, &dists, &fail)) {
        aset_free(&comms);
        aset_free(&points);
        GEOS_finish_r(h);
        return -1;
    }
    /* with distance=network: every point and community joined to the walking network */
    anet an;
    int rc = anet_open(st, reg, srid, &p->net, &an, err);
    net_spot *cspots = NULL, *pspots = NULL;
    unsigned char *keep = NULL;
    net_search *srch = NULL;
    if (rc == 0 && an.net) {
        cspots = anet_snap_set(&an, NET_WALK, &comms, &fail);
        pspots = cspots ? anet_snap_set(&an, NET_WALK, &points, &fail) : NULL;
        rc = pspots ? 0 : -1;
        keep = xcalloc(points.n + 1, 1);
        for (size_t i = 0; i < points.n; i++)
            keep[i] = !strcmp(level, "any") || (points.f[i].vals[P_LEVEL] && !strcmp(points.f[i].vals[P_LEVEL], level));
        srch = net_search_new(an.net, NET_WALK);
    }
    recycling_tally *per = xcalloc(dists.n + 1, sizeof *per);
    recycling_tally total = {0};
    char **uncovered = xmalloc((comms.n + 1) * sizeof *uncovered);
    size_t nun = 0;
    map_view mv = {0};
    json_t *features = NULL;
    if (map && (rc = map_view_open(&mv, h, srid, &fail)) == 0)
        features = json_array();
    for (size_t i = 0; rc == 0 && i < comms.n && afail_live(&fail); i++) {
        afeat *c = &comms.f[i];
        double hh = afeat_num(c, C_HH);
        point_probe pp = {h, c->g, p->radius_m, strcmp(level, "any") ? level : NULL, 0, &fail};
        if (srch) {
            /* from the community to the point, within radius_m along the walks */
            double d;
            long k = net_search_nearest(srch, &cspots[i], 0, pspots, points.n, keep, p->radius_m - cspots[i].access, &d);
            if (k == -2) {
                rc = gisd_fail(err, GISD_E_TIMEOUT, "the analysis was cancelled at its deadline or at shutdown");
                break;
            }
            pp.hit = k >= 0 && d <= p->radius_m;
        } else {
            aset_near(&points, c->g, p->radius_m, probe_point, &pp);
        }
        district_probe dp = {&dists, c->g, NULL};
        aset_near(&dists, c->g, 0, probe_district, &dp);
        total.communities++;
        total.households += hh;
        total.households_covered += pp.hit ? hh : 0;
        if (dp.found) {
            recycling_tally *t = &per[dp.found->index];
            t->communities++;
            t->households += hh;
            t->households_covered += pp.hit ? hh : 0;
        }
        if (!pp.hit) {
            uncovered[nun++] = c->vals[C_ID];
            if (features)
                map_view_add(&mv, features, c->g,
                             json_pack("{s:s, s:s, s:f}", "kind", "uncovered", "community_id",
                                       c->vals[C_ID], "households", hh));
        }
    }
    if (rc == 0 && fail.failed)
        rc = -1;
    qsort(uncovered, nun, sizeof *uncovered, analysis_id_cmp);
    size_t *order = xmalloc((dists.n + 1) * sizeof *order);
    size_t nd = 0;
    for (size_t i = 0; i < dists.n; i++)
        if (per[i].communities > 0)
            order[nd++] = i;
    qsort_r(order, nd, sizeof *order, by_district_name, &dists);
    if (rc == 0) {
        out->radius_m = p->radius_m;
        out->net = p->net;
        snprintf(out->level, sizeof out->level, "%s", level);
        out->total = total;
        out->districts = xcalloc(nd + 1, sizeof *out->districts);
        for (size_t k = 0; k < nd; k++) {
            out->districts[k] = per[order[k]];
            out->districts[k].name = xstrdup(dists.f[order[k]].vals[D_NAME] ? dists.f[order[k]].vals[D_NAME] : "");
        }
        out->ndistricts = nd;
        out->uncovered = xcalloc(nun + 1, sizeof *out->uncovered);
        for (size_t k = 0; k < nun; k++)
            out->uncovered[k] = xstrdup(uncovered[k]);
        out->nuncovered = nun;
    }
    if (rc == 0 && map) {
        *map = json_pack("{s:s, s:o}", "type", "FeatureCollection", "features", features);
        features = NULL;
    }
    json_decref(features);
    map_view_close(&mv);
    free(order);
    free(per);
    free(uncovered);
    net_search_free(srch);
    free(cspots);
    free(pspots);
    free(keep);
    anet_close(&an);
    aset_free(&comms);
    aset_free(&points);
    aset_free(&dists);
    GEOS_finish_r(h);
    return rc;
}
