/* gisd token, gisd history, gisd revert: who may write, what was written,
 * and taking a change back; gisd migrate: the store's schema. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "edit.h"
#include "store_backup.h"

typedef struct {
    const char *db, *layers, *name, *scope, *layer, *feature, *who;
    char scopes[512]; /* several --scope, space-separated */
    long long change;
    int cascade;
} edit_opts;

static int parse(int argc, char **argv, int first, edit_opts *o, const char *usage)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},      {"layers", required_argument, 0, 'L'},
                                         {"name", required_argument, 0, 'n'},    {"scope", required_argument, 0, 's'},
                                         {"layer", required_argument, 0, 'l'},   {"feature", required_argument, 0, 'f'},
                                         {"change", required_argument, 0, 'c'},  {"who", required_argument, 0, 'w'},
                                         {"cascade", no_argument, 0, 'C'},       {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->db = "gisd.sqlite";
    int c;
    optind = first;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'L': o->layers = optarg; break;
        case 'n': o->name = optarg; break;
        case 's': /* one --scope each; the token holds them all */
            if (o->scope) {
                char joined[sizeof o->scopes];
                snprintf(joined, sizeof joined, "%s %s", o->scope, optarg);
                memcpy(o->scopes, joined, sizeof joined);
                o->scope = o->scopes;
            } else {
                o->scope = optarg;
            }
            break;
        case 'l': o->layer = optarg; break;
        case 'f': o->feature = optarg; break;
        case 'c': o->change = strtoll(optarg, NULL, 10); break;
        case 'w': o->who = optarg; break;
        case 'C': o->cascade = 1; break;
        default: fprintf(stderr, "%s\n", usage); return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "unexpected argument \"%s\"\n%s\n", argv[optind], usage);
        return -1;
    }
    return 0;
}

/* Opens the registry and the store (mode) of o. */
static int open_store(const edit_opts *o, store_mode mode, layer_registry **reg, store **s, gisd_error *err)
{
    *s = NULL;
    if (layer_registry_load(o->layers ? o->layers : layers_default_dir(), reg, err) != 0)
        return -1;
    return store_open(o->db, mode, *reg, s, NULL, err);
}

int cmd_token(int argc, char **argv)
{
    static const char *const usage = "gisd token add --db F --name NAME --scope admin|write:LAYER,LAYER|admin:scenarios|write:scenarios|write:scenario:SID|issue:opinions ...\n"
                                     "gisd token list --db F\ngisd token revoke --db F --name NAME";
    edit_opts o;
    if (argc < 2 || parse(argc, argv, 2, &o, usage) != 0) {
        if (argc < 2)
            fprintf(stderr, "%s\n", usage);
        return 2;
    }
    const char *what = argv[1];
    int add = strcmp(what, "add") == 0, list = strcmp(what, "list") == 0, revoke = strcmp(what, "revoke") == 0;
    if ((!add && !list && !revoke) || ((add || revoke) && !o.name) || (add && !o.scope)) {
        fprintf(stderr, "%s\n", usage);
        return 2;
    }
    gisd_error err = {0};
    layer_registry *reg = NULL;
    store *s = NULL;
    int rc = open_store(&o, list ? STORE_READONLY : STORE_READWRITE, &reg, &s, &err);
    if (rc == 0 && add) {
        char token[65], hash[65];
        rc = edit_scope_valid(reg, o.scope, &err) ? edit_token_new(token, &err) : -1;
        if (rc == 0) {
            edit_token_hash(token, hash);
            rc = store_token_add(s, o.name, o.scope, hash, &err);
        }
        /* shown once, alone on stdout; the store keeps only its hash */
        if (rc == 0)
            printf("%s\n", token);
    } else if (rc == 0 && revoke) {
        rc = store_token_revoke(s, o.name, &err);
    } else if (rc == 0) {
        json_t *tokens = NULL;
        rc = store_token_list(s, &tokens, &err);
        if (rc == 0) {
            json_dumpf(tokens, stdout, JSON_INDENT(1));
            fputc('\n', stdout);
        }
        json_decref(tokens);
    }
    store_close(s);
    layer_registry_free(reg);
    return rc == 0 ? 0 : cli_report(&err);
}

int cmd_history(int argc, char **argv)
{
    edit_opts o;
    if (parse(argc, argv, 1, &o, "gisd history --db F [--layer L] [--feature ID] [--change N]") != 0)
        return 2;
    gisd_error err = {0};
    layer_registry *reg = NULL;
    store *s = NULL;
    json_t *rows = NULL;
    int rc = open_store(&o, STORE_READONLY, &reg, &s, &err);
    if (rc == 0)
        rc = store_history(s, o.layer, o.feature, o.change, &rows, &err);
    if (rc == 0) {
        json_dumpf(rows, stdout, JSON_INDENT(1));
        fputc('\n', stdout);
    }
    json_decref(rows);
    store_close(s);
    layer_registry_free(reg);
    return rc == 0 ? 0 : cli_report(&err);
}

int cmd_revert(int argc, char **argv)
{
    edit_opts o;
    if (parse(argc, argv, 1, &o, "gisd revert --db F --change N [--cascade] [--who NAME]") != 0)
        return 2;
    if (o.change <= 0) {
        fprintf(stderr, "gisd revert: --change N (a number of gisd history) is required\n");
        return 2;
    }
    gisd_error err = {0};
    layer_registry *reg = NULL;
    store *s = NULL;
    long long undo = 0;
    int rc = open_store(&o, STORE_READWRITE, &reg, &s, &err);
    if (rc == 0)
        rc = edit_revert(s, reg, o.change, o.cascade, o.who ? o.who : "gisd revert", &undo, &err);
    if (rc == 0)
        printf("change %lld reverted by change %lld\n", o.change, undo);
    store_close(s);
    layer_registry_free(reg);
    return rc == 0 ? 0 : cli_report(&err);
}

int cmd_migrate(int argc, char **argv)
{
    static const char *const usage = "gisd migrate --db F|postgresql://...";
    edit_opts o;
    if (parse(argc, argv, 1, &o, usage) != 0)
        return 2;
    layer_registry *reg = NULL;
    store *s = NULL;
    gisd_error err = {0};
    /* the store as it was stays beside it until the new schema is in place */
    char keep[4200] = "";
    struct stat st;
    if (strncmp(o.db, "postgres", 8) != 0 && stat(o.db, &st) == 0) {
        snprintf(keep, sizeof keep, "%s.pre-migrate", o.db);
        if (store_backup_replace(o.db, keep, &err) != 0)
            return cli_report(&err);
    }
    /* opening for writing creates the schema, or brings an older one up to date */
    int rc = open_store(&o, STORE_READWRITE, &reg, &s, &err);
    if (rc == 0)
        printf("the store at %s has gisd's current schema\n", o.db);
    store_close(s);
    layer_registry_free(reg);
    if (rc != 0) {
        if (*keep)
            fprintf(stderr, "gisd: the store as it was before is kept at %s\n", keep);
        return cli_report(&err);
    }
    if (*keep)
        unlink(keep);
    return 0;
}
