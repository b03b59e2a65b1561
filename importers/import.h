/* Importers: a planner's file (anything OGR reads) into one store layer. */
#ifndef GISD_IMPORT_H
#define GISD_IMPORT_H

#include <stddef.h>

#include "error.h"
#include "layers.h"
#include "store.h"

typedef struct {
    const char *file;     /* path of the source */
    const char *layer;    /* target layer id */
    const char *srs;      /* the CRS when the file states none ("EPSG:4549"), or NULL */
    const char *encoding; /* text encoding when the file states none ("GBK"), or NULL */
    const char *x, *y;    /* columns of x/lon and y/lat for a table of points, or NULL */
    /* Source field -> canonical field. With nmap == 0 source fields are matched to
     * canonical ones by name, ignoring case. With strict_map every canonical
     * field must be mapped (the manifest's rule). */
    size_t nmap;
    const char *const *map_src;
    const char *const *map_dst;
    int strict_map;
} import_source;

typedef struct {
    long features;
    long repaired;
    double seconds;
} import_counts;

/* Replaces the source's layer inside the caller's open transaction. On error
 * the caller rolls back. Progress goes to stderr when show_progress. */
int import_file(store *s, const layer_registry *reg, const import_source *src,
                int show_progress, import_counts *out, gisd_error *err);

/* Imports every layer of a manifest (docs/IMPORT.md) inside the
 * caller's open transaction, and records the dataset name and analysis CRS. */
int import_manifest(store *s, const layer_registry *reg, const char *manifest_path,
                    int show_progress, import_counts *total, gisd_error *err);

/* Records the analysis CRS detected from the stored data unless one was set
 * explicitly (by a manifest or `gisd import --analysis-crs`). */
int import_update_analysis_crs(store *s, const layer_registry *reg, gisd_error *err);

#endif
