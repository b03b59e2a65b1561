#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "routes.h"

#define POOL_MAX 64

typedef struct {
    const char *method;
    const char *pattern; /* segments; "{}" matches one segment */
    http_handler handler;
} route;

/* Read top-down: this is where every request goes. */
static const route ROUTES[] = {
    {"GET", "/", http_landing},
    {"GET", "/conformance", http_conformance},
    {"GET", "/api", http_openapi},
    {"GET", "/collections", http_collections},
    {"GET", "/collections/{}", http_collection},
    {"GET", "/collections/{}/items", http_items},
    {"GET", "/collections/{}/items/{}", http_item},
    {"GET", "/collections/{}/tiles", http_collection_tilesets},
    {"GET", "/collections/{}/tiles/{}", http_collection_tileset},
    {"GET", "/collections/{}/tiles/{}/{}/{}/{}", http_collection_tile},
    {"GET", "/tileMatrixSets", http_tilematrixsets},
    {"GET", "/tileMatrixSets/{}", http_tilematrixset},
    {"GET", "/tiles/{}", http_tilejson},
    {"GET", "/tiles/{}/{}/{}/{}", http_tile},
    {"GET", "/styles", http_styles},
    {"GET", "/styles/{}", http_style},
    {"GET", "/viewer/{}", http_viewer_file},
    {"GET", "/vendor/{}", http_vendor_file},
    {"GET", "/fonts/{}/{}", http_glyphs},
    {"GET", "/healthz", http_healthz},
    {"GET", "/metrics", http_metrics},
    {"GET", "/analysis/{}", http_analysis_get},
    {"POST", "/analysis/{}", http_analysis_post},
};

struct gisd_server {
    const server_config *cfg;
    metrics *metrics;
    pthread_mutex_t lock;
    worker *idle[POOL_MAX];
    size_t nidle, open;
    tile_service *tiles;
    glyphs *glyphs;
};

/* Per connection: the request body and what the metrics need. */
typedef struct {
    struct timespec t0;
    const char *route;
    char *body;
    size_t len;
    int too_big;
    long long features;
} request_state;

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

metrics *server_metrics(gisd_server *srv) { return srv->metrics; }
const site_rules *server_rules(gisd_server *srv) { return srv->cfg->rules; }
tile_service *server_tiles(gisd_server *srv) { return srv->tiles; }
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
        gisd_fail(err, GISD_E_IO, "the server is busy (%d store connections in use); retry",
                  POOL_MAX);
        return NULL;
    }
    srv->open++;
    pthread_mutex_unlock(&srv->lock);
    worker *w = calloc(1, sizeof *w);
    if (w && !(w->geos = GEOS_init_r())) {
        free(w);
        w = NULL;
    }
    if (!w || store_open(srv->cfg->db_path, STORE_READONLY, srv->cfg->reg, &w->st, NULL, err) != 0) {
        if (w == NULL)
            gisd_fail(err, GISD_E_INTERNAL, "out of memory");
        worker_free(w);
        pthread_mutex_lock(&srv->lock);
        srv->open--;
        pthread_mutex_unlock(&srv->lock);
        return NULL;
    }
    return w;
}

void server_worker_release(gisd_server *srv, worker *w)
{
    if (!w)
        return;
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

/* Matches url against pattern, filling params with pointers into segbuf. */
static int route_match(const char *pattern, const char *url, char *segbuf, size_t bufsize,
                       const char *params[6])
{
    size_t ul = strlen(url);
    if (ul >= bufsize || url[0] != '/')
        return 0;
    memcpy(segbuf, url, ul + 1);
    if (ul > 1 && segbuf[ul - 1] == '/')
        segbuf[--ul] = '\0';
    if (strcmp(pattern, "/") == 0)
        return strcmp(segbuf, "/") == 0;
    const char *p = pattern + 1;
    char *u = segbuf + 1;
    int np = 0;
    for (;;) {
        const char *pend = strchr(p, '/');
        size_t plen = pend ? (size_t)(pend - p) : strlen(p);
        char *uend = strchr(u, '/');
        size_t ulen = uend ? (size_t)(uend - u) : strlen(u);
        if (plen == 2 && strncmp(p, "{}", 2) == 0) {
            if (ulen == 0 || np == 6)
                return 0;
            params[np++] = u;
        } else if (plen != ulen || strncmp(p, u, plen) != 0) {
            return 0;
        }
        if (!pend || !uend)
            return !pend && !uend;
        *uend = '\0';
        p = pend + 1;
        u = uend + 1;
    }
}

static void set_base_url(http_req *r, const server_config *cfg)
{
    const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host");
    const char *proto = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Forwarded-Proto");
    snprintf(r->base, sizeof r->base, "%s://%s", proto && strcmp(proto, "https") == 0 ? "https" : "http",
             host && *host && !strpbrk(host, "\"<> ") ? host : cfg->listen);
}

static enum MHD_Result dispatch(gisd_server *srv, struct MHD_Connection *conn, const char *url,
                                const char *method, request_state *rs)
{
    http_req r = {.conn = conn, .srv = srv, .reg = srv->cfg->reg, .method = method, .url = url,
                  .body = rs->body, .body_len = rs->len, .features = &rs->features};
    set_base_url(&r, srv->cfg);
    if (rs->too_big) {
        rs->route = "(body too large)";
        return http_reply_error(&r, 400, "PayloadTooLarge",
                                "the request body is over %u bytes", SERVER_MAX_BODY);
    }
    int path_found = 0;
    char segbuf[2048];
    for (size_t i = 0; i < sizeof ROUTES / sizeof *ROUTES; i++) {
        const char *params[6] = {0};
        if (!route_match(ROUTES[i].pattern, url, segbuf, sizeof segbuf, params))
            continue;
        path_found = 1;
        if (strcmp(method, ROUTES[i].method) != 0 &&
            !(strcmp(method, "HEAD") == 0 && strcmp(ROUTES[i].method, "GET") == 0))
            continue;
        rs->route = ROUTES[i].pattern;
        memcpy(r.params, params, sizeof params);
        return ROUTES[i].handler(&r);
    }
    rs->route = path_found ? "(method not allowed)" : "(not found)";
    if (path_found)
        return http_reply_error(&r, 405, "MethodNotAllowed", "%s is not allowed on %s", method, url);
    return http_reply_error(&r, 404, "NotFound", "no resource at %s; see /api", url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    gisd_server *srv = cls;
    request_state *rs = *con_cls;
    if (!rs) {
        rs = calloc(1, sizeof *rs);
        if (!rs)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &rs->t0);
        rs->route = "(unrouted)";
        *con_cls = rs;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!rs->too_big && rs->len + *upload_size <= SERVER_MAX_BODY) {
            char *grown = realloc(rs->body, rs->len + *upload_size + 1);
            if (!grown)
                return MHD_NO;
            rs->body = grown;
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
    metrics_record(srv->metrics, rs->route, status, seconds_since(&rs->t0));
    if (rs->features)
        metrics_add_features(srv->metrics, rs->features);
    free(rs->body);
    free(rs);
    *con_cls = NULL;
}

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

int server_run(const server_config *cfg, gisd_error *err)
{
    struct sockaddr_in addr;
    if (parse_listen(cfg->listen, &addr, err) != 0)
        return -1;
    gisd_server srv = {.cfg = cfg, .metrics = metrics_new()};
    srv.tiles = tile_service_new(cfg->reg, cfg->tile_cache_mb);
    if (!srv.metrics || !srv.tiles) {
        metrics_free(srv.metrics);
        tile_service_free(srv.tiles);
        return gisd_fail(err, GISD_E_INTERNAL, "out of memory");
    }
    gisd_error font_err = {0};
    if (glyphs_open(cfg->font_path ? cfg->font_path : GLYPHS_FONT_DEFAULT, &srv.glyphs, &font_err) != 0)
        fprintf(stderr, "gisd: warning: %s; map labels will lack glyphs\n", font_err.message);
    pthread_mutex_init(&srv.lock, NULL);
    /* Open one handle now so a missing or foreign store fails at start, not on the first request. */
    worker *first = server_worker_acquire(&srv, err);
    if (!first) {
        metrics_free(srv.metrics);
        tile_service_free(srv.tiles);
        glyphs_close(srv.glyphs);
        pthread_mutex_destroy(&srv.lock);
        return -1;
    }
    server_worker_release(&srv, first);
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* MHD's threads inherit the mask; only sigwait sees them */
    signal(SIGPIPE, SIG_IGN);
    unsigned threads = cfg->threads ? cfg->threads : 4;
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_EPOLL, 0, NULL,
        NULL, on_request, &srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, &srv,
        MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_CONNECTION_LIMIT, 1024u,
        MHD_OPTION_END);
    if (!d) {
        pool_free(&srv);
        metrics_free(srv.metrics);
        tile_service_free(srv.tiles);
        glyphs_close(srv.glyphs);
        pthread_mutex_destroy(&srv.lock);
        return gisd_fail(err, GISD_E_IO, "cannot listen on %s: %s (is the port in use?)", cfg->listen,
                         strerror(errno));
    }
    fprintf(stderr, "gisd: serving %s on http://%s with %u threads\n", cfg->db_path, cfg->listen,
            threads);
    int sig = 0;
    sigwait(&sigs, &sig);
    fprintf(stderr, "gisd: %s: finishing requests in flight\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    MHD_quiesce_daemon(d);
    for (int i = 0; i < 100; i++) {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (!info || info->num_connections == 0)
            break;
        usleep(100000);
    }
    MHD_stop_daemon(d);
    pool_free(&srv);
    metrics_free(srv.metrics);
    tile_service_free(srv.tiles);
    glyphs_close(srv.glyphs);
    pthread_mutex_destroy(&srv.lock);
    fprintf(stderr, "gisd: stopped\n");
    return 0;
}
