/* What people file: a park's scorecard (gathered from the analyses and
 * optimisations themselves, never recomputed another way), and reports drawn
 * with Cairo and laid out with Pango: a park's A4 report as PDF, its map as
 * PNG, and a site-check as a compliance opinion (选址合规审查意见) in PDF. */
#ifndef GISD_REPORT_H
#define GISD_REPORT_H

#include <jansson.h>

#include "analysis.h"
#include "error.h"
#include "layers.h"
#include "rules.h"
#include "store.h"
#include "strbuf.h"

/* The radii and budgets a scorecard is taken at: the defaults of the
 * analyses, and the 10 km heat-extension budget the plans quote. */
#define SCORECARD_HEATING_RADIUS_M 1000.0
#define SCORECARD_EXTENSION_BUDGET_KM 10.0
#define SCORECARD_HW_MAX_KM 50.0
#define SCORECARD_SYMBIOSIS_MAX_KM 10.0
#define SCORECARD_RECYCLING_RADIUS_M 1000.0

/* The scorecard's parameters: park_id (required) and analysis_crs. */
extern const param_def PARK_SCORECARD_PARAMS[];

/* The scorecard of park_id (docs/ANALYSES.md) in *out, the caller's; srid is
 * the analysis CRS. -1 with err: an unknown park is GISD_E_INPUT. */
int report_scorecard(store *s, const layer_registry *reg, const site_rules *rules, int srid,
                     const char *park_id, json_t **out, gisd_error *err);

/* The park's A4 report as PDF appended to pdf: the title block, its map, the
 * scorecard as tables and its charts; analysis_crs "EPSG:n" or NULL (the
 * store's). 0, or -1 with err (an unknown park is GISD_E_INPUT). */
/* 0 when the font reports are drawn with can write Chinese and Latin text;
 * else -1 with err naming what fontconfig offers and what to install. The
 * commands that draw (gisd serve, gisd report) ask at start. */
int report_font_check(gisd_error *err);

int report_park_pdf(store *s, const layer_registry *reg, const site_rules *rules,
                    const char *analysis_crs, const char *park_id, strbuf *pdf, gisd_error *err);

/* The park's map as a PNG of width x height pixels (REPORT_PNG_MIN..MAX)
 * appended to png. 0, or -1 with err. */
#define REPORT_PNG_MIN 64
#define REPORT_PNG_MAX 4096
int report_park_png(store *s, const layer_registry *reg, const site_rules *rules,
                    const char *analysis_crs, const char *park_id, int width, int height, strbuf *png,
                    gisd_error *err);

/* site-check of site (a GeoJSON Feature, borrowed, prepared with v's srs,
 * project_class and coal_boiler_tph as site_input_prepare does) in the
 * analysis CRS srid, as a compliance opinion in PDF appended to pdf: the
 * site on its map, each rule with its verdict and evidence. 0, or -1 with
 * err (an input error for a collection of sites). */
int report_site_check_pdf(store *s, const layer_registry *reg, const site_rules *rules, int srid, json_t *site,
                          const param_values *v, strbuf *pdf, gisd_error *err);

/* site-check of site (one or many, borrowed, prepared with v) as a file:
 * format pdf (the draft opinion of one site), csv (UTF-8 with a BOM, a row
 * a site sorted by id: verdict, failed rules, park, zones, distances), xlsx
 * (the same table as a workbook) or zip (summary.csv and a draft opinion
 * PDF per site), appended to out with its media type in *media (static).
 * 0, or -1 with err (GISD_E_INPUT for a bad site or format). */
int report_site_check_file(store *s, const layer_registry *reg, const site_rules *rules, int srid, json_t *site,
                           const param_values *v, const char *format, strbuf *out, const char **media,
                           gisd_error *err);

/* What makes an opinion a document of record, printed on it; every text
 * borrowed. */
typedef struct {
    const char *number;        /* its 文号 */
    const char *authority;     /* the reviewing authority's name */
    const char *date;          /* the issue date, YYYY-MM-DD */
    const char *supersedes;    /* the number it replaces, or NULL */
    const char *record_sha256; /* the register's record of it */
    const char *data_version;  /* the digest of the data it was computed on */
} report_stamp;

/* The opinion of site (prepared, one Feature, borrowed) whose site-check
 * answer is answer (borrowed) in the analysis CRS srid, as PDF appended to
 * pdf; stamp NULL marks it a draft (not issued). 0, or -1 with err. */
int report_opinion_pdf(store *s, const layer_registry *reg, const site_rules *rules, int srid, json_t *site,
                       json_t *answer, const report_stamp *stamp, strbuf *pdf, gisd_error *err);

/* ---- the register (opinion.c): opinions issued, numbered and kept ---- */

/* Issues the opinion of site (one site as site_input_read gives it,
 * borrowed) checked with v (srs, project_class, coal_boiler_tph,
 * analysis_crs) by who, on s (READWRITE): draws its serial from the
 * register, computes the verdict, the data version and the PDF in one
 * transaction and stores them; a site whose id has an opinion in force
 * gets one superseding it. 0 with *record (as GET /opinions/{number}
 * answers, the caller's), or -1 with err (GISD_E_INPUT for a bad site or
 * several). */
int opinion_issue(store *s, const layer_registry *reg, const site_rules *rules, json_t *site, const param_values *v,
                  const char *who, json_t **record, gisd_error *err);

/* GET /scenarios/{a}/compare/{b}: the difference from scenario b to a
 * ("baseline" for either), the conflicts of a, and each indicator of
 * SCENARIOS.md in both with its delta (site.compliant counted over sites, a
 * FeatureCollection, when not NULL); *out the caller's. s reads the baseline
 * afterwards. 0, or -1 with err (GISD_E_NOTFOUND: an unknown scenario). */
int report_scenario_compare(store *s, const layer_registry *reg, const site_rules *rules, const char *a,
                            const char *b, json_t *sites, json_t **out, gisd_error *err);
/* The comparison as an A4 PDF report appended to pdf: the scenario's title
 * and description, the indicator table (both values and the delta), the
 * changes per layer, the conflicts, and a map of the differences. */
int report_scenario_compare_pdf(store *s, const layer_registry *reg, const site_rules *rules, const char *a,
                                const char *b, strbuf *pdf, gisd_error *err);

/* An analysis' or optimisation's JSON answer as a table (format csv or
 * xlsx, the XLSX sheet called title) appended to out, *media its type: the
 * answer's main list (the longest list of objects, else the ids an
 * optimisation selected) a row an item, nested objects as columns named a.b, lists joined by ";",
 * geometries left out; an answer without a list is one row. Headers are
 * Chinese with the key beside them ("覆盖率 coverage_ratio"). A map
 * (a FeatureCollection with its answer member) is its answer's table. 0, or -1 with
 * err (an input error for another format). */
/* The Chinese labels of the answers' keys ({"coverage_ratio": "覆盖率", ...}),
 * which the tables' headers and the viewer's tables show; a new reference. */
json_t *report_answer_labels(void);
int report_answer_table(json_t *answer, const char *format, const char *title, strbuf *out, const char **media,
                        gisd_error *err);

/* The print view's parameters: bbox (lon/lat, required), size A4|A3,
 * orientation landscape|portrait, title, layers, analysis_crs. */
extern const param_def PRINT_PARAMS[];
/* A one-page PDF of the area v's bbox names (srid: the CRS it is drawn in)
 * appended to out: title, date, the data's version, the map with the
 * layers asked for, its legend, scale bar and north arrow. 0, or -1 with
 * err (an input error for a bad bbox, layer or title). */
int report_print_pdf(store *st, const layer_registry *reg, int srid, const param_values *v, strbuf *out,
                     gisd_error *err);

#endif
