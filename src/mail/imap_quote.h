/* IMAP string output (RFC 3501 4.3, 4.5; RFC 9051 4.3): a quoted string when the text
 * allows it, else a literal {n}\r\n... The one quoter of yubin: the ENVELOPE and
 * BODYSTRUCTURE generators here, and every IMAP response (imap/imap_write.c astrings,
 * ESEARCH tags). */
#ifndef MAIL_IMAP_QUOTE_H
#define MAIL_IMAP_QUOTE_H
#include <stddef.h>

#include "util/buf.h"

/* Appends s[0..len) as an IMAP string: quoted ("..." with \" and \\ escaped) unless it
 * holds CR, LF, NUL or 8-bit bytes, is long or escape-heavy, then as a literal. NUL
 * bytes, which no IMAP string may hold, become '?'. */
void imap_quote_append_string(struct buf *out, const char *s, size_t len);
/* Same, with s == NULL written as NIL. */
void imap_quote_append_nstring(struct buf *out, const char *s, size_t len);
/* NUL-terminated convenience forms. */
void imap_quote_append_str(struct buf *out, const char *s);
void imap_quote_append_nstr(struct buf *out, const char *s);

#endif
