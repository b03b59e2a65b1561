#include "count_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define SLOTS 1024

struct count_cache {
    pthread_mutex_t lock;
    struct {
        char *key;
        long long n;
    } slot[SLOTS];
};

static unsigned slot_of(const char *key)
{
    unsigned long long h = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (unsigned)(h % SLOTS);
}

count_cache *count_cache_new(void)
{
    count_cache *c = xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

void count_cache_free(count_cache *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < SLOTS; i++)
        free(c->slot[i].key);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int count_cache_get(count_cache *c, const char *key, long long *n)
{
    unsigned i = slot_of(key);
    pthread_mutex_lock(&c->lock);
    int found = c->slot[i].key && strcmp(c->slot[i].key, key) == 0;
    if (found)
        *n = c->slot[i].n;
    pthread_mutex_unlock(&c->lock);
    return found;
}

void count_cache_put(count_cache *c, const char *key, long long n)
{
    unsigned i = slot_of(key);
    char *copy = xstrdup(key), *old;
    pthread_mutex_lock(&c->lock);
    old = c->slot[i].key;
    c->slot[i].key = copy;
    c->slot[i].n = n;
    pthread_mutex_unlock(&c->lock);
    free(old);
}
