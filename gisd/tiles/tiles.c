#include "tiles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geos_ctx.h"
#include "tile_render.h"
#include "xalloc.h"

struct tile_service {
    const layer_registry *reg;
    tile_source *src;
    tilecache *cache;
};

int tiles_parse_layers(const layer_registry *reg, const char *spec, size_t *idx, size_t *n,
                       gisd_error *err)
{
    *n = 0;
    if (strcmp(spec, "all") == 0) {
        for (size_t i = 0; i < reg->n; i++)
            idx[(*n)++] = i;
        return 0;
    }
    const char *p = spec;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char id[64];
        if (len == 0 || len >= sizeof id)
            return gisd_fail(err, GISD_E_INPUT,
                             "layers \"%s\": give \"all\" or layer ids separated by commas", spec);
        memcpy(id, p, len);
        id[len] = '\0';
        const layer_def *l = layer_registry_find(reg, id);
        if (!l)
            return gisd_fail(err, GISD_E_NOTFOUND, "no layer \"%s\"; see /collections", id);
        size_t li = (size_t)(l - reg->layers), k = 0;
        while (k < *n && idx[k] != li)
            k++;
        if (k == *n)
            idx[(*n)++] = li;
        p = end ? end + 1 : p + len;
    }
    if (*n == 0)
        return gisd_fail(err, GISD_E_INPUT, "layers: name at least one layer, or \"all\"");
    return 0;
}

/* The union of the layers' extents in lon/lat; 0 when none has data. */
int tiles_extent(store *st, const layer_registry *reg, const size_t *idx, size_t n,
                         double out[4], gisd_error *err)
{
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        store_layer_stats s;
        if (store_layer_stats_get(st, &reg->layers[idx[i]], &s, err) != 0)
            return -1;
        if (!s.has_extent)
            continue;
        if (!any || s.minx < out[0]) out[0] = s.minx;
        if (!any || s.miny < out[1]) out[1] = s.miny;
        if (!any || s.maxx > out[2]) out[2] = s.maxx;
        if (!any || s.maxy > out[3]) out[3] = s.maxy;
        any = 1;
    }
    return any;
}

json_t *tiles_vector_layers(const layer_registry *reg, const size_t *idx, size_t n,
                            int field_types)
{
    json_t *vl = json_array();
    for (size_t i = 0; i < n; i++) {
        const layer_def *l = &reg->layers[idx[i]];
        json_t *fields = json_object();
        for (size_t k = 0; k < l->nfields; k++) {
            const char *d = l->fields[k].description;
            if (field_types)
                d = l->fields[k].type == FIELD_BOOLEAN ? "Boolean" : field_type_numeric(l->fields[k].type) ? "Number" : "String";
            else if (!d || !*d)
                d = field_type_name(l->fields[k].type);
            json_object_set_new(fields, l->fields[k].name, json_string(d));
        }
        if (l->geometry == GEOM_POINT || l->geometry == GEOM_MULTIPOINT)
            json_object_set_new(fields, "point_count",
                                json_string(field_types ? "Number"
                                                        : "how many points a thinned or clustered "
                                                          "point stands for (absent: 1)"));
        /* below minzoom the tiles carry the layer's overview: dissolved polygons or clustered points */
        json_array_append_new(vl, json_pack("{s:s, s:s, s:i, s:i, s:O}", "id", l->id,
                                            "description", l->title, "minzoom", l->has_overview ? 0 : l->minzoom,
                                            "maxzoom", l->maxzoom, "fields", fields));
        if (l->label_layer) {
            char title[512];
            snprintf(title, sizeof title, "%s: one label point per feature", l->title);
            json_object_del(fields, "point_count");
            json_array_append_new(vl, json_pack("{s:s, s:s, s:i, s:i, s:O}", "id", l->label_layer, "description", title,
                                                "minzoom", l->minzoom, "maxzoom", l->maxzoom, "fields", fields));
        }
        json_decref(fields);
    }
    return vl;
}

tile_service *tile_service_new(const layer_registry *reg, const char *db_path, size_t cache_mb,
                               size_t snapshot_max_bytes)
{
    tile_service *svc = xcalloc(1, sizeof *svc);
    svc->reg = reg;
    svc->src = tile_source_new(reg, db_path, snapshot_max_bytes);
    svc->cache = tilecache_new(cache_mb * 1024 * 1024);
    if (!svc->src || !svc->cache) {
        tile_service_free(svc);
        return NULL;
    }
    return svc;
}

void tile_service_free(tile_service *svc)
{
    if (!svc)
        return;
    tile_source_free(svc->src);
    tilecache_free(svc->cache);
    free(svc);
}

tilecache *tile_service_cache(tile_service *svc) { return svc->cache; }
tile_source *tile_service_source(tile_service *svc) { return svc->src; }

int tile_service_get(tile_service *svc, store *st, GEOSContextHandle_t ctx, const size_t *layers,
                     size_t n, tile_id t, tile_entry **out, gisd_error *err)
{
    *out = NULL;
    long long *all = xcalloc(svc->reg->n ? svc->reg->n : 1, sizeof *all);
    long long *changes = xcalloc(n ? n : 1, sizeof *changes);
    tile_layer_data **data = xcalloc(n ? n : 1, sizeof *data);
    int rc = store_layer_changes(st, all, err);
    /* the key: the tile, then each layer's index and change counter, as bytes */
    size_t klen = 0;
    unsigned char *key = xmalloc(3 * sizeof(unsigned) + n * (sizeof(size_t) + sizeof(long long)));
    if (rc == 0) {
        unsigned zxy[3] = {(unsigned)t.z, t.x, t.y};
        memcpy(key, zxy, sizeof zxy);
        klen = sizeof zxy;
        for (size_t i = 0; i < n; i++) {
            changes[i] = all[layers[i]];
            memcpy(key + klen, &layers[i], sizeof layers[i]);
            klen += sizeof layers[i];
            memcpy(key + klen, &changes[i], sizeof changes[i]);
            klen += sizeof changes[i];
        }
    }
    double m[4], area[4], pad; /* the tile with its 64-unit buffer, in lon/lat */
    tile_bounds_merc(t, m);
    pad = (m[2] - m[0]) * TILE_BUFFER / TILE_EXTENT;
    lonlat_from_merc(m[0] - pad, m[1] - pad, &area[0], &area[1]);
    lonlat_from_merc(m[2] + pad, m[3] + pad, &area[2], &area[3]);
    if (rc == 0 && store_in_scenario(st)) {
        /* a scenario's tile is cut from its own area as the scenario reads
         * it, every time: the snapshots and the cache hold the baseline's */
        size_t got = 0;
        while (rc == 0 && got < n && (rc = tile_area_load(st, &svc->reg->layers[layers[got]], area, &data[got], err)) == 0)
            got++;
        strbuf bytes = {0};
        tile_render_info info;
        if (rc == 0)
            rc = tile_render(ctx, data, n, t, &bytes, &info, err);
        for (size_t i = 0; i < got; i++)
            tile_area_free(data[i]);
        if (rc == 0)
            *out = tilecache_entry(bytes.data, info.features ? bytes.len : 0);
        strbuf_free(&bytes);
    } else if (rc == 0 && !(*out = tilecache_get(svc->cache, key, klen))) {
        rc = tile_source_acquire(svc->src, st, layers, n, changes, area, data, err);
        if (rc == 0) {
            strbuf bytes = {0};
            tile_render_info info;
            rc = tile_render(ctx, data, n, t, &bytes, &info, err);
            tile_source_release(svc->src, data, n);
            if (rc == 0)
                *out = tilecache_put(svc->cache, key, klen, bytes.data, info.features ? bytes.len : 0);
            strbuf_free(&bytes);
        }
    }
    free(key);
    free(all);
    free(changes);
    free(data);
    return rc;
}
