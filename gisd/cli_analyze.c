/* gisd analyze NAME: the same JSON as /analysis/NAME, on stdout. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "cli.h"
#include "report.h"

int cmd_analyze(int argc, char **argv)
{
    const char *db = "gisd.sqlite", *layers_dir = NULL, *site_path = NULL, *rules_path = NULL, *out_path = NULL;
    analysis_args a = {0};
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},       {"radius-m", required_argument, 0, 'r'},
        {"park-id", required_argument, 0, 'p'},  {"capable", no_argument, 0, 'c'},
        {"max-km", required_argument, 0, 'm'},   {"level", required_argument, 0, 'v'},
        {"site", required_argument, 0, 's'},     {"format", required_argument, 0, 'f'},
        {"analysis-crs", required_argument, 0, 'a'}, {"rules", required_argument, 0, 'R'},
        {"layers", required_argument, 0, 'L'},   {"out", required_argument, 0, 'o'},
        {0, 0, 0, 0}};
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "gisd analyze: name an analysis: heating-coverage, hw-proximity, "
                        "recycling-coverage, site-check, symbiosis or park-scorecard\n");
        return 2;
    }
    const char *name = argv[1];
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'r': a.radius_m = optarg; break;
        case 'p': a.park_id = optarg; break;
        case 'c': a.capable = "true"; break;
        case 'm': a.max_km = optarg; break;
        case 'v': a.level = optarg; break;
        case 's': site_path = optarg; break;
        case 'f': a.format = optarg; break;
        case 'a': a.analysis_crs = optarg; break;
        case 'R': rules_path = optarg; break;
        case 'L': layers_dir = optarg; break;
        case 'o': out_path = optarg; break;
        default: return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "gisd analyze: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    gisd_error err = {0};
    layer_registry *reg = NULL;
    store *s = NULL;
    json_t *site = NULL, *out = NULL;
    site_rules rules;
    int rc = layer_registry_load(layers_dir ? layers_dir : layers_default_dir(), &reg, &err);
    if (rc == 0)
        rc = rules_load(rules_path, reg->dir, &rules, &err);
    if (rc == 0 && site_path) {
        json_error_t jerr;
        site = json_load_file(site_path, 0, &jerr);
        if (!site)
            rc = gisd_fail(&err, GISD_E_INPUT, "%s: line %d: %s", site_path, jerr.line, jerr.text);
    }
    if (rc == 0)
        rc = store_open(db, STORE_READONLY, reg, &s, NULL, &err);
    int pdf = a.format && strcmp(a.format, "pdf") == 0;
    if (rc == 0 && pdf && strcmp(name, "site-check") != 0)
        rc = gisd_fail(&err, GISD_E_INPUT, "--format pdf is site-check's; a park's report is gisd report park");
    if (rc == 0 && pdf) {
        strbuf doc = {0};
        rc = report_site_check_pdf(s, reg, &rules, &a, site, &doc, &err);
        if (rc == 0)
            rc = cli_write_file(out_path, &doc, &err);
        strbuf_free(&doc);
    } else if (rc == 0) {
        rc = analysis_dispatch(s, reg, &rules, name, &a, site, &out, &err);
        if (rc == 0) {
            strbuf text = {0};
            char *json = json_dumps(out, ANALYSIS_JSON_FLAGS);
            strbuf_puts(&text, json);
            strbuf_puts(&text, "\n");
            free(json);
            rc = cli_write_file(out_path, &text, &err);
            strbuf_free(&text);
        }
    }
    json_decref(out);
    json_decref(site);
    store_close(s);
    layer_registry_free(reg);
    return rc == 0 ? 0 : cli_report(&err);
}
