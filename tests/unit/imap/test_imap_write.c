/* Tests of the response writer (astrings, mailbox names), flag lists and IMAP dates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_date.h"
#include "imap/imap_flags.h"
#include "imap/imap_parser.h"
#include "imap/imap_write.h"
#include "util/buf.h"

static void
test_astring_quoting(void **state)
{
	struct buf b = BUF_INIT;
	char big[2000];

	/* what is not an atom goes through mail/imap_quote.c (tested in tests/unit/mail) */
	imap_write_astr(&b, "a\"b\\c");
	buf_appendc(&b, ' ');
	imap_write_astr(&b, "line\r\nbreak");
	buf_appendc(&b, ' ');
	imap_write_astr(&b, "\xc3\xa9");
	assert_string_equal(buf_cstr(&b), "\"a\\\"b\\\\c\" {11}\r\nline\r\nbreak {2}\r\n\xc3\xa9");
	buf_reset(&b);
	imap_write_astring(&b, "a\0b", 3);
	assert_int_equal(b.len, strlen("{3}\r\na?b"));
	assert_memory_equal(b.data, "{3}\r\na?b", b.len);
	buf_reset(&b);
	memset(big, 'x', sizeof(big));
	big[0] = ' ';
	imap_write_astring(&b, big, sizeof(big));
	assert_true(strncmp(buf_cstr(&b), "{2000}\r\n xx", 11) == 0);
	assert_int_equal(b.len, 8 + sizeof(big));
	buf_free(&b);
}

static void
test_astring(void **state)
{
	struct buf b = BUF_INIT;

	imap_write_astr(&b, "INBOX");
	buf_appendc(&b, ' ');
	imap_write_astr(&b, "foo]bar");
	buf_appendc(&b, ' ');
	imap_write_astr(&b, "a b");
	buf_appendc(&b, ' ');
	imap_write_astr(&b, "NIL");
	buf_appendc(&b, ' ');
	imap_write_astr(&b, "a*");
	buf_appendc(&b, ' ');
	imap_write_astr(&b, "");
	assert_string_equal(buf_cstr(&b), "INBOX foo]bar \"a b\" \"NIL\" \"a*\" \"\"");
	buf_reset(&b);
	imap_write_mailbox(&b, "Entw\xc3\xbcrfe");
	buf_appendc(&b, ' ');
	imap_write_mailbox(&b, "My Folder");
	assert_string_equal(buf_cstr(&b), "Entw&APw-rfe \"My Folder\"");
	assert_true(imap_write_is_atom("abc", 3));
	assert_false(imap_write_is_atom("a%", 2));
	assert_false(imap_write_is_atom("", 0));
	buf_free(&b);
}

static void
test_flags_write(void **state)
{
	const char *kw[] = {"$Forwarded", "Junk"};
	struct buf b = BUF_INIT;

	imap_write_flags(&b, 0, NULL, 0);
	assert_string_equal(buf_cstr(&b), "()");
	buf_reset(&b);
	imap_write_flags(&b, IMAP_FLAG_SEEN | IMAP_FLAG_ANSWERED | IMAP_FLAG_RECENT, kw, 2);
	assert_string_equal(buf_cstr(&b), "(\\Answered \\Seen \\Recent $Forwarded Junk)");
	buf_free(&b);
	assert_int_equal(imap_flag_from_name("\\seen"), IMAP_FLAG_SEEN);
	assert_int_equal(imap_flag_from_name("\\Foo"), 0);
	assert_string_equal(imap_flag_name(IMAP_FLAG_DRAFT), "\\Draft");
	assert_null(imap_flag_name(3));
	assert_true(imap_keyword_is_valid("$Label1"));
	assert_false(imap_keyword_is_valid("\\Seen"));
	assert_false(imap_keyword_is_valid("a b"));
	assert_false(imap_keyword_is_valid(""));
}

static const struct imap_command *
parse(struct imap_parser *p, const char *line)
{
	size_t used;

	imap_parser_next(p);
	assert_int_equal(imap_parser_parse(p, line, strlen(line), &used), 1);
	return imap_parser_command(p);
}

static void
test_flags_parse(void **state)
{
	struct imap_parser *p = imap_parser_new(NULL);
	const struct imap_command *c;
	struct imap_flag_list fl;
	const char *error;

	c = parse(p, "a STORE 1 FLAGS (\\Seen \\deleted Junk junk $X)\r\n");
	assert_int_equal(imap_flags_parse(&c->args[2], 1, &fl, &error), 0);
	assert_int_equal(fl.flags, IMAP_FLAG_SEEN | IMAP_FLAG_DELETED);
	assert_int_equal(fl.n_keywords, 2);
	assert_string_equal(fl.keywords[0], "Junk");
	assert_string_equal(fl.keywords[1], "$X");
	assert_null(fl.keywords[2]);
	imap_flag_list_free(&fl);
	/* STORE also takes the flags without parentheses */
	c = parse(p, "a STORE 1 +FLAGS \\Flagged \\Draft\r\n");
	assert_int_equal(imap_flags_parse(&c->args[2], 2, &fl, &error), 0);
	assert_int_equal(fl.flags, IMAP_FLAG_FLAGGED | IMAP_FLAG_DRAFT);
	imap_flag_list_free(&fl);
	c = parse(p, "a STORE 1 FLAGS ()\r\n");
	assert_int_equal(imap_flags_parse(&c->args[2], 1, &fl, &error), 0);
	assert_int_equal(fl.flags, 0);
	assert_int_equal(fl.n_keywords, 0);
	imap_flag_list_free(&fl);
	c = parse(p, "a STORE 1 FLAGS (\\Recent)\r\n");
	assert_int_equal(imap_flags_parse(&c->args[2], 1, &fl, &error), -1);
	c = parse(p, "a STORE 1 FLAGS (\\Bogus)\r\n");
	assert_int_equal(imap_flags_parse(&c->args[2], 1, &fl, &error), -1);
	c = parse(p, "a STORE 1 FLAGS (\"quoted\")\r\n");
	assert_int_equal(imap_flags_parse(&c->args[2], 1, &fl, &error), -1);
	c = parse(p, "a STORE 1 FLAGS ((x))\r\n");
	assert_int_equal(imap_flags_parse(&c->args[2], 1, &fl, &error), -1);
	imap_parser_free(&p);
}

static void
test_dates(void **state)
{
	struct buf b = BUF_INIT;
	time_t t;
	long day, tz;

	assert_int_equal(imap_date_parse("1-Jan-1970", &day), 0);
	assert_int_equal(day, 0);
	assert_int_equal(imap_date_parse("01-feb-1994", &day), 0);
	assert_int_equal(day, 8797);
	assert_int_equal(imap_date_parse("29-Feb-2024", &day), 0);
	assert_int_equal(imap_date_parse("29-Feb-2023", &day), -1);
	assert_int_equal(imap_date_parse("31-Apr-2023", &day), -1);
	assert_int_equal(imap_date_parse("1-Foo-2023", &day), -1);
	assert_int_equal(imap_date_parse("1-Jan-23", &day), -1);
	assert_int_equal(imap_date_parse("123-Jan-2023", &day), -1);
	assert_int_equal(imap_date_parse("1-Jan-2023x", &day), -1);

	assert_int_equal(imap_date_time_parse("17-Jul-1996 02:44:25 -0700", &t, &tz), 0);
	assert_int_equal(t, 837596665);
	assert_int_equal(tz, -7 * 3600);
	imap_date_time_write(&b, t, tz);
	assert_string_equal(buf_cstr(&b), "\"17-Jul-1996 02:44:25 -0700\"");
	assert_int_equal(imap_date_time_parse(" 7-Jul-1996 02:44:25 +0530", &t, &tz), 0);
	assert_int_equal(tz, 5 * 3600 + 30 * 60);
	buf_reset(&b);
	imap_date_time_write(&b, t, tz);
	assert_string_equal(buf_cstr(&b), "\"07-Jul-1996 02:44:25 +0530\"");
	assert_int_equal(imap_date_time_parse("17-Jul-1996 24:00:00 +0000", &t, &tz), -1);
	assert_int_equal(imap_date_time_parse("17-Jul-1996 02:44:25", &t, &tz), -1);
	assert_int_equal(imap_date_time_parse("17-Jul-1996 02:44:25 0700", &t, &tz), -1);
	assert_int_equal(imap_date_time_parse("17-Jul-1996 02:44:25 -0700x", &t, &tz), -1);
	assert_int_equal(imap_date_time_parse("17-Jul-96 02:44:25 -0700", &t, &tz), -1);
	assert_int_equal(imap_date_time_parse("17-Jul-1996 02:44:25 -0760", &t, &tz), -1);
	buf_reset(&b);
	imap_date_time_write(&b, 0, 0);
	assert_string_equal(buf_cstr(&b), "\"01-Jan-1970 00:00:00 +0000\"");

	/* 1996-07-17 02:44:25 -0700 is 09:44:25 UTC the same day; 23:30 -0700 is the next
	 * day in UTC but the day in its own zone */
	assert_int_equal(imap_date_time_parse("17-Jul-1996 23:30:00 -0700", &t, &tz), 0);
	assert_int_equal(imap_date_parse("17-Jul-1996", &day), 0);
	assert_int_equal(imap_date_day(t, tz), day);
	assert_int_equal(imap_date_day(t, 0), day + 1);
	assert_int_equal(imap_date_day(-1, 0), -1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_astring_quoting), cmocka_unit_test(test_astring),
		cmocka_unit_test(test_flags_write),     cmocka_unit_test(test_flags_parse),
		cmocka_unit_test(test_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
