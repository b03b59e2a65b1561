/* libFuzzer: what a request brings before any store is touched: the route
 * table, bbox and CRS parameters, Accept-Encoding, the analyses' parameters,
 * and the UTF-8 cleaning of everything echoed back. Input: lines of
 * method, path, bbox, crs, accept-encoding, then analysis name and values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
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
    analysis_args a = {next_line(&p), next_line(&p), next_line(&p), next_line(&p),
                       next_line(&p), next_line(&p), next_line(&p)};
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
    const char *const args[] = {name, a.radius_m, a.park_id, a.capable, a.max_km, a.level, a.format,
                                a.analysis_crs};
    int all_valid = 1;
    for (size_t i = 0; i < sizeof args / sizeof *args; i++)
        all_valid &= utf8_valid(args[i]);
    if (analysis_check(name, &a, &err) != 0 && all_valid && !utf8_valid(err.message))
        abort(); /* an error about valid input is valid UTF-8, however long */
    char *clean = utf8_clean(path, 2048);
    if (!utf8_valid(clean))
        abort();
    free(clean);
    free(text);
    return 0;
}
