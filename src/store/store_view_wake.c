/* Waking a hibernated view (see store_view.h): the messages of the mailbox below the view's
 * UIDNEXT, those expunged after its MODSEQ (the expunged table: every such UID below UIDNEXT
 * was in the view), and the entries kept aside, merged in UID order, with \Recent from the
 * saved runs; messages others changed meanwhile are noted as stale for the next refresh. */
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "log/log.h"
#include "store/store_private.h"
#include "util/xmalloc.h"

/* The rebuilt view: rows from the index, then the gone ones merged in. */
struct wake {
	struct store_view_msg *rows;
	size_t n_rows, cap_rows;
	struct store_view_msg *gone;
	size_t n_gone, cap_gone;
	uint32_t *stale;
	size_t n_stale, cap_stale;
};

static const struct store_view_msg *
find_msg(const struct store_view_msg *a, size_t n, uint32_t uid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && a[lo].uid == uid ? &a[lo] : NULL;
}

static void
push_row(struct wake *w, const struct store_view *view, sqlite3_stmt *st)
{
	const struct store_view_msg *k;
	struct store_view_msg *m;

	w->rows = xgrow(w->rows, &w->cap_rows, w->n_rows + 1, sizeof(*m));
	m = &w->rows[w->n_rows++];
	m->uid = (uint32_t)sqlite3_column_int64(st, 0);
	m->flags = (uint32_t)sqlite3_column_int64(st, 1) & STORE_FLAGS_STORABLE;
	m->keywords = (uint64_t)sqlite3_column_int64(st, 2);
	m->modseq = (uint64_t)sqlite3_column_int64(st, 3);
	if (m->modseq <= view->modseq)
		return;
	/* changed since the view's MODSEQ: by this view (kept, same MODSEQ: the index has
	 * what the view had) or by another session (the next refresh must report it) */
	k = find_msg(view->kept, view->n_kept, m->uid);
	if (k != NULL && k->modseq == m->modseq && !(k->flags & STORE_FLAG_EXPUNGED))
		return;
	w->stale = xgrow(w->stale, &w->cap_stale, w->n_stale + 1, sizeof(uint32_t));
	w->stale[w->n_stale++] = m->uid;
}

/* The messages of the mailbox below the view's UIDNEXT. */
static int
read_rows(const struct store_view *view, struct wake *w)
{
	sqlite3_stmt *st = db_prepare(view->acct->db, "SELECT uid, flags, keywords, modseq"
						      " FROM messages WHERE mailbox = ? AND uid < ?"
						      " ORDER BY uid");
	int rc;

	w->cap_rows = view->count + 1;
	w->rows = xmalloc(w->cap_rows * sizeof(*w->rows));
	sqlite3_bind_int64(st, 1, (sqlite3_int64)view->mailbox_id);
	sqlite3_bind_int64(st, 2, view->uidnext);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && w->n_rows <= view->count)
		push_row(w, view, st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void
push_gone(struct wake *w, const struct store_view *view, uint32_t uid)
{
	const struct store_view_msg *k = find_msg(view->kept, view->n_kept, uid);
	struct store_view_msg *m;

	w->gone = xgrow(w->gone, &w->cap_gone, w->n_gone + 1, sizeof(*m));
	m = &w->gone[w->n_gone++];
	if (k != NULL) {
		*m = *k; /* what this view had */
	} else {
		/* expunged by another session while asleep: its flags are gone with it */
		memset(m, 0, sizeof(*m));
		m->uid = uid;
	}
	m->flags |= STORE_FLAG_EXPUNGED;
}

static int
cmp_msg_uid(const void *a, const void *b)
{
	uint32_t x = ((const struct store_view_msg *)a)->uid;
	uint32_t y = ((const struct store_view_msg *)b)->uid;

	return x < y ? -1 : x > y;
}

/* Messages of the view that are no longer in the index: expunged after the view's MODSEQ
 * (all of them below its UIDNEXT were in the view), and the expunged ones it kept. */
static int
read_gone(const struct store_view *view, struct wake *w)
{
	sqlite3_stmt *st = db_prepare(view->acct->db, "SELECT uid_first, uid_last FROM expunged"
						      " WHERE mailbox = ? AND modseq > ?"
						      " AND uid_first < ?");
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)view->mailbox_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)view->modseq);
	sqlite3_bind_int64(st, 3, view->uidnext);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t first = (uint64_t)sqlite3_column_int64(st, 0);
		uint64_t last = (uint64_t)sqlite3_column_int64(st, 1);

		if (last >= view->uidnext)
			last = view->uidnext - 1;
		if (first > last || last - first >= view->count) {
			rc = SQLITE_CORRUPT; /* more than the view can have had */
			break;
		}
		for (uint64_t u = first; u <= last; u++)
			push_gone(w, view, (uint32_t)u);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	for (size_t i = 0; i < view->n_kept; i++) {
		const struct store_view_msg *k = &view->kept[i];

		if ((k->flags & STORE_FLAG_EXPUNGED) &&
		    find_msg(w->rows, w->n_rows, k->uid) == NULL)
			push_gone(w, view, k->uid);
	}
	if (w->n_gone > 1)
		qsort(w->gone, w->n_gone, sizeof(*w->gone), cmp_msg_uid);
	return 0;
}

/* Merges rows and gone (dropping duplicate gone UIDs) into view->msgs. */
static size_t
merge(struct store_view *view, struct wake *w, struct store_view_msg *out)
{
	size_t i = 0, j = 0, n = 0;

	while (i < w->n_rows || j < w->n_gone) {
		if (j < w->n_gone && n > 0 && out[n - 1].uid == w->gone[j].uid) {
			j++;
		} else if (j >= w->n_gone || (i < w->n_rows && w->rows[i].uid < w->gone[j].uid)) {
			out[n++] = w->rows[i++];
		} else {
			out[n++] = w->gone[j++];
		}
		if (n > view->count)
			break;
	}
	return n;
}

/* \Recent from the saved runs. */
static void
apply_recent(struct store_view *view, struct store_view_msg *msgs, size_t n)
{
	size_t r = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t uid = msgs[i].uid;

		while (r < view->n_recent && view->recent[2 * r + 1] < uid)
			r++;
		msgs[i].flags &= ~(uint32_t)STORE_FLAG_RECENT;
		if (r < view->n_recent && view->recent[2 * r] <= uid)
			msgs[i].flags |= STORE_FLAG_RECENT;
	}
}

static int
wake(struct store_view *view)
{
	struct wake w = {0};
	struct store_view_msg *msgs;
	size_t n;

	if (read_rows(view, &w) < 0 || read_gone(view, &w) < 0 ||
	    w.n_rows + w.n_gone < view->count) {
		free(w.rows);
		free(w.gone);
		free(w.stale);
		return -1;
	}
	msgs = xmalloc((view->count + 1) * sizeof(*msgs));
	n = merge(view, &w, msgs);
	free(w.rows);
	free(w.gone);
	if (n != view->count) {
		free(msgs);
		free(w.stale);
		return -1;
	}
	apply_recent(view, msgs, n);
	store_view_hib_free(view);
	view->msgs = msgs;
	view->cap = view->count + 1;
	view->marked = w.n_gone > 0;
	view->stale = w.stale;
	view->n_stale = w.n_stale;
	return 0;
}

int
store_view_wake(struct store_view *view, const char **error_r)
{
	if (!view->hibernated)
		return 0;
	if (wake(view) < 0)
		return store_account_fail(view->acct, STORE_ERR_TEMP,
					  "the index does not give the view back", error_r);
	return 0;
}

bool
store_view_wake_implicit(struct store_view *view)
{
	const char *error;

	if (!view->hibernated)
		return true;
	free(view->dummy);
	view->dummy = NULL;
	if (store_view_wake(view, &error) == 0)
		return true;
	log_error("store: %s: view of %s: %s", view->acct->name, view->name, error);
	view->dummy = xcalloc(view->count + 1, sizeof(*view->dummy));
	for (size_t i = 0; i < view->count; i++)
		view->dummy[i].flags = STORE_FLAG_EXPUNGED;
	return false;
}

void
store_view_wake_mailbox(struct store_account *acct, uint64_t mailbox_id)
{
	struct store_view *view = acct->hibernated, *next;

	for (; view != NULL; view = next) {
		next = view->hib_next;
		if (view->mailbox_id == mailbox_id)
			(void)store_view_wake_implicit(view);
	}
}
