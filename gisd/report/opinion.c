/* Issuing a compliance opinion as a document of record: its number drawn
 * from the register, the verdict, the data it was computed on and the PDF
 * all made inside one write transaction, so that the number, the verdict
 * and the PDF kept agree with each other and with the data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis.h"
#include "digest.h"
#include "report.h"
#include "xalloc.h"

/* What the opinion was computed on: the dataset's name, its newest import
 * and every layer's change counter (which every import and edit bumps).
 * New reference; NULL with err. */
static json_t *data_version(store *s, const layer_registry *reg, gisd_error *err)
{
    char name[128] = "";
    if (store_meta_get(s, "dataset", name, sizeof name, err) == STORE_FAILED)
        return NULL;
    store_import_row *rows = NULL;
    size_t nrows = 0;
    if (store_import_history(s, &rows, &nrows, err) != 0)
        return NULL;
    long long *changes = xcalloc(reg->n + 1, sizeof *changes);
    if (store_layer_changes(s, changes, err) != 0) {
        free(changes);
        free(rows);
        return NULL;
    }
    json_t *layers = json_object();
    for (size_t i = 0; i < reg->n; i++)
        json_object_set_new(layers, reg->layers[i].id, json_integer(changes[i]));
    json_t *v = json_pack("{s:s, s:s?, s:o}", "dataset", name, "imported", nrows ? rows[0].imported_at : NULL,
                          "changes", layers);
    free(changes);
    free(rows);
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    char hex[65];
    digest_sha256_hex(text, hex);
    free(text);
    hex[16] = '\0'; /* a name for it: the data itself is in the record */
    json_object_set_new(v, "digest", json_string(hex));
    return v;
}

/* The parts of v that decided the verdict, as the record keeps them. */
static json_t *used_params(const param_values *v)
{
    json_t *o = json_object();
    static const char *const NAMES[] = {"srs", "project_class", "coal_boiler_tph", "analysis_crs"};
    for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++) {
        if (!param_given(v, NAMES[i]))
            continue;
        if (strcmp(NAMES[i], "coal_boiler_tph") == 0)
            json_object_set_new(o, NAMES[i], json_real(param_num(v, NAMES[i])));
        else
            json_object_set_new(o, NAMES[i], json_string(param_text(v, NAMES[i])));
    }
    return o;
}

/* Steps 2..: inside the transaction. 0 with *record, or -1 with err. */
static int issue_in(store *s, const layer_registry *reg, const site_rules *rules, json_t *site,
                    const param_values *v, const char *who, json_t **record, gisd_error *err)
{
    int srid, geojson;
    if (analysis_setup(s, reg, v, &srid, &geojson, err) != 0)
        return -1;
    json_t *answer = NULL;
    if (analysis_site_check(s, reg, srid, rules, site, 0, &answer, err) != 0)
        return -1;
    json_t *dv = data_version(s, reg, err);
    if (!dv) {
        json_decref(answer);
        return -1;
    }
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char date[16], issued[32];
    strftime(date, sizeof date, "%Y-%m-%d", &tm);
    store_utc_now(issued, sizeof issued);
    long long serial;
    int rc = store_opinion_next_serial(s, tm.tm_year + 1900, &serial, err);
    json_t *props = json_object_get(site, "properties");
    const char *site_id = json_string_value(json_object_get(props, "id"));
    if (!site_id)
        site_id = json_string_value(json_object_get(site, "id"));
    char number[256], old[256];
    int supersedes = 0;
    if (rc == 0) {
        rules_opinion_number(rules, tm.tm_year + 1900, serial, number, sizeof number);
        store_found f = site_id ? store_opinion_current(s, site_id, old, sizeof old, err) : STORE_ABSENT;
        rc = f == STORE_FAILED ? -1 : 0;
        supersedes = f == STORE_FOUND;
    }
    if (rc != 0) {
        json_decref(answer);
        json_decref(dv);
        return -1;
    }
    json_t *rec = json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s?, s:s?, s:{s:s?, s:s?, s:s?, s:O?, s:O?}, s:O, s:O, "
                            "s:O, s:O, s:o, s:s?}",
                            "number", number, "authority", rules->authority, "authority_code",
                            rules->authority_code[0] ? rules->authority_code : NULL, "date", date, "issued", issued,
                            "who", who, "site_id", site_id, "project", "name",
                            json_string_value(json_object_get(props, "name")), "applicant",
                            json_string_value(json_object_get(props, "applicant")), "reviewer",
                            json_string_value(json_object_get(props, "reviewer")), "project_class",
                            json_object_get(props, "project_class"), "coal_boiler_tph",
                            json_object_get(props, "coal_boiler_tph"), "compliant",
                            json_object_get(answer, "compliant"), "rules", json_object_get(answer, "rules"),
                            "site", site, "data_version", dv, "params", used_params(v), "supersedes",
                            supersedes ? old : NULL);
    char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    char rec_hash[65];
    digest_sha256_hex(text, rec_hash);
    report_stamp stamp = {number, rules->authority, date, supersedes ? old : NULL, rec_hash,
                          json_string_value(json_object_get(dv, "digest"))};
    strbuf pdf = {0};
    rc = report_opinion_pdf(s, reg, rules, srid, site, answer, &stamp, &pdf, err);
    char pdf_hash[65] = "";
    if (rc == 0) {
        digest_sha256_bytes_hex(pdf.data, pdf.len, pdf_hash);
        store_opinion o = {number, tm.tm_year + 1900, serial, issued, who, site_id,
                           json_is_true(json_object_get(answer, "compliant")), supersedes ? old : NULL, text,
                           rec_hash, pdf_hash, pdf.data, pdf.len};
        rc = store_opinion_add(s, &o, err);
    }
    if (rc == 0) {
        json_object_set_new(rec, "record_sha256", json_string(rec_hash));
        json_object_set_new(rec, "pdf_sha256", json_string(pdf_hash));
        json_object_set_new(rec, "superseded_by", json_null());
        *record = rec;
    } else {
        json_decref(rec);
    }
    free(text);
    strbuf_free(&pdf);
    json_decref(answer);
    json_decref(dv);
    return rc;
}

int opinion_issue(store *s, const layer_registry *reg, const site_rules *rules, json_t *site, const param_values *v,
                  const char *who, json_t **record, gisd_error *err)
{
    *record = NULL;
    json_t *prepared = NULL;
    if (site_input_prepare(site, v, &prepared, err) != 0)
        return -1;
    if (site_input_is_batch(prepared)) {
        size_t n = json_array_size(json_object_get(prepared, "features"));
        json_decref(prepared);
        return gisd_fail(err, GISD_E_INPUT, "an opinion is issued for one site; these are %zu", n);
    }
    if (store_begin(s, err) != 0) {
        json_decref(prepared);
        return -1;
    }
    int rc = issue_in(s, reg, rules, prepared, v, who ? who : "cli", record, err);
    if (rc == 0)
        rc = store_commit(s, err);
    else
        store_rollback(s);
    if (rc != 0) {
        json_decref(*record);
        *record = NULL;
    }
    json_decref(prepared);
    return rc;
}
