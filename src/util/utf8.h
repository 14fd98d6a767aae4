/* UTF-8 (RFC 3629): one decoder and one encoder for every layer (mail addresses, charset
 * sanitizing, SEARCH case folding, mailbox names, modified UTF-7). */
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
 * caller with a NUL-terminated string may pass SIZE_MAX as avail. Inline: SEARCH folds
 * every byte of every message it reads through it. */
static inline size_t
utf8_decode(const void *s, size_t avail, uint32_t *cp_r)
{
	const unsigned char *p = s;
	unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
	uint32_t cp;
	size_t n, i;

	if (p[0] < 0x80) {
		if (cp_r != NULL)
			*cp_r = p[0];
		return 1;
	}
	/* RFC 3629 4, UTF8-2 / UTF8-3 / UTF8-4: the second byte's range excludes overlong
	 * forms (E0, F0), surrogates (ED) and code points past U+10FFFF (F4). */
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1fu;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0fu;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07u;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	/* byte by byte, so that a NUL or the end of the buffer stops the scan */
	for (i = 1; i < n; i++) {
		if (i >= avail || p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if (cp_r != NULL)
		*cp_r = cp;
	return n;
}

/* Whether s[0..len) is valid UTF-8 throughout. */
bool utf8_valid(const void *s, size_t len);
/* Appends cp (at most U+10FFFF) in UTF-8. */
void utf8_encode(struct buf *out, uint32_t cp);
/* Writes cp (at most U+10FFFF) in UTF-8 to out; returns the length, 1-4. For loops that
 * write into room they reserved. */
size_t utf8_put(char out[4], uint32_t cp);

#endif
