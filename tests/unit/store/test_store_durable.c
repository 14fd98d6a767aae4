/* Durability off the loop (src/store/README.md "Threads"): store_account_sync calls back on
 * the loop after the change; account creation on a store thread; loop connections do not
 * checkpoint (the store's checkpoint does, and restarts the WAL itself); an account handle
 * opened while its load gave a job a reference keeps both references; an expunged message's
 * file goes only after the sync that makes the expunge durable, and pending_unlink does not
 * grow; a refresh reads the index only after a commit it has not seen. */
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
#include <dirent.h>
#include <time.h>

#include "store/store.h"
#include "store/store_account.h"
#include "store/store_mailbox.h"
#include "store/store_msg.h"
#include "store/store_view.h"
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

/* Creates a@example.test on a store thread (the loop runs until it is done) and opens it. */
static struct store_account *
new_account(struct store *store, struct event_base *base)
{
	struct done d = {base, 0, -1};
	struct store_account *acct;
	const char *error;

	store_account_create_async(store, "a@example.test", on_done, &d);
	event_base_dispatch(base);
	assert_int_equal(d.result, 0);
	acct = store_account_open(store, "a@example.test", &error);
	assert_non_null(acct);
	return acct;
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

/* Files in the account's msg/ directory. */
static int
msg_files(const char *dir)
{
	char *path = xasprintf("%s/mail/a@example.test/msg", dir);
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	free(path);
	return n;
}

static long long
pending_rows(const char *dir)
{
	char *path = xasprintf("%s/mail/a@example.test/index.db", dir);
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(
		sqlite3_prepare_v2(db, "SELECT count(*) FROM pending_unlink", -1, &st, NULL),
		SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	return v;
}

/* Runs the loop (and lets the io threads work) for about ms milliseconds. */
static void
run_loop_for(struct event_base *base, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		event_base_loop(base, EVLOOP_NONBLOCK);
		nanosleep(&ts, NULL);
	}
	event_base_loop(base, EVLOOP_NONBLOCK);
}

/* An EXPUNGE's commit is not durable until store_account_sync's fdatasync: a file unlinked
 * before it could be gone after a power loss while the index still names it. The file goes
 * with the sync (its io thread, after the fdatasync), and the pending_unlink row of an
 * unlinked file is deleted by the next expunge's own transaction (no commit of its own). */
static void
test_unlink_after_sync(void **state)
{
	char *dir = test_tmpdir();
	struct event_base *base;
	struct store *store = open_async(dir, &base);
	struct done d = {base, 0, -1};
	struct store_account *acct;
	struct store_view *view;
	const char *error;
	uint32_t uid1, uid2;

	(void)state;
	acct = new_account(store, base);
	uid1 = test_append_msg(acct, "INBOX", 600, 1);
	uid2 = test_append_msg(acct, "INBOX", 600, 2);
	assert_int_equal(store_view_open(acct, "INBOX", false, &view, &error), 0);
	run_loop_for(base, 200); /* the files written ahead are in place */
	assert_int_equal(msg_files(dir), 2);

	assert_int_equal(store_view_expunge(view, &uid1, 1, &error), 0);
	run_loop_for(base, 1000); /* no sync yet: however long, the file stays */
	assert_int_equal(msg_files(dir), 2);
	d.calls = 0;
	d.result = -1;
	store_account_sync(acct, on_done, &d);
	event_base_dispatch(base);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.result, 0);
	assert_int_equal(msg_files(dir), 1);

	/* the second expunge forgets the first file's row; its own goes with the next one */
	assert_int_equal(store_view_expunge(view, &uid2, 1, &error), 0);
	assert_int_equal(pending_rows(dir), 1);
	d.calls = 0;
	store_account_sync(acct, on_done, &d);
	event_base_dispatch(base);
	assert_int_equal(d.result, 0);
	assert_int_equal(msg_files(dir), 0);

	store_view_close(&view);
	store_account_unref(&acct);
	store_close(&store);
	event_base_free(base);
	/* a name left in pending_unlink (unlinked already) is done at the next open */
	store = open_async(dir, &base);
	acct = store_account_open(store, "a@example.test", &error);
	assert_non_null(acct);
	run_loop_for(base, 300);
	assert_int_equal(pending_rows(dir), 0);
	store_account_unref(&acct);
	store_close(&store);
	event_base_free(base);
	test_rmrf(dir);
	free(dir);
}

/* Changes the index behind the server's back, as no process may while it serves (the CLI
 * writes no index in use): what a refresh that reads the index would report. */
static void
write_behind(const char *dir)
{
	char *path = xasprintf("%s/mail/a@example.test/index.db", dir);
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 2000);
	assert_int_equal(
		sqlite3_exec(db,
			     "UPDATE messages SET flags = flags | 1, modseq = modseq + 100;"
			     "UPDATE mailboxes SET highestmodseq = highestmodseq + 100",
			     NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(db);
	free(path);
}

static size_t
refresh_changed(struct store_view *view, unsigned flags, size_t *expunged_r)
{
	struct store_view_changes ch;
	const char *error;
	size_t n;

	assert_int_equal(store_view_refresh(view, flags, &ch, &error), 0);
	n = ch.n_changed;
	if (expunged_r != NULL)
		*expunged_r = ch.n_expunged;
	store_view_changes_free(&ch);
	return n;
}

/* A refresh reads the index only when something was committed to it since the view last
 * read it (IMAP refreshes before every tagged reply), or the view's own STORE or EXPUNGE
 * left it synced; a commit of anyone else's is always read. The write behind the server's
 * back shows which refreshes read the index: only those see it. */
static void
test_refresh_reads_after_commits(void **state)
{
	char *dir = test_tmpdir();
	struct event_base *base;
	struct store *store = open_async(dir, &base);
	struct done d = {base, 0, -1};
	struct store_flags_result res;
	struct store_account *acct;
	struct store_view *a, *b;
	const char *error;
	uint32_t uid1, uid2;
	size_t n_exp;

	(void)state;
	acct = new_account(store, base);
	uid1 = test_append_msg(acct, "INBOX", 600, 1);
	uid2 = test_append_msg(acct, "INBOX", 600, 2);
	assert_int_equal(store_view_open(acct, "INBOX", false, &a, &error), 0);
	assert_int_equal(store_view_open(acct, "INBOX", false, &b, &error), 0);
	refresh_changed(a, 0, NULL);
	refresh_changed(b, 0, NULL);

	/* nothing committed since: the write behind is not read */
	write_behind(dir);
	assert_int_equal(refresh_changed(a, 0, NULL), 0);
	/* b's STORE is a commit: a reads the index, and sees both changes */
	assert_int_equal(store_view_store_flags(b, &uid2, 1, STORE_FLAGS_ADD, STORE_FLAG_FLAGGED,
						NULL, 0, 0, &res, &error),
			 0);
	store_flags_result_free(&res);
	assert_int_equal(refresh_changed(a, 0, NULL), 2);
	/* b has its own change already: the write behind's on uid1 is what it reads */
	assert_int_equal(refresh_changed(b, 0, NULL), 1);

	/* a's own STORE leaves a synced: its next refresh reads nothing */
	assert_int_equal(store_view_store_flags(a, &uid1, 1, STORE_FLAGS_ADD, STORE_FLAG_ANSWERED,
						NULL, 0, 0, &res, &error),
			 0);
	store_flags_result_free(&res);
	write_behind(dir);
	assert_int_equal(refresh_changed(a, 0, NULL), 0);
	/* ... and b, not synced by a's write, reads it (a's change and the write behind) */
	assert_int_equal(refresh_changed(b, 0, NULL), 2);

	/* a's own EXPUNGE: reported from the view's marks, the index not read (after b's
	 * commit made a read everything; a write behind with a different HIGHESTMODSEQ would
	 * have made a's EXPUNGE leave it unsynced) */
	assert_int_equal(store_view_store_flags(b, &uid2, 1, STORE_FLAGS_ADD, STORE_FLAG_DRAFT,
						NULL, 0, 0, &res, &error),
			 0);
	store_flags_result_free(&res);
	assert_int_equal(refresh_changed(a, 0, NULL), 2); /* the write behind, b's STORE */
	assert_int_equal(refresh_changed(b, 0, NULL), 0);
	assert_int_equal(store_view_expunge(a, &uid1, 1, &error), 0);
	write_behind(dir);
	assert_int_equal(refresh_changed(a, STORE_REFRESH_EXPUNGE, &n_exp), 0);
	assert_int_equal(n_exp, 1);
	assert_int_equal(store_view_count(a), 1);
	/* b learns of the expunge (and the write behind on uid2) from the index */
	assert_int_equal(refresh_changed(b, STORE_REFRESH_EXPUNGE, &n_exp), 1);
	assert_int_equal(n_exp, 1);
	assert_int_equal(store_view_count(b), 1);

	d.calls = 0;
	store_account_sync(acct, on_done, &d);
	event_base_dispatch(base);
	store_view_close(&a);
	store_view_close(&b);
	store_account_unref(&acct);
	store_close(&store);
	event_base_free(base);
	test_rmrf(dir);
	free(dir);
}

static void
on_append(void *ctx, int result, uint32_t uidvalidity, uint32_t uid, const char *error)
{
	struct done *d = ctx;

	(void)uidvalidity;
	(void)uid;
	(void)error;
	d->calls++;
	d->result = result;
	event_base_loopbreak(d->base);
}

/* The sync thread moves a file written ahead into msg/ right after the fdatasync that makes
 * its record durable (store_sync_add_moves); the apply then renames nothing. When the apply
 * fails after that (here: its mailbox deleted in between), the moved file goes too. */
static void
test_moved_file_of_a_failed_apply_goes(void **state)
{
	char *dir = test_tmpdir();
	struct event_base *base;
	struct store *store = open_async(dir, &base);
	struct done d = {base, 0, -1};
	struct store_account *acct;
	static const char msg[] = "From: a@b\r\nSubject: s\r\n\r\nbody\r\n";
	const char *error;

	(void)state;
	acct = new_account(store, base);
	assert_int_equal(store_mailbox_create(acct, "Work", 0, &error), 0);

	/* a good one first: applied with its file in place */
	d.calls = 0;
	store_append(acct, "Work", 0, NULL, 0, 0, 0, msg, sizeof(msg) - 1, on_append, &d);
	event_base_dispatch(base);
	assert_int_equal(d.result, 0);
	run_loop_for(base, 200);
	assert_int_equal(msg_files(dir), 1);

	d.calls = 0;
	store_append(acct, "Work", 0, NULL, 0, 0, 0, msg, sizeof(msg) - 1, on_append, &d);
	assert_int_equal(store_mailbox_delete(acct, "Work", &error), 0);
	event_base_dispatch(base);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.result, -1);
	run_loop_for(base, 300); /* the jobs written ahead are done */
	d.calls = 0;
	store_account_sync(acct, on_done, &d); /* the deleted mailbox's file goes */
	event_base_dispatch(base);
	assert_int_equal(msg_files(dir), 0);

	store_account_unref(&acct);
	store_close(&store);
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
		cmocka_unit_test(test_unlink_after_sync),
		cmocka_unit_test(test_refresh_reads_after_commits),
		cmocka_unit_test(test_moved_file_of_a_failed_apply_goes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
