/* Modified UTF-7 (RFC 3501 5.1.3): printable US-ASCII stands for itself ("&" is "&-"),
 * everything else is UTF-16 in modified BASE64 (RFC 2152 with "," for "/", no padding)
 * between "&" and "-". */
#include "imap/imap_mutf7.h"

#include <stdint.h>
#include <string.h>

#include "util/buf.h"
#include "util/utf8.h"

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
b64_value(unsigned char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64chars, c)) == NULL)
		return -1;
	return (int)(p - b64chars);
}

static bool
is_direct(uint32_t cp)
{
	return cp >= 0x20 && cp <= 0x7e;
}

struct b64_writer {
	struct buf *out;
	uint32_t bits;
	unsigned nbits;
};

static void
b64_put16(struct b64_writer *w, uint32_t unit)
{
	w->bits = (w->bits << 16) | unit;
	w->nbits += 16;
	while (w->nbits >= 6) {
		w->nbits -= 6;
		buf_appendc(w->out, b64chars[(w->bits >> w->nbits) & 0x3f]);
	}
	w->bits &= (1u << w->nbits) - 1;
}

/* Encodes the run of non-direct characters at s; returns bytes consumed, 0 if bad. */
static size_t
encode_shift(const unsigned char *s, struct buf *out)
{
	struct b64_writer w = {out, 0, 0};
	size_t i = 0, n;
	uint32_t cp;

	buf_appendc(out, '&');
	while (s[i] != '\0') {
		if ((n = utf8_decode(s + i, SIZE_MAX, &cp)) == 0)
			return 0;
		if (is_direct(cp))
			break;
		if (cp >= 0x10000) {
			/* UTF-16 surrogate pair */
			b64_put16(&w, 0xd800 | ((cp - 0x10000) >> 10));
			b64_put16(&w, 0xdc00 | ((cp - 0x10000) & 0x3ff));
		} else {
			b64_put16(&w, cp);
		}
		i += n;
	}
	if (w.nbits > 0)
		buf_appendc(out, b64chars[(w.bits << (6 - w.nbits)) & 0x3f]);
	buf_appendc(out, '-');
	return i;
}

int
imap_mutf7_encode(const char *in, struct buf *out, const char **error_r)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t start = out->len, n;

	while (*s != '\0') {
		if (is_direct(*s)) {
			buf_appendc(out, (char)*s);
			if (*s == '&')
				buf_appendc(out, '-');
			s++;
			continue;
		}
		if ((n = encode_shift(s, out)) == 0) {
			buf_truncate(out, start);
			*error_r = "Mailbox name is not valid UTF-8";
			return -1;
		}
		s += n;
	}
	return 0;
}

/* Decodes the base64 of one shift starting after "&"; returns the position of its "-". */
static const char *
decode_shift(const char *s, struct buf *out)
{
	uint32_t bits = 0, high = 0;
	unsigned nbits = 0;
	int v;

	for (; *s != '-'; s++) {
		if ((v = b64_value((unsigned char)*s)) < 0)
			return NULL;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t unit = (bits >> nbits) & 0xffff;
		bits &= (1u << nbits) - 1;
		if (high != 0) {
			if (unit < 0xdc00 || unit > 0xdfff)
				return NULL;
			utf8_encode(out, 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00));
			high = 0;
		} else if (unit >= 0xd800 && unit <= 0xdbff) {
			high = unit;
		} else if (unit >= 0xdc00 && unit <= 0xdfff) {
			return NULL;
		} else if (is_direct(unit) || unit == 0) {
			return NULL; /* must have been written directly */
		} else {
			utf8_encode(out, unit);
		}
	}
	/* leftover bits: fewer than 6 and all zero; no dangling high surrogate */
	if (high != 0 || nbits >= 6 || bits != 0)
		return NULL;
	return s;
}

static int
decode(const char *in, struct buf *out)
{
	const char *s = in;

	while (*s != '\0') {
		unsigned char c = (unsigned char)*s;

		if (!is_direct(c))
			return -1;
		if (c != '&') {
			buf_appendc(out, (char)c);
			s++;
			continue;
		}
		if (s[1] == '-') {
			buf_appendc(out, '&');
			s += 2;
			continue;
		}
		if ((s = decode_shift(s + 1, out)) == NULL)
			return -1;
		s++;
		if (*s == '&' && s[1] != '-')
			return -1; /* two adjacent shifts: an encoder writes one */
	}
	return 0;
}

int
imap_mutf7_decode(const char *in, struct buf *out, const char **error_r)
{
	size_t start = out->len;

	if (decode(in, out) < 0) {
		buf_truncate(out, start);
		*error_r = "Mailbox name is not valid modified UTF-7";
		return -1;
	}
	return 0;
}

bool
imap_mutf7_is_valid(const char *in)
{
	struct buf tmp = BUF_INIT;
	const char *error;
	int ret = imap_mutf7_decode(in, &tmp, &error);

	buf_free(&tmp);
	return ret == 0;
}
