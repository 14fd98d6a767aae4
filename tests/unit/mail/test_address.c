/* Unit tests for RFC 5321 mailbox parsing, formatting and canonical forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mail/address.h"

static void
check_parse(const char *s, const char *local, const char *domain)
{
	struct address addr;
	const char *error = NULL;

	if (address_parse(s, &addr, &error) != 0)
		fail_msg("\"%s\" failed: %s", s, error);
	assert_string_equal(addr.local, local);
	assert_string_equal(addr.domain, domain);
	address_clear(&addr);
	assert_null(addr.local);
	address_clear(&addr);
}

static void
test_address_good(void **state)
{
	check_parse("user@example.org", "user", "example.org");
	check_parse("User.Name+tag@Example.ORG", "User.Name+tag", "Example.ORG");
	check_parse("a!#$%&'*+-/=?^_`{|}~@x", "a!#$%&'*+-/=?^_`{|}~", "x");
	check_parse("\"john doe\"@example.org", "john doe", "example.org");
	check_parse("\"a\\\"b\\\\c\"@x", "a\"b\\c", "x");
	check_parse("\"a@b\"@x", "a@b", "x");
	check_parse("u@[192.0.2.1]", "u", "[192.0.2.1]");
	check_parse("u@[IPv6:2001:db8::1]", "u", "[IPv6:2001:db8::1]");
	check_parse("u@[ipv6:::1]", "u", "[ipv6:::1]");
	check_parse("u@[x-tag:abc]", "u", "[x-tag:abc]");
	check_parse("u@a-b.c-d.e", "u", "a-b.c-d.e");
	check_parse("u@123.example", "u", "123.example");
	check_parse("\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.test",
		    "\xe7\x94\xa8\xe6\x88\xb7", "\xe4\xbe\x8b\xe5\xad\x90.test");
	check_parse("\"\xc3\xa9 x\"@x", "\xc3\xa9 x", "x");
}

static void
test_address_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"user",
		"Postmaster",
		"@example.org",
		"user@",
		"user@@x",
		"a b@x",
		".a@x",
		"a.@x",
		"a..b@x",
		"\"unterminated@x",
		"\"a\"b@x",
		"\"\"@x",
		"\"a\\\x01\"@x",
		"a@x..y",
		"a@.x",
		"a@x.",
		"a@-x",
		"a@x-",
		"a@x_y",
		"a@x y",
		"a@[1.2.3]",
		"a@[1.2.3.4",
		"a@[256.1.1.1]",
		"a@[IPv6:1.2.3.4]",
		"a@[IPv6:gg::]",
		"a@[:x]",
		"a@[tag:]",
		"a@[-tag:x]",
		"a@[tag:[x]",
		"a\xc3@x",
		"a@\xff.x",
		"a@\xc0\xaf.x",
		"a@\xed\xa0\x80.x",
		"a@b\x01",
		"a\x7f@x",
		"a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct address addr;
		const char *error = NULL;

		if (address_parse(bad[i], &addr, &error) != -1)
			fail_msg("\"%s\" parsed", bad[i]);
		assert_non_null(error);
		assert_null(addr.local);
		assert_false(address_is_valid(bad[i]));
	}
}

static void
test_address_lengths(void **state)
{
	char s[300];

	/* a 63-octet label is fine, the whole domain at most 255 */
	memset(s, 'a', sizeof(s));
	memcpy(s, "u@", 2);
	s[2 + 63] = '\0';
	assert_true(address_is_valid(s));
	for (size_t i = 2 + 63; i < 2 + 255; i += 64)
		s[i] = '.';
	s[2 + 255] = '\0';
	assert_true(address_is_valid(s));
	s[2 + 255] = 'a';
	s[2 + 256] = '\0';
	assert_false(address_is_valid(s));
}

static void
check_canonical(const char *s, char delim, const char *want)
{
	char *got = address_canonical(s, delim);

	if (want == NULL) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_address_canonical(void **state)
{
	check_canonical("User+tag@Example.TEST", '+', "User@example.test");
	check_canonical("User+tag+x@Example.TEST", '+', "User@example.test");
	check_canonical("User+tag@Example.TEST", '\0', "User+tag@example.test");
	check_canonical("user-tag@x", '-', "user@x");
	check_canonical("+tag@x", '+', "+tag@x");
	check_canonical("\"user\"@X", '+', "user@x");
	check_canonical("\"a b+c\"@X", '+', "\"a b\"@x");
	check_canonical("\"a\\\"b\"@x", '\0', "\"a\\\"b\"@x");
	check_canonical("u@[IPv6:::1]", '+', "u@[ipv6:::1]");
	check_canonical("\xc3\x89t\xc3\xa9@B\xc3\x9c.Test", '+',
			"\xc3\x89t\xc3\xa9@b\xc3\x9c.test");
	check_canonical("not an address", '+', NULL);
	check_canonical("", '+', NULL);
}

static void
test_address_format(void **state)
{
	struct address a = {(char *)"a.b", (char *)"x"};
	struct address b = {(char *)"a..b", (char *)"x"};
	struct address c = {(char *)"", (char *)"x"};
	char *s;

	s = address_format(&a);
	assert_string_equal(s, "a.b@x");
	free(s);
	s = address_format(&b);
	assert_string_equal(s, "\"a..b\"@x");
	free(s);
	s = address_format(&c);
	assert_string_equal(s, "\"\"@x");
	free(s);
}

static void
test_address_domain(void **state)
{
	assert_true(address_domain_is_valid("mail.example.org"));
	assert_true(address_domain_is_valid("[127.0.0.1]"));
	assert_true(address_domain_is_valid("localhost"));
	assert_false(address_domain_is_valid(""));
	assert_false(address_domain_is_valid("[127.0.0.1"));
	assert_false(address_domain_is_valid("a..b"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_good),    cmocka_unit_test(test_address_bad),
		cmocka_unit_test(test_address_lengths), cmocka_unit_test(test_address_canonical),
		cmocka_unit_test(test_address_format),  cmocka_unit_test(test_address_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
