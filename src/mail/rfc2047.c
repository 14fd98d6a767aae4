/* RFC 2047 decoding (see rfc2047.h). Decoded bytes of consecutive encoded words in the
 * same charset are collected in one pending buffer and converted together. */
#include "mail/rfc2047.h"

#include <string.h>

#include "mail/charset.h"
#include "util/base64.h"
#include "util/str.h"

#define CHARSET_MAX 64

struct eword {
	char charset[CHARSET_MAX];
	char enc; /* 'B' or 'Q' */
	const char *text;
	size_t text_len;
	const char *end; /* past "?=" */
};

struct dec {
	struct buf *out;
	struct buf pending; /* raw bytes of adjacent encoded words */
	char charset[CHARSET_MAX];
};

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2047 2: encoded-word = "=?" charset "?" encoding "?" encoded-text "?=" */
static bool
parse_eword(const char *p, const char *end, struct eword *w)
{
	const char *cs, *q;
	size_t n;

	if (end - p < 8 || p[0] != '=' || p[1] != '?')
		return false;
	cs = p + 2;
	for (q = cs; q < end && *q != '?' && !is_ws(*q); q++)
		;
	n = (size_t)(q - cs);
	if (q >= end || *q != '?' || n == 0 || n >= CHARSET_MAX)
		return false;
	memcpy(w->charset, cs, n);
	w->charset[n] = '\0';
	/* RFC 2231 5: charset*language */
	if (strchr(w->charset, '*') != NULL)
		*strchr(w->charset, '*') = '\0';
	if (end - q < 4 || q[2] != '?')
		return false;
	w->enc = (char)(q[1] & ~0x20);
	if (w->enc != 'B' && w->enc != 'Q')
		return false;
	w->text = q + 3;
	for (q = w->text; q + 1 < end; q++) {
		if (is_ws(*q))
			return false;
		if (q[0] == '?' && q[1] == '=') {
			w->text_len = (size_t)(q - w->text);
			w->end = q + 2;
			return true;
		}
	}
	return false;
}

/* RFC 2047 4.2: "_" is space, "=XX" a byte */
static void
q_decode(const char *s, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '_') {
			buf_appendc(out, ' ');
		} else if (s[i] == '=' && i + 2 < n && str_hexval(s[i + 1]) >= 0 &&
			   str_hexval(s[i + 2]) >= 0) {
			buf_appendc(out, (char)(str_hexval(s[i + 1]) * 16 + str_hexval(s[i + 2])));
			i += 2;
		} else {
			buf_appendc(out, s[i]);
		}
	}
}

static void
flush(struct dec *d)
{
	if (d->pending.len == 0)
		return;
	charset_to_utf8(d->charset, d->pending.data, d->pending.len, d->out);
	buf_reset(&d->pending);
}

static void
add_eword(struct dec *d, const struct eword *w)
{
	if (strcmp(d->charset, w->charset) != 0) {
		flush(d);
		memcpy(d->charset, w->charset, sizeof(d->charset));
	}
	if (w->enc == 'B')
		base64_decode_lenient(&d->pending, w->text, w->text_len);
	else
		q_decode(w->text, w->text_len, &d->pending);
}

/* Plain text: copied without its line ends, 8-bit sanitized. */
static void
add_plain(struct dec *d, const char *s, size_t n)
{
	const char *end = s + n, *run = s;

	flush(d);
	for (; s < end; s++) {
		if (*s == '\r' || *s == '\n') {
			charset_utf8_sanitize(run, (size_t)(s - run), d->out);
			run = s + 1;
		}
	}
	charset_utf8_sanitize(run, (size_t)(end - run), d->out);
}

void
rfc2047_decode(const char *value, size_t len, struct buf *out)
{
	const char *p = value, *end = value + len, *plain = value;
	struct dec d;
	struct eword w;
	bool after_word = false;

	d.out = out;
	buf_init(&d.pending);
	d.charset[0] = '\0';
	while (p < end) {
		const char *q = p;

		if (after_word) {
			/* RFC 2047 6.2: whitespace between encoded words is ignored */
			while (q < end && is_ws(*q))
				q++;
		}
		if (q < end && *q == '=' && parse_eword(q, end, &w)) {
			if (!after_word)
				add_plain(&d, plain, (size_t)(p - plain));
			add_eword(&d, &w);
			p = plain = w.end;
			after_word = true;
			continue;
		}
		if (after_word) {
			flush(&d);
			after_word = false;
			plain = p;
		}
		p++;
	}
	if (after_word)
		flush(&d);
	else
		add_plain(&d, plain, (size_t)(end - plain));
	buf_free(&d.pending);
}
