/* Unit tests of randomness and ids (src/util/rand.c): formats, range, uniqueness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/rand.h"
#include "util/strmap.h"

static void
test_bytes(void **state)
{
	unsigned char a[64], b[64];
	unsigned counts[256] = {0};
	unsigned char big[65536];
	size_t i;

	(void)state;
	rand_bytes(a, sizeof(a));
	rand_bytes(b, sizeof(b));
	assert_memory_not_equal(a, b, sizeof(a));
	rand_bytes(a, 0);
	rand_bytes(big, sizeof(big));
	for (i = 0; i < sizeof(big); i++)
		counts[big[i]]++;
	for (i = 0; i < 256; i++) /* expected 256 each; far bounds, not a statistics test */
		assert_true(counts[i] > 128 && counts[i] < 420);
}

static void
test_below(void **state)
{
	unsigned seen[7] = {0};
	unsigned i;

	(void)state;
	for (i = 0; i < 1000; i++)
		assert_int_equal(rand_below(1), 0);
	for (i = 0; i < 7000; i++) {
		uint32_t v = rand_below(7);
		assert_true(v < 7);
		seen[v]++;
	}
	for (i = 0; i < 7; i++)
		assert_true(seen[i] > 700);
	for (i = 0; i < 1000; i++)
		assert_true(rand_below(UINT32_MAX) < UINT32_MAX);
	for (i = 0; i < 1000; i++)
		assert_true(rand_below(0x80000001u) < 0x80000001u);
}

static void
test_queue_id(void **state)
{
	struct strmap *seen = strmap_new();
	char id[17];
	unsigned i, j;

	(void)state;
	/* 200,000 ids in well under a second: 32 random bits per id would collide here
	 * almost surely (birthday bound); the counter never does */
	for (i = 0; i < 200000; i++) {
		memset(id, 'z', sizeof(id));
		rand_queue_id(id);
		assert_int_equal(strlen(id), 16);
		for (j = 0; j < 16; j++)
			assert_non_null(strchr("0123456789ABCDEF", id[j]));
		assert_null(strmap_get(seen, id));
		strmap_set(seen, id, (void *)1);
	}
	strmap_free(&seen);
}

static void
test_hex_guid(void **state)
{
	struct strmap *seen = strmap_new();
	char id[33];
	unsigned i, j;

	(void)state;
	/* 200,000 ids in well under a second: 32 random bits per id would collide here
	 * almost surely (birthday bound); the counter never does */
	for (i = 0; i < 200000; i++) {
		memset(id, 'z', sizeof(id));
		rand_hex_guid(id);
		assert_int_equal(strlen(id), 32);
		for (j = 0; j < 32; j++)
			assert_non_null(strchr("0123456789abcdef", id[j]));
		assert_null(strmap_get(seen, id));
		strmap_set(seen, id, (void *)1);
	}
	strmap_free(&seen);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_below),
		cmocka_unit_test(test_queue_id),
		cmocka_unit_test(test_hex_guid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
