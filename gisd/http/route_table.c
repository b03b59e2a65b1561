/* The routing table: every request goes to the first route whose method
 * and path match; the table says who may call each (route_table.h). */
#include "route_table.h"

#include <string.h>

#include "routes.h"

/* Read top-down: this is where every request goes. */
const route ROUTES[] = {
    {"GET", "/", http_landing, ROUTE_READ},
    {"GET", "/conformance", http_conformance, ROUTE_READ},
    {"GET", "/api", http_openapi, ROUTE_READ},
    {"GET", "/collections", http_collections, ROUTE_READ},
    {"GET", "/collections/{}", http_collection, ROUTE_READ},
    {"GET", "/collections/{}/items", http_items, ROUTE_READ},
    {"POST", "/collections/{}/items", http_item_create, ROUTE_WRITE},
    {"PUT", "/collections/{}/items/{}", http_item_replace, ROUTE_WRITE},
    {"PATCH", "/collections/{}/items/{}", http_item_update, ROUTE_WRITE},
    {"DELETE", "/collections/{}/items/{}", http_item_delete, ROUTE_WRITE},
    {"GET", "/collections/{}/items/{}/history", http_item_history, ROUTE_READ},
    {"GET", "/collections/{}/queryables", http_queryables, ROUTE_READ},
    {"GET", "/collections/{}/items/{}", http_item, ROUTE_READ},
    {"GET", "/collections/{}/tiles", http_collection_tilesets, ROUTE_READ},
    {"GET", "/collections/{}/tiles/{}", http_collection_tileset, ROUTE_READ},
    {"GET", "/collections/{}/tiles/{}/{}/{}/{}", http_collection_tile, ROUTE_READ},
    {"GET", "/tileMatrixSets", http_tilematrixsets, ROUTE_READ},
    {"GET", "/tileMatrixSets/{}", http_tilematrixset, ROUTE_READ},
    {"GET", "/tiles/{}", http_tilejson, ROUTE_READ},
    {"GET", "/tiles/{}/{}/{}/{}", http_tile, ROUTE_READ},
    {"GET", "/styles", http_styles, ROUTE_READ},
    {"GET", "/styles/{}", http_style, ROUTE_READ},
    {"GET", "/viewer/{}", http_viewer_file, ROUTE_READ},
    {"GET", "/vendor/{}", http_vendor_file, ROUTE_READ},
    {"GET", "/fonts/{}/{}", http_glyphs, ROUTE_READ},
    {"GET", "/healthz", http_healthz, ROUTE_OPEN},
    {"GET", "/metrics", http_metrics, ROUTE_READ},
    {"GET", "/analysis/{}", http_analysis_get, ROUTE_READ},
    {"GET", "/parks/{}/{}", http_park, ROUTE_READ},
    {"GET", "/qgis/project.qgz", http_qgis_project, ROUTE_READ},
    {"POST", "/analysis/{}", http_analysis_post, ROUTE_READ},
    {"GET", "/processes", http_processes, ROUTE_READ},
    {"GET", "/processes/{}", http_process, ROUTE_READ},
    {"POST", "/processes/{}/execution", http_process_execute, ROUTE_READ},
    {"GET", "/jobs", http_jobs, ROUTE_READ},
    {"GET", "/jobs/{}", http_job, ROUTE_READ},
    {"DELETE", "/jobs/{}", http_job_dismiss, ROUTE_READ},
    {"GET", "/jobs/{}/results", http_job_results, ROUTE_READ},
    /* plan scenarios; every route above is also under /scenarios/{sid}/ (server.c) */
    {"GET", "/scenarios", http_scenarios, ROUTE_READ},
    {"POST", "/scenarios", http_scenario_create, ROUTE_WRITE},
    {"GET", "/scenarios/{}", http_scenario, ROUTE_READ},
    {"DELETE", "/scenarios/{}", http_scenario_drop, ROUTE_WRITE},
    {"GET", "/scenarios/{}/compare/{}", http_scenario_compare, ROUTE_READ},
    {"POST", "/scenarios/{}/compare/{}", http_scenario_compare, ROUTE_READ},
    {"POST", "/scenarios/{}/adopt", http_scenario_adopt, ROUTE_WRITE},
    /* last: the item routes again for ids with a slash in them */
    {"GET", "/collections/{}/items/{*}", http_item, ROUTE_READ},
    {"PUT", "/collections/{}/items/{*}", http_item_replace, ROUTE_WRITE},
    {"PATCH", "/collections/{}/items/{*}", http_item_update, ROUTE_WRITE},
    {"DELETE", "/collections/{}/items/{*}", http_item_delete, ROUTE_WRITE},
    {NULL, NULL, NULL, 0}};


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
