/* Unit tests for the message a milter edits (src/filter/milter_msg.c): header fields in,
 * edits by index as Postfix applies them (milter8.c, cleanup_milter.c), message out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "filter/milter_msg.h"

static const char MSG[] = "From: a@b\r\n"
			  "Subject: hi\r\n"
			  "X-Fold: one\r\n"
			  "\ttwo\r\n"
			  "Subject: again\r\n"
			  "\r\n"
			  "body\r\n";

static char *
format(const struct milter_msg *m)
{
	struct buf b = BUF_INIT;

	milter_msg_format(m, &b);
	return buf_steal(&b);
}

static void
test_roundtrip(void **state)
{
	struct milter_msg m;
	char *out, *v;

	(void)state;
	milter_msg_parse(&m, MSG, sizeof(MSG) - 1);
	assert_int_equal(m.n, 4);
	assert_string_equal(m.fields[2].name, "X-Fold");
	assert_string_equal(m.fields[2].value, " one\r\n\ttwo");
	assert_string_equal(m.body.data, "body\r\n");
	/* on the wire: no leading space, folds as bare LF (Postfix) */
	v = milter_field_wire_value(&m.fields[2], false);
	assert_string_equal(v, "one\n\ttwo");
	free(v);
	v = milter_field_wire_value(&m.fields[2], true);
	assert_string_equal(v, " one\n\ttwo");
	free(v);
	out = format(&m);
	assert_string_equal(out, MSG);
	free(out);
	assert_false(m.changed);
	milter_msg_free(&m);
}

static void
test_edits(void **state)
{
	struct milter_msg m;
	char *out;

	(void)state;
	milter_msg_parse(&m, MSG, sizeof(MSG) - 1);
	milter_msg_insert(&m, 0, "X-Top", "t", false);
	milter_msg_add(&m, "X-End", "line1\nline2", false);
	milter_msg_change(&m, "subject", 2, "changed", false); /* the 2nd Subject */
	milter_msg_change(&m, "X-Fold", 1, "", false);         /* deleted */
	milter_msg_change(&m, "X-None", 1, "new", false);      /* not there: added */
	milter_msg_change(&m, "X-Gone", 1, "", false);         /* nothing to delete */
	assert_true(m.changed);
	out = format(&m);
	assert_string_equal(out, "X-Top: t\r\n"
				 "From: a@b\r\n"
				 "Subject: hi\r\n"
				 "Subject: changed\r\n"
				 "X-End: line1\r\n\tline2\r\n"
				 "X-None: new\r\n"
				 "\r\n"
				 "body\r\n");
	free(out);
	milter_msg_insert(&m, 100, "X-Far", " lead", true); /* beyond the end: appended */
	assert_string_equal(m.fields[m.n - 1].value, " lead");
	milter_msg_free(&m);
}

static void
test_odd_messages(void **state)
{
	struct milter_msg m;
	const char nohdr[] = "just a body line\r\nmore\r\n";
	const char noend[] = "Subject: x";
	const char lf[] = "A: 1\nB: 2\n\nbody\n";

	(void)state;
	milter_msg_parse(&m, nohdr, sizeof(nohdr) - 1);
	assert_int_equal(m.n, 0);
	assert_int_equal(m.body.len, sizeof(nohdr) - 1);
	milter_msg_free(&m);
	milter_msg_parse(&m, noend, sizeof(noend) - 1);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.fields[0].value, " x");
	assert_int_equal(m.body.len, 0);
	milter_msg_free(&m);
	milter_msg_parse(&m, lf, sizeof(lf) - 1);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.fields[1].value, " 2");
	assert_string_equal(m.body.data, "body\n");
	milter_msg_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_edits),
		cmocka_unit_test(test_odd_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
