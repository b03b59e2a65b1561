/* The layer registry: the shipped definitions, and refusals of broken ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "testutil.h"

static void shipped_layers_are_the_eleven_of_the_spec(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/layers", tu_root());
    layer_registry *reg;
    gisd_error err = {0};
    assert_int_equal(layer_registry_load(dir, &reg, &err), 0);
    assert_int_equal(reg->n, 11);
    const layer_def *e = layer_registry_find(reg, "enterprises");
    assert_non_null(e);
    assert_string_equal(e->id_field, "ent_id");
    assert_int_equal(e->geometry, GEOM_POINT);
    assert_int_equal(e->fields[layer_field_index(e, "boiler_tph")].type, FIELD_REAL);
    const layer_def *p = layer_registry_find(reg, "parks");
    assert_int_equal(p->geometry, GEOM_MULTIPOLYGON);
    assert_int_equal(p->fields[layer_field_index(p, "circular_retrofit")].type, FIELD_INTEGER);
    assert_int_equal(layer_registry_find(reg, "heat_network")->geometry, GEOM_MULTILINESTRING);
    assert_null(layer_registry_find(reg, "nope"));
    layer_registry_free(reg);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void expect_refusal(const char *text, const char *needle)
{
    const char *dir = tu_tmpdir("layers");
    write_file(dir, "x.layer.json", text);
    layer_registry *reg = NULL;
    gisd_error err = {0};
    assert_int_equal(layer_registry_load(dir, &reg, &err), -1);
    assert_null(reg);
    assert_non_null(strstr(err.message, "x.layer.json"));
    if (!strstr(err.message, needle))
        fail_msg("\"%s\" does not say \"%s\"", err.message, needle);
}

static void broken_definitions_are_refused_by_name(void **state)
{
    (void)state;
    expect_refusal("{\"id\": \"a\", ", "line");
    expect_refusal("{\"id\": \"Bad-Id\", \"geometry\": \"Point\", \"id_field\": \"a\","
                   " \"fields\": [{\"name\": \"a\", \"type\": \"text\"}]}", "lower-case");
    expect_refusal("{\"id\": \"a\", \"geometry\": \"Circle\", \"id_field\": \"a\","
                   " \"fields\": [{\"name\": \"a\", \"type\": \"text\"}]}", "Circle");
    expect_refusal("{\"id\": \"a\", \"geometry\": \"Point\", \"id_field\": \"b\","
                   " \"fields\": [{\"name\": \"a\", \"type\": \"text\"}]}", "id_field");
    expect_refusal("{\"id\": \"a\", \"geometry\": \"Point\", \"id_field\": \"a\","
                   " \"fields\": [{\"name\": \"a\", \"type\": \"datetime\"}]}", "type");
    expect_refusal("{\"id\": \"a\", \"geometry\": \"Point\", \"id_field\": \"a\","
                   " \"fields\": [{\"name\": \"a\", \"type\": \"text\"},"
                   " {\"name\": \"a\", \"type\": \"text\"}]}", "twice");
    /* labels and overviews name fields the layer has, on geometries they suit */
    expect_refusal("{\"id\": \"a\", \"geometry\": \"Point\", \"id_field\": \"a\", \"label\": \"a\","
                   " \"fields\": [{\"name\": \"a\", \"type\": \"text\"}]}", "polygon layers");
    expect_refusal("{\"id\": \"a\", \"geometry\": \"Polygon\", \"id_field\": \"a\", \"label\": \"b\","
                   " \"fields\": [{\"name\": \"a\", \"type\": \"text\"}]}", "label");
    expect_refusal("{\"id\": \"a\", \"geometry\": \"Polygon\", \"id_field\": \"a\", \"overview\": {},"
                   " \"fields\": [{\"name\": \"a\", \"type\": \"text\"}]}", "dissolve");
    expect_refusal("{\"id\": \"a\", \"geometry\": \"Point\", \"id_field\": \"a\", \"overview\": {\"sum\": \"a\"},"
                   " \"fields\": [{\"name\": \"a\", \"type\": \"text\"}]}", "number field");
    expect_refusal("{\"id\": \"a\", \"geometry\": \"LineString\", \"id_field\": \"a\", \"overview\": {},"
                   " \"fields\": [{\"name\": \"a\", \"type\": \"text\"}]}", "polygon and point");
}

static void a_deployment_can_add_a_layer(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("layers-add");
    write_file(dir, "wells.layer.json",
               "{\"id\": \"wells\", \"title\": \"Wells\", \"geometry\": \"Point\", \"id_field\": "
               "\"well_id\", \"fields\": [{\"name\": \"well_id\", \"type\": \"text\"}, "
               "{\"name\": \"depth_m\", \"type\": \"real\"}]}");
    layer_registry *reg;
    assert_int_equal(layer_registry_load(dir, &reg, NULL), 0);
    assert_int_equal(reg->n, 1);
    assert_string_equal(reg->layers[0].title, "Wells");
    layer_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shipped_layers_are_the_eleven_of_the_spec),
        cmocka_unit_test(broken_definitions_are_refused_by_name),
        cmocka_unit_test(a_deployment_can_add_a_layer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
