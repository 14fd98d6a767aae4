/* Unit tests of the ring of recent events (src/util/recent.c): newest first, bounded,
 * control characters neutralized, off when its capacity is 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/recent.h"

static void
test_newest_first_and_bounded(void **state)
{
	struct recent_event ev[8];
	size_t n;

	(void)state;
	recent_init(3);
	assert_int_equal(recent_get(ev, 8), 0);
	for (int i = 1; i <= 5; i++)
		recent_add("sent", "QID", "message %d", i);
	n = recent_get(ev, 8);
	assert_int_equal(n, 3);
	assert_string_equal(ev[0].text, "message 5");
	assert_string_equal(ev[1].text, "message 4");
	assert_string_equal(ev[2].text, "message 3");
	assert_string_equal(ev[0].kind, "sent");
	assert_string_equal(ev[0].qid, "QID");
	assert_int_equal(recent_get(ev, 2), 2); /* at most max */
	assert_string_equal(ev[1].text, "message 4");
	recent_init(0);
}

static void
test_text_is_one_line_and_cut(void **state)
{
	struct recent_event ev[1];
	char long_text[RECENT_TEXT_MAX * 2];

	(void)state;
	recent_init(2);
	recent_add("rejected", NULL, "550 x\r\ninjected %s", "\x1b[31m");
	assert_int_equal(recent_get(ev, 1), 1);
	assert_string_equal(ev[0].qid, "");
	assert_null(strchr(ev[0].text, '\n'));
	assert_null(strchr(ev[0].text, '\r'));
	assert_null(strchr(ev[0].text, '\x1b'));
	memset(long_text, 'a', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	recent_add("sent", "a-queue-id-longer-than-the-field-holds", "%s", long_text);
	assert_int_equal(recent_get(ev, 1), 1);
	assert_int_equal(strlen(ev[0].text), RECENT_TEXT_MAX);
	assert_true(strlen(ev[0].qid) < sizeof(ev[0].qid));
	recent_init(0);
}

static void
test_off(void **state)
{
	struct recent_event ev[1];

	(void)state;
	recent_init(0);
	recent_add("sent", "Q", "x");
	assert_int_equal(recent_get(ev, 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newest_first_and_bounded),
		cmocka_unit_test(test_text_is_one_line_and_cut),
		cmocka_unit_test(test_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
