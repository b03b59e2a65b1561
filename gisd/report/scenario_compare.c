/* A scenario held beside another (docs/SCENARIOS.md, Compare): what
 * differs, what conflicts, and the indicators each analysis gives in both,
 * with their deltas. */
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "analysis_geom.h"
#include "report.h"

/* The indicators of the scenario s reads through, in the order of
 * SCENARIOS.md, as numbers (sites: a FeatureCollection or NULL). */
#define NIND 11
static const char *const IND[NIND] = {"heating.covered_km2",      "heating.coverage_ratio",
                                      "heating.enterprises_covered", "heating.coal_boilers_in_coverage",
                                      "recycling.households_covered", "recycling.coverage_ratio",
                                      "hw.beyond_max",            "hw.no_facility",
                                      "symbiosis.links",          "symbiosis.unmatched",
                                      "site.compliant"};

static int indicators(store *st, const layer_registry *reg, const site_rules *rules, json_t *sites, double v[NIND],
                      gisd_error *err)
{
    int srid;
    if (analysis_crs_resolve(st, reg, 0, &srid, err) != 0)
        return -1;
    heating_params hp = {1000, NULL};
    heating_result heat;
    if (analysis_heating_compute(st, reg, srid, &hp, &heat, NULL, err) != 0)
        return -1;
    v[0] = analysis_round(heat.covered_km2, 6);
    v[1] = analysis_round(heat.coverage_ratio, 6);
    v[2] = (double)heat.enterprises_covered;
    v[3] = (double)heat.coal_boilers;
    heating_result_free(&heat);
    symbiosis_result sym;
    recycling_params rp = {1000, "community", {0, 0}};
    hw_params wp = {0, 50, {0, 0}};
    symbiosis_params sp = {10, NULL, {0, 0}};
    recycling_result rec;
    hw_result hw;
    int rc = analysis_recycling_compute(st, reg, srid, &rp, &rec, NULL, err);
    if (rc == 0) {
        v[4] = rec.total.households_covered;
        v[5] = analysis_round(rec.total.households > 0 ? rec.total.households_covered / rec.total.households : 0, 6);
        recycling_result_free(&rec);
        rc = analysis_hw_compute(st, reg, srid, &wp, &hw, NULL, err);
    }
    if (rc == 0) {
        v[6] = (double)hw.beyond_max;
        v[7] = (double)hw.no_facility;
        hw_result_free(&hw);
        rc = analysis_symbiosis_compute(st, reg, srid, &sp, &sym, NULL, err);
    }
    if (rc == 0) {
        v[8] = (double)sym.nlinks;
        v[9] = (double)sym.nunmatched;
        symbiosis_result_free(&sym);
    }
    v[10] = 0;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(sites, "features"), i, f) {
        json_t *ans = NULL;
        if (rc == 0 && (rc = analysis_site_check(st, reg, srid, rules, f, 0, &ans, err)) == 0)
            v[10] += json_is_true(json_object_get(ans, "compliant"));
        json_decref(ans);
    }
    return rc;
}

/* A number as the answers write it: a whole one as an integer. */
static json_t *num(double x)
{
    return x == (double)(long long)x && x < 9e15 && x > -9e15 ? json_integer((json_int_t)x) : json_real(x);
}

int report_scenario_compare(store *st, const layer_registry *reg, const site_rules *rules, const char *a,
                            const char *b, json_t *sites, json_t **out, gisd_error *err)
{
    *out = NULL;
    if (sites && !json_is_array(json_object_get(sites, "features")))
        return gisd_fail(err, GISD_E_INPUT, "sites must be a GeoJSON FeatureCollection");
    json_t *changes = NULL, *conflicts = NULL;
    double va[NIND], vb[NIND];
    gisd_error ignore = {0};
    int rc = store_scenario_diff(st, a, b, &changes, err);
    if (rc == 0 && strcmp(a, "baseline") != 0)
        rc = store_scenario_conflicts(st, a, &conflicts, err);
    if (rc == 0)
        rc = store_set_scenario(st, a, err);
    if (rc == 0)
        rc = indicators(st, reg, rules, sites, va, err);
    if (rc == 0)
        rc = store_set_scenario(st, b, err);
    if (rc == 0)
        rc = indicators(st, reg, rules, sites, vb, err);
    store_set_scenario(st, NULL, &ignore);
    if (rc != 0) {
        json_decref(changes);
        json_decref(conflicts);
        return -1;
    }
    json_t *list = json_array();
    for (size_t k = 0; k < NIND - (sites ? 0 : 1); k++)
        json_array_append_new(list, json_pack("{s:s, s:o, s:o, s:o}", "id", IND[k], "a", num(va[k]), "b", num(vb[k]),
                                              "delta", num(analysis_round(va[k] - vb[k], 6))));
    *out = json_pack("{s:s, s:s, s:o, s:o, s:o}", "a", a, "b", b, "changes", changes, "conflicts",
                     conflicts ? conflicts : json_array(), "indicators", list);
    return 0;
}
