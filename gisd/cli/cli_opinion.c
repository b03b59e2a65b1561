/* gisd opinion issue|list|show|verify: the register of compliance opinions
 * from the command line, as /opinions over HTTP. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "catalog.h"
#include "cli.h"
#include "digest.h"
#include "report.h"
#include "xalloc.h"

static int usage(void)
{
    fputs("usage: gisd opinion issue --db F --site FILE [--srs S] [--project-class C] [--coal-boiler-tph T]\n"
          "                          [--who NAME] [--out opinion.pdf]\n"
          "       gisd opinion list --db F [--site-id ID]\n"
          "       gisd opinion show --db F --number N [--out opinion.pdf]\n"
          "       gisd opinion verify --db F FILE.pdf\n",
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

/* The PDF of opinion number written to out: 0, or -1 with err. */
static int write_pdf(store *s, const char *number, const char *out, gisd_error *err)
{
    json_t *rec = NULL;
    char *pdf = NULL;
    size_t len = 0;
    store_found f = store_opinion_get(s, number, &rec, &pdf, &len, err);
    json_decref(rec);
    if (f == STORE_ABSENT)
        return gisd_fail(err, GISD_E_NOTFOUND, "the register holds no opinion \"%s\"", number);
    int rc = -1;
    if (f == STORE_FOUND) {
        strbuf b = {pdf, len, len + 1};
        rc = cli_write_file(out, &b, err);
    }
    free(pdf);
    return rc;
}

/* verify: the register's opinion whose PDF has the file's SHA-256. */
static int verify(store *s, const char *path, gisd_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return gisd_fail(err, GISD_E_INPUT, "%s cannot be read", path);
    strbuf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_append(&b, chunk, n);
    fclose(f);
    char hex[65];
    digest_sha256_bytes_hex(b.data ? b.data : "", b.len, hex);
    strbuf_free(&b);
    json_t *list = NULL;
    if (store_opinion_list(s, NULL, hex, &list, err) != 0)
        return -1;
    if (json_array_size(list) == 0) {
        json_decref(list);
        return gisd_fail(err, GISD_E_NOTFOUND,
                         "%s (SHA-256 %s) is no opinion of the register: not issued here, or altered", path, hex);
    }
    json_t *o = json_array_get(list, 0);
    printf("%s: opinion %s, issued %s, %s%s%s\n", path, json_string_value(json_object_get(o, "number")),
           json_string_value(json_object_get(o, "issued")),
           json_is_true(json_object_get(o, "compliant")) ? "compliant" : "not compliant",
           json_is_string(json_object_get(o, "superseded_by")) ? "; superseded by " : "",
           json_is_string(json_object_get(o, "superseded_by")) ? json_string_value(json_object_get(o, "superseded_by"))
                                                               : "");
    json_decref(list);
    return 0;
}

int cmd_opinion(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-')
        return usage();
    const char *verb = argv[1], *db = "gisd.sqlite", *site_path = NULL, *srs = NULL, *cls = NULL, *tph = NULL,
               *who = "cli", *out = NULL, *number = NULL, *site_id = NULL, *layers_dir = NULL, *rules_path = NULL;
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},         {"site", required_argument, 0, 's'},
        {"srs", required_argument, 0, 'S'},        {"project-class", required_argument, 0, 'c'},
        {"coal-boiler-tph", required_argument, 0, 't'}, {"who", required_argument, 0, 'w'},
        {"out", required_argument, 0, 'o'},        {"number", required_argument, 0, 'n'},
        {"site-id", required_argument, 0, 'i'},    {"layers", required_argument, 0, 'L'},
        {"rules", required_argument, 0, 'R'},      {0, 0, 0, 0}};
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 's': site_path = optarg; break;
        case 'S': srs = optarg; break;
        case 'c': cls = optarg; break;
        case 't': tph = optarg; break;
        case 'w': who = optarg; break;
        case 'o': out = optarg; break;
        case 'n': number = optarg; break;
        case 'i': site_id = optarg; break;
        case 'L': layers_dir = optarg; break;
        case 'R': rules_path = optarg; break;
        default: return 2;
        }
    }
    int issue = !strcmp(verb, "issue"), list = !strcmp(verb, "list"), show = !strcmp(verb, "show"),
        check = !strcmp(verb, "verify");
    if (!(issue || list || show || check) || (issue && (!site_path || optind != argc)) ||
        (show && (!number || optind != argc)) || (list && optind != argc) || (check && optind != argc - 1))
        return usage();
    gisd_error err = {0};
    layer_registry *reg = NULL;
    store *s = NULL;
    site_rules rules;
    json_t *doc = NULL, *site = NULL;
    param_values v;
    const catalog_entry *e = catalog_find("site-check", CATALOG_ANALYSIS);
    catalog_values_init(e, &v);
    int rc = layer_registry_load(layers_dir ? layers_dir : layers_default_dir(), &reg, &err);
    if (rc == 0)
        rc = rules_load(rules_path, reg->dir, &rules, &err);
    if (rc == 0 && issue) {
        if (srs)
            rc = param_set_text(&v, "srs", srs, &err);
        if (rc == 0 && cls)
            rc = param_set_text(&v, "project_class", cls, &err);
        if (rc == 0 && tph)
            rc = param_set_text(&v, "coal_boiler_tph", tph, &err);
        if (rc == 0)
            rc = param_finish(&v, &err);
        if (rc == 0)
            rc = site_input_file(site_path, srs, &site, &err);
    }
    if (rc == 0)
        rc = store_open(db, issue ? STORE_READWRITE : STORE_READONLY, reg, &s, NULL, &err);
    if (rc == 0 && issue) {
        rc = opinion_issue(s, reg, &rules, site, &v, who, &doc, &err);
        if (rc == 0 && out)
            rc = write_pdf(s, json_string_value(json_object_get(doc, "number")), out, &err);
    } else if (rc == 0 && list) {
        rc = store_opinion_list(s, site_id, NULL, &doc, &err);
    } else if (rc == 0 && show) {
        store_found f = store_opinion_get(s, number, &doc, NULL, NULL, &err);
        rc = f == STORE_FOUND ? 0 : -1;
        if (f == STORE_ABSENT)
            gisd_fail(&err, GISD_E_NOTFOUND, "the register holds no opinion \"%s\"", number);
        if (rc == 0 && out)
            rc = write_pdf(s, number, out, &err);
    } else if (rc == 0 && check) {
        rc = verify(s, argv[optind], &err);
    }
    if (s)
        store_close(s);
    json_decref(site);
    param_values_free(&v);
    layer_registry_free(reg);
    if (rc != 0) {
        json_decref(doc);
        return cli_report(&err);
    }
    return doc ? print(doc) : 0;
}
