/* The routing table: every request goes to the first route whose method
 * and path match; the table says who may call each (route_table.h). */
#include "route_table.h"

#include <string.h>

#include "routes.h"

/* Read top-down: this is where every request goes. */
const route ROUTES[] = {
    {"GET", "/", http_landing, ROUTE_READ, "/", "the landing page"},
    {"GET", "/conformance", http_conformance, ROUTE_READ, "/conformance", "the conformance classes"},
    {"GET", "/api", http_openapi, ROUTE_READ, "/api", "this OpenAPI document"},
    {"GET", "/collections", http_collections, ROUTE_READ, "/collections", "the planning layers"},
    {"GET", "/collections/{}", http_collection, ROUTE_READ, "/collections/{collectionId}", "one layer"},
    {"GET", "/collections/{}/items", http_items, ROUTE_READ, "/collections/{collectionId}/items", "the features of a layer"},
    {"POST", "/collections/{}/items", http_item_create, ROUTE_WRITE, "/collections/{collectionId}/items", "adds a feature"},
    {"PUT", "/collections/{}/items/{}", http_item_replace, ROUTE_WRITE, "/collections/{collectionId}/items/{featureId}", "replaces a feature"},
    {"PATCH", "/collections/{}/items/{}", http_item_update, ROUTE_WRITE, "/collections/{collectionId}/items/{featureId}", "a merge patch of a feature"},
    {"DELETE", "/collections/{}/items/{}", http_item_delete, ROUTE_WRITE, "/collections/{collectionId}/items/{featureId}", "deletes a feature"},
    {"GET", "/collections/{}/items/{}/history", http_item_history, ROUTE_READ, "/collections/{collectionId}/items/{featureId}/history", "every recorded change of a feature"},
    {"GET", "/collections/{}/network", http_roads_network, ROUTE_READ, "/collections/roads/network", "what to fix in the roads before trusting network distances"},
    {"GET", "/collections/{}/queryables", http_queryables, ROUTE_READ, "/collections/{collectionId}/queryables", "what a filter may name"},
    {"GET", "/collections/{}/items/{}", http_item, ROUTE_READ, "/collections/{collectionId}/items/{featureId}", "one feature"},
    {"GET", "/collections/{}/tiles", http_collection_tilesets, ROUTE_READ, "/collections/{collectionId}/tiles", "the layer's tilesets"},
    {"GET", "/collections/{}/tiles/{}", http_collection_tileset, ROUTE_READ, "/collections/{collectionId}/tiles/WebMercatorQuad", "the layer's tileset"},
    {"GET", "/collections/{}/tiles/{}/{}/{}/{}", http_collection_tile, ROUTE_READ, "/collections/{collectionId}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}", "a tile of the layer"},
    {"GET", "/tileMatrixSets", http_tilematrixsets, ROUTE_READ, "/tileMatrixSets", "the tile matrix sets"},
    {"GET", "/tileMatrixSets/{}", http_tilematrixset, ROUTE_READ, "/tileMatrixSets/{tileMatrixSetId}", "a tile matrix set"},
    {"GET", "/tiles/{}", http_tilejson, ROUTE_READ, "/tiles/{layers}.json", "TileJSON of layers"},
    {"GET", "/tiles/{}/{}/{}/{}", http_tile, ROUTE_READ, "/tiles/{layers}/{z}/{x}/{y}.mvt", "a vector tile of layers"},
    {"GET", "/styles", http_styles, ROUTE_READ, "/styles", "the map styles"},
    {"GET", "/styles/{}", http_style, ROUTE_READ, "/styles/{styleId}.json", "a MapLibre style"},
    {"GET", "/map", http_public_map, ROUTE_READ, "/map", "the public recycling map (phones first)"},
    {"GET", "/nearest", http_nearest, ROUTE_READ, "/nearest", "the points of a layer nearest to a place, straight or walking"},
    {"GET", "/print", http_print, ROUTE_READ, "/print", "a map of an area to print: A4 or A3 PDF with title, legend, scale bar and north arrow"},
    {"GET", "/labels", http_labels, ROUTE_READ, "/labels", "the Chinese labels of the answers' keys (the tables' headers)"},
    {"GET", "/search", http_search, ROUTE_READ, "/search", "features by name or by the pinyin initials of their names"},
    {"GET", "/viewer/{}", http_viewer_file, ROUTE_READ, "/viewer/{file}", "the web viewer's files"},
    {"GET", "/vendor/{}", http_vendor_file, ROUTE_READ, "/vendor/{file}", "MapLibre GL JS, served by gisd"},
    {"GET", "/vendor/{}/{}", http_vendor_package_file, ROUTE_READ, "/vendor/{package}/{file}",
     "the viewer's drawing library (terra-draw), served by gisd"},
    {"GET", "/fonts/{}/{}", http_glyphs, ROUTE_READ, "/fonts/{fontstack}/{range}.pbf", "glyph ranges for the map labels"},
    {"GET", "/healthz", http_healthz, ROUTE_OPEN, "/healthz", "liveness and store check"},
    {"GET", "/metrics", http_metrics, ROUTE_READ, "/metrics", "Prometheus metrics"},
    {"GET", "/analysis/{}", http_analysis_get, ROUTE_READ, NULL, NULL}, /* /api: one path per analysis */
    {"GET", "/parks/{}/{}", http_park, ROUTE_READ, NULL, NULL}, /* /api: scorecard, report.pdf, map.png */
    {"GET", "/qgis/project.qgz", http_qgis_project, ROUTE_READ, "/qgis/project.qgz", "a QGIS project of the layers"},
    {"GET", "/site-rules", http_site_rules, ROUTE_READ, "/site-rules", "the site-check rules: project classes, setbacks, citations"},
    {"POST", "/analysis/{}", http_analysis_post, ROUTE_READ, "/analysis/site-check", "site-check of a posted site"},
    {"GET", "/processes", http_processes, ROUTE_READ, "/processes", "the processes"},
    {"GET", "/processes/{}", http_process, ROUTE_READ, "/processes/{processId}", "a process description"},
    {"POST", "/processes/{}/execution", http_process_execute, ROUTE_READ, "/processes/{processId}/execution", "runs a process"},
    {"GET", "/jobs", http_jobs, ROUTE_READ, "/jobs", "the asynchronous jobs"},
    {"GET", "/jobs/{}", http_job, ROUTE_READ, "/jobs/{jobId}", "a job's status"},
    {"DELETE", "/jobs/{}", http_job_dismiss, ROUTE_READ, "/jobs/{jobId}", "dismisses a job"},
    {"GET", "/jobs/{}/results", http_job_results, ROUTE_READ, "/jobs/{jobId}/results", "a job's answer"},
    {"GET", "/opinions", http_opinions, ROUTE_READ, "/opinions", "the register of compliance opinions"},
    {"POST", "/opinions", http_opinion_issue, ROUTE_WRITE, "/opinions", "issues a compliance opinion (issue:opinions)"},
    {"GET", "/opinions/{}", http_opinion, ROUTE_READ, "/opinions/{number}", "an opinion by its number, JSON or PDF"},
    /* plan scenarios; every route above is also under /scenarios/{sid}/ (server.c) */
    {"GET", "/scenarios", http_scenarios, ROUTE_READ, "/scenarios", "the plan scenarios"},
    {"POST", "/scenarios", http_scenario_create, ROUTE_WRITE, "/scenarios", "creates a scenario"},
    {"GET", "/scenarios/{}", http_scenario, ROUTE_READ, "/scenarios/{scenarioId}", "a scenario and its changes"},
    {"DELETE", "/scenarios/{}", http_scenario_drop, ROUTE_WRITE, "/scenarios/{scenarioId}", "drops a scenario"},
    {"GET", "/scenarios/{}/compare/{}", http_scenario_compare, ROUTE_READ, "/scenarios/{scenarioId}/compare/{b}", "compares two scenarios"},
    {"POST", "/scenarios/{}/compare/{}", http_scenario_compare, ROUTE_READ, "/scenarios/{scenarioId}/compare/{b}", "compares two scenarios with sites"},
    {"POST", "/scenarios/{}/adopt", http_scenario_adopt, ROUTE_WRITE, "/scenarios/{scenarioId}/adopt", "adopts a scenario into its base"},
    /* last: the item routes again for ids with a slash in them */
    {"GET", "/collections/{}/items/{*}", http_item, ROUTE_READ, NULL, NULL}, /* as its {} twin */
    {"PUT", "/collections/{}/items/{*}", http_item_replace, ROUTE_WRITE, NULL, NULL}, /* as its {} twin */
    {"PATCH", "/collections/{}/items/{*}", http_item_update, ROUTE_WRITE, NULL, NULL}, /* as its {} twin */
    {"DELETE", "/collections/{}/items/{*}", http_item_delete, ROUTE_WRITE, NULL, NULL}, /* as its {} twin */
    {NULL, NULL, NULL, 0, NULL, NULL}};


/* Matches url against pattern, filling params with pointers into segbuf. */
static int route_match(const char *pattern, const char *url, char *segbuf, size_t bufsize,
                       const char *params[6])
{
    size_t ul = strlen(url);
    if (ul >= bufsize || url[0] != '/')
        return 0;
    memcpy(segbuf, url, ul + 1);
    if (ul > 1 && segbuf[ul - 1] == '/')
        segbuf[--ul] = '\0';
    if (strcmp(pattern, "/") == 0)
        return strcmp(segbuf, "/") == 0;
    const char *p = pattern + 1;
    char *u = segbuf + 1;
    int np = 0;
    for (;;) {
        const char *pend = strchr(p, '/');
        size_t plen = pend ? (size_t)(pend - p) : strlen(p);
        char *uend = strchr(u, '/');
        size_t ulen = uend ? (size_t)(uend - u) : strlen(u);
        if (plen == 3 && strncmp(p, "{*}", 3) == 0 && !pend) {
            /* the rest of the path, slashes and all: a feature id such as
             * "S/1", which a client sends as S%2F1 and libmicrohttpd decodes */
            if (ulen == 0 || np == 6)
                return 0;
            params[np++] = u;
            return 1;
        }
        if (plen == 2 && strncmp(p, "{}", 2) == 0) {
            if (ulen == 0 || np == 6)
                return 0;
            params[np++] = u;
        } else if (plen != ulen || strncmp(p, u, plen) != 0) {
            return 0;
        }
        if (!pend || !uend)
            return !pend && !uend;
        *uend = '\0';
        p = pend + 1;
        u = uend + 1;
    }
}

int server_route(const char *method, const char *url, char *segbuf, size_t bufsize,
                 const char *params[6], int *path_found)
{
    *path_found = 0;
    for (size_t i = 0; ROUTES[i].method; i++) {
        if (!route_match(ROUTES[i].pattern, url, segbuf, bufsize, params))
            continue;
        *path_found = 1;
        if (strcmp(method, ROUTES[i].method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(ROUTES[i].method, "GET") == 0))
            return (int)i;
    }
    return -1;
}
