/* Plan scenarios over the store's primitives, for both backends: a
 * scenario's changes are rows of gisd_changes (one a feature added,
 * replaced or deleted), a layer in a scenario is its table with the
 * changes of the scenario and its bases over it (store_sql_layer_from),
 * and an edit in a scenario writes a row there, with its history row. */
#include "store_backend.h"

#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpl_conv.h"
#include "digest.h"
#include "store_cql.h"
#include "xalloc.h"

#define CHAIN_MAX 32

int store_scenario_id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n < 1 || n > 64 || strcmp(id, "baseline") == 0)
        return 0;
    for (const char *c = id; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
              *c == '-'))
            return 0;
    return 1;
}

int store_in_scenario(const store *s) { return s->chain_in != NULL; }
const char *store_scenario(const store *s) { return s->scenario[0] ? s->scenario : "baseline"; }

/* 1 when the scenario tables exist, 0 when not, -1 with err. */
static int tables(store *s, gisd_error *err) { return s->ops->has_table(s, "gisd_scenarios", err); }

static int query(store *s, const char *sql, int n, const char *const *p, json_t **rows, gisd_error *err)
{
    return s->ops->sql_query(s, sql, n, p, rows, err);
}

static const char *cell(json_t *rows, size_t i, size_t c) { return json_string_value(json_array_get(json_array_get(rows, i), c)); }

/* The chain of scenario id: itself, then its bases up to the baseline
 * (ids malloc'd into chain, *n of them): 0, or -1 with err. */
static int chain_of(store *s, const char *id, char *chain[CHAIN_MAX], size_t *n, gisd_error *err)
{
    *n = 0;
    int t = tables(s, err);
    if (t < 0)
        return -1;
    const char *at = id;
    json_t *rows = NULL;
    while (at && strcmp(at, "baseline") != 0) {
        if (*n == CHAIN_MAX) {
            json_decref(rows);
            return gisd_fail(err, GISD_E_INPUT, "scenario %s has more than %d bases", id, CHAIN_MAX);
        }
        json_t *r = NULL;
        const char *p[1] = {at};
        if (t == 0 || query(s, "SELECT base FROM gisd_scenarios WHERE id = ?", 1, p, &r, err) != 0 ||
            json_array_size(r) == 0) {
            int failed = t != 0 && !r;
            json_decref(r);
            json_decref(rows);
            return failed ? -1 : gisd_fail(err, GISD_E_NOTFOUND, "there is no scenario \"%s\"; see /scenarios", at);
        }
        chain[(*n)++] = xstrdup(at);
        json_decref(rows);
        rows = r;
        at = cell(rows, 0, 0);
        for (size_t k = 0; at && k < *n; k++)
            if (strcmp(chain[k], at) == 0) {
                json_decref(rows);
                return gisd_fail(err, GISD_E_INPUT, "the bases of scenario %s go round in a circle", id);
            }
    }
    json_decref(rows);
    return 0;
}

static void chain_free(char *chain[CHAIN_MAX], size_t n)
{
    for (size_t k = 0; k < n; k++)
        free(chain[k]);
}

int store_set_scenario(store *s, const char *id, gisd_error *err)
{
    sqlite3_free(s->chain_in);
    sqlite3_free(s->chain_rank);
    s->chain_in = s->chain_rank = NULL;
    s->scenario[0] = 0;
    if (!id || !*id || strcmp(id, "baseline") == 0)
        return 0;
    if (!store_scenario_id_ok(id))
        return gisd_fail(err, GISD_E_INPUT, "\"%.80s\" is no scenario id: [A-Za-z0-9_-], 1 to 64 of them", id);
    char *chain[CHAIN_MAX];
    size_t n;
    if (chain_of(s, id, chain, &n, err) != 0)
        return -1;
    sqlite3_str *in = sqlite3_str_new(NULL), *rank = sqlite3_str_new(NULL);
    sqlite3_str_appendall(rank, "CASE %1$s.scenario");
    for (size_t k = 0; k < n; k++) {
        sqlite3_str_appendf(in, "%s%Q", k ? ", " : "", chain[k]);
        sqlite3_str_appendf(rank, " WHEN %Q THEN %d", chain[k], (int)k);
    }
    sqlite3_str_appendall(rank, " END");
    s->chain_in = store_sql_finish(in);
    s->chain_rank = store_sql_finish(rank);
    snprintf(s->scenario, sizeof s->scenario, "%s", id);
    chain_free(chain, n);
    return 0;
}

/* The rank of alias's scenario in the chain, as SQL. */
static void rank_of(sqlite3_str *b, const store *s, const char *alias)
{
    const char *t = s->chain_rank;
    const char *mark = strstr(t, "%1$s");
    sqlite3_str_appendf(b, "%.*s%s%s", (int)(mark - t), t, alias, mark + 4);
}

void store_sql_layer_from(sqlite3_str *b, const store *s, const layer_def *l)
{
    store_sql_layer_from_where(b, s, l, NULL, NULL);
}

void store_sql_layer_from_where(sqlite3_str *b, const store *s, const layer_def *l, const char *base_cond,
                                const char *change_cond)
{
    if (!s->chain_in) {
        sqlite3_str_appendf(b, "\"%w\"", l->id);
        return;
    }
    /* the table less every feature the chain changed, and each changed
     * feature as the nearest scenario of the chain left it */
    sqlite3_str_appendall(b, "(SELECT ");
    for (size_t i = 0; i < l->nfields; i++)
        sqlite3_str_appendf(b, "\"%w\", ", l->fields[i].name);
    sqlite3_str_appendf(b, "geom, fid FROM \"%w\" WHERE %s%sCAST(\"%w\" AS TEXT) NOT IN (SELECT feature_id FROM"
                           " gisd_changes WHERE layer = %Q AND scenario IN (%s)) UNION ALL SELECT ",
                        l->id, base_cond ? base_cond : "", base_cond ? " AND " : "", layer_id_column(l), l->id,
                        s->chain_in);
    for (size_t i = 0; i < l->nfields; i++) {
        s->ops->sql_prop(b, "c", &l->fields[i]);
        sqlite3_str_appendf(b, " AS \"%w\", ", l->fields[i].name);
    }
    sqlite3_str_appendf(b, "c.geom AS geom, c.fid + 1000000000000 AS fid FROM gisd_changes c WHERE %s%sc.layer = %Q"
                           " AND c.scenario IN (%s) AND c.op <> 'delete' AND NOT EXISTS (SELECT 1 FROM gisd_changes d"
                           " WHERE d.layer = c.layer AND d.feature_id = c.feature_id AND ",
                        change_cond ? change_cond : "", change_cond ? " AND " : "", l->id, s->chain_in);
    rank_of(b, s, "d");
    sqlite3_str_appendall(b, " < ");
    rank_of(b, s, "c");
    sqlite3_str_appendf(b, ")) AS \"%w\"", l->id);
}

int store_scenario_create(store *s, const char *id, const char *title, const char *description, const char *base,
                          const char *who, gisd_error *err)
{
    if (!store_scenario_id_ok(id))
        return gisd_fail(err, GISD_E_INPUT, "\"%.80s\" is no scenario id: [A-Za-z0-9_-], 1 to 64 of them, not baseline",
                         id ? id : "");
    if (!title || !*title)
        return gisd_fail(err, GISD_E_INPUT, "scenario %s needs a title", id);
    base = base && *base ? base : "baseline";
    if (strcmp(base, id) == 0)
        return gisd_fail(err, GISD_E_INPUT, "scenario %s cannot be its own base", id);
    if (s->ops->begin(s, err) != 0)
        return -1;
    int rc = 0, t = tables(s, err);
    for (const char *const *d = s->ops->scenario_ddl; t == 0 && rc == 0 && *d; d++)
        rc = query(s, *d, 0, NULL, NULL, err);
    if (t < 0)
        rc = -1;
    char *chain[CHAIN_MAX];
    size_t n = 0;
    if (rc == 0 && strcmp(base, "baseline") != 0 && chain_of(s, base, chain, &n, err) != 0)
        rc = err->code == GISD_E_NOTFOUND ? gisd_fail(err, GISD_E_INPUT, "the base \"%s\" is no scenario", base) : -1;
    chain_free(chain, n);
    json_t *taken = NULL;
    const char *p1[1] = {id};
    if (rc == 0 && (rc = query(s, "SELECT id FROM gisd_scenarios WHERE id = ?", 1, p1, &taken, err)) == 0 &&
        json_array_size(taken) > 0)
        rc = gisd_fail(err, GISD_E_CONFLICT, "there is a scenario \"%s\" already", id);
    json_decref(taken);
    char now[32];
    store_utc_now(now, sizeof now);
    const char *p[7] = {id, title, description, base, now, now, who ? who : "cli"};
    if (rc == 0)
        rc = query(s, "INSERT INTO gisd_scenarios (id, title, description, base, created, updated, who)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?)", 7, p, NULL, err);
    if (rc == 0)
        return s->ops->commit(s, err);
    s->ops->rollback(s);
    return -1;
}

/* The scenario rows (all, or id's), each as {id, title, ...}; NULL with err. */
static json_t *scenarios(store *s, const char *id, gisd_error *err)
{
    int t = tables(s, err);
    if (t <= 0)
        return t < 0 ? NULL : json_array();
    json_t *rows;
    const char *p[1] = {id};
    if (query(s, id ? "SELECT id, title, description, base, created, updated, who FROM gisd_scenarios WHERE id = ?"
                    : "SELECT id, title, description, base, created, updated, who FROM gisd_scenarios ORDER BY id",
              id ? 1 : 0, p, &rows, err) != 0)
        return NULL;
    json_t *out = json_array();
    static const char *const K[] = {"id", "title", "description", "base", "created", "updated", "who"};
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *o = json_object();
        for (size_t k = 0; k < 7; k++)
            json_object_set(o, K[k], json_array_get(json_array_get(rows, i), k));
        json_array_append_new(out, o);
    }
    json_decref(rows);
    return out;
}

int store_scenario_list(store *s, json_t **out, gisd_error *err)
{
    if (!(*out = scenarios(s, NULL, err)))
        return -1;
    json_t *counts;
    if (json_array_size(*out) == 0)
        return 0;
    if (query(s, "SELECT scenario, layer, count(*) FROM gisd_changes GROUP BY scenario, layer", 0, NULL, &counts,
              err) != 0) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    size_t i;
    json_t *sc;
    json_array_foreach(*out, i, sc) {
        json_t *c = json_object();
        for (size_t k = 0; k < json_array_size(counts); k++)
            if (strcmp(cell(counts, k, 0), json_string_value(json_object_get(sc, "id"))) == 0)
                json_object_set_new(c, cell(counts, k, 1), json_integer(strtoll(cell(counts, k, 2), NULL, 10)));
        json_object_set_new(sc, "changes", c);
    }
    json_decref(counts);
    return 0;
}

/* {added, replaced, deleted} of layer in o, made when absent. */
static json_t *lists_of(json_t *o, const char *layer)
{
    json_t *l = json_object_get(o, layer);
    if (!l) {
        l = json_pack("{s:[], s:[], s:[]}", "added", "replaced", "deleted");
        json_object_set_new(o, layer, l);
    }
    return l;
}

static int by_text(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* Sorts every id list of o. */
static void sort_lists(json_t *o)
{
    const char *layer, *k;
    json_t *l, *list;
    json_object_foreach(o, layer, l) json_object_foreach(l, k, list)
    {
        size_t n = json_array_size(list);
        json_t **v = xcalloc(n ? n : 1, sizeof *v);
        for (size_t i = 0; i < n; i++)
            v[i] = json_incref(json_array_get(list, i));
        qsort(v, n, sizeof *v, by_text);
        json_array_clear(list);
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list, v[i]);
        free(v);
    }
}

int store_scenario_get(store *s, const char *id, json_t **out, gisd_error *err)
{
    *out = NULL;
    json_t *list = scenarios(s, id, err);
    if (!list)
        return -1;
    if (json_array_size(list) == 0) {
        json_decref(list);
        return gisd_fail(err, GISD_E_NOTFOUND, "there is no scenario \"%s\"; see /scenarios", id);
    }
    json_t *sc = json_incref(json_array_get(list, 0)), *rows;
    json_decref(list);
    const char *p[1] = {id};
    if (query(s, "SELECT layer, feature_id, op FROM gisd_changes WHERE scenario = ?", 1, p, &rows, err) != 0) {
        json_decref(sc);
        return -1;
    }
    json_t *changes = json_object();
    for (size_t i = 0; i < json_array_size(rows); i++) {
        const char *op = cell(rows, i, 2);
        json_array_append_new(json_object_get(lists_of(changes, cell(rows, i, 0)),
                                              strcmp(op, "add") == 0       ? "added"
                                              : strcmp(op, "delete") == 0 ? "deleted"
                                                                          : "replaced"),
                              json_string(cell(rows, i, 1)));
    }
    json_decref(rows);
    sort_lists(changes);
    json_object_set_new(sc, "changes", changes);
    *out = sc;
    return 0;
}

int store_scenario_drop(store *s, const char *id, gisd_error *err)
{
    json_t *one = scenarios(s, id, err), *on = NULL;
    if (!one)
        return -1;
    size_t found = json_array_size(one);
    json_decref(one);
    if (!found)
        return gisd_fail(err, GISD_E_NOTFOUND, "there is no scenario \"%s\"; see /scenarios", id);
    const char *p[1] = {id};
    if (s->ops->begin(s, err) != 0)
        return -1;
    int rc = query(s, "SELECT id FROM gisd_scenarios WHERE base = ? ORDER BY id", 1, p, &on, err);
    if (rc == 0 && json_array_size(on) > 0)
        rc = gisd_fail(err, GISD_E_CONFLICT, "scenario %s is the base of %s: drop that first", id, cell(on, 0, 0));
    json_decref(on);
    if (rc == 0)
        rc = query(s, "DELETE FROM gisd_changes WHERE scenario = ?", 1, p, NULL, err);
    if (rc == 0)
        rc = query(s, "DELETE FROM gisd_scenarios WHERE id = ?", 1, p, NULL, err);
    if (rc == 0)
        return s->ops->commit(s, err);
    s->ops->rollback(s);
    return -1;
}

/* The feature (layer l, id) as scenario sid reads it: its GeoJSON text
 * (the caller's) or NULL when absent; -1 with err. */
static int feature_in(store *s, const char *sid, const layer_def *l, const char *id, char **geojson, char etag[65],
                      gisd_error *err)
{
    *geojson = NULL;
    if (store_set_scenario(s, sid, err) != 0)
        return -1;
    return store_feature_state(s, l, id, geojson, etag, err) == STORE_FAILED ? -1 : 0;
}

int store_scenario_diff(store *s, const char *a, const char *b, json_t **out, gisd_error *err)
{
    *out = NULL;
    char *ca[CHAIN_MAX], *cb[CHAIN_MAX];
    size_t na = 0, nb = 0;
    if ((strcmp(a, "baseline") != 0 && chain_of(s, a, ca, &na, err) != 0))
        return -1;
    if (strcmp(b, "baseline") != 0 && chain_of(s, b, cb, &nb, err) != 0) {
        chain_free(ca, na);
        return -1;
    }
    /* only what a scenario of either chain changed can differ */
    sqlite3_str *in = sqlite3_str_new(NULL);
    sqlite3_str_appendall(in, "SELECT DISTINCT layer, feature_id FROM gisd_changes WHERE scenario IN (''");
    for (size_t k = 0; k < na; k++)
        sqlite3_str_appendf(in, ", %Q", ca[k]);
    for (size_t k = 0; k < nb; k++)
        sqlite3_str_appendf(in, ", %Q", cb[k]);
    sqlite3_str_appendall(in, ")");
    chain_free(ca, na);
    chain_free(cb, nb);
    char *sql = store_sql_finish(in);
    json_t *rows = NULL;
    int rc = na + nb == 0 ? 0 : query(s, sql, 0, NULL, &rows, err);
    sqlite3_free(sql);
    json_t *changes = json_object();
    for (size_t i = 0; rc == 0 && i < json_array_size(rows); i++) {
        const layer_def *l = layer_registry_find(s->reg, cell(rows, i, 0));
        if (!l)
            continue;
        const char *id = cell(rows, i, 1);
        char *fa = NULL, *fb = NULL, ea[65], eb[65];
        rc = feature_in(s, a, l, id, &fa, ea, err);
        if (rc == 0)
            rc = feature_in(s, b, l, id, &fb, eb, err);
        if (rc == 0 && (fa || fb) && !(fa && fb && strcmp(ea, eb) == 0))
            json_array_append_new(json_object_get(lists_of(changes, l->id), fa && fb ? "replaced" : fa ? "added"
                                                                                                    : "deleted"),
                                  json_string(id));
        free(fa);
        free(fb);
    }
    json_decref(rows);
    gisd_error ignore = {0};
    store_set_scenario(s, NULL, &ignore);
    if (rc != 0) {
        json_decref(changes);
        return -1;
    }
    sort_lists(changes);
    *out = changes;
    return 0;
}

int store_scenario_conflicts(store *s, const char *id, json_t **out, gisd_error *err)
{
    *out = NULL;
    json_t *sc = NULL, *rows = NULL;
    if (store_scenario_get(s, id, &sc, err) != 0)
        return -1;
    const char *base = json_string_value(json_object_get(sc, "base"));
    const char *p[1] = {id};
    int rc = query(s, "SELECT layer, feature_id, op, base_etag FROM gisd_changes WHERE scenario = ? ORDER BY layer, feature_id",
                   1, p, &rows, err);
    json_t *list = json_array();
    for (size_t i = 0; rc == 0 && i < json_array_size(rows); i++) {
        const layer_def *l = layer_registry_find(s->reg, cell(rows, i, 0));
        if (!l)
            continue;
        const char *fid = cell(rows, i, 1), *op = cell(rows, i, 2), *was = cell(rows, i, 3);
        char *now = NULL, *mine = NULL, etag[65], mine_etag[65];
        rc = feature_in(s, base, l, fid, &now, etag, err);
        /* added where the base now has one, or changed where the base's changed or went */
        int conflict = rc == 0 && (strcmp(op, "add") == 0 ? now != NULL : !now || !was || strcmp(etag, was) != 0);
        if (conflict && (rc = feature_in(s, id, l, fid, &mine, mine_etag, err)) == 0) {
            json_t *c = json_pack("{s:s, s:s}", "layer", l->id, "id", fid);
            json_object_set_new(c, "scenario", mine ? json_loads(mine, 0, NULL) : json_null());
            json_object_set_new(c, "base", now ? json_loads(now, 0, NULL) : json_null());
            json_array_append_new(list, c);
        }
        free(now);
        free(mine);
    }
    json_decref(rows);
    json_decref(sc);
    gisd_error ignore = {0};
    store_set_scenario(s, NULL, &ignore);
    if (rc != 0) {
        json_decref(list);
        return -1;
    }
    *out = list;
    return 0;
}

int store_scenario_changes(store *s, const char *id, json_t **out, gisd_error *err)
{
    *out = NULL;
    json_t *rows;
    const char *p[1] = {id};
    if (query(s, "SELECT layer, feature_id, op FROM gisd_changes WHERE scenario = ? ORDER BY fid", 1, p, &rows, err) != 0)
        return -1;
    json_t *list = json_array();
    for (size_t i = 0; i < json_array_size(rows); i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "layer", cell(rows, i, 0), "id", cell(rows, i, 1),
                                              "op", cell(rows, i, 2)));
    json_decref(rows);
    *out = list;
    return 0;
}

int store_scenario_clear(store *s, const char *id, gisd_error *err)
{
    const char *p[1] = {id};
    return query(s, "DELETE FROM gisd_changes WHERE scenario = ?", 1, p, NULL, err);
}

/* ---- editing a scenario ---- */

/* e's values as the JSON text of a feature's properties (sqlite3_malloc'd). */
static char *props_json(const layer_def *l, const store_value *v)
{
    json_t *o = json_object();
    for (size_t i = 0; i < l->nfields; i++) {
        field_type t = l->fields[i].type;
        json_object_set_new(o, l->fields[i].name,
                            v[i].is_null                                 ? json_null()
                            : t == FIELD_INTEGER || t == FIELD_BOOLEAN   ? json_integer(v[i].i)
                            : t == FIELD_REAL                            ? json_real(v[i].d)
                                                                         : json_string(v[i].text ? v[i].text : ""));
    }
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* WKB as WKT (CPLFree it), or NULL when OGR cannot read it. */
static char *wkt_of(const unsigned char *wkb, size_t len)
{
    OGRGeometryH g = NULL;
    if (OGR_G_CreateFromWkbEx(wkb, NULL, &g, len) != OGRERR_NONE || !g)
        return NULL;
    char *wkt = NULL;
    if (OGR_G_ExportToIsoWkt(g, &wkt) != OGRERR_NONE)
        wkt = NULL;
    OGR_G_DestroyGeometry(g);
    return wkt;
}

int store_scenario_edit_row(store *s, const layer_def *l, const store_edit *e, const char *id, const char *old_etag,
                            gisd_error *err)
{
    json_t *own = NULL;
    const char *p3[3] = {s->scenario, l->id, id};
    if (query(s, "SELECT op, base_etag FROM gisd_changes WHERE scenario = ? AND layer = ? AND feature_id = ?", 3, p3,
              &own, err) != 0)
        return -1;
    const char *was = json_array_size(own) ? cell(own, 0, 0) : NULL;
    /* the base's ETag when this scenario first changed the feature: what a
     * later change of the base is found by (a conflict) */
    char base_etag[65] = "";
    snprintf(base_etag, sizeof base_etag, "%s", was ? (cell(own, 0, 1) ? cell(own, 0, 1) : "") : old_etag ? old_etag : "");
    const char *op = e->kind == STORE_DELETE    ? "delete"
                     : e->kind == STORE_CREATE ? (was && strcmp(was, "delete") == 0 ? "replace" : "add")
                     : (was && strcmp(was, "add") == 0 ? "add" : "replace");
    int drop_only = e->kind == STORE_DELETE && was && strcmp(was, "add") == 0; /* it never was in the base */
    json_decref(own);
    int rc = query(s, "DELETE FROM gisd_changes WHERE scenario = ? AND layer = ? AND feature_id = ?", 3, p3, NULL, err);
    if (rc != 0 || drop_only)
        return rc;
    char *props = e->kind == STORE_DELETE ? NULL : props_json(l, e->values);
    char *wkt = e->kind == STORE_DELETE ? NULL : wkt_of(e->wkb, e->wkb_len);
    if (e->kind != STORE_DELETE && !wkt) {
        free(props);
        return gisd_fail(err, GISD_E_INPUT, "the feature's geometry cannot be read");
    }
    const char *p[7] = {s->scenario, l->id, id, op, base_etag[0] ? base_etag : NULL, props, wkt};
    rc = query(s, "INSERT INTO gisd_changes (scenario, layer, feature_id, op, base_etag, props, geom)"
                  " VALUES (?, ?, ?, ?, ?, ?, ST_GeomFromText(?, 4490))", 7, p, NULL, err);
    free(props);
    CPLFree(wkt);
    char now[32];
    store_utc_now(now, sizeof now);
    const char *p2[2] = {now, s->scenario};
    if (rc == 0)
        rc = query(s, "UPDATE gisd_scenarios SET updated = ? WHERE id = ?", 2, p2, NULL, err);
    return rc;
}
