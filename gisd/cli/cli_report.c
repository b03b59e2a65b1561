/* gisd report: the reports people file, written by the same functions as
 * /parks/{park_id}/report.pdf and /parks/{park_id}/map.png. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "cli.h"
#include "paths.h"
#include "qgis_project.h"
#include "report.h"

int cli_write_file(const char *path, const strbuf *b, gisd_error *err)
{
    FILE *f = path && strcmp(path, "-") != 0 ? fopen(path, "wb") : stdout;
    if (!f)
        return gisd_fail(err, GISD_E_IO, "%s: cannot write it", path);
    size_t n = b->len ? fwrite(b->data, 1, b->len, f) : 0;
    int bad = n != b->len || fflush(f) != 0;
    if (f != stdout)
        bad |= fclose(f) != 0;
    if (bad)
        return gisd_fail(err, GISD_E_IO, "%s: the write failed", path && strcmp(path, "-") ? path : "stdout");
    return 0;
}

/* gisd report print --db F --bbox ... [--size A3] [--orientation portrait] [--title T] [--layers L] --out F.pdf */
static int report_print(int argc, char **argv)
{
    const char *db = "gisd.sqlite", *defs = NULL, *out = NULL, *scenario = NULL;
    param_values v;
    param_values_init(&v, PRINT_PARAMS, "gisd report print");
    gisd_error err = {0};
    int rc = 0;
    for (int i = 2; i < argc && rc == 0; i++) {
        if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
            fprintf(stderr, "gisd report print: --db F --bbox minlon,minlat,maxlon,maxlat --out F.pdf [--size A4|A3] "
                            "[--orientation landscape|portrait] [--title T] [--layers L1,L2] [--analysis-crs EPSG:n]\n");
            param_values_free(&v);
            return 2;
        }
        const char *key = argv[i] + 2, *value = argv[++i];
        if (strcmp(key, "db") == 0)
            db = value;
        else if (strcmp(key, "out") == 0)
            out = value;
        else if (strcmp(key, "layer-defs") == 0)
            defs = value;
        else if (strcmp(key, "scenario") == 0)
            scenario = value;
        else {
            char name[64];
            snprintf(name, sizeof name, "%s", key);
            for (char *p = name; *p; p++)
                *p = *p == '-' ? '_' : *p;
            rc = param_set_text(&v, name, value, &err);
        }
    }
    if (rc == 0 && !out)
        rc = gisd_fail(&err, GISD_E_INPUT, "gisd report print needs --out FILE.pdf");
    if (rc == 0)
        rc = param_finish(&v, &err);
    layer_registry *reg = NULL;
    store *s = NULL;
    strbuf doc = {0};
    int srid;
    if (rc == 0)
        rc = report_font_check(&err);
    if (rc == 0)
        rc = layer_registry_load(defs ? defs : layers_default_dir(), &reg, &err);
    if (rc == 0)
        rc = store_open(db, STORE_READONLY, reg, &s, NULL, &err);
    if (rc == 0)
        rc = store_set_scenario(s, scenario, &err);
    if (rc == 0)
        rc = analysis_crs_resolve(s, reg, (int)param_num(&v, "analysis_crs"), &srid, &err);
    if (rc == 0)
        rc = report_print_pdf(s, reg, srid, &v, &doc, &err);
    if (rc == 0)
        rc = cli_write_file(out, &doc, &err);
    strbuf_free(&doc);
    store_close(s);
    layer_registry_free(reg);
    param_values_free(&v);
    return rc == 0 ? 0 : cli_report(&err);
}

int cmd_report(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "print") == 0)
        return report_print(argc, argv);
    const char *db = "gisd.sqlite", *layers_dir = NULL, *rules_path = NULL, *park_id = NULL,
               *out = NULL, *crs = NULL, *scenario = NULL;
    long width = 1200, height = 900;
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},     {"park-id", required_argument, 0, 'p'},
        {"out", required_argument, 0, 'o'},    {"analysis-crs", required_argument, 0, 'a'},
        {"width", required_argument, 0, 'w'},  {"height", required_argument, 0, 'h'},
        {"rules", required_argument, 0, 'R'},  {"layers", required_argument, 0, 'L'},
        {"scenario", required_argument, 0, 'S'}, {0, 0, 0, 0}};
    if (argc < 2 || (strcmp(argv[1], "park") != 0 && strcmp(argv[1], "map") != 0)) {
        fprintf(stderr, "gisd report: park (an A4 PDF), map (a PNG) or print (a map of an area to print): "
                        "gisd report park --db F --park-id ID --out park.pdf\n");
        return 2;
    }
    int map = strcmp(argv[1], "map") == 0, c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'p': park_id = optarg; break;
        case 'o': out = optarg; break;
        case 'a': crs = optarg; break;
        case 'w': width = strtol(optarg, NULL, 10); break;
        case 'h': height = strtol(optarg, NULL, 10); break;
        case 'R': rules_path = optarg; break;
        case 'L': layers_dir = optarg; break;
        case 'S': scenario = optarg; break;
        default: return 2;
        }
    }
    if (optind != argc || !park_id || !out) {
        fprintf(stderr, "gisd report %s: needs --park-id ID and --out FILE (- for stdout)\n", argv[1]);
        return 2;
    }
    gisd_error err = {0};
    layer_registry *reg = NULL;
    store *s = NULL;
    site_rules rules;
    strbuf doc = {0};
    int rc = report_font_check(&err);
    if (rc == 0)
        rc = layer_registry_load(layers_dir ? layers_dir : layers_default_dir(), &reg, &err);
    if (rc == 0)
        rc = rules_load(rules_path, reg->dir, &rules, &err);
    if (rc == 0)
        rc = store_open(db, STORE_READONLY, reg, &s, NULL, &err);
    if (rc == 0)
        rc = store_set_scenario(s, scenario, &err);
    if (rc == 0)
        rc = map ? report_park_png(s, reg, &rules, crs, park_id, (int)width, (int)height, &doc, &err)
                 : report_park_pdf(s, reg, &rules, crs, park_id, &doc, &err);
    if (rc == 0)
        rc = cli_write_file(out, &doc, &err);
    strbuf_free(&doc);
    store_close(s);
    layer_registry_free(reg);
    return rc == 0 ? 0 : cli_report(&err);
}

int cmd_qgis_project(int argc, char **argv)
{
    const char *db = "gisd.sqlite", *layers_dir = NULL, *url = NULL, *out = NULL, *styles = NULL, *basemap = NULL;
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},     {"url", required_argument, 0, 'u'},
                                         {"out", required_argument, 0, 'o'},    {"styles", required_argument, 0, 'S'},
                                         {"layers", required_argument, 0, 'L'}, {"basemap", required_argument, 0, 'B'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'u': url = optarg; break;
        case 'o': out = optarg; break;
        case 'S': styles = optarg; break;
        case 'L': layers_dir = optarg; break;
        case 'B': basemap = optarg; break;
        default: return 2;
        }
    }
    if (basemap && strncmp(basemap, "http", 4) != 0) {
        fprintf(stderr, "gisd qgis-project: --basemap must be an http(s) XYZ template with {z}, {x} and {y}\n");
        return 2;
    }
    if (optind != argc || !url || !out || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        fprintf(stderr, "gisd qgis-project: needs --url http://HOST:PORT (the server QGIS will reach) and --out FILE.qgz\n");
        return 2;
    }
    char base[2048], styles_buf[4096];
    snprintf(base, sizeof base, "%s", url);
    for (size_t n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
        base[n - 1] = 0;
    if (!styles)
        styles = paths_asset("GISD_STYLES", "styles", "styles", styles_buf, sizeof styles_buf);
    gisd_error err = {0};
    layer_registry *reg = NULL;
    store *s = NULL;
    strbuf doc = {0};
    int rc = layer_registry_load(layers_dir ? layers_dir : layers_default_dir(), &reg, &err);
    if (rc == 0)
        rc = store_open(db, STORE_READONLY, reg, &s, NULL, &err);
    if (rc == 0)
        rc = qgis_project_qgz(s, reg, base, styles, basemap, &doc, &err);
    if (rc == 0)
        rc = cli_write_file(out, &doc, &err);
    strbuf_free(&doc);
    store_close(s);
    layer_registry_free(reg);
    return rc == 0 ? 0 : cli_report(&err);
}
