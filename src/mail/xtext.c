/* xtext encoding and decoding (RFC 3461 4) for DSN ENVID/ORCPT and the AUTH= parameter:
 * printable ASCII except "+" and "=" stands for itself, any other octet is "+XX". */
#include "mail/xtext.h"

#include <stdlib.h>

#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

static const char hexdigits[] = "0123456789ABCDEF";

/* RFC 3461 4: xchar = any ASCII CHAR between "!" (33) and "~" (126) inclusive, except "+"
 * and "=" */
static bool
xtext_is_xchar(unsigned char c)
{
	return c >= 33 && c <= 126 && c != '+' && c != '=';
}

/* RFC 3461 4: hexchar = ASCII "+" immediately followed by two upper case hexadecimal digits */
static int
xtext_hexval(char c)
{
	return c >= 'a' && c <= 'f' ? -1 : str_hexval(c);
}

char *
xtext_encode(const char *data, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i;

	/* no buf_reserve(): on an empty buf it leaves the data without its NUL */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];

		if (xtext_is_xchar(c)) {
			buf_appendc(&b, (char)c);
		} else {
			buf_appendc(&b, '+');
			buf_appendc(&b, hexdigits[c >> 4]);
			buf_appendc(&b, hexdigits[c & 15]);
		}
	}
	return buf_steal(&b);
}

char *
xtext_decode(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '+') {
			int hi = xtext_hexval(s[1]);
			int lo = hi < 0 ? -1 : xtext_hexval(s[2]);

			if (lo < 0 || (hi == 0 && lo == 0)) {
				buf_free(&b);
				return NULL;
			}
			buf_appendc(&b, (char)(hi * 16 + lo));
			s += 2;
		} else if (xtext_is_xchar(c)) {
			buf_appendc(&b, (char)c);
		} else {
			buf_free(&b);
			return NULL;
		}
	}
	return buf_steal(&b);
}

bool
xtext_is_valid(const char *s)
{
	char *d = xtext_decode(s);
	bool ok = d != NULL;

	free(d);
	return ok;
}
