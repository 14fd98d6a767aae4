/* CATENATE URL and APPEND argument parsing (RFC 4469 5, RFC 5092 3 and 6, RFC 3502 6):
 * see imap_catenate.h. */
#include "imap/imap_catenate.h"

#include <stdlib.h>
#include <string.h>

#include "imap/imap_date.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

void
imap_url_free(struct imap_url *u)
{
	free(u->user);
	free(u->mailbox);
	free(u->section);
	memset(u, 0, sizeof(*u));
}

/* Percent-decodes s[0..len) (RFC 3986 2.1). NULL for a bad escape or a NUL. */
static char *
pct_decode(const char *s, size_t len)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			if (i + 2 >= len || str_hexval(s[i + 1]) < 0 || str_hexval(s[i + 2]) < 0)
				goto bad;
			c = (char)(str_hexval(s[i + 1]) * 16 + str_hexval(s[i + 2]));
			i += 2;
		}
		if (c == '\0')
			goto bad;
		buf_appendc(&b, c);
	}
	buf_appendc(&b, '\0');
	return buf_steal(&b);
bad:
	buf_free(&b);
	return NULL;
}

/* A decimal number s[0..len) within max; 0 ok. */
static int
number(const char *s, size_t len, uint64_t max, uint64_t *v_r)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*v_r = v;
	return 0;
}

/* Case-insensitive prefix of p[0..len). */
static bool
has_prefix(const char *p, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && str_ncasecmp(p, prefix, n) == 0;
}

/* ";partial=offset[.length]" value (RFC 5092 3: partial-range). */
static int
parse_partial(const char *v, size_t len, struct imap_url *u)
{
	const char *dot = memchr(v, '.', len);
	uint64_t off, l = UINT64_MAX;

	if (number(v, dot != NULL ? (size_t)(dot - v) : len, UINT64_MAX, &off) < 0)
		return -1;
	if (dot != NULL && number(dot + 1, len - (size_t)(dot + 1 - v), UINT64_MAX, &l) < 0)
		return -1;
	u->partial = true;
	u->partial_offset = off;
	u->partial_len = l;
	return 0;
}

int
imap_url_parse(const char *url, size_t len, struct imap_url *u, const char **error_r)
{
	const char *p = url, *end = url + len, *seg, *mb_end;
	uint64_t v;

	memset(u, 0, sizeof(*u));
	*error_r = "Invalid IMAP URL";
	if (memchr(url, '\0', len) != NULL)
		return -1;
	/* RFC 5092 3: "imap://" iserver; the server part names this server (not checked:
	 * only the logged-in account's own mailboxes are read) */
	if (has_prefix(p, len, "imap://")) {
		const char *host = p + 7, *at;

		p = memchr(host, '/', (size_t)(end - host));
		if (p == NULL)
			return -1;
		/* iuserinfo "@": enc-user [";AUTH=" ...] */
		at = memchr(host, '@', (size_t)(p - host));
		if (at != NULL) {
			const char *semi = memchr(host, ';', (size_t)(at - host));

			u->user = pct_decode(host, (size_t)((semi != NULL ? semi : at) - host));
			if (u->user == NULL)
				return -1;
		}
	}
	if (p >= end || *p != '/')
		return -1;
	p++;
	/* imessagepart: enc-mailbox [uidvalidity] iuid [isection] [ipartial] [iurlauth] */
	seg = memchr(p, ';', (size_t)(end - p));
	if (seg == NULL || seg == p)
		return -1;
	mb_end = seg;
	if (has_prefix(seg, (size_t)(end - seg), ";uidvalidity=")) {
		const char *vs = seg + 13, *ve = memchr(vs, '/', (size_t)(end - vs));

		if (ve == NULL || number(vs, (size_t)(ve - vs), UINT32_MAX, &v) < 0 || v == 0)
			return -1;
		u->uidvalidity = (uint32_t)v;
		seg = ve;
	} else {
		if (seg[-1] != '/' || seg - 1 == p)
			return -1;
		mb_end = --seg;
	}
	u->mailbox = pct_decode(p, (size_t)(mb_end - p));
	if (u->mailbox == NULL || *u->mailbox == '\0')
		return -1;
	/* "/;uid=n" */
	if (!has_prefix(seg, (size_t)(end - seg), "/;uid="))
		return -1;
	p = seg + 6;
	seg = memchr(p, '/', (size_t)(end - p));
	if (seg == NULL)
		seg = end;
	if (number(p, (size_t)(seg - p), UINT32_MAX, &v) < 0 || v == 0)
		return -1;
	u->uid = (uint32_t)v;
	if (seg < end && has_prefix(seg, (size_t)(end - seg), "/;section=")) {
		p = seg + 10;
		seg = memchr(p, '/', (size_t)(end - p));
		if (seg == NULL)
			seg = end;
		u->section = pct_decode(p, (size_t)(seg - p));
		if (u->section == NULL || *u->section == '\0')
			return -1;
	}
	if (seg < end && has_prefix(seg, (size_t)(end - seg), "/;partial=")) {
		p = seg + 10;
		seg = memchr(p, '/', (size_t)(end - p));
		if (seg == NULL)
			seg = end;
		if (parse_partial(p, (size_t)(seg - p), u) < 0)
			return -1;
	}
	if (seg < end) {
		/* ";expire=", ";urlauth=": URLAUTH (RFC 4467) is not offered */
		*error_r = "URLAUTH is not supported";
		return -1;
	}
	*error_r = NULL;
	return 0;
}

void
imap_append_msgs_free(struct imap_append_msg *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		imap_flag_list_free(&msgs[i].flags);
		free(msgs[i].parts);
	}
	free(msgs);
}

/* CATENATE's list: 1*cat-part, cat-part = "TEXT" SP literal / "URL" SP astring
 * (RFC 4469 5; with BINARY, TEXT may be a literal8: RFC 4469 5 text-literal). */
static int
parse_cat_parts(const struct imap_arg *list, struct imap_append_msg *m, const char **error_r)
{
	if (list->type != IMAP_ARG_LIST || list->count == 0 || list->count % 2 != 0) {
		*error_r = "CATENATE needs a list of TEXT and URL parts";
		return -1;
	}
	m->parts = xcalloc(list->count / 2, sizeof(*m->parts));
	for (size_t i = 0; i < list->count; i += 2) {
		const struct imap_arg *kw = &list->list[i], *val = &list->list[i + 1];
		struct imap_cat_part *part = &m->parts[m->n_parts++];

		if (imap_arg_atom_equals(kw, "TEXT") && val->type == IMAP_ARG_LITERAL) {
			part->type = IMAP_CAT_TEXT;
		} else if (imap_arg_atom_equals(kw, "URL") && val->type != IMAP_ARG_LIST &&
			   !(val->flags & (IMAP_ARG_FLAG_NUL | IMAP_ARG_FLAG_LITERAL8))) {
			part->type = IMAP_CAT_URL;
		} else {
			*error_r = "Invalid CATENATE part";
			return -1;
		}
		part->arg = val;
	}
	return 0;
}

int
imap_append_args_parse(const struct imap_arg *args, size_t count, struct imap_append_msg **msgs_r,
		       size_t *n_r, const char **error_r)
{
	struct imap_append_msg *msgs = NULL;
	size_t n = 0, i = 1;
	const char *date;

	*msgs_r = NULL;
	*n_r = 0;
	while (i < count) {
		struct imap_append_msg *m;

		msgs = xrealloc(msgs, (n + 1) * sizeof(*msgs));
		m = &msgs[n++];
		memset(m, 0, sizeof(*m));
		if (args[i].type == IMAP_ARG_LIST) {
			if (imap_flags_parse(&args[i], 1, &m->flags, error_r) < 0)
				goto fail;
			i++;
		}
		if (i < count && args[i].type == IMAP_ARG_QUOTED) {
			if (!imap_arg_get_string(&args[i], &date) ||
			    imap_date_time_parse(date, &m->date, &m->tz) < 0) {
				*error_r = "Invalid date-time";
				goto fail;
			}
			m->has_date = true;
			i++;
		}
		if (i < count && args[i].type == IMAP_ARG_LITERAL) {
			m->literal = &args[i++];
		} else if (i + 1 < count && imap_arg_atom_equals(&args[i], "CATENATE")) {
			if (parse_cat_parts(&args[i + 1], m, error_r) < 0)
				goto fail;
			i += 2;
		} else {
			*error_r = "APPEND needs the message as a literal or CATENATE";
			goto fail;
		}
	}
	if (n == 0) {
		*error_r = "APPEND needs a mailbox and a message";
		return -1;
	}
	*msgs_r = msgs;
	*n_r = n;
	return 0;
fail:
	imap_append_msgs_free(msgs, n);
	return -1;
}
