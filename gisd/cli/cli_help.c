/* cli_help: the command table, gisd help, the manual page and gisd --version. */
#include <cairo.h>
#include <coin/Cbc_C_Interface.h>
#include <gdal.h>
#include <geos_c.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <pango/pango.h>
#include <proj.h>
#include <protobuf-c/protobuf-c.h>
#include <sqlite3.h>
#include <spatialite.h>
#include <string.h>
#include <zlib.h>

#include "cli.h"
#include "cli_help.h"
#include "serve_options.h"
#include "version.h"

static const cli_command COMMANDS[] = {
    {"import", cmd_import,
     "--db F FILE --layer L [--srs EPSG:n] [--x COL --y COL] [--map SRC=DST,...] [--encoding GBK] [--analysis-crs EPSG:n] [--scenario SID]\n"
     "--db F --manifest manifest.json",
     "import a planning file GDAL reads (Shapefile, GeoPackage, GeoJSON, CSV, ...) or a manifest of them into the store"},
    {"export", cmd_export, "--db F --layer L --format FORMAT OUT [--srs EPSG:n] [--scenario SID]",
     "write a layer out in a format GDAL writes"},
    {"serve", cmd_serve, "[--config FILE] --db F [--listen HOST:PORT] [options below]",
     "serve OGC API Features, Tiles and Processes, the styles and the viewer over HTTP"},
    {"config", cmd_config, "check [--config FILE] [serve's options]",
     "read the configuration file and the flags as serve would, check them and print every value with its origin"},
    {"tiles", cmd_tiles, "--db F --out city.mbtiles|city.pmtiles [--zoom 8-16] [--layers all|L1,L2]",
     "write the vector tiles into an MBTiles or PMTiles archive"},
    {"analyze", cmd_analyze, "ANALYSIS --db F [parameters] (gisd catalog --markdown lists them)",
     "run a planning analysis: heating-coverage, hw-proximity, recycling-coverage, site-check, symbiosis, park-scorecard, route, service-area, network-check"},
    {"optimize", cmd_optimize, "OPTIMISATION --db F [parameters] [--save-scenario SID]",
     "propose a layout: recycling-siting, sorting-siting, hw-allocation, heat-extension"},
    {"catalog", cmd_catalog, "--markdown", "every analysis and optimisation with its parameters"},
    {"scenario", cmd_scenario, "create|list|show|drop|compare|conflicts|adopt --db F --id SID ...",
     "plan scenarios: proposals held beside the city"},
    {"opinion", cmd_opinion, "issue --db F --site FILE [--out F.pdf] | list | show --number N | verify FILE.pdf",
     "the register of compliance opinions"},
    {"report", cmd_report,
     "park --db F --park-id ID --out park.pdf | map ... --out map.png [--width W --height H]\n"
     "print --db F --bbox minlon,minlat,maxlon,maxlat --out map.pdf [--size A4|A3] [--orientation landscape|portrait] "
     "[--title T] [--layers L1,L2]",
     "the park report (PDF), its map (PNG), and a map of any area to print (PDF)"},
    {"qgis-project", cmd_qgis_project, "--db F --url http://HOST:PORT --out city.qgz [--basemap XYZ-TEMPLATE]",
     "a QGIS project reading this server"},
    {"token", cmd_token,
     "add --db F --name NAME --scope admin|write:L1,L2|issue:opinions ... | list --db F | revoke --db F --name NAME",
     "who may write"},
    {"history", cmd_history, "--db F [--layer L] [--feature ID] [--change N]", "what was written, by whom"},
    {"revert", cmd_revert, "--db F --change N [--cascade]", "take a change back"},
    {"migrate", cmd_migrate, "--db F",
     "create the store's schema or bring it up to date (a SpatiaLite store is kept as F.pre-migrate until it succeeds)"},
    {"backup", cmd_backup, "--db F OUT.sqlite",
     "copy a SpatiaLite store while it serves (SQLite's online backup); for PostgreSQL, the pg_dump command"},
    {"restore", cmd_restore, "--db F BACKUP.sqlite",
     "put a backup in place of the store, keeping the old one as F.pre-restore (stop gisd serve first)"},
    {"network", cmd_network, "check --db F [--snap-max-m M]", "what to fix in the roads before trusting network distances"},
    {"layers", cmd_layers, "[--layers DIR]", "list the layer definitions"},
    {"help", cmd_help, "[COMMAND | --man]", "a command's help, or the manual page in roff"},
    {"version", cmd_version, "", "gisd's version and commit, and its libraries' versions (also gisd --version)"},
};

const cli_command *cli_command_find(const char *name)
{
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
        if (strcmp(COMMANDS[i].name, name) == 0)
            return &COMMANDS[i];
    return NULL;
}

/* Writes each line of text after prefix. */
static void lines(FILE *out, const char *prefix, const char *text)
{
    while (*text) {
        size_t n = strcspn(text, "\n");
        fprintf(out, "%s%.*s\n", prefix, (int)n, text);
        text += n + (text[n] == '\n');
    }
}

void cli_usage(FILE *out)
{
    fputs("usage: gisd COMMAND [OPTIONS]\n\ncommands:\n", out);
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
        fprintf(out, "  %-13s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fputs("\nF is a SpatiaLite file, or a PostgreSQL/PostGIS database as a libpq URI\n"
          "(postgresql://user@host:port/dbname; the password from PGPASSWORD or ~/.pgpass)\n"
          "every command but tiles takes --layers DIR (default: the layers shipped with gisd)\n"
          "gisd help COMMAND shows a command's options; man gisd has them all\n",
          out);
}

void cli_command_help(const cli_command *c, FILE *out)
{
    fprintf(out, "gisd %s: %s\n\nusage:\n", c->name, c->summary);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "  gisd %s ", c->name);
    lines(out, prefix, *c->synopsis ? c->synopsis : " ");
    if (c->run == cmd_serve || c->run == cmd_config) {
        fputs("\noptions (each also a key of the configuration file, `key = value`; the command line wins):\n", out);
        serve_options_help(out);
    }
}

static void roff(FILE *out, const char *t)
{
    for (; *t; t++) {
        if (*t == '\\')
            fputs("\\e", out);
        else if (*t == '-')
            fputs("\\-", out);
        else if (*t == '\n')
            fputs("\n.br\n", out);
        else
            fputc(*t, out);
    }
}

static void man_page(FILE *out)
{
    fprintf(out, ".TH GISD 1 \"%s\" \"gisd %s\" \"User Commands\"\n", GISD_BUILD_DATE, GISD_VERSION);
    fputs(".SH NAME\ngisd \\- a spatial planning server for the circular-economy programmes of industrial parks\n"
          ".SH SYNOPSIS\n.B gisd\n.I COMMAND\n[\\fIOPTIONS\\fR]\n"
          ".SH DESCRIPTION\ngisd imports the files planners have into a SpatiaLite (or PostgreSQL/PostGIS) store, "
          "answers the planning analyses, proposes layouts, serves everything over HTTP (OGC API Features, "
          "Tiles and Processes, vector tiles, MapLibre styles and a web viewer) and writes the reports people file.\n"
          ".SH COMMANDS\n",
          out);
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++) {
        fputs(".TP\n.B gisd ", out);
        roff(out, COMMANDS[i].name);
        fputs("\n", out);
        roff(out, COMMANDS[i].synopsis);
        fputs("\n.br\n", out);
        roff(out, COMMANDS[i].summary);
        fputs("\n", out);
    }
    fputs(".SH SERVE OPTIONS\nEach option of \\fBgisd serve\\fR is also a key of the configuration file.\n", out);
    serve_options_roff(out);
    fputs(".SH CONFIGURATION FILE\nOne \\fIkey\\fR = \\fIvalue\\fR a line, \\fB#\\fR starting a comment; the keys are "
          "the serve options without their dashes; flags take true or false. A key no option has, a key given twice "
          "or a bad value is refused naming the file and line. The command line overrides the file. An installed "
          "gisd reads /etc/gisd/gisd.conf when no \\fB\\-\\-config\\fR is given; \\fBgisd config check\\fR prints "
          "what it would run with.\n"
          ".SH SIGNALS\n.TP\n.B SIGHUP\nreopen the access log and reload the rules file (styles are read per request)\n"
          ".TP\n.B SIGTERM, SIGINT\nfinish the requests in flight (\\-\\-grace\\-s), then stop\n"
          ".SH ENVIRONMENT\n.TP\n.B GISD_LAYERS, GISD_STYLES, GISD_VENDOR\nwhere the layer definitions, the styles "
          "(with the viewer) and MapLibre GL JS are, above the installed prefix's share/gisd and the source tree\n"
          ".SH FILES\n.TP\n/etc/gisd/gisd.conf\nthe configuration\n.TP\n/usr/share/gisd\nlayers, styles, viewer, vendor\n"
          ".TP\n/var/lib/gisd\nthe store of the packaged service\n.TP\n/var/log/gisd/access.log\nthe access log\n"
          ".SH EXIT STATUS\n0 success; 1 bad input or a failed check; 2 a usage error; 70 an internal error; "
          "74 a full disk.\n",
          out);
}

int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        cli_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--man") == 0) {
        man_page(stdout);
        return 0;
    }
    const cli_command *c = cli_command_find(argv[1]);
    if (!c) {
        fprintf(stderr, "gisd help: no command \"%s\"\n", argv[1]);
        cli_usage(stderr);
        return 2;
    }
    cli_command_help(c, stdout);
    return 0;
}

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    PJ_INFO pj = proj_info();
    printf("gisd %s (commit %s, built %s)\n", GISD_VERSION, GISD_COMMIT, GISD_BUILD_DATE);
    printf("GDAL %s\nGEOS %s\nPROJ %s\nSQLite %s\nSpatiaLite %s\nlibmicrohttpd %s\njansson %s\n",
           GDALVersionInfo("RELEASE_NAME"), GEOSversion(), pj.version, sqlite3_libversion(), spatialite_version(),
           MHD_get_version(), jansson_version_str());
    int pq = PQlibVersion();
    printf("Cairo %s\nPango %s\nCBC %s\nlibpq %d.%d\nprotobuf-c %s\nzlib %s\n", cairo_version_string(),
           pango_version_string(), Cbc_getVersion(), pq / 10000, pq % 10000, protobuf_c_version(), zlibVersion());
    return 0;
}
