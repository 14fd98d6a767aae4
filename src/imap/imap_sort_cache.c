/* In-memory SORT/THREAD keys per mailbox, in the account handle's cache slot (see
 * imap_sort_cache.h). At most imap_sort_cache_messages entries per account: the mailbox
 * used least recently is dropped first. */
#include "imap/imap_sort_cache.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/settings.h"
#include "imap/imap_session.h"
#include "imap/imap_slice.h"
#include "log/log.h"
#include "store/store_account.h"
#include "store/store_msg.h"
#include "store/store_view.h"
#include "util/xmalloc.h"

/* New rows read in one go by imap_sort_cache_get (new mail since the last SORT); more than
 * this (the first SORT of a big mailbox) are read in slices first (imap_sort_cache_load) */
#define LOAD_IN_ONE_GO 1000

/* A sliced load not continued for this long was abandoned (its session went away) */
#define LOADING_NS (2 * 1000 * 1000 * 1000ull)

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct mbox_cache {
	struct mbox_cache *next; /* most recently used first */
	uint64_t mailbox_id;     /* never reused by the store */
	uint32_t uidvalidity;
	uint32_t max_uid;    /* every row up to it has been read */
	unsigned ranked;     /* bit k: every entry has its rank[k] (imap_sort_rank) */
	uint64_t loading_ns; /* a sliced load stopped here then (CLOCK_MONOTONIC); 0: none */
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
	if (ret < 0) {
		log_error("imap: %s: user=%s sort cache: %s", s->base.id, s->account, error);
		return -1;
	}
	imap_sort_set_backfill(&m->set, s);
	m->max_uid = uid_hi;
	m->loading_ns = ret == 0 ? now_ns() : 0;
	m->ranked = 0; /* the new entries have none (the old ranks still agree with the keys) */
	return ret == 0 ? 0 : 1;
}

/* Drops mailboxes from the least recently used end until the account holds at most
 * limit entries (m, in front, stays). A mailbox whose sliced load went on within the last
 * LOADING_NS stays too (else two sessions loading two big mailboxes could drop each
 * other's half-read entry at every slice, forever): the limit may be passed meanwhile. */
static void
trim(struct account_cache *ac, size_t limit)
{
	size_t total = 0;
	uint64_t now = now_ns();

	for (struct mbox_cache **pm = &ac->list; *pm != NULL;) {
		total += (*pm)->set.n;
		if (pm != &ac->list && total > limit &&
		    ((*pm)->loading_ns == 0 || now - (*pm)->loading_ns > LOADING_NS)) {
			struct mbox_cache *gone = *pm;

			total -= gone->set.n;
			*pm = gone->next;
			mbox_free(gone);
			continue;
		}
		pm = &(*pm)->next;
	}
}

/* The selected mailbox's entry, moved to the front of the account's list (made when
 * missing); *last_r the view's last UID. NULL when the mailbox is empty or over the limit. */
static struct mbox_cache *
entry(struct imap_session *s, uint32_t *last_r)
{
	const struct settings *set = imap_server_deps(s->server)->settings;
	size_t limit = set->imap_sort_cache_messages, count = store_view_count(s->view);
	uint64_t id = store_view_mailbox_id(s->view);
	uint32_t uidvalidity = store_view_uidvalidity(s->view);
	struct store_account *acct = store_view_account(s->view);
	struct account_cache *ac = store_account_cache(acct);
	struct mbox_cache **pm, *m;

	if (count > limit || count == 0)
		return NULL;
	*last_r = store_view_msgs(s->view)[count - 1].uid;
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
	return m;
}

/* Drops the front entry m (an index error) from the account's list. */
static void
drop_front(struct imap_session *s, struct mbox_cache *m)
{
	struct account_cache *ac = store_account_cache(store_view_account(s->view));

	ac->list = m->next;
	mbox_free(m);
}

bool
imap_sort_cache_loading(struct imap_session *s)
{
	const struct settings *set = imap_server_deps(s->server)->settings;
	size_t count = store_view_count(s->view);
	struct account_cache *ac = store_account_cache(store_view_account(s->view));
	uint64_t id = store_view_mailbox_id(s->view);

	if (count > set->imap_sort_cache_messages || count == 0)
		return false;
	for (struct mbox_cache *m = ac != NULL ? ac->list : NULL; m != NULL; m = m->next) {
		if (m->mailbox_id == id)
			return m->uidvalidity != store_view_uidvalidity(s->view) ||
			       store_view_msgs(s->view)[count - 1].uid >
				       m->max_uid + LOAD_IN_ONE_GO;
	}
	return count > LOAD_IN_ONE_GO;
}

int
imap_sort_cache_load(struct imap_session *s, const struct imap_slice_budget *budget)
{
	const struct settings *set = imap_server_deps(s->server)->settings;
	struct mbox_cache *m;
	uint32_t last;
	int ret = 1;

	if ((m = entry(s, &last)) == NULL)
		return -1;
	if (last > m->max_uid && (ret = fill(s, m, m->max_uid + 1, last, budget)) < 0) {
		drop_front(s, m);
		return -1;
	}
	trim(store_account_cache(store_view_account(s->view)), set->imap_sort_cache_messages);
	return ret;
}

const struct imap_sort_set *
imap_sort_cache_get(struct imap_session *s, unsigned rank_keys)
{
	const struct settings *set = imap_server_deps(s->server)->settings;
	struct mbox_cache *m;
	uint32_t last;

	if ((m = entry(s, &last)) == NULL)
		return NULL;
	if (last > m->max_uid && fill(s, m, m->max_uid + 1, last, NULL) < 0) {
		drop_front(s, m);
		return NULL;
	}
	trim(store_account_cache(store_view_account(s->view)), set->imap_sort_cache_messages);
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
