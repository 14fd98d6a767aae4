/* Unit tests of the POP3 command parser (src/pop3/pop3_cmd.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pop3/pop3_cmd.h"

static int
parse(const char *line, struct pop3_cmd *cmd)
{
	const char *error = NULL;
	return pop3_cmd_parse(line, strlen(line), cmd, &error);
}

static void
test_verbs_case_insensitive(void **state)
{
	struct pop3_cmd cmd;

	(void)state;
	assert_int_equal(parse("retr 1", &cmd), 0);
	assert_int_equal(cmd.verb, POP3_VERB_RETR);
	assert_int_equal(cmd.n_args, 1);
	assert_string_equal(cmd.args[0], "1");
	assert_int_equal(parse("QuIt", &cmd), 0);
	assert_int_equal(cmd.verb, POP3_VERB_QUIT);
	assert_int_equal(cmd.n_args, 0);
	assert_string_equal(cmd.rest, "");
	assert_int_equal(parse("CAPA", &cmd), 0);
	assert_int_equal(cmd.verb, POP3_VERB_CAPA);
}

static void
test_unknown(void **state)
{
	struct pop3_cmd cmd;

	(void)state;
	assert_int_equal(parse("XYZZY 1 2", &cmd), 0);
	assert_int_equal(cmd.verb, POP3_VERB_UNKNOWN);
	assert_int_equal(parse("VERYLONGKEYWORD", &cmd), 0);
	assert_int_equal(cmd.verb, POP3_VERB_UNKNOWN);
	assert_int_equal(parse("RETRX 1", &cmd), 0);
	assert_int_equal(cmd.verb, POP3_VERB_UNKNOWN);
}

static void
test_pass_keeps_spaces(void **state)
{
	struct pop3_cmd cmd;

	(void)state;
	assert_int_equal(parse("PASS my secret  pass", &cmd), 0);
	assert_int_equal(cmd.verb, POP3_VERB_PASS);
	assert_string_equal(cmd.rest, "my secret  pass");
	assert_int_equal(cmd.n_args, 3);
}

static void
test_two_args(void **state)
{
	struct pop3_cmd cmd;

	(void)state;
	assert_int_equal(parse("TOP 3 10", &cmd), 0);
	assert_int_equal(cmd.verb, POP3_VERB_TOP);
	assert_int_equal(cmd.n_args, 2);
	assert_string_equal(cmd.args[0], "3");
	assert_string_equal(cmd.args[1], "10");
	assert_int_equal(parse("AUTH PLAIN AGZvbwBiYXI=", &cmd), 0);
	assert_int_equal(cmd.verb, POP3_VERB_AUTH);
	assert_string_equal(cmd.args[1], "AGZvbwBiYXI=");
	assert_string_equal(cmd.response, "AGZvbwBiYXI=");
}

/* RFC 5034 4: AUTH's initial response is not held to the 255 octets of an argument
 * (a long user name and password in PLAIN); POP3_LINE_MAX says so in pop3_cmd.h. */
static void
test_long_auth_response(void **state)
{
	char line[POP3_LINE_MAX];
	struct pop3_cmd cmd;
	size_t n = strlen("AUTH PLAIN ");

	(void)state;
	memcpy(line, "AUTH PLAIN ", n);
	memset(line + n, 'A', sizeof(line) - n - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(parse(line, &cmd), 0);
	assert_int_equal(cmd.verb, POP3_VERB_AUTH);
	assert_int_equal(cmd.n_args, 2);
	assert_string_equal(cmd.args[0], "PLAIN");
	assert_non_null(cmd.response);
	assert_int_equal(strlen(cmd.response), sizeof(line) - n - 1);
	/* other commands keep the argument limit, and AUTH's mechanism too */
	memcpy(line, "USER ", 5);
	assert_int_equal(parse(line, &cmd), -1);
	memcpy(line, "AUTH ", 5);
	memset(line + 5, 'A', n - 5); /* one long mechanism name */
	assert_int_equal(parse(line, &cmd), -1);
	assert_int_equal(parse("AUTH PLAIN", &cmd), 0);
	assert_null(cmd.response);
}

static void
test_malformed(void **state)
{
	struct pop3_cmd cmd;
	const char *error = NULL;
	char longarg[400];

	(void)state;
	assert_int_equal(parse("", &cmd), -1);
	assert_int_equal(parse(" RETR 1", &cmd), -1);
	assert_int_equal(pop3_cmd_parse("RETR \0 1", 8, &cmd, &error), -1);
	assert_non_null(error);
	memset(longarg, 'a', sizeof(longarg));
	memcpy(longarg, "USER ", 5);
	longarg[sizeof(longarg) - 1] = '\0';
	assert_int_equal(parse(longarg, &cmd), -1);
}

static void
test_msgnum(void **state)
{
	unsigned n;

	(void)state;
	assert_int_equal(pop3_cmd_msgnum("1", 5, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pop3_cmd_msgnum("5", 5, &n), 0);
	assert_int_equal(pop3_cmd_msgnum("6", 5, &n), -1);
	assert_int_equal(pop3_cmd_msgnum("0", 5, &n), -1);
	assert_int_equal(pop3_cmd_msgnum("-1", 5, &n), -1);
	assert_int_equal(pop3_cmd_msgnum("1x", 5, &n), -1);
	assert_int_equal(pop3_cmd_msgnum("", 5, &n), -1);
	assert_int_equal(pop3_cmd_msgnum("99999999999999999999999", 5, &n), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbs_case_insensitive),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_pass_keeps_spaces),
		cmocka_unit_test(test_two_args),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_msgnum),
		cmocka_unit_test(test_long_auth_response),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
