#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "report.h"
#include "strbuf.h"
#include "utf8.h"
#include "xalloc.h"

/* The longest message an error answer carries; what a request echoes is cut
 * (between characters) to fit. */
#define ERROR_MESSAGE_MAX 2048

void http_add_headers(struct MHD_Response *resp, const char *const headers[][2])
{
    for (size_t i = 0; headers && headers[i][0]; i++)
        MHD_add_response_header(resp, headers[i][0], headers[i][1]);
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
    MHD_add_response_header(resp, "Server", "gisd");
}

enum MHD_Result http_send(http_req *r, unsigned status, struct MHD_Response *resp,
                          const char *const headers[][2])
{
    if (!resp) {
        fprintf(stderr, "gisd: out of memory creating a response\n");
        abort();
    }
    http_add_headers(resp, headers);
    if (r->vary)
        MHD_add_response_header(resp, "Vary", r->vary);
    if (status == 503)
        MHD_add_response_header(resp, "Retry-After", "5");
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result http_send_owned(http_req *r, unsigned status, char *data, size_t len, const char *const headers[][2])
{
    r->stats->bytes += (long long)len;
    return http_send(r, status, MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE), headers);
}

enum MHD_Result http_reply_bytes(http_req *r, unsigned status, const void *data, size_t len,
                                 const char *type)
{
    const char *hdrs[][2] = {{"Content-Type", type}, {NULL, NULL}};
    r->stats->bytes += (long long)len;
    return http_send(r, status,
                     MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY), hdrs);
}

static enum MHD_Result reply_text(http_req *r, unsigned status, char *text, const char *type)
{
    const char *hdrs[][2] = {{"Content-Type", type}, {NULL, NULL}};
    size_t len = strlen(text);
    r->stats->bytes += (long long)len;
    return http_send(r, status, MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE),
                     hdrs);
}

enum MHD_Result http_reply_json(http_req *r, unsigned status, json_t *doc, const char *type)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return http_reply_error(r, 500, "ServerError", "could not encode the answer");
    return reply_text(r, status, text, type);
}

enum MHD_Result http_reply_error(http_req *r, unsigned status, const char *code, const char *fmt,
                                 ...)
{
    strbuf raw = {0};
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(&raw, fmt, ap);
    va_end(ap);
    /* whatever bytes a request echoed, the answer is valid UTF-8 */
    char *msg = utf8_clean(raw.data ? raw.data : "", ERROR_MESSAGE_MAX);
    strbuf_free(&raw);
    json_t *doc = json_pack("{s:s, s:s, s:i}", "code", code, "description", msg, "status", status);
    free(msg);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text)
        text = xstrdup("{\"code\":\"ServerError\",\"description\":\"could not encode the error\"}");
    return reply_text(r, status, text, MEDIA_JSON);
}

unsigned http_status_of(gisd_code code)
{
    switch (code) {
    case GISD_E_INPUT: return 400;
    case GISD_E_NOTFOUND: return 404;
    case GISD_E_TOOBIG: return 413;
    case GISD_E_NOSPACE: return 507;
    case GISD_E_IO:
    case GISD_E_UNAVAILABLE:
    case GISD_E_TIMEOUT:
    case GISD_E_BUSY: return 503;
    case GISD_E_CONFLICT: return 409;
    case GISD_E_STALE: return 412;
    default: return 500;
    }
}

enum MHD_Result http_reply_gisd_error(http_req *r, const gisd_error *err)
{
    static const char *const CODES[] = {
        [GISD_OK] = "ServerError",          [GISD_E_INPUT] = "InvalidParameterValue",
        [GISD_E_NOTFOUND] = "NotFound",     [GISD_E_TOOBIG] = "PayloadTooLarge",
        [GISD_E_IO] = "ServiceUnavailable", [GISD_E_NOSPACE] = "InsufficientStorage",
        [GISD_E_TIMEOUT] = "Timeout",       [GISD_E_BUSY] = "ServiceUnavailable",
        [GISD_E_INTERNAL] = "ServerError",  [GISD_E_CONFLICT] = "Conflict",
        [GISD_E_STALE] = "PreconditionFailed", [GISD_E_UNAVAILABLE] = "ServiceUnavailable"};
    return http_reply_error(r, http_status_of(err->code), CODES[err->code], "%s", err->message);
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

void http_url_encode(const char *s, strbuf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || c == ',' || c == ':') {
            strbuf_append(out, s, 1);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            strbuf_append(out, esc, 3);
        }
    }
}

json_t *http_link(http_req *r, const char *rel, const char *type, const char *title,
                  const char *path_fmt, ...)
{
    strbuf href = {0};
    strbuf_puts(&href, r->base);
    va_list ap;
    va_start(ap, path_fmt);
    strbuf_vprintf(&href, path_fmt, ap);
    va_end(ap);
    char *clean = utf8_clean(href.data, 0);
    strbuf_free(&href);
    json_t *l = json_pack("{s:s, s:s, s:s}", "href", clean, "rel", rel, "type", type);
    free(clean);
    if (title)
        json_object_set_new(l, "title", json_string(title));
    return l;
}

int http_coding_accepted(const char *accept_encoding, const char *coding)
{
    if (!accept_encoding)
        return 0;
    double named = -1, star = -1;
    const char *p = accept_encoding;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *tok = p;
        while (*p && *p != ';' && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        size_t len = (size_t)(p - tok);
        double q = 1;
        while (*p && *p != ',') {
            while (*p == ' ' || *p == '\t' || *p == ';')
                p++;
            if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
                char *end;
                q = strtod(p + 2, &end);
                if (end == p + 2 || q != q || q < 0 || q > 1)
                    q = 0; /* a weight we cannot read accepts nothing */
                p = end;
            } else if (*p && *p != ',') {
                p++;
            }
        }
        if (len == strlen(coding) && strncasecmp(tok, coding, len) == 0)
            named = q;
        else if (len == 1 && *tok == '*')
            star = q;
    }
    return named >= 0 ? named > 0 : star > 0;
}

int http_accepts_gzip(http_req *r)
{
    return http_coding_accepted(
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept-Encoding"), "gzip");
}

int http_parse_bbox(const char *text, int swap, int geographic, double out[4], gisd_error *err)
{
    double v[6];
    int n = 0;
    const char *p = text;
    while (n < 6) {
        char *end;
        v[n] = strtod(p, &end);
        if (end == p || !isfinite(v[n]))
            break;
        n++;
        if (*end != ',') {
            p = end;
            break;
        }
        p = end + 1;
    }
    if (*p || (n != 4 && n != 6))
        return gisd_fail(err, GISD_E_INPUT,
                         "bbox \"%s\" must be four numbers: minx,miny,maxx,maxy (or six with heights)",
                         text);
    double x0 = v[0], y0 = v[1], x1 = v[n == 4 ? 2 : 3], y1 = v[n == 4 ? 3 : 4];
    if (swap) {
        double t = x0;
        x0 = y0, y0 = t;
        t = x1;
        x1 = y1, y1 = t;
    }
    if (x0 > x1 || y0 > y1)
        return gisd_fail(err, GISD_E_INPUT, "bbox \"%s\": the lower corner must come first", text);
    if (geographic && (y0 < -90 || y1 > 90 || x0 < -180 || x1 > 180))
        return gisd_fail(err, GISD_E_INPUT, "bbox \"%s\" is outside -180..180, -90..90", text);
    out[0] = x0;
    out[1] = y0;
    out[2] = x1;
    out[3] = y1;
    return 0;
}

const char *http_table_format(http_req *r)
{
    const char *f = http_arg(r, "f");
    return f && strcmp(f, "csv") == 0 ? "csv" : f && strcmp(f, "xlsx") == 0 ? "xlsx" : NULL;
}

void http_answer_table(http_answer *out, json_t *doc, const char *format, const char *title)
{
    strbuf b = {0};
    const char *media;
    if (report_answer_table(doc, format, title, &b, &media, &out->err) == 0)
        http_answer_bytes(out, &b, media);
    else
        strbuf_free(&b);
    json_decref(doc);
}
