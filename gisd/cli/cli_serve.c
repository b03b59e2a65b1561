/* gisd serve and gisd config check: the options come from serve_options'
 * table, a configuration file first and the command line over it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "layers.h"
#include "report.h"
#include "serve_options.h"
#include "server.h"

/* The settings of argv, checked: 0, or the exit status (said on stderr). */
static int settings_of(serve_settings *s, int argc, char **argv, const char *cmd)
{
    serve_settings_init(s);
    int rc = serve_settings_parse(s, argc, argv, cmd);
    if (rc == 0)
        rc = serve_settings_check(s);
    return rc;
}

int cmd_serve(int argc, char **argv)
{
    serve_settings s;
    int rc = settings_of(&s, argc, argv, "serve");
    if (rc != 0) {
        serve_settings_free(&s);
        return rc;
    }
    gisd_error err = {0};
    layer_registry *reg;
    /* the reports and maps it serves need a font that writes Chinese */
    if (report_font_check(&err) != 0 ||
        layer_registry_load(s.layers_dir ? s.layers_dir : layers_default_dir(), &reg, &err) != 0) {
        serve_settings_free(&s);
        return cli_report(&err);
    }
    s.cfg.reg = reg;
    site_rules rules;
    if (rules_load(s.cfg.rules_path, reg->dir, &rules, &err) != 0) {
        layer_registry_free(reg);
        serve_settings_free(&s);
        return cli_report(&err);
    }
    s.cfg.rules = &rules;
    rc = server_run(&s.cfg, &err);
    layer_registry_free(reg);
    serve_settings_free(&s);
    return rc == 0 ? 0 : cli_report(&err);
}

int cmd_config(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "usage: gisd config check [--config FILE] [serve's options]\n");
        return 2;
    }
    serve_settings s;
    int rc = settings_of(&s, argc - 1, argv + 1, "config check");
    gisd_error err = {0};
    layer_registry *reg = NULL;
    site_rules rules;
    if (rc == 0 && layer_registry_load(s.layers_dir ? s.layers_dir : layers_default_dir(), &reg, &err) != 0)
        rc = cli_report(&err);
    if (rc == 0 && rules_load(s.cfg.rules_path, reg->dir, &rules, &err) != 0)
        rc = cli_report(&err);
    if (rc == 0)
        serve_settings_print(&s, stdout);
    layer_registry_free(reg);
    serve_settings_free(&s);
    return rc;
}
