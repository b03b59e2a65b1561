/* table_write: one CSV writer and one XLSX writer for every table gisd hands out. */
#include <gdal.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpl_vsi.h"
#include "table_write.h"

static void csv_cell(strbuf *b, const char *s)
{
    /* RFC 4180: quoted when it holds a separator, a quote or a line break */
    if (!strpbrk(s, ",\"\r\n")) {
        strbuf_puts(b, s);
        return;
    }
    strbuf_puts(b, "\"");
    for (const char *p = s; *p; p++)
        strbuf_append(b, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
    strbuf_puts(b, "\"");
}

void table_csv(const table *t, strbuf *out)
{
    strbuf_puts(out, "\xEF\xBB\xBF");
    for (size_t c = 0; c < t->ncols; c++) {
        csv_cell(out, t->headers[c]);
        strbuf_puts(out, c + 1 < t->ncols ? "," : "\r\n");
    }
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            const char *v = t->cells[r * t->ncols + c];
            csv_cell(out, v ? v : "");
            strbuf_puts(out, c + 1 < t->ncols ? "," : "\r\n");
        }
}

int table_take_vsimem(const char *path, strbuf *out, gisd_error *err)
{
    vsi_l_offset len = 0;
    GByte *data = VSIGetMemFileBuffer(path, &len, FALSE);
    if (!data || len == 0) {
        VSIUnlink(path);
        return gisd_fail(err, GISD_E_INTERNAL, "the table's file was not written");
    }
    strbuf_append(out, data, (size_t)len);
    VSIUnlink(path);
    return 0;
}

int table_xlsx(const table *t, const char *sheet, strbuf *out, gisd_error *err)
{
    static int seq;
    char path[128];
    snprintf(path, sizeof path, "/vsimem/gisd-table-%p-%d.xlsx", (void *)t,
             __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
    GDALDriverH drv = GDALGetDriverByName("XLSX");
    if (!drv)
        return gisd_fail(err, GISD_E_INTERNAL, "GDAL has no XLSX driver");
    GDALDatasetH ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    if (!ds)
        return gisd_fail(err, GISD_E_INTERNAL, "the XLSX file cannot be made: %s", CPLGetLastErrorMsg());
    OGRLayerH layer = GDALDatasetCreateLayer(ds, sheet, NULL, wkbNone, NULL);
    int rc = layer ? 0 : gisd_fail(err, GISD_E_INTERNAL, "the XLSX sheet cannot be made: %s", CPLGetLastErrorMsg());
    for (size_t c = 0; rc == 0 && c < t->ncols; c++) {
        OGRFieldDefnH fd = OGR_Fld_Create(t->headers[c], t->numeric && t->numeric[c] ? OFTReal : OFTString);
        if (OGR_L_CreateField(layer, fd, TRUE) != OGRERR_NONE)
            rc = gisd_fail(err, GISD_E_INTERNAL, "the XLSX column %s cannot be made", t->headers[c]);
        OGR_Fld_Destroy(fd);
    }
    for (size_t r = 0; rc == 0 && r < t->nrows; r++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
        for (size_t c = 0; c < t->ncols; c++) {
            const char *v = t->cells[r * t->ncols + c];
            if (!v || !*v)
                continue;
            if (t->numeric && t->numeric[c])
                OGR_F_SetFieldDouble(f, (int)c, atof(v));
            else
                OGR_F_SetFieldString(f, (int)c, v);
        }
        if (OGR_L_CreateFeature(layer, f) != OGRERR_NONE)
            rc = gisd_fail(err, GISD_E_INTERNAL, "row %zu of the XLSX table cannot be written", r + 1);
        OGR_F_Destroy(f);
    }
    GDALClose(ds); /* returns nothing in GDAL 3.6: take_vsimem finds a file that was not finished */
    if (rc != 0) {
        VSIUnlink(path);
        return -1;
    }
    return table_take_vsimem(path, out, err);
}
