/* Every handler the routing table (route_table.c) names, by API family. */
#ifndef GISD_ROUTES_H
#define GISD_ROUTES_H

#include "server.h"

/* http_features.c: OGC API - Features */
enum MHD_Result http_landing(http_req *r);
enum MHD_Result http_conformance(http_req *r);
enum MHD_Result http_collections(http_req *r);
enum MHD_Result http_collection(http_req *r);
enum MHD_Result http_queryables(http_req *r);

/* http_edit.c: Part 4 */
enum MHD_Result http_item_create(http_req *r);
enum MHD_Result http_item_replace(http_req *r);
enum MHD_Result http_item_update(http_req *r);
enum MHD_Result http_item_delete(http_req *r);
enum MHD_Result http_item_history(http_req *r);
enum MHD_Result http_items(http_req *r);
enum MHD_Result http_item(http_req *r);
/* http_tiles.c: OGC API - Tiles, XYZ tiles and TileJSON */
enum MHD_Result http_collection_tilesets(http_req *r);
enum MHD_Result http_collection_tileset(http_req *r);
enum MHD_Result http_collection_tile(http_req *r);
enum MHD_Result http_tilematrixsets(http_req *r);
enum MHD_Result http_tilematrixset(http_req *r);
enum MHD_Result http_tilejson(http_req *r);
enum MHD_Result http_tile(http_req *r);
/* http_static.c: styles, the viewer and what it loads */
enum MHD_Result http_styles(http_req *r);
enum MHD_Result http_style(http_req *r);
enum MHD_Result http_viewer_file(http_req *r);
/* GET /map: the public recycling map (styles/viewer/map.html). */
enum MHD_Result http_public_map(http_req *r);
/* GET /nearest: the features of a point layer nearest to lon,lat. */
enum MHD_Result http_nearest(http_req *r);
/* GET /print: a map of an area as a PDF to print (A4/A3). */
enum MHD_Result http_print(http_req *r);
/* GET /labels: the Chinese labels of the answers' keys. */
enum MHD_Result http_labels(http_req *r);
/* GET /search: features by name or pinyin initials. */
enum MHD_Result http_search(http_req *r);
enum MHD_Result http_vendor_file(http_req *r);
enum MHD_Result http_vendor_package_file(http_req *r);
enum MHD_Result http_glyphs(http_req *r);
enum MHD_Result http_viewer(http_req *r);
/* http_openapi.c */
enum MHD_Result http_openapi(http_req *r);
/* http_reports.c */
enum MHD_Result http_park(http_req *r);
enum MHD_Result http_qgis_project(http_req *r);

/* http_analysis.c */
/* /collections/roads/network: the network-check analysis. */
enum MHD_Result http_roads_network(http_req *r);
enum MHD_Result http_analysis_get(http_req *r);
enum MHD_Result http_analysis_post(http_req *r);
/* GET /site-rules: the rules file the server checks sites against. */
enum MHD_Result http_site_rules(http_req *r);

/* http_opinions.c: the register of compliance opinions */
enum MHD_Result http_opinions(http_req *r);
enum MHD_Result http_opinion_issue(http_req *r);
enum MHD_Result http_opinion(http_req *r);
/* http_processes.c: OGC API - Processes (Part 1: Core) */
enum MHD_Result http_processes(http_req *r);
enum MHD_Result http_process(http_req *r);
enum MHD_Result http_process_execute(http_req *r);
/* http_scenarios.c: plan scenarios */
enum MHD_Result http_scenarios(http_req *r);
enum MHD_Result http_scenario(http_req *r);
enum MHD_Result http_scenario_create(http_req *r);
enum MHD_Result http_scenario_drop(http_req *r);
enum MHD_Result http_scenario_compare(http_req *r);
enum MHD_Result http_scenario_adopt(http_req *r);
/* jobs.c: the asynchronous jobs */
enum MHD_Result http_jobs(http_req *r);
enum MHD_Result http_job(http_req *r);
enum MHD_Result http_job_dismiss(http_req *r);
enum MHD_Result http_job_results(http_req *r);
/* http_ops.c */
enum MHD_Result http_healthz(http_req *r);
enum MHD_Result http_metrics(http_req *r);

#endif
