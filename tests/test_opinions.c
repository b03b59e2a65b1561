/* The register of compliance opinions on a real server: issuing needs a
 * token with issue:opinions; an opinion issued is numbered by the rules
 * file's pattern, answers 201 with its Location, keeps its inputs, verdict,
 * data version and PDF (whose SHA-256 the register holds and whose text
 * names the number, the authority, the project and every standard cited);
 * a site issued again gets a new number superseding the old; the register
 * survives a restart; the command line issues, lists, shows and verifies.
 * Runs on both stores. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"

static char refdb[1200], issuer[80], editor[80], sitefile[1400], bare[1400], dir[1024];
static tu_server srv;

static void new_token(const char *name, const char *scope, char out[80])
{
    char *o;
    if (tu_run(&o, "'%s' token add --db '%s' --name %s --scope '%s' 2>/dev/null", tu_gisd(), refdb, name, scope) != 0)
        fail_msg("token add: %s", o);
    o[strcspn(o, "\n")] = 0;
    snprintf(out, 80, "%s", o);
    free(o);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("opinions"));
    tu_db(refdb, sizeof refdb, dir, "ref");
    tu_import_reference(refdb);
    new_token("officer", "issue:opinions", issuer);
    new_token("editor", "write:parks", editor);
    /* site01 of the reference sites with what an application names */
    json_t *sites = tu_json_file(tu_data("reference/sites.geojson"));
    json_t *f = json_deep_copy(json_array_get(json_object_get(sites, "features"), 0));
    json_t *p = json_object_get(f, "properties");
    json_object_set_new(p, "name", json_string("瓯江新材料产业化项目"));
    json_object_set_new(p, "applicant", json_string("温州瓯江新材料有限公司"));
    json_object_set_new(p, "reviewer", json_string("李审查"));
    snprintf(sitefile, sizeof sitefile, "%s/site01.geojson", dir);
    assert_int_equal(json_dump_file(f, sitefile, 0), 0);
    /* and as a drawing sends it: no class of its own */
    json_object_del(p, "project_class");
    snprintf(bare, sizeof bare, "%s/bare.geojson", dir);
    assert_int_equal(json_dump_file(f, bare, 0), 0);
    json_decref(f);
    json_decref(sites);
    tu_server_start(&srv, refdb);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    return 0;
}

/* POSTs file to /opinions with token (NULL: none): the status; the Location
 * into loc (may be NULL) and the body into *body. */
static int issue(const char *token, const char *file, const char *query, char loc[512], char **body)
{
    char auth[160] = "";
    if (token)
        snprintf(auth, sizeof auth, "-H 'Authorization: Bearer %s'", token);
    char *out;
    int rc = tu_run(&out, "curl -s -o '%s/body' -D '%s/headers' -w '%%{http_code}' %s -H 'Content-Type: application/geo+json' "
                          "--data-binary @'%s' '%s/opinions%s'",
                    dir, dir, auth, file, srv.base, query ? query : "");
    assert_int_equal(rc, 0);
    int status = atoi(out);
    free(out);
    if (loc) {
        loc[0] = 0;
        assert_int_equal(tu_run(&out, "sed -n 's/^[Ll]ocation: *//p' '%s/headers' | tr -d '\\r\\n'", dir), 0);
        snprintf(loc, 512, "%s", out);
        free(out);
    }
    assert_int_equal(tu_run(body, "cat '%s/body'", dir), 0);
    return status;
}

/* The number the shipped rules give this year's serial-th opinion. */
static void number_of(long long serial, char *out, size_t n)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    snprintf(out, n, "温资规选审〔%d〕%lld号", tm.tm_year + 1900, serial);
}

static json_t *get(const char *path, int want)
{
    char *body = NULL;
    assert_int_equal(tu_http(&srv, "GET", path, NULL, &body, NULL), want);
    json_t *j = tu_json_text(body);
    free(body);
    return j;
}

static void issuing_needs_the_scope(void **state)
{
    (void)state;
    char *body;
    assert_int_equal(issue(NULL, sitefile, NULL, NULL, &body), 401);
    assert_non_null(strstr(body, "Unauthorized"));
    free(body);
    assert_int_equal(issue(editor, sitefile, NULL, NULL, &body), 403);
    assert_non_null(strstr(body, "issue:opinions"));
    free(body);
    json_t *list = get("/opinions", 200);
    assert_int_equal(json_integer_value(json_object_get(list, "total")), 0);
    json_decref(list);
    /* one opinion is one site; a collection of them is refused, and nothing is numbered */
    assert_int_equal(issue(issuer, tu_data("reference/sites.geojson"), NULL, NULL, &body), 400);
    assert_non_null(strstr(body, "one site"));
    free(body);
    assert_int_equal(issue(issuer, bare, "?project_class=nope", NULL, &body), 400);
    assert_non_null(strstr(body, "M1"));
    free(body);
    list = get("/opinions", 200);
    assert_int_equal(json_integer_value(json_object_get(list, "total")), 0);
    json_decref(list);
}

static void an_opinion_is_numbered_kept_and_filed(void **state)
{
    (void)state;
    char loc[512], *body, number[256];
    number_of(1, number, sizeof number);
    assert_int_equal(issue(issuer, sitefile, NULL, loc, &body), 201);
    json_t *made = tu_json_text(body);
    free(body);
    assert_string_equal(json_string_value(json_object_get(made, "number")), number);
    assert_non_null(strstr(loc, "/opinions/%E6%B8%A9")); /* 温, percent-encoded */
    json_decref(made);

    json_t *rec = get(loc, 200);
    assert_string_equal(json_string_value(json_object_get(rec, "number")), number);
    assert_string_equal(json_string_value(json_object_get(rec, "authority")), "温州市自然资源和规划局");
    assert_string_equal(json_string_value(json_object_get(rec, "who")), "officer");
    assert_string_equal(json_string_value(json_object_get(rec, "site_id")), "site01");
    json_t *project = json_object_get(rec, "project");
    assert_string_equal(json_string_value(json_object_get(project, "name")), "瓯江新材料产业化项目");
    assert_string_equal(json_string_value(json_object_get(project, "applicant")), "温州瓯江新材料有限公司");
    assert_true(json_is_null(json_object_get(rec, "supersedes")));
    /* the verdict is the reference answer's */
    json_t *want = tu_json_file(tu_data("reference/expected/site-check.json"));
    json_t *verdict = json_pack("{s:O, s:O}", "compliant", json_object_get(rec, "compliant"), "rules",
                                json_object_get(rec, "rules"));
    char why[512];
    if (tu_json_match(verdict, json_object_get(want, "site01"), "site01", why, sizeof why) != 0)
        fail_msg("%s", why);
    json_decref(verdict);
    json_decref(want);
    /* the data it was computed on: every layer's change counter, and its digest */
    json_t *dv = json_object_get(rec, "data_version");
    assert_int_equal(strlen(json_string_value(json_object_get(dv, "digest"))), 16);
    assert_true(json_integer_value(json_object_get(json_object_get(dv, "changes"), "zones")) > 0);
    assert_non_null(json_object_get(json_object_get(rec, "site"), "geometry"));

    /* the PDF filed is the one whose hash the register keeps, and reads as an opinion */
    char *out;
    assert_int_equal(tu_run(&out, "curl -sf -o '%s/o1.pdf' '%s%s?f=pdf' && sha256sum '%s/o1.pdf' | cut -c1-64", dir,
                            srv.base, loc, dir),
                     0);
    out[strcspn(out, "\n")] = 0;
    assert_string_equal(out, json_string_value(json_object_get(rec, "pdf_sha256")));
    free(out);
    assert_int_equal(tu_run(&out, "pdftotext '%s/o1.pdf' - | tr -d ' \\n'", dir), 0);
    static const char *const needles[] = {"温州市自然资源和规划局", "瓯江新材料产业化项目", "温州瓯江新材料有限公司",
                                          "李审查", "GB50137-2011", "GB/T39499-2020", "GB18597-2023", "HJ338-2018",
                                          "发改环资〔2012〕765号", "国发〔2013〕37号", "核验"};
    for (size_t i = 0; i < sizeof needles / sizeof *needles; i++)
        if (!strstr(out, needles[i]))
            fail_msg("the opinion's text lacks \"%s\"", needles[i]);
    assert_non_null(strstr(out, number));
    assert_non_null(strstr(out, json_string_value(json_object_get(rec, "record_sha256"))));
    free(out);
    json_decref(rec);

    /* issued again: a new number that supersedes the first, which says so */
    char loc2[512], second[256];
    number_of(2, second, sizeof second);
    assert_int_equal(issue(issuer, sitefile, NULL, loc2, &body), 201);
    free(body);
    json_t *rec2 = get(loc2, 200);
    assert_string_equal(json_string_value(json_object_get(rec2, "number")), second);
    assert_string_equal(json_string_value(json_object_get(rec2, "supersedes")), number);
    json_decref(rec2);
    json_t *first = get(loc, 200);
    assert_string_equal(json_string_value(json_object_get(first, "superseded_by")), second);
    json_decref(first);
    assert_int_equal(tu_run(&out, "curl -sf '%s%s?f=pdf' | pdftotext - - | tr -d ' \\n'", srv.base, loc2), 0);
    assert_non_null(strstr(out, "本意见替代"));
    assert_non_null(strstr(out, number));
    free(out);
}

static void the_register_survives_a_restart_and_answers_the_cli(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    tu_server_start(&srv, refdb);
    json_t *list = get("/opinions", 200);
    assert_int_equal(json_integer_value(json_object_get(list, "total")), 2);
    json_t *o = json_array_get(json_object_get(list, "opinions"), 0);
    char number[256];
    snprintf(number, sizeof number, "%s", json_string_value(json_object_get(o, "number")));
    json_decref(list);
    json_t *none = get("/opinions/%E6%97%A0%E6%AD%A4%E5%8F%B7", 404);
    assert_string_equal(json_string_value(json_object_get(none, "code")), "NotFound");
    json_decref(none);

    /* the command line: issue another site with its PDF, verify it and an altered copy */
    char *out;
    assert_int_equal(tu_run(&out, "'%s' opinion issue --db '%s' --site '%s' --out '%s/cli.pdf' --who clerk", tu_gisd(),
                            refdb, sitefile, dir),
                     0);
    json_t *rec = tu_json_text(out);
    free(out);
    assert_string_equal(json_string_value(json_object_get(rec, "who")), "clerk");
    char third[256];
    snprintf(third, sizeof third, "%s", json_string_value(json_object_get(rec, "number")));
    assert_non_null(strstr(third, "3号"));
    json_decref(rec);
    assert_int_equal(tu_run(&out, "'%s' opinion verify --db '%s' '%s/cli.pdf'", tu_gisd(), refdb, dir), 0);
    assert_non_null(strstr(out, third));
    free(out);
    assert_int_equal(tu_run(&out, "cp '%s/cli.pdf' '%s/altered.pdf' && printf x >> '%s/altered.pdf' && "
                                  "'%s' opinion verify --db '%s' '%s/altered.pdf' 2>&1",
                            dir, dir, dir, tu_gisd(), refdb, dir),
                     1);
    assert_non_null(strstr(out, "altered"));
    free(out);
    assert_int_equal(tu_run(&out, "'%s' opinion show --db '%s' --number '%s'", tu_gisd(), refdb, number), 0);
    json_t *shown = tu_json_text(out);
    free(out);
    assert_non_null(json_string_value(json_object_get(shown, "superseded_by")));
    json_decref(shown);
    assert_int_equal(tu_run(&out, "'%s' opinion list --db '%s' --site-id site01", tu_gisd(), refdb), 0);
    json_t *all = tu_json_text(out);
    free(out);
    assert_int_equal(json_array_size(all), 3);
    json_decref(all);
    assert_int_equal(tu_run(&out, "'%s' opinion show --db '%s' --number nope 2>&1", tu_gisd(), refdb), 1);
    assert_non_null(strstr(out, "no opinion"));
    free(out);
    /* the server sees what the command line issued */
    list = get("/opinions?site_id=site01", 200);
    assert_int_equal(json_integer_value(json_object_get(list, "total")), 3);
    json_decref(list);

    /* three officers at once: three numbers, none drawn twice */
    assert_int_equal(tu_run(&out, "for k in 1 2 3; do { curl -s -o /dev/null -w '%%{http_code}\\n' -H 'Authorization: Bearer %s' "
                                  "--data-binary @'%s' '%s/opinions?project_class=M2' || echo curl-failed; } & done; wait",
                            issuer, bare, srv.base),
                     0);
    assert_string_equal(out, "201\n201\n201\n");
    free(out);
    list = get("/opinions", 200);
    assert_int_equal(json_integer_value(json_object_get(list, "total")), 6);
    size_t i;
    json_t *each;
    json_array_foreach(json_object_get(list, "opinions"), i, each) {
        char want[256];
        number_of((long long)i + 1, want, sizeof want);
        assert_string_equal(json_string_value(json_object_get(each, "number")), want);
    }
    json_decref(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(issuing_needs_the_scope),
        cmocka_unit_test(an_opinion_is_numbered_kept_and_filed),
        cmocka_unit_test(the_register_survives_a_restart_and_answers_the_cli),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
