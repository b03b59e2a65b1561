/* A whole city from a dataset manifest, in the caller's one transaction. */
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "crs.h"
#include "dataset.h"
#include "import.h"

/* A JSON member that is a string, absent or null; anything else is an error. */
static int optional_string(json_t *obj, const char *key, const char **out, const char *where,
                           gisd_error *err)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return gisd_fail(err, GISD_E_INPUT, "%s: \"%s\" must be a string or null", where, key);
    *out = json_string_value(v);
    return 0;
}

static int import_entry(store *s, const layer_registry *reg, const char *dir, json_t *entry,
                        const char *where, int show_progress, import_counts *total,
                        gisd_error *err)
{
    const char *layer, *file, *srs, *encoding, *x, *y;
    if (!json_is_object(entry))
        return gisd_fail(err, GISD_E_INPUT, "%s: must be an object", where);
    if (optional_string(entry, "layer", &layer, where, err) || optional_string(entry, "file", &file, where, err) ||
        optional_string(entry, "srs", &srs, where, err) ||
        optional_string(entry, "encoding", &encoding, where, err) ||
        optional_string(entry, "x", &x, where, err) || optional_string(entry, "y", &y, where, err))
        return -1;
    if (!layer || !file)
        return gisd_fail(err, GISD_E_INPUT, "%s: \"layer\" and \"file\" are required", where);
    json_t *fields = json_object_get(entry, "fields");
    if (!json_is_object(fields))
        return gisd_fail(err, GISD_E_INPUT, "%s: \"fields\" must map source fields to %s's fields",
                         where, layer);
    size_t n = json_object_size(fields), k = 0;
    const char **src_names = xcalloc(n + 1, sizeof *src_names);
    const char **dst_names = xcalloc(n + 1, sizeof *dst_names);
    if (!src_names || !dst_names) {
        free(src_names);
        free(dst_names);
        return gisd_fail(err, GISD_E_INTERNAL, "out of memory");
    }
    const char *key;
    json_t *val;
    int rc = 0;
    json_object_foreach(fields, key, val) {
        if (!json_is_string(val)) {
            rc = gisd_fail(err, GISD_E_INPUT, "%s: fields.%s must name a field of %s", where, key,
                           layer);
            break;
        }
        src_names[k] = key;
        dst_names[k++] = json_string_value(val);
    }
    char path[PATH_MAX];
    if (file[0] == '/')
        snprintf(path, sizeof path, "%s", file);
    else
        snprintf(path, sizeof path, "%s/%s", dir, file);
    import_source src = {.file = path, .layer = layer, .srs = srs, .encoding = encoding,
                         .x = x, .y = y, .nmap = k, .map_src = src_names, .map_dst = dst_names,
                         .strict_map = 1};
    import_counts c;
    if (rc == 0 && (rc = import_file(s, reg, &src, show_progress, &c, err)) == 0) {
        total->features += c.features;
        total->repaired += c.repaired;
        fprintf(stderr, "gisd: %s: %ld features into %s (%ld repaired) in %.2f s\n", file,
                c.features, layer, c.repaired, c.seconds);
    }
    free(src_names);
    free(dst_names);
    return rc;
}

int import_manifest(store *s, const layer_registry *reg, const char *manifest_path,
                    int show_progress, import_counts *total, gisd_error *err)
{
    memset(total, 0, sizeof *total);
    json_error_t jerr;
    json_t *root = json_load_file(manifest_path, 0, &jerr);
    if (!root)
        return gisd_fail(err, GISD_E_INPUT, "%s: line %d: %s", manifest_path, jerr.line, jerr.text);
    char dirbuf[PATH_MAX];
    snprintf(dirbuf, sizeof dirbuf, "%s", manifest_path);
    const char *dir = dirname(dirbuf);
    json_t *layers = json_object_get(root, "layers");
    const char *name = NULL, *acrs = NULL;
    int rc = 0;
    if (!json_is_object(root) || !json_is_array(layers) || json_array_size(layers) == 0)
        rc = gisd_fail(err, GISD_E_INPUT, "%s: a manifest needs a non-empty \"layers\" array",
                       manifest_path);
    if (rc == 0)
        rc = optional_string(root, "name", &name, manifest_path, err);
    if (rc == 0)
        rc = optional_string(root, "analysis_crs", &acrs, manifest_path, err);
    if (rc == 0 && acrs) {
        int code = crs_parse(acrs, NULL, err);
        if (code < 0 || !crs_is_projected_metres(code))
            rc = gisd_fail(err, GISD_E_INPUT,
                           "%s: analysis_crs \"%s\" must be a projected CRS in metres (such as "
                           "EPSG:4549)",
                           manifest_path, acrs);
    }
    for (size_t i = 0; rc == 0 && i < json_array_size(layers); i++) {
        char where[PATH_MAX + 32];
        snprintf(where, sizeof where, "%s: layers[%zu]", manifest_path, i);
        rc = import_entry(s, reg, dir, json_array_get(layers, i), where, show_progress, total, err);
    }
    if (rc == 0 && name)
        rc = store_meta_set(s, "dataset", name, err);
    if (rc == 0 && acrs) {
        char value[32];
        snprintf(value, sizeof value, "EPSG:%d", crs_parse(acrs, NULL, NULL));
        rc = store_meta_set(s, "analysis_crs", value, err);
        if (rc == 0)
            rc = store_meta_set(s, "analysis_crs_source", "set", err);
    }
    json_decref(root);
    return rc;
}

int import_update_analysis_crs(store *s, const layer_registry *reg, gisd_error *err)
{
    char source[32];
    store_found found = store_meta_get(s, "analysis_crs_source", source, sizeof source, err);
    if (found == STORE_FAILED)
        return -1;
    if (found == STORE_FOUND && strcmp(source, "set") == 0)
        return 0;
    int srid;
    int rc = dataset_nearest_gk_zone(s, reg, &srid, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    char value[32];
    snprintf(value, sizeof value, "EPSG:%d", srid);
    if (store_meta_set(s, "analysis_crs", value, err) != 0)
        return -1;
    return store_meta_set(s, "analysis_crs_source", "detected", err);
}
