/* The page writer: Cairo draws (the same code for PDF and PNG surfaces) and
 * Pango lays out the text, so Chinese is shaped with the installed CJK font
 * that fontconfig finds. */
#include <cairo-pdf.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "xalloc.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LSAN_DISABLE() __lsan_disable()
#define LSAN_ENABLE() __lsan_enable()
#else
#define LSAN_DISABLE() ((void)0)
#define LSAN_ENABLE() ((void)0)
#endif

/* Noto first when installed, WenQuanYi (which the Makefile installs) next. */
#define FONT_FAMILY "Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif"
#define CELL_PAD 3.0
#define CELL_SIZE 8.5

rgb rgb_hex(const char *hex)
{
    unsigned v;
    if (!hex || hex[0] != '#' || strlen(hex) != 7 || sscanf(hex + 1, "%6x", &v) != 1)
        return (rgb){0.6, 0.6, 0.6};
    return (rgb){((v >> 16) & 255) / 255.0, ((v >> 8) & 255) / 255.0, (v & 255) / 255.0};
}

static const cairo_user_data_key_t FONT_MAP_KEY;

static pthread_once_t fonts_once = PTHREAD_ONCE_INIT;

static void fonts_init(void)
{
    /* fontconfig 2.14 loses an expression while parsing its configuration,
     * once per process, in frames without symbols or frame pointers that no
     * suppression can name: the leak checker looks away for this one call */
    LSAN_DISABLE();
    FcInit();
    LSAN_ENABLE();
}

void draw_fonts_attach(cairo_t *cr)
{
    pthread_once(&fonts_once, fonts_init);
    /* a font map of the drawing's own: Pango's default one is per thread and
     * would outlive every job-pool thread's report */
    cairo_set_user_data(cr, &FONT_MAP_KEY, pango_cairo_font_map_new(), g_object_unref);
}

int report_font_check(gisd_error *err)
{
    pthread_once(&fonts_once, fonts_init);
    /* the font Pango would take for Chinese text: it must have 中 and A */
    FcPattern *want = FcNameParse((const FcChar8 *)"sans-serif:lang=zh-cn");
    FcResult res;
    FcPattern *got = NULL;
    if (want && FcConfigSubstitute(NULL, want, FcMatchPattern)) {
        FcDefaultSubstitute(want);
        got = FcFontMatch(NULL, want, &res);
    }
    FcCharSet *cs = NULL;
    int ok = got && FcPatternGetCharSet(got, FC_CHARSET, 0, &cs) == FcResultMatch && FcCharSetHasChar(cs, 0x4E2D) &&
             FcCharSetHasChar(cs, 'A');
    FcChar8 *family = NULL;
    if (got)
        FcPatternGetString(got, FC_FAMILY, 0, &family);
    int rc = ok ? 0
                : gisd_fail(err, GISD_E_IO,
                            "no installed font draws Chinese (fontconfig %s%s): reports would have no text; "
                            "install fonts-wqy-zenhei or fonts-noto-cjk",
                            family ? "offers only " : "finds no font at all", family ? (const char *)family : "");
    if (got)
        FcPatternDestroy(got);
    if (want)
        FcPatternDestroy(want);
    return rc;
}

double draw_text(cairo_t *cr, double x, double y, double w, const char *text, double size, int bold,
                 rgb colour)
{
    PangoFontMap *fm = cairo_get_user_data(cr, &FONT_MAP_KEY);
    PangoContext *pc = pango_font_map_create_context(fm);
    pango_cairo_update_context(cr, pc);
    PangoLayout *layout = pango_layout_new(pc);
    PangoFontDescription *fd = pango_font_description_from_string(FONT_FAMILY);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(layout, fd);
    if (w > 0) {
        pango_layout_set_width(layout, (int)(w * PANGO_SCALE));
        pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    }
    pango_layout_set_text(layout, text, -1);
    cairo_set_source_rgb(cr, colour.r, colour.g, colour.b);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, layout);
    int pw, ph;
    pango_layout_get_size(layout, &pw, &ph);
    pango_font_description_free(fd);
    g_object_unref(layout);
    g_object_unref(pc);
    return (double)ph / PANGO_SCALE;
}

static cairo_status_t write_out(void *closure, const unsigned char *data, unsigned int len)
{
    strbuf_append(closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

rdoc *rdoc_pdf_new(strbuf *out, const char *title, const char *footer)
{
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(write_out, out, PAGE_W, PAGE_H);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "gisd");
    rdoc *d = xcalloc(1, sizeof *d);
    d->cr = cairo_create(s);
    cairo_surface_destroy(s); /* the context keeps it */
    draw_fonts_attach(d->cr);
    d->y = PAGE_MARGIN;
    d->pages = 1;
    d->footer = footer;
    return d;
}

static void footer(rdoc *d)
{
    char page[32];
    snprintf(page, sizeof page, "%d", d->pages);
    rgb grey = {0.45, 0.45, 0.45};
    if (d->footer)
        draw_text(d->cr, PAGE_MARGIN, PAGE_H - PAGE_MARGIN + 14, PAGE_W - 2 * PAGE_MARGIN - 30, d->footer, 7, 0, grey);
    draw_text(d->cr, PAGE_W - PAGE_MARGIN - 20, PAGE_H - PAGE_MARGIN + 14, 0, page, 7, 0, grey);
}

void rdoc_new_page(rdoc *d)
{
    footer(d);
    cairo_show_page(d->cr);
    d->pages++;
    d->y = PAGE_MARGIN;
}

int rdoc_finish(rdoc *d, gisd_error *err)
{
    footer(d);
    cairo_show_page(d->cr);
    cairo_surface_t *s = cairo_get_target(d->cr);
    cairo_surface_finish(s);
    cairo_status_t st = cairo_surface_status(s);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_status(d->cr);
    cairo_destroy(d->cr);
    free(d);
    if (st != CAIRO_STATUS_SUCCESS)
        return gisd_fail(err, GISD_E_INTERNAL, "drawing the report: %s", cairo_status_to_string(st));
    return 0;
}

void rdoc_need(rdoc *d, double h)
{
    if (d->y + h > PAGE_H - PAGE_MARGIN && d->y > PAGE_MARGIN)
        rdoc_new_page(d);
}

void rdoc_text(rdoc *d, const char *text, double size, int bold, rgb colour)
{
    rdoc_need(d, size * 1.6);
    d->y += draw_text(d->cr, PAGE_MARGIN, d->y, PAGE_W - 2 * PAGE_MARGIN, text, size, bold, colour) + size * 0.4;
}

/* The height of a table row: its tallest cell's, measured without drawing. */
static double row_height(rdoc *d, size_t ncols, const double *widths, const char *const *cells, int bold)
{
    cairo_surface_t *scratch = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, NULL);
    cairo_t *m = cairo_create(scratch);
    cairo_set_user_data(m, &FONT_MAP_KEY, g_object_ref(cairo_get_user_data(d->cr, &FONT_MAP_KEY)), g_object_unref);
    double h = 0;
    for (size_t c = 0; c < ncols; c++)
        h = fmax(h, draw_text(m, 0, 0, widths[c] - 2 * CELL_PAD, cells[c] ? cells[c] : "", CELL_SIZE, bold,
                              (rgb){0, 0, 0}));
    cairo_destroy(m);
    cairo_surface_destroy(scratch);
    return h + 2 * CELL_PAD;
}

static void table_row(rdoc *d, size_t ncols, const double *widths, const char *const *cells, double h, int header)
{
    rgb ink = {0.1, 0.1, 0.1};
    double x = PAGE_MARGIN, total = 0;
    for (size_t c = 0; c < ncols; c++)
        total += widths[c];
    if (header) {
        cairo_set_source_rgb(d->cr, 0.90, 0.92, 0.95);
        cairo_rectangle(d->cr, x, d->y, total, h);
        cairo_fill(d->cr);
    }
    for (size_t c = 0; c < ncols; c++) {
        draw_text(d->cr, x + CELL_PAD, d->y + CELL_PAD, widths[c] - 2 * CELL_PAD, cells[c] ? cells[c] : "",
                  CELL_SIZE, header, ink);
        x += widths[c];
    }
    cairo_set_source_rgb(d->cr, 0.75, 0.75, 0.75);
    cairo_set_line_width(d->cr, 0.5);
    cairo_move_to(d->cr, PAGE_MARGIN, d->y + h);
    cairo_line_to(d->cr, PAGE_MARGIN + total, d->y + h);
    cairo_stroke(d->cr);
    d->y += h;
}

void rdoc_table(rdoc *d, size_t ncols, const double *widths, const char *const *header,
                const char *const *cells, size_t nrows)
{
    double hh = row_height(d, ncols, widths, header, 1);
    double first = nrows ? row_height(d, ncols, widths, cells, 0) : 0;
    rdoc_need(d, hh + first); /* never a header alone at the foot of a page */
    table_row(d, ncols, widths, header, hh, 1);
    for (size_t r = 0; r < nrows; r++) {
        double h = row_height(d, ncols, widths, cells + r * ncols, 0);
        if (d->y + h > PAGE_H - PAGE_MARGIN) {
            rdoc_new_page(d);
            table_row(d, ncols, widths, header, hh, 1);
        }
        table_row(d, ncols, widths, cells + r * ncols, h, 0);
    }
    d->y += 8;
}

void rdoc_bars(rdoc *d, const char *title, const char *const *labels, const double *values, size_t n)
{
    const double row = 18, label_w = 190, bar_w = PAGE_W - 2 * PAGE_MARGIN - label_w - 50;
    rdoc_need(d, 24 + row * (double)n);
    rgb ink = {0.1, 0.1, 0.1};
    d->y += draw_text(d->cr, PAGE_MARGIN, d->y, 0, title, 10, 1, ink) + 6;
    for (size_t i = 0; i < n; i++) {
        double y = d->y + row * (double)i, v = isfinite(values[i]) ? fmin(fmax(values[i], 0), 1) : 0;
        draw_text(d->cr, PAGE_MARGIN, y + 2, label_w - 6, labels[i], 8.5, 0, ink);
        cairo_set_source_rgb(d->cr, 0.92, 0.92, 0.92);
        cairo_rectangle(d->cr, PAGE_MARGIN + label_w, y + 2, bar_w, row - 6);
        cairo_fill(d->cr);
        cairo_set_source_rgb(d->cr, 0.0, 0.55, 0.65);
        cairo_rectangle(d->cr, PAGE_MARGIN + label_w, y + 2, bar_w * v, row - 6);
        cairo_fill(d->cr);
        char pct[32];
        if (isfinite(values[i]))
            snprintf(pct, sizeof pct, "%.1f%%", values[i] * 100);
        else
            snprintf(pct, sizeof pct, "—");
        draw_text(d->cr, PAGE_MARGIN + label_w + bar_w + 6, y + 2, 0, pct, 8.5, 0, ink);
    }
    d->y += row * (double)n + 10;
}

void rdoc_frontier(rdoc *d, const char *title, json_t *frontier)
{
    const double W = PAGE_W - 2 * PAGE_MARGIN, H = 170, L = 44, B = 26;
    rdoc_need(d, H + 30);
    rgb ink = {0.1, 0.1, 0.1}, grey = {0.4, 0.4, 0.4};
    d->y += draw_text(d->cr, PAGE_MARGIN, d->y, 0, title, 10, 1, ink) + 6;
    double maxx = 0, maxy = 0, x0 = PAGE_MARGIN + L, y0 = d->y + H - B;
    size_t i;
    json_t *p;
    json_array_foreach(frontier, i, p) {
        maxx = fmax(maxx, json_number_value(json_object_get(p, "budget_km")));
        maxy = fmax(maxy, json_number_value(json_object_get(p, "tph_retired")));
    }
    if (maxx <= 0)
        maxx = 1;
    if (maxy <= 0)
        maxy = 1;
    double sx = (W - L - 10) / maxx, sy = (H - B - 10) / maxy;
    cairo_set_source_rgb(d->cr, 0.6, 0.6, 0.6);
    cairo_set_line_width(d->cr, 0.8);
    cairo_move_to(d->cr, x0, d->y + 4);
    cairo_line_to(d->cr, x0, y0);
    cairo_line_to(d->cr, x0 + W - L - 4, y0);
    cairo_stroke(d->cr);
    cairo_set_source_rgb(d->cr, 0.84, 0.0, 0.0);
    cairo_set_line_width(d->cr, 1.6);
    json_array_foreach(frontier, i, p) {
        double x = x0 + sx * json_number_value(json_object_get(p, "budget_km"));
        double y = y0 - sy * json_number_value(json_object_get(p, "tph_retired"));
        if (i == 0)
            cairo_move_to(d->cr, x, y);
        else
            cairo_line_to(d->cr, x, y);
    }
    cairo_stroke(d->cr);
    json_array_foreach(frontier, i, p) {
        cairo_arc(d->cr, x0 + sx * json_number_value(json_object_get(p, "budget_km")),
                  y0 - sy * json_number_value(json_object_get(p, "tph_retired")), 2.4, 0, 2 * M_PI);
        cairo_fill(d->cr);
    }
    char t[64];
    snprintf(t, sizeof t, "%.1f km", maxx);
    draw_text(d->cr, x0 + W - L - 50, y0 + 4, 0, t, 8, 0, grey);
    draw_text(d->cr, x0, y0 + 4, 0, "0", 8, 0, grey);
    snprintf(t, sizeof t, "%.0f t/h", maxy);
    draw_text(d->cr, PAGE_MARGIN, d->y + 2, 0, t, 8, 0, grey);
    draw_text(d->cr, x0 + (W - L) / 2 - 60, y0 + 12, 0, "管网长度 spur pipe (km)", 8, 0, grey);
    d->y += H + 10;
}
