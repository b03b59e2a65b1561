/* The p-median over points: choose p of nc candidates so that the weighted
 * distance from every demand to its nearest chosen candidate is least.
 *
 * The full assignment model (a column and a row per demand and candidate)
 * is too large for CBC beyond a few thousand demands, so the solve goes in
 * four steps that keep the answer exact: a greedy start improved by vertex
 * interchange (the incumbent); Lagrangian relaxation of the assignment rows
 * with subgradient steps (a proven lower bound); Lagrangian fixing, which
 * closes every candidate whose opening alone would lift the bound over the
 * incumbent (and opens those whose closing would); and CBC on what is left,
 * in the radius formulation where each demand only sees the candidates
 * nearer than its nearest fixed-open one. */
#ifndef GISD_PMEDIAN_H
#define GISD_PMEDIAN_H

#include <stddef.h>

#include "error.h"
#include "milp.h"

typedef struct {
    size_t nd, nc;
    const double *dx, *dy, *w; /* demands: coordinates (metres) and weights */
    const double *cx, *cy;     /* candidates */
    long p;                    /* 1 <= p <= nc */
    double time_limit_s;
    const milp_progress *progress; /* told (incumbent, bound) as the search goes; NULL: no one */
    const double *dist; /* not NULL: nd x nc metres (row by demand) instead of the coordinates */
} pmedian_problem;

typedef struct {
    char *open;       /* nc flags, p of them 1; malloc'd, the caller's */
    double objective; /* sum of w x distance / 1000 (household-km) */
    double bound;     /* a proven lower bound on it */
    int optimal;      /* bound == objective: proven */
    size_t fixed_closed, fixed_open; /* candidates settled by Lagrangian fixing */
    int used_cbc;     /* the bound alone did not meet the incumbent: CBC ran */
} pmedian_result;

/* Solves pb within its time limit (and the thread's deadline): 0 with the
 * best layout found in *out, or -1 with err when CBC fails. */
int pmedian_solve(const pmedian_problem *pb, pmedian_result *out, gisd_error *err);

#endif
