/* Stopping CBC (gisd/optimize/milp.c): a market-split instance
 * (Cornuéjols and Dawande, 1999: a few equality rows of random weights over
 * 0/1 columns) keeps CBC's branch and bound busy for far longer than any
 * test, so each test shows that a solve ends when asked, not when CBC
 * would. A small model is solved as well, through the same solver process. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cancel.h"
#include "milp.h"
#include "testutil.h"

/* m rows of n columns; weights from a fixed generator so every run is the same. */
static milp *market_split(int m, int n)
{
    milp *p = milp_new(MILP_MIN);
    unsigned long long seed = 12345;
    int cols[64];
    double a[64];
    for (int j = 0; j < n; j++)
        cols[j] = milp_col(p, 0, 1, 0, 1);
    for (int i = 0; i < m; i++) {
        double sum = 0;
        for (int j = 0; j < n; j++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            a[j] = (double)((seed >> 33) % 100);
            sum += a[j];
        }
        double d = floor(sum / 2);
        milp_row(p, d, d, (size_t)n, cols, a);
    }
    return p;
}

typedef struct {
    int flag;
    double after_s;
} stopper;

static void *stop_later(void *arg)
{
    stopper *s = arg;
    usleep((useconds_t)(s->after_s * 1e6));
    __atomic_store_n(&s->flag, 1, __ATOMIC_RELAXED);
    return NULL;
}

/* A dismissed job's flag kills the solver process within moments. */
static void a_flag_stops_cbc_at_once(void **state)
{
    (void)state;
    milp *p = market_split(5, 40);
    stopper s = {0, 1.0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, stop_later, &s), 0);
    cancel_set_flag(&s.flag);
    milp_result res;
    gisd_error err = {0};
    double t0 = cancel_now();
    int rc = milp_solve(p, 3600, NULL, &res, &err);
    double took = cancel_now() - t0;
    cancel_set_flag(NULL);
    pthread_join(t, NULL);
    assert_int_equal(rc, -1);
    assert_int_equal(err.code, GISD_E_TIMEOUT);
    if (took > 1.0 + 0.5)
        fail_msg("the solve took %.2f s; it was stopped after 1 s", took);
    milp_free(p);
}

/* A deadline shorter than time_limit_s ends the solve at the deadline: with
 * what CBC has (here: no layout, not optimal) when CBC answers in time, as
 * a timeout when it does not (its clock is read between steps). */
static void a_deadline_caps_the_time_limit(void **state)
{
    (void)state;
    milp *p = market_split(5, 40);
    cancel_set_deadline(cancel_now() + 1.0);
    milp_result res;
    gisd_error err = {0};
    double t0 = cancel_now();
    int rc = milp_solve(p, 3600, NULL, &res, &err);
    double took = cancel_now() - t0;
    cancel_set_deadline(0);
    if (rc != 0 && err.code != GISD_E_TIMEOUT)
        fail_msg("%s", err.message);
    assert_true(rc != 0 || !res.optimal);
    if (took > 1.0 + 1.0)
        fail_msg("the solve took %.2f s with a deadline of 1 s", took);
    milp_free(p);
}

/* max x + 2y, x + y <= 3, x <= 2, integers: x 1, y 2 (objective 5). */
static void a_small_model_is_solved(void **state)
{
    (void)state;
    milp *p = milp_new(MILP_MAX);
    int x = milp_col(p, 0, 2, 1, 1), y = milp_col(p, 0, 2, 2, 1);
    int cols[] = {x, y};
    milp_row(p, -INFINITY, 3, 2, cols, NULL);
    milp_offset(p, 10);
    milp_result res;
    gisd_error err = {0};
    if (milp_solve(p, 10, NULL, &res, &err) != 0)
        fail_msg("%s", err.message);
    assert_true(res.optimal);
    assert_true(fabs(res.objective - 15) < 1e-9);
    assert_true(fabs(res.x[x] - 1) < 1e-9 && fabs(res.x[y] - 2) < 1e-9);
    milp_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_small_model_is_solved),
        cmocka_unit_test(a_flag_stops_cbc_at_once),
        cmocka_unit_test(a_deadline_caps_the_time_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
