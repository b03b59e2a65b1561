/* recycling-siting (maximal or set covering) and sorting-siting (p-median). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_net.h"
#include "cancel.h"
#include "optimize_int.h"
#include "pmedian.h"
#include "xalloc.h"

enum { C_ID, C_HH };

typedef struct {
    opt_run *r;
    const GEOSGeometry *g;
    double radius;
    int *hits;
    size_t n, cap;
    aset *set;
} within;

/* Collects the features of set within radius of g (exact distance). */
static void collect_within(afeat *f, void *ud)
{
    within *w = ud;
    double d;
    if (!afail_ok(&w->r->fail, GEOSDistance_r(w->r->h, f->g, w->g, &d), "measuring a distance") ||
        d > w->radius)
        return;
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->hits = xreallocarray(w->hits, w->cap, sizeof *w->hits);
    }
    w->hits[w->n++] = (int)f->index;
}

/* Keeps of the n hits (indexes into spots) those the last search reached
 * within radius metres, in order; how many are kept. */
static size_t network_within(const net_search *srch, int *hits, size_t n, const net_spot *spots, double radius)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (net_search_dist(srch, &spots[hits[i]]) <= radius)
            hits[k++] = hits[i];
    return k;
}

/* The candidates as a set of points: the user's, or the features of a layer
 * (filtered by keep) with their id field. */
typedef struct {
    size_t n;
    char **ids;          /* borrowed from set or owned by sites */
    GEOSGeometry **geoms; /* borrowed */
} cand_list;

static int cand_from_sites(cand_list *c, opt_site *s, size_t n)
{
    c->n = n;
    c->ids = xreallocarray(NULL, n, sizeof *c->ids);
    c->geoms = xreallocarray(NULL, n, sizeof *c->geoms);
    for (size_t i = 0; i < n; i++) {
        c->ids[i] = s[i].id;
        c->geoms[i] = s[i].g;
    }
    return 0;
}

static void cand_free(cand_list *c)
{
    free(c->ids);
    free(c->geoms);
}

typedef struct {
    opt_run *r;
    const site_rules *rules;
    int hit;
    const GEOSGeometry *g;
} protect_probe;

static void probe_protected(afeat *f, void *ud)
{
    protect_probe *p = ud;
    int kind = 0;
    for (size_t k = 0; k < p->rules->nprotected && f->vals[1]; k++)
        kind |= strcmp(p->rules->protected_kinds[k], f->vals[1]) == 0;
    /* inside or on the boundary */
    if (kind && !p->hit && afail_pred(&p->r->fail, GEOSIntersects_r(p->r->h, f->g, p->g), "testing a candidate in a protected area"))
        p->hit = 1;
}

/* Marks the candidates no covering layout needs: those reaching no community,
 * and those whose communities another candidate reaches too (a superset; of
 * equal sets the first is kept). Swapping a dominated candidate for its
 * dominator never covers less, so the optimum is unchanged. */
static void drop_dominated(int *const *cover, const size_t *ncover, size_t nd, size_t nc, char *dominated)
{
    /* the transpose: each candidate's communities, ascending */
    size_t *len = xcalloc(nc + 1, sizeof *len), *at = xcalloc(nc + 1, sizeof *at);
    for (size_t i = 0; i < nd; i++)
        for (size_t k = 0; k < ncover[i]; k++)
            len[cover[i][k]]++;
    size_t **reach = xreallocarray(NULL, nc + 1, sizeof *reach);
    for (size_t j = 0; j < nc; j++)
        reach[j] = xreallocarray(NULL, len[j] + 1, sizeof **reach);
    for (size_t i = 0; i < nd; i++)
        for (size_t k = 0; k < ncover[i]; k++) {
            size_t j = (size_t)cover[i][k];
            reach[j][at[j]++] = i;
        }
    for (size_t j = 0; j < nc; j++) {
        if (len[j] == 0) {
            dominated[j] = 1;
            continue;
        }
        /* a dominator reaches j's least-reached community too */
        size_t rare = reach[j][0];
        for (size_t t = 1; t < len[j]; t++)
            if (ncover[reach[j][t]] < ncover[rare])
                rare = reach[j][t];
        for (size_t k = 0; k < ncover[rare] && !dominated[j]; k++) {
            size_t o = (size_t)cover[rare][k];
            if (o == j || dominated[o] || len[o] < len[j] || (len[o] == len[j] && o > j))
                continue;
            size_t a = 0, b = 0;
            while (a < len[j] && b < len[o]) {
                if (reach[j][a] == reach[o][b])
                    a++, b++;
                else if (reach[j][a] > reach[o][b])
                    b++;
                else
                    break;
            }
            dominated[j] = a == len[j];
        }
    }
    for (size_t j = 0; j < nc; j++)
        free(reach[j]);
    free(reach);
    free(len);
    free(at);
}

int optimize_recycling(opt_run *r, const param_values *v, json_t *candidates, json_t **out,
                       gisd_error *err)
{
    double radius = param_num(v, "radius_m");
    int mclp = param_given(v, "p");
    long p = (long)param_num(v, "p");
    int keep = strcmp(param_text(v, "existing"), "keep") == 0;
    int exclude = param_num(v, "exclude_protected") != 0;
    static const char *const cf[] = {"community_id", "households", NULL};
    static const char *const pf[] = {"point_id", "level", NULL};
    static const char *const sf[] = {"area_id", "kind", NULL};
    aset comms = {0}, points = {0}, areas = {0};
    opt_site *user = NULL;
    size_t nuser = 0;
    int rc = aset_load(r->h, r->st, r->reg, "communities", r->srid, cf, NULL, &comms, &r->fail) ||
             aset_load(r->h, r->st, r->reg, "recycling_points", r->srid, pf, NULL, &points, &r->fail) ||
             aset_load(r->h, r->st, r->reg, "sensitive_areas", r->srid, sf, NULL, &areas, &r->fail)
                 ? -1 : 0;
    if (rc == 0 && candidates)
        rc = opt_candidates(r, candidates, &user, &nuser, err);
    size_t nexist = 0; /* today's community points: they stay and cover when existing is keep */
    cand_list all = {0}, cand = {0};
    if (rc == 0) {
        for (size_t i = 0; i < points.n; i++)
            nexist += points.f[i].vals[1] && strcmp(points.f[i].vals[1], "community") == 0;
        if (user)
            cand_from_sites(&all, user, nuser);
        else {
            all.n = comms.n;
            all.ids = xreallocarray(NULL, comms.n, sizeof *all.ids);
            all.geoms = xreallocarray(NULL, comms.n, sizeof *all.geoms);
            for (size_t i = 0; i < comms.n; i++) {
                all.ids[i] = comms.f[i].vals[C_ID];
                all.geoms[i] = comms.f[i].g;
            }
        }
        cand.ids = xreallocarray(NULL, all.n, sizeof *cand.ids);
        cand.geoms = xreallocarray(NULL, all.n, sizeof *cand.geoms);
        for (size_t j = 0; j < all.n && afail_live(&r->fail); j++) {
            protect_probe pp = {r, r->rules, 0, all.geoms[j]};
            if (exclude)
                aset_near(&areas, all.geoms[j], 0, probe_protected, &pp);
            if (!pp.hit) {
                cand.ids[cand.n] = all.ids[j];
                cand.geoms[cand.n++] = all.geoms[j];
            }
        }
        if (r->fail.failed)
            rc = -1;
    }
    if (rc == 0 && mclp && (size_t)p > cand.n)
        rc = gisd_fail(err, GISD_E_INPUT, "p %ld is more than the %zu candidates allowed", p, cand.n);
    /* the candidates as a tree, to find those within reach of each community */
    GEOSSTRtree *ctree = NULL;
    afeat *cfeat = NULL;
    if (rc == 0) {
        cfeat = xcalloc(cand.n ? cand.n : 1, sizeof *cfeat);
        ctree = GEOSSTRtree_create_r(r->h, 10);
        if (!afail_ok(&r->fail, ctree != NULL, "making an STR-tree"))
            rc = -1;
        for (size_t j = 0; rc == 0 && j < cand.n; j++) {
            cfeat[j].g = cand.geoms[j];
            cfeat[j].index = j;
            GEOSSTRtree_insert_r(r->h, ctree, cand.geoms[j], &cfeat[j]);
        }
    }
    aset cset = {.h = r->h, .f = cfeat, .n = cand.n, .tree = ctree, .fail = &r->fail};
    /* with distance=network: from each community along the walks; a
     * straight line is never longer, so it still picks what to measure */
    net_params np = analysis_net_params(v);
    anet an = {0};
    net_spot *cspots = NULL, *pspots = NULL, *kspots = NULL;
    net_search *srch = NULL;
    if (rc == 0 && (rc = anet_open(r->st, r->reg, r->srid, &np, &an, err)) == 0 && an.net) {
        cspots = anet_snap_set(&an, NET_WALK, &comms, &r->fail);
        pspots = cspots ? anet_snap_set(&an, NET_WALK, &points, &r->fail) : NULL;
        kspots = pspots ? anet_snap_set(&an, NET_WALK, &cset, &r->fail) : NULL;
        rc = kspots ? 0 : -1;
        srch = net_search_new(an.net, NET_WALK);
    }
    size_t nd = comms.n;
    int *before = xcalloc(nd ? nd : 1, sizeof *before), *kept = xcalloc(nd ? nd : 1, sizeof *kept);
    int **cover = xcalloc(nd ? nd : 1, sizeof *cover);
    size_t *ncover = xcalloc(nd ? nd : 1, sizeof *ncover);
    double hh_total = 0, hh_before = 0, hh_kept = 0;
    for (size_t i = 0; rc == 0 && i < nd && afail_live(&r->fail); i++) {
        afeat *c = &comms.f[i];
        double hh = afeat_num(c, C_HH);
        hh_total += hh;
        within w = {r, c->g, radius, NULL, 0, 0, &points};
        aset_near(&points, c->g, radius, collect_within, &w);
        if (srch) {
            if (net_search_run(srch, &cspots[i], 0, radius - cspots[i].access) != 0) {
                rc = gisd_fail(err, GISD_E_TIMEOUT, "the optimisation was cancelled at its deadline or at shutdown");
                free(w.hits);
                break;
            }
            w.n = network_within(srch, w.hits, w.n, pspots, radius);
        }
        for (size_t k = 0; k < w.n; k++)
            if (points.f[w.hits[k]].vals[1] && strcmp(points.f[w.hits[k]].vals[1], "community") == 0)
                before[i] = 1;
        free(w.hits);
        kept[i] = keep && before[i];
        hh_before += before[i] ? hh : 0;
        hh_kept += kept[i] ? hh : 0;
        if (kept[i])
            continue;
        within wc = {r, c->g, radius, NULL, 0, 0, &cset};
        aset_near(&cset, c->g, radius, collect_within, &wc);
        if (srch)
            wc.n = network_within(srch, wc.hits, wc.n, kspots, radius);
        cover[i] = wc.hits;
        ncover[i] = wc.n;
    }
    if (rc == 0 && r->fail.failed)
        rc = -1;
    milp *m = NULL;
    milp_result res = {0};
    char *dominated = xcalloc(cand.n + 1, 1);
    int *col = xreallocarray(NULL, cand.n + 1, sizeof *col);
    if (rc == 0) {
        drop_dominated(cover, ncover, nd, cand.n, dominated);
        m = milp_new(mclp ? MILP_MAX : MILP_MIN);
        for (size_t j = 0; j < cand.n; j++)
            col[j] = dominated[j] ? -1 : milp_col(m, 0, 1, mclp ? 0 : 1, 1);
        double *ones = xreallocarray(NULL, cand.n + 1, sizeof *ones);
        int *cols = xreallocarray(NULL, cand.n + 1, sizeof *cols);
        for (size_t i = 0; i < nd; i++) {
            if (kept[i] || ncover[i] == 0)
                continue;
            size_t n = 0;
            for (size_t k = 0; k < ncover[i]; k++)
                if (col[cover[i][k]] >= 0) {
                    cols[n] = col[cover[i][k]];
                    ones[n++] = 1;
                }
            if (mclp) {
                /* y_i <= sum of x_j over the candidates reaching i */
                cols[n] = milp_col(m, 0, 1, afeat_num(&comms.f[i], C_HH), 0);
                ones[n] = -1;
                milp_row(m, 0, INFINITY, n + 1, cols, ones);
            } else {
                milp_row(m, 1, INFINITY, n, cols, NULL);
            }
        }
        if (mclp) {
            size_t n = 0;
            for (size_t j = 0; j < cand.n; j++)
                if (col[j] >= 0)
                    cols[n++] = col[j];
            milp_row(m, -INFINITY, (double)p, n, cols, NULL);
        }
        free(ones);
        free(cols);
        if (mclp) /* the kept points' households, so progress shows the objective */
            milp_offset(m, hh_kept);
        rc = opt_solve(r, m, &res, err);
    }
    if (rc == 0) {
        char **sel = xreallocarray(NULL, cand.n + 1, sizeof *sel);
        size_t nsel = 0;
        char *chosen = xcalloc(cand.n + 1, 1);
        for (size_t j = 0; j < cand.n; j++)
            if (col[j] >= 0 && res.x[col[j]] > 0.5) {
                chosen[j] = 1;
                sel[nsel++] = cand.ids[j];
            }
        qsort(sel, nsel, sizeof *sel, opt_str_cmp);
        /* what the layout covers, recomputed from the chosen candidates */
        double hh_after = hh_kept;
        char **unc = xreallocarray(NULL, nd + 1, sizeof *unc);
        size_t nunc = 0;
        for (size_t i = 0; i < nd; i++) {
            if (kept[i])
                continue;
            int hit = 0;
            for (size_t k = 0; k < ncover[i] && !hit; k++)
                hit = chosen[cover[i][k]];
            hh_after += hit ? afeat_num(&comms.f[i], C_HH) : 0;
            if (ncover[i] == 0)
                unc[nunc++] = comms.f[i].vals[C_ID];
        }
        qsort(unc, nunc, sizeof *unc, opt_str_cmp);
        json_t *sl = json_array(), *ul = json_array();
        for (size_t k = 0; k < nsel; k++)
            json_array_append_new(sl, json_string(sel[k]));
        for (size_t k = 0; k < nunc; k++)
            json_array_append_new(ul, json_string(unc[k]));
        double objective = mclp ? hh_after : (double)nsel;
        double bound = res.bound;
        *out = json_object();
        json_object_set_new(*out, "mode", json_string(mclp ? "mclp" : "lscp"));
        json_object_set_new(*out, "radius_m", analysis_number(radius));
        json_object_set_new(*out, "p", mclp ? json_integer(p) : json_null());
        json_object_set_new(*out, "existing", json_integer(keep ? (json_int_t)nexist : 0));
        json_object_set_new(*out, "candidates", json_integer((json_int_t)cand.n));
        json_object_set_new(*out, "selected", sl);
        json_object_set_new(*out, "households", analysis_number(hh_total));
        json_object_set_new(*out, "households_covered_before", analysis_number(hh_before));
        json_object_set_new(*out, "households_covered_after", analysis_number(hh_after));
        json_object_set_new(*out, "coverage_ratio_before", opt_number(hh_total > 0 ? hh_before / hh_total : 0, 6));
        json_object_set_new(*out, "coverage_ratio_after", opt_number(hh_total > 0 ? hh_after / hh_total : 0, 6));
        json_object_set_new(*out, "uncoverable", ul);
        anet_describe(&np, *out);
        opt_report(*out, &res, objective, mclp ? fmax(bound, objective) : fmin(bound, objective));
        opt_map map;
        if (r->geojson && (rc = opt_map_open(r, &map)) == 0) {
            for (size_t j = 0; j < cand.n; j++)
                if (chosen[j])
                    opt_map_point(&map, cand.geoms[j], json_pack("{s:s, s:s}", "kind", "selected", "id", cand.ids[j]));
            for (size_t i = 0; i < nd; i++) {
                int hit = 0;
                for (size_t k = 0; !kept[i] && k < ncover[i] && !hit; k++)
                    hit = chosen[cover[i][k]];
                if (hit || (!kept[i] && ncover[i] == 0))
                    opt_map_point(&map, comms.f[i].g,
                                  json_pack("{s:s, s:s, s:o}", "kind", hit ? "newly_covered" : "uncoverable",
                                            "community_id", comms.f[i].vals[C_ID], "households",
                                            analysis_number(afeat_num(&comms.f[i], C_HH))));
            }
            *out = opt_map_finish(&map, *out);
        }
        free(sel);
        free(chosen);
        free(unc);
    }
    milp_free(m);
    net_search_free(srch);
    free(cspots);
    free(pspots);
    free(kspots);
    anet_close(&an);
    free(col);
    free(dominated);
    for (size_t i = 0; i < nd; i++)
        free(cover[i]);
    free(cover);
    free(ncover);
    free(before);
    free(kept);
    if (ctree)
        GEOSSTRtree_destroy_r(r->h, ctree);
    free(cfeat);
    cand_free(&cand);
    cand_free(&all);
    opt_sites_free(r, user, nuser);
    aset_free(&comms);
    aset_free(&points);
    aset_free(&areas);
    return rc;
}

static size_t uf_find(size_t *up, size_t x)
{
    while (up[x] != x)
        x = up[x] = up[up[x]];
    return x;
}

/* The p-median over a road matrix whose communities and candidates fall
 * into parts no road joins (islands, or cities apart): each part solved
 * for every number of centres it could take, and the p centres shared
 * between the parts by dynamic programming, exactly; the bound the same
 * way from the parts' bounds. One part: pmedian_solve itself. A pair that
 * cannot be driven costs big. 0, or -1 with err. */
static int pmedian_by_parts(const pmedian_problem *pb, double big, pmedian_result *out, gisd_error *err)
{
    size_t nd = pb->nd, nc = pb->nc;
    size_t *up = xmalloc((nc + 1) * sizeof *up), *part = xmalloc((nc + 1) * sizeof *part);
    for (size_t j = 0; j < nc; j++)
        up[j] = j;
    for (size_t i = 0; i < nd; i++) {
        size_t first = nc;
        for (size_t j = 0; j < nc; j++)
            if (pb->dist[i * nc + j] < big) {
                if (first == nc)
                    first = j;
                else
                    up[uf_find(up, j)] = uf_find(up, first);
            }
    }
    /* the parts holding communities, numbered 0.. (part[root]); nc: none */
    size_t nparts = 0;
    for (size_t j = 0; j < nc; j++)
        part[j] = nc;
    size_t *of_comm = xmalloc((nd + 1) * sizeof *of_comm);
    for (size_t i = 0; i < nd; i++) {
        size_t j = 0;
        while (j < nc && !(pb->dist[i * nc + j] < big))
            j++;
        size_t root = uf_find(up, j); /* every served community reaches one */
        if (part[root] == nc)
            part[root] = nparts++;
        of_comm[i] = part[root];
    }
    if (nparts <= 1) {
        free(up);
        free(part);
        free(of_comm);
        return pmedian_solve(pb, out, err);
    }
    size_t pmax = (size_t)pb->p;
    /* cost[k][q], bound[k][q] for q = 1..m_k centres in part k, and the layout */
    double **cost = xcalloc(nparts, sizeof *cost), **bnd = xcalloc(nparts, sizeof *bnd);
    char ***open = xcalloc(nparts, sizeof *open);
    size_t *m = xcalloc(nparts, sizeof *m), **cands = xcalloc(nparts, sizeof *cands);
    int rc = 0, optimal = 1;
    double t0 = cancel_now();
    for (size_t k = 0; k < nparts && rc == 0; k++) {
        size_t nk = 0;
        cands[k] = xmalloc((nc + 1) * sizeof **cands);
        for (size_t j = 0; j < nc; j++)
            if (part[uf_find(up, j)] == k)
                cands[k][m[k]++] = j;
        for (size_t i = 0; i < nd; i++)
            nk += of_comm[i] == k;
        double *d = xmalloc((nk * m[k] + 1) * sizeof *d), *wk = xmalloc((nk + 1) * sizeof *wk);
        size_t row = 0;
        for (size_t i = 0; i < nd; i++) {
            if (of_comm[i] != k)
                continue;
            wk[row] = pb->w[i];
            for (size_t c = 0; c < m[k]; c++)
                d[row * m[k] + c] = pb->dist[i * nc + cands[k][c]];
            row++;
        }
        size_t qmax = m[k] < pmax ? m[k] : pmax;
        cost[k] = xmalloc((qmax + 1) * sizeof **cost);
        bnd[k] = xmalloc((qmax + 1) * sizeof **bnd);
        open[k] = xcalloc(qmax + 1, sizeof **open);
        cost[k][0] = bnd[k][0] = INFINITY; /* a part without a centre leaves its communities unserved */
        for (size_t q = 1; q <= qmax && rc == 0; q++) {
            double left = pb->time_limit_s - (cancel_now() - t0);
            pmedian_problem sub = {nk, m[k], NULL, NULL, wk, NULL, NULL, (long)q, left > 1 ? left : 1, NULL, d};
            pmedian_result r = {0};
            if ((rc = pmedian_solve(&sub, &r, err)) != 0)
                break;
            /* a layout leaving a community with no centre it can reach is none */
            int reaches = 1;
            for (size_t i = 0; i < nk && reaches; i++) {
                int any = 0;
                for (size_t c = 0; c < m[k] && !any; c++)
                    any = r.open[c] && d[i * m[k] + c] < big;
                reaches = any;
            }
            cost[k][q] = reaches ? r.objective : INFINITY;
            /* the relaxed problem's bound holds for the real one: its layouts cost the same there */
            bnd[k][q] = r.bound;
            optimal &= !reaches || r.optimal;
            open[k][q] = r.open;
        }
        if (rc == 0 && cancel_requested())
            rc = gisd_fail(err, GISD_E_TIMEOUT, "the optimisation was cancelled at its deadline or at shutdown");
        free(d);
        free(wk);
    }
    if (rc == 0) {
        /* best[k][q]: the least cost of parts 0..k-1 with q centres among them */
        size_t W = pmax + 1;
        double *best = xmalloc((nparts + 1) * W * sizeof *best), *lb = xmalloc((nparts + 1) * W * sizeof *lb);
        size_t *take = xcalloc((nparts + 1) * W, sizeof *take);
        for (size_t q = 0; q < W; q++)
            best[q] = lb[q] = q == 0 ? 0 : INFINITY;
        for (size_t k = 0; k < nparts; k++) {
            size_t qmax = m[k] < pmax ? m[k] : pmax;
            for (size_t q = 0; q < W; q++) {
                double b = INFINITY, l = INFINITY;
                size_t t = 0;
                for (size_t qk = 1; qk <= qmax && qk <= q; qk++) {
                    double c = best[k * W + q - qk] + cost[k][qk], cl = lb[k * W + q - qk] + bnd[k][qk];
                    if (c < b) {
                        b = c;
                        t = qk;
                    }
                    l = fmin(l, cl);
                }
                best[(k + 1) * W + q] = b;
                lb[(k + 1) * W + q] = l;
                take[(k + 1) * W + q] = t;
            }
        }
        /* more centres never cost more: the best of at most p, the rest opened anywhere */
        size_t qbest = 0;
        double lbest = INFINITY;
        for (size_t q = 0; q < W; q++) {
            if (best[nparts * W + q] < best[nparts * W + qbest])
                qbest = q;
            lbest = fmin(lbest, lb[nparts * W + q]);
        }
        if (!isfinite(best[nparts * W + qbest])) {
            rc = gisd_fail(err, GISD_E_INPUT,
                           "no layout of %ld sorting centres is reached from every community along the roads: the "
                           "communities fall into %zu parts no road joins, each needing its own centres; raise p, or "
                           "fix the network (gisd network check)",
                           pb->p, nparts);
        } else {
            out->open = xcalloc(nc + 1, 1);
            size_t q = qbest, opened = 0;
            for (size_t k = nparts; k-- > 0;) {
                size_t qk = take[(k + 1) * W + q];
                for (size_t c = 0; c < m[k]; c++)
                    if (open[k][qk][c]) {
                        out->open[cands[k][c]] = 1;
                        opened++;
                    }
                q -= qk;
            }
            for (size_t j = 0; j < nc && opened < pmax; j++)
                if (!out->open[j]) {
                    out->open[j] = 1;
                    opened++;
                }
            out->objective = best[nparts * W + qbest];
            out->bound = fmin(lbest, out->objective);
            out->optimal = optimal && out->objective - out->bound <= 1e-9 * fmax(1, out->objective);
        }
        free(best);
        free(lb);
        free(take);
    }
    for (size_t k = 0; k < nparts; k++) {
        size_t qmax = m[k] < pmax ? m[k] : pmax;
        for (size_t q = 0; open[k] && q <= qmax; q++)
            free(open[k][q]);
        free(open[k]);
        free(cost[k]);
        free(bnd[k]);
        free(cands[k]);
    }
    free(open);
    free(cost);
    free(bnd);
    free(cands);
    free(m);
    free(up);
    free(part);
    free(of_comm);
    return rc;
}

/* The network distances from each community to each candidate (nd x nc,
 * the caller's; INFINITY where none) in *out: 0, or -1 with err. */
static int sorting_matrix(opt_run *r, const net_params *np, aset *comms, const cand_list *cand, double **out,
                          gisd_error *err)
{
    *out = NULL;
    anet an;
    if (anet_open(r->st, r->reg, r->srid, np, &an, err) != 0)
        return -1;
    net_spot *cs = anet_snap_set(&an, NET_DRIVE, comms, &r->fail);
    size_t nd = comms->n, nc = cand->n;
    double *d = xmalloc((nd * nc + 1) * sizeof *d);
    net_search *srch = net_search_new(an.net, NET_DRIVE);
    int rc = cs ? 0 : -1;
    for (size_t j = 0; rc == 0 && j < nc; j++) {
        double x, y;
        net_spot sj;
        if (!afail_ok(&r->fail, GEOSGeomGetX_r(r->h, cand->geoms[j], &x) && GEOSGeomGetY_r(r->h, cand->geoms[j], &y),
                      "reading a candidate's point")) {
            rc = -1;
            break;
        }
        network_snap(an.net, NET_DRIVE, x, y, an.snap_max_m, &sj);
        if (net_search_run(srch, &sj, 1, INFINITY) != 0)
            rc = gisd_fail(err, GISD_E_TIMEOUT, "the optimisation was cancelled at its deadline or at shutdown");
        for (size_t i = 0; rc == 0 && i < nd; i++)
            d[i * nc + j] = net_search_dist(srch, &cs[i]);
    }
    net_search_free(srch);
    free(cs);
    anet_close(&an);
    if (rc != 0) {
        free(d);
        return -1;
    }
    *out = d;
    return 0;
}

int optimize_sorting(opt_run *r, const param_values *v, json_t *candidates, json_t **out,
                     gisd_error *err)
{
    long p = (long)param_num(v, "p");
    static const char *const cf[] = {"community_id", "households", NULL};
    static const char *const pf[] = {"point_id", "level", NULL};
    aset comms = {0}, points = {0};
    opt_site *user = NULL;
    size_t nuser = 0;
    int rc = aset_load(r->h, r->st, r->reg, "communities", r->srid, cf, NULL, &comms, &r->fail) ||
             aset_load(r->h, r->st, r->reg, "recycling_points", r->srid, pf, NULL, &points, &r->fail)
                 ? -1 : 0;
    if (rc == 0 && candidates)
        rc = opt_candidates(r, candidates, &user, &nuser, err);
    cand_list cand = {0};
    if (rc == 0) {
        if (user) {
            cand_from_sites(&cand, user, nuser);
        } else {
            cand.ids = xreallocarray(NULL, points.n, sizeof *cand.ids);
            cand.geoms = xreallocarray(NULL, points.n, sizeof *cand.geoms);
            for (size_t i = 0; i < points.n; i++) {
                const char *lv = points.f[i].vals[1];
                if (lv && (strcmp(lv, "transit") == 0 || strcmp(lv, "sorting") == 0)) {
                    cand.ids[cand.n] = points.f[i].vals[0];
                    cand.geoms[cand.n++] = points.f[i].g;
                }
            }
        }
        if ((size_t)p > cand.n)
            rc = gisd_fail(err, GISD_E_INPUT, "p %ld is more than the %zu candidates", p, cand.n);
    }
    size_t nd = comms.n, nc = cand.n;
    /* communities and candidates are points: their distances are measured
     * on coordinates, so nothing holds the communities x candidates matrix */
    double *dx = xreallocarray(NULL, nd + 1, sizeof *dx), *dy = xreallocarray(NULL, nd + 1, sizeof *dy);
    double *w = xreallocarray(NULL, nd + 1, sizeof *w);
    double *cx = xreallocarray(NULL, nc + 1, sizeof *cx), *cy = xreallocarray(NULL, nc + 1, sizeof *cy);
    for (size_t i = 0; rc == 0 && i < nd && afail_live(&r->fail); i++) {
        w[i] = afeat_num(&comms.f[i], C_HH);
        afail_ok(&r->fail, GEOSGeomGetX_r(r->h, comms.f[i].g, &dx[i]) == 1 &&
                               GEOSGeomGetY_r(r->h, comms.f[i].g, &dy[i]) == 1,
                 "reading a community's point");
    }
    for (size_t j = 0; rc == 0 && j < nc && afail_live(&r->fail); j++)
        afail_ok(&r->fail, GEOSGeomGetX_r(r->h, cand.geoms[j], &cx[j]) == 1 &&
                               GEOSGeomGetY_r(r->h, cand.geoms[j], &cy[j]) == 1,
                 "reading a candidate's point");
    if (rc == 0 && r->fail.failed)
        rc = -1;
    /* with distance=network: the communities x candidates matrix along the
     * roads, one backwards search from each candidate */
    net_params np = analysis_net_params(v);
    int ignore = strcmp(param_text(v, "unreachable"), "ignore") == 0;
    double *dist = NULL;
    char *served = NULL; /* the communities in the problem */
    size_t nserved = nd;
    json_t *unreach = NULL;
    double big = INFINITY; /* the cost of a pair that cannot be driven */
    if (rc == 0 && np.network && (rc = sorting_matrix(r, &np, &comms, &cand, &dist, err)) == 0) {
        served = xcalloc(nd + 1, 1);
        unreach = json_array();
        nserved = 0;
        for (size_t i = 0; i < nd; i++) {
            for (size_t j = 0; j < nc && !served[i]; j++)
                served[i] = isfinite(dist[i * nc + j]);
            nserved += served[i];
            if (!served[i])
                json_array_append_new(unreach, json_string(comms.f[i].vals[C_ID]));
        }
        if (json_array_size(unreach) && !ignore) {
            char *ids = json_dumps(unreach, JSON_COMPACT);
            rc = gisd_fail(err, GISD_E_INPUT,
                           "%zu communities reach no candidate along the roads (%.300s): fix the network "
                           "(gisd network check) or pass unreachable=ignore to leave them out",
                           json_array_size(unreach), ids);
            free(ids);
        }
        /* the problem holds the served communities only; a pair that cannot
         * be driven costs more than any layout that drives every pair */
        size_t k = 0;
        double maxd = 0, wsum = 0, wmin = INFINITY;
        for (size_t i = 0; i < nd; i++)
            for (size_t j = 0; served[i] && j < nc; j++)
                if (isfinite(dist[i * nc + j]))
                    maxd = fmax(maxd, dist[i * nc + j]);
        for (size_t i = 0; i < nd; i++)
            if (served[i]) {
                wsum += w[i];
                if (w[i] > 0)
                    wmin = fmin(wmin, w[i]);
            }
        big = 2 * (maxd + 1) * (isfinite(wmin) ? wsum / wmin : 1) + 1;
        for (size_t i = 0; i < nd; i++) {
            if (!served[i])
                continue;
            w[k] = w[i];
            for (size_t j = 0; j < nc; j++)
                dist[k * nc + j] = isfinite(dist[i * nc + j]) ? dist[i * nc + j] : big;
            k++;
        }
    }
    pmedian_result pr = {0};
    milp_result res = {0};
    if (rc == 0) {
        pmedian_problem pb = {nserved, nc, dx, dy, w, cx, cy, p, r->time_limit_s, r->progress, dist};
        rc = dist ? pmedian_by_parts(&pb, big, &pr, err) : pmedian_solve(&pb, &pr, err);
        res.feasible = 1;
        res.optimal = pr.optimal;
        res.objective = pr.objective;
        res.bound = pr.bound;
    }
    if (rc == 0) {
        /* each community to its nearest selected candidate (ties: the smaller id) */
        size_t *open = xreallocarray(NULL, nc + 1, sizeof *open), nopen = 0;
        for (size_t j = 0; j < nc; j++)
            if (pr.open[j])
                open[nopen++] = j;
        long *ncomm = xcalloc(nc + 1, sizeof *ncomm);
        size_t *served_by = xreallocarray(NULL, nd + 1, sizeof *served_by);
        double *dist_of = xreallocarray(NULL, nd + 1, sizeof *dist_of);
        double *hh_of = xcalloc(nc + 1, sizeof *hh_of);
        double hkm = 0, hsum = 0, hd = 0, dmax = 0;
        /* the network problem numbered the served communities only */
        size_t row = 0;
        for (size_t i = 0; i < nd && rc == 0; i++) {
            served_by[i] = (size_t)-1;
            if (served && !served[i])
                continue;
            size_t at = served ? row++ : i;
            size_t best = open[0];
            for (size_t k = 1; k < nopen; k++) {
                size_t j = open[k];
                double a = dist ? dist[at * nc + j] : hypot(dx[i] - cx[j], dy[i] - cy[j]);
                double b = dist ? dist[at * nc + best] : hypot(dx[i] - cx[best], dy[i] - cy[best]);
                if (a < b || (a == b && strcmp(cand.ids[j], cand.ids[best]) < 0))
                    best = j;
            }
            double hh = w[at], d = dist ? dist[at * nc + best] : hypot(dx[i] - cx[best], dy[i] - cy[best]);
            if (dist && d >= big) {
                rc = gisd_fail(err, GISD_E_INPUT,
                               "no layout of %ld sorting centres is reached from every community along the roads "
                               "(%s reaches none of the best): raise p, or fix the network (gisd network check)",
                               p, comms.f[i].vals[C_ID]);
                break;
            }
            served_by[i] = best;
            dist_of[i] = d;
            ncomm[best]++;
            hh_of[best] += hh;
            hkm += hh * d / 1000.0;
            hsum += hh;
            hd += hh * d;
            dmax = fmax(dmax, d);
        }
        const char **sel = xreallocarray(NULL, nopen + 1, sizeof *sel);
        for (size_t k = 0; k < nopen; k++)
            sel[k] = cand.ids[open[k]];
        qsort(sel, nopen, sizeof *sel, opt_str_cmp);
        json_t *sl = json_array(), *sites = json_array();
        for (size_t k = 0; k < nopen; k++) {
            json_array_append_new(sl, json_string(sel[k]));
            size_t j = 0;
            while (strcmp(cand.ids[j], sel[k]) != 0 || !pr.open[j])
                j++;
            json_array_append_new(sites, json_pack("{s:s, s:I, s:o}", "id", sel[k], "communities",
                                                   (json_int_t)ncomm[j], "households",
                                                   analysis_number(hh_of[j])));
        }
        *out = json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "p", (json_int_t)p, "candidates",
                         (json_int_t)nc, "selected", sl, "household_km", opt_number(hkm, 3),
                         "mean_distance_m", opt_number(hsum > 0 ? hd / hsum : 0, 3), "max_distance_m",
                         opt_number(dmax, 3), "sites", sites);
        anet_describe(&np, *out);
        if (unreach)
            json_object_set(*out, "unreachable", unreach);
        opt_report(*out, &res, hkm, fmin(res.bound, hkm));
        opt_map map;
        if (r->geojson && (rc = opt_map_open(r, &map)) == 0) {
            for (size_t k = 0; k < nopen; k++)
                opt_map_point(&map, cand.geoms[open[k]],
                              json_pack("{s:s, s:s}", "kind", "site", "id", cand.ids[open[k]]));
            /* each community carries the site serving it, for the map to colour by */
            for (size_t i = 0; i < nd; i++)
                if (served_by[i] != (size_t)-1)
                    opt_map_point(&map, comms.f[i].g,
                              json_pack("{s:s, s:s, s:s, s:o, s:o}", "kind", "community", "community_id",
                                        comms.f[i].vals[C_ID], "site_id", cand.ids[served_by[i]],
                                        "households", analysis_number(afeat_num(&comms.f[i], C_HH)),
                                        "distance_m", opt_number(dist_of[i], 3)));
            *out = opt_map_finish(&map, *out);
        }
        free(served_by);
        free(dist_of);
        free(open);
        free(ncomm);
        free(hh_of);
        free(sel);
    }
    free(pr.open);
    free(dist);
    free(served);
    json_decref(unreach);
    free(dx);
    free(dy);
    free(w);
    free(cx);
    free(cy);
    cand_free(&cand);
    opt_sites_free(r, user, nuser);
    aset_free(&comms);
    aset_free(&points);
    return rc;
}
