/* Mixed-integer linear programs built column by column and row by row, and
 * solved by CBC through its C interface (coinor-libcbc). The layout
 * optimisations (optimize_*.c) build their models here. */
#ifndef GISD_MILP_H
#define GISD_MILP_H

#include <stddef.h>

#include "error.h"

typedef struct milp milp;

typedef enum { MILP_MIN, MILP_MAX } milp_sense;

/* An empty program; never NULL. */
milp *milp_new(milp_sense sense);
void milp_free(milp *m);
/* Adds a column (lb <= x <= ub, objective coefficient obj); returns its index. */
int milp_col(milp *m, double lb, double ub, double obj, int integer);
/* Adds a row lb <= sum coef[k] * x[cols[k]] <= ub (n terms); returns its index. */
int milp_row(milp *m, double lb, double ub, size_t n, const int *cols, const double *coef);
/* Changes a row's bounds (for a lexicographic second solve). */
void milp_row_bounds(milp *m, int row, double lb, double ub);
/* Changes the objective: obj has one coefficient per column. */
void milp_objective(milp *m, milp_sense sense, const double *obj);

typedef struct {
    int feasible;   /* a solution was found (x holds it) */
    int optimal;    /* proven optimal */
    int infeasible; /* proven infeasible */
    double objective, bound;
    const double *x; /* one value per column, valid until the next solve or milp_free */
} milp_result;

/* Where a long solve tells how it goes, passed down by whoever asked for it
 * (as GDAL's pfnProgress): fn gets the incumbent (NAN while there is none)
 * and the proven bound on the objective, offset included. solver_log turns
 * CBC's log on so that its incumbent and bound messages reach fn (the log
 * itself goes to /dev/null in the solver process). */
typedef struct {
    void (*fn)(void *ud, double incumbent, double bound);
    void *ud;
    int solver_log;
} milp_progress;
/* Tells p, when p (or its fn) is not NULL. */
void milp_progress_note(const milp_progress *p, double incumbent, double bound);
/* A constant the model's objective leaves out, added to the objective and
 * bound reported (milp_result, progress). */
void milp_offset(milp *m, double offset);

/* Solves within time_limit_s (progress, when not NULL, told as it goes), and within the thread's deadline (cancel.h)
 * when that comes first (the best solution so far when time runs out), in a
 * solver process of its own that is killed within 0.1 s of the thread's
 * work being cancelled (cancel_requested()). 0; or -1 with err: GISD_E_TIMEOUT
 * when cancelled, GISD_E_INTERNAL when CBC or its process fails. */
int milp_solve(milp *m, double time_limit_s, const milp_progress *progress, milp_result *out, gisd_error *err);

#endif
