/* The report room's own parts: a page writer over Cairo and Pango, and the
 * maps it draws. */
#ifndef GISD_REPORT_INT_H
#define GISD_REPORT_INT_H

#include <cairo.h>
#include <geos_c.h>
#include <jansson.h>

#include "analysis.h"
#include "analysis_geom.h"
#include "report.h"

/* A4 in PostScript points, and the margins of every page. */
#define PAGE_W 595.276
#define PAGE_H 841.89
#define PAGE_MARGIN 48.0

typedef struct {
    double r, g, b;
} rgb;

/* A colour from "#rrggbb" (grey when it is not one). */
rgb rgb_hex(const char *hex);

/* A document being written page by page: text flows down from y, and a
 * block that would pass the bottom margin starts a new page. */
typedef struct {
    cairo_t *cr;
    double y;
    int pages;
    const char *footer; /* printed at the foot of every page (borrowed) */
} rdoc;

/* A PDF document writing into out (borrowed; appended to as pages finish). */
rdoc *rdoc_pdf_new(strbuf *out, const char *title, const char *footer);
/* Finishes the document: 0, or -1 with err when Cairo failed. Frees d. */
int rdoc_finish(rdoc *d, gisd_error *err);
void rdoc_new_page(rdoc *d);
/* Makes room for h points: a new page when they would not fit. */
void rdoc_need(rdoc *d, double h);
/* A paragraph of UTF-8 text in size points (bold when asked), wrapped to the
 * page width. */
void rdoc_text(rdoc *d, const char *text, double size, int bold, rgb colour);
/* A table: ncols columns of the given widths (points), a header row, then
 * rows of ncols cells each (cells[r * ncols + c]); rows run over pages with
 * the header repeated. */
void rdoc_table(rdoc *d, size_t ncols, const double *widths, const char *const *header,
                const char *const *cells, size_t nrows);
/* Horizontal bars of values in 0..1 with their labels and percentages. */
void rdoc_bars(rdoc *d, const char *title, const char *const *labels, const double *values, size_t n);
/* A line chart of the heat-extension frontier (budget_km -> tph_retired). */
void rdoc_frontier(rdoc *d, const char *title, json_t *frontier);

/* Gives cr the font map draw_text lays text out with (freed with cr). */
void draw_fonts_attach(cairo_t *cr);
/* Lays out text with Pango at (x, y) in size points, width w (0: one
 * line); returns its height. */
double draw_text(cairo_t *cr, double x, double y, double w, const char *text, double size, int bold,
                 rgb colour);

/* ---- maps ---- */

/* One thing a map draws: a geometry in the analysis CRS (owned) with its
 * fill, outline and width; a point's radius is its width. */
typedef struct {
    GEOSGeometry *g;
    rgb fill, line;
    double fill_alpha, line_width;
    int has_fill, has_line, dashed;
} map_item;

typedef struct {
    const char *label; /* owned */
    rgb colour;
    int kind; /* 0 area, 1 line, 2 point */
} legend_entry;

/* A label written on the map at (x, y) in the map's CRS, with a leader
 * line from (lx, ly) when has_leader. */
typedef struct {
    double x, y, lx, ly;
    int has_leader;
    char text[160];
    rgb colour;
} map_label;

typedef struct {
    GEOSContextHandle_t h; /* owned: the items' context */
    map_item *items;
    size_t n, cap;
    legend_entry legend[24];
    size_t nlegend;
    map_label labels[40];
    size_t nlabels;
    int grid; /* a coordinate grid with its values at the frame's edges (the CRS's metres) */
    int legend_below; /* the legend goes below the map whatever the frame's shape: nothing hidden under it */
    double bbox[4]; /* what the map frames, in the analysis CRS */
    char title[256];
} map_doc;

/* Adds g (taken) to m with its style. */
void map_add(map_doc *m, GEOSGeometry *g, rgb fill, double fill_alpha, rgb line, double line_width,
             int has_fill, int has_line);
/* Frees the items, the legend and the GEOS context; m is zeroed. */
void map_doc_free(map_doc *m);

/* The park's map: boundary, zones by land use, pipes and their reach,
 * coal boilers in and out of coverage, symbiosis links (from card, the
 * park's scorecard). 0, or -1 with err. */
int map_of_park(store *s, const layer_registry *reg, int srid, const char *park_id, json_t *card,
                json_t *symbiosis, map_doc *m, gisd_error *err);
/* The site-check map: the site, the zones and sensitive areas around it,
 * its setback ring and the nearest sensitive area. */
int map_of_site(store *s, const layer_registry *reg, int srid, json_t *site, json_t *answer,
                map_doc *m, gisd_error *err);
/* The map of what differs from scenario b to a (changes as compare's):
 * added and changed features as a has them, removed ones as b had them,
 * framed on them. 0, or -1 with err. */
int map_of_changes(store *s, const layer_registry *reg, int srid, const char *a, const char *b, json_t *changes,
                   map_doc *m, gisd_error *err);
/* The map of an area (bbox in the analysis CRS srid) with the planning
 * layers listed (comma-separated; NULL: all of them that map_area_layer_known
 * names), each drawn as the styles draw it, with its legend entries.
 * 0, or -1 with err. */
int map_of_area(store *s, const layer_registry *reg, int srid, const double bbox[4], const char *layers,
                map_doc *m, gisd_error *err);
/* 1 when map_of_area draws layer. */
int map_area_layer_known(const char *layer);
/* Draws m into the box (x, y, w, h) of cr with a scale bar, a north arrow
 * and the legend. */
void map_draw(cairo_t *cr, const map_doc *m, double x, double y, double w, double h);

/* "wenzhou, imported 2026-11-23T10:00:00Z" (the data's version) into out and
 * today's date into date, for title blocks. */
void report_dataset_line(store *st, char *out, size_t n, char date[16]);

/* The land-use colour of the planning style (styles/planning.json). */
const char *report_landuse_colour(const char *land_use);

/* The targets of park_id (layers_dir/targets.json, the park's own over
 * the city's): a new reference, an empty object when there is no file, or
 * NULL with an input error naming the file when it is malformed. */
json_t *park_targets_load(const char *layers_dir, const char *park_id, gisd_error *err);
/* The scorecard's indicators against the targets: a table of 现状, 目标,
 * 差距 and 达标/未达标. */
void park_targets_table(rdoc *d, json_t *card, json_t *targets);
/* The park's coal boilers with name, t/h, distance to the heat network and
 * the deadline that applies (covered ones first), as a table; *summary
 * (new) counts them. 0, or -1 with err. */
int park_boilers_table(rdoc *d, store *st, const layer_registry *reg, int srid, const char *park_id, json_t *card,
                       json_t *targets, json_t **summary, gisd_error *err);
/* Recommendations (建议) written from the gaps between card and targets. */
void park_recommendations(rdoc *d, json_t *card, json_t *targets, json_t *boilers);

#endif
