/* gisd tiles: the tile pyramid of the store written to MBTiles or PMTiles for
 * offline clients. A tile's children are visited only when the tile holds
 * data, so the pyramid follows the city instead of its bounding box. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geos_ctx.h"
#include "cli.h"
#include "gzip.h"
#include "pmtiles.h"
#include "progress.h"
#include "tile_render.h"
#include "tiles.h"
#include "xalloc.h"

/* Where the tiles go: one of the two archives. */
typedef struct {
    store_mbtiles *mbtiles;
    pmtiles_writer *pmtiles;
} archive;

typedef struct {
    GEOSContextHandle_t geos;
    tile_layer_data **data;
    size_t n;
    archive *out;
    progress prog;
    long long visited, written;
} pyramid;

static int archive_tile(archive *a, tile_id t, const void *gz, size_t len, gisd_error *err)
{
    return a->pmtiles ? pmtiles_tile(a->pmtiles, t.z, t.x, t.y, gz, len, err)
                      : store_mbtiles_tile(a->mbtiles, t.z, t.x, t.y, gz, len, err);
}

static int parse_zoom(const char *s, int *z0, int *z1)
{
    char *end;
    long a = strtol(s, &end, 10), b = a;
    if (*end == '-')
        b = strtol(end + 1, &end, 10);
    if (*end || a < 0 || b < a || b > TILE_MAX_ZOOM)
        return -1;
    *z0 = (int)a;
    *z1 = (int)b;
    return 0;
}

static int write_tile(pyramid *p, tile_id t, int zmax, gisd_error *err)
{
    strbuf bytes = {0};
    tile_render_info info;
    if (tile_render(p->geos, p->data, p->n, t, &bytes, &info, err) != 0) {
        strbuf_free(&bytes);
        return -1;
    }
    p->visited++;
    int rc = 0;
    if (info.features > 0) {
        size_t gz_len;
        /* Both archives keep vector tiles gzip-compressed. */
        unsigned char *gz = gzip_new(bytes.data, bytes.len, &gz_len);
        rc = gz ? archive_tile(p->out, t, gz, gz_len, err)
                : gisd_fail(err, GISD_E_INTERNAL, "out of memory");
        free(gz);
        p->written++;
    }
    strbuf_free(&bytes);
    progress_update(&p->prog, p->written);
    if (rc != 0 || !info.has_data || t.z >= zmax)
        return rc;
    for (unsigned dy = 0; dy < 2; dy++)
        for (unsigned dx = 0; dx < 2; dx++) {
            tile_id c = {t.z + 1, 2 * t.x + dx, 2 * t.y + dy};
            if (write_tile(p, c, zmax, err) != 0)
                return -1;
        }
    return 0;
}

/* The metadata, then the archive closed and moved into place. */
static int archive_finish(archive *a, const layer_registry *reg, const size_t *idx, size_t n,
                          const double ext[4], int z0, int z1, gisd_error *err)
{
    char bounds[128], center[128], minz[8], maxz[8];
    int center_zoom = z0 > 10 ? z0 : (z1 < 10 ? z1 : 10);
    double cx = (ext[0] + ext[2]) / 2, cy = (ext[1] + ext[3]) / 2;
    snprintf(bounds, sizeof bounds, "%.7f,%.7f,%.7f,%.7f", ext[0], ext[1], ext[2], ext[3]);
    snprintf(center, sizeof center, "%.7f,%.7f,%d", cx, cy, center_zoom);
    snprintf(minz, sizeof minz, "%d", z0);
    snprintf(maxz, sizeof maxz, "%d", z1);
    const char *name = "gisd planning layers", *description = "planning layers exported by gisd tiles";
    json_t *doc = json_pack("{s:o}", "vector_layers", tiles_vector_layers(reg, idx, n, 1));
    if (a->pmtiles) {
        json_object_set_new(doc, "name", json_string(name));
        json_object_set_new(doc, "description", json_string(description));
        json_object_set_new(doc, "format", json_string("pbf"));
        json_object_set_new(doc, "type", json_string("overlay"));
    }
    char *json = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!json)
        return gisd_fail(err, GISD_E_INTERNAL, "out of memory");
    int rc = 0;
    if (a->pmtiles) {
        pmtiles_info info = {.minzoom = z0, .maxzoom = z1, .center_zoom = center_zoom,
                             .bounds = {ext[0], ext[1], ext[2], ext[3]}, .center = {cx, cy},
                             .metadata_json = json};
        rc = pmtiles_finish(a->pmtiles, &info, err);
    } else {
        const char *meta[][2] = {{"name", name},     {"format", "pbf"},     {"type", "overlay"},
                                 {"version", "1"},   {"description", description},
                                 {"bounds", bounds}, {"center", center},    {"minzoom", minz},
                                 {"maxzoom", maxz},  {"json", json}};
        for (size_t i = 0; rc == 0 && i < sizeof meta / sizeof *meta; i++)
            rc = store_mbtiles_meta(a->mbtiles, meta[i][0], meta[i][1], err);
        if (rc == 0)
            rc = store_mbtiles_finish(a->mbtiles, err);
    }
    free(json);
    return rc;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int run(const char *db, const char *out, const char *layer_spec, int z0, int z1,
               const layer_registry *reg, int quiet, gisd_error *err)
{
    size_t *idx = xcalloc(reg->n ? reg->n : 1, sizeof *idx), n = 0;
    long long *all = xcalloc(reg->n ? reg->n : 1, sizeof *all);
    long long *changes = xcalloc(reg->n ? reg->n : 1, sizeof *changes);
    tile_layer_data **data = xcalloc(reg->n ? reg->n : 1, sizeof *data);
    if (!idx || !all || !changes || !data) {
        free(idx);
        free(all);
        free(changes);
        free(data);
        return gisd_fail(err, GISD_E_INTERNAL, "out of memory");
    }
    store *st = NULL;
    tile_source *src = NULL;
    archive out_archive = {0};
    pyramid p = {0};
    int loaded = 0, rc = tiles_parse_layers(reg, layer_spec, idx, &n, err);
    if (rc == 0)
        rc = store_open(db, STORE_READONLY, reg, &st, NULL, err);
    if (rc == 0)
        rc = store_layer_changes(st, all, err);
    double ext[4] = {0};
    int has = 0;
    if (rc == 0 && (has = tiles_extent(st, reg, idx, n, ext, err)) < 0)
        rc = -1;
    for (size_t i = 0; i < n; i++)
        changes[i] = all[idx[i]];
    if (rc == 0 && !has)
        rc = gisd_fail(err, GISD_E_INPUT, "%s: the layers %s hold no features; import data first",
                       db, layer_spec);
    if (rc == 0)
        src = tile_source_new(reg, NULL, 0);
    if (rc == 0 && (rc = tile_source_acquire(src, st, idx, n, changes, NULL, data, err)) == 0)
        loaded = 1;
    if (rc == 0)
        rc = ends_with(out, ".pmtiles") ? pmtiles_create(out, &out_archive.pmtiles, err)
                                        : store_mbtiles_create(out, &out_archive.mbtiles, err);
    if (rc == 0) {
        p = (pyramid){.geos = geos_context_new(), .data = data, .n = n, .out = &out_archive};
        progress_start(&p.prog, "tiles", -1, !quiet);
        unsigned x0, y0, x1, y1;
        tile_range_lonlat(z0, ext, &x0, &y0, &x1, &y1);
        for (unsigned y = y0; rc == 0 && y <= y1; y++)
            for (unsigned x = x0; rc == 0 && x <= x1; x++)
                rc = write_tile(&p, (tile_id){z0, x, y}, z1, err);
        progress_end(&p.prog);
        GEOS_finish_r(p.geos);
    }
    if (rc == 0)
        rc = archive_finish(&out_archive, reg, idx, n, ext, z0, z1, err);
    if (rc == 0 && !quiet)
        fprintf(stderr, "gisd tiles: %s: %lld tiles of zoom %d-%d (%lld visited)\n", out, p.written,
                z0, z1, p.visited);
    store_mbtiles_free(out_archive.mbtiles);
    pmtiles_free(out_archive.pmtiles);
    if (loaded)
        tile_source_release(src, data, n);
    tile_source_free(src);
    store_close(st);
    free(idx);
    free(all);
    free(changes);
    free(data);
    return rc;
}

int cmd_tiles(int argc, char **argv)
{
    const char *db = NULL, *out = NULL, *layer_spec = "all", *defs = NULL;
    int z0 = 8, z1 = 16, quiet = 0;
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"out", required_argument, 0, 'o'},
                                         {"zoom", required_argument, 0, 'z'},
                                         {"layers", required_argument, 0, 'l'},
                                         {"layer-defs", required_argument, 0, 'L'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'o': out = optarg; break;
        case 'z':
            if (parse_zoom(optarg, &z0, &z1) != 0) {
                fprintf(stderr, "gisd tiles: --zoom %s: write MIN-MAX within 0-%d, e.g. 8-16\n",
                        optarg, TILE_MAX_ZOOM);
                return 2;
            }
            break;
        case 'l': layer_spec = optarg; break;
        case 'L': defs = optarg; break;
        case 'q': quiet = 1; break;
        default: return 2;
        }
    }
    if (!db || !out || optind != argc) {
        fprintf(stderr, "usage: gisd tiles --db F --out city.mbtiles|city.pmtiles [--zoom 8-16] "
                        "[--layers all|L1,L2] [--layer-defs DIR] [--quiet]\n");
        return 2;
    }
    gisd_error err = {0};
    layer_registry *reg;
    if (layer_registry_load(defs ? defs : layers_default_dir(), &reg, &err) != 0)
        return cli_report(&err);
    int rc = run(db, out, layer_spec, z0, z1, reg, quiet, &err);
    layer_registry_free(reg);
    return rc == 0 ? 0 : cli_report(&err);
}
