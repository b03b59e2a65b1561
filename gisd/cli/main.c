/* gisd: the command line. Each command parses its options and calls the same
 * functions the HTTP server calls; the commands are cli_help.c's table. */
#include <gdal.h>
#include <stdio.h>
#include <string.h>

#include "analysis.h"
#include "cli_help.h"
#include "network.h"
#include "store.h"
#include "xalloc.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cli_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(argc - 1, argv + 1);
    const cli_command *c = cli_command_find(argv[1]);
    if (!c) {
        fprintf(stderr, "gisd: unknown command \"%s\"\n", argv[1]);
        cli_usage(stderr);
        return 2;
    }
    if (argc == 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
        cli_command_help(c, stdout);
        return 0;
    }
    xalloc_install_json();
    store_global_init();
    GDALAllRegister();
    int rc = c->run(argc - 1, argv + 1);
    network_cache_clear();
    search_cache_clear();
    GDALDestroy();
    return rc;
}
