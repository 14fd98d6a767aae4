/* In-memory SORT/THREAD keys per mailbox, in the account handle's cache slot (see
 * imap_sort_cache.h). At most imap_sort_cache_messages entries per account: the mailbox
 * used least recently is dropped first. */
#include "imap/imap_sort_cache.h"

#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "imap/imap_session.h"
#include "log/log.h"
#include "store/store_account.h"
#include "store/store_msg.h"
#include "store/store_view.h"
#include "util/xmalloc.h"

struct mbox_cache {
	struct mbox_cache *next; /* most recently used first */
	uint64_t mailbox_id;     /* never reused by the store */
	uint32_t uidvalidity;
	uint32_t max_uid; /* every row up to it has been read */
	unsigned ranked;  /* bit k: every entry has its rank[k] (imap_sort_rank) */
	struct imap_sort_set set;
};

struct account_cache {
	struct mbox_cache *list;
};

static void
mbox_free(struct mbox_cache *m)
{
	imap_sort_set_free(&m->set);
	free(m);
}

static void
account_cache_free(void *p)
{
	struct account_cache *ac = p;

	while (ac->list != NULL) {
		struct mbox_cache *m = ac->list;

		ac->list = m->next;
		mbox_free(m);
	}
	free(ac);
}

/* Reads the rows with uid_lo <= UID <= uid_hi into m. */
static int
fill(struct imap_session *s, struct mbox_cache *m, uint32_t uid_lo, uint32_t uid_hi)
{
	struct store_msg_cursor *cur;
	struct store_msg_meta meta;
	const char *error;
	int ret;

	cur = store_msg_cursor_open(s->view, uid_lo, uid_hi,
				    STORE_MSG_SORT | STORE_MSG_HEADER_INFO);
	while ((ret = store_msg_cursor_next(cur, &meta, &error)) == 1)
		imap_sort_set_add(&m->set, s, 0, &meta);
	store_msg_cursor_close(&cur);
	if (ret < 0) {
		log_error("imap: %s: user=%s sort cache: %s", s->base.id, s->account, error);
		return -1;
	}
	imap_sort_set_backfill(&m->set, s);
	m->max_uid = uid_hi;
	m->ranked = 0; /* the new entries have none (the old ranks still agree with the keys) */
	return 0;
}

/* Drops mailboxes from the least recently used end until the account holds at most
 * limit entries (m, in front, stays). */
static void
trim(struct account_cache *ac, size_t limit)
{
	size_t total = 0;

	for (struct mbox_cache **pm = &ac->list; *pm != NULL;) {
		total += (*pm)->set.n;
		if (pm != &ac->list && total > limit) {
			struct mbox_cache *gone = *pm;

			total -= gone->set.n;
			*pm = gone->next;
			mbox_free(gone);
			continue;
		}
		pm = &(*pm)->next;
	}
}

const struct imap_sort_set *
imap_sort_cache_get(struct imap_session *s, unsigned rank_keys)
{
	const struct settings *set = imap_server_deps(s->server)->settings;
	size_t limit = set->imap_sort_cache_messages, count = store_view_count(s->view);
	uint64_t id = store_view_mailbox_id(s->view);
	uint32_t uidvalidity = store_view_uidvalidity(s->view), last;
	struct store_account *acct = store_view_account(s->view);
	struct account_cache *ac = store_account_cache(acct);
	struct mbox_cache **pm, *m;

	if (count > limit || count == 0)
		return NULL;
	last = store_view_msgs(s->view)[count - 1].uid;
	if (ac == NULL) {
		ac = xcalloc(1, sizeof(*ac));
		store_account_set_cache(acct, ac, account_cache_free);
	}
	m = NULL;
	for (pm = &ac->list; *pm != NULL; pm = &(*pm)->next) {
		if ((*pm)->mailbox_id == id) {
			m = *pm;
			*pm = m->next; /* to the front, below */
			break;
		}
	}
	/* a new UIDVALIDITY, or mostly expunged entries: start again */
	if (m != NULL && (m->uidvalidity != uidvalidity || m->set.n > 2 * count + 1000)) {
		mbox_free(m);
		m = NULL;
	}
	if (m == NULL) {
		m = xcalloc(1, sizeof(*m));
		m->mailbox_id = id;
		m->uidvalidity = uidvalidity;
		m->set.keys = (1u << MSG_SORTKEY_COUNT) - 1;
	}
	m->next = ac->list;
	ac->list = m;
	if (last > m->max_uid && fill(s, m, m->max_uid + 1, last) < 0) {
		ac->list = m->next;
		mbox_free(m);
		return NULL;
	}
	trim(ac, limit);
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
