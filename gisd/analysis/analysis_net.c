/* analysis_net.h: the network as the analyses reach it. */
#include "analysis_net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

int anet_open(store *s, const layer_registry *reg, int srid, const net_params *p, anet *a, gisd_error *err)
{
    memset(a, 0, sizeof *a);
    a->snap_max_m = p->snap_max_m;
    if (!p->network)
        return 0;
    if (!(p->snap_max_m >= NET_SNAP_MIN_M && p->snap_max_m <= NET_SNAP_MAX_M))
        return gisd_fail(err, GISD_E_INPUT, "snap_max_m must be %g to %g metres", NET_SNAP_MIN_M, NET_SNAP_MAX_M);
    return network_get(s, reg, srid, &a->net, err);
}

void anet_close(anet *a)
{
    network_release(a->net);
    a->net = NULL;
}

net_spot *anet_snap_set(const anet *a, net_mode m, aset *set, afail *fail)
{
    net_spot *spots = xcalloc(set->n + 1, sizeof *spots);
    for (size_t i = 0; i < set->n; i++) {
        double x, y;
        if (!afail_ok(fail, GEOSGeomGetX_r(set->h, set->f[i].g, &x) && GEOSGeomGetY_r(set->h, set->f[i].g, &y),
                      "reading a point to join it to the roads")) {
            free(spots);
            return NULL;
        }
        network_snap(a->net, m, x, y, a->snap_max_m, &spots[i]);
    }
    return spots;
}

void anet_describe(const net_params *p, json_t *answer)
{
    /* euclidean answers stay exactly as they were before the network */
    if (!p->network)
        return;
    json_object_set_new(answer, "distance", json_string("network"));
    json_object_set_new(answer, "snap_max_m", analysis_number(p->snap_max_m));
}

/* Appends the n vertices of piece to line (skipping one equal to the last). */
void anet_line_append(double **line, size_t *len, size_t *cap, const double *piece, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (*len && (*line)[2 * (*len - 1)] == piece[2 * i] && (*line)[2 * (*len - 1) + 1] == piece[2 * i + 1])
            continue;
        if (*len == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            *line = xreallocarray(*line, *cap, 2 * sizeof **line);
        }
        (*line)[2 * *len] = piece[2 * i];
        (*line)[2 * *len + 1] = piece[2 * i + 1];
        (*len)++;
    }
}

/* The GEOS line of n projected vertices (a point when there is one), the caller's. */
GEOSGeometry *anet_geos_line(GEOSContextHandle_t h, const double *xy, size_t n, afail *fail)
{
    GEOSCoordSequence *seq = GEOSCoordSeq_create_r(h, (unsigned)(n > 1 ? n : 2), 2);
    if (!afail_ok(fail, seq != NULL, "making a route's line"))
        return NULL;
    for (size_t i = 0; i < (n > 1 ? n : 2); i++)
        GEOSCoordSeq_setXY_r(h, seq, (unsigned)i, xy[2 * (n > 1 ? i : 0)], xy[2 * (n > 1 ? i : 0) + 1]);
    GEOSGeometry *g = GEOSGeom_createLineString_r(h, seq);
    afail_ok(fail, g != NULL, "making a route's line");
    return g;
}

double *anet_route_vertices(const network *net, const net_search *srch, double ax, double ay, const net_spot *dst,
                            double bx, double by, json_t *road_ids, size_t *len)
{
    const net_spot *src = net_search_source(srch);
    size_t nlegs, cap = 0;
    *len = 0;
    double *line = NULL;
    net_leg *legs = net_search_path(srch, dst, &nlegs);
    double pa[2] = {ax, ay}, pb[2] = {bx, by}, spa[2] = {src->x, src->y}, spb[2] = {dst->x, dst->y};
    anet_line_append(&line, len, &cap, pa, 1);
    anet_line_append(&line, len, &cap, spa, 1);
    for (size_t i = 0; i < nlegs; i++) {
        size_t np;
        double *piece = network_piece(net, legs[i].edge, legs[i].t0, legs[i].t1, &np);
        anet_line_append(&line, len, &cap, piece, np);
        free(piece);
        if (road_ids)
            json_array_append_new(road_ids, json_string(net->road_ids[net->edges[legs[i].edge].road]));
    }
    anet_line_append(&line, len, &cap, spb, 1);
    anet_line_append(&line, len, &cap, pb, 1);
    free(legs);
    return line;
}
