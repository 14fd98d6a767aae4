/* Unit tests of log_format = json (src/log/log.c): one JSON object per line, quotes,
 * backslashes and control characters escaped, invalid UTF-8 replaced, valid UTF-8 kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log/log.h"

/* Runs log_info(fmt, arg) with stderr redirected, returns what was written. */
static char *
capture(const char *fmt, const char *arg)
{
	char path[] = "/tmp/yubin-log-json-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	char *out = calloc(1, 8192);
	FILE *f;

	assert_true(fd >= 0);
	fflush(stderr);
	dup2(fd, 2);
	log_info(fmt, arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(fread(out, 1, 8191, f) > 0);
	fclose(f);
	unlink(path);
	return out;
}

static void
test_json_line(void **state)
{
	char *line;

	(void)state;
	log_set_json(true);
	line = capture("smtp: %s", "ABC: from=<a\"b\\c@x> \x01 caf\xc3\xa9 bad\xff end");
	assert_true(strncmp(line, "{\"time\":\"", 9) == 0);
	assert_non_null(
		strstr(line, "\",\"level\":\"info\",\"component\":\"smtp\",\"message\":\""
			     "ABC: from=<a\\\"b\\\\c@x> \\u0001 caf\xc3\xa9 bad\\ufffd end\"}\n"));
	free(line);
	/* no "component: " prefix: no component key */
	line = capture("%s", "plain message: with colon later");
	assert_null(strstr(line, "component"));
	assert_non_null(strstr(line, "\"message\":\"plain message: with colon later\"}"));
	free(line);
	log_set_json(false);
	line = capture("smtp: %s", "text again");
	assert_non_null(strstr(line, " yubin info: smtp: text again\n"));
	assert_int_equal(line[0] != '{', 1);
	free(line);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
