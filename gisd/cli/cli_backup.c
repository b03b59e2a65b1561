/* gisd backup and gisd restore: a SpatiaLite store copied while it serves,
 * and put back. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "store_backup.h"

/* --db F and one file argument: 0, or 2 after the usage. */
static int parse(int argc, char **argv, const char *usage, const char **db, const char **file)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'}, {0, 0, 0, 0}};
    *db = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c != 'd') {
            fprintf(stderr, "usage: %s\n", usage);
            return 2;
        }
        *db = optarg;
    }
    if (!*db || optind != argc - 1) {
        fprintf(stderr, "usage: %s\n", usage);
        return 2;
    }
    *file = argv[optind];
    return 0;
}

int cmd_backup(int argc, char **argv)
{
    const char *db, *out;
    if (parse(argc, argv, "gisd backup --db F OUT.sqlite", &db, &out) != 0)
        return 2;
    gisd_error err = {0};
    if (store_backup(db, out, &err) != 0)
        return cli_report(&err);
    printf("%s backed up to %s\n", db, out);
    return 0;
}

int cmd_restore(int argc, char **argv)
{
    const char *db, *from;
    if (parse(argc, argv, "gisd restore --db F BACKUP.sqlite", &db, &from) != 0)
        return 2;
    gisd_error err = {0};
    struct stat st;
    int replaced = stat(db, &st) == 0;
    if (store_restore(from, db, &err) != 0)
        return cli_report(&err);
    if (replaced)
        printf("%s restored from %s (the store it replaced is at %s.pre-restore)\n", db, from, db);
    else
        printf("%s restored from %s\n", db, from);
    return 0;
}
