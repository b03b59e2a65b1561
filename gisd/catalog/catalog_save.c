/* An optimisation's layout kept as a plan scenario (docs/SCENARIOS.md, "An
 * optimisation becomes a scenario"): the changes each optimisation's table
 * lists, written in one transaction into a new scenario based on the one
 * the run read. */
#include "catalog_save.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edit.h"

/* Writes feature (a GeoJSON Feature in lon/lat, borrowed) into layer as
 * kind through s's scenario. */
static int put(store *s, const layer_registry *reg, const char *layer, store_edit_kind kind, json_t *feature,
               const char *who, gisd_error *err)
{
    const layer_def *l = layer_registry_find(reg, layer);
    if (!l)
        return gisd_fail(err, GISD_E_INPUT, "the layer %s is not in this registry", layer);
    edit_feature ef = {0};
    if (edit_feature_parse(l, feature, 4326, 1, &ef, err) != 0)
        return -1;
    json_t *id = json_object_get(json_object_get(feature, "properties"), layer_id_column(l));
    store_edit e = {.kind = kind, .feature_id = json_string_value(id), .values = ef.values, .wkb = ef.wkb,
                    .wkb_len = ef.wkb_len, .who = who, .action = "optimize"};
    long long change;
    char etag[65];
    int rc = store_edit_apply(s, l, &e, &change, etag, NULL, err);
    edit_feature_free(&ef);
    return rc;
}

/* The feature of layer with id as s reads it, with properties changed by
 * name/value pairs (ending with NULL), written back. */
static int amend(store *s, const layer_registry *reg, const char *layer, const char *id, const char *who,
                 gisd_error *err, json_t *changes)
{
    const layer_def *l = layer_registry_find(reg, layer);
    char *text = NULL, etag[65];
    if (!l || store_feature_state(s, l, id, &text, etag, err) != STORE_FOUND) {
        free(text);
        return l ? gisd_fail(err, GISD_E_INPUT, "%s has no feature %s to change", layer, id) : -1;
    }
    json_t *f = json_loads(text, 0, NULL);
    free(text);
    json_object_update(json_object_get(f, "properties"), changes);
    int rc = put(s, reg, layer, STORE_REPLACE, f, who, err);
    json_decref(f);
    return rc;
}

/* A new recycling point at the point of g: P-id, at level. */
static json_t *new_point(const char *id, json_t *g, const char *level)
{
    char pid[160], name[200];
    snprintf(pid, sizeof pid, "P-%s", id);
    snprintf(name, sizeof name, "规划回收点 %s", id);
    return json_pack("{s:s, s:O, s:{s:s, s:s, s:s, s:f, s:n}}", "type", "Feature", "geometry", g, "properties",
                     "point_id", pid, "name", name, "level", level, "capacity_tpd", 0.0, "categories");
}

/* The changes of the layout in map (the run's FeatureCollection). */
static int write_layout(store *s, const layer_registry *reg, const char *opt, const param_values *v, int user_candidates,
                        json_t *map, const char *who, gisd_error *err)
{
    int rc = 0;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(map, "features"), i, f) {
        json_t *p = json_object_get(f, "properties"), *g = json_object_get(f, "geometry");
        const char *kind = json_string_value(json_object_get(p, "kind"));
        const char *id = json_string_value(json_object_get(p, "id"));
        json_t *nf = NULL;
        if (!kind)
            continue;
        if (!strcmp(opt, "recycling-siting") && !strcmp(kind, "selected")) {
            rc = put(s, reg, "recycling_points", STORE_CREATE, nf = new_point(id, g, "community"), who, err);
        } else if (!strcmp(opt, "sorting-siting") && !strcmp(kind, "site")) {
            if (user_candidates)
                rc = put(s, reg, "recycling_points", STORE_CREATE, nf = new_point(id, g, "sorting"), who, err);
            else
                rc = amend(s, reg, "recycling_points", id, who, err, nf = json_pack("{s:s}", "level", "sorting"));
        } else if (!strcmp(opt, "heat-extension") && !strcmp(kind, "spur")) {
            const char *ent = json_string_value(json_object_get(p, "ent_id"));
            char pipe[160];
            snprintf(pipe, sizeof pipe, "SP-%s", ent);
            nf = json_pack("{s:s, s:O, s:{s:s, s:O, s:i, s:O}}", "type", "Feature", "geometry", g, "properties",
                           "pipe_id", pipe, "source_id", json_object_get(p, "source_id"), "diameter_mm", 100, "medium",
                           json_object_get(p, "medium"));
            rc = put(s, reg, "heat_network", STORE_CREATE, nf, who, err);
            json_decref(nf);
            nf = json_pack("{s:s, s:f}", "boiler_fuel", "none", "boiler_tph", 0.0);
            if (rc == 0)
                rc = amend(s, reg, "enterprises", ent, who, err, nf);
        }
        json_decref(nf);
        if (rc != 0)
            return -1;
    }
    if (strcmp(opt, "recycling-siting") == 0 && strcmp(param_text(v, "existing"), "none") == 0) {
        /* planned from scratch: today's community points go */
        const layer_def *l = layer_registry_find(reg, "recycling_points");
        const char *fields[] = {"level"}, *values[] = {"community"};
        store_query q = {.nfilters = 1, .filter_fields = fields, .filter_values = values, .limit = -1};
        store_cursor *c;
        json_t *ids = json_array();
        if (store_cursor_open(s, l, &q, &c, err) != 0) {
            json_decref(ids);
            return -1;
        }
        int more;
        while ((more = store_cursor_next(c, err)) == 1)
            json_array_append_new(ids, json_string(store_cursor_text(c, l->id_index)));
        store_cursor_free(c);
        size_t k;
        json_t *id;
        json_array_foreach(ids, k, id) {
            if (rc != 0 || more < 0)
                break;
            const char *pid = json_string_value(id);
            if (strncmp(pid, "P-", 2) == 0)
                continue; /* added above */
            long long change;
            char etag[65];
            store_edit e = {.kind = STORE_DELETE, .feature_id = pid, .who = who, .action = "optimize"};
            rc = store_edit_apply(s, l, &e, &change, etag, NULL, err);
        }
        json_decref(ids);
        if (more < 0)
            return -1;
    }
    return rc;
}

int catalog_save_scenario(store *writer, const layer_registry *reg, const char *opt, const char *title,
                          const param_values *v, int user_candidates, const char *base, json_t *map, const char *who,
                          gisd_error *err)
{
    const char *sid = param_text(v, "save_scenario");
    if (strcmp(opt, "hw-allocation") == 0)
        return gisd_fail(err, GISD_E_INPUT, "hw-allocation moves waste, not facilities: it saves no scenario");
    char desc[256];
    snprintf(desc, sizeof desc, "the layout of gisd optimize %s", opt);
    if (store_scenario_create(writer, sid, title, desc, base, who, err) != 0)
        return -1;
    int rc = store_set_scenario(writer, sid, err);
    if (rc == 0 && (rc = store_batch_begin(writer, err)) == 0) {
        rc = write_layout(writer, reg, opt, v, user_candidates, map, who, err);
        gisd_error ignore = {0};
        if (store_batch_end(writer, rc == 0, rc == 0 ? err : &ignore) != 0)
            rc = -1;
    }
    gisd_error ignore = {0};
    store_set_scenario(writer, NULL, &ignore);
    if (rc != 0)
        store_scenario_drop(writer, sid, &ignore); /* nothing half-made stays */
    return rc;
}
