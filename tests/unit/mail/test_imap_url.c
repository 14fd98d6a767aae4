/* Tests of the IMAP URL parser's URLAUTH parts (RFC 4467 9: ";expire=", ";urlauth=",
 * the verifier), the URL owner, and the INTERNAL mechanism's HMAC-SHA1 (RFC 2202 test
 * cases; store_urlauth_hmac_hex). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mail/imap_url.h"
#include "store/store_urlauth.h"

static int
parse(const char *s, struct imap_url *u)
{
	const char *error = NULL;
	int ret = imap_url_parse(s, strlen(s), u, &error);

	if (ret < 0)
		assert_non_null(error);
	return ret;
}

/* RFC 4467 8's example URL */
static void
test_rfc_example(void **state)
{
	static const char url[] = "imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth="
				  "submit+fred:internal:91354a473744909de610943775f92038";
	struct imap_url u;
	char *owner;

	(void)state;
	assert_int_equal(parse(url, &u), 0);
	assert_string_equal(u.user, "joe");
	assert_string_equal(u.host, "example.com");
	assert_string_equal(u.mailbox, "INBOX");
	assert_int_equal(u.uid, 20);
	assert_string_equal(u.section, "1.2");
	assert_string_equal(u.access, "submit+fred");
	assert_string_equal(u.mechanism, "internal");
	assert_string_equal(u.token, "91354a473744909de610943775f92038");
	/* the rump: everything before ":internal:" */
	assert_int_equal(u.rump_len, strlen(url) - strlen(":internal:") - 32);
	owner = imap_url_owner(&u);
	assert_string_equal(owner, "joe@example.com");
	free(owner);
	imap_url_free(&u);
}

static void
test_rump_expire_owner(void **state)
{
	struct imap_url u;
	char *owner;

	(void)state;
	assert_int_equal(parse("imap://Bob%40Example.test@mx/Drafts/;uid=7;expire="
			       "2030-01-02T03:04:05+01:00;urlauth=authuser",
			       &u),
			 0);
	assert_true(u.has_expire);
	assert_int_equal(u.expire, 1893549845); /* 2030-01-02T02:04:05Z */
	assert_string_equal(u.access, "authuser");
	assert_null(u.mechanism);
	assert_null(u.token);
	owner = imap_url_owner(&u); /* the user has a domain: the host is not added */
	assert_string_equal(owner, "bob@example.test");
	free(owner);
	imap_url_free(&u);
	/* no user: no owner */
	assert_int_equal(parse("/INBOX/;uid=1;urlauth=anonymous", &u), 0);
	assert_null(imap_url_owner(&u));
	imap_url_free(&u);
}

static void
test_invalid(void **state)
{
	static const char *const bad[] = {
		"/INBOX/;uid=1;urlauth=",                       /* no access */
		"/INBOX/;uid=1;urlauth=nobody",                 /* unknown access */
		"/INBOX/;uid=1;urlauth=user+",                  /* no user */
		"/INBOX/;uid=1;urlauth=anonymous:internal",     /* no token */
		"/INBOX/;uid=1;urlauth=anonymous:internal:abc", /* token too short */
		"/INBOX/;uid=1;urlauth=anonymous::0123456789abcdef0123456789abcdef",
		"/INBOX/;uid=1;urlauth=anonymous:internal:0123456789abcdef0123456789abcdeg",
		"/INBOX/;uid=1;expire=2030-13-01T00:00:00Z;urlauth=anonymous", /* month 13 */
		"/INBOX/;uid=1;expire=2030-01-01;urlauth=anonymous",           /* no time */
		"/INBOX/;uid=1;expire=2030-01-01T00:00:00Z",                   /* no urlauth */
		"/INBOX/;uid=1/;urlauth=anonymous", /* "/" before ;urlauth */
		"/INBOX/;uid=1;bogus=1",
	};
	struct imap_url u;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &u) == 0)
			fail_msg("accepted: %s", bad[i]);
		imap_url_free(&u);
	}
}

/* RFC 2202 2: HMAC-SHA1 test cases 1, 2 and 6 */
static void
test_hmac_sha1(void **state)
{
	unsigned char key1[20], key6[80];
	char out[STORE_URLAUTH_TOKEN_LEN + 1];

	(void)state;
	memset(key1, 0x0b, sizeof(key1));
	store_urlauth_hmac_hex(key1, sizeof(key1), "Hi There", 8, out);
	assert_string_equal(out, "b617318655057264e28bc0b6fb378c8ef146be00");
	store_urlauth_hmac_hex((const unsigned char *)"Jefe", 4, "what do ya want for nothing?", 28,
			       out);
	assert_string_equal(out, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
	memset(key6, 0xaa, sizeof(key6));
	store_urlauth_hmac_hex(key6, sizeof(key6),
			       "Test Using Larger Than Block-Size Key - Hash Key First", 54, out);
	assert_string_equal(out, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_example),
		cmocka_unit_test(test_rump_expire_owner),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_hmac_sha1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
