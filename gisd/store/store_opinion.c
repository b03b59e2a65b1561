/* The register of issued compliance opinions, for both backends: one row an
 * opinion (its record as JSON text, the PDF as base64), and a counter per
 * year from which the serials are drawn. The SQL is the same on SQLite and
 * PostgreSQL and goes through the backend's sql_query. */
#include "store_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpl_conv.h"
#include "cpl_string.h"
#include "store_cql.h"
#include "xalloc.h"

static const char *const DDL[] = {
    "CREATE TABLE IF NOT EXISTS gisd_opinions (number TEXT PRIMARY KEY, year INTEGER NOT NULL,"
    " serial INTEGER NOT NULL, issued TEXT NOT NULL, who TEXT NOT NULL, site_id TEXT, compliant INTEGER NOT NULL,"
    " supersedes TEXT, superseded_by TEXT, record TEXT NOT NULL, record_sha256 TEXT NOT NULL,"
    " pdf_sha256 TEXT NOT NULL, pdf TEXT NOT NULL, UNIQUE (year, serial))",
    "CREATE TABLE IF NOT EXISTS gisd_opinion_serials (year INTEGER PRIMARY KEY, last INTEGER NOT NULL)",
    NULL};

static int query(store *s, const char *sql, int n, const char *const *p, json_t **rows, gisd_error *err)
{
    return s->ops->sql_query(s, sql, n, p, rows, err);
}

static const char *cell(json_t *rows, size_t i, size_t c)
{
    return json_string_value(json_array_get(json_array_get(rows, i), c));
}

/* 1 when the register exists, 0 when not, -1 with err. */
static int registered(store *s, gisd_error *err) { return s->ops->has_table(s, "gisd_opinions", err); }

int store_opinion_next_serial(store *s, int year, long long *serial, gisd_error *err)
{
    for (const char *const *d = DDL; *d; d++)
        if (query(s, *d, 0, NULL, NULL, err) != 0)
            return -1;
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    const char *p[1] = {y};
    json_t *rows = NULL;
    /* the UPDATE takes the year's row lock on PostgreSQL, so two issuers
     * draw one after the other; SQLite's write transaction already does */
    if (query(s, "INSERT INTO gisd_opinion_serials (year, last) VALUES (?, 0) ON CONFLICT DO NOTHING", 1, p, NULL,
              err) != 0 ||
        query(s, "UPDATE gisd_opinion_serials SET last = last + 1 WHERE year = ?", 1, p, NULL, err) != 0 ||
        query(s, "SELECT last FROM gisd_opinion_serials WHERE year = ?", 1, p, &rows, err) != 0)
        return -1;
    const char *last = cell(rows, 0, 0);
    *serial = last ? atoll(last) : 0;
    json_decref(rows);
    return *serial > 0 ? 0 : gisd_fail(err, GISD_E_IO, "the register's serial for %d could not be drawn", year);
}

int store_opinion_add(store *s, const store_opinion *o, gisd_error *err)
{
    char year[16], serial[32], compliant[4];
    snprintf(year, sizeof year, "%d", o->year);
    snprintf(serial, sizeof serial, "%lld", o->serial);
    snprintf(compliant, sizeof compliant, "%d", o->compliant ? 1 : 0);
    char *b64 = CPLBase64Encode((int)o->pdf_len, (const GByte *)o->pdf);
    const char *p[12] = {o->number, year, serial, o->issued, o->who, o->site_id, compliant, o->supersedes,
                         o->record, o->record_sha256, o->pdf_sha256, b64};
    int rc = query(s, "INSERT INTO gisd_opinions (number, year, serial, issued, who, site_id, compliant, supersedes,"
                      " record, record_sha256, pdf_sha256, pdf) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   12, p, NULL, err);
    CPLFree(b64);
    if (rc == 0 && o->supersedes) {
        const char *q[2] = {o->number, o->supersedes};
        rc = query(s, "UPDATE gisd_opinions SET superseded_by = ? WHERE number = ?", 2, q, NULL, err);
    }
    return rc;
}

#define SUMMARY "number, issued, who, site_id, compliant, supersedes, superseded_by, record_sha256, pdf_sha256"

/* The summary of row i of rows (SUMMARY's columns). New reference. */
static json_t *summary(json_t *rows, size_t i)
{
    json_t *o = json_object();
    static const char *const NAMES[] = {"number", "issued", "who", "site_id", "compliant", "supersedes",
                                        "superseded_by", "record_sha256", "pdf_sha256"};
    for (size_t c = 0; c < sizeof NAMES / sizeof *NAMES; c++) {
        const char *v = cell(rows, i, c);
        json_object_set_new(o, NAMES[c], c == 4 ? json_boolean(v && atoi(v) != 0) : v ? json_string(v) : json_null());
    }
    return o;
}

int store_opinion_list(store *s, const char *site_id, const char *pdf_sha256, json_t **out, gisd_error *err)
{
    *out = NULL;
    int t = registered(s, err);
    if (t < 0)
        return -1;
    if (t == 0) {
        *out = json_array();
        return 0;
    }
    const char *p[2];
    int n = 0;
    sqlite3_str *b = sqlite3_str_new(NULL);
    sqlite3_str_appendall(b, "SELECT " SUMMARY " FROM gisd_opinions WHERE 1 = 1");
    if (site_id) {
        sqlite3_str_appendall(b, " AND site_id = ?");
        p[n++] = site_id;
    }
    if (pdf_sha256) {
        sqlite3_str_appendall(b, " AND pdf_sha256 = ?");
        p[n++] = pdf_sha256;
    }
    sqlite3_str_appendall(b, " ORDER BY year, serial");
    char *sql = store_sql_finish(b);
    json_t *rows = NULL;
    int rc = query(s, sql, n, p, &rows, err);
    sqlite3_free(sql);
    if (rc != 0)
        return -1;
    *out = json_array();
    for (size_t i = 0; i < json_array_size(rows); i++)
        json_array_append_new(*out, summary(rows, i));
    json_decref(rows);
    return 0;
}

store_found store_opinion_get(store *s, const char *number, json_t **record, char **pdf, size_t *pdf_len,
                              gisd_error *err)
{
    *record = NULL;
    if (pdf)
        *pdf = NULL;
    int t = registered(s, err);
    if (t <= 0)
        return t < 0 ? STORE_FAILED : STORE_ABSENT;
    const char *p[1] = {number};
    json_t *rows = NULL;
    if (query(s, pdf ? "SELECT " SUMMARY ", record, pdf FROM gisd_opinions WHERE number = ?"
                     : "SELECT " SUMMARY ", record FROM gisd_opinions WHERE number = ?",
              1, p, &rows, err) != 0)
        return STORE_FAILED;
    if (json_array_size(rows) == 0) {
        json_decref(rows);
        return STORE_ABSENT;
    }
    json_error_t jerr;
    json_t *rec = json_loads(cell(rows, 0, 9), 0, &jerr);
    if (!json_is_object(rec)) {
        json_decref(rec);
        json_decref(rows);
        gisd_fail(err, GISD_E_IO, "the register's record of %s is damaged: %s", number, jerr.text);
        return STORE_FAILED;
    }
    /* what the register knows beyond the record: who replaced it, the hashes */
    json_t *sum = summary(rows, 0);
    json_object_update(rec, sum);
    json_decref(sum);
    if (pdf) {
        char *b64 = xstrdup(cell(rows, 0, 10));
        int len = CPLBase64DecodeInPlace((GByte *)b64);
        *pdf = b64;
        *pdf_len = len > 0 ? (size_t)len : 0;
    }
    *record = rec;
    json_decref(rows);
    return STORE_FOUND;
}

store_found store_opinion_current(store *s, const char *site_id, char *number, size_t n, gisd_error *err)
{
    int t = registered(s, err);
    if (t <= 0)
        return t < 0 ? STORE_FAILED : STORE_ABSENT;
    const char *p[1] = {site_id};
    json_t *rows = NULL;
    if (query(s, "SELECT number FROM gisd_opinions WHERE site_id = ? AND superseded_by IS NULL"
                 " ORDER BY year DESC, serial DESC",
              1, p, &rows, err) != 0)
        return STORE_FAILED;
    const char *v = cell(rows, 0, 0);
    store_found found = v ? STORE_FOUND : STORE_ABSENT;
    if (v)
        snprintf(number, n, "%s", v);
    json_decref(rows);
    return found;
}
