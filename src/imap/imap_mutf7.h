/* Modified UTF-7 mailbox names (RFC 3501 5.1.3): what clients see on the wire, converted
 * to and from the UTF-8 names the store keeps. */
#ifndef IMAP_IMAP_MUTF7_H
#define IMAP_IMAP_MUTF7_H
#include <stdbool.h>

struct buf;

/* UTF-8 -> modified UTF-7, appended to out. -1 with *error_r if in is not valid UTF-8
 * (overlong forms, surrogates, past U+10FFFF) or contains NUL. */
int imap_mutf7_encode(const char *in, struct buf *out, const char **error_r);
/* Modified UTF-7 -> UTF-8, appended to out. Strict: only the canonical form an encoder
 * produces is accepted (no printable ASCII inside a shift, "&-" for "&", no padding or
 * stray bits, every shift closed by "-", valid surrogate pairs, no adjacent shifts), so
 * one UTF-8 name has exactly one wire form. -1 with *error_r otherwise (out is then
 * restored to its length before the call). */
int imap_mutf7_decode(const char *in, struct buf *out, const char **error_r);
bool imap_mutf7_is_valid(const char *in);

#endif
