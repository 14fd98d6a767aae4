/* The SQLite layer: opening a database in WAL mode with yubin's pragmas, schema
 * migrations by user_version, and small helpers for one-off statements.
 *
 * Durability: databases are opened with synchronous=NORMAL. In WAL mode that keeps them
 * consistent after any crash, but a commit is not fsynced on its own; what must be
 * durable before a reply (a delivered message) is made so by the store's journal, or by
 * db_sync_commit() for rare administrative writes. */
#ifndef DB_DB_H
#define DB_DB_H
#include <sqlite3.h>
#include <stdbool.h>

/* How long a statement waits for another connection's lock before SQLITE_BUSY. */
#define DB_BUSY_TIMEOUT_MS 10000

/* Opens (creating if needed) path and applies migrations: migrations[i] takes the schema
 * from user_version i to i+1 (each a batch of SQL run in one transaction). Returns NULL
 * with *error_r set (static text, valid until the next call) on failure. */
sqlite3 *db_open(const char *path, const char *const *migrations, int n_migrations,
		 const char **error_r);
void db_close(sqlite3 **db);
/* Runs SQL without results. 0 ok, -1 and logs the error. */
int db_exec(sqlite3 *db, const char *sql);
/* Prepares or aborts: the SQL is ours, so a failure is a broken invariant. */
sqlite3_stmt *db_prepare(sqlite3 *db, const char *sql);
int db_begin(sqlite3 *db);
int db_commit(sqlite3 *db);
void db_rollback(sqlite3 *db);
/* Commits and makes the commit durable (a WAL checkpoint): for admin writes (user add)
 * that must survive power loss on their own. It waits for the disk on the calling thread:
 * never on the event loop (the store makes loop commits durable on its own threads, see
 * src/store/README.md "Threads"). */
int db_sync_commit(sqlite3 *db);
const char *db_errmsg(sqlite3 *db);

#endif
