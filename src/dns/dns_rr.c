/* Lookups of records of one type (TXT, PTR, MX, A, AAAA) through the answer cache: a cached
 * answer is given at once, otherwise c-ares asks and the answer, negative ones too
 * (RFC 2308), is cached for its TTL. See dns.h. */
#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "dns/dns_answer.h"
#include "dns/dns_cache.h"
#include "dns/dns_internal.h"
#include "util/xmalloc.h"

static const char *
dns_negative_text(enum dns_status status)
{
	switch (status) {
	case DNS_NXDOMAIN:
		return "Host or domain name not found (NXDOMAIN)";
	case DNS_NODATA:
		return "no records of the requested type";
	default:
		return NULL;
	}
}

static void
dns_rr_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_query *q = arg;
	struct dns_rr *rrs = NULL;
	size_t n = 0;
	uint32_t ttl = 0;
	const char *error = NULL;
	enum dns_status st;

	if (q->cancelled || status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
		dns_query_release(q);
		return;
	}
	st = dns_status_of(status, &error);
	if ((st == DNS_OK || st == DNS_NXDOMAIN || st == DNS_NODATA) && abuf != NULL &&
	    dns_answer_parse(abuf, (size_t)alen, q->type, &rrs, &n, &ttl) < 0) {
		st = DNS_TEMPFAIL; /* a broken answer: maybe better next time */
		error = "malformed DNS answer";
	}
	if (st == DNS_OK && n == 0) {
		st = DNS_NODATA;
		error = dns_negative_text(st);
	}
	if (st != DNS_OK)
		dns_rrs_free(&rrs, &n);
	dns_cache_put(q->dns->cache, q->type, q->name, st, rrs, n, ttl);
	dns_query_deliver(q, st, rrs, n, error);
	dns_rrs_free(&rrs, &n);
	dns_query_release(q);
}

struct dns_query *
dns_rr_start(struct dns_query *q, unsigned type, const char *name)
{
	const struct dns_rr *rrs;
	enum dns_status st;
	size_t n;

	q->type = type;
	q->name = xstrdup(name);
	if (dns_cache_get(q->dns->cache, type, name, &st, &rrs, &n) == 1) {
		dns_query_deliver(q, st, rrs, n, dns_negative_text(st));
		q->finished = true;
		return dns_query_started(q);
	}
	ares_query(q->dns->channel, name, ns_c_in, (int)type, dns_rr_done, q);
	return dns_query_started(q);
}

struct dns_query *
dns_lookup_rr(struct dns *dns, unsigned type, const char *name, dns_rr_cb *cb, void *ctx)
{
	struct dns_query *q = dns_query_new(dns, ctx);

	q->rr_cb = cb;
	return dns_rr_start(q, type, name);
}

struct dns_query *
dns_lookup_txt(struct dns *dns, const char *name, dns_rr_cb *cb, void *ctx)
{
	return dns_lookup_rr(dns, DNS_TYPE_TXT, name, cb, ctx);
}

void
dns_reverse_name(const struct sockaddr_storage *addr, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";

	if (addr->ss_family == AF_INET) {
		const unsigned char *a =
			(const unsigned char *)&((const struct sockaddr_in *)addr)->sin_addr;
		snprintf(out, size, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
	} else {
		const unsigned char *a = ((const struct sockaddr_in6 *)addr)->sin6_addr.s6_addr;
		size_t o = 0;
		int i;

		for (i = 15; i >= 0 && o + 4 < size; i--) {
			out[o++] = hex[a[i] & 15];
			out[o++] = '.';
			out[o++] = hex[a[i] >> 4];
			out[o++] = '.';
		}
		snprintf(out + o, size - o, "ip6.arpa");
	}
}

struct dns_query *
dns_lookup_ptr(struct dns *dns, const struct sockaddr_storage *addr, dns_rr_cb *cb, void *ctx)
{
	char name[80];

	dns_reverse_name(addr, name, sizeof(name));
	return dns_lookup_rr(dns, DNS_TYPE_PTR, name, cb, ctx);
}
