/* Unit tests of the Gregorian calendar helpers (src/util/calendar.c): leap rules, month
 * lengths and day numbers around the epoch, leap days, centuries and the far ends of the
 * year range the date parsers accept (1..9999). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "util/calendar.h"

static void
test_leap(void **state)
{
	(void)state;
	assert_true(calendar_is_leap(2024));
	assert_false(calendar_is_leap(2023));
	assert_false(calendar_is_leap(1900)); /* century */
	assert_true(calendar_is_leap(2000));  /* divisible by 400 */
	assert_false(calendar_is_leap(2100));
	assert_true(calendar_is_leap(0));
	assert_true(calendar_is_leap(-4));
}

static void
test_days_in_month(void **state)
{
	(void)state;
	assert_int_equal(calendar_days_in_month(2023, 1), 31);
	assert_int_equal(calendar_days_in_month(2023, 2), 28);
	assert_int_equal(calendar_days_in_month(2024, 2), 29);
	assert_int_equal(calendar_days_in_month(1900, 2), 28);
	assert_int_equal(calendar_days_in_month(2000, 2), 29);
	assert_int_equal(calendar_days_in_month(2023, 4), 30);
	assert_int_equal(calendar_days_in_month(2023, 12), 31);
	assert_int_equal(calendar_days_in_month(2023, 0), 0);
	assert_int_equal(calendar_days_in_month(2023, 13), 0);
}

static void
test_days_from_civil(void **state)
{
	(void)state;
	assert_int_equal(calendar_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(calendar_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(calendar_days_from_civil(1970, 3, 1), 59);
	assert_int_equal(calendar_days_from_civil(1994, 2, 1), 8797);
	assert_int_equal(calendar_days_from_civil(2000, 2, 29), 11016);
	assert_int_equal(calendar_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(calendar_days_from_civil(2038, 1, 19), 24855);
	assert_int_equal(calendar_days_from_civil(1, 1, 1), -719162);
	assert_int_equal(calendar_days_from_civil(9999, 12, 31), 2932896);
	/* consecutive days stay consecutive across month and year ends */
	for (long long y = 1899; y <= 2001; y++) {
		for (int m = 1; m <= 12; m++) {
			int last = calendar_days_in_month(y, m);
			long long next = m < 12 ? calendar_days_from_civil(y, m + 1, 1)
						: calendar_days_from_civil(y + 1, 1, 1);

			assert_int_equal(calendar_days_from_civil(y, m, last) + 1, next);
		}
	}
}

static void
test_matches_timegm(void **state)
{
	struct tm tm = {0};

	(void)state;
	tm.tm_year = 2007 - 1900;
	tm.tm_mon = 1;
	tm.tm_mday = 15;
	assert_int_equal(calendar_days_from_civil(2007, 2, 15) * 86400, (long long)timegm(&tm));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leap),
		cmocka_unit_test(test_days_in_month),
		cmocka_unit_test(test_days_from_civil),
		cmocka_unit_test(test_matches_timegm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
