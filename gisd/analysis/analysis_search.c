/* search (GET /search): features found by name, in Chinese or by the pinyin
 * initials of their names, from an index held in memory per version of the
 * layers (rebuilt when an import or an edit moves a layer's change counter,
 * on this node or another; a scenario's is built per request). */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "analysis_geom.h"
#include "pinyin.h"
#include "utf8.h"
#include "xalloc.h"

const param_def SEARCH_PARAMS[] = {
    {"q", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 1, "a name or part of one (回收点), or its pinyin initials (hsd)"},
    {"layer", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 0, "only these layers (comma-separated); default: every named layer"},
    {"limit", PARAM_INT, NULL, 1, 50, NULL, "10", 0, "how many matches"},
    {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

/* The layers searched, in the order their matches rank when equally good:
 * what a resident looks for first. */
static const char *const LAYERS[] = {"recycling_points", "communities", "parks",         "districts", "roads",
                                     "heat_sources",     "hw_facilities", "sensitive_areas", "enterprises", NULL};

typedef struct {
    unsigned layer; /* index in LAYERS */
    char *id, *name;
    double x, y;       /* a point on the feature, lon/lat */
    double bbox[4];    /* lon/lat */
    int parts;         /* roads: the segments of that name */
} entry;

typedef struct {
    char *key; /* NULL: not cached */
    int refs;
    entry *e;
    size_t n;
} search_index;

#define CACHED 2
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static search_index *cache[CACHED];

static void index_free(search_index *ix)
{
    for (size_t i = 0; i < ix->n; i++) {
        free(ix->e[i].id);
        free(ix->e[i].name);
    }
    free(ix->e);
    sqlite3_free(ix->key);
    free(ix);
}

static void release(search_index *ix)
{
    pthread_mutex_lock(&lock);
    int last = --ix->refs == 0;
    pthread_mutex_unlock(&lock);
    if (last)
        index_free(ix);
}

void search_cache_clear(void)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < CACHED; i++) {
        if (cache[i] && --cache[i]->refs == 0)
            index_free(cache[i]);
        cache[i] = NULL;
    }
    pthread_mutex_unlock(&lock);
}

static int by_layer_name(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->layer != y->layer)
        return x->layer < y->layer ? -1 : 1;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->id, y->id);
}

/* Reads one layer's named features into ix. */
static int load_layer(store *s, const layer_def *l, unsigned k, GEOSContextHandle_t h, search_index *ix, size_t *cap,
                      gisd_error *err)
{
    int name_k = layer_field_index(l, "name");
    if (name_k < 0)
        return 0;
    store_query q = {.limit = -1, .geom_format = STORE_GEOM_WKB};
    store_cursor *c;
    if (store_cursor_open(s, l, &q, &c, err) != 0)
        return -1;
    int rc;
    while ((rc = store_cursor_next(c, err)) == 1) {
        if (store_cursor_is_null(c, (size_t)name_k))
            continue;
        const char *name = store_cursor_text(c, (size_t)name_k);
        size_t len;
        const unsigned char *wkb = store_cursor_geom(c, &len);
        if (!name || !*name || !wkb)
            continue;
        GEOSGeometry *g = GEOSGeomFromWKB_buf_r(h, wkb, len);
        GEOSGeometry *pt = g ? GEOSPointOnSurface_r(h, g) : NULL;
        double x, y, b[4];
        int ok = pt && GEOSGeomGetX_r(h, pt, &x) && GEOSGeomGetY_r(h, pt, &y) &&
                 GEOSGeom_getXMin_r(h, g, &b[0]) && GEOSGeom_getYMin_r(h, g, &b[1]) &&
                 GEOSGeom_getXMax_r(h, g, &b[2]) && GEOSGeom_getYMax_r(h, g, &b[3]);
        if (pt)
            GEOSGeom_destroy_r(h, pt);
        if (g)
            GEOSGeom_destroy_r(h, g);
        if (!ok) {
            store_cursor_free(c);
            return gisd_fail(err, GISD_E_INTERNAL, "GEOS could not place %s's feature \"%s\" for the search index",
                             l->id, name);
        }
        if (ix->n == *cap) {
            *cap = *cap ? 2 * *cap : 1024;
            ix->e = xrealloc(ix->e, *cap * sizeof *ix->e);
        }
        char fid[32];
        snprintf(fid, sizeof fid, "%lld", store_cursor_fid(c));
        const char *id = l->id_index != LAYER_NO_ID ? store_cursor_text(c, l->id_index) : NULL;
        ix->e[ix->n++] = (entry){k, xstrdup(id ? id : fid), xstrdup(name), x, y, {b[0], b[1], b[2], b[3]}, 1};
    }
    store_cursor_free(c);
    return rc < 0 ? -1 : 0;
}

/* Roads come in many segments of one name: one entry a name, the box of all. */
static void merge_roads(search_index *ix)
{
    qsort(ix->e, ix->n, sizeof *ix->e, by_layer_name);
    size_t w = 0;
    for (size_t i = 0; i < ix->n; i++) {
        entry *e = &ix->e[i];
        if (w > 0 && strcmp(LAYERS[e->layer], "roads") == 0 && ix->e[w - 1].layer == e->layer &&
            strcmp(ix->e[w - 1].name, e->name) == 0) {
            entry *m = &ix->e[w - 1];
            m->bbox[0] = fmin(m->bbox[0], e->bbox[0]);
            m->bbox[1] = fmin(m->bbox[1], e->bbox[1]);
            m->bbox[2] = fmax(m->bbox[2], e->bbox[2]);
            m->bbox[3] = fmax(m->bbox[3], e->bbox[3]);
            m->parts++;
            free(e->id);
            free(e->name);
            continue;
        }
        ix->e[w++] = *e;
    }
    ix->n = w;
}

static int index_build(store *s, const layer_registry *reg, search_index **out, gisd_error *err)
{
    search_index *ix = xcalloc(1, sizeof *ix);
    size_t cap = 0;
    GEOSContextHandle_t h = geos_context_new();
    /* one read transaction: every layer as of one moment */
    int rc = store_read_begin(s, err);
    int reading = rc == 0;
    for (unsigned k = 0; rc == 0 && LAYERS[k]; k++) {
        const layer_def *l = layer_registry_find(reg, LAYERS[k]);
        if (l)
            rc = load_layer(s, l, k, h, ix, &cap, err);
    }
    if (reading)
        store_read_end(s);
    GEOS_finish_r(h);
    if (rc != 0) {
        index_free(ix);
        return -1;
    }
    merge_roads(ix);
    *out = ix;
    return 0;
}

/* The index of s's layers as they are now, shared; release() it. */
static int index_get(store *s, const layer_registry *reg, search_index **out, gisd_error *err)
{
    char *key = NULL;
    if (!store_in_scenario(s)) {
        key = sqlite3_mprintf("%s", store_location(s));
        for (unsigned k = 0; LAYERS[k]; k++) {
            const layer_def *l = layer_registry_find(reg, LAYERS[k]);
            store_layer_stats st;
            if (!l)
                continue;
            if (store_layer_stats_get(s, l, &st, err) != 0) {
                sqlite3_free(key);
                return -1;
            }
            char *longer = sqlite3_mprintf("%s|%lld|%lld", key, st.changes, st.count);
            sqlite3_free(key);
            key = longer;
        }
        pthread_mutex_lock(&lock);
        for (int i = 0; i < CACHED; i++)
            if (cache[i] && strcmp(cache[i]->key, key) == 0) {
                *out = cache[i];
                cache[i]->refs++;
                break;
            }
        pthread_mutex_unlock(&lock);
        if (*out) {
            sqlite3_free(key);
            return 0;
        }
    }
    search_index *ix;
    if (index_build(s, reg, &ix, err) != 0) {
        sqlite3_free(key);
        return -1;
    }
    ix->refs = 1;
    if (key) {
        ix->key = key;
        pthread_mutex_lock(&lock);
        search_index *old = cache[CACHED - 1];
        memmove(&cache[1], &cache[0], (CACHED - 1) * sizeof *cache);
        cache[0] = ix;
        ix->refs++;
        int drop = old && --old->refs == 0;
        pthread_mutex_unlock(&lock);
        if (drop)
            index_free(old);
    }
    *out = ix;
    return 0;
}

/* How well name answers q: 0 the name itself, 1 its start, 2 inside it, 3
 * by pinyin initials; -1 not at all. */
static int score(const char *name, const char *q, int initials)
{
    if (strcasecmp(name, q) == 0)
        return 0;
    size_t nq = strlen(q);
    if (strncasecmp(name, q, nq) == 0)
        return 1;
    if (strcasestr(name, q))
        return 2;
    return initials && pinyin_match(name, q) ? 3 : -1;
}

typedef struct {
    const entry *e;
    int score;
} hit;

static int by_hit(const void *a, const void *b)
{
    const hit *x = a, *y = b;
    if (x->score != y->score)
        return x->score - y->score;
    /* the shorter name is nearer what was typed: 鹿城区 before 鹿城区1社区 */
    size_t lx = strlen(x->e->name), ly = strlen(y->e->name);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    if (x->e->layer != y->e->layer)
        return x->e->layer < y->e->layer ? -1 : 1;
    int c = strcmp(x->e->name, y->e->name);
    return c ? c : strcmp(x->e->id, y->e->id);
}

int analysis_search(store *s, const layer_registry *reg, const search_params *p, json_t **out, gisd_error *err)
{
    *out = NULL;
    size_t nq = strlen(p->q);
    if (nq == 0 || nq > 200 || !utf8_valid(p->q))
        return gisd_fail(err, GISD_E_INPUT, "q must be 1 to 200 bytes of UTF-8 text: a name, or its pinyin initials");
    if (p->layers) {
        for (const char *t = p->layers; *t;) {
            size_t len = strcspn(t, ",");
            int known = 0;
            for (unsigned k = 0; LAYERS[k] && !known; k++)
                known = strlen(LAYERS[k]) == len && strncmp(t, LAYERS[k], len) == 0;
            if (!known)
                return gisd_fail(err, GISD_E_INPUT,
                                 "layer \"%.*s\" is not searched; the layers with names are recycling_points, "
                                 "communities, parks, districts, roads, heat_sources, hw_facilities, "
                                 "sensitive_areas and enterprises",
                                 (int)(len > 80 ? 80 : len), t);
            t += len + (t[len] == ',');
        }
    }
    /* initials are letters and digits only, and at least two of them (one matches half the city) */
    int initials = nq >= 2;
    for (size_t i = 0; i < nq && initials; i++)
        initials = isalnum((unsigned char)p->q[i]) && !(p->q[i] & 0x80);
    search_index *ix = NULL;
    if (index_get(s, reg, &ix, err) != 0)
        return -1;
    hit *hits = xmalloc((ix->n + 1) * sizeof *hits);
    size_t nh = 0;
    for (size_t i = 0; i < ix->n; i++) {
        if (p->layers && !param_list_has(p->layers, ',', LAYERS[ix->e[i].layer]))
            continue;
        int sc = score(ix->e[i].name, p->q, initials);
        if (sc >= 0)
            hits[nh++] = (hit){&ix->e[i], sc};
    }
    qsort(hits, nh, sizeof *hits, by_hit);
    static const char *const HOW[] = {"name", "name", "name", "pinyin"};
    json_t *features = json_array();
    for (size_t i = 0; i < nh && i < (size_t)p->limit; i++) {
        const entry *e = hits[i].e;
        json_t *props = json_pack("{s:s, s:s, s:s, s:s}", "layer", LAYERS[e->layer], "name", e->name, "id", e->id,
                                  "matched", HOW[hits[i].score]);
        if (e->parts > 1)
            json_object_set_new(props, "parts", json_integer(e->parts));
        json_array_append_new(
            features, json_pack("{s:s, s:s, s:{s:s, s:[f, f]}, s:[f, f, f, f], s:o}", "type", "Feature", "id", e->id,
                                "geometry", "type", "Point", "coordinates", analysis_round(e->x, 7),
                                analysis_round(e->y, 7), "bbox", analysis_round(e->bbox[0], 7),
                                analysis_round(e->bbox[1], 7), analysis_round(e->bbox[2], 7),
                                analysis_round(e->bbox[3], 7), "properties", props));
    }
    *out = json_pack("{s:s, s:s, s:o, s:I, s:I}", "type", "FeatureCollection", "q", p->q, "features", features,
                     "numberMatched", (json_int_t)nh, "numberReturned", (json_int_t)json_array_size(features));
    free(hits);
    release(ix);
    return 0;
}
