/* recycling-siting (maximal or set covering) and sorting-siting (p-median). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optimize_int.h"
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

int optimize_recycling(opt_run *r, const opt_values *v, json_t *candidates, json_t **out,
                       gisd_error *err)
{
    double radius = opt_get(v, "radius_m");
    int mclp = opt_given(v, "p");
    long p = (long)opt_get(v, "p");
    int keep = strcmp(opt_choice(v, "existing"), "keep") == 0;
    int exclude = opt_get(v, "exclude_protected") != 0;
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
        cover[i] = wc.hits;
        ncover[i] = wc.n;
    }
    if (rc == 0 && r->fail.failed)
        rc = -1;
    milp *m = NULL;
    milp_result res = {0};
    if (rc == 0) {
        m = milp_new(mclp ? MILP_MAX : MILP_MIN);
        for (size_t j = 0; j < cand.n; j++)
            milp_col(m, 0, 1, mclp ? 0 : 1, 1);
        double *ones = xreallocarray(NULL, cand.n + 1, sizeof *ones);
        int *cols = xreallocarray(NULL, cand.n + 1, sizeof *cols);
        for (size_t i = 0; i < nd; i++) {
            if (kept[i] || ncover[i] == 0)
                continue;
            if (mclp) {
                /* y_i <= sum of x_j over the candidates reaching i */
                int y = milp_col(m, 0, 1, afeat_num(&comms.f[i], C_HH), 0);
                for (size_t k = 0; k < ncover[i]; k++) {
                    cols[k] = cover[i][k];
                    ones[k] = 1;
                }
                cols[ncover[i]] = y;
                ones[ncover[i]] = -1;
                milp_row(m, 0, INFINITY, ncover[i] + 1, cols, ones);
            } else {
                milp_row(m, 1, INFINITY, ncover[i], cover[i], NULL);
            }
        }
        if (mclp) {
            for (size_t j = 0; j < cand.n; j++)
                cols[j] = (int)j;
            milp_row(m, -INFINITY, (double)p, cand.n, cols, NULL);
        }
        free(ones);
        free(cols);
        rc = opt_solve(r, m, &res, err);
    }
    if (rc == 0) {
        char **sel = xreallocarray(NULL, cand.n + 1, sizeof *sel);
        size_t nsel = 0;
        char *chosen = xcalloc(cand.n + 1, 1);
        for (size_t j = 0; j < cand.n; j++)
            if (res.x[j] > 0.5) {
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
        double bound = mclp ? res.bound + hh_kept : res.bound;
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

int optimize_sorting(opt_run *r, const opt_values *v, json_t *candidates, json_t **out,
                     gisd_error *err)
{
    long p = (long)opt_get(v, "p");
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
    double *dist = NULL;
    /* the assignment model has a column and a row per community and candidate */
    if (rc == 0 && (double)nd * (double)nc > OPT_PMEDIAN_MAX_PAIRS)
        rc = gisd_fail(err, GISD_E_INPUT,
                       "%zu communities x %zu candidates make %.0f assignments, more than the %d this "
                       "p-median takes; give fewer candidates", nd, nc, (double)nd * (double)nc,
                       OPT_PMEDIAN_MAX_PAIRS);
    if (rc == 0) {
        dist = xreallocarray(NULL, nd * nc + 1, sizeof *dist);
        for (size_t i = 0; i < nd && afail_live(&r->fail); i++)
            for (size_t j = 0; j < nc; j++)
                if (!afail_ok(&r->fail, GEOSDistance_r(r->h, comms.f[i].g, cand.geoms[j], &dist[i * nc + j]),
                              "measuring a distance"))
                    break;
        if (r->fail.failed)
            rc = -1;
    }
    milp *m = NULL;
    milp_result res = {0};
    if (rc == 0) {
        /* y_j: open j; x_ij: i served by j (continuous: with y integral the
         * nearest open j is optimal anyway) */
        m = milp_new(MILP_MIN);
        for (size_t j = 0; j < nc; j++)
            milp_col(m, 0, 1, 0, 1);
        int *cols = xreallocarray(NULL, nc + 1, sizeof *cols);
        for (size_t i = 0; i < nd; i++) {
            double hh = afeat_num(&comms.f[i], C_HH);
            for (size_t j = 0; j < nc; j++)
                cols[j] = milp_col(m, 0, 1, hh * dist[i * nc + j] / 1000.0, 0);
            milp_row(m, 1, 1, nc, cols, NULL);
            for (size_t j = 0; j < nc; j++) {
                int pair[2] = {cols[j], (int)j};
                double coef[2] = {1, -1};
                milp_row(m, -INFINITY, 0, 2, pair, coef);
            }
        }
        for (size_t j = 0; j < nc; j++)
            cols[j] = (int)j;
        milp_row(m, (double)p, (double)p, nc, cols, NULL);
        free(cols);
        rc = opt_solve(r, m, &res, err);
    }
    if (rc == 0) {
        /* each community to its nearest selected candidate (ties: the smaller id) */
        size_t *open = xreallocarray(NULL, nc + 1, sizeof *open), nopen = 0;
        for (size_t j = 0; j < nc; j++)
            if (res.x[j] > 0.5)
                open[nopen++] = j;
        long *ncomm = xcalloc(nc + 1, sizeof *ncomm);
        size_t *served_by = xreallocarray(NULL, nd + 1, sizeof *served_by);
        double *hh_of = xcalloc(nc + 1, sizeof *hh_of);
        double hkm = 0, hsum = 0, hd = 0, dmax = 0;
        for (size_t i = 0; i < nd; i++) {
            size_t best = open[0];
            for (size_t k = 1; k < nopen; k++) {
                size_t j = open[k];
                double a = dist[i * nc + j], b = dist[i * nc + best];
                if (a < b || (a == b && strcmp(cand.ids[j], cand.ids[best]) < 0))
                    best = j;
            }
            double hh = afeat_num(&comms.f[i], C_HH), d = dist[i * nc + best];
            served_by[i] = best;
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
            while (strcmp(cand.ids[j], sel[k]) != 0 || res.x[j] <= 0.5)
                j++;
            json_array_append_new(sites, json_pack("{s:s, s:I, s:o}", "id", sel[k], "communities",
                                                   (json_int_t)ncomm[j], "households",
                                                   analysis_number(hh_of[j])));
        }
        *out = json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "p", (json_int_t)p, "candidates",
                         (json_int_t)nc, "selected", sl, "household_km", opt_number(hkm, 3),
                         "mean_distance_m", opt_number(hsum > 0 ? hd / hsum : 0, 3), "max_distance_m",
                         opt_number(dmax, 3), "sites", sites);
        opt_report(*out, &res, hkm, fmin(res.bound, hkm));
        opt_map map;
        if (r->geojson && (rc = opt_map_open(r, &map)) == 0) {
            for (size_t k = 0; k < nopen; k++)
                opt_map_point(&map, cand.geoms[open[k]],
                              json_pack("{s:s, s:s}", "kind", "site", "id", cand.ids[open[k]]));
            /* each community carries the site serving it, for the map to colour by */
            for (size_t i = 0; i < nd; i++)
                opt_map_point(&map, comms.f[i].g,
                              json_pack("{s:s, s:s, s:s, s:o, s:o}", "kind", "community", "community_id",
                                        comms.f[i].vals[C_ID], "site_id", cand.ids[served_by[i]],
                                        "households", analysis_number(afeat_num(&comms.f[i], C_HH)),
                                        "distance_m", opt_number(dist[i * nc + served_by[i]], 3)));
            *out = opt_map_finish(&map, *out);
        }
        free(served_by);
        free(open);
        free(ncomm);
        free(hh_of);
        free(sel);
    }
    milp_free(m);
    free(dist);
    cand_free(&cand);
    opt_sites_free(r, user, nuser);
    aset_free(&comms);
    aset_free(&points);
    return rc;
}
