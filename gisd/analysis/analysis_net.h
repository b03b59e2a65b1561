/* What the analyses share for distance=network: the parameters, the
 * network of the store in the analysis CRS, and a set's points joined to a
 * mode. */
#ifndef GISD_ANALYSIS_NET_H
#define GISD_ANALYSIS_NET_H

#include <jansson.h>

#include "analysis.h"
#include "analysis_geom.h"
#include "network.h"

typedef struct {
    const network *net; /* NULL: euclidean */
    double snap_max_m;
} anet;

/* With p->network, the store's network in srid into *a (anet_close): 0, or
 * -1 with err (no roads layer: an input error naming how to import one).
 * Without, *a is euclidean and nothing is read. */
int anet_open(store *s, const layer_registry *reg, int srid, const net_params *p, anet *a, gisd_error *err);
void anet_close(anet *a);
/* The spots of a's points (one per feature, in order) in mode m, the
 * caller's; NULL with the failure recorded when a geometry is no point. */
net_spot *anet_snap_set(const anet *a, net_mode m, aset *set, afail *fail);
/* With distance=network, adds "distance" and "snap_max_m" to an answer. */
void anet_describe(const net_params *p, json_t *answer);

/* Appends the n vertices (x y pairs) of piece to *line (*len of them, room
 * for *cap), skipping one equal to the last. */
void anet_line_append(double **line, size_t *len, size_t *cap, const double *piece, size_t n);
/* The GEOS LineString of n vertices (n 1: a line of no length), the
 * caller's; NULL with the failure recorded. */
GEOSGeometry *anet_geos_line(GEOSContextHandle_t h, const double *xy, size_t n, afail *fail);
/* The vertices (*len x y pairs, the caller's) of the last forwards run of
 * srch from the point (ax ay) to dst and on to the point (bx by): the access
 * legs and the road pieces in travel order; each edge's road id appended
 * to road_ids (when not NULL). dst must have been reached. */
double *anet_route_vertices(const network *net, const net_search *srch, double ax, double ay, const net_spot *dst,
                            double bx, double by, json_t *road_ids, size_t *len);

#endif
