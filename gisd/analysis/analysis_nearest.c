/* nearest: the n features of a point layer nearest to a place, in a
 * straight line or walking along the roads, for the public map's "nearest
 * recycling point" (GET /nearest). */
#include <math.h>
#include <ogr_srs_api.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_net.h"
#include "crs.h"
#include "xalloc.h"

const param_def NEAREST_PARAMS[] = {
    {"layer", PARAM_TEXT, NULL, 0, 0, NULL, "recycling_points", 0, "a point layer"},
    {"lon", PARAM_NUMBER, "°", -180, 180, NULL, NULL, 1, "the place's longitude (CGCS2000/WGS 84)"},
    {"lat", PARAM_NUMBER, "°", -90, 90, NULL, NULL, 1, "the place's latitude"},
    {"n", PARAM_INT, NULL, 1, 50, NULL, "5", 0, "how many"},
    {"level", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 0, "only features of this level (recycling points: community, transit, sorting)"},
    {"category", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 0, "only features taking this category (one of their ;-separated categories: 废玻璃)"},
    {"distance", PARAM_CHOICE, NULL, 0, 0, "euclidean|network", "euclidean", 0,
     "a straight line, or walking along the roads (docs/NETWORK.md)"},
    {"snap_max_m", PARAM_NUMBER, "m", 1, 5000, NULL, "500", 0, "with distance=network: a point farther than this from the roads is off the network"},
    {"analysis_crs", PARAM_CRS, NULL, 0, 0, NULL, NULL, 0, "the projected CRS in metres measured in (EPSG:n); default: the store's"},
    {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

/* A candidate: its feature, straight-line and (network) walking distance. */
typedef struct {
    afeat *f;
    const char *id;
    double x, y; /* in the analysis CRS */
    double euclid, dist;
    size_t spot; /* its index among the snapped candidates */
} cand;

static int by_dist(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->dist != y->dist)
        return x->dist < y->dist ? -1 : 1;
    return strcmp(x->id ? x->id : "", y->id ? y->id : "");
}

static json_t *lonlat_positions(OGRCoordinateTransformationH back, const double *xy, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        double x = xy[2 * i], y = xy[2 * i + 1];
        if (back)
            OCTTransform(back, 1, &x, &y, NULL);
        json_array_append_new(a, json_pack("[f, f]", analysis_round(x, 7), analysis_round(y, 7)));
    }
    return a;
}

/* The walking distances of every candidate within a bound that grows until
 * n of them are settled (a candidate beyond the bound is farther than every
 * one within it), or the whole network has been searched. */
static int walk_distances(net_search *srch, const net_spot *src, cand *c, size_t nc,
                          const net_spot *spots, size_t n, gisd_error *err)
{
    double bound = 2000;
    for (;;) {
        if (net_search_run(srch, src, 0, bound) != 0)
            return gisd_fail(err, GISD_E_TIMEOUT, "the search was cancelled at its deadline or at shutdown");
        size_t settled = 0;
        for (size_t i = 0; i < nc; i++) {
            c[i].dist = spots[c[i].spot].edge < 0 ? INFINITY : net_search_dist(srch, &spots[c[i].spot]);
            settled += c[i].dist <= bound;
        }
        /* 1e7 m: farther than any city's roads, so the whole network was searched */
        if (settled >= n || bound >= 1e7)
            break;
        bound *= 4;
    }
    return 0;
}

int analysis_nearest(store *s, const layer_registry *reg, int srid, const nearest_params *p, json_t **out,
                     gisd_error *err)
{
    *out = NULL;
    const layer_def *l = layer_registry_find(reg, p->layer);
    if (!l)
        return gisd_fail(err, GISD_E_INPUT, "layer \"%.80s\" is not defined; see /collections", p->layer);
    if (l->geometry != GEOM_POINT)
        return gisd_fail(err, GISD_E_INPUT, "layer %s is no point layer: nearest finds points", l->id);
    if (p->level && layer_field_index(l, "level") < 0)
        return gisd_fail(err, GISD_E_INPUT, "layer %s has no level to filter by", l->id);
    if (p->category && layer_field_index(l, "categories") < 0)
        return gisd_fail(err, GISD_E_INPUT, "layer %s has no categories to filter by", l->id);
    double x = p->lon, y = p->lat;
    OGRCoordinateTransformationH ct = crs_transform_new(STORE_SRID, srid);
    int ok = ct && OCTTransform(ct, 1, &x, &y, NULL);
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    if (!ok)
        return gisd_fail(err, GISD_E_INPUT, "%g,%g cannot be projected to EPSG:%d", p->lon, p->lat, srid);
    const char *fields[64];
    size_t nf = 0;
    for (size_t i = 0; i < l->nfields && nf < 63; i++)
        fields[nf++] = l->fields[i].name;
    fields[nf] = NULL;
    int id_k = l->id_field ? layer_field_index(l, l->id_field) : -1;
    int level_k = layer_field_index(l, "level"), cat_k = layer_field_index(l, "categories");
    net_params np = {p->network, p->snap_max_m};
    anet an;
    if (anet_open(s, reg, srid, &np, &an, err) != 0)
        return -1;
    GEOSContextHandle_t h = geos_context_new();
    afail fail = {err, 0};
    aset set = {0};
    int rc = aset_load(h, s, reg, l->id, srid, fields, NULL, &set, &fail);
    cand *c = xcalloc(set.n + 1, sizeof *c);
    size_t nc = 0;
    for (size_t i = 0; rc == 0 && i < set.n; i++) {
        afeat *f = &set.f[i];
        if (p->level && !(f->vals[level_k] && strcmp(f->vals[level_k], p->level) == 0))
            continue;
        if (p->category && !param_list_has(f->vals[cat_k], ';', p->category))
            continue;
        double fx, fy;
        if (!afail_ok(&fail, GEOSGeomGetX_r(h, f->g, &fx) && GEOSGeomGetY_r(h, f->g, &fy), "reading a point")) {
            rc = -1;
            break;
        }
        c[nc] = (cand){f, id_k >= 0 ? f->vals[id_k] : NULL, fx, fy, hypot(fx - x, fy - y), 0, nc};
        c[nc].dist = c[nc].euclid;
        nc++;
    }
    net_spot src = {0}, *spots = NULL;
    net_search *srch = NULL;
    if (rc == 0 && an.net) {
        network_snap(an.net, NET_WALK, x, y, p->snap_max_m, &src);
        if (src.edge < 0) {
            rc = gisd_fail(err, GISD_E_NOTFOUND,
                           "%g,%g is off the walking network: no road one may walk within snap_max_m %g", p->lon,
                           p->lat, p->snap_max_m);
        } else {
            spots = xcalloc(nc + 1, sizeof *spots);
            for (size_t i = 0; i < nc; i++)
                network_snap(an.net, NET_WALK, c[i].x, c[i].y, p->snap_max_m, &spots[i]);
            srch = net_search_new(an.net, NET_WALK);
            rc = walk_distances(srch, &src, c, nc, spots, (size_t)p->n, err);
        }
    }
    if (rc == 0)
        qsort(c, nc, sizeof *c, by_dist);
    OGRCoordinateTransformationH back = srid == STORE_SRID ? NULL : crs_transform_new(srid, STORE_SRID);
    json_t *features = json_array();
    for (size_t i = 0; rc == 0 && i < nc && i < (size_t)p->n && isfinite(c[i].dist); i++) {
        afeat *f = c[i].f;
        json_t *props = json_object();
        for (size_t k = 0; k < nf; k++) {
            const char *v = f->vals[k];
            const field_def *fd = &l->fields[k];
            if (!v)
                json_object_set_new(props, fd->name, json_null());
            else if (fd->type == FIELD_INTEGER)
                json_object_set_new(props, fd->name, json_integer(strtoll(v, NULL, 10)));
            else if (fd->type == FIELD_REAL)
                json_object_set_new(props, fd->name, json_real(strtod(v, NULL)));
            else
                json_object_set_new(props, fd->name, json_string(v));
        }
        json_object_set_new(props, "distance_m", json_real(analysis_round(c[i].dist, 1)));
        json_object_set_new(props, "straight_m", json_real(analysis_round(c[i].euclid, 1)));
        json_object_set_new(props, "rank", json_integer((json_int_t)i + 1));
        double fx = c[i].x, fy = c[i].y, pt[2] = {fx, fy};
        json_t *coords = lonlat_positions(back, pt, 1);
        json_t *feature = json_pack("{s:s, s:s?, s:{s:s, s:O}, s:o}", "type", "Feature", "id", c[i].id, "geometry",
                                    "type", "Point", "coordinates", json_array_get(coords, 0), "properties", props);
        json_decref(coords);
        if (srch) {
            size_t len;
            double *line = anet_route_vertices(an.net, srch, x, y, &spots[c[i].spot], fx, fy, NULL, &len);
            json_object_set_new(props, "route",
                                json_pack("{s:s, s:o}", "type", "LineString", "coordinates",
                                          lonlat_positions(back, line, len)));
            free(line);
        }
        json_array_append_new(features, feature);
    }
    if (back)
        OCTDestroyCoordinateTransformation(back);
    if (rc == 0 && fail.failed)
        rc = -1;
    if (rc == 0)
        *out = json_pack("{s:s, s:o, s:s, s:s, s:[f, f], s:I}", "type", "FeatureCollection", "features", features,
                         "layer", l->id, "distance", an.net ? "network" : "euclidean", "from", p->lon, p->lat,
                         "numberReturned", (json_int_t)json_array_size(features));
    else
        json_decref(features);
    net_search_free(srch);
    free(spots);
    free(c);
    aset_free(&set);
    GEOS_finish_r(h);
    anet_close(&an);
    return rc;
}
