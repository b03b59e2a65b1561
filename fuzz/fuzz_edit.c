/* libFuzzer: the bodies of OGC API - Features Part 4 writes (POST, PUT and
 * PATCH) on the planning layers: a JSON merge patch applied to a stored
 * feature, then the result read as the layer's feature, as the server does
 * inside the write. Input: a byte choosing the layer, then the patch. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edit.h"

static layer_registry *reg;

/* a feature of each kind, as a store holds it */
static const char *stored(const layer_def *l)
{
    switch (l->geometry) {
    case GEOM_POINT:
    case GEOM_MULTIPOINT:
        return "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.7,28.0]}}";
    case GEOM_LINESTRING:
    case GEOM_MULTILINESTRING:
        return "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"LineString\",\"coordinates\":"
               "[[120.7,28.0],[120.71,28.01]]}}";
    default:
        return "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
               "[[[120.7,28.0],[120.71,28.0],[120.71,28.01],[120.7,28.0]]]}}";
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!reg) {
        gisd_error e;
        const char *root = getenv("GISD_ROOT");
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/layers", root ? root : ".");
        if (layer_registry_load(dir, &reg, &e) != 0)
            abort();
    }
    if (size < 1)
        return 0;
    const layer_def *l = &reg->layers[data[0] % reg->n];
    json_t *patch = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, NULL);
    if (!patch)
        return 0;
    json_t *target = json_loads(stored(l), 0, NULL);
    json_t *merged = edit_merge_patch(target, patch);
    edit_feature f;
    gisd_error err = {0};
    for (int i = 0; i < 2; i++) { /* the patched feature (PATCH), then the patch itself (POST, PUT) */
        if (edit_feature_parse(l, i ? patch : merged, 4326, 1, &f, &err) == 0) {
            if (strlen(f.id) > STORE_ID_MAX || (f.wkb_len > 0) != (f.wkb != NULL))
                abort();
            edit_feature_free(&f);
        } else if (err.code != GISD_E_INPUT) {
            abort();
        }
    }
    json_decref(merged);
    json_decref(target);
    json_decref(patch);
    return 0;
}
