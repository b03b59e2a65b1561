/* gisd serve's options: one table drives the command line, the
 * configuration file (gisd.conf), `gisd config check`, the help text and the
 * manual page, so that none of them can name an option the others lack. */
#ifndef GISD_SERVE_OPTIONS_H
#define GISD_SERVE_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "server.h"

typedef enum {
    SOPT_TEXT,    /* a path, address or list, as written */
    SOPT_COUNT,   /* a whole number within lo..hi (unsigned) */
    SOPT_SECONDS, /* a number of seconds within lo..hi (double) */
    SOPT_MILLIS,  /* whole milliseconds within lo..hi, kept as seconds (double) */
    SOPT_MB,      /* whole megabytes within lo..hi (size_t) */
    SOPT_MB_REAL, /* megabytes, fractions allowed, within lo..hi (double) */
    SOPT_FLAG     /* no value on the command line; true|false in the file (int) */
} serve_option_kind;

typedef struct {
    const char *name; /* the long option and the file's key */
    serve_option_kind kind;
    double lo, hi;
    size_t offset;   /* where in serve_settings the value goes */
    const char *arg; /* the value's name in the help ("FILE", "N") */
    const char *doc; /* one line, what it does and its default */
} serve_option;

/* Everything gisd serve is started with. */
typedef struct {
    server_config cfg;
    const char *layers_dir; /* NULL: layers_default_dir() */
    const char *config_path; /* the file read, or NULL */
    char *owned[64];        /* the file's values, freed by serve_settings_free */
    size_t nowned;
    char set_by[64];        /* per option: 0 default, 'f' the file, 'c' the command line */
} serve_settings;

extern const serve_option SERVE_OPTIONS[];
extern const size_t SERVE_NOPTS;

/* Fills s with the defaults (the assets found by paths_asset). */
void serve_settings_init(serve_settings *s);
/* Frees what the configuration file's values took; s is not usable after. */
void serve_settings_free(serve_settings *s);
/* Reads `key = value` lines of path (# starts a comment) into s: 0, or 1
 * after printing "gisd: PATH:LINE: why" on stderr (a key no option has, a key
 * given twice, a value out of its limits, a line without "="). */
int serve_settings_read_file(serve_settings *s, const char *path);
/* Applies argv's options over s (the command line wins over the file); the
 * configuration file named by --config, or the installed default when there
 * is one and no --config, is read first. 0, or the exit status after saying
 * why on stderr (2 for a bad option, 1 for a bad file). cmd names the
 * command in messages ("serve", "config check"). */
int serve_settings_parse(serve_settings *s, int argc, char **argv, const char *cmd);
/* The checks a start makes before it listens: the URL's scheme, the TLS
 * pair, and that the viewer, MapLibre, the drawing library and the style
 * are where they are expected (naming the missing path). 0, or 1 after
 * saying why on stderr. */
int serve_settings_check(const serve_settings *s);
/* Writes every option's effective value, one `key = value` a line, each
 * followed by where it came from (default, file or command line). */
void serve_settings_print(const serve_settings *s, FILE *out);
/* Writes the options' help, one option a line. */
void serve_options_help(FILE *out);
/* Writes the options as a roff table of the manual page. */
void serve_options_roff(FILE *out);

#endif
