/* store_view_refresh() and store_view_vanished_since(): bringing a view up to date with
 * what other sessions (and deliveries) changed, reported so IMAP can send EXISTS, EXPUNGE
 * or VANISHED (RFC 7162 3.2.10) and FETCH at the points the RFC allows. */
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "store/store_private.h"
#include "util/xmalloc.h"

#define VIEW_CHANGED (1u << 31)

struct refresh {
	struct store_view_msg *added;
	size_t n_added, cap_added;
};

/* Messages with a MODSEQ above the view's: changed ones are updated in place (marked),
 * new ones are collected to be appended. */
static int
read_changed(struct store_view *view, uint32_t recent_uid, struct refresh *r)
{
	sqlite3_stmt *st = store_stmt(view->acct, STORE_STMT_VIEW_CHANGED);
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)view->mailbox_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)view->modseq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint32_t uid = (uint32_t)sqlite3_column_int64(st, 0);
		uint32_t flags = (uint32_t)sqlite3_column_int64(st, 1) & STORE_FLAGS_STORABLE;
		uint64_t kw = (uint64_t)sqlite3_column_int64(st, 2);
		uint64_t modseq = (uint64_t)sqlite3_column_int64(st, 3);
		uint32_t seq = store_view_seq_awake(view, uid);

		if (seq > 0) {
			struct store_view_msg *m = &view->msgs[seq - 1];

			if (m->flags & STORE_FLAG_EXPUNGED)
				continue;
			/* stale: changed by another session while the view was hibernated */
			if ((m->flags & STORE_FLAGS_STORABLE) != flags || m->keywords != kw ||
			    m->modseq != modseq || store_view_is_stale(view, uid)) {
				m->flags =
					(m->flags & ~STORE_FLAGS_STORABLE) | flags | VIEW_CHANGED;
				m->keywords = kw;
				m->modseq = modseq;
				view->marked = true;
			}
		} else if (uid >= view->uidnext) {
			struct store_view_msg *m;

			r->added = xgrow(r->added, &r->cap_added, r->n_added + 1, sizeof(*m));
			m = &r->added[r->n_added++];
			m->uid = uid;
			m->flags = flags | (uid >= recent_uid ? STORE_FLAG_RECENT : 0);
			m->keywords = kw;
			m->modseq = modseq;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void
mark_range(struct store_view *view, uint32_t first, uint32_t last)
{
	view->marked = true;
	for (size_t i = 0; i < view->count; i++) {
		struct store_view_msg *m = &view->msgs[i];

		if (m->uid > last)
			break;
		if (m->uid >= first)
			m->flags = (m->flags & ~VIEW_CHANGED) | STORE_FLAG_EXPUNGED;
	}
}

static int
read_expunged(struct store_view *view)
{
	sqlite3_stmt *st = store_stmt(view->acct, STORE_STMT_VIEW_EXPUNGED);
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)view->mailbox_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)view->modseq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		mark_range(view, (uint32_t)sqlite3_column_int64(st, 0),
			   (uint32_t)sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Drops the STORE_FLAG_EXPUNGED messages if expunge, reporting them; collects (and
 * unmarks) the changed UIDs. Nothing to do unless the view is marked (the usual case: a
 * refresh after every command must not walk 10,000 entries). */
static void
compact(struct store_view *view, bool expunge, struct store_view_changes *ch)
{
	size_t out = 0, cap_e = 0, cap_c = 0;
	bool kept_expunged = false;

	if (!view->marked)
		return;
	for (size_t i = 0; i < view->count; i++) {
		struct store_view_msg m = view->msgs[i];

		if (expunge && (m.flags & STORE_FLAG_EXPUNGED)) {
			ch->expunged_uids = xgrow(ch->expunged_uids, &cap_e, ch->n_expunged + 1,
						  sizeof(uint32_t));
			ch->expunged_seqs = xrealloc(ch->expunged_seqs, cap_e * sizeof(uint32_t));
			ch->expunged_uids[ch->n_expunged] = m.uid;
			ch->expunged_seqs[ch->n_expunged++] = (uint32_t)(i + 1);
			if (m.flags & STORE_FLAG_RECENT)
				view->recent_count--;
			continue;
		}
		kept_expunged |= (m.flags & STORE_FLAG_EXPUNGED) != 0;
		if (m.flags & VIEW_CHANGED) {
			m.flags &= ~VIEW_CHANGED;
			ch->changed_uids = xgrow(ch->changed_uids, &cap_c, ch->n_changed + 1,
						 sizeof(uint32_t));
			ch->changed_uids[ch->n_changed++] = m.uid;
		}
		view->msgs[out++] = m;
	}
	view->count = out;
	view->marked = kept_expunged;
}

static void
append_added(struct store_view *view, const struct refresh *r)
{
	if (r->n_added == 0)
		return;
	view->msgs = xgrow(view->msgs, &view->cap, view->count + r->n_added, sizeof(*view->msgs));
	memcpy(view->msgs + view->count, r->added, r->n_added * sizeof(*r->added));
	for (size_t i = 0; i < r->n_added; i++)
		view->recent_count += (r->added[i].flags & STORE_FLAG_RECENT) != 0;
	view->count += r->n_added;
}

static void
update_meta(struct store_view *view, struct store_mailbox_row *row, struct store_view_changes *ch)
{
	if (strcmp(view->name, row->name) != 0) {
		free(view->name);
		view->name = xstrdup(row->name);
		ch->renamed = true;
	}
	if (strcmp(view->keywords_raw, row->keywords) != 0) {
		store_view_set_keywords(view, row->keywords);
		ch->keywords_changed = true;
	}
	view->uidnext = row->uidnext;
	view->modseq = row->highestmodseq;
}

/* A hibernated view: 1 refreshed while staying asleep (only new messages, or nothing),
 * 0 woken (the normal refresh follows), -1 error. */
static int
refresh_hibernated(struct store_view *view, int found, struct store_mailbox_row *row,
		   struct store_view_changes *ch, const char **error_r)
{
	bool gone = found == 0 || row->noselect || row->uidvalidity != view->uidvalidity;
	int rc = gone ? 0 : store_view_refresh_asleep(view, row, ch);

	if (rc < 0)
		return store_account_fail(view->acct, STORE_ERR_TEMP, "index read failed", error_r);
	if (rc > 0) {
		if (ch->new_count > ch->old_count)
			store_view_claim_recent(view, row);
		update_meta(view, row, ch);
		view->acct->errcode = STORE_ERR_NONE;
		return 1;
	}
	if (store_view_wake(view, error_r) < 0) {
		if (!gone)
			return -1;
		/* its messages went with the mailbox (deleted by another process) */
		store_view_hib_drop(view);
	}
	return 0;
}

int
store_view_refresh(struct store_view *view, unsigned flags, struct store_view_changes *ch,
		   const char **error_r)
{
	struct store_mailbox_row row;
	struct refresh r = {0};
	bool txn;
	int found;

	memset(ch, 0, sizeof(*ch));
	/* Nothing was committed to the account's index since this view last read it, and
	 * nothing the view holds is waiting to be reported: there is nothing to read. IMAP
	 * refreshes before every tagged reply, and most replies follow a command that changed
	 * nothing (or was the session's own STORE or EXPUNGE, which keeps the view synced:
	 * store_view_keep_synced); the read transaction below costs more than the command
	 * (fcntl locks, the WAL index). Only the server's loop connection counts commits, and while
	 * the server runs it is the only writer of an account's index: the CLI creates and deletes
	 * accounts but writes no index in use (a deleted and re-created account is a new handle,
	 * store_account_open), deliveries and every session's changes go through this connection.
	 */
	if (view->acct->counts_commits && view->synced_commits == view->acct->commits &&
	    !view->hibernated && view->stale == NULL) {
		/* what the view marked itself (its own EXPUNGE) is reported as below */
		compact(view, (flags & STORE_REFRESH_EXPUNGE) != 0, ch);
		ch->old_count = ch->new_count = view->count;
		view->acct->errcode = STORE_ERR_NONE;
		return 0;
	}
	/* the reads below in one transaction; ended before store_view_claim_recent() writes */
	txn = store_read_begin(view->acct);
	found = store_mailbox_row_by_id(view->acct, view->mailbox_id, &row);
	if (found < 0 || view->hibernated)
		store_read_end(view->acct, txn);
	if (found < 0)
		return store_account_fail(view->acct, STORE_ERR_TEMP, "index read failed", error_r);
	if (view->hibernated) {
		int rc = refresh_hibernated(view, found, &row, ch, error_r);

		txn = false;
		if (rc != 0) {
			if (found > 0)
				store_mailbox_row_free(&row);
			return rc < 0 ? -1 : 0;
		}
	}
	if (found == 0 || row.noselect || row.uidvalidity != view->uidvalidity) {
		/* deleted (or deleted and re-created): everything is gone */
		ch->mailbox_deleted = true;
		mark_range(view, 0, UINT32_MAX);
	} else if (row.highestmodseq > view->modseq) {
		if (read_changed(view, row.recent_uid, &r) < 0 || read_expunged(view) < 0) {
			struct store_view_changes undo = {0};

			store_read_end(view->acct, txn);
			compact(view, false, &undo); /* drops the marks; the view stays as it was */
			store_view_changes_free(&undo);
			free(r.added);
			store_mailbox_row_free(&row);
			return store_account_fail(view->acct, STORE_ERR_TEMP, "index read failed",
						  error_r);
		}
	}
	store_read_end(view->acct, txn);
	compact(view, (flags & STORE_REFRESH_EXPUNGE) != 0, ch);
	ch->old_count = view->count;
	append_added(view, &r);
	ch->new_count = view->count;
	if (found > 0 && !ch->mailbox_deleted) {
		if (r.n_added > 0)
			store_view_claim_recent(view, &row);
		update_meta(view, &row, ch);
	}
	free(r.added);
	store_mailbox_row_free(&row);
	free(view->stale);
	view->stale = NULL;
	view->n_stale = 0;
	/* after store_view_claim_recent(), whose own commit changed nothing the view lacks */
	view->synced_commits = view->acct->commits;
	view->acct->errcode = STORE_ERR_NONE;
	return 0;
}

void
store_view_changes_free(struct store_view_changes *ch)
{
	free(ch->expunged_uids);
	free(ch->expunged_seqs);
	free(ch->changed_uids);
	memset(ch, 0, sizeof(*ch));
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
store_view_vanished_since(struct store_view *view, uint64_t modseq, uint32_t uid_lo,
			  uint32_t uid_hi, uint32_t **uids_r, size_t *count_r, const char **error_r)
{
	struct store_account *acct = store_view_account(view);
	sqlite3_stmt *st = db_prepare(acct->db, "SELECT uid_first, uid_last FROM expunged"
						" WHERE mailbox = ? AND modseq > ?");
	uint32_t *uids = NULL;
	size_t n = 0, cap = 0, out = 0;
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)store_view_mailbox_id(view));
	sqlite3_bind_int64(st, 2, (sqlite3_int64)modseq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t first = (uint64_t)sqlite3_column_int64(st, 0);
		uint64_t last = (uint64_t)sqlite3_column_int64(st, 1);

		if (first < uid_lo)
			first = uid_lo;
		if (last > uid_hi)
			last = uid_hi;
		for (uint64_t u = first; u <= last; u++) {
			uids = xgrow(uids, &cap, n + 1, sizeof(*uids));
			uids[n++] = (uint32_t)u;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(uids);
		return store_account_fail(acct, STORE_ERR_TEMP, "index read failed", error_r);
	}
	if (n > 1)
		qsort(uids, n, sizeof(*uids), cmp_u32);
	for (size_t i = 0; i < n; i++) {
		if (out == 0 || uids[out - 1] != uids[i])
			uids[out++] = uids[i];
	}
	*uids_r = uids;
	*count_r = out;
	return 0;
}
