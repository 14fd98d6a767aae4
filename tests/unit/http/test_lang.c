/* Unit tests of the settings page's language choice (src/http/http_lang.c, RFC 9110
 * 12.5.4 Accept-Language with q-values). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http/http_lang.h"

static void
test_pick(void **state)
{
	(void)state;
	assert_int_equal(http_lang_pick(NULL), HTTP_LANG_EN);
	assert_int_equal(http_lang_pick(""), HTTP_LANG_EN);
	assert_int_equal(http_lang_pick("ja"), HTTP_LANG_JA);
	assert_int_equal(http_lang_pick("ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7"), HTTP_LANG_JA);
	assert_int_equal(http_lang_pick("en-US,en;q=0.9,ja;q=0.8"), HTTP_LANG_EN);
	assert_int_equal(http_lang_pick("fr-FR, ja;q=0.5, en;q=0.4"), HTTP_LANG_JA);
	assert_int_equal(http_lang_pick("ja;q=0.4 , en-GB ; q=0.9"), HTTP_LANG_EN);
	assert_int_equal(http_lang_pick("JA-jp"), HTTP_LANG_JA);
	assert_int_equal(http_lang_pick("de, fr"), HTTP_LANG_EN);
	assert_int_equal(http_lang_pick("*"), HTTP_LANG_EN);
	/* "jav" (Javanese) is not Japanese; q=0 means "not acceptable" */
	assert_int_equal(http_lang_pick("jav"), HTTP_LANG_EN);
	assert_int_equal(http_lang_pick("ja;q=0"), HTTP_LANG_EN);
	/* equal q: the first wins */
	assert_int_equal(http_lang_pick("ja;q=0.5, en;q=0.5"), HTTP_LANG_JA);
	/* malformed q-values are ignored, not guessed */
	assert_int_equal(http_lang_pick("ja;q=2, en;q=0.1"), HTTP_LANG_EN);
	assert_int_equal(http_lang_pick("ja;q=0.12345"), HTTP_LANG_EN);
	assert_int_equal(http_lang_pick("ja;q=abc"), HTTP_LANG_EN);
	assert_int_equal(http_lang_pick(",,,;;;q=,ja"), HTTP_LANG_JA);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
