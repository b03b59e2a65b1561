#include "dataset.h"

#include "crs.h"

int dataset_centre(store *s, const layer_registry *reg, double *lon, double *lat, gisd_error *err)
{
    double minx = 1e300, maxx = -1e300, miny = 1e300, maxy = -1e300;
    for (size_t i = 0; i < reg->n; i++) {
        store_layer_stats st;
        if (store_layer_stats_get(s, &reg->layers[i], &st, err) != 0)
            return -1;
        if (st.has_extent) {
            minx = st.minx < minx ? st.minx : minx;
            maxx = st.maxx > maxx ? st.maxx : maxx;
            miny = st.miny < miny ? st.miny : miny;
            maxy = st.maxy > maxy ? st.maxy : maxy;
        }
    }
    if (minx > maxx)
        return 1;
    *lon = (minx + maxx) / 2.0;
    *lat = (miny + maxy) / 2.0;
    return 0;
}

int dataset_nearest_gk_zone(store *s, const layer_registry *reg, int *srid, gisd_error *err)
{
    double lon, lat;
    int rc = dataset_centre(s, reg, &lon, &lat, err);
    if (rc == 0)
        *srid = crs_gk_zone_for_lon(lon);
    return rc;
}
