/* Unit tests for the SMTP command parser (RFC 5321 4.1.1, 4.1.2) and the typed ESMTP
 * parameter checks (SIZE, BODY, SMTPUTF8, DSN, AUTH=). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mail/smtp_cmd.h"
#include "mail/smtp_params.h"

struct good_case {
	const char *line;
	enum smtp_verb verb;
	const char *arg;    /* expected arg, NULL for none */
	const char *path;   /* expected path, NULL for none */
	const char *params; /* expected params as "K=V K2" or NULL for none */
};

static void
format_params(const struct smtp_cmd *cmd, char *dst, size_t size)
{
	size_t i;

	dst[0] = '\0';
	for (i = 0; i < cmd->n_params; i++) {
		if (i > 0)
			strncat(dst, " ", size - strlen(dst) - 1);
		strncat(dst, cmd->params[i].keyword, size - strlen(dst) - 1);
		if (cmd->params[i].value != NULL) {
			strncat(dst, "=", size - strlen(dst) - 1);
			strncat(dst, cmd->params[i].value, size - strlen(dst) - 1);
		}
	}
}

static void
check_str(const char *got, const char *want, const char *line)
{
	if (want == NULL && got == NULL)
		return;
	if (want == NULL || got == NULL || strcmp(got, want) != 0)
		fail_msg("line \"%s\": got \"%s\", want \"%s\"", line, got != NULL ? got : "(null)",
			 want != NULL ? want : "(null)");
}

static void
test_cmd_good(void **state)
{
	static const struct good_case cases[] = {
		{"EHLO client.example.org", SMTP_VERB_EHLO, "client.example.org", NULL, NULL},
		{"ehlo client", SMTP_VERB_EHLO, "client", NULL, NULL},
		{"HeLo [127.0.0.1]", SMTP_VERB_HELO, "[127.0.0.1]", NULL, NULL},
		{"EHLO x  ", SMTP_VERB_EHLO, "x", NULL, NULL},
		{"MAIL FROM:<a@b.example>", SMTP_VERB_MAIL, NULL, "a@b.example", NULL},
		{"mail from:<a@b>", SMTP_VERB_MAIL, NULL, "a@b", NULL},
		{"MAIL FROM:<>", SMTP_VERB_MAIL, NULL, "", NULL},
		{"MAIL FROM:<> BODY=8BITMIME", SMTP_VERB_MAIL, NULL, "", "BODY=8BITMIME"},
		{"MAIL FROM:<a@b> SIZE=10 BODY=8BITMIME", SMTP_VERB_MAIL, NULL, "a@b",
		 "SIZE=10 BODY=8BITMIME"},
		{"MAIL FROM:<a@b> size=10  smtputf8", SMTP_VERB_MAIL, NULL, "a@b",
		 "SIZE=10 SMTPUTF8"},
		{"MAIL FROM: <a@b>", SMTP_VERB_MAIL, NULL, "a@b", NULL},
		{"MAIL FROM:a@b.example", SMTP_VERB_MAIL, NULL, "a@b.example", NULL},
		{"MAIL FROM:a@b SIZE=5", SMTP_VERB_MAIL, NULL, "a@b", "SIZE=5"},
		{"MAIL FROM:<\"john doe\"@example.org>", SMTP_VERB_MAIL, NULL,
		 "\"john doe\"@example.org", NULL},
		{"MAIL FROM:<\"a>b\"@x>", SMTP_VERB_MAIL, NULL, "\"a>b\"@x", NULL},
		{"MAIL FROM:<\"a\\\"b\"@x>", SMTP_VERB_MAIL, NULL, "\"a\\\"b\"@x", NULL},
		{"MAIL FROM:<@relay.example,@r2.example:user@example.org>", SMTP_VERB_MAIL, NULL,
		 "user@example.org", NULL},
		{"MAIL FROM:<a@b> ENVID=QQ+2B AUTH=<>", SMTP_VERB_MAIL, NULL, "a@b",
		 "ENVID=QQ+2B AUTH=<>"},
		{"RCPT TO:<c@d.example>", SMTP_VERB_RCPT, NULL, "c@d.example", NULL},
		{"RCPT TO:<Postmaster>", SMTP_VERB_RCPT, NULL, "Postmaster", NULL},
		{"RCPT TO:<postmaster@example.org>", SMTP_VERB_RCPT, NULL, "postmaster@example.org",
		 NULL},
		{"RCPT TO:<u@[192.0.2.1]>", SMTP_VERB_RCPT, NULL, "u@[192.0.2.1]", NULL},
		{"RCPT TO:<u@[IPv6:2001:db8::1]>", SMTP_VERB_RCPT, NULL, "u@[IPv6:2001:db8::1]",
		 NULL},
		{"RCPT TO:<@[192.0.2.1]:u@x>", SMTP_VERB_RCPT, NULL, "u@x", NULL},
		{"RCPT TO:<j\xc3\xb6rg@b\xc3\xbc"
		 "cher.example>",
		 SMTP_VERB_RCPT, NULL,
		 "j\xc3\xb6rg@b\xc3\xbc"
		 "cher.example",
		 NULL},
		{"RCPT TO:<c@d> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c@d", SMTP_VERB_RCPT, NULL,
		 "c@d", "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c@d"},
		{"rcpt to: <c@d>", SMTP_VERB_RCPT, NULL, "c@d", NULL},
		{"DATA", SMTP_VERB_DATA, NULL, NULL, NULL},
		{"data ", SMTP_VERB_DATA, NULL, NULL, NULL},
		{"RSET", SMTP_VERB_RSET, NULL, NULL, NULL},
		{"NOOP", SMTP_VERB_NOOP, NULL, NULL, NULL},
		{"NOOP hello there", SMTP_VERB_NOOP, "hello there", NULL, NULL},
		{"QUIT", SMTP_VERB_QUIT, NULL, NULL, NULL},
		{"VRFY someone", SMTP_VERB_VRFY, "someone", NULL, NULL},
		{"EXPN list", SMTP_VERB_EXPN, "list", NULL, NULL},
		{"HELP", SMTP_VERB_HELP, NULL, NULL, NULL},
		{"HELP MAIL", SMTP_VERB_HELP, "MAIL", NULL, NULL},
		{"STARTTLS", SMTP_VERB_STARTTLS, NULL, NULL, NULL},
		{"starttls", SMTP_VERB_STARTTLS, NULL, NULL, NULL},
		{"AUTH PLAIN AGZvbwBiYXI=", SMTP_VERB_AUTH, "PLAIN AGZvbwBiYXI=", NULL, NULL},
		{"AUTH LOGIN", SMTP_VERB_AUTH, "LOGIN", NULL, NULL},
		{"XFOO bar", SMTP_VERB_UNKNOWN, "bar", NULL, NULL},
		{"", SMTP_VERB_UNKNOWN, NULL, NULL, NULL},
		{"MAILFROM:<a@b>", SMTP_VERB_UNKNOWN, NULL, NULL, NULL},
		{"GET / HTTP/1.0", SMTP_VERB_UNKNOWN, "/ HTTP/1.0", NULL, NULL},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct good_case *c = &cases[i];
		struct smtp_cmd cmd;
		const char *error = NULL;
		char params[512];

		if (smtp_cmd_parse(c->line, strlen(c->line), &cmd, &error) != 0)
			fail_msg("line \"%s\" failed: %s", c->line, error);
		if (cmd.verb != c->verb)
			fail_msg("line \"%s\": verb %d", c->line, cmd.verb);
		if (c->verb != SMTP_VERB_UNKNOWN || c->arg != NULL)
			check_str(cmd.arg, c->arg, c->line);
		check_str(cmd.path, c->path, c->line);
		format_params(&cmd, params, sizeof(params));
		check_str(cmd.n_params == 0 ? NULL : params, c->params, c->line);
		smtp_cmd_clear(&cmd);
	}
}

struct bad_case {
	const char *line;
	const char *error_prefix;
};

static void
test_cmd_bad(void **state)
{
	static const struct bad_case cases[] = {
		{"EHLO", "501 5.5.4"},
		{"HELO ", "501 5.5.4"},
		{"MAIL", "501 5.5.4"},
		{"MAIL TO:<a@b>", "501 5.5.4"},
		{"MAIL FROM:", "501 5.5.4"},
		{"MAIL FROM:<a@b", "501 5.5.4"},
		{"MAIL FROM:<a@b>x", "501 5.5.4"},
		{"MAIL FROM:<<a@b>>", "501 5.5.4"},
		{"MAIL FROM:<a@b> SIZE=", "501 5.5.4"},
		{"MAIL FROM:<a@b> =10", "501 5.5.4"},
		{"MAIL FROM:<a@b> -X=1", "501 5.5.4"},
		{"MAIL FROM:<a@b> S_Z=1", "501 5.5.4"},
		{"MAIL FROM:<a@b> X=a=b", "501 5.5.4"},
		{"MAIL FROM:a@b>", "501 5.5.4"},
		{"MAIL FROM:<a>", "501 5.1.7"},
		{"MAIL FROM:<@x:>", "501 5.1.7"},
		{"MAIL FROM:<a@b..c>", "501 5.1.7"},
		{"MAIL FROM:<a@-b.c>", "501 5.1.7"},
		{"MAIL FROM:<a..b@c>", "501 5.1.7"},
		{"MAIL FROM:<a b@c>", "501 5.1.7"},
		{"MAIL FROM:<a@[1.2.3]>", "501 5.1.7"},
		{"MAIL FROM:<a@[IPv6:zz::1]>", "501 5.1.7"},
		{"MAIL FROM:<@bad_domain:a@b>", "501 5.1.7"},
		{"MAIL FROM:<a@b\xc3>", "501 5.1.7"},
		{"MAIL FROM:<Postmaster>", "501 5.1.7"},
		{"RCPT TO:<>", "501 5.1.3"},
		{"RCPT TO:<a>", "501 5.1.3"},
		{"RCPT TO:", "501 5.5.4"},
		{"RCPT FROM:<a@b>", "501 5.5.4"},
		{"RCPT TO:<a@b> NOTIFY=", "501 5.5.4"},
		{"DATA x", "501 5.5.4"},
		{"RSET now", "501 5.5.4"},
		{"QUIT please", "501 5.5.4"},
		{"STARTTLS x", "501 5.5.4"},
		{"VRFY", "501 5.5.4"},
		{"EXPN", "501 5.5.4"},
		{"AUTH", "501 5.5.4"},
		{"BDAT", "501 5.5.4"},
		{"BDAT x", "501 5.5.4"},
		{"BDAT -1", "501 5.5.4"},
		{"BDAT +1", "501 5.5.4"},
		{"BDAT 10 FIRST", "501 5.5.4"},
		{"BDAT 10 LAST x", "501 5.5.4"},
		{"BDAT 99999999999999999999999", "501 5.5.4"},
		{"NOOP\r", "500 5.5.2"},
		{"MAIL FROM:<a@b>\rRCPT TO:<c@d>", "500 5.5.2"},
		{"RCPT TO:<a@b>\nDATA", "500 5.5.2"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *c = &cases[i];
		struct smtp_cmd cmd;
		const char *error = NULL;

		if (smtp_cmd_parse(c->line, strlen(c->line), &cmd, &error) != -1)
			fail_msg("line \"%s\" parsed", c->line);
		if (error == NULL || strncmp(error, c->error_prefix, strlen(c->error_prefix)) != 0)
			fail_msg("line \"%s\": error \"%s\"", c->line, error);
		assert_null(cmd.arg);
		assert_null(cmd.path);
		assert_int_equal(cmd.n_params, 0);
		smtp_cmd_clear(&cmd);
	}
}

static void
test_cmd_nul(void **state)
{
	struct smtp_cmd cmd;
	const char *error;
	const char line[] = "MAIL FROM:<a@b>\0 SIZE=1";

	assert_int_equal(smtp_cmd_parse(line, sizeof(line) - 1, &cmd, &error), -1);
	assert_string_equal(error, "500 5.5.2 Syntax error: invalid character in command");
	assert_int_equal(smtp_cmd_parse("NOOP\0", 5, &cmd, &error), -1);
	/* the length is respected: bytes after len are not looked at */
	assert_int_equal(smtp_cmd_parse("QUIT now", 4, &cmd, &error), 0);
	assert_int_equal(cmd.verb, SMTP_VERB_QUIT);
	smtp_cmd_clear(&cmd);
}

static void
test_cmd_bdat(void **state)
{
	struct smtp_cmd cmd;
	const char *error;

	assert_int_equal(smtp_cmd_parse("BDAT 0", 6, &cmd, &error), 0);
	assert_int_equal(cmd.verb, SMTP_VERB_BDAT);
	assert_int_equal(cmd.bdat_size, 0);
	assert_false(cmd.bdat_last);
	smtp_cmd_clear(&cmd);
	assert_int_equal(smtp_cmd_parse("bdat 1000 last", 14, &cmd, &error), 0);
	assert_int_equal(cmd.bdat_size, 1000);
	assert_true(cmd.bdat_last);
	smtp_cmd_clear(&cmd);
	assert_int_equal(smtp_cmd_parse("BDAT 18446744073709551609 LAST", 30, &cmd, &error), 0);
	assert_true(cmd.bdat_size == 18446744073709551609ULL);
	smtp_cmd_clear(&cmd);
	assert_int_equal(smtp_cmd_parse("BDAT 18446744073709551616", 25, &cmd, &error), -1);
	/* a failed command keeps its verb, for the server's logs */
	assert_int_equal(cmd.verb, SMTP_VERB_BDAT);
}

static void
test_cmd_param_lookup(void **state)
{
	struct smtp_cmd cmd;
	const char *error;
	const char *line = "MAIL FROM:<a@b> SIZE=100 SMTPUTF8";

	assert_int_equal(smtp_cmd_parse(line, strlen(line), &cmd, &error), 0);
	assert_string_equal(smtp_cmd_param(&cmd, "size"), "100");
	assert_string_equal(smtp_cmd_param(&cmd, "SMTPUTF8"), "");
	assert_null(smtp_cmd_param(&cmd, "BODY"));
	smtp_cmd_clear(&cmd);
	assert_string_equal(smtp_verb_name(SMTP_VERB_STARTTLS), "STARTTLS");
	assert_string_equal(smtp_verb_name(SMTP_VERB_UNKNOWN), "UNKNOWN");
}

static int
parse_mail(const char *line, unsigned exts, struct smtp_mail_params *p, const char **error_r)
{
	struct smtp_cmd cmd;
	int ret;

	assert_int_equal(smtp_cmd_parse(line, strlen(line), &cmd, error_r), 0);
	ret = smtp_params_mail(&cmd, exts, p, error_r);
	smtp_cmd_clear(&cmd);
	return ret;
}

#define RCPT_AB "RCPT TO:<a@b> "

static int
parse_rcpt(const char *line, unsigned exts, struct smtp_rcpt_params *p, const char **error_r)
{
	struct smtp_cmd cmd;
	int ret;

	assert_int_equal(smtp_cmd_parse(line, strlen(line), &cmd, error_r), 0);
	ret = smtp_params_rcpt(&cmd, exts, p, error_r);
	smtp_cmd_clear(&cmd);
	return ret;
}

static void
test_params_mail(void **state)
{
	const unsigned all = SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | SMTP_EXT_SMTPUTF8 | SMTP_EXT_DSN |
			     SMTP_EXT_AUTH;
	struct smtp_mail_params p;
	const char *error;

	assert_int_equal(parse_mail("MAIL FROM:<a@b> SIZE=1234 BODY=8bitmime SMTPUTF8 RET=HDRS "
				    "ENVID=x+2By AUTH=u+2Bt@example.org",
				    all, &p, &error),
			 0);
	assert_true(p.has_size);
	assert_true(p.size == 1234);
	assert_int_equal(p.body, SMTP_BODY_8BITMIME);
	assert_true(p.smtputf8);
	assert_int_equal(p.ret, SMTP_RET_HDRS);
	assert_string_equal(p.envid, "x+y");
	assert_string_equal(p.auth, "u+t@example.org");
	smtp_mail_params_clear(&p);

	assert_int_equal(parse_mail("MAIL FROM:<a@b>", 0, &p, &error), 0);
	assert_false(p.has_size);
	assert_int_equal(p.body, SMTP_BODY_NONE);
	assert_null(p.envid);
	assert_int_equal(parse_mail("MAIL FROM:<a@b> AUTH=<>", all, &p, &error), 0);
	assert_string_equal(p.auth, "<>");
	smtp_mail_params_clear(&p);
	assert_int_equal(parse_mail("MAIL FROM:<a@b> BODY=7BIT", all, &p, &error), 0);
	assert_int_equal(p.body, SMTP_BODY_7BIT);

	/* not advertised or unknown: 555 (RFC 5321 4.1.1.11) */
	assert_int_equal(parse_mail("MAIL FROM:<a@b> SIZE=1", 0, &p, &error), -1);
	assert_string_equal(error, "555 5.5.4 Unsupported parameter");
	assert_int_equal(parse_mail("MAIL FROM:<a@b> RET=FULL", SMTP_EXT_SIZE, &p, &error), -1);
	assert_int_equal(parse_mail("MAIL FROM:<a@b> XFOO=1", all, &p, &error), -1);
	assert_string_equal(error, "555 5.5.4 Unsupported parameter");
	assert_int_equal(parse_mail("MAIL FROM:<a@b> BODY=BINARYMIME", all, &p, &error), -1);
	assert_int_equal(parse_mail("MAIL FROM:<a@b> BODY=BINARYMIME", all | SMTP_EXT_BINARYMIME,
				    &p, &error),
			 0);
	assert_int_equal(p.body, SMTP_BODY_BINARYMIME);

	/* bad values and repeats: 501 */
	assert_int_equal(parse_mail("MAIL FROM:<a@b> SIZE=1 SIZE=2", all, &p, &error), -1);
	assert_string_equal(error, "501 5.5.4 Duplicate parameter");
	assert_int_equal(parse_mail("MAIL FROM:<a@b> SIZE", all, &p, &error), -1);
	assert_int_equal(parse_mail("MAIL FROM:<a@b> SIZE=12x", all, &p, &error), -1);
	assert_int_equal(parse_mail("MAIL FROM:<a@b> SIZE=123456789012345678901", all, &p, &error),
			 -1);
	assert_int_equal(parse_mail("MAIL FROM:<a@b> BODY=9BIT", all, &p, &error), -1);
	assert_int_equal(parse_mail("MAIL FROM:<a@b> SMTPUTF8=yes", all, &p, &error), -1);
	assert_int_equal(parse_mail("MAIL FROM:<a@b> RET=ALL", all, &p, &error), -1);
	assert_int_equal(parse_mail("MAIL FROM:<a@b> ENVID=a+2", all, &p, &error), -1);
	assert_int_equal(parse_mail("MAIL FROM:<a@b> ENVID=a+2b", all, &p, &error), -1);
	assert_int_equal(parse_mail("MAIL FROM:<a@b> AUTH=notanaddress", all, &p, &error), -1);
	assert_string_equal(error, "501 5.5.4 Bad AUTH value");
	assert_null(p.auth);
}

static void
test_params_rcpt(void **state)
{
	struct smtp_rcpt_params p;
	const char *error;

	assert_int_equal(parse_rcpt(RCPT_AB "NOTIFY=success,DELAY ORCPT=rfc822;a+2Bx@b",
				    SMTP_EXT_DSN, &p, &error),
			 0);
	assert_int_equal(p.notify, SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_DELAY);
	assert_string_equal(p.orcpt_type, "rfc822");
	assert_string_equal(p.orcpt_addr, "a+x@b");
	smtp_rcpt_params_clear(&p);
	assert_int_equal(parse_rcpt(RCPT_AB "NOTIFY=NEVER", SMTP_EXT_DSN, &p, &error), 0);
	assert_int_equal(p.notify, SMTP_NOTIFY_NEVER);

	assert_int_equal(parse_rcpt(RCPT_AB "NOTIFY=NEVER", 0, &p, &error), -1);
	assert_int_equal(parse_rcpt(RCPT_AB "SIZE=1", SMTP_EXT_SIZE, &p, &error), -1);
	assert_int_equal(parse_rcpt(RCPT_AB "NOTIFY=NEVER,DELAY", SMTP_EXT_DSN, &p, &error), -1);
	assert_int_equal(parse_rcpt(RCPT_AB "NOTIFY=SUCCESS,,DELAY", SMTP_EXT_DSN, &p, &error), -1);
	assert_int_equal(parse_rcpt(RCPT_AB "NOTIFY=SOMETIMES", SMTP_EXT_DSN, &p, &error), -1);
	assert_int_equal(parse_rcpt(RCPT_AB "NOTIFY=DELAY,", SMTP_EXT_DSN, &p, &error), -1);
	assert_int_equal(parse_rcpt(RCPT_AB "ORCPT=a@b", SMTP_EXT_DSN, &p, &error), -1);
	assert_int_equal(parse_rcpt(RCPT_AB "ORCPT=;a@b", SMTP_EXT_DSN, &p, &error), -1);
	assert_int_equal(parse_rcpt(RCPT_AB "ORCPT=rfc822;", SMTP_EXT_DSN, &p, &error), -1);
	assert_int_equal(parse_rcpt(RCPT_AB "ORCPT=rfc822;a+zz", SMTP_EXT_DSN, &p, &error), -1);
	assert_null(p.orcpt_type);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_good),         cmocka_unit_test(test_cmd_bad),
		cmocka_unit_test(test_cmd_nul),          cmocka_unit_test(test_cmd_bdat),
		cmocka_unit_test(test_cmd_param_lookup), cmocka_unit_test(test_params_mail),
		cmocka_unit_test(test_params_rcpt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
