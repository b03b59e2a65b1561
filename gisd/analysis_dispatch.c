/* One parser for the analyses' parameters, shared by `gisd analyze` and /analysis. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "crs.h"

static int parse_number(const char *name, const char *text, double dflt, double *out, gisd_error *err)
{
    if (!text) {
        *out = dflt;
        return 0;
    }
    char *end;
    double v = strtod(text, &end);
    if (!*text || *end || !isfinite(v) || v < 0)
        return gisd_fail(err, GISD_E_INPUT, "%s \"%s\" must be a number, 0 or more", name, text);
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

int analysis_dispatch(store *s, const layer_registry *reg, const site_rules *rules,
                      const char *name, const analysis_args *a, json_t *site, json_t **out,
                      gisd_error *err)
{
    *out = NULL;
    int geojson = 0;
    if (a->format && strcmp(a->format, "geojson") == 0)
        geojson = 1;
    else if (a->format && strcmp(a->format, "json") != 0)
        return gisd_fail(err, GISD_E_INPUT, "f \"%s\" must be json or geojson", a->format);
    int requested = 0;
    if (a->analysis_crs && (requested = crs_parse(a->analysis_crs, NULL, err)) < 0)
        return -1;
    int srid;
    if (analysis_crs_resolve(s, reg, requested, &srid, err) != 0)
        return -1;
    if (strcmp(name, "heating-coverage") == 0) {
        heating_params p = {.park_id = a->park_id};
        if (parse_number("radius_m", a->radius_m, 1000, &p.radius_m, err) != 0)
            return -1;
        return analysis_heating_coverage(s, reg, srid, &p, geojson, out, err);
    }
    if (strcmp(name, "hw-proximity") == 0) {
        hw_params p;
        if (parse_bool("capable", a->capable, &p.capable, err) != 0 ||
            parse_number("max_km", a->max_km, 50, &p.max_km, err) != 0)
            return -1;
        return analysis_hw_proximity(s, reg, srid, &p, geojson, out, err);
    }
    if (strcmp(name, "recycling-coverage") == 0) {
        recycling_params p = {.level = a->level};
        if (parse_number("radius_m", a->radius_m, 1000, &p.radius_m, err) != 0)
            return -1;
        return analysis_recycling_coverage(s, reg, srid, &p, geojson, out, err);
    }
    if (strcmp(name, "site-check") == 0) {
        if (!site)
            return gisd_fail(err, GISD_E_INPUT, "site-check needs the site: a GeoJSON Feature");
        return analysis_site_check(s, reg, srid, rules, site, geojson, out, err);
    }
    return gisd_fail(err, GISD_E_NOTFOUND,
                     "there is no analysis \"%s\": heating-coverage, hw-proximity, "
                     "recycling-coverage or site-check", name);
}
