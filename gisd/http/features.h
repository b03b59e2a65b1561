/* Features as GeoJSON text, from a store cursor. */
#ifndef GISD_FEATURES_H
#define GISD_FEATURES_H

#include "layers.h"
#include "store.h"
#include "strbuf.h"

/* Appends the cursor's current row as a GeoJSON Feature (the cursor was
 * opened with STORE_GEOM_GEOJSON or STORE_GEOM_NONE). */
void features_append_geojson(strbuf *b, store_cursor *c, const layer_def *layer);

#endif
