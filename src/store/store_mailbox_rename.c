/* RENAME (RFC 3501 6.3.5): a mailbox and all its children get new names and keep their
 * ids, UIDs and UIDVALIDITY (subscriptions follow); renaming INBOX moves its messages to a
 * new mailbox and leaves INBOX empty, its children staying where they are. */
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "store/store_private.h"
#include "util/xmalloc.h"

/* Renames name (and name/...) in table (mailboxes or subscriptions) to new_name. */
static int
rename_names(struct store_account *acct, const char *table, const char *name, const char *new_name)
{
	char *sel = xasprintf("SELECT name FROM %s WHERE name = ?1 OR"
			      " substr(name, 1, length(?1) + 1) = ?1 || '/'",
			      table);
	char *upd = xasprintf("UPDATE OR REPLACE %s SET name = ? WHERE name = ?", table);
	sqlite3_stmt *st = db_prepare(acct->db, sel), *up = db_prepare(acct->db, upd);
	char **names = NULL;
	size_t n = 0, cap = 0, len = strlen(name);
	int ret = 0;

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		names = xgrow(names, &cap, n + 1, sizeof(char *));
		names[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	for (size_t i = 0; i < n; i++) {
		char *to = xasprintf("%s%s", new_name, names[i] + len);

		sqlite3_reset(up);
		sqlite3_bind_text(up, 1, to, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(up, 2, names[i], -1, SQLITE_STATIC);
		if (sqlite3_step(up) != SQLITE_DONE)
			ret = -1;
		free(to);
		free(names[i]);
	}
	free(names);
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	free(sel);
	free(upd);
	return ret;
}

static int
exec_ids(struct store_account *acct, const char *sql, uint64_t a, uint64_t b)
{
	sqlite3_stmt *st = db_prepare(acct->db, sql);
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)a);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)b);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The messages of INBOX move (same UIDs, flags, modseqs) to the new mailbox, which
 * takes over INBOX's UIDNEXT, HIGHESTMODSEQ and keywords; INBOX records them as expunged. */
static int
rename_inbox(struct store_account *acct, const struct store_mailbox_row *inbox,
	     const char *new_name)
{
	struct store_mailbox_row row;
	sqlite3_stmt *st;
	uint32_t *uids = NULL;
	size_t n = 0, cap = 0;
	int ret;

	if (store_mailbox_insert(acct, new_name, 0) < 0 ||
	    store_mailbox_row_by_name(acct, new_name, &row) <= 0)
		return -1;
	st = db_prepare(acct->db, "SELECT uid FROM messages WHERE mailbox = ? ORDER BY uid");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)inbox->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		uids = xgrow(uids, &cap, n + 1, sizeof(*uids));
		uids[n++] = (uint32_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	ret = exec_ids(acct, "UPDATE messages SET mailbox = ?2 WHERE mailbox = ?1", inbox->id,
		       row.id);
	ret |= exec_ids(acct, "UPDATE delivered SET mailbox = ?2 WHERE mailbox = ?1", inbox->id,
			row.id);
	st = db_prepare(acct->db, "UPDATE mailboxes SET uidnext = ?, highestmodseq = ?,"
				  " keywords = ? WHERE id = ?");
	sqlite3_bind_int64(st, 1, inbox->uidnext);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)inbox->highestmodseq + 1);
	sqlite3_bind_text(st, 3, inbox->keywords, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)row.id);
	if (sqlite3_step(st) != SQLITE_DONE)
		ret = -1;
	sqlite3_finalize(st);
	if (n > 0) {
		ret |= store_expunged_add(acct, inbox->id, uids, n, inbox->highestmodseq + 1);
		ret |= store_mailbox_set_next(acct, inbox->id, inbox->uidnext,
					      inbox->highestmodseq + 1);
	}
	free(uids);
	store_mailbox_row_free(&row);
	return ret;
}

int
store_mailbox_rename(struct store_account *acct, const char *name, const char *new_name,
		     const char **error_r)
{
	char *o = store_mailbox_normalized(acct, name, error_r), *nn;
	struct store_mailbox_row row, other;
	size_t olen;
	int found, ret;

	if (o == NULL)
		return -1;
	nn = store_mailbox_normalized(acct, new_name, error_r);
	olen = strlen(o);
	if (nn == NULL || strcmp(o, nn) == 0 || (strncmp(nn, o, olen) == 0 && nn[olen] == '/')) {
		ret = nn == NULL ? -1
				 : store_account_fail(acct,
						      strcmp(o, nn) == 0 ? STORE_ERR_EXISTS
									 : STORE_ERR_INVALID,
						      "cannot rename a mailbox to itself", error_r);
		free(o);
		free(nn);
		return ret;
	}
	if (db_begin(acct->db) < 0) {
		free(o);
		free(nn);
		return store_account_fail(acct, STORE_ERR_TEMP, "index busy", error_r);
	}
	found = store_mailbox_row_by_name(acct, o, &row);
	if (found > 0 && store_mailbox_row_by_name(acct, nn, &other) > 0) {
		store_mailbox_row_free(&other);
		store_mailbox_row_free(&row);
		free(o);
		free(nn);
		return store_mailbox_fail_tx(acct, STORE_ERR_EXISTS, "mailbox already exists",
					     error_r);
	}
	if (found <= 0) {
		free(o);
		free(nn);
		return store_mailbox_fail_tx(acct,
					     found < 0 ? STORE_ERR_TEMP : STORE_ERR_NONEXISTENT,
					     "no such mailbox", error_r);
	}
	ret = store_mailbox_create_parents(acct, nn);
	if (ret == 0 && strcmp(o, "INBOX") == 0)
		ret = rename_inbox(acct, &row, nn);
	else if (ret == 0)
		ret = rename_names(acct, "mailboxes", o, nn) |
		      rename_names(acct, "subscriptions", o, nn);
	if (ret < 0)
		ret = store_mailbox_fail_tx(acct, STORE_ERR_TEMP, "index write failed", error_r);
	else
		ret = store_mailbox_finish_rename(acct, row.id, o, nn, error_r);
	if (ret == 0 && strcmp(o, "INBOX") == 0)
		store_notify_emit(acct->store, STORE_EVENT_EXPUNGE, acct->name, row.id, "INBOX",
				  row.highestmodseq + 1);
	store_mailbox_row_free(&row);
	free(o);
	free(nn);
	return ret;
}
