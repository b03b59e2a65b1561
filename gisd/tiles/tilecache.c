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
    long long hits, misses, evictions, entries;
};

/* FNV-1a over 8-byte words (then the tail byte by byte): keys and tiles are
 * hashed on every request, a tile's ~10 KB a byte at a time cost more than
 * the rest of a cache hit. */
static unsigned long long hash_bytes(const void *p, size_t n)
{
    const unsigned char *c = p;
    unsigned long long h = 14695981039346656037ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        unsigned long long w;
        memcpy(&w, c + i, 8);
        h = (h ^ w) * 1099511628211ull;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ c[i]) * 1099511628211ull;
    return h;
}

/* What an entry may come to hold: its gzip, made later, is counted as large
 * as the raw tile (which it hardly ever reaches) from the start. */
static size_t entry_bytes(const tile_entry *e)
{
    return sizeof *e + e->key_len + 2 * e->raw_len;
}

static void entry_free(tile_entry *e)
{
    free(e->key);
    unsigned char *body[2] = {e->raw, e->gz};
    for (int i = 0; i < 2; i++) {
        void *obj = atomic_load(&e->attached[i]);
        if (obj)
            e->attach_free(obj); /* which frees the body once nobody sends it */
        else
            free(body[i]);
    }
    free(e);
}

static pthread_mutex_t gzip_lock = PTHREAD_MUTEX_INITIALIZER;

const unsigned char *tile_entry_gzip(tile_entry *e, size_t *len)
{
    unsigned char *gz = atomic_load(&e->gz);
    if (!gz && e->raw_len > 0) {
        /* one lock for all entries: a tile is compressed once in its life */
        pthread_mutex_lock(&gzip_lock);
        if (!(gz = atomic_load(&e->gz))) {
            size_t n = 0;
            gz = gzip_new(e->raw, e->raw_len, &n);
            e->gz_len = n;
            atomic_store(&e->gz, gz);
        }
        pthread_mutex_unlock(&gzip_lock);
    }
    *len = e->gz_len;
    return gz;
}

void tile_entry_attach(tile_entry *e, int which, void *obj, void (*release)(void *))
{
    e->attach_free = release;
    atomic_store(&e->attached[which], obj);
}

void *tile_entry_attached(tile_entry *e, int which) { return atomic_load(&e->attached[which]); }

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
        tile_entry_release(e);
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

static int key_is(const tile_entry *e, unsigned long long h, const void *key, size_t klen)
{
    return e->hash == h && e->key_len == klen && memcmp(e->key, key, klen) == 0;
}

static void drop_locked(tilecache *c, tile_entry *e)
{
    for (tile_entry **p = &c->buckets[e->hash % BUCKETS]; *p; p = &(*p)->hnext)
        if (*p == e) {
            *p = e->hnext;
            break;
        }
    lru_unlink(c, e);
    c->bytes -= entry_bytes(e);
    c->entries--;
    tile_entry_release(e);
}

tile_entry *tilecache_get(tilecache *c, const void *key, size_t klen)
{
    unsigned long long h = hash_bytes(key, klen);
    pthread_mutex_lock(&c->lock);
    tile_entry *e = c->buckets[h % BUCKETS];
    while (e && !key_is(e, h, key, klen))
        e = e->hnext;
    if (e) {
        if (c->head != e) {
            lru_unlink(c, e);
            lru_push_front(c, e);
        }
        atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
        c->hits++;
    } else {
        c->misses++;
    }
    pthread_mutex_unlock(&c->lock);
    return e;
}

/* A new entry holding raw (copied), referenced once. */
static tile_entry *entry_new(const void *key, size_t klen, const void *raw, size_t len)
{
    tile_entry *e = xcalloc(1, sizeof *e);
    e->key = xmalloc(klen ? klen : 1);
    memcpy(e->key, key, klen);
    e->key_len = klen;
    e->hash = hash_bytes(key, klen);
    if (len > 0) {
        e->raw = xmalloc(len);
        memcpy(e->raw, raw, len);
    }
    e->raw_len = len;
    snprintf(e->etag, sizeof e->etag, "\"%016llx\"", hash_bytes(raw, len));
    atomic_init(&e->refs, 1); /* the caller's */
    return e;
}

tile_entry *tilecache_entry(const void *raw, size_t len) { return entry_new("", 0, raw, len); }

tile_entry *tilecache_put(tilecache *c, const void *key, size_t klen, const void *raw, size_t len)
{
    tile_entry *e = entry_new(key, klen, raw, len);
    size_t size = entry_bytes(e);
    if (size > c->max_bytes / 4)
        return e; /* too large to be worth a quarter of the cache: not kept */
    pthread_mutex_lock(&c->lock);
    tile_entry **b = &c->buckets[e->hash % BUCKETS];
    for (tile_entry *old = *b; old; old = old->hnext)
        if (key_is(old, e->hash, key, klen)) {
            drop_locked(c, old); /* another thread rendered it too */
            break;
        }
    while (c->tail && c->bytes + size > c->max_bytes) {
        drop_locked(c, c->tail);
        c->evictions++;
    }
    atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
    e->hnext = *b;
    *b = e;
    lru_push_front(c, e);
    c->bytes += size;
    c->entries++;
    pthread_mutex_unlock(&c->lock);
    return e;
}

void tile_entry_release(tile_entry *e)
{
    /* acq_rel: the last holder must see every other holder's reads done */
    if (e && atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1)
        entry_free(e);
}

void tilecache_stats_get(tilecache *c, tilecache_stats *out)
{
    pthread_mutex_lock(&c->lock);
    out->hits = c->hits;
    out->misses = c->misses;
    out->evictions = c->evictions;
    out->entries = c->entries;
    out->bytes = (long long)c->bytes;
    out->max_bytes = (long long)c->max_bytes;
    pthread_mutex_unlock(&c->lock);
}
