/* SQLite layer (see db.h). */
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>

#include "log/log.h"

/* per thread: accounts are created on store threads while the loop opens others */
static _Thread_local char db_error[512];

static int
db_migrate(sqlite3 *db, const char *const *migrations, int n_migrations, const char **error_r)
{
	sqlite3_stmt *st;
	int version;

	st = db_prepare(db, "PRAGMA user_version");
	version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	for (; version < n_migrations; version++) {
		char *err = NULL;
		char pragma[64];

		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version + 1);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &err) != SQLITE_OK ||
		    sqlite3_exec(db, migrations[version], NULL, NULL, &err) != SQLITE_OK ||
		    sqlite3_exec(db, pragma, NULL, NULL, &err) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &err) != SQLITE_OK) {
			snprintf(db_error, sizeof(db_error), "schema migration %d failed: %s",
				 version + 1, err ? err : sqlite3_errmsg(db));
			sqlite3_free(err);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			*error_r = db_error;
			return -1;
		}
	}
	return 0;
}

sqlite3 *
db_open(const char *path, const char *const *migrations, int n_migrations, const char **error_r)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		snprintf(db_error, sizeof(db_error), "sqlite3_open(%s) failed: %s", path,
			 db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		*error_r = db_error;
		return NULL;
	}
	sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
	if (db_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			"PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;") < 0) {
		snprintf(db_error, sizeof(db_error), "%s: cannot set pragmas: %s", path,
			 sqlite3_errmsg(db));
		sqlite3_close(db);
		*error_r = db_error;
		return NULL;
	}
	if (db_migrate(db, migrations, n_migrations, error_r) < 0) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

void
db_close(sqlite3 **db)
{
	if (*db == NULL)
		return;
	sqlite3_close_v2(*db);
	*db = NULL;
}

int
db_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		/* the extended code tells the readonly and busy cases apart */
		log_error("db: %s failed: %s (%s, code %d)", sql, err ? err : sqlite3_errmsg(db),
			  sqlite3_db_filename(db, "main") != NULL ? sqlite3_db_filename(db, "main")
								  : "?",
			  sqlite3_extended_errcode(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

sqlite3_stmt *
db_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("db: prepare failed: %s: %s", sqlite3_errmsg(db), sql);
		abort();
	}
	return st;
}

int
db_begin(sqlite3 *db)
{
	return db_exec(db, "BEGIN IMMEDIATE");
}

int
db_commit(sqlite3 *db)
{
	return db_exec(db, "COMMIT");
}

void
db_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		db_exec(db, "ROLLBACK");
}

int
db_sync_commit(sqlite3 *db)
{
	/* synchronous cannot change inside a transaction: commit, then a checkpoint, which
	 * fsyncs the WAL and the database file */
	if (db_commit(db) < 0)
		return -1;
	return db_exec(db, "PRAGMA wal_checkpoint(FULL)");
}

const char *
db_errmsg(sqlite3 *db)
{
	return sqlite3_errmsg(db);
}
