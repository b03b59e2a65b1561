#include "rules.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int copy_strings(json_t *arr, char (*dst)[32], size_t cap, size_t *n, const char *path,
                        const char *key, gisd_error *err)
{
    if (!json_is_array(arr))
        return gisd_fail(err, GISD_E_INPUT, "%s: \"%s\" must be an array of names", path, key);
    *n = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || json_string_length(v) >= 32 || *n == cap)
            return gisd_fail(err, GISD_E_INPUT, "%s: \"%s\"[%zu] must be a short name", path, key, i);
        snprintf(dst[(*n)++], 32, "%s", json_string_value(v));
    }
    return 0;
}

/* "setback_tables" into out: 0, or -1 with err naming the key at fault. */
static int load_tables(json_t *tabs, const char *path, site_rules *out, gisd_error *err)
{
    json_t *bands = json_object_get(tabs, "wind_bands_mps"), *wind = json_object_get(tabs, "default_wind_mps"),
           *inds = json_object_get(tabs, "industries");
    if (!json_is_array(bands) || json_array_size(bands) != 2 || !json_is_number(json_array_get(bands, 0)) ||
        !json_is_number(json_array_get(bands, 1)) ||
        json_number_value(json_array_get(bands, 0)) > json_number_value(json_array_get(bands, 1)))
        return gisd_fail(err, GISD_E_INPUT, "%s: setback_tables.wind_bands_mps must be two speeds, low then high", path);
    if (!json_is_number(wind) || json_number_value(wind) < 0)
        return gisd_fail(err, GISD_E_INPUT, "%s: setback_tables.default_wind_mps must be a speed in m/s", path);
    if (!json_is_object(inds))
        return gisd_fail(err, GISD_E_INPUT, "%s: setback_tables.industries must map industries to their tables", path);
    out->wind_bands_mps[0] = json_number_value(json_array_get(bands, 0));
    out->wind_bands_mps[1] = json_number_value(json_array_get(bands, 1));
    out->default_wind_mps = json_number_value(wind);
    const char *name;
    json_t *t;
    json_object_foreach(inds, name, t) {
        if (out->ntables == sizeof out->tables / sizeof *out->tables || strlen(name) >= 32)
            return gisd_fail(err, GISD_E_INPUT, "%s: too many industries, or a name too long: %s", path, name);
        rules_setback_table *tb = &out->tables[out->ntables++];
        snprintf(tb->industry, sizeof tb->industry, "%s", name);
        static const char *const KEYS[] = {"title", "scale_unit", "citation"};
        char *dst[] = {tb->title, tb->scale_unit, tb->citation};
        size_t cap[] = {sizeof tb->title, sizeof tb->scale_unit, sizeof tb->citation};
        for (size_t k = 0; k < 3; k++) {
            json_t *v = json_object_get(t, KEYS[k]);
            if (!json_is_string(v) || json_string_length(v) >= cap[k])
                return gisd_fail(err, GISD_E_INPUT, "%s: setback_tables.industries.%s.%s must be a short text", path,
                                 name, KEYS[k]);
            snprintf(dst[k], cap[k], "%s", json_string_value(v));
        }
        json_t *rows = json_object_get(t, "rows"), *row;
        size_t i;
        if (!json_is_array(rows) || json_array_size(rows) == 0 || json_array_size(rows) > RULES_TABLE_ROWS)
            return gisd_fail(err, GISD_E_INPUT, "%s: setback_tables.industries.%s.rows must hold 1 to %d rows", path,
                             name, RULES_TABLE_ROWS);
        json_array_foreach(rows, i, row) {
            json_t *min = json_object_get(row, "min_scale"), *d = json_object_get(row, "distance_m");
            int ok = json_is_number(min) && json_is_array(d) && json_array_size(d) == 3;
            for (size_t k = 0; ok && k < 3; k++)
                ok = json_is_number(json_array_get(d, k)) && json_number_value(json_array_get(d, k)) >= 0;
            if (!ok)
                return gisd_fail(err, GISD_E_INPUT,
                                 "%s: setback_tables.industries.%s.rows[%zu] must be {\"min_scale\": n, "
                                 "\"distance_m\": [below, between, above the wind bands]}",
                                 path, name, i);
            tb->rows[i].min_scale = json_number_value(min);
            for (size_t k = 0; k < 3; k++)
                tb->rows[i].distance_m[k] = json_number_value(json_array_get(d, k));
            tb->nrows++;
        }
    }
    return 0;
}

const rules_setback_table *rules_find_table(const site_rules *r, const char *industry)
{
    for (size_t i = 0; industry && i < r->ntables; i++)
        if (strcmp(r->tables[i].industry, industry) == 0)
            return &r->tables[i];
    return NULL;
}

int rules_table_distance(const site_rules *r, const rules_setback_table *t, double scale, double wind_mps,
                         double *metres)
{
    int best = -1;
    for (size_t i = 0; i < t->nrows; i++)
        if (t->rows[i].min_scale <= scale && (best < 0 || t->rows[i].min_scale > t->rows[best].min_scale))
            best = (int)i;
    if (best < 0)
        return 0;
    int band = wind_mps < r->wind_bands_mps[0] ? 0 : wind_mps <= r->wind_bands_mps[1] ? 1 : 2;
    *metres = t->rows[best].distance_m[band];
    return 1;
}

int rules_load(const char *path, const char *layers_dir, site_rules *out, gisd_error *err)
{
    memset(out, 0, sizeof *out);
    char fallback[4200];
    if (!path) {
        snprintf(fallback, sizeof fallback, "%s/site-rules.json", layers_dir);
        path = fallback;
    }
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root)
        return gisd_fail(err, GISD_E_INPUT, "%s: line %d, column %d: %s", path, jerr.line,
                         jerr.column, jerr.text);
    int rc = 0;
    json_t *radius = json_object_get(root, "heating_radius_m");
    json_t *classes = json_object_get(root, "classes");
    if (!json_is_number(radius) || json_number_value(radius) < 0)
        rc = gisd_fail(err, GISD_E_INPUT, "%s: \"heating_radius_m\" must be a number of metres, 0 or more",
                       path);
    else if (!json_is_object(classes) || json_object_size(classes) == 0)
        rc = gisd_fail(err, GISD_E_INPUT, "%s: \"classes\" must map each project class to its rules", path);
    if (rc == 0)
        rc = copy_strings(json_object_get(root, "setback_kinds"), out->setback_kinds, RULES_MAX,
                          &out->nsetback, path, "setback_kinds", err);
    if (rc == 0)
        rc = copy_strings(json_object_get(root, "protected_kinds"), out->protected_kinds,
                          RULES_MAX, &out->nprotected, path, "protected_kinds", err);
    if (rc == 0 && json_object_get(root, "residential_land_uses"))
        rc = copy_strings(json_object_get(root, "residential_land_uses"), out->residential_uses, RULES_MAX,
                          &out->nresidential, path, "residential_land_uses", err);
    const char *name;
    json_t *c;
    if (rc == 0) {
        out->heating_radius_m = json_number_value(radius);
        json_object_foreach(classes, name, c) {
            if (out->nclasses == RULES_MAX || strlen(name) >= 32) {
                rc = gisd_fail(err, GISD_E_INPUT, "%s: too many classes, or a class name too long", path);
                break;
            }
            rules_class *rc_ = &out->classes[out->nclasses++];
            snprintf(rc_->name, sizeof rc_->name, "%s", name);
            json_t *setback = json_object_get(c, "setback_m");
            json_t *allowed = json_object_get(c, "allowed_land_uses");
            char key[96];
            snprintf(key, sizeof key, "classes.%s.allowed_land_uses", name);
            if (!json_is_number(setback) || json_number_value(setback) < 0) {
                rc = gisd_fail(err, GISD_E_INPUT,
                               "%s: classes.%s.setback_m must be a number of metres, 0 or more", path, name);
                break;
            }
            rc_->setback_m = json_number_value(setback);
            json_t *title = json_object_get(c, "title");
            if (title && (!json_is_string(title) || json_string_length(title) >= sizeof rc_->title)) {
                rc = gisd_fail(err, GISD_E_INPUT, "%s: classes.%s.title must be a short text", path, name);
                break;
            }
            snprintf(rc_->title, sizeof rc_->title, "%s", title ? json_string_value(title) : "");
            char tmp[RULES_MAX][32];
            if ((rc = copy_strings(allowed, tmp, RULES_MAX, &rc_->nallowed, path, key, err)) != 0)
                break;
            for (size_t i = 0; i < rc_->nallowed; i++)
                snprintf(rc_->allowed[i], sizeof rc_->allowed[i], "%.15s", tmp[i]);
        }
    }
    json_t *cites = json_object_get(root, "citations");
    if (rc == 0 && cites && !json_is_object(cites))
        rc = gisd_fail(err, GISD_E_INPUT, "%s: \"citations\" must map rule names to the standard each applies", path);
    json_object_foreach(rc == 0 ? cites : NULL, name, c) {
        static const char *const RULE_NAMES[] = {"inside_park", "land_use", "setback", "protected_areas",
                                                 "central_heating", NULL};
        int known = 0;
        for (const char *const *k = RULE_NAMES; *k; k++)
            known |= strcmp(*k, name) == 0;
        if (!known || !json_is_string(c) || json_string_length(c) >= sizeof out->citations[0].text) {
            rc = gisd_fail(err, GISD_E_INPUT,
                           "%s: citations.%s: a rule (inside_park, land_use, setback, protected_areas, "
                           "central_heating) and the text citing its standard", path, name);
            break;
        }
        snprintf(out->citations[out->ncitations].rule, sizeof out->citations[0].rule, "%s", name);
        snprintf(out->citations[out->ncitations].text, sizeof out->citations[0].text, "%s", json_string_value(c));
        out->ncitations++;
    }
    json_t *tabs = json_object_get(root, "setback_tables");
    if (rc == 0 && tabs)
        rc = load_tables(tabs, path, out, err);
    json_t *op = json_object_get(root, "opinion");
    if (rc == 0 && op) {
        static const char *const KEYS[] = {"authority", "code", "number"};
        char *dst[] = {out->authority, out->authority_code, out->number_pattern};
        size_t cap[] = {sizeof out->authority, sizeof out->authority_code, sizeof out->number_pattern};
        for (size_t k = 0; rc == 0 && k < 3; k++) {
            json_t *v = json_object_get(op, KEYS[k]);
            if (v && (!json_is_string(v) || json_string_length(v) >= cap[k]))
                rc = gisd_fail(err, GISD_E_INPUT, "%s: opinion.%s must be a text shorter than %zu bytes", path,
                               KEYS[k], cap[k]);
            else if (v)
                snprintf(dst[k], cap[k], "%s", json_string_value(v));
        }
        /* the number is a path segment of /opinions/{number} and a file name */
        if (rc == 0 && out->number_pattern[0] &&
            (!strstr(out->number_pattern, "{serial}") || strpbrk(out->number_pattern, "/\\?#%")))
            rc = gisd_fail(err, GISD_E_INPUT,
                           "%s: opinion.number must hold {serial} and no / \\ ? # %%: \"%s\"", path, out->number_pattern);
    }
    if (!out->number_pattern[0])
        snprintf(out->number_pattern, sizeof out->number_pattern, "%s", "{code}〔{year}〕{serial}号");
    if (!out->authority[0])
        snprintf(out->authority, sizeof out->authority, "%s", "审查机关");
    json_decref(root);
    return rc;
}

void rules_opinion_number(const site_rules *r, int year, long long serial, char *out, size_t n)
{
    size_t at = 0;
    out[0] = 0;
    for (const char *p = r->number_pattern; *p && at + 1 < n;) {
        char piece[300];
        size_t used = 0;
        piece[0] = 0;
        if (strncmp(p, "{code}", 6) == 0) {
            snprintf(piece, sizeof piece, "%s", r->authority_code[0] ? r->authority_code : r->authority);
            used = 6;
        } else if (strncmp(p, "{authority}", 11) == 0) {
            snprintf(piece, sizeof piece, "%s", r->authority);
            used = 11;
        } else if (strncmp(p, "{year}", 6) == 0) {
            snprintf(piece, sizeof piece, "%d", year);
            used = 6;
        } else if (strncmp(p, "{serial}", 8) == 0) {
            snprintf(piece, sizeof piece, "%lld", serial);
            used = 8;
        } else {
            piece[0] = *p;
            piece[1] = 0;
            used = 1;
        }
        size_t len = strlen(piece);
        if (at + len >= n)
            break;
        memcpy(out + at, piece, len + 1);
        at += len;
        p += used;
    }
}

const char *rules_citation(const site_rules *r, const char *rule)
{
    for (size_t i = 0; rule && i < r->ncitations; i++)
        if (strcmp(r->citations[i].rule, rule) == 0)
            return r->citations[i].text;
    return NULL;
}

const rules_class *rules_find_class(const site_rules *r, const char *name)
{
    for (size_t i = 0; name && i < r->nclasses; i++)
        if (strcmp(r->classes[i].name, name) == 0)
            return &r->classes[i];
    return NULL;
}

json_t *rules_json(const site_rules *r)
{
    json_t *classes = json_array();
    for (size_t i = 0; i < r->nclasses; i++) {
        const rules_class *c = &r->classes[i];
        json_t *uses = json_array();
        for (size_t k = 0; k < c->nallowed; k++)
            json_array_append_new(uses, json_string(c->allowed[k]));
        json_array_append_new(classes, json_pack("{s:s, s:s, s:o, s:f}", "id", c->name, "title",
                                                 c->title[0] ? c->title : c->name, "allowed_land_uses", uses,
                                                 "setback_m", c->setback_m));
    }
    json_t *kinds = json_array(), *protected = json_array(), *citations = json_object();
    for (size_t i = 0; i < r->nsetback; i++)
        json_array_append_new(kinds, json_string(r->setback_kinds[i]));
    for (size_t i = 0; i < r->nprotected; i++)
        json_array_append_new(protected, json_string(r->protected_kinds[i]));
    for (size_t i = 0; i < r->ncitations; i++)
        json_object_set_new(citations, r->citations[i].rule, json_string(r->citations[i].text));
    json_t *tables = json_object();
    for (size_t i = 0; i < r->ntables; i++) {
        const rules_setback_table *t = &r->tables[i];
        json_t *rows = json_array();
        for (size_t k = 0; k < t->nrows; k++)
            json_array_append_new(rows, json_pack("{s:f, s:[f, f, f]}", "min_scale", t->rows[k].min_scale,
                                                  "distance_m", t->rows[k].distance_m[0], t->rows[k].distance_m[1],
                                                  t->rows[k].distance_m[2]));
        json_object_set_new(tables, t->industry, json_pack("{s:s, s:s, s:s, s:o}", "title", t->title, "scale_unit",
                                                           t->scale_unit, "citation", t->citation, "rows", rows));
    }
    json_t *doc = json_pack("{s:f, s:o, s:o, s:o, s:o, s:{s:s, s:s, s:s}}", "heating_radius_m", r->heating_radius_m,
                     "classes", classes, "setback_kinds", kinds, "protected_kinds", protected, "citations", citations,
                     "opinion", "authority", r->authority, "code", r->authority_code, "number", r->number_pattern);
    json_object_set_new(doc, "setback_tables",
                        json_pack("{s:[f, f], s:f, s:o}", "wind_bands_mps", r->wind_bands_mps[0], r->wind_bands_mps[1],
                                  "default_wind_mps", r->default_wind_mps, "industries", tables));
    return doc;
}
