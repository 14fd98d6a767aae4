/* The token store (see spam_db.h). */
#include "spam/spam_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "log/log.h"
#include "mail/spam_bayes.h"
#include "mail/spam_score.h"
#include "mail/spam_tokens.h"
#include "util/xmalloc.h"

/* the most of a store mapped; stores are bounded by spam_max_tokens (~100 bytes a token) */
#define SPAM_DB_MMAP_SIZE "268435456"

struct spam_db {
	sqlite3 *db;
	char *path;
	/* spam_db_classify()'s statements, prepared at its first call and kept: a store stays
	 * open in its thread's cache for many messages, and parsing them again for each was a
	 * visible share of a classification */
	sqlite3_stmt *begin, *rollback, *totals, *token;
};

static const char *const migrations[] = {
	/* 1: tokens with their message counts per class and the time they were last trained
	 * (for pruning); the trained messages by content hash; the message totals. Idempotent:
	 * two threads opening a new store at once may both run it (db_migrate reads the
	 * version before its transaction), the second then changes nothing. */
	"CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, nspam INTEGER NOT NULL DEFAULT "
	"0,"
	"  nham INTEGER NOT NULL DEFAULT 0, atime INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS tokens_use ON tokens (nspam + nham, atime);"
	"CREATE TABLE IF NOT EXISTS trained (key INTEGER PRIMARY KEY, class INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS totals (id INTEGER PRIMARY KEY CHECK (id = 0), nspam INTEGER "
	"NOT NULL,"
	"  nham INTEGER NOT NULL, ntokens INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO totals VALUES (0, 0, 0, 0);",
};

struct spam_db *
spam_db_open(const char *data_dir, const char *account, bool create, const char **error_r)
{
	struct spam_db *d;
	char *path = xasprintf("%s/mail/%s/spam.db", data_dir, account);
	sqlite3 *db;

	*error_r = NULL;
	if (!create && access(path, F_OK) != 0) {
		free(path);
		return NULL;
	}
	db = db_open(path, migrations, (int)(sizeof(migrations) / sizeof(migrations[0])), error_r);
	if (db == NULL) {
		free(path);
		return NULL;
	}
	/* A classifier thread keeps up to spam_store_cache stores open (spam_job.c): their
	 * pages are read through a mapping of the file, shared with the kernel's page cache and
	 * given back under memory pressure, and each store's own page cache stays small, so
	 * that the open stores do not add up to SQLite's default 2 MB of private cache each. */
	db_exec(db, "PRAGMA mmap_size = " SPAM_DB_MMAP_SIZE "; PRAGMA cache_size = -256;");
	d = xcalloc(1, sizeof(*d));
	d->db = db;
	d->path = path;
	return d;
}

void
spam_db_close(struct spam_db **db)
{
	if (*db == NULL)
		return;
	sqlite3_finalize((*db)->begin);
	sqlite3_finalize((*db)->rollback);
	sqlite3_finalize((*db)->totals);
	sqlite3_finalize((*db)->token);
	db_close(&(*db)->db);
	free((*db)->path);
	free(*db);
	*db = NULL;
}

static void
totals(struct spam_db *d, unsigned long *nspam, unsigned long *nham, unsigned long *ntokens)
{
	sqlite3_stmt *st;

	if (d->totals == NULL)
		d->totals = db_prepare(d->db, "SELECT nspam, nham, ntokens FROM totals");
	st = d->totals;
	*nspam = *nham = *ntokens = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*nspam = (unsigned long)sqlite3_column_int64(st, 0);
		*nham = (unsigned long)sqlite3_column_int64(st, 1);
		*ntokens = (unsigned long)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
}

/* A kept statement run to its end (BEGIN, ROLLBACK): 0 ok, -1 failed and logged. */
static int
step_kept(struct spam_db *d, sqlite3_stmt **st, const char *sql)
{
	int rc;

	if (*st == NULL)
		*st = db_prepare(d->db, sql);
	rc = sqlite3_step(*st);
	sqlite3_reset(*st);
	if (rc != SQLITE_DONE) {
		log_error("spam: %s: %s: %s", d->path, sql, sqlite3_errmsg(d->db));
		return -1;
	}
	return 0;
}

void
spam_db_stats(struct spam_db *db, unsigned long *nspam_r, unsigned long *nham_r,
	      unsigned long *ntokens_r)
{
	totals(db, nspam_r, nham_r, ntokens_r);
}

double
spam_db_classify(struct spam_db *d, const struct spam_tokens *t, unsigned min_trained)
{
	unsigned long nspam, nham, ntokens;
	sqlite3_stmt *st;
	double *probs, p;
	size_t n = 0;

	/* one read transaction: the counts and the totals agree */
	if (step_kept(d, &d->begin, "BEGIN") < 0)
		return SPAM_BAYES_NONE;
	totals(d, &nspam, &nham, &ntokens);
	if (nspam < min_trained || nham < min_trained) {
		step_kept(d, &d->rollback, "ROLLBACK");
		return SPAM_BAYES_NONE;
	}
	probs = xmalloc((t->n > 0 ? t->n : 1) * sizeof(*probs));
	if (d->token == NULL)
		d->token = db_prepare(d->db, "SELECT nspam, nham FROM tokens WHERE token = ?");
	st = d->token;
	for (size_t i = 0; i < t->n; i++) {
		sqlite3_bind_text(st, 1, t->v[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			probs[n++] = spam_bayes_token_prob(
				(unsigned long)sqlite3_column_int64(st, 0),
				(unsigned long)sqlite3_column_int64(st, 1), nspam, nham);
		/* an unknown token has the prior 0.5: it never counts (SPAM_BAYES_MIN_DEV) */
		sqlite3_reset(st);
	}
	sqlite3_clear_bindings(st);
	step_kept(d, &d->rollback, "ROLLBACK");
	p = spam_bayes_combine(probs, n);
	free(probs);
	return p;
}

/* Adds delta (+1 / -1) to the tokens' counts of cls. */
static int
count_tokens(struct spam_db *d, enum spam_class cls, int delta, const struct spam_tokens *t,
	     long now)
{
	const char *col = cls == SPAM_CLASS_SPAM ? "nspam" : "nham";
	char sql[256];
	sqlite3_stmt *ins, *del;
	long long added = 0;
	int rc = 0;

	if (delta > 0)
		snprintf(sql, sizeof(sql),
			 "INSERT INTO tokens (token, %s, atime) VALUES (?1, 1, ?2)"
			 " ON CONFLICT (token) DO UPDATE SET %s = %s + 1, atime = ?2",
			 col, col, col);
	else
		snprintf(sql, sizeof(sql), "UPDATE tokens SET %s = max(%s - 1, 0) WHERE token = ?1",
			 col, col);
	ins = db_prepare(d->db, sql);
	for (size_t i = 0; i < t->n && rc == 0; i++) {
		sqlite3_bind_text(ins, 1, t->v[i], -1, SQLITE_STATIC);
		if (delta > 0)
			sqlite3_bind_int64(ins, 2, now);
		if (sqlite3_step(ins) != SQLITE_DONE)
			rc = -1;
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	if (rc < 0)
		return -1;
	if (delta < 0) {
		/* tokens no message counts any more */
		del = db_prepare(d->db, "DELETE FROM tokens WHERE nspam = 0 AND nham = 0");
		if (sqlite3_step(del) != SQLITE_DONE)
			rc = -1;
		sqlite3_finalize(del);
	}
	/* ntokens is recounted: an upsert does not say whether it inserted */
	del = db_prepare(d->db, "SELECT count(*) FROM tokens");
	if (sqlite3_step(del) == SQLITE_ROW)
		added = sqlite3_column_int64(del, 0);
	sqlite3_finalize(del);
	snprintf(sql, sizeof(sql), "UPDATE totals SET %s = max(%s + %d, 0), ntokens = %lld", col,
		 col, delta, added);
	if (db_exec(d->db, sql) < 0)
		rc = -1;
	return rc;
}

static int
prune(struct spam_db *d, unsigned long max_tokens)
{
	unsigned long nspam, nham, ntokens;
	char sql[256];

	totals(d, &nspam, &nham, &ntokens);
	if (ntokens <= max_tokens)
		return 0;
	snprintf(sql, sizeof(sql),
		 "DELETE FROM tokens WHERE token IN (SELECT token FROM tokens"
		 " ORDER BY nspam + nham, atime LIMIT %lu);"
		 "UPDATE totals SET ntokens = (SELECT count(*) FROM tokens);",
		 ntokens - max_tokens / 10 * 9);
	log_info("spam: %s: pruning %lu of %lu tokens (spam_max_tokens = %lu)", d->path,
		 ntokens - max_tokens / 10 * 9, ntokens, max_tokens);
	return db_exec(d->db, sql);
}

int
spam_db_train(struct spam_db *d, uint64_t key, enum spam_class cls, const struct spam_tokens *t,
	      unsigned long max_tokens, long now)
{
	enum spam_class was = SPAM_CLASS_NONE;
	sqlite3_stmt *st;
	int rc = 0;

	if (db_exec(d->db, "BEGIN IMMEDIATE") < 0)
		return -1;
	st = db_prepare(d->db, "SELECT class FROM trained WHERE key = ?");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)key);
	if (sqlite3_step(st) == SQLITE_ROW)
		was = (enum spam_class)sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (was == cls) {
		db_rollback(d->db);
		return 0;
	}
	if (was != SPAM_CLASS_NONE)
		rc = count_tokens(d, was, -1, t, now);
	if (rc == 0)
		rc = count_tokens(d, cls, +1, t, now);
	if (rc == 0) {
		st = db_prepare(d->db, "INSERT OR REPLACE INTO trained (key, class) VALUES (?, ?)");
		sqlite3_bind_int64(st, 1, (sqlite3_int64)key);
		sqlite3_bind_int(st, 2, (int)cls);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = -1;
		sqlite3_finalize(st);
	}
	if (rc == 0)
		rc = prune(d, max_tokens);
	if (rc < 0 || db_commit(d->db) < 0) {
		log_warn("spam: %s: training failed: %s", d->path, db_errmsg(d->db));
		db_rollback(d->db);
		return -1;
	}
	return 1;
}
