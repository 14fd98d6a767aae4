/* Unit tests for recipient resolution and sender ownership: +tags, domain case, exact
 * local parts, postmaster, aliases (multi-target, nested, remote, loops, self, catch-all,
 * depth and de-duplication), and accounts_owns_address(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth_fixture.h"
#include "util/xmalloc.h"

static void
add_user(struct auth_fixture *f, const char *address)
{
	const char *error = NULL;

	if (accounts_user_add(f->a, address, "pw", false, &error) < 0)
		fail_msg("user add %s: %s", address, error);
}

static void
add_alias(struct auth_fixture *f, const char *alias, const char *targets_csv)
{
	char *copy = xstrdup(targets_csv), *save = NULL;
	const char *targets[16];
	const char *error = NULL;
	size_t n = 0;

	for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
		targets[n++] = t;
	targets[n] = NULL;
	if (accounts_alias_add(f->a, alias, targets, &error) < 0)
		fail_msg("alias add %s: %s", alias, error);
	free(copy);
}

static void
expect(struct auth_fixture *f, const char *address, const char *want)
{
	char *got = auth_fixture_resolve(f, address);

	if (strcmp(got, want) != 0)
		fail_msg("resolve(%s) = \"%s\", want \"%s\"", address, got, want);
	free(got);
}

static int
setup(void **state)
{
	struct auth_fixture *f = auth_fixture_new("");

	add_user(f, "alice@example.test");
	add_user(f, "John@example.test");
	add_user(f, "bob@other.test");
	add_user(f, "a+b@example.test"); /* an account whose name contains the delimiter */
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct auth_fixture *f = *state;
	auth_fixture_free(&f);
	return 0;
}

static void
test_users(void **state)
{
	struct auth_fixture *f = *state;

	expect(f, "alice@example.test", "l:alice@example.test r:");
	expect(f, "alice@EXAMPLE.Test", "l:alice@example.test r:");
	expect(f, "Alice@example.test", "unknown"); /* local part as stored */
	expect(f, "John@example.test", "l:john@example.test r:");
	expect(f, "john@example.test", "unknown");
	expect(f, "bob@OTHER.TEST", "l:bob@other.test r:");
	expect(f, "nobody@example.test", "unknown");
	expect(f, "someone@remote.test", "l: r:someone@remote.test");
	expect(f, "Someone@Remote.TEST", "l: r:Someone@remote.test");
	expect(f, "no-at-sign", "error");
	expect(f, "@example.test", "error");
	expect(f, "a@", "error");
}

static void
test_tags(void **state)
{
	struct auth_fixture *f = *state;

	expect(f, "alice+news@example.test", "l:alice@example.test r:");
	expect(f, "alice+a+b@Example.test", "l:alice@example.test r:");
	expect(f, "alice+@example.test", "l:alice@example.test r:");
	expect(f, "+alice@example.test", "unknown");
	expect(f, "a+b@example.test", "l:a+b@example.test r:"); /* exact match first */
	expect(f, "a+c@example.test", "unknown");               /* "a" is no account */
	expect(f, "nobody+x@example.test", "unknown");
	expect(f, "x+tag@remote.test", "l: r:x+tag@remote.test"); /* remote: untouched */
}

static void
test_no_delimiter(void **state)
{
	struct auth_fixture *f = auth_fixture_new("recipient_delimiter =\n");

	add_user(f, "alice@example.test");
	expect(f, "alice+news@example.test", "unknown");
	expect(f, "alice@example.test", "l:alice@example.test r:");
	auth_fixture_free(&f);
}

static void
test_postmaster(void **state)
{
	struct auth_fixture *f = *state;

	expect(f, "postmaster@example.test", "unknown");
	add_alias(f, "postmaster@example.test", "alice@example.test");
	expect(f, "postmaster@example.test", "l:alice@example.test r:");
	expect(f, "PostMaster@Example.Test", "l:alice@example.test r:"); /* RFC 5321 4.5.1 */
	expect(f, "postmaster@other.test", "unknown");
}

static void
test_aliases(void **state)
{
	struct auth_fixture *f = *state;

	add_alias(f, "team@example.test", "alice@example.test,bob@other.test,ext@Remote.test");
	expect(f, "team@example.test", "l:alice@example.test,bob@other.test r:ext@remote.test");
	expect(f, "team+x@example.test", "l:alice@example.test,bob@other.test r:ext@remote.test");
	/* nested, with de-duplication */
	add_alias(f, "all@example.test",
		  "team@example.test,alice@example.test,ext@remote.test,"
		  "alice+tag@example.test");
	expect(f, "all@example.test", "l:alice@example.test,bob@other.test r:ext@remote.test");
	/* an alias overrides an account of the same name; listing itself keeps a copy */
	add_alias(f, "alice@example.test", "alice@example.test,copy@remote.test");
	expect(f, "alice@example.test", "l:alice@example.test r:copy@remote.test");
	expect(f, "alice+x@example.test", "l:alice@example.test r:copy@remote.test");
	/* remote only */
	add_alias(f, "fwd@example.test", "x@remote.test");
	expect(f, "fwd@example.test", "l: r:x@remote.test");
	/* targets that do not exist are dropped; none left = unknown */
	add_alias(f, "half@example.test", "ghost@example.test,bob@other.test");
	expect(f, "half@example.test", "l:bob@other.test r:");
	add_alias(f, "dead@example.test", "ghost@example.test");
	expect(f, "dead@example.test", "unknown");
	/* alias names compare like accounts: exact local part */
	expect(f, "Team@example.test", "unknown");
}

static void
test_loops(void **state)
{
	struct auth_fixture *f = *state;

	add_alias(f, "l1@example.test", "l2@example.test");
	add_alias(f, "l2@example.test", "l1@example.test");
	expect(f, "l1@example.test", "unknown"); /* a pure loop reaches nobody */
	add_alias(f, "l3@example.test", "l4@example.test,alice@example.test");
	add_alias(f, "l4@example.test", "l3@example.test,bob@other.test");
	expect(f, "l3@example.test", "l:bob@other.test,alice@example.test r:");
	/* a chain deeper than ACCOUNTS_ALIAS_MAX_DEPTH is cut, not followed forever */
	for (int i = 0; i < ACCOUNTS_ALIAS_MAX_DEPTH + 5; i++) {
		char alias[64], target[128];
		snprintf(alias, sizeof(alias), "d%d@example.test", i);
		snprintf(target, sizeof(target), "d%d@example.test,x%d@remote.test", i + 1, i);
		add_alias(f, alias, target);
	}
	char *got = auth_fixture_resolve(f, "d0@example.test");
	assert_non_null(strstr(got, "x0@remote.test"));
	assert_null(strstr(got, "x20@remote.test"));
	free(got);
}

static void
test_catchall(void **state)
{
	struct auth_fixture *f = *state;

	add_alias(f, "@other.test", "alice@example.test");
	expect(f, "anything@other.test", "l:alice@example.test r:");
	expect(f, "bob@other.test", "l:bob@other.test r:"); /* accounts first */
	expect(f, "anything@example.test", "unknown");
}

static void
test_owns(void **state)
{
	struct auth_fixture *f = *state;

	add_alias(f, "sales@example.test", "alice@example.test,bob@other.test");
	add_alias(f, "fwd@example.test", "x@remote.test");
	assert_true(accounts_owns_address(f->a, "alice@example.test", "alice@example.test"));
	assert_true(accounts_owns_address(f->a, "alice@example.test", "alice@EXAMPLE.TEST"));
	assert_true(accounts_owns_address(f->a, "alice@example.test", "alice+tag@example.test"));
	assert_true(accounts_owns_address(f->a, "alice@example.test", "sales@example.test"));
	assert_true(accounts_owns_address(f->a, "bob@other.test", "sales@example.test"));
	assert_true(accounts_owns_address(f->a, "john@example.test", "John@example.test"));
	assert_false(accounts_owns_address(f->a, "alice@example.test", "bob@other.test"));
	assert_false(accounts_owns_address(f->a, "alice@example.test", "fwd@example.test"));
	assert_false(accounts_owns_address(f->a, "alice@example.test", "alice@remote.test"));
	assert_false(accounts_owns_address(f->a, "alice@example.test", "nobody@example.test"));
	assert_false(accounts_owns_address(f->a, "alice@example.test", ""));
	assert_false(accounts_owns_address(f->a, "bad", "alice@example.test"));
}

static void
test_local_domain(void **state)
{
	struct auth_fixture *f = *state;

	assert_true(accounts_is_local_domain(f->a, "example.test"));
	assert_true(accounts_is_local_domain(f->a, "EXAMPLE.test"));
	assert_true(accounts_is_local_domain(f->a, "other.TEST"));
	assert_false(accounts_is_local_domain(f->a, "remote.test"));
	assert_false(accounts_is_local_domain(f->a, "sub.example.test"));
	assert_false(accounts_is_local_domain(f->a, ""));
}

/* Changes made through another connection (the admin commands run in another process)
 * are seen: the in-memory copy checks PRAGMA data_version at most once per millisecond. */
static void
test_other_connection(void **state)
{
	struct auth_fixture *f = *state;
	struct accounts *other;
	const char *error;
	const char *targets[] = {"bob@other.test", NULL};

	expect(f, "carol@example.test", "unknown");
	other = accounts_open(&f->set, &error);
	assert_non_null(other);
	assert_int_equal(accounts_user_add(other, "carol@example.test", "pw", false, &error), 0);
	assert_int_equal(accounts_alias_add(other, "help@example.test", targets, &error), 0);
	usleep(2000);
	expect(f, "carol@example.test", "l:carol@example.test r:");
	expect(f, "help@example.test", "l:bob@other.test r:");
	assert_int_equal(accounts_user_del(other, "carol@example.test", &error), 0);
	usleep(2000);
	expect(f, "carol@example.test", "unknown");
	accounts_close(&other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tags, setup, teardown),
		cmocka_unit_test(test_no_delimiter),
		cmocka_unit_test_setup_teardown(test_postmaster, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aliases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catchall, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_domain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_connection, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
