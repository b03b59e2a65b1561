/* Bodies of writes checked against the layer definition; merge patches;
 * tokens; revert. */
#include "edit.h"

#include <cpl_conv.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "crs.h"
#include "digest.h"
#include "strbuf.h"
#include "xalloc.h"

void edit_feature_free(edit_feature *f)
{
    for (size_t i = 0; i < f->ntexts; i++)
        free(f->texts[i]);
    free(f->texts);
    free(f->values);
    free(f->wkb);
    memset(f, 0, sizeof *f);
}

static const char *keep_text(edit_feature *f, const char *s)
{
    f->texts = xreallocarray(f->texts, f->ntexts + 1, sizeof *f->texts);
    return f->texts[f->ntexts++] = xstrdup(s);
}

/* The value of field k from v (null allowed but for the id field). */
static int field_value(const layer_def *l, size_t k, json_t *v, edit_feature *f, gisd_error *err)
{
    const field_def *d = &l->fields[k];
    store_value *sv = &f->values[k];
    if (!v || json_is_null(v)) {
        if (k == l->id_index)
            return gisd_fail(err, GISD_E_INPUT, "the feature needs its %s", d->name);
        sv->is_null = 1;
        return 0;
    }
    switch (d->type) {
    case FIELD_TEXT:
        if (!json_is_string(v))
            return gisd_fail(err, GISD_E_INPUT, "property %s is text; give it as a JSON string", d->name);
        sv->text = keep_text(f, json_string_value(v));
        return 0;
    case FIELD_INTEGER:
        if (json_is_integer(v))
            sv->i = json_integer_value(v);
        else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) && fabs(json_real_value(v)) < 9e15)
            sv->i = (long long)json_real_value(v);
        else
            return gisd_fail(err, GISD_E_INPUT, "property %s is a whole number", d->name);
        return 0;
    case FIELD_REAL:
        if (!json_is_number(v) || !isfinite(json_number_value(v)))
            return gisd_fail(err, GISD_E_INPUT, "property %s is a number", d->name);
        sv->d = json_number_value(v);
        return 0;
    case FIELD_BOOLEAN:
        if (!json_is_boolean(v))
            return gisd_fail(err, GISD_E_INPUT, "property %s is true or false", d->name);
        sv->i = json_is_true(v);
        return 0;
    case FIELD_DATE:
    case FIELD_TIMESTAMP: {
        char iso[32];
        if (!json_is_string(v) || (d->type == FIELD_DATE ? field_parse_date(json_string_value(v), iso)
                                                         : field_parse_timestamp(json_string_value(v), iso)) != 0)
            return gisd_fail(err, GISD_E_INPUT, "property %s is %s", d->name,
                             d->type == FIELD_DATE ? "a date (\"YYYY-MM-DD\")" : "a timestamp (ISO 8601)");
        sv->text = keep_text(f, iso);
        return 0;
    }
    }
    return 0;
}

static int kind_fits(geom_kind layer, OGRwkbGeometryType t)
{
    t = wkbFlatten(t);
    switch (layer) {
    case GEOM_POINT: return t == wkbPoint;
    case GEOM_MULTIPOINT: return t == wkbPoint || t == wkbMultiPoint;
    case GEOM_LINESTRING: return t == wkbLineString;
    case GEOM_MULTILINESTRING: return t == wkbLineString || t == wkbMultiLineString;
    case GEOM_POLYGON: return t == wkbPolygon;
    case GEOM_MULTIPOLYGON: return t == wkbPolygon || t == wkbMultiPolygon;
    }
    return 0;
}

/* g (taken) in EPSG:4490, of the layer's kind, valid, as WKB in f. */
static int geometry_of(const layer_def *l, OGRGeometryH g, int crs, int lonlat, edit_feature *f, gisd_error *err)
{
    int rc = 0;
    OGR_G_FlattenTo2D(g);
    if (OGR_G_IsEmpty(g))
        rc = gisd_fail(err, GISD_E_INPUT, "the geometry is empty");
    else if (!kind_fits(l->geometry, OGR_G_GetGeometryType(g)))
        rc = gisd_fail(err, GISD_E_INPUT, "the geometry is a %s; layer %s holds %s", OGRGeometryTypeToName(OGR_G_GetGeometryType(g)), l->id,
                       geom_kind_name(l->geometry));
    if (rc == 0 && !lonlat && crs_northing_first(crs))
        OGR_G_SwapXY(g);
    if (rc == 0 && crs != 4490 && crs != 4326) {
        OGRCoordinateTransformationH t = crs_transform_new(crs, 4490);
        if (!t || OGR_G_Transform(g, t) != OGRERR_NONE)
            rc = gisd_fail(err, GISD_E_INPUT, "the geometry cannot be brought from EPSG:%d to the store's CRS", crs);
        if (t)
            OCTDestroyCoordinateTransformation(t);
    }
    OGREnvelope e;
    if (rc == 0) {
        OGR_G_GetEnvelope(g, &e);
        if (e.MinX < -180 || e.MaxX > 180 || e.MinY < -90 || e.MaxY > 90)
            rc = gisd_fail(err, GISD_E_INPUT, "the geometry lies outside -180..180, -90..90 (its CRS is Content-Crs, "
                                              "CRS84 when none is given)");
    }
    if (rc == 0 && !OGR_G_IsValid(g))
        rc = gisd_fail(err, GISD_E_INPUT, "the geometry is not valid (a ring crossing itself, say); fix it first");
    if (rc == 0 && (l->geometry == GEOM_MULTIPOLYGON || l->geometry == GEOM_MULTILINESTRING ||
                    l->geometry == GEOM_MULTIPOINT)) {
        /* the layer's column holds the Multi kind */
        g = l->geometry == GEOM_MULTIPOLYGON ? OGR_G_ForceToMultiPolygon(g)
            : l->geometry == GEOM_MULTILINESTRING ? OGR_G_ForceToMultiLineString(g)
                                                   : OGR_G_ForceToMultiPoint(g);
    }
    if (rc == 0) {
        f->wkb_len = (size_t)OGR_G_WkbSize(g);
        f->wkb = xmalloc(f->wkb_len ? f->wkb_len : 1);
        if (OGR_G_ExportToWkb(g, wkbNDR, f->wkb) != OGRERR_NONE)
            rc = gisd_fail(err, GISD_E_INTERNAL, "OGR cannot write the geometry as WKB");
    }
    OGR_G_DestroyGeometry(g);
    return rc;
}

int edit_feature_parse(const layer_def *l, json_t *feature, int crs, int lonlat, edit_feature *out, gisd_error *err)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(feature) || !json_is_string(json_object_get(feature, "type")) ||
        strcmp(json_string_value(json_object_get(feature, "type")), "Feature") != 0)
        return gisd_fail(err, GISD_E_INPUT, "the body must be a GeoJSON Feature");
    json_t *props = json_object_get(feature, "properties"), *geometry = json_object_get(feature, "geometry");
    if (props && !json_is_null(props) && !json_is_object(props))
        return gisd_fail(err, GISD_E_INPUT, "properties must be an object");
    const char *k;
    json_t *v;
    json_object_foreach(props, k, v) {
        if (layer_field_index(l, k) < 0) {
            strbuf names = {0};
            for (size_t i = 0; i < l->nfields; i++)
                strbuf_printf(&names, "%s%s", i ? ", " : "", l->fields[i].name);
            gisd_fail(err, GISD_E_INPUT, "property %s is not a field of %s; its fields are %s", k, l->id, names.data);
            strbuf_free(&names);
            return -1;
        }
    }
    out->values = xcalloc(l->nfields, sizeof *out->values);
    /* the Feature's id stands for the id field when the properties lack it */
    json_t *fid = json_object_get(feature, "id"), *pid = l->id_field ? json_object_get(props, l->id_field) : NULL;
    if (fid && !json_is_null(fid) && pid && !json_is_null(pid) && !json_equal(fid, pid)) {
        edit_feature_free(out);
        return gisd_fail(err, GISD_E_INPUT, "the Feature's id and its %s differ", l->id_field);
    }
    for (size_t i = 0; i < l->nfields; i++) {
        json_t *value = json_object_get(props, l->fields[i].name);
        if (i == l->id_index && (!value || json_is_null(value)))
            value = fid;
        if (field_value(l, i, value, out, err) != 0) {
            edit_feature_free(out);
            return -1;
        }
    }
    const store_value *idv = l->id_field ? &out->values[l->id_index] : NULL;
    if (idv && idv->text && strlen(idv->text) > STORE_ID_MAX) {
        edit_feature_free(out);
        return gisd_fail(err, GISD_E_INPUT, "the feature's %s is over %d bytes", l->id_field, STORE_ID_MAX);
    }
    if (!idv)
        out->id[0] = 0; /* the store numbers it */
    else if (idv->text)
        snprintf(out->id, sizeof out->id, "%s", idv->text);
    else
        snprintf(out->id, sizeof out->id, "%lld", l->fields[l->id_index].type == FIELD_INTEGER ? idv->i : (long long)idv->d);
    if (!json_is_object(geometry)) {
        edit_feature_free(out);
        return gisd_fail(err, GISD_E_INPUT, "the feature needs a geometry (%s)", geom_kind_name(l->geometry));
    }
    char *text = json_dumps(geometry, JSON_COMPACT);
    OGRGeometryH g = OGR_G_CreateGeometryFromJson(text);
    free(text);
    if (!g) {
        edit_feature_free(out);
        return gisd_fail(err, GISD_E_INPUT, "the geometry is not GeoJSON OGR can read");
    }
    if (geometry_of(l, g, crs, lonlat, out, err) != 0) {
        edit_feature_free(out);
        return -1;
    }
    return 0;
}

json_t *edit_merge_patch(json_t *target, json_t *patch)
{
    if (!json_is_object(patch))
        return json_deep_copy(patch);
    json_t *out = json_is_object(target) ? json_deep_copy(target) : json_object();
    const char *k;
    json_t *v;
    json_object_foreach(patch, k, v) {
        if (json_is_null(v))
            json_object_del(out, k);
        else
            json_object_set_new(out, k, edit_merge_patch(json_object_get(out, k), v));
    }
    return out;
}

int edit_token_new(char out[65], gisd_error *err)
{
    unsigned char raw[32];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        return gisd_fail(err, GISD_E_INTERNAL, "the system gave no random bytes for the token");
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

void edit_token_hash(const char *token, char out[65])
{
    digest_sha256_hex(token, out);
}

/* 1 when the list of scopes (space-separated) holds one equal to want. */
static int holds(const char *scopes, const char *want)
{
    size_t n = strlen(want);
    for (const char *p = scopes; *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && strncmp(p, want, n) == 0)
            return 1;
        p += len + (p[len] == ' ');
    }
    return 0;
}

int edit_scope_allows(const char *scope, const char *layer)
{
    if (holds(scope, "admin"))
        return 1;
    size_t n = strlen(layer);
    for (const char *s = scope; *s;) {
        size_t slen = strcspn(s, " ");
        if (slen > 6 && strncmp(s, "write:", 6) == 0 && strncmp(s, "write:scenario", 14) != 0)
            for (const char *p = s + 6; p < s + slen;) {
                size_t len = strcspn(p, ", ");
                if (len == n && strncmp(p, layer, n) == 0)
                    return 1;
                p += len + (p[len] == ',');
            }
        s += slen + (s[slen] == ' ');
    }
    return 0;
}

int edit_scope_allows_scenario(const char *scope, const char *sid, int admin)
{
    if (holds(scope, "admin") || holds(scope, "admin:scenarios"))
        return 1;
    if (admin)
        return 0;
    char one[96];
    snprintf(one, sizeof one, "write:scenario:%s", sid);
    return holds(scope, "write:scenarios") || holds(scope, one);
}

int edit_scope_admin(const char *scope) { return holds(scope, "admin"); }

int edit_scope_allows_opinions(const char *scope) { return holds(scope, "admin") || holds(scope, "issue:opinions"); }

int edit_scope_valid(const layer_registry *reg, const char *scope, gisd_error *err)
{
    if (!*scope)
        return gisd_fail(err, GISD_E_INPUT, "--scope must not be empty"), 0;
    for (const char *s = scope; *s;) {
        size_t slen = strcspn(s, " ");
        char one[512];
        snprintf(one, sizeof one, "%.*s", (int)(slen < 511 ? slen : 511), s);
        s += slen + (s[slen] == ' ');
        if (!strcmp(one, "admin") || !strcmp(one, "admin:scenarios") || !strcmp(one, "write:scenarios") ||
            !strcmp(one, "issue:opinions") ||
            (!strncmp(one, "write:scenario:", 15) && store_scenario_id_ok(one + 15)))
            continue;
        if (strncmp(one, "write:", 6) != 0 || !one[6])
            return gisd_fail(err, GISD_E_INPUT,
                             "--scope \"%s\" must be admin, write:LAYER,LAYER, admin:scenarios, write:scenarios, "
                             "write:scenario:SID or issue:opinions", one),
                   0;
        for (const char *p = one + 6; *p;) {
            size_t len = strcspn(p, ",");
            char id[128];
            snprintf(id, sizeof id, "%.*s", (int)(len < 127 ? len : 127), p);
            if (!layer_registry_find(reg, id))
                return gisd_fail(err, GISD_E_INPUT, "--scope names \"%s\", which is not a layer", id), 0;
            p += len + (p[len] == ',');
        }
    }
    return 1;
}

/* The changes to feature of layer made after change, as "change 59, change 61" into
 * *list (malloc'd, NULL when none); 0 or -1 with err. */
/* The scenario a history row was written in: the "scenario S" of its note,
 * or NULL for the baseline (the note of an import says something else). */
static const char *scenario_of(json_t *row)
{
    const char *note = json_string_value(json_object_get(row, "note"));
    return note && strncmp(note, "scenario ", 9) == 0 ? note + 9 : NULL;
}

/* 1 when rows a and b were written in the same scenario (or both in the baseline). */
static int same_scenario(json_t *a, json_t *b)
{
    const char *x = scenario_of(a), *y = scenario_of(b);
    return x == y || (x && y && strcmp(x, y) == 0);
}

static int later_changes(store *s, const char *layer, const char *feature, long long change, json_t *of, char **list,
                         gisd_error *err)
{
    *list = NULL;
    json_t *rows = NULL;
    if (store_history(s, layer, feature, 0, &rows, err) != 0)
        return -1;
    strbuf b = {0};
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        long long c = json_integer_value(json_object_get(row, "change"));
        if (c > change && same_scenario(row, of)) /* a scenario's changes are its own */
            strbuf_printf(&b, "%schange %lld", b.len ? ", " : "", c);
    }
    json_decref(rows);
    *list = b.data;
    return 0;
}

int edit_revert(store *s, const layer_registry *reg, long long change, int cascade, const char *who,
                long long *undo, gisd_error *err)
{
    *undo = 0;
    json_t *rows = NULL;
    if (change <= 0)
        return gisd_fail(err, GISD_E_INPUT, "--change must be a change number of gisd history");
    if (store_history(s, NULL, NULL, change, &rows, err) != 0)
        return -1;
    json_t *row = json_array_get(rows, 0);
    int rc = 0;
    if (!row) {
        rc = gisd_fail(err, GISD_E_NOTFOUND, "there is no change %lld; see gisd history", change);
    } else {
        const char *action = json_string_value(json_object_get(row, "action"));
        const layer_def *l = layer_registry_find(reg, json_string_value(json_object_get(row, "layer")));
        json_t *before = json_object_get(row, "before"), *after = json_object_get(row, "after");
        const char *feature = json_string_value(json_object_get(row, "feature"));
        char *later = NULL;
        if (strcmp(action, "import") == 0)
            rc = gisd_fail(err, GISD_E_INPUT, "change %lld is an import (%s): import the file again instead", change,
                           json_string_value(json_object_get(row, "note")));
        else if (!l || !feature)
            rc = gisd_fail(err, GISD_E_INPUT, "change %lld names no layer of this registry", change);
        else if (scenario_of(row) && store_set_scenario(s, scenario_of(row), err) != 0)
            rc = -1; /* a change of a dropped scenario cannot be undone */
        else if (later_changes(s, l->id, feature, change, row, &later, err) != 0)
            rc = -1;
        else if (later && !cascade)
            /* undoing it alone would lose what they wrote over it */
            rc = gisd_fail(err, GISD_E_CONFLICT,
                           "feature %s was changed again after change %lld (%s); revert those first, "
                           "or revert with --cascade to undo them all",
                           feature, change, later);
        if (rc == 0) {
            /* without later changes the feature must be as the change left it
             * (created or replaced, not deleted); with --cascade, as the last
             * one left it, whatever that was: it goes back to before change */
            char *now = NULL, etag[65], after_etag[65] = "";
            store_found found = store_feature_state(s, l, feature, &now, etag, err);
            if (found == STORE_FAILED)
                rc = -1;
            else if (!later && ((json_is_null(after) && found == STORE_FOUND) ||
                                (!json_is_null(after) && found == STORE_ABSENT)))
                rc = gisd_fail(err, GISD_E_STALE, "feature %s was %s after change %lld; revert the later changes first",
                               feature, found == STORE_FOUND ? "created again" : "deleted", change);
            else if (json_is_null(before) && found == STORE_ABSENT)
                rc = gisd_fail(err, GISD_E_STALE, "feature %s is already absent, as before change %lld", feature,
                               change);
            edit_feature ef = {0};
            store_edit e = {.feature_id = feature, .who = who, .action = "revert", .if_match = found == STORE_FOUND ? etag : NULL};
            if (rc == 0 && json_is_object(before) &&
                edit_feature_parse(l, before, 4326, 1, &ef, err) != 0)
                rc = -1;
            if (rc == 0) {
                e.kind = json_is_null(before) ? STORE_DELETE : found == 0 ? STORE_REPLACE : STORE_CREATE;
                e.values = ef.values;
                e.wkb = ef.wkb;
                e.wkb_len = ef.wkb_len;
                rc = store_edit_apply(s, l, &e, undo, after_etag, NULL, err);
            }
            edit_feature_free(&ef);
            free(now);
        }
        free(later);
    }
    json_decref(rows);
    gisd_error ignore = {0};
    store_set_scenario(s, NULL, &ignore);
    return rc;
}

/* One change of the adoption: the feature (layer, id) as scenario sid has
 * it, written to the store's current scenario (the base) by who. */
static int adopt_one(store *s, const layer_registry *reg, const char *sid, const char *base, json_t *change,
                     const char *who, long long *number, gisd_error *err)
{
    const layer_def *l = layer_registry_find(reg, json_string_value(json_object_get(change, "layer")));
    const char *id = json_string_value(json_object_get(change, "id")), *op = json_string_value(json_object_get(change, "op"));
    if (!l)
        return gisd_fail(err, GISD_E_INPUT, "scenario %s changes a layer this registry lacks", sid);
    char *text = NULL, etag[65], new_etag[65];
    int rc = store_set_scenario(s, sid, err);
    if (rc == 0 && strcmp(op, "delete") != 0 && store_feature_state(s, l, id, &text, etag, err) != STORE_FOUND)
        rc = -1;
    if (rc == 0)
        rc = store_set_scenario(s, base, err);
    edit_feature ef = {0};
    json_t *feature = text ? json_loads(text, 0, NULL) : NULL;
    if (rc == 0 && feature && edit_feature_parse(l, feature, 4326, 1, &ef, err) != 0)
        rc = -1;
    store_edit e = {.kind = strcmp(op, "add") == 0 ? STORE_CREATE : strcmp(op, "delete") == 0 ? STORE_DELETE : STORE_REPLACE,
                    .feature_id = id, .values = ef.values, .wkb = ef.wkb, .wkb_len = ef.wkb_len, .who = who,
                    .action = "adopt"};
    if (rc == 0)
        rc = store_edit_apply(s, l, &e, number, new_etag, NULL, err);
    edit_feature_free(&ef);
    json_decref(feature);
    free(text);
    return rc;
}

int edit_adopt(store *s, const layer_registry *reg, const char *sid, const char *who, json_t **history,
               json_t **conflicts, gisd_error *err)
{
    *history = NULL;
    *conflicts = NULL;
    json_t *sc = NULL, *changes = NULL, *c = NULL;
    if (store_scenario_get(s, sid, &sc, err) != 0)
        return -1;
    char base[80];
    snprintf(base, sizeof base, "%s", json_string_value(json_object_get(sc, "base")));
    json_decref(sc);
    if (store_scenario_conflicts(s, sid, &c, err) != 0)
        return -1;
    if (json_array_size(c) > 0) {
        *conflicts = c;
        return gisd_fail(err, GISD_E_CONFLICT, "scenario %s has %zu change(s) whose base changed since: see conflicts",
                         sid, json_array_size(c));
    }
    json_decref(c);
    if (store_scenario_changes(s, sid, &changes, err) != 0 || store_batch_begin(s, err) != 0) {
        json_decref(changes);
        return -1;
    }
    json_t *numbers = json_array();
    int rc = 0;
    size_t i;
    json_t *change;
    json_array_foreach(changes, i, change) {
        long long n = 0;
        if ((rc = adopt_one(s, reg, sid, base, change, who, &n, err)) != 0)
            break;
        json_array_append_new(numbers, json_integer(n));
    }
    gisd_error ignore = {0};
    store_set_scenario(s, NULL, &ignore);
    if (rc == 0) /* what the base now holds is no change of the scenario any more */
        rc = store_scenario_clear(s, sid, err);
    json_decref(changes);
    if (store_batch_end(s, rc == 0, err) != 0 || rc != 0) {
        json_decref(numbers);
        return -1;
    }
    *history = numbers;
    return 0;
}

/* The ids of layer l as s reads it, in a JSON object (id: true). */
static json_t *ids_of(store *s, const layer_def *l, gisd_error *err)
{
    store_query q = {.limit = -1, .geom_format = STORE_GEOM_NONE};
    store_cursor *c;
    if (store_cursor_open(s, l, &q, &c, err) != 0)
        return NULL;
    json_t *ids = json_object();
    int more;
    while ((more = store_cursor_next(c, err)) == 1)
        json_object_set_new(ids, store_cursor_text(c, l->id_index), json_true());
    store_cursor_free(c);
    if (more < 0) {
        json_decref(ids);
        return NULL;
    }
    return ids;
}

/* Writes the feature of l with id as src holds it into dst, as kind. */
static int copy_feature(store *dst, store *src, const layer_def *l, const char *id, store_edit_kind kind,
                        const char *who, gisd_error *err)
{
    char *text = NULL, etag[65];
    if (store_feature_state(src, l, id, &text, etag, err) != STORE_FOUND) {
        free(text);
        return -1;
    }
    json_t *f = json_loads(text, 0, NULL);
    free(text);
    edit_feature ef = {0};
    int rc = f ? edit_feature_parse(l, f, 4326, 1, &ef, err) : gisd_fail(err, GISD_E_INTERNAL, "a stored feature is not JSON");
    json_decref(f);
    store_edit e = {.kind = kind, .feature_id = id, .values = ef.values, .wkb = ef.wkb, .wkb_len = ef.wkb_len,
                    .who = who, .action = "import"};
    long long change;
    char new_etag[65];
    if (rc == 0)
        rc = store_edit_apply(dst, l, &e, &change, new_etag, NULL, err);
    edit_feature_free(&ef);
    return rc;
}

/* 1 when the GeoJSON texts a and b (two stores may write the same feature
 * in different words) hold the same values and geometry of l. */
static int same_feature(const layer_def *l, const char *a, const char *b)
{
    json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);
    edit_feature fa = {0}, fb = {0};
    gisd_error ignore = {0};
    int same = ja && jb && edit_feature_parse(l, ja, 4326, 1, &fa, &ignore) == 0 &&
               edit_feature_parse(l, jb, 4326, 1, &fb, &ignore) == 0 && fa.wkb_len == fb.wkb_len &&
               memcmp(fa.wkb, fb.wkb, fa.wkb_len) == 0;
    for (size_t i = 0; same && i < l->nfields; i++) {
        const store_value *x = &fa.values[i], *y = &fb.values[i];
        field_type t = l->fields[i].type;
        same = x->is_null == y->is_null &&
               (x->is_null || (t == FIELD_INTEGER || t == FIELD_BOOLEAN ? x->i == y->i
                               : t == FIELD_REAL                       ? fabs(x->d - y->d) <= 1e-9 * fmax(1, fabs(x->d))
                                                                       : strcmp(x->text, y->text) == 0));
    }
    edit_feature_free(&fa);
    edit_feature_free(&fb);
    json_decref(ja);
    json_decref(jb);
    return same;
}

int edit_layer_into_scenario(store *dst, store *src, const layer_def *l, const char *who, long counts[3],
                             gisd_error *err)
{
    counts[0] = counts[1] = counts[2] = 0;
    if (!l->id_field)
        return gisd_fail(err, GISD_E_INPUT, "a scenario changes features by their id: %s has no id field", l->id);
    json_t *want = ids_of(src, l, err), *have = want ? ids_of(dst, l, err) : NULL;
    int rc = want && have ? store_batch_begin(dst, err) : -1;
    const char *id;
    json_t *v;
    if (rc == 0)
        json_object_foreach(want, id, v) {
            char *a = NULL, *b = NULL, ea[65], eb[65];
            if (!json_object_get(have, id)) {
                rc = copy_feature(dst, src, l, id, STORE_CREATE, who, err);
                counts[0]++;
            } else if (store_feature_state(src, l, id, &a, ea, err) != STORE_FOUND ||
                       store_feature_state(dst, l, id, &b, eb, err) != STORE_FOUND) {
                rc = -1;
            } else if (strcmp(ea, eb) != 0 && !same_feature(l, a, b)) {
                rc = copy_feature(dst, src, l, id, STORE_REPLACE, who, err);
                counts[1]++;
            }
            free(a);
            free(b);
            if (rc != 0)
                break;
        }
    if (rc == 0)
        json_object_foreach(have, id, v) {
            if (json_object_get(want, id))
                continue;
            long long change;
            char etag[65];
            store_edit e = {.kind = STORE_DELETE, .feature_id = id, .who = who, .action = "import"};
            if ((rc = store_edit_apply(dst, l, &e, &change, etag, NULL, err)) != 0)
                break;
            counts[2]++;
        }
    if (want && have && store_batch_end(dst, rc == 0, err) != 0)
        rc = -1;
    json_decref(want);
    json_decref(have);
    return rc;
}
