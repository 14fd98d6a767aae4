/* Unit tests for SASL PLAIN (RFC 4616) and LOGIN decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/sasl.h"
#include "util/base64.h"
#include "util/buf.h"

static char *
b64(const void *data, size_t len)
{
	struct buf b = BUF_INIT;

	if (len == 0)
		return strdup("");
	base64_encode(&b, data, len);
	return buf_steal(&b);
}

static void
plain_ok(const void *msg, size_t len, const char *user, const char *pass)
{
	char *enc = b64(msg, len), *u = NULL, *p = NULL;
	const char *error = NULL;

	if (sasl_plain_decode(enc, &u, &p, &error) < 0)
		fail_msg("rejected: %s", error);
	assert_string_equal(u, user);
	assert_string_equal(p, pass);
	free(u);
	sasl_secret_free(&p);
	assert_null(p);
	free(enc);
}

static void
plain_bad(const void *msg, size_t len)
{
	char *enc = b64(msg, len), *u = NULL, *p = NULL;
	const char *error = NULL;

	assert_int_equal(sasl_plain_decode(enc, &u, &p, &error), -1);
	assert_non_null(error);
	assert_null(u);
	assert_null(p);
	free(enc);
}

#define S(lit) lit, sizeof(lit) - 1

static void
test_plain(void **state)
{
	char *u, *p;
	const char *error;

	plain_ok(S("\0alice@example.test\0secret"), "alice@example.test", "secret");
	plain_ok(S("alice@example.test\0alice@example.test\0pw with spaces"), "alice@example.test",
		 "pw with spaces");
	plain_ok(S("\0u\0\xc3\xa9t\xc3\xa9"), "u", "\xc3\xa9t\xc3\xa9"); /* UTF-8 */
	/* RFC 4616 4 example: "tim" authenticating as "Ursel" is proxy authorization */
	plain_bad(S("Ursel\0Kurt\0xipj3plmq"));
	plain_bad(S("alice\0alicex\0pw"));
	plain_bad(S("\0alice\0")); /* empty password */
	plain_bad(S("\0\0pw"));    /* empty user */
	plain_bad(S("alice\0pw")); /* one NUL */
	plain_bad(S("alicepw"));
	plain_bad(S("\0alice\0pw\0")); /* NUL in the password */
	plain_bad(S(""));
	/* known vector: "\0tim\0tanstaaftanstaaf" (RFC 4616 4) */
	assert_int_equal(sasl_plain_decode("AHRpbQB0YW5zdGFhZnRhbnN0YWFm", &u, &p, &error), 0);
	assert_string_equal(u, "tim");
	assert_string_equal(p, "tanstaaftanstaaf");
	free(u);
	sasl_secret_free(&p);
	/* bad base64, whitespace, the empty response "=" */
	assert_int_equal(sasl_plain_decode("AHRpbQB0YW5zdGFhZnRhbnN0YWF", &u, &p, &error), -1);
	assert_int_equal(sasl_plain_decode("AHRpbQB0YW5z dGFhZnRhbnN0YWFm", &u, &p, &error), -1);
	assert_int_equal(sasl_plain_decode("AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r", &u, &p, &error), -1);
	assert_int_equal(sasl_plain_decode("=", &u, &p, &error), -1);
	assert_int_equal(sasl_plain_decode("", &u, &p, &error), -1);
	assert_int_equal(sasl_plain_decode("!!!!", &u, &p, &error), -1);
}

static void
test_plain_limits(void **state)
{
	char msg[2000];
	char *u, *p;
	const char *error;

	memset(msg, 0, sizeof(msg));
	memset(msg + 1, 'u', 255);
	memset(msg + 257, 'p', 1024);
	assert_int_equal(sasl_plain_parse(msg, 1 + 255 + 1 + 1024, &u, &p, &error), 0);
	assert_int_equal(strlen(u), 255);
	assert_int_equal(strlen(p), 1024);
	free(u);
	free(p);
	memset(msg + 1, 'u', 256);
	assert_int_equal(sasl_plain_parse(msg, 1 + 256 + 1 + 10, &u, &p, &error), -1);
	memset(msg, 0, sizeof(msg));
	msg[1] = 'u';
	memset(msg + 3, 'p', 1025);
	assert_int_equal(sasl_plain_parse(msg, 3 + 1025, &u, &p, &error), -1);
}

static void
test_login(void **state)
{
	char *v = NULL;
	const char *error;

	assert_int_equal(sasl_login_decode("YWxpY2VAZXhhbXBsZS50ZXN0", &v, &error), 0);
	assert_string_equal(v, "alice@example.test");
	sasl_secret_free(&v);
	assert_int_equal(sasl_login_decode("cGFzc3dvcmQ=", &v, &error), 0);
	assert_string_equal(v, "password");
	sasl_secret_free(&v);
	assert_int_equal(sasl_login_decode("=", &v, &error), -1);
	assert_int_equal(sasl_login_decode("", &v, &error), -1);
	assert_int_equal(sasl_login_decode("YQBi", &v, &error), -1); /* "a\0b" */
	assert_int_equal(sasl_login_decode("cGFzc3dvcmQ", &v, &error), -1);
	assert_int_equal(sasl_login_decode("*", &v, &error), -1);
	assert_null(v);
	/* the challenges are base64 of "Username:" and "Password:" */
	assert_int_equal(sasl_login_decode(SASL_LOGIN_CHALLENGE_USER, &v, &error), 0);
	assert_string_equal(v, "Username:");
	free(v);
	assert_int_equal(sasl_login_decode(SASL_LOGIN_CHALLENGE_PASS, &v, &error), 0);
	assert_string_equal(v, "Password:");
	free(v);
	v = NULL;
	sasl_secret_free(&v); /* NULL is fine */
}

static void
test_cancel(void **state)
{
	assert_true(sasl_is_cancel("*"));
	assert_false(sasl_is_cancel("**"));
	assert_false(sasl_is_cancel(""));
	assert_false(sasl_is_cancel("AHRpbQ=="));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_plain_limits),
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_cancel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
