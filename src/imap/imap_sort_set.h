/* The messages a SORT or THREAD found, with the keys they are ordered or threaded by,
 * collected while the search walks the index (internal to src/imap). */
#ifndef IMAP_IMAP_SORT_SET_H
#define IMAP_IMAP_SORT_SET_H
#include <stddef.h>
#include <stdint.h>

#include "imap/imap_sort.h"
#include "util/buf.h"

struct imap_session;
struct store_msg_meta;

struct imap_sort_set {
	unsigned keys; /* bit i: keep enum msg_sortkey i (the others are left empty) */
	struct imap_sort_msg *msgs;
	size_t n, cap;
	struct buf arena; /* the kept keys */
	/* rows that had no sortkeys blob (from before schema 2): stored back at the end */
	uint32_t *fill_uids;
	size_t n_fill, cap_fill;
	struct buf fill_blobs;
	uint32_t *fill_lens;
};

/* Adds a matching message (meta read with STORE_MSG_SORT when keys != 0, and
 * STORE_MSG_HEADER_INFO for the sent date). A row without its blob gets it built from the
 * message's header (read from its file). */
void imap_sort_set_add(struct imap_sort_set *set, struct imap_session *s, uint32_t seq,
		       const struct store_msg_meta *meta);
/* Adds a match whose keys are in the sort cache (imap_sort_cache.h): a copy of its entry,
 * offsets into the cache's arena, with seq. Do not mix with imap_sort_set_add(). */
void imap_sort_set_add_cached(struct imap_sort_set *set, const struct imap_sort_msg *msg,
			      uint32_t seq);
/* Stores the blobs built by imap_sort_set_add() in the index (lazy migration). */
void imap_sort_set_backfill(struct imap_sort_set *set, struct imap_session *s);
void imap_sort_set_free(struct imap_sort_set *set);

#endif
