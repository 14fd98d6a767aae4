/* UTF-8 (RFC 3629): one decoder and one encoder for every layer (mail addresses, charset
 * sanitizing, mailbox names, modified UTF-7). */
#ifndef UTIL_UTF8_H
#define UTIL_UTF8_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/* Decodes the sequence at the start of s[0..avail) (avail >= 1): returns its length 1-4
 * and sets *cp_r (when cp_r is not NULL), or returns 0 when the bytes are not valid
 * UTF-8 by RFC 3629 4: a stray continuation byte, C0/C1 or F5-FF leads, an overlong form,
 * a surrogate (U+D800-DFFF), a code point past U+10FFFF or a truncated sequence. ASCII,
 * NUL included, is a sequence of length 1. A NUL ends any multi-byte sequence, so a
 * caller with a NUL-terminated string may pass SIZE_MAX as avail. */
size_t utf8_decode(const void *s, size_t avail, uint32_t *cp_r);
/* Whether s[0..len) is valid UTF-8 throughout. */
bool utf8_valid(const void *s, size_t len);
/* Appends cp (at most U+10FFFF) in UTF-8. */
void utf8_encode(struct buf *out, uint32_t cp);

#endif
