/* libFuzzer: a CQL2 filter of /collections/{id}/items, in either encoding
 * (the first byte chooses), parsed against the enterprises layer as the
 * server does. Anything it accepts is a condition; anything it refuses is the
 * user's error, never an internal one. */
#include <ogr_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cql2.h"
#include "layers.h"
#include "xalloc.h"

static layer_registry *reg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    OGRRegisterAll();
    if (layer_registry_load(layers_default_dir(), &reg, NULL) != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const layer_def *l = layer_registry_find(reg, "enterprises");
    char *text = xstrndup((const char *)data + 1, size - 1);
    cql_node *n = NULL;
    gisd_error err = {0};
    static const char *const CRS[] = {NULL, "EPSG:4549", "http://www.opengis.net/def/crs/EPSG/0/4326"};
    if (cql2_parse(text, data[0] & 1 ? "cql2-json" : "cql2-text", CRS[(data[0] >> 1) % 3], l, &n, &err) == 0) {
        if (!n)
            abort();
        cql_free(n);
    } else if (err.code != GISD_E_INPUT || n) {
        abort();
    }
    free(text);
    return 0;
}
