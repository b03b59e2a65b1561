/* The MBTiles 1.3 writer: the store's other SQL, into a file of its own. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "xalloc.h"

struct store_mbtiles {
    sqlite3 *db;
    sqlite3_stmt *put;
    char *path, *tmp;
};

static int mb_fail(store_mbtiles *m, gisd_error *err, const char *what)
{
    return gisd_fail(err, GISD_E_IO, "%s: %s: %s", m->path, what, sqlite3_errmsg(m->db));
}

int store_mbtiles_create(const char *path, store_mbtiles **out, gisd_error *err)
{
    *out = NULL;
    store_mbtiles *m = xcalloc(1, sizeof *m);
    size_t n = strlen(path) + 16;
    m->path = xstrdup(path);
    m->tmp = xmalloc(n);
    if (!m->path || !m->tmp) {
        store_mbtiles_free(m);
        return gisd_fail(err, GISD_E_INTERNAL, "out of memory");
    }
    snprintf(m->tmp, n, "%s.partial", path);
    unlink(m->tmp);
    if (sqlite3_open(m->tmp, &m->db) != SQLITE_OK) {
        gisd_fail(err, GISD_E_IO, "%s: cannot create: %s; check the directory exists and is writable",
                  path, m->db ? sqlite3_errmsg(m->db) : "out of memory");
        store_mbtiles_free(m);
        return -1;
    }
    const char *schema =
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN;"
        "CREATE TABLE metadata (name TEXT, value TEXT);"
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
        " tile_data BLOB);"
        "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);";
    if (sqlite3_exec(m->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(m->db, "INSERT OR REPLACE INTO tiles VALUES (?, ?, ?, ?)", -1, &m->put,
                           NULL) != SQLITE_OK) {
        mb_fail(m, err, "creating the MBTiles tables");
        store_mbtiles_free(m);
        return -1;
    }
    *out = m;
    return 0;
}

int store_mbtiles_meta(store_mbtiles *m, const char *name, const char *value, gisd_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(m->db, "INSERT INTO metadata VALUES (?, ?)", -1, &st, NULL) != SQLITE_OK)
        return mb_fail(m, err, "writing metadata");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : mb_fail(m, err, "writing metadata");
}

int store_mbtiles_tile(store_mbtiles *m, int z, unsigned x, unsigned y, const void *data,
                       size_t len, gisd_error *err)
{
    sqlite3_bind_int(m->put, 1, z);
    sqlite3_bind_int64(m->put, 2, x);
    sqlite3_bind_int64(m->put, 3, (long long)((1u << z) - 1 - y));
    sqlite3_bind_blob(m->put, 4, data, (int)len, SQLITE_STATIC);
    int rc = sqlite3_step(m->put);
    sqlite3_reset(m->put);
    return rc == SQLITE_DONE ? 0 : mb_fail(m, err, "writing a tile");
}

int store_mbtiles_finish(store_mbtiles *m, gisd_error *err)
{
    if (sqlite3_exec(m->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return mb_fail(m, err, "committing");
    sqlite3_finalize(m->put);
    m->put = NULL;
    if (sqlite3_close(m->db) != SQLITE_OK)
        return mb_fail(m, err, "closing");
    m->db = NULL;
    if (rename(m->tmp, m->path) != 0)
        return gisd_fail(err, GISD_E_IO, "%s: cannot move %s into place", m->path, m->tmp);
    free(m->tmp);
    m->tmp = NULL;
    return 0;
}

void store_mbtiles_free(store_mbtiles *m)
{
    if (!m)
        return;
    if (m->put)
        sqlite3_finalize(m->put);
    if (m->db)
        sqlite3_close(m->db);
    if (m->tmp)
        unlink(m->tmp);
    free(m->tmp);
    free(m->path);
    free(m);
}
