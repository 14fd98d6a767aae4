/* Tests of the CATENATE URL parser (RFC 4469 5, RFC 5092) and of APPEND's argument list:
 * MULTIAPPEND messages (RFC 3502) and CATENATE parts (src/imap/imap_catenate.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_catenate.h"
#include "imap/imap_parser.h"

static int
url(const char *s, struct imap_url *u)
{
	const char *error = NULL;
	int ret = imap_url_parse(s, strlen(s), u, &error);

	if (ret < 0)
		assert_non_null(error);
	return ret;
}

static void
test_url_relative(void **state)
{
	struct imap_url u;

	(void)state;
	assert_int_equal(url("/INBOX/;uid=20/;section=1.2", &u), 0);
	assert_string_equal(u.mailbox, "INBOX");
	assert_int_equal(u.uidvalidity, 0);
	assert_int_equal(u.uid, 20);
	assert_string_equal(u.section, "1.2");
	assert_false(u.partial);
	imap_url_free(&u);

	assert_int_equal(url("/Drafts;UIDVALIDITY=385759045/;UID=20", &u), 0);
	assert_string_equal(u.mailbox, "Drafts");
	assert_int_equal(u.uidvalidity, 385759045);
	assert_int_equal(u.uid, 20);
	assert_null(u.section);
	imap_url_free(&u);

	/* percent-decoding, a hierarchy, partial with and without a length */
	assert_int_equal(url("/a%20b/c/;uid=1/;section=HEADER/;partial=10.5", &u), 0);
	assert_string_equal(u.mailbox, "a b/c");
	assert_string_equal(u.section, "HEADER");
	assert_true(u.partial);
	assert_int_equal(u.partial_offset, 10);
	assert_int_equal(u.partial_len, 5);
	imap_url_free(&u);
	assert_int_equal(url("/box/;uid=1/;partial=100000", &u), 0);
	assert_int_equal(u.partial_offset, 100000);
	assert_true(u.partial_len == UINT64_MAX);
	imap_url_free(&u);
}

static void
test_url_absolute(void **state)
{
	struct imap_url u;

	(void)state;
	assert_int_equal(url("imap://joe@example.com/INBOX/;uid=7/;section=TEXT", &u), 0);
	assert_string_equal(u.user, "joe");
	assert_string_equal(u.mailbox, "INBOX");
	assert_int_equal(u.uid, 7);
	assert_string_equal(u.section, "TEXT");
	imap_url_free(&u);
	assert_int_equal(url("imap://a%40b.test;AUTH=*@h:143/Sent/;uid=1", &u), 0);
	assert_string_equal(u.user, "a@b.test");
	assert_string_equal(u.mailbox, "Sent");
	imap_url_free(&u);
	assert_int_equal(url("imap://h/Sent/;uid=1", &u), 0);
	assert_null(u.user);
	imap_url_free(&u);
}

static void
test_url_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"INBOX/;uid=1",                     /* not a path */
		"/INBOX",                           /* no uid */
		"/INBOX/;uid=0",                    /* uid 0 */
		"/INBOX/;uid=4294967296",           /* past 32 bits */
		"/INBOX/;uid=1x",                   /* junk */
		"/;uid=1",                          /* no mailbox */
		"/INBOX;uidvalidity=0/;uid=1",      /* uidvalidity 0 */
		"/INBOX;uidvalidity=1;uid=1",       /* no "/" before ;uid */
		"/INBOX/;uid=1/;section=",          /* empty section */
		"/INBOX/;uid=1/;partial=a",         /* bad partial */
		"/INBOX/;uid=1/;partial=1.",        /* bad partial */
		"/IN%zzBOX/;uid=1",                 /* bad escape */
		"/IN%00BOX/;uid=1",                 /* NUL */
		"/INBOX/;uid=1/;urlauth=anonymous", /* URLAUTH */
		"imap://host",                      /* no path */
	};
	struct imap_url u;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (url(bad[i], &u) == 0)
			fail_msg("accepted: %s", bad[i]);
		imap_url_free(&u);
	}
}

/* Parses "a APPEND box <rest>" (literals inline, continuation granted). */
static struct imap_parser *
parse_append(const char *line, size_t len, const struct imap_command **cmd_r)
{
	struct imap_parser *p = imap_parser_new(NULL);
	size_t used, off = 0;
	int ret;

	ret = imap_parser_parse(p, line, len, &used);
	while (ret == 0 && imap_parser_literal_pending(p, NULL)) {
		off += used;
		imap_parser_literal_continue(p);
		ret = imap_parser_parse(p, line + off, len - off, &used);
	}
	assert_int_equal(ret, 1);
	*cmd_r = imap_parser_command(p);
	return p;
}

static void
test_args_multiappend(void **state)
{
	static const char line[] = "a APPEND box (\\Seen kw) \"17-Jul-1996 02:44:25 -0700\" {3}\r\n"
				   "one {3+}\r\ntwo (\\Draft) ~{4}\r\nt\0re\r\n";
	const struct imap_command *cmd;
	struct imap_parser *p = parse_append(line, sizeof(line) - 1, &cmd);
	struct imap_append_msg *m;
	const char *error;
	size_t n;

	(void)state;
	assert_int_equal(imap_append_args_parse(cmd->args, cmd->count, &m, &n, &error), 0);
	assert_int_equal(n, 3);
	assert_int_equal(m[0].flags.n_keywords, 1);
	assert_true(m[0].has_date);
	assert_int_equal(m[0].tz, -7 * 3600);
	assert_int_equal(m[0].literal->len, 3);
	assert_false(m[1].has_date);
	assert_int_equal(m[1].flags.flags, 0);
	assert_memory_equal(m[1].literal->str, "two", 3);
	assert_true(m[2].literal->flags & IMAP_ARG_FLAG_LITERAL8);
	assert_true(m[2].literal->flags & IMAP_ARG_FLAG_NUL);
	imap_append_msgs_free(m, n);
	imap_parser_free(&p);
}

static void
test_args_catenate(void **state)
{
	static const char line[] = "a APPEND box catenate (URL \"/box/;uid=1\" TEXT {2}\r\nhi "
				   "url /x/;uid=2) {1}\r\nz\r\n";
	const struct imap_command *cmd;
	struct imap_parser *p = parse_append(line, sizeof(line) - 1, &cmd);
	struct imap_append_msg *m;
	const char *error;
	size_t n;

	(void)state;
	assert_int_equal(imap_append_args_parse(cmd->args, cmd->count, &m, &n, &error), 0);
	assert_int_equal(n, 2);
	assert_null(m[0].literal);
	assert_int_equal(m[0].n_parts, 3);
	assert_int_equal(m[0].parts[0].type, IMAP_CAT_URL);
	assert_string_equal(m[0].parts[0].arg->str, "/box/;uid=1");
	assert_int_equal(m[0].parts[1].type, IMAP_CAT_TEXT);
	assert_string_equal(m[0].parts[1].arg->str, "hi");
	assert_int_equal(m[0].parts[2].type, IMAP_CAT_URL);
	assert_non_null(m[1].literal);
	imap_append_msgs_free(m, n);
	imap_parser_free(&p);
}

static void
test_args_invalid(void **state)
{
	static const char *const bad[] = {
		"a APPEND box\r\n",
		"a APPEND box (\\Seen)\r\n",
		"a APPEND box (\\Recent) {1}\r\nx\r\n",
		"a APPEND box \"junk\" {1}\r\nx\r\n",
		"a APPEND box catenate\r\n",
		"a APPEND box catenate ()\r\n",
		"a APPEND box catenate (TEXT)\r\n",
		"a APPEND box catenate (TEXT \"quoted\")\r\n",
		"a APPEND box catenate (URL (x))\r\n",
		"a APPEND box catenate (FOO \"x\")\r\n",
		"a APPEND box {1}\r\nx junk\r\n",
		"a APPEND box {1}\r\nx (\\Seen)\r\n",
	};
	const char *error;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct imap_command *cmd;
		struct imap_parser *p = parse_append(bad[i], strlen(bad[i]), &cmd);
		struct imap_append_msg *m;
		size_t n;

		error = NULL;
		if (imap_append_args_parse(cmd->args, cmd->count, &m, &n, &error) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(error);
		imap_parser_free(&p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_relative),  cmocka_unit_test(test_url_absolute),
		cmocka_unit_test(test_url_invalid),   cmocka_unit_test(test_args_multiappend),
		cmocka_unit_test(test_args_catenate), cmocka_unit_test(test_args_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
