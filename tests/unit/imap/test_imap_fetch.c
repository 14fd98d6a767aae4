/* Tests of FETCH item parsing into a fetch plan (macros, sections, partials, modifiers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_fetch.h"
#include "imap/imap_parser.h"
#include "store/store_msg.h"

static int
parse(const char *line, struct imap_fetch_plan *plan, const char **error_r)
{
	struct imap_parser *p = imap_parser_new(NULL);
	const struct imap_command *c;
	size_t used;
	int ret;

	assert_int_equal(imap_parser_parse(p, line, strlen(line), &used), 1);
	c = imap_parser_command(p);
	ret = imap_fetch_parse(c->args + 1, c->count - 1, plan, error_r);
	imap_parser_free(&p);
	return ret;
}

static void
test_macros(void **state)
{
	struct imap_fetch_plan plan;
	const char *error;

	assert_int_equal(parse("a FETCH 1 ALL\r\n", &plan, &error), 0);
	assert_int_equal(plan.items, IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE | IMAP_FETCH_SIZE |
					     IMAP_FETCH_ENVELOPE);
	assert_int_equal(plan.fields, STORE_MSG_ENVELOPE);
	imap_fetch_plan_free(&plan);
	assert_int_equal(parse("a FETCH 1 fast\r\n", &plan, &error), 0);
	assert_int_equal(plan.items, IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE | IMAP_FETCH_SIZE);
	imap_fetch_plan_free(&plan);
	assert_int_equal(parse("a FETCH 1 FULL\r\n", &plan, &error), 0);
	assert_true(plan.items & IMAP_FETCH_BODY);
	imap_fetch_plan_free(&plan);
	assert_int_equal(parse("a FETCH 1 (UID BODYSTRUCTURE MODSEQ)\r\n", &plan, &error), 0);
	assert_int_equal(plan.items, IMAP_FETCH_UID | IMAP_FETCH_BODYSTRUCTURE | IMAP_FETCH_MODSEQ);
	assert_int_equal(plan.fields, STORE_MSG_BODYSTRUCTURE);
	assert_false(plan.set_seen);
	imap_fetch_plan_free(&plan);
}

static void
test_sections(void **state)
{
	struct imap_fetch_plan plan;
	const char *error;

	assert_int_equal(parse("a FETCH 1 (BODY.PEEK[header.fields (From \"To\")]<0.10> "
			       "BODY[1.2.MIME] BODY[]<5.7> RFC822.HEADER)\r\n",
			       &plan, &error),
			 0);
	assert_int_equal(plan.n_sections, 4);
	assert_string_equal(plan.sections[0].echo, "BODY[HEADER.FIELDS (From To)]<0>");
	assert_true(plan.sections[0].peek);
	assert_true(plan.sections[0].partial);
	assert_int_equal(plan.sections[0].size, 10);
	assert_int_equal(plan.sections[0].spec.kind, MIME_SECTION_HEADER_FIELDS);
	assert_int_equal(plan.sections[0].spec.nfields, 2);
	assert_string_equal(plan.sections[1].echo, "BODY[1.2.MIME]");
	assert_int_equal(plan.sections[1].spec.path_len, 2);
	assert_int_equal(plan.sections[1].spec.kind, MIME_SECTION_MIME);
	assert_string_equal(plan.sections[2].echo, "BODY[]<5>");
	assert_int_equal(plan.sections[2].offset, 5);
	assert_string_equal(plan.sections[3].echo, "RFC822.HEADER");
	assert_true(plan.sections[3].peek);
	assert_true(plan.set_seen); /* BODY[1.2.MIME] is not a PEEK */
	assert_true(plan.fields & STORE_MSG_PARTS);
	imap_fetch_plan_free(&plan);
	assert_int_equal(parse("a FETCH 1 RFC822\r\n", &plan, &error), 0);
	assert_true(plan.set_seen);
	/* the whole message: its file, no parts, no msgdata row */
	assert_int_equal(plan.fields, STORE_MSG_FILE);
	imap_fetch_plan_free(&plan);
	assert_int_equal(parse("a FETCH 1 (BODY.PEEK[]<0.10> BODY.PEEK[])\r\n", &plan, &error), 0);
	assert_int_equal(plan.fields, STORE_MSG_FILE);
	assert_true(imap_fetch_section_whole(&plan.sections[0]));
	imap_fetch_plan_free(&plan);
	assert_int_equal(parse("a FETCH 1 (BODY.PEEK[] BODY.PEEK[TEXT])\r\n", &plan, &error), 0);
	assert_int_equal(plan.fields, STORE_MSG_FILE | STORE_MSG_PARTS);
	assert_false(imap_fetch_section_whole(&plan.sections[1]));
	imap_fetch_plan_free(&plan);
	assert_int_equal(parse("a FETCH 1 BINARY.PEEK[]\r\n", &plan, &error), 0);
	assert_true(plan.fields & STORE_MSG_PARTS); /* the CTE check */
	imap_fetch_plan_free(&plan);
}

static void
test_modifiers(void **state)
{
	struct imap_fetch_plan plan;
	const char *error;

	assert_int_equal(
		parse("a FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n", &plan, &error), 0);
	assert_true(plan.has_changedsince);
	assert_int_equal(plan.changedsince, 12345);
	assert_true(plan.vanished);
	assert_true(plan.items & IMAP_FETCH_MODSEQ);
	imap_fetch_plan_free(&plan);
	assert_int_equal(parse("a FETCH 1 FLAGS (VANISHED)\r\n", &plan, &error), -1);
	assert_int_equal(parse("a FETCH 1 FLAGS (BOGUS 1)\r\n", &plan, &error), -1);
	assert_int_equal(parse("a FETCH 1 FLAGS NOTALIST\r\n", &plan, &error), -1);
}

static void
test_errors(void **state)
{
	struct imap_fetch_plan plan;
	const char *error;

	assert_int_equal(parse("a FETCH 1 BOGUS\r\n", &plan, &error), -1);
	assert_int_equal(parse("a FETCH 1 ()\r\n", &plan, &error), -1);
	assert_int_equal(parse("a FETCH 1 (FLAGS \"UID\")\r\n", &plan, &error), -1);
	assert_int_equal(parse("a FETCH 1 BODY[BOGUS]\r\n", &plan, &error), -1);
	assert_int_equal(parse("a FETCH 1 FOO[]\r\n", &plan, &error), -1);
}

/* RFC 3516 4.2: BINARY[part]<partial>, BINARY.PEEK, BINARY.SIZE */
static void
test_binary(void **state)
{
	struct imap_fetch_plan plan;
	const char *error;

	(void)state;
	assert_int_equal(parse("a FETCH 1 (BINARY[1.2]<5.10> BINARY.PEEK[] binary.size[3])\r\n",
			       &plan, &error),
			 0);
	assert_int_equal(plan.n_sections, 3);
	assert_string_equal(plan.sections[0].echo, "BINARY[1.2]<5>");
	assert_true(plan.sections[0].binary);
	assert_false(plan.sections[0].peek);
	assert_true(plan.sections[0].partial);
	assert_int_equal(plan.sections[0].offset, 5);
	assert_int_equal(plan.sections[0].size, 10);
	assert_string_equal(plan.sections[1].echo, "BINARY[]");
	assert_true(plan.sections[1].binary);
	assert_true(plan.sections[1].peek);
	assert_string_equal(plan.sections[2].echo, "BINARY.SIZE[3]");
	assert_true(plan.sections[2].binary_size);
	assert_false(plan.sections[2].binary);
	assert_true(plan.set_seen);                                      /* BINARY[] without PEEK */
	assert_int_equal(plan.fields, STORE_MSG_PARTS | STORE_MSG_FILE); /* read from the file */
	imap_fetch_plan_free(&plan);
	assert_int_equal(parse("a FETCH 1 BINARY.SIZE[1]\r\n", &plan, &error), 0);
	assert_false(plan.set_seen);
	imap_fetch_plan_free(&plan);
	/* section-binary is a part number only; BINARY.SIZE has no partial */
	assert_int_equal(parse("a FETCH 1 BINARY[HEADER]\r\n", &plan, &error), -1);
	assert_int_equal(parse("a FETCH 1 BINARY.PEEK[1.MIME]\r\n", &plan, &error), -1);
	assert_int_equal(parse("a FETCH 1 BINARY.SIZE[1]<0.1>\r\n", &plan, &error), -1);
	assert_int_equal(parse("a FETCH 1 BINARY\r\n", &plan, &error), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_macros),    cmocka_unit_test(test_sections),
		cmocka_unit_test(test_modifiers), cmocka_unit_test(test_errors),
		cmocka_unit_test(test_binary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
