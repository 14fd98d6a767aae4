/* Unit tests of the queue's pure parts: the maildrop format, dot-stuffing, the backoff
 * schedule, MX ordering and null MX detection, and the DSN format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "mail/dsn.h"
#include "queue/queue_client.h"
#include "queue/queue_maildrop.h"
#include "queue/queue_result.h"
#include "util/buf.h"

static void
test_maildrop_roundtrip(void **state)
{
	const char *rcpts[] = {"a@x.test", "b@y.test", NULL};
	struct buf b = BUF_INIT;
	struct queue_maildrop md;
	const char *error;

	queue_maildrop_format(&b, "me@x.test", rcpts);
	buf_appends(&b, "Subject: s\r\n\r\nbody\r\n");
	assert_int_equal(queue_maildrop_parse(b.data, b.len, &md, &error), 0);
	assert_string_equal(md.sender, "me@x.test");
	assert_string_equal(md.rcpts[0], "a@x.test");
	assert_string_equal(md.rcpts[1], "b@y.test");
	assert_null(md.rcpts[2]);
	assert_int_equal(md.msg_len, strlen("Subject: s\r\n\r\nbody\r\n"));
	assert_memory_equal(md.msg, "Subject: s", 10);
	queue_maildrop_clear(&md);
	buf_free(&b);
}

/* the pickup turns every bare CR or LF of an (untrusted) maildrop file into CRLF */
static void
test_maildrop_crlf(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"", ""},
		{"a\r\nb\r\n", "a\r\nb\r\n"},
		{"a\nb\n", "a\r\nb\r\n"},
		{"a\rb", "a\r\nb"},
		{"x\n.\r\nMAIL FROM:<e@vil>\r\n", "x\r\n.\r\nMAIL FROM:<e@vil>\r\n"},
		{"\r\r\n\n\r", "\r\n\r\n\r\n\r\n"},
		{"no end", "no end"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT;
		queue_maildrop_crlf(&b, cases[i].in, strlen(cases[i].in));
		assert_string_equal(buf_cstr(&b), cases[i].out);
		buf_free(&b);
	}
}

static void
test_maildrop_null_sender_and_errors(void **state)
{
	static const char *const bad[] = {
		"",
		"YUBIN-MAILDROP 2\nF a\nR b\n\n",
		"YUBIN-MAILDROP 1\nF a\n\nmsg",        /* no recipients */
		"YUBIN-MAILDROP 1\nR b\n\nmsg",        /* no sender */
		"YUBIN-MAILDROP 1\nF a\nR b\n",        /* truncated */
		"YUBIN-MAILDROP 1\nF a\nR b\x01x\n\n", /* control character */
		"YUBIN-MAILDROP 1\nF a\nX b\n\n",      /* unknown line */
		"YUBIN-MAILDROP 1\nF a\nF b\nR c\n\n", /* two senders */
	};
	struct queue_maildrop md;
	const char *error;
	const char *ok = "YUBIN-MAILDROP 1\nF \nR b@x\n\n";
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(queue_maildrop_parse(bad[i], strlen(bad[i]), &md, &error), -1);
	assert_int_equal(queue_maildrop_parse(ok, strlen(ok), &md, &error), 0);
	assert_string_equal(md.sender, "");
	assert_int_equal(md.msg_len, 0);
	queue_maildrop_clear(&md);
}

static void
test_maildrop_every_prefix_is_safe(void **state)
{
	const char *rcpts[] = {"a@x.test", NULL};
	struct buf b = BUF_INIT;
	struct queue_maildrop md;
	const char *error;
	size_t n;

	queue_maildrop_format(&b, "me@x.test", rcpts);
	/* every truncation of the envelope is an error, never a crash */
	for (n = 0; n < b.len; n++) {
		char *copy = malloc(n + 1);
		memcpy(copy, b.data, n);
		assert_int_equal(queue_maildrop_parse(copy, n, &md, &error), -1);
		free(copy);
	}
	buf_free(&b);
}

static void
test_dot_stuff(void **state)
{
	struct buf b = BUF_INIT;
	const char *in = ".a\r\nb\r\n..c\r\n.\r\nlast";

	queue_client_dot_stuff(&b, in, strlen(in));
	assert_string_equal(buf_cstr(&b), "..a\r\nb\r\n...c\r\n..\r\nlast\r\n.\r\n");
	buf_reset(&b);
	queue_client_dot_stuff(&b, "", 0);
	assert_string_equal(buf_cstr(&b), ".\r\n");
	buf_free(&b);
}

static void
test_backoff(void **state)
{
	assert_int_equal(queue_result_backoff(1, 300, 4000), 300);
	assert_int_equal(queue_result_backoff(2, 300, 4000), 600);
	assert_int_equal(queue_result_backoff(3, 300, 4000), 1200);
	assert_int_equal(queue_result_backoff(4, 300, 4000), 2400);
	assert_int_equal(queue_result_backoff(5, 300, 4000), 4000);
	assert_int_equal(queue_result_backoff(500, 300, 4000), 4000);
	assert_int_equal(queue_result_backoff(1, 5000, 4000), 4000);
}

static void
test_mx_order(void **state)
{
	int round, seen_b_first = 0, seen_c_first = 0;

	for (round = 0; round < 200; round++) {
		struct dns_mx mx[] = {{"d", 30}, {"b", 10}, {"c", 10}, {"a", 5}};
		dns_mx_order(mx, 4);
		assert_string_equal(mx[0].host, "a");
		assert_int_equal(mx[1].pref, 10);
		assert_int_equal(mx[2].pref, 10);
		assert_string_equal(mx[3].host, "d");
		seen_b_first += strcmp(mx[1].host, "b") == 0;
		seen_c_first += strcmp(mx[1].host, "c") == 0;
	}
	/* RFC 5321 5.1: equal preferences in random order (both orders show up) */
	assert_true(seen_b_first > 0 && seen_c_first > 0);
}

static void
test_null_mx(void **state)
{
	struct dns_mx null[] = {{"", 0}};
	struct dns_mx two[] = {{"", 0}, {"mx", 10}};
	struct dns_mx one[] = {{"mx", 0}};

	assert_true(dns_mx_is_null(null, 1));
	assert_false(dns_mx_is_null(two, 2));
	assert_false(dns_mx_is_null(one, 1));
}

static void
test_literal(void **state)
{
	struct sockaddr_storage ss;

	assert_true(dns_parse_literal("[192.0.2.1]", &ss));
	assert_int_equal(ss.ss_family, AF_INET);
	assert_true(dns_parse_literal("[IPv6:2001:db8::1]", &ss));
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_true(dns_parse_literal("127.0.0.1", &ss));
	assert_false(dns_parse_literal("example.test", &ss));
	assert_false(dns_parse_literal("[]", &ss));
}

static void
test_dsn(void **state)
{
	const char *msg = "From: a@x.test\r\nSubject: hello\r\n\r\nsecret body\r\n";
	struct dsn_rcpt rcpts[] = {
		{"bad@y.test", "5.1.1", "mx.y.test[192.0.2.7]:25", "550 5.1.1 no\r\nsuch user"},
		{"gone@z.test", "5.4.4", NULL, "Host or domain name not found"},
	};
	struct dsn_info info = {
		"mx.x.test", "ABCDEF0123456789", "a@x.test", 1000000000, 1000003600, 0,
		msg,         strlen(msg),        rcpts,      2};
	struct buf b = BUF_INIT;
	const char *s;

	dsn_format(&b, &info);
	s = buf_cstr(&b);
	assert_non_null(strstr(s, "From: MAILER-DAEMON@mx.x.test"));
	assert_non_null(strstr(s, "To: <a@x.test>\r\n"));
	assert_non_null(strstr(s, "Auto-Submitted: auto-replied\r\n"));
	assert_non_null(strstr(s, "Content-Type: multipart/report; report-type=delivery-status;"));
	assert_non_null(strstr(s, "Content-Type: message/delivery-status\r\n\r\n"
				  "Reporting-MTA: dns; mx.x.test\r\n"));
	assert_non_null(strstr(s, "Final-Recipient: rfc822; bad@y.test\r\nAction: failed\r\n"
				  "Status: 5.1.1\r\nRemote-MTA: dns; mx.y.test[192.0.2.7]:25\r\n"
				  "Diagnostic-Code: smtp; 550 5.1.1 no  such user\r\n"));
	assert_non_null(strstr(s, "Final-Recipient: rfc822; gone@z.test\r\nAction: failed\r\n"
				  "Status: 5.4.4\r\nDiagnostic-Code: X-Yubin; Host"));
	assert_non_null(strstr(s, "Content-Type: text/rfc822-headers\r\n\r\n"
				  "From: a@x.test\r\nSubject: hello\r\n\r\n"));
	assert_null(strstr(s, "secret body"));
	assert_non_null(strstr(s, "\r\n--ABCDEF0123456789.1000003600/mx.x.test--\r\n"));
	/* every line ends in CRLF */
	for (size_t i = 0; i < b.len; i++)
		if (s[i] == '\n')
			assert_true(i > 0 && s[i - 1] == '\r');
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maildrop_roundtrip),
		cmocka_unit_test(test_maildrop_null_sender_and_errors),
		cmocka_unit_test(test_maildrop_crlf),
		cmocka_unit_test(test_maildrop_every_prefix_is_safe),
		cmocka_unit_test(test_dot_stuff),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_mx_order),
		cmocka_unit_test(test_null_mx),
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_dsn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
