#include "milp.h"

#include <Cbc_C_Interface.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cancel.h"
#include "xalloc.h"

typedef struct {
    int col, row;
    double v;
} term;

struct milp {
    milp_sense sense;
    double *lb, *ub, *obj;
    char *integer;
    size_t ncols, capcols;
    double *rlb, *rub;
    size_t nrows, caprows;
    term *terms;
    size_t nterms, capterms;
    double *x;
    double offset;
    Cbc_Model *cbc;
};

static _Thread_local milp_progress_fn progress_fn;
static _Thread_local void *progress_ud;
static _Thread_local int progress_cbc;
/* CBC's callback carries no user pointer: the model being solved, and what
 * its messages said so far */
static _Thread_local milp *solving;
static _Thread_local double seen_incumbent, seen_bound;

void milp_progress_set(milp_progress_fn fn, void *ud, int cbc_log)
{
    progress_fn = fn;
    progress_ud = ud;
    progress_cbc = fn && cbc_log;
}

void milp_progress_note(double incumbent, double bound)
{
    if (progress_fn)
        progress_fn(progress_ud, incumbent, bound);
}

void milp_offset(milp *m, double offset)
{
    m->offset = offset;
}

/* CBC minimises internally: a maximisation's values come negated. Message
 * numbers and fields are CbcMessage.cpp's (CBC_END_GOOD 1, CBC_SOLUTION 4, CBC_END 5,
 * CBC_STATUS 10, CBC_ROUNDING 12, CBC_ROOT 13, CBC_STRONGSOL 16). */
static void cbc_message(Cbc_Model *model, int msgno, int ndouble, const double *dv, int nint,
                        const int *iv, int nchar, char **cv)
{
    (void)model, (void)nint, (void)iv, (void)nchar, (void)cv;
    milp *m = solving;
    if (!m)
        return;
    double sign = m->sense == MILP_MAX ? -1 : 1, inc = NAN, bound = NAN;
    switch (msgno) {
    case 1: /* search completed: proven */
        inc = bound = ndouble > 0 ? dv[0] : NAN;
        break;
    case 4: case 12: case 16:
        inc = ndouble > 0 ? dv[0] : NAN;
        break;
    case 5: case 10:
        inc = ndouble > 0 && fabs(dv[0]) < 1e40 ? dv[0] : NAN;
        bound = ndouble > 1 && fabs(dv[1]) < 1e40 ? dv[1] : NAN;
        break;
    case 13:
        bound = ndouble > 1 ? dv[1] : NAN;
        break;
    default:
        return;
    }
    if (isfinite(inc))
        seen_incumbent = sign * inc + m->offset;
    if (isfinite(bound))
        seen_bound = sign * bound + m->offset;
    milp_progress_note(seen_incumbent, seen_bound);
}

milp *milp_new(milp_sense sense)
{
    milp *m = xcalloc(1, sizeof *m);
    m->sense = sense;
    return m;
}

void milp_free(milp *m)
{
    if (!m)
        return;
    if (m->cbc)
        Cbc_deleteModel(m->cbc);
    free(m->lb);
    free(m->ub);
    free(m->obj);
    free(m->integer);
    free(m->rlb);
    free(m->rub);
    free(m->terms);
    free(m->x);
    free(m);
}

int milp_col(milp *m, double lb, double ub, double obj, int integer)
{
    if (m->ncols == m->capcols) {
        m->capcols = m->capcols ? m->capcols * 2 : 256;
        m->lb = xreallocarray(m->lb, m->capcols, sizeof *m->lb);
        m->ub = xreallocarray(m->ub, m->capcols, sizeof *m->ub);
        m->obj = xreallocarray(m->obj, m->capcols, sizeof *m->obj);
        m->integer = xreallocarray(m->integer, m->capcols, 1);
    }
    m->lb[m->ncols] = lb;
    m->ub[m->ncols] = ub;
    m->obj[m->ncols] = obj;
    m->integer[m->ncols] = (char)integer;
    return (int)m->ncols++;
}

int milp_row(milp *m, double lb, double ub, size_t n, const int *cols, const double *coef)
{
    if (m->nrows == m->caprows) {
        m->caprows = m->caprows ? m->caprows * 2 : 256;
        m->rlb = xreallocarray(m->rlb, m->caprows, sizeof *m->rlb);
        m->rub = xreallocarray(m->rub, m->caprows, sizeof *m->rub);
    }
    if (m->nterms + n > m->capterms) {
        while (m->nterms + n > m->capterms)
            m->capterms = m->capterms ? m->capterms * 2 : 1024;
        m->terms = xreallocarray(m->terms, m->capterms, sizeof *m->terms);
    }
    for (size_t k = 0; k < n; k++)
        m->terms[m->nterms++] = (term){cols[k], (int)m->nrows, coef ? coef[k] : 1.0};
    m->rlb[m->nrows] = lb;
    m->rub[m->nrows] = ub;
    return (int)m->nrows++;
}

void milp_row_bounds(milp *m, int row, double lb, double ub)
{
    m->rlb[row] = lb;
    m->rub[row] = ub;
}

void milp_objective(milp *m, milp_sense sense, const double *obj)
{
    m->sense = sense;
    memcpy(m->obj, obj, m->ncols * sizeof *obj);
}

static int by_col(const void *a, const void *b)
{
    const term *x = a, *y = b;
    return x->col != y->col ? (x->col > y->col) - (x->col < y->col) : (x->row > y->row) - (x->row < y->row);
}

int milp_solve(milp *m, double time_limit_s, milp_result *out, gisd_error *err)
{
    memset(out, 0, sizeof *out);
    if (m->ncols == 0) {
        out->feasible = out->optimal = 1;
        out->objective = out->bound = m->offset;
        return 0;
    }
    /* CBC takes the matrix column by column */
    qsort(m->terms, m->nterms, sizeof *m->terms, by_col);
    CoinBigIndex *start = xreallocarray(NULL, m->ncols + 1, sizeof *start);
    int *index = xreallocarray(NULL, m->nterms, sizeof *index);
    double *value = xreallocarray(NULL, m->nterms, sizeof *value);
    size_t k = 0;
    for (size_t c = 0; c < m->ncols; c++) {
        start[c] = (CoinBigIndex)k;
        while (k < m->nterms && (size_t)m->terms[k].col == c) {
            index[k] = m->terms[k].row;
            value[k] = m->terms[k].v;
            k++;
        }
    }
    start[m->ncols] = (CoinBigIndex)k;
    if (m->cbc)
        Cbc_deleteModel(m->cbc);
    m->cbc = Cbc_newModel();
    if (!m->cbc) {
        free(start);
        free(index);
        free(value);
        return gisd_fail(err, GISD_E_INTERNAL, "CBC cannot make a model");
    }
    Cbc_loadProblem(m->cbc, (int)m->ncols, (int)m->nrows, start, index, value, m->lb, m->ub,
                    m->obj, m->rlb, m->rub);
    free(start);
    free(index);
    free(value);
    for (size_t c = 0; c < m->ncols; c++)
        if (m->integer[c])
            Cbc_setInteger(m->cbc, (int)c);
    Cbc_setObjSense(m->cbc, m->sense == MILP_MAX ? -1.0 : 1.0);
    int out_fd = -1;
    if (progress_cbc) {
        Cbc_registerCallBack(m->cbc, cbc_message);
        Cbc_setLogLevel(m->cbc, 1);
        solving = m;
        seen_incumbent = seen_bound = NAN;
        fflush(stdout);
        int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (devnull >= 0 && (out_fd = dup(STDOUT_FILENO)) >= 0)
            dup2(devnull, STDOUT_FILENO);
        if (devnull >= 0)
            close(devnull);
    } else {
        Cbc_setLogLevel(m->cbc, 0);
    }
    /* CBC does not ask cancel_requested(): its own clock stops it by the
     * request's deadline */
    double seconds = time_limit_s > 0 ? time_limit_s : 60, left = cancel_remaining();
    if (left >= 0 && left < seconds)
        seconds = left > 0.01 ? left : 0.01;
    Cbc_setMaximumSeconds(m->cbc, seconds);
    /* proven optimal means the gap is closed, not within CBC's default 1e-4 */
    Cbc_setAllowableFractionGap(m->cbc, 0);
    Cbc_setAllowableGap(m->cbc, 1e-7);
    int rc = Cbc_solve(m->cbc);
    if (out_fd >= 0) {
        fflush(stdout);
        dup2(out_fd, STDOUT_FILENO);
        close(out_fd);
    }
    solving = NULL;
    out->infeasible = Cbc_isProvenInfeasible(m->cbc);
    int mip = memchr(m->integer, 1, m->ncols) != NULL;
    /* a MIP's best integer solution (NULL until one is found); an LP's solution */
    const double *x = mip ? Cbc_bestSolution(m->cbc) : Cbc_getColSolution(m->cbc);
    out->feasible = !out->infeasible && x != NULL &&
                    (mip || Cbc_isProvenOptimal(m->cbc) || Cbc_numberPrimalInfeasibilities(m->cbc) == 0);
    out->optimal = out->feasible && Cbc_isProvenOptimal(m->cbc);
    out->objective = Cbc_getObjValue(m->cbc) + m->offset;
    out->bound = out->optimal ? out->objective : Cbc_getBestPossibleObjValue(m->cbc) + m->offset;
    if (!isfinite(out->bound))
        out->bound = out->objective;
    if (out->feasible) {
        m->x = xreallocarray(m->x, m->ncols, sizeof *m->x);
        memcpy(m->x, x, m->ncols * sizeof *m->x);
        /* integers as CBC leaves them are within 1e-6 of whole */
        for (size_t c = 0; c < m->ncols; c++)
            if (m->integer[c])
                m->x[c] = round(m->x[c]);
        out->x = m->x;
    }
    if (rc != 0 && !out->feasible && !out->infeasible)
        return gisd_fail(err, GISD_E_INTERNAL, "CBC failed (status %d)", Cbc_status(m->cbc));
    return 0;
}
