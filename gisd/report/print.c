/* The print view (GET /print, gisd report print): a map of any area on A4
 * or A3, landscape or portrait, with its title, legend, scale bar, north
 * arrow, date and the data's version, drawn by the same code as the
 * reports' maps so that a printed map matches them. */
#include <cairo-pdf.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crs.h"
#include "report_int.h"
#include "utf8.h"
#include "xalloc.h"

const param_def PRINT_PARAMS[] = {
    {"bbox", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 1, "the area: minlon,minlat,maxlon,maxlat (CGCS2000)"},
    {"size", PARAM_CHOICE, NULL, 0, 0, "A4|A3", "A4", 0, "the paper"},
    {"orientation", PARAM_CHOICE, NULL, 0, 0, "landscape|portrait", "landscape", 0, "the paper's way round"},
    {"title", PARAM_TEXT, NULL, 0, 0, NULL, "规划图", 0, "the map's title"},
    {"layers", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 0,
     "the layers drawn, comma-separated (districts, zones, sensitive_areas, parks, roads, heat_network, "
     "enterprises, heat_sources, hw_facilities, recycling_points); default all"},
    {"analysis_crs", PARAM_CRS, NULL, 0, 0, NULL, NULL, 0, "the projected CRS the map is drawn in (EPSG:n); default: the store's"},
    {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

static cairo_status_t write_out(void *closure, const unsigned char *data, unsigned int len)
{
    strbuf_append(closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

/* bbox text into lon/lat numbers: 0, or -1 with an input error. */
static int parse_bbox(const char *text, double b[4], gisd_error *err)
{
    char tail;
    if (sscanf(text, "%lf,%lf,%lf,%lf%c", &b[0], &b[1], &b[2], &b[3], &tail) != 4 || !isfinite(b[0]) ||
        !isfinite(b[1]) || !isfinite(b[2]) || !isfinite(b[3]))
        return gisd_fail(err, GISD_E_INPUT, "bbox \"%.80s\" must be minlon,minlat,maxlon,maxlat", text);
    if (!(b[0] >= -180 && b[2] <= 180 && b[1] >= -90 && b[3] <= 90 && b[0] < b[2] && b[1] < b[3]))
        return gisd_fail(err, GISD_E_INPUT,
                         "bbox \"%.80s\" must have minlon < maxlon and minlat < maxlat, in degrees", text);
    if (b[2] - b[0] > 10 || b[3] - b[1] > 10)
        return gisd_fail(err, GISD_E_INPUT, "bbox \"%.80s\" is wider than 10 degrees: print a city, not a country", text);
    return 0;
}

/* The lon/lat box b as the extent of its edges (20 points a side) in srid. */
static int box_to(int srid, const double b[4], double out[4], gisd_error *err)
{
    OGRCoordinateTransformationH ct = crs_transform_new(STORE_SRID, srid);
    if (!ct)
        return gisd_fail(err, GISD_E_INPUT, "no transformation from lon/lat to EPSG:%d", srid);
    out[0] = out[1] = INFINITY;
    out[2] = out[3] = -INFINITY;
    int ok = 1;
    for (int i = 0; i <= 20 && ok; i++)
        for (int side = 0; side < 4 && ok; side++) {
            double t = i / 20.0;
            double x = side < 2 ? b[0] + t * (b[2] - b[0]) : b[side == 2 ? 0 : 2];
            double y = side < 2 ? b[side == 0 ? 1 : 3] : b[1] + t * (b[3] - b[1]);
            ok = OCTTransform(ct, 1, &x, &y, NULL);
            out[0] = fmin(out[0], x);
            out[1] = fmin(out[1], y);
            out[2] = fmax(out[2], x);
            out[3] = fmax(out[3], y);
        }
    OCTDestroyCoordinateTransformation(ct);
    return ok ? 0 : gisd_fail(err, GISD_E_INPUT, "the bbox cannot be projected to EPSG:%d", srid);
}

int report_print_pdf(store *st, const layer_registry *reg, int srid, const param_values *v, strbuf *out,
                     gisd_error *err)
{
    double lonlat[4], box[4];
    const char *layers = param_text(v, "layers");
    if (parse_bbox(param_text(v, "bbox"), lonlat, err) != 0 || box_to(srid, lonlat, box, err) != 0)
        return -1;
    for (const char *p = layers; p && *p;) {
        size_t len = strcspn(p, ",");
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), p);
        if (!map_area_layer_known(name))
            return gisd_fail(err, GISD_E_INPUT,
                             "layers: \"%s\" is not drawn on a printed map; the layers are districts, zones, "
                             "sensitive_areas, parks, roads, heat_network, enterprises, heat_sources, hw_facilities "
                             "and recycling_points",
                             name);
        p += len + (p[len] == ',');
    }
    const char *title = param_text(v, "title");
    if (!utf8_valid(title) || strlen(title) > 400)
        return gisd_fail(err, GISD_E_INPUT, "title must be UTF-8 text of at most 400 bytes");
    int a3 = strcmp(param_text(v, "size"), "A3") == 0, landscape = strcmp(param_text(v, "orientation"), "landscape") == 0;
    double pw = a3 ? 841.89 : 595.276, ph = a3 ? 1190.55 : 841.89;
    if (landscape) {
        double t = pw;
        pw = ph;
        ph = t;
    }
    map_doc m;
    if (map_of_area(st, reg, srid, box, layers, &m, err) != 0)
        return -1;
    m.legend_below = 1;
    char ds[320], date[16], subtitle[600];
    report_dataset_line(st, ds, sizeof ds, date);
    utf8_format(subtitle, sizeof subtitle, "日期 %s · 数据 %s · 坐标系 EPSG:%d · %s %s", date, ds, srid, param_text(v, "size"),
                landscape ? "横向" : "纵向");
    snprintf(m.title, sizeof m.title, "%s", "");
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(write_out, out, pw, ph);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "gisd");
    cairo_t *cr = cairo_create(s);
    cairo_surface_destroy(s);
    draw_fonts_attach(cr);
    const double margin = 28;
    rgb ink = {0.1, 0.1, 0.1}, grey = {0.4, 0.4, 0.4};
    double y = margin;
    y += draw_text(cr, margin, y, pw - 2 * margin, title, a3 ? 22 : 18, 1, ink);
    y += draw_text(cr, margin, y + 2, pw - 2 * margin, subtitle, 8, 0, grey) + 8;
    double footer = 16;
    map_draw(cr, &m, margin, y, pw - 2 * margin, ph - y - margin - footer);
    draw_text(cr, margin, ph - margin - footer + 6, pw - 2 * margin, "gisd · 园区循环化改造规划 · 由 gisd 按出图时的数据绘制", 7, 0, grey);
    cairo_show_page(cr);
    cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    map_doc_free(&m);
    if (status != CAIRO_STATUS_SUCCESS)
        return gisd_fail(err, GISD_E_INTERNAL, "Cairo: %s", cairo_status_to_string(status));
    return 0;
}
