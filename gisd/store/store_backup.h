/* Backups of a SpatiaLite store while it serves, and their restoring. A
 * PostgreSQL store is backed up with its own tools (pg_dump). */
#ifndef GISD_STORE_BACKUP_H
#define GISD_STORE_BACKUP_H

#include "error.h"

/* Copies the store at db to out with SQLite's online backup in one step, so
 * the copy is the store as one read transaction saw it while writers go on
 * (WAL); out is a self-contained file (journal_mode DELETE) that passed
 * integrity_check and holds gisd's tables. Refuses an out that exists. A
 * PostgreSQL db is GISD_E_INPUT naming the pg_dump command to run. 0, or -1
 * with err and no out left behind. */
int store_backup(const char *db, const char *out, gisd_error *err);
/* Puts the backup at from in place of the store at db after checking it as
 * store_backup checks its copies; the store db held is kept first as
 * db.pre-restore (refused when that exists). Stop gisd serve first: a
 * server's caches do not follow. 0, or -1 with err and db as it was. */
int store_restore(const char *from, const char *db, gisd_error *err);
/* Copies the SpatiaLite file db to out as store_backup does, for gisd
 * migrate's keeping of the old store (out replaced when it exists). */
int store_backup_replace(const char *db, const char *out, gisd_error *err);

#endif
