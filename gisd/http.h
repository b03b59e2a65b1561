/* Helpers every handler uses: JSON and error replies, query parameters. */
#ifndef GISD_HTTP_H
#define GISD_HTTP_H

#include <jansson.h>

#include "server.h"

#define MEDIA_GEOJSON "application/geo+json"
#define MEDIA_JSON "application/json"
#define MEDIA_MVT "application/vnd.mapbox-vector-tile"
#define MEDIA_OPENAPI "application/vnd.oai.openapi+json;version=3.0"

/* Sends doc (and releases it) with the content type. */
enum MHD_Result http_reply_json(http_req *r, unsigned status, json_t *doc, const char *type);
/* Sends the bytes (copied). */
enum MHD_Result http_reply_bytes(http_req *r, unsigned status, const void *data, size_t len,
                                 const char *type);
/* {"code": ..., "description": ...} with the status. */
enum MHD_Result http_reply_error(http_req *r, unsigned status, const char *code,
                                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The status and OGC code for a gisd error. */
enum MHD_Result http_reply_gisd_error(http_req *r, const gisd_error *err);
/* Adds the headers every gisd response carries. */
void http_common_headers(struct MHD_Response *resp);

/* A query parameter, or NULL. */
const char *http_arg(http_req *r, const char *name);
/* The first query parameter not in allowed (NULL-terminated) and not a field
 * of layer (when layer is not NULL); NULL when all are known. */
const char *http_unknown_arg(http_req *r, const char *const *allowed, const layer_def *layer);

/* Parses a whole non-negative integer; -1 when it is not one. */
long long http_parse_count(const char *s);

/* {"href": base + path, "rel", "type", "title"} (title may be NULL). */
json_t *http_link(http_req *r, const char *rel, const char *type, const char *title,
                  const char *path_fmt, ...) __attribute__((format(printf, 5, 6)));

/* 1 when the client's Accept-Encoding takes gzip. */
int http_accepts_gzip(http_req *r);

/* Percent-encodes s for a query string, into buf. */
void http_url_encode(const char *s, char *buf, size_t n);

#endif
