#include "pmtiles.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gzip.h"
#include "strbuf.h"
#include "xalloc.h"

#define HEADER_LEN 127
#define ROOT_BUDGET (16384 - HEADER_LEN) /* clients read the first 16 KiB at once */

typedef struct {
    uint64_t id;
    uint64_t offset; /* in the scratch file, then in the tile data section */
    uint64_t length;
} entry;

struct pmtiles_writer {
    char *path, *tmp, *scratch;
    FILE *data; /* tiles as they come, in the scratch file */
    uint64_t data_len;
    entry *entries;
    size_t n, cap;
};

uint64_t pmtiles_tile_id(int z, uint32_t x, uint32_t y)
{
    uint64_t acc = (((uint64_t)1 << (2 * z)) - 1) / 3, d = 0;
    for (uint64_t s = z > 0 ? (uint64_t)1 << (z - 1) : 0; s > 0; s >>= 1) {
        uint64_t rx = (x & s) ? 1 : 0, ry = (y & s) ? 1 : 0;
        d += s * s * ((3 * rx) ^ ry);
        if (ry == 0) { /* rotate the quadrant */
            if (rx == 1) {
                x = (uint32_t)(s - 1 - (x & (s - 1)));
                y = (uint32_t)(s - 1 - (y & (s - 1)));
            }
            uint32_t t = x;
            x = y;
            y = t;
        }
    }
    return acc + d;
}

static int fail_io(pmtiles_writer *w, gisd_error *err, const char *what)
{
    return gisd_fail(err, GISD_E_IO, "%s: %s; check the disk has room and the directory is writable",
                     w->path, what);
}

int pmtiles_create(const char *path, pmtiles_writer **out, gisd_error *err)
{
    *out = NULL;
    pmtiles_writer *w = xcalloc(1, sizeof *w);
    size_t n = strlen(path) + 16;
    if (!w || !(w->path = xstrdup(path)) || !(w->tmp = xmalloc(n)) || !(w->scratch = xmalloc(n))) {
        pmtiles_free(w);
        return gisd_fail(err, GISD_E_INTERNAL, "out of memory");
    }
    snprintf(w->tmp, n, "%s.partial", path);
    snprintf(w->scratch, n, "%s.tiles", path);
    if (!(w->data = fopen(w->scratch, "w+b"))) {
        fail_io(w, err, "cannot create the scratch file");
        pmtiles_free(w);
        return -1;
    }
    *out = w;
    return 0;
}

int pmtiles_tile(pmtiles_writer *w, int z, uint32_t x, uint32_t y, const void *gz, size_t len,
                 gisd_error *err)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 1024;
        entry *e = xrealloc(w->entries, cap * sizeof *e);
        w->entries = e;
        w->cap = cap;
    }
    if (fwrite(gz, 1, len, w->data) != len)
        return fail_io(w, err, "writing a tile");
    w->entries[w->n++] = (entry){pmtiles_tile_id(z, x, y), w->data_len, len};
    w->data_len += len;
    return 0;
}

static void put_varint(strbuf *b, uint64_t v)
{
    unsigned char c[10];
    size_t n = 0;
    while (v >= 0x80) {
        c[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    c[n++] = (unsigned char)v;
    strbuf_append(b, c, n);
}

/* One directory: entries with run_length 1 (tiles) or 0 (leaf pointers),
 * gzip-compressed; NULL when out of memory. */
static unsigned char *directory_new(const entry *e, size_t n, int leaves, size_t *len)
{
    strbuf b = {0};
    put_varint(&b, n);
    uint64_t last = 0;
    for (size_t i = 0; i < n; i++) {
        put_varint(&b, e[i].id - last);
        last = e[i].id;
    }
    for (size_t i = 0; i < n; i++)
        put_varint(&b, leaves ? 0 : 1);
    for (size_t i = 0; i < n; i++)
        put_varint(&b, e[i].length);
    for (size_t i = 0; i < n; i++) {
        int follows = i > 0 && e[i].offset == e[i - 1].offset + e[i - 1].length;
        put_varint(&b, follows ? 0 : e[i].offset + 1);
    }
    unsigned char *gz = gzip_new(b.data, b.len, len);
    strbuf_free(&b);
    return gz;
}

static int by_id(const void *a, const void *b)
{
    uint64_t x = ((const entry *)a)->id, y = ((const entry *)b)->id;
    return (x > y) - (x < y);
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_i32(unsigned char *p, double deg)
{
    int32_t v = (int32_t)lround(deg * 1e7);
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)((uint32_t)v >> (8 * i));
}

/* The leaves of per_leaf entries each into leaves, and the root directory
 * pointing at them; NULL when out of memory. */
static unsigned char *leaves_new(const entry *e, size_t n, size_t per_leaf, strbuf *leaves,
                                 size_t *len)
{
    size_t nleaves = (n + per_leaf - 1) / per_leaf;
    entry *ptr = xcalloc(nleaves, sizeof *ptr);
    leaves->len = 0;
    for (size_t k = 0; k < nleaves; k++) {
        size_t first = k * per_leaf, count = n - first < per_leaf ? n - first : per_leaf, leaf_len;
        unsigned char *leaf = directory_new(e + first, count, 0, &leaf_len);
        if (!leaf) {
            free(ptr);
            return NULL;
        }
        ptr[k] = (entry){e[first].id, leaves->len, leaf_len};
        strbuf_append(leaves, leaf, leaf_len);
        free(leaf);
    }
    unsigned char *root = directory_new(ptr, nleaves, 1, len);
    free(ptr);
    return root;
}

/* The root directory and, when every entry would not fit in it, the leaves
 * it points to, the leaves doubling in size until the root fits. */
static int directories(const entry *e, size_t n, strbuf *root, strbuf *leaves)
{
    for (size_t per_leaf = 0;; per_leaf = per_leaf ? per_leaf * 2 : 4096) {
        size_t len;
        unsigned char *gz = per_leaf ? leaves_new(e, n, per_leaf, leaves, &len)
                                     : directory_new(e, n, 0, &len);
        if (!gz)
            return -1;
        if (len <= ROOT_BUDGET) {
            strbuf_append(root, gz, len);
            free(gz);
            return 0;
        }
        free(gz);
    }
}

int pmtiles_finish(pmtiles_writer *w, const pmtiles_info *info, gisd_error *err)
{
    qsort(w->entries, w->n, sizeof *w->entries, by_id);
    /* the tile data section follows the Hilbert order: a clustered archive */
    uint64_t *scratch_at = xmalloc((w->n ? w->n : 1) * sizeof *scratch_at);
    uint64_t at = 0;
    for (size_t i = 0; i < w->n; i++) {
        scratch_at[i] = w->entries[i].offset;
        w->entries[i].offset = at;
        at += w->entries[i].length;
    }
    strbuf root = {0}, leaves = {0};
    size_t meta_len = 0;
    unsigned char *meta = gzip_new(info->metadata_json, strlen(info->metadata_json), &meta_len);
    int rc = meta && directories(w->entries, w->n, &root, &leaves) == 0
                 ? 0
                 : gisd_fail(err, GISD_E_INTERNAL, "out of memory");
    FILE *f = rc == 0 ? fopen(w->tmp, "wb") : NULL;
    if (rc == 0 && !f)
        rc = fail_io(w, err, "cannot create the archive");
    if (rc == 0) {
        unsigned char h[HEADER_LEN] = "PMTiles";
        h[7] = 3;
        uint64_t root_at = HEADER_LEN, meta_at = root_at + root.len, leaves_at = meta_at + meta_len,
                 data_at = leaves_at + leaves.len;
        put_u64(h + 8, root_at);
        put_u64(h + 16, root.len);
        put_u64(h + 24, meta_at);
        put_u64(h + 32, meta_len);
        put_u64(h + 40, leaves_at);
        put_u64(h + 48, leaves.len);
        put_u64(h + 56, data_at);
        put_u64(h + 64, at);
        put_u64(h + 72, w->n); /* addressed tiles, tile entries and contents: no deduplication */
        put_u64(h + 80, w->n);
        put_u64(h + 88, w->n);
        h[96] = 1;  /* clustered */
        h[97] = 2;  /* gzip directories and metadata */
        h[98] = 2;  /* gzip tiles */
        h[99] = 1;  /* MVT */
        h[100] = (unsigned char)info->minzoom;
        h[101] = (unsigned char)info->maxzoom;
        put_i32(h + 102, info->bounds[0]);
        put_i32(h + 106, info->bounds[1]);
        put_i32(h + 110, info->bounds[2]);
        put_i32(h + 114, info->bounds[3]);
        h[118] = (unsigned char)info->center_zoom;
        put_i32(h + 119, info->center[0]);
        put_i32(h + 123, info->center[1]);
        if (fwrite(h, 1, sizeof h, f) != sizeof h || fwrite(root.data, 1, root.len, f) != root.len ||
            fwrite(meta, 1, meta_len, f) != meta_len ||
            (leaves.len && fwrite(leaves.data, 1, leaves.len, f) != leaves.len))
            rc = fail_io(w, err, "writing the directories");
    }
    fflush(w->data);
    unsigned char *buf = NULL;
    size_t bufcap = 0;
    for (size_t i = 0; rc == 0 && i < w->n; i++) {
        size_t len = (size_t)w->entries[i].length;
        if (len > bufcap) {
            unsigned char *nb = xrealloc(buf, len);
            buf = nb;
            bufcap = len;
        }
        if (pread(fileno(w->data), buf, len, (off_t)scratch_at[i]) != (ssize_t)len ||
            fwrite(buf, 1, len, f) != len)
            rc = fail_io(w, err, "copying the tiles");
    }
    free(buf);
    if (f && fclose(f) != 0 && rc == 0)
        rc = fail_io(w, err, "closing the archive");
    if (rc == 0 && rename(w->tmp, w->path) != 0)
        rc = fail_io(w, err, "cannot move the archive into place");
    free(scratch_at);
    free(meta);
    strbuf_free(&root);
    strbuf_free(&leaves);
    return rc;
}

void pmtiles_free(pmtiles_writer *w)
{
    if (!w)
        return;
    if (w->data) {
        fclose(w->data);
        unlink(w->scratch);
    }
    if (w->tmp)
        unlink(w->tmp);
    free(w->entries);
    free(w->path);
    free(w->tmp);
    free(w->scratch);
    free(w);
}
