/* The routing table (route_table.c): each route's method, path pattern,
 * handler and who may call it. The server dispatches through it; /api
 * lists it. */
#ifndef GISD_ROUTE_TABLE_H
#define GISD_ROUTE_TABLE_H

#include "server.h"

/* Who may call a route: anyone (the health check, for load balancers and
 * service managers); a reader, who needs a token under
 * --require-token-for-reads; a writer, whose handler checks the token and
 * its scope itself (auth.h). Running an analysis or a process and
 * dismissing a job are reads here: they change no data, but they spend the
 * server's time. */
typedef enum { ROUTE_OPEN, ROUTE_READ, ROUTE_WRITE } route_access;

typedef struct {
    const char *method;
    const char *pattern; /* segments; "{}" matches one segment, a last "{*}" the rest */
    http_handler handler;
    route_access access;
    /* the path /api lists it at ({collectionId}: once per layer), and what
     * it does; NULL for a route /api lists in paths of its own (one per
     * analysis, per park report) or as its {} twin */
    const char *api, *summary;
} route;

/* Every route, read top-down, ending with a NULL method. */
extern const route ROUTES[];

#endif
