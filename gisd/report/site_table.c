/* site-check of many sites as the office files them: a summary table (CSV
 * for any spreadsheet, XLSX written by GDAL's driver) a row a site, or a
 * zip of a draft opinion per site with that table beside them. */
#include <gdal.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "cpl_vsi.h"
#include "report.h"
#include "table_write.h"
#include "xalloc.h"

/* One site checked: its id, its prepared Feature (borrowed), its answer. */
typedef struct {
    char *id;
    json_t *site, *answer;
} checked;

static int by_id(const void *a, const void *b) { return strcmp(((const checked *)a)->id, ((const checked *)b)->id); }

static json_t *rule_of(json_t *answer, const char *name)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(answer, "rules"), i, r) if (strcmp(json_string_value(json_object_get(r, "rule")),
                                                                          name) == 0) return r;
    return NULL;
}

/* The table's columns: header (Chinese first) and how a row's cell is read. */
#define NCOLS 17
static const char *const HEADERS[NCOLS] = {
    "用地编号 id",          "项目名称 name",         "建设单位 applicant",      "项目类别 class",
    "结论 compliant",       "未通过 failed",         "位于园区 inside_park",   "所在园区 park",
    "用地性质 land_use",    "重叠用地 zones",        "防护距离 setback",       "要求距离 required (m)",
    "最近敏感区 nearest",   "敏感区距离 (m)",        "最近居住用地 residential zone", "居住用地距离 (m)",
    "集中供热最近热网 nearest pipe (m)"};

static const char *pass_word(json_t *rule) { return !rule ? "" : json_is_true(json_object_get(rule, "pass")) ? "通过" : "不通过"; }

static char *num(json_t *v)
{
    char buf[64] = "";
    if (json_is_number(v))
        snprintf(buf, sizeof buf, "%.1f", json_number_value(v));
    return xstrdup(buf);
}

/* The cells of c's row (NCOLS xmalloc'd strings into cells). */
static void row_cells(const checked *c, char *cells[NCOLS])
{
    json_t *props = json_object_get(c->site, "properties");
    json_t *park = rule_of(c->answer, "inside_park"), *use = rule_of(c->answer, "land_use"),
           *set = rule_of(c->answer, "setback"), *heat = rule_of(c->answer, "central_heating");
    strbuf failed = {0}, zones = {0};
    size_t i;
    json_t *r;
    static const char *const WORDS[][2] = {{"inside_park", "园区"}, {"land_use", "用地性质"}, {"setback", "防护距离"},
                                           {"protected_areas", "保护区"}, {"central_heating", "集中供热"}};
    json_array_foreach(json_object_get(c->answer, "rules"), i, r) {
        if (json_is_true(json_object_get(r, "pass")))
            continue;
        const char *name = json_string_value(json_object_get(r, "rule")), *word = name;
        for (size_t k = 0; k < sizeof WORDS / sizeof *WORDS; k++)
            if (strcmp(WORDS[k][0], name) == 0)
                word = WORDS[k][1];
        strbuf_printf(&failed, "%s%s", failed.len ? "、" : "", word);
    }
    json_array_foreach(json_object_get(use, "zones"), i, r)
        strbuf_printf(&zones, "%s%s %s", zones.len ? "; " : "", json_string_value(json_object_get(r, "zone_id")),
                      json_string_value(json_object_get(r, "land_use")));
    json_t *near = json_object_get(set, "nearest"), *res = json_object_get(set, "nearest_residential_zone");
    const char *cls = json_string_value(json_object_get(props, "project_class"));
    cells[0] = xstrdup(c->id);
    cells[1] = xstrdup(json_is_string(json_object_get(props, "name")) ? json_string_value(json_object_get(props, "name")) : "");
    cells[2] = xstrdup(json_is_string(json_object_get(props, "applicant"))
                           ? json_string_value(json_object_get(props, "applicant")) : "");
    cells[3] = xstrdup(cls ? cls : "");
    cells[4] = xstrdup(json_is_true(json_object_get(c->answer, "compliant")) ? "合规" : "不合规");
    cells[5] = xstrdup(failed.data ? failed.data : "");
    cells[6] = xstrdup(pass_word(park));
    cells[7] = xstrdup(json_is_string(json_object_get(park, "park_id")) ? json_string_value(json_object_get(park, "park_id")) : "");
    cells[8] = xstrdup(pass_word(use));
    cells[9] = xstrdup(zones.data ? zones.data : "");
    cells[10] = xstrdup(pass_word(set));
    cells[11] = num(json_object_get(set, "required_m"));
    cells[12] = xstrdup(json_is_string(json_object_get(near, "area_id")) ? json_string_value(json_object_get(near, "area_id")) : "");
    cells[13] = num(json_object_get(near, "distance_m"));
    cells[14] = xstrdup(json_is_string(json_object_get(res, "zone_id")) ? json_string_value(json_object_get(res, "zone_id")) : "");
    cells[15] = num(json_object_get(res, "distance_m"));
    cells[16] = num(json_object_get(heat, "nearest_pipe_m"));
    strbuf_free(&failed);
    strbuf_free(&zones);
}

/* The rows as a table's cells (the caller frees each cell and the array). */
static char **table_cells(const checked *rows, size_t n)
{
    char **cells = xcalloc(n * NCOLS + 1, sizeof *cells);
    for (size_t i = 0; i < n; i++)
        row_cells(&rows[i], cells + i * NCOLS);
    return cells;
}

/* The summary as CSV or (xlsx) a workbook into out. */
static int summary_table(const checked *rows, size_t n, int xlsx, strbuf *out, gisd_error *err)
{
    static const int NUMERIC[NCOLS] = {[11] = 1, [13] = 1, [15] = 1, [16] = 1};
    char **cells = table_cells(rows, n);
    table t = {NCOLS, n, HEADERS, (const char *const *)cells, NUMERIC};
    int rc = 0;
    if (xlsx)
        rc = table_xlsx(&t, "选址合规审查", out, err);
    else
        table_csv(&t, out);
    for (size_t i = 0; i < n * NCOLS; i++)
        free(cells[i]);
    free(cells);
    return rc;
}

/* Writes len bytes into the zip being made at zip, as member name. */
static int zip_member(const char *zip, const char *name, const void *data, size_t len, gisd_error *err)
{
    char path[1024];
    snprintf(path, sizeof path, "/vsizip/%s/%s", zip, name);
    VSILFILE *f = VSIFOpenL(path, "wb");
    if (!f)
        return gisd_fail(err, GISD_E_INTERNAL, "%s cannot be added to the zip: %s", name, CPLGetLastErrorMsg());
    int ok = VSIFWriteL(data, 1, len, f) == len;
    ok &= VSIFCloseL(f) == 0;
    return ok ? 0 : gisd_fail(err, GISD_E_INTERNAL, "%s cannot be written into the zip", name);
}

/* A file name of id: its characters but the ones no file system takes. */
static void file_name(const char *id, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = id; *p && k + 5 < n; p++)
        out[k++] = strchr("/\\:*?\"<>|", *p) || (unsigned char)*p < 32 ? '_' : *p;
    snprintf(out + k, n - k, ".pdf");
}

static int zip_opinions(store *st, const layer_registry *reg, const site_rules *rules, int srid, const checked *rows,
                        size_t n, strbuf *out, gisd_error *err)
{
    static int seq;
    char zip[128];
    snprintf(zip, sizeof zip, "/vsimem/gisd-opinions-%p-%d.zip", (void *)rows, __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
    strbuf csv = {0};
    int rc = summary_table(rows, n, 0, &csv, err);
    if (rc == 0)
        rc = zip_member(zip, "summary.csv", csv.data, csv.len, err);
    strbuf_free(&csv);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        strbuf pdf = {0};
        char name[300];
        file_name(rows[i].id, name, sizeof name);
        rc = report_opinion_pdf(st, reg, rules, srid, rows[i].site, rows[i].answer, NULL, &pdf, err);
        if (rc == 0)
            rc = zip_member(zip, name, pdf.data, pdf.len, err);
        strbuf_free(&pdf);
    }
    if (rc != 0) {
        VSIUnlink(zip);
        return -1;
    }
    return table_take_vsimem(zip, out, err);
}

int report_site_check_file(store *st, const layer_registry *reg, const site_rules *rules, int srid, json_t *site,
                           const param_values *v, const char *format, strbuf *out, const char **media,
                           gisd_error *err)
{
    if (strcmp(format, "pdf") == 0) {
        *media = "application/pdf";
        return report_site_check_pdf(st, reg, rules, srid, site, v, out, err);
    }
    int csv = strcmp(format, "csv") == 0, xlsx = strcmp(format, "xlsx") == 0, zip = strcmp(format, "zip") == 0;
    if (!csv && !xlsx && !zip)
        return gisd_fail(err, GISD_E_INPUT, "site-check writes f=json, geojson, pdf, csv, xlsx or zip, not \"%s\"",
                         format);
    *media = csv ? TABLE_MEDIA_CSV : xlsx ? TABLE_MEDIA_XLSX : "application/zip";
    json_t *prepared = NULL;
    if (site_input_prepare(site, v, &prepared, err) != 0)
        return -1;
    json_t *list = site_input_is_batch(prepared) ? json_incref(json_object_get(prepared, "features"))
                                                 : json_pack("[O]", prepared);
    size_t n = json_array_size(list), i;
    checked *rows = xcalloc(n ? n : 1, sizeof *rows);
    int rc = 0;
    json_t *f;
    json_array_foreach(list, i, f) {
        rows[i].id = analysis_site_id(f, i);
        rows[i].site = f;
        if (analysis_site_check(st, reg, srid, rules, f, 0, &rows[i].answer, err) != 0) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%s", err->message);
            rc = gisd_fail(err, err->code, "site %s: %s", rows[i].id, msg);
            break;
        }
    }
    if (rc == 0) {
        qsort(rows, n, sizeof *rows, by_id);
        if (csv || xlsx)
            rc = summary_table(rows, n, xlsx, out, err);
        else
            rc = zip_opinions(st, reg, rules, srid, rows, n, out, err);
    }
    for (i = 0; i < n; i++) {
        free(rows[i].id);
        json_decref(rows[i].answer);
    }
    free(rows);
    json_decref(list);
    json_decref(prepared);
    return rc;
}
