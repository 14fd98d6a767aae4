/* Tests of imap_context_diff(): what CONTEXT=SEARCH/SORT updates report (RFC 5267 4.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_context.h"
#include "util/buf.h"

/* "-a,b +c,d": the UIDs removed (old order) and added (new order) */
static void
check(const uint32_t *old, size_t n_old, const uint32_t *fresh, size_t n_new, bool sorted,
      const char *want)
{
	bool removed[64], added[64];
	struct buf out = BUF_INIT;
	bool first = true;

	imap_context_diff(old, n_old, fresh, n_new, sorted, removed, added);
	buf_appendc(&out, '-');
	for (size_t i = 0; i < n_old; i++) {
		if (removed[i]) {
			buf_printf(&out, "%s%u", first ? "" : ",", old[i]);
			first = false;
		}
	}
	buf_appends(&out, " +");
	first = true;
	for (size_t j = 0; j < n_new; j++) {
		if (added[j]) {
			buf_printf(&out, "%s%u", first ? "" : ",", fresh[j]);
			first = false;
		}
	}
	assert_string_equal(buf_cstr(&out), want);
	buf_free(&out);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void
test_membership(void **state)
{
	static const uint32_t a[] = {1, 2, 4}, b[] = {1, 3, 4, 5}, none[] = {0};

	check(a, N(a), b, N(b), false, "-2 +3,5");
	check(a, N(a), a, N(a), false, "- +");
	check(none, 0, a, N(a), false, "- +1,2,4");
	check(a, N(a), none, 0, true, "-1,2,4 +");
	check(none, 0, none, 0, true, "- +");
}

static void
test_sorted_moves(void **state)
{
	/* 9 moved from the end to the front: one message out and in again */
	static const uint32_t o1[] = {5, 7, 8, 9}, n1[] = {9, 5, 7, 8};
	/* reversed: all but one move */
	static const uint32_t o2[] = {1, 2, 3, 4}, n2[] = {4, 3, 2, 1};
	/* a move, a removal and an addition at once */
	static const uint32_t o3[] = {1, 2, 3, 4, 5}, n3[] = {2, 6, 1, 3, 5};

	check(o1, N(o1), n1, N(n1), true, "-9 +9");
	check(o1, N(o1), n1, N(n1), false, "- +"); /* a SEARCH result has no order */
	check(o2, N(o2), n2, N(n2), true, "-2,3,4 +4,3,2");
	check(o3, N(o3), n3, N(n3), true, "-2,4 +2,6");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_membership),
		cmocka_unit_test(test_sorted_moves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
