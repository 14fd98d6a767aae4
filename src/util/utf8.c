/* UTF-8 decoding and encoding (see utf8.h). */
#include "util/utf8.h"

#include "util/buf.h"

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

size_t
utf8_put(char b[4], uint32_t cp)
{
	if (cp < 0x80) {
		b[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | (cp >> 18));
	b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	b[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

void
utf8_encode(struct buf *out, uint32_t cp)
{
	char b[4];

	buf_append(out, b, utf8_put(b, cp));
}
