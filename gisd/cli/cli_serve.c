/* gisd serve */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "layers.h"
#include "server.h"

/* Parses a whole number within lo..hi for the option name; 0 (said on stderr) when it is not. */
static int whole(const char *text, long lo, long hi, const char *name, unsigned *out)
{
    char *end;
    long n = strtol(text, &end, 10);
    if (!*text || *end || n < lo || n > hi) {
        fprintf(stderr, "gisd serve: %s must be a whole number from %ld to %ld\n", name, lo, hi);
        return 0;
    }
    *out = (unsigned)n;
    return 1;
}

static int seconds(const char *text, double lo, double hi, const char *name, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (!*text || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "gisd serve: %s must be a number of seconds from %g to %g\n", name, lo, hi);
        return 0;
    }
    *out = v;
    return 1;
}

int cmd_serve(int argc, char **argv)
{
    server_config cfg = {.db_path = "gisd.sqlite", .listen = "127.0.0.1:8080", .threads = 4,
                         .tile_cache_mb = TILES_CACHE_MB_DEFAULT, .analysis_threads = 2,
                         .analysis_queue = 16, .analysis_timeout_s = 60, .filter_timeout_s = 5, .grace_s = 10,
                         .max_connections = 1024, .max_per_ip = 256, .idle_timeout_s = 30,
                         .check_interval_s = 300};
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
                                         {"snapshot-max-mb", required_argument, 0, 'M'},
                                         {"public-url", required_argument, 0, 'P'},
                                         {"allowed-hosts", required_argument, 0, 'H'},
                                         {"trusted-proxy", required_argument, 0, 'X'},
                                         {"analysis-threads", required_argument, 0, 'a'},
                                         {"analysis-queue", required_argument, 0, 'q'},
                                         {"analysis-timeout-s", required_argument, 0, 'T'},
                                         {"grace-s", required_argument, 0, 'g'},
                                         {"max-connections", required_argument, 0, 'm'},
                                         {"max-connections-per-ip", required_argument, 0, 'i'},
                                         {"idle-timeout-s", required_argument, 0, 'I'},
                                         {"access-log", required_argument, 0, 'A'},
                                         {"check-interval-s", required_argument, 0, 'k'},
                                         {"filter-timeout-ms", required_argument, 0, 'W'},
                                         {"tls-cert", required_argument, 0, 'c'},
                                         {"tls-key", required_argument, 0, 'K'},
                                         {"allow-insecure-writes", no_argument, 0, 'w'},
                                         {"require-token-for-reads", no_argument, 0, 'Q'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': cfg.db_path = optarg; break;
        case 'l': cfg.listen = optarg; break;
        case 't': if (!whole(optarg, 1, 256, "--threads", &cfg.threads)) return 2; break;
        case 'a': if (!whole(optarg, 1, 64, "--analysis-threads", &cfg.analysis_threads)) return 2; break;
        case 'q': if (!whole(optarg, 1, 10000, "--analysis-queue", &cfg.analysis_queue)) return 2; break;
        case 'm': if (!whole(optarg, 1, 100000, "--max-connections", &cfg.max_connections)) return 2; break;
        case 'i': if (!whole(optarg, 1, 100000, "--max-connections-per-ip", &cfg.max_per_ip)) return 2; break;
        case 'I': if (!whole(optarg, 1, 3600, "--idle-timeout-s", &cfg.idle_timeout_s)) return 2; break;
        case 'T': if (!seconds(optarg, 0.1, 86400, "--analysis-timeout-s", &cfg.analysis_timeout_s)) return 2; break;
        case 'c': cfg.tls_cert = optarg; break;
        case 'K': cfg.tls_key = optarg; break;
        case 'w': cfg.allow_insecure_writes = 1; break;
        case 'Q': cfg.require_token_for_reads = 1; break;
        case 'W': {
            unsigned ms;
            if (!whole(optarg, 1, 3600000, "--filter-timeout-ms", &ms))
                return 2;
            cfg.filter_timeout_s = ms / 1000.0;
            break;
        }
        case 'g': if (!seconds(optarg, 0, 3600, "--grace-s", &cfg.grace_s)) return 2; break;
        case 'k': if (!seconds(optarg, 0.1, 86400 * 7, "--check-interval-s", &cfg.check_interval_s)) return 2; break;
        case 'P': cfg.public_url = optarg; break;
        case 'H': cfg.allowed_hosts = optarg; break;
        case 'X': cfg.trusted_proxy = optarg; break;
        case 'A': cfg.access_log = optarg; break;
        case 'L': layers_dir = optarg; break;
        case 'R': rules_path = optarg; break;
        case 'S': cfg.styles_dir = optarg; break;
        case 'F': cfg.font_path = optarg; break;
        case 'M': {
            char *end;
            double v = strtod(optarg, &end);
            if (!*optarg || *end || !(v >= 0 && v <= 1048576)) {
                fprintf(stderr, "gisd serve: --snapshot-max-mb must be 0 (no bound) to 1048576 (a number of MB)\n");
                return 2;
            }
            cfg.snapshot_max_mb = v;
            break;
        }
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
    if (cfg.public_url && strncmp(cfg.public_url, "http://", 7) != 0 &&
        strncmp(cfg.public_url, "https://", 8) != 0) {
        fprintf(stderr, "gisd serve: --public-url must start with http:// or https://\n");
        return 2;
    }
    if (optind != argc) {
        fprintf(stderr, "gisd serve: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    gisd_error err = {0};
    layer_registry *reg;
    /* the reports and maps it serves need a font that writes Chinese */
    if (report_font_check(&err) != 0 ||
        layer_registry_load(layers_dir ? layers_dir : layers_default_dir(), &reg, &err) != 0)
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
