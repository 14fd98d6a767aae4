/* The keys SORT (RFC 5256 3, RFC 5957) and THREAD (RFC 5256 3) use, taken from a
 * message's header once at delivery and kept by the store as one blob, so that a SORT or
 * THREAD never parses a message again. Pure. */
#ifndef MAIL_MSG_SORTKEYS_H
#define MAIL_MSG_SORTKEYS_H
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

enum msg_sortkey {
	MSG_SORTKEY_SUBJECT,     /* base subject (RFC 5256 2.1), ASCII upper-cased */
	MSG_SORTKEY_FROM,        /* addr-mailbox of the first From address, upper-cased */
	MSG_SORTKEY_TO,          /* ... of To (a group's first entry: its name) */
	MSG_SORTKEY_CC,          /* ... of Cc */
	MSG_SORTKEY_DISPLAYFROM, /* RFC 5957: display name, else addr-spec; upper-cased */
	MSG_SORTKEY_DISPLAYTO,   /* ... of To */
	MSG_SORTKEY_MESSAGE_ID,  /* the first valid msg-id of Message-ID, no <> */
	MSG_SORTKEY_IN_REPLY_TO, /* the first valid msg-id of In-Reply-To */
	MSG_SORTKEY_REFERENCES,  /* the valid msg-ids of References, space-separated */
	MSG_SORTKEY_COUNT
};

/* A parsed blob: pointers into it (not NUL-terminated: use len). */
struct msg_sortkeys {
	const char *key[MSG_SORTKEY_COUNT];
	size_t len[MSG_SORTKEY_COUNT];
	bool subject_reply; /* the base subject lost a Re:/Fwd: (RFC 5256 3 REFERENCES 5) */
};

/* Appends the blob for the header block [hdr, hdr+len) (the message's header; the
 * message itself does as well: iteration stops at the blank line). */
void msg_sortkeys_build(const char *hdr, size_t len, struct buf *out);
/* Parses a blob made by msg_sortkeys_build(). 0, or -1 when it is not one (a version
 * this code does not know: rebuild it from the header). */
int msg_sortkeys_parse(const char *blob, size_t len, struct msg_sortkeys *out);

#endif
