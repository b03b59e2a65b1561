/* QGIS as a client: a project file that opens this server's data in one
 * double-click. */
#ifndef GISD_QGIS_PROJECT_H
#define GISD_QGIS_PROJECT_H

#include "error.h"
#include "layers.h"
#include "store.h"
#include "strbuf.h"

/* A .qgz (a zip holding gisd.qgs, readable by QGIS 3.22) appended to qgz:
 * the vector tiles of base_url with the planning style in QGIS's symbology
 * (styles_dir/qgis/planning.xml), every collection as a hidden OGC API -
 * Features layer, the project CRS the analysis CRS, the map on the data's
 * extent; with basemap (an XYZ template, or NULL) an XYZ raster layer under
 * everything. 0, or -1 with err. */
int qgis_project_qgz(store *s, const layer_registry *reg, const char *base_url, const char *styles_dir,
                     const char *basemap,
                     strbuf *qgz, gisd_error *err);

#endif
