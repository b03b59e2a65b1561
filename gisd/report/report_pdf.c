/* The reports people file: a park's A4 report (title block, map, the
 * scorecard as tables, charts), its map as PNG, and a site-check as a
 * compliance opinion (选址合规审查意见). */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crs.h"
#include "report_int.h"
#include "utf8.h"
#include "xalloc.h"

static const rgb INK = {0.1, 0.1, 0.1}, GREY = {0.4, 0.4, 0.4}, PASS = {0.0, 0.5, 0.2}, FAIL = {0.8, 0.1, 0.1};

/* "wenzhou, imported 2026-11-23 10:00:00" and today's date, for title blocks. */
void report_dataset_line(store *st, char *out, size_t n, char date[16])
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(date, 16, "%Y-%m-%d", &tm);
    char name[128] = "";
    gisd_error err = {0};
    if (store_meta_get(st, "dataset", name, sizeof name, &err) != STORE_FOUND)
        snprintf(name, sizeof name, "(unnamed)");
    store_import_row *rows = NULL;
    size_t nrows = 0;
    if (store_import_history(st, &rows, &nrows, &err) == 0 && nrows > 0)
        utf8_format(out, n, "%s, imported %s", name, rows[0].imported_at);
    else
        utf8_format(out, n, "%s", name);
    free(rows);
}

/* A JSON value as table text: numbers rounded for reading, ratios as percentages. */
static char *cell(json_t *v, int percent)
{
    if (!v || json_is_null(v))
        return xstrdup("—");
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    if (json_is_boolean(v))
        return xstrdup(json_is_true(v) ? "是 yes" : "否 no");
    strbuf b = {0};
    double x = json_number_value(v);
    if (percent)
        strbuf_printf(&b, "%.1f%%", x * 100);
    else if (json_is_integer(v) || x == floor(x))
        strbuf_printf(&b, "%.0f", x);
    else
        strbuf_printf(&b, "%.3f", x);
    return b.data;
}

/* Rows of (indicator, field, value) for one section of the scorecard. */
typedef struct {
    char **cells;
    size_t n, cap;
} rows3;

/* One indicator: its name as a planner reads it and its value (taken); the
 * answer's own key names are the analyses' and stay out of the report. */
static void row(rows3 *r, const char *label, const char *field, char *value /* taken */)
{
    (void)field;
    if (r->n + 2 > r->cap) {
        r->cap = r->cap ? r->cap * 2 : 48;
        r->cells = xreallocarray(r->cells, r->cap, sizeof *r->cells);
    }
    r->cells[r->n++] = xstrdup(label);
    r->cells[r->n++] = value;
}

static void rows_table(rdoc *d, rows3 *r)
{
    static const double widths[] = {330, 169};
    static const char *const header[] = {"指标 Indicator", "数值 Value"};
    rdoc_table(d, 2, widths, header, (const char *const *)r->cells, r->n / 2);
    for (size_t i = 0; i < r->n; i++)
        free(r->cells[i]);
    free(r->cells);
    memset(r, 0, sizeof *r);
}

static json_t *path(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    return b ? json_object_get(v, b) : v;
}

static void scorecard_tables(rdoc *d, json_t *card)
{
    rows3 r = {0};
    json_t *heat = json_object_get(card, "heating"), *ext = json_object_get(heat, "extension");
    char title[160];
    snprintf(title, sizeof title, "集中供热 Centralized heating (供热半径 radius %.0f m)", SCORECARD_HEATING_RADIUS_M);
    rdoc_text(d, title, 11, 1, INK);
    row(&r, "园区面积 (km²)", "area_km2", cell(json_object_get(card, "area_km2"), 0));
    row(&r, "热网覆盖面积 (km²)", "covered_km2", cell(json_object_get(heat, "covered_km2"), 0));
    row(&r, "供热覆盖率", "coverage_ratio", cell(json_object_get(heat, "coverage_ratio"), 1));
    row(&r, "园区内企业", "enterprises", cell(json_object_get(heat, "enterprises"), 0));
    row(&r, "覆盖范围内企业", "enterprises_covered", cell(json_object_get(heat, "enterprises_covered"), 0));
    row(&r, "覆盖内燃煤锅炉(应淘汰) 台", "coal_boilers_in_coverage.count", cell(path(heat, "coal_boilers_in_coverage", "count"), 0));
    row(&r, "覆盖内燃煤锅炉 蒸吨 (t/h)", "coal_boilers_in_coverage.tph", cell(path(heat, "coal_boilers_in_coverage", "tph"), 0));
    row(&r, "覆盖外燃煤锅炉 台", "coal_boilers_outside.count", cell(path(heat, "coal_boilers_outside", "count"), 0));
    row(&r, "覆盖外燃煤锅炉 蒸吨 (t/h)", "coal_boilers_outside.tph", cell(path(heat, "coal_boilers_outside", "tph"), 0));
    snprintf(title, sizeof title, "热网延伸 %.0f km 可淘汰 (t/h)", SCORECARD_EXTENSION_BUDGET_KM);
    row(&r, title, "extension.tph_retired", cell(json_object_get(ext, "tph_retired"), 0));
    row(&r, "延伸管网长度 (km)", "extension.pipe_km", cell(json_object_get(ext, "pipe_km"), 0));
    rows_table(d, &r);

    json_t *hw = json_object_get(card, "hazardous_waste");
    snprintf(title, sizeof title, "危险废物 Hazardous waste (处置设施 %.0f km 内)", SCORECARD_HW_MAX_KM);
    rdoc_text(d, title, 11, 1, INK);
    row(&r, "产废企业", "producers", cell(json_object_get(hw, "producers"), 0));
    row(&r, "产生量 (t/a)", "tonnes", cell(json_object_get(hw, "tonnes"), 0));
    row(&r, "可处置量 (t/a)", "served_t", cell(json_object_get(hw, "served_t"), 0));
    row(&r, "可处置比例", "share_served", cell(json_object_get(hw, "share_served"), 1));
    rows_table(d, &r);

    json_t *sym = json_object_get(card, "symbiosis");
    snprintf(title, sizeof title, "产业共生 By-product symbiosis (运距 %.0f km 内)", SCORECARD_SYMBIOSIS_MAX_KM);
    rdoc_text(d, title, 11, 1, INK);
    row(&r, "副产物需求", "demands", cell(json_object_get(sym, "demands"), 0));
    row(&r, "共生链接", "links", cell(json_object_get(sym, "links"), 0));
    row(&r, "园区内链接", "links_in_park", cell(json_object_get(sym, "links_in_park"), 0));
    row(&r, "园内配套率", "in_park_ratio", cell(json_object_get(sym, "in_park_ratio"), 1));
    row(&r, "未匹配需求(补链)", "unmatched", cell(json_object_get(sym, "unmatched"), 0));
    row(&r, "未利用副产物", "unused", cell(json_object_get(sym, "unused"), 0));
    rows_table(d, &r);

    json_t *rec = json_object_get(card, "recycling");
    snprintf(title, sizeof title, "回收网络 Recycling network (%s, %.0f m)",
             json_string_value(json_object_get(rec, "district")) ? json_string_value(json_object_get(rec, "district")) : "—",
             SCORECARD_RECYCLING_RADIUS_M);
    rdoc_text(d, title, 11, 1, INK);
    row(&r, "社区", "communities", cell(json_object_get(rec, "communities"), 0));
    row(&r, "户数", "households", cell(json_object_get(rec, "households"), 0));
    row(&r, "覆盖户数", "households_covered", cell(json_object_get(rec, "households_covered"), 0));
    row(&r, "回收覆盖率", "coverage_ratio", cell(json_object_get(rec, "coverage_ratio"), 1));
    rows_table(d, &r);
}

static double ratio_of(json_t *v) { return json_is_number(v) ? json_number_value(v) : NAN; }

static void charts(rdoc *d, json_t *card)
{
    json_t *heat = json_object_get(card, "heating");
    double ent = json_number_value(json_object_get(heat, "enterprises"));
    static const char *const labels[] = {"供热覆盖率 heating coverage", "覆盖企业比例 enterprises covered",
                                         "危废可处置比例 hazardous waste served", "园内配套率 symbiosis in park",
                                         "回收覆盖率 recycling coverage"};
    double values[] = {ratio_of(json_object_get(heat, "coverage_ratio")),
                       ent > 0 ? json_number_value(json_object_get(heat, "enterprises_covered")) / ent : NAN,
                       ratio_of(path(card, "hazardous_waste", "share_served")),
                       ratio_of(path(card, "symbiosis", "in_park_ratio")),
                       ratio_of(path(card, "recycling", "coverage_ratio"))};
    rdoc_bars(d, "覆盖与配套 Coverage (%)", labels, values, 5);
    rdoc_frontier(d, "热网延伸前沿 Heat-extension frontier: 可淘汰蒸吨 t/h retired vs 管网 km",
                  path(heat, "extension", "frontier"));
}

/* The scorecard, its symbiosis links and its map, gathered once. */
typedef struct {
    json_t *card, *sym;
    map_doc map;
} park_parts;

static int park_parts_load(store *st, const layer_registry *reg, const site_rules *rules, int srid,
                           const char *park_id, park_parts *p, gisd_error *err)
{
    memset(p, 0, sizeof *p);
    symbiosis_params sp = {SCORECARD_SYMBIOSIS_MAX_KM, park_id, {0, 0}};
    if (report_scorecard(st, reg, rules, srid, park_id, &p->card, err) != 0 ||
        analysis_symbiosis(st, reg, srid, &sp, 0, &p->sym, err) != 0 ||
        map_of_park(st, reg, srid, park_id, p->card, p->sym, &p->map, err) != 0) {
        json_decref(p->card);
        json_decref(p->sym);
        return -1;
    }
    return 0;
}

static void park_parts_free(park_parts *p)
{
    json_decref(p->card);
    json_decref(p->sym);
    map_doc_free(&p->map);
}

/* The analysis CRS asked for ("EPSG:n" or NULL), as analyses resolve it. */
static int resolve_srid(store *st, const layer_registry *reg, const char *analysis_crs, int *srid, gisd_error *err)
{
    int requested = 0;
    if (analysis_crs && (requested = crs_parse(analysis_crs, NULL, err)) < 0)
        return -1;
    return analysis_crs_resolve(st, reg, requested, srid, err);
}

int report_park_pdf(store *st, const layer_registry *reg, const site_rules *rules,
                    const char *analysis_crs, const char *park_id, strbuf *pdf, gisd_error *err)
{
    park_parts p;
    int srid;
    if (resolve_srid(st, reg, analysis_crs, &srid, err) != 0 ||
        park_parts_load(st, reg, rules, srid, park_id, &p, err) != 0)
        return -1;
    char ds[320], date[16], footer[512], title[512];
    report_dataset_line(st, ds, sizeof ds, date);
    const char *name = json_string_value(json_object_get(p.card, "name"));
    utf8_format(title, sizeof title, "%s 园区循环化改造评估报告", name ? name : park_id);
    /* the footer is one line on every page: a long name is cut there (the
     * title block above prints it whole) */
    char *short_name = utf8_clean(name ? name : "", 90);
    utf8_format(footer, sizeof footer, "gisd · %s (%s) · %s · %s", short_name, park_id, ds, date);
    free(short_name);
    rdoc *d = rdoc_pdf_new(pdf, title, footer);

    rdoc_text(d, "园区循环化改造评估报告", 20, 1, INK);
    rdoc_text(d, "Park circular-economy retrofit report (园区循环化改造)", 11, 0, GREY);
    d->y += 6;
    const char *level = json_string_value(json_object_get(p.card, "level"));
    char crs[32];
    snprintf(crs, sizeof crs, "EPSG:%d", srid);
    json_t *retrofit = json_object_get(p.card, "circular_retrofit");
    const char *block[] = {"园区 Park", name ? name : "—", "园区编号 Park ID", park_id,
                           "级别 Level", level && strcmp(level, "national") == 0 ? "国家级 national"
                                         : level && strcmp(level, "provincial") == 0 ? "省级 provincial"
                                         : level ? level : "—",
                           "循环化改造 Circular retrofit",
                           json_integer_value(retrofit) == 1 ? "是 yes" : "否 no",
                           "日期 date", date, "数据集 dataset", ds, "分析坐标系 analysis CRS", crs};
    static const double bw[] = {170, 329};
    static const char *const bh[] = {"项目 Item", "内容 Value"};
    rdoc_table(d, 2, bw, bh, block, 7);
    rdoc_text(d, "指标 Indicators — 均取自同名分析 (each from the analysis of the same name: heating-coverage, "
                 "heat-extension, hw-allocation, symbiosis, recycling-coverage)", 8, 0, GREY);
    scorecard_tables(d, p.card);
    /* the targets right after the indicators they judge */
    json_t *targets = park_targets_load(reg->dir, park_id, err), *boilers = NULL;
    if (targets) {
        d->y += 6;
        park_targets_table(d, p.card, targets);
    }

    rdoc_new_page(d);
    rdoc_text(d, "园区地图 Park map", 14, 1, INK);
    rdoc_text(d, p.map.title, 10, 0, GREY);
    double mh = PAGE_H - 2 * PAGE_MARGIN - (d->y - PAGE_MARGIN) - 20;
    map_draw(d->cr, &p.map, PAGE_MARGIN, d->y, PAGE_W - 2 * PAGE_MARGIN, mh);
    d->y += mh;

    rdoc_new_page(d);
    rdoc_text(d, "图表 Charts", 14, 1, INK);
    charts(d, p.card);

    /* what the park must do: the boilers to retire, the recommendations */
    int rc = targets ? 0 : -1;
    if (rc == 0) {
        d->y += 10;
        rc = park_boilers_table(d, st, reg, srid, park_id, p.card, targets, &boilers, err);
    }
    if (rc == 0) {
        d->y += 8;
        park_recommendations(d, p.card, targets, boilers);
    }
    json_decref(targets);
    json_decref(boilers);
    park_parts_free(&p);
    if (rc != 0) {
        gisd_error ignore = {0};
        rdoc_finish(d, &ignore);
        return -1;
    }
    return rdoc_finish(d, err);
}

static cairo_status_t png_out(void *closure, const unsigned char *data, unsigned int len)
{
    strbuf_append(closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

int report_park_png(store *st, const layer_registry *reg, const site_rules *rules,
                    const char *analysis_crs, const char *park_id, int width, int height, strbuf *png,
                    gisd_error *err)
{
    if (width < REPORT_PNG_MIN || width > REPORT_PNG_MAX || height < REPORT_PNG_MIN || height > REPORT_PNG_MAX)
        return gisd_fail(err, GISD_E_INPUT, "width and height must be %d to %d pixels", REPORT_PNG_MIN,
                         REPORT_PNG_MAX);
    park_parts p;
    int srid;
    if (resolve_srid(st, reg, analysis_crs, &srid, err) != 0 ||
        park_parts_load(st, reg, rules, srid, park_id, &p, err) != 0)
        return -1;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    cairo_t *cr = cairo_create(s);
    draw_fonts_attach(cr);
    map_draw(cr, &p.map, 0, 0, width, height);
    cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    if (status == CAIRO_STATUS_SUCCESS)
        status = cairo_surface_write_to_png_stream(s, png_out, png);
    cairo_surface_destroy(s);
    park_parts_free(&p);
    if (status != CAIRO_STATUS_SUCCESS)
        return gisd_fail(err, GISD_E_INTERNAL, "drawing the map: %s", cairo_status_to_string(status));
    return 0;
}

/* ---- site-check ---- */

static const char *const RULE_NAMES[][2] = {
    {"inside_park", "位于园区内 inside a park"},
    {"land_use", "用地性质相符 compatible land use"},
    {"setback", "卫生防护距离 setback from homes and sensitive areas"},
    {"protected_areas", "不占用保护区 outside protected areas"},
    {"central_heating", "集中供热 central heating (no coal boiler in reach of the network)"}};

static const char *rule_title(const char *rule)
{
    for (size_t i = 0; rule && i < sizeof RULE_NAMES / sizeof *RULE_NAMES; i++)
        if (strcmp(RULE_NAMES[i][0], rule) == 0)
            return RULE_NAMES[i][1];
    return rule ? rule : "?";
}

/* GB 50137-2011's names of the land-use classes an opinion cites. */
static const char *const LAND_USE_NAMES[][2] = {
    {"R", "居住用地"}, {"R1", "一类居住用地"}, {"R2", "二类居住用地"}, {"R3", "三类居住用地"},
    {"A", "公共管理与公共服务设施用地"}, {"B", "商业服务业设施用地"}, {"M", "工业用地"},
    {"M1", "一类工业用地"}, {"M2", "二类工业用地"}, {"M3", "三类工业用地"}, {"W", "物流仓储用地"},
    {"W1", "一类物流仓储用地"}, {"W2", "二类物流仓储用地"}, {"W3", "三类物流仓储用地"},
    {"S", "道路与交通设施用地"}, {"U", "公用设施用地"}, {"U1", "供应设施用地"}, {"U2", "环境设施用地"},
    {"U3", "安全设施用地"}, {"G", "绿地与广场用地"}, {"G1", "公园绿地"}, {"G2", "防护绿地"},
    {"G3", "广场用地"}, {"E", "非建设用地"}, {"E1", "水域"}, {"E2", "农林用地"}};

static const char *const KIND_NAMES[][2] = {
    {"residential", "居住区"}, {"school", "学校"}, {"hospital", "医院"}, {"water_source", "饮用水水源保护区"},
    {"ecological_redline", "生态保护红线"}, {"basic_farmland", "永久基本农田"}};

static const char *name_of(const char *const (*table)[2], size_t n, const char *code)
{
    for (size_t i = 0; code && i < n; i++)
        if (strcmp(table[i][0], code) == 0)
            return table[i][1];
    return NULL;
}

static const char *land_use_name(const char *code)
{
    const char *n = name_of(LAND_USE_NAMES, sizeof LAND_USE_NAMES / sizeof *LAND_USE_NAMES, code);
    return n ? n : "用地";
}

static const char *kind_name(const char *kind)
{
    const char *n = name_of(KIND_NAMES, sizeof KIND_NAMES / sizeof *KIND_NAMES, kind);
    return n ? n : kind ? kind : "?";
}

static const char *text_of(json_t *o, const char *key)
{
    const char *t = json_string_value(json_object_get(o, key));
    return t ? t : "?";
}

/* What the opinion says of the site's class: "危险废物利用处置设施（hw_facility）". */
static void class_words(strbuf *b, const rules_class *cls)
{
    if (cls && cls->title[0])
        strbuf_printf(b, "%s（%s）", cls->title, cls->name);
    else
        strbuf_puts(b, cls ? cls->name : "?");
}

/* Context an opinion's sentences need beyond the answer. */
typedef struct {
    const site_rules *rules;
    const rules_class *cls;
    double tph;
    int has_near_park;
    char near_park[64];
    double near_park_m;
} opinion_ctx;

/* The rule's evidence as sentences, Chinese first, then English. */
static char *evidence(json_t *rule, const opinion_ctx *o)
{
    strbuf b = {0};
    const char *name = json_string_value(json_object_get(rule, "rule"));
    int pass = json_is_true(json_object_get(rule, "pass"));
    name = name ? name : "";
    if (strcmp(name, "inside_park") == 0) {
        const char *park = json_string_value(json_object_get(rule, "park_id"));
        if (park)
            strbuf_printf(&b, "项目用地位于园区 %s 范围内。Inside park %s.", park, park);
        else if (o->has_near_park)
            strbuf_printf(&b, "项目用地不在任何园区范围内；最近的园区为 %s，相距 %.1f 米。Not inside any park; the "
                              "nearest, %s, is %.1f m away.", o->near_park, o->near_park_m, o->near_park, o->near_park_m);
        else
            strbuf_puts(&b, "项目用地不在任何园区范围内，数据集中无园区。Not inside any park; the dataset has none.");
    } else if (strcmp(name, "land_use") == 0) {
        json_t *zones = json_object_get(rule, "zones"), *z;
        size_t i;
        if (json_array_size(zones) == 0)
            strbuf_puts(&b, "项目用地不在任何规划用地地块内");
        json_array_foreach(zones, i, z) {
            const char *use = json_string_value(json_object_get(z, "land_use"));
            strbuf_printf(&b, "%s%s（%s %s）", i ? "、" : "项目用地与 ", text_of(z, "zone_id"), land_use_name(use),
                          use ? use : "?");
        }
        if (json_array_size(zones))
            strbuf_puts(&b, "重叠");
        strbuf_puts(&b, "；");
        class_words(&b, o->cls);
        strbuf_puts(&b, "仅允许 ");
        for (size_t k = 0; o->cls && k < o->cls->nallowed; k++)
            strbuf_printf(&b, "%s%s（%s）", k ? "、" : "", o->cls->allowed[k], land_use_name(o->cls->allowed[k]));
        strbuf_puts(&b, "。");
        strbuf_printf(&b, pass ? " The land use allows the class." : " A zone's land use does not allow the class.");
    } else if (strcmp(name, "setback") == 0) {
        double req = json_number_value(json_object_get(rule, "required_m"));
        json_t *n = json_object_get(rule, "nearest"), *z = json_object_get(rule, "nearest_residential_zone");
        json_t *ind = json_object_get(rule, "industry");
        if (json_is_object(ind) && json_is_number(json_object_get(ind, "table_m")))
            strbuf_printf(&b, "%s规模 %g %s、平均风速 %.1f m/s，卫生防护距离表要求 %.0f 米（项目类别 %.0f 米），取大值；",
                          text_of(ind, "title"), json_number_value(json_object_get(ind, "scale")),
                          text_of(ind, "scale_unit"), json_number_value(json_object_get(ind, "wind_mps")),
                          json_number_value(json_object_get(ind, "table_m")),
                          json_number_value(json_object_get(ind, "class_m")));
        else if (json_is_object(ind))
            strbuf_printf(&b, "%s规模 %g %s 低于卫生防护距离表所列规模，按项目类别；", text_of(ind, "title"),
                          json_number_value(json_object_get(ind, "scale")), text_of(ind, "scale_unit"));
        strbuf_printf(&b, "要求防护距离 %.0f 米；", req);
        if (json_is_object(n)) {
            double d = json_number_value(json_object_get(n, "distance_m"));
            strbuf_printf(&b, "最近的敏感区 %s（%s）相距 %.1f 米%s；", text_of(n, "area_id"),
                          kind_name(json_string_value(json_object_get(n, "kind"))), d, d < req ? "，不足" : "");
        } else {
            strbuf_puts(&b, "无敏感区；");
        }
        if (json_is_object(z)) {
            double d = json_number_value(json_object_get(z, "distance_m"));
            const char *use = json_string_value(json_object_get(z, "land_use"));
            strbuf_printf(&b, "最近的居住用地 %s（%s %s）相距 %.1f 米%s。", text_of(z, "zone_id"), land_use_name(use),
                          use ? use : "?", d, d < req ? "，不足" : "");
        } else {
            strbuf_puts(&b, "无居住用地。");
        }
        strbuf_printf(&b, " Required %.0f m", req);
        if (json_is_object(n))
            strbuf_printf(&b, "; nearest sensitive area %s %.1f m", text_of(n, "area_id"),
                          json_number_value(json_object_get(n, "distance_m")));
        if (json_is_object(z))
            strbuf_printf(&b, "; nearest residential zone %s %.1f m", text_of(z, "zone_id"),
                          json_number_value(json_object_get(z, "distance_m")));
        strbuf_puts(&b, ".");
    } else if (strcmp(name, "protected_areas") == 0) {
        json_t *ol = json_object_get(rule, "overlaps"), *v;
        size_t i;
        if (json_array_size(ol) == 0) {
            strbuf_puts(&b, "项目用地不占用");
            for (size_t k = 0; k < o->rules->nprotected; k++)
                strbuf_printf(&b, "%s%s", k ? "、" : "", kind_name(o->rules->protected_kinds[k]));
            strbuf_puts(&b, "。Touches no protected area.");
        } else {
            strbuf_puts(&b, "项目用地占用保护区 ");
            json_array_foreach(ol, i, v)
                strbuf_printf(&b, "%s%s", i ? "、" : "", json_string_value(v) ? json_string_value(v) : "?");
            strbuf_printf(&b, "。Touches %zu protected area(s).", json_array_size(ol));
        }
    } else if (strcmp(name, "central_heating") == 0) {
        json_t *pipe = json_object_get(rule, "nearest_pipe_m");
        double r = o->rules->heating_radius_m;
        if (o->tph <= 0)
            strbuf_puts(&b, "项目不设燃煤锅炉。No coal boiler.");
        else if (!json_is_number(pipe))
            strbuf_printf(&b, "项目设燃煤锅炉 %g t/h；数据集中无供热管网。A %g t/h coal boiler; no heat network.", o->tph,
                          o->tph);
        else if (pass)
            strbuf_printf(&b, "项目设燃煤锅炉 %g t/h；最近的供热管网相距 %.1f 米，在集中供热半径 %.0f 米以外。A %g t/h "
                              "coal boiler %.1f m from the network, beyond its %.0f m.",
                          o->tph, json_number_value(pipe), r, o->tph, json_number_value(pipe), r);
        else
            strbuf_printf(&b, "项目设燃煤锅炉 %g t/h；最近的供热管网相距 %.1f 米，在集中供热半径 %.0f 米以内，应接入集中供热，"
                              "不得新建分散燃煤锅炉。A %g t/h coal boiler %.1f m from the network, within its %.0f m: "
                              "it must take central heating.",
                          o->tph, json_number_value(pipe), r, o->tph, json_number_value(pipe), r);
    }
    if (!b.data)
        strbuf_puts(&b, "—");
    return b.data;
}

int report_opinion_pdf(store *st, const layer_registry *reg, const site_rules *rules, int srid, json_t *site,
                       json_t *answer, const report_stamp *stamp, strbuf *pdf, gisd_error *err)
{
    map_doc map;
    if (map_of_site(st, reg, srid, site, answer, &map, err) != 0)
        return -1;
    json_t *props = json_object_get(site, "properties");
    opinion_ctx o = {.rules = rules,
                     .cls = rules_find_class(rules, json_string_value(json_object_get(props, "project_class"))),
                     .tph = json_number_value(json_object_get(props, "coal_boiler_tph"))};
    int np = analysis_site_nearest_park(st, reg, srid, site, o.near_park, &o.near_park_m, err);
    if (np < 0) {
        map_doc_free(&map);
        return -1;
    }
    o.has_near_park = np == 1;
    char ds[320], date[16], footer[512];
    report_dataset_line(st, ds, sizeof ds, date);
    if (stamp && stamp->date)
        snprintf(date, sizeof date, "%s", stamp->date);
    const char *id = json_string_value(json_object_get(props, "id"));
    if (!id)
        id = json_string_value(json_object_get(site, "id"));
    if (!id)
        id = json_string_value(json_object_get(props, "name"));
    const char *project = json_string_value(json_object_get(props, "name"));
    const char *applicant = json_string_value(json_object_get(props, "applicant"));
    const char *reviewer = json_string_value(json_object_get(props, "reviewer"));
    char *short_id = utf8_clean(id ? id : "", 90);
    if (stamp)
        utf8_format(footer, sizeof footer, "%s · %s · 选址合规审查 %s · %s", stamp->number, stamp->authority, short_id,
                    date);
    else
        utf8_format(footer, sizeof footer, "gisd · 选址合规审查（草稿）%s · %s · %s", short_id, ds, date);
    free(short_id);
    rdoc *d = rdoc_pdf_new(pdf, "选址合规审查意见", footer);
    if (stamp) {
        rdoc_text(d, stamp->authority, 14, 1, FAIL);
        rdoc_text(d, stamp->number, 12, 0, INK);
    } else {
        rdoc_text(d, "草稿：未编号，未登记 Draft: not issued (POST /opinions issues it)", 10, 1, FAIL);
    }
    rdoc_text(d, "建设项目选址合规审查意见", 20, 1, INK);
    rdoc_text(d, "Site compliance opinion (选址合规审查意见)", 11, 0, GREY);
    if (stamp && stamp->supersedes) {
        char line[400];
        utf8_format(line, sizeof line, "本意见替代 %s，原意见作废。This opinion supersedes %s.", stamp->supersedes,
                    stamp->supersedes);
        rdoc_text(d, line, 10, 1, INK);
    }
    int ok = json_is_true(json_object_get(answer, "compliant"));
    rdoc_text(d, ok ? "结论 Conclusion: 合规 compliant" : "结论 Conclusion: 不合规 not compliant", 14, 1, ok ? PASS : FAIL);
    strbuf cls = {0};
    class_words(&cls, o.cls);
    char *tph = cell(json_object_get(props, "coal_boiler_tph"), 0);
    char crs[32];
    snprintf(crs, sizeof crs, "EPSG:%d", srid);
    const char *block[] = {"项目名称 project", project ? project : "—", "建设单位 applicant", applicant ? applicant : "—",
                           "项目编号 site", id ? id : "—", "项目类别 class", cls.data, "燃煤锅炉 coal boiler (t/h)", tph,
                           "日期 date", date, "数据集 dataset", ds, "分析坐标系 analysis CRS", crs};
    static const double bw[] = {170, 329};
    static const char *const bh[] = {"项目 Item", "内容 Value"};
    rdoc_table(d, 2, bw, bh, block, 8);
    strbuf_free(&cls);
    free(tph);
    double mh = 470; /* tall enough for the legend to go below the map, clear of the evidence */
    rdoc_need(d, mh + 10);
    map_draw(d->cr, &map, PAGE_MARGIN, d->y, PAGE_W - 2 * PAGE_MARGIN, mh);
    d->y += mh + 12;
    map_doc_free(&map);

    json_t *list = json_object_get(answer, "rules");
    size_t n = json_array_size(list), i;
    char **cells = xcalloc(3 * n + 1, sizeof *cells);
    json_t *rule;
    json_array_foreach(list, i, rule) {
        cells[3 * i] = xstrdup(rule_title(json_string_value(json_object_get(rule, "rule"))));
        cells[3 * i + 1] = xstrdup(json_is_true(json_object_get(rule, "pass")) ? "通过 pass" : "不通过 fail");
        cells[3 * i + 2] = evidence(rule, &o);
    }
    static const double rw[] = {150, 60, 289};
    static const char *const rh[] = {"规则 Rule", "结论 Result", "依据 Evidence"};
    rdoc_text(d, "审查规则 Rules", 12, 1, INK);
    rdoc_table(d, 3, rw, rh, (const char *const *)cells, n);
    for (size_t k = 0; k < 3 * n; k++)
        free(cells[k]);
    free(cells);
    /* the standards the rules apply, as the rules file cites them */
    rdoc_text(d, "审查依据 Standards applied", 12, 1, INK);
    int cited = 0;
    json_array_foreach(list, i, rule) {
        const char *r = json_string_value(json_object_get(rule, "rule"));
        const char *c = rules_citation(rules, r);
        if (!c)
            continue;
        char line[800];
        utf8_format(line, sizeof line, "%s：%s", rule_title(r), c);
        rdoc_text(d, line, 9, 0, INK);
        cited = 1;
    }
    const rules_setback_table *tb = rules_find_table(rules, json_string_value(json_object_get(props, "industry")));
    if (tb) {
        char line[800];
        utf8_format(line, sizeof line, "卫生防护距离表（%s）：%s", tb->title, tb->citation);
        rdoc_text(d, line, 9, 0, INK);
    }
    if (!cited)
        rdoc_text(d, "规则文件未列出所依据的标准（site-rules.json 的 citations）。The rules file cites no standard.", 9, 0,
                  GREY);
    rdoc_text(d, "距离在分析坐标系中平面量算。Distances are planar in the analysis CRS.", 8, 0, GREY);
    /* who signs: the reviewer named with the site, the approver and the seal by hand */
    char sign[400];
    utf8_format(sign, sizeof sign, "审查人 Reviewer：%s        审核人 Approver：____________        日期 Date：%s",
                reviewer ? reviewer : "____________", date);
    rdoc_need(d, 90);
    d->y += 16;
    rdoc_text(d, sign, 10, 0, INK);
    d->y += 10;
    char seal[400];
    utf8_format(seal, sizeof seal, "审查机关（盖章）Reviewing authority (seal)：%s", stamp ? stamp->authority : "");
    rdoc_text(d, seal, 10, 0, INK);
    d->y += 40;
    if (stamp) {
        /* a PDF cannot print its own hash: it prints the register's record,
         * and the register keeps the PDF's */
        char line[900];
        rdoc_text(d, "核验 Verification", 11, 1, INK);
        utf8_format(line, sizeof line, "登记记录 SHA-256 record: %s；数据版本 data version: %s", stamp->record_sha256,
                    stamp->data_version);
        rdoc_text(d, line, 8, 0, INK);
        utf8_format(line, sizeof line,
                    "核验方法：计算本文件的 SHA-256（sha256sum），与登记簿 GET /opinions/%s 的 pdf_sha256 比对，"
                    "或运行 gisd opinion verify --db 数据库 本文件.pdf。Verify: the file's SHA-256 must equal pdf_sha256 "
                    "of GET /opinions/%s (or run gisd opinion verify).",
                    stamp->number, stamp->number);
        rdoc_text(d, line, 8, 0, GREY);
    }
    return rdoc_finish(d, err);
}

int report_site_check_pdf(store *st, const layer_registry *reg, const site_rules *rules, int srid, json_t *site,
                          const param_values *v, strbuf *pdf, gisd_error *err)
{
    json_t *answer = NULL, *prepared = NULL; /* the report is drawn from the JSON answer */
    int rc = site_input_prepare(site, v, &prepared, err);
    if (rc == 0 && site_input_is_batch(prepared))
        rc = gisd_fail(err, GISD_E_INPUT, "an opinion is drawn for one site; these are %zu (ask for the JSON answer)",
                       json_array_size(json_object_get(prepared, "features")));
    if (rc == 0)
        rc = analysis_site_check(st, reg, srid, rules, prepared, 0, &answer, err);
    if (rc == 0)
        rc = report_opinion_pdf(st, reg, rules, srid, prepared, answer, NULL, pdf, err);
    json_decref(answer);
    json_decref(prepared);
    return rc;
}

int report_scenario_compare_pdf(store *st, const layer_registry *reg, const site_rules *rules, const char *a,
                                const char *b, strbuf *pdf, gisd_error *err)
{
    json_t *cmp = NULL, *sc = NULL;
    int srid;
    if (report_scenario_compare(st, reg, rules, a, b, NULL, &cmp, err) != 0)
        return -1;
    if (strcmp(a, "baseline") != 0 && store_scenario_get(st, a, &sc, err) != 0) {
        json_decref(cmp);
        return -1;
    }
    map_doc map;
    int rc = analysis_crs_resolve(st, reg, 0, &srid, err);
    if (rc == 0)
        rc = map_of_changes(st, reg, srid, a, b, json_object_get(cmp, "changes"), &map, err);
    if (rc != 0) {
        json_decref(cmp);
        json_decref(sc);
        return -1;
    }
    char ds[320], date[16], footer[512], heading[600];
    report_dataset_line(st, ds, sizeof ds, date);
    const char *title = sc ? json_string_value(json_object_get(sc, "title")) : "现状 baseline";
    char *short_title = utf8_clean(title ? title : a, 60);
    utf8_format(footer, sizeof footer, "gisd · 方案比选 %s / %s · %s · %s", a, b, ds, date);
    rdoc *d = rdoc_pdf_new(pdf, "规划方案比选报告", footer);
    rdoc_text(d, "规划方案比选报告", 20, 1, INK);
    rdoc_text(d, "Plan scenario comparison (规划方案比选)", 11, 0, GREY);
    utf8_format(heading, sizeof heading, "方案 %s「%s」对比 %s", a, short_title, b);
    free(short_title);
    rdoc_text(d, heading, 13, 1, INK);
    const char *desc = sc ? json_string_value(json_object_get(sc, "description")) : NULL;
    if (desc)
        rdoc_text(d, desc, 9, 0, GREY);

    /* the indicators, both values and the delta */
    json_t *ind = json_object_get(cmp, "indicators");
    size_t n = json_array_size(ind), i;
    char **cells = xcalloc(4 * n + 1, sizeof *cells);
    json_t *row;
    json_array_foreach(ind, i, row) {
        cells[4 * i] = xstrdup(json_string_value(json_object_get(row, "id")));
        for (int k = 0; k < 3; k++) {
            char buf[64];
            json_t *v = json_object_get(row, k == 0 ? "a" : k == 1 ? "b" : "delta");
            if (json_is_integer(v))
                snprintf(buf, sizeof buf, "%s%lld", k == 2 && json_integer_value(v) > 0 ? "+" : "",
                         (long long)json_integer_value(v));
            else
                snprintf(buf, sizeof buf, "%s%.6g", k == 2 && json_number_value(v) > 0 ? "+" : "", json_number_value(v));
            cells[4 * i + 1 + k] = xstrdup(buf);
        }
    }
    rdoc_text(d, "指标 Indicators", 12, 1, INK);
    static const double iw[] = {215, 95, 95, 94};
    char ha[80], hb[80];
    snprintf(ha, sizeof ha, "%s", a);
    snprintf(hb, sizeof hb, "%s", b);
    const char *ih[] = {"指标 indicator", ha, hb, "差值 delta"};
    rdoc_table(d, 4, iw, ih, (const char *const *)cells, n);
    for (size_t k = 0; k < 4 * n; k++)
        free(cells[k]);
    free(cells);

    /* the changes, per layer */
    json_t *changes = json_object_get(cmp, "changes");
    size_t nl = json_object_size(changes), r = 0;
    char **cc = xcalloc(4 * nl + 1, sizeof *cc);
    const char *layer;
    json_t *lists;
    json_object_foreach(changes, layer, lists) {
        cc[4 * r] = xstrdup(layer);
        static const char *const K[] = {"added", "replaced", "deleted"};
        for (int k = 0; k < 3; k++) {
            strbuf ids = {0};
            size_t j;
            json_t *id;
            json_array_foreach(json_object_get(lists, K[k]), j, id) {
                if (j == 12) {
                    strbuf_printf(&ids, " … (%zu)", json_array_size(json_object_get(lists, K[k])));
                    break;
                }
                strbuf_printf(&ids, "%s%s", j ? ", " : "", json_string_value(id));
            }
            cc[4 * r + 1 + k] = ids.data ? ids.data : xstrdup("—");
        }
        r++;
    }
    rdoc_text(d, "变更 Changes", 12, 1, INK);
    static const double cw[] = {110, 130, 130, 129};
    static const char *const ch[] = {"图层 layer", "新增 added", "变更 changed", "删除 removed"};
    if (nl)
        rdoc_table(d, 4, cw, ch, (const char *const *)cc, nl);
    else
        rdoc_text(d, "两方案无差异 No difference.", 10, 0, GREY);
    for (size_t k = 0; k < 4 * nl; k++)
        free(cc[k]);
    free(cc);
    size_t nconf = json_array_size(json_object_get(cmp, "conflicts"));
    if (nconf) {
        char line[160];
        snprintf(line, sizeof line, "冲突 Conflicts: %zu 处变更的基础已被修改，采纳前须处理 (see compare's conflicts)", nconf);
        rdoc_text(d, line, 10, 1, FAIL);
    }

    /* the map of the differences */
    double mh = 360;
    rdoc_need(d, mh + 30);
    rdoc_text(d, "差异图 Map of the differences", 12, 1, INK);
    map_draw(d->cr, &map, PAGE_MARGIN, d->y, PAGE_W - 2 * PAGE_MARGIN, mh);
    d->y += mh + 12;
    map_doc_free(&map);
    char crs[160];
    snprintf(crs, sizeof crs, "指标以默认参数计算；分析坐标系 EPSG:%d。Indicators at default parameters.", srid);
    rdoc_text(d, crs, 8, 0, GREY);
    json_decref(cmp);
    json_decref(sc);
    return rdoc_finish(d, err);
}
