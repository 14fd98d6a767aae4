/* IMAP URL parsing (RFC 5092 3, RFC 4469 5, RFC 4467 9): see imap_url.h. */
#include "mail/imap_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

void
imap_url_free(struct imap_url *u)
{
	free(u->user);
	free(u->host);
	free(u->access);
	free(u->mechanism);
	free(u->token);
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

/* The end of a path part's value: the next "/" or ";" (RFC 4467 puts ";expire=" and
 * ";urlauth=" right after the last part, with no "/"). */
static const char *
part_end(const char *p, const char *end)
{
	while (p < end && *p != '/' && *p != ';')
		p++;
	return p;
}

/* RFC 3339 date-time (RFC 4467 3: ";expire=" value), to a UTC time. 0 ok. */
static int
parse_datetime(const char *s, size_t len, time_t *t_r)
{
	struct tm tm = {0};
	char tmp[64];
	int n = 0, oh = 0, om = 0;
	const char *z;
	long off = 0;

	if (len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (sscanf(tmp, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 19)
		return -1;
	z = tmp + n;
	if (*z == '.') { /* time-secfrac */
		z++;
		while (*z >= '0' && *z <= '9')
			z++;
	}
	if ((*z == 'Z' || *z == 'z') && z[1] == '\0') {
		off = 0;
	} else if ((*z == '+' || *z == '-') && strlen(z) == 6 && z[3] == ':' &&
		   sscanf(z + 1, "%2d:%2d", &oh, &om) == 2 && oh < 24 && om < 60) {
		off = (*z == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
	} else {
		return -1;
	}
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*t_r = timegm(&tm) - off;
	return 0;
}

/* RFC 4467 9: [";EXPIRE=" date-time] ";URLAUTH=" access [":" mechanism ":" token],
 * from seg to end. */
static int
parse_urlauth(const char *url, const char *seg, const char *end, struct imap_url *u)
{
	const char *p, *colon;

	if (has_prefix(seg, (size_t)(end - seg), ";expire=")) {
		p = seg + 8;
		seg = memchr(p, ';', (size_t)(end - p));
		if (seg == NULL || parse_datetime(p, (size_t)(seg - p), &u->expire) < 0)
			return -1;
		u->has_expire = true;
	}
	if (!has_prefix(seg, (size_t)(end - seg), ";urlauth="))
		return -1;
	p = seg + 9;
	colon = memchr(p, ':', (size_t)(end - p));
	u->rump_len = (size_t)((colon != NULL ? colon : end) - url);
	u->access = pct_decode(p, (size_t)((colon != NULL ? colon : end) - p));
	if (u->access == NULL)
		return -1;
	/* access = ("submit+" / "user+") enc-user / "authuser" / "anonymous" */
	if (!((str_ncasecmp(u->access, "submit+", 7) == 0 && u->access[7] != '\0') ||
	      (str_ncasecmp(u->access, "user+", 5) == 0 && u->access[5] != '\0') ||
	      str_casecmp(u->access, "authuser") == 0 || str_casecmp(u->access, "anonymous") == 0))
		return -1;
	if (colon == NULL)
		return 0;
	p = colon + 1;
	colon = memchr(p, ':', (size_t)(end - p));
	if (colon == NULL || colon == p)
		return -1;
	u->mechanism = xstrndup(p, (size_t)(colon - p));
	/* encoded-urlauth = 32*HEXDIG */
	p = colon + 1;
	if (end - p < 32 || end - p > 512)
		return -1;
	for (const char *q = p; q < end; q++) {
		if (str_hexval(*q) < 0)
			return -1;
	}
	u->token = xstrndup(p, (size_t)(end - p));
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
	/* RFC 5092 3: "imap://" iserver; the caller decides whether the host is this server */
	if (has_prefix(p, len, "imap://")) {
		const char *host = p + 7, *at, *port;

		p = memchr(host, '/', (size_t)(end - host));
		if (p == NULL)
			return -1;
		/* iuserinfo "@": enc-user [";AUTH=" ...] */
		at = memrchr(host, '@', (size_t)(p - host));
		if (at != NULL) {
			const char *semi = memchr(host, ';', (size_t)(at - host));

			u->user = pct_decode(host, (size_t)((semi != NULL ? semi : at) - host));
			if (u->user == NULL)
				return -1;
			host = at + 1;
		}
		port = memchr(host, ':', (size_t)(p - host));
		u->host = pct_decode(host, (size_t)((port != NULL ? port : p) - host));
		if (u->host == NULL)
			return -1;
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
	seg = part_end(p, end);
	if (number(p, (size_t)(seg - p), UINT32_MAX, &v) < 0 || v == 0)
		return -1;
	u->uid = (uint32_t)v;
	if (seg < end && has_prefix(seg, (size_t)(end - seg), "/;section=")) {
		p = seg + 10;
		seg = part_end(p, end);
		u->section = pct_decode(p, (size_t)(seg - p));
		if (u->section == NULL || *u->section == '\0')
			return -1;
	}
	if (seg < end && has_prefix(seg, (size_t)(end - seg), "/;partial=")) {
		p = seg + 10;
		seg = part_end(p, end);
		if (parse_partial(p, (size_t)(seg - p), u) < 0)
			return -1;
	}
	if (seg < end && parse_urlauth(url, seg, end, u) < 0)
		return -1;
	*error_r = NULL;
	return 0;
}

char *
imap_url_owner(const struct imap_url *u)
{
	char *owner;

	if (u->user == NULL || *u->user == '\0')
		return NULL;
	if (strchr(u->user, '@') != NULL || u->host == NULL || *u->host == '\0')
		owner = xstrdup(u->user);
	else
		owner = xasprintf("%s@%s", u->user, u->host);
	str_lower(owner);
	return owner;
}
