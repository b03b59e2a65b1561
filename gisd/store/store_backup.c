/* store_backup: SQLite's backup API between files; nothing of the store's
 * own schema is read here but whether gisd's tables are present. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_backup.h"

static int is_pg(const char *db)
{
    return strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0;
}

static int fail_db(gisd_error *err, sqlite3 *db, const char *what, const char *path)
{
    return gisd_fail(err, GISD_E_IO, "%s %s: %s", what, path, db ? sqlite3_errmsg(db) : "out of memory");
}

/* 0 when the SQLite file at path opens, passes integrity_check and has gisd's tables. */
static int check_store(const char *path, gisd_error *err)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fail_db(err, db, "cannot open", path);
        sqlite3_close(db);
        return -1;
    }
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        rc = gisd_fail(err, GISD_E_INPUT, "%s is not a SQLite database: %s", path, sqlite3_errmsg(db));
    } else if (sqlite3_step(st) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
        rc = gisd_fail(err, GISD_E_INPUT, "%s fails SQLite's integrity_check: %s", path,
                       sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : sqlite3_errmsg(db));
    } else {
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gisd_meta'", -1,
                               &st, NULL) != SQLITE_OK)
            rc = fail_db(err, db, "cannot read", path);
        else if (sqlite3_step(st) != SQLITE_ROW)
            rc = gisd_fail(err, GISD_E_INPUT, "%s is a SQLite database but no gisd store (it has no gisd_meta)", path);
        else
            rc = 0;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

static int sync_file(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Copies from to the new file tmp in one backup step, then makes it a
 * rollback-journal file and syncs it. */
static int copy_file(const char *from, const char *tmp, gisd_error *err)
{
    sqlite3 *src = NULL, *dst = NULL;
    int rc = -1;
    if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fail_db(err, src, "cannot open", from);
        goto done;
    }
    if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        fail_db(err, dst, "cannot create", tmp);
        goto done;
    }
    /* a server's writes wait at most this long for the copy, and it for them */
    sqlite3_busy_timeout(src, 10000);
    sqlite3_busy_timeout(dst, 10000);
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) {
        fail_db(err, dst, "cannot back up into", tmp);
        goto done;
    }
    /* -1: every page in one step, which is one read transaction on the
     * source: the copy is the store at one moment */
    int step = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (step != SQLITE_DONE) {
        gisd_fail(err, GISD_E_IO, "backing up %s: %s", from, sqlite3_errstr(step));
        goto done;
    }
    char *msg = NULL;
    if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, &msg) != SQLITE_OK) {
        gisd_fail(err, GISD_E_IO, "%s: %s", tmp, msg ? msg : sqlite3_errmsg(dst));
        sqlite3_free(msg);
        goto done;
    }
    rc = 0;
done:
    sqlite3_close(src);
    if (sqlite3_close(dst) != SQLITE_OK && rc == 0)
        rc = gisd_fail(err, GISD_E_IO, "cannot close %s", tmp);
    if (rc == 0 && sync_file(tmp) != 0)
        rc = gisd_fail(err, errno == ENOSPC ? GISD_E_NOSPACE : GISD_E_IO, "%s: %s", tmp, strerror(errno));
    return rc;
}

/* from copied to out by way of out.tmp, checked, then renamed over out. */
static int backup_into(const char *from, const char *out, gisd_error *err)
{
    if (check_store(from, err) != 0)
        return -1;
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", out) >= sizeof tmp)
        return gisd_fail(err, GISD_E_INPUT, "the path %s is too long", out);
    unlink(tmp);
    int rc = copy_file(from, tmp, err);
    if (rc == 0)
        rc = check_store(tmp, err);
    if (rc == 0 && rename(tmp, out) != 0)
        rc = gisd_fail(err, GISD_E_IO, "cannot rename %s to %s: %s", tmp, out, strerror(errno));
    if (rc != 0)
        unlink(tmp);
    return rc;
}

int store_backup(const char *db, const char *out, gisd_error *err)
{
    if (is_pg(db))
        return gisd_fail(err, GISD_E_INPUT,
                         "a PostgreSQL store is backed up with PostgreSQL's tools: pg_dump -Fc -f %s '%s' "
                         "(and restored with pg_restore -d '%s' %s)",
                         out, db, db, out);
    struct stat st;
    if (stat(out, &st) == 0)
        return gisd_fail(err, GISD_E_INPUT, "%s exists; gisd backup writes a new file", out);
    if (stat(db, &st) != 0)
        return gisd_fail(err, GISD_E_NOTFOUND, "no store at %s", db);
    return backup_into(db, out, err);
}

int store_backup_replace(const char *db, const char *out, gisd_error *err)
{
    return backup_into(db, out, err);
}

int store_restore(const char *from, const char *db, gisd_error *err)
{
    if (is_pg(db))
        return gisd_fail(err, GISD_E_INPUT, "a PostgreSQL store is restored with pg_restore -d '%s' FILE", db);
    if (check_store(from, err) != 0)
        return -1;
    struct stat st = {0};
    char keep[4200];
    if ((size_t)snprintf(keep, sizeof keep, "%s.pre-restore", db) >= sizeof keep)
        return gisd_fail(err, GISD_E_INPUT, "the path %s is too long", db);
    if (stat(db, &st) == 0) {
        if (stat(keep, &st) == 0)
            return gisd_fail(err, GISD_E_INPUT, "%s exists from an earlier restore; move it away first", keep);
        if (backup_into(db, keep, err) != 0)
            return -1;
    }
    /* into the store's own file through SQLite, which takes its WAL along */
    sqlite3 *src = NULL, *dst = NULL;
    int rc = -1;
    if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fail_db(err, src, "cannot open", from);
    else if (sqlite3_open_v2(db, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        fail_db(err, dst, "cannot open", db);
    else {
        sqlite3_busy_timeout(dst, 10000);
        sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
        if (!b) {
            fail_db(err, dst, "cannot restore into", db);
        } else {
            int step = sqlite3_backup_step(b, -1);
            sqlite3_backup_finish(b);
            if (step == SQLITE_DONE)
                rc = 0;
            else
                gisd_fail(err, step == SQLITE_FULL ? GISD_E_NOSPACE : GISD_E_IO, "restoring %s: %s", db,
                          sqlite3_errstr(step));
        }
    }
    sqlite3_close(src);
    sqlite3_close(dst);
    if (rc == 0)
        rc = check_store(db, err);
    if (rc != 0 && stat(keep, &st) == 0)
        fprintf(stderr, "gisd: the store as it was before is kept at %s\n", keep);
    return rc;
}
