/* gisd optimize NAME: the OPTIMIZE.md answer on stdout. Its options are the
 * optimisation's parameter table, spelt with dashes (--radius-m for
 * radius_m), so the command line and HTTP take the same parameters. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "milp.h"
#include "optimize.h"
#include "progress.h"
#include "xalloc.h"

static void show_progress(void *ud, double incumbent, double bound)
{
    progress_solve(ud, incumbent, bound);
}

static void usage(FILE *out)
{
    fputs("usage: gisd optimize NAME --db F [--candidates FILE] [--progress auto|always|never]\n"
          "                          [--PARAMETER VALUE ...]\n"
          "  --progress: the solver's incumbent, bound and gap on stderr (auto: for runs over a second)\n",
          out);
    for (const opt_def *d = OPTIMIZATIONS; d->name; d++) {
        fprintf(out, "  %s: %s\n", d->name, d->title);
        for (const opt_param *p = d->params; p->name; p++) {
            char opt[64];
            snprintf(opt, sizeof opt, "%s", p->name);
            for (char *c = opt; *c; c++)
                *c = *c == '_' ? '-' : *c;
            fprintf(out, "      --%-18s %s%s%s%s\n", opt, p->doc, p->dflt ? " (default " : "",
                    p->dflt ? p->dflt : "", p->dflt ? ")" : p->required ? " (required)" : "");
        }
    }
}

int cmd_optimize(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1], *db = "gisd.sqlite", *layers_dir = NULL, *rules_path = NULL,
               *cand_path = NULL, *show = "auto";
    const opt_def *d = optimize_find(name);
    if (!d) {
        fprintf(stderr, "gisd optimize: there is no optimisation \"%s\"\n", name);
        usage(stderr);
        return 2;
    }
    opt_args args = {0};
    char *names[32];
    size_t nnames = 0;
    int rc = 0;
    for (int i = 2; i < argc && rc == 0; i++) {
        if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
            fprintf(stderr, "gisd optimize: \"%s\" needs a value (--NAME VALUE)\n", argv[i]);
            rc = 2;
            break;
        }
        const char *key = argv[i] + 2, *value = argv[++i];
        if (strcmp(key, "db") == 0)
            db = value;
        else if (strcmp(key, "layers") == 0)
            layers_dir = value;
        else if (strcmp(key, "rules") == 0)
            rules_path = value;
        else if (strcmp(key, "candidates") == 0)
            cand_path = value;
        else if (strcmp(key, "progress") == 0)
            show = value;
        else if (nnames < 32) {
            char *k = xstrdup(key);
            for (char *c = k; *c; c++)
                *c = *c == '-' ? '_' : *c;
            names[nnames++] = k;
            opt_args_set(&args, k, value);
        }
    }
    int level = strcmp(show, "never") == 0 ? 0 : strcmp(show, "auto") == 0 ? 1 : strcmp(show, "always") == 0 ? 2 : -1;
    if (rc == 0 && level < 0) {
        fprintf(stderr, "gisd optimize: --progress is auto, always or never, not \"%s\"\n", show);
        rc = 2;
    }
    progress prog;
    progress_start(&prog, name, -1, level > 0 ? level : 0);
    if (level > 0)
        milp_progress_set(show_progress, &prog, 1);
    gisd_error err = {0};
    layer_registry *reg = NULL;
    store *s = NULL;
    json_t *cand = NULL, *out = NULL;
    site_rules rules;
    if (rc == 0) {
        rc = layer_registry_load(layers_dir ? layers_dir : layers_default_dir(), &reg, &err);
        if (rc == 0)
            rc = rules_load(rules_path, reg->dir, &rules, &err);
        if (rc == 0 && cand_path) {
            json_error_t jerr;
            if (!(cand = json_load_file(cand_path, 0, &jerr)))
                rc = gisd_fail(&err, GISD_E_INPUT, "%s: line %d: %s", cand_path, jerr.line, jerr.text);
        }
        if (rc == 0)
            rc = store_open(db, STORE_READONLY, reg, &s, NULL, &err);
        if (rc == 0)
            rc = optimize_run(s, reg, &rules, name, &args, cand, &out, &err);
        milp_progress_set(NULL, NULL, 0);
        progress_end(&prog);
        if (rc == 0) {
            json_dumpf(out, stdout, JSON_COMPACT | JSON_REAL_PRECISION(12));
            fputc('\n', stdout);
        }
        rc = rc == 0 ? 0 : cli_report(&err);
    }
    json_decref(out);
    json_decref(cand);
    store_close(s);
    layer_registry_free(reg);
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    return rc;
}
