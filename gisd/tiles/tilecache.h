/* Rendered tiles kept in memory, least recently used first out, bounded in
 * bytes. A key (bytes, compared whole) names the layers, the tile and the
 * layers' change counters, so a tile made before an import is never found
 * for a request after it. An entry is reference-counted: a response can send
 * its bytes while the cache drops it. */
#ifndef GISD_TILECACHE_H
#define GISD_TILECACHE_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct tile_entry {
    unsigned char *key;
    size_t key_len;
    unsigned long long hash; /* of the key */
    unsigned char *raw; /* MVT bytes; NULL with raw_len 0 for an empty tile */
    size_t raw_len;
    /* gzip of raw, made by the first request that asks for it
     * (tile_entry_gzip): with the cache off every tile would pay for it */
    unsigned char *_Atomic gz;
    size_t gz_len;
    char etag[24];      /* quoted, from the bytes */
    atomic_int refs;
    /* What a caller builds once for the entry and reuses on every request
     * (the HTTP layer's responses of the raw [0] and gzip [1] body, each then
     * owning that body): see tile_entry_attach. */
    void *_Atomic attached[2];
    void (*attach_free)(void *);
    struct tile_entry *prev, *next, *hnext;
} tile_entry;

typedef struct tilecache tilecache;

tilecache *tilecache_new(size_t max_bytes);
void tilecache_free(tilecache *c);
/* A referenced entry, or NULL when the key's klen bytes are not cached. */
tile_entry *tilecache_get(tilecache *c, const void *key, size_t klen);
/* Caches raw (copied) under key and returns the entry,
 * referenced for the caller. Never fails (allocation aborts). */
tile_entry *tilecache_put(tilecache *c, const void *key, size_t klen, const void *raw, size_t len);
/* Gives back one reference to e (NULL: nothing); the last frees it. Safe from
 * any thread, without the cache. */
void tile_entry_release(tile_entry *e);
/* e's gzip body (*len bytes), made now if no request asked before; NULL when
 * the tile is empty or zlib fails. Thread-safe. */
const unsigned char *tile_entry_gzip(tile_entry *e, size_t *len);
/* Attaches obj as e's which-th (0 raw, 1 gzip) reusable object, handing it
 * that body: from now on obj frees it, and the entry, when freed, lets obj go
 * with release. The caller keeps two threads from attaching to one entry at
 * once, and attaches to a slot only while it is empty. */
void tile_entry_attach(tile_entry *e, int which, void *obj, void (*release)(void *));
/* e's which-th attached object, or NULL. */
void *tile_entry_attached(tile_entry *e, int which);
/* An entry holding raw (copied) that no cache keeps, referenced once (give
 * it back with tile_entry_release as any other). */
tile_entry *tilecache_entry(const void *raw, size_t len);

typedef struct {
    long long hits, misses, evictions, entries, bytes, max_bytes;
} tilecache_stats;
void tilecache_stats_get(tilecache *c, tilecache_stats *out);

#endif
