/* Response writing helpers (RFC 3501 4.3-4.5, 9): astrings as atom, quoted or literal as
 * their content requires, flag lists and mailbox names, appended to a struct buf. Plain
 * strings and nstrings: mail/imap_quote.h. */
#ifndef IMAP_IMAP_WRITE_H
#define IMAP_IMAP_WRITE_H
#include <stdbool.h>
#include <stddef.h>

struct buf;

/* astring: an atom when all bytes are ASTRING-CHAR (and it is not "NIL"), else a string
 * by imap_quote_append_string(). */
void imap_write_astring(struct buf *out, const char *s, size_t len);
/* C-string convenience. */
void imap_write_astr(struct buf *out, const char *s);
/* A mailbox name kept in UTF-8: encoded in modified UTF-7 (RFC 3501 5.1.3), then written
 * as an astring. A name that is not valid UTF-8 is written as its raw bytes. */
void imap_write_mailbox(struct buf *out, const char *utf8_name);
/* "(\Answered \Seen kw1 kw2)": system flags (IMAP_FLAG_* bits of imap_flags.h) in a
 * fixed order, then the keywords as given. */
void imap_write_flags(struct buf *out, unsigned flags, const char *const *keywords,
		      size_t n_keywords);
/* Whether the bytes can be sent as an atom (1*ATOM-CHAR, RFC 3501 9). */
bool imap_write_is_atom(const char *s, size_t len);

#endif
