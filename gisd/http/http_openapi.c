/* /api: the OpenAPI 3.0 definition, generated from the layer registry so it
 * always names the collections and fields this deployment has. */
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "strbuf.h"
#include "catalog.h"
#include "route_table.h"
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

static json_t *path_param(const char *name, const char *desc, const char *type)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:{s:s}}", "name", name, "in", "path", "description",
                     desc, "required", 1, "schema", "type", type);
}

static json_t *tile_responses(void)
{
    return json_pack("{s:{s:s, s:{s:{s:{s:s, s:s}}}}, s:{s:s}, s:{s:s}, s:o, s:o}", "200",
                     "description", "a Mapbox Vector Tile (gzip when accepted)", "content",
                     MEDIA_MVT, "schema", "type", "string", "format", "binary", "204",
                     "description", "the tile holds nothing", "304", "description",
                     "unchanged since the ETag given in If-None-Match", "400",
                     json_response("a zoom, row or column that is not a number", MEDIA_JSON), "404",
                     json_response("an unknown layer or a tile outside the matrix", MEDIA_JSON));
}

static json_t *get_op(const char *id, const char *summary, json_t *params, json_t *responses)
{
    return json_pack("{s:{s:s, s:s, s:o, s:o}}", "get", "operationId", id, "summary", summary,
                     "parameters", params, "responses", responses);
}

/* A write: a GeoJSON body (when it takes one), a bearer token, the answers. */
static json_t *write_op(const char *id, const char *summary, int body)
{
    json_t *op = json_pack("{s:s, s:s, s:[{s:[]}], s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}",
                           "operationId", id, "summary", summary, "security", "bearer", "responses", "200",
                           "description", "written", "400", "description", "the body is wrong; the answer says why",
                           "401", "description", "no valid token", "403", "description", "the token's scope lacks the layer",
                           "412", "description", "If-Match is not the feature's ETag", "428", "description",
                           "If-Match is missing");
    if (body)
        json_object_set_new(op, "requestBody", json_pack("{s:b, s:{s:{s:{s:s}}}}", "required", 1, "content", MEDIA_GEOJSON,
                                                         "schema", "type", "object"));
    return op;
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
    return json_pack("{s:o, s:{s:{s:s, s:s}}}", "parameters", p, "securitySchemes", "bearer", "type", "http",
                     "scheme", "bearer");
}

static json_t *items_params(const layer_def *l)
{
    json_t *params = json_pack("[o,o,o,o,o]", param_ref("#/components/parameters/limit"),
                               param_ref("#/components/parameters/offset"),
                               param_ref("#/components/parameters/bbox"),
                               param_ref("#/components/parameters/bbox-crs"),
                               param_ref("#/components/parameters/crs"));
    /* Part 3: cql-text is the draft name GDAL 3.6's OAPIF driver looks for before it sends a filter */
    json_array_append_new(params, query_param("filter", "a CQL2 condition (Part 3)", json_pack("{s:s}", "type", "string")));
    json_array_append_new(params, query_param("filter-lang", "the filter's encoding (default cql2-text)",
                                              json_pack("{s:s, s:[s,s,s], s:s}", "type", "string", "enum", "cql2-text",
                                                        "cql2-json", "cql-text", "default", "cql2-text")));
    json_array_append_new(params, query_param("filter-crs", "the CRS of the filter's geometries (default CRS84)",
                                              json_pack("{s:s}", "type", "string")));
    for (size_t i = 0; l && i < l->nfields; i++) {
        const char *type = l->fields[i].type == FIELD_INTEGER ? "integer"
                           : l->fields[i].type == FIELD_REAL  ? "number"
                           : l->fields[i].type == FIELD_BOOLEAN ? "boolean"
                                                                : "string";
        char desc[512];
        snprintf(desc, sizeof desc, "only features whose %s equals this (%s)", l->fields[i].name,
                 l->fields[i].description);
        json_array_append_new(params, query_param(l->fields[i].name, desc,
                                                  json_pack("{s:s}", "type", type)));
    }
    return params;
}

/* The operation of route rt at path (described here when the document has
 * none yet), with what the route table says of it: who may call it. */
static void route_op(http_req *r, json_t *paths, const route *rt, const char *path)
{
    char method[16];
    size_t n = strlen(rt->method);
    for (size_t k = 0; k <= n && k < sizeof method; k++)
        method[k] = (char)(rt->method[k] >= 'A' && rt->method[k] <= 'Z' ? rt->method[k] + 32 : rt->method[k]);
    json_t *item = json_object_get(paths, path);
    if (!item) {
        item = json_object();
        json_object_set_new(paths, path, item);
    }
    json_t *op = json_object_get(item, method);
    if (!op) {
        json_t *params = json_array();
        for (const char *c = strchr(path, '{'); c; c = strchr(c + 1, '{')) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(strcspn(c + 1, "}") < 63 ? strcspn(c + 1, "}") : 63), c + 1);
            json_array_append_new(params, path_param(name, name, "string"));
        }
        strbuf id = {0};
        strbuf_puts(&id, method);
        for (const char *c = path; *c; c++)
            if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))
                strbuf_printf(&id, "%c", *c);
        op = json_pack("{s:s, s:s, s:o, s:o}", "operationId", id.data, "summary", rt->summary, "parameters", params,
                       "responses", error_responses(json_response(rt->summary, MEDIA_JSON)));
        strbuf_free(&id);
        json_object_set_new(item, method, op);
    }
    /* a token is needed: always for a write, for every read under --require-token-for-reads */
    if (rt->access == ROUTE_WRITE ||
        (rt->access == ROUTE_READ && server_config_of(r->srv)->require_token_for_reads))
        json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearer"));
}

/* Every route of the routing table in paths: those described above keep
 * their description and get the table's access; the others are described
 * from the table. */
static void routes_into(http_req *r, json_t *paths)
{
    for (const route *rt = ROUTES; rt->method; rt++) {
        if (!rt->api)
            continue;
        const char *mark = strstr(rt->api, "{collectionId}");
        if (!mark) {
            route_op(r, paths, rt, rt->api);
            continue;
        }
        for (size_t i = 0; i < r->reg->n; i++) {
            char path[512];
            snprintf(path, sizeof path, "%.*s%s%s", (int)(mark - rt->api), rt->api, r->reg->layers[i].id,
                     mark + strlen("{collectionId}"));
            route_op(r, paths, rt, path);
        }
    }
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
        snprintf(path, sizeof path, "/collections/%s/queryables", l->id);
        snprintf(id, sizeof id, "getQueryables_%s", l->id);
        json_object_set_new(paths, path, get_op(id, l->title, json_array(),
                                                error_responses(json_response("the queryables (JSON Schema)",
                                                                              "application/schema+json"))));
        snprintf(path, sizeof path, "/collections/%s/items", l->id);
        snprintf(id, sizeof id, "getFeatures_%s", l->id);
        json_object_set_new(paths, path, get_op(id, l->title, items_params(l),
                                                error_responses(json_response("features", MEDIA_GEOJSON))));
        snprintf(id, sizeof id, "createFeature_%s", l->id);
        json_object_set_new(json_object_get(paths, path), "post", write_op(id, "adds a feature (201, Location)", 1));
        snprintf(path, sizeof path, "/collections/%s/items/{featureId}", l->id);
        snprintf(id, sizeof id, "getFeature_%s", l->id);
        json_object_set_new(paths, path,
                            get_op(id, l->title,
                                   json_pack("[o,o]", param_ref("#/components/parameters/featureId"),
                                             param_ref("#/components/parameters/crs")),
                                   error_responses(json_response("one feature", MEDIA_GEOJSON))));
        /* Part 4: the writes, with a bearer token and If-Match */
        json_t *item = json_object_get(paths, path);
        static const char *const WRITES[][3] = {{"put", "replaceFeature", "replaces the feature (If-Match)"},
                                                {"patch", "updateFeature", "a JSON merge patch (If-Match)"},
                                                {"delete", "deleteFeature", "deletes the feature (If-Match)"}};
        for (size_t k = 0; k < 3; k++) {
            snprintf(id, sizeof id, "%s_%s", WRITES[k][1], l->id);
            json_object_set_new(item, WRITES[k][0], write_op(id, WRITES[k][2], k < 2));
        }
        snprintf(path, sizeof path, "/collections/%s/items/{featureId}/history", l->id);
        snprintf(id, sizeof id, "getFeatureHistory_%s", l->id);
        json_object_set_new(paths, path, get_op(id, "every recorded change of the feature",
                                                json_pack("[o]", param_ref("#/components/parameters/featureId")),
                                                error_responses(json_response("the changes", MEDIA_JSON))));
        snprintf(path, sizeof path, "/collections/%s/tiles", l->id);
        snprintf(id, sizeof id, "getTileSetsList_%s", l->id);
        json_object_set_new(paths, path, get_op(id, l->title, json_array(),
                                                error_responses(json_response("tilesets", MEDIA_JSON))));
        snprintf(path, sizeof path, "/collections/%s/tiles/WebMercatorQuad", l->id);
        snprintf(id, sizeof id, "getTileSet_%s", l->id);
        json_object_set_new(paths, path, get_op(id, l->title, json_array(),
                                                error_responses(json_response("tileset", MEDIA_JSON))));
        snprintf(path, sizeof path,
                 "/collections/%s/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}", l->id);
        snprintf(id, sizeof id, "getTile_%s", l->id);
        json_object_set_new(paths, path,
                            get_op(id, l->title,
                                   json_pack("[o,o,o]", path_param("tileMatrix", "zoom", "string"),
                                             path_param("tileRow", "row", "integer"),
                                             path_param("tileCol", "column", "integer")),
                                   tile_responses()));
    }
    json_t *zxy = json_pack("[o,o,o,o]", path_param("layers", "all, or layer ids separated by commas", "string"),
                            path_param("z", "zoom, 0-24", "integer"), path_param("x", "column", "integer"),
                            path_param("y", "row (from the north), then .mvt", "string"));
    json_object_set_new(paths, "/tiles/{layers}/{z}/{x}/{y}.mvt",
                        get_op("getTile", "a vector tile of the layers (WebMercatorQuad)", zxy,
                               tile_responses()));
    json_object_set_new(paths, "/tiles/{layers}.json",
                        get_op("getTileJSON", "TileJSON 3.0.0 of the layers",
                               json_pack("[o]", path_param("layers", "all, or layer ids separated by commas", "string")),
                               error_responses(json_response("TileJSON", MEDIA_JSON))));
    json_object_set_new(paths, "/tileMatrixSets",
                        get_op("getTileMatrixSetsList", "tile matrix sets", json_array(),
                               error_responses(json_response("WebMercatorQuad", MEDIA_JSON))));
    json_object_set_new(paths, "/tileMatrixSets/{tileMatrixSetId}",
                        get_op("getTileMatrixSet", "a tile matrix set definition",
                               json_pack("[o]", path_param("tileMatrixSetId", "WebMercatorQuad", "string")),
                               error_responses(json_response("OGC TMS 2.0 JSON", MEDIA_JSON))));
    json_object_set_new(paths, "/styles", get_op("getStyles", "the map styles", json_array(),
                                                 error_responses(json_response("styles", MEDIA_JSON))));
    json_object_set_new(paths, "/styles/{styleId}.json",
                        get_op("getStyle", "a MapLibre style (version 8)",
                               json_pack("[o]", path_param("styleId", "planning, recycling, ...", "string")),
                               error_responses(json_response("MapLibre style", MEDIA_JSON))));
    /* the GET analyses, with the parameters the catalog gives them */
    for (const catalog_entry *pd = CATALOG; pd->id; pd++) {
        if (pd->kind != CATALOG_ANALYSIS || pd->object)
            continue;
        json_t *params = json_array();
        char path[128], id[128];
        snprintf(path, sizeof path, "/analysis/%s", pd->id);
        snprintf(id, sizeof id, "analysis_%s", pd->id);
        for (const param_def *q = pd->params; q->name; q++) {
            const char *name = strcmp(q->name, "format") == 0 ? "f" : q->name;
            json_array_append_new(params, query_param(name, q->doc, param_schema(q)));
        }
        json_object_set_new(paths, path, get_op(id, pd->title, params,
                                                error_responses(json_response("the answer", MEDIA_JSON))));
    }
    json_object_set_new(
        paths, "/analysis/site-check",
        json_pack("{s:{s:s, s:s, s:{s:b, s:{s:{s:{s:s}}}}, s:o}}", "post", "operationId",
                  "analysis_site-check", "summary", "compliance of a proposed site", "requestBody",
                  "required", 1, "content", MEDIA_GEOJSON, "schema", "type", "object", "responses",
                  error_responses(json_response("the rules and compliant", MEDIA_JSON))));
    /* a park's scorecard and reports */
    json_t *park = json_pack("[o]", path_param("park_id", "a park's park_id", "string"));
    json_object_set_new(paths, "/parks/{park_id}/scorecard",
                        get_op("getParkScorecard", "a park's indicators, each from its analysis", json_incref(park),
                               error_responses(json_response("the scorecard", MEDIA_JSON))));
    json_object_set_new(paths, "/parks/{park_id}/report.pdf",
                        get_op("getParkReport", "a park's A4 report (PDF)", json_incref(park),
                               error_responses(json_response("the report", "application/pdf"))));
    json_t *png = json_copy(park);
    json_array_append_new(png, query_param("width", "pixels, 64-4096 (default 1200)", json_pack("{s:s}", "type", "integer")));
    json_array_append_new(png, query_param("height", "pixels, 64-4096 (default 900)", json_pack("{s:s}", "type", "integer")));
    json_object_set_new(paths, "/parks/{park_id}/map.png",
                        get_op("getParkMap", "a park's map (PNG)", png,
                               error_responses(json_response("the map", "image/png"))));
    json_decref(park);
    json_object_set_new(paths, "/qgis/project.qgz",
                        get_op("getQgisProject", "a QGIS project (3.22+) of this server: the styled vector tiles and every collection",
                               json_array(), error_responses(json_response("the project", "application/zip"))));
    /* OGC API - Processes */
    json_object_set_new(paths, "/processes",
                        get_op("getProcesses", "the analyses and optimisations as processes", json_array(),
                               error_responses(json_response("the process list", MEDIA_JSON))));
    json_object_set_new(paths, "/processes/{processId}",
                        get_op("getProcessDescription", "a process: its inputs and outputs",
                               json_pack("[o]", path_param("processId", "heating-coverage, recycling-siting, ...", "string")),
                               error_responses(json_response("the process description", MEDIA_JSON))));
    json_t *exec = json_pack("{s:{s:s, s:s, s:o, s:{s:b, s:{s:{s:{s:s}}}}, s:o}}", "post", "operationId",
                             "execute", "summary",
                             "runs a process: 200 with the answer, or with Prefer: respond-async 201 and a job",
                             "parameters", json_pack("[o]", path_param("processId", "the process", "string")),
                             "requestBody", "required", 1, "content", MEDIA_JSON, "schema", "type", "object",
                             "responses", error_responses(json_response("the answer", MEDIA_JSON)));
    json_object_set_new(json_object_get(json_object_get(exec, "post"), "responses"), "201",
                        json_response("the job was created (Location: /jobs/{jobId})", MEDIA_JSON));
    json_object_set_new(paths, "/processes/{processId}/execution", exec);
    json_object_set_new(paths, "/jobs", get_op("getJobs", "the asynchronous jobs", json_array(),
                                               error_responses(json_response("the job list", MEDIA_JSON))));
    json_t *jobp = get_op("getStatus", "a job's status and progress",
                          json_pack("[o]", path_param("jobId", "the job", "string")),
                          error_responses(json_response("the job status", MEDIA_JSON)));
    json_object_set_new(jobp, "delete",
                        json_pack("{s:s, s:s, s:o, s:o}", "operationId", "dismiss", "summary",
                                  "dismisses a job (stops a running one)", "parameters",
                                  json_pack("[o]", path_param("jobId", "the job", "string")), "responses",
                                  error_responses(json_response("the job status", MEDIA_JSON))));
    json_object_set_new(paths, "/jobs/{jobId}", jobp);
    json_object_set_new(paths, "/jobs/{jobId}/results",
                        get_op("getResult", "a successful job's answer",
                               json_pack("[o]", path_param("jobId", "the job", "string")),
                               error_responses(json_response("the answer", MEDIA_JSON))));
    /* plan scenarios (every route above is also under /scenarios/{scenarioId}/) */
    json_t *sid = path_param("scenarioId", "a scenario's id ([A-Za-z0-9_-]{1,64})", "string");
    json_t *list = get_op("getScenarios", "the plan scenarios with their counts of changes", json_array(),
                          error_responses(json_response("the scenarios", MEDIA_JSON)));
    json_object_set_new(list, "post", write_op("createScenario", "creates a scenario: {id, title, description, base}", 0));
    json_object_set_new(paths, "/scenarios", list);
    json_t *one = get_op("getScenario", "a scenario and its own changes", json_pack("[O]", sid),
                         error_responses(json_response("the scenario", MEDIA_JSON)));
    json_t *drop = write_op("dropScenario", "drops a scenario (409 while another is based on it)", 0);
    json_object_set_new(drop, "parameters", json_pack("[O]", sid));
    json_object_set_new(one, "delete", drop);
    json_object_set_new(paths, "/scenarios/{scenarioId}", one);
    json_t *cmp = get_op("compareScenarios", "what differs from scenario b to a, the conflicts and the indicators "
                         "(f=pdf: the comparison report)",
                         json_pack("[O, o, o]", sid, path_param("b", "a scenario, or baseline", "string"),
                                   query_param("f", "json or pdf", json_pack("{s:s, s:[s,s]}", "type", "string", "enum",
                                                                              "json", "pdf"))),
                         error_responses(json_response("the comparison", MEDIA_JSON)));
    json_object_set_new(paths, "/scenarios/{scenarioId}/compare/{b}", cmp);
    json_t *adopt = write_op("adoptScenario", "writes the scenario's changes to its base in one transaction", 0);
    json_object_set_new(adopt, "parameters", json_pack("[O]", sid));
    json_object_set_new(paths, "/scenarios/{scenarioId}/adopt", json_pack("{s:o}", "post", adopt));
    json_decref(sid);
    routes_into(r, paths);
    strbuf server = {0};
    strbuf_printf(&server, "%s/", r->base);
    json_t *doc = json_pack("{s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:o, s:o}", "openapi", "3.0.3",
                            "info", "title", "gisd planning server", "version", "1.0",
                            "description", "OGC API - Features and Tiles, and the planning analyses, for "
                            "circular-economy planning layers",
                            "servers", "url", server.data, "paths", paths, "components", components());
    strbuf_free(&server);
    return http_reply_json(r, 200, doc, MEDIA_OPENAPI);
}
