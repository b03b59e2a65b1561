/* hw-allocation: every producer's hazardous waste to capable facilities within
 * max_km, capacities respected; first the most tonnes served, then the least
 * tonne-km for them (two linear programs, no integers). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_net.h"
#include "optimize_int.h"
#include "xalloc.h"

enum { E_ID, E_TPY, E_CODES };
enum { F_ID, F_CODES, F_CAP };

typedef struct {
    size_t e, f;
    double d;
    int col;
} arc;

static int arc_order(const void *a, const void *b, void *ud)
{
    const arc *x = a, *y = b;
    aset *const *sets = ud;
    int c = strcmp(sets[0]->f[x->e].vals[E_ID], sets[0]->f[y->e].vals[E_ID]);
    return c ? c : strcmp(sets[1]->f[x->f].vals[F_ID], sets[1]->f[y->f].vals[F_ID]);
}

static int by_first(const void *a, const void *b, void *ud)
{
    aset *set = ud;
    return strcmp(set->f[*(const size_t *)a].vals[0], set->f[*(const size_t *)b].vals[0]);
}

/* One row sum <= ub[g] per group g of the arcs (by producer, or by_facility),
 * the arcs bucketed once rather than scanned per group. */
static void rows_by(milp *m, const arc *arcs, size_t narcs, int by_facility, size_t ngroups,
                    const double *ub)
{
    size_t *start = xcalloc(ngroups + 1, sizeof *start);
    int *cols = xreallocarray(NULL, narcs + 1, sizeof *cols);
    for (size_t k = 0; k < narcs; k++)
        start[(by_facility ? arcs[k].f : arcs[k].e) + 1]++;
    for (size_t g = 0; g < ngroups; g++)
        start[g + 1] += start[g];
    size_t *next = xreallocarray(NULL, ngroups + 1, sizeof *next);
    memcpy(next, start, (ngroups + 1) * sizeof *next);
    for (size_t k = 0; k < narcs; k++)
        cols[next[by_facility ? arcs[k].f : arcs[k].e]++] = arcs[k].col;
    for (size_t g = 0; g < ngroups; g++)
        if (start[g + 1] > start[g])
            milp_row(m, 0, ub[g], start[g + 1] - start[g], cols + start[g], NULL);
    free(start);
    free(next);
    free(cols);
}

int optimize_hw(opt_run *r, const param_values *v, json_t *candidates, json_t **out, gisd_error *err)
{
    (void)candidates;
    double max_m = param_num(v, "max_km") * 1000.0;
    static const char *const ef[] = {"ent_id", "hw_tpy", "hw_codes", NULL};
    static const char *const ff[] = {"facility_id", "hw_codes", "capacity_tpy", NULL};
    aset ents = {0}, facs = {0};
    if (aset_load(r->h, r->st, r->reg, "enterprises", r->srid, ef, NULL, &ents, &r->fail) ||
        aset_load(r->h, r->st, r->reg, "hw_facilities", r->srid, ff, NULL, &facs, &r->fail)) {
        aset_free(&ents);
        return -1;
    }
    /* with distance=network: tonne-km along the roads dangerous goods may use */
    net_params np = analysis_net_params(v);
    anet an;
    if (anet_open(r->st, r->reg, r->srid, &np, &an, err) != 0) {
        aset_free(&ents);
        aset_free(&facs);
        return -1;
    }
    net_spot *es = NULL, *fs = NULL;
    net_search *srch = NULL;
    if (an.net) {
        es = anet_snap_set(&an, NET_HAZMAT, &ents, &r->fail);
        fs = es ? anet_snap_set(&an, NET_HAZMAT, &facs, &r->fail) : NULL;
        srch = net_search_new(an.net, NET_HAZMAT);
    }
    arc *arcs = NULL;
    size_t narcs = 0, cap = 0;
    double tonnes = 0;
    for (size_t e = 0; e < ents.n && afail_live(&r->fail); e++) {
        if (afeat_num(&ents.f[e], E_TPY) <= 0)
            continue;
        tonnes += afeat_num(&ents.f[e], E_TPY);
        if (srch && net_search_run(srch, &es[e], 0, max_m - es[e].access) != 0)
            break; /* the deadline: afail_live records it */
        for (size_t f = 0; f < facs.n; f++) {
            double d;
            if (!hw_codes_cover(facs.f[f].vals[F_CODES], ents.f[e].vals[E_CODES]))
                continue;
            if (srch)
                d = net_search_dist(srch, &fs[f]);
            else if (!afail_ok(&r->fail, GEOSDistance_r(r->h, ents.f[e].g, facs.f[f].g, &d), "measuring a distance"))
                continue;
            if (d > max_m)
                continue;
            if (narcs == cap) {
                cap = cap ? cap * 2 : 256;
                arcs = xreallocarray(arcs, cap, sizeof *arcs);
            }
            arcs[narcs++] = (arc){e, f, d, 0};
        }
    }
    int rc = r->fail.failed || !afail_live(&r->fail) || (an.net && !fs) ? -1 : 0;
    milp *m = milp_new(MILP_MAX);
    milp_result res = {0};
    int total_row = -1;
    if (rc == 0) {
        for (size_t k = 0; k < narcs; k++)
            arcs[k].col = milp_col(m, 0, INFINITY, 1, 0);
        /* what each producer sends, and what each facility takes */
        double *tpy = xreallocarray(NULL, ents.n + 1, sizeof *tpy), *cap = xreallocarray(NULL, facs.n + 1, sizeof *cap);
        for (size_t e = 0; e < ents.n; e++)
            tpy[e] = afeat_num(&ents.f[e], E_TPY);
        for (size_t f = 0; f < facs.n; f++)
            cap[f] = fmax(0, afeat_num(&facs.f[f], F_CAP));
        rows_by(m, arcs, narcs, 0, ents.n, tpy);
        rows_by(m, arcs, narcs, 1, facs.n, cap);
        free(tpy);
        free(cap);
        int *cols = xreallocarray(NULL, narcs + 1, sizeof *cols);
        for (size_t k = 0; k < narcs; k++)
            cols[k] = arcs[k].col;
        total_row = milp_row(m, 0, INFINITY, narcs, cols, NULL);
        free(cols);
        rc = opt_solve(r, m, &res, err);
    }
    double served = 0;
    if (rc == 0) {
        /* second: the least tonne-km for (all but a hair of) the most tonnes */
        served = res.objective;
        double *obj = xreallocarray(NULL, narcs + 1, sizeof *obj);
        for (size_t k = 0; k < narcs; k++)
            obj[k] = arcs[k].d / 1000.0;
        milp_objective(m, MILP_MIN, obj);
        free(obj);
        milp_row_bounds(m, total_row, served - 1e-4, INFINITY);
        rc = opt_solve(r, m, &res, err);
    }
    if (rc == 0) {
        aset *sets[2] = {&ents, &facs};
        qsort_r(arcs, narcs, sizeof *arcs, arc_order, sets);
        double *sent = xcalloc(ents.n + 1, sizeof *sent), *taken = xcalloc(facs.n + 1, sizeof *taken);
        double tkm = 0, served_t = 0;
        json_t *flows = json_array();
        for (size_t k = 0; k < narcs; k++) {
            double t = res.x[arcs[k].col];
            sent[arcs[k].e] += t;
            taken[arcs[k].f] += t;
            tkm += t * arcs[k].d / 1000.0;
            served_t += t;
            if (t > 0.001)
                json_array_append_new(flows, json_pack("{s:s, s:s, s:o, s:o}", "ent_id",
                                                       ents.f[arcs[k].e].vals[E_ID], "facility_id",
                                                       facs.f[arcs[k].f].vals[F_ID], "tonnes",
                                                       opt_number(t, 3), "distance_m", opt_number(arcs[k].d, 3)));
        }
        size_t *order = xreallocarray(NULL, (ents.n > facs.n ? ents.n : facs.n) + 1, sizeof *order);
        for (size_t f = 0; f < facs.n; f++)
            order[f] = f;
        qsort_r(order, facs.n, sizeof *order, by_first, &facs);
        json_t *fl = json_array();
        for (size_t k = 0; k < facs.n; k++) {
            size_t f = order[k];
            double c = afeat_num(&facs.f[f], F_CAP);
            json_array_append_new(fl, json_pack("{s:s, s:o, s:o, s:o}", "facility_id", facs.f[f].vals[F_ID],
                                                "capacity_tpy", analysis_number(c), "assigned_t",
                                                opt_number(taken[f], 3), "utilisation",
                                                opt_number(c > 0 ? taken[f] / c : 0, 6)));
        }
        for (size_t e = 0; e < ents.n; e++)
            order[e] = e;
        qsort_r(order, ents.n, sizeof *order, by_first, &ents);
        json_t *ul = json_array();
        for (size_t k = 0; k < ents.n; k++) {
            size_t e = order[k];
            double left = afeat_num(&ents.f[e], E_TPY) - sent[e];
            if (afeat_num(&ents.f[e], E_TPY) > 0 && left > 0.001)
                json_array_append_new(ul, json_pack("{s:s, s:o}", "ent_id", ents.f[e].vals[E_ID],
                                                    "tonnes", opt_number(left, 3)));
        }
        *out = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "max_km",
                         analysis_number(param_num(v, "max_km")), "tonnes", opt_number(tonnes, 3),
                         "served_t", opt_number(served_t, 3), "unserved_t",
                         opt_number(tonnes - served_t, 3), "tonne_km", opt_number(tkm, 3), "flows",
                         flows, "facilities", fl, "unserved", ul);
        anet_describe(&np, *out);
        opt_report(*out, &res, tkm, fmin(res.bound, tkm));
        opt_map map;
        if (r->geojson && (rc = opt_map_open(r, &map)) == 0) {
            /* the waste flows as lines, weighted by tonnes; what stays unserved as points */
            for (size_t k = 0; k < narcs; k++) {
                if (res.x[arcs[k].col] <= 0.001)
                    continue;
                json_t *props = json_pack("{s:s, s:s, s:s, s:o}", "kind", "flow", "ent_id", ents.f[arcs[k].e].vals[E_ID],
                                          "facility_id", facs.f[arcs[k].f].vals[F_ID], "tonnes",
                                          opt_number(res.x[arcs[k].col], 3));
                if (!srch) {
                    opt_map_link(r, &map, ents.f[arcs[k].e].g, facs.f[arcs[k].f].g, props);
                    continue;
                }
                /* the flow along its route */
                double x0, y0, x1, y1;
                GEOSGeometry *line = NULL;
                size_t e = arcs[k].e, f = arcs[k].f;
                if (afail_ok(&r->fail, GEOSGeomGetX_r(r->h, ents.f[e].g, &x0) && GEOSGeomGetY_r(r->h, ents.f[e].g, &y0) &&
                                           GEOSGeomGetX_r(r->h, facs.f[f].g, &x1) && GEOSGeomGetY_r(r->h, facs.f[f].g, &y1),
                             "reading a point") &&
                    net_search_run(srch, &es[e], 0, max_m) == 0) {
                    size_t len;
                    double *xy = anet_route_vertices(an.net, srch, x0, y0, &fs[f], x1, y1, NULL, &len);
                    line = anet_geos_line(r->h, xy, len, &r->fail);
                    free(xy);
                }
                if (line) {
                    opt_map_point(&map, line, props);
                    GEOSGeom_destroy_r(r->h, line);
                } else {
                    json_decref(props);
                }
            }
            for (size_t e = 0; e < ents.n; e++) {
                double left = afeat_num(&ents.f[e], E_TPY) - sent[e];
                if (afeat_num(&ents.f[e], E_TPY) > 0 && left > 0.001)
                    opt_map_point(&map, ents.f[e].g, json_pack("{s:s, s:s, s:o}", "kind", "unserved", "ent_id",
                                                               ents.f[e].vals[E_ID], "tonnes", opt_number(left, 3)));
            }
            for (size_t f = 0; f < facs.n; f++)
                opt_map_point(&map, facs.f[f].g, json_pack("{s:s, s:s, s:o}", "kind", "facility", "facility_id",
                                                           facs.f[f].vals[F_ID], "assigned_t", opt_number(taken[f], 3)));
            *out = opt_map_finish(&map, *out);
            if (r->fail.failed)
                rc = -1;
        }
        free(sent);
        free(taken);
        free(order);
    }
    milp_free(m);
    free(arcs);
    net_search_free(srch);
    free(es);
    free(fs);
    anet_close(&an);
    aset_free(&ents);
    aset_free(&facs);
    return rc;
}
