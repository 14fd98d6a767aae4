/* Text for IMAP SEARCH: decoding a MIME part's body (base64 / quoted-printable, then its
 * charset to UTF-8), and case-insensitive substring matching (RFC 3501 6.4.4) with
 * simple Unicode case folding (ASCII, Latin-1, Latin Extended-A and Additional, Greek,
 * Cyrillic, Armenian, fullwidth Latin). */
#ifndef MAIL_MIME_TEXT_H
#define MAIL_MIME_TEXT_H
#include <stdbool.h>
#include <stddef.h>

#include "mail/mime.h"
#include "mail/mime_parts.h"
#include "util/buf.h"

/* RFC 2045 6.7, leniently: soft line breaks removed, =XX decoded, other '=' kept. */
void mime_text_qp_decode(const char *s, size_t len, struct buf *out);
/* Appends the body undone from its transfer encoding and converted from charset (NULL
 * or "" = unknown: sanitized UTF-8) to UTF-8. */
void mime_text_decode_body(const char *body, size_t len, enum mime_encoding enc,
			   const char *charset, struct buf *out);

/* Appends the case-folded form of UTF-8 text (bytes of invalid sequences are copied). */
void mime_text_fold(const char *s, size_t len, struct buf *out);

struct mime_text_matcher {
	struct buf needle;  /* folded */
	struct buf scratch; /* folded haystack */
	struct buf decoded; /* decoded part bodies */
};

/* needle is UTF-8 (IMAP converts a SEARCH CHARSET first). An empty needle matches all. */
void mime_text_matcher_init(struct mime_text_matcher *m, const char *needle, size_t len);
void mime_text_matcher_free(struct mime_text_matcher *m);
/* Whether UTF-8 text contains the needle, ignoring case. */
bool mime_text_match(struct mime_text_matcher *m, const char *text, size_t len);
/* Whether an RFC 2047 encoded header value contains the needle once decoded. */
bool mime_text_match_header(struct mime_text_matcher *m, const char *value, size_t len);
/* SEARCH BODY: whether the decoded body of any text part of the message contains the
 * needle. parts is the message's decoded part tree, msg[0..len) the raw message. */
bool mime_text_match_body(struct mime_text_matcher *m, const struct mime_parts *parts,
			  const char *msg, size_t len);

#endif
