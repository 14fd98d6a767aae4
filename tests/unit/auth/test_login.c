/* Unit tests of auth_plaintext_allowed() (src/auth/auth_login.c): passwords in clear only
 * over TLS or from loopback, the rule the POP3 and IMAP servers apply (integration tests
 * cannot reach it from a non-loopback address on this machine). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/auth_login.h"

static bool
allowed(bool tls, const char *ip)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, ip, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		return auth_plaintext_allowed(tls, (struct sockaddr *)&sin);
	}
	assert_int_equal(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
	sin6.sin6_family = AF_INET6;
	return auth_plaintext_allowed(tls, (struct sockaddr *)&sin6);
}

static void
test_loopback_allowed(void **state)
{
	(void)state;
	assert_true(allowed(false, "127.0.0.1"));
	assert_true(allowed(false, "127.9.8.7"));
	assert_true(allowed(false, "::1"));
	assert_true(allowed(false, "::ffff:127.0.0.1"));
}

static void
test_remote_needs_tls(void **state)
{
	(void)state;
	assert_false(allowed(false, "10.0.0.1"));
	assert_false(allowed(false, "192.0.2.7"));
	assert_false(allowed(false, "128.0.0.1"));
	assert_false(allowed(false, "2001:db8::1"));
	assert_false(allowed(false, "::ffff:10.0.0.1"));
	assert_false(allowed(false, "::2"));
	assert_true(allowed(true, "10.0.0.1"));
	assert_true(allowed(true, "2001:db8::1"));
}

static void
test_other_families_refused(void **state)
{
	struct sockaddr sa;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	assert_false(auth_plaintext_allowed(false, &sa));
	assert_true(auth_plaintext_allowed(true, &sa));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_allowed),
		cmocka_unit_test(test_remote_needs_tls),
		cmocka_unit_test(test_other_families_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
