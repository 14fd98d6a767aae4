/* The per-account, per-mailbox LRU list of an in-memory cache of index data (see
 * imap_mbox_cache.h). */
#include "imap/imap_mbox_cache.h"

#include <stdlib.h>
#include <time.h>

#include "imap/imap_session.h"
#include "store/store_account.h"
#include "store/store_view.h"
#include "util/xmalloc.h"

/* The list in the account handle's slot; freed with the handle. */
struct account_list {
	const struct imap_mbox_cache_kind *kind;
	struct imap_mbox_cache *head;
};

static void
account_list_free(void *p)
{
	struct account_list *al = p;

	while (al->head != NULL) {
		struct imap_mbox_cache *e = al->head;

		al->head = e->next;
		al->kind->free(e);
	}
	free(al);
}

static struct account_list *
account_list(struct imap_session *s, const struct imap_mbox_cache_kind *kind, bool create)
{
	struct store_account *acct = store_view_account(s->view);
	struct account_list *al = kind->slot(acct);

	if (al == NULL && create) {
		al = xcalloc(1, sizeof(*al));
		al->kind = kind;
		kind->set_slot(acct, al, account_list_free);
	}
	return al;
}

uint64_t
imap_mbox_cache_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct imap_mbox_cache *
imap_mbox_cache_peek(struct imap_session *s, const struct imap_mbox_cache_kind *kind)
{
	struct account_list *al = account_list(s, kind, false);
	uint64_t id = store_view_mailbox_id(s->view);

	for (struct imap_mbox_cache *e = al != NULL ? al->head : NULL; e != NULL; e = e->next) {
		if (e->mailbox_id == id)
			return e;
	}
	return NULL;
}

struct imap_mbox_cache *
imap_mbox_cache_entry(struct imap_session *s, const struct imap_mbox_cache_kind *kind, size_t limit,
		      bool create, uint32_t *last_r)
{
	size_t count = store_view_count(s->view);
	uint64_t id = store_view_mailbox_id(s->view);
	uint32_t uidvalidity = store_view_uidvalidity(s->view);
	struct account_list *al;
	struct imap_mbox_cache **pe, *e = NULL;

	if (count > limit || count == 0)
		return NULL;
	*last_r = store_view_msgs(s->view)[count - 1].uid;
	if ((al = account_list(s, kind, create)) == NULL)
		return NULL;
	for (pe = &al->head; *pe != NULL; pe = &(*pe)->next) {
		if ((*pe)->mailbox_id == id) {
			e = *pe;
			*pe = e->next; /* to the front, below */
			break;
		}
	}
	/* a new UIDVALIDITY, or mostly expunged entries: start again */
	if (e != NULL && (e->uidvalidity != uidvalidity || e->n > 2 * count + 1000)) {
		kind->free(e);
		e = NULL;
	}
	if (e == NULL && !create)
		return NULL;
	if (e == NULL) {
		e = xcalloc(1, kind->size);
		e->mailbox_id = id;
		e->uidvalidity = uidvalidity;
		if (kind->init != NULL)
			kind->init(e);
	}
	e->next = al->head;
	al->head = e;
	return e;
}

void
imap_mbox_cache_drop_front(struct imap_session *s, const struct imap_mbox_cache_kind *kind)
{
	struct account_list *al = account_list(s, kind, false);
	struct imap_mbox_cache *e = al != NULL ? al->head : NULL;

	if (e != NULL) {
		al->head = e->next;
		kind->free(e);
	}
}

void
imap_mbox_cache_trim(struct imap_session *s, const struct imap_mbox_cache_kind *kind, size_t limit)
{
	struct account_list *al = account_list(s, kind, false);
	uint64_t now = 0;
	size_t total = 0;

	if (al == NULL)
		return;
	for (struct imap_mbox_cache **pe = &al->head; *pe != NULL;) {
		struct imap_mbox_cache *e = *pe;

		total += e->n;
		if (pe != &al->head && total > limit) {
			if (e->pinned_until_ns != 0 && now == 0)
				now = imap_mbox_cache_now_ns();
			if (e->pinned_until_ns == 0 || now > e->pinned_until_ns) {
				total -= e->n;
				*pe = e->next;
				kind->free(e);
				continue;
			}
		}
		pe = &e->next;
	}
}
