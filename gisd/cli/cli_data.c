/* gisd import, gisd export and gisd layers. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "import.h"
#include "cli.h"
#include "crs.h"
#include "edit.h"
#include "export.h"
#include "layers.h"
#include "store.h"
#include "xalloc.h"

int cli_report(const gisd_error *err)
{
    fprintf(stderr, "gisd: error: %s\n", err->message);
    /* 70 (EX_SOFTWARE) when the fault is gisd's or a server's it needs, not the input's */
    return err->code == GISD_E_INTERNAL || err->code == GISD_E_UNAVAILABLE ? 70 : err->code == GISD_E_NOSPACE ? 74 : 1;
}

/* Splits "A=a,B=b" into the two arrays; returns the count or -1. */
static int parse_map(char *text, const char ***src, const char ***dst, gisd_error *err)
{
    size_t n = 1;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    *src = xcalloc(n, sizeof **src);
    *dst = xcalloc(n, sizeof **dst);
    if (!*src || !*dst)
        return gisd_fail(err, GISD_E_INTERNAL, "out of memory");
    size_t k = 0;
    char *save = NULL;
    for (char *tok = strtok_r(text, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok || !eq[1])
            return gisd_fail(err, GISD_E_INPUT, "--map: \"%s\" is not SOURCE=FIELD", tok);
        *eq = '\0';
        (*src)[k] = tok;
        (*dst)[k++] = eq + 1;
    }
    return (int)k;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* gisd import --scenario SID FILE --layer L: the file read into a store of
 * its own, then layer L of the scenario made what it holds. */
static int import_into_scenario(const char *db, const char *layers_dir, const char *sid, const import_source *src,
                                int quiet)
{
    gisd_error err = {0};
    layer_registry *reg = NULL;
    store *tmp = NULL, *s = NULL;
    char dir[] = "/tmp/gisd-import-XXXXXX", path[64] = "";
    int rc = layer_registry_load(layers_dir ? layers_dir : layers_default_dir(), &reg, &err);
    const layer_def *l = rc == 0 ? layer_registry_find(reg, src->layer) : NULL;
    if (rc == 0 && !l)
        rc = gisd_fail(&err, GISD_E_NOTFOUND, "there is no layer \"%s\"", src->layer);
    int made = rc == 0 && mkdtemp(dir) != NULL;
    if (rc == 0 && !made)
        rc = gisd_fail(&err, GISD_E_IO, "no directory for the file's features: %s", strerror(errno));
    if (rc == 0)
        snprintf(path, sizeof path, "%s/import.sqlite", dir);
    import_counts counts = {0};
    if (rc == 0)
        rc = store_open(path, STORE_READWRITE, reg, &tmp, NULL, &err);
    if (rc == 0 && (rc = store_begin(tmp, &err)) == 0) {
        rc = import_file(tmp, reg, src, !quiet, &counts, &err);
        if (rc == 0)
            rc = store_commit(tmp, &err);
        else
            store_rollback(tmp);
    }
    if (rc == 0)
        rc = store_open(db, STORE_READWRITE, reg, &s, NULL, &err);
    if (rc == 0)
        rc = store_set_scenario(s, sid, &err);
    long n[3] = {0, 0, 0};
    if (rc == 0)
        rc = edit_layer_into_scenario(s, tmp, l, "import", n, &err);
    store_close(s);
    store_close(tmp);
    if (path[0])
        store_discard_created(path);
    if (made)
        rmdir(dir);
    layer_registry_free(reg);
    if (rc != 0)
        return cli_report(&err);
    printf("scenario %s: %s now as %s: %ld added, %ld replaced, %ld deleted\n", sid, src->layer, src->file, n[0], n[1],
           n[2]);
    return 0;
}

int cmd_import(int argc, char **argv)
{
    const char *db = "gisd.sqlite", *manifest = NULL, *layers_dir = NULL, *acrs = NULL, *scenario = NULL;
    import_source src = {0};
    char *map = NULL;
    int quiet = 0;
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},       {"layer", required_argument, 0, 'l'},
        {"srs", required_argument, 0, 's'},      {"x", required_argument, 0, 'x'},
        {"y", required_argument, 0, 'y'},        {"map", required_argument, 0, 'm'},
        {"encoding", required_argument, 0, 'e'}, {"manifest", required_argument, 0, 'M'},
        {"layers", required_argument, 0, 'L'},   {"analysis-crs", required_argument, 0, 'a'},
        {"quiet", no_argument, 0, 'q'},          {"scenario", required_argument, 0, 'S'},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'l': src.layer = optarg; break;
        case 's': src.srs = optarg; break;
        case 'x': src.x = optarg; break;
        case 'y': src.y = optarg; break;
        case 'm': map = optarg; break;
        case 'e': src.encoding = optarg; break;
        case 'M': manifest = optarg; break;
        case 'L': layers_dir = optarg; break;
        case 'a': acrs = optarg; break;
        case 'q': quiet = 1; break;
        case 'S': scenario = optarg; break;
        default: return 2;
        }
    }
    gisd_error err = {0};
    if (manifest ? optind != argc : optind != argc - 1 || !src.layer) {
        fprintf(stderr, "gisd import: give FILE --layer LAYER, or --manifest FILE\n");
        return 2;
    }
    src.file = manifest ? NULL : argv[optind];
    if (scenario) {
        if (manifest || acrs) {
            fprintf(stderr, "gisd import --scenario: give FILE --layer LAYER (no --manifest, no --analysis-crs)\n");
            return 2;
        }
        return import_into_scenario(db, layers_dir, scenario, &src, quiet);
    }
    int acrs_code = 0;
    if (acrs && ((acrs_code = crs_parse(acrs, NULL, &err)) < 0 || !crs_is_projected_metres(acrs_code))) {
        if (acrs_code > 0)
            gisd_fail(&err, GISD_E_INPUT, "--analysis-crs %s is not a projected CRS in metres", acrs);
        return cli_report(&err);
    }
    const char **msrc = NULL, **mdst = NULL;
    int rc = 0;
    if (map) {
        int n = parse_map(map, &msrc, &mdst, &err);
        rc = n < 0 ? -1 : 0;
        src.nmap = n > 0 ? (size_t)n : 0;
        src.map_src = msrc;
        src.map_dst = mdst;
    }
    layer_registry *reg = NULL;
    store *s = NULL;
    int created = 0;
    if (rc == 0)
        rc = layer_registry_load(layers_dir ? layers_dir : layers_default_dir(), &reg, &err);
    if (rc == 0)
        rc = store_open(db, STORE_READWRITE, reg, &s, &created, &err);
    double t0 = now_seconds();
    import_counts counts = {0};
    if (rc == 0)
        rc = store_begin(s, &err);
    if (rc == 0)
        rc = manifest ? import_manifest(s, reg, manifest, !quiet, &counts, &err)
                      : import_file(s, reg, &src, !quiet, &counts, &err);
    if (rc == 0 && acrs) {
        char value[32];
        snprintf(value, sizeof value, "EPSG:%d", acrs_code);
        rc = store_meta_set(s, "analysis_crs", value, &err);
        if (rc == 0)
            rc = store_meta_set(s, "analysis_crs_source", "set", &err);
    }
    if (rc == 0)
        rc = import_update_analysis_crs(s, reg, &err);
    if (rc == 0)
        rc = store_commit(s, &err);
    if (rc != 0 && s)
        store_rollback(s);
    store_close(s);
    layer_registry_free(reg);
    free(msrc);
    free(mdst);
    if (rc != 0) {
        if (created)
            store_discard_created(db);
        return cli_report(&err);
    }
    printf("imported %ld features (%ld repaired) in %.2f s into %s\n", counts.features,
           counts.repaired, now_seconds() - t0, db);
    return 0;
}

int cmd_export(int argc, char **argv)
{
    const char *db = "gisd.sqlite", *layer = NULL, *format = "GeoJSON", *srs = NULL,
               *layers_dir = NULL, *scenario = NULL;
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},     {"layer", required_argument, 0, 'l'},
        {"format", required_argument, 0, 'f'}, {"srs", required_argument, 0, 's'},
        {"layers", required_argument, 0, 'L'}, {"scenario", required_argument, 0, 'S'},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'l': layer = optarg; break;
        case 'f': format = optarg; break;
        case 's': srs = optarg; break;
        case 'L': layers_dir = optarg; break;
        case 'S': scenario = optarg; break;
        default: return 2;
        }
    }
    if (optind != argc - 1 || !layer) {
        fprintf(stderr, "gisd export: give --layer LAYER --format FORMAT OUT\n");
        return 2;
    }
    gisd_error err = {0};
    layer_registry *reg = NULL;
    store *s = NULL;
    int srid = 0, rc = 0;
    if (srs && (srid = crs_parse(srs, NULL, &err)) < 0)
        return cli_report(&err);
    rc = layer_registry_load(layers_dir ? layers_dir : layers_default_dir(), &reg, &err);
    const layer_def *l = rc == 0 ? layer_registry_find(reg, layer) : NULL;
    if (rc == 0 && !l)
        rc = gisd_fail(&err, GISD_E_NOTFOUND, "there is no layer \"%s\"", layer);
    if (rc == 0)
        rc = store_open(db, STORE_READONLY, reg, &s, NULL, &err);
    if (rc == 0)
        rc = store_set_scenario(s, scenario, &err);
    long long n = 0;
    if (rc == 0)
        rc = export_layer(s, l, format, argv[optind], srid, &n, &err);
    store_close(s);
    layer_registry_free(reg);
    if (rc != 0)
        return cli_report(&err);
    printf("exported %lld features of %s to %s\n", n, layer, argv[optind]);
    return 0;
}

int cmd_layers(int argc, char **argv)
{
    const char *layers_dir = argc > 2 && strcmp(argv[1], "--layers") == 0 ? argv[2] : NULL;
    gisd_error err = {0};
    layer_registry *reg;
    if (layer_registry_load(layers_dir ? layers_dir : layers_default_dir(), &reg, &err) != 0)
        return cli_report(&err);
    for (size_t i = 0; i < reg->n; i++) {
        const layer_def *l = &reg->layers[i];
        printf("%-18s %-16s %s\n", l->id, geom_kind_name(l->geometry), l->title);
    }
    layer_registry_free(reg);
    return 0;
}
