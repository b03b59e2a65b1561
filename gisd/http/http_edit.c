/* OGC API - Features Part 4: create (POST), replace (PUT), update (PATCH,
 * JSON merge patch) and delete features, each write one transaction with its
 * history row; bearer tokens with scopes; ETags and If-Match so that two
 * planners never overwrite each other silently; a feature's history. */
#include <stdlib.h>
#include <string.h>

#include "crs.h"
#include "edit.h"
#include "http.h"
#include "auth.h"
#include "routes.h"
#include "xalloc.h"

/* The CRS of a body: Content-Crs (<URI> or EPSG:n), CRS84 when absent. */
static int content_crs(http_req *r, int *code, int *lonlat, gisd_error *err)
{
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Crs");
    *code = 4326;
    *lonlat = 1;
    if (!h)
        return 0;
    char text[512];
    size_t n = strlen(h);
    if (n >= 2 && h[0] == '<' && h[n - 1] == '>')
        snprintf(text, sizeof text, "%.*s", (int)(n - 2), h + 1);
    else
        snprintf(text, sizeof text, "%s", h);
    *lonlat = 0;
    if ((*code = crs_parse(text, lonlat, err)) < 0)
        return gisd_error_prefix(err, "Content-Crs: ");
    return 0;
}

/* If-Match's ETag without quotes or W/ (NULL when absent). */
static const char *if_match(http_req *r, char out[80])
{
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "If-Match");
    if (!h)
        return NULL;
    if (strncmp(h, "W/", 2) == 0)
        h += 2;
    size_t n = strlen(h);
    if (n >= 2 && h[0] == '"' && h[n - 1] == '"')
        snprintf(out, 80, "%.*s", (int)(n - 2), h + 1);
    else
        snprintf(out, 80, "%s", h);
    return out;
}

static const layer_def *layer_of(http_req *r, enum MHD_Result *ret)
{
    const layer_def *l = layer_registry_find(r->reg, r->params[0]);
    if (!l)
        *ret = http_reply_error(r, 404, "NotFound", "there is no collection \"%s\"; see /collections", r->params[0]);
    return l;
}

/* The answer to a write: the feature as stored now with its ETag and, for a
 * creation, where it lives. */
static enum MHD_Result written(http_req *r, store *st, const layer_def *l, const char *id, unsigned status,
                               long long change)
{
    char *state = NULL, etag[65], quoted[70], changed[32];
    gisd_error err = {0};
    store_found rc = store_feature_state(st, l, id, &state, etag, &err);
    store_close(st);
    if (rc != STORE_FOUND) {
        free(state);
        return rc == STORE_FAILED ? http_reply_gisd_error(r, &err) : http_reply_error(r, 500, "ServerError", "the write is lost");
    }
    strbuf loc = {0};
    strbuf_printf(&loc, "%s/collections/%s/items/", r->base, l->id);
    http_url_encode(id, &loc);
    snprintf(quoted, sizeof quoted, "\"%s\"", etag);
    snprintf(changed, sizeof changed, "%lld", change);
    const char *hdrs[][2] = {{"Content-Type", MEDIA_GEOJSON}, {"ETag", quoted}, {"Location", loc.data},
                             {"X-Gisd-Change", changed}, {NULL, NULL}};
    enum MHD_Result ret =
        http_send_owned(r, status, state, strlen(state), hdrs);
    strbuf_free(&loc);
    return ret;
}

static json_t *body_json(http_req *r, enum MHD_Result *ret)
{
    if (!r->body || r->body_len == 0) {
        *ret = http_reply_error(r, 400, "InvalidParameterValue", "the body must be a GeoJSON Feature");
        return NULL;
    }
    json_error_t jerr;
    json_t *j = json_loadb(r->body, r->body_len, 0, &jerr);
    if (!j)
        *ret = http_reply_error(r, 400, "InvalidParameterValue", "the body is not JSON: line %d, column %d: %s",
                                jerr.line, jerr.column, jerr.text);
    return j;
}

/* The body's feature f of l, read in its CRS, for the path's feature
 * (path_id, NULL for a creation): 0, or -1 with err. */
static int feature_of(const layer_def *l, json_t *feature, int code, int lonlat, const char *path_id,
                      edit_feature *f, gisd_error *err)
{
    if (edit_feature_parse(l, feature, code, lonlat, f, err) != 0)
        return -1;
    if (path_id && l->id_field && strcmp(f->id, path_id) != 0) {
        gisd_fail(err, GISD_E_INPUT, "the body's %s \"%s\" is not the path's \"%s\"", l->id_field, f->id, path_id);
        edit_feature_free(f);
        return -1;
    }
    return 0;
}

/* Applies e (its feature f, or its rewrite) to l: the answer sent. */
static enum MHD_Result apply(http_req *r, const layer_def *l, store_edit *e)
{
    gisd_error err = {0};
    store *st = NULL;
    long long change = 0;
    char new_etag[65], created[STORE_ID_MAX + 1] = "";
    int rc = store_open(server_config_of(r->srv)->db_path, STORE_READWRITE, r->reg, &st, NULL, &err);
    if (rc == 0)
        rc = store_set_scenario(st, r->scenario, &err);
    if (rc == 0)
        rc = store_edit_apply(st, l, e, &change, new_etag, created, &err);
    if (rc != 0) {
        store_close(st);
        return http_reply_gisd_error(r, &err);
    }
    return written(r, st, l, created, e->kind == STORE_CREATE ? 201 : 200, change);
}

/* Writes a Feature (create or replace) of layer l. */
static enum MHD_Result write_feature(http_req *r, const layer_def *l, json_t *feature, store_edit_kind kind,
                                     const char *action, const char *who, const char *etag)
{
    gisd_error err = {0};
    int code = 4326, lonlat = 1;
    edit_feature f;
    if (content_crs(r, &code, &lonlat, &err) != 0 ||
        feature_of(l, feature, code, lonlat, kind == STORE_REPLACE ? r->params[1] : NULL, &f, &err) != 0)
        return http_reply_gisd_error(r, &err);
    store_edit e = {.kind = kind, .feature_id = r->params[1], .values = f.values, .wkb = f.wkb,
                    .wkb_len = f.wkb_len, .if_match = etag, .who = who, .action = action};
    enum MHD_Result ret = apply(r, l, &e);
    edit_feature_free(&f);
    return ret;
}

/* A merge patch read against the feature as the write's transaction finds it. */
typedef struct {
    const layer_def *l;
    json_t *patch;
    const char *path_id;
    int code, lonlat; /* of a new geometry; a kept one is the stored lon/lat */
    edit_feature f;
    int parsed;
} patching;

static int patch_rewrite(void *ud, const char *current, store_edit *out, gisd_error *err)
{
    patching *p = ud;
    json_t *target = json_loads(current, 0, NULL);
    if (!target)
        return gisd_fail(err, GISD_E_INTERNAL, "the stored feature \"%s\" is not GeoJSON", p->path_id);
    json_t *merged = edit_merge_patch(target, p->patch);
    json_decref(target);
    int rc = feature_of(p->l, merged, p->code, p->lonlat, p->path_id, &p->f, err);
    json_decref(merged);
    if (rc != 0)
        return -1;
    p->parsed = 1;
    out->values = p->f.values;
    out->wkb = p->f.wkb;
    out->wkb_len = p->f.wkb_len;
    return 0;
}

enum MHD_Result http_item_create(http_req *r)
{
    enum MHD_Result ret;
    char who[128];
    const layer_def *l = layer_of(r, &ret);
    if (!l || !http_write_allowed(r, l, who, &ret))
        return ret;
    json_t *j = body_json(r, &ret);
    if (!j)
        return ret;
    ret = write_feature(r, l, j, STORE_CREATE, "create", who, NULL);
    json_decref(j);
    return ret;
}

/* The If-Match a change needs: 428 without it. */
static const char *precondition(http_req *r, char buf[80], enum MHD_Result *ret)
{
    const char *etag = if_match(r, buf);
    if (!etag)
        *ret = http_reply_error(r, 428, "PreconditionRequired",
                                "send If-Match with the ETag of the feature as you read it (GET it first)");
    return etag;
}

enum MHD_Result http_item_replace(http_req *r)
{
    enum MHD_Result ret;
    char who[128], buf[80];
    const layer_def *l = layer_of(r, &ret);
    if (!l || !http_write_allowed(r, l, who, &ret))
        return ret;
    const char *etag = precondition(r, buf, &ret);
    if (!etag)
        return ret;
    json_t *j = body_json(r, &ret);
    if (!j)
        return ret;
    if (json_is_object(j) && !json_object_get(j, "id") &&
        (!l->id_field || !json_object_get(json_object_get(j, "properties"), l->id_field)))
        json_object_set_new(j, "id", json_string(r->params[1])); /* the path names the feature */
    ret = write_feature(r, l, j, STORE_REPLACE, "replace", who, strcmp(etag, "*") ? etag : NULL);
    json_decref(j);
    return ret;
}

enum MHD_Result http_item_update(http_req *r)
{
    enum MHD_Result ret;
    char who[128], buf[80];
    const layer_def *l = layer_of(r, &ret);
    if (!l || !http_write_allowed(r, l, who, &ret))
        return ret;
    const char *etag = precondition(r, buf, &ret);
    if (!etag)
        return ret;
    json_t *patch = body_json(r, &ret);
    if (!patch)
        return ret;
    /* the merge patch applies to the feature as the write finds it, inside
     * its transaction: two patches of one feature both land (If-Match: *),
     * or the second is refused as stale */
    gisd_error err = {0};
    patching p = {.l = l, .patch = patch, .path_id = r->params[1], .code = 4326, .lonlat = 1};
    if (json_is_object(patch) && json_object_get(patch, "geometry") && content_crs(r, &p.code, &p.lonlat, &err) != 0) {
        json_decref(patch);
        return http_reply_gisd_error(r, &err);
    }
    store_edit e = {.kind = STORE_REPLACE, .feature_id = r->params[1], .if_match = strcmp(etag, "*") ? etag : NULL,
                    .who = who, .action = "update", .rewrite = patch_rewrite, .rewrite_ud = &p};
    ret = apply(r, l, &e);
    if (p.parsed)
        edit_feature_free(&p.f);
    json_decref(patch);
    return ret;
}

enum MHD_Result http_item_delete(http_req *r)
{
    enum MHD_Result ret;
    char who[128], buf[80];
    const layer_def *l = layer_of(r, &ret);
    if (!l || !http_write_allowed(r, l, who, &ret))
        return ret;
    const char *etag = precondition(r, buf, &ret);
    if (!etag)
        return ret;
    gisd_error err = {0};
    store *st = NULL;
    long long change = 0;
    char new_etag[65];
    store_edit e = {.kind = STORE_DELETE, .feature_id = r->params[1], .if_match = strcmp(etag, "*") ? etag : NULL,
                    .who = who, .action = "delete"};
    int rc = store_open(server_config_of(r->srv)->db_path, STORE_READWRITE, r->reg, &st, NULL, &err);
    if (rc == 0)
        rc = store_set_scenario(st, r->scenario, &err);
    if (rc == 0)
        rc = store_edit_apply(st, l, &e, &change, new_etag, NULL, &err);
    store_close(st);
    if (rc != 0)
        return http_reply_gisd_error(r, &err);
    char changed[32];
    snprintf(changed, sizeof changed, "%lld", change);
    const char *hdrs[][2] = {{"X-Gisd-Change", changed}, {NULL, NULL}};
    return http_send(r, 204, MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT), hdrs);
}

enum MHD_Result http_item_history(http_req *r)
{
    enum MHD_Result ret;
    const layer_def *l = layer_of(r, &ret);
    if (!l)
        return ret;
    gisd_error err = {0};
    json_t *rows = NULL;
    worker *w = server_worker_for(r->srv, r->scenario, &err);
    int rc = w ? store_history(w->st, l->id, r->params[1], 0, &rows, &err) : -1;
    server_worker_release(r->srv, w);
    if (rc != 0)
        return http_reply_gisd_error(r, &err);
    if (json_array_size(rows) == 0) {
        json_decref(rows);
        return http_reply_error(r, 404, "NotFound", "feature \"%s\" of %s has no recorded change", r->params[1], l->id);
    }
    return http_reply_json(r, 200, json_pack("{s:s, s:s, s:o}", "collection", l->id, "feature", r->params[1], "changes", rows),
                           MEDIA_JSON);
}
