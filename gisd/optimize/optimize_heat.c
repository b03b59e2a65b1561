/* heat-extension: the coal boilers outside heat-network coverage whose spur
 * pipes fit in the budget, retiring the most t/h (a knapsack), and with
 * frontier the same at evenly spaced budgets. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optimize_int.h"
#include "xalloc.h"

enum { E_ID, E_FUEL, E_TPH };

typedef struct {
    afeat *f;
    afeat *pipe; /* the nearest */
    double tph, spur;
} boiler;

static int by_id(const void *a, const void *b)
{
    return strcmp(((const boiler *)a)->f->vals[E_ID], ((const boiler *)b)->f->vals[E_ID]);
}

/* The knapsack at budget_m: 0 with *res and the chosen boilers in chosen. */
static int knapsack(opt_run *r, const boiler *b, size_t n, double budget_m, milp_result *res,
                    char *chosen, gisd_error *err)
{
    milp *m = milp_new(MILP_MAX);
    int *cols = xreallocarray(NULL, n + 1, sizeof *cols);
    double *spur = xreallocarray(NULL, n + 1, sizeof *spur);
    for (size_t i = 0; i < n; i++) {
        cols[i] = milp_col(m, 0, 1, b[i].tph, 1);
        spur[i] = b[i].spur;
    }
    if (n)
        milp_row(m, -INFINITY, budget_m, n, cols, spur);
    int rc = opt_solve(r, m, res, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        chosen[i] = res->x[i] > 0.5;
    milp_free(m); /* res->x is not read after this */
    free(cols);
    free(spur);
    return rc;
}

int optimize_heat(opt_run *r, const param_values *v, json_t *candidates, json_t **out, gisd_error *err)
{
    (void)candidates;
    double radius = param_num(v, "radius_m"), budget_km = param_num(v, "budget_km");
    static const char *const ef[] = {"ent_id", "boiler_fuel", "boiler_tph", NULL};
    static const char *const pf[] = {"park_id", NULL};
    static const char *const hf[] = {"pipe_id", "source_id", "medium", NULL};
    const char *park_id = param_text(v, "park_id");
    aset ents = {0}, pipes = {0}, parks = {0};
    if (aset_load(r->h, r->st, r->reg, "enterprises", r->srid, ef, NULL, &ents, &r->fail) ||
        aset_load(r->h, r->st, r->reg, "heat_network", r->srid, hf, NULL, &pipes, &r->fail) ||
        (park_id && aset_load(r->h, r->st, r->reg, "parks", r->srid, pf, NULL, &parks, &r->fail))) {
        aset_free(&ents);
        aset_free(&pipes);
        return -1;
    }
    /* a park's programme: its boilers only, inside its polygon as in heating-coverage */
    const GEOSPreparedGeometry *park = NULL;
    for (size_t i = 0; park_id && i < parks.n && !park; i++)
        if (parks.f[i].vals[0] && strcmp(parks.f[i].vals[0], park_id) == 0)
            park = afeat_prepared(&parks, &parks.f[i]);
    if (park_id && !park && !r->fail.failed) {
        aset_free(&ents);
        aset_free(&pipes);
        aset_free(&parks);
        return gisd_fail(err, GISD_E_INPUT, "park_id \"%s\" is not a park of this dataset", park_id);
    }
    boiler *b = xcalloc(ents.n + 1, sizeof *b);
    size_t n = 0;
    double total_tph = 0, total_spur = 0;
    for (size_t i = 0; i < ents.n && afail_live(&r->fail); i++) {
        afeat *e = &ents.f[i];
        if (!e->vals[E_FUEL] || strcmp(e->vals[E_FUEL], "coal") != 0 || afeat_num(e, E_TPH) <= 0)
            continue;
        if (park && !afail_pred(&r->fail, GEOSPreparedContains_r(r->h, park, e->g), "testing a boiler in the park"))
            continue;
        double d = INFINITY;
        afeat *pipe = aset_nearest(&pipes, e->g, NULL, NULL, &d);
        if (!pipe || d <= radius)
            continue; /* covered today, or no network to extend */
        b[n++] = (boiler){e, pipe, afeat_num(e, E_TPH), d};
        total_tph += afeat_num(e, E_TPH);
        total_spur += d;
    }
    int rc = r->fail.failed ? -1 : 0;
    qsort(b, n, sizeof *b, by_id);
    char *chosen = xcalloc(n + 1, 1);
    milp_result res = {0};
    if (rc == 0)
        rc = knapsack(r, b, n, budget_km * 1000.0, &res, chosen, err);
    if (rc == 0) {
        json_t *sel = json_array();
        double tph = 0, pipe_m = 0;
        for (size_t i = 0; i < n; i++)
            if (chosen[i]) {
                tph += b[i].tph;
                pipe_m += b[i].spur;
                json_array_append_new(sel, json_pack("{s:s, s:o, s:o}", "ent_id", b[i].f->vals[E_ID],
                                                     "boiler_tph", analysis_number(b[i].tph), "spur_m",
                                                     opt_number(b[i].spur, 3)));
            }
        *out = json_pack("{s:o, s:o, s:I, s:o, s:o, s:o, s:o}", "radius_m", analysis_number(radius),
                         "budget_km", analysis_number(budget_km), "boilers", (json_int_t)n,
                         "boiler_tph", opt_number(total_tph, 3), "selected", sel, "tph_retired",
                         opt_number(tph, 3), "pipe_km", opt_number(pipe_m / 1000.0, 3));
        if (park_id)
            json_object_set_new(*out, "park_id", json_string(park_id));
        opt_report(*out, &res, tph, fmax(res.bound, tph));
        opt_map map;
        if (r->geojson && (rc = opt_map_open(r, &map)) == 0) {
            /* the spur pipes to build, and the boilers left outside */
            for (size_t i = 0; i < n; i++) {
                if (chosen[i])
                    opt_map_link(r, &map, b[i].f->g, b[i].pipe->g,
                                 json_pack("{s:s, s:s, s:o, s:o, s:s?, s:s?, s:s?}", "kind", "spur", "ent_id",
                                           b[i].f->vals[E_ID], "boiler_tph", analysis_number(b[i].tph), "spur_m",
                                           opt_number(b[i].spur, 3), "pipe_id", b[i].pipe->vals[0], "source_id",
                                           b[i].pipe->vals[1], "medium", b[i].pipe->vals[2]));
                opt_map_point(&map, b[i].f->g,
                              json_pack("{s:s, s:s, s:o}", "kind", chosen[i] ? "boiler_retired" : "boiler_left",
                                        "ent_id", b[i].f->vals[E_ID], "boiler_tph", analysis_number(b[i].tph)));
            }
            *out = opt_map_finish(&map, *out);
            if (r->fail.failed)
                rc = -1;
        }
    }
    if (rc == 0 && param_given(v, "frontier")) {
        long k = (long)param_num(v, "frontier");
        json_t *fr = json_array();
        char *c2 = xcalloc(n + 1, 1);
        for (long i = 0; rc == 0 && i < k; i++) {
            double budget_m = total_spur * (double)i / (double)(k - 1);
            milp_result fres = {0};
            rc = knapsack(r, b, n, budget_m, &fres, c2, err);
            double tph = 0;
            for (size_t j = 0; rc == 0 && j < n; j++)
                tph += c2[j] ? b[j].tph : 0;
            if (rc == 0)
                json_array_append_new(fr, json_pack("{s:o, s:o, s:b}", "budget_km", opt_number(budget_m / 1000.0, 3),
                                                    "tph_retired", opt_number(tph, 3), "optimal", fres.optimal));
        }
        free(c2);
        if (rc == 0) /* in the report, which the map holds as its answer */
            json_object_set_new(r->geojson ? json_object_get(*out, "answer") : *out, "frontier", fr);
        else
            json_decref(fr);
    }
    free(chosen);
    free(b);
    aset_free(&ents);
    aset_free(&pipes);
    aset_free(&parks);
    return rc;
}
