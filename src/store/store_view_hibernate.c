/* Hibernation of views (see store_view.h): an idle session's view gives back its
 * per-message array, keeping aside only the entries the index cannot give back and its
 * \Recent runs (store_view_wake.c rebuilds it), and a refresh that only finds new
 * messages leaves it asleep. */
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "store/store_private.h"
#include "util/xmalloc.h"

static void
hib_link(struct store_view *view)
{
	struct store_account *acct = view->acct;

	view->hib_prev = NULL;
	view->hib_next = acct->hibernated;
	if (acct->hibernated != NULL)
		acct->hibernated->hib_prev = view;
	acct->hibernated = view;
}

static void
hib_unlink(struct store_view *view)
{
	if (view->hib_prev != NULL)
		view->hib_prev->hib_next = view->hib_next;
	else if (view->acct->hibernated == view)
		view->acct->hibernated = view->hib_next;
	if (view->hib_next != NULL)
		view->hib_next->hib_prev = view->hib_prev;
	view->hib_prev = view->hib_next = NULL;
}

void
store_view_hib_free(struct store_view *view)
{
	if (view->hibernated)
		hib_unlink(view);
	view->hibernated = false;
	free(view->kept);
	free(view->recent);
	free(view->stale);
	free(view->dummy);
	view->kept = NULL;
	view->recent = NULL;
	view->stale = NULL;
	view->dummy = NULL;
	view->n_kept = view->n_recent = view->n_stale = 0;
}

bool
store_view_is_hibernated(const struct store_view *view)
{
	return view->hibernated;
}

static size_t
stale_lower_bound(const struct store_view *view, uint32_t uid)
{
	size_t lo = 0, hi = view->n_stale;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (view->stale[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool
store_view_is_stale(const struct store_view *view, uint32_t uid)
{
	size_t i = stale_lower_bound(view, uid);

	return i < view->n_stale && view->stale[i] == uid;
}

void
store_view_unstale(struct store_view *view, uint32_t uid)
{
	size_t i = stale_lower_bound(view, uid);

	if (i < view->n_stale && view->stale[i] == uid) {
		memmove(view->stale + i, view->stale + i + 1,
			(view->n_stale - i - 1) * sizeof(*view->stale));
		view->n_stale--;
	}
}

/* Entries kept aside: expunged ones (the index no longer has them) and ones this view
 * changed after its last refresh (their MODSEQ is above the view's but the next refresh
 * must not report them; stale ones are not the view's own changes). */
static bool
must_keep(const struct store_view *view, const struct store_view_msg *m)
{
	return (m->flags & STORE_FLAG_EXPUNGED) ||
	       (m->modseq > view->modseq && !store_view_is_stale(view, m->uid));
}

void
store_view_hibernate(struct store_view *view)
{
	size_t cap_k = 0, cap_r = 0;

	if (view->hibernated)
		return;
	for (size_t i = 0; i < view->count; i++) {
		const struct store_view_msg *m = &view->msgs[i];

		if (must_keep(view, m)) {
			view->kept = xgrow(view->kept, &cap_k, view->n_kept + 1, sizeof(*m));
			view->kept[view->n_kept++] = *m;
		}
		if (!(m->flags & STORE_FLAG_RECENT))
			continue;
		if (i > 0 && (view->msgs[i - 1].flags & STORE_FLAG_RECENT)) {
			view->recent[2 * view->n_recent - 1] = m->uid;
		} else {
			view->recent = xgrow(view->recent, &cap_r, 2 * view->n_recent + 2,
					     sizeof(uint32_t));
			view->recent[2 * view->n_recent] = view->recent[2 * view->n_recent + 1] =
				m->uid;
			view->n_recent++;
		}
	}
	if (view->n_kept > 0 && cap_k > view->n_kept)
		view->kept = xrealloc(view->kept, view->n_kept * sizeof(*view->kept));
	if (view->n_recent > 0 && cap_r > 2 * view->n_recent)
		view->recent = xrealloc(view->recent, 2 * view->n_recent * sizeof(uint32_t));
	free(view->msgs);
	free(view->stale);
	free(view->dummy);
	view->msgs = NULL;
	view->stale = NULL;
	view->dummy = NULL;
	view->cap = view->n_stale = 0;
	view->hibernated = true;
	hib_link(view);
}

void
store_view_hib_drop(struct store_view *view)
{
	store_view_hib_free(view);
	view->count = 0;
	view->recent_count = 0;
}

/* Messages above the view's MODSEQ: 1 all new (UID >= the view's UIDNEXT), counted into
 * *n_added, with the \Recent ones in [*first_recent, *last_recent]; 0 some changed; -1. */
static int
count_new(const struct store_view *view, const struct store_mailbox_row *row, uint32_t *n_added,
	  uint32_t *n_recent, uint32_t *first_recent, uint32_t *last_recent)
{
	sqlite3_stmt *st = db_prepare(view->acct->db, "SELECT uid FROM messages"
						      " WHERE mailbox = ? AND modseq > ?");
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)view->mailbox_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)view->modseq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint32_t uid = (uint32_t)sqlite3_column_int64(st, 0);

		if (uid < view->uidnext)
			break;
		(*n_added)++;
		if (uid < row->recent_uid)
			continue;
		if (*n_recent == 0 || uid < *first_recent)
			*first_recent = uid;
		if (*n_recent == 0 || uid > *last_recent)
			*last_recent = uid;
		(*n_recent)++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

static int
any_expunged(const struct store_view *view)
{
	sqlite3_stmt *st = db_prepare(view->acct->db, "SELECT 1 FROM expunged WHERE mailbox = ?"
						      " AND modseq > ? AND uid_first < ? LIMIT 1");
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)view->mailbox_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)view->modseq);
	sqlite3_bind_int64(st, 3, view->uidnext);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static void
add_recent_run(struct store_view *view, uint32_t first, uint32_t last)
{
	if (view->n_recent > 0 && view->recent[2 * view->n_recent - 1] + 1 == first) {
		view->recent[2 * view->n_recent - 1] = last;
		return;
	}
	view->recent = xrealloc(view->recent, (2 * view->n_recent + 2) * sizeof(uint32_t));
	view->recent[2 * view->n_recent] = first;
	view->recent[2 * view->n_recent + 1] = last;
	view->n_recent++;
}

int
store_view_refresh_asleep(struct store_view *view, const struct store_mailbox_row *row,
			  struct store_view_changes *ch)
{
	uint32_t n_added = 0, n_recent = 0, first = 0, last = 0;
	int rc;

	if (view->n_kept > 0)
		return 0;
	if (row->highestmodseq > view->modseq) {
		rc = any_expunged(view);
		if (rc != 0)
			return rc > 0 ? 0 : -1;
		rc = count_new(view, row, &n_added, &n_recent, &first, &last);
		if (rc <= 0)
			return rc;
	}
	/* only new messages: they go at the end, as store_view_refresh() would append them */
	ch->old_count = view->count;
	view->count += n_added;
	ch->new_count = view->count;
	if (n_recent > 0) {
		add_recent_run(view, first, last);
		view->recent_count += n_recent;
	}
	return 1;
}
