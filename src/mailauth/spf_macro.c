/* SPF macro expansion (RFC 7208 7): "%{" letter transformers delimiters "}", "%%", "%_",
 * "%-". See spf_macro.h. */
#include "mailauth/spf_macro.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define SPF_MACRO_DELIMITERS ".-+,/_="

/* RFC 7208 7.3: uppercase macros are URL-escaped (RFC 3986 2.3 unreserved kept). */
static void
spf_macro_append_escaped(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			buf_appendc(out, (char)ch);
		} else {
			buf_appendc(out, '%');
			buf_appendc(out, hex[ch >> 4]);
			buf_appendc(out, hex[ch & 15]);
		}
	}
}

static const char *
spf_macro_value(const struct spf_macro_vars *v, char letter, char *tbuf, size_t tsize)
{
	const char *val = NULL;

	switch (letter) {
	case 's':
		val = v->s;
		break;
	case 'l':
		val = v->l;
		break;
	case 'o':
		val = v->o;
		break;
	case 'd':
		val = v->d;
		break;
	case 'i':
		val = v->i;
		break;
	case 'p':
		val = v->p != NULL ? v->p : "unknown";
		break;
	case 'v':
		val = v->v;
		break;
	case 'h':
		val = v->h;
		break;
	case 'c':
		val = v->c;
		break;
	case 'r':
		val = v->r != NULL ? v->r : "unknown";
		break;
	case 't':
		snprintf(tbuf, tsize, "%llu", v->t);
		val = tbuf;
		break;
	default:
		break;
	}
	return val != NULL ? val : "";
}

/* RFC 7208 7.3: split value on the delimiters, reverse if asked, keep the rightmost keep
 * parts (0 = all), join them with ".". */
static void
spf_macro_transform(struct buf *out, const char *val, const char *delims, size_t ndelims,
		    unsigned long keep, bool reverse, bool escape)
{
	struct buf joined = BUF_INIT;
	const char *parts[256], *p;
	size_t lens[256], n = 0, i, first;

	/* more parts than 256 only in hostile input: the last ones are kept in one */
	for (p = val;;) {
		size_t len = 0;
		while (p[len] != '\0' && memchr(delims, p[len], ndelims) == NULL)
			len++;
		parts[n] = p;
		lens[n] = len;
		if (p[len] == '\0' || n == 255) {
			if (p[len] != '\0')
				lens[n] = strlen(p);
			n++;
			break;
		}
		n++;
		p += len + 1;
	}
	if (reverse) {
		for (i = 0; i < n / 2; i++) {
			const char *tp = parts[i];
			size_t tl = lens[i];
			parts[i] = parts[n - 1 - i];
			lens[i] = lens[n - 1 - i];
			parts[n - 1 - i] = tp;
			lens[n - 1 - i] = tl;
		}
	}
	first = (keep != 0 && keep < n) ? n - keep : 0;
	for (i = first; i < n; i++) {
		if (i > first)
			buf_appendc(&joined, '.');
		buf_append(&joined, parts[i], lens[i]);
	}
	if (escape)
		spf_macro_append_escaped(out, joined.data != NULL ? joined.data : "", joined.len);
	else
		buf_append(out, joined.data != NULL ? joined.data : "", joined.len);
	buf_free(&joined);
}

/* One "%{...}" at s (s[0] == '%', s[1] == '{'); returns its length or -1. */
static long
spf_macro_one(const char *s, size_t len, const struct spf_macro_vars *vars, bool in_exp,
	      struct buf *out, const char **error_r)
{
	size_t i = 2, ndelims;
	char letter, tbuf[32];
	unsigned long keep = 0;
	bool reverse = false, digits = false;
	const char *delims;

	if (i >= len) {
		*error_r = "unterminated macro";
		return -1;
	}
	letter = s[i++];
	if (strchr("slodiphvcrt", (char)tolower((unsigned char)letter)) == NULL) {
		*error_r = "unknown macro letter";
		return -1;
	}
	if (!in_exp && strchr("crt", (char)tolower((unsigned char)letter)) != NULL) {
		*error_r = "macro letters c, r and t are allowed only in exp text";
		return -1;
	}
	while (i < len && isdigit((unsigned char)s[i])) {
		digits = true;
		if (keep < 1000)
			keep = keep * 10 + (unsigned long)(s[i] - '0');
		i++;
	}
	/* RFC 7208 7.3: a DIGIT transformer must be nonzero */
	if (digits && keep == 0) {
		*error_r = "macro transformer 0";
		return -1;
	}
	if (i < len && (s[i] == 'r' || s[i] == 'R')) {
		reverse = true;
		i++;
	}
	delims = s + i;
	while (i < len && strchr(SPF_MACRO_DELIMITERS, s[i]) != NULL && s[i] != '\0')
		i++;
	ndelims = (size_t)(s + i - delims);
	if (i >= len || s[i] != '}') {
		*error_r = "bad macro";
		return -1;
	}
	if (out != NULL) {
		const char *val = spf_macro_value(vars, (char)tolower((unsigned char)letter), tbuf,
						  sizeof(tbuf));
		if (ndelims == 0) {
			delims = ".";
			ndelims = 1;
		}
		spf_macro_transform(out, val, delims, ndelims, keep, reverse,
				    isupper((unsigned char)letter) != 0);
	}
	return (long)i + 1;
}

int
spf_macro_expand(const char *s, size_t len, const struct spf_macro_vars *vars, bool in_exp,
		 struct buf *out, const char **error_r)
{
	size_t i = 0;

	while (i < len) {
		unsigned char ch = (unsigned char)s[i];
		if (ch != '%') {
			/* macro-literal = %x21-24 / %x26-7E; the exp text may have spaces */
			if ((ch < 0x21 && !(in_exp && ch == ' ')) || ch > 0x7e) {
				*error_r = "invalid character in macro string";
				return -1;
			}
			if (out != NULL)
				buf_appendc(out, (char)ch);
			i++;
			continue;
		}
		if (i + 1 >= len) {
			*error_r = "lone % in macro string";
			return -1;
		}
		switch (s[i + 1]) {
		case '%':
			if (out != NULL)
				buf_appendc(out, '%');
			i += 2;
			break;
		case '_':
			if (out != NULL)
				buf_appendc(out, ' ');
			i += 2;
			break;
		case '-':
			if (out != NULL)
				buf_appends(out, "%20");
			i += 2;
			break;
		case '{': {
			long n = spf_macro_one(s + i, len - i, vars, in_exp, out, error_r);
			if (n < 0)
				return -1;
			i += (size_t)n;
			break;
		}
		default:
			*error_r = "bad % escape in macro string";
			return -1;
		}
	}
	return 0;
}

int
spf_macro_check(const char *s, size_t len, bool in_exp, const char **error_r)
{
	return spf_macro_expand(s, len, NULL, in_exp, NULL, error_r);
}

bool
spf_macro_uses_p(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 2 < len; i++) {
		if (s[i] == '%' && s[i + 1] == '%') {
			i++;
			continue;
		}
		if (s[i] == '%' && s[i + 1] == '{' && (s[i + 2] == 'p' || s[i + 2] == 'P'))
			return true;
	}
	return false;
}

int
spf_macro_expand_domain(const char *s, const struct spf_macro_vars *vars, struct buf *out,
			const char **error_r)
{
	struct buf tmp = BUF_INIT;
	const char *p;
	size_t len;

	if (spf_macro_expand(s, strlen(s), vars, false, &tmp, error_r) < 0) {
		buf_free(&tmp);
		return -1;
	}
	p = buf_cstr(&tmp);
	len = tmp.len;
	if (len > 0 && p[len - 1] == '.')
		len--;
	/* RFC 7208 7.3: left-hand labels are dropped until the name fits in 253 octets */
	while (len > 253) {
		const char *dot = memchr(p, '.', len);
		if (dot == NULL) {
			len = 0;
			break;
		}
		len -= (size_t)(dot + 1 - p);
		p = dot + 1;
	}
	buf_append(out, p, len);
	buf_free(&tmp);
	return 0;
}
