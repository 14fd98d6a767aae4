/* Durability off the loop (src/store/README.md "Threads"): store_account_sync calls back on
 * the loop after the change; account creation on a store thread; loop connections do not
 * checkpoint (the store's checkpoint does, and restarts the WAL itself); an account handle
 * opened while its load gave a job a reference keeps both references. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_account.h"
#include "store/store_mailbox.h"
#include "store/store_private.h"
#include "store_test_util.h"
#include "util/xmalloc.h"

struct done {
	struct event_base *base;
	int calls, result;
};

static void
on_done(void *ctx, int result, const char *error)
{
	struct done *d = ctx;

	(void)error;
	d->calls++;
	d->result = result;
	event_base_loopbreak(d->base);
}

static struct store *
open_async(const char *dir, struct event_base **base_r)
{
	const char *error;
	struct store *store;

	evthread_use_pthreads();
	*base_r = event_base_new();
	store = store_open(dir, *base_r, &error);
	assert_non_null(store);
	return store;
}

/* The value of meta.key in the account's index, or -1. */
static long long
meta_value(const char *dir, const char *key)
{
	char *path = xasprintf("%s/mail/a@example.test/index.db", dir);
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(
		sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL),
		SQLITE_OK);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	return v;
}

static void
test_sync_and_create(void **state)
{
	char *dir = test_tmpdir();
	struct event_base *base;
	struct store *store = open_async(dir, &base);
	struct done d = {base, 0, -1};
	struct store_account *acct;
	const char *error;

	(void)state;
	/* the creation fsyncs: it runs on a store thread and calls back on the loop */
	store_account_create_async(store, "a@example.test", on_done, &d);
	assert_int_equal(d.calls, 0);
	event_base_dispatch(base);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.result, 0);
	assert_true(store_account_exists(store, "a@example.test"));

	acct = store_account_open(store, "a@example.test", &error);
	assert_non_null(acct);
	assert_int_equal(store_mailbox_create(acct, "Box", 0, &error), 0);
	d.calls = 0;
	d.result = -1;
	store_account_sync(acct, on_done, &d);
	assert_int_equal(d.calls, 0); /* not inline: a store thread syncs */
	event_base_dispatch(base);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.result, 0);
	assert_int_equal(store_account_sync_wait(acct, &error), 0);

	/* no checkpoint by the loop's commits; the store's checkpoint (here the final one)
	 * copies the WAL and restarts it with its own write */
	for (int i = 0; i < 50; i++) {
		char name[32];

		snprintf(name, sizeof(name), "Box%d", i);
		assert_int_equal(store_mailbox_create(acct, name, 0, &error), 0);
	}
	assert_int_equal(meta_value(dir, "wal_restarts"), -1);
	store_account_unref(&acct);
	store_close(&store);
	assert_int_equal(meta_value(dir, "wal_restarts"), 1);
	event_base_free(base);
	test_rmrf(dir);
	free(dir);
}

static void
test_open_refs(void **state)
{
	char *dir = test_tmpdir();
	struct event_base *base;
	struct store *store = test_store_open(dir);
	struct store_account *acct;
	const char *error;

	(void)state;
	assert_int_equal(store_account_create(store, "a@example.test", &error), 0);
	store_close(&store);
	/* a file left to unlink (a crash after an expunge): the load hands it to a job,
	 * which holds a reference of its own until it is done */
	{
		char *path = xasprintf("%s/mail/a@example.test/index.db", dir);
		sqlite3 *db;

		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "INSERT INTO pending_unlink VALUES ('gone')",
					      NULL, NULL, NULL),
				 SQLITE_OK);
		sqlite3_close(db);
		free(path);
	}
	store = open_async(dir, &base);
	acct = store_account_open(store, "a@example.test", &error);
	assert_non_null(acct);
	assert_int_equal(acct->refs, 2);
	store_account_unref(&acct);
	store_close(&store); /* the job finishes: its reference goes, the handle is freed */
	event_base_free(base);
	test_rmrf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sync_and_create),
		cmocka_unit_test(test_open_refs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
