/* Tests of IMAP sequence sets: parsing, "*" resolution, membership and compact output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_seqset.h"
#include "util/buf.h"

/* Parses s, resolves with star, and returns the normalized text. */
static void
check_resolve(const char *s, uint32_t star, const char *want)
{
	struct imap_seqset in, out;
	struct buf b = BUF_INIT;
	const char *error;

	imap_seqset_init(&in);
	imap_seqset_init(&out);
	assert_int_equal(imap_seqset_parse(&in, s, false, &error), 0);
	imap_seqset_resolve(&in, star, &out);
	imap_seqset_write(&b, &out);
	assert_string_equal(buf_cstr(&b), want);
	buf_free(&b);
	imap_seqset_free(&in);
	imap_seqset_free(&out);
}

static void
test_parse_valid(void **state)
{
	check_resolve("1", 10, "1");
	check_resolve("1:*", 10, "1:10");
	check_resolve("*", 10, "10");
	check_resolve("*:1", 10, "1:10");
	check_resolve("5:3", 10, "3:5");
	check_resolve("1,3:5", 10, "1,3:5");
	check_resolve("3:5,1,2", 10, "1:5");
	check_resolve("7,1:3,2:4,9", 10, "1:4,7,9");
	/* RFC 3501 6.4.8: 559:* includes the last UID even when it is lower */
	check_resolve("559:*", 400, "400:559");
	check_resolve("4294967295", 1, "4294967295");
	check_resolve("1:4294967295,5", 1, "1:4294967295");
	check_resolve("*", 0, "0");
}

static void
test_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"",    "0",          "01", "1:",  ":1", "1,",  ",1", "1:2:3", "a",
		"1 2", "4294967296", "$",  "1,$", "**", "1:0", "-1", "1;2",
	};
	struct imap_seqset set;
	const char *error;

	imap_seqset_init(&set);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(imap_seqset_parse(&set, bad[i], false, &error), -1);
		assert_false(imap_seqset_is_valid(bad[i], false));
	}
	assert_int_equal(imap_seqset_parse(&set, "$", true, &error), 0);
	assert_true(set.saved);
	assert_int_equal(imap_seqset_parse(&set, "1,$", true, &error), -1);
	imap_seqset_free(&set);
}

static void
test_contains(void **state)
{
	struct imap_seqset in, set;
	const char *error;

	imap_seqset_init(&in);
	imap_seqset_init(&set);
	assert_int_equal(imap_seqset_parse(&in, "2:4,10,20:*", false, &error), 0);
	imap_seqset_resolve(&in, 25, &set);
	assert_false(imap_seqset_contains(&set, 1));
	assert_true(imap_seqset_contains(&set, 2));
	assert_true(imap_seqset_contains(&set, 4));
	assert_false(imap_seqset_contains(&set, 5));
	assert_true(imap_seqset_contains(&set, 10));
	assert_true(imap_seqset_contains(&set, 25));
	assert_false(imap_seqset_contains(&set, 26));
	assert_int_equal(imap_seqset_min(&set), 2);
	assert_int_equal(imap_seqset_max(&set), 25);
	assert_int_equal(imap_seqset_count(&set), 3 + 1 + 6);
	imap_seqset_free(&in);
	imap_seqset_free(&set);
}

static void
test_write_list(void **state)
{
	const uint32_t a[] = {1, 2, 3, 7, 5, 6, 4294967295u};
	const uint32_t b[] = {9};
	struct buf out = BUF_INIT;

	imap_seqset_write_list(&out, a, 7);
	assert_string_equal(buf_cstr(&out), "1:3,7,5:6,4294967295");
	buf_reset(&out);
	imap_seqset_write_list(&out, b, 1);
	assert_string_equal(buf_cstr(&out), "9");
	buf_reset(&out);
	imap_seqset_write_list(&out, b, 0);
	assert_string_equal(buf_cstr(&out), "");
	buf_free(&out);
}

static void
test_build(void **state)
{
	struct imap_seqset set;
	struct buf out = BUF_INIT;

	imap_seqset_init(&set);
	for (uint32_t i = 100; i > 0; i--) {
		if (i % 10 != 0)
			imap_seqset_add(&set, i, i);
	}
	imap_seqset_add(&set, UINT32_MAX, UINT32_MAX - 1);
	imap_seqset_normalize(&set);
	imap_seqset_write(&out, &set);
	assert_string_equal(buf_cstr(&out), "1:9,11:19,21:29,31:39,41:49,51:59,61:69,71:79,"
					    "81:89,91:99,4294967294:4294967295");
	buf_free(&out);
	imap_seqset_free(&set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid), cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_contains),    cmocka_unit_test(test_write_list),
		cmocka_unit_test(test_build),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
