/* Errors travel up as a small struct to the door (CLI or HTTP), which turns
 * the kind into an exit status or an HTTP status. */
#ifndef GISD_ERROR_H
#define GISD_ERROR_H

#include <stdarg.h>

typedef enum {
    GISD_OK = 0,
    GISD_E_INPUT,    /* the user's file, parameter or request is wrong: 400 */
    GISD_E_NOTFOUND, /* an unknown layer, feature or park: 404 */
    GISD_E_TOOBIG,   /* a body or field over a documented limit: 413 */
    GISD_E_IO,       /* a file could not be read or written: 503 */
    GISD_E_NOSPACE,  /* the disk is full: nothing was written (exit 74, 507) */
    GISD_E_TIMEOUT,  /* cancelled at its deadline or at shutdown: 503 */
    GISD_E_BUSY,     /* no room to queue the work now: 503 with Retry-After */
    GISD_E_INTERNAL, /* a bug or a broken library call: 500 */
    GISD_E_CONFLICT, /* the write clashes with what is stored (an id taken): 409 */
    GISD_E_STALE,    /* the write was made against an older version (If-Match): 412 */
    GISD_E_UNAVAILABLE /* a server gisd needs (PostgreSQL) is gone: 503, exit 70; nothing was written */
} gisd_code;

typedef struct {
    gisd_code code;
    char message[2048];
} gisd_error;

/* Sets err (if not NULL) and returns -1, so callers can `return gisd_fail(...)`.
 * A message longer than the buffer is cut between UTF-8 characters. */
int gisd_fail(gisd_error *err, gisd_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes context ("importing parks.shp: ") to an error already set; returns -1. */
int gisd_error_prefix(gisd_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Empties err (if not NULL). */
void gisd_error_clear(gisd_error *err);

#endif
