/* libFuzzer: the layer definition and site-rules JSON loaders, on files in
 * a scratch directory. Input: a layer definition, then a NUL byte, then a
 * rules file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layers.h"
#include "rules.h"

static char dir[64];

static void write_file(const char *name, const uint8_t *data, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, n, f);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/gisd-fuzz-loaders-%d", (int)getpid());
        mkdir(dir, 0700);
    }
    const uint8_t *nul = memchr(data, 0, size);
    size_t nlayer = nul ? (size_t)(nul - data) : size;
    write_file("fuzz.layer.json", data, nlayer);
    write_file("site-rules.json", nul ? nul + 1 : data, nul ? size - nlayer - 1 : 0);
    layer_registry *reg = NULL;
    gisd_error err;
    if (layer_registry_load(dir, &reg, &err) == 0) {
        for (size_t i = 0; i < reg->n; i++)
            if (reg->layers[i].id_field ? layer_field_index(&reg->layers[i], reg->layers[i].id_field) < 0
                                        : reg->layers[i].id_index != LAYER_NO_ID)
                abort(); /* an id field, when a layer names one, is one of its fields */
        layer_registry_free(reg);
    } else if (err.code == GISD_E_INTERNAL) {
        abort();
    }
    site_rules rules;
    char path[128];
    snprintf(path, sizeof path, "%s/site-rules.json", dir);
    if (rules_load(path, dir, &rules, &err) != 0 && err.code == GISD_E_INTERNAL)
        abort();
    return 0;
}
