/* Every handler the routing table in server.c names, by API family. */
#ifndef GISD_ROUTES_H
#define GISD_ROUTES_H

#include "server.h"

/* http_features.c: OGC API - Features */
enum MHD_Result http_landing(http_req *r);
enum MHD_Result http_conformance(http_req *r);
enum MHD_Result http_collections(http_req *r);
enum MHD_Result http_collection(http_req *r);
enum MHD_Result http_items(http_req *r);
enum MHD_Result http_item(http_req *r);
/* http_openapi.c */
enum MHD_Result http_openapi(http_req *r);
/* http_analysis.c */
enum MHD_Result http_analysis_get(http_req *r);
enum MHD_Result http_analysis_post(http_req *r);
/* http_ops.c */
enum MHD_Result http_healthz(http_req *r);
enum MHD_Result http_metrics(http_req *r);

#endif
