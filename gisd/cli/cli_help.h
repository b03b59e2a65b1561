/* The commands of the gisd binary as one table: main dispatches through it,
 * and the help, the manual page and the version come from it. */
#ifndef GISD_CLI_HELP_H
#define GISD_CLI_HELP_H

#include <stdio.h>

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *synopsis; /* the options, one usage a line */
    const char *summary;  /* what it does, one line */
} cli_command;

/* The command named, or NULL. */
const cli_command *cli_command_find(const char *name);
/* Writes the list of commands (gisd --help). */
void cli_usage(FILE *out);
/* Writes one command's help (gisd help CMD, gisd CMD --help); serve and
 * config list every option of the serve table. */
void cli_command_help(const cli_command *c, FILE *out);
/* gisd help [CMD | --man]: 0, or 2 for a command that does not exist. */
int cmd_help(int argc, char **argv);
/* gisd version (gisd --version): gisd's version and commit, and the
 * versions of the libraries it runs with. */
int cmd_version(int argc, char **argv);

#endif
