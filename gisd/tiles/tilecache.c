#include "tilecache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gzip.h"
#include "xalloc.h"

#define BUCKETS 8192

struct tilecache {
    pthread_mutex_t lock;
    tile_entry *buckets[BUCKETS];
    tile_entry *head, *tail; /* most recently used first */
    size_t bytes, max_bytes;
    long long hits, misses, entries;
};

static unsigned long long hash_bytes(const void *p, size_t n)
{
    const unsigned char *c = p;
    unsigned long long h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 1099511628211ull;
    return h;
}

static size_t entry_bytes(const tile_entry *e)
{
    return sizeof *e + strlen(e->key) + 1 + e->raw_len + e->gz_len;
}

static void entry_free(tile_entry *e)
{
    free(e->key);
    free(e->raw);
    free(e->gz);
    free(e);
}

tilecache *tilecache_new(size_t max_bytes)
{
    tilecache *c = xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    c->max_bytes = max_bytes;
    return c;
}

void tilecache_free(tilecache *c)
{
    if (!c)
        return;
    for (tile_entry *e = c->head, *next; e; e = next) {
        next = e->next;
        entry_free(e);
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static void lru_unlink(tilecache *c, tile_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(tilecache *c, tile_entry *e)
{
    e->next = c->head;
    e->prev = NULL;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static tile_entry **bucket_of(tilecache *c, const char *key)
{
    return &c->buckets[hash_bytes(key, strlen(key)) % BUCKETS];
}

static void drop_locked(tilecache *c, tile_entry *e)
{
    for (tile_entry **p = bucket_of(c, e->key); *p; p = &(*p)->hnext)
        if (*p == e) {
            *p = e->hnext;
            break;
        }
    lru_unlink(c, e);
    c->bytes -= entry_bytes(e);
    c->entries--;
    if (--e->refs == 0)
        entry_free(e);
}

tile_entry *tilecache_get(tilecache *c, const char *key)
{
    pthread_mutex_lock(&c->lock);
    tile_entry *e = *bucket_of(c, key);
    while (e && strcmp(e->key, key) != 0)
        e = e->hnext;
    if (e) {
        lru_unlink(c, e);
        lru_push_front(c, e);
        e->refs++;
        c->hits++;
    } else {
        c->misses++;
    }
    pthread_mutex_unlock(&c->lock);
    return e;
}

/* A new entry holding raw (copied), referenced once; NULL when out of memory. */
static tile_entry *entry_new(const char *key, const void *raw, size_t len)
{
    tile_entry *e = xcalloc(1, sizeof *e);
    e->key = xstrdup(key);
    if (len > 0) {
        e->raw = xmalloc(len);
        e->gz = e->raw ? gzip_new(raw, len, &e->gz_len) : NULL;
    }
    if (!e->key || (len > 0 && (!e->raw || !e->gz))) {
        entry_free(e);
        return NULL;
    }
    if (len > 0)
        memcpy(e->raw, raw, len);
    e->raw_len = len;
    snprintf(e->etag, sizeof e->etag, "\"%016llx\"", hash_bytes(raw, len));
    e->refs = 1; /* the caller's */
    return e;
}

tile_entry *tilecache_entry(const void *raw, size_t len) { return entry_new("", raw, len); }

tile_entry *tilecache_put(tilecache *c, const char *key, const void *raw, size_t len)
{
    tile_entry *e = entry_new(key, raw, len);
    if (!e)
        return NULL;
    size_t size = entry_bytes(e);
    if (size > c->max_bytes / 4)
        return e; /* too large to be worth a quarter of the cache: not kept */
    pthread_mutex_lock(&c->lock);
    tile_entry **b = bucket_of(c, key);
    for (tile_entry *old = *b; old; old = old->hnext)
        if (strcmp(old->key, key) == 0) {
            drop_locked(c, old); /* another thread rendered it too */
            break;
        }
    while (c->tail && c->bytes + size > c->max_bytes)
        drop_locked(c, c->tail);
    e->refs++;
    e->hnext = *b;
    *b = e;
    lru_push_front(c, e);
    c->bytes += size;
    c->entries++;
    pthread_mutex_unlock(&c->lock);
    return e;
}

void tilecache_release(tilecache *c, tile_entry *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&c->lock);
    int last = --e->refs == 0;
    pthread_mutex_unlock(&c->lock);
    if (last)
        entry_free(e);
}

void tilecache_stats_get(tilecache *c, tilecache_stats *out)
{
    pthread_mutex_lock(&c->lock);
    out->hits = c->hits;
    out->misses = c->misses;
    out->entries = c->entries;
    out->bytes = (long long)c->bytes;
    out->max_bytes = (long long)c->max_bytes;
    pthread_mutex_unlock(&c->lock);
}
