/* OGC API - Features Part 1 (Core, GeoJSON, OpenAPI 3.0) and Part 2 (CRS). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crs.h"
#include "features.h"
#include "cancel.h"
#include "count_cache.h"
#include "http.h"
#include "routes.h"
#include "strbuf.h"
#include "utf8.h"
#include "xalloc.h"

#define LIMIT_DEFAULT 10
#define LIMIT_MAX 10000

static const char *const CONFORMANCE[] = {
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/arithmetic",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/ogc-process-description",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/job-list",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/dismiss",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/oas30",
    NULL};

/* The CRSs gisd answers in: CRS84, CGCS2000, WGS 84, Web Mercator and the
 * CGCS2000 3-degree Gauss-Kruger zones (EPSG:4513-4554). */
static int crs_supported(int code)
{
    return code == 4490 || code == 4326 || code == 3857 || (code >= 4513 && code <= 4554);
}

static json_t *crs_list(void)
{
    json_t *list = json_array();
    char uri[128];
    json_array_append_new(list, json_string(CRS84_URI));
    static const int fixed[] = {4490, 4326, 3857};
    for (size_t i = 0; i < 3; i++) {
        crs_uri(fixed[i], uri, sizeof uri);
        json_array_append_new(list, json_string(uri));
    }
    for (int code = 4513; code <= 4554; code++) {
        crs_uri(code, uri, sizeof uri);
        json_array_append_new(list, json_string(uri));
    }
    return list;
}

/* Only JSON here; the format parameter may name it. */
static int format_ok(http_req *r)
{
    const char *f = http_arg(r, "f");
    return !f || strcmp(f, "json") == 0 || strcmp(f, "geojson") == 0;
}

/* A browser asks for text/html and names no format: it gets the viewer. */
static int wants_html(http_req *r)
{
    const char *f = http_arg(r, "f");
    if (f)
        return strcmp(f, "html") == 0;
    const char *accept = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept");
    return accept && strstr(accept, "text/html") != NULL;
}

enum MHD_Result http_landing(http_req *r)
{
    if (wants_html(r))
        return http_viewer(r);
    if (!format_ok(r))
        return http_reply_error(r, 400, "InvalidParameterValue", "f must be json or html");
    json_t *links = json_array();
    json_array_append_new(links, http_link(r, "self", MEDIA_JSON, "this document", "/"));
    json_array_append_new(links, http_link(r, "service-desc", MEDIA_OPENAPI,
                                          "the API definition (OpenAPI 3.0)", "/api"));
    json_array_append_new(links, http_link(r, "conformance", MEDIA_JSON,
                                          "the conformance classes gisd implements", "/conformance"));
    json_array_append_new(links, http_link(r, "data", MEDIA_JSON, "the planning layers",
                                          "/collections"));
    json_array_append_new(links, http_link(r, "alternate", "text/html", "the web map viewer", "/?f=html"));
    json_array_append_new(links, http_link(r, "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                                          MEDIA_JSON, "tile matrix sets", "/tileMatrixSets"));
    json_array_append_new(links, http_link(r, "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                                          "application/vnd.mapbox.tile+json", "TileJSON of all layers",
                                          "/tiles/all.json"));
    json_array_append_new(links, http_link(r, "stylesheet", MEDIA_JSON, "map styles", "/styles"));
    json_t *doc = json_pack("{s:s, s:s, s:o}", "title", "gisd planning server",
                            "description",
                            "Industrial parks, heat networks, enterprises, the recycling network "
                            "and hazardous-waste facilities for circular-economy planning "
                            "(园区循环化改造).",
                            "links", links);
    return http_reply_json(r, 200, doc, MEDIA_JSON);
}

enum MHD_Result http_conformance(http_req *r)
{
    json_t *list = json_array();
    for (const char *const *c = CONFORMANCE; *c; c++)
        json_array_append_new(list, json_string(*c));
    return http_reply_json(r, 200, json_pack("{s:o}", "conformsTo", list), MEDIA_JSON);
}

static json_t *collection_doc(http_req *r, store *st, const layer_def *l, gisd_error *err)
{
    store_layer_stats stats;
    if (store_layer_stats_get(st, l, &stats, err) != 0)
        return NULL;
    json_t *links = json_array();
    json_array_append_new(links, http_link(r, "self", MEDIA_JSON, l->title, "/collections/%s", l->id));
    json_array_append_new(links, http_link(r, "items", MEDIA_GEOJSON, "the features",
                                          "/collections/%s/items", l->id));
    json_array_append_new(links, http_link(r, "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                                          "application/schema+json", "what a filter may name",
                                          "/collections/%s/queryables", l->id));
    json_array_append_new(links, http_link(r, "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                                          MEDIA_JSON, "vector tilesets", "/collections/%s/tiles",
                                          l->id));
    json_t *bbox = stats.has_extent
                       ? json_pack("[f,f,f,f]", stats.minx, stats.miny, stats.maxx, stats.maxy)
                       : json_pack("[f,f,f,f]", -180.0, -90.0, 180.0, 90.0);
    char storage[128];
    crs_uri(STORE_SRID, storage, sizeof storage);
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:{s:[o], s:s}}, s:o, s:s, s:o, s:I, s:s}", "id",
                     l->id, "title", l->title, "description", l->description, "itemType",
                     "feature", "extent", "spatial", "bbox", bbox, "crs", CRS84_URI, "crs",
                     crs_list(), "storageCrs", storage, "links", links, "featureCount",
                     (json_int_t)stats.count, "geometryType", geom_kind_name(l->geometry));
}

enum MHD_Result http_collections(http_req *r)
{
    if (!format_ok(r))
        return http_reply_error(r, 400, "InvalidParameterValue", "f must be json");
    gisd_error err = {0};
    worker *w = server_worker_for(r->srv, r->scenario, &err);
    if (!w)
        return http_reply_gisd_error(r, &err);
    json_t *list = json_array();
    for (size_t i = 0; i < r->reg->n; i++) {
        json_t *c = collection_doc(r, w->st, &r->reg->layers[i], &err);
        if (!c) {
            server_worker_release(r->srv, w);
            json_decref(list);
            return http_reply_gisd_error(r, &err);
        }
        json_array_append_new(list, c);
    }
    server_worker_release(r->srv, w);
    json_t *links = json_array();
    json_array_append_new(links, http_link(r, "self", MEDIA_JSON, "the planning layers", "/collections"));
    return http_reply_json(r, 200, json_pack("{s:o, s:o, s:o}", "links", links, "collections", list,
                                             "crs", crs_list()),
                           MEDIA_JSON);
}

static const layer_def *find_layer(http_req *r)
{
    return layer_registry_find(r->reg, r->params[0]);
}

enum MHD_Result http_queryables(http_req *r)
{
    const layer_def *l = find_layer(r);
    if (!l)
        return http_reply_error(r, 404, "NotFound", "there is no collection \"%s\"; see /collections",
                                r->params[0]);
    static const char *const none[] = {"f", NULL};
    const char *unknown = http_unknown_arg(r, none, NULL);
    if (unknown)
        return http_reply_error(r, 400, "InvalidParameterValue", "/queryables takes no parameter \"%s\"", unknown);
    strbuf self = {0};
    strbuf_printf(&self, "%s/collections/%s/queryables", r->base, l->id);
    json_t *doc = cql2_queryables(l, self.data);
    strbuf_free(&self);
    return http_reply_json(r, 200, doc, "application/schema+json");
}

enum MHD_Result http_collection(http_req *r)
{
    const layer_def *l = find_layer(r);
    if (!l)
        return http_reply_error(r, 404, "NotFound", "there is no collection \"%s\"; see /collections",
                                r->params[0]);
    if (!format_ok(r))
        return http_reply_error(r, 400, "InvalidParameterValue", "f must be json");
    gisd_error err = {0};
    worker *w = server_worker_for(r->srv, r->scenario, &err);
    if (!w)
        return http_reply_gisd_error(r, &err);
    json_t *doc = collection_doc(r, w->st, l, &err);
    server_worker_release(r->srv, w);
    if (!doc)
        return http_reply_gisd_error(r, &err);
    return http_reply_json(r, 200, doc, MEDIA_JSON);
}

/* ---- the output CRS (crs=) and the bbox ---- */

typedef struct {
    int srid;
    int swap; /* northing/latitude first */
    char uri[128];
} out_crs;

static int parse_crs_param(const char *text, out_crs *o, const char *param, gisd_error *err)
{
    memset(o, 0, sizeof *o);
    if (!text) {
        o->srid = 4326;
        snprintf(o->uri, sizeof o->uri, "%s", CRS84_URI);
        return 0;
    }
    int lonlat = 0;
    int code = crs_parse(text, &lonlat, err);
    if (code < 0)
        return gisd_error_prefix(err, "%s: ", param);
    if (!crs_supported(code))
        return gisd_fail(err, GISD_E_INPUT,
                         "%s: EPSG:%d is not offered; see the crs list of /collections", param, code);
    o->srid = code;
    o->swap = !lonlat && crs_northing_first(code);
    if (lonlat)
        snprintf(o->uri, sizeof o->uri, "%s", CRS84_URI);
    else
        crs_uri(code, o->uri, sizeof o->uri);
    return 0;
}

/* Field filters (?industry=印染), checked against the field types. */
typedef struct {
    const layer_def *layer;
    const char *fields[64];
    const char *values[64];
    size_t n;
    const char *bad;
    cql_node *cql; /* the CQL2 filter, owned (cql_free) */
} filter_scan;

static enum MHD_Result scan_filter(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    filter_scan *f = cls;
    int idx = layer_field_index(f->layer, key);
    if (idx < 0)
        return MHD_YES;
    if (f->n == 64 || !value) {
        f->bad = key;
        return MHD_NO;
    }
    if (f->layer->fields[idx].type == FIELD_BOOLEAN) {
        /* ?flag=true: compared with what the store keeps, 1 or 0 */
        if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
            value = "1";
        else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
            value = "0";
        else {
            f->bad = key;
            return MHD_NO;
        }
    } else if (field_type_numeric(f->layer->fields[idx].type)) {
        char *end;
        strtod(value, &end);
        if (!*value || *end) {
            f->bad = key;
            return MHD_NO;
        }
    }
    f->fields[f->n] = key;
    f->values[f->n++] = value;
    return MHD_YES;
}

/* ---- /items, streamed ----
 * The features go out in batches, each read with a store handle borrowed for
 * that batch only (keyset paging on fid), so a slow client holds memory, not
 * one of the pool's store connections. A batch that finds the layer changed
 * since the first (an import landed meanwhile) or fewer features than were
 * announced (a damaged store) ends the response as an error, never as a short
 * 200. */

#define ITEMS_BATCH 1000

typedef struct {
    gisd_server *srv;
    char scenario[65]; /* the request's, which every batch reads through */
    const layer_def *layer;
    store_query q; /* borrows the connection's argument strings */
    const char *fields[64], *values[64];
    cql_node *cql; /* owned */
    double filter_timeout_s;
    long long remaining, expected, changes, last_fid;
    int has_last;
    strbuf out;
    size_t pos;
    char *trailer; /* owned */
    int stage;     /* 0: features; 1: trailer sent */
    long long sent;
    long long *bytes; /* the request's count, alive until it completes, as this reader is */
} items_stream;

static long long layer_changes(store *st, const layer_def *l, gisd_error *err)
{
    store_layer_stats stats;
    return store_layer_stats_get(st, l, &stats, err) == 0 ? stats.changes : -1;
}

/* Appends the next batch, read with w's store, to s->out; 0, or -1 when the
 * response must end in error. */
static int items_batch(items_stream *s, worker *w, gisd_error *err)
{
    store_query q = s->q;
    q.limit = s->remaining < ITEMS_BATCH ? s->remaining : ITEMS_BATCH;
    q.offset = s->has_last ? 0 : s->q.offset;
    q.has_after = s->has_last;
    q.after_fid = s->last_fid;
    store_cursor *cur = NULL;
    long long n = 0;
    if (s->cql)
        cancel_set_deadline(cancel_now() + s->filter_timeout_s);
    int rc = layer_changes(w->st, s->layer, err) == s->changes ? 0 : -1;
    if (rc == 0)
        rc = store_cursor_open(w->st, s->layer, &q, &cur, err);
    while (rc == 0) {
        int more = store_cursor_next(cur, err);
        if (more <= 0) {
            rc = more;
            break;
        }
        if (s->sent++)
            strbuf_puts(&s->out, ",");
        features_append_geojson(&s->out, cur, s->layer);
        s->last_fid = store_cursor_fid(cur);
        s->has_last = 1;
        n++;
    }
    store_cursor_free(cur);
    if (s->cql)
        cancel_set_deadline(0);
    if (rc != 0)
        return -1;
    s->remaining -= n;
    if (n < q.limit || s->remaining == 0) {
        if (s->sent != s->expected)
            return -1;
        strbuf_puts(&s->out, s->trailer);
        s->stage = 1;
    }
    return 0;
}

static ssize_t items_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    items_stream *s = cls;
    while (s->pos == s->out.len) {
        s->out.len = 0;
        s->pos = 0;
        if (s->stage == 1)
            return MHD_CONTENT_READER_END_OF_STREAM;
        gisd_error err = {0};
        worker *w = server_worker_for(s->srv, s->scenario, &err);
        int rc = w ? items_batch(s, w, &err) : -1;
        server_worker_release(s->srv, w);
        if (rc != 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = s->out.len - s->pos;
    if (n > max)
        n = max;
    memcpy(buf, s->out.data + s->pos, n);
    s->pos += n;
    *s->bytes += (long long)n;
    return (ssize_t)n;
}

static void items_free_unsent(items_stream *s)
{
    cql_free(s->cql);
    strbuf_free(&s->out);
    free(s->trailer);
    free(s);
}

static void items_free(void *cls)
{
    items_stream *s = cls;
    metrics_add_features(server_metrics(s->srv), s->sent);
    items_free_unsent(s);
}

typedef struct {
    strbuf *b;
} query_copy;

static enum MHD_Result copy_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    query_copy *q = cls;
    if (strcmp(key, "offset") == 0)
        return MHD_YES;
    http_url_encode(key, q->b);
    strbuf_puts(q->b, "=");
    http_url_encode(value ? value : "", q->b);
    strbuf_puts(q->b, "&");
    return MHD_YES;
}

static void page_link(strbuf *t, http_req *r, const layer_def *l, const char *rel,
                      long long offset)
{
    strbuf q = {0};
    query_copy qc = {&q};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, copy_arg, &qc);
    strbuf_printf(&q, "offset=%lld", offset);
    strbuf_printf(t, ",{\"rel\":\"%s\",\"type\":\"%s\",\"href\":", rel, MEDIA_GEOJSON);
    strbuf href = {0};
    strbuf_printf(&href, "%s/collections/%s/items?%s", r->base, l->id, q.data ? q.data : "");
    char *clean = utf8_clean(href.data, 0);
    strbuf_json_string(t, clean);
    free(clean);
    strbuf_puts(t, "}");
    strbuf_free(&href);
    strbuf_free(&q);
}

static char *items_trailer(http_req *r, const layer_def *l, long long matched, long long returned,
                           long long offset, long long limit)
{
    strbuf t = {0};
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    strbuf_printf(&t, "],\"numberMatched\":%lld,\"numberReturned\":%lld,\"timeStamp\":\"%s\",\"links\":[",
                  matched, returned, stamp);
    strbuf_printf(&t, "{\"rel\":\"collection\",\"type\":\"%s\",\"href\":", MEDIA_JSON);
    strbuf href = {0};
    strbuf_printf(&href, "%s/collections/%s", r->base, l->id);
    strbuf_json_string(&t, href.data);
    strbuf_free(&href);
    strbuf_puts(&t, "}");
    page_link(&t, r, l, "self", offset);
    if (offset + returned < matched)
        page_link(&t, r, l, "next", offset + limit);
    if (offset > 0)
        page_link(&t, r, l, "prev", offset > limit ? offset - limit : 0);
    strbuf_puts(&t, "]}");
    return t.data;
}

static const char *const ITEMS_ARGS[] = {"f", "limit", "offset", "bbox", "bbox-crs", "crs",
                                         "datetime", "filter", "filter-lang", "filter-crs", NULL};

/* 1 when s (n bytes) is an RFC 3339 date or date-time, as datetime takes them. */
static int rfc3339_instant(const char *s, size_t n)
{
    int y, mo, d, h, mi, used = 0;
    double sec;
    char rest[16] = "";
    if (n == 10)
        return sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) == 3 && used == 10 && mo >= 1 && mo <= 12 && d >= 1 &&
               d <= 31;
    if (n < 20 || n > 40 || (s[10] != 'T' && s[10] != 't'))
        return 0;
    char buf[48];
    memcpy(buf, s, n);
    buf[n] = 0;
    if (sscanf(buf, "%4d-%2d-%2d%*1[Tt]%2d:%2d:%lf%15s", &y, &mo, &d, &h, &mi, &sec, rest) != 7)
        return 0;
    int zh, zm;
    return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && sec >= 0 && sec < 61 &&
           (strcmp(rest, "Z") == 0 || strcmp(rest, "z") == 0 ||
            ((rest[0] == '+' || rest[0] == '-') && strlen(rest) == 6 && sscanf(rest + 1, "%2d:%2d", &zh, &zm) == 2));
}

/* datetime's form: an instant, or an interval of two instants or open ends
 * (".." or nothing), not both open. No planning layer has a temporal
 * extent, so a well-formed datetime selects every feature; a malformed one
 * (an empty one too) is the client's mistake and a 400. */
static int datetime_check(const char *v, gisd_error *err)
{
    if (!v)
        return 0;
    const char *slash = strchr(v, '/');
    int ok;
    if (!slash) {
        ok = rfc3339_instant(v, strlen(v));
    } else {
        size_t a = (size_t)(slash - v), b = strlen(slash + 1);
        int open_a = a == 0 || (a == 2 && strncmp(v, "..", 2) == 0), open_b = b == 0 || strcmp(slash + 1, "..") == 0;
        ok = !strchr(slash + 1, '/') && !(open_a && open_b) && (open_a || rfc3339_instant(v, a)) &&
             (open_b || rfc3339_instant(slash + 1, b));
    }
    return ok ? 0
              : gisd_fail(err, GISD_E_INPUT,
                          "datetime \"%s\" must be an RFC 3339 date or date-time (2024-05-01, "
                          "2024-05-01T08:00:00Z) or an interval of them with .. for an open end",
                          v);
}

/* Parses everything /items and /items/{id} share into q; returns 0 or an error. */
static int items_query(http_req *r, const layer_def *l, store_query *q, out_crs *oc,
                       filter_scan *fs, gisd_error *err)
{
    memset(q, 0, sizeof *q);
    memset(fs, 0, sizeof *fs);
    if (!format_ok(r))
        return gisd_fail(err, GISD_E_INPUT, "f must be json or geojson");
    const char *unknown = http_unknown_arg(r, ITEMS_ARGS, l);
    if (unknown)
        return gisd_fail(err, GISD_E_INPUT,
                         "unknown parameter \"%s\": collection %s has no such field, and the "
                         "parameters are f, limit, offset, bbox, bbox-crs, crs, filter, filter-lang, "
                         "filter-crs and its fields",
                         unknown, l->id);
    if (parse_crs_param(http_arg(r, "crs"), oc, "crs", err) != 0 || datetime_check(http_arg(r, "datetime"), err) != 0)
        return -1;
    q->out_srid = oc->srid;
    q->swap_axes = oc->swap;
    q->precision = crs_is_projected_metres(oc->srid) ? 3 : 7;
    q->geom_format = STORE_GEOM_GEOJSON;
    const char *limit = http_arg(r, "limit"), *offset = http_arg(r, "offset");
    q->limit = LIMIT_DEFAULT;
    if (limit) {
        q->limit = http_parse_count(limit);
        if (q->limit < 1)
            return gisd_fail(err, GISD_E_INPUT, "limit \"%s\" must be a whole number from 1 to %d",
                             limit, LIMIT_MAX);
        if (q->limit > LIMIT_MAX)
            q->limit = LIMIT_MAX;
    }
    if (offset && (q->offset = http_parse_count(offset)) < 0)
        return gisd_fail(err, GISD_E_INPUT, "offset \"%s\" must be a whole number, 0 or more", offset);
    const char *bbox = http_arg(r, "bbox"), *bbox_crs = http_arg(r, "bbox-crs");
    if (bbox_crs && !bbox)
        return gisd_fail(err, GISD_E_INPUT, "bbox-crs is given without bbox");
    if (bbox) {
        out_crs bc;
        if (parse_crs_param(bbox_crs, &bc, "bbox-crs", err) != 0 || http_parse_bbox(bbox, bc.swap, bc.srid == 4326 || bc.srid == 4490, q->bbox, err) != 0)
            return -1;
        q->has_bbox = 1;
        q->bbox_srid = bc.srid;
    }
    fs->layer = l;
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, scan_filter, fs);
    if (fs->bad)
        return gisd_fail(err, GISD_E_INPUT, "filter %s: the value must be a number (true or false for a boolean)", fs->bad);
    q->nfilters = fs->n;
    q->filter_fields = fs->fields;
    q->filter_values = fs->values;
    const char *filter = http_arg(r, "filter"), *lang = http_arg(r, "filter-lang"), *fcrs = http_arg(r, "filter-crs");
    if (!filter && (lang || fcrs))
        return gisd_fail(err, GISD_E_INPUT, "%s is given without filter", lang ? "filter-lang" : "filter-crs");
    if (filter && cql2_parse(filter, lang, fcrs, l, &fs->cql, err) != 0)
        return -1;
    q->filter = fs->cql;
    return 0;
}

/* A filter's query past --filter-timeout-ms is the filter's fault: 400. */
static void filter_timeout(http_req *r, gisd_error *err)
{
    if (err->code == GISD_E_TIMEOUT)
        gisd_fail(err, GISD_E_INPUT, "filter: not evaluated within --filter-timeout-ms %.0f; narrow it (a bbox, "
                                     "fewer spatial functions)", server_config_of(r->srv)->filter_timeout_s * 1000);
}

/* The collection of the request and its parsed query; NULL with err (404 for
 * an unknown collection, 400 for a bad parameter). */
static const layer_def *items_request(http_req *r, store_query *q, out_crs *oc, filter_scan *fs,
                                      gisd_error *err)
{
    const layer_def *l = find_layer(r);
    if (!l) {
        gisd_fail(err, GISD_E_NOTFOUND, "there is no collection \"%s\"; see /collections", r->params[0]);
        return NULL;
    }
    return items_query(r, l, q, oc, fs, err) == 0 ? l : NULL;
}

/* Appends each argument that can narrow the result, in the order given and
 * length-prefixed so that no two sets of arguments read alike: the paging
 * and the output's form and CRS do not narrow it. */
static enum MHD_Result count_key_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    static const char *const ignored[] = {"limit", "offset", "f", "crs", NULL};
    for (size_t i = 0; ignored[i]; i++)
        if (strcmp(key, ignored[i]) == 0)
            return MHD_YES;
    strbuf_printf(cls, "%zu:%s=%zu:%s;", strlen(key), key, value ? strlen(value) : 0, value ? value : "");
    return MHD_YES;
}

/* numberMatched of q, from the server's recent counts when the same query
 * of the same version of the baseline layer was counted before (the pages
 * after a client's first); 0, or -1 with err. */
static int items_count(http_req *r, worker *w, const layer_def *l, const store_query *q, long long changes,
                       long long *matched, gisd_error *err)
{
    if (r->scenario[0]) /* a scenario's changes do not move the baseline's counter */
        return store_query_count(w->st, l, q, matched, err);
    strbuf key = {0};
    strbuf_printf(&key, "%s\x1f%lld\x1f", l->id, changes);
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, count_key_arg, &key);
    int rc = 0;
    if (!count_cache_get(server_counts(r->srv), key.data, matched) &&
        (rc = store_query_count(w->st, l, q, matched, err)) == 0)
        count_cache_put(server_counts(r->srv), key.data, *matched);
    strbuf_free(&key);
    return rc;
}

enum MHD_Result http_items(http_req *r)
{
    store_query q;
    out_crs oc;
    filter_scan fs = {0};
    gisd_error err = {0};
    const layer_def *l = items_request(r, &q, &oc, &fs, &err);
    if (!l) {
        cql_free(fs.cql);
        return http_reply_gisd_error(r, &err);
    }
    worker *w = server_worker_for(r->srv, r->scenario, &err);
    if (!w) {
        cql_free(fs.cql);
        return http_reply_gisd_error(r, &err);
    }
    /* the count and the first batch (all of most pages) in one read
     * transaction: an import committing meanwhile cannot come between them */
    long long matched = 0, changes = -1;
    double filter_timeout_s = server_config_of(r->srv)->filter_timeout_s;
    int rc = store_read_begin(w->st, &err);
    if (rc == 0 && (changes = layer_changes(w->st, l, &err)) < 0)
        rc = -1;
    if (fs.cql)
        cancel_set_deadline(cancel_now() + filter_timeout_s);
    if (rc == 0)
        rc = items_count(r, w, l, &q, changes, &matched, &err);
    if (fs.cql)
        cancel_set_deadline(0);
    long long returned = matched - q.offset;
    returned = returned < 0 ? 0 : returned > q.limit ? q.limit : returned;
    char header[160];
    snprintf(header, sizeof header, "<%s>", oc.uri);
    const char *hdrs[][2] = {{"Content-Type", MEDIA_GEOJSON}, {"Content-Crs", header}, {NULL, NULL}};
    items_stream *s = NULL;
    if (rc == 0 && strcmp(r->method, "HEAD") != 0) {
        s = xcalloc(1, sizeof *s);
        *s = (items_stream){.srv = r->srv, .layer = l, .q = q, .remaining = returned,
                            .expected = returned, .changes = changes, .bytes = &r->stats->bytes,
                            .trailer = items_trailer(r, l, matched, returned, q.offset, q.limit),
                            .cql = fs.cql, .filter_timeout_s = filter_timeout_s};
        memcpy(s->scenario, r->scenario, sizeof s->scenario);
        fs.cql = NULL; /* the stream's now */
        memcpy(s->fields, fs.fields, fs.n * sizeof *s->fields);
        memcpy(s->values, fs.values, fs.n * sizeof *s->values);
        s->q.filter_fields = s->fields;
        s->q.filter_values = s->values;
        strbuf_puts(&s->out, "{\"type\":\"FeatureCollection\",\"features\":[");
        if (returned == 0) {
            strbuf_puts(&s->out, s->trailer);
            s->stage = 1;
        } else if (items_batch(s, w, &err) != 0) {
            rc = -1;
        }
    }
    store_read_end(w->st);
    server_worker_release(r->srv, w);
    cql_free(fs.cql);
    if (rc != 0) {
        if (s)
            items_free_unsent(s);
        filter_timeout(r, &err);
        return http_reply_gisd_error(r, &err);
    }
    if (!s)
        return http_send(r, 200, MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT),
                         hdrs);
    return http_send(r, 200,
                     MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, items_read, s, items_free),
                     hdrs);
}

enum MHD_Result http_item(http_req *r)
{
    store_query q;
    out_crs oc;
    filter_scan fs = {0};
    gisd_error err = {0};
    const layer_def *l = items_request(r, &q, &oc, &fs, &err);
    cql_free(fs.cql); /* one feature by its id: a filter does not apply */
    if (!l)
        return http_reply_gisd_error(r, &err);
    q.filter = NULL;
    q.feature_id = r->params[1];
    q.limit = 1;
    q.offset = 0;
    q.has_bbox = 0;
    q.nfilters = 0;
    worker *w = server_worker_for(r->srv, r->scenario, &err);
    if (!w)
        return http_reply_gisd_error(r, &err);
    store_cursor *cur = NULL;
    int rc = store_cursor_open(w->st, l, &q, &cur, &err);
    if (rc == 0)
        rc = store_cursor_next(cur, &err);
    strbuf b = {0};
    if (rc == 1) {
        features_append_geojson(&b, cur, l);
        b.len--; /* reopen the feature object to add its links */
        strbuf_puts(&b, ",\"links\":[");
        strbuf href = {0};
        strbuf_printf(&href, "%s/collections/%s/items/", r->base, l->id);
        http_url_encode(r->params[1], &href);
        strbuf_printf(&b, "{\"rel\":\"self\",\"type\":\"%s\",\"href\":", MEDIA_GEOJSON);
        strbuf_json_string(&b, href.data);
        href.len = 0;
        strbuf_printf(&href, "%s/collections/%s", r->base, l->id);
        strbuf_printf(&b, "},{\"rel\":\"collection\",\"type\":\"%s\",\"href\":", MEDIA_JSON);
        strbuf_json_string(&b, href.data);
        strbuf_free(&href);
        strbuf_puts(&b, "}]}");
    }
    store_cursor_free(cur);
    /* the ETag a later PUT, PATCH or DELETE gives back in If-Match */
    char etag[65] = "", quoted[70];
    char *state = NULL;
    if (rc == 1 && store_feature_state(w->st, l, r->params[1], &state, etag, &err) == STORE_FAILED)
        rc = -1;
    free(state);
    server_worker_release(r->srv, w);
    if (rc < 0) {
        strbuf_free(&b);
        return http_reply_gisd_error(r, &err);
    }
    if (rc == 0)
        return http_reply_error(r, 404, "NotFound", "collection %s has no feature \"%s\"", l->id,
                                r->params[1]);
    r->stats->features++;
    char header[160];
    snprintf(header, sizeof header, "<%s>", oc.uri);
    snprintf(quoted, sizeof quoted, "\"%s\"", etag);
    const char *hdrs[][2] = {{"Content-Type", MEDIA_GEOJSON}, {"Content-Crs", header}, {"ETag", quoted}, {NULL, NULL}};
    return http_send_owned(r, 200, b.data, b.len, hdrs);
}
