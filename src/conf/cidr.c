/* CIDR lists (mynetworks): parsing "addr/prefix" items and matching a client's
 * socket address against them. IPv4-mapped IPv6 addresses are treated as IPv4 on both
 * sides, so "127.0.0.0/8" matches a dual-stack socket's "::ffff:127.0.0.1". */
#include "conf/settings.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"
#include "util/xmalloc.h"

static const unsigned char v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool
prefix_equal(const unsigned char *a, const unsigned char *b, int prefix)
{
	int bytes = prefix / 8, bits = prefix % 8;

	if (memcmp(a, b, (size_t)bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - bits));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

static void
clear_host_bits(unsigned char *addr, int prefix, int len)
{
	for (int i = 0; i < len; i++) {
		int keep = prefix - i * 8;
		if (keep >= 8)
			continue;
		addr[i] &= keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
	}
}

bool
cidr_list_match(const struct cidr_list *l, const struct sockaddr *sa)
{
	const unsigned char *addr;
	int family;

	if (l == NULL || sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		family = AF_INET;
		addr = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		addr = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		family = AF_INET6;
		if (memcmp(addr, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
			family = AF_INET;
			addr += 12;
		}
	} else {
		return false;
	}
	for (size_t i = 0; i < l->n; i++) {
		if (l->items[i].family == family &&
		    prefix_equal(l->items[i].addr, addr, l->items[i].prefix))
			return true;
	}
	return false;
}

/* One item: "a.b.c.d[/n]", "v6[/n]" or "[v6][/n]" (Postfix writes IPv6 networks in
 * brackets). Host bits are cleared; an IPv4-mapped IPv6 network becomes IPv4. */
static int
cidr_parse_one(struct cidr *c, const char *item, const char **error_r)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *slash = strchr(item, '/');
	size_t hlen = slash ? (size_t)(slash - item) : strlen(item);
	int maxprefix;

	if (hlen >= 2 && item[0] == '[' && item[hlen - 1] == ']') {
		item++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		*error_r = "invalid network address";
		return -1;
	}
	memcpy(host, item, hlen);
	host[hlen] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, host, c->addr) == 1) {
		c->family = AF_INET;
		maxprefix = 32;
	} else if (inet_pton(AF_INET6, host, c->addr) == 1) {
		c->family = AF_INET6;
		maxprefix = 128;
	} else {
		*error_r = "invalid network address";
		return -1;
	}
	c->prefix = maxprefix;
	if (slash != NULL) {
		unsigned long long p;
		if (str_to_u64(slash + 1, &p) < 0 || p > (unsigned long long)maxprefix) {
			*error_r = "invalid network prefix length";
			return -1;
		}
		c->prefix = (int)p;
	}
	if (c->family == AF_INET6 && c->prefix >= 96 &&
	    memcmp(c->addr, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
		memmove(c->addr, c->addr + 12, 4);
		memset(c->addr + 4, 0, 12);
		c->family = AF_INET;
		c->prefix -= 96;
	}
	clear_host_bits(c->addr, c->prefix, c->family == AF_INET ? 4 : 16);
	return 0;
}

int
cidr_list_parse(struct cidr_list *l, const char *value, const char **error_r)
{
	char **items = settings_split_list(value);
	size_t n = str_array_len(items);

	l->items = n > 0 ? xcalloc(n, sizeof(*l->items)) : NULL;
	l->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (cidr_parse_one(&l->items[l->n], items[i], error_r) < 0) {
			str_array_free(&items);
			cidr_list_free(l);
			return -1;
		}
		l->n++;
	}
	str_array_free(&items);
	return 0;
}

void
cidr_list_free(struct cidr_list *l)
{
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

void
cidr_format(const struct cidr *c, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN];

	if (inet_ntop(c->family, c->addr, host, sizeof(host)) == NULL)
		str_lcpy(host, "?", sizeof(host));
	snprintf(out, size, "%s/%d", host, c->prefix);
}
