/* Unit tests: RFC 2047 decoding with charset conversion, and the SEARCH text helpers
 * (transfer decoding, case folding, header and body matching). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mail/charset.h"
#include "mail/mime_text.h"
#include "mail/msg_summary.h"
#include "mail/rfc2047.h"

static void
check_2047(const char *in, const char *want)
{
	struct buf b = BUF_INIT;

	rfc2047_decode(in, strlen(in), &b);
	assert_string_equal(buf_cstr(&b), want);
	buf_free(&b);
}

static void
test_rfc2047(void **state)
{
	(void)state;
	check_2047("plain text", "plain text");
	check_2047("=?utf-8?q?caf=C3=A9?=", "caf\xc3\xa9");
	check_2047("=?UTF-8?Q?a_b?=", "a b");
	check_2047("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", "ab");
	check_2047("=?ISO-8859-1?Q?a?=\r\n =?ISO-8859-1?Q?b?=", "ab");
	check_2047("=?ISO-8859-1?Q?a?= b", "a b");
	check_2047("a =?utf-8?b?w6k=?= b", "a \xc3\xa9 b");
	/* a character split over two words survives */
	check_2047("=?utf-8?b?4oI=?= =?utf-8?b?rA==?=", "\xe2\x82\xac");
	check_2047("=?koi8-r?b?8NLJ18XU?=", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	check_2047("=?iso-2022-jp?b?GyRCJEYkOSRIGyhC?=", "\xe3\x81\xa6\xe3\x81\x99\xe3\x81\xa8");
	check_2047("=?windows-1252?q?=80?=", "\xe2\x82\xac");
	check_2047("=?iso-8859-15?q?=A4?=", "\xe2\x82\xac");
	check_2047("=?utf-8*en?q?hi?=", "hi");
	check_2047("=?x-unknown-cs?q?abc?=", "abc");
	/* malformed words stay as they are */
	check_2047("=?utf-8?x?abc?=", "=?utf-8?x?abc?=");
	check_2047("=?utf-8?q?abc", "=?utf-8?q?abc");
	check_2047("=??q?a?=", "=??q?a?=");
	check_2047("=?utf-8?q?a b?=", "=?utf-8?q?a b?=");
	/* words glued to text are decoded too; different charsets are not merged */
	check_2047("x=?utf-8?q?y?=z", "xyz");
	check_2047("=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?=", "\xc3\xa9\xc3\xa9");
	/* raw 8-bit: kept if UTF-8, else taken as Latin-1 */
	check_2047("caf\xc3\xa9", "caf\xc3\xa9");
	check_2047("caf\xe9", "caf\xc3\xa9");
	check_2047("a\r\n b", "a b");
}

static void
test_charset(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(charset_to_utf8("no-such-charset", "ab\xe9", 3, &b), -1);
	assert_string_equal(buf_cstr(&b), "ab\xc3\xa9");
	buf_reset(&b);
	assert_int_equal(charset_to_utf8("utf-8", "\xed\xa0\x80\xf4\x90\x80\x80", 7, &b), 0);
	assert_int_equal(strchr(buf_cstr(&b), '\xed') == NULL, 1);
	buf_reset(&b);
	/* invalid input in a multi-byte charset: replacement characters, no stop */
	assert_int_equal(charset_to_utf8("shift_jis", "a\x81", 2, &b), 0);
	assert_string_equal(buf_cstr(&b), "a\xef\xbf\xbd");
	buf_free(&b);
}

static void
test_decode_body(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	mime_text_qp_decode("a=3Db=\r\nc=\nd= e=zz", 19, &b);
	assert_string_equal(buf_cstr(&b), "a=bcd= e=zz");
	buf_reset(&b);
	mime_text_decode_body("SGFsbMO2\r\nY2hlbg==\r\n", 20, MIME_ENC_BASE64, "utf-8", &b);
	assert_string_equal(buf_cstr(&b), "Hall\xc3\xb6"
					  "chen");
	buf_reset(&b);
	mime_text_decode_body("caf=E9", 6, MIME_ENC_QP, "iso-8859-1", &b);
	assert_string_equal(buf_cstr(&b), "caf\xc3\xa9");
	buf_free(&b);
}

static void
test_fold_and_match(void **state)
{
	struct mime_text_matcher m;

	(void)state;
	mime_text_matcher_init(&m, "\xc3\xa4\xc3\xb6\xc3\xbc", 6);            /* äöü */
	assert_true(mime_text_match(&m, "X \xc3\x84\xc3\x96\xc3\x9c Y", 10)); /* ÄÖÜ */
	assert_false(mime_text_match(&m, "aou", 3));
	mime_text_matcher_free(&m);
	mime_text_matcher_init(&m, "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", 12);
	assert_true(mime_text_match(&m, "\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2!", 13));
	mime_text_matcher_free(&m);
	mime_text_matcher_init(&m, "\xcf\x83\xce\xbf\xcf\x86", 6); /* σοφ vs ΣΟΦ */
	assert_true(mime_text_match(&m, "\xce\xa3\xce\x9f\xce\xa6", 6));
	mime_text_matcher_free(&m);
	mime_text_matcher_init(&m, "HeLLo", 5);
	assert_true(mime_text_match(&m, "say hello", 9));
	assert_true(mime_text_match_header(&m, "=?utf-8?q?HELLO?=", 17));
	assert_false(mime_text_match_header(&m, "=?utf-8?q?HELL?=", 16));
	mime_text_matcher_free(&m);
	mime_text_matcher_init(&m, "", 0);
	assert_true(mime_text_match(&m, "", 0));
	mime_text_matcher_free(&m);
}

static void
test_fold_invalid_utf8(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	/* RFC 3629 4: overlong forms are not characters; they must not fold to (or match)
	 * the ASCII letter they would spell ("\xc1\x81" and "\xe0\x81\x81" spell 'A') */
	mime_text_fold("\xc1\x81|\xe0\x81\x81", 6, &b);
	assert_int_equal(b.len, 6);
	assert_memory_equal(b.data, "\xc1\x81|\xe0\x81\x81", 6);
	/* surrogates and truncated sequences are kept as they are */
	buf_reset(&b);
	mime_text_fold("\xed\xa0\x80\xc3", 4, &b);
	assert_memory_equal(b.data, "\xed\xa0\x80\xc3", 4);
	/* 4-byte characters pass unchanged, the rest still folds */
	buf_reset(&b);
	mime_text_fold("\xf0\x9f\x98\x80\xc3\x84Z", 7, &b);
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.data, "\xf0\x9f\x98\x80\xc3\xa4z", 7);
	buf_free(&b);
}

static void
test_match_body(void **state)
{
	const char *msg = "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
			  "--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
			  "Content-Transfer-Encoding: base64\r\n\r\nSGFsbMO2Y2hlbg==\r\n"
			  "--b\r\nContent-Type: application/octet-stream\r\n\r\nsecretword\r\n"
			  "--b--\r\n";
	struct msg_summary s;
	struct mime_parts parts;
	struct mime_text_matcher m;

	(void)state;
	msg_summary_build(msg, strlen(msg), &s);
	assert_int_equal(mime_parts_decode(s.parts.data, s.parts.len, &parts), 0);
	mime_text_matcher_init(&m,
			       "L\xc3\x96"
			       "CH",
			       5);
	assert_true(mime_text_match_body(&m, &parts, msg, strlen(msg)));
	mime_text_matcher_free(&m);
	/* attachments are not searched, nor headers */
	mime_text_matcher_init(&m, "secretword", 10);
	assert_false(mime_text_match_body(&m, &parts, msg, strlen(msg)));
	mime_text_matcher_free(&m);
	mime_text_matcher_init(&m, "Subject", 7);
	assert_false(mime_text_match_body(&m, &parts, msg, strlen(msg)));
	mime_text_matcher_free(&m);
	mime_parts_free(&parts);
	msg_summary_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2047),     cmocka_unit_test(test_charset),
		cmocka_unit_test(test_decode_body), cmocka_unit_test(test_fold_and_match),
		cmocka_unit_test(test_match_body),  cmocka_unit_test(test_fold_invalid_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
