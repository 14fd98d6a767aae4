/* Unit tests of the shared UTF-8 decoder and encoder (src/util/utf8.c): every boundary of
 * RFC 3629 4's UTF8-2/3/4 rules, truncation, NUL, and encode/decode round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/utf8.h"

/* Length utf8_decode gives the whole of s (which must be one sequence or invalid). */
static size_t
dec(const char *s, uint32_t *cp_r)
{
	return utf8_decode(s, strlen(s), cp_r);
}

static void
test_valid_boundaries(void **state)
{
	static const struct {
		const char *s;
		size_t n;
		uint32_t cp;
	} ok[] = {
		{"A", 1, 0x41},
		{"\x7f", 1, 0x7f},
		{"\xc2\x80", 2, 0x80},             /* smallest 2-byte */
		{"\xdf\xbf", 2, 0x7ff},            /* largest 2-byte */
		{"\xe0\xa0\x80", 3, 0x800},        /* smallest 3-byte */
		{"\xed\x9f\xbf", 3, 0xd7ff},       /* just below the surrogates */
		{"\xee\x80\x80", 3, 0xe000},       /* just above them */
		{"\xef\xbf\xbf", 3, 0xffff},       /* largest 3-byte */
		{"\xf0\x90\x80\x80", 4, 0x10000},  /* smallest 4-byte */
		{"\xf4\x8f\xbf\xbf", 4, 0x10ffff}, /* U+10FFFF */
		{"\xe2\x82\xac", 3, 0x20ac},       /* euro sign */
		{"\xf0\x9f\x98\x80", 4, 0x1f600},
	};
	uint32_t cp;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cp = 0xdeadbeef;
		assert_int_equal(dec(ok[i].s, &cp), ok[i].n);
		assert_int_equal(cp, ok[i].cp);
		assert_int_equal(dec(ok[i].s, NULL), ok[i].n);
	}
	assert_int_equal(utf8_decode("", 1, &cp), 1); /* NUL is ASCII */
	assert_int_equal(cp, 0);
}

static void
test_invalid(void **state)
{
	static const char *const bad[] = {
		"\x80", /* lone continuation */
		"\xbf",
		"\xc0\x80",         /* overlong NUL */
		"\xc1\xbf",         /* overlong 2-byte */
		"\xe0\x80\x80",     /* overlong 3-byte */
		"\xe0\x9f\xbf",     /* overlong U+07FF */
		"\xed\xa0\x80",     /* U+D800 surrogate */
		"\xed\xbf\xbf",     /* U+DFFF surrogate */
		"\xf0\x80\x80\x80", /* overlong 4-byte */
		"\xf0\x8f\xbf\xbf", /* overlong U+FFFF */
		"\xf4\x90\x80\x80", /* U+110000 */
		"\xf5\x80\x80\x80", /* F5..FF never appear */
		"\xf8\x88\x80\x80\x80",
		"\xff",
		"\xc2\x41", /* continuation expected */
		"\xe2\x82\x41",
		"\xf0\x9f\x98\xc0",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dec(bad[i], NULL), 0);
}

static void
test_truncated(void **state)
{
	(void)state;
	/* the buffer ends inside the sequence: the bytes after it are not looked at */
	assert_int_equal(utf8_decode("\xe2\x82\xac", 2, NULL), 0);
	assert_int_equal(utf8_decode("\xf0\x9f\x98\x80", 3, NULL), 0);
	assert_int_equal(utf8_decode("\xc3\xa9", 1, NULL), 0);
	/* a NUL ends it too, so NUL-terminated callers can pass SIZE_MAX */
	assert_int_equal(utf8_decode("\xe2\x82", SIZE_MAX, NULL), 0);
	assert_int_equal(utf8_decode("\xc3\xa9", SIZE_MAX, NULL), 2);
}

static void
test_valid_string(void **state)
{
	(void)state;
	assert_true(utf8_valid("", 0));
	assert_true(utf8_valid("plain ascii", 11));
	assert_true(utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
	assert_true(utf8_valid("a\0b", 3));
	assert_false(utf8_valid("caf\xc3", 4));
	assert_false(utf8_valid("\xed\xa0\x80", 3));
	assert_false(utf8_valid("ok\xc0\xafok", 6));
}

static void
test_encode_round_trip(void **state)
{
	static const uint32_t cps[] = {0,      0x41,   0x7f,   0x80,   0x7ff,   0x800,
				       0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x10ffff};
	struct buf b = BUF_INIT;
	uint32_t cp;

	(void)state;
	for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
		buf_reset(&b);
		utf8_encode(&b, cps[i]);
		assert_int_equal(b.len, cps[i] < 0x80      ? 1
					: cps[i] < 0x800   ? 2
					: cps[i] < 0x10000 ? 3
							   : 4);
		assert_int_equal(utf8_decode(b.data, b.len, &cp), b.len);
		assert_int_equal(cp, cps[i]);
	}
	buf_reset(&b);
	utf8_encode(&b, 0xe9);
	assert_memory_equal(b.data, "\xc3\xa9", 2);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_boundaries),  cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_truncated),         cmocka_unit_test(test_valid_string),
		cmocka_unit_test(test_encode_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
