/* Header checks and GTUBE (see spam_checks.h). */
#include "mail/spam_checks.h"

#include <string.h>

#include "mail/rfc2047.h"
#include "mail/rfc5322.h"
#include "util/buf.h"
#include "util/str.h"

#define RECEIVED_FUTURE_SLACK 86400 /* clocks are wrong, but not by a day */
#define RECEIVED_ORDER_SLACK 3600   /* nor between two hops by an hour */
#define RECEIVED_CHECKED 50         /* the loop limit (SMTP_MAX_RECEIVED) */

const char *
spam_check_name(unsigned bit)
{
	switch (bit) {
	case SPAM_CHECK_NO_DATE:
		return "NO_DATE";
	case SPAM_CHECK_NO_MESSAGE_ID:
		return "NO_MESSAGE_ID";
	case SPAM_CHECK_FROM_SPOOF:
		return "FROM_NAME_SPOOF";
	case SPAM_CHECK_RECEIVED_FORGED:
		return "RECEIVED_FORGED";
	case SPAM_CHECK_GTUBE:
		return "GTUBE";
	}
	return "?";
}

/* d is domain or a subdomain of parent (both lower case, ASCII case-insensitive). */
static bool
domain_within(const char *d, size_t dl, const char *parent, size_t pl)
{
	if (dl == pl)
		return str_ncasecmp(d, parent, dl) == 0;
	return dl > pl && d[dl - pl - 1] == '.' && str_ncasecmp(d + dl - pl, parent, pl) == 0;
}

static bool
is_domain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.';
}

/* The domain of an address-looking word in name ("x@a.b"), or NULL. */
static const char *
name_address_domain(const char *name, size_t *len_r)
{
	const char *at = strchr(name, '@');

	while (at != NULL) {
		const char *d = at + 1, *e = d;
		while (is_domain_char((unsigned char)*e))
			e++;
		while (e > d && e[-1] == '.')
			e--;
		/* a local part before and a dot inside: "x@y.z", not "@home" or "meet @ 5" */
		if (at > name && !strchr(" \t<>\"(),;", at[-1]) &&
		    memchr(d, '.', (size_t)(e - d))) {
			*len_r = (size_t)(e - d);
			return d;
		}
		at = strchr(at + 1, '@');
	}
	return NULL;
}

static bool
from_spoofed(const char *hdr, size_t len)
{
	struct rfc5322_field f;
	struct rfc5322_addr_list l;
	struct buf name = BUF_INIT;
	bool spoof = false;

	if (!rfc5322_header_find(hdr, len, "From", &f))
		return false;
	rfc5322_addr_list_parse(f.value, f.value_len, &l);
	for (size_t i = 0; i < l.count && !spoof; i++) {
		const struct rfc5322_addr *a = &l.addrs[i];
		const char *nd;
		size_t ndl;

		if (a->name == NULL || a->domain == NULL || a->group_start || *a->domain == '\0')
			continue;
		buf_reset(&name);
		rfc2047_decode(a->name, strlen(a->name), &name);
		if (name.data == NULL || (nd = name_address_domain(name.data, &ndl)) == NULL)
			continue;
		spoof = !domain_within(a->domain, strlen(a->domain), nd, ndl);
	}
	rfc5322_addr_list_free(&l);
	buf_free(&name);
	return spoof;
}

static bool
received_forged(const char *hdr, size_t len, time_t now)
{
	struct rfc5322_header_iter it;
	struct rfc5322_field f;
	time_t later = 0; /* date of the hop above (fields are prepended: top = latest) */
	size_t n = 0;

	rfc5322_header_iter_init(&it, hdr, len);
	while (rfc5322_header_iter_next(&it, &f) && n < RECEIVED_CHECKED) {
		const char *semi;
		time_t t;
		long tz;

		if (!f.has_colon || f.name_len != 8 || str_ncasecmp(f.name, "Received", 8) != 0)
			continue;
		n++;
		semi = memrchr(f.value, ';', f.value_len);
		if (semi == NULL ||
		    rfc5322_date_parse(semi + 1, f.value_len - (size_t)(semi + 1 - f.value), &t,
				       &tz) < 0)
			return true;
		if (t > now + RECEIVED_FUTURE_SLACK)
			return true;
		if (later != 0 && t > later + RECEIVED_ORDER_SLACK)
			return true;
		later = t;
	}
	return false;
}

unsigned
spam_checks_run(const char *msg, size_t len, size_t max_bytes, time_t now)
{
	size_t hlen = rfc5322_header_size(msg, len);
	struct rfc5322_field f;
	unsigned hits = 0;

	if (!rfc5322_header_find(msg, hlen, "Date", &f))
		hits |= SPAM_CHECK_NO_DATE;
	if (!rfc5322_header_find(msg, hlen, "Message-ID", &f))
		hits |= SPAM_CHECK_NO_MESSAGE_ID;
	if (from_spoofed(msg, hlen))
		hits |= SPAM_CHECK_FROM_SPOOF;
	if (received_forged(msg, hlen, now))
		hits |= SPAM_CHECK_RECEIVED_FORGED;
	if (memmem(msg, len < max_bytes ? len : max_bytes, SPAM_GTUBE, strlen(SPAM_GTUBE)) != NULL)
		hits |= SPAM_CHECK_GTUBE;
	return hits;
}
