/* Views (see store_view.h): a snapshot of one mailbox's messages for one session, changed
 * only by the session's own operations and by store_view_refresh(), which reads what
 * changed since the view's MODSEQ (messages by their modseq index, expunges from the
 * expunged table) and hands out \Recent (RFC 3501 2.3.2) to the first read-write view. */
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "store/store_private.h"
#include "util/str.h"
#include "util/xmalloc.h"

void
store_view_set_keywords(struct store_view *view, const char *raw)
{
	if (view->keywords_raw != NULL && strcmp(view->keywords_raw, raw) == 0)
		return;
	free(view->keywords_raw);
	str_array_free(&view->keywords);
	view->keywords_raw = xstrdup(raw);
	view->keywords = str_split(raw, ' ');
	view->n_keywords = str_array_len(view->keywords);
}

static void
push_msg(struct store_view *view, sqlite3_stmt *st, uint32_t recent_uid)
{
	struct store_view_msg *m;

	view->msgs = xgrow(view->msgs, &view->cap, view->count + 1, sizeof(*view->msgs));
	m = &view->msgs[view->count++];
	m->uid = (uint32_t)sqlite3_column_int64(st, 0);
	m->flags = (uint32_t)sqlite3_column_int64(st, 1) & STORE_FLAGS_STORABLE;
	m->keywords = (uint64_t)sqlite3_column_int64(st, 2);
	m->modseq = (uint64_t)sqlite3_column_int64(st, 3);
	if (m->uid >= recent_uid) {
		m->flags |= STORE_FLAG_RECENT;
		view->recent_count++;
	}
}

/* RFC 3501 2.3.2: \Recent goes to the first session that sees a message; EXAMINE
 * (read-only) sees it as recent without taking it away. */
void
store_view_claim_recent(struct store_view *view, const struct store_mailbox_row *row)
{
	sqlite3_stmt *st;

	if (view->readonly || row->uidnext <= row->recent_uid)
		return;
	st = store_stmt(view->acct, STORE_STMT_MAILBOX_SET_RECENT);
	sqlite3_bind_int64(st, 1, row->uidnext);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)row->id);
	sqlite3_step(st);
	sqlite3_reset(st);
	view->acct->store->dirty = true;
}

int
store_view_open(struct store_account *acct, const char *name, bool readonly,
		struct store_view **view_r, const char **error_r)
{
	char *n = store_mailbox_normalized(acct, name, error_r);
	struct store_mailbox_row row;
	struct store_view *view;
	sqlite3_stmt *st;
	int found, rc;

	if (n == NULL)
		return -1;
	found = store_mailbox_row_by_name(acct, n, &row);
	free(n);
	if (found > 0 && row.noselect) {
		store_mailbox_row_free(&row);
		found = 0;
	}
	if (found <= 0)
		return store_account_fail(acct, found < 0 ? STORE_ERR_TEMP : STORE_ERR_NONEXISTENT,
					  "no such mailbox", error_r);
	view = xcalloc(1, sizeof(*view));
	view->acct = acct;
	view->mailbox_id = row.id;
	view->name = xstrdup(row.name);
	view->readonly = readonly;
	view->uidvalidity = row.uidvalidity;
	view->uidnext = row.uidnext;
	view->modseq = row.highestmodseq;
	view->synced_commits = UINT64_MAX; /* the first refresh reads the index */
	store_view_set_keywords(view, row.keywords);
	st = db_prepare(acct->db, "SELECT uid, flags, keywords, modseq FROM messages"
				  " WHERE mailbox = ? ORDER BY uid");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)row.id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		push_msg(view, st, row.recent_uid);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		store_view_claim_recent(view, &row);
	store_mailbox_row_free(&row);
	store_account_ref(acct);
	if (rc != SQLITE_DONE) {
		store_view_close(&view);
		return store_account_fail(acct, STORE_ERR_TEMP, "index read failed", error_r);
	}
	acct->errcode = STORE_ERR_NONE;
	*view_r = view;
	return 0;
}

void
store_view_close(struct store_view **viewp)
{
	struct store_view *view = *viewp;

	if (view == NULL)
		return;
	*viewp = NULL;
	store_view_hib_free(view);
	store_account_unref(&view->acct);
	free(view->name);
	free(view->msgs);
	free(view->keywords_raw);
	str_array_free(&view->keywords);
	free(view);
}

struct store_account *
store_view_account(const struct store_view *view)
{
	return view->acct;
}

bool
store_view_readonly(const struct store_view *view)
{
	return view->readonly;
}

const char *
store_view_mailbox_name(const struct store_view *view)
{
	return view->name;
}

uint64_t
store_view_mailbox_id(const struct store_view *view)
{
	return view->mailbox_id;
}

uint32_t
store_view_uidvalidity(const struct store_view *view)
{
	return view->uidvalidity;
}

uint32_t
store_view_uidnext(const struct store_view *view)
{
	return view->uidnext;
}

uint64_t
store_view_highestmodseq(const struct store_view *view)
{
	return view->modseq;
}

size_t
store_view_count(const struct store_view *view)
{
	return view->count;
}

const struct store_view_msg *
store_view_msgs(struct store_view *view)
{
	if (!store_view_wake_implicit(view))
		return view->dummy;
	return view->msgs;
}

/* Index of the first message with UID >= uid. */
static size_t
lower_bound(const struct store_view *view, uint32_t uid)
{
	size_t lo = 0, hi = view->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (view->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint32_t
store_view_seq_awake(const struct store_view *view, uint32_t uid)
{
	size_t i = lower_bound(view, uid);

	return i < view->count && view->msgs[i].uid == uid ? (uint32_t)(i + 1) : 0;
}

uint32_t
store_view_seq(struct store_view *view, uint32_t uid)
{
	if (!store_view_wake_implicit(view))
		return 0;
	return store_view_seq_awake(view, uid);
}

uint32_t
store_view_recent_count(const struct store_view *view)
{
	return view->recent_count;
}

const char *const *
store_view_keywords(const struct store_view *view, size_t *count_r)
{
	*count_r = view->n_keywords;
	return (const char *const *)view->keywords;
}

int
store_view_keyword_index(const struct store_view *view, const char *name)
{
	for (size_t i = 0; i < view->n_keywords; i++) {
		if (str_casecmp(view->keywords[i], name) == 0)
			return (int)i;
	}
	return -1;
}

void
store_view_mark_expunged(struct store_view *view, const uint32_t *uids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t seq = store_view_seq_awake(view, uids[i]);

		if (seq > 0) {
			view->msgs[seq - 1].flags |= STORE_FLAG_EXPUNGED;
			view->marked = true;
		}
	}
}

bool
store_view_current(const struct store_view *view)
{
	return view->acct->counts_commits && view->synced_commits == view->acct->commits;
}

bool
store_view_synced(const struct store_view *view, uint64_t highestmodseq)
{
	return view->acct->counts_commits && view->synced_commits == view->acct->commits &&
	       view->modseq == highestmodseq && !view->hibernated;
}

void
store_view_keep_synced(struct store_view *view, uint64_t highestmodseq)
{
	view->modseq = highestmodseq;
	view->synced_commits = view->acct->commits;
}

void
store_view_update_msg(struct store_view *view, uint32_t uid, uint32_t flags, uint64_t keywords,
		      uint64_t modseq)
{
	uint32_t seq = store_view_seq_awake(view, uid);

	store_view_unstale(view, uid); /* the view now has what the index has */
	if (seq > 0) {
		struct store_view_msg *m = &view->msgs[seq - 1];

		m->flags = (m->flags & ~STORE_FLAGS_STORABLE) | (flags & STORE_FLAGS_STORABLE);
		m->keywords = keywords;
		m->modseq = modseq;
	}
}
