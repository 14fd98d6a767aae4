/* Unit tests of the string helpers (src/util/str.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/str.h"

static void
test_case(void **state)
{
	char s[] = "MiXeD-123\xc3\x89";

	(void)state;
	assert_int_equal(str_casecmp("HELO", "helo"), 0);
	assert_true(str_casecmp("a", "b") < 0);
	assert_true(str_casecmp("b", "A") > 0);
	assert_true(str_casecmp("ab", "a") > 0);
	assert_true(str_casecmp("a", "ab") < 0);
	assert_int_equal(str_casecmp("", ""), 0);
	/* bytes >= 0x80 are not folded and compare as unsigned */
	assert_true(str_casecmp("\xc3\xa9", "\xc3\x89") != 0);
	assert_true(str_casecmp("\xff", "a") > 0);
	assert_int_equal(str_ncasecmp("MAIL FROM:", "mail from:<x>", 10), 0);
	assert_true(str_ncasecmp("MAIL", "mail from", 9) < 0);
	assert_int_equal(str_ncasecmp("abc", "abd", 2), 0);
	assert_int_equal(str_ncasecmp("abc", "xyz", 0), 0);
	assert_true(str_casepfx("STARTTLS now", "starttls"));
	assert_false(str_casepfx("STARTTL", "starttls"));
	assert_true(str_casepfx("x", ""));
	str_lower(s);
	assert_string_equal(s, "mixed-123\xc3\x89");
	str_upper(s);
	assert_string_equal(s, "MIXED-123\xc3\x89");
}

static void
test_trim(void **state)
{
	char a[] = "  \t hello world \r\n";
	char b[] = "   ";
	char c[] = "";
	char d[] = "x";

	(void)state;
	assert_ptr_equal(str_trim(a), a);
	assert_string_equal(a, "hello world");
	assert_string_equal(str_trim(b), "");
	assert_string_equal(str_trim(c), "");
	assert_string_equal(str_trim(d), "x");
}

static void
test_casefind(void **state)
{
	(void)state;
	assert_int_equal(mem_casefind("Content-Type: x", 15, "TYPE", 4), 8);
	assert_int_equal(mem_casefind("abc", 3, "", 0), 0);
	assert_int_equal(mem_casefind("abc", 3, "abcd", 4), -1);
	assert_int_equal(mem_casefind("abc", 3, "ABC", 3), 0);
	assert_int_equal(mem_casefind("aaab", 4, "AB", 2), 2);
	/* the length bounds the search, not a NUL */
	assert_int_equal(mem_casefind("a\0bc", 4, "BC", 2), 2);
	assert_int_equal(mem_casefind("abcx", 3, "cx", 2), -1);
}

static void
test_to_u64(void **state)
{
	unsigned long long v = 7;

	(void)state;
	assert_int_equal(str_to_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(str_to_u64("26214400", &v), 0);
	assert_int_equal(v, 26214400ULL);
	assert_int_equal(str_to_u64("18446744073709551615", &v), 0);
	assert_true(v == 18446744073709551615ULL);
	v = 7;
	assert_int_equal(str_to_u64("18446744073709551616", &v), -1);
	assert_int_equal(str_to_u64("99999999999999999999", &v), -1);
	assert_int_equal(str_to_u64("", &v), -1);
	assert_int_equal(str_to_u64("-1", &v), -1);
	assert_int_equal(str_to_u64("+1", &v), -1);
	assert_int_equal(str_to_u64(" 1", &v), -1);
	assert_int_equal(str_to_u64("1 ", &v), -1);
	assert_int_equal(str_to_u64("12a", &v), -1);
	assert_true(v == 7); /* untouched on error */
}

static void
test_split(void **state)
{
	char **arr;

	(void)state;
	arr = str_split(" a.test, b.test ,,  ,c ", ',');
	assert_int_equal(str_array_len(arr), 3);
	assert_string_equal(arr[0], "a.test");
	assert_string_equal(arr[1], "b.test");
	assert_string_equal(arr[2], "c");
	assert_null(arr[3]);
	str_array_free(&arr);
	assert_null(arr);
	str_array_free(&arr);
	arr = str_split("", ',');
	assert_non_null(arr);
	assert_int_equal(str_array_len(arr), 0);
	str_array_free(&arr);
	arr = str_split("single", ',');
	assert_int_equal(str_array_len(arr), 1);
	assert_string_equal(arr[0], "single");
	str_array_free(&arr);
	assert_int_equal(str_array_len(NULL), 0);
}

static void
test_lcpy(void **state)
{
	char dst[5];

	(void)state;
	assert_int_equal(str_lcpy(dst, "abc", sizeof(dst)), 3);
	assert_string_equal(dst, "abc");
	assert_int_equal(str_lcpy(dst, "abcdefgh", sizeof(dst)), 8);
	assert_string_equal(dst, "abcd");
	assert_int_equal(str_lcpy(dst, "abcd", sizeof(dst)), 4);
	assert_string_equal(dst, "abcd");
	assert_int_equal(str_lcpy(dst, "xyz", 1), 3);
	assert_string_equal(dst, "");
}

static void
test_is_ascii(void **state)
{
	(void)state;
	assert_true(str_is_ascii(""));
	assert_true(str_is_ascii("a@b"));
	assert_true(str_is_ascii("\x7f\x01 ~"));
	assert_false(str_is_ascii("\xc3\xa9@b"));
	assert_false(str_is_ascii("abc\x80"));
	assert_false(str_is_ascii("\xff"));
}

static void
test_hexval(void **state)
{
	static const char digits[] = "0123456789abcdef";

	(void)state;
	for (int i = 0; i < 16; i++) {
		assert_int_equal(str_hexval(digits[i]), i);
		assert_int_equal(str_hexval((char)(digits[i] >= 'a' ? digits[i] - 32 : digits[i])),
				 i);
	}
	/* the neighbours of each range, and the bytes that alias them under | 0x20 */
	assert_int_equal(str_hexval('/'), -1);
	assert_int_equal(str_hexval(':'), -1);
	assert_int_equal(str_hexval('@'), -1);
	assert_int_equal(str_hexval('G'), -1);
	assert_int_equal(str_hexval('`'), -1);
	assert_int_equal(str_hexval('g'), -1);
	assert_int_equal(str_hexval('\0'), -1);
	assert_int_equal(str_hexval(' '), -1);
	assert_int_equal(str_hexval('\x10'), -1); /* '0' & ~0x20 */
	assert_int_equal(str_hexval((char)0xc1), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case),     cmocka_unit_test(test_trim),
		cmocka_unit_test(test_casefind), cmocka_unit_test(test_to_u64),
		cmocka_unit_test(test_split),    cmocka_unit_test(test_lcpy),
		cmocka_unit_test(test_is_ascii), cmocka_unit_test(test_hexval),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
