/* In-memory BODYSTRUCTUREs and search fields per mailbox, in the account handle's second cache slot
 * (see imap_fetch_cache.h). At most imap_fetch_cache_messages entries per account: the mailbox used
 * least recently is dropped first. */
#include "imap/imap_fetch_cache.h"

#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "imap/imap_search.h"
#include "imap/imap_session.h"
#include "log/log.h"
#include "mail/mime_text.h"
#include "store/store_account.h"
#include "store/store_msg.h"
#include "store/store_view.h"
#include "util/buf.h"
#include "util/xmalloc.h"

struct mbox_cache {
	struct mbox_cache *next; /* most recently used first */
	uint64_t mailbox_id;     /* never reused by the store */
	uint32_t uidvalidity;
	uint32_t max_uid; /* every row up to it has been read */
	uint32_t *uids;
	uint64_t *sizes;
	uint32_t *offs; /* F * n + 1 once anything was added */
	size_t n, cap;
	struct buf arena;
	struct imap_fetch_cache view; /* what imap_fetch_cache_get() returns */
};

struct account_cache {
	struct mbox_cache *list;
};

static void
mbox_free(struct mbox_cache *m)
{
	free(m->uids);
	free(m->sizes);
	free(m->offs);
	buf_free(&m->arena);
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

#define F IMAP_FETCH_CACHE_FIELDS

/* Appends one message's entry (scratch: for the normalized From). */
static void
add(struct mbox_cache *m, const struct store_msg_meta *meta, struct buf *scratch)
{
	const struct store_blob *bs = &meta->bodystructure;

	if (m->n + 2 > m->cap) {
		size_t cap = m->cap;

		m->uids = xgrow(m->uids, &cap, m->n + 2, sizeof(*m->uids));
		m->offs = xrealloc(m->offs, xsize_add(xsize_mul(cap, F * sizeof(*m->offs)), 4));
		m->sizes = xrealloc(m->sizes, xsize_mul(cap, sizeof(*m->sizes)));
		m->cap = cap;
	}
	if (m->n == 0)
		m->offs[0] = 0;
	if (bs->data != NULL)
		buf_append(&m->arena, bs->data, bs->len);
	m->offs[F * m->n + 1] = (uint32_t)m->arena.len;
	mime_text_fold(meta->subject.data != NULL ? meta->subject.data : "", meta->subject.len,
		       &m->arena);
	m->offs[F * m->n + 2] = (uint32_t)m->arena.len;
	mime_text_fold(meta->from.data != NULL ? meta->from.data : "", meta->from.len, &m->arena);
	m->offs[F * m->n + 3] = (uint32_t)m->arena.len;
	imap_search_addr_normalize(scratch, meta->from.data != NULL ? meta->from.data : "",
				   meta->from.len);
	mime_text_fold(scratch->data != NULL ? scratch->data : "", scratch->len, &m->arena);
	m->sizes[m->n] = meta->size;
	m->uids[m->n++] = meta->uid;
	m->offs[F * m->n] = (uint32_t)m->arena.len;
}

/* Reads the rows with uid_lo <= UID <= uid_hi into m. */
static int
fill(struct imap_session *s, struct mbox_cache *m, uint32_t uid_lo, uint32_t uid_hi)
{
	struct store_msg_cursor *cur;
	struct store_msg_meta meta;
	const char *error;
	struct buf scratch = BUF_INIT;
	int ret;

	cur = store_msg_cursor_open(s->view, uid_lo, uid_hi,
				    STORE_MSG_BODYSTRUCTURE | STORE_MSG_SEARCH);
	while ((ret = store_msg_cursor_next(cur, &meta, &error)) == 1) {
		/* offsets are 32 bits; folding grows text by half at most */
		if (m->arena.len + meta.bodystructure.len +
			    2 * (meta.subject.len + 3 * meta.from.len + 64) >=
		    UINT32_MAX) {
			ret = -1;
			error = "too much for the cache";
			break;
		}
		add(m, &meta, &scratch);
	}
	store_msg_cursor_close(&cur);
	buf_free(&scratch);
	if (ret < 0) {
		log_error("imap: %s: user=%s fetch cache: %s", s->base.id, s->account, error);
		return -1;
	}
	m->max_uid = uid_hi;
	return 0;
}

/* Drops mailboxes from the least recently used end until the account holds at most
 * limit entries (the one in front stays). */
static void
trim(struct account_cache *ac, size_t limit)
{
	size_t total = 0;

	for (struct mbox_cache **pm = &ac->list; *pm != NULL;) {
		total += (*pm)->n;
		if (pm != &ac->list && total > limit) {
			struct mbox_cache *gone = *pm;

			total -= gone->n;
			*pm = gone->next;
			mbox_free(gone);
			continue;
		}
		pm = &(*pm)->next;
	}
}

const struct imap_fetch_cache *
imap_fetch_cache_get(struct imap_session *s, bool create)
{
	const struct settings *set = imap_server_deps(s->server)->settings;
	size_t limit = set->imap_fetch_cache_messages, count = store_view_count(s->view);
	uint64_t id = store_view_mailbox_id(s->view);
	uint32_t uidvalidity = store_view_uidvalidity(s->view), last;
	struct store_account *acct = store_view_account(s->view);
	struct account_cache *ac = store_account_cache2(acct);
	struct mbox_cache **pm, *m;

	if (count > limit || count == 0)
		return NULL;
	last = store_view_msgs(s->view)[count - 1].uid;
	if (ac == NULL) {
		ac = xcalloc(1, sizeof(*ac));
		store_account_set_cache2(acct, ac, account_cache_free);
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
	if (m != NULL && (m->uidvalidity != uidvalidity || m->n > 2 * count + 1000)) {
		mbox_free(m);
		m = NULL;
	}
	if (m == NULL && !create)
		return NULL;
	if (m == NULL) {
		m = xcalloc(1, sizeof(*m));
		m->mailbox_id = id;
		m->uidvalidity = uidvalidity;
	}
	m->next = ac->list;
	ac->list = m;
	if (last > m->max_uid && fill(s, m, m->max_uid + 1, last) < 0) {
		ac->list = m->next;
		mbox_free(m);
		return NULL;
	}
	trim(ac, limit);
	m->view.uids = m->uids;
	m->view.sizes = m->sizes;
	m->view.offs = m->offs;
	m->view.arena = m->arena.data != NULL ? m->arena.data : "";
	m->view.n = m->n;
	return &m->view;
}

size_t
imap_fetch_cache_find(const struct imap_fetch_cache *c, uint32_t uid, size_t *hint)
{
	size_t lo = 0, hi = c->n;

	if (*hint < c->n && c->uids[*hint] == uid)
		return (*hint)++;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->n && c->uids[lo] == uid) {
		*hint = lo + 1;
		return lo;
	}
	return SIZE_MAX;
}
