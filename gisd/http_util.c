#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

void http_common_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
    MHD_add_response_header(resp, "Server", "gisd");
}

enum MHD_Result http_reply_bytes(http_req *r, unsigned status, const void *data, size_t len,
                                 const char *type)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", type);
    http_common_headers(resp);
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result http_reply_json(http_req *r, unsigned status, json_t *doc, const char *type)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return http_reply_error(r, 500, "ServerError", "could not encode the answer");
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    http_common_headers(resp);
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result http_reply_error(http_req *r, unsigned status, const char *code, const char *fmt,
                                 ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *doc = json_pack("{s:s, s:s, s:i}", "code", code, "description", msg, "status", status);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return MHD_NO;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", MEDIA_JSON);
    http_common_headers(resp);
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result http_reply_gisd_error(http_req *r, const gisd_error *err)
{
    switch (err->code) {
    case GISD_E_INPUT:
        return http_reply_error(r, 400, "InvalidParameterValue", "%s", err->message);
    case GISD_E_NOTFOUND:
        return http_reply_error(r, 404, "NotFound", "%s", err->message);
    case GISD_E_TOOBIG:
        return http_reply_error(r, 413, "PayloadTooLarge", "%s", err->message);
    case GISD_E_IO:
        return http_reply_error(r, 503, "ServiceUnavailable", "%s", err->message);
    default:
        return http_reply_error(r, 500, "ServerError", "%s", err->message);
    }
}

const char *http_arg(http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

typedef struct {
    const char *const *allowed;
    const layer_def *layer;
    const char *unknown;
} unknown_scan;

static enum MHD_Result scan_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    (void)value;
    unknown_scan *s = cls;
    for (const char *const *a = s->allowed; *a; a++)
        if (strcmp(*a, key) == 0)
            return MHD_YES;
    if (s->layer && layer_field_index(s->layer, key) >= 0)
        return MHD_YES;
    s->unknown = key;
    return MHD_NO;
}

const char *http_unknown_arg(http_req *r, const char *const *allowed, const layer_def *layer)
{
    unknown_scan s = {allowed, layer, NULL};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, scan_arg, &s);
    return s.unknown;
}

long long http_parse_count(const char *s)
{
    if (!s || !*s || strlen(s) > 15)
        return -1;
    long long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

void http_url_encode(const char *s, char *buf, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || c == ',' || c == ':') {
            buf[o++] = (char)c;
        } else {
            buf[o++] = '%';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    buf[o] = '\0';
}

json_t *http_link(http_req *r, const char *rel, const char *type, const char *title,
                  const char *path_fmt, ...)
{
    char path[2048], href[2400];
    va_list ap;
    va_start(ap, path_fmt);
    vsnprintf(path, sizeof path, path_fmt, ap);
    va_end(ap);
    snprintf(href, sizeof href, "%s%s", r->base, path);
    json_t *l = json_pack("{s:s, s:s, s:s}", "href", href, "rel", rel, "type", type);
    if (title)
        json_object_set_new(l, "title", json_string(title));
    return l;
}

int http_accepts_gzip(http_req *r)
{
    const char *ae = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept-Encoding");
    return ae && strstr(ae, "gzip") != NULL;
}
