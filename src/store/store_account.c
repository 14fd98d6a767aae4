/* Account handles (see store_account.h): a cache of open index.db connections keyed by
 * account name, refcounted, with an LRU list of idle handles capped at
 * STORE_ACCOUNT_CACHE, and each handle's cache of prepared statements. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "log/log.h"
#include "store/store_private.h"
#include "util/strmap.h"
#include "util/xmalloc.h"

static const char *const stmt_sql[STORE_STMT_COUNT] = {
	[STORE_STMT_MAILBOX_BY_NAME] =
		"SELECT id, name, uidvalidity, uidnext, highestmodseq, recent_uid, special_use,"
		" noselect, keywords FROM mailboxes WHERE name = ?",
	[STORE_STMT_MAILBOX_BY_ID] =
		"SELECT id, name, uidvalidity, uidnext, highestmodseq, recent_uid, special_use,"
		" noselect, keywords FROM mailboxes WHERE id = ?",
	[STORE_STMT_MAILBOX_SET_NEXT] =
		"UPDATE mailboxes SET uidnext = ?, highestmodseq = ? WHERE id = ?",
	[STORE_STMT_MSGDATA_INSERT] =
		"INSERT INTO msgdata (header_size, body_lines, sent_date, sent_tz, envelope,"
		" bodystructure, body, subject, from_, to_, cc, message_id, parts, sortkeys, "
		"header)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[STORE_STMT_MESSAGE_INSERT] =
		"INSERT INTO messages (mailbox, uid, modseq, flags, keywords, internaldate, size,"
		" file, data, internaldate_tz) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[STORE_STMT_DELIVERED_INSERT] =
		"INSERT OR REPLACE INTO delivered (id, target, jnum, mailbox, uid)"
		" VALUES (?, ?, ?, ?, ?)",
	[STORE_STMT_DELIVERED_GET] =
		"SELECT mailbox, uid FROM delivered WHERE id = ? AND target = ?",
	[STORE_STMT_MESSAGE_FILE] =
		"SELECT file, size, data FROM messages WHERE mailbox = ? AND uid = ?",
	[STORE_STMT_MESSAGE_FLAGS] =
		"SELECT flags, keywords, modseq FROM messages WHERE mailbox = ? AND uid = ?",
	[STORE_STMT_MESSAGE_SET_FLAGS] = "UPDATE messages SET flags = ?, keywords = ?, modseq = ? "
					 "WHERE mailbox = ? AND uid = ?",
	[STORE_STMT_MESSAGE_DELETE] =
		"DELETE FROM messages WHERE mailbox = ? AND uid = ? RETURNING file, data",
	[STORE_STMT_MSGDATA_DELETE] = "DELETE FROM msgdata WHERE id = ?",
	[STORE_STMT_MSGDATA_COPY] =
		"INSERT INTO msgdata (header_size, body_lines, sent_date, sent_tz, envelope,"
		" bodystructure, body, subject, from_, to_, cc, message_id, parts, sortkeys, "
		"header)"
		" SELECT header_size, body_lines, sent_date, sent_tz, envelope, bodystructure, "
		"body,"
		" subject, from_, to_, cc, message_id, parts, sortkeys, header FROM msgdata WHERE "
		"id = ?",
	[STORE_STMT_EXPUNGED_INSERT] =
		"INSERT INTO expunged (mailbox, uid_first, uid_last, modseq) VALUES (?, ?, ?, ?)",
	[STORE_STMT_MAILBOX_SET_MODSEQ] = "UPDATE mailboxes SET highestmodseq = ? WHERE id = ?",
	[STORE_STMT_MAILBOX_SET_KEYWORDS] = "UPDATE mailboxes SET keywords = ? WHERE id = ?",
	/* the statements of every IMAP session's commands (refresh, STATUS, LIST, EXPUNGE):
	 * preparing them per call was ~6 % of the loop's CPU with 100 users (bench/README.md
	 * "Stress, imaptest") */
	[STORE_STMT_MAILBOX_SET_RECENT] = "UPDATE mailboxes SET recent_uid = ? WHERE id = ?",
	[STORE_STMT_MAILBOX_STATUS] =
		"SELECT count(*), sum(size), sum((flags & 1) = 0), sum(uid >= ?),"
		" sum((flags & 8) != 0), sum(CASE WHEN flags & 8 THEN size ELSE 0 END)"
		" FROM messages WHERE mailbox = ?",
	[STORE_STMT_MAILBOX_LIST] = "SELECT name, special_use, noselect FROM mailboxes",
	[STORE_STMT_SUBSCRIPTIONS] = "SELECT name FROM subscriptions",
	[STORE_STMT_FILE_REFERENCED] = "SELECT 1 FROM messages WHERE file = ? LIMIT 1",
	[STORE_STMT_PENDING_UNLINK_INSERT] =
		"INSERT OR IGNORE INTO pending_unlink (file) VALUES (?)",
	[STORE_STMT_PENDING_UNLINK_DELETE] = "DELETE FROM pending_unlink WHERE file = ?",
	[STORE_STMT_PENDING_UNLINK_LIST] = "SELECT file FROM pending_unlink",
	[STORE_STMT_BEGIN] = "BEGIN",
	[STORE_STMT_COMMIT] = "COMMIT",
	[STORE_STMT_MSGDATA_SET_SORTKEYS] =
		"UPDATE msgdata SET sortkeys = ?1 WHERE id ="
		" (SELECT data FROM messages WHERE mailbox = ?2 AND uid = ?3)",
	/* INDEXED BY: without statistics the planner walks the primary key for ORDER BY uid,
	 * i.e. every message of the mailbox on every refresh after a change */
	[STORE_STMT_VIEW_CHANGED] = "SELECT uid, flags, keywords, modseq FROM messages"
				    " INDEXED BY messages_modseq"
				    " WHERE mailbox = ? AND modseq > ? ORDER BY uid",
	[STORE_STMT_VIEW_EXPUNGED] = "SELECT uid_first, uid_last FROM expunged"
				     " WHERE mailbox = ? AND modseq > ?",
};

sqlite3_stmt *
store_stmt(struct store_account *acct, enum store_stmt_id id)
{
	sqlite3_stmt *st = acct->stmts[id];

	if (st == NULL) {
		st = db_prepare(acct->db, stmt_sql[id]);
		acct->stmts[id] = st;
	} else {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	return st;
}

bool
store_read_begin(struct store_account *acct)
{
	sqlite3_stmt *st;
	int rc;

	/* Inside a transaction already: the reads are part of it. A read statement still in
	 * progress (a FETCH cursor) is no obstacle: COMMIT fails only while a write statement
	 * runs (SQLITE_BUSY), and the loop steps its writes to the end; the cursor's own read
	 * transaction goes on after the COMMIT. (Walking the connection's statements to check
	 * cost 5 % of the loop: an account handle keeps dozens.) */
	if (!sqlite3_get_autocommit(acct->db))
		return false;
	st = store_stmt(acct, STORE_STMT_BEGIN);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE;
}

void
store_read_end(struct store_account *acct, bool began)
{
	sqlite3_stmt *st;

	if (!began)
		return;
	st = store_stmt(acct, STORE_STMT_COMMIT);
	if (sqlite3_step(st) != SQLITE_DONE && !sqlite3_get_autocommit(acct->db)) {
		log_warn("store: %s: ending a read transaction: %s", acct->name,
			 sqlite3_errmsg(acct->db));
		db_rollback(acct->db);
	}
	sqlite3_reset(st);
}

int
store_account_fail(struct store_account *acct, enum store_error code, const char *msg,
		   const char **error_r)
{
	acct->errcode = code;
	*error_r = msg;
	return -1;
}

static void
account_free(struct store_account *acct)
{
	for (size_t i = 0; i < STORE_STMT_COUNT; i++)
		sqlite3_finalize(acct->stmts[i]);
	for (size_t i = 0; i <= STORE_MSG_FIELDS_ALL; i++) {
		sqlite3_finalize(acct->get_stmts[i]);
		sqlite3_finalize(acct->range_stmts[i]);
	}
	db_close(&acct->db);
	/* names still due stay in pending_unlink: the next open unlinks them */
	store_names_free(&acct->released);
	store_names_free(&acct->unlink_due);
	store_names_free(&acct->unlinked);
	buf_free(&acct->get_buf);
	if (acct->cache_free != NULL)
		acct->cache_free(acct->cache);
	if (acct->cache2_free != NULL)
		acct->cache2_free(acct->cache2);
	free(acct->name);
	free(acct->dir);
	free(acct);
}

static void
lru_remove(struct store *store, struct store_account *acct)
{
	if (acct->lru_prev != NULL)
		acct->lru_prev->lru_next = acct->lru_next;
	else
		store->lru_head = acct->lru_next;
	if (acct->lru_next != NULL)
		acct->lru_next->lru_prev = acct->lru_prev;
	else
		store->lru_tail = acct->lru_prev;
	acct->lru_prev = acct->lru_next = NULL;
	store->n_idle--;
}

static void
lru_push(struct store *store, struct store_account *acct)
{
	acct->lru_prev = NULL;
	acct->lru_next = store->lru_head;
	if (store->lru_head != NULL)
		store->lru_head->lru_prev = acct;
	else
		store->lru_tail = acct;
	store->lru_head = acct;
	store->n_idle++;
}

/* Takes acct out of the cache: a later open makes a new handle. */
static void
account_detach(struct store *store, struct store_account *acct)
{
	if (!acct->cached)
		return;
	strmap_set(store->accounts, acct->name, NULL);
	acct->cached = false;
	if (acct->refs == 0) {
		lru_remove(store, acct);
		account_free(acct);
	}
}

void
store_account_forget(struct store *store, const char *name)
{
	struct store_account *acct = strmap_get(store->accounts, name);

	if (acct != NULL)
		account_detach(store, acct);
}

/* Leftovers of a crash in the middle of writing a message file. The files this process
 * is writing ahead (store_prewrite.c, named with its tag) are not leftovers. */
static void
clean_tmp(const char *dir, const char *tag)
{
	char path[4096];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/tmp", dir);
	d = opendir(path);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strstr(de->d_name, tag) != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/tmp/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

/* A cached handle lives long: one whose connection cannot write would fail every write
 * to the account until evicted. The server's connections are checked once at open; one
 * that came out read-only (a file of the index created by another process at that very
 * moment, see store_schema_open) is opened again, and failing that is not cached. */
static sqlite3 *
open_writable(const struct store *store, const char *path, const char **error_r)
{
	sqlite3 *db = store_schema_open(path, error_r);

	for (int attempt = 0; db != NULL && store->primary && !store_schema_writable(db);
	     attempt++) {
		db_close(&db);
		if (attempt == 1) {
			log_error("store: %s: opened read-only twice", path);
			*error_r = "index read-only";
			return NULL;
		}
		log_warn("store: %s: opened read-only; opening it again", path);
		db = store_schema_open(path, error_r);
	}
	return db;
}

static struct store_account *
account_load(struct store *store, char *name, const struct stat *st, const char **error_r)
{
	struct store_account *acct;
	char *path;

	acct = xcalloc(1, sizeof(*acct));
	acct->store = store;
	acct->name = name;
	acct->dir = store_account_dir(store, name);
	path = xasprintf("%s/index.db", acct->dir);
	acct->db = open_writable(store, path, error_r);
	free(path);
	if (acct->db == NULL) {
		free(acct->dir);
		free(acct->name);
		free(acct);
		return NULL;
	}
	acct->dev = st->st_dev;
	acct->ino = st->st_ino;
	if (store->io != NULL && store->primary)
		store_schema_loop_connection(acct->db, acct);
	if (store->primary) {
		clean_tmp(acct->dir, store->prewrite_tag);
		store_files_unlink_pending(acct);
	}
	acct->cached = true;
	strmap_set(store->accounts, name, acct);
	return acct;
}

struct store_account *
store_account_open(struct store *store, const char *account, const char **error_r)
{
	struct store_account *acct;
	struct stat st;
	char *name, *path;

	name = store_account_name_normalize(account);
	if (name == NULL) {
		*error_r = "invalid account name";
		return NULL;
	}
	path = xasprintf("%s/%s/index.db", store->mail_dir, name);
	if (stat(path, &st) < 0) {
		free(path);
		store_account_forget(store, name);
		free(name);
		*error_r = errno == ENOENT ? "no such account" : "cannot access the account";
		return NULL;
	}
	free(path);
	acct = strmap_get(store->accounts, name);
	if (acct != NULL && (acct->dev != st.st_dev || acct->ino != st.st_ino)) {
		account_detach(store, acct);
		acct = NULL;
	}
	if (acct != NULL) {
		free(name);
		if (acct->refs++ == 0)
			lru_remove(store, acct);
		return acct;
	}
	acct = account_load(store, name, &st, error_r);
	if (acct != NULL)
		acct->refs++; /* += : the load may have given a job a reference already */
	return acct;
}

void
store_account_ref(struct store_account *acct)
{
	acct->refs++;
}

void
store_account_unref(struct store_account **acctp)
{
	struct store_account *acct = *acctp;
	struct store *store;

	if (acct == NULL)
		return;
	*acctp = NULL;
	store = acct->store;
	if (--acct->refs > 0)
		return;
	if (!acct->cached) {
		account_free(acct);
		return;
	}
	lru_push(store, acct);
	while (store->n_idle > STORE_ACCOUNT_CACHE) {
		struct store_account *old = store->lru_tail;

		account_detach(store, old);
	}
}

static void
close_one(const char *key, void *value, void *ctx)
{
	struct store_account *acct = value;

	(void)key;
	(void)ctx;
	if (acct->refs > 0)
		log_warn("store: account %s still has %d references at close", acct->name,
			 acct->refs);
}

void
store_account_cache_close_all(struct store *store)
{
	strmap_foreach(store->accounts, close_one, NULL);
	while (store->lru_tail != NULL)
		account_detach(store, store->lru_tail);
}

const char *
store_account_name(const struct store_account *acct)
{
	return acct->name;
}

struct store *
store_account_store(const struct store_account *acct)
{
	return acct->store;
}

enum store_error
store_account_errcode(const struct store_account *acct)
{
	return acct->errcode;
}

bool
store_account_pop3_lock(struct store_account *acct)
{
	if (acct->pop3_locked)
		return false;
	acct->pop3_locked = true;
	/* the lock lives in the handle: keep it out of the LRU while held */
	acct->refs++;
	return true;
}

void
store_account_pop3_unlock(struct store_account *acct)
{
	struct store_account *a = acct;

	if (!acct->pop3_locked)
		return;
	acct->pop3_locked = false;
	store_account_unref(&a);
}

int
store_account_new_uidvalidity(struct store_account *acct, uint32_t *uidvalidity_r)
{
	sqlite3_stmt *st;
	uint64_t next = 1, now = (uint64_t)time(NULL);
	int rc;

	st = db_prepare(acct->db, "SELECT value FROM meta WHERE key = 'uidvalidity_next'");
	if (sqlite3_step(st) == SQLITE_ROW)
		next = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (next < now)
		next = now;
	if (next >= UINT32_MAX)
		next = 1; /* year 2106: wrapped; uniqueness then rests on the counter */
	*uidvalidity_r = (uint32_t)next;
	st = db_prepare(acct->db, "INSERT OR REPLACE INTO meta (key, value)"
				  " VALUES ('uidvalidity_next', ?)");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)next + 1);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

void *
store_account_cache(const struct store_account *acct)
{
	return acct->cache;
}

void
store_account_set_cache(struct store_account *acct, void *cache, void (*free_fn)(void *))
{
	if (acct->cache_free != NULL && acct->cache != cache)
		acct->cache_free(acct->cache);
	acct->cache = cache;
	acct->cache_free = free_fn;
}

void *
store_account_cache2(const struct store_account *acct)
{
	return acct->cache2;
}

void
store_account_set_cache2(struct store_account *acct, void *cache, void (*free_fn)(void *))
{
	if (acct->cache2_free != NULL && acct->cache2 != cache)
		acct->cache2_free(acct->cache2);
	acct->cache2 = cache;
	acct->cache2_free = free_fn;
}
