/* The maps of the reports, drawn by gisd itself in the analysis CRS (metres,
 * so the scale bar is true): a park with its zones, heat network, coverage,
 * coal boilers and symbiosis links; a site with its zones, setback ring and
 * the nearest sensitive area. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "utf8.h"
#include "xalloc.h"

/* The planning style's colours (styles/planning.json), which a test keeps equal. */
static const char *const LAND_USE[][2] = {
    {"M1", "#d2b48c"}, {"M2", "#b08050"}, {"M3", "#8b5a2b"}, {"W1", "#9f7fff"}, {"W2", "#8a6ae0"},
    {"W3", "#7555c0"}, {"U1", "#0099cc"}, {"U2", "#0080c0"}, {"U3", "#006699"}, {"R1", "#ffff99"},
    {"R2", "#ffff66"}, {"R3", "#ffea00"}, {"G1", "#33cc33"}, {"G2", "#66cc66"}, {"G3", "#99cc99"},
    {"A", "#ff7fbf"},  {"B", "#ff4d4d"},  {"S", "#bfbfbf"}};
static const char *const SENSITIVE[][3] = {
    {"residential", "#f5c26b", "居住 residential"}, {"school", "#ff8c69", "学校 school"},
    {"hospital", "#e84a5f", "医院 hospital"},       {"basic_farmland", "#b5d99c", "基本农田 farmland"},
    {"water_source", "#6ec6ff", "水源地 water source"}, {"ecological_redline", "#2e8b57", "生态红线 eco red line"}};
static const char *const BYPRODUCT_COLOURS[] = {"#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4",
                                                "#46f0f0", "#f032e6", "#bcf60c", "#008080", "#9a6324"};

#define PARK_NATIONAL "#c62828"
#define PARK_OTHER "#ef6c00"
#define COVERAGE "#00b8d4"
#define PIPE "#e4572e"
#define ENTERPRISE "#4a78d0"
#define COAL_IN "#111111"
#define COAL_OUT "#795548"
#define SITE_FILL "#00e5ff"
#define SITE_LINE "#004d40"
#define SETBACK "#6a1b9a"
#define NEAREST "#d50000"
#define HOME "#ff6d00"

const char *report_landuse_colour(const char *land_use)
{
    for (size_t i = 0; land_use && i < sizeof LAND_USE / sizeof *LAND_USE; i++)
        if (strcmp(LAND_USE[i][0], land_use) == 0)
            return LAND_USE[i][1];
    return "#cccccc";
}

void map_add(map_doc *m, GEOSGeometry *g, rgb fill, double fill_alpha, rgb line, double line_width,
             int has_fill, int has_line)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->items = xreallocarray(m->items, m->cap, sizeof *m->items);
    }
    m->items[m->n++] = (map_item){g, fill, line, fill_alpha, line_width, has_fill, has_line, 0};
}

void map_doc_free(map_doc *m)
{
    for (size_t i = 0; i < m->n; i++)
        GEOSGeom_destroy_r(m->h, m->items[i].g);
    free(m->items);
    for (size_t i = 0; i < m->nlegend; i++)
        free((char *)m->legend[i].label);
    if (m->h)
        GEOS_finish_r(m->h);
    memset(m, 0, sizeof *m);
}

/* map_legend with a label of its own (freed with the map). */
static void legend(map_doc *m, const char *label, const char *hex, int kind)
{
    for (size_t i = 0; i < m->nlegend; i++)
        if (strcmp(m->legend[i].label, label) == 0)
            return;
    if (m->nlegend < sizeof m->legend / sizeof *m->legend)
        m->legend[m->nlegend++] = (legend_entry){xstrdup(label), rgb_hex(hex), kind};
}

static void area_label(map_doc *m, const GEOSGeometry *g, const char *name, const char *hex, afail *fail);

static GEOSGeometry *clone(map_doc *m, const GEOSGeometry *g, afail *fail)
{
    GEOSGeometry *c = GEOSGeom_clone_r(m->h, g);
    return afail_ok(fail, c != NULL, "copying a geometry for the map") ? c : NULL;
}

static void add_styled(map_doc *m, const GEOSGeometry *g, const char *fill, double alpha, const char *line,
                       double width, afail *fail)
{
    GEOSGeometry *c = clone(m, g, fail);
    if (c)
        map_add(m, c, rgb_hex(fill), alpha, rgb_hex(line), width, fill != NULL, line != NULL);
}

static int envelope(GEOSContextHandle_t h, const GEOSGeometry *g, double b[4], afail *fail)
{
    return afail_ok(fail, GEOSGeom_getXMin_r(h, g, &b[0]) && GEOSGeom_getYMin_r(h, g, &b[1]) &&
                              GEOSGeom_getXMax_r(h, g, &b[2]) && GEOSGeom_getYMax_r(h, g, &b[3]),
                    "measuring a geometry's extent");
}

/* b grown by a share of its size, and to at least min metres across. */
static void frame(double b[4], double share, double min)
{
    double w = b[2] - b[0], hgt = b[3] - b[1], grow = fmax(w, hgt) * share;
    double cx = (b[0] + b[2]) / 2, cy = (b[1] + b[3]) / 2;
    w = fmax(w + 2 * grow, min);
    hgt = fmax(hgt + 2 * grow, min);
    b[0] = cx - w / 2;
    b[2] = cx + w / 2;
    b[1] = cy - hgt / 2;
    b[3] = cy + hgt / 2;
}

static void add_zones(map_doc *m, aset *zones, afail *fail)
{
    for (size_t i = 0; i < zones->n && afail_live(fail); i++) {
        const char *lu = zones->f[i].vals[0];
        add_styled(m, zones->f[i].g, report_landuse_colour(lu), 0.8, "#ffffff", 0.3, fail);
        char label[64];
        utf8_format(label, sizeof label, "用地 %s", lu ? lu : "?");
        legend(m, label, report_landuse_colour(lu), 0);
    }
}

typedef struct {
    const char *id;
    const GEOSGeometry *g;
} id_point;

static int by_id(const void *a, const void *b)
{
    return strcmp(((const id_point *)a)->id, ((const id_point *)b)->id);
}

static const GEOSGeometry *point_of(const id_point *pts, size_t n, const char *id)
{
    id_point key = {id, NULL};
    const id_point *hit = id ? bsearch(&key, pts, n, sizeof *pts, by_id) : NULL;
    return hit ? hit->g : NULL;
}

static int in_list(json_t *ids, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
        if (strcmp(json_string_value(v), id) == 0)
            return 1;
    return 0;
}

int map_of_park(store *st, const layer_registry *reg, int srid, const char *park_id, json_t *card,
                json_t *symbiosis, map_doc *m, gisd_error *err)
{
    memset(m, 0, sizeof *m);
    GEOSContextHandle_t h = m->h = geos_context_new();
    afail fail = {err, 0};
    aset parks = {0}, zones = {0}, pipes = {0}, ents = {0};
    static const char *const pf[] = {"park_id", "level", "name", NULL};
    static const char *const zf[] = {"land_use", NULL};
    static const char *const ef[] = {"ent_id", "boiler_fuel", "boiler_tph", NULL};
    int rc = aset_load(h, st, reg, "parks", srid, pf, NULL, &parks, &fail);
    afeat *park = NULL;
    for (size_t i = 0; rc == 0 && i < parks.n && !park; i++)
        if (parks.f[i].vals[0] && strcmp(parks.f[i].vals[0], park_id) == 0)
            park = &parks.f[i];
    if (rc == 0 && !park)
        rc = gisd_fail(err, GISD_E_NOTFOUND, "park_id \"%s\" is not a park of this dataset", park_id);
    if (rc == 0 && !envelope(h, park->g, m->bbox, &fail))
        rc = -1;
    double links_box[4];
    if (rc == 0) {
        frame(m->bbox, 0.08, 2000);
        memcpy(links_box, m->bbox, sizeof links_box);
        for (int k = 0; k < 2; k++) { /* producers up to the symbiosis distance away */
            links_box[k] -= SCORECARD_SYMBIOSIS_MAX_KM * 1000;
            links_box[k + 2] += SCORECARD_SYMBIOSIS_MAX_KM * 1000;
        }
        double pipe_box[4] = {m->bbox[0] - SCORECARD_HEATING_RADIUS_M, m->bbox[1] - SCORECARD_HEATING_RADIUS_M,
                              m->bbox[2] + SCORECARD_HEATING_RADIUS_M, m->bbox[3] + SCORECARD_HEATING_RADIUS_M};
        if (aset_load(h, st, reg, "zones", srid, zf, m->bbox, &zones, &fail) ||
            aset_load(h, st, reg, "heat_network", srid, NULL, pipe_box, &pipes, &fail) ||
            aset_load(h, st, reg, "enterprises", srid, ef, links_box, &ents, &fail))
            rc = -1;
    }
    const char *level = park && park->vals[1] ? park->vals[1] : "";
    const char *park_colour = strcmp(level, "national") == 0 ? PARK_NATIONAL : PARK_OTHER;
    if (rc == 0) {
        utf8_format(m->title, sizeof m->title, "%s (%s)", park->vals[2] ? park->vals[2] : park_id, park_id);
        add_zones(m, &zones, &fail);
        /* the park's covered area: the park within reach of a pipe, as heating-coverage measures it */
        GEOSGeometry **buf = xcalloc(pipes.n + 1, sizeof *buf);
        size_t nb = 0;
        for (size_t i = 0; i < pipes.n && afail_live(&fail); i++)
            if (afail_ok(&fail, (buf[nb] = GEOSBuffer_r(h, pipes.f[i].g, SCORECARD_HEATING_RADIUS_M, 8)) != NULL,
                         "buffering a pipe"))
                nb++;
        GEOSGeometry *coll = fail.failed ? NULL : GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, buf, (unsigned)nb);
        if (!coll)
            for (size_t i = 0; i < nb; i++)
                GEOSGeom_destroy_r(h, buf[i]);
        free(buf);
        GEOSGeometry *reach = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
        GEOSGeometry *covered = reach ? GEOSIntersection_r(h, reach, park->g) : NULL;
        if (coll && afail_ok(&fail, reach != NULL && covered != NULL, "drawing the heat network's coverage")) {
            map_add(m, covered, rgb_hex(COVERAGE), 0.35, rgb_hex(COVERAGE), 1.6, 1, 1);
            covered = NULL;
            legend(m, "供热覆盖 heating coverage", COVERAGE, 0);
        }
        if (covered)
            GEOSGeom_destroy_r(h, covered);
        if (reach)
            GEOSGeom_destroy_r(h, reach);
        if (coll)
            GEOSGeom_destroy_r(h, coll);
        for (size_t i = 0; i < pipes.n; i++)
            add_styled(m, pipes.f[i].g, NULL, 0, PIPE, 1.6, &fail);
        if (pipes.n)
            legend(m, "热网 heat pipe", PIPE, 1);
        add_styled(m, park->g, NULL, 0, park_colour, 2.6, &fail);
        legend(m, "园区边界 park boundary", park_colour, 1);

        /* symbiosis links by by-product, under the enterprises */
        id_point *pts = xcalloc(ents.n + 1, sizeof *pts);
        for (size_t i = 0; i < ents.n; i++)
            pts[i] = (id_point){ents.f[i].vals[0] ? ents.f[i].vals[0] : "", ents.f[i].g};
        qsort(pts, ents.n, sizeof *pts, by_id);
        json_t *bps = json_object();
        size_t i;
        json_t *link;
        json_array_foreach(json_object_get(symbiosis, "links"), i, link) {
            const char *bp = json_string_value(json_object_get(link, "byproduct"));
            const GEOSGeometry *a = point_of(pts, ents.n, json_string_value(json_object_get(link, "producer")));
            const GEOSGeometry *b = point_of(pts, ents.n, json_string_value(json_object_get(link, "consumer")));
            double x0, y0, x1, y1;
            if (!a || !b || !afail_ok(&fail, GEOSGeomGetX_r(h, a, &x0) && GEOSGeomGetY_r(h, a, &y0) &&
                                                 GEOSGeomGetX_r(h, b, &x1) && GEOSGeomGetY_r(h, b, &y1),
                                      "reading a link's ends"))
                continue;
            if (!json_object_get(bps, bp))
                json_object_set_new(bps, bp, json_integer((json_int_t)json_object_size(bps)));
            const char *colour = BYPRODUCT_COLOURS[json_integer_value(json_object_get(bps, bp)) %
                                                   (sizeof BYPRODUCT_COLOURS / sizeof *BYPRODUCT_COLOURS)];
            GEOSGeometry *line = analysis_segment(h, x0, y0, x1, y1, &fail);
            if (line) {
                map_add(m, line, rgb_hex(colour), 0, rgb_hex(colour), 1.0, 0, 1);
                m->items[m->n - 1].dashed = 1;
                char label[128];
                utf8_format(label, sizeof label, "共生 %s", bp);
                legend(m, label, colour, 1);
            }
        }
        json_decref(bps);
        free(pts);

        const GEOSPreparedGeometry *prep = afeat_prepared(&parks, park);
        json_t *in_ids = json_object_get(json_object_get(json_object_get(card, "heating"), "coal_boilers_in_coverage"), "ids");
        int any_in = 0, any_out = 0, any = 0;
        for (size_t k = 0; prep && k < ents.n && afail_live(&fail); k++) {
            afeat *e = &ents.f[k];
            double px, py;
            if (!afail_ok(&fail, GEOSGeomGetX_r(h, e->g, &px) && GEOSGeomGetY_r(h, e->g, &py), "reading a point"))
                break;
            if (px < m->bbox[0] || px > m->bbox[2] || py < m->bbox[1] || py > m->bbox[3])
                continue;
            int coal = e->vals[1] && strcmp(e->vals[1], "coal") == 0 && afeat_num(e, 2) > 0;
            int inside = coal && afail_pred(&fail, GEOSPreparedContains_r(h, prep, e->g), "testing a boiler in the park");
            if (inside && in_list(in_ids, e->vals[0])) {
                add_styled(m, e->g, COAL_IN, 1, "#ff1744", 4.5, &fail);
                any_in = 1;
            } else if (inside) {
                add_styled(m, e->g, COAL_OUT, 1, "#ffffff", 4.5, &fail);
                any_out = 1;
            } else {
                add_styled(m, e->g, ENTERPRISE, 1, "#ffffff", 2.2, &fail);
                any = 1;
            }
        }
        if (any)
            legend(m, "企业 enterprise", ENTERPRISE, 2);
        if (any_in)
            legend(m, "覆盖内燃煤锅炉(应淘汰) coal boiler in coverage", COAL_IN, 2);
        if (any_out)
            legend(m, "覆盖外燃煤锅炉 coal boiler outside coverage", COAL_OUT, 2);
        /* the heat sources the park may draw on, named; and the park's own name */
        aset sources = {0};
        static const char *const hf[] = {"name", NULL};
        if (afail_live(&fail) && aset_load(h, st, reg, "heat_sources", srid, hf, m->bbox, &sources, &fail) == 0) {
            for (size_t k = 0; k < sources.n && afail_live(&fail); k++) {
                add_styled(m, sources.f[k].g, "#d7263d", 1, "#ffffff", 5, &fail);
                area_label(m, sources.f[k].g, sources.f[k].vals[0], "#b71c1c", &fail);
            }
            if (sources.n)
                legend(m, "热源 heat source", "#d7263d", 2);
        }
        aset_free(&sources);
        area_label(m, park->g, park->vals[2], park_colour, &fail);
        if (fail.failed)
            rc = -1;
    }
    aset_free(&parks);
    aset_free(&zones);
    aset_free(&pipes);
    aset_free(&ents);
    if (rc != 0)
        map_doc_free(m);
    return rc;
}

/* A label of m at the point of target nearest the site g, with a leader
 * from the site, when the map has room for one more. */
static void label_nearest(map_doc *m, const GEOSGeometry *g, const GEOSGeometry *target, const char *text,
                          const char *hex, afail *fail)
{
    if (m->nlabels == sizeof m->labels / sizeof *m->labels)
        return;
    GEOSCoordSequence *cs = GEOSNearestPoints_r(m->h, g, target);
    if (!afail_ok(fail, cs != NULL, "finding the nearest points of the evidence"))
        return;
    map_label *l = &m->labels[m->nlabels];
    if (afail_ok(fail, GEOSCoordSeq_getXY_r(m->h, cs, 0, &l->lx, &l->ly) && GEOSCoordSeq_getXY_r(m->h, cs, 1, &l->x, &l->y),
                 "reading the nearest points of the evidence")) {
        l->has_leader = 1;
        snprintf(l->text, sizeof l->text, "%s", text);
        l->colour = rgb_hex(hex);
        m->nlabels++;
    }
    GEOSCoordSeq_destroy_r(m->h, cs);
}

/* The evidence of the rules drawn: the zones the site overlaps outlined and
 * named with their land use, the nearest sensitive area and residential
 * zone labelled with their distances. */
static void evidence_marks(map_doc *m, const GEOSGeometry *g, const aset *zones, const aset *areas, json_t *overlapped,
                           const char *nearest, double nearest_m, const char *home, double home_m, afail *fail)
{
    size_t i;
    json_t *z;
    json_array_foreach(overlapped, i, z) {
        const char *id = json_string_value(json_object_get(z, "zone_id"));
        for (size_t k = 0; id && k < zones->n; k++)
            if (zones->f[k].vals[1] && strcmp(zones->f[k].vals[1], id) == 0) {
                add_styled(m, zones->f[k].g, NULL, 0, "#212121", 1.6, fail);
                GEOSGeometry *pt = GEOSPointOnSurface_r(m->h, zones->f[k].g);
                double x, y;
                if (afail_ok(fail, pt != NULL && GEOSGeomGetX_r(m->h, pt, &x) && GEOSGeomGetY_r(m->h, pt, &y),
                             "placing a zone's label") &&
                    m->nlabels < sizeof m->labels / sizeof *m->labels) {
                    map_label *l = &m->labels[m->nlabels++];
                    *l = (map_label){.x = x, .y = y, .colour = rgb_hex("#212121")};
                    const char *use = zones->f[k].vals[0];
                    snprintf(l->text, sizeof l->text, "%s %s", id, use ? use : "?");
                }
                if (pt)
                    GEOSGeom_destroy_r(m->h, pt);
                legend(m, "重叠用地 zone overlapped", "#212121", 1);
            }
    }
    char text[160];
    for (size_t k = 0; nearest && k < areas->n; k++)
        if (areas->f[k].vals[1] && strcmp(areas->f[k].vals[1], nearest) == 0) {
            snprintf(text, sizeof text, "%s %.1f m", nearest, nearest_m);
            label_nearest(m, g, areas->f[k].g, text, NEAREST, fail);
            break;
        }
    for (size_t k = 0; home && k < zones->n; k++)
        if (zones->f[k].vals[1] && strcmp(zones->f[k].vals[1], home) == 0) {
            add_styled(m, zones->f[k].g, NULL, 0, HOME, 2.2, fail);
            legend(m, "最近居住用地 nearest residential zone", HOME, 1);
            const char *use = zones->f[k].vals[0];
            snprintf(text, sizeof text, "%s %s %.1f m", home, use ? use : "R", home_m);
            label_nearest(m, g, zones->f[k].g, text, HOME, fail);
            break;
        }
}

int map_of_site(store *st, const layer_registry *reg, int srid, json_t *site, json_t *answer,
                map_doc *m, gisd_error *err)
{
    memset(m, 0, sizeof *m);
    GEOSContextHandle_t h = m->h = geos_context_new();
    afail fail = {err, 0};
    GEOSGeometry *g = analysis_site_geometry(h, json_object_get(site, "geometry"), srid, err);
    if (!g) {
        map_doc_free(m);
        return -1;
    }
    /* the evidence the rules give: the setback asked for and the nearest sensitive area */
    double required = 0, nearest_m = INFINITY, home_m = INFINITY;
    const char *nearest = NULL, *home = NULL;
    json_t *overlapped = NULL;
    size_t i;
    json_t *rule;
    json_array_foreach(json_object_get(answer, "rules"), i, rule) {
        const char *name = json_string_value(json_object_get(rule, "rule"));
        if (name && strcmp(name, "setback") == 0) {
            required = json_number_value(json_object_get(rule, "required_m"));
            json_t *n = json_object_get(rule, "nearest");
            nearest = json_string_value(json_object_get(n, "area_id"));
            if (json_is_number(json_object_get(n, "distance_m")))
                nearest_m = json_number_value(json_object_get(n, "distance_m"));
            json_t *z = json_object_get(rule, "nearest_residential_zone");
            home = json_string_value(json_object_get(z, "zone_id"));
            if (json_is_number(json_object_get(z, "distance_m")))
                home_m = json_number_value(json_object_get(z, "distance_m"));
        }
        if (name && strcmp(name, "land_use") == 0)
            overlapped = json_object_get(rule, "zones");
    }
    int rc = envelope(h, g, m->bbox, &fail) ? 0 : -1;
    aset zones = {0}, areas = {0}, parks = {0}, pipes = {0};
    static const char *const zf[] = {"land_use", "zone_id", NULL};
    static const char *const af[] = {"kind", "area_id", NULL};
    if (rc == 0) {
        /* room for the setback ring, and for the nearest sensitive area and
         * residential zone when they are within 5 km */
        double reach = fmax(required, 300) * 1.3;
        if (nearest_m <= 5000)
            reach = fmax(reach, nearest_m + 200);
        if (home_m <= 5000)
            reach = fmax(reach, home_m + 200);
        for (int k = 0; k < 2; k++) {
            m->bbox[k] -= reach;
            m->bbox[k + 2] += reach;
        }
        frame(m->bbox, 0, 1500);
        if (aset_load(h, st, reg, "zones", srid, zf, m->bbox, &zones, &fail) ||
            aset_load(h, st, reg, "sensitive_areas", srid, af, m->bbox, &areas, &fail) ||
            aset_load(h, st, reg, "parks", srid, NULL, m->bbox, &parks, &fail) ||
            aset_load(h, st, reg, "heat_network", srid, NULL, m->bbox, &pipes, &fail))
            rc = -1;
    }
    if (rc == 0) {
        snprintf(m->title, sizeof m->title, "选址 site");
        add_zones(m, &zones, &fail);
        for (size_t k = 0; k < areas.n; k++) {
            const char *kind = areas.f[k].vals[0] ? areas.f[k].vals[0] : "";
            const char *colour = "#999999", *label = kind;
            for (size_t s = 0; s < sizeof SENSITIVE / sizeof *SENSITIVE; s++)
                if (strcmp(SENSITIVE[s][0], kind) == 0) {
                    colour = SENSITIVE[s][1];
                    label = SENSITIVE[s][2];
                }
            int is_nearest = nearest && areas.f[k].vals[1] && strcmp(areas.f[k].vals[1], nearest) == 0;
            add_styled(m, areas.f[k].g, colour, 0.55, is_nearest ? NEAREST : colour, is_nearest ? 2.4 : 0.6, &fail);
            legend(m, label, colour, 0);
            if (is_nearest)
                legend(m, "最近敏感区 nearest sensitive area", NEAREST, 1);
        }
        for (size_t k = 0; k < parks.n; k++)
            add_styled(m, parks.f[k].g, NULL, 0, PARK_NATIONAL, 2.2, &fail);
        if (parks.n)
            legend(m, "园区边界 park boundary", PARK_NATIONAL, 1);
        for (size_t k = 0; k < pipes.n; k++)
            add_styled(m, pipes.f[k].g, NULL, 0, PIPE, 1.6, &fail);
        if (pipes.n)
            legend(m, "热网 heat pipe", PIPE, 1);
        if (required > 0) {
            GEOSGeometry *ring = GEOSBuffer_r(h, g, required, 16);
            if (afail_ok(&fail, ring != NULL, "drawing the setback ring")) {
                map_add(m, ring, rgb_hex(SETBACK), 0, rgb_hex(SETBACK), 1.6, 0, 1);
                m->items[m->n - 1].dashed = 1;
                char label[96];
                snprintf(label, sizeof label, "防护距离 setback %.0f m", required);
                legend(m, label, SETBACK, 1);
            }
        }
        evidence_marks(m, g, &zones, &areas, overlapped, nearest, nearest_m, home, home_m, &fail);
        map_add(m, g, rgb_hex(SITE_FILL), 0.6, rgb_hex(SITE_LINE), 2.0, 1, 1);
        g = NULL;
        legend(m, "拟选址 proposed site", SITE_FILL, 0);
        m->grid = 1;
        m->legend_below = 1;
        if (fail.failed)
            rc = -1;
    }
    if (g)
        GEOSGeom_destroy_r(h, g);
    aset_free(&zones);
    aset_free(&areas);
    aset_free(&parks);
    aset_free(&pipes);
    if (rc != 0)
        map_doc_free(m);
    return rc;
}

/* ---- drawing ---- */

typedef struct {
    double x0, y0, s; /* page = (x0 + (X - bx) * s, y0 - (Y - by) * s) */
    double bx, by;
} xform;

static void path_seq(cairo_t *cr, GEOSContextHandle_t h, const GEOSCoordSequence *cs, const xform *t, int close)
{
    unsigned n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n))
        return;
    for (unsigned i = 0; i < n; i++) {
        double x, y;
        if (!GEOSCoordSeq_getXY_r(h, cs, i, &x, &y))
            return;
        double px = t->x0 + (x - t->bx) * t->s, py = t->y0 - (y - t->by) * t->s;
        if (i == 0)
            cairo_move_to(cr, px, py);
        else
            cairo_line_to(cr, px, py);
    }
    if (close && n)
        cairo_close_path(cr);
}

/* Adds g's outline to the path (lines and rings); points become circles of radius r. */
static void path_geom(cairo_t *cr, GEOSContextHandle_t h, const GEOSGeometry *g, const xform *t, double r)
{
    int type = GEOSGeomTypeId_r(h, g);
    if (type == GEOS_POINT) {
        double x, y;
        if (!GEOSisEmpty_r(h, g) && GEOSGeomGetX_r(h, g, &x) && GEOSGeomGetY_r(h, g, &y)) {
            cairo_new_sub_path(cr);
            cairo_arc(cr, t->x0 + (x - t->bx) * t->s, t->y0 - (y - t->by) * t->s, r, 0, 2 * M_PI);
        }
    } else if (type == GEOS_LINESTRING || type == GEOS_LINEARRING) {
        path_seq(cr, h, GEOSGeom_getCoordSeq_r(h, g), t, type == GEOS_LINEARRING);
    } else if (type == GEOS_POLYGON) {
        const GEOSGeometry *ring = GEOSGetExteriorRing_r(h, g);
        if (ring)
            path_seq(cr, h, GEOSGeom_getCoordSeq_r(h, ring), t, 1);
        int nh = GEOSGetNumInteriorRings_r(h, g);
        for (int i = 0; i < nh; i++)
            if ((ring = GEOSGetInteriorRingN_r(h, g, i)))
                path_seq(cr, h, GEOSGeom_getCoordSeq_r(h, ring), t, 1);
    } else {
        int n = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; i < n; i++) {
            const GEOSGeometry *part = GEOSGetGeometryN_r(h, g, i);
            if (part)
                path_geom(cr, h, part, t, r);
        }
    }
}

/* A round length for the scale bar: 1, 2 or 5 times a power of ten, at most max. */
static double nice_length(double max)
{
    double p = pow(10, floor(log10(max)));
    return max >= 5 * p ? 5 * p : max >= 2 * p ? 2 * p : p;
}

/* The legend's entries in columns from (lx, ly): swatch and label, rows of height row. */
static void draw_legend(cairo_t *cr, const map_doc *m, double lx, double ly, double colw, size_t per_col,
                        double fs, double u)
{
    rgb ink = {0.1, 0.1, 0.1};
    double row = fs * 1.7;
    for (size_t i = 0; i < m->nlegend; i++) {
        const legend_entry *e = &m->legend[i];
        double ex = lx + colw * (double)(i / per_col), ey = ly + row * (double)(i % per_col);
        cairo_set_source_rgb(cr, e->colour.r, e->colour.g, e->colour.b);
        if (e->kind == 0)
            cairo_rectangle(cr, ex + 4 * u, ey + 2 * u, 12 * u, row - 5 * u);
        else if (e->kind == 1)
            cairo_rectangle(cr, ex + 4 * u, ey + row / 2 - 1.5 * u, 12 * u, 3 * u);
        else
            cairo_arc(cr, ex + 10 * u, ey + row / 2, 3.5 * u, 0, 2 * M_PI);
        cairo_fill(cr);
        draw_text(cr, ex + 20 * u, ey + 1 * u, colw - 22 * u, e->label, fs, 0, ink);
    }
}

/* The CRS's grid every round step (about a quarter of the frame), its
 * values in metres along the bottom and the left, named as Chinese surveys
 * name Gauss-Kruger axes: Y the easting, X the northing. */
static void draw_grid(cairo_t *cr, const xform *t, double x, double y, double w, double h, double u)
{
    double bw = w / t->s, step = nice_length(bw * 0.3);
    if (!(step > 0))
        return;
    double minx = t->bx - (t->x0 - x) / t->s, maxx = minx + w / t->s;
    double maxy = t->by + (t->y0 - y) / t->s, miny = maxy - h / t->s;
    rgb ink = {0.35, 0.35, 0.35};
    double fs = fmax(6.5 * u, 6);
    cairo_set_source_rgba(cr, 0.2, 0.2, 0.2, 0.35);
    cairo_set_line_width(cr, 0.5 * u);
    char lab[48];
    for (double gx = ceil(minx / step) * step; gx <= maxx; gx += step) {
        double px = t->x0 + (gx - t->bx) * t->s;
        cairo_move_to(cr, px, y);
        cairo_line_to(cr, px, y + h);
        cairo_stroke(cr);
        snprintf(lab, sizeof lab, "Y %.0f", gx);
        draw_text(cr, px + 1.5 * u, y + h - fs * 1.5, 0, lab, fs, 0, ink);
        cairo_set_source_rgba(cr, 0.2, 0.2, 0.2, 0.35);
    }
    for (double gy = ceil(miny / step) * step; gy <= maxy; gy += step) {
        double py = t->y0 - (gy - t->by) * t->s;
        cairo_move_to(cr, x, py);
        cairo_line_to(cr, x + w, py);
        cairo_stroke(cr);
        snprintf(lab, sizeof lab, "X %.0f", gy);
        draw_text(cr, x + 2 * u, py - fs * 1.3, 0, lab, fs, 0, ink);
        cairo_set_source_rgba(cr, 0.2, 0.2, 0.2, 0.35);
    }
}

void map_draw(cairo_t *cr, const map_doc *m, double x, double y, double w, double h)
{
    /* a tall frame (a report page) takes its legend below the map in two
     * columns; a wide one (an image) draws it over the map's corner */
    /* 7 points at least: the legend is read on paper */
    double u0 = fmax(fmin(w, h) / 500.0, 0.35), fs0 = fmax(8.5 * u0, 7), row0 = fs0 * 1.7;
    size_t per_col = (m->nlegend + 1) / 2;
    double below = row0 * (double)per_col + 10 * u0;
    int outside = m->nlegend && (m->legend_below || h - below >= w * 0.75);
    if (outside) {
        h -= below;
        draw_legend(cr, m, x, y + h + 8 * u0, w / 2, per_col, fs0, u0);
    }
    double bw = m->bbox[2] - m->bbox[0], bh = m->bbox[3] - m->bbox[1];
    if (!(bw > 0 && bh > 0))
        return;
    double s = fmin(w / bw, h / bh);
    xform t = {x + (w - bw * s) / 2, y + h - (h - bh * s) / 2, s, m->bbox[0], m->bbox[1]};
    double u = fmax(fmin(w, h) / 500.0, 0.35); /* line widths and text scale with the map */
    cairo_save(cr);
    cairo_rectangle(cr, x, y, w, h);
    cairo_set_source_rgb(cr, 0.97, 0.97, 0.95);
    cairo_fill_preserve(cr);
    cairo_clip(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    for (size_t i = 0; i < m->n; i++) {
        const map_item *it = &m->items[i];
        cairo_new_path(cr);
        cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
        path_geom(cr, m->h, it->g, &t, it->line_width * u);
        if (it->has_fill) {
            cairo_set_source_rgba(cr, it->fill.r, it->fill.g, it->fill.b, it->fill_alpha);
            if (it->has_line)
                cairo_fill_preserve(cr);
            else
                cairo_fill(cr);
        }
        if (it->has_line) {
            int point = GEOSGeomTypeId_r(m->h, it->g) == GEOS_POINT;
            double dash[] = {4 * u, 3 * u};
            cairo_set_dash(cr, dash, it->dashed ? 2 : 0, 0);
            cairo_set_source_rgb(cr, it->line.r, it->line.g, it->line.b);
            cairo_set_line_width(cr, (point ? 1.0 : it->line_width) * u);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
        }
    }
    rgb ink = {0.1, 0.1, 0.1};
    if (m->grid)
        draw_grid(cr, &t, x, y, w, h, u);
    for (size_t i = 0; i < m->nlabels; i++) {
        const map_label *l = &m->labels[i];
        double px = t.x0 + (l->x - t.bx) * t.s, py = t.y0 - (l->y - t.by) * t.s;
        if (l->has_leader) {
            double qx = t.x0 + (l->lx - t.bx) * t.s, qy = t.y0 - (l->ly - t.by) * t.s;
            double dash[] = {3 * u, 2 * u};
            cairo_set_dash(cr, dash, 2, 0);
            cairo_set_source_rgb(cr, l->colour.r, l->colour.g, l->colour.b);
            cairo_set_line_width(cr, 1.2 * u);
            cairo_move_to(cr, qx, qy);
            cairo_line_to(cr, px, py);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
        }
        double fs = fmax(8 * u, 6.5), tw = 0;
        /* the label's width: a Han character is about one em, a Latin one about half */
        uint32_t cp;
        for (const char *p = l->text; *p;) {
            size_t len = utf8_next(p, &cp);
            if (!len)
                break;
            tw += cp >= 0x2E80 ? fs * 1.02 : fs * 0.58;
            p += len;
        }
        cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
        cairo_rectangle(cr, px + 2 * u, py - fs * 0.7, tw, fs * 1.4);
        cairo_fill(cr);
        draw_text(cr, px + 3 * u, py - fs * 0.6, tw + 40 * u, l->text, fs, 1, l->colour);
    }
    /* north arrow: the analysis CRS is a Gauss-Kruger projection, grid north within a degree or two of true north */
    double ax = x + w - 26 * u, ay = y + 14 * u;
    cairo_new_path(cr);
    cairo_move_to(cr, ax, ay);
    cairo_line_to(cr, ax - 8 * u, ay + 26 * u);
    cairo_line_to(cr, ax, ay + 20 * u);
    cairo_line_to(cr, ax + 8 * u, ay + 26 * u);
    cairo_close_path(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_fill(cr);
    draw_text(cr, ax - 4.5 * u, ay + 27 * u, 0, "N", 11 * u, 1, ink);
    /* scale bar, bottom right */
    double len = nice_length(bw * 0.25), px = len * s, sx = x + w - px - 16 * u, sy = y + h - 16 * u;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, sx - 6 * u, sy - 20 * u, px + 12 * u, 26 * u);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_rectangle(cr, sx, sy - 4 * u, px / 2, 4 * u);
    cairo_fill(cr);
    cairo_set_line_width(cr, 1 * u);
    cairo_rectangle(cr, sx, sy - 4 * u, px, 4 * u);
    cairo_stroke(cr);
    char lab[32];
    if (len >= 1000)
        snprintf(lab, sizeof lab, "%g km", len / 1000);
    else
        snprintf(lab, sizeof lab, "%g m", len);
    draw_text(cr, sx, sy - 18 * u, 0, lab, 9 * u, 0, ink);
    /* legend, bottom left, over the map */
    if (!outside && m->nlegend) {
        double fs = fmax(8.5 * u, 7), row = fs * 1.7, lw = 0;
        for (size_t i = 0; i < m->nlegend; i++)
            lw = fmax(lw, (double)strlen(m->legend[i].label) * fs * 0.42);
        lw = fmin(lw + 26 * u, w * 0.6);
        double lh = row * (double)m->nlegend + 8 * u, lx = x + 8 * u, ly = y + h - lh - 8 * u;
        cairo_set_source_rgba(cr, 1, 1, 1, 0.88);
        cairo_rectangle(cr, lx, ly, lw, lh);
        cairo_fill(cr);
        draw_legend(cr, m, lx, ly + 4 * u, lw, m->nlegend, fs, u);
    }
    cairo_restore(cr);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_set_line_width(cr, 0.8);
    cairo_rectangle(cr, x, y, w, h);
    cairo_stroke(cr);
}

/* 1 when the JSON array list holds the string id. */
static int listed(json_t *list, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) if (id && strcmp(json_string_value(v), id) == 0) return 1;
    return 0;
}

int map_of_changes(store *st, const layer_registry *reg, int srid, const char *a, const char *b, json_t *changes,
                   map_doc *m, gisd_error *err)
{
    memset(m, 0, sizeof *m);
    GEOSContextHandle_t h = m->h = geos_context_new();
    afail fail = {err, 0};
    static const struct {
        const char *list, *colour, *label;
        int in_a; /* drawn as a has it (else as b has it) */
    } KINDS[] = {{"added", "#2e7d32", "新增 added", 1}, {"replaced", "#ef6c00", "变更 changed", 1},
                 {"deleted", "#c62828", "删除 removed", 0}};
    int have = 0, rc = 0;
    /* the districts of the city, for where things are */
    aset districts = {0};
    if (aset_load(h, st, reg, "districts", srid, NULL, NULL, &districts, &fail) != 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < districts.n; i++)
        add_styled(m, districts.f[i].g, NULL, 0, "#9e9e9e", 0.6, &fail);
    aset_free(&districts);
    const char *layer;
    json_t *lists;
    json_object_foreach(changes, layer, lists) {
        const layer_def *l = layer_registry_find(reg, layer);
        if (!l || !l->id_field)
            continue;
        const char *fields[] = {l->id_field, NULL};
        for (int side = 0; side < 2 && rc == 0; side++) {
            if (store_set_scenario(st, side == 0 ? a : b, err) != 0) {
                rc = -1;
                break;
            }
            aset set = {0};
            if (aset_load(h, st, reg, layer, srid, fields, NULL, &set, &fail) != 0) {
                rc = -1;
                break;
            }
            for (size_t i = 0; i < set.n && rc == 0; i++)
                for (size_t k = 0; k < 3; k++) {
                    if (KINDS[k].in_a != (side == 0) || !listed(json_object_get(lists, KINDS[k].list), set.f[i].vals[0]))
                        continue;
                    int point = GEOSGeomTypeId_r(h, set.f[i].g) == GEOS_POINT;
                    double e[4];
                    if (!envelope(h, set.f[i].g, e, &fail)) {
                        rc = -1;
                        break;
                    }
                    if (!have)
                        memcpy(m->bbox, e, sizeof e);
                    for (int c = 0; c < 2; c++) {
                        m->bbox[c] = fmin(m->bbox[c], e[c]);
                        m->bbox[c + 2] = fmax(m->bbox[c + 2], e[c + 2]);
                    }
                    have = 1;
                    add_styled(m, set.f[i].g, point || GEOSGeomTypeId_r(h, set.f[i].g) >= GEOS_POLYGON ? KINDS[k].colour : NULL,
                               point ? 1 : 0.35, KINDS[k].colour, point ? 4 : 2, &fail);
                    legend(m, KINDS[k].label, KINDS[k].colour, 2);
                }
            aset_free(&set);
        }
    }
    gisd_error ignore = {0};
    store_set_scenario(st, NULL, &ignore);
    if (rc == 0 && fail.failed)
        rc = -1;
    if (rc != 0) {
        map_doc_free(m);
        return -1;
    }
    if (!have) /* nothing differs: an empty frame of 1.5 km */
        m->bbox[2] = m->bbox[3] = 1500;
    frame(m->bbox, 0.08, 1500);
    snprintf(m->title, sizeof m->title, "%s ↔ %s", a, b);
    return 0;
}

/* ---- the print view's map: any area, the planning layers ---- */

/* The layers map_of_area draws, bottom up, with how each is drawn. */
static const char *const AREA_LAYERS[] = {"districts", "zones", "sensitive_areas", "parks", "roads",
                                          "heat_network", "enterprises", "heat_sources", "hw_facilities",
                                          "recycling_points", NULL};

int map_area_layer_known(const char *layer)
{
    for (size_t i = 0; AREA_LAYERS[i]; i++)
        if (strcmp(AREA_LAYERS[i], layer) == 0)
            return 1;
    return 0;
}

/* A name written at a point on g when it falls inside the frame and the map
 * has room for one more label. */
static void area_label(map_doc *m, const GEOSGeometry *g, const char *name, const char *hex, afail *fail)
{
    if (!name || !*name || m->nlabels == sizeof m->labels / sizeof *m->labels)
        return;
    GEOSGeometry *pt = GEOSPointOnSurface_r(m->h, g);
    double x, y;
    if (!afail_ok(fail, pt && GEOSGeomGetX_r(m->h, pt, &x) && GEOSGeomGetY_r(m->h, pt, &y), "placing a name")) {
        if (pt)
            GEOSGeom_destroy_r(m->h, pt);
        return;
    }
    GEOSGeom_destroy_r(m->h, pt);
    if (x < m->bbox[0] || x > m->bbox[2] || y < m->bbox[1] || y > m->bbox[3])
        return;
    map_label *l = &m->labels[m->nlabels++];
    *l = (map_label){.x = x, .y = y, .colour = rgb_hex(hex)};
    utf8_format(l->text, sizeof l->text, "%s", name);
}

int map_of_area(store *st, const layer_registry *reg, int srid, const double bbox[4], const char *layers,
                map_doc *m, gisd_error *err)
{
    memset(m, 0, sizeof *m);
    GEOSContextHandle_t h = m->h = geos_context_new();
    memcpy(m->bbox, bbox, sizeof m->bbox);
    afail fail = {err, 0};
    int rc = 0;
    for (size_t k = 0; AREA_LAYERS[k] && rc == 0; k++) {
        const char *layer = AREA_LAYERS[k];
        if ((layers && !param_list_has(layers, ',', layer)) || !layer_registry_find(reg, layer))
            continue;
        static const char *const none[] = {NULL}, *const df[] = {"name", NULL};
        static const char *const zf[] = {"land_use", NULL}, *const sf[] = {"kind", NULL}, *const pf[] = {"level", "name", NULL},
                                 *const rf[] = {"class", NULL}, *const ef[] = {"boiler_fuel", "boiler_tph", NULL},
                                 *const lf[] = {"level", NULL};
        const char *const *fields = strcmp(layer, "districts") == 0         ? df
                                    : strcmp(layer, "zones") == 0           ? zf
                                    : strcmp(layer, "sensitive_areas") == 0 ? sf
                                    : strcmp(layer, "parks") == 0           ? pf
                                    : strcmp(layer, "roads") == 0           ? rf
                                    : strcmp(layer, "enterprises") == 0     ? ef
                                    : strcmp(layer, "recycling_points") == 0 ? lf
                                                                             : none;
        aset set = {0};
        if (aset_load(h, st, reg, layer, srid, fields, bbox, &set, &fail) != 0) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < set.n && afail_live(&fail); i++) {
            afeat *f = &set.f[i];
            const char *v0 = set.nvals ? f->vals[0] : NULL;
            if (strcmp(layer, "districts") == 0) {
                add_styled(m, f->g, "#fbfaf7", 1, "#8c8c8c", 1.0, &fail);
                legend(m, "行政区界 district", "#8c8c8c", 1);
                area_label(m, f->g, v0, "#555555", &fail);
            } else if (strcmp(layer, "zones") == 0) {
                add_styled(m, f->g, report_landuse_colour(v0), 0.8, "#ffffff", 0.3, &fail);
                char label[64];
                utf8_format(label, sizeof label, "用地 %s", v0 ? v0 : "?");
                legend(m, label, report_landuse_colour(v0), 0);
            } else if (strcmp(layer, "sensitive_areas") == 0) {
                for (size_t s = 0; s < sizeof SENSITIVE / sizeof *SENSITIVE; s++)
                    if (v0 && strcmp(v0, SENSITIVE[s][0]) == 0) {
                        add_styled(m, f->g, SENSITIVE[s][1], 0.6, SENSITIVE[s][1], 0.8, &fail);
                        legend(m, SENSITIVE[s][2], SENSITIVE[s][1], 0);
                    }
            } else if (strcmp(layer, "parks") == 0) {
                int national = v0 && strcmp(v0, "national") == 0;
                add_styled(m, f->g, NULL, 0, national ? PARK_NATIONAL : PARK_OTHER, 2.0, &fail);
                area_label(m, f->g, f->vals[1], national ? PARK_NATIONAL : PARK_OTHER, &fail);
                legend(m, national ? "国家级园区 national park" : "省级园区 provincial park",
                       national ? PARK_NATIONAL : PARK_OTHER, 1);
            } else if (strcmp(layer, "roads") == 0) {
                int major = v0 && (strcmp(v0, "expressway") == 0 || strcmp(v0, "arterial") == 0);
                add_styled(m, f->g, NULL, 0, major ? "#e0a030" : "#b0b0b0", major ? 1.4 : 0.6, &fail);
                legend(m, "道路 road", "#b0b0b0", 1);
            } else if (strcmp(layer, "heat_network") == 0) {
                add_styled(m, f->g, NULL, 0, PIPE, 1.6, &fail);
                legend(m, "热网 heat pipe", PIPE, 1);
            } else if (strcmp(layer, "enterprises") == 0) {
                int coal = v0 && strcmp(v0, "coal") == 0 && afeat_num(f, 1) > 0;
                add_styled(m, f->g, coal ? COAL_IN : ENTERPRISE, 1, "#ffffff", coal ? 3.5 : 2.0, &fail);
                legend(m, coal ? "燃煤锅炉企业 coal boiler" : "企业 enterprise", coal ? COAL_IN : ENTERPRISE, 2);
            } else if (strcmp(layer, "heat_sources") == 0) {
                add_styled(m, f->g, "#d32f2f", 1, "#ffffff", 5, &fail);
                legend(m, "热源 heat source", "#d32f2f", 2);
            } else if (strcmp(layer, "hw_facilities") == 0) {
                add_styled(m, f->g, "#ffd600", 1, "#b71c1c", 5, &fail);
                legend(m, "危废处置设施 hazardous-waste facility", "#ffd600", 2);
            } else {
                static const char *const LEVELS[][3] = {{"community", "#43a047", "社区回收点 community point"},
                                                        {"transit", "#fb8c00", "中转站 transit station"},
                                                        {"sorting", "#8e24aa", "分拣中心 sorting centre"}};
                for (size_t s = 0; s < 3; s++)
                    if (v0 && strcmp(v0, LEVELS[s][0]) == 0) {
                        add_styled(m, f->g, LEVELS[s][1], 1, "#ffffff", s ? 4.0 : 2.5, &fail);
                        legend(m, LEVELS[s][2], LEVELS[s][1], 2);
                    }
            }
        }
        aset_free(&set);
        if (fail.failed)
            rc = -1;
    }
    if (rc != 0)
        map_doc_free(m);
    return rc;
}
