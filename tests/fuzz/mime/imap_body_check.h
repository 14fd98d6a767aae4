/* Test helper (unit tests and fuzzers): a strict checker of the RFC 3501 section 9
 * grammar for body (BODY / BODYSTRUCTURE) and envelope, so that generated output is
 * proven parseable by a conforming client. Header-only: static functions. */
#ifndef TESTS_IMAP_BODY_CHECK_H
#define TESTS_IMAP_BODY_CHECK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IBC_FN static inline __attribute__((unused))

struct ibc {
	const char *p, *end;
	int depth;
	char last[64]; /* last string read, truncated */
};

IBC_FN bool
ibc_lit(struct ibc *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

IBC_FN bool
ibc_string(struct ibc *c)
{
	size_t n = 0, k = 0;

	if (c->p < c->end && *c->p == '"') {
		for (c->p++; c->p < c->end && *c->p != '"'; c->p++) {
			if (*c->p == '\\') {
				c->p++;
				if (c->p >= c->end || (*c->p != '"' && *c->p != '\\'))
					return false;
			} else if (*c->p == '\r' || *c->p == '\n' || (unsigned char)*c->p >= 0x80 ||
				   *c->p == '\0') {
				return false;
			}
			if (k + 1 < sizeof(c->last))
				c->last[k++] = *c->p;
		}
		c->last[k] = '\0';
		return ibc_lit(c, "\"");
	}
	if (!ibc_lit(c, "{"))
		return false;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && n < 100000000)
		n = n * 10 + (size_t)(*c->p++ - '0');
	if (!ibc_lit(c, "}\r\n") || (size_t)(c->end - c->p) < n || memchr(c->p, '\0', n) != NULL)
		return false;
	k = n < sizeof(c->last) - 1 ? n : sizeof(c->last) - 1;
	memcpy(c->last, c->p, k);
	c->last[k] = '\0';
	c->p += n;
	return true;
}

IBC_FN bool
ibc_nstring(struct ibc *c)
{
	if (ibc_lit(c, "NIL")) {
		c->last[0] = '\0';
		return true;
	}
	return ibc_string(c);
}

IBC_FN bool
ibc_number(struct ibc *c)
{
	const char *s = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > s;
}

IBC_FN bool
ibc_addr_list(struct ibc *c)
{
	int n = 0;

	if (ibc_lit(c, "NIL"))
		return true;
	if (!ibc_lit(c, "("))
		return false;
	while (ibc_lit(c, "(")) {
		if (!ibc_nstring(c) || !ibc_lit(c, " ") || !ibc_nstring(c) || !ibc_lit(c, " ") ||
		    !ibc_nstring(c) || !ibc_lit(c, " ") || !ibc_nstring(c) || !ibc_lit(c, ")"))
			return false;
		n++;
	}
	return n > 0 && ibc_lit(c, ")");
}

IBC_FN bool
ibc_envelope(struct ibc *c)
{
	int i;

	if (!ibc_lit(c, "(") || !ibc_nstring(c) || !ibc_lit(c, " ") || !ibc_nstring(c))
		return false;
	for (i = 0; i < 6; i++)
		if (!ibc_lit(c, " ") || !ibc_addr_list(c))
			return false;
	return ibc_lit(c, " ") && ibc_nstring(c) && ibc_lit(c, " ") && ibc_nstring(c) &&
	       ibc_lit(c, ")");
}

/* body-fld-param */
IBC_FN bool
ibc_params(struct ibc *c)
{
	if (ibc_lit(c, "NIL"))
		return true;
	if (!ibc_lit(c, "(") || !ibc_string(c) || !ibc_lit(c, " ") || !ibc_string(c))
		return false;
	while (ibc_lit(c, " "))
		if (!ibc_string(c) || !ibc_lit(c, " ") || !ibc_string(c))
			return false;
	return ibc_lit(c, ")");
}

/* SP body-fld-dsp SP body-fld-lang SP body-fld-loc (always all written by yubin) */
IBC_FN bool
ibc_ext_common(struct ibc *c)
{
	if (!ibc_lit(c, " "))
		return false;
	if (!ibc_lit(c, "NIL") && !(ibc_lit(c, "(") && ibc_string(c) && ibc_lit(c, " ") &&
				    ibc_params(c) && ibc_lit(c, ")")))
		return false;
	if (!ibc_lit(c, " "))
		return false;
	if (ibc_lit(c, "(")) {
		if (!ibc_string(c))
			return false;
		while (ibc_lit(c, " "))
			if (!ibc_string(c))
				return false;
		if (!ibc_lit(c, ")"))
			return false;
	} else if (!ibc_nstring(c)) {
		return false;
	}
	return ibc_lit(c, " ") && ibc_nstring(c);
}

IBC_FN bool ibc_body(struct ibc *c, bool ext);

IBC_FN bool
ibc_1part(struct ibc *c, bool ext)
{
	bool text, msg;
	char type[64];

	if (!ibc_string(c))
		return false;
	memcpy(type, c->last, sizeof(type));
	if (!ibc_lit(c, " ") || !ibc_string(c))
		return false;
	text = strcasecmp(type, "text") == 0;
	msg = strcasecmp(type, "message") == 0 && strcasecmp(c->last, "rfc822") == 0;
	/* body-fields */
	if (!ibc_lit(c, " ") || !ibc_params(c) || !ibc_lit(c, " ") || !ibc_nstring(c) ||
	    !ibc_lit(c, " ") || !ibc_nstring(c) || !ibc_lit(c, " ") || !ibc_string(c) ||
	    !ibc_lit(c, " ") || !ibc_number(c))
		return false;
	if (msg && !(ibc_lit(c, " ") && ibc_envelope(c) && ibc_lit(c, " ") && ibc_body(c, ext) &&
		     ibc_lit(c, " ") && ibc_number(c)))
		return false;
	if (text && !(ibc_lit(c, " ") && ibc_number(c)))
		return false;
	if (!ext)
		return true;
	return ibc_lit(c, " ") && ibc_nstring(c) && ibc_ext_common(c);
}

IBC_FN bool
ibc_mpart(struct ibc *c, bool ext)
{
	int n = 0;

	while (c->p < c->end && *c->p == '(') {
		if (!ibc_body(c, ext))
			return false;
		n++;
	}
	if (n == 0 || !ibc_lit(c, " ") || !ibc_string(c))
		return false;
	if (!ext)
		return true;
	return ibc_lit(c, " ") && ibc_params(c) && ibc_ext_common(c);
}

IBC_FN bool
ibc_body(struct ibc *c, bool ext)
{
	bool ok;

	if (++c->depth > 200 || !ibc_lit(c, "("))
		return false;
	if (c->p < c->end && *c->p == '(')
		ok = ibc_mpart(c, ext);
	else
		ok = ibc_1part(c, ext);
	c->depth--;
	return ok && ibc_lit(c, ")");
}

/* Whether s[0..len) is exactly one RFC 3501 body (extended: BODYSTRUCTURE form). */
IBC_FN bool
imap_body_check(const char *s, size_t len, bool ext)
{
	struct ibc c = {s, s + len, 0, {0}};

	return ibc_body(&c, ext) && c.p == c.end;
}

IBC_FN bool
imap_envelope_check(const char *s, size_t len)
{
	struct ibc c = {s, s + len, 0, {0}};

	return ibc_envelope(&c) && c.p == c.end;
}

#endif
