#include "geos_ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "utf8.h"

/* A context is used by one thread at a time, so its last error is that thread's. */
static _Thread_local char last_error[512];

static void keep_error(const char *message, void *userdata)
{
    (void)userdata;
    snprintf(last_error, sizeof last_error, "%s", message);
    last_error[utf8_cut(last_error, sizeof last_error - 1)] = '\0';
}

GEOSContextHandle_t geos_context_new(void)
{
    GEOSContextHandle_t h = GEOS_init_r();
    if (!h) {
        fprintf(stderr, "gisd: out of memory creating a GEOS context\n");
        abort();
    }
    GEOSContext_setErrorMessageHandler_r(h, keep_error, NULL);
    return h;
}

const char *geos_last_error(void) { return last_error; }
