/* libFuzzer: what a request brings before any store is touched: the route
 * table, bbox and CRS parameters, Accept-Encoding, the analyses' parameters,
 * and the UTF-8 cleaning of everything echoed back. Input: lines of
 * method, path, bbox, crs, accept-encoding, then an entry's name and the
 * values of radius_m, park_id, capable, max_km, level, format, analysis_crs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "crs.h"
#include "http.h"
#include "utf8.h"

static char *next_line(char **p)
{
    char *s = *p;
    if (!s)
        return "";
    char *nl = strchr(s, '\n');
    if (nl) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = NULL;
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *p = text;
    const char *method = next_line(&p), *path = next_line(&p), *bbox = next_line(&p);
    const char *crs = next_line(&p), *ae = next_line(&p), *name = next_line(&p);
    static const char *const NAMES[] = {"radius_m", "park_id", "capable", "max_km", "level", "format",
                                        "analysis_crs"};
    const char *values[7];
    for (size_t i = 0; i < 7; i++)
        values[i] = next_line(&p);
    char *seg = malloc(strlen(path) + 1);
    const char *params[6];
    int found;
    int route = server_route(method, path, seg, strlen(path) + 1, params, &found);
    if (route >= 0 && !found)
        abort(); /* a matched route is always a found path */
    free(seg);
    gisd_error err;
    double box[4], ll[4];
    int lonlat = 0;
    int code = crs_parse(crs, &lonlat, &err);
    if (http_parse_bbox(bbox, code > 0 && crs_northing_first(code), lonlat, box, &err) == 0 &&
        (box[0] > box[2] || box[1] > box[3]))
        abort(); /* the lower corner comes first */
    if (code > 0 && code != 4326 && code != 4490 && http_parse_bbox(bbox, 0, 0, box, &err) == 0 &&
        crs_bbox_to_lonlat(code, box, ll, &err) == 0 &&
        (ll[0] < -180 || ll[2] > 180 || ll[1] < -90 || ll[3] > 90))
        abort();
    (void)http_coding_accepted(ae, "gzip");
    int all_valid = utf8_valid(name);
    for (size_t i = 0; i < 7; i++)
        all_valid &= utf8_valid(values[i]);
    /* the catalog's parser, as every door uses it: an entry's parameters
     * from text, then the defaults */
    const catalog_entry *e = catalog_find_any(name);
    size_t entries = 0;
    while (CATALOG[entries].id)
        entries++;
    if (!e)
        e = &CATALOG[(unsigned char)name[0] % entries];
    param_values v;
    catalog_values_init(e, &v);
    int rc = 0;
    for (size_t i = 0; i < 7 && rc == 0; i++)
        if (*values[i])
            rc = param_set_text(&v, NAMES[i], values[i], &err);
    if (rc == 0)
        rc = param_finish(&v, &err);
    if (rc != 0 && all_valid && !utf8_valid(err.message))
        abort(); /* an error about valid input is valid UTF-8, however long */
    if (rc == 0)
        for (size_t k = 0; k < v.n; k++)
            if (v.defs[k].kind == PARAM_NUMBER && (v.num[k] < v.defs[k].min || v.num[k] > v.defs[k].max))
                abort(); /* a value taken is within its limits */
    param_values_free(&v);
    char *clean = utf8_clean(path, 2048);
    if (!utf8_valid(clean))
        abort();
    free(clean);
    free(text);
    return 0;
}
