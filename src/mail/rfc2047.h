/* RFC 2047 encoded words ("=?charset?B|Q?text?=") in header values, decoded to UTF-8
 * for display and SEARCH. */
#ifndef MAIL_RFC2047_H
#define MAIL_RFC2047_H
#include <stddef.h>

#include "util/buf.h"

/* Appends value decoded to UTF-8: encoded words (B and Q, RFC 2231 language suffix
 * allowed) are converted from their charset; whitespace between adjacent encoded words
 * is dropped (RFC 2047 6.2) and their bytes are joined before conversion, so a
 * character split across words survives; malformed words are kept as they are; other
 * text is copied, 8-bit bytes sanitized to UTF-8. Line ends are removed (unfolding). */
void rfc2047_decode(const char *value, size_t len, struct buf *out);

#endif
