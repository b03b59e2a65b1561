/* Progress of long jobs on stderr: done, rate and percent when the total is
 * known; or a solver's incumbent, bound and gap. */
#ifndef GISD_PROGRESS_H
#define GISD_PROGRESS_H

typedef struct {
    const char *what;
    long long total; /* < 0 when unknown */
    double start, last;
    int enabled, shown, tty;
    double incumbent, bound; /* progress_solve's last, shown by progress_end */
    int pending;
} progress;

/* enabled: 0 quiet, 1 after the first second, 2 from the start. */
void progress_start(progress *p, const char *what, long long total, int enabled);
void progress_update(progress *p, long long done);
/* A solver's state: its incumbent (NAN while none) and proven bound. */
void progress_solve(progress *p, double incumbent, double bound);
/* Ends the line; a solver's last state is shown when it was held back. */
void progress_end(progress *p);

#endif
