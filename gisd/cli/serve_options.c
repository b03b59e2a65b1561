/* serve_options: the table of gisd serve's options and the readers of the
 * command line and gisd.conf that it drives. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "glyphs.h"
#include "layers.h"
#include "paths.h"
#include "serve_options.h"
#include "tiles.h"
#include "xalloc.h"

#define OFF(member) offsetof(serve_settings, member)

const serve_option SERVE_OPTIONS[] = {
    {"db", SOPT_TEXT, 0, 0, OFF(cfg.db_path), "F", "the store: a SpatiaLite file or a postgresql:// URI (gisd.sqlite)"},
    {"listen", SOPT_TEXT, 0, 0, OFF(cfg.listen), "HOST:PORT", "the IPv4 address and port (127.0.0.1:8080)"},
    {"threads", SOPT_COUNT, 1, 256, OFF(cfg.threads), "N", "request threads (4)"},
    {"layers", SOPT_TEXT, 0, 0, OFF(layers_dir), "DIR", "the layer definitions (those shipped with gisd)"},
    {"rules", SOPT_TEXT, 0, 0, OFF(cfg.rules_path), "FILE", "the site rules (site-rules.json beside the layers); reloaded at SIGHUP"},
    {"styles", SOPT_TEXT, 0, 0, OFF(cfg.styles_dir), "DIR", "the MapLibre styles, with the viewer in DIR/viewer (shipped)"},
    {"vendor", SOPT_TEXT, 0, 0, OFF(cfg.vendor_dir), "DIR", "MapLibre GL JS's dist/, beside the drawing library's packages (shipped)"},
    {"font", SOPT_TEXT, 0, 0, OFF(cfg.font_path), "FILE", "the font of map labels (" GLYPHS_FONT_DEFAULT ")"},
    {"basemap", SOPT_TEXT, 0, 0, OFF(cfg.basemap), "URL", "an XYZ raster tile template ({z}/{x}/{y}) drawn under every style; none: gisd's own light base"},
    {"basemap-overlay", SOPT_TEXT, 0, 0, OFF(cfg.basemap_overlay), "URL", "a second template drawn over the basemap (天地图's cva_w labels)"},
    {"basemap-attribution", SOPT_TEXT, 0, 0, OFF(cfg.basemap_attribution), "TEXT", "the basemap's attribution, shown on the map"},
    {"tile-cache-mb", SOPT_MB, 0, 65536, OFF(cfg.tile_cache_mb), "MB", "the tile cache's bound, 0 for none (256)"},
    {"snapshot-max-mb", SOPT_MB_REAL, 0, 1048576, OFF(cfg.snapshot_max_mb), "MB", "a layer's tile snapshot's bound, 0 for none (0)"},
    {"public-url", SOPT_TEXT, 0, 0, OFF(cfg.public_url), "URL", "the base of every link behind a proxy (the request's Host)"},
    {"allowed-hosts", SOPT_TEXT, 0, 0, OFF(cfg.allowed_hosts), "H1,H2", "Host values accepted besides the server's addresses"},
    {"trusted-proxy", SOPT_TEXT, 0, 0, OFF(cfg.trusted_proxy), "ADDR", "the one proxy whose X-Forwarded-* are believed"},
    {"analysis-threads", SOPT_COUNT, 1, 64, OFF(cfg.analysis_threads), "N", "threads of the analysis pool (2)"},
    {"analysis-queue", SOPT_COUNT, 1, 10000, OFF(cfg.analysis_queue), "N", "analyses waiting before 503 (16)"},
    {"analysis-timeout-s", SOPT_SECONDS, 0.1, 86400, OFF(cfg.analysis_timeout_s), "S", "an analysis' or job's time, queueing included (60)"},
    {"filter-timeout-ms", SOPT_MILLIS, 1, 3600000, OFF(cfg.filter_timeout_s), "MS", "a CQL2 filter's query time (5000)"},
    {"grace-s", SOPT_SECONDS, 0, 3600, OFF(cfg.grace_s), "S", "at SIGTERM, how long requests may finish (10)"},
    {"max-connections", SOPT_COUNT, 1, 100000, OFF(cfg.max_connections), "N", "connections at once (1024)"},
    {"max-connections-per-ip", SOPT_COUNT, 1, 100000, OFF(cfg.max_per_ip), "N", "connections at once from one address (256)"},
    {"idle-timeout-s", SOPT_COUNT, 1, 3600, OFF(cfg.idle_timeout_s), "S", "an idle connection's life (30)"},
    {"access-log", SOPT_TEXT, 0, 0, OFF(cfg.access_log), "FILE", "one JSON line a request, - for stdout; reopened at SIGHUP (none)"},
    {"check-interval-s", SOPT_SECONDS, 0.1, 604800, OFF(cfg.check_interval_s), "S", "how often the store's quick_check runs (300)"},
    {"tls-cert", SOPT_TEXT, 0, 0, OFF(cfg.tls_cert), "PEM", "the certificate chain: HTTPS with --tls-key"},
    {"tls-key", SOPT_TEXT, 0, 0, OFF(cfg.tls_key), "PEM", "the private key"},
    {"allow-insecure-writes", SOPT_FLAG, 0, 1, OFF(cfg.allow_insecure_writes), NULL, "writes over plain HTTP on a non-loopback address"},
    {"require-token-for-reads", SOPT_FLAG, 0, 1, OFF(cfg.require_token_for_reads), NULL, "every route but /healthz needs a token"},
};
const size_t SERVE_NOPTS = sizeof SERVE_OPTIONS / sizeof *SERVE_OPTIONS;
_Static_assert(sizeof SERVE_OPTIONS / sizeof *SERVE_OPTIONS <= sizeof ((serve_settings *)0)->set_by,
               "serve_settings.set_by has a place for each option");

void serve_settings_init(serve_settings *s)
{
    static char styles[PATH_MAX], vendor[PATH_MAX];
    memset(s, 0, sizeof *s);
    s->cfg = (server_config){.db_path = "gisd.sqlite", .listen = "127.0.0.1:8080", .threads = 4,
                             .tile_cache_mb = TILES_CACHE_MB_DEFAULT, .analysis_threads = 2,
                             .analysis_queue = 16, .analysis_timeout_s = 60, .filter_timeout_s = 5,
                             .grace_s = 10, .max_connections = 1024, .max_per_ip = 256,
                             .idle_timeout_s = 30, .check_interval_s = 300};
    s->cfg.styles_dir = paths_asset("GISD_STYLES", "styles", "styles", styles, sizeof styles);
    s->cfg.vendor_dir = paths_asset("GISD_VENDOR", "vendor/maplibre-gl/dist", "node_modules/maplibre-gl/dist",
                                    vendor, sizeof vendor);
}

void serve_settings_free(serve_settings *s)
{
    for (size_t i = 0; i < s->nowned; i++)
        free(s->owned[i]);
    s->nowned = 0;
}

static const serve_option *find_option(const char *name)
{
    for (size_t i = 0; i < SERVE_NOPTS; i++)
        if (strcmp(SERVE_OPTIONS[i].name, name) == 0)
            return &SERVE_OPTIONS[i];
    return NULL;
}

/* Stores text as o's value in s: NULL, or why it is not one (a static text). */
static const char *set_value(serve_settings *s, const serve_option *o, const char *text, int from_file)
{
    static char why[160];
    char *at = (char *)s + o->offset, *end;
    switch (o->kind) {
    case SOPT_TEXT:
        if (from_file) {
            if (s->nowned == sizeof s->owned / sizeof *s->owned)
                return "too many values in one file";
            text = s->owned[s->nowned++] = xstrdup(text);
        }
        *(const char **)at = text;
        return NULL;
    case SOPT_FLAG:
        if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
            *(int *)at = text[0] == 't';
            return NULL;
        }
        return "must be true or false";
    case SOPT_COUNT:
    case SOPT_MB:
    case SOPT_MILLIS: {
        errno = 0;
        long n = strtol(text, &end, 10);
        if (!*text || *end || errno || n < (long)o->lo || n > (long)o->hi) {
            snprintf(why, sizeof why, "must be a whole number from %.0f to %.0f", o->lo, o->hi);
            return why;
        }
        if (o->kind == SOPT_COUNT)
            *(unsigned *)at = (unsigned)n;
        else if (o->kind == SOPT_MB)
            *(size_t *)at = (size_t)n;
        else
            *(double *)at = (double)n / 1000.0;
        return NULL;
    }
    case SOPT_SECONDS:
    case SOPT_MB_REAL: {
        double v = strtod(text, &end);
        if (!*text || *end || !isfinite(v) || v < o->lo || v > o->hi) {
            snprintf(why, sizeof why, "must be a number from %g to %g", o->lo, o->hi);
            return why;
        }
        *(double *)at = v;
        return NULL;
    }
    }
    return "has no kind";
}

static char *trim(char *t)
{
    while (isspace((unsigned char)*t))
        t++;
    size_t n = strlen(t);
    while (n > 0 && isspace((unsigned char)t[n - 1]))
        t[--n] = '\0';
    return t;
}

int serve_settings_read_file(serve_settings *s, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "gisd: %s: %s\n", path, strerror(errno));
        return 1;
    }
    int seen[64] = {0};
    char line[8192];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            fprintf(stderr, "gisd: %s:%d: the line is longer than %zu bytes\n", path, lineno, sizeof line - 2);
            rc = 1;
            break;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *t = trim(line);
        if (!*t)
            continue;
        char *eq = strchr(t, '=');
        if (!eq) {
            fprintf(stderr, "gisd: %s:%d: write key = value (\"%s\" has no \"=\")\n", path, lineno, t);
            rc = 1;
            break;
        }
        *eq = '\0';
        char *key = trim(t), *value = trim(eq + 1);
        const serve_option *o = find_option(key);
        if (!o) {
            fprintf(stderr, "gisd: %s:%d: unknown key \"%s\" (the keys are gisd serve's options: gisd help serve)\n",
                    path, lineno, key);
            rc = 1;
            break;
        }
        size_t k = (size_t)(o - SERVE_OPTIONS);
        if (seen[k]) {
            fprintf(stderr, "gisd: %s:%d: \"%s\" is set twice (first on line %d)\n", path, lineno, key, seen[k]);
            rc = 1;
            break;
        }
        seen[k] = lineno;
        const char *why = set_value(s, o, value, 1);
        if (why) {
            fprintf(stderr, "gisd: %s:%d: %s %s\n", path, lineno, key, why);
            rc = 1;
            break;
        }
        s->set_by[k] = 'f';
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "gisd: %s: %s\n", path, strerror(errno));
        rc = 1;
    }
    fclose(f);
    if (rc == 0)
        s->config_path = path;
    return rc;
}

int serve_settings_parse(serve_settings *s, int argc, char **argv, const char *cmd)
{
    struct option opts[sizeof SERVE_OPTIONS / sizeof *SERVE_OPTIONS + 2];
    for (size_t i = 0; i < SERVE_NOPTS; i++)
        opts[i] = (struct option){SERVE_OPTIONS[i].name,
                                  SERVE_OPTIONS[i].kind == SOPT_FLAG ? no_argument : required_argument,
                                  NULL, (int)(256 + i)};
    opts[SERVE_NOPTS] = (struct option){"config", required_argument, NULL, 'c'};
    opts[SERVE_NOPTS + 1] = (struct option){0, 0, 0, 0};
    /* the file first, wherever --config stands, so that every flag overrides it */
    const char *config = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
        if (c == 'c')
            config = optarg;
    static char default_config[PATH_MAX];
    if (!config) {
        struct stat st;
        config = paths_default_config(default_config, sizeof default_config);
        if (config && stat(config, &st) != 0)
            config = NULL;
    }
    if (config && serve_settings_read_file(s, config) != 0)
        return 1;
    optind = 1;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'c')
            continue;
        if (c < 256)
            return 2;
        const serve_option *o = &SERVE_OPTIONS[c - 256];
        const char *why = set_value(s, o, o->kind == SOPT_FLAG ? "true" : optarg, 0);
        if (why) {
            fprintf(stderr, "gisd %s: --%s %s\n", cmd, o->name, why);
            return 2;
        }
        s->set_by[c - 256] = 'c';
    }
    if (optind != argc) {
        fprintf(stderr, "gisd %s: unexpected argument \"%s\"\n", cmd, argv[optind]);
        return 2;
    }
    return 0;
}

static int exists(const char *dir, const char *file, const char *what)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (access(path, R_OK) == 0)
        return 1;
    fprintf(stderr, "gisd: %s is missing: %s cannot be read (%s); install gisd (make install) or "
                    "set the option or its GISD_* variable\n",
            what, path, strerror(errno));
    return 0;
}

int serve_settings_check(const serve_settings *s)
{
    const server_config *c = &s->cfg;
    if (c->public_url && strncmp(c->public_url, "http://", 7) != 0 && strncmp(c->public_url, "https://", 8) != 0) {
        fprintf(stderr, "gisd: public-url must start with http:// or https://\n");
        return 1;
    }
    const char *templates[] = {c->basemap, c->basemap_overlay};
    for (size_t i = 0; i < 2; i++) {
        const char *t = templates[i];
        if (t && ((strncmp(t, "http://", 7) != 0 && strncmp(t, "https://", 8) != 0) || !strstr(t, "{z}") ||
                  !strstr(t, "{x}") || (!strstr(t, "{y}") && !strstr(t, "{-y}")))) {
            fprintf(stderr, "gisd: %s \"%s\" must be an http(s) URL template with {z}, {x} and {y}\n",
                    i ? "basemap-overlay" : "basemap", t);
            return 1;
        }
    }
    if (c->basemap_overlay && !c->basemap) {
        fprintf(stderr, "gisd: basemap-overlay needs a basemap under it\n");
        return 1;
    }
    if ((c->tls_cert != NULL) != (c->tls_key != NULL)) {
        fprintf(stderr, "gisd: HTTPS needs both tls-cert and tls-key\n");
        return 1;
    }
    /* a missing asset is a refusal to start, never a blank viewer */
    int ok = exists(c->styles_dir, "viewer/index.html", "the viewer (styles)") &
             exists(c->styles_dir, "planning.json", "the planning style (styles)") &
             exists(c->vendor_dir, "maplibre-gl.js", "MapLibre GL JS (vendor)") &
             exists(c->vendor_dir, "maplibre-gl.css", "MapLibre GL JS's CSS (vendor)") &
             exists(c->vendor_dir, "../../terra-draw/dist/terra-draw.umd.js", "the drawing library (vendor)");
    return ok ? 0 : 1;
}

/* The value of option o in s as text into buf. */
static const char *value_text(const serve_settings *s, const serve_option *o, char *buf, size_t n)
{
    const char *at = (const char *)s + o->offset;
    switch (o->kind) {
    case SOPT_TEXT: {
        const char *v = *(const char *const *)at;
        return v ? v : "";
    }
    case SOPT_FLAG: return *(const int *)at ? "true" : "false";
    case SOPT_COUNT: snprintf(buf, n, "%u", *(const unsigned *)at); return buf;
    case SOPT_MB: snprintf(buf, n, "%zu", *(const size_t *)at); return buf;
    case SOPT_MILLIS: snprintf(buf, n, "%.0f", *(const double *)at * 1000.0); return buf;
    case SOPT_SECONDS:
    case SOPT_MB_REAL: snprintf(buf, n, "%g", *(const double *)at); return buf;
    }
    return "";
}

void serve_settings_print(const serve_settings *s, FILE *out)
{
    fprintf(out, "# configuration file: %s\n", s->config_path ? s->config_path : "(none)");
    for (size_t i = 0; i < SERVE_NOPTS; i++) {
        char buf[64];
        const serve_option *o = &SERVE_OPTIONS[i];
        const char *v = value_text(s, o, buf, sizeof buf);
        /* the defaults that are found, not fixed, are shown as found */
        char found[PATH_MAX + 32];
        if (!*v && strcmp(o->name, "layers") == 0)
            v = layers_default_dir();
        else if (!*v && strcmp(o->name, "font") == 0)
            v = GLYPHS_FONT_DEFAULT;
        else if (!*v && strcmp(o->name, "rules") == 0) {
            snprintf(found, sizeof found, "%s/site-rules.json", s->layers_dir ? s->layers_dir : layers_default_dir());
            v = found;
        }
        if (o->kind == SOPT_TEXT && !*v && !s->set_by[i])
            fprintf(out, "# %s is not set\n", o->name);
        else
            fprintf(out, "%s = %s  # %s\n", o->name, v,
                    s->set_by[i] == 'c' ? "command line" : s->set_by[i] == 'f' ? "file" : "default");
    }
}

void serve_options_help(FILE *out)
{
    fprintf(out, "  --config FILE                 read these options from FILE first (key = value)\n");
    for (size_t i = 0; i < SERVE_NOPTS; i++) {
        const serve_option *o = &SERVE_OPTIONS[i];
        char flag[64];
        snprintf(flag, sizeof flag, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(out, "  %-29s %s\n", flag, o->doc);
    }
}

/* roff needs its own escapes for backslashes and leading dots. */
static void roff_text(FILE *out, const char *t)
{
    for (; *t; t++) {
        if (*t == '\\')
            fputs("\\e", out);
        else if (*t == '-')
            fputs("\\-", out);
        else
            fputc(*t, out);
    }
}

void serve_options_roff(FILE *out)
{
    fputs(".TP\n.BI \\-\\-config \" FILE\"\nRead these options from FILE first (key = value).\n", out);
    for (size_t i = 0; i < SERVE_NOPTS; i++) {
        const serve_option *o = &SERVE_OPTIONS[i];
        fputs(".TP\n.B \\-\\-", out);
        roff_text(out, o->name);
        if (o->arg) {
            fputs(" \" ", out);
            roff_text(out, o->arg);
            fputs("\"", out);
        }
        fputs("\n", out);
        roff_text(out, o->doc);
        fputs("\n", out);
    }
}
