/* Unit tests of the DNS answer cache (src/dns/dns_cache.c): TTLs on an injected clock,
 * negative answers, the size bound (least recently used dropped first). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns/dns_cache.h"

static uint64_t now;

static uint64_t
fake_clock(void *ctx)
{
	(void)ctx;
	return now;
}

static void
put_txt(struct dns_cache *c, const char *name, const char *text, uint32_t ttl)
{
	struct dns_rr rr = {(char *)text, strlen(text)};

	dns_cache_put(c, DNS_TYPE_TXT, name, DNS_OK, &rr, 1, ttl);
}

static void
test_ttl(void **state)
{
	struct dns_cache *c = dns_cache_new(100, fake_clock, NULL);
	const struct dns_rr *rrs;
	enum dns_status st;
	size_t n;

	(void)state;
	now = 1000;
	put_txt(c, "Example.COM.", "v=spf1 -all", 300);
	assert_int_equal(dns_cache_get(c, DNS_TYPE_TXT, "example.com", &st, &rrs, &n), 1);
	assert_int_equal(st, DNS_OK);
	assert_int_equal(n, 1);
	assert_string_equal(rrs[0].data, "v=spf1 -all");
	assert_int_equal(rrs[0].len, 11);
	/* another type is another answer */
	assert_int_equal(dns_cache_get(c, DNS_TYPE_A, "example.com", &st, &rrs, &n), 0);
	now = 1299;
	assert_int_equal(dns_cache_get(c, DNS_TYPE_TXT, "example.com", &st, &rrs, &n), 1);
	now = 1300; /* the TTL is over */
	assert_int_equal(dns_cache_get(c, DNS_TYPE_TXT, "example.com", &st, &rrs, &n), 0);
	assert_int_equal(dns_cache_count(c), 0);
	/* TTL 0 and temporary failures are not cached; huge TTLs are capped */
	put_txt(c, "zero.example", "x", 0);
	dns_cache_put(c, DNS_TYPE_TXT, "tmp.example", DNS_TEMPFAIL, NULL, 0, 300);
	assert_int_equal(dns_cache_count(c), 0);
	put_txt(c, "long.example", "x", 0x7fffffff);
	now += DNS_CACHE_MAX_TTL;
	assert_int_equal(dns_cache_get(c, DNS_TYPE_TXT, "long.example", &st, &rrs, &n), 0);
	dns_cache_free(&c);
	assert_null(c);
}

/* RFC 2308: NXDOMAIN and NODATA are cached too */
static void
test_negative(void **state)
{
	struct dns_cache *c = dns_cache_new(100, fake_clock, NULL);
	const struct dns_rr *rrs;
	enum dns_status st;
	size_t n = 99;

	(void)state;
	now = 5;
	dns_cache_put(c, DNS_TYPE_TXT, "nx.example", DNS_NXDOMAIN, NULL, 0, 60);
	dns_cache_put(c, DNS_TYPE_MX, "nodata.example", DNS_NODATA, NULL, 0, 60);
	assert_int_equal(dns_cache_get(c, DNS_TYPE_TXT, "nx.example", &st, &rrs, &n), 1);
	assert_int_equal(st, DNS_NXDOMAIN);
	assert_int_equal(n, 0);
	assert_int_equal(dns_cache_get(c, DNS_TYPE_MX, "NODATA.example", &st, &rrs, &n), 1);
	assert_int_equal(st, DNS_NODATA);
	now = 65;
	assert_int_equal(dns_cache_get(c, DNS_TYPE_TXT, "nx.example", &st, &rrs, &n), 0);
	dns_cache_free(&c);
}

static void
test_size_bound(void **state)
{
	struct dns_cache *c = dns_cache_new(3, fake_clock, NULL);
	const struct dns_rr *rrs;
	enum dns_status st;
	size_t n;
	char name[32];
	int i;

	(void)state;
	now = 0;
	put_txt(c, "a.example", "a", 100);
	put_txt(c, "b.example", "b", 100);
	put_txt(c, "c.example", "c", 100);
	/* a used: b is now the least recently used and goes first */
	assert_int_equal(dns_cache_get(c, DNS_TYPE_TXT, "a.example", &st, &rrs, &n), 1);
	put_txt(c, "d.example", "d", 100);
	assert_int_equal(dns_cache_count(c), 3);
	assert_int_equal(dns_cache_get(c, DNS_TYPE_TXT, "b.example", &st, &rrs, &n), 0);
	assert_int_equal(dns_cache_get(c, DNS_TYPE_TXT, "a.example", &st, &rrs, &n), 1);
	assert_int_equal(dns_cache_get(c, DNS_TYPE_TXT, "c.example", &st, &rrs, &n), 1);
	assert_int_equal(dns_cache_get(c, DNS_TYPE_TXT, "d.example", &st, &rrs, &n), 1);
	/* replacing an answer does not grow the cache */
	put_txt(c, "d.example", "d2", 100);
	assert_int_equal(dns_cache_count(c), 3);
	assert_int_equal(dns_cache_get(c, DNS_TYPE_TXT, "d.example", &st, &rrs, &n), 1);
	assert_string_equal(rrs[0].data, "d2");
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		put_txt(c, name, name, 100);
		assert_true(dns_cache_count(c) <= 3);
	}
	dns_cache_set_size(c, 1);
	assert_int_equal(dns_cache_count(c), 1);
	assert_int_equal(dns_cache_get(c, DNS_TYPE_TXT, "n999.example", &st, &rrs, &n), 1);
	dns_cache_set_size(c, 0);
	put_txt(c, "off.example", "x", 100);
	assert_int_equal(dns_cache_count(c), 0);
	dns_cache_free(&c);
}

/* TXT records may hold NUL octets; len counts them */
static void
test_binary_txt(void **state)
{
	struct dns_cache *c = dns_cache_new(10, fake_clock, NULL);
	struct dns_rr rr[2] = {{(char *)"a\0b", 3}, {(char *)"", 0}};
	const struct dns_rr *rrs;
	enum dns_status st;
	size_t n;

	(void)state;
	dns_cache_put(c, DNS_TYPE_TXT, "bin.example", DNS_OK, rr, 2, 10);
	assert_int_equal(dns_cache_get(c, DNS_TYPE_TXT, "bin.example", &st, &rrs, &n), 1);
	assert_int_equal(n, 2);
	assert_int_equal(rrs[0].len, 3);
	assert_memory_equal(rrs[0].data, "a\0b", 3);
	assert_int_equal(rrs[1].len, 0);
	dns_cache_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ttl),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_size_bound),
		cmocka_unit_test(test_binary_txt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
