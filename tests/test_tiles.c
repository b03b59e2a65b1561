/* Vector tiles: the MVT command encoding against the specification's own
 * examples, the tile grid, and the server's tiles, TileJSON, OGC API - Tiles
 * metadata and MBTiles read back by GDAL's MVT and MBTiles drivers and
 * compared with the features the OGC API finds in the same bounds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mvt.h"
#include "pmtiles.h"
#include "tile_grid.h"
#include "testutil.h"

static char db[1200];
static tu_server srv;

static int setup(void **state)
{
    (void)state;
    tu_serve_reference("tiles", db, sizeof db, &srv);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    return 0;
}

static void assert_commands(const mvt_geom *g, const uint32_t *want, size_t n)
{
    assert_int_equal(g->n, n);
    for (size_t i = 0; i < n; i++)
        if (g->v[i] != want[i])
            fail_msg("command integer %zu is %u, the specification says %u", i, g->v[i], want[i]);
}

/* The examples of section 4.3.5 of the MVT 2.1 specification. */
static void mvt_commands_match_the_specification_examples(void **state)
{
    (void)state;
    mvt_geom g = {0};
    const int32_t point[] = {25, 17};
    mvt_geom_points(&g, point, 1);
    assert_commands(&g, (const uint32_t[]){9, 50, 34}, 3);

    mvt_geom_reset(&g);
    const int32_t multi[] = {5, 7, 3, 2};
    mvt_geom_points(&g, multi, 2);
    assert_commands(&g, (const uint32_t[]){17, 10, 14, 3, 9}, 5);

    mvt_geom_reset(&g);
    const int32_t line[] = {2, 2, 2, 10, 10, 10};
    mvt_geom_line(&g, line, 3);
    assert_commands(&g, (const uint32_t[]){9, 4, 4, 18, 0, 16, 16, 0}, 8);

    mvt_geom_reset(&g);
    const int32_t ring[] = {3, 6, 8, 12, 20, 34};
    mvt_geom_ring(&g, ring, 3);
    assert_commands(&g, (const uint32_t[]){9, 6, 12, 18, 10, 12, 24, 44, 15}, 9);
    mvt_geom_free(&g);
}

static void tile_grid_bounds_and_ranges(void **state)
{
    (void)state;
    double b[4];
    tile_bounds_merc((tile_id){0, 0, 0}, b);
    assert_true(fabs(b[0] + MERC_HALF) < 1e-6 && fabs(b[3] - MERC_HALF) < 1e-6);
    tile_bounds_merc((tile_id){1, 1, 1}, b); /* the south-east quarter */
    assert_true(fabs(b[0]) < 1e-6 && fabs(b[3]) < 1e-6 && fabs(b[2] - MERC_HALF) < 1e-6);
    double ll[4];
    tile_bounds_lonlat((tile_id){12, 3420, 1715}, ll);
    assert_true(ll[0] < 120.65 && ll[2] > 120.65 && ll[1] < 28.0 && ll[3] > 28.0);
    unsigned x0, y0, x1, y1;
    tile_range_lonlat(12, (const double[]){120.65, 28.0, 120.65, 28.0}, &x0, &y0, &x1, &y1);
    assert_true(x0 == 3420 && x1 == 3420 && y0 == 1715 && y1 == 1715);
    assert_false(tile_valid((tile_id){3, 8, 0}));
    assert_true(tile_valid((tile_id){3, 7, 7}));
}

/* The values of field in the layer's features, as ogrinfo prints them, one
 * per line, sorted and unique. */
static char *gdal_ids(const char *source, const char *oo, const char *layer, const char *field)
{
    char *out;
    int rc = tu_run(&out,
                    "ogrinfo -ro -q -al -geom=NO %s '%s' %s 2>/dev/null | sed -n 's/^  %s ([A-Za-z0-9]*) = //p'"
                    " | sort -u",
                    oo, source, layer, field);
    assert_int_equal(rc, 0);
    return out;
}

/* The same from the OGC API items in a lon/lat bbox. */
static char *api_ids(const char *layer, const char *field, const double bb[4])
{
    char path[512], *body;
    snprintf(path, sizeof path, "/collections/%s/items?limit=10000&bbox=%.9f,%.9f,%.9f,%.9f", layer,
             bb[0], bb[1], bb[2], bb[3]);
    assert_int_equal(tu_http(&srv, "GET", path, NULL, &body, NULL), 200);
    json_t *doc = tu_json_text(body);
    free(body);
    size_t n = json_array_size(json_object_get(doc, "features"));
    char **ids = calloc(n + 1, sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        json_t *props = json_object_get(json_array_get(json_object_get(doc, "features"), i), "properties");
        ids[i] = strdup(json_string_value(json_object_get(props, field)));
    }
    json_decref(doc);
    qsort(ids, n, sizeof *ids, (int (*)(const void *, const void *))strcmp);
    size_t cap = 16;
    for (size_t i = 0; i < n; i++)
        cap += strlen(ids[i]) + 1;
    char *text = calloc(1, cap);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(ids[i], ids[i - 1]) == 0)
            continue;
        strcat(text, ids[i]);
        strcat(text, "\n");
    }
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    return text;
}

/* Every line of a in b. */
static int lines_within(const char *a, const char *b)
{
    char line[256];
    for (const char *p = a; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        snprintf(line, sizeof line, "\n%.*s\n", (int)len, p);
        char *hay = malloc(strlen(b) + 3);
        sprintf(hay, "\n%s", b);
        int found = strstr(hay, line) != NULL;
        free(hay);
        if (!found)
            return 0;
        p = nl ? nl + 1 : p + len;
    }
    return 1;
}

static const struct {
    const char *layer, *field;
} ID_FIELDS[] = {{"parks", "park_id"},           {"zones", "zone_id"},
                 {"heat_network", "pipe_id"},    {"heat_sources", "source_id"},
                 {"enterprises", "ent_id"},      {"recycling_points", "point_id"},
                 {"hw_facilities", "facility_id"}, {"sensitive_areas", "area_id"},
                 {"communities", "community_id"}};

/* What GDAL decodes from a server tile: every feature the OGC API finds in
 * the tile's bounds, and nothing beyond the tile's buffer. */
static void check_tile_against_api(int z, unsigned x, unsigned y)
{
    char url[512];
    snprintf(url, sizeof url, "/vsicurl/%s/tiles/all/%d/%u/%u.mvt", srv.base, z, x, y);
    double ll[4], buffered[4];
    tile_bounds_lonlat((tile_id){z, x, y}, ll);
    double pad_x = (ll[2] - ll[0]) * 64 / 4096, pad_y = (ll[3] - ll[1]) * 64 / 4096;
    buffered[0] = ll[0] - pad_x;
    buffered[1] = ll[1] - pad_y;
    buffered[2] = ll[2] + pad_x;
    buffered[3] = ll[3] + pad_y;
    int nonempty = 0;
    for (size_t i = 0; i < sizeof ID_FIELDS / sizeof *ID_FIELDS; i++) {
        char *tile = gdal_ids(url, "", ID_FIELDS[i].layer, ID_FIELDS[i].field);
        char *inside = api_ids(ID_FIELDS[i].layer, ID_FIELDS[i].field, ll);
        char *near = api_ids(ID_FIELDS[i].layer, ID_FIELDS[i].field, buffered);
        if (!lines_within(inside, tile))
            fail_msg("tile %d/%u/%u, %s: the API finds\n%s\nin the tile's bounds; GDAL decodes\n%s",
                     z, x, y, ID_FIELDS[i].layer, inside, tile);
        if (!lines_within(tile, near))
            fail_msg("tile %d/%u/%u, %s: GDAL decodes\n%s\nbut the API has only\n%s\nnear the tile",
                     z, x, y, ID_FIELDS[i].layer, tile, near);
        nonempty += *tile != '\0';
        free(tile);
        free(inside);
        free(near);
    }
    assert_true(nonempty >= 3);
}

static void server_tiles_decode_with_gdal_and_match_the_api(void **state)
{
    (void)state;
    check_tile_against_api(12, 3420, 1715);
    check_tile_against_api(14, 13690, 6872);
    check_tile_against_api(13, 6845, 3436);
}

static void ogc_tile_path_serves_the_same_tile(void **state)
{
    (void)state;
    /* GDAL's MVT driver takes z/x/y from the file name: save the OGC API's
     * tile (row before column in its path) under its XYZ name. */
    char path[1400], url[512];
    snprintf(path, sizeof path, "%s/14/13690", tu_tmpdir("tiles-ogc"));
    char *out;
    assert_int_equal(tu_run(&out, "mkdir -p '%s' && curl -sf -o '%s/6872.pbf' "
                                  "'%s/collections/zones/tiles/WebMercatorQuad/14/6872/13690'",
                            path, path, srv.base), 0);
    free(out);
    strcat(path, "/6872.pbf");
    char *ogc = gdal_ids(path, "", "zones", "zone_id");
    snprintf(url, sizeof url, "/vsicurl/%s/tiles/zones/14/13690/6872.mvt", srv.base);
    char *xyz = gdal_ids(url, "", "zones", "zone_id");
    assert_true(strlen(ogc) > 0);
    assert_string_equal(ogc, xyz);
    free(ogc);
    free(xyz);
    /* a layer without an overview is left out below its zoom range: the heat network starts at 8 */
    char *body, *headers;
    assert_int_equal(tu_http(&srv, "GET", "/tiles/heat_network/7/106/53.mvt", NULL, &body, &headers), 204);
    free(body);
    free(headers);
    assert_int_equal(tu_http(&srv, "GET", "/tiles/heat_network/8/213/107.mvt", NULL, &body, &headers), 200);
    free(body);
    free(headers);
}

static void overviews_below_minzoom_and_labels_once(void **state)
{
    (void)state;
    char *out;
    int rc = tu_run(&out, "/usr/bin/python3 '%s/tests/overview_check.py' '%s' '%s' 2>&1", tu_root(), srv.base, db);
    if (rc != 0)
        fail_msg("overview_check: %s", out);
    assert_non_null(strstr(out, "ok:"));
    free(out);
}

static void tiles_carry_http_caching_and_encoding(void **state)
{
    (void)state;
    char *out;
    const char *tile = "/tiles/all/12/3420/1715.mvt";
    int rc = tu_run(&out, "curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' '%s%s'", srv.base, tile);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "200"));
    assert_non_null(strstr(out, "Content-Encoding: gzip"));
    assert_non_null(strstr(out, "Content-Type: application/vnd.mapbox-vector-tile"));
    assert_non_null(strstr(out, "Cache-Control: public"));
    char *etag = strstr(out, "ETag: ");
    assert_non_null(etag);
    char tag[64];
    assert_int_equal(sscanf(etag + 6, "%63s", tag), 1);
    free(out);
    /* the gzip body is the same tile as the plain one */
    const char *dir = tu_tmpdir("tiles-gzip");
    rc = tu_run(&out, "curl -s '%s%s' > '%s/plain' && curl -s -H 'Accept-Encoding: gzip' '%s%s' |"
                " gzip -dc > '%s/unzipped' && cmp '%s/plain' '%s/unzipped' && echo same",
                srv.base, tile, dir, srv.base, tile, dir, dir, dir);
    assert_non_null(strstr(out, "same"));
    free(out);
    rc = tu_run(&out, "curl -s -o /dev/null -w '%%{http_code}' -H 'If-None-Match: %s' '%s%s'", tag,
                srv.base, tile);
    assert_string_equal(out, "304");
    free(out);
    /* the second and third requests of the tile came from the cache */
    char *metrics;
    assert_int_equal(tu_http(&srv, "GET", "/metrics", NULL, &metrics, NULL), 200);
    char *hits = strstr(metrics, "\ngisd_tile_cache_hits_total ");
    assert_non_null(hits);
    assert_true(atol(hits + strlen("\ngisd_tile_cache_hits_total ")) >= 2);
    free(metrics);
    /* an empty tile: over the Pacific, far from the city */
    char *body;
    assert_int_equal(tu_http(&srv, "GET", "/tiles/all/10/1000/300.mvt", NULL, &body, NULL), 204);
    free(body);
}

static void bad_tile_requests_get_4xx_json(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        int status;
        const char *says;
    } CASES[] = {{"/tiles/nowhere/1/0/0.mvt", 404, "nowhere"},
                 {"/tiles/all/a/0/0.mvt", 400, "whole numbers"},
                 {"/tiles/all/3/9/0.mvt", 404, "outside"},
                 {"/tiles/all/30/0/0.mvt", 404, "outside"},
                 {"/tiles/all/3/0/0.png", 404, ".mvt"},
                 {"/tiles/parks,,zones/1/0/0.mvt", 400, "layer"},
                 {"/collections/parks/tiles/WorldCRS84Quad/1/0/0", 404, "WebMercatorQuad"},
                 {"/collections/nowhere/tiles", 404, "nowhere"},
                 {"/tiles/nowhere.json", 404, "nowhere"},
                 {"/tileMatrixSets/Other", 404, "WebMercatorQuad"}};
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        char *body, *headers;
        int status = tu_http(&srv, "GET", CASES[i].path, NULL, &body, &headers);
        if (status != CASES[i].status || !strstr(body, CASES[i].says) ||
            !strstr(headers, "application/json"))
            fail_msg("%s: got %d %s", CASES[i].path, status, body);
        free(body);
        free(headers);
    }
}

static void tilejson_and_tileset_metadata(void **state)
{
    (void)state;
    char *body;
    assert_int_equal(tu_http(&srv, "GET", "/tiles/all.json", NULL, &body, NULL), 200);
    json_t *tj = tu_json_text(body);
    free(body);
    assert_string_equal(json_string_value(json_object_get(tj, "tilejson")), "3.0.0");
    /* the eleven layers and the label points of parks and districts */
    assert_int_equal(json_array_size(json_object_get(tj, "vector_layers")), 13);
    assert_int_equal(json_integer_value(json_object_get(tj, "maxzoom")), 18);
    json_t *bounds = json_object_get(tj, "bounds");
    assert_true(json_real_value(json_array_get(bounds, 0)) > 119.5 &&
                json_real_value(json_array_get(bounds, 2)) < 121.5);
    const char *tiles = json_string_value(json_array_get(json_object_get(tj, "tiles"), 0));
    assert_non_null(strstr(tiles, "/tiles/all/{z}/{x}/{y}.mvt"));
    json_t *parks = NULL, *label = NULL, *zones = NULL, *pipes = NULL, *v;
    size_t i;
    json_array_foreach(json_object_get(tj, "vector_layers"), i, v) {
        const char *id = json_string_value(json_object_get(v, "id"));
        parks = strcmp(id, "parks") == 0 ? v : parks;
        label = strcmp(id, "parks_label") == 0 ? v : label;
        zones = strcmp(id, "zones") == 0 ? v : zones;
        pipes = strcmp(id, "heat_network") == 0 ? v : pipes;
    }
    assert_non_null(parks);
    assert_non_null(json_object_get(json_object_get(parks, "fields"), "park_id"));
    assert_non_null(label);
    assert_non_null(json_object_get(json_object_get(label, "fields"), "name"));
    /* zones have an overview below their minzoom of 10; the heat network has none */
    assert_int_equal(json_integer_value(json_object_get(zones, "minzoom")), 0);
    assert_int_equal(json_integer_value(json_object_get(pipes, "minzoom")), 8);
    json_decref(tj);

    assert_int_equal(tu_http(&srv, "GET", "/tiles/zones,parks.json", NULL, &body, NULL), 200);
    tj = tu_json_text(body);
    free(body);
    assert_int_equal(json_array_size(json_object_get(tj, "vector_layers")), 3);
    assert_int_equal(json_integer_value(json_object_get(tj, "minzoom")), 0);
    json_decref(tj);

    assert_int_equal(tu_http(&srv, "GET", "/collections/zones/tiles", NULL, &body, NULL), 200);
    assert_non_null(strstr(body, "WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}"));
    free(body);
    assert_int_equal(tu_http(&srv, "GET", "/collections/zones/tiles/WebMercatorQuad", NULL, &body, NULL), 200);
    json_t *ts = tu_json_text(body);
    free(body);
    json_t *limits = json_object_get(ts, "tileMatrixSetLimits");
    /* zones' overview makes them a tileset from 0 (full detail from 10) */
    assert_int_equal(json_array_size(limits), 18 - 0 + 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(limits, 0), "tileMatrix")), "0");
    json_decref(ts);
    assert_int_equal(tu_http(&srv, "GET", "/collections/heat_network/tiles/WebMercatorQuad", NULL, &body, NULL), 200);
    ts = tu_json_text(body);
    free(body);
    limits = json_object_get(ts, "tileMatrixSetLimits");
    assert_int_equal(json_array_size(limits), 18 - 8 + 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(limits, 0), "tileMatrix")), "8");
    json_decref(ts);
    assert_int_equal(tu_http(&srv, "GET", "/tileMatrixSets/WebMercatorQuad", NULL, &body, NULL), 200);
    json_t *tms = tu_json_text(body);
    free(body);
    assert_int_equal(json_array_size(json_object_get(tms, "tileMatrices")), 25);
    json_decref(tms);
    assert_int_equal(tu_http(&srv, "GET", "/conformance", NULL, &body, NULL), 200);
    assert_non_null(strstr(body, "ogcapi-tiles-1/1.0/conf/mvt"));
    free(body);
}

/* An import into a layer invalidates its cached tiles before it returns. */
static void no_stale_tile_after_an_import(void **state)
{
    (void)state;
    char url[512];
    snprintf(url, sizeof url, "/vsicurl/%s/tiles/parks,enterprises/12/3420/1715.mvt", srv.base);
    char *parks = gdal_ids(url, "", "parks", "park_id");
    char *ents = gdal_ids(url, "", "enterprises", "ent_id");
    assert_true(strlen(parks) > 0);
    double ll[4];
    tile_bounds_lonlat((tile_id){12, 3420, 1715}, ll);
    char path[1200];
    snprintf(path, sizeof path, "%s/one_park.geojson", tu_tmpdir("tiles-import"));
    FILE *f = fopen(path, "w");
    fprintf(f,
            "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":"
            "{\"park_id\":\"NEW01\",\"name\":\"新园区\",\"level\":\"provincial\"},\"geometry\":"
            "{\"type\":\"Polygon\",\"coordinates\":[[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f]]]}}]}",
            ll[0] + 0.01, ll[1] + 0.01, ll[2] - 0.01, ll[1] + 0.01, ll[2] - 0.01, ll[3] - 0.01,
            ll[0] + 0.01, ll[1] + 0.01);
    fclose(f);
    char *out;
    int rc = tu_run(&out, "'%s' import --db '%s' '%s' --layer parks", tu_gisd(), db, path);
    if (rc != 0)
        fail_msg("import: %s", out);
    free(out);
    char *parks2 = gdal_ids(url, "", "parks", "park_id");
    char *ents2 = gdal_ids(url, "", "enterprises", "ent_id");
    assert_string_equal(parks2, "NEW01\n");
    assert_string_equal(ents2, ents);
    rc = tu_run(&out, "'%s' import --db '%s' --manifest '%s'", tu_gisd(), db,
                tu_data("reference/manifest.json"));
    if (rc != 0)
        fail_msg("re-import: %s", out);
    free(out);
    char *parks3 = gdal_ids(url, "", "parks", "park_id");
    assert_string_equal(parks3, parks);
    free(parks);
    free(parks2);
    free(parks3);
    free(ents);
    free(ents2);
}

static long long metric(const tu_server *s, const char *name)
{
    char *out;
    assert_int_equal(tu_run(&out, "curl -sf '%s/metrics' | awk '$1 == \"%s\" { print $2 }'", s->base, name), 0);
    long long v = atoll(out);
    free(out);
    return v;
}

/* The first tiles of a fresh server are cut from their own area while the
 * whole layers load in the background: they must be the very tiles the
 * whole snapshots give. */
static void first_tiles_are_cut_from_their_area_identically(void **state)
{
    (void)state;
    static const char *const tiles[] = {"/tiles/all/12/3420/1715.mvt", "/tiles/all/10/855/429.mvt",
                                        "/tiles/all/14/13683/6862.mvt", "/tiles/all/8/213/107.mvt"};
    const char *dir = tu_tmpdir("tiles-area");
    const char *args[] = {"--tile-cache-mb", "0", NULL};
    tu_server s;
    tu_server_start_args(&s, db, args);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(tu_run(NULL, "curl -sf -o '%s/area%zu.mvt' '%s%s'", dir, i, s.base, tiles[i]), 0);
    assert_true(metric(&s, "gisd_tile_area_reads_total") >= 10);
    /* every layer of "all" gets its whole snapshot in the background */
    for (int k = 0; k < 200 && metric(&s, "gisd_tile_snapshots_total") < 11; k++)
        usleep(50000);
    assert_int_equal(metric(&s, "gisd_tile_snapshots_total"), 11);
    long long reads = metric(&s, "gisd_tile_area_reads_total");
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(tu_run(NULL, "curl -sf -o '%s/whole%zu.mvt' '%s%s' && cmp '%s/area%zu.mvt' "
                                      "'%s/whole%zu.mvt'", dir, i, s.base, tiles[i], dir, i, dir, i), 0);
    }
    /* and those came from the snapshots, not from more area reads */
    assert_int_equal(metric(&s, "gisd_tile_area_reads_total"), reads);
    tu_server_stop(&s);
}

/* --snapshot-max-mb: the layers too large to hold are never snapshotted;
 * each of their tiles is cut from its own area, and every tile is the one an
 * unbounded server serves: byte for byte at the layers' own zooms; below
 * them, where polygons are dissolved from the features the area holds, the
 * same ground (tests/mvt_same.py). */
static void layers_too_large_to_hold_are_read_by_area(void **state)
{
    (void)state;
    static const char *const tiles[] = {"/tiles/all/12/3420/1715.mvt", "/tiles/all/10/855/429.mvt",
                                        "/tiles/all/14/13683/6862.mvt", "/tiles/all/8/213/107.mvt"};
    const char *dir = tu_tmpdir("tiles-max");
    const char *whole_args[] = {"--tile-cache-mb", "0", NULL};
    const char *bounded_args[] = {"--tile-cache-mb", "0", "--snapshot-max-mb", "0.2", NULL};
    tu_server whole, bounded;
    tu_server_start_args(&whole, db, whole_args);
    tu_server_start_args(&bounded, db, bounded_args);
    /* a first round starts the background loads; they end in snapshots or in "too large" */
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(tu_run(NULL, "curl -sf -o /dev/null '%s%s'", bounded.base, tiles[i]), 0);
    for (int k = 0; k < 200 && metric(&bounded, "gisd_tile_snapshots_total") +
                                       metric(&bounded, "gisd_tile_layers_too_large") < 11; k++)
        usleep(50000);
    long long held = metric(&bounded, "gisd_tile_snapshots_total"),
              too_large = metric(&bounded, "gisd_tile_layers_too_large");
    /* the reference city's communities, enterprises and zones pass 0.2 MB; its parks do not */
    assert_int_equal(held + too_large, 11);
    assert_true(too_large >= 3);
    assert_true(held >= 1);
    long long reads = metric(&bounded, "gisd_tile_area_reads_total");
    char same[1200];
    snprintf(same, sizeof same, "/usr/bin/python3 '%s/tests/mvt_same.py'", tu_root());
    for (size_t i = 0; i < 4; i++) {
        char *out;
        int rc = tu_run(&out, "curl -sf -o '%s/w%zu.mvt' '%s%s' && curl -sf -o '%s/b%zu.mvt' '%s%s' && "
                              "%s '%s/w%zu.mvt' '%s/b%zu.mvt'", dir, i, whole.base, tiles[i], dir, i, bounded.base,
                        tiles[i], strstr(tiles[i], "/8/") ? same : "cmp", dir, i, dir, i);
        if (rc != 0)
            fail_msg("%s: %s", tiles[i], out);
        free(out);
    }
    /* each of those tiles read each too-large layer for its own area, and nothing more was held */
    assert_int_equal(metric(&bounded, "gisd_tile_area_reads_total"), reads + 4 * too_large);
    assert_int_equal(metric(&bounded, "gisd_tile_snapshots_total"), held);
    tu_server_stop(&bounded);
    tu_server_stop(&whole);
    /* a bound that is not a number of MB is refused */
    char *out;
    assert_int_equal(tu_run(&out, "'%s' serve --db '%s' --snapshot-max-mb lots 2>&1", tu_gisd(), db), 2);
    assert_non_null(strstr(out, "--snapshot-max-mb"));
    free(out);
}

static void mbtiles_read_by_gdal(void **state)
{
    (void)state;
    char out_path[1200];
    snprintf(out_path, sizeof out_path, "%s/city.mbtiles", tu_tmpdir("tiles-mbtiles"));
    char *out;
    int rc = tu_run(&out, "'%s' tiles --db '%s' --out '%s' --zoom 0-16 --quiet", tu_gisd(), db,
                    out_path);
    if (rc != 0)
        fail_msg("gisd tiles: %s", out);
    free(out);
    /* every enterprise is in the pyramid at zoom 14, each once after GDAL clips to the tiles */
    char *ids = gdal_ids(out_path, "-oo ZOOM_LEVEL=14", "enterprises", "ent_id");
    size_t lines = 0;
    for (const char *p = ids; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 2000);
    free(ids);
    /* the field types come from the metadata */
    rc = tu_run(&out, "ogrinfo -ro -so -oo ZOOM_LEVEL=14 '%s' enterprises | grep boiler_tph", out_path);
    assert_non_null(strstr(out, "Real"));
    free(out);
    /* the MBTiles tile is the server's tile */
    char url[512];
    snprintf(url, sizeof url, "/vsicurl/%s/tiles/all/14/13690/6872.mvt", srv.base);
    char *server = gdal_ids(url, "", "zones", "zone_id");
    char bbox[160];
    double ll[4];
    tile_bounds_lonlat((tile_id){14, 13690, 6872}, ll);
    double m[4];
    tile_bounds_merc((tile_id){14, 13690, 6872}, m);
    double inset = (m[2] - m[0]) / 2 - 1;
    snprintf(bbox, sizeof bbox, "-oo ZOOM_LEVEL=14 -spat %.3f %.3f %.3f %.3f", m[0] + inset,
             m[1] + inset, m[2] - inset, m[3] - inset);
    char *local = gdal_ids(out_path, bbox, "zones", "zone_id");
    assert_true(strlen(server) > 0);
    assert_true(lines_within(local, server));
    free(server);
    free(local);
    /* every tile stays under 500 KB */
    rc = tu_run(&out, "/usr/bin/python3 -c \"import sqlite3,zlib,sys;"
                      "c=sqlite3.connect(sys.argv[1]);"
                      "print(max(len(zlib.decompress(t,31)) for (t,) in c.execute('select tile_data from tiles')))\" '%s'",
                out_path);
    assert_int_equal(rc, 0);
    long biggest = atol(out);
    free(out);
    if (biggest <= 0 || biggest >= 500 * 1024)
        fail_msg("the largest tile is %ld bytes", biggest);
    /* a bad zoom range is refused */
    rc = tu_run(&out, "'%s' tiles --db '%s' --out '%s.x' --zoom 9-3", tu_gisd(), db, out_path);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(out, "--zoom"));
    free(out);
}

/* The PMTiles archive holds the same tiles as the MBTiles one, read back by
 * the PMTiles project's own reader; zooms 14-18 need leaf directories. */
static void pmtiles_read_by_the_pmtiles_reader(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("tiles-pmtiles");
    char *out;
    int rc = tu_run(&out,
                    "'%s' tiles --db '%s' --out '%s/c.pmtiles' --zoom 14-18 --layers enterprises,communities --quiet &&"
                    " '%s' tiles --db '%s' --out '%s/c.mbtiles' --zoom 14-18 --layers enterprises,communities --quiet",
                    tu_gisd(), db, dir, tu_gisd(), db, dir);
    if (rc != 0)
        fail_msg("gisd tiles: %s", out);
    free(out);
    rc = tu_run(&out, "/usr/bin/python3 -c \"import sqlite3, zlib, hashlib, sys\n"
                      "for z, x, row, t in sqlite3.connect(sys.argv[1]).execute("
                      "'select zoom_level, tile_column, tile_row, tile_data from tiles'):\n"
                      "    print(z, x, (1 << z) - 1 - row, hashlib.sha256(zlib.decompress(t, 31)).hexdigest())\""
                      " '%s/c.mbtiles' > '%s/tiles.txt' && cd '%s' &&"
                      " node tests/pmtiles_check.mjs '%s/c.pmtiles' '%s/tiles.txt' enterprises,communities",
                dir, dir, tu_root(), dir, dir);
    if (rc != 0 || !strstr(out, "leaf directories yes"))
        fail_msg("pmtiles: %s", out);
    free(out);
    assert_int_equal(pmtiles_tile_id(0, 0, 0), 0);
    assert_int_equal(pmtiles_tile_id(1, 0, 0), 1);
    assert_int_equal(pmtiles_tile_id(1, 0, 1), 2);
    assert_int_equal(pmtiles_tile_id(1, 1, 1), 3);
    assert_int_equal(pmtiles_tile_id(1, 1, 0), 4);
}

/* 6,000 enterprises in one z12 tile: thinned to one per cell there, each
 * kept point carrying how many it stands for, and all of them at maxzoom. */
static void dense_points_are_thinned_with_their_count(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("tiles-dense");
    double ll[4];
    tile_bounds_lonlat((tile_id){12, 3421, 1716}, ll);
    double w = ll[2] - ll[0], h = ll[3] - ll[1];
    char csv[1200], tdb[1200], mb[1200];
    snprintf(csv, sizeof csv, "%s/dense.csv", dir);
    tu_db(tdb, sizeof tdb, dir, "dense");
    snprintf(mb, sizeof mb, "%s/dense.mbtiles", dir);
    FILE *f = fopen(csv, "w");
    fputs("ent_id,name,lon,lat\n", f);
    srand(3);
    for (int i = 0; i < 6000; i++)
        fprintf(f, "D%05d,企业%d,%.7f,%.7f\n", i, i, ll[0] + w * (0.2 + 0.6 * rand() / RAND_MAX),
                ll[1] + h * (0.2 + 0.6 * rand() / RAND_MAX));
    fclose(f);
    char *out;
    int rc = tu_run(&out, "'%s' import --db '%s' '%s' --layer enterprises --srs EPSG:4326 --x lon --y lat"
                          " && '%s' tiles --db '%s' --out '%s' --zoom 12-12 --layers enterprises --quiet",
                    tu_gisd(), tdb, csv, tu_gisd(), tdb, mb);
    if (rc != 0)
        fail_msg("%s", out);
    free(out);
    rc = tu_run(&out, "ogrinfo -ro -q -al -geom=NO -oo ZOOM_LEVEL=12 '%s' enterprises | awk "
                      "'/^OGRFeature/ { f++ } /point_count/ { p++; s += $NF } END { print f, f - p + s }'",
                mb);
    long features = 0, represented = 0;
    assert_int_equal(sscanf(out, "%ld %ld", &features, &represented), 2);
    free(out);
    if (features >= 6000 || features < 100 || represented != 6000)
        fail_msg("z12: %ld features standing for %ld points; want fewer than 6000 standing for 6000",
                 features, represented);
    /* at the layer's maxzoom every point is itself */
    rc = tu_run(&out, "'%s' tiles --db '%s' --out '%s.18' --zoom 18-18 --layers enterprises --quiet"
                      " && ogrinfo -ro -q -al -geom=NO -oo ZOOM_LEVEL=18 '%s.18' enterprises |"
                      " sed -n 's/^  ent_id (String) = //p' | sort -u | wc -l",
                tu_gisd(), tdb, mb, mb);
    assert_int_equal(atol(out), 6000);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mvt_commands_match_the_specification_examples),
        cmocka_unit_test(tile_grid_bounds_and_ranges),
        cmocka_unit_test(server_tiles_decode_with_gdal_and_match_the_api),
        cmocka_unit_test(ogc_tile_path_serves_the_same_tile),
        cmocka_unit_test(overviews_below_minzoom_and_labels_once),
        cmocka_unit_test(tiles_carry_http_caching_and_encoding),
        cmocka_unit_test(bad_tile_requests_get_4xx_json),
        cmocka_unit_test(tilejson_and_tileset_metadata),
        cmocka_unit_test(no_stale_tile_after_an_import),
        cmocka_unit_test(first_tiles_are_cut_from_their_area_identically),
        cmocka_unit_test(layers_too_large_to_hold_are_read_by_area),
        cmocka_unit_test(mbtiles_read_by_gdal),
        cmocka_unit_test(pmtiles_read_by_the_pmtiles_reader),
        cmocka_unit_test(dense_points_are_thinned_with_their_count),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
