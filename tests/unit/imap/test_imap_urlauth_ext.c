/* Tests of URLAUTH=BINARY (RFC 5524, src/imap/imap_urlauth_ext.c): URLFETCH's argument
 * forms and parameters, and the metadata of a part: decoded data (CTEs undone inside
 * message/rfc822 and multipart parts too), body structure, partial ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_parser.h"
#include "imap/imap_urlauth_ext.h"

/* Parses "a URLFETCH <rest>\r\n". */
static struct imap_parser *
parse(const char *rest, const struct imap_command **cmd_r)
{
	struct imap_parser *p = imap_parser_new(NULL);
	char line[512];
	size_t used;

	snprintf(line, sizeof(line), "a URLFETCH %s\r\n", rest);
	assert_int_equal(imap_parser_parse(p, line, strlen(line), &used), 1);
	*cmd_r = imap_parser_command(p);
	return p;
}

static void
test_args_valid(void **state)
{
	const struct imap_command *cmd;
	struct imap_parser *p;
	struct imap_urlfetch_arg a;
	const char *error = NULL;

	(void)state;
	p = parse("\"imap://u@h/INBOX/;uid=1;urlauth=anonymous:internal:00\" "
		  "(\"imap://u@h/INBOX/;uid=2;urlauth=anonymous:internal:00\" binary "
		  "BodyPartStructure) (x) (y BODY)",
		  &cmd);
	assert_int_equal(cmd->count, 4);
	assert_int_equal(imap_urlfetch_arg_parse(&cmd->args[0], &a, &error), 0);
	assert_string_equal(a.url, "imap://u@h/INBOX/;uid=1;urlauth=anonymous:internal:00");
	assert_int_equal(a.want, 0);
	assert_int_equal(imap_urlfetch_arg_parse(&cmd->args[1], &a, &error), 0);
	assert_string_equal(a.url, "imap://u@h/INBOX/;uid=2;urlauth=anonymous:internal:00");
	assert_int_equal(a.want, IMAP_URLFETCH_EXTENDED | IMAP_URLFETCH_BINARY |
					 IMAP_URLFETCH_BODYPARTSTRUCTURE);
	/* a list of the URL alone: BODY */
	assert_int_equal(imap_urlfetch_arg_parse(&cmd->args[2], &a, &error), 0);
	assert_string_equal(a.url, "x");
	assert_int_equal(a.want, IMAP_URLFETCH_EXTENDED | IMAP_URLFETCH_BODY);
	assert_int_equal(imap_urlfetch_arg_parse(&cmd->args[3], &a, &error), 0);
	assert_int_equal(a.want, IMAP_URLFETCH_EXTENDED | IMAP_URLFETCH_BODY);
	imap_parser_free(&p);
}

static void
test_args_invalid(void **state)
{
	static const char *const bad[] = {
		"()",           /* no URL */
		"((x) BINARY)", /* the URL is a list */
		"(x BINARY BODY)",
		"(x BINARY binary)",
		"(x SIZE)",       /* no such parameter */
		"(x \"BINARY\")", /* parameters are atoms */
		"(x (BINARY))",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct imap_command *cmd;
		struct imap_parser *p = parse(bad[i], &cmd);
		struct imap_urlfetch_arg a;
		const char *error = NULL;

		if (imap_urlfetch_arg_parse(&cmd->args[0], &a, &error) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(error);
		imap_parser_free(&p);
	}
}

/* imaptest's urlauth-binary message (tests/urlauth-binary.mbox), CRLF line ends */
static const char msg[] = "From: user@domain.org\r\n"
			  "Date: Sat, 24 Mar 2007 23:00:00 +0200\r\n"
			  "Mime-Version: 1.0\r\n"
			  "Content-Type: multipart/mixed; boundary=\"foo\r\n bar\"\r\n"
			  "\r\n"
			  "Root MIME prologue\r\n"
			  "\r\n"
			  "--foo bar\r\n"
			  "Content-Type: message/rfc822\r\n"
			  "\r\n"
			  "From: sub@domain.org\r\n"
			  "Date: Sun, 12 Aug 2012 12:34:56 +0300\r\n"
			  "Subject: submsg\r\n"
			  "Content-Type: multipart/alternative; boundary=\"sub1\"\r\n"
			  "\r\n"
			  "Sub MIME prologue\r\n"
			  "--sub1\r\n"
			  "Content-Type: text/x-myown; charset=us-ascii\r\n"
			  "Content-Transfer-Encoding: base64\r\n"
			  "\r\n"
			  "aGVs\r\nbG8gd29y\r\nbGQ=\r\n"
			  "\r\n"
			  "--sub1\r\n"
			  "Content-Type: text/x-myown; charset=us-ascii\r\n"
			  "Content-Transfer-Encoding: quoted-printable\r\n"
			  "\r\n"
			  "hello=20=\r\nworld=00\r\n"
			  "--sub1--\r\n"
			  "Sub MIME epilogue\r\n"
			  "\r\n"
			  "--foo bar--\r\n"
			  "Root MIME epilogue\r\n";

static void
build(const char *section, unsigned want, struct imap_urlfetch_part *out)
{
	assert_int_equal(imap_urlfetch_part_build(msg, sizeof(msg) - 1, section, false, 0, 0,
						  IMAP_URLFETCH_EXTENDED | want, out),
			 0);
}

static void
test_binary_leaf(void **state)
{
	struct imap_urlfetch_part p;
	struct buf out = BUF_INIT;

	(void)state;
	build("1.1", IMAP_URLFETCH_BINARY | IMAP_URLFETCH_BODYPARTSTRUCTURE, &p);
	assert_false(p.data_nil);
	assert_int_equal(p.data.len, 11);
	assert_memory_equal(p.data.data, "hello world", 11);
	/* the decoded size, the stored encoding */
	assert_string_equal(buf_cstr(&p.bodystructure),
			    "(\"text\" \"x-myown\" (\"charset\" \"us-ascii\") NIL NIL \"base64\" "
			    "11 0 NIL NIL NIL NIL)");
	imap_urlfetch_part_write(&out, &p, IMAP_URLFETCH_BINARY | IMAP_URLFETCH_BODYPARTSTRUCTURE);
	assert_string_equal(buf_cstr(&out),
			    " (BODYPARTSTRUCTURE (\"text\" \"x-myown\" (\"charset\" \"us-ascii\") "
			    "NIL NIL \"base64\" 11 0 NIL NIL NIL NIL) BINARY {11}\r\nhello world)");
	buf_free(&out);
	imap_urlfetch_part_free(&p);

	/* a NUL in the decoded data: literal8 */
	build("1.2", IMAP_URLFETCH_BINARY, &p);
	assert_int_equal(p.data.len, 12);
	assert_memory_equal(p.data.data, "hello world\0", 12);
	imap_urlfetch_part_write(&out, &p, IMAP_URLFETCH_BINARY);
	assert_memory_equal(out.data, " (BINARY ~{12}\r\nhello world\0)", out.len);
	buf_free(&out);
	imap_urlfetch_part_free(&p);
}

static void
test_binary_message(void **state)
{
	struct imap_urlfetch_part p;
	const char *d;

	(void)state;
	build("1", IMAP_URLFETCH_BINARY | IMAP_URLFETCH_BODYPARTSTRUCTURE, &p);
	d = buf_cstr(&p.data);
	/* the encapsulated message with its parts decoded and their CTE fields rewritten;
	 * boundaries, prologue and epilogue untouched */
	assert_non_null(
		strstr(d, "Content-Transfer-Encoding: binary\r\n\r\nhello world\r\n--sub1\r\n"));
	assert_non_null(strstr(d, "Content-Transfer-Encoding: binary\r\n\r\nhello world"));
	assert_null(strstr(d, "base64"));
	assert_null(strstr(d, "quoted-printable"));
	assert_true(strncmp(d, "From: sub@domain.org\r\n", 22) == 0);
	/* (after the NUL of the second part) */
	assert_non_null(memmem(d, p.data.len, "world\0\r\n--sub1--\r\nSub MIME epilogue\r\n", 37));
	/* message/rfc822 with the size of what is sent */
	{
		char want[64];

		snprintf(want, sizeof(want), "\"7bit\" %zu (", p.data.len);
		assert_non_null(strstr(buf_cstr(&p.bodystructure), want));
	}
	imap_urlfetch_part_free(&p);

	/* BODY: the part as stored; no BINARY, so the stored sizes */
	build("1", IMAP_URLFETCH_BODY | IMAP_URLFETCH_BODYPARTSTRUCTURE, &p);
	assert_non_null(strstr(buf_cstr(&p.data), "aGVs\r\nbG8gd29y\r\nbGQ=\r\n"));
	assert_non_null(strstr(buf_cstr(&p.bodystructure), "\"base64\" 22 3 "));
	imap_urlfetch_part_free(&p);
}

static void
test_partial_and_refusals(void **state)
{
	struct imap_urlfetch_part p;

	(void)state;
	/* ;partial= cuts the decoded data */
	assert_int_equal(imap_urlfetch_part_build(msg, sizeof(msg) - 1, "1.1", true, 6, 3,
						  IMAP_URLFETCH_EXTENDED | IMAP_URLFETCH_BINARY,
						  &p),
			 0);
	assert_int_equal(p.data.len, 3);
	assert_memory_equal(p.data.data, "wor", 3);
	imap_urlfetch_part_free(&p);
	assert_int_equal(imap_urlfetch_part_build(msg, sizeof(msg) - 1, "1.1", true, 100, 3,
						  IMAP_URLFETCH_EXTENDED | IMAP_URLFETCH_BINARY,
						  &p),
			 0);
	assert_int_equal(p.data.len, 0);
	imap_urlfetch_part_free(&p);
	/* no such part, or not a part */
	assert_int_equal(imap_urlfetch_part_build(msg, sizeof(msg) - 1, "3", false, 0, 0,
						  IMAP_URLFETCH_EXTENDED | IMAP_URLFETCH_BINARY,
						  &p),
			 -1);
	assert_int_equal(imap_urlfetch_part_build(msg, sizeof(msg) - 1, "1.HEADER", false, 0, 0,
						  IMAP_URLFETCH_EXTENDED | IMAP_URLFETCH_BINARY,
						  &p),
			 -1);
	assert_int_equal(imap_urlfetch_part_build(msg, sizeof(msg) - 1, "1..", false, 0, 0,
						  IMAP_URLFETCH_EXTENDED | IMAP_URLFETCH_BINARY,
						  &p),
			 -1);
}

static void
test_unknown_cte(void **state)
{
	static const char uu[] = "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
				 "--b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n"
				 "--b\r\nContent-Type: text/plain\r\n\r\nplain\r\n--b--\r\n";
	struct imap_urlfetch_part p;
	struct buf out = BUF_INIT;

	(void)state;
	/* RFC 3516 4.2: a CTE that cannot be undone: BINARY NIL, for the part and for what
	 * holds it; the other part decodes */
	assert_int_equal(imap_urlfetch_part_build(uu, sizeof(uu) - 1, "1", false, 0, 0,
						  IMAP_URLFETCH_EXTENDED | IMAP_URLFETCH_BINARY,
						  &p),
			 0);
	assert_true(p.data_nil);
	imap_urlfetch_part_write(&out, &p, IMAP_URLFETCH_BINARY);
	assert_string_equal(buf_cstr(&out), " (BINARY NIL)");
	buf_free(&out);
	imap_urlfetch_part_free(&p);
	assert_int_equal(imap_urlfetch_part_build(uu, sizeof(uu) - 1, NULL, false, 0, 0,
						  IMAP_URLFETCH_EXTENDED | IMAP_URLFETCH_BINARY,
						  &p),
			 0);
	assert_true(p.data_nil);
	imap_urlfetch_part_free(&p);
	assert_int_equal(imap_urlfetch_part_build(uu, sizeof(uu) - 1, "2", false, 0, 0,
						  IMAP_URLFETCH_EXTENDED | IMAP_URLFETCH_BINARY,
						  &p),
			 0);
	assert_false(p.data_nil);
	assert_string_equal(buf_cstr(&p.data), "plain");
	imap_urlfetch_part_free(&p);
}

static void
test_single_part(void **state)
{
	static const char one[] = "Subject: x\r\nContent-Transfer-Encoding: base64\r\n\r\n"
				  "aGVsbG8=\r\n";
	struct imap_urlfetch_part p;

	(void)state;
	/* section 1 of a message that is not multipart is its body (RFC 3501 6.4.5) */
	assert_int_equal(imap_urlfetch_part_build(one, sizeof(one) - 1, "1", false, 0, 0,
						  IMAP_URLFETCH_EXTENDED | IMAP_URLFETCH_BINARY,
						  &p),
			 0);
	assert_int_equal(p.data.len, 5);
	assert_memory_equal(p.data.data, "hello", 5);
	imap_urlfetch_part_free(&p);
	assert_int_equal(imap_urlfetch_part_build(one, sizeof(one) - 1, "1", false, 0, 0,
						  IMAP_URLFETCH_EXTENDED | IMAP_URLFETCH_BODY, &p),
			 0);
	assert_string_equal(buf_cstr(&p.data), "aGVsbG8=\r\n");
	imap_urlfetch_part_free(&p);
	/* no section: the whole message, its header's CTE rewritten with BINARY */
	assert_int_equal(imap_urlfetch_part_build(one, sizeof(one) - 1, NULL, false, 0, 0,
						  IMAP_URLFETCH_EXTENDED | IMAP_URLFETCH_BINARY,
						  &p),
			 0);
	assert_string_equal(buf_cstr(&p.data),
			    "Subject: x\r\nContent-Transfer-Encoding: binary\r\n\r\nhello");
	imap_urlfetch_part_free(&p);
	assert_int_equal(imap_urlfetch_part_build(one, sizeof(one) - 1, NULL, false, 0, 0,
						  IMAP_URLFETCH_EXTENDED | IMAP_URLFETCH_BODY, &p),
			 0);
	assert_int_equal(p.data.len, sizeof(one) - 1);
	imap_urlfetch_part_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_valid),           cmocka_unit_test(test_args_invalid),
		cmocka_unit_test(test_binary_leaf),          cmocka_unit_test(test_binary_message),
		cmocka_unit_test(test_partial_and_refusals), cmocka_unit_test(test_unknown_cte),
		cmocka_unit_test(test_single_part),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
