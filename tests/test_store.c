/* The store on its own, on the backend the harness runs it on: schema,
 * replace, stats, cursors with bbox, filters and paging, the edit protocol. */
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "testutil.h"

static layer_registry *reg;

static int setup(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/layers", tu_root());
    return layer_registry_load(dir, &reg, NULL);
}

static int teardown(void **state)
{
    (void)state;
    layer_registry_free(reg);
    return 0;
}

/* WKB of a point, from WKT through OGR. */
static size_t point_wkb(double x, double y, unsigned char *buf)
{
    OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(g, 0, x, y);
    size_t n = (size_t)OGR_G_WkbSize(g);
    OGR_G_ExportToIsoWkb(g, wkbNDR, buf);
    OGR_G_DestroyGeometry(g);
    return n;
}

static void put_community(store *s, const layer_def *l, const char *id, int households, double x,
                          double y)
{
    store_value v[3] = {{.text = id}, {.text = "社区"}, {.i = households}};
    unsigned char wkb[64];
    size_t n = point_wkb(x, y, wkb);
    gisd_error err = {0};
    assert_int_equal(store_layer_insert(s, l, v, wkb, n, 1, -1, &err), 0);
}

static store *fresh_store(const char *name, char *path, size_t n)
{
    tu_db(path, n, tu_tmpdir(name), name);
    store *s;
    int created = 0;
    gisd_error err = {0};
    assert_int_equal(store_open(path, STORE_READWRITE, reg, &s, &created, &err), 0);
    assert_true(created);
    return s;
}

static void replace_then_read_back(void **state)
{
    (void)state;
    char path[1200];
    store *s = fresh_store("store-read", path, sizeof path);
    const layer_def *l = layer_registry_find(reg, "communities");
    gisd_error err = {0};
    assert_int_equal(store_begin(s, &err), 0);
    assert_int_equal(store_layer_replace_begin(s, l, &err), 0);
    put_community(s, l, "C1", 100, 120.0, 28.0);
    put_community(s, l, "C2", 200, 120.5, 28.5);
    put_community(s, l, "C3", 300, 121.0, 29.0);
    assert_int_equal(store_layer_replace_end(s, l, &err), 0);
    assert_int_equal(store_commit(s, &err), 0);

    store_layer_stats st;
    assert_int_equal(store_layer_stats_get(s, l, &st, &err), 0);
    assert_int_equal(st.count, 3);
    assert_int_equal(st.changes, 1);
    assert_true(st.has_extent);
    assert_float_equal(st.minx, 120.0, 1e-9);
    assert_float_equal(st.maxy, 29.0, 1e-9);

    store_query q = {.has_bbox = 1, .bbox = {120.2, 28.2, 121.5, 29.5}, .limit = -1,
                     .geom_format = STORE_GEOM_GEOJSON, .precision = 3};
    long long n = 0;
    assert_int_equal(store_query_count(s, l, &q, &n, &err), 0);
    assert_int_equal(n, 2);
    store_cursor *c;
    assert_int_equal(store_cursor_open(s, l, &q, &c, &err), 0);
    assert_int_equal(store_cursor_next(c, &err), 1);
    assert_string_equal(store_cursor_text(c, 0), "C2");
    assert_int_equal(store_cursor_int(c, 2), 200);
    size_t glen;
    const char *g = store_cursor_geom(c, &glen);
    assert_non_null(strstr(g, "[120.5,28.5]"));
    assert_int_equal(store_cursor_next(c, &err), 1);
    assert_string_equal(store_cursor_text(c, 0), "C3");
    assert_int_equal(store_cursor_next(c, &err), 0);
    store_cursor_free(c);
    store_close(s);
}

/* One replace of the communities through s: bumps their change counter. */
static void replace_communities(store *s, const layer_def *l, int households)
{
    gisd_error err = {0};
    assert_int_equal(store_begin(s, &err), 0);
    assert_int_equal(store_layer_replace_begin(s, l, &err), 0);
    put_community(s, l, "C1", households, 120.0, 28.0);
    assert_int_equal(store_layer_replace_end(s, l, &err), 0);
    assert_int_equal(store_commit(s, &err), 0);
}

static long long communities_changes(store *s, const layer_def *l)
{
    long long *all = calloc(reg->n, sizeof *all);
    gisd_error err = {0};
    assert_int_equal(store_layer_changes(s, all, &err), 0);
    long long n = all[l - reg->layers];
    free(all);
    return n;
}

/* The change counters are asked before every tile, and the SpatiaLite store
 * reuses its last read while the WAL is untouched: a write through another
 * connection must still show at once, both right after a read and after
 * reads that had settled (reused for a while). */
static void another_connections_write_shows_at_once(void **state)
{
    (void)state;
    char path[1200];
    store *a = fresh_store("store-changes", path, sizeof path);
    const layer_def *l = layer_registry_find(reg, "communities");
    replace_communities(a, l, 1);
    store *b;
    int created = 0;
    gisd_error err = {0};
    assert_int_equal(store_open(path, STORE_READWRITE, reg, &b, &created, &err), 0);
    long long c0 = communities_changes(a, l);
    assert_true(c0 >= 1);
    replace_communities(b, l, 2);
    assert_int_equal(communities_changes(a, l), c0 + 1);
    for (int round = 0; round < 3; round++) {
        /* long enough for a read to be reused, then reused */
        struct timespec pause = {0, 70 * 1000 * 1000};
        nanosleep(&pause, NULL);
        long long before = communities_changes(a, l);
        assert_int_equal(communities_changes(a, l), before);
        replace_communities(b, l, 3 + round);
        assert_int_equal(communities_changes(a, l), before + 1);
        /* and with no pause at all */
        replace_communities(b, l, 10 + round);
        assert_int_equal(communities_changes(a, l), before + 2);
    }
    store_close(b);
    store_close(a);
}

static void filters_paging_and_reprojection(void **state)
{
    (void)state;
    char path[1200];
    store *s = fresh_store("store-filter", path, sizeof path);
    const layer_def *l = layer_registry_find(reg, "communities");
    gisd_error err = {0};
    assert_int_equal(store_begin(s, &err), 0);
    assert_int_equal(store_layer_replace_begin(s, l, &err), 0);
    char id[16];
    for (int i = 0; i < 25; i++) {
        snprintf(id, sizeof id, "C%02d", i);
        put_community(s, l, id, i % 2 ? 7 : 8, 120.0 + i * 0.01, 28.0);
    }
    assert_int_equal(store_layer_replace_end(s, l, &err), 0);
    assert_int_equal(store_commit(s, &err), 0);

    const char *ff[] = {"households"}, *fv[] = {"7"};
    store_query q = {.nfilters = 1, .filter_fields = ff, .filter_values = fv, .limit = 5,
                     .offset = 10, .geom_format = STORE_GEOM_WKB};
    long long n;
    assert_int_equal(store_query_count(s, l, &q, &n, &err), 0);
    assert_int_equal(n, 12);
    store_cursor *c;
    assert_int_equal(store_cursor_open(s, l, &q, &c, &err), 0);
    int rows = 0;
    while (store_cursor_next(c, &err) == 1)
        rows++;
    assert_int_equal(rows, 2);
    store_cursor_free(c);

    /* The Gauss-Kruger zone of 120E: x is 500 km at the central meridian. */
    store_query t = {.feature_id = "C00", .limit = 1, .out_srid = 4549,
                     .geom_format = STORE_GEOM_WKB};
    assert_int_equal(store_cursor_open(s, l, &t, &c, &err), 0);
    assert_int_equal(store_cursor_next(c, &err), 1);
    size_t len;
    const void *wkb = store_cursor_geom(c, &len);
    OGRGeometryH g = NULL;
    assert_int_equal(OGR_G_CreateFromWkb(wkb, NULL, &g, (int)len), OGRERR_NONE);
    assert_float_equal(OGR_G_GetX(g, 0), 500000.0, 0.01);
    assert_float_equal(OGR_G_GetY(g, 0), 3098441.747, 0.01); /* cs2cs EPSG:4490 EPSG:4549 */
    OGR_G_DestroyGeometry(g);
    store_cursor_free(c);

    const char *bad[] = {"no_such_field"};
    store_query b = {.nfilters = 1, .filter_fields = bad, .filter_values = fv, .limit = 1};
    assert_int_equal(store_query_count(s, l, &b, &n, &err), -1);
    assert_int_equal(err.code, GISD_E_INPUT);
    store_close(s);
}

static void rollback_leaves_the_store_as_it_was(void **state)
{
    (void)state;
    char path[1200];
    store *s = fresh_store("store-rollback", path, sizeof path);
    const layer_def *l = layer_registry_find(reg, "communities");
    gisd_error err = {0};
    assert_int_equal(store_begin(s, &err), 0);
    assert_int_equal(store_layer_replace_begin(s, l, &err), 0);
    put_community(s, l, "C1", 1, 120.0, 28.0);
    assert_int_equal(store_layer_replace_end(s, l, &err), 0);
    assert_int_equal(store_commit(s, &err), 0);
    char before[65], after[65];
    tu_store_digest(path, before);

    assert_int_equal(store_begin(s, &err), 0);
    assert_int_equal(store_layer_replace_begin(s, l, &err), 0);
    put_community(s, l, "C9", 1, 120.0, 28.0);
    store_value v[3] = {{.text = "C9"}, {.is_null = 1}, {.is_null = 1}};
    unsigned char wkb[64];
    size_t n = point_wkb(120, 28, wkb);
    assert_int_equal(store_layer_insert(s, l, v, wkb, n, 2, -1, &err), -1);
    assert_non_null(strstr(err.message, "feature 2"));
    assert_non_null(strstr(err.message, "twice"));
    store_rollback(s);
    tu_store_digest(path, after);
    assert_string_equal(before, after);
    store_close(s);
}

static void readonly_open_of_a_missing_store_says_what_to_do(void **state)
{
    (void)state;
    store *s = NULL;
    gisd_error err = {0};
    char path[1200] = "/nonexistent/x.sqlite";
    if (tu_on_pg()) /* a database without gisd's schema */
        tu_db(path, sizeof path, tu_tmpdir("store-missing"), "missing");
    assert_int_equal(store_open(path, STORE_READONLY, reg, &s, NULL, &err), -1);
    assert_non_null(strstr(err.message, "gisd import"));
}

/* One edit through store_edit_apply: a CREATE of community id. */
static int create_community(store *s, const layer_def *l, const char *id, long long *change, char etag[65],
                            gisd_error *err)
{
    store_value v[3] = {{.text = id}, {.text = "社区"}, {.i = 10}};
    unsigned char wkb[64];
    size_t n = point_wkb(120.1, 28.1, wkb);
    store_edit e = {.kind = STORE_CREATE, .values = v, .wkb = wkb, .wkb_len = n, .who = "test", .action = "create"};
    char id_out[STORE_ID_MAX + 1];
    return store_edit_apply(s, l, &e, change, etag, id_out, err);
}

/* The edit protocol (store.c, above either backend's primitives): a
 * create's id taken once, the ETag of what is stored, a stale If-Match and
 * an absent feature refused by name, every write one history row and one
 * more change of the layer; lookups say found or absent by name. */
static void the_edit_protocol_holds_on_this_backend(void **state)
{
    (void)state;
    char path[1200];
    store *s = fresh_store("store-edit", path, sizeof path);
    const layer_def *l = layer_registry_find(reg, "communities");
    gisd_error err = {0};
    long long change = 0, before_changes;
    char etag[65], now[65], *geojson = NULL;
    assert_int_equal(create_community(s, l, "E1", &change, etag, &err), 0);
    assert_true(change > 0);
    assert_int_equal(strlen(etag), 64);
    assert_int_equal(store_feature_state(s, l, "E1", &geojson, now, &err), STORE_FOUND);
    assert_string_equal(etag, now); /* the ETag is the stored feature's */
    assert_non_null(strstr(geojson, "\"E1\""));
    free(geojson);
    assert_int_equal(store_feature_state(s, l, "NONE", &geojson, now, &err), STORE_ABSENT);
    assert_null(geojson);
    assert_string_equal(now, "");

    store_layer_stats st;
    assert_int_equal(store_layer_stats_get(s, l, &st, &err), 0);
    before_changes = st.changes;
    assert_int_equal(create_community(s, l, "E1", &change, now, &err), -1);
    assert_int_equal(err.code, GISD_E_CONFLICT);
    assert_int_equal(change, 0);

    store_edit del = {.kind = STORE_DELETE, .feature_id = "E1", .if_match = "0000", .who = "test", .action = "delete"};
    assert_int_equal(store_edit_apply(s, l, &del, &change, now, NULL, &err), -1);
    assert_int_equal(err.code, GISD_E_STALE);
    assert_non_null(strstr(err.message, etag)); /* it says what the ETag is now */
    del.if_match = etag;
    assert_int_equal(store_edit_apply(s, l, &del, &change, now, NULL, &err), 0);
    assert_string_equal(now, "");
    assert_int_equal(store_edit_apply(s, l, &del, &change, now, NULL, &err), -1);
    assert_int_equal(err.code, GISD_E_NOTFOUND);
    char longid[STORE_ID_MAX + 2];
    memset(longid, 'x', sizeof longid - 1);
    longid[sizeof longid - 1] = 0;
    del.feature_id = longid;
    del.if_match = NULL;
    assert_int_equal(store_edit_apply(s, l, &del, &change, now, NULL, &err), -1);
    assert_int_equal(err.code, GISD_E_NOTFOUND);

    assert_int_equal(store_layer_stats_get(s, l, &st, &err), 0);
    assert_int_equal(st.changes, before_changes + 1); /* the delete; no refused write counted */
    json_t *rows;
    assert_int_equal(store_history(s, "communities", "E1", 0, &rows, &err), 0);
    assert_int_equal(json_array_size(rows), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "action")), "create");
    assert_true(json_is_null(json_object_get(json_array_get(rows, 0), "before")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "action")), "delete");
    assert_true(json_is_null(json_object_get(json_array_get(rows, 1), "after")));
    json_decref(rows);

    char value[64], name[128], scope[512];
    assert_int_equal(store_meta_get(s, "no-such-key", value, sizeof value, &err), STORE_ABSENT);
    assert_int_equal(store_meta_set(s, "k", "v", &err), 0);
    assert_int_equal(store_meta_get(s, "k", value, sizeof value, &err), STORE_FOUND);
    assert_string_equal(value, "v");
    assert_int_equal(store_token_find(s, "feed", name, scope, &err), STORE_ABSENT);
    assert_int_equal(store_token_add(s, "t", "admin", "feed", &err), 0);
    assert_int_equal(store_token_find(s, "feed", name, scope, &err), STORE_FOUND);
    assert_string_equal(name, "t");
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replace_then_read_back),
        cmocka_unit_test(another_connections_write_shows_at_once),
        cmocka_unit_test(filters_paging_and_reprojection),
        cmocka_unit_test(rollback_leaves_the_store_as_it_was),
        cmocka_unit_test(readonly_open_of_a_missing_store_says_what_to_do),
        cmocka_unit_test(the_edit_protocol_holds_on_this_backend),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
