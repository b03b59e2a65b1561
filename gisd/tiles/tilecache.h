/* Rendered tiles kept in memory, least recently used first out, bounded in
 * bytes. A key names the layers, the tile and the layers' change counters,
 * so a tile made before an import is never found for a request after it. */
#ifndef GISD_TILECACHE_H
#define GISD_TILECACHE_H

#include <stddef.h>

typedef struct tile_entry {
    char *key;
    unsigned char *raw; /* MVT bytes; NULL with raw_len 0 for an empty tile */
    size_t raw_len;
    unsigned char *gz;  /* gzip of raw */
    size_t gz_len;
    char etag[24];      /* quoted, from the bytes */
    int refs;
    struct tile_entry *prev, *next, *hnext;
} tile_entry;

typedef struct tilecache tilecache;

tilecache *tilecache_new(size_t max_bytes);
void tilecache_free(tilecache *c);
/* A referenced entry, or NULL when the key is not cached. */
tile_entry *tilecache_get(tilecache *c, const char *key);
/* Caches raw (copied) under key and returns the referenced entry; NULL when
 * out of memory. */
tile_entry *tilecache_put(tilecache *c, const char *key, const void *raw, size_t len);
void tilecache_release(tilecache *c, tile_entry *e);
/* An entry holding raw (copied) that no cache keeps, referenced once (give
 * it back with tilecache_release as any other); NULL when out of memory. */
tile_entry *tilecache_entry(const void *raw, size_t len);

typedef struct {
    long long hits, misses, entries, bytes, max_bytes;
} tilecache_stats;
void tilecache_stats_get(tilecache *c, tilecache_stats *out);

#endif
