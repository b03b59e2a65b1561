/* numberMatched of recent item queries, so the pages after the first of a
 * query (a client paging with offset) do not count the whole result again.
 * A key names the layer, its change counter and every argument that narrows
 * the result, so a count made before an edit or import is never found after
 * it. Direct-mapped and bounded: a colliding key replaces the old one. */
#ifndef GISD_COUNT_CACHE_H
#define GISD_COUNT_CACHE_H

typedef struct count_cache count_cache;

/* A cache of up to 1,024 counts. Never fails (allocation aborts). */
count_cache *count_cache_new(void);
/* Frees c and its keys (NULL: nothing). */
void count_cache_free(count_cache *c);
/* 1 with *n when key (borrowed) is cached, else 0. Thread-safe. */
int count_cache_get(count_cache *c, const char *key, long long *n);
/* Caches n under key (copied). Thread-safe. */
void count_cache_put(count_cache *c, const char *key, long long n);

#endif
