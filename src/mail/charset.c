/* Charset conversion to UTF-8 (see charset.h). iconv descriptors are opened per call:
 * glibc caches the conversion modules, and only non-UTF-8 text pays for it. */
#include "mail/charset.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>

#include "util/str.h"
#include "util/utf8.h"

void
charset_utf8_sanitize(const char *in, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in, *end = p + len, *run = p;

	buf_reserve(out, len);
	while (p < end) {
		size_t n;

		if (*p < 0x80) {
			p++;
			continue;
		}
		n = utf8_decode(p, (size_t)(end - p), NULL);
		if (n > 0) {
			p += n;
			continue;
		}
		buf_append(out, run, (size_t)(p - run));
		utf8_encode(out, *p);
		run = ++p;
	}
	buf_append(out, run, (size_t)(p - run));
}

static void
latin1_to_utf8(const char *in, size_t len, struct buf *out)
{
	size_t i;

	buf_reserve(out, len * 2);
	for (i = 0; i < len; i++)
		utf8_encode(out, (unsigned char)in[i]);
}

bool
charset_is_utf8(const char *cs)
{
	return cs != NULL && (str_casecmp(cs, "utf-8") == 0 || str_casecmp(cs, "utf8") == 0 ||
			      str_casecmp(cs, "us-ascii") == 0 || str_casecmp(cs, "ascii") == 0);
}

/* MIME names glibc does not know, or knows by a narrower table than mailers use. */
static const char *
iconv_name(const char *cs)
{
	static const struct {
		const char *mime, *glibc;
	} aliases[] = {
		{"ks_c_5601-1987", "CP949"},
		{"gb2312", "GB18030"},
		{"gbk", "GB18030"},
		{"iso-8859-8-i", "ISO-8859-8"},
		{"x-sjis", "SHIFT_JIS"},
		{"shift-jis", "SHIFT_JIS"},
		{"x-euc-jp", "EUC-JP"},
		{"windows-874", "CP874"},
		{"iso-2022-jp", "ISO-2022-JP-3"},
	};
	size_t i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (str_casecmp(cs, aliases[i].mime) == 0)
			return aliases[i].glibc;
	return cs;
}

/* Writes what a stateful charset (ISO-2022-JP) still holds. */
static void
flush_state(iconv_t cd, struct buf *out)
{
	char *dst;
	size_t room;

	buf_reserve(out, 16);
	room = out->cap - out->len - 1;
	dst = out->data + out->len;
	iconv(cd, NULL, NULL, &dst, &room);
	out->len = (size_t)(dst - out->data);
	out->data[out->len] = '\0';
}

static void
iconv_all(iconv_t cd, const char *in, size_t len, struct buf *out)
{
	char *src = (char *)in;
	size_t left = len;

	while (left > 0) {
		size_t room, r;
		char *dst;

		buf_reserve(out, left * 3 + 16);
		room = out->cap - out->len - 1;
		dst = out->data + out->len;
		r = iconv(cd, &src, &left, &dst, &room);
		out->len = (size_t)(dst - out->data);
		out->data[out->len] = '\0';
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG)
			continue;
		/* EILSEQ or EINVAL (truncated at the end): one replacement char, go on */
		buf_append(out, "\xef\xbf\xbd", 3);
		src++;
		left--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	flush_state(cd, out);
}

/* Only plain MIME charset names reach iconv_open(): no "//" suffixes or paths. */
static bool
name_is_sane(const char *cs)
{
	size_t n = 0;

	for (; *cs != '\0'; cs++, n++) {
		char c = *cs;

		if (n >= 40 ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':' || c == '+'))
			return false;
	}
	return n > 0;
}

int
charset_to_utf8(const char *charset, const char *in, size_t len, struct buf *out)
{
	iconv_t cd;

	if (charset == NULL || !name_is_sane(charset)) {
		charset_utf8_sanitize(in, len, out);
		return -1;
	}
	if (charset_is_utf8(charset)) {
		charset_utf8_sanitize(in, len, out);
		return 0;
	}
	if (str_casecmp(charset, "iso-8859-1") == 0 || str_casecmp(charset, "latin1") == 0) {
		latin1_to_utf8(in, len, out);
		return 0;
	}
	cd = iconv_open("UTF-8", iconv_name(charset));
	if (cd == (iconv_t)-1) {
		charset_utf8_sanitize(in, len, out);
		return -1;
	}
	iconv_all(cd, in, len, out);
	iconv_close(cd);
	return 0;
}
