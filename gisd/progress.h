/* Progress of long jobs on stderr: done, rate and percent when the total is known. */
#ifndef GISD_PROGRESS_H
#define GISD_PROGRESS_H

typedef struct {
    const char *what;
    long long total; /* < 0 when unknown */
    double start, last;
    int enabled, shown, tty;
} progress;

void progress_start(progress *p, const char *what, long long total, int enabled);
void progress_update(progress *p, long long done);
void progress_end(progress *p);

#endif
