/* PMTiles version 3 archives (https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md):
 * one file a map client reads by HTTP range requests, tiles clustered in
 * Hilbert order, gzip-compressed directories split into leaves when the root
 * would not fit the first 16 KiB. */
#ifndef GISD_PMTILES_H
#define GISD_PMTILES_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct pmtiles_writer pmtiles_writer;

/* The Hilbert tile id of z/x/y, as the specification numbers tiles. */
uint64_t pmtiles_tile_id(int z, uint32_t x, uint32_t y);

/* Starts path anew; nothing appears at path until pmtiles_finish. */
int pmtiles_create(const char *path, pmtiles_writer **out, gisd_error *err);
/* Adds one gzip-compressed MVT tile (copied), in any order. */
int pmtiles_tile(pmtiles_writer *w, int z, uint32_t x, uint32_t y, const void *gz, size_t len,
                 gisd_error *err);

typedef struct {
    int minzoom, maxzoom, center_zoom;
    double bounds[4];           /* lon/lat */
    double center[2];
    const char *metadata_json;  /* name, vector_layers, ... */
} pmtiles_info;

/* Writes the header, directories, metadata and tiles, then moves the file into place. */
int pmtiles_finish(pmtiles_writer *w, const pmtiles_info *info, gisd_error *err);
/* Frees w; an unfinished archive is removed. */
void pmtiles_free(pmtiles_writer *w);

#endif
