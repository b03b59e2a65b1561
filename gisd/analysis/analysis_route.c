/* route, service-area and the network check (docs/NETWORK.md): one
 * route with what it exposes, what a point reaches, and what a planner must
 * fix before trusting either. */
#include <math.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_net.h"
#include "crs.h"
#include "xalloc.h"

/* A place a route starts or ends at: its point in the analysis CRS. */
typedef struct {
    double x, y;
} place;

static const char *const PLACE_LAYERS[] = {"enterprises", "hw_facilities", "communities", "recycling_points", NULL};

/* Reads "LAYER:ID" or "lon,lat" (what names it: "from" or "to") into *pt:
 * 0; -1 with an input error, or a not-found error naming the feature. */
static int place_resolve(store *s, const layer_registry *reg, int srid, const char *what, const char *text, place *pt,
                         gisd_error *err)
{
    double lon, lat;
    char tail;
    if (sscanf(text, "%lf,%lf%c", &lon, &lat, &tail) == 2) {
        if (!(fabs(lon) <= 180 && fabs(lat) <= 90))
            return gisd_fail(err, GISD_E_INPUT, "%s \"%s\": lon,lat must be degrees, lon first", what, text);
        OGRCoordinateTransformationH ct = crs_transform_new(STORE_SRID, srid);
        if (!ct)
            return gisd_fail(err, GISD_E_INPUT, "no transformation from lon/lat to EPSG:%d", srid);
        int ok = OCTTransform(ct, 1, &lon, &lat, NULL);
        OCTDestroyCoordinateTransformation(ct);
        if (!ok)
            return gisd_fail(err, GISD_E_INPUT, "%s \"%s\" cannot be projected to EPSG:%d", what, text, srid);
        pt->x = lon;
        pt->y = lat;
        return 0;
    }
    const char *colon = strchr(text, ':');
    char layer[64];
    size_t ll = colon ? (size_t)(colon - text) : 0;
    int known = 0;
    if (colon && ll < sizeof layer) {
        memcpy(layer, text, ll);
        layer[ll] = 0;
        for (size_t k = 0; PLACE_LAYERS[k]; k++)
            known |= strcmp(PLACE_LAYERS[k], layer) == 0;
    }
    if (!known || !colon[1])
        return gisd_fail(err, GISD_E_INPUT,
                         "%s \"%.80s\" must be LAYER:ID (enterprises, hw_facilities, communities or recycling_points: "
                         "enterprises:E00017) or lon,lat",
                         what, text);
    const layer_def *l = layer_registry_find(reg, layer);
    if (!l || !l->id_field)
        return gisd_fail(err, GISD_E_INPUT, "%s: the layer %s is not defined", what, layer);
    GEOSContextHandle_t h = geos_context_new();
    afail fail = {err, 0};
    aset set = {0};
    const char *fields[] = {l->id_field, NULL};
    int rc = aset_load(h, s, reg, layer, srid, fields, NULL, &set, &fail);
    int found = 0;
    for (size_t i = 0; rc == 0 && i < set.n && !found; i++)
        if (set.f[i].vals[0] && strcmp(set.f[i].vals[0], colon + 1) == 0) {
            found = 1;
            if (!afail_ok(&fail, GEOSGeomGetX_r(h, set.f[i].g, &pt->x) && GEOSGeomGetY_r(h, set.f[i].g, &pt->y),
                          "reading the point of a route's end"))
                rc = -1;
        }
    if (rc == 0 && !found)
        rc = gisd_fail(err, GISD_E_NOTFOUND, "%s: %s has no feature %.80s", what, layer, colon + 1);
    aset_free(&set);
    GEOS_finish_r(h);
    return rc;
}

/* Projected (x y) pairs into GeoJSON positions in lon/lat. */
static json_t *positions(OGRCoordinateTransformationH back, const double *xy, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        double x = xy[2 * i], y = xy[2 * i + 1];
        if (back)
            OCTTransform(back, 1, &x, &y, NULL);
        json_array_append_new(a, json_pack("[f, f]", analysis_round(x, 8), analysis_round(y, 8)));
    }
    return a;
}

static OGRCoordinateTransformationH to_lonlat(int srid)
{
    return srid == STORE_SRID || srid == 4326 ? NULL : crs_transform_new(srid, STORE_SRID);
}

typedef struct {
    GEOSContextHandle_t h;
    const GEOSPreparedGeometry *route;
    double within;
    afail *fail;
    char **ids;
    size_t n;
    double households;
    int kinds; /* sensitive areas: only the kinds a route may not cross */
} exposure;

static void probe_community(afeat *f, void *ud)
{
    exposure *x = ud;
    if (!afail_pred(x->fail, GEOSPreparedDistanceWithin_r(x->h, x->route, f->g, x->within),
                    "measuring a community's distance to a route"))
        return;
    x->ids[x->n++] = f->vals[0];
    x->households += afeat_num(f, 1);
}

static void probe_sensitive(afeat *f, void *ud)
{
    exposure *x = ud;
    static const char *const kinds[] = {"water_source", "school", "hospital", "residential", NULL};
    int kind = 0;
    for (size_t k = 0; kinds[k] && f->vals[1]; k++)
        kind |= strcmp(kinds[k], f->vals[1]) == 0;
    if (kind && afail_pred(x->fail, GEOSPreparedIntersects_r(x->h, x->route, f->g), "testing a route across a sensitive area"))
        x->ids[x->n++] = f->vals[0];
}

static json_t *id_list(char **ids, size_t n)
{
    qsort(ids, n, sizeof *ids, analysis_id_cmp);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(ids[i] ? ids[i] : ""));
    return a;
}

/* The communities within exposure_m of the route and the sensitive areas it
 * crosses, set on answer; 0, or -1 recorded in fail. */
static int route_exposure(store *s, const layer_registry *reg, int srid, GEOSContextHandle_t h, const GEOSGeometry *line,
                          const double *xy, size_t n, double exposure_m, json_t *answer, afail *fail)
{
    aset comms = {0}, areas = {0};
    static const char *const cf[] = {"community_id", "households", NULL};
    static const char *const sf[] = {"area_id", "kind", NULL};
    /* only what lies within exposure_m of the route's box is read */
    double box[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < n; i++) {
        box[0] = fmin(box[0], xy[2 * i] - exposure_m);
        box[1] = fmin(box[1], xy[2 * i + 1] - exposure_m);
        box[2] = fmax(box[2], xy[2 * i] + exposure_m);
        box[3] = fmax(box[3], xy[2 * i + 1] + exposure_m);
    }
    if (aset_load(h, s, reg, "communities", srid, cf, box, &comms, fail) ||
        aset_load(h, s, reg, "sensitive_areas", srid, sf, box, &areas, fail)) {
        aset_free(&comms);
        return -1;
    }
    const GEOSPreparedGeometry *prep = GEOSPrepare_r(h, line);
    int rc = afail_ok(fail, prep != NULL, "preparing a route") ? 0 : -1;
    if (rc == 0) {
        exposure ce = {h, prep, exposure_m, fail, xmalloc((comms.n + 1) * sizeof(char *)), 0, 0, 0};
        aset_near(&comms, line, exposure_m, probe_community, &ce);
        exposure se = {h, prep, 0, fail, xmalloc((areas.n + 1) * sizeof(char *)), 0, 0, 1};
        aset_near(&areas, line, 0, probe_sensitive, &se);
        json_object_set_new(answer, "households_exposed", analysis_number(ce.households));
        json_object_set_new(answer, "communities_exposed", id_list(ce.ids, ce.n));
        json_object_set_new(answer, "sensitive_crossed", id_list(se.ids, se.n));
        free(ce.ids);
        free(se.ids);
        GEOSPreparedGeom_destroy_r(h, prep);
        rc = fail->failed ? -1 : 0;
    }
    aset_free(&comms);
    aset_free(&areas);
    return rc;
}

int analysis_route(store *s, const layer_registry *reg, int srid, const route_params *p, int geojson, json_t **out,
                   gisd_error *err)
{
    *out = NULL;
    int m = net_mode_parse(p->mode ? p->mode : "hazmat");
    if (m < 0)
        return gisd_fail(err, GISD_E_INPUT, "mode \"%s\" must be walk, drive or hazmat", p->mode);
    place a, b;
    if (place_resolve(s, reg, srid, "from", p->from, &a, err) || place_resolve(s, reg, srid, "to", p->to, &b, err))
        return -1;
    net_params np = {1, p->snap_max_m};
    anet an;
    if (anet_open(s, reg, srid, &np, &an, err) != 0)
        return -1;
    const network *net = an.net;
    net_spot sa, sb;
    network_snap(net, (net_mode)m, a.x, a.y, p->snap_max_m, &sa);
    network_snap(net, (net_mode)m, b.x, b.y, p->snap_max_m, &sb);
    int rc = 0;
    if (sa.edge < 0 || sb.edge < 0) {
        const char *end = sa.edge < 0 ? "from" : "to";
        const char *which = sa.edge < 0 ? p->from : p->to;
        const net_spot *off = sa.edge < 0 ? &sa : &sb;
        rc = isfinite(off->access)
                 ? gisd_fail(err, GISD_E_NOTFOUND,
                             "no %s route: the %s end (%s) is off the network: the nearest %s road is %.0f m away, "
                             "farther than snap_max_m %g",
                             net_mode_name((net_mode)m), end, which, net_mode_name((net_mode)m), off->access,
                             p->snap_max_m)
                 : gisd_fail(err, GISD_E_NOTFOUND,
                             "no %s route: the %s end (%s) is off the network: no %s road within snap_max_m %g",
                             net_mode_name((net_mode)m), end, which, net_mode_name((net_mode)m), p->snap_max_m);
        anet_close(&an);
        return rc;
    }
    net_search *srch = net_search_new(net, (net_mode)m);
    if (net_search_run(srch, &sa, 0, INFINITY) != 0)
        rc = gisd_fail(err, GISD_E_TIMEOUT, "the route was cancelled at its deadline or at shutdown");
    double d = rc == 0 ? net_search_dist(srch, &sb) : INFINITY;
    if (rc == 0 && !isfinite(d))
        rc = gisd_fail(err, GISD_E_NOTFOUND,
                       "no %s route: the to end (%s) cannot be reached from %s along the %s roads (it lies on "
                       "another component of the network, or one-way roads lead away from it)",
                       net_mode_name((net_mode)m), p->to, p->from, net_mode_name((net_mode)m));
    if (rc != 0) {
        net_search_free(srch);
        anet_close(&an);
        return -1;
    }
    size_t len;
    json_t *roads = json_array();
    double *line = anet_route_vertices(net, srch, a.x, a.y, &sb, b.x, b.y, roads, &len);
    net_search_free(srch);
    anet_close(&an);
    json_t *answer = json_pack("{s:s, s:s, s:s, s:f, s:o}", "mode", net_mode_name((net_mode)m), "from", p->from, "to",
                               p->to, "distance_m", analysis_round(d, 3), "road_ids", roads);
    GEOSContextHandle_t h = geos_context_new();
    afail fail = {err, 0};
    GEOSGeometry *g = anet_geos_line(h, line, len, &fail);
    rc = g ? route_exposure(s, reg, srid, h, g, line, len, p->exposure_m, answer, &fail) : -1;
    if (g)
        GEOSGeom_destroy_r(h, g);
    GEOS_finish_r(h);
    OGRCoordinateTransformationH back = to_lonlat(srid);
    json_t *geometry = json_pack("{s:s, s:o}", "type", "LineString", "coordinates", positions(back, line, len));
    if (back)
        OCTDestroyCoordinateTransformation(back);
    free(line);
    if (rc != 0) {
        json_decref(answer);
        json_decref(geometry);
        return -1;
    }
    if (geojson) {
        json_t *props = json_deep_copy(answer);
        json_object_set_new(props, "kind", json_string("route"));
        json_decref(answer);
        *out = json_pack("{s:s, s:[{s:s, s:o, s:o}]}", "type", "FeatureCollection", "features", "type", "Feature",
                         "geometry", geometry, "properties", props);
    } else {
        json_object_set_new(answer, "geometry", geometry);
        *out = answer;
    }
    return 0;
}

/* ---- service-area ---- */

typedef struct {
    double a, b;
} span;

static int by_start(const void *x, const void *y)
{
    double a = ((const span *)x)->a, b = ((const span *)y)->a;
    return a < b ? -1 : a > b;
}

int analysis_service_area(store *s, const layer_registry *reg, int srid, const service_area_params *p, int geojson,
                          json_t **out, gisd_error *err)
{
    *out = NULL;
    int m = net_mode_parse(p->mode ? p->mode : "walk");
    if (m < 0)
        return gisd_fail(err, GISD_E_INPUT, "mode \"%s\" must be walk, drive or hazmat", p->mode);
    place a;
    if (place_resolve(s, reg, srid, "from", p->from, &a, err))
        return -1;
    net_params np = {1, p->snap_max_m};
    anet an;
    if (anet_open(s, reg, srid, &np, &an, err) != 0)
        return -1;
    const network *net = an.net;
    net_spot sa;
    network_snap(net, (net_mode)m, a.x, a.y, p->snap_max_m, &sa);
    GEOSContextHandle_t h = geos_context_new();
    afail fail = {err, 0};
    aset comms = {0};
    static const char *const cf[] = {"community_id", "households", NULL};
    /* a road is never shorter than the straight line: only the communities
     * within max_m of the point can be reached */
    double box[4] = {a.x - p->max_m, a.y - p->max_m, a.x + p->max_m, a.y + p->max_m};
    int rc = aset_load(h, s, reg, "communities", srid, cf, box, &comms, &fail);
    net_search *srch = net_search_new(net, (net_mode)m);
    double budget = p->max_m - sa.access;
    if (rc == 0 && sa.edge >= 0 && budget >= 0 && net_search_run(srch, &sa, 0, budget) != 0)
        rc = gisd_fail(err, GISD_E_TIMEOUT, "the service area was cancelled at its deadline or at shutdown");
    int reached = rc == 0 && sa.edge >= 0 && budget >= 0;
    OGRCoordinateTransformationH back = to_lonlat(srid);
    json_t *lines = json_array();
    double metres = 0;
    for (size_t e = 0; reached && e < net->nedges; e++) {
        const net_edge *ed = &net->edges[e];
        if (!(ed->modes & (1u << m)))
            continue;
        int both = m == NET_WALK || !ed->oneway;
        span sp[4];
        int k = 0;
        double du = net_search_node_dist(srch, ed->from), dv = net_search_node_dist(srch, ed->to);
        if (du <= budget)
            sp[k++] = (span){0, fmin(ed->len, budget - du)};
        if (both && dv <= budget)
            sp[k++] = (span){fmax(0, ed->len - (budget - dv)), ed->len};
        if ((int)e == sa.edge) {
            sp[k++] = (span){sa.t, fmin(ed->len, sa.t + budget)};
            if (both)
                sp[k++] = (span){fmax(0, sa.t - budget), sa.t};
        }
        if (k == 0)
            continue;
        qsort(sp, (size_t)k, sizeof *sp, by_start);
        /* merged, so that a piece reached from both ends counts once */
        span cur = sp[0];
        for (int i = 1; i <= k; i++) {
            if (i < k && sp[i].a <= cur.b) {
                cur.b = fmax(cur.b, sp[i].b);
                continue;
            }
            if (cur.b > cur.a) {
                metres += cur.b - cur.a;
                size_t np2;
                double *piece = network_piece(net, (int)e, cur.a, cur.b, &np2);
                if (np2 >= 2)
                    json_array_append_new(lines, positions(back, piece, np2));
                free(piece);
            }
            if (i < k)
                cur = sp[i];
        }
    }
    if (back)
        OCTDestroyCoordinateTransformation(back);
    char **ids = xmalloc((comms.n + 1) * sizeof *ids);
    size_t nids = 0;
    double households = 0;
    for (size_t i = 0; reached && i < comms.n && afail_live(&fail); i++) {
        double x, y;
        if (!afail_ok(&fail, GEOSGeomGetX_r(h, comms.f[i].g, &x) && GEOSGeomGetY_r(h, comms.f[i].g, &y),
                      "reading a community's point"))
            break;
        net_spot c;
        network_snap(net, (net_mode)m, x, y, p->snap_max_m, &c);
        if (net_search_dist(srch, &c) <= p->max_m) {
            ids[nids++] = comms.f[i].vals[0];
            households += afeat_num(&comms.f[i], 1);
        }
    }
    if (rc == 0 && fail.failed)
        rc = -1;
    json_t *answer = NULL;
    if (rc == 0) {
        answer = json_pack("{s:s, s:s, s:o, s:f, s:I, s:o, s:o}", "mode", net_mode_name((net_mode)m), "from", p->from,
                           "max_m", analysis_number(p->max_m), "reached_km", analysis_round(metres / 1000.0, 6),
                           "communities", (json_int_t)nids, "households", analysis_number(households),
                           "community_ids", id_list(ids, nids));
        json_t *geometry = json_pack("{s:s, s:o}", "type", "MultiLineString", "coordinates", lines);
        lines = NULL;
        if (geojson) {
            json_t *props = answer;
            json_object_set_new(props, "kind", json_string("service_area"));
            answer = json_pack("{s:s, s:[{s:s, s:o, s:o}]}", "type", "FeatureCollection", "features", "type",
                               "Feature", "geometry", geometry, "properties", props);
        } else {
            json_object_set_new(answer, "geometry", geometry);
        }
    }
    json_decref(lines);
    free(ids);
    net_search_free(srch);
    aset_free(&comms);
    GEOS_finish_r(h);
    anet_close(&an);
    *out = answer;
    return rc;
}

/* ---- the check ---- */

static size_t find_root(size_t *parent, size_t x)
{
    while (parent[x] != x)
        x = parent[x] = parent[parent[x]];
    return x;
}

/* The connected groups of mode m's edges (one-way edges taken both ways). */
static long components(const network *net, int m)
{
    size_t *parent = xmalloc((net->nnodes + 1) * sizeof *parent);
    char *used = xcalloc(net->nnodes + 1, 1);
    for (size_t i = 0; i < net->nnodes; i++)
        parent[i] = i;
    for (size_t e = 0; e < net->nedges; e++) {
        const net_edge *ed = &net->edges[e];
        if (!(ed->modes & (1u << m)))
            continue;
        used[ed->from] = used[ed->to] = 1;
        size_t a = find_root(parent, (size_t)ed->from), b = find_root(parent, (size_t)ed->to);
        if (a != b)
            parent[a] = b;
    }
    long n = 0;
    for (size_t i = 0; i < net->nnodes; i++)
        n += used[i] && find_root(parent, i) == i;
    free(parent);
    free(used);
    return n;
}

static int by_x(const void *a, const void *b, void *ud)
{
    const network *n = ud;
    double x = n->nx[*(const size_t *)a], y = n->nx[*(const size_t *)b];
    return x < y ? -1 : x > y;
}

int analysis_network_check(store *s, const layer_registry *reg, int srid, double snap_max_m, json_t **out,
                           gisd_error *err)
{
    *out = NULL;
    net_params np = {1, snap_max_m};
    anet an;
    if (anet_open(s, reg, srid, &np, &an, err) != 0)
        return -1;
    const network *net = an.net;
    GEOSContextHandle_t h = geos_context_new();
    afail fail = {err, 0};
    static const char *const layers[] = {"communities", "enterprises", "recycling_points", "hw_facilities", NULL};
    aset sets[4] = {{0}};
    int rc = 0;
    for (int k = 0; layers[k] && rc == 0; k++)
        rc = aset_load(h, s, reg, layers[k], srid, NULL, NULL, &sets[k], &fail);
    /* degree of each junction over all edges: a dangle is an end with one */
    int *degree = xcalloc(net->nnodes + 1, sizeof *degree);
    for (size_t e = 0; e < net->nedges; e++) {
        degree[net->edges[e].from]++;
        degree[net->edges[e].to]++;
    }
    long dangles = 0;
    for (size_t i = 0; i < net->nnodes; i++)
        dangles += degree[i] == 1;
    /* junctions 0.5 to 5 m apart: probably one junction the data did not node */
    json_t *near = json_array();
    long nnear = 0;
    {
        size_t *ord = xmalloc((net->nnodes + 1) * sizeof *ord);
        for (size_t i = 0; i < net->nnodes; i++)
            ord[i] = i;
        qsort_r(ord, net->nnodes, sizeof *ord, by_x, (void *)net); /* a sweep over x */
        OGRCoordinateTransformationH back = to_lonlat(srid);
        for (size_t i = 0; i < net->nnodes; i++)
            for (size_t j = i + 1; j < net->nnodes && net->nx[ord[j]] - net->nx[ord[i]] <= 5; j++) {
                double d = hypot(net->nx[ord[j]] - net->nx[ord[i]], net->ny[ord[j]] - net->ny[ord[i]]);
                if (d > NET_JUNCTION_M && d <= 5) {
                    nnear++;
                    if (json_array_size(near) < 100) {
                        double xy[2] = {net->nx[ord[i]], net->ny[ord[i]]};
                        json_t *pos = positions(back, xy, 1);
                        json_array_append_new(near, json_pack("{s:O, s:f}", "at", json_array_get(pos, 0),
                                                              "distance_m", analysis_round(d, 3)));
                        json_decref(pos);
                    }
                }
            }
        if (back)
            OCTDestroyCoordinateTransformation(back);
        free(ord);
    }
    free(degree);
    json_t *modes = json_object();
    for (int m = 0; m < NET_NMODES && rc == 0; m++) {
        json_t *off = json_object();
        for (int k = 0; layers[k] && rc == 0; k++) {
            net_spot *sp = anet_snap_set(&an, (net_mode)m, &sets[k], &fail);
            if (!sp) {
                rc = -1;
                break;
            }
            long n = 0;
            for (size_t i = 0; i < sets[k].n; i++)
                n += sp[i].edge < 0;
            free(sp);
            json_object_set_new(off, layers[k], json_integer(n));
        }
        json_object_set_new(modes, net_mode_name((net_mode)m),
                            json_pack("{s:I, s:I, s:o}", "edges", (json_int_t)net->mode_edges[m], "components",
                                      (json_int_t)components(net, m), "off_network", off));
    }
    if (rc == 0)
        *out = json_pack("{s:o, s:I, s:I, s:I, s:o, s:I, s:I, s:o}", "snap_max_m", analysis_number(snap_max_m),
                         "roads", (json_int_t)net->nroads, "edges", (json_int_t)net->nedges, "junctions",
                         (json_int_t)net->nnodes, "modes", modes, "dangles", (json_int_t)dangles,
                         "unjoined_endpoints", (json_int_t)nnear, "unjoined", near);
    else {
        json_decref(modes);
        json_decref(near);
    }
    for (int k = 0; k < 4; k++)
        aset_free(&sets[k]);
    GEOS_finish_r(h);
    anet_close(&an);
    return rc;
}
