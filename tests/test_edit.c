/* Safe editing (OGC API - Features Part 4) on a real server: tokens and their
 * scopes, create/replace/update/delete with ETags and If-Match, a race of two
 * writers, a refused write that leaves the store byte-identical, history and
 * revert, the change counters that tiles and analyses read, TLS, plain-HTTP
 * writes refused off loopback, and bad tokens slowed down. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strbuf.h"
#include "testutil.h"

static char refdb[1200], token[80], zones_token[80];
static tu_server srv;

static void new_token(const char *db, const char *name, const char *scope, char out[80])
{
    char *o;
    if (tu_run(&o, "'%s' token add --db '%s' --name %s --scope '%s' 2>/dev/null", tu_gisd(), db, name, scope) != 0)
        fail_msg("token add: %s", o);
    o[strcspn(o, "\n")] = 0;
    assert_int_equal(strlen(o), 64); /* 256 bits, alone on stdout */
    snprintf(out, 80, "%s", o);
    free(o);
}

static int setup(void **state)
{
    (void)state;
    tu_db(refdb, sizeof refdb, tu_tmpdir("edit"), "ref");
    tu_import_reference(refdb);
    new_token(refdb, "alice", "write:zones,parks", zones_token);
    new_token(refdb, "admin", "admin", token);
    tu_server_start(&srv, refdb);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    return 0;
}

/* curl with a method, headers and a body (text, may be NULL); status, body
 * and response headers (malloc'd, may be NULL). */
static int call(const char *base, const char *method, const char *path, const char *headers, const char *body,
                char **out, char **head)
{
    const char *dir = tu_tmpdir("edit-call");
    char bfile[1400];
    snprintf(bfile, sizeof bfile, "%s/body.json", dir);
    if (body) {
        FILE *f = fopen(bfile, "w");
        assert_non_null(f);
        fputs(body, f);
        fclose(f);
    }
    char *o;
    int rc = tu_run(&o, "curl -sk -X %s %s %s%s%s -D '%s/head' -o '%s/out' -w '%%{http_code}' '%s%s'", method,
                    headers ? headers : "", body ? "--data-binary '@" : "", body ? bfile : "", body ? "'" : "", dir,
                    dir, base, path);
    if (rc != 0)
        fail_msg("curl %s %s%s [%s]: exit %d: %s", method, base, path, headers ? headers : "", rc, o);
    int status = atoi(o);
    free(o);
    if (out && tu_run(out, "cat '%s/out' 2>/dev/null || true", dir) != 0)
        fail_msg("reading the answer");
    if (head)
        assert_int_equal(tu_run(head, "cat '%s/head'", dir), 0);
    return status;
}

static char *etag_of(const char *path)
{
    char *head;
    assert_int_equal(call(srv.base, "GET", path, NULL, NULL, NULL, &head), 200);
    char *e = strstr(head, "ETag: ");
    assert_non_null(e);
    e += 6;
    char *end = strchr(e, '\r');
    char *etag = strndup(e, end ? (size_t)(end - e) : strlen(e));
    free(head);
    return etag;
}

#define ZONE(id, use) \
    "{\"type\":\"Feature\",\"properties\":{\"zone_id\":\"" id "\",\"park_id\":\"WZ01\",\"land_use\":\"" use "\"," \
    "\"name\":\"新区\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[120.70,28.00],[120.71,28.00]," \
    "[120.71,28.01],[120.70,28.01],[120.70,28.00]]]}}"

static void tokens_are_shown_once_and_stored_hashed(void **state)
{
    (void)state;
    char *o;
    assert_int_equal(tu_run(&o, "'%s' token list --db '%s'", tu_gisd(), refdb), 0);
    assert_non_null(strstr(o, "alice"));
    assert_non_null(strstr(o, "write:zones,parks"));
    assert_null(strstr(o, zones_token));
    free(o);
    /* the store holds no token, only hashes */
    const char *ddir = tu_tmpdir("edit-dump");
    if (tu_on_pg())
        assert_int_equal(tu_run(&o, "pg_dump '%s' > '%s/dump.sql' && ! grep -c '%s' '%s/dump.sql'", refdb, ddir,
                                zones_token, ddir), 0);
    else
        assert_int_equal(tu_run(&o, "sqlite3 '%s' .dump > '%s/dump.sql' && ! grep -c '%s' '%s/dump.sql'", refdb,
                                ddir, zones_token, ddir), 0);
    free(o);
    assert_int_equal(tu_run(&o, "'%s' token add --db '%s' --name x --scope write:nope", tu_gisd(), refdb), 1);
    assert_non_null(strstr(o, "nope"));
    free(o);
    assert_int_equal(tu_run(&o, "'%s' token add --db '%s' --name alice --scope admin", tu_gisd(), refdb), 1);
    assert_non_null(strstr(o, "alice"));
    free(o);
}

static void writes_need_a_token_with_the_layer_in_scope(void **state)
{
    (void)state;
    char hdr[300], *out;
    assert_int_equal(call(srv.base, "POST", "/collections/zones/items", NULL, ZONE("ZT1", "M2"), &out, NULL), 401);
    free(out);
    assert_int_equal(call(srv.base, "POST", "/collections/zones/items", "-H 'Authorization: Bearer nottoken'",
                          ZONE("ZT1", "M2"), &out, NULL), 401);
    free(out);
    snprintf(hdr, sizeof hdr, "-H 'Authorization: Bearer %s'", zones_token);
    /* alice may write zones and parks, not enterprises */
    assert_int_equal(call(srv.base, "POST", "/collections/enterprises/items", hdr,
                          "{\"type\":\"Feature\",\"properties\":{\"ent_id\":\"EX\"},\"geometry\":{\"type\":\"Point\","
                          "\"coordinates\":[120.7,28.0]}}", &out, NULL), 403);
    assert_non_null(strstr(out, "alice"));
    free(out);
    char *head;
    assert_int_equal(call(srv.base, "POST", "/collections/zones/items", hdr, ZONE("ZT1", "M2"), &out, &head), 201);
    assert_non_null(strstr(head, "Location: "));
    assert_non_null(strstr(head, "/collections/zones/items/ZT1"));
    assert_non_null(strstr(head, "ETag: \""));
    assert_non_null(strstr(out, "新区"));
    free(out);
    free(head);
    /* the id is taken now */
    assert_int_equal(call(srv.base, "POST", "/collections/zones/items", hdr, ZONE("ZT1", "M2"), &out, NULL), 409);
    free(out);
}

static void a_refused_write_changes_nothing(void **state)
{
    (void)state;
    char hdr[300], before[65], after[65], *out;
    snprintf(hdr, sizeof hdr, "-H 'Authorization: Bearer %s'", zones_token);
    tu_store_digest(refdb, before);
    static const char *const bad[][2] = {
        {"{\"type\":\"Feature\",\"properties\":{\"zone_id\":\"ZB\",\"land_use\":5},\"geometry\":{\"type\":\"Polygon\","
         "\"coordinates\":[[[120.7,28],[120.71,28],[120.71,28.01],[120.7,28]]]}}", "land_use"},
        {"{\"type\":\"Feature\",\"properties\":{\"zone_id\":\"ZB\",\"colour\":\"red\"},\"geometry\":null}", "colour"},
        {"{\"type\":\"Feature\",\"properties\":{\"zone_id\":\"ZB\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.7,28]}}",
         "Point"},
        {"{\"type\":\"Feature\",\"properties\":{\"land_use\":\"M1\"},\"geometry\":{\"type\":\"Polygon\","
         "\"coordinates\":[[[120.7,28],[120.71,28],[120.71,28.01],[120.7,28]]]}}", "zone_id"},
        {"{\"type\":\"Feature\",\"properties\":{\"zone_id\":\"ZB\"},\"geometry\":{\"type\":\"Polygon\","
         "\"coordinates\":[[[0,0],[2,2],[2,0],[0,2],[0,0]]]}}", "not valid"},
        {"{\"type\":\"Feature\",\"properties\":{\"zone_id\":\"ZB\"},\"geometry\":{\"type\":\"Polygon\","
         "\"coordinates\":[[[500,0],[501,0],[501,1],[500,0]]]}}", "outside"},
        {"[1,2", "not JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int status = call(srv.base, "POST", "/collections/zones/items", hdr, bad[i][0], &out, NULL);
        if (status != 400 || !strstr(out, bad[i][1]))
            fail_msg("bad body %zu: %d %s", i, status, out);
        free(out);
    }
    tu_store_digest(refdb, after);
    assert_string_equal(before, after);
}

static void etags_guard_replace_update_and_delete(void **state)
{
    (void)state;
    char hdr[400], *out, *head;
    snprintf(hdr, sizeof hdr, "-H 'Authorization: Bearer %s'", zones_token);
    assert_int_equal(call(srv.base, "PUT", "/collections/zones/items/ZT1", hdr, ZONE("ZT1", "M1"), &out, NULL), 428);
    free(out);
    snprintf(hdr, sizeof hdr, "-H 'Authorization: Bearer %s' -H 'If-Match: \"0000\"'", zones_token);
    assert_int_equal(call(srv.base, "PUT", "/collections/zones/items/ZT1", hdr, ZONE("ZT1", "M1"), &out, NULL), 412);
    free(out);
    char *etag = etag_of("/collections/zones/items/ZT1");
    snprintf(hdr, sizeof hdr, "-H 'Authorization: Bearer %s' -H 'If-Match: %s'", zones_token, etag);
    assert_int_equal(call(srv.base, "PUT", "/collections/zones/items/ZT1", hdr, ZONE("ZT1", "M1"), &out, &head), 200);
    assert_non_null(strstr(out, "\"M1\""));
    assert_null(strstr(head, etag)); /* a new version, a new ETag */
    free(out);
    free(head);
    /* the old ETag is stale now */
    assert_int_equal(call(srv.base, "PATCH", "/collections/zones/items/ZT1", hdr, "{\"properties\":{\"name\":\"x\"}}",
                          &out, NULL), 412);
    free(out);
    free(etag);
    /* a merge patch: name changes, park_id goes (null), the rest stays */
    etag = etag_of("/collections/zones/items/ZT1");
    snprintf(hdr, sizeof hdr, "-H 'Authorization: Bearer %s' -H 'If-Match: %s' -H 'Content-Type: application/merge-patch+json'",
             zones_token, etag);
    assert_int_equal(call(srv.base, "PATCH", "/collections/zones/items/ZT1", hdr,
                          "{\"properties\":{\"name\":\"改\",\"park_id\":null}}", &out, NULL), 200);
    json_t *f = tu_json_text(out);
    free(out);
    json_t *p = json_object_get(f, "properties");
    assert_string_equal(json_string_value(json_object_get(p, "name")), "改");
    assert_string_equal(json_string_value(json_object_get(p, "land_use")), "M1");
    assert_true(json_is_null(json_object_get(p, "park_id")));
    json_decref(f);
    free(etag);
    /* a replace in the Gauss-Kruger zone (Content-Crs, northing first) lands in lon/lat */
    etag = etag_of("/collections/zones/items/ZT1");
    snprintf(hdr, sizeof hdr, "-H 'Authorization: Bearer %s' -H 'If-Match: %s' "
                              "-H 'Content-Crs: <http://www.opengis.net/def/crs/EPSG/0/4549>'", zones_token, etag);
    assert_int_equal(call(srv.base, "PUT", "/collections/zones/items/ZT1", hdr,
                          "{\"type\":\"Feature\",\"properties\":{\"zone_id\":\"ZT1\",\"land_use\":\"W1\"},\"geometry\":"
                          "{\"type\":\"Polygon\",\"coordinates\":[[[3098000,568000],[3098000,569000],[3099000,569000],"
                          "[3099000,568000],[3098000,568000]]]}}", &out, NULL), 200);
    assert_non_null(strstr(out, "[120.7"));
    free(out);
    free(etag);
}

static void two_writers_with_one_etag_one_wins(void **state)
{
    (void)state;
    char *etag = etag_of("/collections/zones/items/ZT1");
    const char *dir = tu_tmpdir("edit-race");
    char *out;
    /* both start from the same version; exactly one may land */
    int rc = tu_run(&out,
                    "for n in 1 2; do curl -s -o /dev/null -w '%%{http_code}\\n' -X PATCH -H 'Authorization: Bearer %s' "
                    "-H 'If-Match: %s' --data '{\"properties\":{\"name\":\"writer '$n'\"}}' "
                    "'%s/collections/zones/items/ZT1' > '%s/'$n & done; wait; cat '%s/1' '%s/2' | sort | tr '\\n' ' '",
                    zones_token, etag, srv.base, dir, dir, dir);
    assert_int_equal(rc, 0);
    assert_string_equal(out, "200 412 ");
    free(out);
    free(etag);
}

/* numberMatched of a page of items. */
static long long matched_of(const char *path)
{
    char *out;
    assert_int_equal(call(srv.base, "GET", path, NULL, NULL, &out, NULL), 200);
    json_t *j = tu_json_text(out);
    free(out);
    long long n = json_integer_value(json_object_get(j, "numberMatched"));
    json_decref(j);
    return n;
}

static void writes_reach_tiles_analyses_and_history(void **state)
{
    (void)state;
    char hdr[400], *out;
    /* the zone is in the layer's count, in a tile and in site-check at once */
    assert_int_equal(tu_run(&out, "curl -s '%s/collections/zones/items?zone_id=ZT1' | grep -c ZT1", srv.base), 0);
    free(out);
    assert_int_equal(call(srv.base, "GET", "/collections/zones/items/ZT1", NULL, NULL, &out, NULL), 200);
    json_t *zone = tu_json_text(out);
    free(out);
    json_t *ring = json_array_get(json_object_get(json_object_get(zone, "geometry"), "coordinates"), 0);
    double lon = json_number_value(json_array_get(json_array_get(ring, 0), 0)) + 0.001;
    double lat = json_number_value(json_array_get(json_array_get(ring, 0), 1)) + 0.001;
    json_decref(zone);
    int x = (int)((lon + 180) / 360 * 16384), y = (int)((1 - log(tan(lat * M_PI / 180) + 1 / cos(lat * M_PI / 180)) / M_PI) / 2 * 16384);
    const char *tdir = tu_tmpdir("edit-tile");
    assert_int_equal(tu_run(&out, "curl -s -o '%s/t.mvt' '%s/tiles/zones/14/%d/%d.mvt' && ogrinfo -ro -al -geom=NO "
                                  "'%s/t.mvt' 2>/dev/null | grep -c 'zone_id (String) = ZT1'",
                            tdir, srv.base, x, y, tdir), 0);
    assert_int_equal(atoi(out), 1);
    free(out);
    /* history over HTTP and the command line: create, replace, update, replace */
    assert_int_equal(call(srv.base, "GET", "/collections/zones/items/ZT1/history", NULL, NULL, &out, NULL), 200);
    json_t *h = tu_json_text(out);
    free(out);
    json_t *changes = json_object_get(h, "changes");
    assert_true(json_array_size(changes) >= 4);
    json_t *first = json_array_get(changes, 0);
    assert_string_equal(json_string_value(json_object_get(first, "action")), "create");
    assert_string_equal(json_string_value(json_object_get(first, "who")), "alice");
    assert_true(json_is_null(json_object_get(first, "before")));
    assert_true(json_is_object(json_object_get(first, "after")));
    json_decref(h);
    /* delete, then revert the delete from the command line: the zone is back,
     * and the count of a page the server has counted before follows both
     * (the second page of a query reuses the first's count until the layer
     * changes) */
    const char *page2 = "/collections/zones/items?limit=1&offset=1";
    long long zones = matched_of(page2);
    assert_int_equal(matched_of(page2), zones);
    char *etag = etag_of("/collections/zones/items/ZT1");
    snprintf(hdr, sizeof hdr, "-H 'Authorization: Bearer %s' -H 'If-Match: %s'", token, etag);
    char *head;
    assert_int_equal(call(srv.base, "DELETE", "/collections/zones/items/ZT1", hdr, NULL, NULL, &head), 204);
    char *c = strstr(head, "X-Gisd-Change: ");
    assert_non_null(c);
    long long change = atoll(c + 15);
    free(head);
    free(etag);
    assert_int_equal(call(srv.base, "GET", "/collections/zones/items/ZT1", NULL, NULL, &out, NULL), 404);
    free(out);
    assert_int_equal(matched_of(page2), zones - 1);
    assert_int_equal(tu_run(&out, "'%s' history --db '%s' --feature ZT1 | grep -c '\"action\": \"delete\"'", tu_gisd(), refdb), 0);
    free(out);
    assert_int_equal(tu_run(&out, "'%s' revert --db '%s' --change %lld", tu_gisd(), refdb, change), 0);
    free(out);
    assert_int_equal(call(srv.base, "GET", "/collections/zones/items/ZT1", NULL, NULL, &out, NULL), 200);
    assert_non_null(strstr(out, "W1"));
    free(out);
    assert_int_equal(matched_of(page2), zones);
    /* an import is in the history and cannot be reverted change by change */
    assert_int_equal(tu_run(&out, "'%s' import --quiet --db '%s' '%s' --layer hw_facilities", tu_gisd(), refdb,
                            tu_data("reference/hw_facilities.geojson")), 0);
    free(out);
    assert_int_equal(tu_run(&out, "'%s' history --db '%s' --layer hw_facilities | grep -o '\"change\": [0-9]*' | tail -1 | "
                                  "grep -o '[0-9]*$'", tu_gisd(), refdb), 0);
    long long imp = atoll(out);
    free(out);
    assert_int_equal(tu_run(&out, "'%s' revert --db '%s' --change %lld", tu_gisd(), refdb, imp), 1);
    assert_non_null(strstr(out, "import"));
    free(out);
}

static void a_revoked_token_is_refused_and_bad_ones_slowed(void **state)
{
    (void)state;
    char tok[80], hdr[300], *out;
    new_token(refdb, "bob", "write:parks", tok);
    assert_int_equal(tu_run(&out, "'%s' token revoke --db '%s' --name bob", tu_gisd(), refdb), 0);
    free(out);
    snprintf(hdr, sizeof hdr, "-H 'Authorization: Bearer %s' -H 'If-Match: *'", tok);
    assert_int_equal(call(srv.base, "DELETE", "/collections/parks/items/WZ01", hdr, NULL, &out, NULL), 401);
    assert_non_null(strstr(out, "revoked"));
    free(out);
    /* five bad tokens in a minute, and the address waits */
    int last = 0;
    for (int i = 0; i < 6; i++) {
        last = call(srv.base, "DELETE", "/collections/parks/items/WZ01", "-H 'Authorization: Bearer bad' -H 'If-Match: *'",
                    NULL, NULL, NULL);
    }
    assert_int_equal(last, 429);
}

/* The change number a write answered with (X-Gisd-Change). */
static long long change_of(const char *head)
{
    const char *c = strstr(head, "X-Gisd-Change: ");
    assert_non_null(c);
    return atoll(c + 15);
}

/* Create (57), patch the name (58), patch the land use (59): reverting 58
 * alone would silently lose 59, so it is refused naming 59; --cascade puts
 * the feature back as it was before 58, in one change. */
static void revert_never_loses_a_later_change(void **state)
{
    (void)state;
    char hdr[300], *out, *head;
    snprintf(hdr, sizeof hdr, "-H 'Authorization: Bearer %s' -H 'Content-Type: application/geo+json'", zones_token);
    assert_int_equal(call(srv.base, "POST", "/collections/zones/items", hdr, ZONE("ZREV1", "M1"), &out, &head), 201);
    long long created = change_of(head);
    free(out);
    free(head);
    char phdr[400];
    snprintf(phdr, sizeof phdr, "%s -H 'If-Match: *'", hdr);
    assert_int_equal(call(srv.base, "PATCH", "/collections/zones/items/ZREV1", phdr,
                          "{\"properties\":{\"name\":\"改名\"}}", &out, &head), 200);
    long long named = change_of(head);
    free(out);
    free(head);
    assert_int_equal(call(srv.base, "PATCH", "/collections/zones/items/ZREV1", phdr,
                          "{\"properties\":{\"land_use\":\"M2\"}}", &out, &head), 200);
    long long used = change_of(head);
    free(out);
    free(head);
    char want[64];
    snprintf(want, sizeof want, "change %lld", used);
    for (long long c = created; c <= named; c += named - created) {
        assert_int_equal(tu_run(&out, "'%s' revert --db '%s' --change %lld", tu_gisd(), refdb, c), 1);
        if (!strstr(out, want) || !strstr(out, "--cascade"))
            fail_msg("revert %lld: %s", c, out);
        free(out);
    }
    assert_int_equal(call(srv.base, "GET", "/collections/zones/items/ZREV1", NULL, NULL, &out, NULL), 200);
    assert_non_null(strstr(out, "\"M2\""));
    assert_non_null(strstr(out, "改名"));
    free(out);
    /* with --cascade: as before change 58, the land use patch undone too */
    assert_int_equal(tu_run(&out, "'%s' revert --db '%s' --change %lld --cascade", tu_gisd(), refdb, named), 0);
    free(out);
    assert_int_equal(call(srv.base, "GET", "/collections/zones/items/ZREV1", NULL, NULL, &out, NULL), 200);
    if (!strstr(out, "\"M1\"") || !strstr(out, "新区"))
        fail_msg("after the cascade: %s", out);
    free(out);
    /* reverting the creation with everything after it deletes the feature */
    assert_int_equal(tu_run(&out, "'%s' revert --db '%s' --change %lld --cascade", tu_gisd(), refdb, created), 0);
    free(out);
    assert_int_equal(call(srv.base, "GET", "/collections/zones/items/ZREV1", NULL, NULL, NULL, NULL), 404);
}

/* Ids up to 255 bytes, and ids with a slash, go through every write and
 * come back at the Location the creation gave; a longer one is a 400. */
static void ids_round_trip_to_their_limit(void **state)
{
    (void)state;
    char hdr[300], phdr[400], *out, *head;
    snprintf(hdr, sizeof hdr, "-H 'Authorization: Bearer %s' -H 'Content-Type: application/geo+json'", zones_token);
    snprintf(phdr, sizeof phdr, "%s -H 'If-Match: *'", hdr);
    char id255[256], id256[257];
    memset(id255, 'x', 255);
    id255[0] = 'Z';
    id255[255] = 0;
    memset(id256, 'x', 256);
    id256[0] = 'Z';
    id256[256] = 0;
    const char *ids[] = {"Zxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", id255, "S/1"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        strbuf body = {0};
        strbuf_printf(&body, "{\"type\":\"Feature\",\"properties\":{\"zone_id\":\"%s\",\"park_id\":\"WZ01\","
                             "\"land_use\":\"M1\",\"name\":\"长\"},\"geometry\":{\"type\":\"Polygon\","
                             "\"coordinates\":[[[120.70,28.00],[120.71,28.00],[120.71,28.01],[120.70,28.00]]]}}", ids[i]);
        assert_int_equal(call(srv.base, "POST", "/collections/zones/items", hdr, body.data, &out, &head), 201);
        free(out);
        char *loc = strstr(head, "Location: ");
        assert_non_null(loc);
        loc += 10;
        loc[strcspn(loc, "\r\n")] = 0;
        const char *path = strstr(loc, "/collections/");
        assert_non_null(path);
        char p[1200];
        snprintf(p, sizeof p, "%s", path);
        free(head);
        assert_int_equal(call(srv.base, "GET", p, NULL, NULL, &out, NULL), 200);
        if (!strstr(out, ids[i]))
            fail_msg("GET %s: %.200s", p, out);
        free(out);
        assert_int_equal(call(srv.base, "PATCH", p, phdr, "{\"properties\":{\"land_use\":\"M2\"}}", &out, NULL), 200);
        free(out);
        strbuf_free(&body);
        strbuf_printf(&body, "{\"type\":\"Feature\",\"properties\":{\"zone_id\":\"%s\",\"park_id\":\"WZ01\","
                             "\"land_use\":\"M3\",\"name\":\"长\"},\"geometry\":{\"type\":\"Polygon\","
                             "\"coordinates\":[[[120.70,28.00],[120.71,28.00],[120.71,28.01],[120.70,28.00]]]}}", ids[i]);
        assert_int_equal(call(srv.base, "PUT", p, phdr, body.data, &out, NULL), 200);
        assert_non_null(strstr(out, "M3"));
        free(out);
        strbuf_free(&body);
        assert_int_equal(call(srv.base, "DELETE", p, phdr, NULL, NULL, NULL), 204);
        assert_int_equal(call(srv.base, "GET", p, NULL, NULL, NULL, NULL), 404);
    }
    char digest[65], after[65];
    tu_store_digest(refdb, digest);
    strbuf body = {0};
    strbuf_printf(&body, "{\"type\":\"Feature\",\"properties\":{\"zone_id\":\"%s\",\"park_id\":\"WZ01\","
                         "\"land_use\":\"M1\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[120.70,28.00],"
                         "[120.71,28.00],[120.71,28.01],[120.70,28.00]]]}}", id256);
    assert_int_equal(call(srv.base, "POST", "/collections/zones/items", hdr, body.data, &out, NULL), 400);
    assert_non_null(strstr(out, "255 bytes"));
    free(out);
    strbuf_free(&body);
    tu_store_digest(refdb, after);
    assert_string_equal(digest, after);
}

/* Two PATCHes with If-Match: *, one of the land use and one of the name,
 * at once: both land, every round (the merge used to read the feature
 * outside the write and lose one in six rounds of twenty). */
static void concurrent_patches_both_land(void **state)
{
    (void)state;
    char hdr[300], *out;
    snprintf(hdr, sizeof hdr, "-H 'Authorization: Bearer %s' -H 'Content-Type: application/geo+json'", zones_token);
    assert_int_equal(call(srv.base, "POST", "/collections/zones/items", hdr, ZONE("ZPATCH", "M1"), &out, NULL), 201);
    free(out);
    const char *dir = tu_tmpdir("edit-race");
    for (int round = 0; round < 20; round++) {
        int rc = tu_run(&out,
                        "curl -s -o /dev/null -w '%%{http_code} ' -X PATCH %s -H 'If-Match: *' --data-binary "
                        "'{\"properties\":{\"land_use\":\"U%d\"}}' '%s/collections/zones/items/ZPATCH' & "
                        "curl -s -o /dev/null -w '%%{http_code} ' -X PATCH %s -H 'If-Match: *' --data-binary "
                        "'{\"properties\":{\"name\":\"名%d\"}}' '%s/collections/zones/items/ZPATCH' & wait",
                        hdr, round, srv.base, hdr, round, srv.base);
        assert_int_equal(rc, 0);
        if (strcmp(out, "200 200 ") != 0)
            fail_msg("round %d: %s", round, out);
        free(out);
        char want_use[16], want_name[16];
        snprintf(want_use, sizeof want_use, "\"U%d\"", round);
        snprintf(want_name, sizeof want_name, "名%d\"", round);
        assert_int_equal(call(srv.base, "GET", "/collections/zones/items/ZPATCH", NULL, NULL, &out, NULL), 200);
        if (!strstr(out, want_use) || !strstr(out, want_name))
            fail_msg("round %d lost a patch: %s", round, out);
        free(out);
    }
    (void)dir;
}

/* Bad tokens are counted per address and token prefix: after one client's
 * five, another's valid token from the same address still writes. */
static void bad_tokens_lock_out_only_their_like(void **state)
{
    (void)state;
    int last = 0;
    for (int i = 0; i < 6; i++)
        last = call(srv.base, "DELETE", "/collections/parks/items/WZ99",
                    "-H 'Authorization: Bearer deadbeefdeadbeef' -H 'If-Match: *'", NULL, NULL, NULL);
    assert_int_equal(last, 429);
    char hdr[300], *out;
    snprintf(hdr, sizeof hdr, "-H 'Authorization: Bearer %s' -H 'Content-Type: application/geo+json'", zones_token);
    assert_int_equal(call(srv.base, "POST", "/collections/zones/items", hdr, ZONE("ZNAT", "M1"), &out, NULL), 201);
    free(out);
    /* behind a trusted proxy the client is the address it forwards: one
     * client's bad tokens leave the next client, same token prefix, at 401 */
    tu_server p;
    const char *args[] = {"--trusted-proxy", "127.0.0.1", NULL};
    tu_server_start_args(&p, refdb, args);
    for (int i = 0; i < 6; i++)
        last = call(p.base, "DELETE", "/collections/parks/items/WZ99",
                    "-H 'Authorization: Bearer cafecafe0' -H 'If-Match: *' -H 'X-Forwarded-For: 203.0.113.7'", NULL,
                    NULL, NULL);
    assert_int_equal(last, 429);
    assert_int_equal(call(p.base, "DELETE", "/collections/parks/items/WZ99",
                          "-H 'Authorization: Bearer cafecafe1' -H 'If-Match: *' -H 'X-Forwarded-For: 203.0.113.8'", NULL,
                          NULL, NULL),
                     401);
    tu_server_stop(&p);
}

static void tls_and_writes_off_loopback(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("edit-tls");
    char *out;
    if (tu_run(&out, "cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 "
                     "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>&1", dir) != 0)
        fail_msg("openssl: %s", out);
    free(out);
    char cert[1400], key[1400], db[1400];
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    snprintf(db, sizeof db, "%s", refdb);
    const char *args[] = {"--tls-cert", cert, "--tls-key", key, NULL};
    tu_server tls;
    tu_server_start_on(&tls, db, "127.0.0.1", 1, args);
    char base[128];
    snprintf(base, sizeof base, "%s", tls.base);
    /* curl checks the certificate: HTTPS for real */
    assert_int_equal(tu_run(&out, "curl -s --cacert '%s' -o /dev/null -w '%%{http_code}' '%s/collections'", cert, base), 0);
    assert_string_equal(out, "200");
    free(out);
    assert_int_equal(tu_run(&out, "curl -s --cacert '%s' '%s/collections/zones' | grep -o 'https://127.0.0.1:[0-9]*/collections/zones' | head -1",
                            cert, base), 0);
    assert_non_null(strstr(out, "https://"));
    free(out);
    char hdr[300];
    char hdr2[1600];
    snprintf(hdr2, sizeof hdr2, "--cacert '%s' -H 'Authorization: Bearer %s'", cert, zones_token);
    assert_int_equal(call(base, "POST", "/collections/zones/items", hdr2, ZONE("ZTLS", "M3"), &out, NULL), 201);
    free(out);
    tu_server_stop(&tls);
    /* on every address, plain HTTP takes no writes unless told to */
    tu_server wide;
    tu_server_start_on(&wide, db, "0.0.0.0", 0, NULL);
    snprintf(base, sizeof base, "%s", wide.base);
    snprintf(hdr, sizeof hdr, "-H 'Authorization: Bearer %s'", zones_token);
    assert_int_equal(call(base, "POST", "/collections/zones/items", hdr, ZONE("ZWIDE", "M3"), &out, NULL), 403);
    assert_non_null(strstr(out, "HTTPS"));
    free(out);
    tu_server_stop(&wide);
}

static void reads_can_require_a_token(void **state)
{
    (void)state;
    const char *args[] = {"--require-token-for-reads", NULL};
    tu_server closed;
    tu_server_start_args(&closed, refdb, args);
    char hdr[300], *out;
    assert_int_equal(call(closed.base, "GET", "/collections/parks/items", NULL, NULL, &out, NULL), 401);
    free(out);
    snprintf(hdr, sizeof hdr, "-H 'Authorization: Bearer %s'", token);
    assert_int_equal(call(closed.base, "GET", "/collections/parks/items", hdr, NULL, &out, NULL), 200);
    free(out);
    assert_int_equal(call(closed.base, "GET", "/healthz", NULL, NULL, &out, NULL), 200);
    free(out);
    /* OWSLib reads the edited layer with the token (0.27 has no Part 4 writes: curl makes them above) */
    int rc = tu_run(&out, "/usr/bin/python3 -c \"from owslib.ogcapi.features import Features; "
                          "f = Features('%s', headers={'Authorization': 'Bearer %s'}); "
                          "print(f.collection_item('zones', 'ZT1')['properties']['land_use'])\" 2>&1",
                    closed.base, token);
    if (rc != 0)
        fail_msg("owslib: %s", out);
    assert_string_equal(out, "W1\n");
    free(out);
    tu_server_stop(&closed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tokens_are_shown_once_and_stored_hashed),
        cmocka_unit_test(writes_need_a_token_with_the_layer_in_scope),
        cmocka_unit_test(a_refused_write_changes_nothing),
        cmocka_unit_test(etags_guard_replace_update_and_delete),
        cmocka_unit_test(two_writers_with_one_etag_one_wins),
        cmocka_unit_test(writes_reach_tiles_analyses_and_history),
        cmocka_unit_test(a_revoked_token_is_refused_and_bad_ones_slowed),
        cmocka_unit_test(revert_never_loses_a_later_change),
        cmocka_unit_test(ids_round_trip_to_their_limit),
        cmocka_unit_test(concurrent_patches_both_land),
        cmocka_unit_test(bad_tokens_lock_out_only_their_like),
        cmocka_unit_test(tls_and_writes_off_loopback),
        cmocka_unit_test(reads_can_require_a_token),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
