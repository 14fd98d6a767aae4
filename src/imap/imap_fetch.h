/* FETCH (RFC 3501 6.4.5, RFC 7162 CONDSTORE/QRESYNC modifiers): the parsed plan of what
 * to send for each message (internal to src/imap). */
#ifndef IMAP_IMAP_FETCH_H
#define IMAP_IMAP_FETCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/imap_parser.h"
#include "mail/mime_parts.h"

enum imap_fetch_item {
	IMAP_FETCH_FLAGS = 1 << 0,
	IMAP_FETCH_UID = 1 << 1,
	IMAP_FETCH_INTERNALDATE = 1 << 2,
	IMAP_FETCH_SIZE = 1 << 3,
	IMAP_FETCH_ENVELOPE = 1 << 4,
	IMAP_FETCH_BODY = 1 << 5,
	IMAP_FETCH_BODYSTRUCTURE = 1 << 6,
	IMAP_FETCH_MODSEQ = 1 << 7,
};

struct imap_fetch_section {
	struct mime_section_spec spec;
	char *echo; /* "BODY[HEADER.FIELDS (From)]<0>" as the response names it */
	bool peek;
	bool binary;      /* BINARY[...]: the part undone from its CTE (RFC 3516 4.2) */
	bool binary_size; /* BINARY.SIZE[...]: only the decoded size */
	bool partial;
	uint64_t offset;
	uint64_t size;
};

/* BODY[] or RFC822: the whole message, RFC822.SIZE bytes of its file, which needs neither
 * its MIME parts nor its msgdata row (a client downloading mail asks for this most). */
static inline bool
imap_fetch_section_whole(const struct imap_fetch_section *sec)
{
	return !sec->binary && !sec->binary_size && sec->spec.kind == MIME_SECTION_BODY &&
	       sec->spec.path_len == 0;
}

struct imap_fetch_plan {
	unsigned items;  /* enum imap_fetch_item */
	unsigned fields; /* enum store_msg_field to read */
	struct imap_fetch_section *sections;
	size_t n_sections;
	bool set_seen; /* a non-PEEK body item: \Seen is set (RFC 3501 6.4.5) */
	bool has_changedsince;
	uint64_t changedsince;
	bool vanished;
};

/* args: the items (an atom or a list) and optional modifiers list. 0 ok, -1 *error_r. */
int imap_fetch_parse(const struct imap_arg *args, size_t count, struct imap_fetch_plan *plan,
		     const char **error_r);
void imap_fetch_plan_free(struct imap_fetch_plan *plan);

struct imap_session;
/* Untagged FETCH responses of plan for uids (ascending, of the selected mailbox), sent now
 * whole, no tagged reply and no \Seen set: NOTIFY's MessageNew fetch-att (RFC 5465 5.1). */
void imap_fetch_unsolicited(struct imap_session *s, const struct imap_fetch_plan *plan,
			    const uint32_t *uids, size_t n);

#endif
