/* The one allocation policy of gisd: these abort the process with a message
 * when memory is exhausted (as Redis' zmalloc does), so no caller carries a
 * NULL check that could be forgotten. Free with free(). */
#ifndef GISD_XALLOC_H
#define GISD_XALLOC_H

#include <stddef.h>

/* n bytes (at least 1); never NULL. */
void *xmalloc(size_t n);
/* n zeroed elements of size bytes; aborts on overflow too; never NULL. */
void *xcalloc(size_t n, size_t size);
/* p grown or shrunk to n bytes (at least 1); never NULL. */
void *xrealloc(void *p, size_t n);
/* p resized to n elements of size bytes, aborting on overflow; never NULL. */
void *xreallocarray(void *p, size_t n, size_t size);
/* A copy of s; never NULL. */
char *xstrdup(const char *s);
/* A copy of at most n bytes of s, terminated; never NULL. */
char *xstrndup(const char *s, size_t n);
/* Makes jansson allocate through xmalloc: call once at start. */
void xalloc_install_json(void);

#endif
