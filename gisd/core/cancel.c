#include "cancel.h"

#include <geos_c.h>
#include <stdatomic.h>
#include <time.h>

static _Thread_local double deadline;
static _Thread_local const int *flag;
static atomic_int shutting_down;

double cancel_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void cancel_set_deadline(double d) { deadline = d; }

void cancel_set_flag(const int *f) { flag = f; }

int cancel_requested(void)
{
    if (atomic_load_explicit(&shutting_down, memory_order_relaxed))
        return 1;
    if (flag && __atomic_load_n(flag, __ATOMIC_RELAXED))
        return 1;
    return deadline > 0 && cancel_now() >= deadline;
}

int cancel_stopped(void)
{
    return atomic_load_explicit(&shutting_down, memory_order_relaxed) ||
           (flag && __atomic_load_n(flag, __ATOMIC_RELAXED));
}

double cancel_deadline(void) { return deadline; }

double cancel_remaining(void)
{
    if (cancel_requested())
        return 0;
    return deadline > 0 ? deadline - cancel_now() : -1;
}

void cancel_shutdown(void) { atomic_store(&shutting_down, 1); }

/* GEOS 3.11 keeps one process-wide interrupt flag and calls this before it
 * looks at it, in the thread doing the work: so the thread whose deadline
 * passed is the one that raises the flag and, almost always, the one that
 * takes it. Another thread taking it first fails with an error, never with a
 * wrong answer. */
static void geos_interrupt_check(void)
{
    if (cancel_requested())
        GEOS_interruptRequest();
}

void cancel_install_geos(void) { GEOS_interruptRegisterCallback(geos_interrupt_check); }
