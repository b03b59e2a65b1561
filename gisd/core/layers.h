/* The layer registry: what each planning layer is, loaded from layers/NAME.layer.json. */
#ifndef GISD_LAYERS_H
#define GISD_LAYERS_H

#include <stddef.h>

#include "error.h"

/* date: "YYYY-MM-DD"; timestamp: "YYYY-MM-DDTHH:MM:SSZ" (UTC), both kept as
 * ISO 8601 text so they sort and compare as they read; boolean: 0 or 1. */
typedef enum { FIELD_TEXT, FIELD_INTEGER, FIELD_REAL, FIELD_DATE, FIELD_TIMESTAMP, FIELD_BOOLEAN } field_type;

/* 1 when values of the type are numbers in the store (integer, real, boolean). */
int field_type_numeric(field_type type);
/* text as a date "YYYY-MM-DD" in out (also from "YYYY/MM/DD" or a timestamp's
 * date part): 0, or -1 when it is not one. */
int field_parse_date(const char *text, char out[11]);
/* text as a UTC timestamp "YYYY-MM-DDTHH:MM:SSZ" in out (from ISO 8601 with
 * T or a space, optional seconds and fraction, Z or an offset; a date alone is
 * its midnight UTC): 0, or -1 when it is not one. */
int field_parse_timestamp(const char *text, char out[21]);
/* text as a boolean (true/false, 1/0, yes/no, t/f, y/n in any case, 是/否): 0
 * with *out 1 or 0, or -1. */
int field_parse_boolean(const char *text, long long *out);

typedef enum {
    GEOM_POINT,
    GEOM_LINESTRING,
    GEOM_POLYGON,
    GEOM_MULTIPOINT,
    GEOM_MULTILINESTRING,
    GEOM_MULTIPOLYGON
} geom_kind;

typedef struct {
    char *name;
    field_type type;
    char *description;
    int has_range; /* a number field with "min" and "max": values outside are refused at import */
    double min, max;
} field_def;

#define LAYER_NO_ID ((size_t)-1)

typedef struct {
    char *id;
    char *title;
    char *description;
    geom_kind geometry;
    char *id_field;  /* NULL: the features are numbered by their source's FID */
    size_t id_index; /* index of id_field in fields, LAYER_NO_ID without one */
    field_def *fields;
    size_t nfields;
    int minzoom, maxzoom;
    /* tiles: the field polygons are labelled with, once each, in a
     * "<id>_label" point layer (-1: none) */
    int label_index;
    char *label_layer; /* "<id>_label", or NULL */
    /* tiles below minzoom: an overview (has_overview), polygons dissolved by
     * the dissolve field, points clustered per cell (one cluster per value
     * of group) with their count and the sum of the sum field (-1: none) */
    int has_overview, dissolve_index, group_index, sum_index;
} layer_def;

typedef struct {
    layer_def *layers;
    size_t n;
    char *dir;
} layer_registry;

/* Loads every *.layer.json in dir; the registry is the caller's to free. */
int layer_registry_load(const char *dir, layer_registry **out, gisd_error *err);
void layer_registry_free(layer_registry *reg);
/* Borrowed pointer into reg, or NULL. */
const layer_def *layer_registry_find(const layer_registry *reg, const char *id);
/* The column that identifies a feature: the id field, or "fid". */
const char *layer_id_column(const layer_def *layer);
/* Index of a field in the layer, or -1. */
int layer_field_index(const layer_def *layer, const char *name);

const char *geom_kind_name(geom_kind kind);      /* "MultiPolygon" */
const char *geom_kind_sql_name(geom_kind kind);  /* "MULTIPOLYGON" */
const char *field_type_name(field_type type);    /* "text" */
/* The layer definitions shipped with gisd ($GISD_LAYERS, the installed
 * share/gisd/layers or the tree's layers/: paths_asset); a static buffer. */
const char *layers_default_dir(void);

#endif
