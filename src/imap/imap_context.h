/* CONTEXT=SEARCH and CONTEXT=SORT (RFC 5267 4): the results of SEARCH/SORT ... RETURN
 * (UPDATE) kept by the session and brought up to date as the mailbox changes, with
 * ESEARCH ADDTO / REMOVEFROM responses, until CANCELUPDATE or the mailbox is left.
 * Internal to src/imap. */
#ifndef IMAP_IMAP_CONTEXT_H
#define IMAP_IMAP_CONTEXT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/imap_search.h"
#include "imap/imap_sort.h"

struct imap_session;

/* What a context is made of besides its query. */
struct imap_context_def {
	const char *tag;
	bool uid;
	unsigned fields, n_slots;          /* what the search's prepare() found */
	const struct imap_sort_crit *crit; /* SORT: its criteria (NULL: a SEARCH) */
	size_t n_crit;
	unsigned sort_keys;
};

/* Keeps a context with result uids (in mailbox or sort order); takes q over (true), or
 * refuses (false: imap_max_contexts reached; answer NOUPDATE, q stays the caller's). */
bool imap_context_add(struct imap_session *s, const struct imap_context_def *def,
		      struct imap_search_query *q, const uint32_t *uids, size_t n);
/* Before EXPUNGE responses: REMOVEFROM for the expunged messages in the results, with
 * their sequence numbers before the expunge (RFC 5267 4.3.3). */
void imap_context_expunged(struct imap_session *s, const uint32_t *uids, const uint32_t *seqs,
			   size_t n);
/* After the mailbox changes were reported: the results whose mailbox moved (messages,
 * flags) are evaluated again and the differences sent (ADDTO, REMOVEFROM). */
void imap_context_sync(struct imap_session *s);
/* Pure: what changed from the result old[] to fresh[] (UIDs, each list in its result's
 * order). removed[i] is set for old[i] when it left the result, added[j] for fresh[j] when
 * it joined; for a sorted result also for the fewest messages that moved relative to the
 * others (out of the old place, into the new one). */
void imap_context_diff(const uint32_t *old, size_t n_old, const uint32_t *fresh, size_t n_new,
		       bool sorted, bool *removed, bool *added);
/* Drops every context (mailbox left, session gone). */
void imap_context_free_all(struct imap_session *s);

#endif
