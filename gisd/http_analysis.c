/* /analysis/{name}: the planning analyses over HTTP, through analysis_dispatch
#include <stdlib.h>
 * like `gisd analyze`. */
#include <string.h>

#include "analysis.h"
#include "http.h"
#include "routes.h"

static const char *const ARGS[] = {"radius_m", "park_id", "capable", "max_km",
                                   "level", "f", "analysis_crs", NULL};

static enum MHD_Result run(http_req *r, json_t *site)
{
    const char *unknown = http_unknown_arg(r, ARGS, NULL);
    if (unknown)
        return http_reply_error(r, 400, "InvalidParameterValue",
                                "unknown parameter \"%s\"; the analyses take radius_m, park_id, "
                                "capable, max_km, level, f and analysis_crs", unknown);
    analysis_args a = {http_arg(r, "radius_m"), http_arg(r, "park_id"), http_arg(r, "capable"),
                       http_arg(r, "max_km"),   http_arg(r, "level"),   http_arg(r, "f"),
                       http_arg(r, "analysis_crs")};
    gisd_error err = {0};
    worker *w = server_worker_acquire(r->srv, &err);
    if (!w)
        return http_reply_gisd_error(r, &err);
    json_t *out = NULL;
    int rc = analysis_dispatch(w->st, r->reg, server_rules(r->srv), r->params[0], &a, site, &out, &err);
    server_worker_release(r->srv, w);
    if (rc != 0)
        return http_reply_gisd_error(r, &err);
    char *text = json_dumps(out, ANALYSIS_JSON_FLAGS);
    int geo = a.format && strcmp(a.format, "geojson") == 0;
    json_decref(out);
    if (!text)
        return http_reply_error(r, 500, "ServerError", "could not encode the answer");
    enum MHD_Result ret = http_reply_bytes(r, 200, text, strlen(text), geo ? MEDIA_GEOJSON : MEDIA_JSON);
    free(text);
    return ret;
}

enum MHD_Result http_analysis_get(http_req *r)
{
    if (strcmp(r->params[0], "site-check") == 0)
        return http_reply_error(r, 405, "MethodNotAllowed",
                                "site-check takes the site as a POST body (a GeoJSON Feature)");
    return run(r, NULL);
}

enum MHD_Result http_analysis_post(http_req *r)
{
    if (strcmp(r->params[0], "site-check") != 0)
        return http_reply_error(r, 405, "MethodNotAllowed", "only site-check takes a POST body");
    if (!r->body || r->body_len == 0)
        return http_reply_error(r, 400, "InvalidParameterValue",
                                "the body must be the site as a GeoJSON Feature");
    json_error_t jerr;
    json_t *site = json_loadb(r->body, r->body_len, 0, &jerr);
    if (!site)
        return http_reply_error(r, 400, "InvalidParameterValue",
                                "the body is not JSON: line %d, column %d: %s", jerr.line, jerr.column,
                                jerr.text);
    enum MHD_Result ret = run(r, site);
    json_decref(site);
    return ret;
}
