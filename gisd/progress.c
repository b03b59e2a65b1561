#include "progress.h"

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
}

/* Quiet for the first second so that small imports print only their summary. */
void progress_update(progress *p, long long done)
{
    if (!p->enabled || (done & 1023) != 0)
        return;
    double t = now_seconds();
    if (t - p->start < 1.0 || t - p->last < (p->tty ? 0.25 : 5.0))
        return;
    p->last = t;
    p->shown = 1;
    double rate = (double)done / (t - p->start);
    if (p->total > 0)
        fprintf(stderr, "%s%s: %lld/%lld (%.0f%%), %.0f/s%s", p->tty ? "\r" : "", p->what, done,
                p->total, 100.0 * (double)done / (double)p->total, rate, p->tty ? "" : "\n");
    else
        fprintf(stderr, "%s%s: %lld, %.0f/s%s", p->tty ? "\r" : "", p->what, done, rate,
                p->tty ? "" : "\n");
}

void progress_end(progress *p)
{
    if (p->shown && p->tty)
        fputc('\n', stderr);
}
