/* hw-proximity: the nearest eligible licensed facility of every enterprise
 * that produces hazardous waste (危险废物就近处置). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "analysis_geom.h"
#include "analysis_net.h"
#include "xalloc.h"

enum { E_ID, E_TPY, E_CODES };
enum { F_ID, F_CODES };

int hw_codes_cover(const char *have, const char *need)
{
    if (!need || !*need)
        return 1;
    if (!have)
        return 0;
    const char *p = need;
    while (*p) {
        while (*p == ';' || *p == ' ')
            p++;
        size_t len = strcspn(p, "; ");
        if (len == 0)
            break;
        int found = 0;
        for (const char *q = have; *q && !found;) {
            while (*q == ';' || *q == ' ')
                q++;
            size_t ql = strcspn(q, "; ");
            found = ql == len && strncmp(p, q, len) == 0;
            q += ql;
        }
        if (!found)
            return 0;
        p += len;
    }
    return 1;
}

static int facility_eligible(const afeat *f, void *ud)
{
    return hw_codes_cover(f->vals[F_CODES], ud);
}

static int by_ent_id(const void *a, const void *b)
{
    return strcmp((*(afeat *const *)a)->vals[E_ID], (*(afeat *const *)b)->vals[E_ID]);
}

void hw_result_free(hw_result *r)
{
    for (size_t i = 0; r->rows && i < r->n; i++) {
        free(r->rows[i].ent_id);
        free(r->rows[i].facility_id);
    }
    free(r->rows);
    memset(r, 0, sizeof *r);
}

json_t *hw_result_json(const hw_result *r)
{
    json_t *list = json_array();
    for (size_t i = 0; i < r->n; i++) {
        const hw_row *w = &r->rows[i];
        json_t *row = json_pack("{s:s, s:f}", "ent_id", w->ent_id, "hw_tpy", w->hw_tpy);
        json_object_set_new(row, "facility_id", w->facility_id ? json_string(w->facility_id) : json_null());
        json_object_set_new(row, "distance_m", w->facility_id ? json_real(analysis_round(w->distance_m, 3)) : json_null());
        json_array_append_new(list, row);
    }
    json_t *o = json_pack("{s:b, s:o, s:o, s:I, s:I}", "capable", r->capable, "max_km", analysis_number(r->max_km),
                          "enterprises", list, "beyond_max", (json_int_t)r->beyond_max, "no_facility",
                          (json_int_t)r->no_facility);
    anet_describe(&r->net, o);
    return o;
}

int analysis_hw_proximity(store *st, const layer_registry *reg, int srid, const hw_params *p, int geojson,
                          json_t **out, gisd_error *err)
{
    hw_result r;
    json_t *map = NULL;
    *out = NULL;
    if (analysis_hw_compute(st, reg, srid, p, &r, geojson ? &map : NULL, err) != 0)
        return -1;
    *out = geojson ? map : hw_result_json(&r);
    hw_result_free(&r);
    return 0;
}

int analysis_hw_compute(store *st, const layer_registry *reg, int srid, const hw_params *p, hw_result *out,
                        json_t **map, gisd_error *err)
{
    memset(out, 0, sizeof *out);
    if (map)
        *map = NULL;
    if (!(p->max_km > 0 && p->max_km <= ANALYSIS_DISTANCE_MAX_KM))
        return gisd_fail(err, GISD_E_INPUT, "max_km must be more than 0 and at most %g",
                         ANALYSIS_DISTANCE_MAX_KM);
    GEOSContextHandle_t h = geos_context_new();
    afail fail = {err, 0};
    aset ents = {0}, facs = {0};
    static const char *const ef[] = {"ent_id", "hw_tpy", "hw_codes", NULL};
    static const char *const ff[] = {"facility_id", "hw_codes", NULL};
    if (aset_load(h, st, reg, "enterprises", srid, ef, NULL, &ents, &fail) ||
        aset_load(h, st, reg, "hw_facilities", srid, ff, NULL, &facs, &fail)) {
        aset_free(&ents);
        GEOS_finish_r(h);
        return -1;
    }
    /* with distance=network: enterprises and facilities joined to the roads
     * dangerous goods may use, each enterprise searching to its nearest */
    anet an;
    int rc = anet_open(st, reg, srid, &p->net, &an, err);
    net_spot *fspots = NULL;
    unsigned char *keep = NULL;
    net_search *srch = NULL;
    if (rc == 0 && an.net) {
        fspots = anet_snap_set(&an, NET_HAZMAT, &facs, &fail);
        rc = fspots ? 0 : -1;
        keep = xcalloc(facs.n + 1, 1);
        srch = net_search_new(an.net, NET_HAZMAT);
    }
    afeat **producers = xmalloc((ents.n ? ents.n : 1) * sizeof *producers);
    size_t n = 0;
    for (size_t i = 0; i < ents.n; i++)
        if (afeat_num(&ents.f[i], E_TPY) > 0)
            producers[n++] = &ents.f[i];
    qsort(producers, n, sizeof *producers, by_ent_id);
    map_view mv = {0};
    json_t *features = NULL;
    if (map && (rc = map_view_open(&mv, h, srid, &fail)) == 0)
        features = json_array();
    out->rows = xcalloc(n + 1, sizeof *out->rows);
    long beyond = 0, none = 0;
    for (size_t i = 0; rc == 0 && i < n && afail_live(&fail); i++) {
        afeat *e = producers[i];
        double d = 0, ex = 0, ey = 0;
        afeat *f = NULL;
        net_spot es = {.edge = -1};
        if (srch) {
            if (!afail_ok(&fail, GEOSGeomGetX_r(h, e->g, &ex) && GEOSGeomGetY_r(h, e->g, &ey), "reading a point"))
                break;
            network_snap(an.net, NET_HAZMAT, ex, ey, an.snap_max_m, &es);
            for (size_t k = 0; k < facs.n; k++)
                keep[k] = !p->capable || facility_eligible(&facs.f[k], e->vals[E_CODES]);
            long k = net_search_nearest(srch, &es, 0, fspots, facs.n, keep, INFINITY, &d);
            if (k == -2) {
                rc = gisd_fail(err, GISD_E_TIMEOUT, "the analysis was cancelled at its deadline or at shutdown");
                break;
            }
            f = k >= 0 ? &facs.f[k] : NULL;
        } else {
            f = aset_nearest(&facs, e->g, p->capable ? facility_eligible : NULL, e->vals[E_CODES], &d);
        }
        hw_row *row = &out->rows[out->n++];
        *row = (hw_row){.ent_id = xstrdup(e->vals[E_ID]), .hw_tpy = afeat_num(e, E_TPY)};
        if (f) {
            row->facility_id = xstrdup(f->vals[F_ID]);
            row->distance_m = d;
            beyond += d > p->max_km * 1000.0;
            if (features) {
                /* the link the map draws: enterprise to its facility */
                double x0, y0, x1, y1;
                GEOSGeometry *line = NULL;
                if (afail_ok(&fail, GEOSGeomGetX_r(h, e->g, &x0) && GEOSGeomGetY_r(h, e->g, &y0) &&
                                        GEOSGeomGetX_r(h, f->g, &x1) && GEOSGeomGetY_r(h, f->g, &y1),
                             "reading a point")) {
                    if (srch) {
                        /* the flow along its route */
                        size_t len;
                        double *xy = anet_route_vertices(an.net, srch, x0, y0, &fspots[f - facs.f], x1, y1, NULL, &len);
                        line = anet_geos_line(h, xy, len, &fail);
                        free(xy);
                    } else {
                        line = analysis_segment(h, x0, y0, x1, y1, &fail);
                    }
                }
                if (line)
                    map_view_add(&mv, features, line,
                                 json_pack("{s:s, s:s, s:s, s:f, s:b}", "kind", "link", "ent_id",
                                           e->vals[E_ID], "facility_id", f->vals[F_ID], "distance_m",
                                           analysis_round(d, 3), "beyond_max", d > p->max_km * 1000.0));
                if (line)
                    GEOSGeom_destroy_r(h, line);
            }
        } else {
            none++;
            if (features)
                map_view_add(&mv, features, e->g,
                             json_pack("{s:s, s:s}", "kind", "no_facility", "ent_id", e->vals[E_ID]));
        }
    }
    if (rc == 0 && fail.failed)
        rc = -1;
    out->capable = p->capable;
    out->max_km = p->max_km;
    out->net = p->net;
    out->beyond_max = beyond;
    out->no_facility = none;
    if (rc == 0 && map) {
        *map = json_pack("{s:s, s:o}", "type", "FeatureCollection", "features", features);
        features = NULL;
    }
    if (rc != 0)
        hw_result_free(out);
    json_decref(features);
    map_view_close(&mv);
    free(producers);
    net_search_free(srch);
    free(fspots);
    free(keep);
    anet_close(&an);
    aset_free(&ents);
    aset_free(&facs);
    GEOS_finish_r(h);
    return rc;
}
