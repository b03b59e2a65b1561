/* A QGIS project (.qgz, readable by QGIS 3.22) of this server: its vector
 * tiles with the planning style already in QGIS's own symbology, and every
 * collection as an OGC API - Features layer, grouped and hidden, in a
 * project whose CRS is the analysis CRS (so QGIS measures in metres) and
 * whose map opens on the data. */
#include <minizip/zip.h>
#include <cpl_conv.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis.h"
#include "crs.h"
#include "qgis_project.h"
#include "tiles.h"
#include "xalloc.h"

/* Appends s with XML's five special characters escaped. */
static void xml_text(strbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': strbuf_puts(b, "&amp;"); break;
        case '<': strbuf_puts(b, "&lt;"); break;
        case '>': strbuf_puts(b, "&gt;"); break;
        case '"': strbuf_puts(b, "&quot;"); break;
        case '\'': strbuf_puts(b, "&apos;"); break;
        default: strbuf_append(b, s, 1);
        }
    }
}

/* A CRS as QGIS reads one: its WKT (QGIS takes authid alone only with its
 * own internal srsid), PROJ string and authority id. */
static void srs(strbuf *b, int code)
{
    OGRSpatialReferenceH sr = OSRNewSpatialReference(NULL);
    char *wkt = NULL, *proj = NULL;
    static const char *const wkt2[] = {"FORMAT=WKT2_2019", NULL};
    if (sr && OSRImportFromEPSG(sr, code) == OGRERR_NONE) {
        if (OSRExportToWktEx(sr, &wkt, wkt2) != OGRERR_NONE)
            wkt = NULL;
        if (OSRExportToProj4(sr, &proj) != OGRERR_NONE)
            proj = NULL;
    }
    strbuf_puts(b, "<spatialrefsys nativeFormat=\"Wkt\"><wkt>");
    xml_text(b, wkt);
    strbuf_puts(b, "</wkt><proj4>");
    xml_text(b, proj);
    strbuf_printf(b, "</proj4><authid>EPSG:%d</authid></spatialrefsys>", code);
    CPLFree(wkt);
    CPLFree(proj);
    if (sr)
        OSRDestroySpatialReference(sr);
}

/* The <renderer> and <labeling> of styles/qgis/planning.xml (made by
 * styles/qgis/convert.py with QGIS's converter), appended to b. */
/* In b's XML, the attribute name="..." that first follows anchor (whose
 * value is from when from is not NULL) set to value; nothing changes when
 * there is none. */
static void set_attr(strbuf *b, const char *anchor, const char *name, const char *from, const char *value)
{
    char *at = b->data ? strstr(b->data, anchor) : NULL;
    if (!at)
        return;
    /* the anchor's own element may hold the attribute before the anchor */
    char *tag = at;
    while (tag > b->data && *tag != '<')
        tag--;
    char key[64];
    snprintf(key, sizeof key, " %s=\"", name);
    char *attr = strstr(tag, key);
    if (!attr)
        return;
    char *v = attr + strlen(key), *q = strchr(v, '"');
    if (!q || (from && ((size_t)(q - v) != strlen(from) || strncmp(v, from, (size_t)(q - v)) != 0)))
        return;
    strbuf out = {0};
    strbuf_append(&out, b->data, (size_t)(v - b->data));
    strbuf_puts(&out, value);
    strbuf_puts(&out, q);
    strbuf_free(b);
    *b = out;
}

/* The style's background colour (#rrggbb of styles/planning.json's
 * background layer) as "r,g,b" numbers; white when it has none. */
static void background_of(const char *styles_dir, int rgb_out[3])
{
    rgb_out[0] = rgb_out[1] = rgb_out[2] = 255;
    char path[4096];
    snprintf(path, sizeof path, "%s/planning.json", styles_dir);
    json_t *style = json_load_file(path, 0, NULL);
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(style, "layers"), i, l) {
        const char *c = json_string_value(json_object_get(json_object_get(l, "paint"), "background-color"));
        unsigned r, g, bl;
        if (c && sscanf(c, "#%02x%02x%02x", &r, &g, &bl) == 3) {
            rgb_out[0] = (int)r;
            rgb_out[1] = (int)g;
            rgb_out[2] = (int)bl;
            break;
        }
    }
    json_decref(style);
}

/* "社区 Communities" of a layer title "Communities (社区)": Chinese first,
 * as the planners read them; other titles as they are. Into out. */
static void chinese_first(const char *title, char *out, size_t n)
{
    const char *open = strrchr(title, '(');
    size_t len = strlen(title);
    if (!open || len < 3 || title[len - 1] != ')' || open == title) {
        snprintf(out, n, "%s", title);
        return;
    }
    size_t eng = (size_t)(open - title);
    while (eng > 0 && title[eng - 1] == ' ')
        eng--;
    snprintf(out, n, "%.*s %.*s", (int)(title + len - 1 - open - 1), open + 1, (int)eng, title);
}

static int planning_symbology(const char *styles_dir, strbuf *b, gisd_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/qgis/planning.xml", styles_dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return gisd_fail(err, GISD_E_IO, "%s: cannot read the QGIS symbology of the planning style", path);
    strbuf text = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_append(&text, buf, n);
    int bad = ferror(f);
    fclose(f);
    const char *open = text.data ? strstr(text.data, "<gisd-qgis-style") : NULL;
    const char *start = open ? strchr(open, '>') : NULL;
    const char *end = text.data ? strstr(text.data, "</gisd-qgis-style>") : NULL;
    if (bad || !start || !end || end < start) {
        strbuf_free(&text);
        return gisd_fail(err, GISD_E_IO, "%s: not the output of styles/qgis/convert.py", path);
    }
    /* QGIS draws a vector tile style's background tile by tile, so the
     * seams show: the project's canvas is that colour instead (project_xml),
     * and the converted background style is switched off. District names
     * outrank park names, and both outrank every other label, so that they
     * do not collide at the zooms where both show. */
    strbuf sym = {0};
    strbuf_append(&sym, start + 1, (size_t)(end - start - 1));
    strbuf_free(&text);
    set_attr(&sym, "layer=\"background\"", "enabled", "1", "0");
    set_attr(&sym, "layer=\"districts_label\"", "priority", NULL, "10");
    set_attr(&sym, "layer=\"parks_label\"", "priority", NULL, "9");
    strbuf_append(b, sym.data, sym.len);
    strbuf_free(&sym);
    return 0;
}

/* The lon/lat box lonlat in EPSG:srid (the corners and edge midpoints). */
static int box_in(int srid, const double lonlat[4], double out[4], gisd_error *err)
{
    OGRCoordinateTransformationH t = crs_transform_new(4490, srid);
    if (!t)
        return gisd_fail(err, GISD_E_INTERNAL, "PROJ has no transformation to EPSG:%d", srid);
    /* the four corners and the four edges' midpoints */
    double mx = (lonlat[0] + lonlat[2]) / 2, my = (lonlat[1] + lonlat[3]) / 2;
    double x[8] = {lonlat[0], lonlat[2], lonlat[2], lonlat[0], mx, lonlat[2], mx, lonlat[0]};
    double y[8] = {lonlat[1], lonlat[1], lonlat[3], lonlat[3], lonlat[1], my, lonlat[3], my};
    int ok = OCTTransform(t, 8, x, y, NULL);
    OCTDestroyCoordinateTransformation(t);
    if (!ok)
        return gisd_fail(err, GISD_E_INTERNAL, "PROJ cannot bring the data's extent into EPSG:%d", srid);
    out[0] = out[2] = x[0];
    out[1] = out[3] = y[0];
    for (int i = 1; i < 8; i++) {
        out[0] = x[i] < out[0] ? x[i] : out[0];
        out[2] = x[i] > out[2] ? x[i] : out[2];
        out[1] = y[i] < out[1] ? y[i] : out[1];
        out[3] = y[i] > out[3] ? y[i] : out[3];
    }
    return 0;
}

static const char *wkb_name(geom_kind k)
{
    switch (k) {
    case GEOM_POINT: return "Point";
    case GEOM_LINESTRING: return "LineString";
    case GEOM_POLYGON: return "Polygon";
    case GEOM_MULTIPOINT: return "MultiPoint";
    case GEOM_MULTILINESTRING: return "MultiLineString";
    default: return "MultiPolygon";
    }
}

static const char *geometry_family(geom_kind k)
{
    return k == GEOM_POINT || k == GEOM_MULTIPOINT           ? "Point"
           : k == GEOM_LINESTRING || k == GEOM_MULTILINESTRING ? "Line"
                                                              : "Polygon";
}

/* The project's XML. Layer ids are over ten characters: QGIS regenerates
 * shorter ones, and the layer tree would lose its layers. */
/* The XYZ source of a basemap template as QGIS's raster provider writes it
 * (type=xyz&url=..., the braces percent-encoded). */
static void xyz_source(strbuf *b, const char *tmpl)
{
    strbuf_puts(b, "type=xyz&url=");
    for (const unsigned char *p = (const unsigned char *)tmpl; *p; p++) {
        if (strchr("{}&=%", *p) || *p <= ' ' || *p >= 0x7f)
            strbuf_printf(b, "%%%02X", *p);
        else
            strbuf_append(b, (const char *)p, 1);
    }
    strbuf_puts(b, "&zmax=18&zmin=0");
}

static int project_xml(store *st, const layer_registry *reg, const char *base, const char *styles_dir,
                       const char *basemap, strbuf *x, gisd_error *err)
{
    int srid;
    if (analysis_crs_resolve(st, reg, 0, &srid, err) != 0)
        return -1;
    size_t *all = xcalloc(reg->n + 1, sizeof *all);
    int maxzoom = 0;
    for (size_t i = 0; i < reg->n; i++) {
        all[i] = i;
        maxzoom = reg->layers[i].maxzoom > maxzoom ? reg->layers[i].maxzoom : maxzoom;
    }
    double lonlat[4] = {-180, -85, 180, 85}, ext[4] = {0, 0, 0, 0};
    int has = tiles_extent(st, reg, all, reg->n, lonlat, err);
    free(all);
    if (has < 0 || box_in(srid, lonlat, ext, err) != 0)
        return -1;
    char dataset[256] = "gisd";
    gisd_error ignore = {0};
    if (store_meta_get(st, "dataset", dataset, sizeof dataset, &ignore) != STORE_FOUND)
        snprintf(dataset, sizeof dataset, "gisd");

    strbuf tiles = {0}; /* the vector tile source, as QGIS writes it */
    strbuf_printf(&tiles, "type=xyz&url=%s/tiles/all/%%7Bz%%7D/%%7Bx%%7D/%%7By%%7D.mvt&zmax=%d&zmin=0&styleUrl=%s/styles/planning.json",
                  base, maxzoom, base);
    strbuf_puts(x, "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis projectname=\"");
    xml_text(x, dataset);
    strbuf_puts(x, "\" version=\"3.22.16-Białowieża\">\n <homePath path=\"\"/>\n <title>");
    xml_text(x, dataset);
    strbuf_puts(x, " — gisd</title>\n <projectCrs>");
    srs(x, srid);
    strbuf_puts(x, "</projectCrs>\n <layer-tree-group>\n  <customproperties/>\n");
    strbuf_puts(x, "  <layer-tree-group name=\"要素服务 OGC API Features\" checked=\"Qt::Unchecked\" expanded=\"0\">\n   <customproperties/>\n");
    for (size_t i = 0; i < reg->n; i++) {
        const layer_def *l = &reg->layers[i];
        strbuf_printf(x, "   <layer-tree-layer id=\"gisd_oapif_%s\" providerKey=\"OAPIF\" checked=\"Qt::Unchecked\" expanded=\"0\" name=\"", l->id);
        char name[512];
        chinese_first(l->title, name, sizeof name);
        xml_text(x, name);
        strbuf_puts(x, "\" source=\"");
        strbuf src = {0};
        strbuf_printf(&src, "url='%s' typename='%s' restrictToRequestBBOX='1' pagingEnabled='true'", base, l->id);
        xml_text(x, src.data);
        strbuf_puts(x, "\"><customproperties/></layer-tree-layer>\n");
        strbuf_free(&src);
    }
    strbuf_puts(x, "  </layer-tree-group>\n");
    strbuf_puts(x, "  <layer-tree-layer id=\"gisd_vector_tiles\" providerKey=\"vectortile\" checked=\"Qt::Checked\" expanded=\"1\" name=\"规划底图 planning (vector tiles)\" source=\"");
    xml_text(x, tiles.data);
    strbuf_puts(x, "\"><customproperties/></layer-tree-layer>\n");
    strbuf bm = {0};
    if (basemap) {
        /* the deployment's basemap under everything (--basemap) */
        xyz_source(&bm, basemap);
        strbuf_puts(x, "  <layer-tree-layer id=\"gisd_basemap_xyz\" providerKey=\"wms\" checked=\"Qt::Checked\" expanded=\"0\" "
                       "name=\"底图 basemap\" source=\"");
        xml_text(x, bm.data);
        strbuf_puts(x, "\"><customproperties/></layer-tree-layer>\n");
    }
    strbuf_puts(x, " </layer-tree-group>\n");
    strbuf_printf(x, " <mapcanvas name=\"theMapCanvas\" annotationsVisible=\"1\">\n  <units>meters</units>\n"
                     "  <extent><xmin>%.3f</xmin><ymin>%.3f</ymin><xmax>%.3f</xmax><ymax>%.3f</ymax></extent>\n"
                     "  <rotation>0</rotation>\n  <destinationsrs>",
                  ext[0], ext[1], ext[2], ext[3]);
    srs(x, srid);
    strbuf_puts(x, "</destinationsrs>\n </mapcanvas>\n");
    /* the extent QGIS opens on (the canvas above is the desktop's; this, every client's) */
    strbuf_printf(x, " <ProjectViewSettings rotation=\"0\" UseProjectScales=\"0\"><Scales/>"
                     "<DefaultViewExtent xmin=\"%.3f\" ymin=\"%.3f\" xmax=\"%.3f\" ymax=\"%.3f\">",
                  ext[0], ext[1], ext[2], ext[3]);
    srs(x, srid);
    strbuf_puts(x, "</DefaultViewExtent></ProjectViewSettings>\n <projectlayers>\n");
    if (basemap) {
        strbuf_puts(x, "  <maplayer type=\"raster\" styleCategories=\"AllStyleCategories\">\n   <id>gisd_basemap_xyz</id>\n   <datasource>");
        xml_text(x, bm.data);
        strbuf_puts(x, "</datasource>\n   <layername>底图 basemap</layername>\n   <srs>");
        srs(x, 3857);
        strbuf_puts(x, "</srs>\n   <provider>wms</provider>\n  </maplayer>\n");
    }
    strbuf_free(&bm);
    strbuf_puts(x, "  <maplayer type=\"vector-tile\" hasScaleBasedVisibilityFlag=\"0\" styleCategories=\"AllStyleCategories\">\n"
                   "   <id>gisd_vector_tiles</id>\n   <datasource>");
    xml_text(x, tiles.data);
    strbuf_puts(x, "</datasource>\n   <layername>规划底图 planning (vector tiles)</layername>\n   <srs>");
    srs(x, 3857);
    strbuf_puts(x, "</srs>\n   <provider>vectortile</provider>\n");
    strbuf_free(&tiles);
    if (planning_symbology(styles_dir, x, err) != 0)
        return -1;
    strbuf_puts(x, "\n  </maplayer>\n");
    for (size_t i = 0; i < reg->n; i++) {
        const layer_def *l = &reg->layers[i];
        strbuf_printf(x, "  <maplayer type=\"vector\" geometry=\"%s\" wkbType=\"%s\" styleCategories=\"AllStyleCategories\">\n"
                         "   <id>gisd_oapif_%s</id>\n   <datasource>",
                      geometry_family(l->geometry), wkb_name(l->geometry), l->id);
        strbuf src = {0};
        strbuf_printf(&src, "url='%s' typename='%s' restrictToRequestBBOX='1' pagingEnabled='true'", base, l->id);
        xml_text(x, src.data);
        strbuf_free(&src);
        strbuf_puts(x, "</datasource>\n   <layername>");
        char name[512];
        chinese_first(l->title, name, sizeof name);
        xml_text(x, name);
        /* QGIS 3.22 asks OGC API - Features in CRS84 */
        strbuf_puts(x, "</layername>\n   <srs>");
        srs(x, 4326);
        strbuf_puts(x, "</srs>\n   <provider encoding=\"UTF-8\">OAPIF</provider>\n  </maplayer>\n");
    }
    /* QGIS reads projectCrs only with projections enabled; measurements in metres and km² */
    int bg[3];
    background_of(styles_dir, bg);
    strbuf_printf(x, " </projectlayers>\n <properties>\n  <Gui><CanvasColorRedPart type=\"int\">%d</CanvasColorRedPart>"
                     "<CanvasColorGreenPart type=\"int\">%d</CanvasColorGreenPart>"
                     "<CanvasColorBluePart type=\"int\">%d</CanvasColorBluePart></Gui>\n",
                  bg[0], bg[1], bg[2]);
    strbuf_puts(x, "  <SpatialRefSys><ProjectionsEnabled type=\"int\">1</ProjectionsEnabled></SpatialRefSys>\n"
                   "  <Measurement><DistanceUnits type=\"QString\">meters</DistanceUnits>"
                   "<AreaUnits type=\"QString\">km2</AreaUnits></Measurement>\n </properties>\n</qgis>\n");
    return 0;
}

int qgis_project_qgz(store *st, const layer_registry *reg, const char *base_url, const char *styles_dir,
                     const char *basemap, strbuf *qgz, gisd_error *err)
{
    strbuf xml = {0};
    if (project_xml(st, reg, base_url, styles_dir, basemap, &xml, err) != 0) {
        strbuf_free(&xml);
        return -1;
    }
    /* minizip writes files: the archive is made in a temporary file and read back */
    char path[] = "/tmp/gisd-qgz-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        strbuf_free(&xml);
        return gisd_fail(err, GISD_E_IO, "cannot make a temporary file for the project");
    }
    close(fd);
    int rc = 0;
    zipFile z = zipOpen64(path, APPEND_STATUS_CREATE);
    if (!z || zipOpenNewFileInZip64(z, "gisd.qgs", NULL, NULL, 0, NULL, 0, NULL, Z_DEFLATED, 6, 0) != ZIP_OK ||
        zipWriteInFileInZip(z, xml.data, (unsigned)xml.len) != ZIP_OK || zipCloseFileInZip(z) != ZIP_OK)
        rc = gisd_fail(err, GISD_E_IO, "cannot write the project archive");
    if (z && zipClose(z, NULL) != ZIP_OK && rc == 0)
        rc = gisd_fail(err, GISD_E_IO, "cannot finish the project archive");
    FILE *f = rc == 0 ? fopen(path, "rb") : NULL;
    if (rc == 0 && !f)
        rc = gisd_fail(err, GISD_E_IO, "cannot read the project archive back");
    if (f) {
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            strbuf_append(qgz, buf, n);
        if (ferror(f))
            rc = gisd_fail(err, GISD_E_IO, "cannot read the project archive back");
        fclose(f);
    }
    unlink(path);
    strbuf_free(&xml);
    return rc;
}
