/* The catalog's parameters: every kind and limit through param.c, then the
 * three doors (the command line, an HTTP query, an execute request) giving
 * the same value or the same refusal for the same input, on the real server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "testutil.h"

static char refdb[1200];
static tu_server srv;

static int setup(void **state)
{
    (void)state;
    tu_serve_reference("catalog", refdb, sizeof refdb, &srv);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    return 0;
}

static const param_def DEFS[] = {
    {"radius_m", PARAM_NUMBER, "m", 0, 50000, NULL, "1000", 0, "a radius"},
    {"p", PARAM_INT, NULL, 1, 100, NULL, NULL, 0, "a count"},
    {"capable", PARAM_BOOL, NULL, 0, 0, NULL, "false", 0, "a flag"},
    {"level", PARAM_CHOICE, NULL, 0, 0, "community|transit", "community", 0, "a choice"},
    {"park_id", PARAM_TEXT, NULL, 0, 0, NULL, NULL, 0, "an id"},
    {"analysis_crs", PARAM_CRS, NULL, 0, 0, NULL, NULL, 0, "a CRS"},
    {"budget_km", PARAM_NUMBER, "km", 0, 100, NULL, NULL, 1, "a required number"},
    {NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL}};

/* name=text is refused with a message holding want. */
static void refused(const char *name, const char *text, const char *want)
{
    param_values v;
    param_values_init(&v, DEFS, "test");
    gisd_error err = {0};
    if (param_set_text(&v, name, text, &err) == 0)
        fail_msg("%s=\"%s\" was taken", name, text);
    assert_int_equal(err.code, GISD_E_INPUT);
    if (!strstr(err.message, want))
        fail_msg("%s=\"%s\": \"%s\" does not say \"%s\"", name, text, err.message, want);
    param_values_free(&v);
}

static void every_kind_takes_its_values_and_refuses_the_rest(void **state)
{
    (void)state;
    param_values v;
    param_values_init(&v, DEFS, "test");
    gisd_error err = {0};
    assert_int_equal(param_set_text(&v, "radius_m", "500.5", &err), 0);
    assert_int_equal(param_set_text(&v, "p", "7", &err), 0);
    assert_int_equal(param_set_text(&v, "capable", "1", &err), 0);
    assert_int_equal(param_set_text(&v, "level", "transit", &err), 0);
    assert_int_equal(param_set_text(&v, "park_id", "P01", &err), 0);
    assert_int_equal(param_set_text(&v, "analysis_crs", "EPSG:4549", &err), 0);
    assert_int_equal(param_set_text(&v, "budget_km", "100", &err), 0); /* a limit is inside */
    assert_int_equal(param_finish(&v, &err), 0);
    assert_true(param_num(&v, "radius_m") == 500.5);
    assert_true(param_num(&v, "p") == 7);
    assert_true(param_num(&v, "capable") == 1);
    assert_string_equal(param_text(&v, "level"), "transit");
    assert_string_equal(param_text(&v, "park_id"), "P01");
    assert_true(param_num(&v, "analysis_crs") == 4549);
    assert_true(param_given(&v, "p"));
    param_values_free(&v);

    refused("radius_m", "", "must be a number from 0 to 50000 m");
    refused("radius_m", "12abc", "must be a number");
    refused("radius_m", "nan", "must be a number");
    refused("radius_m", "inf", "must be a number");
    refused("radius_m", "-1", "radius_m -1 is out of range");
    refused("radius_m", "50000.001", "out of range");
    refused("p", "1.5", "must be a whole number");
    refused("p", "0", "p 0 is out of range");
    refused("capable", "", "must be true or false"); /* no longer true at one door and false at another */
    refused("capable", "yes", "must be true or false");
    refused("level", "street", "one of community|transit");
    refused("park_id", "", "must not be empty");
    refused("analysis_crs", "EPSG:abc", "analysis_crs");
    refused("speed", "3", "takes no parameter \"speed\"; it takes radius_m, p, capable");
}

static void defaults_fill_in_and_required_ones_are_named(void **state)
{
    (void)state;
    param_values v;
    param_values_init(&v, DEFS, "test");
    gisd_error err = {0};
    assert_int_equal(param_finish(&v, &err), -1);
    assert_non_null(strstr(err.message, "test needs budget_km: a required number"));
    assert_int_equal(param_set_num(&v, "budget_km", 10, &err), 0);
    assert_int_equal(param_finish(&v, &err), 0);
    assert_true(param_num(&v, "radius_m") == 1000);
    assert_false(param_given(&v, "radius_m"));
    assert_true(param_num(&v, "capable") == 0);
    assert_string_equal(param_text(&v, "level"), "community");
    assert_null(param_text(&v, "park_id"));
    assert_int_equal(param_set_num(&v, "budget_km", 101, &err), -1); /* a module's value is checked too */
    assert_int_equal(param_set_num(&v, "p", 2.5, &err), -1);
    param_values_free(&v);
}

static void json_values_are_read_by_their_kind(void **state)
{
    (void)state;
    param_values v;
    param_values_init(&v, DEFS, "test");
    gisd_error err = {0};
    json_t *n = json_real(250), *i = json_integer(3), *t = json_true(), *s = json_string("true");
    assert_int_equal(param_set_json(&v, "radius_m", n, &err), 0);
    assert_int_equal(param_set_json(&v, "p", i, &err), 0);
    assert_int_equal(param_set_json(&v, "capable", t, &err), 0);
    assert_true(param_num(&v, "radius_m") == 250 && param_num(&v, "p") == 3 && param_num(&v, "capable") == 1);
    assert_int_equal(param_set_json(&v, "capable", s, &err), 0); /* "true" as its text would be */
    assert_int_equal(param_set_json(&v, "capable", i, &err), -1); /* 3 is no boolean */
    assert_non_null(strstr(err.message, "capable must be true or false"));
    assert_int_equal(param_set_json(&v, "radius_m", t, &err), -1);
    assert_non_null(strstr(err.message, "radius_m must be a number"));
    json_decref(n);
    json_decref(i);
    json_decref(t);
    json_decref(s);
    /* every parameter of every entry has a JSON Schema and a command-line name */
    for (const catalog_entry *e = CATALOG; e->id; e++)
        for (const param_def *p = e->params; p->name; p++) {
            json_t *schema = param_schema(p);
            assert_non_null(json_object_get(schema, "type"));
            json_decref(schema);
            char cli[64];
            param_cli_name(p, cli, sizeof cli);
            assert_null(strchr(cli, '_'));
        }
    param_values_free(&v);
}

/* Door 1: gisd analyze NAME ARGS; the exit status, the output in *out. */
static int cli(const char *name, const char *args, char **out)
{
    return tu_run(out, "'%s' analyze %s --db '%s' %s 2>&1", tu_gisd(), name, refdb, args);
}

/* Door 3: an execute request; the status, the body in *out. */
static int execute(const char *name, const char *inputs, char **out)
{
    FILE *f = fopen("build/tmp/catalog-exec.json", "w");
    assert_non_null(f);
    fprintf(f, "{\"inputs\": %s}", inputs);
    fclose(f);
    char path[128];
    snprintf(path, sizeof path, "/processes/%s/execution", name);
    return tu_http(&srv, "POST", path, "build/tmp/catalog-exec.json", out, NULL);
}

/* The description of an error body (taken), the caller's. */
static char *description(char *body)
{
    json_t *j = tu_json_text(body);
    const char *d = json_string_value(json_object_get(j, "description"));
    char *out = strdup(d ? d : body);
    json_decref(j);
    free(body);
    return out;
}

static void the_three_doors_refuse_alike(void **state)
{
    (void)state;
    static const struct {
        const char *name, *cli, *query, *json, *want;
    } cases[] = {
        {"hw-proximity", "--capable=", "capable=", "{\"capable\": \"\"}", "capable \"\" must be true or false"},
        {"hw-proximity", "--max-km 0", "max_km=0", "{\"max_km\": 0}", "max_km 0 is out of range"},
        {"heating-coverage", "--radius-m 1e300", "radius_m=1e300", "{\"radius_m\": 1e300}", "radius_m"},
        {"heating-coverage", "--radius-m -5", "radius_m=-5", "{\"radius_m\": -5}", "radius_m -5 is out of range"},
        {"recycling-coverage", "--level street", "level=street", "{\"level\": \"street\"}",
         "level \"street\" must be one of community|transit|sorting|any"},
        {"symbiosis", "--park-id=", "park_id=", "{\"park_id\": \"\"}", "park_id must not be empty"},
        {"heating-coverage", "--analysis-crs EPSG:3857", "analysis_crs=EPSG:3857", "{\"analysis_crs\": \"EPSG:3857\"}",
         "distorts distances"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *a, *b, *c, path[256];
        int rc = cli(cases[i].name, cases[i].cli, &a);
        snprintf(path, sizeof path, "/analysis/%s?%s", cases[i].name, cases[i].query);
        int sb = tu_http(&srv, "GET", path, NULL, &b, NULL);
        int sc = execute(cases[i].name, cases[i].json, &c);
        b = description(b);
        c = description(c);
        if (rc != 1 || sb != 400 || sc != 400 || !strstr(a, cases[i].want) || !strstr(b, cases[i].want) ||
            !strstr(c, cases[i].want))
            fail_msg("%s %s: cli %d \"%s\", query %d \"%s\", execute %d \"%s\"; want 1/400/400 with \"%s\"",
                     cases[i].name, cases[i].cli, rc, a, sb, b, sc, c, cases[i].want);
        free(a);
        free(b);
        free(c);
    }
}

static void the_three_doors_answer_alike(void **state)
{
    (void)state;
    static const struct {
        const char *name, *cli, *query, *json;
    } cases[] = {
        {"hw-proximity", "--capable --max-km 30", "capable=true&max_km=30", "{\"capable\": true, \"max_km\": 30}"},
        {"heating-coverage", "--radius-m=500 --park-id WZ01", "radius_m=500&park_id=WZ01",
         "{\"radius_m\": 500, \"park_id\": \"WZ01\"}"},
        {"recycling-coverage", "--level any", "level=any", "{\"level\": \"any\"}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *a, *b, *c, path[256];
        assert_int_equal(cli(cases[i].name, cases[i].cli, &a), 0);
        snprintf(path, sizeof path, "/analysis/%s?%s", cases[i].name, cases[i].query);
        assert_int_equal(tu_http(&srv, "GET", path, NULL, &b, NULL), 200);
        assert_int_equal(execute(cases[i].name, cases[i].json, &c), 200);
        json_t *ja = tu_json_text(a), *jb = tu_json_text(b), *jc = tu_json_text(c);
        if (!json_equal(ja, jb) || !json_equal(ja, jc))
            fail_msg("%s: the doors differ", cases[i].name);
        json_decref(ja);
        json_decref(jb);
        json_decref(jc);
        free(a);
        free(b);
        free(c);
    }
    /* the given radius reached the analysis */
    char *out;
    assert_int_equal(cli("heating-coverage", "--radius-m=500", &out), 0);
    json_t *j = tu_json_text(out);
    assert_true(json_number_value(json_object_get(j, "radius_m")) == 500);
    json_decref(j);
    free(out);
}

static void the_readme_tables_are_the_catalog(void **state)
{
    (void)state;
    char *out, *readme;
    assert_int_equal(tu_run(&out, "'%s' catalog --markdown", tu_gisd()), 0);
    assert_int_equal(tu_run(&readme, "sed -n '/<!-- gisd catalog --markdown: begin -->/,/<!-- gisd catalog "
                                     "--markdown: end -->/p' '%s/README.md' | sed '1d;$d'",
                            tu_root()),
                     0);
    if (strcmp(out, readme) != 0)
        fail_msg("README.md's parameter tables differ from gisd catalog --markdown: copy its output between the markers");
    assert_non_null(strstr(out, "| `radius_m` | `--radius-m` | number | `1000` | 0 to 50000 m |"));
    free(out);
    free(readme);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_takes_its_values_and_refuses_the_rest),
        cmocka_unit_test(defaults_fill_in_and_required_ones_are_named),
        cmocka_unit_test(json_values_are_read_by_their_kind),
        cmocka_unit_test(the_three_doors_refuse_alike),
        cmocka_unit_test(the_three_doors_answer_alike),
        cmocka_unit_test(the_readme_tables_are_the_catalog),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
