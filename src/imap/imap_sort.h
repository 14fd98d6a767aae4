/* SORT (RFC 5256 3) and SORT=DISPLAY (RFC 5957): the criteria parser and the ordering,
 * pure (unit-tested, fuzzed); the command is imap_sort_cmd.c. The messages are described
 * by struct imap_sort_msg, whose string keys (mail/msg_sortkeys.h) live in an arena. */
#ifndef IMAP_IMAP_SORT_H
#define IMAP_IMAP_SORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/msg_sortkeys.h"

struct imap_arg;

enum imap_sort_key {
	IMAP_SORT_ARRIVAL, /* INTERNALDATE */
	IMAP_SORT_CC,
	IMAP_SORT_DATE, /* sent date in UTC, else INTERNALDATE (RFC 5256 2.2) */
	IMAP_SORT_FROM,
	IMAP_SORT_SIZE,
	IMAP_SORT_SUBJECT,
	IMAP_SORT_TO,
	IMAP_SORT_DISPLAYFROM, /* RFC 5957 */
	IMAP_SORT_DISPLAYTO,
};

struct imap_sort_crit {
	enum imap_sort_key key;
	bool reverse;
};

/* criteria in one SORT (each key once is all that makes sense; REVERSE counted apart) */
#define IMAP_SORT_MAX_CRITERIA 16

/* Parses the parenthesized sort criteria (RFC 5256 4: "(" sort-criterion *(SP
 * sort-criterion) ")", sort-criterion = ["REVERSE" SP] sort-key). 0 with *n_r criteria,
 * or -1 with *error_r for a BAD. */
int imap_sort_parse_criteria(const struct imap_arg *list, struct imap_sort_crit *out, size_t *n_r,
			     const char **error_r);

/* A message as SORT and THREAD see it. */
struct imap_sort_msg {
	uint32_t seq, uid;
	uint64_t size;
	int64_t arrival; /* INTERNALDATE */
	int64_t date;    /* sent date (UTC), INTERNALDATE when there is none */
	bool reply;      /* the subject had a Re:/Fwd: */
	uint32_t off[MSG_SORTKEY_COUNT], len[MSG_SORTKEY_COUNT]; /* keys in the arena */
	/* the string keys' order among a whole mailbox (imap_sort_cache.c): equal keys have
	 * equal ranks, 0 = not ranked (compare the strings) */
	uint32_t rank[MSG_SORTKEY_DISPLAYTO + 1];
};

/* Sorts msgs by the criteria; messages equal under all of them stay in mailbox order
 * (RFC 5256 3: ascending sequence number, REVERSE or not). */
void imap_sort_msgs(struct imap_sort_msg *msgs, size_t n, const char *arena,
		    const struct imap_sort_crit *crit, size_t n_crit);

/* A message to sort where it is (the sort cache's entries are not copied): its entry and
 * its sequence number now. */
struct imap_sort_ref {
	const struct imap_sort_msg *m;
	uint32_t seq;
};
/* imap_sort_msgs() on references: refs are reordered, the entries stay. */
void imap_sort_refs(struct imap_sort_ref *refs, size_t n, const char *arena,
		    const struct imap_sort_crit *crit, size_t n_crit);

/* Ranks msgs[0..n) by string key k (1 = lowest; equal keys, equal ranks). */
void imap_sort_rank(struct imap_sort_msg *msgs, size_t n, const char *arena, enum msg_sortkey k);

/* Appends n in decimal (no printf: SORT and THREAD write 10,000s of numbers). */
struct buf;
void imap_sort_append_u32(struct buf *out, uint32_t n);

/* The keys a set of criteria reads (bit i: enum msg_sortkey i). */
unsigned imap_sort_keys_needed(const struct imap_sort_crit *crit, size_t n_crit);

#endif
