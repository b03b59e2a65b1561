/* site-check: does a proposed project site comply (选址合规审查)? The rules
 * and their thresholds come from the rules file. */
#include <cpl_conv.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "analysis_geom.h"
#include "crs.h"
#include "xalloc.h"

enum { PK_ID };
enum { Z_ID, Z_USE };
enum { S_ID, S_KIND };
enum { D_NAME };

static int in_list(const char (*list)[32], size_t n, const char *v)
{
    for (size_t i = 0; v && i < n; i++)
        if (strcmp(list[i], v) == 0)
            return 1;
    return 0;
}

/* The positions ([x, y] arrays) under a GeoJSON coordinates member. */
static size_t count_positions(json_t *coords, int depth)
{
    if (!json_is_array(coords) || depth > 8)
        return 0;
    if (json_is_number(json_array_get(coords, 0)))
        return 1;
    size_t n = 0, i;
    json_t *v;
    json_array_foreach(coords, i, v)
        n += count_positions(v, depth + 1);
    return n;
}

GEOSGeometry *analysis_site_geometry(GEOSContextHandle_t h, json_t *geometry, int srid, gisd_error *err)
{
    if (count_positions(json_object_get(geometry, "coordinates"), 0) > ANALYSIS_SITE_MAX_VERTICES) {
        gisd_fail(err, GISD_E_INPUT, "the site has more than %d vertices; simplify it first",
                  ANALYSIS_SITE_MAX_VERTICES);
        return NULL;
    }
    const char *type = json_string_value(json_object_get(geometry, "type"));
    if (!type || (strcmp(type, "Point") && strcmp(type, "Polygon") && strcmp(type, "MultiPolygon"))) {
        gisd_fail(err, GISD_E_INPUT, "the site's geometry must be a Point, Polygon or MultiPolygon");
        return NULL;
    }
    char *text = json_dumps(geometry, JSON_COMPACT);
    CPLPushErrorHandler(CPLQuietErrorHandler);
    OGRGeometryH g = text ? OGR_G_CreateGeometryFromJson(text) : NULL;
    CPLPopErrorHandler();
    free(text);
    if (!g) {
        gisd_fail(err, GISD_E_INPUT, "the site's geometry is not valid GeoJSON (coordinates must be "
                                     "[lon, lat] numbers; polygon rings closed)");
        return NULL;
    }
    OGREnvelope env;
    OGR_G_GetEnvelope(g, &env);
    int bad = OGR_G_IsEmpty(g) || env.MinX < -180 || env.MaxX > 180 || env.MinY < -90 || env.MaxY > 90;
    CPLPushErrorHandler(CPLQuietErrorHandler);
    bad = bad || !OGR_G_IsValid(g);
    CPLPopErrorHandler();
    if (bad) {
        OGR_G_DestroyGeometry(g);
        gisd_fail(err, GISD_E_INPUT,
                  "the site's geometry is empty, self-intersecting or outside lon -180..180, lat -90..90");
        return NULL;
    }
    OGRCoordinateTransformationH ct = crs_transform_new(STORE_SRID, srid);
    int ok = ct && OGR_G_Transform(g, ct) == OGRERR_NONE;
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    GEOSGeometry *out = NULL;
    if (ok) {
        size_t n = (size_t)OGR_G_WkbSize(g);
        unsigned char *wkb = xmalloc(n);
        GEOSWKBReader *rd = GEOSWKBReader_create_r(h);
        if (rd && OGR_G_ExportToIsoWkb(g, wkbNDR, wkb) == OGRERR_NONE)
            out = GEOSWKBReader_read_r(h, rd, wkb, n);
        if (rd)
            GEOSWKBReader_destroy_r(h, rd);
        free(wkb);
    }
    OGR_G_DestroyGeometry(g);
    if (!out)
        gisd_fail(err, GISD_E_INPUT, "the site cannot be brought into EPSG:%d", srid);
    return out;
}

typedef struct {
    GEOSContextHandle_t h;
    aset *set;
    const GEOSGeometry *site;
    int point;
    afeat **hits;
    size_t n;
    const site_rules *rules; /* for protected kinds */
} collect;

static void add_hit(collect *c, afeat *f)
{
    c->hits = xreallocarray(c->hits, c->n + 1, sizeof *c->hits);
    c->hits[c->n++] = f;
}

/* A prepared predicate of f against the site; a check that cannot be made
 * fails the analysis (fail closed), it never counts as false or true. */
typedef char (*prepared_pred)(GEOSContextHandle_t, const GEOSPreparedGeometry *, const GEOSGeometry *);

static int site_pred(collect *c, afeat *f, prepared_pred pred, const char *what)
{
    const GEOSPreparedGeometry *p = afeat_prepared(c->set, f);
    return p && afail_pred(c->set->fail, pred(c->h, p, c->site), what);
}

static void covering_park(afeat *f, void *ud)
{
    collect *c = ud;
    if (site_pred(c, f, GEOSPreparedCovers_r, "testing whether a park covers the site"))
        add_hit(c, f);
}

static void overlapping_zone(afeat *f, void *ud)
{
    collect *c = ud;
    if (c->point) {
        if (site_pred(c, f, GEOSPreparedCovers_r, "testing whether a zone covers the site"))
            add_hit(c, f);
        return;
    }
    if (!site_pred(c, f, GEOSPreparedIntersects_r, "testing whether a zone meets the site"))
        return;
    GEOSGeometry *i = GEOSIntersection_r(c->h, f->g, c->site);
    double a = 0;
    if (afail_ok(c->set->fail, i != NULL, "intersecting a zone with the site") &&
        afail_ok(c->set->fail, GEOSArea_r(c->h, i, &a), "measuring a zone's overlap") && a > 0)
        add_hit(c, f);
    if (i)
        GEOSGeom_destroy_r(c->h, i);
}

static void protected_overlap(afeat *f, void *ud)
{
    collect *c = ud;
    if (in_list(c->rules->protected_kinds, c->rules->nprotected, f->vals[S_KIND]) &&
        site_pred(c, f, GEOSPreparedIntersects_r, "testing whether a protected area meets the site"))
        add_hit(c, f);
}

static void any_district(afeat *f, void *ud)
{
    collect *c = ud;
    if (c->n == 0 && site_pred(c, f, GEOSPreparedIntersects_r, "testing whether a district meets the site"))
        add_hit(c, f);
}

static int by_first_val(const void *a, const void *b)
{
    const char *x = (*(afeat *const *)a)->vals[0], *y = (*(afeat *const *)b)->vals[0];
    return strcmp(x ? x : "", y ? y : "");
}

static int setback_kind(const afeat *f, void *ud)
{
    const site_rules *r = ud;
    return in_list(r->setback_kinds, r->nsetback, f->vals[S_KIND]);
}

/* A zone of residential land use: GB 50137's R classes, or one the rules name. */
static int residential_zone(const afeat *f, void *ud)
{
    const site_rules *r = ud;
    const char *use = f->vals[Z_USE];
    return use && (use[0] == 'R' || in_list(r->residential_uses, r->nresidential, use));
}

typedef struct {
    aset parks, zones, areas, pipes, districts;
} site_layers;

static void site_layers_free(site_layers *l)
{
    aset_free(&l->parks);
    aset_free(&l->zones);
    aset_free(&l->areas);
    aset_free(&l->pipes);
    aset_free(&l->districts);
}

/* A site only needs what lies near it; this margin holds every zone, park and
 * district it can touch and, most often, the nearest pipe and sensitive area. */
#define NEAR_MARGIN_M 3000.0

static const char *const SENSITIVE_FIELDS[] = {"area_id", "kind", NULL}; /* S_ID, S_KIND */

static int site_layers_load(GEOSContextHandle_t h, store *st, const layer_registry *reg, int srid,
                            const GEOSGeometry *site, site_layers *l, afail *fail)
{
    static const char *const pf[] = {"park_id", NULL};
    static const char *const zf[] = {"zone_id", "land_use", NULL};
    static const char *const df[] = {"name", NULL};
    memset(l, 0, sizeof *l);
    double b[4];
    if (!afail_ok(fail, GEOSGeom_getXMin_r(h, site, &b[0]) && GEOSGeom_getYMin_r(h, site, &b[1]) &&
                            GEOSGeom_getXMax_r(h, site, &b[2]) && GEOSGeom_getYMax_r(h, site, &b[3]),
                  "taking the site's envelope"))
        return -1;
    b[0] -= NEAR_MARGIN_M;
    b[1] -= NEAR_MARGIN_M;
    b[2] += NEAR_MARGIN_M;
    b[3] += NEAR_MARGIN_M;
    if (aset_load(h, st, reg, "parks", srid, pf, b, &l->parks, fail) ||
        aset_load(h, st, reg, "zones", srid, zf, b, &l->zones, fail) ||
        aset_load(h, st, reg, "sensitive_areas", srid, SENSITIVE_FIELDS, b, &l->areas, fail) ||
        aset_load(h, st, reg, "heat_network", srid, NULL, b, &l->pipes, fail) ||
        aset_load(h, st, reg, "districts", srid, df, b, &l->districts, fail)) {
        site_layers_free(l);
        return -1;
    }
    return 0;
}

/* The nearest feature passing keep. One nearer than the margin is the
 * nearest of the whole layer (anything nearer meets the loaded bbox); past
 * the margin the whole layer is loaded to be sure. */
static int nearest_in_layer(GEOSContextHandle_t h, store *st, const layer_registry *reg,
                            const char *layer, int srid, const char *const *fields, aset *a,
                            const GEOSGeometry *g, aset_filter keep, void *ud, afeat **out,
                            double *dist, afail *fail)
{
    *out = aset_nearest(a, g, keep, ud, dist);
    if (fail->failed)
        return -1;
    if (*out && *dist <= NEAR_MARGIN_M)
        return 0;
    *out = NULL; /* it points into the set freed here */
    aset_free(a);
    if (aset_load(h, st, reg, layer, srid, fields, NULL, a, fail) != 0)
        return -1;
    *out = aset_nearest(a, g, keep, ud, dist);
    return fail->failed ? -1 : 0;
}

static json_t *rule(const char *name, int pass)
{
    return json_pack("{s:s, s:b}", "rule", name, "pass", pass);
}

int analysis_site_check(store *st, const layer_registry *reg, int srid, const site_rules *rules,
                        json_t *site, int geojson, json_t **out, gisd_error *err)
{
    *out = NULL;
    const char *type = json_string_value(json_object_get(site, "type"));
    json_t *props = json_object_get(site, "properties");
    if (!json_is_object(site) || !type || strcmp(type, "Feature") != 0 || !json_is_object(props))
        return gisd_fail(err, GISD_E_INPUT, "the site must be a GeoJSON Feature with properties");
    const char *cls_name = json_string_value(json_object_get(props, "project_class"));
    const rules_class *cls = rules_find_class(rules, cls_name);
    if (!cls) {
        char known[RULES_MAX * 34] = "";
        size_t at = 0;
        for (size_t i = 0; i < rules->nclasses && at < sizeof known; i++)
            at += (size_t)snprintf(known + at, sizeof known - at, "%s%s", i ? ", " : "", rules->classes[i].name);
        return gisd_fail(err, GISD_E_INPUT,
                         "properties.project_class \"%s\" is not a class of the rules file; the classes are %s "
                         "(a site without it takes project_class / --project-class)", cls_name ? cls_name : "", known);
    }
    json_t *tph_j = json_object_get(props, "coal_boiler_tph");
    if (tph_j && !json_is_null(tph_j) && (!json_is_number(tph_j) || json_number_value(tph_j) < 0))
        return gisd_fail(err, GISD_E_INPUT, "properties.coal_boiler_tph must be a number, 0 or more");
    double tph = json_is_number(tph_j) ? json_number_value(tph_j) : 0;
    /* an industry with a health-protection table: its distance by scale and wind */
    const char *industry = json_string_value(json_object_get(props, "industry"));
    const rules_setback_table *table = NULL;
    double scale = 0, wind = rules->default_wind_mps, table_m = 0;
    int has_table_m = 0;
    if (industry) {
        table = rules_find_table(rules, industry);
        if (!table) {
            char known[512] = "";
            size_t at = 0;
            for (size_t i = 0; i < rules->ntables && at < sizeof known; i++)
                at += (size_t)snprintf(known + at, sizeof known - at, "%s%s (%s)", i ? ", " : "",
                                       rules->tables[i].industry, rules->tables[i].title);
            return gisd_fail(err, GISD_E_INPUT, "properties.industry \"%s\" has no setback table in the rules file; "
                             "the industries are %s", industry, rules->ntables ? known : "none");
        }
        json_t *sc = json_object_get(props, "scale"), *w = json_object_get(props, "wind_mps");
        if (!json_is_number(sc) || json_number_value(sc) < 0)
            return gisd_fail(err, GISD_E_INPUT, "properties.scale must give the %s project's scale in %s", industry,
                             table->scale_unit);
        if (w && !json_is_null(w) && (!json_is_number(w) || json_number_value(w) < 0))
            return gisd_fail(err, GISD_E_INPUT, "properties.wind_mps must be the mean wind speed in m/s");
        scale = json_number_value(sc);
        if (json_is_number(w))
            wind = json_number_value(w);
        has_table_m = rules_table_distance(rules, table, scale, wind, &table_m);
    }
    double required = has_table_m && table_m > cls->setback_m ? table_m : cls->setback_m;
    GEOSContextHandle_t h = geos_context_new();
    afail fail = {err, 0};
    GEOSGeometry *g = analysis_site_geometry(h, json_object_get(site, "geometry"), srid, err);
    site_layers L;
    if (!g || site_layers_load(h, st, reg, srid, g, &L, &fail) != 0) {
        if (g)
            GEOSGeom_destroy_r(h, g);
        GEOS_finish_r(h);
        return -1;
    }
    int point = GEOSGeomTypeId_r(h, g) == GEOS_POINT;
    collect dist = {h, &L.districts, g, point, NULL, 0, rules};
    aset_near(&L.districts, g, 0, any_district, &dist);
    int rc = fail.failed ? -1 : 0;
    if (rc == 0 && dist.n == 0)
        rc = gisd_fail(err, GISD_E_INPUT, "the site lies outside every district of the dataset");
    free(dist.hits);
    json_t *rl = json_array(), *features = geojson ? json_array() : NULL;
    map_view mv = {0};
    if (rc == 0 && geojson)
        rc = map_view_open(&mv, h, srid, &fail);
    int all = 1;
    if (rc == 0) {
        if (features)
            map_view_add(&mv, features, g, json_pack("{s:s, s:s}", "kind", "site", "project_class", cls->name));
        /* inside_park */
        collect pk = {h, &L.parks, g, point, NULL, 0, rules};
        aset_near(&L.parks, g, 0, covering_park, &pk);
        if (pk.n > 1)
            qsort(pk.hits, pk.n, sizeof *pk.hits, by_first_val);
        json_t *r = rule("inside_park", pk.n > 0);
        json_object_set_new(r, "park_id", pk.n ? json_string(pk.hits[0]->vals[PK_ID]) : json_null());
        json_array_append_new(rl, r);
        all &= pk.n > 0;
        free(pk.hits);
        /* land_use */
        collect zn = {h, &L.zones, g, point, NULL, 0, rules};
        aset_near(&L.zones, g, 0, overlapping_zone, &zn);
        if (zn.n > 1)
            qsort(zn.hits, zn.n, sizeof *zn.hits, by_first_val);
        int ok = zn.n > 0;
        json_t *zl = json_array();
        for (size_t i = 0; i < zn.n; i++) {
            const char *use = zn.hits[i]->vals[Z_USE];
            int allowed = 0;
            for (size_t k = 0; use && k < cls->nallowed; k++)
                allowed |= strcmp(cls->allowed[k], use) == 0;
            ok &= allowed;
            json_array_append_new(zl, json_pack("{s:s?, s:s?}", "zone_id", zn.hits[i]->vals[Z_ID],
                                                "land_use", use));
            if (features && !allowed)
                map_view_add(&mv, features, zn.hits[i]->g,
                             json_pack("{s:s, s:s?, s:s?}", "kind", "zone_not_allowed", "zone_id",
                                       zn.hits[i]->vals[Z_ID], "land_use", use));
        }
        r = rule("land_use", ok);
        json_object_set_new(r, "zones", zl);
        json_array_append_new(rl, r);
        all &= ok;
        free(zn.hits);
        /* setback */
        double d = 0;
        afeat *near = NULL;
        rc = nearest_in_layer(h, st, reg, "sensitive_areas", srid, SENSITIVE_FIELDS, &L.areas, g, setback_kind,
                              (void *)rules, &near, &d, &fail);
        /* homes planned on residential land count as homes, drawn as a
         * sensitive area or not */
        static const char *const ZONE_FIELDS[] = {"zone_id", "land_use", NULL}; /* Z_ID, Z_USE */
        double dz = 0;
        afeat *home = NULL;
        if (rc == 0)
            rc = nearest_in_layer(h, st, reg, "zones", srid, ZONE_FIELDS, &L.zones, g, residential_zone,
                                  (void *)rules, &home, &dz, &fail);
        int area_ok = !near || d >= required, zone_ok = !home || dz >= required;
        ok = area_ok && zone_ok;
        r = rule("setback", ok);
        json_object_set_new(r, "required_m", analysis_number(required));
        if (table)
            json_object_set_new(r, "industry",
                                json_pack("{s:s, s:s, s:f, s:s, s:f, s:o, s:f}", "id", table->industry, "title",
                                          table->title, "scale", scale, "scale_unit", table->scale_unit, "wind_mps",
                                          wind, "table_m", has_table_m ? analysis_number(table_m) : json_null(),
                                          "class_m", cls->setback_m));
        json_object_set_new(r, "nearest",
                            near ? json_pack("{s:s?, s:s?, s:f}", "area_id", near->vals[S_ID], "kind",
                                             near->vals[S_KIND], "distance_m", analysis_round(d, 3))
                                 : json_null());
        json_object_set_new(r, "nearest_residential_zone",
                            home ? json_pack("{s:s?, s:s?, s:f}", "zone_id", home->vals[Z_ID], "land_use",
                                             home->vals[Z_USE], "distance_m", analysis_round(dz, 3))
                                 : json_null());
        json_array_append_new(rl, r);
        if (features && !area_ok)
            map_view_add(&mv, features, near->g,
                         json_pack("{s:s, s:s?, s:f}", "kind", "setback_too_close", "area_id",
                                   near->vals[S_ID], "distance_m", analysis_round(d, 3)));
        if (features && !zone_ok)
            map_view_add(&mv, features, home->g,
                         json_pack("{s:s, s:s?, s:s?, s:f}", "kind", "setback_too_close", "zone_id", home->vals[Z_ID],
                                   "land_use", home->vals[Z_USE], "distance_m", analysis_round(dz, 3)));
        all &= ok;
        /* protected_areas */
        collect pa = {h, &L.areas, g, point, NULL, 0, rules};
        aset_near(&L.areas, g, 0, protected_overlap, &pa);
        if (pa.n > 1)
            qsort(pa.hits, pa.n, sizeof *pa.hits, by_first_val);
        json_t *ol = json_array();
        for (size_t i = 0; i < pa.n; i++) {
            json_array_append_new(ol, json_string(pa.hits[i]->vals[S_ID]));
            if (features)
                map_view_add(&mv, features, pa.hits[i]->g,
                             json_pack("{s:s, s:s?, s:s?}", "kind", "protected_overlap", "area_id",
                                       pa.hits[i]->vals[S_ID], "area_kind", pa.hits[i]->vals[S_KIND]));
        }
        r = rule("protected_areas", pa.n == 0);
        json_object_set_new(r, "overlaps", ol);
        json_array_append_new(rl, r);
        all &= pa.n == 0;
        free(pa.hits);
        /* central_heating */
        afeat *pipe = NULL;
        if (rc == 0)
            rc = nearest_in_layer(h, st, reg, "heat_network", srid, NULL, &L.pipes, g, NULL, NULL,
                                  &pipe, &d, &fail);
        ok = tph <= 0 || !pipe || d > rules->heating_radius_m;
        r = rule("central_heating", ok);
        json_object_set_new(r, "nearest_pipe_m", pipe ? json_real(analysis_round(d, 3)) : json_null());
        json_array_append_new(rl, r);
        if (features && !ok)
            map_view_add(&mv, features, pipe->g,
                         json_pack("{s:s, s:f}", "kind", "pipe_within_heating_radius", "distance_m",
                                   analysis_round(d, 3)));
        all &= ok;
    }
    if (rc == 0 && fail.failed)
        rc = -1;
    if (rc == 0 && features) {
        json_decref(rl);
        *out = json_pack("{s:s, s:b, s:o}", "type", "FeatureCollection", "compliant", all,
                         "features", features);
    } else if (rc == 0) {
        *out = json_pack("{s:b, s:o}", "compliant", all, "rules", rl);
    } else {
        json_decref(rl);
        json_decref(features);
    }
    map_view_close(&mv);
    GEOSGeom_destroy_r(h, g);
    site_layers_free(&L);
    GEOS_finish_r(h);
    return rc;
}

/* A site's name in a batch: its id, else properties.id or name, else its place. */
char *analysis_site_id(json_t *f, size_t i)
{
    json_t *id = json_object_get(f, "id");
    json_t *props = json_object_get(f, "properties");
    char buf[64];
    if (json_is_integer(id)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(id));
        return xstrdup(buf);
    }
    const char *t = json_string_value(id);
    if (!t)
        t = json_string_value(json_object_get(props, "id"));
    if (!t)
        t = json_string_value(json_object_get(props, "name"));
    if (t)
        return xstrdup(t);
    snprintf(buf, sizeof buf, "site %zu", i + 1);
    return xstrdup(buf);
}

typedef struct {
    char *id;
    json_t *answer;
} site_answer;

static int by_id(const void *a, const void *b)
{
    return strcmp(((const site_answer *)a)->id, ((const site_answer *)b)->id);
}

int analysis_site_check_batch(store *st, const layer_registry *reg, int srid, const site_rules *rules, json_t *batch,
                              int geojson, json_t **out, gisd_error *err)
{
    *out = NULL;
    json_t *list = json_object_get(batch, "features");
    size_t n = json_array_size(list), i;
    site_answer *a = xcalloc(n ? n : 1, sizeof *a);
    int rc = 0;
    json_t *f;
    json_array_foreach(list, i, f) {
        a[i].id = analysis_site_id(f, i);
        if (analysis_site_check(st, reg, srid, rules, f, geojson, &a[i].answer, err) != 0) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%s", err->message);
            rc = gisd_fail(err, err->code, "site %s: %s", a[i].id, msg);
            break;
        }
    }
    if (rc == 0) {
        qsort(a, n, sizeof *a, by_id);
        long compliant = 0;
        json_t *sites = json_array();
        for (i = 0; i < n; i++) {
            int ok = json_is_true(json_object_get(a[i].answer, "compliant"));
            compliant += ok;
            if (geojson) {
                size_t k;
                json_t *g;
                json_array_foreach(json_object_get(a[i].answer, "features"), k, g) {
                    json_object_set_new(json_object_get(g, "properties"), "site", json_string(a[i].id));
                    json_array_append(sites, g);
                }
            } else {
                json_array_append_new(sites, json_pack("{s:s, s:b, s:O}", "id", a[i].id, "compliant", ok, "rules",
                                                       json_object_get(a[i].answer, "rules")));
            }
        }
        *out = geojson ? json_pack("{s:s, s:i, s:i, s:o}", "type", "FeatureCollection", "total", (json_int_t)n,
                                   "compliant", (json_int_t)compliant, "features", sites)
                       : json_pack("{s:i, s:i, s:o}", "total", (json_int_t)n, "compliant", (json_int_t)compliant,
                                   "sites", sites);
    }
    for (i = 0; i < n; i++) {
        free(a[i].id);
        json_decref(a[i].answer);
    }
    free(a);
    return rc;
}

int analysis_site_nearest_park(store *st, const layer_registry *reg, int srid, json_t *site, char id[64],
                               double *distance_m, gisd_error *err)
{
    static const char *const pf[] = {"park_id", NULL};
    GEOSContextHandle_t h = geos_context_new();
    afail fail = {err, 0};
    int rc = -1;
    GEOSGeometry *g = analysis_site_geometry(h, json_object_get(site, "geometry"), srid, err);
    if (g) {
        aset parks = {0}; /* empty: nearest_in_layer loads the whole layer, which is small */
        afeat *near = NULL;
        if (nearest_in_layer(h, st, reg, "parks", srid, pf, &parks, g, NULL, NULL, &near, distance_m, &fail) == 0) {
            rc = near != NULL;
            if (near)
                snprintf(id, 64, "%s", near->vals[0] ? near->vals[0] : "");
        }
        aset_free(&parks);
        GEOSGeom_destroy_r(h, g);
    }
    GEOS_finish_r(h);
    return rc;
}
