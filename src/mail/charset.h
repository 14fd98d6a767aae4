/* Conversion of text in a MIME charset to UTF-8 (iconv from glibc, with fast paths for
 * UTF-8, US-ASCII and ISO-8859-1), for RFC 2047 headers and SEARCH on bodies. */
#ifndef MAIL_CHARSET_H
#define MAIL_CHARSET_H
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* Appends in[0..len), in charset (case-insensitive MIME name; NULL or "" = unknown),
 * converted to UTF-8. Sequences invalid in that charset become U+FFFD (for UTF-8 and
 * US-ASCII: see charset_utf8_sanitize()). 0 ok, -1 when the charset is not known: the
 * input is then appended as by charset_utf8_sanitize(). */
int charset_to_utf8(const char *charset, const char *in, size_t len, struct buf *out);
/* Appends valid UTF-8 as is; each byte that is not part of a valid UTF-8 sequence is
 * taken as ISO-8859-1 (the most likely meaning of unlabeled 8-bit text). */
void charset_utf8_sanitize(const char *in, size_t len, struct buf *out);
/* Whether charset names UTF-8 or US-ASCII (or an alias). */
bool charset_is_utf8(const char *charset);

#endif
