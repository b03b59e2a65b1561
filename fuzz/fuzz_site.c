/* libFuzzer: the site GeoJSON of POST /analysis/site-check, parsed by jansson
 * and turned into a GEOS geometry in the analysis CRS, as the server does. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "analysis_geom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *site = json_loadb((const char *)data, size, 0, NULL);
    if (!site)
        return 0;
    GEOSContextHandle_t h = geos_context_new();
    gisd_error err;
    json_t *geometry = json_is_object(site) ? json_object_get(site, "geometry") : site;
    GEOSGeometry *g = analysis_site_geometry(h, geometry, 4549, &err);
    if (g) {
        if (GEOSisValid_r(h, g) == 2)
            abort(); /* what the parser lets through, GEOS can judge */
        GEOSGeom_destroy_r(h, g);
    } else if (err.code != GISD_E_INPUT) {
        abort(); /* bad input is the user's error, never an internal one */
    }
    GEOS_finish_r(h);
    json_decref(site);
    return 0;
}
