/* db_kv: a small persisted table of expiring records, key -> (expires, a, b), for state
 * that must survive a restart but is looked up from memory (the login bans, the greylist):
 * the server loads the live rows at start and then writes each change behind, on a thread
 * of its own (one thread, so changes land in the order they were made), never waiting for
 * the disk on the event loop. The CLI opens the same file without a writer thread and
 * reads and writes it directly (SQLite's WAL lets both share the file).
 *
 * Schema: kv(key TEXT PRIMARY KEY, expires INTEGER, a INTEGER, b INTEGER). */
#ifndef DB_DB_KV_H
#define DB_DB_KV_H
#include <stdint.h>
#include <time.h>

struct db_kv;
struct event_base;

/* Opens (creating) path. base != NULL: changes are written by a writer thread (the
 * server; evthread_use_pthreads() done); NULL: synchronously (the CLI). NULL with
 * *error_r (static text). Rows already expired are deleted. */
struct db_kv *db_kv_open(const char *path, struct event_base *base, const char **error_r);
/* Waits for the changes not yet written, then closes. */
void db_kv_close(struct db_kv **kv);
/* Calls fn for every row that has not expired at now, in key order. 0 ok, -1 error. */
int db_kv_load(struct db_kv *kv, time_t now,
	       void (*fn)(const char *key, time_t expires, int64_t a, int64_t b, void *ctx),
	       void *ctx);
/* Inserts or replaces key's row. */
void db_kv_put(struct db_kv *kv, const char *key, time_t expires, int64_t a, int64_t b);
/* Deletes key's row; without a writer thread, returns 1 if a row was deleted, else 0
 * (with a writer thread, 0). */
int db_kv_del(struct db_kv *kv, const char *key);

#endif
