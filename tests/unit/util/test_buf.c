/* Unit tests of struct buf (src/util/buf.c): growth, NUL termination, printf,
 * consume/truncate and steal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/buf.h"

static void
test_empty(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_string_equal(buf_cstr(&b), "");
	buf_reset(&b);
	buf_truncate(&b, 0);
	buf_consume(&b, 10);
	assert_int_equal(b.len, 0);
	buf_reserve(&b, 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.cap, 0);
}

static void
test_append_grows(void **state)
{
	struct buf b;
	char expect[10001];
	int i;

	(void)state;
	buf_init(&b);
	for (i = 0; i < 10000; i++) {
		buf_appendc(&b, (char)('a' + i % 26));
		expect[i] = (char)('a' + i % 26);
		assert_true(b.cap > b.len);
		assert_int_equal(b.data[b.len], '\0');
	}
	expect[10000] = '\0';
	assert_int_equal(b.len, 10000);
	assert_string_equal(buf_cstr(&b), expect);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_append(&b, "x\0y", 3);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "x\0y", 4);
	buf_append(&b, NULL, 0);
	assert_int_equal(b.len, 3);
	buf_appends(&b, "zz");
	assert_memory_equal(b.data, "x\0yzz", 6);
	buf_free(&b);
}

static void
test_printf(void **state)
{
	struct buf b = BUF_INIT;
	char big[5000];
	size_t i;

	(void)state;
	buf_printf(&b, "%d-%s", 42, "x");
	assert_string_equal(buf_cstr(&b), "42-x");
	/* longer than the first guess: the second vsnprintf path */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_printf(&b, "[%s]", big);
	assert_int_equal(b.len, 4 + 2 + sizeof(big) - 1);
	assert_int_equal(b.data[4], '[');
	for (i = 5; i < b.len - 1; i++)
		assert_int_equal(b.data[i], 'q');
	assert_int_equal(b.data[b.len - 1], ']');
	assert_int_equal(b.data[b.len], '\0');
	buf_printf(&b, "%s", "");
	assert_int_equal(b.len, 4 + 2 + sizeof(big) - 1);
	buf_free(&b);

	/* exactly filling the remaining room, for every offset */
	for (i = 0; i < 200; i++) {
		struct buf c = BUF_INIT;
		size_t j;

		for (j = 0; j < i; j++)
			buf_appendc(&c, 'a');
		buf_printf(&c, "%0*d", 60, 7);
		assert_int_equal(c.len, i + 60);
		assert_int_equal(c.data[c.len - 1], '7');
		assert_int_equal(c.data[c.len], '\0');
		buf_free(&c);
	}
}

static void
test_consume_truncate(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_appends(&b, "hello world");
	buf_consume(&b, 6);
	assert_string_equal(buf_cstr(&b), "world");
	assert_int_equal(b.len, 5);
	buf_consume(&b, 0);
	assert_string_equal(buf_cstr(&b), "world");
	buf_truncate(&b, 10); /* longer: no change */
	assert_string_equal(buf_cstr(&b), "world");
	buf_truncate(&b, 3);
	assert_string_equal(buf_cstr(&b), "wor");
	buf_consume(&b, 3);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_appends(&b, "abc");
	buf_consume(&b, 100);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

static void
test_steal(void **state)
{
	struct buf b = BUF_INIT;
	char *s;

	(void)state;
	s = buf_steal(&b);
	assert_string_equal(s, "");
	free(s);
	buf_appends(&b, "mine");
	s = buf_steal(&b);
	assert_string_equal(s, "mine");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	free(s);
	buf_appends(&b, "again"); /* usable after a steal */
	assert_string_equal(buf_cstr(&b), "again");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),  cmocka_unit_test(test_append_grows),
		cmocka_unit_test(test_printf), cmocka_unit_test(test_consume_truncate),
		cmocka_unit_test(test_steal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
