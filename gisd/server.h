/* The HTTP server: libmicrohttpd's lifecycle, the routing table, the pool of
 * per-worker store handles and the limits. Handlers live in http_*.c. */
#ifndef GISD_SERVER_H
#define GISD_SERVER_H

#include <geos_c.h>
#include <microhttpd.h>
#include <stddef.h>

#include "error.h"
#include "glyphs.h"
#include "layers.h"
#include "metrics.h"
#include "rules.h"
#include "store.h"
#include "tiles.h"

#define SERVER_MAX_BODY (10u * 1024u * 1024u)

typedef struct {
    const char *db_path;
    const char *listen; /* "127.0.0.1:8080" */
    unsigned threads;
    const layer_registry *reg;
    const site_rules *rules;
    size_t tile_cache_mb;   /* the tile cache's bound; 0 turns it off */
    const char *styles_dir; /* styles/ with the viewer in styles/viewer */
    const char *vendor_dir; /* MapLibre GL JS's dist/ (node_modules/maplibre-gl/dist) */
    const char *font_path;  /* the font of the glyph ranges */
} server_config;

typedef struct gisd_server gisd_server;

/* What one worker needs: its own read-only store handle and GEOS context. */
typedef struct {
    store *st;
    GEOSContextHandle_t geos;
} worker;

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
    char base[256];        /* "http://host:port", from the Host header */
    long long *features;   /* add the features a response sends */
} http_req;

typedef enum MHD_Result (*http_handler)(http_req *r);

/* Runs until SIGINT or SIGTERM, then finishes requests in flight and returns. */
int server_run(const server_config *cfg, gisd_error *err);

/* A store handle for this request; give it back with server_worker_release.
 * NULL (with err) when the store cannot be opened. */
worker *server_worker_acquire(gisd_server *srv, gisd_error *err);
void server_worker_release(gisd_server *srv, worker *w);
metrics *server_metrics(gisd_server *srv);
const site_rules *server_rules(gisd_server *srv);
tile_service *server_tiles(gisd_server *srv);
/* NULL when the font could not be opened (the server then says so at start). */
glyphs *server_glyphs(gisd_server *srv);
const server_config *server_config_of(gisd_server *srv);

#endif
