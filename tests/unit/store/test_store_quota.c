/* Store tests: the usage an account's quota is measured against (store_quota.h): kept by
 * delivery, APPEND, COPY, MOVE, EXPUNGE and mailbox DELETE in the same transactions, and
 * computed once by the schema step for an account from before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_account.h"
#include "store/store_mailbox.h"
#include "store/store_msg.h"
#include "store/store_quota.h"
#include "store/store_view.h"
#include "store_test_util.h"
#include "util/xmalloc.h"

/* What a walk over every mailbox gives: the truth the running total must equal. */
static void
walk_usage(struct store_account *acct, struct store_usage *u)
{
	static const char *const boxes[] = {"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"};
	struct store_status st;
	const char *error;

	memset(u, 0, sizeof(*u));
	for (size_t i = 0; i < sizeof(boxes) / sizeof(boxes[0]); i++) {
		if (store_mailbox_status(acct, boxes[i], &st, &error) < 0)
			continue;
		u->bytes += st.size;
		u->messages += st.messages;
	}
}

static void
assert_usage(struct store_account *acct, unsigned long long messages)
{
	struct store_usage u, walk;

	assert_int_equal(store_quota_usage(acct, &u), 0);
	walk_usage(acct, &walk);
	assert_int_equal(u.messages, messages);
	assert_int_equal(u.messages, walk.messages);
	assert_int_equal(u.bytes, walk.bytes);
}

static void
test_usage_follows_changes(void **state)
{
	struct test_account *t = *state;
	struct store_target target = {
		.account = TEST_ACCOUNT, .prefix = "X-P: 1\r\n", .prefix_len = 8};
	struct store_copy_result res;
	struct store_view *view;
	struct store_usage u;
	const char *error;
	uint32_t uids[3];
	size_t len;
	char *msg;

	assert_int_equal(store_quota_usage(t->acct, &u), 0);
	assert_int_equal(u.bytes, 0);
	assert_int_equal(u.messages, 0);

	uids[0] = test_append_msg(t->acct, "INBOX", 1000, 1);
	uids[1] = test_append_msg(t->acct, "INBOX", 3000, 2);
	msg = test_make_msg(5000, 3, &len);
	assert_int_equal(store_deliver_sync(t->store, &target, 1, msg, len, 0, &error), 0);
	free(msg);
	assert_usage(t->acct, 3);
	assert_int_equal(store_quota_usage(t->acct, &u), 0);
	assert_true(u.bytes >= 9000);

	assert_int_equal(store_view_open(t->acct, "INBOX", false, &view, &error), 0);
	uids[2] = uids[1] + 1;
	/* COPY counts again (two messages for the client), MOVE does not change it */
	assert_int_equal(store_view_copy(view, uids, 2, "Archive", false, &res, &error), 0);
	store_copy_result_free(&res);
	assert_usage(t->acct, 5);
	assert_int_equal(store_view_copy(view, &uids[2], 1, "Trash", true, &res, &error), 0);
	store_copy_result_free(&res);
	assert_usage(t->acct, 5);
	/* EXPUNGE frees */
	assert_int_equal(store_view_expunge(view, uids, 1, &error), 0);
	assert_usage(t->acct, 4);
	store_view_close(&view);
	/* so does deleting a mailbox with its messages */
	assert_int_equal(store_mailbox_delete(t->acct, "Archive", &error), 0);
	assert_usage(t->acct, 2);
	assert_int_equal(store_quota_usage_of(t->store, TEST_ACCOUNT, &u), 0);
	assert_int_equal(u.messages, 2);
	assert_int_equal(store_quota_usage_of(t->store, "nobody@example.test", &u), -1);
}

/* An index.db from before the quota (schema 3: no totals, no triggers) gets its totals
 * computed once when it is opened. */
static void
test_migration(void **state)
{
	struct test_account *t = *state;
	char *path = xasprintf("%s/mail/%s/index.db", t->dir, TEST_ACCOUNT);
	struct store_usage u;
	sqlite3 *db;

	test_append_msg(t->acct, "INBOX", 2000, 1);
	test_append_msg(t->acct, "Sent", 700, 2);
	test_append_msg(t->acct, "Junk", 100, 3);
	store_account_unref(&t->acct);
	store_close(&t->store);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TRIGGER quota_insert; DROP TRIGGER quota_delete;"
				      " DROP TRIGGER quota_resize;"
				      " DELETE FROM meta WHERE key LIKE 'quota_%';"
				      " ALTER TABLE msgdata DROP COLUMN header;"
				      " PRAGMA user_version = 3;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	free(path);

	t->store = test_store_open(t->dir);
	t->acct = store_account_open(t->store, TEST_ACCOUNT, &(const char *){NULL});
	assert_non_null(t->acct);
	assert_usage(t->acct, 3);
	test_append_msg(t->acct, "INBOX", 500, 4);
	assert_usage(t->acct, 4);
	assert_int_equal(store_quota_usage(t->acct, &u), 0);
	assert_true(u.bytes > 3300);
}

static void
test_exceeds(void **state)
{
	(void)state;
	assert_false(store_quota_exceeds(100, 1000, 0)); /* 0: unlimited */
	assert_false(store_quota_exceeds(100, 900, 1000));
	assert_true(store_quota_exceeds(100, 901, 1000));
	assert_true(store_quota_exceeds(1001, 0, 1000));
	assert_false(store_quota_exceeds(1000, 0, 1000));
	assert_true(store_quota_exceeds(1, ~0ULL, 1000)); /* no wrap-around */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_usage_follows_changes, test_account_setup,
						test_account_teardown),
		cmocka_unit_test_setup_teardown(test_migration, test_account_setup,
						test_account_teardown),
		cmocka_unit_test(test_exceeds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
