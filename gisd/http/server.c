#include "server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cancel.h"
#include "http.h"
#include "jobpool.h"
#include "auth.h"
#include "jobs.h"
#include "store_watch.h"
#include "route_table.h"
#include "routes.h"
#include "analysis_geom.h"
#include "count_cache.h"
#include "utf8.h"
#include "xalloc.h"

#define POOL_MAX 64
/* The layer, CRS and field sets the analyses keep in memory: the analyses and
 * optimisations load some twenty. */
#define RESIDENT_SETS 48

struct gisd_server {
    const server_config *cfg;
    metrics *metrics;
    pthread_mutex_t lock;
    worker *idle[POOL_MAX];
    size_t nidle, open;
    tile_service *tiles;
    count_cache *counts;
    glyphs *glyphs;
    jobpool *jobs;
    FILE *access_log;        /* swapped under log_lock when SIGHUP reopens it */
    pthread_mutex_t log_lock;
    _Atomic(const site_rules *) rules; /* the current rules; SIGHUP swaps in a new copy */
    site_rules *retired[64];  /* the copies SIGHUP replaced: a request may still read one */
    size_t nretired;
    store_watch *watch; /* the store checker and the change listener */
    auth_table *auth;
    job_table *job_table; /* the asynchronous jobs */
    char *tls_cert, *tls_key; /* the PEM files' text */
};

/* A request whose work runs on the job pool while its connection waits. */
typedef struct {
    gisd_server *srv;
    struct MHD_Connection *conn;
    http_job_fn fn;
    void *arg;
    void (*arg_free)(void *);
    double deadline;
    char scenario[65]; /* the request's scenario, which its store handle reads through */
    http_answer answer;
    atomic_int done;
} deferred;

/* Per connection: the request body and what the metrics and the log need. */
typedef struct {
    struct timespec t0;
    const char *route;
    char *body;
    size_t len;
    int too_big;
    request_stats stats;
    deferred *job;
    char *method, *url; /* copies for the access log */
} request_state;

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

metrics *server_metrics(gisd_server *srv) { return srv->metrics; }
const site_rules *server_rules(gisd_server *srv) { return atomic_load(&srv->rules); }
tile_service *server_tiles(gisd_server *srv) { return srv->tiles; }
count_cache *server_counts(gisd_server *srv) { return srv->counts; }
glyphs *server_glyphs(gisd_server *srv) { return srv->glyphs; }
const server_config *server_config_of(gisd_server *srv) { return srv->cfg; }

static void worker_free(worker *w)
{
    if (!w)
        return;
    store_close(w->st);
    if (w->geos)
        GEOS_finish_r(w->geos);
    free(w);
}

worker *server_worker_acquire(gisd_server *srv, gisd_error *err)
{
    pthread_mutex_lock(&srv->lock);
    if (srv->nidle > 0) {
        worker *w = srv->idle[--srv->nidle];
        pthread_mutex_unlock(&srv->lock);
        return w;
    }
    if (srv->open >= POOL_MAX) {
        pthread_mutex_unlock(&srv->lock);
        gisd_fail(err, GISD_E_BUSY, "the server is busy (%d store connections in use); retry",
                  POOL_MAX);
        return NULL;
    }
    srv->open++;
    pthread_mutex_unlock(&srv->lock);
    worker *w = xcalloc(1, sizeof *w);
    w->geos = geos_context_new();
    if (store_open(srv->cfg->db_path, STORE_READONLY, srv->cfg->reg, &w->st, NULL, err) != 0) {
        worker_free(w);
        pthread_mutex_lock(&srv->lock);
        srv->open--;
        pthread_mutex_unlock(&srv->lock);
        return NULL;
    }
    return w;
}

worker *server_worker_for(gisd_server *srv, const char *scenario, gisd_error *err)
{
    worker *w = server_worker_acquire(srv, err);
    if (w && scenario && *scenario && store_set_scenario(w->st, scenario, err) != 0) {
        server_worker_release(srv, w);
        return NULL;
    }
    return w;
}

void server_worker_release(gisd_server *srv, worker *w)
{
    if (!w)
        return;
    gisd_error ignore = {0};
    store_set_scenario(w->st, NULL, &ignore); /* the next request reads the baseline unless it says */
    pthread_mutex_lock(&srv->lock);
    srv->idle[srv->nidle++] = w;
    pthread_mutex_unlock(&srv->lock);
}

static void pool_free(gisd_server *srv)
{
    for (size_t i = 0; i < srv->nidle; i++)
        worker_free(srv->idle[i]);
    srv->nidle = 0;
}

/* ---- the base URL of links: never a Host nobody vouched for ---- */

/* 1 when host (as a Host header: name or [v6] with an optional port) is
 * "name" or "name:port" of the list entry. */
static int host_matches(const char *host, const char *entry, size_t elen, const char *port)
{
    size_t hlen = strlen(host);
    if (hlen == elen && strncasecmp(host, entry, elen) == 0)
        return 1;
    /* an entry without a port matches the host on our port */
    return memchr(entry, ':', elen) == NULL && hlen == elen + 1 + strlen(port) &&
           strncasecmp(host, entry, elen) == 0 && host[elen] == ':' &&
           strcmp(host + elen + 1, port) == 0;
}

static int host_allowed(const char *host, const char *list, const char *port)
{
    for (const char *p = list; p && *p;) {
        size_t n = strcspn(p, ",");
        if (n > 0 && host_matches(host, p, n, port))
            return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

/* The address this connection reached, as "ip:port" and the port alone. */
static void local_address(struct MHD_Connection *conn, char *addr, size_t n, char *port, size_t pn)
{
    addr[0] = port[0] = '\0';
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (!ci || getsockname(ci->connect_fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    char ip[INET6_ADDRSTRLEN] = "";
    unsigned p = 0;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        p = ntohs(a->sin_port);
        snprintf(addr, n, "%s:%u", ip, p);
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        p = ntohs(a->sin6_port);
        snprintf(addr, n, "[%s]:%u", ip, p);
    }
    snprintf(port, pn, "%u", p);
}

int server_tls(gisd_server *srv) { return srv->tls_cert != NULL; }
auth_table *server_auth(gisd_server *srv) { return srv->auth; }
job_table *server_job_table(gisd_server *srv) { return srv->job_table; }

int server_loopback(gisd_server *srv)
{
    const char *l = srv->cfg->listen ? srv->cfg->listen : "127.0.0.1";
    return strncmp(l, "127.", 4) == 0 || strncmp(l, "localhost", 9) == 0 || strncmp(l, "[::1]", 5) == 0;
}

static void client_address(struct MHD_Connection *conn, char *out, size_t n);

/* The client's address: the peer's, or the one the --trusted-proxy forwards. */
static void forwarded_address(const gisd_server *srv, struct MHD_Connection *conn, char *out, size_t n)
{
    client_address(conn, out, n);
    const char *proxy = srv->cfg->trusted_proxy;
    const char *xff = proxy && strcmp(out, proxy) == 0
                          ? MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For")
                          : NULL;
    if (!xff)
        return;
    /* the last address is the one the trusted proxy saw; those before it
     * are whatever the client claimed */
    const char *last = strrchr(xff, ',');
    last = last ? last + 1 : xff;
    while (*last == ' ')
        last++;
    char ip[INET6_ADDRSTRLEN];
    size_t len = strcspn(last, " ");
    unsigned char bin[sizeof(struct in6_addr)];
    if (len == 0 || len >= sizeof ip)
        return;
    memcpy(ip, last, len);
    ip[len] = 0;
    if (inet_pton(AF_INET, ip, bin) == 1 || inet_pton(AF_INET6, ip, bin) == 1)
        snprintf(out, n, "%s", ip);
}

void server_client_address(http_req *r, char *out, size_t n) { forwarded_address(r->srv, r->conn, out, n); }

static void client_address(struct MHD_Connection *conn, char *out, size_t n)
{
    out[0] = '\0';
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    if (ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, out, (socklen_t)n);
    else if (ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, out, (socklen_t)n);
}

/* 1 when s is a syntactically plain host[:port]: no characters a URL or a
 * header would give meaning to. */
static int host_syntax_ok(const char *s)
{
    if (!*s || strlen(s) > 255)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("-.:[]_", *p)))
            return 0;
    return 1;
}

/* Fills r->base; -1 (with why) when the Host header names nothing we answer for. */
static int set_base_url(http_req *r, const server_config *cfg, char *why, size_t n)
{
    if (cfg->public_url) {
        snprintf(r->base, sizeof r->base, "%s", cfg->public_url);
        size_t len = strlen(r->base);
        while (len > 0 && r->base[len - 1] == '/')
            r->base[--len] = '\0';
        return 0;
    }
    char local[80], port[8];
    const char *proto = "http";
    const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host");
    char client[INET6_ADDRSTRLEN] = "";
    if (cfg->trusted_proxy)
        client_address(r->conn, client, sizeof client);
    /* the common case, the address we listen on, asks the kernel nothing */
    if (!cfg->trusted_proxy && host && host_syntax_ok(host) && strcasecmp(host, cfg->listen) == 0) {
        snprintf(r->base, sizeof r->base, "%s://%s", r->srv->tls_cert ? "https" : "http", host);
        return 0;
    }
    local_address(r->conn, local, sizeof local, port, sizeof port);
    if (cfg->trusted_proxy && strcmp(client, cfg->trusted_proxy) == 0) {
        const char *fp = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Forwarded-Proto");
        const char *fh = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Forwarded-Host");
        if (fp && strcmp(fp, "https") == 0)
            proto = "https";
        if (fh && host_syntax_ok(fh))
            host = fh;
        r->vary = "X-Forwarded-Proto, X-Forwarded-Host";
        snprintf(r->base, sizeof r->base, "%s://%s", proto, host && host_syntax_ok(host) ? host : local);
        return 0;
    }
    if (!host || !*host) {
        snprintf(r->base, sizeof r->base, "%s://%s", r->srv->tls_cert ? "https" : "http", local[0] ? local : cfg->listen);
        return 0;
    }
    int ok = host_syntax_ok(host) &&
             (strcasecmp(host, local) == 0 || strcasecmp(host, cfg->listen) == 0 ||
              host_allowed(host, cfg->allowed_hosts, port) ||
              /* the loopback names of a loopback address */
              ((strncmp(local, "127.", 4) == 0 || strncmp(local, "[::1]", 5) == 0) &&
               host_allowed(host, "localhost,127.0.0.1,[::1]", port)));
    if (!ok) {
        char *clean = utf8_clean(host, 200);
        snprintf(why, n, "the Host \"%s\" is not an address of this server; name it with "
                         "--allowed-hosts or set --public-url", clean);
        free(clean);
        return -1;
    }
    snprintf(r->base, sizeof r->base, "%s://%s", r->srv->tls_cert ? "https" : "http", host);
    return 0;
}

/* ---- deferred work on the job pool ---- */

static void deferred_run(void *arg)
{
    deferred *d = arg;
    cancel_set_deadline(d->deadline);
    if (cancel_requested()) {
        gisd_fail(&d->answer.err, GISD_E_TIMEOUT,
                  "the request waited past its deadline (--analysis-timeout-s %g) in the queue; retry",
                  d->srv->cfg->analysis_timeout_s);
    } else {
        worker *w = server_worker_for(d->srv, d->scenario, &d->answer.err);
        if (w) {
            d->fn(d->arg, w, &d->answer);
            server_worker_release(d->srv, w);
        }
        server_explain_timeout(d->srv, &d->answer);
    }
    cancel_set_deadline(0);
    atomic_store_explicit(&d->done, 1, memory_order_release);
    MHD_resume_connection(d->conn);
}

void server_explain_timeout(const gisd_server *srv, http_answer *a)
{
    if (!a->body && a->err.code == GISD_E_TIMEOUT && !cancel_stopped() && !strstr(a->err.message, "--analysis-timeout-s"))
        gisd_error_prefix(&a->err, "stopped after --analysis-timeout-s %g: ", srv->cfg->analysis_timeout_s);
}

enum MHD_Result server_defer(http_req *r, http_job_fn fn, void *arg, void (*arg_free)(void *))
{
    request_state *rs = r->state;
    deferred *d = xcalloc(1, sizeof *d);
    *d = (deferred){.srv = r->srv, .conn = r->conn, .fn = fn, .arg = arg, .arg_free = arg_free};
    memcpy(d->scenario, r->scenario, sizeof d->scenario);
    d->deadline = cancel_now() - seconds_since(&rs->t0) + r->srv->cfg->analysis_timeout_s;
    rs->job = d;
    MHD_suspend_connection(r->conn);
    if (jobpool_submit(r->srv->jobs, deferred_run, d) != 0) {
        /* answered like a finished job, when the connection wakes */
        gisd_fail(&d->answer.err, GISD_E_BUSY,
                  "%u analyses are queued or running, the most this server takes "
                  "(--analysis-threads and --analysis-queue); retry shortly",
                  r->srv->cfg->analysis_queue + r->srv->cfg->analysis_threads);
        atomic_store_explicit(&d->done, 1, memory_order_release);
        MHD_resume_connection(r->conn);
    }
    return MHD_YES;
}

int server_submit(gisd_server *srv, void (*run)(void *arg), void *arg)
{
    return jobpool_submit(srv->jobs, run, arg);
}

void http_answer_json(http_answer *out, json_t *doc, size_t flags, const char *type)
{
    out->body = json_dumps(doc, flags);
    json_decref(doc);
    if (!out->body) {
        gisd_fail(&out->err, GISD_E_INTERNAL, "could not encode the answer");
        return;
    }
    out->len = strlen(out->body);
    out->status = 200;
    out->type = type;
}

void http_answer_bytes(http_answer *out, strbuf *b, const char *type)
{
    out->status = 200;
    out->body = b->data;
    out->len = b->len;
    out->type = type;
    *b = (strbuf){0};
}

static enum MHD_Result answer_deferred(http_req *r, deferred *d)
{
    http_answer *a = &d->answer;
    enum MHD_Result ret;
    if (a->body) {
        const char *hdrs[][2] = {{"Content-Type", a->type}, {a->location[0] ? "Location" : NULL, a->location},
                                 {NULL, NULL}};
        r->stats->bytes += (long long)a->len;
        ret = http_send(r, a->status ? a->status : 200,
                        MHD_create_response_from_buffer(a->len, a->body, MHD_RESPMEM_MUST_FREE), hdrs);
        a->body = NULL;
    } else {
        ret = http_reply_gisd_error(r, &a->err);
    }
    return ret;
}

static void deferred_free(deferred *d)
{
    if (!d)
        return;
    if (d->arg_free)
        d->arg_free(d->arg);
    free(d->answer.body);
    free(d);
}

/* ---- the request's life ---- */

static enum MHD_Result dispatch(gisd_server *srv, struct MHD_Connection *conn, const char *url,
                                const char *method, request_state *rs)
{
    http_req r = {.conn = conn, .srv = srv, .reg = srv->cfg->reg, .method = method, .url = url,
                  .body = rs->body, .body_len = rs->len, .stats = &rs->stats, .state = rs};
    char why[512];
    if (set_base_url(&r, srv->cfg, why, sizeof why) != 0) {
        snprintf(r.base, sizeof r.base, "%s://%s", srv->tls_cert ? "https" : "http", srv->cfg->listen);
        rs->route = "(bad host)";
        return http_reply_error(&r, 400, "InvalidParameterValue", "%s", why);
    }
    if (rs->job) {
        if (!atomic_load_explicit(&rs->job->done, memory_order_acquire))
            return MHD_YES; /* woken early: the job still runs */
        return answer_deferred(&r, rs->job);
    }
    if (rs->too_big) {
        rs->route = "(body too large)";
        return http_reply_error(&r, 413, "PayloadTooLarge", "the request body is over %u bytes",
                                SERVER_MAX_BODY);
    }
    if (strlen(url) > SERVER_MAX_URL) {
        rs->route = "(uri too long)";
        return http_reply_error(&r, 414, "URITooLong", "the path is over %u bytes", SERVER_MAX_URL);
    }
    const union MHD_ConnectionInfo *hs =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (hs && hs->header_size > SERVER_MAX_HEADERS) {
        rs->route = "(headers too large)";
        return http_reply_error(&r, 431, "RequestHeaderFieldsTooLarge",
                                "the request's headers are over %u bytes", SERVER_MAX_HEADERS);
    }
    /* /scenarios/{sid}/... is every route read (and written) in scenario
     * sid; /scenarios/{sid}/compare/... and /adopt are the scenario's own */
    const char *path = url;
    if (strncmp(url, "/scenarios/", 11) == 0) {
        const char *seg = url + 11, *rest = seg + strcspn(seg, "/");
        if (*rest == '/' && rest[1] && strncmp(rest, "/compare/", 9) != 0 && strcmp(rest, "/adopt") != 0) {
            snprintf(r.scenario, sizeof r.scenario, "%.*s", (int)(rest - seg < 64 ? rest - seg : 64), seg);
            gisd_error err = {0};
            if (rest - seg > 64 || !store_scenario_id_ok(r.scenario)) {
                rs->route = "(bad scenario)";
                return http_reply_error(&r, 400, "InvalidParameterValue",
                                        "\"%.*s\" is no scenario id: [A-Za-z0-9_-], 1 to 64 of them, not baseline",
                                        (int)(rest - seg < 80 ? rest - seg : 80), seg);
            }
            worker *w = server_worker_for(srv, r.scenario, &err);
            if (!w) {
                rs->route = "(no such scenario)";
                return http_reply_gisd_error(&r, &err);
            }
            server_worker_release(srv, w);
            size_t bl = strlen(r.base);
            snprintf(r.base + bl, sizeof r.base - bl, "/scenarios/%s", r.scenario);
            path = rest;
        }
    }
    int path_found = 0;
    char *segbuf = xmalloc(strlen(path) + 1);
    const char *params[6] = {0};
    int i = server_route(method, path, segbuf, strlen(path) + 1, params, &path_found);
    enum MHD_Result ret;
    if (i >= 0) {
        rs->route = ROUTES[i].pattern;
        memcpy(r.params, params, sizeof params);
        if (ROUTES[i].access == ROUTE_READ && !http_read_allowed(&r, &ret))
            ; /* answered: a read without a valid token under --require-token-for-reads */
        else
            ret = ROUTES[i].handler(&r);
    } else if (path_found) {
        rs->route = "(method not allowed)";
        ret = http_reply_error(&r, 405, "MethodNotAllowed", "%s is not allowed on %s", method, url);
    } else {
        rs->route = "(not found)";
        ret = http_reply_error(&r, 404, "NotFound", "no resource at %s; see /api", url);
    }
    free(segbuf);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    gisd_server *srv = cls;
    request_state *rs = *con_cls;
    if (!rs) {
        rs = xcalloc(1, sizeof *rs);
        clock_gettime(CLOCK_MONOTONIC, &rs->t0);
        rs->route = "(unrouted)";
        rs->method = xstrdup(method);
        rs->url = xstrdup(url);
        *con_cls = rs;
        /* a body announced over the limit is refused before it is read */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > SERVER_MAX_BODY) {
            rs->too_big = 1;
            return dispatch(srv, conn, url, method, rs);
        }
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!rs->too_big && rs->len + *upload_size <= SERVER_MAX_BODY) {
            rs->body = xrealloc(rs->body, rs->len + *upload_size + 1);
            memcpy(rs->body + rs->len, upload, *upload_size);
            rs->len += *upload_size;
            rs->body[rs->len] = '\0';
        } else {
            rs->too_big = 1;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return dispatch(srv, conn, url, method, rs);
}

/* Appends the query string as the client sent it (re-encoded). */
static enum MHD_Result log_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    strbuf *b = cls;
    strbuf_puts(b, b->len ? "&" : "");
    http_url_encode(key, b);
    if (value) {
        strbuf_puts(b, "=");
        http_url_encode(value, b);
    }
    return MHD_YES;
}

static void access_log_write(gisd_server *srv, struct MHD_Connection *conn, request_state *rs,
                             unsigned status, double seconds)
{
    strbuf query = {0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, log_arg, &query);
    char client[INET6_ADDRSTRLEN], stamp[40];
    forwarded_address(srv, conn, client, sizeof client);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    size_t k = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + k, sizeof stamp - k, ".%03ldZ", now.tv_nsec / 1000000);
    char *method = utf8_clean(rs->method, 64), *path = utf8_clean(rs->url, 4096);
    char *q = utf8_clean(query.data ? query.data : "", 8192);
    json_t *line = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:f, s:s}", "time", stamp, "method",
                             method, "path", path, "query", q, "status", (int)status, "bytes",
                             (json_int_t)rs->stats.bytes, "ms", seconds * 1000.0, "client", client);
    free(method);
    free(path);
    free(q);
    strbuf_free(&query);
    char *text = line ? json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(line);
    if (!text)
        return;
    pthread_mutex_lock(&srv->log_lock);
    if (srv->access_log) {
        fprintf(srv->access_log, "%s\n", text);
        fflush(srv->access_log);
    }
    pthread_mutex_unlock(&srv->log_lock);
    free(text);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    gisd_server *srv = cls;
    request_state *rs = *con_cls;
    if (!rs)
        return;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
    unsigned status = ci ? ci->http_status : 0;
    double secs = seconds_since(&rs->t0);
    metrics_record(srv->metrics, rs->route, status, secs);
    if (rs->stats.features)
        metrics_add_features(srv->metrics, rs->stats.features);
    if (srv->cfg->access_log)
        access_log_write(srv, conn, rs, status, secs);
    deferred_free(rs->job);
    free(rs->method);
    free(rs->url);
    free(rs->body);
    free(rs);
    *con_cls = NULL;
}

int server_store_damaged(gisd_server *srv, char *msg, size_t n) { return store_watch_damaged(srv->watch, msg, n); }

/* ---- start and stop ---- */

static int parse_listen(const char *listen, struct sockaddr_in *addr, gisd_error *err)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host)
        return gisd_fail(err, GISD_E_INPUT, "--listen %s: write HOST:PORT, e.g. 127.0.0.1:8080",
                         listen);
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    if (*end || port < 0 || port > 65535 ||
        inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host,
                  &addr->sin_addr) != 1)
        return gisd_fail(err, GISD_E_INPUT, "--listen %s: write an IPv4 HOST:PORT, e.g. 127.0.0.1:8080",
                         listen);
    addr->sin_port = htons((uint16_t)port);
    return 0;
}

static double hard_deadline;

/* Whatever a request is doing, the process ends this long after SIGTERM. */
static void *watchdog_main(void *arg)
{
    (void)arg;
    while (cancel_now() < hard_deadline)
        usleep(50000);
    fprintf(stderr, "gisd: requests still running past the grace period; exiting now\n");
    _exit(1);
    return NULL;
}

static void server_free(gisd_server *srv)
{
    pool_free(srv);
    metrics_free(srv->metrics);
    tile_service_free(srv->tiles);
    count_cache_free(srv->counts);
    aset_resident_stop();
    glyphs_close(srv->glyphs);
    if (srv->access_log && srv->access_log != stdout)
        fclose(srv->access_log);
    auth_table_free(srv->auth);
    job_table_free(srv->job_table);
    for (size_t i = 0; i < srv->nretired; i++)
        free(srv->retired[i]);
    if (atomic_load(&srv->rules) != srv->cfg->rules)
        free((site_rules *)atomic_load(&srv->rules));
    pthread_mutex_destroy(&srv->log_lock);
    pthread_mutex_destroy(&srv->lock);
    free(srv->tls_cert);
    free(srv->tls_key);
}

/* libmicrohttpd's own messages (a client that went away, a refused
 * connection) go to stderr with our prefix. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("gisd: libmicrohttpd: ", stderr);
    vfprintf(stderr, fmt, ap);
}

/* The whole PEM file at path into *out (xmalloc'd). */
static int read_pem(const char *path, char **out, gisd_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return gisd_fail(err, GISD_E_IO, "%s: %s", path, strerror(errno));
    strbuf b = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_append(&b, buf, n);
    fclose(f);
    if (!b.data || !strstr(b.data, "-----BEGIN")) {
        strbuf_free(&b);
        return gisd_fail(err, GISD_E_INPUT, "%s: not a PEM file", path);
    }
    *out = b.data;
    return 0;
}

/* SIGHUP: the access log is reopened (logrotate has moved it away) and the
 * rules file read again; a request in flight keeps the rules it started
 * with. A rules file that no longer loads leaves the old rules in force. */
static void server_reload(gisd_server *srv)
{
    const server_config *cfg = srv->cfg;
    if (cfg->access_log && strcmp(cfg->access_log, "-") != 0) {
        FILE *f = fopen(cfg->access_log, "a");
        if (!f) {
            fprintf(stderr, "gisd: SIGHUP: --access-log %s cannot be reopened (%s); still writing the old file\n",
                    cfg->access_log, strerror(errno));
        } else {
            pthread_mutex_lock(&srv->log_lock);
            FILE *old = srv->access_log;
            srv->access_log = f;
            pthread_mutex_unlock(&srv->log_lock);
            if (old && old != stdout)
                fclose(old);
        }
    }
    site_rules *fresh = xmalloc(sizeof *fresh);
    gisd_error err = {0};
    if (rules_load(cfg->rules_path, cfg->reg->dir, fresh, &err) != 0) {
        fprintf(stderr, "gisd: SIGHUP: the rules were not reloaded, the old ones stay: %s\n", err.message);
        free(fresh);
        return;
    }
    if (srv->nretired == sizeof srv->retired / sizeof *srv->retired) {
        fprintf(stderr, "gisd: SIGHUP: the rules were reloaded %zu times; restart gisd to reload them again\n",
                srv->nretired);
        free(fresh);
        return;
    }
    const site_rules *old = atomic_exchange(&srv->rules, fresh);
    if (old != cfg->rules)
        srv->retired[srv->nretired++] = (site_rules *)old;
    fprintf(stderr, "gisd: SIGHUP: access log reopened, rules reloaded\n");
}

/* Waits for SIGINT or SIGTERM, reloading at SIGHUP and telling systemd
 * we are alive every half of its watchdog period when it asks for that. */
static int wait_for_stop(gisd_server *srv, const sigset_t *sigs)
{
    uint64_t watchdog_us = 0;
    if (sd_watchdog_enabled(0, &watchdog_us) <= 0)
        watchdog_us = 0;
    for (;;) {
        int sig;
        if (watchdog_us) {
            struct timespec half = {.tv_sec = (time_t)(watchdog_us / 2000000),
                                    .tv_nsec = (long)(watchdog_us / 2 % 1000000) * 1000};
            sig = sigtimedwait(sigs, NULL, &half);
            if (sig < 0) {
                sd_notify(0, "WATCHDOG=1");
                continue;
            }
        } else if (sigwait(sigs, &sig) != 0) {
            continue;
        }
        if (sig != SIGHUP)
            return sig;
        sd_notify(0, "RELOADING=1");
        server_reload(srv);
        sd_notify(0, "READY=1");
    }
}

int server_run(const server_config *cfg, gisd_error *err)
{
    struct sockaddr_in addr;
    if (parse_listen(cfg->listen, &addr, err) != 0)
        return -1;
    gisd_server srv = {.cfg = cfg, .metrics = metrics_new()};
    atomic_init(&srv.rules, cfg->rules);
    srv.counts = count_cache_new();
    /* the analyses read their layers from memory while they do not change */
    aset_resident_start(RESIDENT_SETS);
    srv.tiles = tile_service_new(cfg->reg, cfg->db_path, cfg->tile_cache_mb, (size_t)(cfg->snapshot_max_mb * 1048576.0));
    pthread_mutex_init(&srv.lock, NULL);
    pthread_mutex_init(&srv.log_lock, NULL);
    srv.auth = auth_table_new();
    srv.job_table = job_table_new();
    if (cfg->access_log) {
        srv.access_log = strcmp(cfg->access_log, "-") == 0 ? stdout : fopen(cfg->access_log, "a");
        if (!srv.access_log) {
            server_free(&srv);
            return gisd_fail(err, GISD_E_IO, "--access-log %s: %s", cfg->access_log, strerror(errno));
        }
    }
    if ((cfg->tls_cert != NULL) != (cfg->tls_key != NULL)) {
        server_free(&srv);
        return gisd_fail(err, GISD_E_INPUT, "HTTPS needs both --tls-cert and --tls-key");
    }
    if (cfg->tls_cert && (read_pem(cfg->tls_cert, &srv.tls_cert, err) != 0 || read_pem(cfg->tls_key, &srv.tls_key, err) != 0)) {
        server_free(&srv);
        return -1;
    }
    gisd_error font_err = {0};
    if (glyphs_open(cfg->font_path ? cfg->font_path : GLYPHS_FONT_DEFAULT, &srv.glyphs, &font_err) != 0)
        fprintf(stderr, "gisd: warning: %s; map labels will lack glyphs\n", font_err.message);
    /* Open one handle now so a missing or foreign store fails at start, not on the first request. */
    worker *first = server_worker_acquire(&srv, err);
    if (!first) {
        server_free(&srv);
        return -1;
    }
    if (store_is_immutable(first->st))
        fprintf(stderr, "gisd: warning: %s lies in a directory gisd cannot write, so it is read as "
                        "an unchanging file: imports made while gisd serves are not seen\n",
                cfg->db_path);
    server_worker_release(&srv, first);
    cancel_install_geos();
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* MHD's threads inherit the mask; only sigwait sees them */
    signal(SIGPIPE, SIG_IGN);
    srv.jobs = jobpool_new(cfg->analysis_threads, cfg->analysis_queue);
    srv.watch = store_watch_start(cfg->db_path, cfg->reg, cfg->check_interval_s, tile_service_source(srv.tiles));
    unsigned threads = cfg->threads ? cfg->threads : 4;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_EPOLL;
    if (srv.tls_cert)
        flags |= MHD_USE_TLS; /* libmicrohttpd with GnuTLS */
    /* the certificate and key only when serving HTTPS (libmicrohttpd warns otherwise) */
    struct MHD_OptionItem tls[] = {{MHD_OPTION_HTTPS_MEM_CERT, 0, srv.tls_cert},
                                   {MHD_OPTION_HTTPS_MEM_KEY, 0, srv.tls_key},
                                   {MHD_OPTION_END, 0, NULL}};
    if (!srv.tls_cert)
        tls[0].option = MHD_OPTION_END;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, &srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_ARRAY, tls,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, &srv,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_per_ip,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVER_CONN_MEMORY,
        MHD_OPTION_END);
    if (!d) {
        int e = errno;
        store_watch_stop(srv.watch);
        jobpool_free(srv.jobs);
        server_free(&srv);
        return gisd_fail(err, GISD_E_IO, "cannot listen on %s: %s (is the port in use?)", cfg->listen,
                         strerror(e));
    }
    fprintf(stderr, "gisd: serving %s on %s://%s with %u threads\n", cfg->db_path, srv.tls_cert ? "https" : "http",
            cfg->listen, threads);
    sd_notifyf(0, "READY=1\nSTATUS=serving %s on %s", cfg->db_path, cfg->listen);
    int sig = wait_for_stop(&srv, &sigs);
    sd_notify(0, "STOPPING=1");
    fprintf(stderr, "gisd: %s: finishing requests in flight (up to %g s)\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM", cfg->grace_s);
    double t0 = cancel_now();
    hard_deadline = t0 + cfg->grace_s + 2.0;
    pthread_t watchdog;
    if (pthread_create(&watchdog, NULL, watchdog_main, NULL) == 0)
        pthread_detach(watchdog);
    MHD_quiesce_daemon(d);
    while (cancel_now() - t0 < cfg->grace_s) {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if ((!info || info->num_connections == 0) && jobpool_load(srv.jobs) == 0)
            break;
        usleep(50000);
    }
    /* Past the grace period every query and GEOS operation still running stops. */
    cancel_shutdown();
    store_watch_signal_stop(srv.watch);
    jobpool_free(srv.jobs); /* every deferred connection is resumed with its answer */
    job_table_free(srv.job_table);
    srv.job_table = NULL;
    /* let those answers (and any other last bytes) go out, within the hard deadline */
    while (cancel_now() < hard_deadline - 1.0) {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (!info || info->num_connections == 0)
            break;
        usleep(20000);
    }
    MHD_stop_daemon(d);
    store_watch_stop(srv.watch);
    server_free(&srv);
    fprintf(stderr, "gisd: stopped\n");
    return 0;
}
