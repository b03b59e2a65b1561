/* Layers out to files through OGR (gisd export). */
#ifndef GISD_EXPORT_H
#define GISD_EXPORT_H

#include "error.h"
#include "layers.h"
#include "store.h"

/* Writes the layer to out_path in an OGR vector format ("GeoJSON", "GPKG",
 * "CSV", "KML", "ESRI Shapefile"), reprojected to EPSG:out_srid (0: 4490).
 * Features stream from the store, so memory stays bounded. *written counts them. */
int export_layer(store *s, const layer_def *layer, const char *format, const char *out_path,
                 int out_srid, long long *written, gisd_error *err);

#endif
