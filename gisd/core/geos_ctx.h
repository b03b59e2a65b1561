/* GEOS contexts that remember their last error, so that a failed GEOS call
 * reaches the user with GEOS's own words (as PostGIS's GEOS_FAIL does). */
#ifndef GISD_GEOS_CTX_H
#define GISD_GEOS_CTX_H

#include <geos_c.h>

/* A new GEOS context whose errors are kept for geos_last_error; aborts like
 * xmalloc when GEOS cannot make one. Free with GEOS_finish_r. */
GEOSContextHandle_t geos_context_new(void);
/* The last error GEOS reported in this thread ("" when none). */
const char *geos_last_error(void);

#endif
