/* The SORT/THREAD keys of a mailbox's messages kept in memory between commands and
 * sessions (internal to src/imap). They never change for a UID (they come from the
 * immutable message), so the cache only grows with new UIDs (read from the index when a
 * SORT/THREAD finds the view past it) and is dropped when the account handle goes (the
 * list of mailboxes per account: imap_mbox_cache.h). */
#ifndef IMAP_IMAP_SORT_CACHE_H
#define IMAP_IMAP_SORT_CACHE_H

#include <stdbool.h>

#include "imap/imap_sort_set.h"

struct imap_session;

/* The keys of every message of the selected mailbox up to the view's last UID, in UID
 * order (seq unset; entries of expunged messages may linger), read from the index for
 * the UIDs not cached yet, with ranks (imap_sort_rank) for the string keys in rank_keys
 * (bit k: enum msg_sortkey k). NULL when the mailbox is over imap_sort_cache_messages or
 * the index cannot be read: use the index directly then. Valid until the next call. */
const struct imap_sort_set *imap_sort_cache_get(struct imap_session *s, unsigned rank_keys);

/* The first SORT/THREAD of a big mailbox (thousands of keys not cached yet: tens of ms per
 * 10,000) reads them in slices that return to the event loop in between, so that other
 * sessions do not stall: while imap_sort_cache_loading(), call imap_sort_cache_load() from
 * a slice step until it returns 1 (then imap_sort_cache_get() reads nothing more), or -1
 * (the cache cannot serve the mailbox: walk the index). 0: the budget is used up, more to
 * read. The session is paused meanwhile, so its view does not change; other sessions of
 * the account may fill the same entry (the cache is shared): that only saves work. */
struct imap_slice_budget;
bool imap_sort_cache_loading(struct imap_session *s);
int imap_sort_cache_load(struct imap_session *s, const struct imap_slice_budget *budget);

#endif
