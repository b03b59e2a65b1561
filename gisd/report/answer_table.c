/* answer_table: any analysis' or optimisation's answer as the table a
 * planner downloads (f=csv|xlsx): its main list a row an item, Chinese
 * headers with the answer's own key beside them. */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "strbuf.h"
#include "table_write.h"
#include "xalloc.h"

/* The Chinese of the keys the answers use (ANALYSES.md, OPTIMIZE.md, NETWORK.md). */
static const char *const LABELS[][2] = {
    {"park_id", "园区编号"}, {"name", "名称"}, {"area_km2", "面积(km²)"}, {"covered_km2", "覆盖面积(km²)"},
    {"coverage_ratio", "覆盖率"}, {"enterprises", "企业数"}, {"enterprises_covered", "覆盖企业数"},
    {"coal_boilers_in_coverage", "覆盖范围内燃煤锅炉"}, {"coal_boilers_outside", "覆盖范围外燃煤锅炉"},
    {"ent_id", "企业编号"}, {"hw_tpy", "危废产生量(t/a)"}, {"facility_id", "处置设施编号"}, {"distance_m", "距离(m)"},
    {"communities", "社区数"}, {"households", "户数"}, {"households_covered", "覆盖户数"}, {"consumer", "利用企业"},
    {"producer", "产生企业"}, {"byproduct", "副产品"}, {"demands", "需求数"}, {"links", "配对数"},
    {"links_in_park", "园区内配对数"}, {"in_park_ratio", "园区内配对率"}, {"producers", "产生企业数"},
    {"consumers", "利用企业数"}, {"unmatched", "未配对"}, {"unused", "未利用"}, {"tonnes", "数量(t/a)"},
    {"capacity_tpy", "处置能力(t/a)"}, {"assigned_t", "分配量(t/a)"}, {"utilisation", "负荷率"},
    {"served_t", "已处置量(t/a)"}, {"unserved_t", "未处置量(t/a)"}, {"selected", "选中的候选点"},
    {"uncovered", "未覆盖社区"}, {"uncoverable", "无法覆盖的社区"}, {"radius_m", "半径(m)"}, {"max_km", "最大距离(km)"},
    {"level", "级别"}, {"mode", "方式"}, {"distance", "距离计算"}, {"community_id", "社区编号"},
    {"point_id", "回收点编号"}, {"candidate_id", "候选点编号"}, {"source_id", "热源编号"}, {"boiler_tph", "锅炉(t/h)"},
    {"length_km", "长度(km)"}, {"from", "起点"}, {"to", "终点"}, {"reached_km", "可达道路(km)"},
    {"households_exposed", "沿线户数"}, {"communities_exposed", "沿线社区"}, {"sensitive_crossed", "穿越敏感区"},
    {"road_ids", "道路编号"}, {"community_ids", "社区编号"}, {"district", "行政区"}, {"share_served", "处置比例"},
    {"tonne_km", "吨公里"}, {"optimal", "最优"}, {"gap", "最优性差距"}, {"bound", "界"}, {"p", "数量 p"},
    {"budget_km", "预算(km)"}, {"kind", "类型"}, {"rank", "序号"}, {"parks", "园区"}, {"districts", "行政区"},
    {"flows", "危废流向"}, {"facilities", "处置设施"}, {"unserved", "未处置"}, {"total", "合计"},
    {"heating", "集中供热"}, {"hazardous_waste", "危险废物"}, {"symbiosis", "产业共生"}, {"recycling", "回收网络"},
    {"byproducts", "副产品"}, {"count", "个数"}, {"tph", "蒸吨(t/h)"}, {"ids", "编号"}, {"extension", "热网延伸"},
    {"sources", "数据来源"}, {"circular_retrofit", "循环化改造"},
};

static const char *label_of(const char *key, size_t len)
{
    for (size_t i = 0; i < sizeof LABELS / sizeof *LABELS; i++)
        if (strlen(LABELS[i][0]) == len && strncmp(LABELS[i][0], key, len) == 0)
            return LABELS[i][1];
    return NULL;
}

json_t *report_answer_labels(void)
{
    json_t *o = json_object();
    for (size_t i = 0; i < sizeof LABELS / sizeof *LABELS; i++)
        json_object_set_new(o, LABELS[i][0], json_string(LABELS[i][1]));
    return o;
}

/* "覆盖率 coverage_ratio" for a known key, "合计 覆盖率 total.coverage_ratio"
 * for a nested one (each known part in Chinese), the key itself when no
 * part is known (xmalloc'd). */
static char *header_of(const char *key)
{
    strbuf b = {0};
    int known = 0;
    for (const char *p = key; *p;) {
        size_t len = strcspn(p, ".");
        const char *l = label_of(p, len);
        if (l) {
            strbuf_printf(&b, "%s%s", known ? " " : "", l);
            known = 1;
        }
        p += len + (p[len] == '.');
    }
    if (!known) {
        strbuf_free(&b);
        return xstrdup(key);
    }
    strbuf_printf(&b, " %s", key);
    return b.data;
}

typedef struct {
    char **keys;
    int *numeric, *seen_text;
    size_t n, cap;
} columns;

static size_t column(columns *c, const char *key)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->keys[i], key) == 0)
            return i;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->keys = xrealloc(c->keys, c->cap * sizeof *c->keys);
        c->numeric = xrealloc(c->numeric, c->cap * sizeof *c->numeric);
        c->seen_text = xrealloc(c->seen_text, c->cap * sizeof *c->seen_text);
    }
    c->keys[c->n] = xstrdup(key);
    c->numeric[c->n] = 0;
    c->seen_text[c->n] = 0;
    return c->n++;
}

/* A scalar or a list of scalars as a cell's text (xmalloc'd); NULL for an
 * object (flattened by the caller) or a geometry. */
static char *cell_text(json_t *v)
{
    strbuf b = {0};
    if (json_is_string(v))
        strbuf_puts(&b, json_string_value(v));
    else if (json_is_integer(v))
        strbuf_printf(&b, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        strbuf_printf(&b, "%.10g", json_real_value(v));
    else if (json_is_boolean(v))
        strbuf_puts(&b, json_is_true(v) ? "true" : "false");
    else if (json_is_null(v))
        strbuf_puts(&b, "");
    else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        strbuf_puts(&b, "");
        json_array_foreach(v, i, x) {
            char *t = json_is_object(x) || json_is_array(x) ? json_dumps(x, JSON_COMPACT) : cell_text(x);
            strbuf_printf(&b, "%s%s", i ? ";" : "", t ? t : "");
            free(t);
        }
    } else
        return NULL;
    return b.data ? b.data : xstrdup("");
}

/* One row: the members of obj (nested objects as prefix.key; geometries left out). */
typedef struct {
    char **cells; /* by column, NULL for none */
    size_t n;
} row;

static void row_set(row *r, size_t col, char *text)
{
    if (col >= r->n) {
        r->cells = xrealloc(r->cells, (col + 1) * sizeof *r->cells);
        memset(r->cells + r->n, 0, (col + 1 - r->n) * sizeof *r->cells);
        r->n = col + 1;
    }
    free(r->cells[col]);
    r->cells[col] = text;
}

static void flatten(json_t *obj, const char *prefix, columns *cols, row *r)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        if (strcmp(key, "geometry") == 0 || strcmp(key, "route") == 0)
            continue;
        strbuf name = {0};
        strbuf_printf(&name, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", key);
        if (json_is_object(v)) {
            flatten(v, name.data, cols, r);
        } else {
            size_t c = column(cols, name.data);
            if (json_is_number(v))
                cols->numeric[c] = 1;
            else if (!json_is_null(v))
                cols->seen_text[c] = 1;
            row_set(r, c, cell_text(v));
        }
        strbuf_free(&name);
    }
}

/* The member of answer that holds its main list: the longest list of
 * objects, else the layout an optimisation chose (selected: a list of
 * ids); NULL when it has neither (a route, a scorecard: one row). */
static const char *main_list(json_t *answer)
{
    const char *best = NULL, *key;
    size_t best_n = 0;
    json_t *v;
    json_object_foreach(answer, key, v) {
        if (!json_is_array(v) || !json_is_object(json_array_get(v, 0)) || strcmp(key, "features") == 0)
            continue;
        if (json_array_size(v) > best_n) {
            best = key;
            best_n = json_array_size(v);
        }
    }
    if (!best && json_array_size(json_object_get(answer, "selected")) > 0)
        best = "selected";
    return best;
}

int report_answer_table(json_t *answer, const char *format, const char *title, strbuf *out, const char **media,
                        gisd_error *err)
{
    int xlsx = strcmp(format, "xlsx") == 0;
    if (!xlsx && strcmp(format, "csv") != 0)
        return gisd_fail(err, GISD_E_INPUT, "a table is f=csv or f=xlsx, not \"%s\"", format);
    /* a map (format geojson) carries its answer beside the features */
    if (json_is_object(json_object_get(answer, "answer")) && json_is_array(json_object_get(answer, "features")))
        answer = json_object_get(answer, "answer");
    if (!json_is_object(answer))
        return gisd_fail(err, GISD_E_INTERNAL, "the answer is not an object");
    columns cols = {0};
    row *rows = NULL;
    size_t nrows = 0;
    const char *list = main_list(answer);
    json_t *items = list ? json_object_get(answer, list) : NULL;
    if (items && json_is_object(json_array_get(items, 0))) {
        rows = xcalloc(json_array_size(items), sizeof *rows);
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it) if (json_is_object(it)) flatten(it, NULL, &cols, &rows[nrows++]);
    } else if (items) {
        /* a list of ids (the selected candidates): one column */
        rows = xcalloc(json_array_size(items), sizeof *rows);
        size_t c = column(&cols, list), i;
        json_t *it;
        json_array_foreach(items, i, it) {
            row_set(&rows[nrows], c, cell_text(it));
            nrows++;
        }
    } else {
        rows = xcalloc(1, sizeof *rows);
        flatten(answer, NULL, &cols, &rows[nrows++]);
    }
    const char **headers = xcalloc(cols.n + 1, sizeof *headers);
    int *numeric = xcalloc(cols.n + 1, sizeof *numeric);
    for (size_t c = 0; c < cols.n; c++) {
        headers[c] = header_of(cols.keys[c]);
        numeric[c] = cols.numeric[c] && !cols.seen_text[c];
    }
    const char **cells = xcalloc(nrows * cols.n + 1, sizeof *cells);
    for (size_t r = 0; r < nrows; r++)
        for (size_t c = 0; c < cols.n; c++)
            cells[r * cols.n + c] = c < rows[r].n && rows[r].cells[c] ? rows[r].cells[c] : "";
    table t = {cols.n, nrows, headers, cells, numeric};
    int rc = 0;
    if (xlsx)
        rc = table_xlsx(&t, title, out, err);
    else
        table_csv(&t, out);
    *media = xlsx ? TABLE_MEDIA_XLSX : TABLE_MEDIA_CSV;
    for (size_t r = 0; r < nrows; r++) {
        for (size_t c = 0; c < rows[r].n; c++)
            free(rows[r].cells[c]);
        free(rows[r].cells);
    }
    for (size_t c = 0; c < cols.n; c++) {
        free((char *)headers[c]);
        free(cols.keys[c]);
    }
    free(rows);
    free(headers);
    free(numeric);
    free(cells);
    free(cols.keys);
    free(cols.numeric);
    free(cols.seen_text);
    return rc;
}
