/* A park's scorecard: what the circular-retrofit plans track, each number
 * taken from the answer of the analysis or optimisation that defines it
 * (called here with the park's id where it takes one), so a scorecard never
 * disagrees with /analysis or /processes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "analysis_geom.h"
#include "optimize.h"
#include "report.h"
#include "xalloc.h"

static double num(json_t *o, const char *key) { return json_number_value(json_object_get(o, key)); }

static json_t *ratio(double part, double whole)
{
    return whole > 0 ? json_real(analysis_round(part / whole, 6)) : json_null();
}

/* The park's own attributes, the enterprises inside it (point in polygon, as
 * heating-coverage counts them) with hazardous waste, and the district
 * holding most of it. */
typedef struct {
    json_t *park;      /* park_id, name, level, circular_retrofit */
    char **hw_ids;     /* enterprises in the park producing hazardous waste */
    double *hw_tpy;
    size_t nhw;
    char *district;    /* NULL when it lies in none */
} park_facts;

static void park_facts_free(park_facts *f)
{
    json_decref(f->park);
    for (size_t i = 0; i < f->nhw; i++)
        free(f->hw_ids[i]);
    free(f->hw_ids);
    free(f->hw_tpy);
    free(f->district);
}

typedef struct {
    GEOSContextHandle_t h;
    const GEOSPreparedGeometry *park;
    afail *fail;
    park_facts *out;
} member_scan;

static void scan_member(afeat *f, void *ud)
{
    member_scan *m = ud;
    double tpy = afeat_num(f, 1);
    if (tpy <= 0 || !afail_pred(m->fail, GEOSPreparedContains_r(m->h, m->park, f->g), "testing an enterprise in the park"))
        return;
    park_facts *o = m->out;
    o->hw_ids = xreallocarray(o->hw_ids, o->nhw + 1, sizeof *o->hw_ids);
    o->hw_tpy = xreallocarray(o->hw_tpy, o->nhw + 1, sizeof *o->hw_tpy);
    o->hw_ids[o->nhw] = xstrdup(f->vals[0] ? f->vals[0] : "");
    o->hw_tpy[o->nhw++] = tpy;
}

typedef struct {
    GEOSContextHandle_t h;
    const GEOSGeometry *park;
    afail *fail;
    double best;
    const char *name;
} district_scan;

static void scan_district(afeat *f, void *ud)
{
    district_scan *d = ud;
    GEOSGeometry *x = GEOSIntersection_r(d->h, f->g, d->park);
    double a = 0;
    if (afail_ok(d->fail, x != NULL, "intersecting the park with a district") &&
        afail_ok(d->fail, GEOSArea_r(d->h, x, &a), "measuring the park in a district") && a > d->best) {
        d->best = a;
        d->name = f->vals[0];
    }
    if (x)
        GEOSGeom_destroy_r(d->h, x);
}

static int load_facts(store *st, const layer_registry *reg, int srid, const char *park_id,
                      park_facts *out, gisd_error *err)
{
    memset(out, 0, sizeof *out);
    GEOSContextHandle_t h = geos_context_new();
    afail fail = {err, 0};
    aset parks = {0}, ents = {0}, dists = {0};
    static const char *const pf[] = {"park_id", "name", "level", "circular_retrofit", NULL};
    static const char *const ef[] = {"ent_id", "hw_tpy", NULL};
    static const char *const df[] = {"name", NULL};
    int rc = aset_load(h, st, reg, "parks", srid, pf, NULL, &parks, &fail);
    afeat *park = NULL;
    for (size_t i = 0; rc == 0 && i < parks.n && !park; i++)
        if (parks.f[i].vals[0] && strcmp(parks.f[i].vals[0], park_id) == 0)
            park = &parks.f[i];
    if (rc == 0 && !park)
        rc = gisd_fail(err, GISD_E_NOTFOUND, "park_id \"%s\" is not a park of this dataset", park_id);
    /* only what meets the park's envelope: its members and its district */
    double box[4];
    if (rc == 0 && !(afail_ok(&fail, GEOSGeom_getXMin_r(h, park->g, &box[0]) && GEOSGeom_getYMin_r(h, park->g, &box[1]) &&
                                         GEOSGeom_getXMax_r(h, park->g, &box[2]) && GEOSGeom_getYMax_r(h, park->g, &box[3]),
                               "taking the park's envelope")))
        rc = -1;
    if (rc == 0)
        rc = aset_load(h, st, reg, "enterprises", srid, ef, box, &ents, &fail) ||
             aset_load(h, st, reg, "districts", srid, df, box, &dists, &fail) ? -1 : 0;
    if (rc == 0) {
        out->park = json_object();
        for (size_t k = 0; pf[k]; k++)
            json_object_set_new(out->park, pf[k], !park->vals[k] ? json_null()
                                                  : strcmp(pf[k], "circular_retrofit") == 0
                                                      ? json_integer(strtoll(park->vals[k], NULL, 10))
                                                      : json_string(park->vals[k]));
        member_scan ms = {h, afeat_prepared(&parks, park), &fail, out};
        if (ms.park)
            aset_near(&ents, park->g, 0, scan_member, &ms);
        district_scan ds = {h, park->g, &fail, 0, NULL};
        aset_near(&dists, park->g, 0, scan_district, &ds);
        out->district = ds.name ? xstrdup(ds.name) : NULL;
        if (fail.failed)
            rc = -1;
    }
    aset_free(&parks);
    aset_free(&ents);
    aset_free(&dists);
    GEOS_finish_r(h);
    if (rc != 0)
        park_facts_free(out);
    return rc;
}

const param_def PARK_SCORECARD_PARAMS[] = {
    {"park_id", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 1, "the park"},
    {"analysis_crs", PARAM_CRS, NULL, 0, 0, NULL, NULL, 0,
     "the projected CRS in metres measured in (EPSG:n); default: the store's"},
    {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

/* The optimisation name at the scorecard's settings (numbers: name, value
 * pairs ending with NULL) in the analysis CRS srid. */
static int optimize(store *st, const layer_registry *reg, const site_rules *rules, const char *name, int srid,
                    const char *park_id, json_t **out, gisd_error *err, ...)
{
    const opt_def *d = optimize_find(name);
    param_values v;
    param_values_init(&v, strcmp(name, "heat-extension") == 0 ? HEAT_EXTENSION_PARAMS : HW_ALLOCATION_PARAMS, name);
    char crs[32];
    snprintf(crs, sizeof crs, "EPSG:%d", srid);
    int rc = param_set_text(&v, "analysis_crs", crs, err);
    if (rc == 0 && park_id)
        rc = param_set_text(&v, "park_id", park_id, err);
    va_list ap;
    va_start(ap, err);
    for (const char *k; rc == 0 && (k = va_arg(ap, const char *));)
        rc = param_set_num(&v, k, va_arg(ap, double), err);
    va_end(ap);
    if (rc == 0)
        rc = param_finish(&v, err);
    if (rc == 0)
        rc = optimize_run(st, reg, rules, d, &v, NULL, NULL, out, err);
    param_values_free(&v);
    return rc;
}

int report_scorecard(store *st, const layer_registry *reg, const site_rules *rules, int srid,
                     const char *park_id, json_t **out, gisd_error *err)
{
    *out = NULL;
    if (!park_id || !*park_id)
        return gisd_fail(err, GISD_E_INPUT, "park_id is required: the park the scorecard is of");
    park_facts facts;
    if (load_facts(st, reg, srid, park_id, &facts, err) != 0)
        return -1;
    json_t *ext = NULL, *hw = NULL;
    symbiosis_result sym = {0};
    recycling_result rec = {0};
    heating_params hp = {SCORECARD_HEATING_RADIUS_M, park_id};
    symbiosis_params sp = {SCORECARD_SYMBIOSIS_MAX_KM, park_id, {0, 0}};
    recycling_params rp = {SCORECARD_RECYCLING_RADIUS_M, "community", {0, 0}};
    heating_result heat;
    int rc = analysis_heating_compute(st, reg, srid, &hp, &heat, NULL, err);
    if (rc == 0)
        rc = optimize(st, reg, rules, "heat-extension", srid, park_id, &ext, err, "radius_m",
                      SCORECARD_HEATING_RADIUS_M, "budget_km", SCORECARD_EXTENSION_BUDGET_KM, "frontier", 9.0,
                      (const char *)NULL);
    if (rc == 0)
        rc = optimize(st, reg, rules, "hw-allocation", srid, NULL, &hw, err, "max_km", SCORECARD_HW_MAX_KM,
                      (const char *)NULL);
    if (rc == 0)
        rc = analysis_symbiosis_compute(st, reg, srid, &sp, &sym, NULL, err);
    if (rc == 0)
        rc = analysis_recycling_compute(st, reg, srid, &rp, &rec, NULL, err);
    if (rc == 0) {
        const heating_park *hpark = &heat.parks[0]; /* the one park asked for */
        double coal_tph = 0;
        json_t *coal = json_array(), *f;
        size_t i;
        for (size_t k = 0; k < hpark->ncoal; k++) {
            coal_tph += hpark->coal_tph[k];
            json_array_append_new(coal, json_string(hpark->coal_ids[k]));
        }
        json_t *selected = json_array();
        json_array_foreach(json_object_get(ext, "selected"), i, f)
            json_array_append(selected, json_object_get(f, "ent_id"));
        json_t *heating = json_pack(
            "{s:o, s:f, s:f, s:I, s:I, s:{s:I, s:f, s:o}, s:{s:O, s:O}, s:{s:o, s:O, s:O, s:o, s:O}}",
            "radius_m", analysis_number(SCORECARD_HEATING_RADIUS_M), "covered_km2",
            analysis_round(hpark->covered_km2, 6), "coverage_ratio", analysis_round(hpark->coverage_ratio, 6),
            "enterprises", (json_int_t)hpark->enterprises, "enterprises_covered",
            (json_int_t)hpark->enterprises_covered, "coal_boilers_in_coverage", "count",
            (json_int_t)hpark->ncoal, "tph", analysis_round(coal_tph, 3), "ids", coal,
            "coal_boilers_outside", "count", json_object_get(ext, "boilers"), "tph",
            json_object_get(ext, "boiler_tph"), "extension", "budget_km",
            analysis_number(SCORECARD_EXTENSION_BUDGET_KM), "tph_retired", json_object_get(ext, "tph_retired"),
            "pipe_km", json_object_get(ext, "pipe_km"), "selected", selected, "frontier",
            json_object_get(ext, "frontier"));

        /* the park's share of the city-wide allocation: capacity is shared by every park */
        double produced = 0, served = 0;
        for (size_t k = 0; k < facts.nhw; k++)
            produced += facts.hw_tpy[k];
        json_array_foreach(json_object_get(hw, "flows"), i, f) {
            const char *id = json_string_value(json_object_get(f, "ent_id"));
            for (size_t k = 0; k < facts.nhw; k++)
                if (strcmp(facts.hw_ids[k], id) == 0) {
                    served += num(f, "tonnes");
                    break;
                }
        }
        json_t *hazardous = json_pack("{s:o, s:I, s:f, s:f, s:o}", "max_km", analysis_number(SCORECARD_HW_MAX_KM),
                                      "producers", (json_int_t)facts.nhw, "tonnes", analysis_round(produced, 3),
                                      "served_t", analysis_round(served, 3), "share_served", ratio(served, produced));

        const symbiosis_park *spark = sym.nparks ? &sym.parks[0] : NULL; /* the one park asked for */
        json_t *symbiosis = json_pack(
            "{s:o, s:o, s:I, s:o, s:o, s:I, s:I}", "max_km", analysis_number(SCORECARD_SYMBIOSIS_MAX_KM), "demands",
            spark ? json_integer(spark->demands) : json_null(), "links", (json_int_t)sym.nlinks, "links_in_park",
            spark ? json_integer(spark->links_in_park) : json_null(), "in_park_ratio",
            spark ? json_real(analysis_round(spark->in_park_ratio, 6)) : json_null(), "unmatched",
            (json_int_t)sym.nunmatched, "unused", (json_int_t)sym.nunused);

        const recycling_tally *district = NULL;
        for (size_t k = 0; k < rec.ndistricts; k++)
            if (facts.district && strcmp(rec.districts[k].name, facts.district) == 0)
                district = &rec.districts[k];
        json_t *recycling = json_pack("{s:s?, s:o, s:s}", "district", facts.district, "radius_m",
                                      analysis_number(SCORECARD_RECYCLING_RADIUS_M), "level", "community");
        json_object_set_new(recycling, "communities", district ? json_integer(district->communities) : json_null());
        json_object_set_new(recycling, "households", district ? analysis_number(district->households) : json_null());
        json_object_set_new(recycling, "households_covered",
                            district ? analysis_number(district->households_covered) : json_null());
        json_object_set_new(recycling, "coverage_ratio",
                            district ? json_real(analysis_round(district->households > 0
                                                                    ? district->households_covered / district->households
                                                                    : 0,
                                                                6))
                                     : json_null());

        *out = json_pack("{s:O, s:O, s:O, s:O, s:f, s:o, s:o, s:o, s:o, s:o}", "park_id",
                         json_object_get(facts.park, "park_id"), "name", json_object_get(facts.park, "name"),
                         "level", json_object_get(facts.park, "level"), "circular_retrofit",
                         json_object_get(facts.park, "circular_retrofit"), "area_km2",
                         analysis_round(hpark->area_km2, 6), "heating", heating, "hazardous_waste", hazardous,
                         "symbiosis", symbiosis, "recycling", recycling, "sources",
                         json_pack("{s:s, s:s, s:s, s:s, s:s}", "heating", "heating-coverage",
                                   "coal_boilers_outside", "heat-extension", "hazardous_waste", "hw-allocation",
                                   "symbiosis", "symbiosis", "recycling", "recycling-coverage"));
    }
    heating_result_free(&heat);
    json_decref(ext);
    json_decref(hw);
    symbiosis_result_free(&sym);
    recycling_result_free(&rec);
    park_facts_free(&facts);
    return rc;
}
