/* A failed directory fsync fails the operation like any other fsync (issue 12): deleting
 * an account, the replay at open (the old journal files' deletion) and a checkpoint (the
 * same). Runs with the slowsync LD_PRELOAD shim (tests/integration/slowsync), which makes
 * the n-th and later directory fsyncs fail with EIO when its control file says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_private.h"
#include "store_test_util.h"
#include "util/xmalloc.h"

static char *ctl;

/* From now on the first (n - 1) directory fsyncs succeed and the later ones fail (n 0:
 * none fails). */
static void
dir_eio(int n)
{
	FILE *f = fopen(ctl, "w");

	assert_non_null(f);
	fprintf(f, "0 %d 0\n", n);
	fclose(f);
}

static void
deliver_one(struct store *store, const char *account)
{
	struct store_target t = {account, NULL, NULL, 0};
	const char *msg = "Subject: x\r\n\r\nbody\r\n", *error;

	assert_int_equal(store_deliver_sync(store, &t, 1, msg, strlen(msg), 0, &error), 0);
}

static void
test_account_delete(void **state)
{
	char *dir = test_tmpdir();
	struct store *store = test_store_open(dir);
	const char *error;

	(void)state;
	assert_int_equal(store_account_create(store, "a@example.test", &error), 0);
	dir_eio(1);
	assert_int_equal(store_account_delete(store, "a@example.test", &error), -1);
	assert_string_equal(error, "cannot sync the mail directory");
	dir_eio(0);
	assert_false(store_account_exists(store, "a@example.test"));
	store_close(&store);
	test_rmrf(dir);
	free(dir);
}

static void
test_replay(void **state)
{
	char *dir = test_tmpdir();
	struct store *store = test_store_open(dir);
	const char *error;
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(store_account_create(store, "a@example.test", &error), 0);
	store_close(&store);
	/* a process that dies without closing the store leaves its journal behind */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		store = store_open(dir, NULL, &error);
		if (store == NULL)
			_exit(2);
		deliver_one(store, "a@example.test");
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	/* the replay's new journal file gets its directory synced; the deletion of the
	 * replayed files does not */
	dir_eio(2);
	store = store_open(dir, NULL, &error);
	assert_null(store);
	assert_string_equal(error, "cannot sync the journal directory");
	dir_eio(0);
	store = test_store_open(dir);
	store_close(&store);
	test_rmrf(dir);
	free(dir);
}

static void
test_checkpoint(void **state)
{
	char *dir = test_tmpdir();
	struct store *store = test_store_open(dir);
	struct store_stats before, after;
	const char *error;

	(void)state;
	assert_int_equal(store_account_create(store, "a@example.test", &error), 0);
	deliver_one(store, "a@example.test");
	store_get_stats(store, &before);
	/* the rotation's directory sync passes, the one after the old file's deletion not */
	dir_eio(2);
	assert_int_equal(store_checkpoint_full(store), -1);
	store_get_stats(store, &after);
	assert_int_equal(after.checkpoints, before.checkpoints);
	dir_eio(0);
	assert_int_equal(store_checkpoint_full(store), 0);
	store_get_stats(store, &after);
	assert_int_equal(after.checkpoints, before.checkpoints + 1);
	store_close(&store);
	test_rmrf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_account_delete),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_checkpoint),
	};
	char *tmp = test_tmpdir();
	int ret;

	if (getenv("LD_PRELOAD") == NULL || strstr(getenv("LD_PRELOAD"), "slowsync") == NULL) {
		print_message("needs the slowsync shim in LD_PRELOAD (meson test sets it)\n");
		return 77; /* skipped */
	}
	ctl = xasprintf("%s/slowsync.ctl", tmp);
	setenv("YUBIN_SLOWSYNC_CTL", ctl, 1);
	dir_eio(0);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	test_rmrf(tmp);
	free(tmp);
	free(ctl);
	return ret;
}
