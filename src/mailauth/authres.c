/* Authentication-Results (RFC 8601): the builder, the authserv-id reader and the removal of
 * fields that claim to be ours. */
#include "mailauth/authres.h"

#include <string.h>

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* RFC 2045 5.1: token = 1*<any CHAR except SPACE, CTLs, or tspecials> */
static bool
is_token_char(unsigned char c)
{
	return c > ' ' && c < 127 && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static bool
is_token(const char *v, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (!is_token_char((unsigned char)v[i]))
			return false;
	return true;
}

/* RFC 5322 3.2.3 atext */
static bool
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool
is_dot_atom(const char *v, size_t len, bool domain)
{
	size_t i;

	if (len == 0 || v[0] == '.' || v[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '.') {
			if (v[i + 1] == '.')
				return false;
		} else if (domain ? !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				      (c >= '0' && c <= '9') || c == '-')
				  : !is_atext(c))
			return false;
	}
	return true;
}

/* RFC 8601 2.2: pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS] */
static bool
is_bare_pvalue(const char *v, size_t len)
{
	const char *at = memchr(v, '@', len);

	if (is_token(v, len))
		return true;
	if (at == NULL)
		return false;
	if (at > v && !is_dot_atom(v, (size_t)(at - v), false))
		return false;
	return is_dot_atom(at + 1, len - (size_t)(at + 1 - v), true);
}

static void
append_quoted(struct buf *out, const char *v, size_t len)
{
	size_t i;

	buf_appendc(out, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '"' || c == '\\')
			buf_appendc(out, '\\');
		/* controls would break the field (CR, LF) or be invalid (RFC 5322 3.2.4) */
		buf_appendc(out, (c < ' ' && c != '\t') || c == 127 ? '?' : (char)c);
	}
	buf_appendc(out, '"');
}

void
authres_append_value(struct buf *out, const char *v, size_t len)
{
	if (is_token(v, len))
		buf_append(out, v, len);
	else
		append_quoted(out, v, len);
}

/* Appends one element, preceded by a space or, when it would pass AUTHRES_LINE_MAX (keeping
 * room for a ';' after it), by a fold: CRLF and a tab (RFC 5322 2.2.3). */
static void
put(struct authres_builder *b, const char *text, size_t len)
{
	if (b->col > 9 && b->col + 1 + len + 1 > AUTHRES_LINE_MAX) {
		buf_append(b->out, "\r\n\t", 3);
		b->col = 1;
	} else {
		buf_appendc(b->out, ' ');
		b->col++;
	}
	buf_append(b->out, text, len);
	b->col += len;
}

void
authres_begin(struct authres_builder *b, struct buf *out, const char *authserv_id, unsigned version)
{
	struct buf e;

	b->out = out;
	b->methods = 0;
	buf_appends(out, "Authentication-Results:");
	b->col = strlen("Authentication-Results:");
	buf_init(&e);
	authres_append_value(&e, authserv_id, strlen(authserv_id));
	put(b, e.data, e.len);
	if (version != 0) {
		buf_reset(&e);
		buf_printf(&e, "%u", version);
		put(b, e.data, e.len);
	}
	buf_free(&e);
}

void
authres_method(struct authres_builder *b, const char *method, const char *result)
{
	struct buf e;

	buf_appendc(b->out, ';');
	b->col++;
	buf_init(&e);
	buf_printf(&e, "%s=%s", method, result);
	put(b, e.data, e.len);
	buf_free(&e);
	b->methods++;
}

void
authres_reason(struct authres_builder *b, const char *reason)
{
	struct buf e;

	buf_init(&e);
	buf_appends(&e, "reason=");
	authres_append_value(&e, reason, strlen(reason));
	put(b, e.data, e.len);
	buf_free(&e);
}

void
authres_comment(struct authres_builder *b, const char *text)
{
	struct buf e;
	const char *p;

	buf_init(&e);
	buf_appendc(&e, '(');
	for (p = text; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '(' || c == ')' || c == '\\')
			buf_appendc(&e, '\\');
		buf_appendc(&e, (c < ' ' && c != '\t') || c == 127 ? '?' : (char)c);
	}
	buf_appendc(&e, ')');
	put(b, e.data, e.len);
	buf_free(&e);
}

void
authres_prop(struct authres_builder *b, const char *ptype, const char *property, const char *value)
{
	struct buf e;
	size_t len = strlen(value);

	buf_init(&e);
	buf_printf(&e, "%s.%s=", ptype, property);
	if (is_bare_pvalue(value, len))
		buf_append(&e, value, len);
	else
		append_quoted(&e, value, len);
	put(b, e.data, e.len);
	buf_free(&e);
}

void
authres_prop_b(struct authres_builder *b, const char *b_value)
{
	char pfx[AUTHRES_B_PREFIX + 1];
	size_t n = 0;
	const char *p;

	/* b= may be folded (RFC 6376 3.5: FWS is allowed in base64 values) */
	for (p = b_value; *p != '\0' && n < AUTHRES_B_PREFIX; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			pfx[n++] = *p;
	pfx[n] = '\0';
	authres_prop(b, "header", "b", pfx);
}

void
authres_end(struct authres_builder *b)
{
	if (b->methods == 0) {
		buf_appendc(b->out, ';');
		b->col++;
		put(b, "none", 4);
	}
	buf_append(b->out, "\r\n", 2);
	b->col = 0;
}

void
authres_not_checked_submission(struct buf *out, const char *authserv_id, const char *user)
{
	struct authres_builder b;

	authres_begin(&b, out, authserv_id, 0);
	authres_method(&b, "auth", "pass");
	authres_comment(&b, "not checked: authenticated submission");
	authres_prop(&b, "smtp", "auth", user);
	authres_end(&b);
}

void
authres_not_checked_mynetworks(struct buf *out, const char *authserv_id)
{
	struct authres_builder b;

	authres_begin(&b, out, authserv_id, 0);
	/* no-result, then the comment (RFC 8601 2.2: [CFWS] before the CRLF) */
	buf_appendc(out, ';');
	b.col++;
	put(&b, "none", 4);
	authres_comment(&b, "not checked: mynetworks");
	buf_append(out, "\r\n", 2);
}

/* ---- reading ---- */

enum authres_id_status
authres_parse_id(const char *v, size_t len, struct buf *id)
{
	const char *p = v, *end = v + len;

	buf_reset(id);
	p = rfc5322_skip_cfws(p, end);
	if (p < end && *p == '"') {
		/* RFC 5322 3.2.4 quoted-string: quoted-pairs, FWS (unfolded) */
		bool closed = false;

		for (p++; p < end; p++) {
			if (*p == '"') {
				closed = true;
				p++;
				break;
			}
			if (*p == '\\' && p + 1 < end)
				p++;
			else if (*p == '\r' || *p == '\n')
				continue;
			buf_appendc(id, *p);
		}
		if (!closed)
			return id->len > 0 ? AUTHRES_ID_MALFORMED : AUTHRES_ID_NONE;
		if (id->len == 0)
			return AUTHRES_ID_NONE;
	} else {
		const char *s = p;

		while (p < end && is_token_char((unsigned char)*p))
			p++;
		if (p == s)
			return AUTHRES_ID_NONE;
		buf_append(id, s, (size_t)(p - s));
	}
	/* [ CFWS authres-version ] ( no-result / 1*resinfo ): both start with ";" */
	p = rfc5322_skip_cfws(p, end);
	if (p < end && *p >= '0' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		p = rfc5322_skip_cfws(p, end);
	}
	return p < end && *p == ';' ? AUTHRES_ID_OK : AUTHRES_ID_MALFORMED;
}

bool
authres_id_equal(const char *a, size_t a_len, const char *our_id)
{
	size_t o_len = strlen(our_id);
	size_t i;

	if (a_len > 0 && a[a_len - 1] == '.')
		a_len--;
	if (o_len > 0 && our_id[o_len - 1] == '.')
		o_len--;
	if (a_len != o_len || a_len == 0)
		return false;
	for (i = 0; i < a_len; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)our_id[i]))
			return false;
	return true;
}

static bool
is_authres_name(const struct rfc5322_field *f)
{
	static const char name[] = "Authentication-Results";
	size_t i;

	if (!f->has_colon || f->name_len != sizeof(name) - 1)
		return false;
	for (i = 0; i < f->name_len; i++)
		if (lower((unsigned char)f->name[i]) != lower((unsigned char)name[i]))
			return false;
	return true;
}

bool
authres_field_is_ours(const struct rfc5322_field *f, const char *our_id)
{
	struct buf id;
	bool ours;

	if (!is_authres_name(f))
		return false;
	buf_init(&id);
	ours = authres_parse_id(f->value, f->value_len, &id) != AUTHRES_ID_NONE &&
	       authres_id_equal(id.data, id.len, our_id);
	buf_free(&id);
	return ours;
}

size_t
authres_find_ours(const char *hdr, size_t len, const char *our_id, struct rfc5322_field *fields,
		  size_t max)
{
	struct rfc5322_header_iter it;
	struct rfc5322_field f;
	size_t n = 0;

	rfc5322_header_iter_init(&it, hdr, len);
	while (rfc5322_header_iter_next(&it, &f))
		if (authres_field_is_ours(&f, our_id)) {
			if (n < max)
				fields[n] = f;
			n++;
		}
	return n;
}

size_t
authres_strip_ours(const char *hdr, size_t len, const char *our_id, struct buf *out)
{
	struct rfc5322_header_iter it;
	struct rfc5322_field f;
	const char *done = hdr;
	size_t n = 0;

	rfc5322_header_iter_init(&it, hdr, len);
	while (rfc5322_header_iter_next(&it, &f))
		if (authres_field_is_ours(&f, our_id)) {
			buf_append(out, done, (size_t)(f.raw - done));
			done = f.raw + f.raw_len;
			n++;
		}
	buf_append(out, done, (size_t)(hdr + len - done));
	return n;
}
