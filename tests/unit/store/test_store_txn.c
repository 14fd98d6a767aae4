/* Store tests: what an IMAP session's everyday reads cost SQLite. A refresh, a STATUS and a
 * LIST each read in one read transaction (in WAL mode every transaction takes and drops a
 * wal-index lock with fcntl(); with 100 accounts those locks were ~6 % of the loop's CPU,
 * bench/README.md "Stress, imaptest"), and their statements are prepared once per account
 * handle, not per call. The fcntl() calls are counted through the unix VFS's system call
 * table (sqlite3_vfs.xSetSystemCall), so the test sees exactly the locks SQLite takes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_account.h"
#include "store/store_mailbox.h"
#include "store/store_msg.h"
#include "store/store_private.h"
#include "store/store_view.h"
#include "store_test_util.h"

static sqlite3_syscall_ptr real_fcntl;
static unsigned n_fcntl;

static int
counting_fcntl(int fd, int op, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, op);
	arg = va_arg(ap, void *);
	va_end(ap);
	n_fcntl++;
	return ((int (*)(int, int, ...))real_fcntl)(fd, op, arg);
}

static int
setup(void **state)
{
	sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);

	real_fcntl = vfs->xGetSystemCall(vfs, "fcntl");
	if (real_fcntl == NULL ||
	    vfs->xSetSystemCall(vfs, "fcntl", (sqlite3_syscall_ptr)counting_fcntl) != SQLITE_OK)
		return -1;
	return test_account_setup(state);
}

static int
teardown(void **state)
{
	sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);

	vfs->xSetSystemCall(vfs, "fcntl", real_fcntl);
	return test_account_teardown(state);
}

static struct store_view *
open_view(struct store_account *acct)
{
	struct store_view *v;
	const char *error;

	assert_int_equal(store_view_open(acct, "INBOX", false, &v, &error), 0);
	return v;
}

/* A wal-index read lock and its release: 2 calls; 2 more when the transaction moves its
 * read mark forward (the WAL grew). Each further transaction would add 2 to 4. */
#define ONE_READ_TRANSACTION 4

static void
test_refresh_one_transaction(void **state)
{
	struct test_account *t = *state;
	struct store_view *a, *b;
	struct store_view_changes ch;
	struct store_flags_result res = {0};
	uint32_t uid = test_append_msg(t->acct, "INBOX", 300, 1);
	const char *error;
	unsigned n;

	a = open_view(t->acct);
	b = open_view(t->acct);
	/* b changes a flag and expunges nothing: a's refresh reads the mailbox row, the
	 * changed messages and the expunged ranges, and writes nothing (no new message, no
	 * \Recent to claim) */
	assert_int_equal(store_view_store_flags(b, &uid, 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL,
						0, 0, &res, &error),
			 0);
	store_flags_result_free(&res);
	n_fcntl = 0;
	assert_int_equal(store_view_refresh(a, 0, &ch, &error), 0);
	n = n_fcntl;
	assert_int_equal(ch.n_changed, 1);
	store_view_changes_free(&ch);
	assert_true(n >= 2); /* the counter sees SQLite's locks at all */
	assert_true(n <= ONE_READ_TRANSACTION);
	/* and it is over: the connection is back in autocommit mode */
	assert_true(sqlite3_get_autocommit(t->acct->db));
	store_view_close(&a);
	store_view_close(&b);
}

static void
test_status_and_list_one_transaction(void **state)
{
	struct test_account *t = *state;
	struct store_status st;
	struct store_mailbox_info *list;
	size_t n_list;
	const char *error;
	unsigned n;

	test_append_msg(t->acct, "INBOX", 300, 1);
	n_fcntl = 0;
	assert_int_equal(store_mailbox_status(t->acct, "INBOX", &st, &error), 0);
	n = n_fcntl;
	assert_int_equal(st.messages, 1);
	assert_true(n >= 2 && n <= ONE_READ_TRANSACTION);
	assert_true(sqlite3_get_autocommit(t->acct->db));

	n_fcntl = 0;
	assert_int_equal(store_mailbox_list(t->acct, &list, &n_list, &error), 0);
	n = n_fcntl;
	store_mailbox_list_free(&list, n_list);
	assert_true(n >= 2 && n <= ONE_READ_TRANSACTION);
	assert_true(sqlite3_get_autocommit(t->acct->db));
}

/* The statement whose SQL contains needle among the connection's prepared ones. */
static sqlite3_stmt *
find_stmt(sqlite3 *db, const char *needle)
{
	for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st != NULL;
	     st = sqlite3_next_stmt(db, st))
		if (strstr(sqlite3_sql(st), needle) != NULL)
			return st;
	return NULL;
}

static void
test_statements_prepared_once(void **state)
{
	struct test_account *t = *state;
	struct store_status st;
	struct store_mailbox_info *list;
	size_t n_list;
	const char *error;
	sqlite3_stmt *status, *mailboxes, *subs;

	test_append_msg(t->acct, "INBOX", 300, 1);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_mailbox_status(t->acct, "INBOX", &st, &error), 0);
		assert_int_equal(store_mailbox_list(t->acct, &list, &n_list, &error), 0);
		store_mailbox_list_free(&list, n_list);
	}
	status = find_stmt(t->acct->db, "sum(size)");
	mailboxes = find_stmt(t->acct->db, "SELECT name, special_use, noselect FROM mailboxes");
	subs = find_stmt(t->acct->db, "SELECT name FROM subscriptions");
	assert_non_null(status);
	assert_non_null(mailboxes);
	assert_non_null(subs);
	/* the same statement ran three times, and none is left in progress */
	assert_int_equal(sqlite3_stmt_status(status, SQLITE_STMTSTATUS_RUN, 0), 3);
	assert_int_equal(sqlite3_stmt_status(mailboxes, SQLITE_STMTSTATUS_RUN, 0), 3);
	assert_false(sqlite3_stmt_busy(status));
	assert_false(sqlite3_stmt_busy(mailboxes));
	assert_false(sqlite3_stmt_busy(subs));
}

/* A refresh while another statement of the connection is in progress (a FETCH cursor)
 * must not open a transaction it could not commit. */
static void
test_refresh_inside_open_cursor(void **state)
{
	struct test_account *t = *state;
	struct store_view *a;
	struct store_view_changes ch;
	sqlite3_stmt *cursor;
	const char *error;

	test_append_msg(t->acct, "INBOX", 300, 1);
	a = open_view(t->acct);
	test_append_msg(t->acct, "INBOX", 300, 2);
	assert_int_equal(
		sqlite3_prepare_v2(t->acct->db, "SELECT uid FROM messages", -1, &cursor, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_step(cursor), SQLITE_ROW);
	assert_int_equal(store_view_refresh(a, 0, &ch, &error), 0);
	assert_int_equal(ch.new_count, 2);
	store_view_changes_free(&ch);
	assert_int_equal(sqlite3_step(cursor), SQLITE_ROW);
	sqlite3_finalize(cursor);
	assert_true(sqlite3_get_autocommit(t->acct->db));
	store_view_close(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refresh_one_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_and_list_one_transaction, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_statements_prepared_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_inside_open_cursor, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
