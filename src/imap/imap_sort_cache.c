/* In-memory SORT/THREAD keys per mailbox, in the account handle's cache slot (see
 * imap_sort_cache.h). At most imap_sort_cache_messages entries per account: the mailbox
 * used least recently is dropped first (imap_mbox_cache.h). */
#include "imap/imap_sort_cache.h"

#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "imap/imap_mbox_cache.h"
#include "imap/imap_session.h"
#include "imap/imap_slice.h"
#include "log/log.h"
#include "store/store_account.h"
#include "store/store_msg.h"
#include "store/store_view.h"

/* New rows read in one go by imap_sort_cache_get (new mail since the last SORT); more than
 * this (the first SORT of a big mailbox) are read in slices first (imap_sort_cache_load) */
#define LOAD_IN_ONE_GO 1000

/* A sliced load not continued for this long was abandoned (its session went away) */
#define LOADING_NS (2 * 1000 * 1000 * 1000ull)

struct mbox_cache {
	struct imap_mbox_cache base; /* max_uid, n = set.n */
	unsigned ranked;             /* bit k: every entry has its rank[k] (imap_sort_rank) */
	struct imap_sort_set set;
};

static void
mbox_init(struct imap_mbox_cache *e)
{
	struct mbox_cache *m = (struct mbox_cache *)e;

	m->set.keys = (1u << MSG_SORTKEY_COUNT) - 1;
}

static void
mbox_free(struct imap_mbox_cache *e)
{
	struct mbox_cache *m = (struct mbox_cache *)e;

	imap_sort_set_free(&m->set);
	free(m);
}

static const struct imap_mbox_cache_kind kind = {
	.size = sizeof(struct mbox_cache),
	.init = mbox_init,
	.free = mbox_free,
	.slot = store_account_cache,
	.set_slot = store_account_set_cache,
};

/* Reads the rows with uid_lo <= UID <= uid_hi into m; with a budget, only until it is used
 * up (at least FILL_CHECK rows a call: progress). 1 all read, 0 more to read, -1 error. */
#define FILL_CHECK 256
static int
fill(struct imap_session *s, struct mbox_cache *m, uint32_t uid_lo, uint32_t uid_hi,
     const struct imap_slice_budget *budget)
{
	struct store_msg_cursor *cur;
	struct store_msg_meta meta;
	const char *error;
	size_t rows = 0;
	int ret;

	cur = store_msg_cursor_open(s->view, uid_lo, uid_hi,
				    STORE_MSG_SORT | STORE_MSG_HEADER_INFO);
	while ((ret = store_msg_cursor_next(cur, &meta, &error)) == 1) {
		imap_sort_set_add(&m->set, s, 0, &meta);
		if (budget != NULL && ++rows % FILL_CHECK == 0 && meta.uid < uid_hi &&
		    imap_slice_expired(budget)) {
			uid_hi = meta.uid; /* the rows come in UID order: all up to it are read */
			ret = 0;
			break;
		}
	}
	store_msg_cursor_close(&cur);
	m->base.n = m->set.n;
	if (ret < 0) {
		log_error("imap: %s: user=%s sort cache: %s", s->base.id, s->account, error);
		return -1;
	}
	imap_sort_set_backfill(&m->set, s);
	m->base.max_uid = uid_hi;
	m->base.pinned_until_ns = ret == 0 ? imap_mbox_cache_now_ns() + LOADING_NS : 0;
	m->ranked = 0; /* the new entries have none (the old ranks still agree with the keys) */
	return ret == 0 ? 0 : 1;
}

/* The selected mailbox's entry, read up to the view's last UID (with a budget: maybe only
 * in part, then 0). NULL (-1) when the cache cannot serve the mailbox. */
static struct mbox_cache *
entry(struct imap_session *s, const struct imap_slice_budget *budget, int *ret_r)
{
	size_t limit = imap_server_deps(s->server)->settings->imap_sort_cache_messages;
	struct mbox_cache *m;
	uint32_t last;

	*ret_r = 1;
	m = (struct mbox_cache *)imap_mbox_cache_entry(s, &kind, limit, true, &last);
	if (m == NULL) {
		*ret_r = -1;
		return NULL;
	}
	if (last > m->base.max_uid &&
	    (*ret_r = fill(s, m, m->base.max_uid + 1, last, budget)) < 0) {
		imap_mbox_cache_drop_front(s, &kind);
		return NULL;
	}
	imap_mbox_cache_trim(s, &kind, limit);
	return m;
}

bool
imap_sort_cache_loading(struct imap_session *s)
{
	const struct settings *set = imap_server_deps(s->server)->settings;
	size_t count = store_view_count(s->view);
	const struct imap_mbox_cache *m;

	if (count > set->imap_sort_cache_messages || count == 0)
		return false;
	if ((m = imap_mbox_cache_peek(s, &kind)) != NULL)
		return m->uidvalidity != store_view_uidvalidity(s->view) ||
		       store_view_msgs(s->view)[count - 1].uid > m->max_uid + LOAD_IN_ONE_GO;
	return count > LOAD_IN_ONE_GO;
}

int
imap_sort_cache_load(struct imap_session *s, const struct imap_slice_budget *budget)
{
	int ret;

	(void)entry(s, budget, &ret);
	return ret;
}

const struct imap_sort_set *
imap_sort_cache_get(struct imap_session *s, unsigned rank_keys)
{
	struct mbox_cache *m;
	int ret;

	if ((m = entry(s, NULL, &ret)) == NULL)
		return NULL;
	/* ranks: a SORT by a string key then compares integers (once per new mail, the
	 * mailbox is sorted by that key) */
	for (int k = 0; k <= MSG_SORTKEY_DISPLAYTO; k++) {
		if ((rank_keys & (1u << k)) && !(m->ranked & (1u << k))) {
			imap_sort_rank(m->set.msgs, m->set.n, m->set.arena.data,
				       (enum msg_sortkey)k);
			m->ranked |= 1u << k;
		}
	}
	return &m->set;
}
