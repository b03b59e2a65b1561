/* Operations: /healthz for load balancers, /metrics for Prometheus. */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "routes.h"
#include "strbuf.h"

enum MHD_Result http_healthz(http_req *r)
{
    gisd_error err = {0};
    char damage[512];
    if (server_store_damaged(r->srv, damage, sizeof damage))
        return http_reply_error(r, 503, "StoreDamaged",
                                "the store failed its integrity check (PRAGMA quick_check): %s", damage);
    worker *w = server_worker_for(r->srv, r->scenario, &err);
    if (!w)
        return http_reply_error(r, 503, "Unavailable", "%s", err.message);
    char dataset[256] = "";
    store_found rc = store_meta_get(w->st, "dataset", dataset, sizeof dataset, &err);
    server_worker_release(r->srv, w);
    if (rc == STORE_FAILED)
        return http_reply_error(r, 503, "Unavailable", "%s", err.message);
    return http_reply_json(r, 200, json_pack("{s:s, s:s}", "status", "ok", "dataset", dataset),
                           MEDIA_JSON);
}

enum MHD_Result http_metrics(http_req *r)
{
    char *text = metrics_render(server_metrics(r->srv));
    if (!text)
        return http_reply_error(r, 500, "ServerError", "out of memory");
    tilecache_stats ts;
    tilecache_stats_get(tile_service_cache(server_tiles(r->srv)), &ts);
    long long snapshots, area_reads, too_large;
    tile_source_counts(tile_service_source(server_tiles(r->srv)), &snapshots, &area_reads, &too_large);
    strbuf b = {0};
    strbuf_puts(&b, text);
    free(text);
    strbuf_printf(&b,
                  "# HELP gisd_tile_cache_hits_total Tiles served from the tile cache.\n"
                  "# TYPE gisd_tile_cache_hits_total counter\n"
                  "gisd_tile_cache_hits_total %lld\n"
                  "# HELP gisd_tile_cache_misses_total Tiles rendered because the cache lacked them.\n"
                  "# TYPE gisd_tile_cache_misses_total counter\n"
                  "gisd_tile_cache_misses_total %lld\n"
                  "# HELP gisd_tile_cache_evictions_total Tiles the cache dropped to stay within its bound.\n"
                  "# TYPE gisd_tile_cache_evictions_total counter\n"
                  "gisd_tile_cache_evictions_total %lld\n"
                  "# HELP gisd_tile_cache_bytes Bytes the tile cache holds, of gisd_tile_cache_max_bytes.\n"
                  "# TYPE gisd_tile_cache_bytes gauge\n"
                  "gisd_tile_cache_bytes %lld\n"
                  "# TYPE gisd_tile_cache_max_bytes gauge\n"
                  "gisd_tile_cache_max_bytes %lld\n"
                  "# HELP gisd_tile_snapshots_total Whole-layer snapshots loaded for tiles.\n"
                  "# TYPE gisd_tile_snapshots_total counter\n"
                  "gisd_tile_snapshots_total %lld\n"
                  "# HELP gisd_tile_area_reads_total Layers read for one tile's area, while their snapshot loaded "
                  "or when it is too large to hold.\n"
                  "# TYPE gisd_tile_area_reads_total counter\n"
                  "gisd_tile_area_reads_total %lld\n"
                  "# HELP gisd_tile_layers_too_large Layers whose whole snapshot passed --snapshot-max-mb.\n"
                  "# TYPE gisd_tile_layers_too_large gauge\n"
                  "gisd_tile_layers_too_large %lld\n",
                  ts.hits, ts.misses, ts.evictions, ts.bytes, ts.max_bytes, snapshots, area_reads, too_large);
    enum MHD_Result ret =
        http_reply_bytes(r, 200, b.data, b.len, "text/plain; version=0.0.4; charset=utf-8");
    strbuf_free(&b);
    return ret;
}
