/* Unit tests for the admin flag (accounts_admin.c, schema step 3 of yubin.db): off for a new
 * account, set and cleared by any case of the address, asked by the account name, seen by
 * another connection, refused for an unknown account. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth_fixture.h"

static void
test_admin_flag(void **state)
{
	struct auth_fixture *f = auth_fixture_new("");
	struct accounts *other;
	const char *error;

	(void)state;
	assert_int_equal(accounts_user_add(f->a, "Alice@example.test", "pw", false, &error), 0);
	assert_int_equal(accounts_user_add(f->a, "bob@example.test", "pw", false, &error), 0);
	assert_false(accounts_user_is_admin(f->a, "alice@example.test"));
	assert_int_equal(accounts_user_set_admin(f->a, "ALICE@example.test", true, &error), 0);
	assert_true(accounts_user_is_admin(f->a, "alice@example.test"));
	assert_false(accounts_user_is_admin(f->a, "bob@example.test"));
	assert_false(accounts_user_is_admin(f->a, "nobody@example.test"));
	/* the admin command's connection, the server's: the server sees it at the next ask */
	other = accounts_open(&f->set, &error);
	assert_non_null(other);
	assert_true(accounts_user_is_admin(other, "alice@example.test"));
	assert_int_equal(accounts_user_set_admin(other, "alice@example.test", false, &error), 0);
	accounts_close(&other);
	assert_false(accounts_user_is_admin(f->a, "alice@example.test"));
	assert_int_equal(accounts_user_set_admin(f->a, "carol@example.test", true, &error), -1);
	assert_string_equal(error, "no such account");
	assert_int_equal(accounts_user_set_admin(f->a, "not an address", true, &error), -1);
	auth_fixture_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admin_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
