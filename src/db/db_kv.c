/* Persisted expiring records, written behind (see db_kv.h). */
#include "db/db_kv.h"

#include <stdlib.h>

#include "db/db.h"
#include "log/log.h"
#include "net/workers.h"
#include "util/xmalloc.h"

static const char *const kv_migrations[] = {
	"CREATE TABLE kv (key TEXT PRIMARY KEY, expires INTEGER NOT NULL, a INTEGER NOT NULL,"
	" b INTEGER NOT NULL);",
};

struct db_kv {
	sqlite3 *db;
	char *path;
	struct workers *writer; /* one thread; NULL: write synchronously */
};

struct kv_change {
	struct db_kv *kv;
	char *key;
	time_t expires; /* 0: delete */
	int64_t a, b;
	int changed;
};

struct db_kv *
db_kv_open(const char *path, struct event_base *base, const char **error_r)
{
	struct db_kv *kv;
	sqlite3 *db = db_open(path, kv_migrations, 1, error_r);
	sqlite3_stmt *st;

	if (db == NULL)
		return NULL;
	kv = xcalloc(1, sizeof(*kv));
	kv->db = db;
	kv->path = xstrdup(path);
	st = db_prepare(db, "DELETE FROM kv WHERE expires <= ?");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warn("db: %s: cannot delete expired rows: %s", path, db_errmsg(db));
	sqlite3_finalize(st);
	if (base != NULL)
		kv->writer = workers_new(base, 1);
	return kv;
}

void
db_kv_close(struct db_kv **kvp)
{
	struct db_kv *kv = *kvp;

	if (kv == NULL)
		return;
	workers_free(&kv->writer);
	db_close(&kv->db);
	free(kv->path);
	free(kv);
	*kvp = NULL;
}

int
db_kv_load(struct db_kv *kv, time_t now,
	   void (*fn)(const char *key, time_t expires, int64_t a, int64_t b, void *ctx), void *ctx)
{
	sqlite3_stmt *st = db_prepare(
		kv->db, "SELECT key, expires, a, b FROM kv WHERE expires > ? ORDER BY key");
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(st, 0), (time_t)sqlite3_column_int64(st, 1),
		   sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3), ctx);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_error("db: %s: cannot read: %s", kv->path, db_errmsg(kv->db));
		return -1;
	}
	return 0;
}

/* On the writer thread (or the caller's, without one). */
static void
kv_change_write(void *arg)
{
	struct kv_change *c = arg;
	sqlite3 *db = c->kv->db;
	sqlite3_stmt *st;

	if (c->expires != 0) {
		st = db_prepare(db, "INSERT OR REPLACE INTO kv (key, expires, a, b) "
				    "VALUES (?, ?, ?, ?)");
		sqlite3_bind_int64(st, 2, (sqlite3_int64)c->expires);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)c->a);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)c->b);
	} else {
		st = db_prepare(db, "DELETE FROM kv WHERE key = ?");
	}
	sqlite3_bind_text(st, 1, c->key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warn("db: %s: cannot write %s: %s", c->kv->path, c->key, db_errmsg(db));
	else
		c->changed = sqlite3_changes(db);
	sqlite3_finalize(st);
}

static void
kv_change_free(void *arg)
{
	struct kv_change *c = arg;

	free(c->key);
	free(c);
}

static int
kv_change(struct db_kv *kv, const char *key, time_t expires, int64_t a, int64_t b)
{
	struct kv_change *c = xcalloc(1, sizeof(*c));
	int changed;

	c->kv = kv;
	c->key = xstrdup(key);
	c->expires = expires;
	c->a = a;
	c->b = b;
	if (kv->writer != NULL) {
		workers_submit(kv->writer, kv_change_write, kv_change_free, c);
		return 0;
	}
	kv_change_write(c);
	changed = c->changed;
	kv_change_free(c);
	return changed > 0;
}

void
db_kv_put(struct db_kv *kv, const char *key, time_t expires, int64_t a, int64_t b)
{
	kv_change(kv, key, expires > 0 ? expires : 1, a, b);
}

int
db_kv_del(struct db_kv *kv, const char *key)
{
	return kv_change(kv, key, 0, 0, 0);
}
