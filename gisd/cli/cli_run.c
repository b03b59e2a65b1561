/* gisd analyze NAME and gisd optimize NAME: an entry of the catalog run
 * from the command line, its answer (the same JSON as HTTP's) on stdout or
 * in --out. The options are the entry's parameters spelt with dashes
 * (--radius-m 500 or --radius-m=500 for radius_m; a boolean alone, as
 * --capable, is true), read by the same parser as HTTP's, so a value is
 * taken or refused alike through every door. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "catalog.h"
#include "cli.h"
#include "progress.h"
#include "report.h"

static void show_progress(void *ud, double incumbent, double bound)
{
    progress_solve(ud, incumbent, bound);
}

static void usage(FILE *out, catalog_kind kind)
{
    fprintf(out, "usage: gisd %s NAME --db F [--scenario SID] [--out FILE] [--layers DIR] [--rules FILE]\n"
                 "       [--PARAMETER VALUE ...]\n",
            kind == CATALOG_ANALYSIS ? "analyze" : "optimize");
    if (kind == CATALOG_OPTIMIZATION)
        fputs("  --progress auto|always|never: the solver's incumbent, bound and gap on stderr\n"
              "                               (auto: for runs over a second)\n", out);
    for (const catalog_entry *e = CATALOG; e->id; e++) {
        if (e->kind != kind)
            continue;
        fprintf(out, "  %s: %s\n", e->id, e->title);
        if (e->object)
            fprintf(out, "      --%-18s FILE: %s%s\n", e->object, e->object_doc, e->object_required ? " (required)" : "");
        if (strcmp(e->id, "site-check") == 0)
            fputs("                           (or a boundary-point TXT, shapefile, zipped shapefile, DXF, KML or GeoPackage)\n",
                  out);
        for (const param_def *p = e->params; p->name; p++) {
            char opt[64];
            param_cli_name(p, opt, sizeof opt);
            fprintf(out, "      --%-18s %s%s%s%s\n", opt, p->doc, p->dflt ? " (default " : "", p->dflt ? p->dflt : "",
                    p->dflt ? ")" : p->required ? " (required)" : "");
        }
        if (strcmp(e->id, "site-check") == 0)
            fputs("      --format pdf         the compliance opinion as a PDF report (with --out)\n"
                  "      --format csv|xlsx|zip  many sites as a summary table, or a zip of an opinion per site\n", out);
    }
}

/* The command's own options, beside the entry's parameters. */
typedef struct {
    const char *db, *layers, *rules, *out, *object, *progress, *scenario;
    const char *file_format; /* site-check written as pdf, csv, xlsx or zip; any answer as csv or xlsx; or NULL */
} cli_opts;

/* argv[2..] into o and v: 0; 2 after saying what is wrong with the
 * command line; -1 with err for a value the entry refuses. */
static int read_args(const catalog_entry *e, int argc, char **argv, cli_opts *o, param_values *v, gisd_error *err)
{
    for (int i = 2; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0) {
            fprintf(stderr, "gisd: unexpected argument \"%s\" (options are --NAME VALUE)\n", argv[i]);
            return 2;
        }
        char key[128];
        const char *eq = strchr(argv[i] + 2, '='), *value = NULL;
        size_t klen = eq ? (size_t)(eq - argv[i] - 2) : strlen(argv[i] + 2);
        if (klen >= sizeof key) {
            fprintf(stderr, "gisd: no option \"%s\"\n", argv[i]);
            return 2;
        }
        memcpy(key, argv[i] + 2, klen);
        key[klen] = 0;
        for (char *c = key; *c; c++)
            *c = *c == '-' ? '_' : *c;
        const param_def *p = param_find(e->params, key);
        if (eq)
            value = eq + 1;
        else if (p && p->kind == PARAM_BOOL && (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0))
            value = "true"; /* --capable */
        else if (i + 1 < argc)
            value = argv[++i];
        else {
            fprintf(stderr, "gisd: %s needs a value\n", argv[i]);
            return 2;
        }
        const char **own = strcmp(key, "db") == 0         ? &o->db
                           : strcmp(key, "layers") == 0   ? &o->layers
                           : strcmp(key, "rules") == 0    ? &o->rules
                           : strcmp(key, "out") == 0      ? &o->out
                           : strcmp(key, "progress") == 0 ? &o->progress
                           : strcmp(key, "scenario") == 0 ? &o->scenario
                           : e->object && strcmp(key, e->object) == 0 ? &o->object
                                                                      : NULL;
        if (own)
            *own = value;
        else if (strcmp(key, "format") == 0 && strcmp(e->id, "site-check") == 0 &&
                 (!strcmp(value, "pdf") || !strcmp(value, "csv") || !strcmp(value, "xlsx") || !strcmp(value, "zip")))
            o->file_format = value;
        else if (strcmp(key, "format") == 0 && (!strcmp(value, "csv") || !strcmp(value, "xlsx")))
            o->file_format = value; /* the answer as a table */
        else if (param_set_text(v, key, value, err) != 0)
            return -1;
    }
    return param_finish(v, err);
}

static int load_object(const char *path, json_t **out, gisd_error *err)
{
    json_error_t jerr;
    if (!path)
        return 0;
    if (!(*out = json_load_file(path, 0, &jerr)))
        return gisd_fail(err, GISD_E_INPUT, "%s: line %d: %s", path, jerr.line, jerr.text);
    return 0;
}

static int write_json(const char *path, json_t *doc, gisd_error *err)
{
    strbuf text = {0};
    char *json = json_dumps(doc, ANALYSIS_JSON_FLAGS);
    strbuf_puts(&text, json);
    strbuf_puts(&text, "\n");
    free(json);
    int rc = cli_write_file(path, &text, err);
    strbuf_free(&text);
    return rc;
}

static int run_command(catalog_kind kind, int argc, char **argv)
{
    const char *verb = kind == CATALOG_ANALYSIS ? "analyze" : "optimize";
    if (argc < 2 || argv[1][0] == '-') {
        usage(stderr, kind);
        return 2;
    }
    char ids[512];
    const catalog_entry *e = catalog_find(argv[1], kind);
    if (!e) {
        catalog_ids(kind, ids, sizeof ids);
        fprintf(stderr, "gisd %s: there is no %s \"%s\": %s\n", verb,
                kind == CATALOG_ANALYSIS ? "analysis" : "optimisation", argv[1], ids);
        return 2;
    }
    cli_opts o = {.db = "gisd.sqlite", .progress = "auto"};
    param_values v;
    catalog_values_init(e, &v);
    gisd_error err = {0};
    int rc = read_args(e, argc, argv, &o, &v, &err);
    if (rc == 2) {
        param_values_free(&v);
        return 2;
    }
    int level = strcmp(o.progress, "never") == 0 ? 0 : strcmp(o.progress, "auto") == 0 ? 1
                : strcmp(o.progress, "always") == 0                                 ? 2
                                                                                    : -1;
    if (rc == 0 && level < 0)
        rc = gisd_fail(&err, GISD_E_INPUT, "--progress is auto, always or never, not \"%s\"", o.progress);
    layer_registry *reg = NULL;
    store *s = NULL;
    json_t *object = NULL, *out = NULL;
    site_rules rules;
    if (rc == 0)
        rc = layer_registry_load(o.layers ? o.layers : layers_default_dir(), &reg, &err);
    if (rc == 0)
        rc = rules_load(o.rules, reg->dir, &rules, &err);
    if (rc == 0 && o.object && strcmp(e->id, "site-check") == 0)
        rc = site_input_file(o.object, param_text(&v, "srs"), &object, &err);
    else if (rc == 0)
        rc = load_object(o.object, &object, &err);
    if (rc == 0)
        rc = store_open(o.db, STORE_READONLY, reg, &s, NULL, &err);
    if (rc == 0)
        rc = store_set_scenario(s, o.scenario, &err);
    progress prog;
    progress_start(&prog, e->id, -1, level > 0 ? level : 0);
    milp_progress mp = {show_progress, &prog, 1};
    store *writer = NULL; /* where --save-scenario writes */
    if (rc == 0 && param_find(e->params, "save_scenario") && param_given(&v, "save_scenario"))
        rc = store_open(o.db, STORE_READWRITE, reg, &writer, NULL, &err);
    catalog_ctx ctx = {s, reg, &rules, level > 0 ? &mp : NULL, writer, "cli"};
    if (rc == 0 && o.file_format && strcmp(e->id, "site-check") != 0) {
        strbuf doc = {0};
        const char *media;
        rc = catalog_run(e, &ctx, &v, object, &out, &err);
        if (rc == 0)
            rc = report_answer_table(out, o.file_format, e->id, &doc, &media, &err);
        if (rc == 0)
            rc = cli_write_file(o.out, &doc, &err);
        strbuf_free(&doc);
    } else if (rc == 0 && o.file_format) {
        strbuf doc = {0};
        int srid, geojson;
        const char *media;
        rc = analysis_setup(s, reg, &v, &srid, &geojson, &err);
        if (rc == 0 && !object)
            rc = gisd_fail(&err, GISD_E_INPUT, "site-check needs the site: --site FILE, a GeoJSON Feature");
        if (rc == 0)
            rc = report_site_check_file(s, reg, &rules, srid, object, &v, o.file_format, &doc, &media, &err);
        if (rc == 0)
            rc = cli_write_file(o.out, &doc, &err);
        strbuf_free(&doc);
    } else if (rc == 0) {
        rc = catalog_run(e, &ctx, &v, object, &out, &err);
        if (rc == 0)
            rc = write_json(o.out, out, &err);
    }
    progress_end(&prog);
    json_decref(out);
    json_decref(object);
    store_close(writer);
    store_close(s);
    layer_registry_free(reg);
    param_values_free(&v);
    return rc == 0 ? 0 : cli_report(&err);
}

int cmd_analyze(int argc, char **argv) { return run_command(CATALOG_ANALYSIS, argc, argv); }
int cmd_optimize(int argc, char **argv) { return run_command(CATALOG_OPTIMIZATION, argc, argv); }

int cmd_network(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "check") != 0) {
        fputs("usage: gisd network check --db F [--snap-max-m M] [--analysis-crs EPSG:n]\n", stderr);
        return 2;
    }
    /* the network-check analysis of the catalog, under the name a planner looks for */
    argv[1] = (char *)"network-check";
    return run_command(CATALOG_ANALYSIS, argc, argv);
}

static const char *kind_name(const param_def *p)
{
    switch (p->kind) {
    case PARAM_NUMBER: return "number";
    case PARAM_INT: return "whole number";
    case PARAM_BOOL: return "true or false";
    case PARAM_CHOICE: return "one of";
    case PARAM_TEXT: return "text";
    case PARAM_CRS: return "CRS (EPSG:n)";
    }
    return "";
}

int cmd_catalog(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "--markdown") != 0) {
        fputs("usage: gisd catalog --markdown: every analysis and optimisation with its parameters,\n"
              "       as the README's tables\n", stderr);
        return 2;
    }
    for (const catalog_entry *e = CATALOG; e->id; e++) {
        printf("**%s** (%s): %s\n\n| parameter | option | kind | default | allowed | what |\n"
               "|---|---|---|---|---|---|\n",
               e->id, e->kind == CATALOG_ANALYSIS ? "analysis" : "optimisation", e->title);
        if (e->object)
            printf("| `%s` | `--%s FILE` | GeoJSON | | %s | %s |\n", e->object, e->object,
                   e->object_required ? "required" : "", e->object_doc);
        for (const param_def *p = e->params; p->name; p++) {
            char opt[64], allowed[128] = "";
            param_cli_name(p, opt, sizeof opt);
            if (p->kind == PARAM_NUMBER || p->kind == PARAM_INT)
                snprintf(allowed, sizeof allowed, "%g to %g%s%s", p->min, p->max, p->unit ? " " : "",
                         p->unit ? p->unit : "");
            else if (p->kind == PARAM_CHOICE) /* a | would end the table's cell */
                for (const char *c = p->choices; *c;) {
                    size_t n = strcspn(c, "|"), at = strlen(allowed);
                    snprintf(allowed + at, sizeof allowed - at, "%s`%.*s`", at ? ", " : "", (int)n, c);
                    c += n + (c[n] == '|');
                }
            printf("| `%s` | `--%s` | %s | %s%s%s | %s | %s |\n", p->name, opt, kind_name(p), p->dflt ? "`" : "",
                   p->dflt ? p->dflt : (p->required ? "required" : ""), p->dflt ? "`" : "", allowed, p->doc);
        }
        putchar('\n');
    }
    return 0;
}
