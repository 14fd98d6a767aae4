/* Unit tests of strmap (src/util/strmap.c), above all deletion with backward shift:
 * long runs of random inserts/updates/removes are checked against a plain array. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/strmap.h"

#define REF_KEYS 600

/* The reference: value[k] for key "k<k>", 0 = absent. */
struct ref {
	uintptr_t value[REF_KEYS];
	size_t count;
};

static void
key_name(char *out, size_t size, unsigned k)
{
	snprintf(out, size, "10.0.%u.%u", k / 256, k % 256);
}

static void
foreach_check(const char *key, void *value, void *ctx)
{
	struct ref *ref = ctx;
	unsigned a, b;

	assert_int_equal(sscanf(key, "10.0.%u.%u", &a, &b), 2);
	assert_true(a * 256 + b < REF_KEYS);
	assert_true(ref->value[a * 256 + b] == (uintptr_t)value);
	ref->value[a * 256 + b] |= (uintptr_t)1 << 40; /* mark as seen once */
}

static void
check_all(struct strmap *map, struct ref *ref)
{
	char key[32];
	unsigned k;
	size_t seen = 0;

	assert_int_equal(strmap_count(map), ref->count);
	for (k = 0; k < REF_KEYS; k++) {
		key_name(key, sizeof(key), k);
		assert_true((uintptr_t)strmap_get(map, key) == ref->value[k]);
	}
	strmap_foreach(map, foreach_check, ref);
	for (k = 0; k < REF_KEYS; k++) {
		if (ref->value[k] & ((uintptr_t)1 << 40)) {
			ref->value[k] &= ~((uintptr_t)1 << 40);
			seen++;
		}
	}
	assert_int_equal(seen, ref->count);
}

static void
test_basic(void **state)
{
	struct strmap *map = strmap_new();
	int a, b;

	(void)state;
	assert_null(strmap_get(map, "x"));
	assert_int_equal(strmap_count(map), 0);
	strmap_set(map, "x", &a);
	strmap_set(map, "", &b); /* the empty key is a key */
	assert_ptr_equal(strmap_get(map, "x"), &a);
	assert_ptr_equal(strmap_get(map, ""), &b);
	assert_int_equal(strmap_count(map), 2);
	strmap_set(map, "x", &b);
	assert_ptr_equal(strmap_get(map, "x"), &b);
	assert_int_equal(strmap_count(map), 2);
	strmap_set(map, "absent", NULL);
	assert_int_equal(strmap_count(map), 2);
	strmap_set(map, "x", NULL);
	assert_null(strmap_get(map, "x"));
	assert_int_equal(strmap_count(map), 1);
	strmap_free(&map);
	assert_null(map);
	strmap_free(&map);
}

static void
test_key_copied(void **state)
{
	struct strmap *map = strmap_new();
	char key[8] = "abc";
	int a;

	(void)state;
	strmap_set(map, key, &a);
	strcpy(key, "zzz");
	assert_ptr_equal(strmap_get(map, "abc"), &a);
	assert_null(strmap_get(map, "zzz"));
	strmap_free(&map);
}

/* Random churn compared with the reference after every step (cheap checks) and in
 * full every so often; the key space makes the table grow, collide and wrap. */
static void
churn(unsigned seed, unsigned steps, unsigned keys, unsigned remove_pct)
{
	struct strmap *map = strmap_new();
	struct ref *ref = calloc(1, sizeof(*ref));
	char key[32];
	unsigned i;

	srand(seed);
	for (i = 0; i < steps; i++) {
		unsigned k = (unsigned)rand() % keys;
		uintptr_t v = 0;

		if ((unsigned)rand() % 100 >= remove_pct)
			v = (uintptr_t)(rand() % 1000 + 1);
		key_name(key, sizeof(key), k);
		strmap_set(map, key, (void *)v);
		if (ref->value[k] != 0 && v == 0)
			ref->count--;
		else if (ref->value[k] == 0 && v != 0)
			ref->count++;
		ref->value[k] = v;
		assert_true((uintptr_t)strmap_get(map, key) == v);
		assert_int_equal(strmap_count(map), ref->count);
		if (i % 97 == 0)
			check_all(map, ref);
	}
	check_all(map, ref);
	/* remove everything, in a different order than inserted */
	for (i = 0; i < keys; i++) {
		unsigned k = (i * 7919u) % keys;

		key_name(key, sizeof(key), k);
		strmap_set(map, key, NULL);
		if (ref->value[k] != 0)
			ref->count--;
		ref->value[k] = 0;
		if (i % 13 == 0)
			check_all(map, ref);
	}
	check_all(map, ref);
	assert_int_equal(strmap_count(map), 0);
	free(ref);
	strmap_free(&map);
}

static void
test_churn_balanced(void **state)
{
	(void)state;
	churn(1, 40000, REF_KEYS, 50);
}

static void
test_churn_mostly_insert(void **state)
{
	(void)state;
	churn(2, 40000, REF_KEYS, 20);
}

static void
test_churn_mostly_remove(void **state)
{
	(void)state;
	churn(3, 40000, REF_KEYS, 70);
}

static void
test_churn_small_table(void **state)
{
	unsigned seed;

	(void)state;
	/* few keys: the table stays at 16 slots where clusters wrap past the end */
	for (seed = 10; seed < 60; seed++)
		churn(seed, 3000, 12, 45);
}

/* Connect/disconnect churn as conn_limits does it: the table must not grow without
 * bound when the number of live keys stays small. */
static void
test_churn_many_distinct_keys(void **state)
{
	struct strmap *map = strmap_new();
	char key[32];
	unsigned i;

	(void)state;
	for (i = 0; i < 200000; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		strmap_set(map, key, (void *)(uintptr_t)1);
		if (i >= 5) {
			snprintf(key, sizeof(key), "k%u", i - 5);
			strmap_set(map, key, NULL);
			assert_null(strmap_get(map, key));
		}
		assert_true(strmap_count(map) <= 5 + 1);
	}
	for (i = 200000 - 5; i < 200000; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		assert_non_null(strmap_get(map, key));
	}
	strmap_free(&map);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_key_copied),
		cmocka_unit_test(test_churn_balanced),
		cmocka_unit_test(test_churn_mostly_insert),
		cmocka_unit_test(test_churn_mostly_remove),
		cmocka_unit_test(test_churn_small_table),
		cmocka_unit_test(test_churn_many_distinct_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
