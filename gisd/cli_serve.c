/* gisd serve */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "layers.h"
#include "server.h"

int cmd_serve(int argc, char **argv)
{
    server_config cfg = {.db_path = "gisd.sqlite", .listen = "127.0.0.1:8080", .threads = 4,
                         .tile_cache_mb = TILES_CACHE_MB_DEFAULT};
    const char *layers_dir = NULL, *rules_path = NULL;
    char styles_buf[4200], vendor_buf[4200];
    cfg.styles_dir = path_beside_exe("GISD_STYLES", "styles", styles_buf, sizeof styles_buf);
    cfg.vendor_dir = path_beside_exe("GISD_VENDOR", "node_modules/maplibre-gl/dist", vendor_buf,
                                     sizeof vendor_buf);
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"listen", required_argument, 0, 'l'},
                                         {"threads", required_argument, 0, 't'},
                                         {"layers", required_argument, 0, 'L'},
                                         {"rules", required_argument, 0, 'R'},
                                         {"styles", required_argument, 0, 'S'},
                                         {"font", required_argument, 0, 'F'},
                                         {"tile-cache-mb", required_argument, 0, 'C'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': cfg.db_path = optarg; break;
        case 'l': cfg.listen = optarg; break;
        case 't': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 256) {
                fprintf(stderr, "gisd serve: --threads must be 1 to 256\n");
                return 2;
            }
            cfg.threads = (unsigned)n;
            break;
        }
        case 'L': layers_dir = optarg; break;
        case 'R': rules_path = optarg; break;
        case 'S': cfg.styles_dir = optarg; break;
        case 'F': cfg.font_path = optarg; break;
        case 'C': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 0 || n > 65536) {
                fprintf(stderr, "gisd serve: --tile-cache-mb must be 0 (no cache) to 65536\n");
                return 2;
            }
            cfg.tile_cache_mb = (size_t)n;
            break;
        }
        default: return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "gisd serve: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    gisd_error err = {0};
    layer_registry *reg;
    if (layer_registry_load(layers_dir ? layers_dir : layers_default_dir(), &reg, &err) != 0)
        return cli_report(&err);
    cfg.reg = reg;
    site_rules rules;
    if (rules_load(rules_path, reg->dir, &rules, &err) != 0) {
        layer_registry_free(reg);
        return cli_report(&err);
    }
    cfg.rules = &rules;
    int rc = server_run(&cfg, &err);
    layer_registry_free(reg);
    return rc == 0 ? 0 : cli_report(&err);
}
