/* The per-mailbox entries of an in-memory cache of index data, shared by an account's
 * sessions (internal to src/imap): one list per account, kept in one of the account handle's
 * cache slots, most recently used mailbox first, at most a given number of messages in all
 * (the least recently used mailboxes are dropped first). The SORT/THREAD keys
 * (imap_sort_cache.c) and the FETCH/SEARCH fields (imap_fetch_cache.c) are two such caches.
 * What they keep never changes for a UID (it comes from the immutable message), so an entry
 * only grows with new UIDs, and is started again when the mailbox's UIDVALIDITY changes or
 * it holds far more messages than the mailbox (expunged ones linger). */
#ifndef IMAP_IMAP_MBOX_CACHE_H
#define IMAP_IMAP_MBOX_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct imap_session;
struct store_account;

/* The head of an entry: the first member of the cache's own struct. */
struct imap_mbox_cache {
	struct imap_mbox_cache *next; /* most recently used first */
	uint64_t mailbox_id;          /* never reused by the store */
	uint32_t uidvalidity;
	uint32_t max_uid; /* every row up to it has been read (kept by the cache) */
	size_t n;         /* messages held, counted against the limit (kept by the cache) */
	/* pinned (not dropped by trim) until then, CLOCK_MONOTONIC ns; 0: not pinned. A
	 * sliced load sets it, so that two sessions loading two big mailboxes do not drop
	 * each other's half-read entry at every slice. */
	uint64_t pinned_until_ns;
};

/* What differs from one cache to the other. */
struct imap_mbox_cache_kind {
	size_t size;                             /* of the cache's struct (zeroed when made) */
	void (*init)(struct imap_mbox_cache *e); /* a new entry; may be NULL */
	void (*free)(struct imap_mbox_cache *e); /* frees e itself too */
	/* the account handle's slot holding the list (store_account_cache or _cache2) */
	void *(*slot)(const struct store_account *acct);
	void (*set_slot)(struct store_account *acct, void *cache, void (*free_fn)(void *));
};

/* The selected mailbox's entry, moved to the front of the account's list; made when
 * missing and create (zeroed, kind->init), made again when stale (see above). *last_r is
 * the view's last UID. NULL when the mailbox is empty, has more than limit messages, or
 * has no entry and !create. */
struct imap_mbox_cache *imap_mbox_cache_entry(struct imap_session *s,
					      const struct imap_mbox_cache_kind *kind, size_t limit,
					      bool create, uint32_t *last_r);

/* The selected mailbox's entry where it is, or NULL (nothing moved, made or dropped). */
struct imap_mbox_cache *imap_mbox_cache_peek(struct imap_session *s,
					     const struct imap_mbox_cache_kind *kind);

/* Drops the front entry (the one imap_mbox_cache_entry returned: it could not be filled). */
void imap_mbox_cache_drop_front(struct imap_session *s, const struct imap_mbox_cache_kind *kind);

/* Drops entries from the least recently used end until the account holds at most limit
 * messages; the front entry and pinned ones stay (the limit may be passed meanwhile). */
void imap_mbox_cache_trim(struct imap_session *s, const struct imap_mbox_cache_kind *kind,
			  size_t limit);

/* CLOCK_MONOTONIC in ns (for pinned_until_ns). */
uint64_t imap_mbox_cache_now_ns(void);

#endif
