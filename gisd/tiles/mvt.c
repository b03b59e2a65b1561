#include "mvt.h"

#include <stdlib.h>
#include <string.h>

#include "vector_tile.pb-c.h"
#include "xalloc.h"

enum { CMD_MOVE_TO = 1, CMD_LINE_TO = 2, CMD_CLOSE_PATH = 7 };

static void geom_push(mvt_geom *g, uint32_t v)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 64;
        g->v = xreallocarray(g->v, g->cap, sizeof *g->v);
    }
    g->v[g->n++] = v;
}

static uint32_t command(unsigned id, size_t count) { return (uint32_t)((id & 7) | (count << 3)); }
static uint32_t zigzag(int32_t v) { return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31); }

static void geom_to(mvt_geom *g, int32_t x, int32_t y)
{
    geom_push(g, zigzag(x - g->cx));
    geom_push(g, zigzag(y - g->cy));
    g->cx = x;
    g->cy = y;
}

void mvt_geom_reset(mvt_geom *g)
{
    g->n = 0;
    g->cx = g->cy = 0;
}

void mvt_geom_free(mvt_geom *g)
{
    free(g->v);
    memset(g, 0, sizeof *g);
}

void mvt_geom_points(mvt_geom *g, const int32_t *xy, size_t n)
{
    geom_push(g, command(CMD_MOVE_TO, n));
    for (size_t i = 0; i < n; i++)
        geom_to(g, xy[2 * i], xy[2 * i + 1]);
}

void mvt_geom_line(mvt_geom *g, const int32_t *xy, size_t n)
{
    geom_push(g, command(CMD_MOVE_TO, 1));
    geom_to(g, xy[0], xy[1]);
    geom_push(g, command(CMD_LINE_TO, n - 1));
    for (size_t i = 1; i < n; i++)
        geom_to(g, xy[2 * i], xy[2 * i + 1]);
}

void mvt_geom_ring(mvt_geom *g, const int32_t *xy, size_t n)
{
    mvt_geom_line(g, xy, n);
    geom_push(g, command(CMD_CLOSE_PATH, 1));
}

/* ---- layers: features, keys and values ---- */

typedef struct {
    VectorTile__Tile__Value pb;
    uint64_t hash;
    int owned; /* pb.string_value is the layer's copy */
} value_slot;

struct mvt_layer {
    VectorTile__Tile__Layer pb;
    VectorTile__Tile__Feature *features;
    size_t nfeatures, capfeatures;
    char **keys; /* borrowed from the caller */
    size_t nkeys, capkeys;
    value_slot *values;
    size_t nvalues, capvalues;
    uint32_t *table; /* open addressing: value index + 1, 0 for empty */
    size_t tablesize;
    uint32_t *tags; /* of the feature being built */
    size_t ntags, captags;
    uint64_t id;
    /* every feature's geometry then tags, one after the other: one growing
     * array for the layer rather than two allocations a feature; pool_at is
     * where each feature's begin, pointed at when the tile is encoded */
    uint32_t *pool;
    size_t npool, cappool;
    size_t *pool_at;
    size_t cappool_at;
};

struct mvt_tile {
    mvt_layer **layers;
    size_t n, cap;
};

mvt_tile *mvt_tile_new(void) { return xcalloc(1, sizeof(mvt_tile)); }

static void layer_free(mvt_layer *l)
{
    free(l->pool);
    free(l->pool_at);
    for (size_t i = 0; i < l->nvalues; i++)
        if (l->values[i].owned)
            free(l->values[i].pb.string_value);
    free(l->features);
    free(l->keys);
    free(l->values);
    free(l->table);
    free(l->tags);
    free(l);
}

void mvt_tile_free(mvt_tile *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        layer_free(t->layers[i]);
    free(t->layers);
    free(t);
}

static void grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    *p = xreallocarray(*p, ncap, elem);
    *cap = ncap;
}

mvt_layer *mvt_layer_add(mvt_tile *t, const char *name)
{
    grow((void **)&t->layers, &t->cap, t->n + 1, sizeof *t->layers);
    mvt_layer *l = xcalloc(1, sizeof *l);
    vector_tile__tile__layer__init(&l->pb);
    l->pb.name = (char *)name;
    l->pb.version = 2;
    l->pb.has_extent = 1;
    l->pb.extent = 4096;
    t->layers[t->n++] = l;
    return l;
}

static uint32_t key_index(mvt_layer *l, const char *key)
{
    for (size_t i = 0; i < l->nkeys; i++)
        if (l->keys[i] == key || strcmp(l->keys[i], key) == 0)
            return (uint32_t)i;
    grow((void **)&l->keys, &l->capkeys, l->nkeys + 1, sizeof *l->keys);
    l->keys[l->nkeys] = (char *)key;
    return (uint32_t)l->nkeys++;
}

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 1099511628211ull;
    return h;
}

static int value_equal(const VectorTile__Tile__Value *a, const VectorTile__Tile__Value *b)
{
    if (a->has_int_value != b->has_int_value || a->has_double_value != b->has_double_value)
        return 0;
    if (a->has_int_value)
        return a->int_value == b->int_value;
    if (a->has_double_value)
        return memcmp(&a->double_value, &b->double_value, sizeof a->double_value) == 0;
    return strcmp(a->string_value, b->string_value) == 0;
}

static void table_rehash(mvt_layer *l)
{
    size_t size = l->tablesize ? l->tablesize * 2 : 64;
    uint32_t *t = xcalloc(size, sizeof *t);
    for (size_t i = 0; i < l->nvalues; i++) {
        size_t j = l->values[i].hash & (size - 1);
        while (t[j])
            j = (j + 1) & (size - 1);
        t[j] = (uint32_t)i + 1;
    }
    free(l->table);
    l->table = t;
    l->tablesize = size;
}

/* The index of v in the layer's values, adding it if new (its string copied
 * unless borrow: then it must outlive the layer). */
static uint32_t value_index(mvt_layer *l, const VectorTile__Tile__Value *v, uint64_t hash, int borrow)
{
    if ((l->nvalues + 1) * 2 > l->tablesize)
        table_rehash(l);
    size_t j = hash & (l->tablesize - 1);
    while (l->table[j]) {
        value_slot *s = &l->values[l->table[j] - 1];
        if (s->hash == hash && value_equal(&s->pb, v))
            return l->table[j] - 1;
        j = (j + 1) & (l->tablesize - 1);
    }
    grow((void **)&l->values, &l->capvalues, l->nvalues + 1, sizeof *l->values);
    value_slot *s = &l->values[l->nvalues];
    s->pb = *v;
    s->hash = hash;
    s->owned = v->string_value && !borrow;
    if (s->owned)
        s->pb.string_value = xstrdup(v->string_value);
    l->table[j] = (uint32_t)l->nvalues + 1;
    return (uint32_t)l->nvalues++;
}

static void add_tag(mvt_layer *l, const char *key, const VectorTile__Tile__Value *v, uint64_t hash, int borrow)
{
    uint32_t k = key_index(l, key), val = value_index(l, v, hash, borrow);
    grow((void **)&l->tags, &l->captags, l->ntags + 2, sizeof *l->tags);
    l->tags[l->ntags++] = k;
    l->tags[l->ntags++] = val;
}

void mvt_feature_begin(mvt_layer *l, uint64_t id)
{
    l->ntags = 0;
    l->id = id;
}

void mvt_feature_int(mvt_layer *l, const char *key, long long v)
{
    VectorTile__Tile__Value pb = VECTOR_TILE__TILE__VALUE__INIT;
    pb.has_int_value = 1;
    pb.int_value = v;
    add_tag(l, key, &pb, fnv(&v, sizeof v, 1469598103934665603ull), 0);
}

void mvt_feature_real(mvt_layer *l, const char *key, double v)
{
    VectorTile__Tile__Value pb = VECTOR_TILE__TILE__VALUE__INIT;
    pb.has_double_value = 1;
    pb.double_value = v;
    add_tag(l, key, &pb, fnv(&v, sizeof v, 1099511628211ull), 0);
}

uint64_t mvt_text_hash(const char *v) { return fnv(v, strlen(v), 14695981039346656037ull); }

void mvt_feature_text_hashed(mvt_layer *l, const char *key, const char *v, uint64_t hash)
{
    VectorTile__Tile__Value pb = VECTOR_TILE__TILE__VALUE__INIT;
    pb.string_value = (char *)v;
    add_tag(l, key, &pb, hash, 1);
}

void mvt_feature_text(mvt_layer *l, const char *key, const char *v)
{
    VectorTile__Tile__Value pb = VECTOR_TILE__TILE__VALUE__INIT;
    pb.string_value = (char *)v;
    add_tag(l, key, &pb, mvt_text_hash(v), 0);
}

void mvt_feature_end(mvt_layer *l, mvt_geom_type type, const mvt_geom *g)
{
    if (g->n == 0)
        return;
    grow((void **)&l->features, &l->capfeatures, l->nfeatures + 1, sizeof *l->features);
    VectorTile__Tile__Feature *f = &l->features[l->nfeatures];
    vector_tile__tile__feature__init(f);
    f->has_id = 1;
    f->id = l->id;
    f->has_type = 1;
    f->type = (VectorTile__Tile__GeomType)type;
    grow((void **)&l->pool_at, &l->cappool_at, l->nfeatures + 1, sizeof *l->pool_at);
    grow((void **)&l->pool, &l->cappool, l->npool + g->n + l->ntags, sizeof *l->pool);
    l->pool_at[l->nfeatures] = l->npool;
    memcpy(l->pool + l->npool, g->v, g->n * sizeof *l->pool);
    memcpy(l->pool + l->npool + g->n, l->tags, l->ntags * sizeof *l->pool);
    l->npool += g->n + l->ntags;
    f->n_geometry = g->n;
    f->n_tags = l->ntags;
    l->nfeatures++;
}

size_t mvt_tile_features(const mvt_tile *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += t->layers[i]->nfeatures;
    return n;
}

void mvt_tile_encode(mvt_tile *t, strbuf *out)
{
    VectorTile__Tile tile = VECTOR_TILE__TILE__INIT;
    VectorTile__Tile__Layer **layers = xcalloc(t->n ? t->n : 1, sizeof *layers);
    VectorTile__Tile__Feature ***fptrs = xcalloc(t->n ? t->n : 1, sizeof *fptrs);
    VectorTile__Tile__Value ***vptrs = xcalloc(t->n ? t->n : 1, sizeof *vptrs);
    for (size_t i = 0; i < t->n; i++) {
        mvt_layer *l = t->layers[i];
        if (l->nfeatures == 0)
            continue;
        fptrs[i] = xreallocarray(NULL, l->nfeatures, sizeof **fptrs);
        vptrs[i] = xreallocarray(NULL, l->nvalues, sizeof **vptrs);
        for (size_t k = 0; k < l->nfeatures; k++) {
            VectorTile__Tile__Feature *f = &l->features[k];
            f->geometry = l->pool + l->pool_at[k];
            f->tags = f->geometry + f->n_geometry;
            fptrs[i][k] = f;
        }
        for (size_t k = 0; k < l->nvalues; k++)
            vptrs[i][k] = &l->values[k].pb;
        l->pb.features = fptrs[i];
        l->pb.n_features = l->nfeatures;
        l->pb.keys = l->keys;
        l->pb.n_keys = l->nkeys;
        l->pb.values = vptrs[i];
        l->pb.n_values = l->nvalues;
        layers[tile.n_layers++] = &l->pb;
    }
    tile.layers = layers;
    size_t size = vector_tile__tile__get_packed_size(&tile);
    /* packed straight into out's room */
    strbuf_reserve(out, size);
    vector_tile__tile__pack(&tile, (uint8_t *)out->data + out->len);
    out->len += size;
    out->data[out->len] = '\0';
    for (size_t i = 0; i < t->n; i++) {
        free(fptrs[i]);
        free(vptrs[i]);
    }
    free(fptrs);
    free(vptrs);
    free(layers);
}
