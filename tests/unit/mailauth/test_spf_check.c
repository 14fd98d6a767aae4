/* Unit tests of check_host() (src/mailauth/spf_check.c) over the fake DNS: the limits of
 * RFC 7208 4.6.4, hostile records, include/redirect, exp=, identities, cancelling. The
 * whole RFC 7208 test suite runs in test_spf_suite.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailauth/spf.h"
#include "spf_fake_dns.h"
#include "util/buf.h"
#include "util/xmalloc.h"

struct answer {
	int calls;
	enum spf_result result;
	char *exp;
	char *problem;
};

static void
on_result(void *ctx, enum spf_result result, const char *exp, const char *problem)
{
	struct answer *a = ctx;

	a->calls++;
	a->result = result;
	a->exp = exp != NULL ? xstrdup(exp) : NULL;
	a->problem = problem != NULL ? xstrdup(problem) : NULL;
}

/* Adds zone lines; TXT values are given as plain text here and hex-encoded. */
static void
zone(struct spf_fake_dns *fd, const char *name, const char *type, const char *value)
{
	struct buf line = BUF_INIT;
	size_t i;

	buf_printf(&line, "%s %s", name, type);
	if (strcmp(type, "TXT") == 0) {
		buf_appendc(&line, ' ');
		for (i = 0; value[i] != '\0'; i++)
			buf_printf(&line, "%02x", (unsigned char)value[i]);
	} else if (value != NULL) {
		buf_printf(&line, " %s", value);
	}
	assert_int_equal(spf_fake_dns_add(fd, buf_cstr(&line)), 0);
	buf_free(&line);
}

static enum spf_result
run(struct spf_fake_dns *fd, const char *ip, const char *mailfrom, const char *helo,
    struct answer *a)
{
	struct spf_resolver res = spf_fake_dns_resolver(fd);
	struct spf_check_params p = {
		.ip = ip,
		.mailfrom = mailfrom,
		.helo = helo,
		.receiver = "mx.example.net",
		.now = 1000,
		.default_exp = "DEFAULT",
	};

	memset(a, 0, sizeof(*a));
	(void)spf_check_start(&res, &p, on_result, a);
	while (a->calls == 0 && spf_fake_dns_pump(fd))
		;
	assert_int_equal(a->calls, 1);
	assert_int_equal(spf_fake_dns_queued(fd), 0);
	return a->result;
}

static void
answer_free(struct answer *a)
{
	free(a->exp);
	free(a->problem);
	memset(a, 0, sizeof(*a));
}

static enum spf_result
check(struct spf_fake_dns *fd, const char *ip, const char *mailfrom)
{
	struct answer a;
	enum spf_result r = run(fd, ip, mailfrom, "helo.example.org", &a);

	answer_free(&a);
	return r;
}

static void
test_basic_results(void **state)
{
	struct spf_fake_dns *fd = spf_fake_dns_new();
	struct answer a;

	(void)state;
	zone(fd, "example.com", "TXT",
	     "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a:h.example.com "
	     "~ip4:198.51.100.1 ?ip4:198.51.100.2 -all");
	zone(fd, "example.com", "TXT", "some other text");
	zone(fd, "h.example.com", "A", "203.0.113.9");
	assert_int_equal(check(fd, "192.0.2.77", "u@example.com"), SPF_RESULT_PASS);
	assert_int_equal(check(fd, "2001:db8::1", "u@example.com"), SPF_RESULT_PASS);
	/* RFC 7208 5: an IPv4-mapped IPv6 client is an IPv4 client */
	assert_int_equal(check(fd, "::ffff:192.0.2.1", "u@example.com"), SPF_RESULT_PASS);
	assert_int_equal(check(fd, "::ffff:203.0.113.9", "u@example.com"), SPF_RESULT_PASS);
	assert_int_equal(check(fd, "198.51.100.1", "u@example.com"), SPF_RESULT_SOFTFAIL);
	assert_int_equal(check(fd, "198.51.100.2", "u@example.com"), SPF_RESULT_NEUTRAL);
	assert_int_equal(run(fd, "198.51.100.3", "u@example.com", "h", &a), SPF_RESULT_FAIL);
	assert_string_equal(a.exp, "DEFAULT");
	answer_free(&a);
	assert_int_equal(check(fd, "198.51.100.3", "u@nothing.example.com"), SPF_RESULT_NONE);
	/* RFC 7208 4.3: not a domain name: none, without a lookup */
	assert_int_equal(check(fd, "198.51.100.3", "u@localhost"), SPF_RESULT_NONE);
	assert_int_equal(check(fd, "198.51.100.3", "u@[192.0.2.1]"), SPF_RESULT_NONE);
	assert_int_equal(check(fd, "not-an-ip", "u@example.com"), SPF_RESULT_PERMERROR);
	spf_fake_dns_free(&fd);
}

/* RFC 7208 2.3, 4.3: a null MAIL FROM checks postmaster@helo; no local part: postmaster */
static void
test_identities_and_exp(void **state)
{
	struct spf_fake_dns *fd = spf_fake_dns_new();
	struct answer a;

	(void)state;
	zone(fd, "helo.example.org", "TXT", "v=spf1 -all exp=why.example.org");
	zone(fd, "why.example.org", "TXT", "%{l} at %{o} from %{c} (%{h}) seen by %{r}");
	assert_int_equal(run(fd, "192.0.2.1", "", "helo.example.org", &a), SPF_RESULT_FAIL);
	assert_string_equal(a.exp,
			    "postmaster at helo.example.org from 192.0.2.1 (helo.example.org) seen "
			    "by mx.example.net");
	answer_free(&a);
	assert_int_equal(run(fd, "2001:db8::1", "@helo.example.org", "x.example", &a),
			 SPF_RESULT_FAIL);
	assert_string_equal(a.exp,
			    "postmaster at helo.example.org from 2001:db8::1 (x.example) seen by "
			    "mx.example.net");
	answer_free(&a);
	spf_fake_dns_free(&fd);
}

static void
test_include_and_redirect(void **state)
{
	struct spf_fake_dns *fd = spf_fake_dns_new();
	struct answer a;

	(void)state;
	zone(fd, "example.com", "TXT", "v=spf1 include:inc.example.com -all exp=e.example.com");
	zone(fd, "inc.example.com", "TXT",
	     "v=spf1 ip4:192.0.2.1 -ip4:192.0.2.2 ~all exp=x.example.com");
	zone(fd, "e.example.com", "TXT", "outer");
	zone(fd, "x.example.com", "TXT", "inner");
	assert_int_equal(check(fd, "192.0.2.1", "u@example.com"), SPF_RESULT_PASS);
	/* RFC 7208 5.2: an include's fail is no match; 6.2: its exp= is not used */
	assert_int_equal(run(fd, "192.0.2.2", "u@example.com", "h", &a), SPF_RESULT_FAIL);
	assert_string_equal(a.exp, "outer");
	answer_free(&a);
	/* redirect: the target's exp= is used (6.2), a missing record is permerror (6.1) */
	zone(fd, "r.example.com", "TXT", "v=spf1 redirect=inc.example.com exp=e.example.com");
	assert_int_equal(check(fd, "192.0.2.1", "u@r.example.com"), SPF_RESULT_PASS);
	assert_int_equal(run(fd, "192.0.2.2", "u@r.example.com", "h", &a), SPF_RESULT_FAIL);
	assert_string_equal(a.exp, "inner");
	answer_free(&a);
	assert_int_equal(check(fd, "192.0.2.9", "u@r.example.com"), SPF_RESULT_SOFTFAIL);
	zone(fd, "r2.example.com", "TXT", "v=spf1 redirect=none.example.com");
	assert_int_equal(check(fd, "192.0.2.1", "u@r2.example.com"), SPF_RESULT_PERMERROR);
	zone(fd, "i2.example.com", "TXT", "v=spf1 include:none.example.com");
	assert_int_equal(check(fd, "192.0.2.1", "u@i2.example.com"), SPF_RESULT_PERMERROR);
	/* a mechanism that matches wins over redirect= */
	zone(fd, "r3.example.com", "TXT", "v=spf1 redirect=none.example.com ip4:192.0.2.1");
	assert_int_equal(check(fd, "192.0.2.1", "u@r3.example.com"), SPF_RESULT_PASS);
	/* two SPF records: permerror (4.5) */
	zone(fd, "two.example.com", "TXT", "v=spf1 +all");
	zone(fd, "two.example.com", "TXT", "v=spf1 -all");
	assert_int_equal(check(fd, "192.0.2.1", "u@two.example.com"), SPF_RESULT_PERMERROR);
	zone(fd, "tmp.example.com", "TIMEOUT", NULL);
	assert_int_equal(check(fd, "192.0.2.1", "u@tmp.example.com"), SPF_RESULT_TEMPERROR);
	zone(fd, "inctmp.example.com", "TXT", "v=spf1 include:tmp.example.com +all");
	assert_int_equal(check(fd, "192.0.2.1", "u@inctmp.example.com"), SPF_RESULT_TEMPERROR);
	spf_fake_dns_free(&fd);
}

/* Hostile records: permerror, quickly, with a bounded number of lookups. */
static void
test_include_loop(void **state)
{
	struct spf_fake_dns *fd = spf_fake_dns_new();

	(void)state;
	zone(fd, "a.example.com", "TXT", "v=spf1 include:b.example.com -all");
	zone(fd, "b.example.com", "TXT", "v=spf1 include:a.example.com -all");
	zone(fd, "self.example.com", "TXT", "v=spf1 redirect=self.example.com");
	assert_int_equal(check(fd, "192.0.2.1", "u@a.example.com"), SPF_RESULT_PERMERROR);
	assert_true(spf_fake_dns_lookups(fd) <= 1 + SPF_MAX_DNS_MECHS);
	assert_int_equal(check(fd, "192.0.2.1", "u@self.example.com"), SPF_RESULT_PERMERROR);
	spf_fake_dns_free(&fd);
}

static void
test_dns_mechanism_limit(void **state)
{
	struct spf_fake_dns *fd = spf_fake_dns_new();
	struct buf rec = BUF_INIT;
	unsigned before;
	int i;

	(void)state;
	/* 100 mechanisms with lookups; the 11th is a permerror (RFC 7208 4.6.4) */
	buf_appends(&rec, "v=spf1");
	for (i = 0; i < 100; i++) {
		char name[64];
		buf_printf(&rec, " a:h%d.example.com", i);
		snprintf(name, sizeof(name), "h%d.example.com", i);
		zone(fd, name, "A", "203.0.113.1");
	}
	buf_appends(&rec, " +all");
	zone(fd, "many.example.com", "TXT", buf_cstr(&rec));
	before = spf_fake_dns_lookups(fd);
	assert_int_equal(check(fd, "192.0.2.1", "u@many.example.com"), SPF_RESULT_PERMERROR);
	assert_int_equal(spf_fake_dns_lookups(fd) - before, 1 + SPF_MAX_DNS_MECHS);
	/* exactly 10 is fine */
	zone(fd, "ten.example.com", "TXT",
	     "v=spf1 a:h1.example.com a:h2.example.com a:h3.example.com a:h4.example.com "
	     "mx:h5.example.com exists:e6.example.com ptr:h7.example.com a:h8.example.com "
	     "a:h9.example.com include:t.example.com");
	zone(fd, "t.example.com", "TXT", "v=spf1 -all");
	assert_int_equal(check(fd, "192.0.2.1", "u@ten.example.com"), SPF_RESULT_NEUTRAL);
	zone(fd, "eleven.example.com", "TXT",
	     "v=spf1 a:h1.example.com a:h2.example.com a:h3.example.com a:h4.example.com "
	     "mx:h5.example.com exists:e6.example.com ptr:h7.example.com a:h8.example.com "
	     "a:h9.example.com include:t.example.com redirect=t.example.com");
	assert_int_equal(check(fd, "192.0.2.1", "u@eleven.example.com"), SPF_RESULT_PERMERROR);
	/* a 20 KB TXT record: permerror, parsed once */
	buf_reset(&rec);
	buf_appends(&rec, "v=spf1");
	while (rec.len < 20000)
		buf_appends(&rec, " a:x%%{l}y.example.com/24");
	zone(fd, "big.example.com", "TXT", buf_cstr(&rec));
	assert_int_equal(check(fd, "192.0.2.1", "u@big.example.com"), SPF_RESULT_PERMERROR);
	buf_reset(&rec);
	buf_appends(&rec, "v=spf1 ");
	while (rec.len < 20000)
		buf_appends(&rec, "ip4:198.51.100.1 ");
	buf_appends(&rec, "?all");
	zone(fd, "big2.example.com", "TXT", buf_cstr(&rec));
	before = spf_fake_dns_lookups(fd);
	assert_int_equal(check(fd, "192.0.2.1", "u@big2.example.com"), SPF_RESULT_NEUTRAL);
	assert_int_equal(spf_fake_dns_lookups(fd) - before, 1);
	buf_free(&rec);
	spf_fake_dns_free(&fd);
}

static void
test_void_lookup_limit(void **state)
{
	struct spf_fake_dns *fd = spf_fake_dns_new();

	(void)state;
	zone(fd, "v2.example.com", "TXT", "v=spf1 a:n1.example.com mx:n2.example.com ?all");
	zone(fd, "v3.example.com", "TXT",
	     "v=spf1 a:n1.example.com mx:n2.example.com exists:n3.example.com ?all");
	zone(fd, "n2.example.com", "A", "192.0.2.9"); /* exists, no MX: NODATA */
	assert_int_equal(check(fd, "192.0.2.1", "u@v2.example.com"), SPF_RESULT_NEUTRAL);
	assert_int_equal(check(fd, "192.0.2.1", "u@v3.example.com"), SPF_RESULT_PERMERROR);
	spf_fake_dns_free(&fd);
}

static void
test_mx_and_ptr_limits(void **state)
{
	struct spf_fake_dns *fd = spf_fake_dns_new();
	char name[64];
	int i;

	(void)state;
	zone(fd, "mx10.example.com", "TXT", "v=spf1 mx -all");
	zone(fd, "mx11.example.com", "TXT", "v=spf1 mx -all");
	for (i = 0; i < 11; i++) {
		snprintf(name, sizeof(name), "m%d.example.com", i);
		if (i < 10)
			zone(fd, "mx10.example.com", "MX", name);
		zone(fd, "mx11.example.com", "MX", name);
		zone(fd, name, "A", i == 9 ? "192.0.2.1" : "203.0.113.1");
	}
	assert_int_equal(check(fd, "192.0.2.1", "u@mx10.example.com"), SPF_RESULT_PASS);
	/* RFC 7208 4.6.4: more than 10 MX names: permerror */
	assert_int_equal(check(fd, "192.0.2.1", "u@mx11.example.com"), SPF_RESULT_PERMERROR);
	/* PTR: names past the first 10 are ignored */
	zone(fd, "ptr.example.com", "TXT", "v=spf1 ptr -all");
	for (i = 0; i < 11; i++) {
		snprintf(name, sizeof(name), "p%d.%s", i,
			 i == 10 ? "ptr.example.com" : "other.example");
		zone(fd, "1.2.0.192.in-addr.arpa", "PTR", name);
		zone(fd, "2.2.0.192.in-addr.arpa", "PTR", name);
		zone(fd, name, "A", i == 10 ? "192.0.2.1" : "192.0.2.2");
	}
	assert_int_equal(check(fd, "192.0.2.1", "u@ptr.example.com"), SPF_RESULT_FAIL);
	zone(fd, "3.2.0.192.in-addr.arpa", "PTR", "mail.ptr.example.com");
	zone(fd, "mail.ptr.example.com", "A", "192.0.2.3");
	assert_int_equal(check(fd, "192.0.2.3", "u@ptr.example.com"), SPF_RESULT_PASS);
	/* %{p}: the validated name */
	zone(fd, "pm.example.com", "TXT", "v=spf1 -all exp=pe.example.com");
	zone(fd, "pe.example.com", "TXT", "%{p} %{p2}");
	{
		struct answer a;
		assert_int_equal(run(fd, "192.0.2.3", "u@pm.example.com", "h", &a),
				 SPF_RESULT_FAIL);
		assert_string_equal(a.exp, "mail.ptr.example.com example.com");
		answer_free(&a);
		assert_int_equal(run(fd, "192.0.2.99", "u@pm.example.com", "h", &a),
				 SPF_RESULT_FAIL);
		assert_string_equal(a.exp, "unknown unknown");
		answer_free(&a);
	}
	spf_fake_dns_free(&fd);
}

/* Answers that come later, as from the event loop; a check dropped while waiting. */
static void
test_async_and_cancel(void **state)
{
	struct spf_fake_dns *fd = spf_fake_dns_new();
	struct spf_resolver res = spf_fake_dns_resolver(fd);
	struct spf_check_params p = {.ip = "192.0.2.1", .mailfrom = "u@example.com", .helo = "h"};
	struct spf_check *c;
	struct answer a;

	(void)state;
	zone(fd, "example.com", "TXT", "v=spf1 mx a:h.example.com -all");
	zone(fd, "example.com", "MX", "mx.example.com");
	zone(fd, "mx.example.com", "A", "192.0.2.5");
	zone(fd, "h.example.com", "A", "192.0.2.1");
	spf_fake_dns_set_async(fd, true);
	assert_int_equal(check(fd, "192.0.2.1", "u@example.com"), SPF_RESULT_PASS);
	memset(&a, 0, sizeof(a));
	c = spf_check_start(&res, &p, on_result, &a);
	assert_non_null(c);
	assert_true(spf_fake_dns_pump(fd)); /* the TXT record */
	assert_int_equal(a.calls, 0);
	spf_check_cancel(&c);
	assert_null(c);
	while (spf_fake_dns_pump(fd))
		;
	assert_int_equal(a.calls, 0);
	/* done inside the start: NULL */
	spf_fake_dns_set_async(fd, false);
	assert_null(spf_check_start(&res, &p, on_result, &a));
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.result, SPF_RESULT_PASS);
	answer_free(&a);
	spf_fake_dns_free(&fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_results),
		cmocka_unit_test(test_identities_and_exp),
		cmocka_unit_test(test_include_and_redirect),
		cmocka_unit_test(test_include_loop),
		cmocka_unit_test(test_dns_mechanism_limit),
		cmocka_unit_test(test_void_lookup_limit),
		cmocka_unit_test(test_mx_and_ptr_limits),
		cmocka_unit_test(test_async_and_cancel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
