/* Tests of LIST / LSUB pattern matching (RFC 3501 6.3.8, RFC 9051 6.3.9): "*", "%", the
 * delimiter, and patterns that made the old backtracking matcher take exponential time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "imap/imap_list_match.h"

static bool
m(const char *pattern, const char *name)
{
	return imap_list_match(pattern, name, '/');
}

static void
test_literal(void **state)
{
	(void)state;
	assert_true(m("INBOX", "INBOX"));
	assert_false(m("INBOX", "INBOXX"));
	assert_false(m("INBOX", "INBO"));
	assert_false(m("inbox", "INBOX")); /* case is the caller's (INBOX normalized) */
	assert_true(m("", ""));
	assert_false(m("", "a"));
	assert_true(m("a/b", "a/b"));
}

static void
test_star(void **state)
{
	(void)state;
	assert_true(m("*", ""));
	assert_true(m("*", "a"));
	assert_true(m("*", "a/b/c"));
	assert_true(m("a*", "a/b/c"));
	assert_true(m("*c", "a/b/c"));
	assert_true(m("a*c", "abc"));
	assert_true(m("a*c", "ac"));
	assert_false(m("a*c", "ab"));
	assert_true(m("*a*a*", "xaxax"));
	assert_false(m("*a*a*", "xax"));
	assert_true(m("**", "a/b"));
	assert_true(m("a/*", "a/b/c"));
	assert_false(m("a/*", "a"));
}

static void
test_percent(void **state)
{
	(void)state;
	/* RFC 3501 6.3.8: "%" does not match the hierarchy delimiter */
	assert_true(m("%", "a"));
	assert_true(m("%", ""));
	assert_false(m("%", "a/b"));
	assert_true(m("%/%", "a/b"));
	assert_false(m("%/%", "a/b/c"));
	assert_true(m("a/%", "a/b"));
	assert_false(m("a/%", "a/b/c"));
	assert_true(m("a%", "abc"));
	assert_false(m("a%c", "a/c"));
	assert_true(m("%%", "ab"));
	assert_false(m("%%", "a/b"));
	/* a run with a "*" in it is "*" */
	assert_true(m("%*", "a/b"));
	assert_true(m("*%", "a/b"));
	assert_true(m("%%*%", "a/b/c"));
	assert_true(m("%/*", "a/b/c"));
	assert_false(m("%/*", "ab"));
}

static void
test_other_delimiter(void **state)
{
	(void)state;
	assert_true(imap_list_match("%", "a/b", '.'));
	assert_false(imap_list_match("%", "a.b", '.'));
}

/* The pattern of the issue: exponential for a backtracking matcher, instant here. */
static void
test_pathological(void **state)
{
	char name[501], pat[2001];
	struct timespec t0, t1;
	double ms;

	(void)state;
	memset(name, 'a', 500);
	name[500] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_false(m("*a*a*a*a*a*b", name));
	assert_false(m("%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%b", name));
	/* every other byte a wildcard, 1000 wildcards */
	for (size_t i = 0; i < 2000; i += 2) {
		pat[i] = i % 4 == 0 ? '*' : '%';
		pat[i + 1] = 'a';
	}
	pat[1999] = 'b';
	pat[2000] = '\0';
	assert_false(m(pat, name));
	pat[1999] = 'a';
	assert_false(m(pat, name)); /* 1000 "a" needed, 500 there */
	memcpy(pat, "*a*a*a*a*a*a", 13);
	assert_true(m(pat, name));
	/* names longer than the stack row */
	{
		char *big = malloc(5001);

		assert_non_null(big);
		memset(big, 'a', 5000);
		big[5000] = '\0';
		assert_true(m("*a*a*a*a*a*a*a*a*a*a", big));
		assert_false(m("*a*a*a*a*a*a*a*a*a*b", big));
		free(big);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	/* a few ms; the old matcher did not finish (sanitized builds are slower) */
	assert_true(ms < 2000.0);
}

/* Brute force (exponential, small inputs only) against the DP matcher. */
static bool
naive(const char *p, const char *n)
{
	if (*p == '\0')
		return *n == '\0';
	if (*p == '*' || *p == '%') {
		for (const char *k = n;; k++) {
			if (naive(p + 1, k))
				return true;
			if (*k == '\0' || (*p == '%' && *k == '/'))
				return false;
		}
	}
	return *p == *n && naive(p + 1, n + 1);
}

static void
test_against_naive(void **state)
{
	static const char alphabet[] = "ab/*%";
	unsigned seed = 12345;

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		char p[9], n[9];
		size_t lp, ln;

		seed = seed * 1103515245u + 12345u;
		lp = (seed >> 16) % 8;
		seed = seed * 1103515245u + 12345u;
		ln = (seed >> 16) % 8;
		for (size_t i = 0; i < lp; i++) {
			seed = seed * 1103515245u + 12345u;
			p[i] = alphabet[(seed >> 16) % 5];
		}
		for (size_t i = 0; i < ln; i++) {
			seed = seed * 1103515245u + 12345u;
			n[i] = alphabet[(seed >> 16) % 3];
		}
		p[lp] = n[ln] = '\0';
		if (m(p, n) != naive(p, n))
			fail_msg("pattern \"%s\" name \"%s\": got %d", p, n, m(p, n));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal),      cmocka_unit_test(test_star),
		cmocka_unit_test(test_percent),      cmocka_unit_test(test_other_delimiter),
		cmocka_unit_test(test_pathological), cmocka_unit_test(test_against_naive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
