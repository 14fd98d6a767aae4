/* The schema of a per-account index.db (src/store/README.md "On disk") and opening one
 * with the store's pragmas. Migrations are applied by db_open() in order. */
#include <stdio.h>
#include <time.h>

#include "db/db.h"
#include "store/store_private.h"
#include "store/store_quota.h"

static const char *const store_migrations[] = {
	/* 1: the initial schema */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"CREATE TABLE mailboxes ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  name TEXT NOT NULL UNIQUE,"
	"  uidvalidity INTEGER NOT NULL,"
	"  uidnext INTEGER NOT NULL DEFAULT 1,"
	"  highestmodseq INTEGER NOT NULL DEFAULT 1,"
	"  recent_uid INTEGER NOT NULL DEFAULT 1," /* first UID no read-write session saw */
	"  special_use INTEGER NOT NULL DEFAULT 0,"
	"  noselect INTEGER NOT NULL DEFAULT 0,"
	"  keywords TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE subscriptions (name TEXT PRIMARY KEY);"
	"CREATE TABLE messages ("
	"  mailbox INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  modseq INTEGER NOT NULL,"
	"  flags INTEGER NOT NULL,"
	"  keywords INTEGER NOT NULL,"
	"  internaldate INTEGER NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  file TEXT NOT NULL,"
	"  data INTEGER NOT NULL,"
	"  PRIMARY KEY (mailbox, uid)) WITHOUT ROWID;"
	"CREATE INDEX messages_modseq ON messages (mailbox, modseq);"
	"CREATE INDEX messages_file ON messages (file);" /* copies share a file */
	"CREATE TABLE msgdata ("
	"  id INTEGER PRIMARY KEY,"
	"  header_size INTEGER NOT NULL, body_lines INTEGER NOT NULL,"
	"  sent_date INTEGER NOT NULL, sent_tz INTEGER NOT NULL,"
	"  envelope BLOB, bodystructure BLOB, body BLOB,"
	"  subject BLOB, from_ BLOB, to_ BLOB, cc BLOB, message_id BLOB, parts BLOB);"
	"CREATE TABLE expunged ("
	"  mailbox INTEGER NOT NULL, uid_first INTEGER NOT NULL, uid_last INTEGER NOT NULL,"
	"  modseq INTEGER NOT NULL);"
	"CREATE INDEX expunged_modseq ON expunged (mailbox, modseq);"
	"CREATE TABLE delivered ("
	"  id BLOB NOT NULL, target INTEGER NOT NULL, jnum INTEGER NOT NULL,"
	"  mailbox INTEGER NOT NULL, uid INTEGER NOT NULL,"
	"  PRIMARY KEY (id, target)) WITHOUT ROWID;"
	/* files no row references any more, unlinked after the commit (or at the next open) */
	"CREATE TABLE pending_unlink (file TEXT PRIMARY KEY);",
	/* 2: INTERNALDATE keeps the zone an APPEND gave it (seconds east of UTC) */
	"ALTER TABLE messages ADD COLUMN internaldate_tz INTEGER NOT NULL DEFAULT 0;",
	/* 3: SORT and THREAD keys (mail/msg_sortkeys.h); NULL in rows from before, which
	 * IMAP builds from the header when it meets them and stores back */
	"ALTER TABLE msgdata ADD COLUMN sortkeys BLOB;",
	/* 4: the account's usage for its quota (RFC 9208), store_quota.c */
	STORE_QUOTA_MIGRATION,
	/* 5: URLAUTH mailbox access keys (RFC 4467 3; store_urlauth.c) */
	"CREATE TABLE IF NOT EXISTS urlauth_keys (mailbox INTEGER PRIMARY KEY, key BLOB NOT NULL);",
	/* 6: the top-level header as IMAP sees it (prefix included), kept at delivery so that
	 * BODY[HEADER.FIELDS (...)] and BODY[HEADER] of many messages need no message file;
	 * NULL in rows from before (read from the file, as then) */
	"ALTER TABLE msgdata ADD COLUMN header BLOB;",
};

sqlite3 *
store_schema_open(const char *path, const char **error_r)
{
	sqlite3 *db;

	db = db_open(path, store_migrations,
		     (int)(sizeof(store_migrations) / sizeof(store_migrations[0])), error_r);
	if (db == NULL)
		return NULL;
	/* Keep index.db-wal and index.db-shm when this connection is the last one to close
	 * (SQLite deletes them then, after its checkpoint). Whoever opens a database whose
	 * WAL or shm file is missing creates it; a process running as root (an admin's
	 * sqlite3, a backup or monitoring script, even a read-only one) creates it as root
	 * and chowns it to the database's owner right after. A server connection that opens
	 * the file in between gets it read-only (SQLite falls back to O_RDONLY) for the whole
	 * life of the connection: every write of the account then fails with
	 * SQLITE_READONLY. With both files created by the store (in the account's staging
	 * directory) and never removed, nobody else ever creates them. */
	sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &(int){1});
	/* small page cache per account: many accounts are open at once */
	db_exec(db, "PRAGMA cache_size=-1024");
	return db;
}

bool
store_schema_writable(sqlite3 *db)
{
	int rc;

	/* BEGIN IMMEDIATE checks the WAL (and wal-index) for read-only before it takes the
	 * writer lock; do not wait for that lock: a busy index is a writable one */
	sqlite3_busy_timeout(db, 0);
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	else
		rc = sqlite3_extended_errcode(db);
	sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
	return (rc & 0xff) != SQLITE_READONLY;
}

void
store_schema_loop_connection(sqlite3 *db, struct store_account *acct)
{
	/* In WAL mode a commit syncs nothing with NORMAL either; what OFF removes is the
	 * fsync of the WAL header when a writer creates or restarts the WAL. Restarts are
	 * done by the checkpoint on a store thread (store_durable_checkpoint_index), and a
	 * restart or creation the loop does anyway is synced at once by the WAL hook. */
	db_exec(db, "PRAGMA synchronous=OFF");
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	/* replaces the automatic checkpoint, which is a wal_hook too */
	sqlite3_wal_hook(db, store_durable_wal_hook, acct);
	acct->counts_commits = true;
	/* Reads through a mapping of index.db: with the 1 MiB page cache above, a FETCH 1:* or
	 * SEARCH over a 10,000-message mailbox (a 10-30 MB index) otherwise re-reads most pages
	 * with one pread() each, every command. Mapped pages are the kernel's page cache,
	 * shared by all connections and not counted per account; pages still in the WAL are
	 * read as before. Writes stay write()s (no SQLITE_MMAP_READWRITE). */
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA mmap_size=%lld", (long long)STORE_INDEX_MMAP_BYTES);
	db_exec(db, pragma);
}

static int
insert_default_mailbox(sqlite3 *db, const char *name, unsigned special_use, uint32_t uidvalidity)
{
	sqlite3_stmt *st;
	int rc;

	st = db_prepare(db, "INSERT OR IGNORE INTO mailboxes (name, uidvalidity, special_use)"
			    " VALUES (?, ?, ?)");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_int64(st, 3, special_use);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	st = db_prepare(db, "INSERT OR IGNORE INTO subscriptions (name) VALUES (?)");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* INBOX and the RFC 6154 special-use mailboxes, with consecutive time-based UIDVALIDITYs
 * (meta.uidvalidity_next keeps later ones unique). */
int
store_schema_init_account(sqlite3 *db, const char **error_r)
{
	static const struct {
		const char *name;
		unsigned special_use;
	} defaults[] = {
		{"INBOX", 0},
		{"Sent", STORE_MAILBOX_SENT},
		{"Drafts", STORE_MAILBOX_DRAFTS},
		{"Trash", STORE_MAILBOX_TRASH},
		{"Junk", STORE_MAILBOX_JUNK},
		{"Archive", STORE_MAILBOX_ARCHIVE},
	};
	uint32_t base = (uint32_t)time(NULL);
	char sql[128];

	if (db_begin(db) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		if (insert_default_mailbox(db, defaults[i].name, defaults[i].special_use,
					   base + (uint32_t)i) < 0)
			goto fail;
	}
	snprintf(sql, sizeof(sql),
		 "INSERT OR REPLACE INTO meta (key, value) VALUES ('uidvalidity_next', %u)",
		 base + 6);
	if (db_exec(db, sql) < 0 || db_sync_commit(db) < 0)
		goto fail;
	return 0;
fail:
	db_rollback(db);
	*error_r = "cannot initialize the account index";
	return -1;
}
