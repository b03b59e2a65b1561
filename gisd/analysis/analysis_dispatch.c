/* One parser for the analyses' parameters, shared by `gisd analyze` and /analysis. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "crs.h"
#include "report.h"

static int parse_number(const char *name, const char *text, double dflt, double max,
                        const char *unit, double *out, gisd_error *err)
{
    if (!text) {
        *out = dflt;
        return 0;
    }
    char *end;
    double v = strtod(text, &end);
    if (!*text || *end || !isfinite(v) || v < 0 || v > max)
        return gisd_fail(err, GISD_E_INPUT, "%s \"%s\" must be a number from 0 to %g %s", name,
                         text, max, unit);
    *out = v;
    return 0;
}

static int parse_bool(const char *name, const char *text, int *out, gisd_error *err)
{
    if (!text || strcmp(text, "false") == 0 || strcmp(text, "0") == 0) {
        *out = 0;
        return 0;
    }
    if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0 || !*text) {
        *out = 1;
        return 0;
    }
    return gisd_fail(err, GISD_E_INPUT, "%s \"%s\" must be true or false", name, text);
}

typedef enum { A_HEATING, A_HW, A_RECYCLING, A_SITE, A_SYMBIOSIS, A_SCORECARD } analysis_kind;

/* Everything of the request that needs no store: the name, the format, the
 * CRS and each parameter within its limits. */
typedef struct {
    analysis_kind kind;
    int geojson, requested_crs;
    heating_params heating;
    hw_params hw;
    recycling_params recycling;
    symbiosis_params symbiosis;
} analysis_plan;

static int plan(const char *name, const analysis_args *a, analysis_plan *p, gisd_error *err)
{
    static const struct {
        const char *name;
        analysis_kind kind;
    } KINDS[] = {{"heating-coverage", A_HEATING},
                 {"hw-proximity", A_HW},
                 {"recycling-coverage", A_RECYCLING},
                 {"site-check", A_SITE},
                 {"symbiosis", A_SYMBIOSIS},
                 {"park-scorecard", A_SCORECARD}};
    memset(p, 0, sizeof *p);
    size_t k = 0;
    while (k < sizeof KINDS / sizeof *KINDS && strcmp(KINDS[k].name, name) != 0)
        k++;
    if (k == sizeof KINDS / sizeof *KINDS)
        return gisd_fail(err, GISD_E_NOTFOUND,
                         "there is no analysis \"%s\": heating-coverage, hw-proximity, "
                         "recycling-coverage, site-check, symbiosis or park-scorecard", name);
    p->kind = KINDS[k].kind;
    if (a->format && strcmp(a->format, "geojson") == 0)
        p->geojson = 1;
    else if (a->format && strcmp(a->format, "json") != 0)
        return gisd_fail(err, GISD_E_INPUT, "f \"%s\" must be json or geojson", a->format);
    if (a->analysis_crs && (p->requested_crs = crs_parse(a->analysis_crs, NULL, err)) < 0)
        return -1;
    switch (p->kind) {
    case A_HEATING:
        p->heating.park_id = a->park_id;
        return parse_number("radius_m", a->radius_m, 1000, ANALYSIS_RADIUS_MAX_M, "metres",
                            &p->heating.radius_m, err);
    case A_HW:
        if (parse_bool("capable", a->capable, &p->hw.capable, err) != 0 ||
            parse_number("max_km", a->max_km, 50, ANALYSIS_DISTANCE_MAX_KM, "km", &p->hw.max_km, err) != 0)
            return -1;
        if (!(p->hw.max_km > 0))
            return gisd_fail(err, GISD_E_INPUT, "max_km must be more than 0");
        return 0;
    case A_RECYCLING:
        p->recycling.level = a->level;
        return parse_number("radius_m", a->radius_m, 1000, ANALYSIS_RADIUS_MAX_M, "metres",
                            &p->recycling.radius_m, err);
    case A_SITE:
        return 0;
    case A_SCORECARD:
        if (p->geojson)
            return gisd_fail(err, GISD_E_INPUT, "park-scorecard has no map view: its map is /parks/{park_id}/map.png");
        if (!a->park_id || !*a->park_id)
            return gisd_fail(err, GISD_E_INPUT, "park-scorecard needs park_id");
        return 0;
    case A_SYMBIOSIS:
        p->symbiosis.park_id = a->park_id;
        if (parse_number("max_km", a->max_km, 10, ANALYSIS_DISTANCE_MAX_KM, "km", &p->symbiosis.max_km, err) != 0)
            return -1;
        if (!(p->symbiosis.max_km > 0))
            return gisd_fail(err, GISD_E_INPUT, "max_km must be more than 0");
        return 0;
    }
    return 0;
}

int analysis_check(const char *name, const analysis_args *args, gisd_error *err)
{
    analysis_plan p;
    return plan(name, args, &p, err);
}

int analysis_dispatch(store *s, const layer_registry *reg, const site_rules *rules,
                      const char *name, const analysis_args *a, json_t *site, json_t **out,
                      gisd_error *err)
{
    *out = NULL;
    analysis_plan p;
    int srid;
    if (plan(name, a, &p, err) != 0 || analysis_crs_resolve(s, reg, p.requested_crs, &srid, err) != 0)
        return -1;
    switch (p.kind) {
    case A_HEATING:
        return analysis_heating_coverage(s, reg, srid, &p.heating, p.geojson, out, err);
    case A_HW:
        return analysis_hw_proximity(s, reg, srid, &p.hw, p.geojson, out, err);
    case A_RECYCLING:
        return analysis_recycling_coverage(s, reg, srid, &p.recycling, p.geojson, out, err);
    case A_SITE:
        if (!site)
            return gisd_fail(err, GISD_E_INPUT, "site-check needs the site: a GeoJSON Feature");
        return analysis_site_check(s, reg, srid, rules, site, p.geojson, out, err);
    case A_SYMBIOSIS:
        return analysis_symbiosis(s, reg, srid, &p.symbiosis, p.geojson, out, err);
    case A_SCORECARD:
        return report_scorecard(s, reg, rules, srid, a->park_id, out, err);
    }
    return gisd_fail(err, GISD_E_INTERNAL, "unknown analysis kind");
}
