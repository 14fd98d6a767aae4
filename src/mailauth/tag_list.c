/* Tag=value list parser, RFC 6376 3.2:
 *   tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]   tval = 1*VALCHAR (%x21-3A / %x3C-7E)
 * FWS is WSP, optionally with one CRLF before it (a folded line). */
#include "mailauth/tag_list.h"

#include <string.h>

#include "util/str.h"

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Skips FWS: WSP, and CRLF (or a bare LF) only when WSP follows (RFC 5322 3.2.2). */
static const char *
skip_fws(const char *p, const char *end)
{
	for (;;) {
		if (p < end && is_wsp(*p)) {
			p++;
		} else if (p + 2 < end && p[0] == '\r' && p[1] == '\n' && is_wsp(p[2])) {
			p += 3;
		} else if (p + 1 < end && p[0] == '\n' && is_wsp(p[1])) {
			p += 2;
		} else {
			return p;
		}
	}
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_alnumpunc(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

static bool
is_valchar(char c)
{
	unsigned char u = (unsigned char)c;

	return u >= 0x21 && u <= 0x7e && u != ';';
}

/* Parses one tag-spec at *pp; leaves *pp at the ';' or at end. */
static int
parse_spec(struct tag *t, const char **pp, const char *end, const char **error_r)
{
	const char *p = skip_fws(*pp, end), *vend;

	t->name = p;
	if (p >= end || !is_alpha(*p)) {
		*error_r = "bad tag name";
		return -1;
	}
	while (p < end && is_alnumpunc(*p))
		p++;
	t->name_len = (size_t)(p - t->name);
	p = skip_fws(p, end);
	if (p >= end || *p != '=') {
		*error_r = "missing '=' after tag name";
		return -1;
	}
	p++;
	t->raw = p;
	p = skip_fws(p, end);
	t->value = p;
	vend = p;
	while (p < end && *p != ';') {
		if (is_valchar(*p)) {
			p++;
			vend = p;
			continue;
		}
		const char *q = skip_fws(p, end);

		if (q == p) {
			*error_r = "bad character in tag value";
			return -1;
		}
		p = q;
	}
	t->value_len = (size_t)(vend - t->value);
	t->raw_len = (size_t)(p - t->raw);
	*pp = p;
	return 0;
}

int
tag_list_parse(struct tag_list *tl, const char *s, size_t len, const char **error_r)
{
	const char *p = s, *end = s + len;

	tl->count = 0;
	for (;;) {
		struct tag t;
		size_t i;

		if (skip_fws(p, end) >= end)
			return 0; /* empty list, or a trailing ';' */
		if (tl->count == TAG_LIST_MAX) {
			*error_r = "too many tags";
			return -1;
		}
		if (parse_spec(&t, &p, end, error_r) < 0)
			return -1;
		for (i = 0; i < tl->count; i++) {
			if (tl->tags[i].name_len == t.name_len &&
			    memcmp(tl->tags[i].name, t.name, t.name_len) == 0) {
				*error_r = "duplicate tag";
				return -1;
			}
		}
		tl->tags[tl->count++] = t;
		if (p >= end)
			return 0;
		p++; /* the ';' */
	}
}

const struct tag *
tag_list_get(const struct tag_list *tl, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < tl->count; i++)
		if (tl->tags[i].name_len == n && memcmp(tl->tags[i].name, name, n) == 0)
			return &tl->tags[i];
	return NULL;
}

bool
tag_value_is(const struct tag *t, const char *v)
{
	return strlen(v) == t->value_len && memcmp(t->value, v, t->value_len) == 0;
}

bool
tag_value_is_ci(const struct tag *t, const char *v)
{
	return strlen(v) == t->value_len && str_ncasecmp(t->value, v, t->value_len) == 0;
}

static bool
is_fws_char(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
tag_value_split(const char *v, size_t len, char sep,
		int (*cb)(const char *item, size_t len, void *ctx), void *ctx)
{
	const char *p = v, *end = v + len;

	for (;;) {
		const char *e = memchr(p, sep, (size_t)(end - p)), *stop = e != NULL ? e : end;
		const char *a = p, *b = stop;

		while (a < b && is_fws_char(*a))
			a++;
		while (b > a && is_fws_char(b[-1]))
			b--;
		if (cb(a, (size_t)(b - a), ctx) < 0)
			return -1;
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}
