/* The queue index in SQLite (see queue_db.h): schema, inserts, recipient state updates
 * and loading. Statements are prepared once per handle. */
#include "queue/queue_db.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "log/log.h"
#include "util/str.h"
#include "util/xmalloc.h"

static const char *const queue_db_migrations[] = {
	"CREATE TABLE message ("
	"  qid TEXT PRIMARY KEY,"
	"  sender TEXT NOT NULL,"
	"  arrival INTEGER NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  hold INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE rcpt ("
	"  qid TEXT NOT NULL REFERENCES message(qid) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL,"
	"  address TEXT NOT NULL,"
	"  local INTEGER NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  next_try INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  PRIMARY KEY (qid, idx)"
	") WITHOUT ROWID;"
	"CREATE INDEX message_arrival ON message(arrival);",
};

enum queue_db_stmt {
	QDB_INSERT_MSG,
	QDB_INSERT_RCPT,
	QDB_UPDATE_RCPT,
	QDB_DELETE_RCPTS,
	QDB_DELETE_MSG,
	QDB_HOLD,
	QDB_EXISTS,
	QDB_COUNT,
};

static const char *const queue_db_sql[QDB_COUNT] = {
	[QDB_INSERT_MSG] = "INSERT INTO message (qid, sender, arrival, size, hold) "
			   "VALUES (?, ?, ?, ?, ?)",
	[QDB_INSERT_RCPT] = "INSERT INTO rcpt (qid, idx, address, local, state, next_try) "
			    "VALUES (?, ?, ?, ?, 0, ?)",
	[QDB_UPDATE_RCPT] = "UPDATE rcpt SET state = ?, next_try = ?, attempts = ?, "
			    "last_error = ? WHERE qid = ? AND idx = ?",
	[QDB_DELETE_RCPTS] = "DELETE FROM rcpt WHERE qid = ?",
	[QDB_DELETE_MSG] = "DELETE FROM message WHERE qid = ?",
	[QDB_HOLD] = "UPDATE message SET hold = ? WHERE qid = ?",
	[QDB_EXISTS] = "SELECT hold FROM message WHERE qid = ?",
};

struct queue_db {
	sqlite3 *db;
	sqlite3_stmt *st[QDB_COUNT];
	bool sync_full; /* PRAGMA synchronous is FULL (db_open sets NORMAL) */
};

struct queue_db *
queue_db_open(const char *queue_dir, const char **error_r)
{
	struct queue_db *qdb;
	char *path = xasprintf("%s/queue.db", queue_dir);
	sqlite3 *db;
	int i;

	db = db_open(path, queue_db_migrations,
		     (int)(sizeof(queue_db_migrations) / sizeof(queue_db_migrations[0])), error_r);
	free(path);
	if (db == NULL)
		return NULL;
	qdb = xcalloc(1, sizeof(*qdb));
	qdb->db = db;
	for (i = 0; i < QDB_COUNT; i++)
		qdb->st[i] = db_prepare(db, queue_db_sql[i]);
	return qdb;
}

void
queue_db_close(struct queue_db **dbp)
{
	struct queue_db *qdb = *dbp;
	int i;

	if (qdb == NULL)
		return;
	*dbp = NULL;
	for (i = 0; i < QDB_COUNT; i++)
		sqlite3_finalize(qdb->st[i]);
	db_close(&qdb->db);
	free(qdb);
}

int
queue_db_begin(struct queue_db *db)
{
	return db_begin(db->db);
}

int
queue_db_commit(struct queue_db *db)
{
	return db_commit(db->db);
}

void
queue_db_rollback(struct queue_db *db)
{
	db_rollback(db->db);
}

int
queue_db_set_synchronous(struct queue_db *db, bool full)
{
	/* WAL mode: FULL fsyncs the WAL at every commit, NORMAL only at checkpoints */
	if (db->sync_full == full)
		return 0;
	if (db_exec(db->db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL") < 0)
		return -1;
	db->sync_full = full;
	return 0;
}

int
queue_db_savepoint(struct queue_db *db)
{
	return db_exec(db->db, "SAVEPOINT txn");
}

void
queue_db_release_savepoint(struct queue_db *db)
{
	db_exec(db->db, "RELEASE txn");
}

void
queue_db_rollback_savepoint(struct queue_db *db)
{
	db_exec(db->db, "ROLLBACK TO txn");
	db_exec(db->db, "RELEASE txn");
}

int
queue_db_sync_commit(struct queue_db *db)
{
	return db_sync_commit(db->db);
}

/* Steps a statement that returns no rows and resets it. */
static int
queue_db_run(struct queue_db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_error("queue: database error: %s", sqlite3_errmsg(db->db));
		return -1;
	}
	return 0;
}

int
queue_db_insert(struct queue_db *db, const struct queue_db_msg *msg)
{
	sqlite3_stmt *st = db->st[QDB_INSERT_MSG];
	size_t i;

	sqlite3_bind_text(st, 1, msg->qid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, msg->sender, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)msg->arrival);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)msg->size);
	sqlite3_bind_int(st, 5, msg->hold);
	if (queue_db_run(db, st) < 0)
		return -1;
	st = db->st[QDB_INSERT_RCPT];
	for (i = 0; i < msg->n_rcpts; i++) {
		sqlite3_bind_text(st, 1, msg->qid, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		sqlite3_bind_text(st, 3, msg->rcpts[i].address, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, msg->rcpts[i].local);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)msg->arrival);
		if (queue_db_run(db, st) < 0)
			return -1;
	}
	return 0;
}

int
queue_db_update_rcpt(struct queue_db *db, const char *qid, size_t idx,
		     const struct queue_db_rcpt *rcpt)
{
	sqlite3_stmt *st = db->st[QDB_UPDATE_RCPT];

	sqlite3_bind_int(st, 1, (int)rcpt->state);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)rcpt->next_try);
	sqlite3_bind_int(st, 3, (int)rcpt->attempts);
	if (rcpt->last_error != NULL)
		sqlite3_bind_text(st, 4, rcpt->last_error, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_text(st, 5, qid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)idx);
	return queue_db_run(db, st);
}

int
queue_db_delete(struct queue_db *db, const char *qid)
{
	sqlite3_bind_text(db->st[QDB_DELETE_RCPTS], 1, qid, -1, SQLITE_STATIC);
	if (queue_db_run(db, db->st[QDB_DELETE_RCPTS]) < 0)
		return -1;
	sqlite3_bind_text(db->st[QDB_DELETE_MSG], 1, qid, -1, SQLITE_STATIC);
	return queue_db_run(db, db->st[QDB_DELETE_MSG]);
}

int
queue_db_set_hold(struct queue_db *db, const char *qid, bool hold)
{
	sqlite3_stmt *st = db->st[QDB_HOLD];

	sqlite3_bind_int(st, 1, hold);
	sqlite3_bind_text(st, 2, qid, -1, SQLITE_STATIC);
	if (queue_db_run(db, st) < 0)
		return -1;
	return sqlite3_changes(db->db) > 0 ? 1 : 0;
}

int
queue_db_flush(struct queue_db *db, time_t now)
{
	sqlite3_stmt *st = db_prepare(db->db, "UPDATE rcpt SET next_try = ? "
					      "WHERE state = 0 AND next_try > ?");

	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_error("queue: database error: %s", sqlite3_errmsg(db->db));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

bool
queue_db_exists(struct queue_db *db, const char *qid, bool *hold_r)
{
	sqlite3_stmt *st = db->st[QDB_EXISTS];
	bool found;

	sqlite3_bind_text(st, 1, qid, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	if (found && hold_r != NULL)
		*hold_r = sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return found;
}

void
queue_db_msg_clear(struct queue_db_msg *msg)
{
	size_t i;

	for (i = 0; i < msg->n_rcpts; i++) {
		free(msg->rcpts[i].address);
		free(msg->rcpts[i].last_error);
	}
	free(msg->rcpts);
	free(msg->sender);
	memset(msg, 0, sizeof(*msg));
}

static char *
column_strdup(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s != NULL ? xstrdup((const char *)s) : NULL;
}

/* Adds the recipients of msg from a rcpt query positioned on its first row; returns the
 * sqlite3_step() result past them. */
static int
queue_db_load_rcpts(sqlite3_stmt *st, struct queue_db_msg *msg, int rc)
{
	size_t cap = 0;

	while (rc == SQLITE_ROW &&
	       strcmp((const char *)sqlite3_column_text(st, 0), msg->qid) == 0) {
		struct queue_db_rcpt *r;

		msg->rcpts = xgrow(msg->rcpts, &cap, msg->n_rcpts + 1, sizeof(*msg->rcpts));
		r = &msg->rcpts[msg->n_rcpts++];
		r->address = column_strdup(st, 1);
		r->local = sqlite3_column_int(st, 2) != 0;
		r->state = (enum queue_rcpt_state)sqlite3_column_int(st, 3);
		r->next_try = (time_t)sqlite3_column_int64(st, 4);
		r->attempts = (unsigned)sqlite3_column_int(st, 5);
		r->last_error = column_strdup(st, 6);
		rc = sqlite3_step(st);
	}
	return rc;
}

int
queue_db_load(struct queue_db *db, const char *qid,
	      void (*cb)(void *ctx, const struct queue_db_msg *msg), void *ctx)
{
	/* both queries in qid order, so the recipients are merged in one pass */
	sqlite3_stmt *mst = db_prepare(db->db, "SELECT qid, sender, arrival, size, hold "
					       "FROM message WHERE ?1 IS NULL OR qid = ?1 "
					       "ORDER BY qid");
	sqlite3_stmt *rst = db_prepare(db->db, "SELECT qid, address, local, state, next_try, "
					       "attempts, last_error FROM rcpt "
					       "WHERE ?1 IS NULL OR qid = ?1 ORDER BY qid, idx");
	int mrc, rrc, ret = 0;

	if (qid != NULL) {
		sqlite3_bind_text(mst, 1, qid, -1, SQLITE_STATIC);
		sqlite3_bind_text(rst, 1, qid, -1, SQLITE_STATIC);
	}
	rrc = sqlite3_step(rst);
	while ((mrc = sqlite3_step(mst)) == SQLITE_ROW) {
		struct queue_db_msg msg;

		memset(&msg, 0, sizeof(msg));
		str_lcpy(msg.qid, (const char *)sqlite3_column_text(mst, 0), sizeof(msg.qid));
		msg.sender = column_strdup(mst, 1);
		msg.arrival = (time_t)sqlite3_column_int64(mst, 2);
		msg.size = (unsigned long long)sqlite3_column_int64(mst, 3);
		msg.hold = sqlite3_column_int(mst, 4) != 0;
		/* skip recipients of vanished messages (cannot happen with the foreign key) */
		while (rrc == SQLITE_ROW &&
		       strcmp((const char *)sqlite3_column_text(rst, 0), msg.qid) < 0)
			rrc = sqlite3_step(rst);
		rrc = queue_db_load_rcpts(rst, &msg, rrc);
		cb(ctx, &msg);
		queue_db_msg_clear(&msg);
	}
	if (mrc != SQLITE_DONE || (rrc != SQLITE_DONE && rrc != SQLITE_ROW)) {
		log_error("queue: database error: %s", sqlite3_errmsg(db->db));
		ret = -1;
	}
	sqlite3_finalize(mst);
	sqlite3_finalize(rst);
	return ret;
}
