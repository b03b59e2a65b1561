/* /api: the OpenAPI 3.0 definition, generated from the layer registry so it
 * always names the collections and fields this deployment has. */
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "routes.h"

static json_t *param_ref(const char *name) { return json_pack("{s:s}", "$ref", name); }

static json_t *query_param(const char *name, const char *desc, json_t *schema)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:o, s:b}", "name", name, "in", "query", "description",
                     desc, "required", 0, "schema", schema, "explode", 0);
}

static json_t *json_response(const char *desc, const char *type)
{
    return json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", desc, "content", type, "schema",
                     "type", "object");
}

static json_t *error_responses(json_t *ok)
{
    return json_pack("{s:o, s:o, s:o}", "200", ok, "400",
                     json_response("a parameter is wrong; the body says which", MEDIA_JSON), "404",
                     json_response("no such collection or feature", MEDIA_JSON));
}

static json_t *get_op(const char *id, const char *summary, json_t *params, json_t *responses)
{
    return json_pack("{s:{s:s, s:s, s:o, s:o}}", "get", "operationId", id, "summary", summary,
                     "parameters", params, "responses", responses);
}

static json_t *components(void)
{
    json_t *p = json_object();
    json_object_set_new(p, "limit",
                        query_param("limit", "features per page (default 10, at most 10000)",
                                    json_pack("{s:s, s:i, s:i, s:i}", "type", "integer", "minimum",
                                              1, "maximum", 10000, "default", 10)));
    json_object_set_new(p, "offset", query_param("offset", "features to skip",
                                                 json_pack("{s:s, s:i}", "type", "integer",
                                                           "minimum", 0)));
    json_object_set_new(p, "bbox",
                        query_param("bbox", "minx,miny,maxx,maxy in bbox-crs (default CRS84)",
                                    json_pack("{s:s, s:i, s:i, s:{s:s}}", "type", "array",
                                              "minItems", 4, "maxItems", 6, "items", "type",
                                              "number")));
    json_object_set_new(p, "bbox-crs", query_param("bbox-crs", "the CRS of bbox (OGC CRS URI)",
                                                   json_pack("{s:s, s:s}", "type", "string",
                                                             "format", "uri")));
    json_object_set_new(p, "crs", query_param("crs", "the CRS of the answer (OGC CRS URI)",
                                              json_pack("{s:s, s:s}", "type", "string", "format",
                                                        "uri")));
    json_object_set_new(p, "collectionId",
                        json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", "collectionId", "in", "path",
                                  "required", 1, "schema", "type", "string"));
    json_object_set_new(p, "featureId",
                        json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", "featureId", "in", "path",
                                  "required", 1, "schema", "type", "string"));
    return json_pack("{s:o}", "parameters", p);
}

static json_t *items_params(const layer_def *l)
{
    json_t *params = json_pack("[o,o,o,o,o]", param_ref("#/components/parameters/limit"),
                               param_ref("#/components/parameters/offset"),
                               param_ref("#/components/parameters/bbox"),
                               param_ref("#/components/parameters/bbox-crs"),
                               param_ref("#/components/parameters/crs"));
    for (size_t i = 0; l && i < l->nfields; i++) {
        const char *type = l->fields[i].type == FIELD_TEXT      ? "string"
                           : l->fields[i].type == FIELD_INTEGER ? "integer"
                                                                : "number";
        char desc[512];
        snprintf(desc, sizeof desc, "only features whose %s equals this (%s)", l->fields[i].name,
                 l->fields[i].description);
        json_array_append_new(params, query_param(l->fields[i].name, desc,
                                                  json_pack("{s:s}", "type", type)));
    }
    return params;
}

enum MHD_Result http_openapi(http_req *r)
{
    json_t *paths = json_object();
    json_object_set_new(paths, "/", get_op("getLandingPage", "landing page", json_array(),
                                           error_responses(json_response("links to the API", MEDIA_JSON))));
    json_object_set_new(paths, "/conformance",
                        get_op("getConformanceDeclaration", "conformance classes", json_array(),
                               error_responses(json_response("conformsTo", MEDIA_JSON))));
    json_object_set_new(paths, "/api", get_op("getAPI", "this document", json_array(),
                                              error_responses(json_response("OpenAPI 3.0", MEDIA_OPENAPI))));
    json_object_set_new(paths, "/collections",
                        get_op("getCollections", "the planning layers", json_array(),
                               error_responses(json_response("collections", MEDIA_JSON))));
    json_object_set_new(paths, "/healthz", get_op("getHealth", "liveness and store check", json_array(),
                                                  error_responses(json_response("ok", MEDIA_JSON))));
    json_object_set_new(paths, "/metrics",
                        get_op("getMetrics", "Prometheus metrics", json_array(),
                               error_responses(json_response("text exposition", "text/plain"))));
    for (size_t i = 0; i < r->reg->n; i++) {
        const layer_def *l = &r->reg->layers[i];
        char path[256], id[128];
        snprintf(path, sizeof path, "/collections/%s", l->id);
        snprintf(id, sizeof id, "describe_%s", l->id);
        json_object_set_new(paths, path, get_op(id, l->title, json_array(),
                                                error_responses(json_response(l->description, MEDIA_JSON))));
        snprintf(path, sizeof path, "/collections/%s/items", l->id);
        snprintf(id, sizeof id, "getFeatures_%s", l->id);
        json_object_set_new(paths, path, get_op(id, l->title, items_params(l),
                                                error_responses(json_response("features", MEDIA_GEOJSON))));
        snprintf(path, sizeof path, "/collections/%s/items/{featureId}", l->id);
        snprintf(id, sizeof id, "getFeature_%s", l->id);
        json_object_set_new(paths, path,
                            get_op(id, l->title,
                                   json_pack("[o,o]", param_ref("#/components/parameters/featureId"),
                                             param_ref("#/components/parameters/crs")),
                                   error_responses(json_response("one feature", MEDIA_GEOJSON))));
    }
    char server[300];
    snprintf(server, sizeof server, "%s/", r->base);
    json_t *doc = json_pack("{s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:o, s:o}", "openapi", "3.0.3",
                            "info", "title", "gisd planning server", "version", "1.0",
                            "description", "OGC API - Features for circular-economy planning layers",
                            "servers", "url", server, "paths", paths, "components", components());
    return http_reply_json(r, 200, doc, MEDIA_OPENAPI);
}
