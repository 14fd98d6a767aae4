/* EXPUNGE (RFC 3501 6.4.3, RFC 4315 UID EXPUNGE) and the expunged-UID ranges kept with their
 * MODSEQ for VANISHED (RFC 7162), which MOVE (store_copy_move.c) and RENAME of INBOX also
 * record. An expunge retires UIDs outside the journal: its caller makes it durable
 * (store_account_sync) before it answers. A message file goes when the last row naming it
 * goes (store_files.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "log/log.h"
#include "store/store_private.h"
#include "util/rand.h"
#include "util/xmalloc.h"

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t *
sorted_copy(const uint32_t *uids, size_t n)
{
	uint32_t *s = xmalloc((n + 1) * sizeof(*s));

	memcpy(s, uids, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_u32);
	return s;
}

int
store_expunged_add(struct store_account *acct, uint64_t mailbox_id, const uint32_t *uids, size_t n,
		   uint64_t modseq)
{
	for (size_t i = 0; i < n;) {
		sqlite3_stmt *st = store_stmt(acct, STORE_STMT_EXPUNGED_INSERT);
		size_t j = i;

		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)mailbox_id);
		sqlite3_bind_int64(st, 2, uids[i]);
		sqlite3_bind_int64(st, 3, uids[j]);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)modseq);
		if (sqlite3_step(st) != SQLITE_DONE)
			return -1;
		i = j + 1;
	}
	return 0;
}

static int
set_modseq(struct store_account *acct, uint64_t mailbox_id, uint64_t modseq)
{
	sqlite3_stmt *st = store_stmt(acct, STORE_STMT_MAILBOX_SET_MODSEQ);

	sqlite3_bind_int64(st, 1, (sqlite3_int64)modseq);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)mailbox_id);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

/* Deletes uid's row and msgdata; appends its file name to files. 1 deleted, 0 none. */
static int
delete_row(struct store_account *acct, uint64_t mailbox_id, uint32_t uid, char ***files,
	   size_t *n_files, size_t *cap)
{
	sqlite3_stmt *st = store_stmt(acct, STORE_STMT_MESSAGE_DELETE);
	sqlite3_int64 data;
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)mailbox_id);
	sqlite3_bind_int64(st, 2, uid);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : -1;
	*files = xgrow(*files, cap, *n_files + 1, sizeof(char *));
	(*files)[(*n_files)++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	data = sqlite3_column_int64(st, 1);
	while (sqlite3_step(st) == SQLITE_ROW)
		;
	st = store_stmt(acct, STORE_STMT_MSGDATA_DELETE);
	sqlite3_bind_int64(st, 1, data);
	return sqlite3_step(st) == SQLITE_DONE ? 1 : -1;
}

int
store_view_expunge(struct store_view *view, const uint32_t *uids, size_t n_uids,
		   const char **error_r)
{
	struct store_account *acct = view->acct;
	struct store_mailbox_row row;
	uint32_t *sorted, *gone;
	char **files = NULL;
	size_t n_files = 0, cap = 0, n_gone = 0;
	bool synced;
	int rc = 0;

	if (view->readonly)
		return store_account_fail(acct, STORE_ERR_NOT_ALLOWED, "mailbox is read-only",
					  error_r);
	if (n_uids == 0)
		return 0;
	if (store_view_wake(view, error_r) < 0) /* before the index moves on */
		return -1;
	if (db_begin(acct->db) < 0)
		return store_account_fail(acct, STORE_ERR_TEMP, "index busy", error_r);
	if (store_mailbox_row_by_id(acct, view->mailbox_id, &row) <= 0) {
		db_rollback(acct->db);
		return store_account_fail(acct, STORE_ERR_NONEXISTENT, "no such mailbox", error_r);
	}
	synced = store_view_synced(view, row.highestmodseq);
	sorted = sorted_copy(uids, n_uids);
	gone = xmalloc(n_uids * sizeof(*gone));
	for (size_t i = 0; i < n_uids && rc >= 0; i++) {
		if (i > 0 && sorted[i] == sorted[i - 1])
			continue;
		rc = delete_row(acct, row.id, sorted[i], &files, &n_files, &cap);
		if (rc > 0)
			gone[n_gone++] = sorted[i];
	}
	if (store_files_release(acct, files, n_files) < 0)
		rc = -1;
	if (rc >= 0 && n_gone > 0 &&
	    (store_expunged_add(acct, row.id, gone, n_gone, row.highestmodseq + 1) < 0 ||
	     set_modseq(acct, row.id, row.highestmodseq + 1) < 0))
		rc = -1;
	if (rc < 0 || db_commit(acct->db) < 0) {
		db_rollback(acct->db);
		store_files_rolled_back(acct);
		rc = store_account_fail(acct, STORE_ERR_TEMP, "index write failed", error_r);
	} else {
		store_files_committed(acct); /* unlinked after the caller's store_account_sync */
		store_view_mark_expunged(view, gone, n_gone);
		/* marked: the refresh reports them without reading the index */
		if (synced)
			store_view_keep_synced(view, row.highestmodseq + (n_gone > 0));
		acct->errcode = STORE_ERR_NONE;
		if (n_gone > 0)
			store_notify_emit(acct->store, STORE_EVENT_EXPUNGE, acct->name, row.id,
					  row.name, row.highestmodseq + 1);
		rc = 0;
	}
	free(sorted);
	free(gone);
	store_mailbox_row_free(&row);
	return rc;
}
