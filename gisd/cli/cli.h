/* The commands of the gisd binary; each returns the process exit status. */
#ifndef GISD_CLI_H
#define GISD_CLI_H

#include "error.h"
#include "strbuf.h"

int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_layers(int argc, char **argv);
int cmd_tiles(int argc, char **argv);
int cmd_optimize(int argc, char **argv);
/* gisd network check: the network-check analysis; exit 0, 1 or 2 as analyze. */
int cmd_network(int argc, char **argv);
/* gisd catalog --markdown: the catalog's entries and parameters as the README's tables. */
int cmd_catalog(int argc, char **argv);
int cmd_scenario(int argc, char **argv);
/* gisd opinion issue|list|show|verify: the register of compliance opinions. */
int cmd_opinion(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_qgis_project(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_revert(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
/* gisd config check: the configuration file and flags as serve reads them. */
int cmd_config(int argc, char **argv);
/* gisd backup --db F OUT: an online copy of a SpatiaLite store. */
int cmd_backup(int argc, char **argv);
/* gisd restore --db F BACKUP: the backup in place of the store, the old one kept. */
int cmd_restore(int argc, char **argv);

/* Writes b to path ("-" or NULL: stdout): 0, or -1 with err. */
int cli_write_file(const char *path, const strbuf *b, gisd_error *err);

/* Prints "gisd: error: <message>" and returns the exit status for it: 70 for
 * an internal error, 74 for a full disk, 1 for the rest. */
int cli_report(const gisd_error *err);

#endif
