/* Tables as people open them: CSV for any spreadsheet (UTF-8 with a BOM,
 * which Excel needs to read Chinese, RFC 4180 quoting, CRLF) and XLSX
 * written by GDAL's driver. */
#ifndef GISD_TABLE_WRITE_H
#define GISD_TABLE_WRITE_H

#include <stddef.h>

#include "error.h"
#include "strbuf.h"

#define TABLE_MEDIA_CSV "text/csv; charset=utf-8"
#define TABLE_MEDIA_XLSX "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* A table of nrows rows of ncols cells (cells[row * ncols + col], text;
 * "" for none), its headers, and which columns hold numbers (an XLSX cell
 * of one is a number; NULL: none). Everything borrowed. */
typedef struct {
    size_t ncols, nrows;
    const char *const *headers;
    const char *const *cells;
    const int *numeric;
} table;

/* Appends t as CSV to out. */
void table_csv(const table *t, strbuf *out);
/* Appends t as an XLSX workbook of one sheet called sheet to out: 0, or -1
 * with an internal error when GDAL cannot write it. */
int table_xlsx(const table *t, const char *sheet, strbuf *out, gisd_error *err);

/* The bytes of GDAL's in-memory file path (/vsimem/...) appended to out and
 * the file removed: 0, or -1 with an internal error when it is empty. */
int table_take_vsimem(const char *path, strbuf *out, gisd_error *err);

#endif
