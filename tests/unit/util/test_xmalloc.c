/* Unit tests of the allocation wrappers (src/util/xmalloc.c): a size computation that
 * overflows size_t must abort like running out of memory, never wrap to a small block. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/base64.h"
#include "util/buf.h"
#include "util/xmalloc.h"

/* Runs fn in a child and reports whether it died of SIGABRT. */
static bool
aborts(void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(20); /* a wrapping doubling loop never ends: fail, not hang */
		/* the OOM message is expected: keep the test log readable */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(3);
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void
grow_elem_overflow(void)
{
	size_t cap = 0;
	void *p = xgrow(NULL, &cap, SIZE_MAX / 16 + 1, 16); /* want * 16 wraps to 0 */

	free(p);
}

static void
grow_doubling_overflow(void)
{
	/* doubling from 8 passes SIZE_MAX/2: it used to wrap to 0 and loop forever; now the
	 * capacity is want itself, and want * 2 bytes does not fit */
	size_t cap = 8;
	void *p = xmalloc(16);

	p = xgrow(p, &cap, SIZE_MAX / 2 + 2, 2);
	free(p);
}

static void
buf_reserve_overflow(void)
{
	struct buf b = BUF_INIT;

	buf_append(&b, "abc", 3);
	buf_reserve(&b, SIZE_MAX - 2); /* len + extra + 1 wraps to 1 */
	buf_free(&b);
}

static void
strndup_overflow(void)
{
	free(xstrndup("", SIZE_MAX));
}

static void
calloc_overflow(void)
{
	free(xcalloc(SIZE_MAX / 2, 4));
}

static void
base64_overflow(void)
{
	struct buf b = BUF_INIT;

	base64_encode(&b, "", SIZE_MAX - 1); /* (len + 2) / 3 * 4 wraps */
	buf_free(&b);
}

static void
test_overflow_aborts(void **state)
{
	(void)state;
	assert_true(aborts(grow_elem_overflow));
	assert_true(aborts(grow_doubling_overflow));
	assert_true(aborts(buf_reserve_overflow));
	assert_true(aborts(strndup_overflow));
	assert_true(aborts(calloc_overflow));
	assert_true(aborts(base64_overflow));
}

static void
test_size_helpers(void **state)
{
	(void)state;
	assert_int_equal(xsize_mul(0, SIZE_MAX), 0);
	assert_true(xsize_mul(SIZE_MAX / 3, 3) == SIZE_MAX / 3 * 3);
	assert_true(xsize_add(SIZE_MAX - 1, 1) == SIZE_MAX);
	assert_int_equal(xsize_grow(0, 8, 1), 8);
	assert_int_equal(xsize_grow(0, 8, 9), 16);
	assert_int_equal(xsize_grow(16, 8, 16), 16);
	assert_int_equal(xsize_grow(64, 8, 1000), 1024);
	/* past SIZE_MAX / 2 doubling would wrap: exactly want */
	assert_true(xsize_grow(8, 8, SIZE_MAX / 2 + 2) == SIZE_MAX / 2 + 2);
	assert_true(xsize_grow(8, 8, SIZE_MAX) == SIZE_MAX);
}

static void
test_grow_normal(void **state)
{
	size_t cap = 0;
	int *a = NULL;

	(void)state;
	a = xgrow(a, &cap, 1, sizeof(*a));
	assert_int_equal(cap, 8);
	a[0] = 1;
	a = xgrow(a, &cap, 8, sizeof(*a));
	assert_int_equal(cap, 8);
	a = xgrow(a, &cap, 9, sizeof(*a));
	assert_int_equal(cap, 16);
	a[15] = 2;
	assert_int_equal(a[0], 1);
	a = xgrow(a, &cap, 100, sizeof(*a));
	assert_int_equal(cap, 128);
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overflow_aborts),
		cmocka_unit_test(test_size_helpers),
		cmocka_unit_test(test_grow_normal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
