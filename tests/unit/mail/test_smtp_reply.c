/* Unit tests for the SMTP reply parser (RFC 5321 4.2, RFC 2034) and xtext (RFC 3461 4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mail/smtp_reply.h"
#include "mail/xtext.h"

static void
check_reply(const char *in, int code, const char *enhanced, const char *text, size_t consumed)
{
	struct smtp_reply r;
	size_t got, i;

	smtp_reply_init(&r);
	assert_int_equal(smtp_reply_parse(in, strlen(in), &r, &got), 1);
	assert_int_equal(r.code, code);
	assert_string_equal(r.enhanced, enhanced);
	assert_string_equal(buf_cstr(&r.text), text);
	assert_int_equal(got, consumed);
	/* every prefix short of the end needs more */
	for (i = 0; i < consumed; i++)
		assert_int_equal(smtp_reply_parse(in, i, &r, &got), 0);
	smtp_reply_clear(&r);
}

static void
test_reply_single(void **state)
{
	check_reply("220 mx.example.org ESMTP ready\r\n", 220, "", "mx.example.org ESMTP ready",
		    32);
	check_reply("250 2.1.0 Ok\r\n", 250, "2.1.0", "Ok", 14);
	check_reply("354 End data with <CR><LF>.<CR><LF>\r\n", 354, "",
		    "End data with <CR><LF>.<CR><LF>", 37);
	check_reply("550 5.1.1 <x@y>: user unknown\r\nNEXT", 550, "5.1.1", "<x@y>: user unknown",
		    31);
	check_reply("250\r\n", 250, "", "", 5);
	check_reply("250 \r\n", 250, "", "", 6);
	check_reply("250 2.0.0\r\n", 250, "2.0.0", "", 11);
	check_reply("421 4.4.2 timeout\n", 421, "4.4.2", "timeout", 18);
	/* an enhanced code of another class than the reply is text */
	check_reply("250 5.0.0 odd\r\n", 250, "", "5.0.0 odd", 15);
	check_reply("250 2.1000.0 x\r\n", 250, "", "2.1000.0 x", 16);
	check_reply("250 2.1.0x\r\n", 250, "", "2.1.0x", 12);
}

static void
test_reply_multiline(void **state)
{
	const char *ehlo = "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
			   "250-8BITMIME\r\n250 CHUNKING\r\n220 next";

	check_reply(ehlo, 250, "", "mx.example.org\nPIPELINING\nSIZE 10240000\n8BITMIME\nCHUNKING",
		    strlen(ehlo) - 8);
	check_reply("550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 third\r\n", 550, "5.7.1",
		    "first\nsecond\nthird", 52);
	check_reply("250-first\r\n250-\r\n250 last\r\n", 250, "", "first\n\nlast", 27);
	/* a continuation line with a different enhanced code keeps it as text */
	check_reply("451-4.3.0 a\r\n451 4.4.1 b\r\n", 451, "4.3.0", "a\n4.4.1 b", 26);
}

static void
test_reply_bad(void **state)
{
	static const char *const bad[] = {
		"25\r\n",    "2500 x\r\n",         "250x\r\n",  "abc def\r\n", "650 x\r\n",
		"150 x\r\n", "250-a\r\n251 b\r\n", "2a0 x\r\n", "\r\n",        " 250 x\r\n",
	};
	struct smtp_reply r;
	size_t consumed, i;
	char *longline;

	smtp_reply_init(&r);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (smtp_reply_parse(bad[i], strlen(bad[i]), &r, &consumed) != -1)
			fail_msg("\"%s\" parsed", bad[i]);
	}
	assert_int_equal(smtp_reply_parse("250 a\0b\r\n", 9, &r, &consumed), -1);
	longline = malloc(SMTP_REPLY_LINE_MAX + 10);
	memset(longline, 'x', SMTP_REPLY_LINE_MAX + 10);
	memcpy(longline, "250 ", 4);
	assert_int_equal(smtp_reply_parse(longline, SMTP_REPLY_LINE_MAX, &r, &consumed), 0);
	assert_int_equal(smtp_reply_parse(longline, SMTP_REPLY_LINE_MAX + 10, &r, &consumed), -1);
	memcpy(longline + SMTP_REPLY_LINE_MAX + 8, "\r\n", 2);
	assert_int_equal(smtp_reply_parse(longline, SMTP_REPLY_LINE_MAX + 10, &r, &consumed), -1);
	free(longline);
	smtp_reply_clear(&r);
}

static void
test_reply_pipelined(void **state)
{
	const char *in = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n";
	struct smtp_reply r;
	size_t consumed, pos = 0;
	int codes[3], n = 0;

	smtp_reply_init(&r);
	while (n < 3 && smtp_reply_parse(in + pos, strlen(in + pos), &r, &consumed) == 1) {
		codes[n++] = r.code;
		pos += consumed;
	}
	assert_int_equal(n, 3);
	assert_int_equal(codes[0], 250);
	assert_int_equal(codes[2], 354);
	assert_int_equal(pos, strlen(in));
	assert_int_equal(smtp_reply_parse(in + pos, 0, &r, &consumed), 0);
	smtp_reply_clear(&r);
}

static void
test_xtext(void **state)
{
	char *s;

	s = xtext_encode("a+b=c d\x01\xff~!", 11);
	assert_string_equal(s, "a+2Bb+3Dc+20d+01+FF~!");
	free(s);
	s = xtext_decode("a+2Bb+3Dc+20d+01+FF~!");
	assert_memory_equal(s, "a+b=c d\x01\xff~!", 12);
	free(s);
	s = xtext_decode("");
	assert_string_equal(s, "");
	free(s);
	assert_true(xtext_is_valid("user@example.org"));
	assert_false(xtext_is_valid("a+"));
	assert_false(xtext_is_valid("a+2"));
	assert_false(xtext_is_valid("a+2b"));
	assert_null(xtext_decode("a+2b")); /* RFC 3461 4: hexchar digits are upper case */
	assert_null(xtext_decode("a+e9"));
	assert_false(xtext_is_valid("a+G0"));
	assert_false(xtext_is_valid("a=b"));
	assert_false(xtext_is_valid("a b"));
	assert_false(xtext_is_valid("a+00"));
	assert_false(xtext_is_valid("\xc3\xa9"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_single), cmocka_unit_test(test_reply_multiline),
		cmocka_unit_test(test_reply_bad),    cmocka_unit_test(test_reply_pipelined),
		cmocka_unit_test(test_xtext),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
