/* Unit tests: RFC 5322 header iteration, unfolding, HEADER.FIELDS filtering, address
 * lists (via the IMAP envelope form) and dates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mail/imap_envelope.h"
#include "mail/rfc5322.h"

static void
test_header_size(void **state)
{
	const char *m1 = "A: b\r\nC: d\r\n\r\nbody";
	const char *m2 = "A: b\nC: d\n\nbody";
	const char *m3 = "A: b\r\nC: d\r\n";
	const char *m4 = "\r\nbody";

	(void)state;
	assert_int_equal(rfc5322_header_size(m1, strlen(m1)), 14);
	assert_int_equal(rfc5322_header_size(m2, strlen(m2)), 11);
	assert_int_equal(rfc5322_header_size(m3, strlen(m3)), strlen(m3));
	assert_int_equal(rfc5322_header_size(m4, strlen(m4)), 2);
	assert_int_equal(rfc5322_header_size("", 0), 0);
}

static void
test_header_iter(void **state)
{
	const char *h =
		"Subject: hello\r\n world\r\nX-Y : z\r\njunk line\r\nTo: a@b\r\n\r\nTo: body";
	struct rfc5322_header_iter it;
	struct rfc5322_field f;
	struct buf b = BUF_INIT;

	(void)state;
	rfc5322_header_iter_init(&it, h, strlen(h));
	assert_true(rfc5322_header_iter_next(&it, &f));
	assert_int_equal(f.name_len, 7);
	assert_memory_equal(f.name, "Subject", 7);
	assert_int_equal(f.raw_len, strlen("Subject: hello\r\n world\r\n"));
	rfc5322_unfold(&b, f.value, f.value_len);
	assert_string_equal(buf_cstr(&b), "hello world");
	assert_true(rfc5322_header_iter_next(&it, &f));
	assert_int_equal(f.name_len, 3); /* "X-Y", WSP before ':' removed */
	assert_true(rfc5322_header_iter_next(&it, &f));
	assert_false(f.has_colon);
	assert_true(rfc5322_header_iter_next(&it, &f));
	assert_memory_equal(f.name, "To", 2);
	assert_false(rfc5322_header_iter_next(&it, &f));
	assert_true(rfc5322_header_find(h, strlen(h), "x-y", &f));
	assert_false(rfc5322_header_find(h, strlen(h), "From", &f));
	buf_free(&b);
}

static void
test_header_filter(void **state)
{
	const char *h = "From: a@b\r\nSubject: s\r\n t\r\nTo: c@d\r\n\r\n";
	const char *names[] = {"subject", "TO"};
	struct buf b = BUF_INIT;

	(void)state;
	rfc5322_header_filter(h, strlen(h), names, 2, false, &b);
	assert_string_equal(buf_cstr(&b), "Subject: s\r\n t\r\nTo: c@d\r\n\r\n");
	buf_reset(&b);
	rfc5322_header_filter(h, strlen(h), names, 2, true, &b);
	assert_string_equal(buf_cstr(&b), "From: a@b\r\n\r\n");
	buf_reset(&b);
	rfc5322_header_filter("X: y", 4, names, 0, true, &b);
	assert_string_equal(buf_cstr(&b), "X: y\r\n\r\n");
	buf_free(&b);
}

static void
check_addrs(const char *value, const char *expect)
{
	struct buf b = BUF_INIT;

	imap_envelope_write_addresses(&b, value, strlen(value));
	assert_string_equal(buf_cstr(&b), expect);
	buf_free(&b);
}

static void
test_addresses(void **state)
{
	(void)state;
	check_addrs("user@domain", "((NIL NIL \"user\" \"domain\"))");
	check_addrs("From Real <fromuser@fromdomain.org>",
		    "((\"From Real\" NIL \"fromuser\" \"fromdomain.org\"))");
	check_addrs("user@domain (Real Name)", "((\"Real Name\" NIL \"user\" \"domain\"))");
	check_addrs("group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;",
		    "((NIL NIL \"group\" NIL)(NIL NIL \"g1\" \"d1.org\")(NIL NIL \"g2\" \"d2.org\")"
		    "(NIL NIL NIL NIL)(NIL NIL \"group2\" NIL)(NIL NIL \"g3\" \"d3.org\")"
		    "(NIL NIL NIL NIL))");
	check_addrs("group:;, group2: (foo) ;",
		    "((NIL NIL \"group\" NIL)(NIL NIL NIL NIL)(NIL NIL \"group2\" NIL)"
		    "(NIL NIL NIL NIL))");
	check_addrs("undisclosed-recipients:;",
		    "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL))");
	check_addrs("<@route:user@domain>", "((NIL \"@route\" \"user\" \"domain\"))");
	check_addrs("<@a,@b:user@domain>", "((NIL \"@a,@b\" \"user\" \"domain\"))");
	check_addrs("\"Doe, John \\\"JD\\\"\" <jd@x.test>, b@y.test",
		    "((\"Doe, John \\\"JD\\\"\" NIL \"jd\" \"x.test\")(NIL NIL \"b\" \"y.test\"))");
	check_addrs("John Q. Public <jqp@x.test>", "((\"John Q. Public\" NIL \"jqp\" \"x.test\"))");
	check_addrs("=?utf-8?q?J=C3=B6rg?= <j@x.test>",
		    "((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x.test\"))");
	check_addrs("\"john doe\"@x.test", "((NIL NIL \"\\\"john doe\\\"\" \"x.test\"))");
	check_addrs("root", "((NIL NIL \"root\" \"\"))");
	check_addrs("", "NIL");
	check_addrs(" , ,, ", "NIL");
	check_addrs("<>", "NIL");
	check_addrs("A <a@x.test, B <b@y.test>",
		    "((\"A\" NIL \"a\" \"x.test\")(\"B\" NIL \"b\" \"y.test\"))");
	check_addrs("a@[127.0.0.1]", "((NIL NIL \"a\" \"[127.0.0.1]\"))");
	check_addrs("J\xc3\xb6rg <j@x.test>", "(({5}\r\nJ\xc3\xb6rg NIL \"j\" \"x.test\"))");
	check_addrs("a@b (c (nested) d)", "((\"c (nested) d\" NIL \"a\" \"b\"))");
	check_addrs("a:b:c@d;", "((NIL NIL \"a\" NIL)(NIL NIL \"b\" \"\")(NIL NIL \"c\" \"d\")"
				"(NIL NIL NIL NIL))");
}

static void
check_date(const char *s, long long t, long tz)
{
	time_t tr = 0;
	long tzr = 0;

	assert_int_equal(rfc5322_date_parse(s, strlen(s), &tr, &tzr), 0);
	assert_int_equal((long long)tr, t);
	assert_int_equal(tzr, tz);
}

static void
check_bad_date(const char *s)
{
	time_t tr;
	long tzr;

	assert_int_equal(rfc5322_date_parse(s, strlen(s), &tr, &tzr), -1);
}

static void
test_dates(void **state)
{
	(void)state;
	/* 2007-02-14T23:02:03Z */
	check_date("Thu, 15 Feb 2007 01:02:03 +0200", 1171494123, 7200);
	check_date("15 Feb 2007 01:02:03 +0200", 1171494123, 7200);
	check_date("Thursday, 15 February 2007 01:02:03 +0200 (EET)", 1171494123, 7200);
	check_date("  Thu,15 Feb 2007 01:02:03 +02:00", 1171494123, 7200);
	check_date("Thu, 15 Feb 07 01:02:03 +0200", 1171494123, 7200);
	check_date("Thu, 15 Feb 107 01:02:03 +0200", 1171494123, 7200);
	check_date("Wed, 14 Feb 2007 18:02:03 EST", 1171494123, -18000);
	check_date("Wed, 14 Feb 2007 23:02:03 GMT", 1171494123, 0);
	check_date("Wed, 14 Feb 2007 23:02:03 UT", 1171494123, 0);
	check_date("Wed, 14 Feb 2007 23:02:03 Z", 1171494123, 0);
	check_date("Wed, 14 Feb 2007 23:02:03 A", 1171494123, 0); /* military: -0000 */
	check_date("Wed, 14 Feb 2007 23:02:03", 1171494123, 0);
	check_date("Wed, 14 Feb 2007 23:02 +0000", 1171494120, 0);
	check_date("14-Feb-2007 23:02:03 -0130", 1171494123 + 5400, -5400);
	check_date("Wed Feb 14 23:02:03 2007", 1171494123, 0);
	check_date("Wed, 29 Feb 2012 00:00:00 +0000", 1330473600, 0);
	check_date("Thu, 1 Jan 1970 00:00:00 +0000", 0, 0);
	check_bad_date("");
	check_bad_date("yesterday");
	check_bad_date("Thu, 30 Feb 2007 01:02:03 +0200");
	check_bad_date("Thu, 15 Foo 2007 01:02:03 +0200");
	check_bad_date("Thu, 15 Feb 2007 25:02:03 +0200");
	check_bad_date("Thu, 15 Feb 2007");
}

/* Where rfc5322_skip_cfws stops in s, as an offset. */
static size_t
cfws_end(const char *s)
{
	return (size_t)(rfc5322_skip_cfws(s, s + strlen(s)) - s);
}

static void
test_cfws(void **state)
{
	static const char sp[] = "  x";

	(void)state;
	assert_int_equal(cfws_end(""), 0);
	assert_int_equal(cfws_end("x"), 0);
	assert_int_equal(cfws_end(" \t\r\n x"), 5);
	assert_int_equal(cfws_end("(comment) x"), 10);
	assert_int_equal(cfws_end("(a (nested) comment)x"), 20);
	assert_int_equal(cfws_end("(a \\) still comment)x"), 20); /* quoted-pair */
	assert_int_equal(cfws_end("(a \\( b)x"), 8);
	assert_int_equal(cfws_end("(unclosed (x) y"), 15); /* runs to the end */
	assert_int_equal(cfws_end("(a\\"), 3);             /* a trailing backslash */
	assert_int_equal(cfws_end(") x"), 0);              /* not a comment */
	assert_int_equal(cfws_end("(a)(b) (c)\r\n\tx"), 13);
	/* the end bound is honoured: nothing past it is read */
	assert_true(rfc5322_skip_cfws(sp, sp + 1) == sp + 1);
}

static void
test_date_format(void **state)
{
	char out[RFC5322_DATE_MAX];

	(void)state;
	rfc5322_date_format(1171494123, 7200, out);
	assert_string_equal(out, "Thu, 15 Feb 2007 01:02:03 +0200");
	rfc5322_date_format(1171494123, -5400, out);
	assert_string_equal(out, "Wed, 14 Feb 2007 21:32:03 -0130");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_size),   cmocka_unit_test(test_header_iter),
		cmocka_unit_test(test_header_filter), cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_dates),         cmocka_unit_test(test_date_format),
		cmocka_unit_test(test_cfws),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
