/* The road network of docs/NETWORK.md: built in C from the roads layer in
 * the analysis CRS, three modes over one set of edges, compact (CSR) arrays
 * forwards and backwards, points joined to it through a grid of segments,
 * and shortest paths that stop as soon as their question is answered. A
 * network is immutable once built, so any number of threads search it, each
 * with its own net_search. It is gisd's, not the database's: the same on
 * SpatiaLite and PostgreSQL. */
#ifndef GISD_NETWORK_H
#define GISD_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "layers.h"
#include "store.h"

typedef enum { NET_WALK, NET_DRIVE, NET_HAZMAT, NET_NMODES } net_mode;

/* The mode called name ("walk", "drive", "hazmat"); -1 for another name. */
int net_mode_parse(const char *name);
const char *net_mode_name(net_mode m);

/* The default and the limits of snap_max_m (docs/NETWORK.md). */
#define NET_SNAP_DEFAULT_M 500.0
#define NET_SNAP_MIN_M 1.0
#define NET_SNAP_MAX_M 5000.0
/* Endpoints nearer than this are one junction. */
#define NET_JUNCTION_M 0.5

typedef struct {
    int from, to;     /* junctions */
    int road;         /* index into the network's roads */
    int part;         /* the part of the road, from 0 */
    double len;       /* planar metres in the analysis CRS */
    size_t c0, nc;    /* its vertices: coords[2*c0 ...] */
    unsigned char modes;  /* bit m: the edge belongs to mode m */
    unsigned char oneway; /* drive and hazmat only as drawn */
} net_edge;

typedef struct {
    int to, edge;
    double w;
} net_arc;

typedef struct {
    size_t *off; /* nnodes + 1 */
    net_arc *arcs;
} net_csr;

/* One segment in one cell of the snapping grid. */
typedef struct {
    uint64_t key;
    int edge, seg; /* the edge and the index of the segment's first vertex */
} net_cellseg;

typedef struct network {
    int srid;
    size_t nnodes, nedges, nroads;
    double *nx, *ny;      /* junction coordinates */
    net_edge *edges;
    double *coords;       /* the edges' vertices, x y pairs */
    char **road_ids;      /* by road index */
    size_t mode_edges[NET_NMODES];
    net_csr fwd[NET_NMODES], rev[NET_NMODES];
    /* the snapping grid: the segments of every edge by cell */
    double gx0, gy0, cell;
    size_t gw, gh;
    net_cellseg *grid;    /* by cell key (row * gw + column): only the cells holding segments */
    size_t ngrid;
    /* network_get's: the holders of it, and its key while it is cached */
    long refs;
    char *cache_key;
    double *cx_tmp, *cy_tmp; /* network_build's room to project a line in */
} network;

/* Where a point joins a mode's network: edge -1 when it is off the network
 * (its access leg longer than snap_max_m, or no edge of the mode at all). */
typedef struct {
    int edge;
    double t;        /* metres along the edge from its first vertex */
    double access;   /* the access leg, metres */
    double x, y;     /* the spot */
    int node;        /* the junction when the spot is at an end of its edge, else -1 */
} net_spot;

/* Builds the network of the roads layer of s in the analysis CRS srid into
 * *out (the caller's, network_free): 0; -1 with err when the layer is not
 * defined (an input error naming how to import it), a geometry cannot be
 * read, or the store fails. */
int network_build(store *s, const layer_registry *reg, int srid, network **out, gisd_error *err);
void network_free(network *n);

/* The network of s's roads in srid, shared: built once per store, scenario,
 * version of the roads layer and CRS, and rebuilt when the roads change
 * (their change counter moves, on this node or another). Release it with
 * network_release; 0, or -1 with err as network_build. */
int network_get(store *s, const layer_registry *reg, int srid, const network **out, gisd_error *err);
void network_release(const network *n);
/* Drops every cached network (at exit, so no leak is reported). */
void network_cache_clear(void);

/* Joins (x y), in the network's CRS, to mode m: the nearest point of the
 * nearest edge (ties: the smaller road id, then part). Off the network
 * (out->edge -1) when the access leg is longer than snap_max. */
void network_snap(const network *n, net_mode m, double x, double y, double snap_max, net_spot *out);

/* The vertices (x y pairs, *n of them, the caller's) of edge e from t0 to
 * t1 metres along it, reversed when t1 < t0. */
double *network_piece(const network *n, int e, double t0, double t1, size_t *npts);

/* One search at a time over one mode, forwards (from a source to targets)
 * or backwards (from a target to its sources), reusable. */
typedef struct net_search net_search;

net_search *net_search_new(const network *n, net_mode m);
void net_search_free(net_search *s);
/* Searches from src (forwards: the distances from src; backwards: to src)
 * until every junction within bound path metres is settled. Returns 0, or
 * -1 when cancelled at the deadline (cancel.h). */
int net_search_run(net_search *s, const net_spot *src, int backwards, double bound);
/* After a run: the network distance between src and dst (access legs
 * included), INFINITY when there is none within the run's bound. */
double net_search_dist(const net_search *s, const net_spot *dst);
/* From src (forwards) or to src (backwards), the nearest of the n targets
 * that keep[i] allows (NULL: all): its index, *dist its network distance
 * with the access legs; -1 when none is reachable. Stops as soon as no
 * nearer one can be found, or past bound path metres. -2 when cancelled. */
long net_search_nearest(net_search *s, const net_spot *src, int backwards, const net_spot *targets, size_t n,
                        const unsigned char *keep, double bound, double *dist);

/* The path of the last forwards run to dst: pieces of edges in travel
 * order. */
typedef struct {
    int edge;
    double t0, t1; /* along the edge; t1 < t0 when travelled backwards */
} net_leg;
/* The legs (the caller's, *n of them) from the run's source to dst, whose
 * distance must be finite; NULL with *n 0 when the two spots are one. */
net_leg *net_search_path(const net_search *s, const net_spot *dst, size_t *n);

/* The source of the last run. */
const net_spot *net_search_source(const net_search *s);

/* The junctions settled by the last run and their path metres: how far
 * the run got, for service areas. */
double net_search_node_dist(const net_search *s, int node);

#endif
