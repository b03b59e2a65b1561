/* Cancellation of long work: each thread may carry a deadline, and the whole
 * process a shutdown flag. GEOS (through its interrupt callback) and SQLite
 * (through a progress handler) ask cancel_requested() while they work, so an
 * analysis past its deadline stops inside a GEOS operation or a query. */
#ifndef GISD_CANCEL_H
#define GISD_CANCEL_H

/* Seconds on CLOCK_MONOTONIC, the clock deadlines are given in. */
double cancel_now(void);
/* Sets this thread's deadline (CLOCK_MONOTONIC seconds); 0 removes it. */
void cancel_set_deadline(double deadline);
/* Makes this thread's work stop when *flag becomes non-zero (NULL: no flag). */
void cancel_set_flag(const int *flag);
/* 1 when this thread's deadline has passed, its flag is set or the process
 * is shutting down. */
int cancel_requested(void);
/* 1 when this thread's flag is set or the process is shutting down: the
 * work is not wanted any more (its deadline aside). */
int cancel_stopped(void);
/* This thread's deadline (CLOCK_MONOTONIC seconds), 0 when it has none. */
double cancel_deadline(void);
/* Seconds left before this thread's deadline (0 when it has passed or the
 * process is shutting down; a negative number when there is no deadline). */
double cancel_remaining(void);
/* Makes cancel_requested() true in every thread, for good. */
void cancel_shutdown(void);
/* Registers the GEOS interrupt callback that asks cancel_requested(); once, at start. */
void cancel_install_geos(void);

#endif
