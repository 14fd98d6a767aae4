/* Unit tests of the DNS response parser (src/dns/dns_answer.c): TXT strings joined, names
 * behind compression pointers, TTLs, the RFC 2308 negative TTL, malformed messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/socket.h>

#include "dns/dns_answer.h"
#include "util/buf.h"

static void
u16(struct buf *b, unsigned v)
{
	buf_appendc(b, (char)(v >> 8));
	buf_appendc(b, (char)v);
}

static void
u32(struct buf *b, uint32_t v)
{
	u16(b, v >> 16);
	u16(b, v & 0xffff);
}

/* "example.com" at offset 12, as the question */
static void
header_and_question(struct buf *b, unsigned an, unsigned ns, unsigned qtype)
{
	u16(b, 0x1234);
	u16(b, 0x8180);
	u16(b, 1);
	u16(b, an);
	u16(b, ns);
	u16(b, 0);
	buf_append(b, "\7example\3com\0", 13);
	u16(b, qtype);
	u16(b, 1);
}

static void
rr_header(struct buf *b, unsigned type, uint32_t ttl, unsigned rdlen)
{
	u16(b, 0xc00c); /* pointer to the question's name */
	u16(b, type);
	u16(b, 1);
	u32(b, ttl);
	u16(b, rdlen);
}

static void
test_txt(void **state)
{
	struct buf b = BUF_INIT;
	struct dns_rr *rrs;
	size_t n;
	uint32_t ttl;

	(void)state;
	header_and_question(&b, 3, 0, DNS_TYPE_TXT);
	/* RFC 7208 3.3: "v=spf1 ip4:" "192.0.2.5 -all" is one record */
	rr_header(&b, DNS_TYPE_TXT, 300, 12 + 15);
	buf_append(&b, "\13v=spf1 ip4:", 12);
	buf_append(&b,
		   "\x0e"
		   "192.0.2.5 -all",
		   15);
	rr_header(&b, DNS_TYPE_TXT, 100, 4);
	buf_append(&b, "\3a\0b", 4);
	rr_header(&b, DNS_TYPE_TXT, 200, 0); /* no strings at all */
	assert_int_equal(
		dns_answer_parse((unsigned char *)b.data, b.len, DNS_TYPE_TXT, &rrs, &n, &ttl), 0);
	assert_int_equal(n, 3);
	assert_string_equal(rrs[0].data, "v=spf1 ip4:192.0.2.5 -all");
	assert_int_equal(rrs[1].len, 3);
	assert_memory_equal(rrs[1].data, "a\0b", 3);
	assert_int_equal(rrs[2].len, 0);
	assert_int_equal(ttl, 100);
	dns_rrs_free(&rrs, &n);
	/* a string longer than the rdata */
	buf_truncate(&b, b.len - 10 - 2 - 4);
	rr_header(&b, DNS_TYPE_TXT, 100, 4);
	buf_append(&b, "\11abc", 4);
	assert_int_equal(
		dns_answer_parse((unsigned char *)b.data, b.len, DNS_TYPE_TXT, &rrs, &n, &ttl), -1);
	buf_free(&b);
}

static void
test_mx_ptr_addr(void **state)
{
	struct buf b = BUF_INIT;
	struct dns_rr *rrs;
	size_t n;
	uint32_t ttl;

	(void)state;
	header_and_question(&b, 3, 0, DNS_TYPE_MX);
	rr_header(&b, DNS_TYPE_MX, 60, 2 + 7);
	u16(&b, 10);
	buf_append(&b, "\4mail\xc0\x0c", 7); /* mail + pointer to example.com */
	rr_header(&b, DNS_TYPE_MX, 60, 3);
	u16(&b, 0);
	buf_appendc(&b, '\0');            /* the null MX */
	rr_header(&b, DNS_TYPE_A, 60, 4); /* another type: skipped */
	buf_append(&b, "\xc0\x00\x02\x01", 4);
	assert_int_equal(
		dns_answer_parse((unsigned char *)b.data, b.len, DNS_TYPE_MX, &rrs, &n, &ttl), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rrs[0].data, "10 mail.example.com");
	assert_string_equal(rrs[1].data, "0 ");
	dns_rrs_free(&rrs, &n);
	assert_int_equal(
		dns_answer_parse((unsigned char *)b.data, b.len, DNS_TYPE_A, &rrs, &n, &ttl), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rrs[0].data, "192.0.2.1");
	dns_rrs_free(&rrs, &n);
	buf_free(&b);

	header_and_question(&b, 2, 0, DNS_TYPE_PTR);
	rr_header(&b, DNS_TYPE_PTR, 60, 2);
	buf_append(&b, "\xc0\x0c", 2);
	rr_header(&b, DNS_TYPE_AAAA, 60, 16);
	buf_append(&b, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\1", 16);
	assert_int_equal(
		dns_answer_parse((unsigned char *)b.data, b.len, DNS_TYPE_PTR, &rrs, &n, &ttl), 0);
	assert_string_equal(rrs[0].data, "example.com");
	dns_rrs_free(&rrs, &n);
	assert_int_equal(
		dns_answer_parse((unsigned char *)b.data, b.len, DNS_TYPE_AAAA, &rrs, &n, &ttl), 0);
	assert_string_equal(rrs[0].data, "2001:db8::1");
	dns_rrs_free(&rrs, &n);
	buf_free(&b);
}

/* RFC 2782: "priority weight port target"; the target "." (RFC 6186 3: not offered) as "" */
static void
test_srv(void **state)
{
	struct buf b = BUF_INIT;
	struct dns_rr *rrs;
	size_t n;
	uint32_t ttl;

	(void)state;
	header_and_question(&b, 3, 0, DNS_TYPE_SRV);
	rr_header(&b, DNS_TYPE_SRV, 60, 6 + 7);
	u16(&b, 10);
	u16(&b, 1);
	u16(&b, 993);
	buf_append(&b, "\4mail\xc0\x0c", 7);
	rr_header(&b, DNS_TYPE_SRV, 60, 7);
	u16(&b, 0);
	u16(&b, 0);
	u16(&b, 0);
	buf_appendc(&b, '\0');
	rr_header(&b, DNS_TYPE_SRV, 60, 5); /* too short */
	buf_append(&b, "\0\0\0\0\0", 5);
	assert_int_equal(
		dns_answer_parse((unsigned char *)b.data, b.len, DNS_TYPE_SRV, &rrs, &n, &ttl), -1);
	buf_truncate(&b, b.len - 10 - 2 - 5);
	b.data[7] = 2; /* two answers */
	assert_int_equal(
		dns_answer_parse((unsigned char *)b.data, b.len, DNS_TYPE_SRV, &rrs, &n, &ttl), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rrs[0].data, "10 1 993 mail.example.com");
	assert_string_equal(rrs[1].data, "0 0 0 ");
	dns_rrs_free(&rrs, &n);
	buf_free(&b);
}

/* RFC 2308 5: a negative answer lives min(SOA TTL, SOA MINIMUM) */
static void
test_negative_ttl(void **state)
{
	struct buf b = BUF_INIT;
	struct dns_rr *rrs;
	size_t n;
	uint32_t ttl;

	(void)state;
	header_and_question(&b, 0, 1, DNS_TYPE_TXT);
	rr_header(&b, 6 /* SOA */, 3600, 2 + 2 + 20);
	buf_append(&b, "\xc0\x0c\xc0\x0c", 4);
	u32(&b, 1);
	u32(&b, 2);
	u32(&b, 3);
	u32(&b, 4);
	u32(&b, 300); /* MINIMUM */
	assert_int_equal(
		dns_answer_parse((unsigned char *)b.data, b.len, DNS_TYPE_TXT, &rrs, &n, &ttl), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ttl, 300);
	buf_free(&b);
	/* no SOA: nothing to cache by */
	header_and_question(&b, 0, 0, DNS_TYPE_TXT);
	assert_int_equal(
		dns_answer_parse((unsigned char *)b.data, b.len, DNS_TYPE_TXT, &rrs, &n, &ttl), 0);
	assert_int_equal(ttl, 0);
	/* truncated messages */
	assert_int_equal(
		dns_answer_parse((unsigned char *)b.data, 11, DNS_TYPE_TXT, &rrs, &n, &ttl), -1);
	assert_int_equal(
		dns_answer_parse((unsigned char *)b.data, b.len - 1, DNS_TYPE_TXT, &rrs, &n, &ttl),
		-1);
	buf_free(&b);
}

static void
test_reverse_name(void **state)
{
	struct sockaddr_storage ss;
	char name[80];

	(void)state;
	memset(&ss, 0, sizeof(ss));
	assert_true(dns_parse_literal("192.0.2.10", &ss));
	dns_reverse_name(&ss, name, sizeof(name));
	assert_string_equal(name, "10.2.0.192.in-addr.arpa");
	assert_true(dns_parse_literal("2001:db8::cb01", &ss));
	dns_reverse_name(&ss, name, sizeof(name));
	assert_string_equal(name, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
				  "ip6.arpa");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_txt),          cmocka_unit_test(test_mx_ptr_addr),
		cmocka_unit_test(test_srv),          cmocka_unit_test(test_negative_ttl),
		cmocka_unit_test(test_reverse_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
