/* park_targets: what the park report compares and recommends: the
 * scorecard's indicators against layers/targets.json (a park's own
 * targets over the city's), the coal boilers to retire with their names,
 * sizes, distance to the heat network and the deadline that applies, and
 * recommendations written from the gaps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "xalloc.h"

static const rgb INK = {0.1, 0.1, 0.1}, GREY = {0.4, 0.4, 0.4};

/* The value at the dotted path of card ("heating.coverage_ratio"), or NULL. */
static json_t *at(json_t *card, const char *dotted)
{
    char key[128];
    snprintf(key, sizeof key, "%s", dotted);
    json_t *v = card;
    char *save = NULL;
    for (char *p = strtok_r(key, ".", &save); p && v; p = strtok_r(NULL, ".", &save))
        v = json_object_get(v, p);
    return v;
}

json_t *park_targets_load(const char *layers_dir, const char *park_id, gisd_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/targets.json", layers_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return json_object(); /* no targets: the report says none are set */
    fclose(f);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (!doc || !json_is_object(json_object_get(doc, "indicators"))) {
        gisd_fail(err, GISD_E_INPUT, "%s: line %d: %s", path, jerr.line,
                  doc ? "it has no \"indicators\" object" : jerr.text);
        json_decref(doc);
        return NULL;
    }
    /* the park's own targets over the city's */
    json_t *own = json_object_get(json_object_get(doc, "parks"), park_id);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(own, "indicators"), k, v) {
        json_t *base = json_object_get(json_object_get(doc, "indicators"), k);
        if (json_is_object(base))
            json_object_update(base, v);
        else
            json_object_set(json_object_get(doc, "indicators"), k, v);
    }
    if (json_is_array(json_object_get(own, "boiler_deadlines")))
        json_object_set(doc, "boiler_deadlines", json_object_get(own, "boiler_deadlines"));
    return doc;
}

/* The deadline that applies to a boiler of tph (the first whose below_tph
 * it is under), or NULL. */
static json_t *deadline_of(json_t *targets, double tph)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(targets, "boiler_deadlines"), i, d)
        if (tph < json_number_value(json_object_get(d, "below_tph")))
            return d;
    return NULL;
}

static char *pct(double v) { char *s = xmalloc(32); snprintf(s, 32, "%.1f%%", v * 100); return s; }

void park_targets_table(rdoc *d, json_t *card, json_t *targets)
{
    static const double widths[] = {150, 70, 70, 70, 139};
    static const char *const header[] = {"指标", "现状", "目标", "差距", "结论"};
    json_t *ind = json_object_get(targets, "indicators");
    rdoc_text(d, "目标对照 Targets", 12, 1, INK);
    if (!json_object_size(ind)) {
        rdoc_text(d, "未设定目标：在 layers/targets.json 中写入本地实施方案的目标。", 9, 0, GREY);
        return;
    }
    char **cells = xcalloc(json_object_size(ind) * 5 + 1, sizeof *cells);
    size_t n = 0;
    const char *k;
    json_t *t;
    json_object_foreach(ind, k, t) {
        json_t *v = at(card, k);
        double target = json_number_value(json_object_get(t, "target"));
        const char *title = json_string_value(json_object_get(t, "title"));
        const char *by = json_string_value(json_object_get(t, "by"));
        cells[n * 5] = xstrdup(title ? title : k);
        if (json_is_number(v)) {
            double x = json_number_value(v);
            cells[n * 5 + 1] = pct(x);
            cells[n * 5 + 3] = x >= target - 1e-9 ? xstrdup("—") : pct(target - x);
            strbuf b = {0};
            strbuf_printf(&b, "%s%s%s", x >= target - 1e-9 ? "达标" : "未达标", by ? "（期限 " : "", by ? by : "");
            if (by)
                strbuf_puts(&b, "）");
            cells[n * 5 + 4] = b.data;
        } else {
            cells[n * 5 + 1] = xstrdup("无数据");
            cells[n * 5 + 3] = xstrdup("—");
            cells[n * 5 + 4] = xstrdup("无法评价");
        }
        cells[n * 5 + 2] = pct(target);
        n++;
    }
    rdoc_table(d, 5, widths, header, (const char *const *)cells, n);
    for (size_t i = 0; i < n * 5; i++)
        free(cells[i]);
    free(cells);
    const char *citation = json_string_value(json_object_get(targets, "citation"));
    if (citation)
        rdoc_text(d, citation, 8, 0, GREY);
}

typedef struct {
    char *id, *name;
    double tph, to_pipe_m;
    int covered;
    json_t *deadline;
} boiler;

static int by_deadline(const void *a, const void *b)
{
    const boiler *x = a, *y = b;
    if (x->covered != y->covered)
        return y->covered - x->covered;
    if (x->tph != y->tph)
        return x->tph < y->tph ? -1 : 1;
    return strcmp(x->id, y->id);
}

int park_boilers_table(rdoc *d, store *st, const layer_registry *reg, int srid, const char *park_id, json_t *card,
                       json_t *targets, json_t **summary, gisd_error *err)
{
    *summary = NULL;
    GEOSContextHandle_t h = geos_context_new();
    afail fail = {err, 0};
    aset ents = {0}, pipes = {0};
    static const char *const ef[] = {"ent_id", "name", "park_id", "boiler_fuel", "boiler_tph", NULL};
    if (aset_load(h, st, reg, "enterprises", srid, ef, NULL, &ents, &fail) ||
        aset_load(h, st, reg, "heat_network", srid, NULL, NULL, &pipes, &fail)) {
        aset_free(&ents);
        GEOS_finish_r(h);
        return -1;
    }
    json_t *in = at(card, "heating.coal_boilers_in_coverage.ids");
    boiler *b = xcalloc(ents.n + 1, sizeof *b);
    size_t n = 0;
    for (size_t i = 0; i < ents.n && !fail.failed; i++) {
        afeat *f = &ents.f[i];
        if (!f->vals[2] || strcmp(f->vals[2], park_id) != 0 || !f->vals[3] || strcmp(f->vals[3], "coal") != 0 ||
            afeat_num(f, 4) <= 0)
            continue;
        double dist = INFINITY;
        if (pipes.n && !aset_nearest(&pipes, f->g, NULL, NULL, &dist))
            dist = INFINITY;
        int covered = 0;
        size_t k;
        json_t *id;
        json_array_foreach(in, k, id) covered |= f->vals[0] && strcmp(json_string_value(id), f->vals[0]) == 0;
        b[n++] = (boiler){f->vals[0], f->vals[1], afeat_num(f, 4), dist, covered, deadline_of(targets, afeat_num(f, 4))};
    }
    int rc = fail.failed ? -1 : 0;
    if (rc == 0) {
        qsort(b, n, sizeof *b, by_deadline);
        rdoc_text(d, "应淘汰的燃煤锅炉 Coal boilers to retire", 12, 1, INK);
        static const double widths[] = {58, 150, 55, 70, 166};
        static const char *const header[] = {"企业编号", "企业名称", "蒸吨 t/h", "距热网 (m)", "处置 / 期限"};
        char **cells = xcalloc(n * 5 + 1, sizeof *cells);
        size_t due = 0, covered = 0;
        double covered_tph = 0, due_tph = 0;
        for (size_t i = 0; i < n; i++) {
            cells[i * 5] = xstrdup(b[i].id ? b[i].id : "");
            cells[i * 5 + 1] = xstrdup(b[i].name ? b[i].name : "");
            strbuf t = {0};
            strbuf_printf(&t, "%g", b[i].tph);
            cells[i * 5 + 2] = t.data;
            strbuf m = {0};
            if (isfinite(b[i].to_pipe_m))
                strbuf_printf(&m, "%.0f", b[i].to_pipe_m);
            else
                strbuf_puts(&m, "无热网");
            cells[i * 5 + 3] = m.data;
            strbuf w = {0};
            const char *by = json_string_value(json_object_get(b[i].deadline, "by"));
            strbuf_printf(&w, "%s%s%s", b[i].covered ? "接入集中供热" : "热网延伸后替代", by ? "，" : "", by ? by : "");
            if (by)
                strbuf_puts(&w, " 前");
            cells[i * 5 + 4] = w.data;
            covered += (size_t)b[i].covered;
            covered_tph += b[i].covered ? b[i].tph : 0;
            due += b[i].deadline != NULL;
            due_tph += b[i].deadline ? b[i].tph : 0;
        }
        if (n)
            rdoc_table(d, 5, widths, header, (const char *const *)cells, n);
        else
            rdoc_text(d, "园区内没有燃煤锅炉。", 9, 0, GREY);
        for (size_t i = 0; i < n * 5; i++)
            free(cells[i]);
        free(cells);
        *summary = json_pack("{s:I, s:I, s:f, s:I, s:f}", "boilers", (json_int_t)n, "covered", (json_int_t)covered,
                             "covered_tph", covered_tph, "due", (json_int_t)due, "due_tph", due_tph);
    }
    free(b);
    aset_free(&ents);
    aset_free(&pipes);
    GEOS_finish_r(h);
    return rc;
}

void park_recommendations(rdoc *d, json_t *card, json_t *targets, json_t *boilers)
{
    rdoc_text(d, "建议 Recommendations", 12, 1, INK);
    json_t *ind = json_object_get(targets, "indicators");
    int any = 0;
    static const char *const NTH[] = {"一", "二", "三", "四", "五", "六"};
    char line[1024], numbered[1100];
    double target;
#define TARGET(key) (json_is_number(json_object_get(json_object_get(ind, key), "target")) \
                         ? json_number_value(json_object_get(json_object_get(ind, key), "target")) : NAN)
    /* heating: connect what the network covers, extend it to what it does not */
    long covered = (long)json_integer_value(json_object_get(boilers, "covered"));
    if (covered > 0) {
        snprintf(line, sizeof line, "热网覆盖范围内仍有燃煤锅炉 %ld 台、%.0f 蒸吨：应限期接入集中供热并拆除（名单见上表）。", covered,
                 json_number_value(json_object_get(boilers, "covered_tph")));
        snprintf(numbered, sizeof numbered, "%s、%s", NTH[any], line);
        rdoc_text(d, numbered, 10, 0, INK);
        any++;
    }
    double heat = json_number_value(at(card, "heating.coverage_ratio"));
    target = TARGET("heating.coverage_ratio");
    if (isfinite(target) && heat < target - 1e-9) {
        snprintf(line, sizeof line,
                 "集中供热覆盖率 %.1f%%，低于目标 %.1f%%：按热网延伸方案敷设支管约 %.1f km，可再淘汰燃煤锅炉 %.0f 蒸吨。",
                 heat * 100, target * 100, json_number_value(at(card, "heating.extension.pipe_km")),
                 json_number_value(at(card, "heating.extension.tph_retired")));
        snprintf(numbered, sizeof numbered, "%s、%s", NTH[any], line);
        rdoc_text(d, numbered, 10, 0, INK);
        any++;
    }
    double share = json_number_value(at(card, "hazardous_waste.share_served"));
    target = TARGET("hazardous_waste.share_served");
    if (isfinite(target) && share < target - 1e-9) {
        double gap = json_number_value(at(card, "hazardous_waste.tonnes")) - json_number_value(at(card, "hazardous_waste.served_t"));
        snprintf(line, sizeof line,
                 "危险废物 %.0f km 内可处置比例 %.1f%%，低于目标 %.1f%%：处置能力缺口约 %.0f t/a，建议在运距内新建或扩建持证处置设施。",
                 SCORECARD_HW_MAX_KM, share * 100, target * 100, gap);
        snprintf(numbered, sizeof numbered, "%s、%s", NTH[any], line);
        rdoc_text(d, numbered, 10, 0, INK);
        any++;
    }
    double sym = json_number_value(at(card, "symbiosis.in_park_ratio"));
    long unmatched = (long)json_integer_value(at(card, "symbiosis.unmatched"));
    target = TARGET("symbiosis.in_park_ratio");
    if ((isfinite(target) && sym < target - 1e-9) || unmatched > 0) {
        snprintf(line, sizeof line, "产业共生园内配套率 %.1f%%：%ld 项副产物需求在 %.0f km 内无来源，建议补链招商。", sym * 100, unmatched,
                 SCORECARD_SYMBIOSIS_MAX_KM);
        snprintf(numbered, sizeof numbered, "%s、%s", NTH[any], line);
        rdoc_text(d, numbered, 10, 0, INK);
        any++;
    }
    double rec = json_number_value(at(card, "recycling.coverage_ratio"));
    target = TARGET("recycling.coverage_ratio");
    if (isfinite(target) && rec < target - 1e-9) {
        snprintf(line, sizeof line, "所在区社区回收覆盖率 %.1f%%，低于目标 %.1f%%：建议在未覆盖社区增设回收点（见回收点布局优化）。", rec * 100,
                 target * 100);
        snprintf(numbered, sizeof numbered, "%s、%s", NTH[any], line);
        rdoc_text(d, numbered, 10, 0, INK);
        any++;
    }
#undef TARGET
    if (!any)
        rdoc_text(d, "各项指标均已达到目标。", 10, 0, INK);
}
