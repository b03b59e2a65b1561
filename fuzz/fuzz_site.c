/* libFuzzer: the body of POST /analysis/site-check as the server reads it
 * (site_input_read: GeoJSON in any CRS, boundary-point TXT, a zip, KML,
 * DXF, GeoPackage), each site then turned into a GEOS geometry in the
 * analysis CRS. The first byte picks the srs a caller might give. */
#include <gdal.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "analysis.h"
#include "analysis_geom.h"

static void check_site(GEOSContextHandle_t h, json_t *f)
{
    gisd_error err;
    GEOSGeometry *g = analysis_site_geometry(h, json_object_get(f, "geometry"), 4549, &err);
    if (g) {
        if (GEOSisValid_r(h, g) == 2)
            abort(); /* what the parser lets through, GEOS can judge */
        GEOSGeom_destroy_r(h, g);
    } else if (err.code != GISD_E_INPUT) {
        abort(); /* bad input is the user's error, never an internal one */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        GDALAllRegister();
        ready = 1;
    }
    static const char *const SRS[] = {NULL, "EPSG:4549", "GCJ02", "BD09"};
    if (size < 1)
        return 0;
    gisd_error err;
    json_t *site = NULL;
    if (site_input_read(data + 1, size - 1, NULL, SRS[data[0] & 3], &site, &err) != 0) {
        if (err.code != GISD_E_INPUT)
            abort();
        return 0;
    }
    GEOSContextHandle_t h = geos_context_new();
    if (site_input_is_batch(site)) {
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(site, "features"), i, f)
            check_site(h, f);
    } else {
        check_site(h, site);
    }
    GEOS_finish_r(h);
    json_decref(site);
    return 0;
}
