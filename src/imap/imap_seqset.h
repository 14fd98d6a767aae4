/* IMAP sequence sets (RFC 3501 9 sequence-set, RFC 9051 9): parsing "1:*", "5:3", "1,3:5",
 * "$" (SEARCHRES, RFC 5182), evaluation against a message count or the highest UID, and
 * compact output of number sets for COPYUID, VANISHED and ESEARCH ("1:5,7"). */
#ifndef IMAP_IMAP_SEQSET_H
#define IMAP_IMAP_SEQSET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/* "*" in a parsed set before imap_seqset_resolve(). */
#define IMAP_SEQ_STAR 0

struct imap_seq_range {
	uint32_t lo;
	uint32_t hi;
};

struct imap_seqset {
	struct imap_seq_range *ranges;
	size_t count;
	size_t cap;
	bool saved; /* the set is "$": the saved search result (RFC 5182 2.1) */
};

void imap_seqset_init(struct imap_seqset *set);
void imap_seqset_free(struct imap_seqset *set);
void imap_seqset_clear(struct imap_seqset *set);

/* Parses str (the whole string) into set (cleared first). Ranges are kept as written, "*"
 * as IMAP_SEQ_STAR. "$" alone is accepted only with allow_saved. 0 ok, -1 *error_r. */
int imap_seqset_parse(struct imap_seqset *set, const char *str, bool allow_saved,
		      const char **error_r);
/* Whether str is a syntactically valid sequence set (used to tell a SEARCH sequence-set
 * key from other atoms). */
bool imap_seqset_is_valid(const char *str, bool allow_saved);

/* Copies in to out (cleared first) with "*" replaced by star (the message count for
 * sequence numbers, the highest UID for UIDs: RFC 3501 6.4.8 "559:*" includes it even if
 * 559 is higher), each range ordered, and the ranges sorted and merged. With star 0 (an
 * empty mailbox) "*" becomes 0, which no message has. in->saved is not resolved here. */
void imap_seqset_resolve(const struct imap_seqset *in, uint32_t star, struct imap_seqset *out);

/* Building: adds a range (lo <= hi not required); normalize sorts and merges. */
void imap_seqset_add(struct imap_seqset *set, uint32_t lo, uint32_t hi);
void imap_seqset_normalize(struct imap_seqset *set);

/* On a normalized set. */
bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n);
uint32_t imap_seqset_min(const struct imap_seqset *set); /* 0 if empty */
uint32_t imap_seqset_max(const struct imap_seqset *set); /* 0 if empty */
uint64_t imap_seqset_count(const struct imap_seqset *set);

/* Writes a normalized set as "1:5,7" (nothing for an empty set). */
void imap_seqset_write(struct buf *out, const struct imap_seqset *set);
/* Writes numbers in the given order, joining runs of consecutive ascending numbers into
 * ranges: {1,2,3,7,5} gives "1:3,7,5" (COPYUID pairs its two sets by position). */
void imap_seqset_write_list(struct buf *out, const uint32_t *nums, size_t n);

#endif
