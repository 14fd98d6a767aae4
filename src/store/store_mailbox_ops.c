/* Mailbox operations (see store_mailbox.h): list, create with parents, delete (RFC 3501
 * 6.3.4 \Noselect rules), rename with children and the INBOX special case (6.3.5),
 * subscriptions (6.3.6), status (6.3.10). Structural changes commit without waiting for the
 * disk; the caller makes them durable with store_account_sync() before it answers. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "log/log.h"
#include "store/store_private.h"
#include "util/xmalloc.h"

char *
store_mailbox_normalized(struct store_account *acct, const char *name, const char **error_r)
{
	char *n = xstrdup(name);

	if (store_mailbox_name_normalize(n) < 0) {
		free(n);
		store_account_fail(acct, STORE_ERR_INVALID, "invalid mailbox name", error_r);
		return NULL;
	}
	return n;
}

int
store_mailbox_insert(struct store_account *acct, const char *name, unsigned special_use)
{
	uint32_t uidvalidity;
	sqlite3_stmt *st;
	int rc;

	if (store_account_new_uidvalidity(acct, &uidvalidity) < 0)
		return -1;
	st = db_prepare(acct->db, "INSERT INTO mailboxes (name, uidvalidity, special_use)"
				  " VALUES (?, ?, ?)");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_int64(st, 3, special_use & STORE_MAILBOX_SPECIAL_USE_MASK);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* RFC 3501 6.3.3: superior names are created as needed. */
int
store_mailbox_create_parents(struct store_account *acct, const char *name)
{
	char *copy = xstrdup(name);
	int ret = 0;

	for (char *p = strchr(copy, '/'); p != NULL && ret == 0; p = strchr(p + 1, '/')) {
		struct store_mailbox_row row;
		int found;

		*p = '\0';
		found = store_mailbox_row_by_name(acct, copy, &row);
		if (found > 0)
			store_mailbox_row_free(&row);
		else if (found < 0 || store_mailbox_insert(acct, copy, 0) < 0)
			ret = -1;
		*p = '/';
	}
	free(copy);
	return ret;
}

bool
store_mailbox_has_children(struct store_account *acct, const char *name)
{
	sqlite3_stmt *st =
		db_prepare(acct->db, "SELECT 1 FROM mailboxes WHERE"
				     " substr(name, 1, length(?1) + 1) = ?1 || '/' LIMIT 1");
	bool ret;

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	ret = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return ret;
}

/* Ends a structural change: commit (durable once store_account_sync calls back), event. */
int
store_mailbox_finish(struct store_account *acct, uint64_t id, const char *name,
		     const char **error_r)
{
	return store_mailbox_finish_rename(acct, id, NULL, name, error_r);
}

int
store_mailbox_finish_rename(struct store_account *acct, uint64_t id, const char *old_name,
			    const char *name, const char **error_r)
{
	if (db_commit(acct->db) < 0) {
		db_rollback(acct->db);
		return store_account_fail(acct, STORE_ERR_TEMP, "index write failed", error_r);
	}
	acct->errcode = STORE_ERR_NONE;
	store_notify_emit_rename(acct->store, acct->name, id, old_name, name);
	return 0;
}

int
store_mailbox_fail_tx(struct store_account *acct, enum store_error code, const char *msg,
		      const char **error_r)
{
	db_rollback(acct->db);
	return store_account_fail(acct, code, msg, error_r);
}

int
store_mailbox_create(struct store_account *acct, const char *name, unsigned special_use,
		     const char **error_r)
{
	struct store_mailbox_row row;
	char *n = store_mailbox_normalized(acct, name, error_r);
	int found, ret;

	if (n == NULL)
		return -1;
	if (db_begin(acct->db) < 0) {
		free(n);
		return store_account_fail(acct, STORE_ERR_TEMP, "index busy", error_r);
	}
	found = store_mailbox_row_by_name(acct, n, &row);
	if (found > 0 && !row.noselect) {
		store_mailbox_row_free(&row);
		free(n);
		return store_mailbox_fail_tx(acct, STORE_ERR_EXISTS, "mailbox already exists",
					     error_r);
	}
	if (found > 0) {
		/* a \Noselect parent becomes a mailbox: a new incarnation */
		sqlite3_stmt *st =
			db_prepare(acct->db, "UPDATE mailboxes SET noselect = 0,"
					     " uidvalidity = ?, special_use = ? WHERE id = ?");
		uint32_t uidvalidity;

		found = store_account_new_uidvalidity(acct, &uidvalidity) < 0 ? -1 : 1;
		sqlite3_bind_int64(st, 1, uidvalidity);
		sqlite3_bind_int64(st, 2, special_use & STORE_MAILBOX_SPECIAL_USE_MASK);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)row.id);
		if (found > 0 && sqlite3_step(st) != SQLITE_DONE)
			found = -1;
		sqlite3_finalize(st);
		store_mailbox_row_free(&row);
	} else if (found == 0) {
		found = store_mailbox_create_parents(acct, n) < 0 ||
					store_mailbox_insert(acct, n, special_use) < 0
				? -1
				: 1;
	}
	if (found < 0) {
		free(n);
		return store_mailbox_fail_tx(acct, STORE_ERR_TEMP, "index write failed", error_r);
	}
	ret = store_mailbox_finish(acct, 0, n, error_r);
	free(n);
	return ret;
}

/* Deletes every message of mailbox id; their files are appended to files. */
static int
delete_messages(struct store_account *acct, uint64_t id, char ***files, size_t *n_files)
{
	sqlite3_stmt *st = db_prepare(acct->db, "DELETE FROM messages WHERE mailbox = ?"
						" RETURNING file, data");
	size_t cap = 0;
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_stmt *del = store_stmt(acct, STORE_STMT_MSGDATA_DELETE);

		*files = xgrow(*files, &cap, *n_files + 1, sizeof(char *));
		(*files)[(*n_files)++] = xstrdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_bind_int64(del, 1, sqlite3_column_int64(st, 1));
		if (sqlite3_step(del) != SQLITE_DONE)
			rc = SQLITE_ERROR;
		sqlite3_reset(del);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	st = db_prepare(acct->db, "DELETE FROM expunged WHERE mailbox = ?");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_mailbox_delete(struct store_account *acct, const char *name, const char **error_r)
{
	struct store_mailbox_row row;
	char *n = store_mailbox_normalized(acct, name, error_r), **files = NULL;
	size_t n_files = 0;
	sqlite3_stmt *st;
	bool children;
	int found, rc;

	if (n == NULL)
		return -1;
	if (strcmp(n, "INBOX") == 0) {
		free(n);
		return store_account_fail(acct, STORE_ERR_NOT_ALLOWED, "INBOX cannot be deleted",
					  error_r);
	}
	if (db_begin(acct->db) < 0) {
		free(n);
		return store_account_fail(acct, STORE_ERR_TEMP, "index busy", error_r);
	}
	found = store_mailbox_row_by_name(acct, n, &row);
	children = found > 0 && store_mailbox_has_children(acct, n);
	if (found <= 0 || (row.noselect && children)) {
		if (found > 0)
			store_mailbox_row_free(&row);
		free(n);
		return store_mailbox_fail_tx(
			acct,
			found < 0    ? STORE_ERR_TEMP
			: found == 0 ? STORE_ERR_NONEXISTENT
				     : STORE_ERR_NOT_ALLOWED,
			found == 0 ? "no such mailbox" : "mailbox has children", error_r);
	}
	/* hibernated views rebuild from the index: they need it before it forgets */
	store_view_wake_mailbox(acct, row.id);
	rc = delete_messages(acct, row.id, &files, &n_files);
	if (store_files_release(acct, files, n_files) < 0)
		rc = -1;
	/* RFC 3501 6.3.4: with children it stays as a \Noselect name */
	st = db_prepare(acct->db, children ? "UPDATE mailboxes SET noselect = 1, keywords = '',"
					     " special_use = 0 WHERE id = ?"
					   : "DELETE FROM mailboxes WHERE id = ?");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)row.id);
	if (rc < 0 || sqlite3_step(st) != SQLITE_DONE)
		rc = -1;
	sqlite3_finalize(st);
	if (rc < 0) {
		store_mailbox_row_free(&row);
		free(n);
		store_files_rolled_back(acct);
		return store_mailbox_fail_tx(acct, STORE_ERR_TEMP, "index write failed", error_r);
	}
	rc = store_mailbox_finish(acct, row.id, n, error_r);
	if (rc == 0)
		store_files_committed(acct); /* unlinked after the caller's store_account_sync */
	else
		store_files_rolled_back(acct);
	store_mailbox_row_free(&row);
	free(n);
	return rc;
}
