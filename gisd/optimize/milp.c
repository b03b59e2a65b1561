#include "milp.h"

#include <Cbc_C_Interface.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
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
};

void milp_progress_note(const milp_progress *p, double incumbent, double bound)
{
    if (p && p->fn)
        p->fn(p->ud, incumbent, bound);
}

void milp_offset(milp *m, double offset)
{
    m->offset = offset;
}

/* ---- the solver process ----
 * CBC 2.10's C interface has no way to stop a solve from outside, so every
 * solve runs in a child process that the parent kills the moment the work is
 * cancelled (a dismissed job, a deadline, shutdown): stopping costs one
 * kill(), whatever CBC is doing. The child writes records on a pipe: 'P' and
 * two doubles (CBC's incumbent and bound so far, its own sense), then 'R'
 * with the result and, when feasible, the columns' values. */

typedef struct {
    int infeasible, feasible, optimal, rc, status;
    double objective, bound;
} child_result;

/* The child's pipe and model, for CBC's callback, which carries no user pointer. */
static int child_fd = -1;
static double child_incumbent, child_bound;

static void write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(3); /* the parent is gone: nobody wants the answer */
        p += w;
        n -= (size_t)w;
    }
}

/* Message numbers and fields are CbcMessage.cpp's (CBC_END_GOOD 1,
 * CBC_SOLUTION 4, CBC_END 5, CBC_STATUS 10, CBC_ROUNDING 12, CBC_ROOT 13,
 * CBC_STRONGSOL 16). */
static void cbc_message(Cbc_Model *model, int msgno, int ndouble, const double *dv, int nint,
                        const int *iv, int nchar, char **cv)
{
    (void)model, (void)nint, (void)iv, (void)nchar, (void)cv;
    double inc = NAN, bound = NAN;
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
        child_incumbent = inc;
    if (isfinite(bound))
        child_bound = bound;
    char rec[1 + 2 * sizeof(double)];
    rec[0] = 'P';
    memcpy(rec + 1, &child_incumbent, sizeof(double));
    memcpy(rec + 1 + sizeof(double), &child_bound, sizeof(double));
    write_all(child_fd, rec, sizeof rec);
}

/* The child's whole life: load, solve, write the result, exit. Never returns. */
static void child_solve(const milp *m, const CoinBigIndex *start, const int *index, const double *value,
                        double seconds, int log, int fd)
{
    /* CBC prints its log on standard output whatever the callback */
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
        dup2(devnull, STDOUT_FILENO);
        close(devnull);
    }
    child_fd = fd;
    child_incumbent = child_bound = NAN;
    Cbc_Model *cbc = Cbc_newModel();
    if (!cbc)
        _exit(4);
    Cbc_loadProblem(cbc, (int)m->ncols, (int)m->nrows, start, index, value, m->lb, m->ub, m->obj, m->rlb,
                    m->rub);
    for (size_t c = 0; c < m->ncols; c++)
        if (m->integer[c])
            Cbc_setInteger(cbc, (int)c);
    Cbc_setObjSense(cbc, m->sense == MILP_MAX ? -1.0 : 1.0);
    if (log) {
        Cbc_registerCallBack(cbc, cbc_message);
        Cbc_setLogLevel(cbc, 1);
    } else {
        Cbc_setLogLevel(cbc, 0);
    }
    Cbc_setMaximumSeconds(cbc, seconds);
    /* proven optimal means the gap is closed, not within CBC's default 1e-4 */
    Cbc_setAllowableFractionGap(cbc, 0);
    Cbc_setAllowableGap(cbc, 1e-7);
    child_result r = {0};
    r.rc = Cbc_solve(cbc);
    r.status = Cbc_status(cbc);
    r.infeasible = Cbc_isProvenInfeasible(cbc);
    int mip = memchr(m->integer, 1, m->ncols) != NULL;
    /* a MIP's best integer solution (NULL until one is found); an LP's solution */
    const double *x = mip ? Cbc_bestSolution(cbc) : Cbc_getColSolution(cbc);
    r.feasible = !r.infeasible && x != NULL &&
                 (mip || Cbc_isProvenOptimal(cbc) || Cbc_numberPrimalInfeasibilities(cbc) == 0);
    r.optimal = r.feasible && Cbc_isProvenOptimal(cbc);
    r.objective = Cbc_getObjValue(cbc);
    r.bound = Cbc_getBestPossibleObjValue(cbc);
    char tag = 'R';
    write_all(fd, &tag, 1);
    write_all(fd, &r, sizeof r);
    if (r.feasible)
        write_all(fd, x, m->ncols * sizeof *x);
    _exit(0);
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

/* Reads what the child sends until it ends, passing its progress on; kills
 * it when this thread's work is cancelled or when it outlives its time limit
 * by a margin (a solver that hangs). 0 with the record 'R' in *r and x (one
 * value per column) filled when feasible; -1 with err otherwise. */
static int child_wait(milp *m, pid_t pid, int fd, double seconds, const milp_progress *progress, child_result *r,
                      double *x, gisd_error *err)
{
    /* CBC stops itself at its time limit, which ends before the deadline,
     * and answers with its best so far; it looks at its clock only between
     * steps, so it is killed when it has not answered 0.5 s past the
     * deadline (the work then ends as a timeout), or 10 s past its own limit */
    const double sign = m->sense == MILP_MAX ? -1 : 1, deadline = cancel_deadline();
    double hard_stop = cancel_now() + seconds + 10;
    if (deadline > 0 && deadline + 0.5 < hard_stop)
        hard_stop = deadline + 0.5;
    size_t want = 1 + sizeof *r + m->ncols * sizeof *x;
    char *buf = xmalloc(want + 64);
    size_t have = 0;
    int got_result = 0, killed = 0, cancelled = 0;
    for (;;) {
        if (!killed && (cancel_stopped() || cancel_now() > hard_stop)) {
            cancelled = cancel_requested();
            kill(pid, SIGKILL);
            killed = 1;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int n = poll(&pfd, 1, 100);
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0)
            continue;
        ssize_t k = read(fd, buf + have, (got_result ? want : 1 + 2 * sizeof(double)) - have);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break; /* the child ended */
        have += (size_t)k;
        if (!got_result && have >= 1 && buf[0] == 'P' && have == 1 + 2 * sizeof(double)) {
            double inc, bound;
            memcpy(&inc, buf + 1, sizeof inc);
            memcpy(&bound, buf + 1 + sizeof inc, sizeof bound);
            milp_progress_note(progress, isfinite(inc) ? sign * inc + m->offset : NAN,
                               isfinite(bound) ? sign * bound + m->offset : NAN);
            have = 0;
        } else if (!got_result && have >= 1 && buf[0] == 'R') {
            got_result = 1; /* the rest of the record follows, up to want bytes */
        }
    }
    close(fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int rc = 0;
    if (cancelled)
        rc = gisd_fail(err, GISD_E_TIMEOUT, "the optimisation was stopped (dismissed, past its deadline or at shutdown)");
    else if (killed)
        rc = gisd_fail(err, GISD_E_INTERNAL, "CBC did not stop at its time limit of %g s and was ended", seconds);
    else if (!got_result || have < 1 + sizeof *r)
        rc = gisd_fail(err, GISD_E_INTERNAL, "the CBC solver process ended without an answer (%s %d)",
                       WIFSIGNALED(status) ? "signal" : "exit status",
                       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    if (rc == 0) {
        memcpy(r, buf + 1, sizeof *r);
        if (r->feasible && have < want)
            rc = gisd_fail(err, GISD_E_INTERNAL, "the CBC solver process sent a short solution");
        else if (r->feasible)
            memcpy(x, buf + 1 + sizeof *r, m->ncols * sizeof *x);
    }
    free(buf);
    return rc;
}

int milp_solve(milp *m, double time_limit_s, const milp_progress *progress, milp_result *out, gisd_error *err)
{
    memset(out, 0, sizeof *out);
    if (m->ncols == 0) {
        out->feasible = out->optimal = 1;
        out->objective = out->bound = m->offset;
        return 0;
    }
    if (cancel_stopped())
        return gisd_fail(err, GISD_E_TIMEOUT, "the optimisation was stopped (dismissed or at shutdown)");
    /* CBC takes the matrix column by column */
    qsort(m->terms, m->nterms, sizeof *m->terms, by_col);
    CoinBigIndex *start = xreallocarray(NULL, m->ncols + 1, sizeof *start);
    int *index = xreallocarray(NULL, m->nterms ? m->nterms : 1, sizeof *index);
    double *value = xreallocarray(NULL, m->nterms ? m->nterms : 1, sizeof *value);
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
    /* CBC's limit ends a little before the deadline, for its answer to come back in */
    double seconds = time_limit_s > 0 ? time_limit_s : 60, left = cancel_remaining() - 0.2;
    if (cancel_remaining() >= 0 && left < seconds)
        seconds = left > 0.01 ? left : 0.01;
    m->x = xreallocarray(m->x, m->ncols, sizeof *m->x);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        free(start);
        free(index);
        free(value);
        return gisd_fail(err, GISD_E_INTERNAL, "no pipe for the CBC solver process: %s", strerror(errno));
    }
    fflush(NULL); /* the child must not write out the parent's buffers */
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child_solve(m, start, index, value, seconds, progress && progress->fn && progress->solver_log, fds[1]);
    }
    close(fds[1]);
    free(start);
    free(index);
    free(value);
    if (pid < 0) {
        close(fds[0]);
        return gisd_fail(err, GISD_E_INTERNAL, "cannot start the CBC solver process: %s", strerror(errno));
    }
    child_result r;
    if (child_wait(m, pid, fds[0], seconds, progress, &r, m->x, err) != 0)
        return -1;
    out->infeasible = r.infeasible;
    out->feasible = r.feasible;
    out->optimal = r.optimal;
    out->objective = r.objective + m->offset;
    out->bound = out->optimal ? out->objective : r.bound + m->offset;
    if (!isfinite(out->bound))
        out->bound = out->objective;
    if (out->feasible) {
        /* integers as CBC leaves them are within 1e-6 of whole */
        for (size_t c = 0; c < m->ncols; c++)
            if (m->integer[c])
                m->x[c] = round(m->x[c]);
        out->x = m->x;
    }
    /* status 1: stopped at the time limit, which is an answer (no layout yet) */
    if (r.rc != 0 && r.status != 1 && !out->feasible && !out->infeasible)
        return gisd_fail(err, GISD_E_INTERNAL, "CBC failed (status %d)", r.status);
    return 0;
}
