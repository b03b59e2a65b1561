/* The p-median solver (gisd/optimize/pmedian.c) against enumeration: random
 * towns small enough to try every set of p candidates, numbers in, the
 * optimum out. Some are settled by the Lagrangian bound alone and some need
 * CBC's step; both kinds must occur, and every answer must be the optimum. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pmedian.h"
#include "testutil.h"

typedef struct {
    size_t nd, nc;
    double dx[60], dy[60], w[60], cx[14], cy[14];
} town;

static double cost(const town *t, const char *open)
{
    double total = 0;
    for (size_t i = 0; i < t->nd; i++) {
        double best = INFINITY;
        for (size_t j = 0; j < t->nc; j++)
            if (open[j])
                best = fmin(best, t->w[i] * hypot(t->dx[i] - t->cx[j], t->dy[i] - t->cy[j]) / 1000);
        total += best;
    }
    return total;
}

/* the least cost over every set of p candidates */
static double enumerate(const town *t, long p, char *open, size_t from, long chosen)
{
    if (chosen == p)
        return cost(t, open);
    double best = INFINITY;
    for (size_t j = from; j + (size_t)(p - chosen) <= t->nc; j++) {
        open[j] = 1;
        best = fmin(best, enumerate(t, p, open, j + 1, chosen + 1));
        open[j] = 0;
    }
    return best;
}

static double unit(unsigned *seed)
{
    return (double)rand_r(seed) / RAND_MAX;
}

static void every_answer_is_the_enumerated_optimum(void **state)
{
    (void)state;
    unsigned seed = 20261129;
    int by_bound = 0, by_cbc = 0;
    for (int k = 0; k < 120; k++) {
        town t = {.nd = 20 + (size_t)(unit(&seed) * 40), .nc = 6 + (size_t)(unit(&seed) * 8)};
        /* demands in a few clusters, as communities are */
        for (size_t i = 0; i < t.nd; i++) {
            double ox = (double)(i % 3) * 4000, oy = (double)(i % 2) * 3000;
            t.dx[i] = ox + unit(&seed) * 2500;
            t.dy[i] = oy + unit(&seed) * 2500;
            t.w[i] = k % 7 == 0 ? 1 : floor(1 + unit(&seed) * 500);
            if (k % 4 == 1 && i % 3 == 0) /* communities of no households */
                t.w[i] = 0;
        }
        for (size_t j = 0; j < t.nc; j++) {
            t.cx[j] = unit(&seed) * 10000;
            t.cy[j] = unit(&seed) * 6000;
        }
        /* a tie: two candidates on one spot */
        if (k % 5 == 0) {
            t.cx[1] = t.cx[0];
            t.cy[1] = t.cy[0];
        }
        long p = 1 + (long)(unit(&seed) * (double)(t.nc - 1));
        pmedian_problem pb = {t.nd, t.nc, t.dx, t.dy, t.w, t.cx, t.cy, p, 30, NULL, NULL};
        pmedian_result r;
        gisd_error err = {0};
        assert_int_equal(pmedian_solve(&pb, &r, &err), 0);
        char open[14] = {0};
        double want = enumerate(&t, p, open, 0, 0);
        long n = 0;
        for (size_t j = 0; j < t.nc; j++)
            n += r.open[j];
        if (n != p || fabs(r.objective - want) > 1e-9 * want || fabs(cost(&t, r.open) - r.objective) > 1e-9 * want ||
            !r.optimal || r.bound != r.objective)
            fail_msg("town %d (%zu demands, %zu candidates, p %ld): %ld open, %.9f (bound %.9f, optimal %d), "
                     "enumeration %.9f", k, t.nd, t.nc, p, n, r.objective, r.bound, r.optimal, want);
        by_cbc += r.used_cbc;
        by_bound += !r.used_cbc;
        free(r.open);
    }
    if (by_bound == 0 || by_cbc == 0)
        fail_msg("%d towns settled by the bound, %d by CBC: both steps should be tried", by_bound, by_cbc);
}

/* p equal to the candidates: all open, nothing to solve */
static void p_of_every_candidate_opens_all(void **state)
{
    (void)state;
    double dx[] = {0, 1000}, dy[] = {0, 0}, w[] = {10, 20}, cx[] = {0, 2000}, cy[] = {0, 0};
    pmedian_problem pb = {2, 2, dx, dy, w, cx, cy, 2, 5, NULL, NULL};
    pmedian_result r;
    gisd_error err = {0};
    assert_int_equal(pmedian_solve(&pb, &r, &err), 0);
    assert_true(r.open[0] && r.open[1] && r.optimal);
    /* 10 x 0 + 20 x 1 km, either candidate 1 km from the second demand */
    assert_true(fabs(r.objective - 20) < 1e-12);
    free(r.open);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_answer_is_the_enumerated_optimum),
        cmocka_unit_test(p_of_every_candidate_opens_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
