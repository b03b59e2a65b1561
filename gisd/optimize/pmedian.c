#include "pmedian.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "milp.h"
#include "xalloc.h"

/* Candidate lists of the Lagrangian step, and nonzeros of the final model,
 * kept below these (the bound stays valid with shorter lists, only weaker). */
#define LIST_MAX_PAIRS 20000000
#define MODEL_MAX_PAIRS 3000000
#define LAGRANGE_MAX_ITER 4000

typedef struct {
    const pmedian_problem *pb;
    double deadline; /* cancel_now() seconds */
    /* the incumbent: open candidates, each demand's nearest and second
     * nearest open cost and its nearest's position in open[] */
    size_t *open;
    char *is_open;
    double *d1, *d2;
    size_t *c1;
    double total;
    double lb;   /* the best proven bound */
    double lagr; /* the best Lagrangian bound, the one best_rho gives */
    int have_lagr;
} pm;

static double cost(const pmedian_problem *pb, size_t i, size_t j)
{
    if (pb->dist)
        return pb->w[i] * pb->dist[i * pb->nc + j] / 1000.0;
    return pb->w[i] * hypot(pb->dx[i] - pb->cx[j], pb->dy[i] - pb->cy[j]) / 1000.0;
}

static int out_of_time(const pm *s)
{
    return cancel_requested() || cancel_now() >= s->deadline;
}

static double tolerance(const pm *s)
{
    return 1e-9 * fmax(1, s->total);
}

/* d1, d2, c1 and total of the open set. */
static void evaluate(pm *s)
{
    const pmedian_problem *pb = s->pb;
    s->total = 0;
    for (size_t i = 0; i < pb->nd; i++) {
        double b1 = INFINITY, b2 = INFINITY;
        size_t k1 = 0;
        for (size_t k = 0; k < (size_t)pb->p; k++) {
            double c = cost(pb, i, s->open[k]);
            if (c < b1) {
                b2 = b1;
                b1 = c;
                k1 = k;
            } else if (c < b2) {
                b2 = c;
            }
        }
        s->d1[i] = b1;
        s->d2[i] = b2;
        s->c1[i] = k1;
        s->total += b1;
    }
}

/* Greedy: add the candidate that lowers the total most, p times. */
static void greedy(pm *s)
{
    const pmedian_problem *pb = s->pb;
    double *best = s->d1;
    for (size_t i = 0; i < pb->nd; i++)
        best[i] = INFINITY;
    for (long k = 0; k < pb->p; k++) {
        size_t pick = 0;
        double pick_total = INFINITY;
        /* stopped: the rest are the first closed candidates, so that the
         * layout stays one of p points while the caller gives up */
        int stopped = out_of_time(s);
        for (size_t j = 0; j < pb->nc; j++) {
            if (s->is_open[j])
                continue;
            if (stopped) {
                pick = j;
                break;
            }
            double t = 0;
            for (size_t i = 0; i < pb->nd && t < pick_total; i++)
                t += fmin(best[i], cost(pb, i, j));
            if (t < pick_total) {
                pick_total = t;
                pick = j;
            }
        }
        s->open[k] = pick;
        s->is_open[pick] = 1;
        for (size_t i = 0; i < pb->nd; i++)
            best[i] = fmin(best[i], cost(pb, i, pick));
    }
    evaluate(s);
}

/* Vertex interchange (Teitz and Bart) with Whitaker's fast evaluation: for
 * each closed candidate, the gain of opening it and the loss of closing each
 * open one in one pass over the demands; the best swap is made while one
 * lowers the total. */
static void interchange(pm *s)
{
    const pmedian_problem *pb = s->pb;
    size_t p = (size_t)pb->p;
    double *loss = xreallocarray(NULL, p, sizeof *loss);
    int improved = 1;
    while (improved && !out_of_time(s)) {
        improved = 0;
        for (size_t in = 0; in < pb->nc && !out_of_time(s); in++) {
            if (s->is_open[in])
                continue;
            double gain = 0;
            memset(loss, 0, p * sizeof *loss);
            for (size_t i = 0; i < pb->nd; i++) {
                double c = cost(pb, i, in);
                if (c < s->d1[i])
                    gain += s->d1[i] - c;
                loss[s->c1[i]] += fmin(c, s->d2[i]) - fmin(c, s->d1[i]);
            }
            size_t r = 0;
            for (size_t k = 1; k < p; k++)
                if (loss[k] < loss[r])
                    r = k;
            if (loss[r] - gain < -tolerance(s)) {
                s->is_open[s->open[r]] = 0;
                s->open[r] = in;
                s->is_open[in] = 1;
                evaluate(s);
                improved = 1;
                milp_progress_note(s->pb->progress, s->total, s->lb);
            }
        }
    }
    free(loss);
}

typedef struct {
    size_t *start;  /* nd + 1 */
    double *c;      /* costs, ascending per demand */
    uint32_t *j;
    double *cap;    /* the largest multiplier the list is complete for */
} lists;

typedef struct {
    double c;
    uint32_t j;
} cj;

static int by_cost(const void *a, const void *b)
{
    const cj *x = a, *y = b;
    return x->c != y->c ? (x->c > y->c) - (x->c < y->c) : (x->j > y->j) - (x->j < y->j);
}

/* Each demand's candidates up to its second nearest open one, ascending,
 * cut to a common length when they would pass LIST_MAX_PAIRS. */
static void lists_build(pm *s, lists *l)
{
    const pmedian_problem *pb = s->pb;
    size_t nd = pb->nd, nc = pb->nc, total = 0;
    size_t *count = xcalloc(nd + 1, sizeof *count);
    for (size_t i = 0; i < nd; i++) {
        /* a demand of no weight costs nothing anywhere: its multiplier stays 0 */
        for (size_t j = 0; j < nc && pb->w[i] > 0; j++)
            count[i] += cost(pb, i, j) <= s->d2[i];
        total += count[i];
    }
    size_t keep = nc;
    if (total > LIST_MAX_PAIRS) {
        size_t lo = 1, hi = nc;
        while (lo < hi) {
            size_t mid = (lo + hi + 1) / 2, sum = 0;
            for (size_t i = 0; i < nd; i++)
                sum += count[i] < mid ? count[i] : mid;
            if (sum <= LIST_MAX_PAIRS)
                lo = mid;
            else
                hi = mid - 1;
        }
        keep = lo;
    }
    l->start = xreallocarray(NULL, nd + 1, sizeof *l->start);
    l->start[0] = 0;
    for (size_t i = 0; i < nd; i++)
        l->start[i + 1] = l->start[i] + (count[i] < keep ? count[i] : keep);
    l->c = xreallocarray(NULL, l->start[nd] + 1, sizeof *l->c);
    l->j = xreallocarray(NULL, l->start[nd] + 1, sizeof *l->j);
    l->cap = xreallocarray(NULL, nd + 1, sizeof *l->cap);
    cj *tmp = xreallocarray(NULL, nc, sizeof *tmp);
    for (size_t i = 0; i < nd; i++) {
        size_t n = 0, m = l->start[i + 1] - l->start[i];
        if (m == 0) {
            l->cap[i] = 0;
            continue;
        }
        for (size_t j = 0; j < nc; j++) {
            double c = cost(pb, i, j);
            if (c <= s->d2[i])
                tmp[n++] = (cj){c, (uint32_t)j};
        }
        qsort(tmp, n, sizeof *tmp, by_cost);
        for (size_t k = 0; k < m; k++) {
            l->c[l->start[i] + k] = tmp[k].c;
            l->j[l->start[i] + k] = tmp[k].j;
        }
        /* a multiplier above the last cost would need candidates not listed */
        l->cap[i] = m == nc ? INFINITY : tmp[m - 1].c;
    }
    free(tmp);
    free(count);
}

static void lists_free(lists *l)
{
    free(l->start);
    free(l->c);
    free(l->j);
    free(l->cap);
}

static _Thread_local const double *sort_rho;

static int by_rho(const void *a, const void *b)
{
    double x = sort_rho[*(const size_t *)a], y = sort_rho[*(const size_t *)b];
    return (x > y) - (x < y);
}

/* L(lambda) = sum lambda_i + the p smallest rho_j, rho_j = sum_i min(0,
 * c_ij - lambda_i): the Lagrangian bound with the assignment rows relaxed;
 * rank gets the candidates by rho ascending. */
static double lagrangian(pm *s, const lists *l, const double *lambda, double *rho, size_t *rank)
{
    const pmedian_problem *pb = s->pb;
    memset(rho, 0, pb->nc * sizeof *rho);
    double L = 0;
    for (size_t i = 0; i < pb->nd; i++) {
        L += lambda[i];
        for (size_t k = l->start[i]; k < l->start[i + 1] && l->c[k] < lambda[i]; k++)
            rho[l->j[k]] += l->c[k] - lambda[i];
    }
    for (size_t j = 0; j < pb->nc; j++)
        rank[j] = j;
    sort_rho = rho;
    qsort(rank, pb->nc, sizeof *rank, by_rho);
    for (size_t k = 0; k < (size_t)pb->p; k++)
        L += rho[rank[k]];
    return L;
}

/* Subgradient optimisation of the multipliers (Held, Wolfe and Crowder's
 * step, halved when the bound stalls); best_rho and best_rank keep the
 * state of the best bound for the fixing that follows. */
static void lagrange(pm *s, const lists *l, double *best_rho, size_t *best_rank)
{
    const pmedian_problem *pb = s->pb;
    size_t nd = pb->nd, nc = pb->nc;
    double *lambda = xreallocarray(NULL, nd, sizeof *lambda), *g = xreallocarray(NULL, nd, sizeof *g);
    double *rho = xreallocarray(NULL, nc, sizeof *rho);
    size_t *rank = xreallocarray(NULL, nc, sizeof *rank);
    char *chosen = xcalloc(nc, 1);
    for (size_t i = 0; i < nd; i++)
        lambda[i] = fmin(s->d1[i], l->cap[i]);
    double theta = 2, last = cancel_now();
    int stall = 0;
    for (int it = 0; it < LAGRANGE_MAX_ITER && !out_of_time(s); it++) {
        double L = lagrangian(s, l, lambda, rho, rank);
        if (!s->have_lagr || L > s->lagr) {
            s->have_lagr = 1;
            s->lagr = L;
            s->lb = fmax(s->lb, L);
            memcpy(best_rho, rho, nc * sizeof *rho);
            memcpy(best_rank, rank, nc * sizeof *rank);
            stall = 0;
        } else if (++stall >= 30) {
            theta /= 2;
            stall = 0;
        }
        if (s->lb >= s->total - tolerance(s) || theta < 1e-4)
            break;
        if (cancel_now() - last >= 0.5) {
            last = cancel_now();
            milp_progress_note(s->pb->progress, s->total, s->lb);
        }
        memset(chosen, 0, nc);
        for (size_t k = 0; k < (size_t)pb->p; k++)
            chosen[rank[k]] = 1;
        double norm = 0;
        for (size_t i = 0; i < nd; i++) {
            double served = 0;
            for (size_t k = l->start[i]; k < l->start[i + 1] && l->c[k] < lambda[i]; k++)
                served += chosen[l->j[k]];
            g[i] = pb->w[i] > 0 ? 1 - served : 0;
            norm += g[i] * g[i];
        }
        if (norm == 0)
            break;
        double t = theta * (s->total - L) / norm;
        for (size_t i = 0; i < nd; i++)
            lambda[i] = fmin(l->cap[i], fmax(0, lambda[i] + t * g[i]));
    }
    free(lambda);
    free(g);
    free(rho);
    free(rank);
    free(chosen);
}

enum { FREE, CLOSED, OPEN };

/* The candidates the best multipliers settle: closed when opening them
 * lifts the bound to the incumbent, open when closing them does. */
static void fix(pm *s, const double *rho, const size_t *rank, char *state, pmedian_result *out)
{
    const pmedian_problem *pb = s->pb;
    size_t p = (size_t)pb->p, nc = pb->nc;
    double rp = rho[rank[p - 1]], rp1 = p < nc ? rho[rank[p]] : INFINITY;
    double limit = s->total - tolerance(s);
    for (size_t k = 0; k < nc; k++) {
        size_t j = rank[k];
        state[j] = FREE;
        if (k >= p && s->lagr + rho[j] - rp >= limit)
            state[j] = CLOSED;
        else if (k < p && s->lagr - rho[j] + rp1 >= limit)
            state[j] = OPEN;
        out->fixed_closed += state[j] == CLOSED;
        out->fixed_open += state[j] == OPEN;
    }
}

/* CBC on the candidates left, in the radius formulation (Elloumi): demand
 * i pays its nearest cost D1 plus (D(k+1) - D(k)) for every distance shell
 * k it is not served within, u_ik >= u_i(k-1) - (opened in shell k). Each
 * demand sees only the candidates up to its nearest fixed-open one, or to
 * the rank where one must be open (only n - p of n can be closed). Returns
 * 1 when the model was solved (an improving layout, if any, taken), 0 when
 * it would be too large, -1 on error. */
static int exact(pm *s, const char *state, gisd_error *err)
{
    const pmedian_problem *pb = s->pb;
    size_t nd = pb->nd, nc = pb->nc, nfree = 0, nopen = 0;
    for (size_t j = 0; j < nc; j++) {
        nfree += state[j] == FREE;
        nopen += state[j] == OPEN;
    }
    if (nopen > (size_t)pb->p || nopen + nfree < (size_t)pb->p) {
        s->lb = s->total; /* no layout better than the incumbent is left */
        return 1;
    }
    size_t depth = nopen + nfree - (size_t)pb->p + 1;
    cj *tmp = xreallocarray(NULL, nc, sizeof *tmp);
    /* each demand's cost to its nearest fixed-open candidate */
    double *reach = xreallocarray(NULL, nd + 1, sizeof *reach);
    size_t pairs = 0;
    for (size_t i = 0; i < nd; i++) {
        reach[i] = INFINITY;
        if (pb->w[i] <= 0)
            continue;
        for (size_t j = 0; j < nc; j++)
            if (state[j] == OPEN)
                reach[i] = fmin(reach[i], cost(pb, i, j));
        size_t n = 0;
        for (size_t j = 0; j < nc; j++)
            n += state[j] != CLOSED && cost(pb, i, j) <= reach[i];
        pairs += n < depth ? n : depth;
    }
    if (pairs > MODEL_MAX_PAIRS) {
        free(tmp);
        free(reach);
        return 0;
    }
    milp *m = milp_new(MILP_MIN);
    int *col = xreallocarray(NULL, nc, sizeof *col);
    size_t nmodel = 0;
    int *all = xreallocarray(NULL, nc, sizeof *all);
    for (size_t j = 0; j < nc; j++) {
        col[j] = state[j] == CLOSED ? -1 : milp_col(m, state[j] == OPEN, 1, 0, 1);
        if (col[j] >= 0)
            all[nmodel++] = col[j];
    }
    milp_row(m, (double)pb->p, (double)pb->p, nmodel, all, NULL);
    int *rc = xreallocarray(NULL, nc + 2, sizeof *rc);
    double *rv = xreallocarray(NULL, nc + 2, sizeof *rv), offset = 0;
    for (size_t i = 0; i < nd; i++) {
        if (pb->w[i] <= 0)
            continue;
        size_t n = 0;
        for (size_t j = 0; j < nc; j++) {
            double c = cost(pb, i, j);
            if (state[j] != CLOSED && c <= reach[i])
                tmp[n++] = (cj){c, (uint32_t)j};
        }
        qsort(tmp, n, sizeof *tmp, by_cost);
        /* up to the depth's cost, ties included */
        if (n > depth) {
            double last = tmp[depth - 1].c;
            size_t k = depth;
            while (k < n && tmp[k].c == last)
                k++;
            n = k;
        }
        offset += tmp[0].c;
        int prev = -1;
        for (size_t k = 0; k < n;) {
            size_t nr = 0;
            double here = tmp[k].c;
            while (k < n && tmp[k].c == here) {
                rc[nr] = col[tmp[k].j];
                rv[nr++] = 1;
                k++;
            }
            if (k < n) { /* not yet sure to be served: the next shell costs more */
                rc[nr] = milp_col(m, 0, 1, tmp[k].c - here, 0);
                rv[nr++] = 1;
            }
            if (prev >= 0) {
                rc[nr] = prev;
                rv[nr++] = -1;
            }
            milp_row(m, prev >= 0 ? 0 : 1, INFINITY, nr, rc, rv);
            prev = k < n ? rc[nr - (prev >= 0 ? 2 : 1)] : -1;
        }
    }
    milp_offset(m, offset);
    double left = s->deadline - cancel_now();
    milp_result res;
    int r = milp_solve(m, left > 0.01 ? left : 0.01, pb->progress, &res, err);
    if (r == 0) {
        if (res.feasible) {
            size_t k = 0;
            char *was = xcalloc(nc, 1);
            memcpy(was, s->is_open, nc);
            size_t *was_open = xreallocarray(NULL, (size_t)pb->p, sizeof *was_open);
            memcpy(was_open, s->open, (size_t)pb->p * sizeof *was_open);
            double was_total = s->total;
            memset(s->is_open, 0, nc);
            for (size_t j = 0; j < nc; j++)
                if (col[j] >= 0 && res.x[col[j]] > 0.5 && k < (size_t)pb->p) {
                    s->open[k++] = j;
                    s->is_open[j] = 1;
                }
            if (k == (size_t)pb->p)
                evaluate(s);
            if (k != (size_t)pb->p || s->total > was_total) {
                memcpy(s->is_open, was, nc);
                memcpy(s->open, was_open, (size_t)pb->p * sizeof *was_open);
                evaluate(s);
            }
            free(was);
            free(was_open);
        }
        /* layouts outside the model cost the incumbent or more */
        if (res.infeasible)
            s->lb = s->total;
        else if (res.feasible || res.optimal)
            s->lb = fmax(s->lb, fmin(s->total, res.optimal ? res.objective : res.bound));
        r = 1;
    }
    milp_free(m);
    free(col);
    free(all);
    free(rc);
    free(rv);
    free(tmp);
    free(reach);
    return r;
}

int pmedian_solve(const pmedian_problem *pb, pmedian_result *out, gisd_error *err)
{
    memset(out, 0, sizeof *out);
    size_t nd = pb->nd, nc = pb->nc, p = (size_t)pb->p;
    pm s = {.pb = pb, .lb = 0};
    double limit = pb->time_limit_s > 0 ? pb->time_limit_s : 60, left = cancel_remaining();
    if (left >= 0 && left < limit)
        limit = left;
    s.deadline = cancel_now() + limit;
    s.open = xreallocarray(NULL, p, sizeof *s.open);
    s.is_open = xcalloc(nc, 1);
    s.d1 = xreallocarray(NULL, nd + 1, sizeof *s.d1);
    s.d2 = xreallocarray(NULL, nd + 1, sizeof *s.d2);
    s.c1 = xreallocarray(NULL, nd + 1, sizeof *s.c1);
    int rc = 0;
    if (p >= nc) {
        for (size_t j = 0; j < nc; j++) {
            s.open[j] = j;
            s.is_open[j] = 1;
        }
        evaluate(&s);
        s.lb = s.total;
    } else {
        greedy(&s);
        milp_progress_note(pb->progress, s.total, s.lb);
        interchange(&s);
        milp_progress_note(pb->progress, s.total, s.lb);
        lists l = {0};
        double *rho = xreallocarray(NULL, nc, sizeof *rho);
        size_t *rank = xreallocarray(NULL, nc, sizeof *rank);
        char *state = xcalloc(nc, 1);
        if (!out_of_time(&s)) {
            lists_build(&s, &l);
            lagrange(&s, &l, rho, rank);
            milp_progress_note(pb->progress, s.total, s.lb);
        }
        if (s.have_lagr && s.lb < s.total - tolerance(&s) && !out_of_time(&s)) {
            fix(&s, rho, rank, state, out);
            out->used_cbc = 1;
            rc = exact(&s, state, err) < 0 ? -1 : 0;
            milp_progress_note(pb->progress, s.total, s.lb);
        }
        lists_free(&l);
        free(rho);
        free(rank);
        free(state);
    }
    if (s.lb >= s.total - tolerance(&s))
        s.lb = s.total;
    out->open = s.is_open;
    out->objective = s.total;
    out->bound = fmin(s.lb, s.total);
    out->optimal = s.lb >= s.total;
    free(s.open);
    free(s.d1);
    free(s.d2);
    free(s.c1);
    if (rc != 0) {
        free(out->open);
        out->open = NULL;
    }
    return rc;
}
