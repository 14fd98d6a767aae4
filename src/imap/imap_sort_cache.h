/* The SORT/THREAD keys of a mailbox's messages kept in memory between commands and
 * sessions (internal to src/imap). They never change for a UID (they come from the
 * immutable message), so the cache only grows with new UIDs (read from the index when a
 * SORT/THREAD finds the view past it) and is dropped when the account handle goes. */
#ifndef IMAP_IMAP_SORT_CACHE_H
#define IMAP_IMAP_SORT_CACHE_H

#include "imap/imap_sort_set.h"

struct imap_session;

/* The keys of every message of the selected mailbox up to the view's last UID, in UID
 * order (seq unset; entries of expunged messages may linger), read from the index for
 * the UIDs not cached yet, with ranks (imap_sort_rank) for the string keys in rank_keys
 * (bit k: enum msg_sortkey k). NULL when the mailbox is over imap_sort_cache_messages or
 * the index cannot be read: use the index directly then. Valid until the next call. */
const struct imap_sort_set *imap_sort_cache_get(struct imap_session *s, unsigned rank_keys);

#endif
