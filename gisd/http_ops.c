/* Operations: /healthz for load balancers, /metrics for Prometheus. */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "routes.h"

enum MHD_Result http_healthz(http_req *r)
{
    gisd_error err = {0};
    worker *w = server_worker_acquire(r->srv, &err);
    if (!w)
        return http_reply_error(r, 503, "Unavailable", "%s", err.message);
    char dataset[256] = "";
    int rc = store_meta_get(w->st, "dataset", dataset, sizeof dataset, &err);
    server_worker_release(r->srv, w);
    if (rc < 0)
        return http_reply_error(r, 503, "Unavailable", "%s", err.message);
    return http_reply_json(r, 200, json_pack("{s:s, s:s}", "status", "ok", "dataset", dataset),
                           MEDIA_JSON);
}

enum MHD_Result http_metrics(http_req *r)
{
    char *text = metrics_render(server_metrics(r->srv));
    if (!text)
        return http_reply_error(r, 500, "ServerError", "out of memory");
    enum MHD_Result ret =
        http_reply_bytes(r, 200, text, strlen(text), "text/plain; version=0.0.4; charset=utf-8");
    free(text);
    return ret;
}
