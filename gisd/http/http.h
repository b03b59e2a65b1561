/* Helpers every handler uses: JSON and error replies, query parameters. */
#ifndef GISD_HTTP_H
#define GISD_HTTP_H

#include <jansson.h>

#include "param.h"
#include "server.h"
#include "strbuf.h"

#define MEDIA_GEOJSON "application/geo+json"
#define MEDIA_JSON "application/json"
#define MEDIA_MVT "application/vnd.mapbox-vector-tile"
#define MEDIA_OPENAPI "application/vnd.oai.openapi+json;version=3.0"

/* Adds the {name, value} headers (ending with {NULL, NULL}; may be NULL) to
 * resp, then those every gisd response carries whatever the request (CORS,
 * Server). */
void http_add_headers(struct MHD_Response *resp, const char *const headers[][2]);
/* Queues resp (taken) with status, the {name, value} headers (ending with
 * {NULL, NULL}; may be NULL) and those every gisd response carries (CORS,
 * Server, Vary, Retry-After on 503). Aborts when resp is NULL (out of memory). */
enum MHD_Result http_send(http_req *r, unsigned status, struct MHD_Response *resp,
                          const char *const headers[][2]);
/* http_send of data (len bytes, xmalloc'd, taken), counted in the request's
 * bytes for the access log and the metrics. */
enum MHD_Result http_send_owned(http_req *r, unsigned status, char *data, size_t len, const char *const headers[][2]);
/* Sends doc (and releases it) with the content type. */
enum MHD_Result http_reply_json(http_req *r, unsigned status, json_t *doc, const char *type);
/* Sends the bytes (copied). */
enum MHD_Result http_reply_bytes(http_req *r, unsigned status, const void *data, size_t len,
                                 const char *type);
/* {"code": ..., "description": ..., "status": ...} with the status; the
 * description is valid UTF-8 (invalid bytes replaced) and at most 2 KiB. */
enum MHD_Result http_reply_error(http_req *r, unsigned status, const char *code,
                                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The HTTP status of a gisd error code. */
unsigned http_status_of(gisd_code code);
/* The error answer for err, with its status and OGC code. */
enum MHD_Result http_reply_gisd_error(http_req *r, const gisd_error *err);

/* A query parameter, or NULL. */
const char *http_arg(http_req *r, const char *name);
/* The first query parameter not in allowed (NULL-terminated) and not a field
 * of layer (when layer is not NULL); NULL when all are known. */
const char *http_unknown_arg(http_req *r, const char *const *allowed, const layer_def *layer);
/* The query's parameters of the table defs (format spelt f, as in the OGC
 * APIs; skipped when skip_f, a file format) into v, checked and with their
 * defaults: 0, or -1 with the 400's err (an unknown parameter named with
 * the ones owner takes). */
/* "csv" or "xlsx" when the query's f asks for the answer as a table, else NULL. */
const char *http_table_format(http_req *r);
/* Fills out with doc (taken) as the table of that format (report_answer_table),
 * or its error. */
void http_answer_table(http_answer *out, json_t *doc, const char *format, const char *title);
int http_query_params(http_req *r, const param_def *defs, const char *owner, int skip_f, param_values *v,
                      gisd_error *err);

/* Parses an OGC bbox (4 or 6 numbers) into out as minx, miny, maxx, maxy,
 * easting/longitude first (swap: the text has northing/latitude first);
 * geographic adds the -180..180, -90..90 check. 0, or -1 with an input error. */
int http_parse_bbox(const char *text, int swap, int geographic, double out[4], gisd_error *err);
/* Parses a whole non-negative integer; -1 when it is not one. */
long long http_parse_count(const char *s);

/* {"href": base + path, "rel", "type", "title"} (title may be NULL). */
json_t *http_link(http_req *r, const char *rel, const char *type, const char *title,
                  const char *path_fmt, ...) __attribute__((format(printf, 5, 6)));

/* 1 when an Accept-Encoding value (RFC 9110 12.5.3, q-values, "*") accepts coding. */
int http_coding_accepted(const char *accept_encoding, const char *coding);
/* 1 when the client's Accept-Encoding takes gzip. */
int http_accepts_gzip(http_req *r);

/* Appends s percent-encoded for a URL path segment or query to out. */
void http_url_encode(const char *s, strbuf *out);

#endif
