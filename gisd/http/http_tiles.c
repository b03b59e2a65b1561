/* OGC API - Tiles (vector tilesets of each collection in WebMercatorQuad),
 * XYZ tiles of any set of layers, and TileJSON 3.0.0 for map clients. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "routes.h"
#include "xalloc.h"

#define TMS_ID "WebMercatorQuad"
#define TMS_URI "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
#define EPSG3857_URI "http://www.opengis.net/def/crs/EPSG/0/3857"
#define CACHE_CONTROL "public, max-age=60"

static const layer_def *tiles_layer(http_req *r)
{
    return layer_registry_find(r->reg, r->params[0]);
}

static enum MHD_Result no_collection(http_req *r)
{
    return http_reply_error(r, 404, "NotFound", "there is no collection \"%s\"; see /collections",
                            r->params[0]);
}

/* The collection of a /collections/{id}/tiles/{tms}... path, or NULL after
 * replying 404 for an unknown collection or tile matrix set. */
static const layer_def *tileset_layer(http_req *r, enum MHD_Result *reply)
{
    const layer_def *l = tiles_layer(r);
    if (!l)
        *reply = no_collection(r);
    else if (strcmp(r->params[1], TMS_ID) != 0)
        *reply = http_reply_error(r, 404, "NotFound", "tile matrix set \"%s\": only %s is offered",
                                  r->params[1], TMS_ID);
    else
        return l;
    return NULL;
}

/* ---- TileJSON: /tiles/{layers}.json ---- */

enum MHD_Result http_tilejson(http_req *r)
{
    char spec[512];
    size_t len = strlen(r->params[0]);
    if (len < 6 || strcmp(r->params[0] + len - 5, ".json") != 0 || len - 5 >= sizeof spec)
        return http_reply_error(r, 404, "NotFound",
                                "TileJSON is at /tiles/{layers}.json, e.g. /tiles/all.json");
    memcpy(spec, r->params[0], len - 5);
    spec[len - 5] = '\0';
    gisd_error err = {0};
    size_t *idx = xcalloc(r->reg->n ? r->reg->n : 1, sizeof *idx), n = 0;
    if (tiles_parse_layers(r->reg, spec, idx, &n, &err) != 0) {
        free(idx);
        return http_reply_gisd_error(r, &err);
    }
    worker *w = server_worker_for(r->srv, r->scenario, &err);
    double ext[4] = {-180, -85.0511, 180, 85.0511};
    int has = w ? tiles_extent(w->st, r->reg, idx, n, ext, &err) : -1;
    server_worker_release(r->srv, w);
    if (has < 0) {
        free(idx);
        return http_reply_gisd_error(r, &err);
    }
    json_t *vl = tiles_vector_layers(r->reg, idx, n, 0);
    int minz = TILE_MAX_ZOOM, maxz = 0;
    for (size_t i = 0; i < n; i++) {
        const layer_def *l = &r->reg->layers[idx[i]];
        if (l->minzoom < minz) minz = l->minzoom;
        if (l->maxzoom > maxz) maxz = l->maxzoom;
    }
    free(idx);
    strbuf tiles = {0};
    strbuf_printf(&tiles, "%s/tiles/%s/{z}/{x}/{y}.mvt", r->base, spec);
    int center_zoom = minz > 10 ? minz : 10;
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:s, s:[s], s:i, s:i, s:[f,f,f,f], s:[f,f,i], s:o}", "tilejson", "3.0.0",
        "name", spec, "description", "gisd planning layers as Mapbox Vector Tiles", "scheme", "xyz",
        "tiles", tiles.data, "minzoom", minz, "maxzoom", maxz, "bounds", ext[0], ext[1], ext[2], ext[3],
        "center", (ext[0] + ext[2]) / 2, (ext[1] + ext[3]) / 2, center_zoom, "vector_layers", vl);
    strbuf_free(&tiles);
    return http_reply_json(r, 200, doc, "application/json");
}

/* ---- tiles ---- */

/* A whole non-negative number of at most 9 digits, or -1. */
static long parse_index(const char *s, const char *suffix)
{
    char buf[16];
    size_t len = strlen(s), sl = suffix ? strlen(suffix) : 0;
    if (sl) {
        if (len <= sl || strcmp(s + len - sl, suffix) != 0)
            return -1;
        len -= sl;
    }
    if (len == 0 || len > 9)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    long long v = http_parse_count(buf);
    return (long)v;
}

static void destroy_response(void *resp) { MHD_destroy_response(resp); }

/* A cached tile is sent by one response per body, built on its first request
 * with every header a tile answer has and queued to every later one: a warm
 * tile then costs what a static file costs. */
static pthread_mutex_t attach_lock = PTHREAD_MUTEX_INITIALIZER;

static struct MHD_Response *tile_response(tile_entry *e, int gz)
{
    struct MHD_Response *resp = tile_entry_attached(e, gz);
    if (resp)
        return resp;
    pthread_mutex_lock(&attach_lock);
    resp = tile_entry_attached(e, gz);
    if (!resp) {
        size_t len = e->raw_len;
        unsigned char *body = gz ? (unsigned char *)tile_entry_gzip(e, &len) : e->raw;
        resp = MHD_create_response_from_buffer_with_free_callback_cls(len, body, free, body);
        if (!resp) {
            fprintf(stderr, "gisd: out of memory creating a response\n");
            abort();
        }
        const char *hdrs[][2] = {{"Vary", "Accept-Encoding"}, {"ETag", e->etag},
                                 {"Cache-Control", CACHE_CONTROL}, {"Content-Type", MEDIA_MVT},
                                 {gz ? "Content-Encoding" : NULL, "gzip"}, {NULL, NULL}};
        http_add_headers(resp, hdrs);
        tile_entry_attach(e, gz, resp, destroy_response);
    }
    pthread_mutex_unlock(&attach_lock);
    return resp;
}

static enum MHD_Result send_tile(http_req *r, const size_t *idx, size_t n, const char *zs,
                                 const char *xs, const char *ys, const char *ysuffix)
{
    long z = parse_index(zs, NULL), x = parse_index(xs, NULL), y = parse_index(ys, ysuffix);
    if (z < 0 || x < 0 || y < 0)
        return http_reply_error(r, 400, "InvalidParameterValue",
                                "tile %s/%s/%s: zoom, column and row must be whole numbers", zs,
                                xs, ys);
    tile_id t = {(int)z, (unsigned)x, (unsigned)y};
    if (z > TILE_MAX_ZOOM || !tile_valid(t))
        return http_reply_error(r, 404, "NotFound",
                                "tile %ld/%ld/%ld lies outside WebMercatorQuad (zoom 0-%d, column "
                                "and row below 2^zoom)",
                                z, x, y, TILE_MAX_ZOOM);
    gisd_error err = {0};
    worker *w = server_worker_for(r->srv, r->scenario, &err);
    if (!w)
        return http_reply_gisd_error(r, &err);
    tile_entry *e = NULL;
    int rc = tile_service_get(server_tiles(r->srv), w->st, w->geos, idx, n, t, &e, &err);
    server_worker_release(r->srv, w);
    if (rc != 0)
        return http_reply_gisd_error(r, &err);
    const char *inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "If-None-Match");
    unsigned status = e->raw_len == 0 ? 204 : 200;
    size_t gz_len = 0;
    const unsigned char *gz_body = status == 200 && http_accepts_gzip(r) ? tile_entry_gzip(e, &gz_len) : NULL;
    int gz = gz_body != NULL;
    if (inm && (strstr(inm, e->etag) || strcmp(inm, "*") == 0))
        status = 304;
    size_t len = status == 200 ? (gz ? gz_len : e->raw_len) : 0;
    r->stats->bytes += (long long)len;
    enum MHD_Result ret;
    if (status == 200 && !r->vary) {
        ret = MHD_queue_response(r->conn, status, tile_response(e, gz));
    } else {
        /* the list ends at the first absent header */
        const char *hdrs[][2] = {{"Vary", "Accept-Encoding"}, {"ETag", e->etag},
                                 {"Cache-Control", CACHE_CONTROL},
                                 {status == 200 ? "Content-Type" : NULL, MEDIA_MVT},
                                 {gz ? "Content-Encoding" : NULL, "gzip"}, {NULL, NULL}};
        ret = http_send(r, status, MHD_create_response_from_buffer(len, status == 200 ? (gz ? (void *)gz_body : e->raw) : NULL,
                                                                   MHD_RESPMEM_MUST_COPY), hdrs);
    }
    tile_entry_release(e);
    return ret;
}

/* /tiles/{layers}/{z}/{x}/{y}.mvt */
enum MHD_Result http_tile(http_req *r)
{
    gisd_error err = {0};
    size_t *idx = xcalloc(r->reg->n ? r->reg->n : 1, sizeof *idx), n = 0;
    enum MHD_Result ret;
    if (tiles_parse_layers(r->reg, r->params[0], idx, &n, &err) != 0)
        ret = http_reply_gisd_error(r, &err);
    else if (!strstr(r->params[3], ".mvt") && !strstr(r->params[3], ".pbf"))
        ret = http_reply_error(r, 404, "NotFound",
                               "tiles are at /tiles/{layers}/{z}/{x}/{y}.mvt (or .pbf)");
    else
        ret = send_tile(r, idx, n, r->params[1], r->params[2], r->params[3],
                        strstr(r->params[3], ".mvt") ? ".mvt" : ".pbf");
    free(idx);
    return ret;
}

/* /collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x} */
enum MHD_Result http_collection_tile(http_req *r)
{
    enum MHD_Result reply;
    const layer_def *l = tileset_layer(r, &reply);
    if (!l)
        return reply;
    size_t idx = (size_t)(l - r->reg->layers);
    return send_tile(r, &idx, 1, r->params[2], r->params[4], r->params[3], NULL);
}

/* ---- OGC API - Tiles metadata ---- */

static json_t *tile_template_link(http_req *r, const layer_def *l)
{
    json_t *link = http_link(r, "item", MEDIA_MVT, "Mapbox Vector Tiles",
                             "/collections/%s/tiles/" TMS_ID "/{tileMatrix}/{tileRow}/{tileCol}",
                             l->id);
    json_object_set_new(link, "templated", json_true());
    return link;
}

enum MHD_Result http_collection_tilesets(http_req *r)
{
    const layer_def *l = tiles_layer(r);
    if (!l)
        return no_collection(r);
    json_t *links = json_array();
    json_array_append_new(links, http_link(r, "self", MEDIA_JSON, "this tileset list",
                                          "/collections/%s/tiles", l->id));
    json_t *tsl = json_array();
    json_array_append_new(tsl, http_link(r, "self", MEDIA_JSON, "the tileset",
                                        "/collections/%s/tiles/" TMS_ID, l->id));
    json_array_append_new(tsl, tile_template_link(r, l));
    json_array_append_new(tsl, http_link(r, "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
                                        MEDIA_JSON, TMS_ID, "/tileMatrixSets/" TMS_ID));
    json_t *ts = json_pack("{s:s, s:s, s:s, s:s, s:o}", "title", l->title, "dataType", "vector",
                           "crs", EPSG3857_URI, "tileMatrixSetURI", TMS_URI, "links", tsl);
    return http_reply_json(r, 200, json_pack("{s:o, s:[o]}", "links", links, "tilesets", ts),
                           MEDIA_JSON);
}

static int geometry_dimension(const layer_def *l)
{
    switch (l->geometry) {
    case GEOM_POINT:
    case GEOM_MULTIPOINT: return 0;
    case GEOM_LINESTRING:
    case GEOM_MULTILINESTRING: return 1;
    default: return 2;
    }
}

enum MHD_Result http_collection_tileset(http_req *r)
{
    enum MHD_Result reply;
    const layer_def *l = tileset_layer(r, &reply);
    if (!l)
        return reply;
    gisd_error err = {0};
    worker *w = server_worker_for(r->srv, r->scenario, &err);
    size_t idx = (size_t)(l - r->reg->layers);
    double ext[4] = {-180, -85.0511, 180, 85.0511};
    int has = w ? tiles_extent(w->st, r->reg, &idx, 1, ext, &err) : -1;
    server_worker_release(r->srv, w);
    if (has < 0)
        return http_reply_gisd_error(r, &err);
    json_t *limits = json_array();
    int minzoom = l->has_overview ? 0 : l->minzoom; /* below minzoom: the overview */
    for (int z = minzoom; z <= l->maxzoom; z++) {
        unsigned x0, y0, x1, y1;
        tile_range_lonlat(z, ext, &x0, &y0, &x1, &y1);
        char id[8];
        snprintf(id, sizeof id, "%d", z);
        json_array_append_new(limits, json_pack("{s:s, s:I, s:I, s:I, s:I}", "tileMatrix", id,
                                                "minTileRow", (json_int_t)y0, "maxTileRow",
                                                (json_int_t)y1, "minTileCol", (json_int_t)x0,
                                                "maxTileCol", (json_int_t)x1));
    }
    json_t *links = json_array();
    json_array_append_new(links, http_link(r, "self", MEDIA_JSON, "this tileset",
                                          "/collections/%s/tiles/" TMS_ID, l->id));
    json_array_append_new(links, http_link(r, "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
                                          MEDIA_JSON, TMS_ID, "/tileMatrixSets/" TMS_ID));
    json_array_append_new(links, tile_template_link(r, l));
    char minz[8], maxz[8];
    snprintf(minz, sizeof minz, "%d", minzoom);
    snprintf(maxz, sizeof maxz, "%d", l->maxzoom);
    json_t *vl = tiles_vector_layers(r->reg, &idx, 1, 0);
    json_t *layer = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:O}", "id", l->id, "title",
                              l->title, "dataType", "vector", "geometryDimension",
                              geometry_dimension(l), "minTileMatrix", minz, "maxTileMatrix", maxz,
                              "fields", json_object_get(json_array_get(vl, 0), "fields"));
    json_decref(vl);
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:{s:[f,f], s:[f,f], s:s}, s:[o], s:o}", "title", l->title,
        "dataType", "vector", "crs", EPSG3857_URI, "tileMatrixSetURI", TMS_URI,
        "tileMatrixSetLimits", limits, "boundingBox", "lowerLeft", ext[0], ext[1], "upperRight",
        ext[2], ext[3], "crs", "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "layers", layer,
        "links", links);
    return http_reply_json(r, 200, doc, MEDIA_JSON);
}

static json_t *tms_summary(http_req *r)
{
    json_t *links = json_array();
    json_array_append_new(links, http_link(r, "self", MEDIA_JSON, TMS_ID, "/tileMatrixSets/" TMS_ID));
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", TMS_ID, "title",
                     "Google Maps Compatible for the World", "uri", TMS_URI, "crs", EPSG3857_URI,
                     "links", links);
}

enum MHD_Result http_tilematrixsets(http_req *r)
{
    return http_reply_json(r, 200, json_pack("{s:[o]}", "tileMatrixSets", tms_summary(r)),
                           MEDIA_JSON);
}

enum MHD_Result http_tilematrixset(http_req *r)
{
    if (strcmp(r->params[0], TMS_ID) != 0)
        return http_reply_error(r, 404, "NotFound", "tile matrix set \"%s\": only %s is offered",
                                r->params[0], TMS_ID);
    json_t *matrices = json_array();
    for (int z = 0; z <= TILE_MAX_ZOOM; z++) {
        double cell = 2 * MERC_HALF / 256.0 / (double)(1u << z);
        char id[8];
        snprintf(id, sizeof id, "%d", z);
        json_array_append_new(
            matrices,
            json_pack("{s:s, s:f, s:f, s:s, s:[f,f], s:I, s:I, s:i, s:i}", "id", id,
                      "scaleDenominator", cell / 0.00028, "cellSize", cell, "cornerOfOrigin",
                      "topLeft", "pointOfOrigin", -MERC_HALF, MERC_HALF, "matrixWidth",
                      (json_int_t)(1u << z), "matrixHeight", (json_int_t)(1u << z), "tileWidth",
                      256, "tileHeight", 256));
    }
    json_t *doc = tms_summary(r);
    json_object_set_new(doc, "orderedAxes", json_pack("[s,s]", "X", "Y"));
    json_object_set_new(doc, "wellKnownScaleSet",
                        json_string("http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible"));
    json_object_set_new(doc, "tileMatrices", matrices);
    return http_reply_json(r, 200, doc, MEDIA_JSON);
}
