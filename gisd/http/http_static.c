/* What map clients load besides tiles: the map styles (with this server's own
 * URL put into their sources), the viewer, MapLibre GL JS, and glyph ranges. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "routes.h"
#include "strbuf.h"
#include "xalloc.h"

#define MAX_FILE (16u * 1024u * 1024u)

/* A file name with no way out of its directory. */
static int safe_name(const char *name)
{
    if (!*name || name[0] == '.' || strlen(name) > 128)
        return 0;
    for (const char *p = name; *p; p++)
        if (!(*p == '-' || *p == '_' || *p == '.' || (*p >= '0' && *p <= '9') ||
              (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            return 0;
    return 1;
}

static const char *media_of(const char *name)
{
    static const struct {
        const char *ext, *type;
    } T[] = {{".html", "text/html; charset=utf-8"},
             {".js", "text/javascript; charset=utf-8"},
             {".css", "text/css; charset=utf-8"},
             {".json", "application/json"},
             {".map", "application/json"},
             {".png", "image/png"},
             {".svg", "image/svg+xml"}};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof T / sizeof *T; i++)
        if (strcmp(dot, T[i].ext) == 0)
            return T[i].type;
    return "application/octet-stream";
}

/* The file's bytes, malloc'd for the caller; NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && (unsigned long)n <= MAX_FILE && fseek(f, 0, SEEK_SET) == 0 &&
            (buf = xmalloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
            buf[n] = '\0';
            *len = (size_t)n;
        } else {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

static enum MHD_Result send_file(http_req *r, const char *dir, const char *name,
                                 const char *cache_control)
{
    if (!safe_name(name))
        return http_reply_error(r, 404, "NotFound", "no file \"%s\"", name);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len = 0;
    char *data = slurp(path, &len);
    if (!data)
        return http_reply_error(r, 404, "NotFound", "no file \"%s\" here", name);
    const char *hdrs[][2] = {{"Content-Type", media_of(name)}, {"Cache-Control", cache_control}, {NULL, NULL}};
    r->stats->bytes += (long long)len;
    return http_send(r, 200, MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE), hdrs);
}

static const char *styles_dir(http_req *r) { return server_config_of(r->srv)->styles_dir; }

enum MHD_Result http_viewer(http_req *r)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/viewer", styles_dir(r));
    return send_file(r, dir, "index.html", "no-cache");
}

enum MHD_Result http_viewer_file(http_req *r)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/viewer", styles_dir(r));
    return send_file(r, dir, r->params[0], "no-cache");
}

enum MHD_Result http_public_map(http_req *r)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/viewer", styles_dir(r));
    return send_file(r, dir, "map.html", "no-cache");
}

enum MHD_Result http_vendor_file(http_req *r)
{
    return send_file(r, server_config_of(r->srv)->vendor_dir, r->params[0],
                     "public, max-age=86400");
}

enum MHD_Result http_vendor_package_file(http_req *r)
{
    /* the viewer's drawing library, from the npm packages beside MapLibre's
     * (the vendor directory is MapLibre's dist/ in node_modules/) */
    static const char *const PACKAGES[] = {"terra-draw", "terra-draw-maplibre-gl-adapter", NULL};
    size_t k = 0;
    while (PACKAGES[k] && strcmp(PACKAGES[k], r->params[0]) != 0)
        k++;
    if (!PACKAGES[k])
        return http_reply_error(r, 404, "NotFound", "no package \"%s\" here", r->params[0]);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/../../%s/dist", server_config_of(r->srv)->vendor_dir, PACKAGES[k]);
    return send_file(r, dir, r->params[1], "public, max-age=86400");
}

/* The styles are MapLibre style documents whose URLs start with "/"; a client
 * gets them absolute, on the host it asked. */
static void absolutize(http_req *r, json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    if (!v || v[0] != '/')
        return;
    strbuf b = {0};
    strbuf_printf(&b, "%s%s", r->base, v);
    json_object_set_new(obj, key, json_string(b.data));
    strbuf_free(&b);
}

/* The deployment's basemap (--basemap, --basemap-overlay) as raster sources
 * drawn right above the style's background, so that every map gisd serves
 * lies on it; without one the style's own light base stays. */
static void add_basemap(const server_config *cfg, json_t *style)
{
    if (!cfg->basemap)
        return;
    json_t *sources = json_object_get(style, "sources"), *layers = json_object_get(style, "layers");
    if (!json_is_object(sources) || !json_is_array(layers))
        return;
    const char *urls[] = {cfg->basemap, cfg->basemap_overlay};
    const char *ids[] = {"basemap", "basemap-overlay"};
    const char *first = json_string_value(json_object_get(json_array_get(layers, 0), "type"));
    size_t at = first && strcmp(first, "background") == 0; /* right above the background */
    /* the style's own base (a land fill, water) would hide the basemap */
    size_t k;
    json_t *l;
    json_array_foreach(layers, k, l) {
        if (json_is_true(json_object_get(json_object_get(l, "metadata"), "gisd:base"))) {
            if (!json_is_object(json_object_get(l, "layout")))
                json_object_set_new(l, "layout", json_object());
            json_object_set_new(json_object_get(l, "layout"), "visibility", json_string("none"));
        }
    }
    for (size_t i = 0; i < 2 && urls[i]; i++) {
        json_t *src = json_pack("{s:s, s:[s], s:i, s:i}", "type", "raster", "tiles", urls[i], "tileSize", 256, "maxzoom", 18);
        if (cfg->basemap_attribution)
            json_object_set_new(src, "attribution", json_string(cfg->basemap_attribution));
        json_object_set_new(sources, ids[i], src);
        json_array_insert_new(layers, at++, json_pack("{s:s, s:s, s:s}", "id", ids[i], "type", "raster", "source", ids[i]));
    }
}

enum MHD_Result http_style(http_req *r)
{
    char name[160];
    size_t len = strlen(r->params[0]);
    if (len < 6 || len >= sizeof name || strcmp(r->params[0] + len - 5, ".json") != 0)
        return http_reply_error(r, 404, "NotFound", "styles are at /styles/{name}.json; see /styles");
    snprintf(name, sizeof name, "%s", r->params[0]);
    if (!safe_name(name))
        return http_reply_error(r, 404, "NotFound", "no style \"%s\"; see /styles", name);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", styles_dir(r), name);
    json_error_t jerr;
    json_t *style = json_load_file(path, 0, &jerr);
    if (!style)
        return http_reply_error(r, 404, "NotFound", "no style \"%.*s\"; see /styles",
                                (int)(len - 5), name);
    add_basemap(server_config_of(r->srv), style);
    absolutize(r, style, "glyphs");
    absolutize(r, style, "sprite");
    const char *key;
    json_t *src;
    json_object_foreach(json_object_get(style, "sources"), key, src)
        absolutize(r, src, "url");
    return http_reply_json(r, 200, style, "application/json");
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every NAME.json in styles/. */
enum MHD_Result http_styles(http_req *r)
{
    DIR *d = opendir(styles_dir(r));
    if (!d)
        return http_reply_error(r, 500, "ServerError", "the styles directory %s cannot be read",
                                styles_dir(r));
    char *names[256];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 256) {
        size_t len = strlen(de->d_name);
        if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0 && safe_name(de->d_name))
            names[n++] = xstrndup(de->d_name, len - 5);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            continue;
        json_t *links = json_array();
        json_array_append_new(links, http_link(r, "stylesheet", "application/vnd.mapbox.style+json",
                                              "MapLibre style", "/styles/%s.json", names[i]));
        json_array_append_new(list, json_pack("{s:s, s:o}", "id", names[i], "links", links));
        free(names[i]);
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "styles", list), MEDIA_JSON);
}

/* /fonts/{fontstack}/{first}-{last}.pbf: the glyph ranges of map labels. */
enum MHD_Result http_glyphs(http_req *r)
{
    unsigned first, last;
    char tail[8] = "";
    if (sscanf(r->params[1], "%u-%u.%7s", &first, &last, tail) != 3 || strcmp(tail, "pbf") != 0 ||
        last != first + 255)
        return http_reply_error(r, 404, "NotFound",
                                "glyphs are at /fonts/{fontstack}/{first}-{first+255}.pbf");
    glyphs *g = server_glyphs(r->srv);
    if (!g)
        return http_reply_error(r, 404, "NotFound", "this server has no font for map labels (--font)");
    strbuf pbf = {0};
    gisd_error err = {0};
    if (glyphs_range(g, r->params[0], first, &pbf, &err) != 0) {
        strbuf_free(&pbf);
        return http_reply_gisd_error(r, &err);
    }
    const char *hdrs[][2] = {{"Content-Type", "application/x-protobuf"},
                             {"Cache-Control", "public, max-age=86400"}, {NULL, NULL}};
    r->stats->bytes += (long long)pbf.len;
    return http_send(r, 200, MHD_create_response_from_buffer(pbf.len, pbf.data, MHD_RESPMEM_MUST_FREE),
                     hdrs);
}
