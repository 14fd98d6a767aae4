/* What the store keeps about a message so IMAP never re-parses it: the IMAP ENVELOPE,
 * BODY and BODYSTRUCTURE strings, the serialized MIME part tree (for BODY[section]
 * fetches by offset), and the fields SEARCH and sorting use. Built once at delivery or
 * APPEND from the raw message (CRLF line ends), by a pure function. */
#ifndef MAIL_MSG_SUMMARY_H
#define MAIL_MSG_SUMMARY_H
#include <stddef.h>
#include <time.h>

#include "util/buf.h"

/* envelope, body and bodystructure are complete IMAP values, outer parentheses included,
 * ready to follow "ENVELOPE " / "BODY " / "BODYSTRUCTURE " in a FETCH response; strings
 * in them may be literals ({n}CRLF...) when they hold 8-bit or CR/LF. */
struct msg_summary {
	struct buf envelope;      /* RFC 3501 7.4.2 ENVELOPE, e.g. ("date" "subj" ((...)) ...) */
	struct buf body;          /* BODY: BODYSTRUCTURE without extension data */
	struct buf bodystructure; /* BODYSTRUCTURE with extension data */
	struct buf parts;         /* mime_parts_serialize() output, opaque to the store */
	time_t sent_date;         /* Date: header as UTC seconds, 0 if missing/unparsable */
	long sent_tz;             /* its zone offset in seconds east of UTC */
	struct buf subject;       /* decoded (RFC 2047) to UTF-8, unfolded */
	struct buf from;          /* decoded header values, unfolded, UTF-8 */
	struct buf to;
	struct buf cc;
	struct buf message_id; /* unfolded, as written (with its <>) */
	struct buf sortkeys;   /* msg_sortkeys_build() of the header (SORT, THREAD) */
	size_t header_size;    /* bytes of the top-level header incl. the blank line */
	size_t body_lines;     /* lines in the top-level body (RFC822 body line count) */
};

/* Never fails: malformed MIME yields the best-effort structure RFC 3501 allows
 * (text/plain for an unparsable part). msg need not be NUL-terminated. */
void msg_summary_build(const char *msg, size_t len, struct msg_summary *out);
void msg_summary_free(struct msg_summary *s);

#endif
