/* Unit tests of Authentication-Results (src/mailauth/authres.c, RFC 8601): the authserv-id of
 * the RFC's Appendix B examples, the builder (quoting, folding, no-result, header.b), round
 * trips through the reader, and removal of fields that claim to be ours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailauth/authres.h"

static enum authres_id_status
id_of(const char *v, struct buf *id)
{
	return authres_parse_id(v, strlen(v), id);
}

static void
expect_id(const char *v, enum authres_id_status st, const char *want)
{
	struct buf id;

	buf_init(&id);
	assert_int_equal(id_of(v, &id), st);
	assert_string_equal(buf_cstr(&id), want);
	buf_free(&id);
}

/* RFC 8601 Appendix B, the values of its examples (B.2 to B.7) */
static void
test_appendix_b(void **state)
{
	(void)state;
	/* B.2: nothing done */
	expect_id(" example.org 1; none", AUTHRES_ID_OK, "example.org");
	expect_id(" example.com; none", AUTHRES_ID_OK, "example.com");
	/* B.3: SPF */
	expect_id(" example.com;\r\n\tspf=pass smtp.mailfrom=example.net", AUTHRES_ID_OK,
		  "example.com");
	/* B.4: SMTP AUTH and SPF */
	expect_id(
		" example.com;\r\n          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
		"          spf=pass smtp.mailfrom=example.net",
		AUTHRES_ID_OK, "example.com");
	expect_id(" example.org 1; auth=pass (cram-md5) smtp.auth=sender@example.net;"
		  " spf=pass smtp.mailfrom=example.net",
		  AUTHRES_ID_OK, "example.org");
	/* B.5: several methods and a comment before the id */
	expect_id(" (comment) example.com (more);\r\n\tspf=pass", AUTHRES_ID_OK, "example.com");
	expect_id(" mail-router.example.net;\r\n\tdkim=pass (good signature) "
		  "header.d=newyork.example.com",
		  AUTHRES_ID_OK, "mail-router.example.net");
	/* B.6 / B.7: version, several results */
	expect_id(" example.com 1;\r\n\tdkim=pass reason=\"good signature\" "
		  "header.i=@mail-router.example.net;"
		  " dkim=fail reason=\"bad signature\" header.i=@newyork.example.com",
		  AUTHRES_ID_OK, "example.com");
	expect_id("example.com(nested (comment))1(x);spf=none", AUTHRES_ID_OK, "example.com");
}

static void
test_parse_quoted_and_bad(void **state)
{
	(void)state;
	expect_id(" \"example.com\"; none", AUTHRES_ID_OK, "example.com");
	expect_id(" \"ex\\\"am ple\"; none", AUTHRES_ID_OK, "ex\"am ple");
	expect_id(" \"example.com", AUTHRES_ID_MALFORMED, "example.com");
	expect_id(" example.com", AUTHRES_ID_MALFORMED, "example.com");
	expect_id(" example.com spf=pass", AUTHRES_ID_MALFORMED, "example.com");
	expect_id(" example.com 1x; none", AUTHRES_ID_MALFORMED, "example.com");
	expect_id("", AUTHRES_ID_NONE, "");
	expect_id("  (only a comment)", AUTHRES_ID_NONE, "");
	expect_id(" ; spf=pass", AUTHRES_ID_NONE, "");
	expect_id(" \"\"; none", AUTHRES_ID_NONE, "");
	expect_id(" (unclosed comment example.com; none", AUTHRES_ID_NONE, "");
}

static void
test_id_equal(void **state)
{
	(void)state;
	assert_true(authres_id_equal("MX.Example.COM", 14, "mx.example.com"));
	assert_true(authres_id_equal("mx.example.com.", 15, "mx.example.com"));
	assert_true(authres_id_equal("mx.example.com", 14, "mx.example.com."));
	assert_false(authres_id_equal("mx.example.co", 13, "mx.example.com"));
	assert_false(authres_id_equal("mx.example.com.evil", 19, "mx.example.com"));
	assert_false(authres_id_equal("", 0, ""));
}

/* every line of a built field is at most AUTHRES_LINE_MAX characters and folds are CRLF TAB */
static void
check_lines(const char *s)
{
	const char *line = s, *nl;

	while ((nl = strstr(line, "\r\n")) != NULL) {
		assert_true((size_t)(nl - line) <= AUTHRES_LINE_MAX);
		assert_null(memchr(line, '\n', (size_t)(nl - line)));
		line = nl + 2;
		if (*line != '\0')
			assert_int_equal(*line, '\t');
	}
	assert_string_equal(line, "");
}

/* the value of a built field ("Authentication-Results:" removed) parses back to id */
static void
round_trip(const char *field, const char *id_want)
{
	struct buf id;
	const char *v;

	assert_true(strncmp(field, "Authentication-Results:", 23) == 0);
	v = field + 23;
	buf_init(&id);
	assert_int_equal(authres_parse_id(v, strlen(v) - 2, &id), AUTHRES_ID_OK);
	assert_string_equal(buf_cstr(&id), id_want);
	buf_free(&id);
}

static void
test_build_none(void **state)
{
	struct authres_builder b;
	struct buf out;

	(void)state;
	buf_init(&out);
	authres_begin(&b, &out, "mx.example.com", 0);
	authres_end(&b);
	assert_string_equal(buf_cstr(&out), "Authentication-Results: mx.example.com; none\r\n");
	round_trip(buf_cstr(&out), "mx.example.com");
	buf_reset(&out);
	authres_begin(&b, &out, "mx.example.com", 1);
	authres_end(&b);
	assert_string_equal(buf_cstr(&out), "Authentication-Results: mx.example.com 1; none\r\n");
	round_trip(buf_cstr(&out), "mx.example.com");
	buf_free(&out);
}

static void
test_build_full(void **state)
{
	struct authres_builder b;
	struct buf out;

	(void)state;
	buf_init(&out);
	authres_begin(&b, &out, "mx.example.com", 0);
	authres_method(&b, "spf", "pass");
	authres_prop(&b, "smtp", "mailfrom", "user@example.net");
	authres_method(&b, "dkim", "fail");
	authres_reason(&b, "signature did not verify");
	authres_prop(&b, "header", "d", "example.net");
	authres_prop(&b, "header", "s", "sel1");
	authres_prop_b(&b, "abc/\r\n\t+defghijklmnop");
	authres_method(&b, "dmarc", "pass");
	authres_prop(&b, "header", "from", "example.net");
	authres_prop(&b, "policy", "dmarc", "reject");
	authres_method(&b, "arc", "none");
	authres_end(&b);
	assert_string_equal(
		buf_cstr(&out),
		"Authentication-Results: mx.example.com; spf=pass\r\n"
		"\tsmtp.mailfrom=user@example.net; dkim=fail reason=\"signature did not "
		"verify\"\r\n"
		"\theader.d=example.net header.s=sel1 header.b=\"abc/+def\"; dmarc=pass\r\n"
		"\theader.from=example.net policy.dmarc=reject; arc=none\r\n");
	check_lines(buf_cstr(&out));
	round_trip(buf_cstr(&out), "mx.example.com");
	buf_free(&out);
}

static void
test_quoting(void **state)
{
	struct authres_builder b;
	struct buf out;

	(void)state;
	buf_init(&out);
	authres_append_value(&out, "token-ok.1", 10);
	buf_appendc(&out, '|');
	authres_append_value(&out, "a b", 3);
	buf_appendc(&out, '|');
	authres_append_value(&out, "x=\"y\"\\", 6);
	buf_appendc(&out, '|');
	authres_append_value(&out, "cr\r\nlf", 6);
	buf_appendc(&out, '|');
	authres_append_value(&out, "", 0);
	assert_string_equal(buf_cstr(&out),
			    "token-ok.1|\"a b\"|\"x=\\\"y\\\"\\\\\"|\"cr??lf\"|\"\"");

	buf_reset(&out);
	authres_begin(&b, &out, "odd id;", 0);
	authres_method(&b, "spf", "fail");
	authres_reason(&b, "token");
	authres_prop(&b, "smtp", "mailfrom", "@example.net");
	authres_prop(&b, "smtp", "helo", "has space");
	authres_comment(&b, "a (nested) \\ comment");
	authres_prop(&b, "smtp", "mailfrom", "a..b@example.net");
	authres_prop(&b, "smtp", "mailfrom", "a@exa_mple.net");
	authres_end(&b);
	assert_string_equal(
		buf_cstr(&out),
		"Authentication-Results: \"odd id;\"; spf=fail reason=token\r\n"
		"\tsmtp.mailfrom=@example.net smtp.helo=\"has space\" (a \\(nested\\) \\\\ "
		"comment)\r\n"
		"\tsmtp.mailfrom=\"a..b@example.net\" smtp.mailfrom=\"a@exa_mple.net\"\r\n");
	check_lines(buf_cstr(&out));
	round_trip(buf_cstr(&out), "odd id;");
	buf_free(&out);
}

static void
test_folding_many(void **state)
{
	struct authres_builder b;
	struct buf out;
	int i;

	(void)state;
	buf_init(&out);
	authres_begin(&b, &out, "a-rather-long-authserv-id.mail.example.com", 1);
	for (i = 0; i < 10; i++) {
		authres_method(&b, "dkim", i % 2 ? "pass" : "permerror");
		authres_reason(&b, "a reason with quite a few words in it");
		authres_prop(&b, "header", "d", "subdomain.example.org");
		authres_prop(&b, "header", "s", "selector2026");
		authres_prop_b(&b, "AbCdEfGhIjKl");
	}
	/* an element longer than a line stays whole on its own line */
	authres_method(&b, "x-long", "pass");
	authres_prop(&b, "header", "x",
		     "0123456789012345678901234567890123456789012345678901234567890123456789");
	authres_end(&b);
	{
		const char *line = buf_cstr(&out), *nl;
		int long_lines = 0, folds = 0;

		while ((nl = strstr(line, "\r\n")) != NULL) {
			if ((size_t)(nl - line) > AUTHRES_LINE_MAX) {
				assert_true(strncmp(line, "\theader.x=", 10) == 0);
				long_lines++;
			}
			line = nl + 2;
			folds += *line == '\t';
		}
		assert_int_equal(long_lines, 1);
		assert_true(folds > 20);
	}
	round_trip(buf_cstr(&out), "a-rather-long-authserv-id.mail.example.com");
	buf_free(&out);
}

static void
test_not_checked(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out);
	authres_not_checked_submission(&out, "mx.example.com", "alice");
	assert_string_equal(buf_cstr(&out),
			    "Authentication-Results: mx.example.com; auth=pass\r\n"
			    "\t(not checked: authenticated submission) smtp.auth=alice\r\n");
	round_trip(buf_cstr(&out), "mx.example.com");
	buf_reset(&out);
	authres_not_checked_mynetworks(&out, "mx.example.com");
	assert_string_equal(
		buf_cstr(&out),
		"Authentication-Results: mx.example.com; none (not checked: mynetworks)\r\n");
	round_trip(buf_cstr(&out), "mx.example.com");
	buf_free(&out);
}

static const char forged[] =
	"Received: from a by b; Thu, 3 Dec 2026 00:00:00 +0000\r\n"
	"Authentication-Results: MX.EXAMPLE.COM; spf=pass smtp.mailfrom=x@y\r\n"
	"Authentication-Results: other.example.net; dkim=pass header.d=y\r\n"
	"authentication-results: \"mx.example.com\"; dmarc=pass\r\n"
	"Authentication-Results: (forged)\r\n"
	"\tmx.example.com (ours?) 1;\r\n"
	"\tarc=pass\r\n"
	"Authentication-Results: mx.example.com spf=pass\r\n"
	"Authentication-Results: mx.example.com.evil; spf=pass\r\n"
	"Authentication-Results: mx.example.com.; none\r\n"
	"X-Authentication-Results: mx.example.com; none\r\n"
	"Authentication-Results-Foo: mx.example.com; none\r\n"
	"Subject: mx.example.com; none\r\n"
	"\r\n"
	"Authentication-Results: mx.example.com; in the body\r\n";

static void
test_strip(void **state)
{
	struct rfc5322_field f[8];
	struct buf out;

	(void)state;
	assert_int_equal(authres_find_ours(forged, strlen(forged), "mx.example.com", f, 8), 5);
	assert_true(strncmp(f[0].raw, "Authentication-Results: MX.", 27) == 0);
	assert_true(strncmp(f[1].raw, "authentication-results: \"mx", 27) == 0);
	assert_true(strncmp(f[2].raw, "Authentication-Results: (forged)", 32) == 0);
	assert_int_equal(authres_find_ours(forged, strlen(forged), "mx.example.com", f, 2), 5);
	assert_int_equal(authres_find_ours(forged, strlen(forged), "nobody.example", f, 8), 0);

	buf_init(&out);
	assert_int_equal(authres_strip_ours(forged, strlen(forged), "mx.example.com", &out), 5);
	assert_string_equal(buf_cstr(&out),
			    "Received: from a by b; Thu, 3 Dec 2026 00:00:00 +0000\r\n"
			    "Authentication-Results: other.example.net; dkim=pass header.d=y\r\n"
			    "Authentication-Results: mx.example.com.evil; spf=pass\r\n"
			    "X-Authentication-Results: mx.example.com; none\r\n"
			    "Authentication-Results-Foo: mx.example.com; none\r\n"
			    "Subject: mx.example.com; none\r\n"
			    "\r\n"
			    "Authentication-Results: mx.example.com; in the body\r\n");
	/* nothing to remove: byte-exact copy */
	buf_reset(&out);
	assert_int_equal(authres_strip_ours(forged, strlen(forged), "other.example.org", &out), 0);
	assert_int_equal(out.len, strlen(forged));
	assert_memory_equal(out.data, forged, out.len);
	/* bare LF line ends, and a header without a final empty line */
	buf_reset(&out);
	{
		const char *lf = "A: 1\nAuthentication-Results: mx.example.com; none\nB: 2";

		assert_int_equal(authres_strip_ours(lf, strlen(lf), "mx.example.com", &out), 1);
		assert_string_equal(buf_cstr(&out), "A: 1\nB: 2");
	}
	buf_free(&out);
}

/* what the builder makes is recognized as ours, and removed */
static void
test_build_then_strip(void **state)
{
	struct authres_builder b;
	struct buf msg, out;

	(void)state;
	buf_init(&msg);
	buf_init(&out);
	authres_begin(&b, &msg, "Mx.Example.Com", 1);
	authres_method(&b, "spf", "pass");
	authres_comment(&b, "x");
	authres_end(&b);
	buf_appends(&msg, "Subject: hi\r\n\r\nbody\r\n");
	assert_int_equal(authres_strip_ours(msg.data, msg.len, "mx.example.com", &out), 1);
	assert_string_equal(buf_cstr(&out), "Subject: hi\r\n\r\nbody\r\n");
	buf_free(&msg);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appendix_b),   cmocka_unit_test(test_parse_quoted_and_bad),
		cmocka_unit_test(test_id_equal),     cmocka_unit_test(test_build_none),
		cmocka_unit_test(test_build_full),   cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_folding_many), cmocka_unit_test(test_not_checked),
		cmocka_unit_test(test_strip),        cmocka_unit_test(test_build_then_strip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
