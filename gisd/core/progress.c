#include "progress.h"

#include <math.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_start(progress *p, const char *what, long long total, int enabled)
{
    p->what = what;
    p->total = total;
    p->start = p->last = now_seconds();
    p->enabled = enabled;
    p->shown = 0;
    p->tty = isatty(STDERR_FILENO);
    p->pending = 0;
}

/* Quiet for the first second so that small jobs print only their summary;
 * then a line at most every quarter second on a terminal (redrawn in place),
 * every few seconds into a file. */
static int due(progress *p, double t, double every)
{
    if (!p->enabled || (p->enabled == 1 && t - p->start < 1.0) ||
        (p->shown && t - p->last < (p->tty ? 0.25 : every)))
        return 0;
    p->last = t;
    p->shown = 1;
    return 1;
}

void progress_update(progress *p, long long done)
{
    if ((done & 1023) != 0)
        return;
    double t = now_seconds();
    if (!due(p, t, 5.0))
        return;
    double rate = (double)done / (t - p->start);
    if (p->total > 0)
        fprintf(stderr, "%s%s: %lld/%lld (%.0f%%), %.0f/s%s", p->tty ? "\r" : "", p->what, done,
                p->total, 100.0 * (double)done / (double)p->total, rate, p->tty ? "" : "\n");
    else
        fprintf(stderr, "%s%s: %lld, %.0f/s%s", p->tty ? "\r" : "", p->what, done, rate,
                p->tty ? "" : "\n");
}

void progress_solve(progress *p, double incumbent, double bound)
{
    double t = now_seconds();
    p->incumbent = incumbent;
    p->bound = bound;
    p->pending = 1;
    if (!due(p, t, 2.0))
        return;
    p->pending = 0;
    fprintf(stderr, "%s%s: %.1f s, ", p->tty ? "\r" : "", p->what, t - p->start);
    if (isnan(incumbent))
        fputs("no incumbent yet", stderr);
    else
        fprintf(stderr, "incumbent %.10g", incumbent);
    if (!isnan(bound))
        fprintf(stderr, ", bound %.10g", bound);
    if (!isnan(incumbent) && !isnan(bound))
        fprintf(stderr, ", gap %.4f%%", 100 * fabs(incumbent - bound) / fmax(1, fabs(incumbent)));
    fputs(p->tty ? "\033[K" : "\n", stderr);
}

void progress_end(progress *p)
{
    if (p->shown && p->pending) {
        p->shown = 0;
        p->enabled = 2;
        progress_solve(p, p->incumbent, p->bound);
    }
    if (p->shown && p->tty)
        fputc('\n', stderr);
}
