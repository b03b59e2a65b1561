/* gisd scenario create|list|show|drop|compare|conflicts: plan scenarios
 * from the command line (docs/SCENARIOS.md), as /scenarios over HTTP. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "cli.h"
#include "edit.h"
#include "report.h"

static int usage(void)
{
    fputs("usage: gisd scenario create --db F --id SID --title T [--description D] [--base SID|baseline]\n"
          "       gisd scenario list --db F\n"
          "       gisd scenario show --db F --id SID\n"
          "       gisd scenario drop --db F --id SID\n"
          "       gisd scenario compare --db F --id A [--with B|baseline] [--sites FILE] [--format pdf --out F]\n"
          "       gisd scenario conflicts --db F --id SID\n"
          "       gisd scenario adopt --db F --id SID\n",
          stderr);
    return 2;
}

static int print(json_t *doc)
{
    json_dumpf(doc, stdout, ANALYSIS_JSON_FLAGS);
    fputc('\n', stdout);
    json_decref(doc);
    return 0;
}

int cmd_scenario(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-')
        return usage();
    const char *verb = argv[1], *db = "gisd.sqlite", *id = NULL, *title = NULL, *desc = NULL, *base = "baseline",
               *with = "baseline", *sites_path = NULL, *layers_dir = NULL, *rules_path = NULL, *format = "json",
               *out_path = NULL;
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},    {"id", required_argument, 0, 'i'},
        {"title", required_argument, 0, 't'}, {"description", required_argument, 0, 'D'},
        {"base", required_argument, 0, 'b'},  {"with", required_argument, 0, 'w'},
        {"sites", required_argument, 0, 's'}, {"layers", required_argument, 0, 'L'},
        {"rules", required_argument, 0, 'R'}, {"format", required_argument, 0, 'f'},
        {"out", required_argument, 0, 'o'},   {0, 0, 0, 0}};
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'i': id = optarg; break;
        case 't': title = optarg; break;
        case 'D': desc = optarg; break;
        case 'b': base = optarg; break;
        case 'w': with = optarg; break;
        case 's': sites_path = optarg; break;
        case 'L': layers_dir = optarg; break;
        case 'R': rules_path = optarg; break;
        case 'f': format = optarg; break;
        case 'o': out_path = optarg; break;
        default: return 2;
        }
    }
    int known = !strcmp(verb, "create") || !strcmp(verb, "list") || !strcmp(verb, "show") || !strcmp(verb, "drop") ||
                !strcmp(verb, "compare") || !strcmp(verb, "conflicts") || !strcmp(verb, "adopt");
    if (optind != argc || !known || (strcmp(verb, "list") != 0 && !id))
        return usage();
    gisd_error err = {0};
    layer_registry *reg = NULL;
    store *s = NULL;
    site_rules rules;
    json_t *out = NULL, *sites = NULL;
    int writes = !strcmp(verb, "create") || !strcmp(verb, "drop") || !strcmp(verb, "adopt");
    int rc = layer_registry_load(layers_dir ? layers_dir : layers_default_dir(), &reg, &err);
    if (rc == 0)
        rc = rules_load(rules_path, reg->dir, &rules, &err);
    if (rc == 0 && sites_path) {
        json_error_t jerr;
        if (!(sites = json_load_file(sites_path, 0, &jerr)))
            rc = gisd_fail(&err, GISD_E_INPUT, "%s: line %d: %s", sites_path, jerr.line, jerr.text);
    }
    if (rc == 0)
        rc = store_open(db, writes ? STORE_READWRITE : STORE_READONLY, reg, &s, NULL, &err);
    if (rc == 0 && !strcmp(verb, "create"))
        rc = store_scenario_create(s, id, title, desc, base, "cli", &err);
    else if (rc == 0 && !strcmp(verb, "drop"))
        rc = store_scenario_drop(s, id, &err);
    else if (rc == 0 && !strcmp(verb, "list"))
        rc = store_scenario_list(s, &out, &err);
    else if (rc == 0 && !strcmp(verb, "show"))
        rc = store_scenario_get(s, id, &out, &err);
    else if (rc == 0 && !strcmp(verb, "adopt")) {
        json_t *history = NULL, *conflicts = NULL;
        rc = edit_adopt(s, reg, id, "cli", &history, &conflicts, &err);
        if (conflicts) {
            print(conflicts); /* what blocks it, on stdout; the error on stderr */
            conflicts = NULL;
        }
        if (rc == 0)
            out = json_pack("{s:s, s:o}", "scenario", id, "history", history);
    } else if (rc == 0 && !strcmp(verb, "conflicts"))
        rc = store_scenario_conflicts(s, id, &out, &err);
    else if (rc == 0 && strcmp(format, "pdf") == 0) {
        strbuf doc = {0};
        rc = report_scenario_compare_pdf(s, reg, &rules, id, with, &doc, &err);
        if (rc == 0)
            rc = cli_write_file(out_path, &doc, &err);
        strbuf_free(&doc);
        if (rc == 0) {
            store_close(s);
            layer_registry_free(reg);
            json_decref(sites);
            return 0;
        }
    } else if (rc == 0 && strcmp(format, "json") != 0)
        rc = gisd_fail(&err, GISD_E_INPUT, "--format is json or pdf, not \"%s\"", format);
    else if (rc == 0)
        rc = report_scenario_compare(s, reg, &rules, id, with, sites, &out, &err);
    if (rc == 0 && out)
        print(out);
    else if (rc == 0)
        printf("%s %s\n", !strcmp(verb, "create") ? "created" : "dropped", id);
    json_decref(sites);
    store_close(s);
    layer_registry_free(reg);
    return rc == 0 ? 0 : cli_report(&err);
}
