/* Tests of the IMAP command parser: every input is also fed one byte at a time (Dovecot's
 * test-imap-parser.c style), and both runs must give the same tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_parser.h"
#include "util/buf.h"

/* Canonical text of a parsed argument tree. */
static void
dump_args(struct buf *out, const struct imap_arg *args, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const struct imap_arg *a = &args[i];

		if (i > 0)
			buf_appendc(out, ' ');
		switch (a->type) {
		case IMAP_ARG_ATOM:
			buf_printf(out, "a:%s", a->str);
			break;
		case IMAP_ARG_NIL:
			buf_printf(out, "NIL");
			break;
		case IMAP_ARG_QUOTED:
			buf_printf(out, "q:<%s>", a->str);
			break;
		case IMAP_ARG_LITERAL:
			buf_printf(out, "%s:<", (a->flags & IMAP_ARG_FLAG_LITERAL8) ? "l8" : "l");
			buf_append(out, a->str, a->len);
			buf_appendc(out, '>');
			break;
		case IMAP_ARG_LIST:
			buf_appendc(out, '(');
			dump_args(out, a->list, a->count);
			buf_appendc(out, ')');
			break;
		}
		if (a->flags & IMAP_ARG_FLAG_SECTION) {
			buf_appendc(out, '[');
			dump_args(out, a->list, a->count);
			buf_appendc(out, ']');
		}
		if (a->flags & IMAP_ARG_FLAG_PARTIAL)
			buf_printf(out, "<%llu.%llu>", (unsigned long long)a->partial_offset,
				   (unsigned long long)a->partial_size);
	}
}

struct run {
	int ret;
	struct buf dump; /* "tag NAME args" or "ERR <tag> <reason>" */
	size_t used;     /* bytes consumed at the end of the first command */
	int literals;    /* synchronizing literals continued */
};

/* Parses one command from input, fed in steps of chunk bytes (0 = all at once),
 * continuing every synchronizing literal. */
static void
run_one(struct imap_parser *p, const char *input, size_t len, size_t chunk, struct run *r)
{
	size_t pos = 0, avail = chunk == 0 ? len : (len > 0 ? 1 : 0), used;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	for (unsigned guard = 0; guard < 100000; guard++) {
		ret = imap_parser_parse(p, input + pos, avail, &used);
		pos += used;
		avail -= used;
		if (ret != 0)
			break;
		if (imap_parser_literal_pending(p, NULL)) {
			imap_parser_literal_continue(p);
			r->literals++;
			continue;
		}
		if (pos + avail >= len)
			break;
		avail = chunk == 0 ? len - pos : avail + 1;
	}
	r->ret = ret;
	r->used = pos;
	buf_init(&r->dump);
	if (ret == 1) {
		const struct imap_command *c = imap_parser_command(p);
		buf_printf(&r->dump, "%s %s%s", c->tag, c->uid ? "UID " : "", c->name);
		if (c->count > 0) {
			buf_appendc(&r->dump, ' ');
			dump_args(&r->dump, c->args, c->count);
		}
	} else if (ret == -1) {
		buf_printf(&r->dump, "ERR %s %s", imap_parser_tag(p) ? imap_parser_tag(p) : "*",
			   imap_parser_error(p));
	}
}

/* Checks that input parses to want, all at once and byte by byte. */
static void
check_parse(const char *input, const char *want)
{
	for (size_t chunk = 0; chunk <= 1; chunk++) {
		struct imap_parser *p = imap_parser_new(NULL);
		struct run r;

		run_one(p, input, strlen(input), chunk, &r);
		assert_string_equal(buf_cstr(&r.dump), want);
		buf_free(&r.dump);
		imap_parser_free(&p);
	}
}

static void
test_simple(void **state)
{
	check_parse("a1 NOOP\r\n", "a1 NOOP");
	check_parse("a1 noop\n", "a1 NOOP");
	check_parse("\r\n\r\nx CAPABILITY\r\n", "x CAPABILITY");
	check_parse("a2 login user pass\r\n", "a2 LOGIN a:user a:pass");
	check_parse("a3 select ~/Mail\r\n", "a3 SELECT a:~/Mail");
	check_parse("a4 select foo[bar]\r\n", "a4 SELECT a:foo[bar]");
	check_parse("a5 LIST \"\" *\r\n", "a5 LIST q:<> a:*");
	check_parse("a6 X NIL nil \"NIL\"\r\n", "a6 X NIL NIL q:<NIL>");
	check_parse("a7 STORE 1:* +FLAGS (\\Seen \\Deleted)\r\n",
		    "a7 STORE a:1:* a:+FLAGS (a:\\Seen a:\\Deleted)");
	check_parse("a8 X  a   b \r\n", "a8 X a:a a:b");
	check_parse("a9 X ((a) () b)\r\n", "a9 X ((a:a) () a:b)");
}

static void
test_quoted(void **state)
{
	check_parse("a LOGIN \"us\\\"er\" \"pa\\\\ss\"\r\n", "a LOGIN q:<us\"er> q:<pa\\ss>");
	check_parse("a X \"\xc3\xa9t\xc3\xa9\"\r\n", "a X q:<\xc3\xa9t\xc3\xa9>");
	check_parse("a X \"bad\\n\"\r\n", "ERR a Invalid escape in quoted string");
	check_parse("a X \"open\r\n", "ERR a Invalid character in quoted string");
	check_parse("a X \"x\"y\r\n", "ERR a Missing space between arguments");
}

static void
test_literals(void **state)
{
	check_parse("a LOGIN {4}\r\nuser {4}\r\npass\r\n", "a LOGIN l:<user> l:<pass>");
	check_parse("a LOGIN {4+}\r\nuser {4+}\r\npass\r\n", "a LOGIN l:<user> l:<pass>");
	check_parse("a X {0}\r\n {0+}\r\n\r\n", "a X l:<> l:<>");
	check_parse("a APPEND INBOX (\\Seen) ~{3}\r\na\r\n\r\n",
		    "a APPEND a:INBOX (a:\\Seen) l8:<a\r\n>");
	check_parse("a X ({2}\r\nab)\r\n", "a X (l:<ab>)");
	check_parse("a X {2}\r\nabc\r\n", "ERR a Missing space between arguments");
	check_parse("a X {2x}\r\n", "ERR a Invalid literal size");
	check_parse("a X {}\r\n", "ERR a Invalid literal size");
	check_parse("a X {2}x\r\n", "ERR a Literal size not followed by CRLF");
}

static void
test_literal_pending(void **state)
{
	struct imap_parser *p = imap_parser_new(NULL);
	const char *in = "a LOGIN {4}\r\nuser pass\r\n";
	uint64_t size = 0;
	size_t used;

	assert_int_equal(imap_parser_parse(p, in, strlen(in), &used), 0);
	assert_int_equal(used, 13);
	assert_true(imap_parser_literal_pending(p, &size));
	assert_int_equal(size, 4);
	/* not continued: nothing more is consumed */
	assert_int_equal(imap_parser_parse(p, in + used, strlen(in) - used, &used), 0);
	assert_int_equal(used, 0);
	imap_parser_literal_continue(p);
	assert_int_equal(imap_parser_parse(p, in + 13, strlen(in) - 13, &used), 1);
	assert_string_equal(imap_parser_command(p)->args[0].str, "user");
	imap_parser_free(&p);
}

static void
test_fetch(void **state)
{
	check_parse(
		"a UID fetch 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100>)\r\n",
		"a UID FETCH a:1:* (a:FLAGS a:BODY.PEEK[a:HEADER.FIELDS (a:From a:To)]<0.100>)");
	check_parse("a FETCH 1 BODY[]\r\n", "a FETCH a:1 a:BODY[]");
	check_parse("a FETCH 1 (BODY[1.2.MIME] BINARY[1]<5.10> RFC822)\r\n",
		    "a FETCH a:1 (a:BODY[a:1.2.MIME] a:BINARY[a:1]<5.10> a:RFC822)");
	check_parse("a FETCH 1 BODY[HEADER.FIELDS ({4}\r\nFrom)]\r\n",
		    "a FETCH a:1 a:BODY[a:HEADER.FIELDS (l:<From>)]");
	check_parse("a FETCH 1:* (FLAGS) (CHANGEDSINCE 12 VANISHED)\r\n",
		    "a FETCH a:1:* (a:FLAGS) (a:CHANGEDSINCE a:12 a:VANISHED)");
	check_parse("a FETCH 1 BODY[<0.1>\r\n", "ERR a Missing ']'");
	check_parse("a FETCH 1 BODY[]<0>\r\n", "ERR a Invalid partial");
	check_parse("a FETCH 1 BODY[]<0.0>\r\n", "ERR a Invalid partial");
	check_parse("a FETCH 1 BODY[TEXT\r\n", "ERR a Missing ']'");
	check_parse("a FETCH 1 BODY]\r\n", "ERR a Unexpected ']'");
	check_parse("a FETCH 1 BODY[1[2]]\r\n", "ERR a Unexpected '['");
	check_parse("a FETCH 1 BODY[]x\r\n", "ERR a Missing space between arguments");
}

static void
test_errors(void **state)
{
	check_parse("a1\r\n", "ERR a1 Missing command");
	check_parse("+ NOOP\r\n", "ERR * Invalid tag");
	check_parse("a{ NOOP\r\n", "ERR * Invalid tag");
	check_parse("a UID\r\n", "ERR a Missing UID command");
	check_parse("a X (a\r\n", "ERR a Missing ')'");
	check_parse("a X a)\r\n", "ERR a Unexpected ')'");
	check_parse("a X a\rb\r\n", "ERR a CR not followed by LF");
	check_parse("a X a\"b\r\n", "ERR a Invalid character in atom");
	check_parse("a X \x01\r\n", "ERR a Invalid character");
}

/* After an error, the rest of the line is skipped and the next command parses. */
static void
check_recovery(const struct imap_parser_limits *limits, const char *input, const char *err,
	       enum imap_parse_error code, const char *next)
{
	for (size_t chunk = 0; chunk <= 1; chunk++) {
		struct imap_parser *p = imap_parser_new(limits);
		size_t len = strlen(input);
		struct run r;

		run_one(p, input, len, chunk, &r);
		assert_string_equal(buf_cstr(&r.dump), err);
		assert_int_equal(imap_parser_error_code(p), code);
		buf_free(&r.dump);
		imap_parser_next(p);
		run_one(p, input + r.used, len - r.used, chunk, &r);
		assert_string_equal(buf_cstr(&r.dump), next);
		buf_free(&r.dump);
		imap_parser_free(&p);
	}
}

static void
test_recovery(void **state)
{
	struct imap_parser_limits lim = imap_parser_default_limits;

	check_recovery(NULL, "a X a) junk\r\nb NOOP\r\n", "ERR a Unexpected ')'",
		       IMAP_PARSE_ERR_SYNTAX, "b NOOP");
	check_recovery(NULL, "a X (\r\nb NOOP\r\n", "ERR a Missing ')'", IMAP_PARSE_ERR_SYNTAX,
		       "b NOOP");
	/* a non-synchronizing literal at the end of a bad line is skipped, not executed */
	check_recovery(NULL, "a X ) {11+}\r\nc LOGOUT\r\n\r\nb NOOP\r\n", "ERR a Unexpected ')'",
		       IMAP_PARSE_ERR_SYNTAX, "b NOOP");
	lim.max_literal = 3;
	check_recovery(&lim, "a X {10+}\r\nc LOGOUT\r\n\r\nb NOOP\r\n", "ERR a Literal too large",
		       IMAP_PARSE_ERR_TOOBIG, "b NOOP");
	/* a refused synchronizing literal: the client never sends it */
	check_recovery(&lim, "a X {10}\r\nb NOOP\r\n", "ERR a Literal too large",
		       IMAP_PARSE_ERR_TOOBIG, "b NOOP");
	lim = imap_parser_default_limits;
	lim.max_line = 20;
	check_recovery(&lim, "a X aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nb NOOP\r\n",
		       "ERR a Command line too long", IMAP_PARSE_ERR_LINE, "b NOOP");
	lim = imap_parser_default_limits;
	lim.max_depth = 3;
	check_recovery(&lim, "a X ((((a))))\r\nb NOOP\r\n", "ERR a Too deeply nested",
		       IMAP_PARSE_ERR_SYNTAX, "b NOOP");
	lim = imap_parser_default_limits;
	lim.max_args = 3;
	check_recovery(&lim, "a X a b c d\r\nb NOOP\r\n", "ERR a Too many arguments",
		       IMAP_PARSE_ERR_SYNTAX, "b NOOP");
	check_recovery(NULL, "a X {99999999999999999999}\r\nb NOOP\r\n",
		       "ERR a Literal size too large", IMAP_PARSE_ERR_FATAL, "b NOOP");
}

static void
test_append_limit(void **state)
{
	struct imap_parser_limits lim = imap_parser_default_limits;
	struct imap_parser *p;
	struct run r;

	lim.max_literal = 10;
	lim.max_append = 100;
	p = imap_parser_new(&lim);
	run_one(p, "a APPEND INBOX {50+}\r\n", 22, 0, &r);
	assert_int_equal(r.ret, 0); /* accepted, waits for the data */
	buf_free(&r.dump);
	imap_parser_next(p);
	run_one(p, "b APPEND INBOX {101}\r\n", 22, 0, &r);
	assert_string_equal(buf_cstr(&r.dump), "ERR b Literal too large");
	assert_int_equal(imap_parser_error_code(p), IMAP_PARSE_ERR_TOOBIG);
	buf_free(&r.dump);
	imap_parser_free(&p);
}

/* All literals of a command share max_literals_total; the count is what is announced. */
static void
test_command_literal_total(void **state)
{
	struct imap_parser_limits lim = imap_parser_default_limits;
	struct imap_parser *p;
	const char *in = "a X {4+}\r\nabcd {4+}\r\nefgh {4+}\r\nijkl\r\nb NOOP\r\n";
	size_t used;

	(void)state;
	lim.max_literal = 4;
	lim.max_literals_total = 10;
	p = imap_parser_new(&lim);
	assert_int_equal(imap_parser_parse(p, in, 11, &used), 0);
	assert_int_equal(used, 11);
	assert_int_equal(imap_parser_literal_bytes(p), 4); /* announced, not received yet */
	assert_int_equal(imap_parser_parse(p, in + 11, strlen(in) - 11, &used), -1);
	assert_string_equal(imap_parser_error(p), "Literal too large");
	assert_int_equal(imap_parser_error_code(p), IMAP_PARSE_ERR_TOOBIG);
	imap_parser_next(p);
	assert_int_equal(imap_parser_literal_bytes(p), 0);
	imap_parser_free(&p);
	/* the refused non-synchronizing literal is skipped: the next command is found */
	check_recovery(&lim, in, "ERR a Literal too large", IMAP_PARSE_ERR_TOOBIG, "b NOOP");
	/* before login a too big non-synchronizing literal closes the connection */
	lim.nonsync_toobig_fatal = true;
	p = imap_parser_new(&lim);
	in = "a APPEND INBOX {25000000+}\r\n";
	assert_int_equal(imap_parser_parse(p, in, strlen(in), &used), -1);
	assert_string_equal(imap_parser_error(p), "[TOOBIG] Literal too large");
	assert_int_equal(imap_parser_error_code(p), IMAP_PARSE_ERR_FATAL);
	imap_parser_free(&p);
}

/* The literal limits change between commands (at login). */
static void
test_set_literal_limits(void **state)
{
	struct imap_parser_limits small = imap_parser_default_limits, big = small;
	struct imap_parser *p;
	struct run r;

	(void)state;
	small.max_literal = small.max_append = small.max_literals_total = 100;
	p = imap_parser_new(&small);
	run_one(p, "a APPEND INBOX {101}\r\n", 22, 0, &r);
	assert_string_equal(buf_cstr(&r.dump), "ERR a Literal too large");
	buf_free(&r.dump);
	imap_parser_next(p);
	imap_parser_set_literal_limits(p, &big);
	run_one(p, "b APPEND INBOX {101}\r\n", 22, 0, &r);
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.literals, 1); /* accepted: continued, waits for the data */
	assert_int_equal(imap_parser_literal_bytes(p), 101);
	buf_free(&r.dump);
	imap_parser_free(&p);
}

static void
test_pipelined(void **state)
{
	struct imap_parser *p = imap_parser_new(NULL);
	const char *in = "a NOOP\r\nb CHECK\r\n";
	size_t used, total = 0;

	assert_int_equal(imap_parser_parse(p, in, strlen(in), &used), 1);
	assert_string_equal(imap_parser_command(p)->name, "NOOP");
	total += used;
	imap_parser_next(p);
	assert_int_equal(imap_parser_parse(p, in + total, strlen(in) - total, &used), 1);
	assert_string_equal(imap_parser_command(p)->tag, "b");
	assert_int_equal(total + used, strlen(in));
	imap_parser_free(&p);
}

static void
test_arg_helpers(void **state)
{
	struct imap_parser *p = imap_parser_new(NULL);
	const char in[] = "a X atom \"q\" {3+}\r\na\0b NIL (l) BODY[]\r\n";
	const struct imap_command *c;
	const char *s;
	size_t used;

	assert_int_equal(imap_parser_parse(p, in, sizeof(in) - 1, &used), 1);
	c = imap_parser_command(p);
	assert_int_equal(c->count, 6);
	assert_true(imap_arg_get_astring(&c->args[0], &s));
	assert_true(imap_arg_get_atom(&c->args[0], &s));
	assert_false(imap_arg_get_string(&c->args[0], &s));
	assert_true(imap_arg_get_string(&c->args[1], &s));
	assert_false(imap_arg_get_astring(&c->args[2], &s)); /* contains NUL */
	assert_true(c->args[2].flags & IMAP_ARG_FLAG_NUL);
	assert_true(imap_arg_is_nil(&c->args[3]));
	assert_true(imap_arg_get_astring(&c->args[3], &s));
	assert_string_equal(s, "NIL");
	assert_true(imap_arg_atom_equals(&c->args[0], "ATOM"));
	assert_false(imap_arg_get_astring(&c->args[4], &s));
	imap_parser_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_literal_pending),
		cmocka_unit_test(test_fetch),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_recovery),
		cmocka_unit_test(test_append_limit),
		cmocka_unit_test(test_command_literal_total),
		cmocka_unit_test(test_set_literal_limits),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_arg_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
