/* libFuzzer: the importers on in-memory files (GDAL's /vsimem/). The first
 * byte picks the format and layer; the rest is the file. A refused file
 * must leave the store as it was, which the transaction guarantees and the
 * layer count after the rollback checks. */
#include <cpl_vsi.h>
#include <gdal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import.h"

static layer_registry *reg;
static store *st;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    GDALAllRegister();
    gisd_error err;
    const char *layers = getenv("GISD_LAYERS") ? getenv("GISD_LAYERS") : "layers";
    char path[64];
    snprintf(path, sizeof path, "/tmp/gisd-fuzz-import-%d.sqlite", (int)getpid());
    unlink(path);
    if (layer_registry_load(layers, &reg, &err) != 0 ||
        store_open(path, STORE_READWRITE, reg, &st, NULL, &err) != 0) {
        fprintf(stderr, "fuzz_import: %s\n", err.message);
        exit(1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct {
        const char *ext, *layer, *x, *y;
    } KINDS[] = {{"geojson", "parks", NULL, NULL},       {"geojson", "enterprises", NULL, NULL},
                 {"csv", "enterprises", "lon", "lat"},   {"kml", "sensitive_areas", NULL, NULL},
                 {"gml", "heat_network", NULL, NULL},    {"csv", "communities", "x", "y"}};
    if (size < 1)
        return 0;
    size_t k = data[0] % (sizeof KINDS / sizeof *KINDS);
    char path[64];
    snprintf(path, sizeof path, "/vsimem/fuzz.%s", KINDS[k].ext);
    VSILFILE *f = VSIFileFromMemBuffer(path, (GByte *)data + 1, (vsi_l_offset)(size - 1), FALSE);
    if (!f)
        return 0;
    VSIFCloseL(f);
    import_source src = {.file = path, .layer = KINDS[k].layer, .srs = "EPSG:4490",
                         .x = KINDS[k].x, .y = KINDS[k].y};
    import_counts counts;
    gisd_error err;
    store_layer_stats before, after;
    const layer_def *l = layer_registry_find(reg, KINDS[k].layer);
    if (store_layer_stats_get(st, l, &before, &err) != 0 || store_begin(st, &err) != 0)
        abort();
    if (import_file(st, reg, &src, 0, &counts, &err) == 0) {
        store_rollback(st); /* keep the store small; a commit is tested elsewhere */
    } else {
        if (err.code == GISD_E_INTERNAL && !strstr(err.message, "GEOS"))
            fprintf(stderr, "internal error on a bad file: %s\n", err.message);
        store_rollback(st);
    }
    if (store_layer_stats_get(st, l, &after, &err) != 0 || after.changes != before.changes ||
        after.count != before.count)
        abort(); /* a rolled-back import left something behind */
    VSIUnlink(path);
    return 0;
}
