/* The HTTP server: libmicrohttpd's lifecycle, the routing table, the pool of
 * per-worker store handles and the limits. Handlers live in http_*.c. */
#ifndef GISD_SERVER_H
#define GISD_SERVER_H

#include <geos_c.h>
#include <microhttpd.h>
#include <stddef.h>

#include "error.h"
#include "geos_ctx.h"
#include "glyphs.h"
#include "layers.h"
#include "metrics.h"
#include "rules.h"
#include "store.h"
#include "tiles.h"

#define SERVER_MAX_BODY (10u * 1024u * 1024u)
/* Past these gisd answers 414 and 431 itself (in JSON); libmicrohttpd's own
 * limit (SERVER_CONN_MEMORY, past which it answers 431 in HTML) lies beyond
 * them. It zeroes the whole of that memory after every request, so it is no
 * larger than a 60 KB header needs: at 256 KB the zeroing was a fifth of a
 * cached tile's cost. */
#define SERVER_MAX_URL 8192u
#define SERVER_MAX_HEADERS (32u * 1024u)
#define SERVER_CONN_MEMORY (64u * 1024u)

typedef struct {
    const char *db_path;
    const char *listen; /* "127.0.0.1:8080" */
    unsigned threads;
    const layer_registry *reg;
    const site_rules *rules;  /* as loaded at start; server_rules has the current ones */
    const char *rules_path;   /* the file they came from (NULL: beside the layers), read again at SIGHUP */
    size_t tile_cache_mb;   /* the tile cache's bound; 0 turns it off */
    double snapshot_max_mb; /* a layer's whole tile snapshot's bound; 0: none */
    const char *styles_dir; /* styles/ with the viewer in styles/viewer */
    const char *vendor_dir; /* MapLibre GL JS's dist/ (node_modules/maplibre-gl/dist) */
    const char *font_path;  /* the font of the glyph ranges */
    const char *basemap;          /* an XYZ raster template ({z} {x} {y}) under every style, or NULL */
    const char *basemap_overlay;  /* a second one over it (天地图's cva_w labels), or NULL */
    const char *basemap_attribution;
    const char *public_url;    /* the base of every link, when set */
    const char *allowed_hosts; /* comma-separated Host values accepted besides our addresses */
    const char *trusted_proxy; /* the one client address whose X-Forwarded-* are believed */
    unsigned analysis_threads, analysis_queue;
    double analysis_timeout_s; /* per request, queueing included */
    double filter_timeout_s;   /* how long a CQL2 filter's query may run (--filter-timeout-ms) */
    const char *tls_cert, *tls_key;  /* PEM files: HTTPS when both are set */
    int allow_insecure_writes;       /* writes over plain HTTP on a non-loopback address */
    int require_token_for_reads;
    double grace_s;            /* at SIGTERM: how long requests in flight may finish */
    unsigned max_connections, max_per_ip, idle_timeout_s;
    const char *access_log;    /* a file, "-" for stdout, NULL for none */
    double check_interval_s;   /* how often /healthz's quick_check runs */
} server_config;

typedef struct gisd_server gisd_server;
typedef struct auth_table auth_table;
typedef struct job_table job_table;

/* What one worker needs: its own read-only store handle and GEOS context. */
typedef struct {
    store *st;
    GEOSContextHandle_t geos;
} worker;

/* What one request has sent, for the metrics and the access log. */
typedef struct {
    long long features, bytes;
} request_stats;

/* One request as a handler sees it. Everything is borrowed for the call. */
typedef struct {
    struct MHD_Connection *conn;
    gisd_server *srv;
    const layer_registry *reg;
    const char *method;
    const char *url;
    const char *params[6]; /* the {...} segments of the route, in order */
    const char *body;
    size_t body_len;
    char base[512];        /* "http://host:port": --public-url, or an accepted Host */
    const char *vary;      /* the Vary the links make necessary, or NULL */
    request_stats *stats;  /* add what a response sends */
    void *state;           /* the server's own state of the request */
    char who[128];         /* the bearer token's holder once authorized, else "" */
    int admin;             /* that token has the admin scope */
    char scenario[65];     /* the plan scenario under /scenarios/{sid}/..., "" for the baseline */
} http_req;

typedef enum MHD_Result (*http_handler)(http_req *r);

/* What a deferred job answers: the status and body (xmalloc'd, taken) with
 * its media type, or an error. */
typedef struct {
    unsigned status;
    char *body;
    size_t len;
    const char *type;
    gisd_error err; /* used when body is NULL */
    char location[768]; /* a Location header to send with it, or "" */
} http_answer;

/* Fills out with doc (taken) as JSON text of the media type, status 200; an
 * error when it cannot be encoded. */
void http_answer_json(http_answer *out, json_t *doc, size_t flags, const char *type);
/* Fills out with the bytes of b (taken) of the media type, status 200. */
void http_answer_bytes(http_answer *out, strbuf *b, const char *type);

/* A deferred job: runs on the job pool with a store handle of its own, its
 * thread's deadline set (cancel.h). */
typedef void (*http_job_fn)(void *arg, worker *w, http_answer *out);

/* Runs fn(arg) on the job pool while the connection waits, then answers;
 * arg_free(arg) follows in every case. 503 with Retry-After when the queue is
 * full. */
/* Says in a's error that the work stopped at --analysis-timeout-s when that
 * is why it failed (not a dismissal or shutdown, nor already said). */
void server_explain_timeout(const gisd_server *srv, http_answer *a);
enum MHD_Result server_defer(http_req *r, http_job_fn fn, void *arg, void (*arg_free)(void *));
/* Runs run(arg) on the job pool, with no connection waiting: 0, or -1 when
 * the queue is full (run is not called). */
int server_submit(gisd_server *srv, void (*run)(void *arg), void *arg);
/* 1 when the server speaks HTTPS. */
int server_tls(gisd_server *srv);
/* 1 when it listens on a loopback address only. */
int server_loopback(gisd_server *srv);
/* The client's address as text (empty when unknown): the peer's, or the
 * last address of X-Forwarded-For when the peer is the --trusted-proxy. */
void server_client_address(http_req *r, char *out, size_t n);
/* The server's table of bad bearer tokens (auth.h), counted per key (the
 * client's address and the token's first characters, so that one client's
 * bad tokens never lock out another's good one behind the same NAT). */
auth_table *server_auth(gisd_server *srv);
/* The server's asynchronous jobs (jobs.h). */
job_table *server_job_table(gisd_server *srv);
/* The outcome of the last quick_check: 0 sound (or not checked yet), 1
 * damaged with why in msg. */
int server_store_damaged(gisd_server *srv, char *msg, size_t n);

/* The index of the route for method and url (segbuf, bufsize > strlen(url),
 * receives the segments params point into), or -1; *path_found says whether
 * the path exists for another method. */
int server_route(const char *method, const char *url, char *segbuf, size_t bufsize,
                 const char *params[6], int *path_found);

/* Runs until SIGINT or SIGTERM, then finishes requests in flight (for at most
 * the grace period, then cancels them) and returns; the process ends within
 * the grace period and 2 seconds whatever a request is doing. */
int server_run(const server_config *cfg, gisd_error *err);

/* A store handle for this request; give it back with server_worker_release.
 * NULL (with err) when the store cannot be opened. */
worker *server_worker_acquire(gisd_server *srv, gisd_error *err);
/* The same, its store reading through scenario ("" or NULL: the baseline;
 * GISD_E_NOTFOUND when there is no such scenario). */
worker *server_worker_for(gisd_server *srv, const char *scenario, gisd_error *err);
void server_worker_release(gisd_server *srv, worker *w);
metrics *server_metrics(gisd_server *srv);
const site_rules *server_rules(gisd_server *srv);
tile_service *server_tiles(gisd_server *srv);
/* The counts of recent item queries (count_cache.h). */
struct count_cache *server_counts(gisd_server *srv);
/* NULL when the font could not be opened (the server then says so at start). */
glyphs *server_glyphs(gisd_server *srv);
const server_config *server_config_of(gisd_server *srv);

#endif
