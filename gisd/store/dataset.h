/* Facts about the dataset in a store that more than one part of gisd needs. */
#ifndef GISD_DATASET_H
#define GISD_DATASET_H

#include "error.h"
#include "layers.h"
#include "store.h"

/* The centre of all stored layers' extents (lon/lat): 0, 1 when the store
 * holds no data, -1 with err. */
int dataset_centre(store *s, const layer_registry *reg, double *lon, double *lat, gisd_error *err);
/* The CGCS2000 Gauss-Kruger zone nearest the centre of all stored layers'
 * extents. Returns 0 with *srid set, 1 when the store holds no data, -1 on error. */
int dataset_nearest_gk_zone(store *s, const layer_registry *reg, int *srid, gisd_error *err);

#endif
