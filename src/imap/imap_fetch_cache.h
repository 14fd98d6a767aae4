/* The BODYSTRUCTURE, ENVELOPE, BODY, RFC822.SIZE, INTERNALDATE, folded Subject and From of a
 * mailbox's messages, and
 * their top-level header filtered for the last HEADER.FIELDS list asked for, kept in memory
 * between commands and sessions (internal to src/imap). They never change for a UID (built
 * at delivery from the immutable message, store schema steps 1 and 6), so the cache only
 * grows with new UIDs (read from the index when a FETCH or SEARCH finds the view past it)
 * and is dropped with the account handle (imap_mbox_cache.h: the list per account). Why:
 * FETCH 1:* (BODYSTRUCTURE) and SEARCH SUBJECT read one ~1.7 KB msgdata row per message
 * from the index, and the cache and TLB misses of that walk were most of their time; here
 * the strings lie end to end in one arena. */
#ifndef IMAP_IMAP_FETCH_CACHE_H
#define IMAP_IMAP_FETCH_CACHE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct imap_session;
struct mime_section_spec;

/* The strings kept per message, in this order. */
enum imap_fetch_cache_field {
	IMAP_FETCH_CACHE_BODYSTRUCTURE, /* as sent (msgdata.bodystructure) */
	/* SEARCH SUBJECT/FROM (imap_search_eval.c): the decoded field folded as
	 * mime_text_match() folds, and FROM's addresses normalized, then folded */
	IMAP_FETCH_CACHE_SUBJECT,
	IMAP_FETCH_CACHE_FROM,
	IMAP_FETCH_CACHE_FROM_ADDRS,
	IMAP_FETCH_CACHE_ENVELOPE, /* as sent (msgdata.envelope) */
	IMAP_FETCH_CACHE_BODY,     /* BODY without extension data (msgdata.body) */
	IMAP_FETCH_CACHE_FIELDS
};

struct imap_fetch_cache {
	const uint32_t *uids;  /* ascending; entries of expunged messages may linger */
	const uint64_t *sizes; /* RFC822.SIZE */
	const int64_t *dates;  /* INTERNALDATE, and its zone in seconds east of UTC */
	const int32_t *tzs;
	/* IMAP_FETCH_CACHE_FIELDS * n + 1: field f of entry i is
	 * arena[offs[F * i + f] .. offs[F * i + f + 1]) */
	const uint32_t *offs;
	const char *arena;
	size_t n;
	/* with imap_fetch_cache_get_header() (else maybe NULL): entry i's header filtered for
	 * the asked list is harena[hoffs[i] .. hoffs[i + 1]), empty when the message was
	 * not in the index when it was read (skip it, as the index's cursor would) */
	const uint32_t *hoffs;
	const char *harena;
	/* a small mailbox's entries (imap_fetch_cache_get_small(), else NULL): entry i's
	 * top-level header (msgdata.header) is rarena[roffs[2i] .. roffs[2i + 1]) and its parts
	 * blob rarena[roffs[2i + 1] .. roffs[2i + 2]), each present when rflags[i] has
	 * IMAP_FETCH_CACHE_HAS_HEADER / _HAS_PARTS (rows from before they were kept have not) */
	const uint32_t *roffs;
	const uint8_t *rflags;
	const char *rarena;
};

#define IMAP_FETCH_CACHE_HAS_HEADER 1
#define IMAP_FETCH_CACHE_HAS_PARTS 2
/* A mailbox of at most this many messages has its entries made with their header and parts
 * blob too (about 2 KB more each), so that any FETCH of it reads no index row (but the
 * message file for a section of the body); past it they are dropped. */
#define IMAP_FETCH_CACHE_SMALL 256

static inline const char *
imap_fetch_cache_field(const struct imap_fetch_cache *c, size_t i, unsigned field, size_t *len_r)
{
	const uint32_t *o = c->offs + IMAP_FETCH_CACHE_FIELDS * i + field;

	*len_r = o[1] - o[0];
	return c->arena + o[0];
}

/* The entries of the selected mailbox's messages up to the view's last UID, those
 * not cached yet read from the index. NULL when the mailbox has more messages than
 * imap_fetch_cache_messages, or the index cannot be read, or (create false) the mailbox
 * has no cache yet: read the index directly then. Valid until the next call by any
 * session of the account (get it again after a pause). */
const struct imap_fetch_cache *imap_fetch_cache_get(struct imap_session *s, bool create);

/* imap_fetch_cache_get(), with each message's top-level header filtered for spec (a
 * HEADER.FIELDS or HEADER.FIELDS.NOT of the message itself, RFC 3501 6.4.5), for a
 * FETCH 1:* of header fields (what every client's sync asks for, the same list each time).
 * One list is kept per mailbox, the last asked for: a new list is read from the index
 * (one walk), new mail is filtered as it is added. NULL also when a message's header is
 * not in the index (rows from before it was kept): filter from the index then. */
const struct imap_fetch_cache *imap_fetch_cache_get_header(struct imap_session *s, bool create,
							   const struct mime_section_spec *spec);

/* imap_fetch_cache_get() of a mailbox small enough to keep its entries' headers and parts
 * (roffs set; created when create and the mailbox has at most IMAP_FETCH_CACHE_SMALL
 * messages), else NULL: for a FETCH of sections (BODY[HEADER.FIELDS (...)] with any list,
 * BODY[1], BODY[TEXT], ...) of a small mailbox such as imaptest's or a phone's INBOX. */
const struct imap_fetch_cache *imap_fetch_cache_get_small(struct imap_session *s, bool create);

/* The index in c of uid, starting the search at *hint (the entry after the last one
 * found: a FETCH 1:* then finds each one in one step); SIZE_MAX when it is not there. */
size_t imap_fetch_cache_find(const struct imap_fetch_cache *c, uint32_t uid, size_t *hint);

#endif
