/* Unit tests for per-account quotas (accounts_quota.c): the account's own limit set,
 * removed and read back (from the in-memory copy, also after another connection changed
 * it), and the mailbox_quota default. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth_fixture.h"

static void
test_quota(void **state)
{
	struct auth_fixture *f = auth_fixture_new("mailbox_quota = 10m\n");
	struct accounts *other;
	unsigned long long bytes;
	const char *error;

	(void)state;
	assert_int_equal(accounts_user_add(f->a, "Alice@example.test", "pw", false, &error), 0);
	assert_int_equal(accounts_user_add(f->a, "bob@example.test", "pw", false, &error), 0);
	/* no limit of their own: mailbox_quota */
	assert_int_equal(accounts_user_quota(f->a, "alice@example.test", &bytes), 0);
	assert_int_equal(accounts_quota_limit(f->a, "alice@example.test"), 10 << 20);
	/* set by any case of the address, read by the account name */
	assert_int_equal(accounts_user_set_quota(f->a, "ALICE@example.test", 5000, &error), 0);
	assert_int_equal(accounts_user_quota(f->a, "alice@example.test", &bytes), 1);
	assert_int_equal(bytes, 5000);
	assert_int_equal(accounts_quota_limit(f->a, "alice@example.test"), 5000);
	assert_int_equal(accounts_quota_limit(f->a, "bob@example.test"), 10 << 20);
	/* 0: unlimited, whatever the default */
	assert_int_equal(accounts_user_set_quota(f->a, "bob@example.test", 0, &error), 0);
	assert_int_equal(accounts_quota_limit(f->a, "bob@example.test"), 0);
	/* a change through another connection (the admin command) is seen */
	other = accounts_open(&f->set, &error);
	assert_non_null(other);
	assert_int_equal(accounts_user_set_quota(other, "alice@example.test", -1, &error), 0);
	accounts_close(&other);
	for (int i = 0; i < 200 && accounts_user_quota(f->a, "alice@example.test", &bytes) == 1;
	     i++)
		usleep(5000); /* the copy checks data_version at most once a millisecond */
	assert_int_equal(accounts_quota_limit(f->a, "alice@example.test"), 10 << 20);
	/* no such account */
	assert_int_equal(accounts_user_set_quota(f->a, "carol@example.test", 1, &error), -1);
	assert_string_equal(error, "no such account");
	auth_fixture_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quota),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
