/* Tests of modified UTF-7 mailbox names (RFC 3501 5.1.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_mutf7.h"
#include "util/buf.h"

static void
check_pair(const char *utf8, const char *mutf7)
{
	struct buf b = BUF_INIT;
	const char *error;

	assert_int_equal(imap_mutf7_encode(utf8, &b, &error), 0);
	assert_string_equal(buf_cstr(&b), mutf7);
	buf_reset(&b);
	assert_int_equal(imap_mutf7_decode(mutf7, &b, &error), 0);
	assert_string_equal(buf_cstr(&b), utf8);
	assert_true(imap_mutf7_is_valid(mutf7));
	buf_free(&b);
}

static void
test_roundtrip(void **state)
{
	check_pair("INBOX", "INBOX");
	check_pair("", "");
	check_pair("a&b", "a&-b");
	check_pair("&", "&-");
	/* RFC 3501 5.1.3 example: ~peter/mail/台北/日本語 */
	check_pair("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
		   "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	check_pair("Entw\xc3\xbc rfe", "Entw&APw- rfe");
	check_pair("\xc3\xa4\xc3\xb6\xc3\xbc", "&AOQA9gD8-");
	/* outside the BMP: a surrogate pair (U+1F600) */
	check_pair("x\xf0\x9f\x98\x80y", "x&2D3eAA-y");
	check_pair("tab\there", "tab&AAk-here");
	check_pair("/", "/");
}

static void
test_invalid_mutf7(void **state)
{
	static const char *const bad[] = {
		"&",          /* unterminated */
		"&AOQ",       /* unterminated */
		"&AGE-",      /* "a" must not be encoded */
		"&AOQ=-",     /* padding */
		"&AOR-",      /* stray non-zero bits */
		"&AOQA-",     /* 6+ leftover bits */
		"&2D3e-",     /* lone high surrogate */
		"&3gA-",      /* lone low surrogate */
		"&AOQ-&APY-", /* two adjacent shifts */
		"a\x01",      /* control character written directly */
		"\xc3\xa4",   /* 8-bit */
		"&AOQ/-",     /* "/" is not modified base64 */
		"&AAA-",      /* NUL */
	};
	struct buf b = BUF_INIT;
	const char *error;

	buf_appends(&b, "keep");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(imap_mutf7_decode(bad[i], &b, &error), -1);
		assert_string_equal(buf_cstr(&b), "keep");
		assert_false(imap_mutf7_is_valid(bad[i]));
	}
	buf_free(&b);
}

static void
test_invalid_utf8(void **state)
{
	static const char *const bad[] = {
		"\xc3",             /* truncated */
		"\xc0\xaf",         /* overlong */
		"\xe0\x80\xaf",     /* overlong */
		"\xed\xa0\x80",     /* surrogate */
		"\xf4\x90\x80\x80", /* past U+10FFFF */
		"\xff",
		"a\x80",
	};
	struct buf b = BUF_INIT;
	const char *error;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(imap_mutf7_encode(bad[i], &b, &error), -1);
		assert_int_equal(b.len, 0);
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_invalid_mutf7),
		cmocka_unit_test(test_invalid_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
