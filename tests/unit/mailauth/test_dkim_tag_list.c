/* Unit tests of the tag=value list parser (src/mailauth/tag_list.c, RFC 6376 3.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailauth/tag_list.h"

static int
parse(struct tag_list *tl, const char *s)
{
	const char *error;

	return tag_list_parse(tl, s, strlen(s), &error);
}

static void
assert_tag(const struct tag_list *tl, const char *name, const char *value)
{
	const struct tag *t = tag_list_get(tl, name);

	assert_non_null(t);
	assert_int_equal(t->value_len, strlen(value));
	assert_memory_equal(t->value, value, t->value_len);
}

static void
test_basic(void **state)
{
	struct tag_list tl;

	(void)state;
	assert_int_equal(parse(&tl, "v=1; a=rsa-sha256;d=example.net"), 0);
	assert_int_equal(tl.count, 3);
	assert_tag(&tl, "v", "1");
	assert_tag(&tl, "a", "rsa-sha256");
	assert_tag(&tl, "d", "example.net");
	assert_null(tag_list_get(&tl, "D")); /* tag names are case-sensitive */
}

static void
test_fws_and_folding(void **state)
{
	struct tag_list tl;
	const struct tag *b;

	(void)state;
	/* FWS around '=' and ';', a folded value, a trailing ';' */
	assert_int_equal(parse(&tl, " v = 1 ;\r\n\th = from : to\r\n  : subject ; b=ab\r\n cd== ;"),
			 0);
	assert_tag(&tl, "v", "1");
	assert_tag(&tl, "h", "from : to\r\n  : subject");
	b = tag_list_get(&tl, "b");
	assert_tag(&tl, "b", "ab\r\n cd==");
	/* raw: what 3.7 empties: from after '=' to the ';' */
	assert_int_equal(b->raw_len, strlen("ab\r\n cd== "));
	assert_int_equal(parse(&tl, ""), 0);
	assert_int_equal(tl.count, 0);
	assert_int_equal(parse(&tl, "p="), 0);
	assert_tag(&tl, "p", "");
}

static void
test_errors(void **state)
{
	struct tag_list tl;

	(void)state;
	assert_int_equal(parse(&tl, "v=1; v=1"), -1); /* duplicate */
	assert_int_equal(parse(&tl, "v"), -1);        /* no '=' */
	assert_int_equal(parse(&tl, "1v=1"), -1);     /* name starts with a digit */
	assert_int_equal(parse(&tl, "v=1;;a=b"), -1); /* empty tag-spec */
	assert_int_equal(parse(&tl, "v=a\x01"
				    "b"),
			 -1);                           /* control character */
	assert_int_equal(parse(&tl, "v=a\r\nb"), -1);   /* CRLF not followed by WSP */
	assert_int_equal(parse(&tl, "v=\xc3\xa9"), -1); /* 8-bit */
}

static int
collect(const char *item, size_t len, void *ctx)
{
	char *out = ctx;

	strncat(out, item, len);
	strcat(out, "|");
	return 0;
}

static void
test_split(void **state)
{
	char out[128] = "";

	(void)state;
	tag_value_split("from : To\r\n :subject", strlen("from : To\r\n :subject"), ':', collect,
			out);
	assert_string_equal(out, "from|To|subject|");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_fws_and_folding),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
