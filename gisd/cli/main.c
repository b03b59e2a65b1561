/* gisd: the command line. Each command parses its options and calls the same
 * functions the HTTP server calls. */
#include <gdal.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "network.h"
#include "store.h"
#include "xalloc.h"

static void usage(FILE *out)
{
    fputs("usage: gisd COMMAND [OPTIONS]\n"
          "\n"
          "commands:\n"
          "  import   --db F FILE --layer L [--srs EPSG:n] [--x COL --y COL]\n"
          "           [--map SRC=DST,...] [--encoding GBK] [--analysis-crs EPSG:n]\n"
          "  import   --db F --manifest manifest.json\n"
          "  export   --db F --layer L --format FORMAT OUT [--srs EPSG:n]\n"
          "  serve    --db F [--listen 127.0.0.1:8080] [--threads N]\n"
          "  tiles    --db F --out city.mbtiles [--zoom 8-16] [--layers all|L1,L2]\n"
          "  analyze  heating-coverage|hw-proximity|recycling-coverage|site-check|symbiosis|park-scorecard --db F ...\n"
          "  optimize recycling-siting|sorting-siting|hw-allocation|heat-extension --db F ...\n"
          "  catalog  --markdown  (every analysis and optimisation with its parameters)\n"
          "  scenario create|list|show|drop|compare|conflicts --db F --id SID ...  (plan scenarios)\n"
          "  opinion  issue --db F --site FILE [--out F.pdf] | list | show --number N | verify FILE.pdf\n"
          "           (the register of compliance opinions)\n"
          "  report   park --db F --park-id ID --out park.pdf | map ... --out map.png [--width W --height H]\n"
          "  qgis-project --db F --url http://HOST:PORT --out city.qgz\n"
          "  token    add --db F --name NAME --scope admin|write:L1,L2|issue:opinions | list | revoke --name NAME\n"
          "  history  --db F [--layer L] [--feature ID] [--change N]\n"
          "  revert   --db F --change N\n"
          "  migrate  --db F   create the store's schema or bring it up to date\n"
          "  network  check --db F [--snap-max-m M]  what to fix in the roads before trusting network distances\n"
          "  layers   list the layer definitions\n"
          "\n"
          "F is a SpatiaLite file, or a PostgreSQL/PostGIS database as a libpq URI\n"
          "(postgresql://user@host:port/dbname; the password from PGPASSWORD or ~/.pgpass)\n"
          "every command but tiles takes --layers DIR (default: the layers/ shipped with gisd)\n"
          "see README.md for every option\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {{"import", cmd_import},   {"export", cmd_export}, {"serve", cmd_serve},
                    {"analyze", cmd_analyze}, {"layers", cmd_layers},
                    {"tiles", cmd_tiles},
                    {"optimize", cmd_optimize}, {"catalog", cmd_catalog}, {"scenario", cmd_scenario}, {"report", cmd_report},
                    {"opinion", cmd_opinion},
                    {"qgis-project", cmd_qgis_project}, {"token", cmd_token},
                    {"history", cmd_history}, {"revert", cmd_revert},
                    {"migrate", cmd_migrate}, {"network", cmd_network}};
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0) {
            xalloc_install_json();
            store_global_init();
            GDALAllRegister();
            int rc = commands[i].run(argc - 1, argv + 1);
            network_cache_clear();
            GDALDestroy();
            return rc;
        }
    fprintf(stderr, "gisd: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}
