/* UTF-8 decoding and encoding (see utf8.h). */
#include "util/utf8.h"

#include "util/buf.h"

size_t
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

bool
utf8_valid(const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_decode(p + i, len - i, NULL)) == 0)
			return false;
		i += n;
	}
	return true;
}

void
utf8_encode(struct buf *out, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_append(out, b, n);
}
