/* Store tests with an event loop: group-committed asynchronous deliveries and appends
 * (callbacks on the loop, after the covering fdatasync), notify events before the
 * callbacks, a checkpoint, and a close with deliveries still in flight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_account.h"
#include "store/store_mailbox.h"
#include "store/store_msg.h"
#include "store/store_notify.h"
#include "store/store_private.h"
#include "store/store_view.h"
#include "store_test_util.h"
#include "util/buf.h"

#define N 300

static const char *error_unused;

struct run {
	struct event_base *base;
	struct store *store;
	int done, failed, events_at_first_cb, events;
	uint32_t append_uid;
};

static void
on_delivered(void *ctx, int result, const char *error)
{
	struct run *r = ctx;

	(void)error;
	if (result < 0)
		r->failed++;
	if (r->done++ == 0)
		r->events_at_first_cb = r->events;
	if (r->done == N + 1)
		event_base_loopexit(r->base, NULL);
}

static void
on_appended(void *ctx, int result, uint32_t uidvalidity, uint32_t uid, const char *error)
{
	struct run *r = ctx;

	(void)uidvalidity;
	r->append_uid = uid;
	on_delivered(ctx, result, error);
}

static void
on_event(void *ctx, const struct store_event *ev)
{
	struct run *r = ctx;

	if (ev->type == STORE_EVENT_NEW)
		r->events++;
}

static void
test_async(void **state)
{
	char *dir = test_tmpdir();
	struct run r = {0};
	struct store_account *acct;
	struct store_notify *sub;
	struct store_status st;
	struct store_stats stats;
	const char *error;

	(void)state;
	evthread_use_pthreads();
	r.base = event_base_new();
	r.store = store_open(dir, r.base, &error);
	assert_non_null(r.store);
	assert_int_equal(store_account_create(r.store, "x@example.test", &error), 0);
	assert_int_equal(store_account_create(r.store, "y@example.test", &error), 0);
	sub = store_notify_subscribe(r.store, "x@example.test", on_event, &r);
	for (int i = 0; i < N; i++) {
		struct store_target t[2] = {{"x@example.test", NULL, "P: 1\r\n", 6},
					    {"y@example.test", NULL, NULL, 0}};
		char msg[64];

		snprintf(msg, sizeof(msg), "Subject: %d\r\n\r\nbody\r\n", i);
		store_deliver(r.store, t, 1 + (i % 2), msg, strlen(msg), 0, on_delivered, &r);
	}
	/* nothing is acknowledged before its fdatasync: not inside store_deliver */
	assert_int_equal(r.done, 0);
	acct = store_account_open(r.store, "x@example.test", &error);
	store_append(acct, "Sent", STORE_FLAG_SEEN, NULL, 0, 0, 0, "Subject: a\r\n\r\n", 14,
		     on_appended, &r);
	assert_int_equal(r.done, 0);
	event_base_dispatch(r.base);
	assert_int_equal(r.done, N + 1);
	assert_int_equal(r.failed, 0);
	assert_int_equal(r.append_uid, 1);
	/* the notify bus ran before the first callback */
	assert_true(r.events_at_first_cb >= 1);
	assert_int_equal(store_mailbox_status(acct, "INBOX", &st, &error), 0);
	assert_int_equal(st.messages, N);
	store_get_stats(r.store, &stats);
	assert_true(stats.fdatasyncs < (unsigned long long)N); /* group commit */
	store_account_unref(&acct);
	acct = store_account_open(r.store, "y@example.test", &error);
	assert_int_equal(store_mailbox_status(acct, "INBOX", &st, &error), 0);
	assert_int_equal(st.messages, N / 2);
	store_account_unref(&acct);

	/* in flight at close: completed by the close */
	r.done = 0;
	for (int i = 0; i < 10; i++) {
		struct store_target t = {"y@example.test", NULL, NULL, 0};

		store_deliver(r.store, &t, 1, "a\r\n", 3, 0, on_delivered, &r);
	}
	store_notify_unsubscribe(&sub);
	store_close(&r.store);
	assert_int_equal(r.done, 10);
	r.store = test_store_open(dir);
	acct = store_account_open(r.store, "y@example.test", &error);
	assert_int_equal(store_mailbox_status(acct, "INBOX", &st, &error), 0);
	assert_int_equal(st.messages, N / 2 + 10);
	store_account_unref(&acct);
	store_close(&r.store);
	event_base_free(r.base);
	test_rmrf(dir);
	free(dir);
}

struct ckpt_wait {
	struct store *store;
	struct event_base *base;
	int done, polls;
};

static void
big_delivered(void *ctx, int result, const char *error)
{
	struct ckpt_wait *w = ctx;

	(void)error;
	assert_int_equal(result, 0);
	w->done++;
}

static void
poll_ckpt(evutil_socket_t fd, short what, void *arg)
{
	struct ckpt_wait *w = arg;
	struct store_stats st;

	(void)fd;
	(void)what;
	store_get_stats(w->store, &st);
	if ((w->done == 14 && st.checkpoints >= 1) || ++w->polls > 300)
		event_base_loopexit(w->base, NULL);
}

/* Past 64 MiB of journal: rotation, then syncfs on its own thread, then the old file goes,
 * while deliveries go on. */
static void
test_async_checkpoint(void **state)
{
	char *dir = test_tmpdir();
	struct ckpt_wait w = {0};
	struct store_target t = {"x@example.test", NULL, NULL, 0};
	struct timeval tv = {0, 50000};
	struct store_stats st;
	struct event *ev;
	const char *error;
	size_t len;
	char *msg = test_make_msg(5 << 20, 9, &len);

	(void)state;
	w.base = event_base_new();
	w.store = store_open(dir, w.base, &error);
	assert_non_null(w.store);
	assert_int_equal(store_account_create(w.store, "x@example.test", &error), 0);
	for (int i = 0; i < 14; i++)
		store_deliver(w.store, &t, 1, msg, len, 0, big_delivered, &w);
	ev = event_new(w.base, -1, EV_PERSIST, poll_ckpt, &w);
	event_add(ev, &tv);
	event_base_dispatch(w.base);
	event_free(ev);
	store_get_stats(w.store, &st);
	assert_int_equal(w.done, 14);
	assert_int_equal(st.checkpoints, 1);
	assert_int_equal(st.syncfs, 1); /* the checkpoint (a fresh store needs none at open) */
	store_close(&w.store);
	event_base_free(w.base);
	free(msg);
	test_rmrf(dir);
	free(dir);
}

/* The name of the one complete file in dir (not a .pre), or false. */
static bool
one_file(const char *dir, char *name, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.' && strstr(e->d_name, ".pre") == NULL &&
		    strchr(e->d_name, '.') != NULL) {
			snprintf(name, size, "%s", e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* The name of a file in dir (msg/: a message file, named without a tag), if any. */
static bool
any_file(const char *dir, char *name, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	if (d == NULL)
		return false;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.') {
			snprintf(name, size, "%s", e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* A delivery's message file is written ahead by an io thread while its journal record is
 * synced (store_prewrite.c): it appears in tmp/ before the loop applies anything (and the sync
 * thread may move it into msg/ right after the fdatasync, still before the loop runs), and the
 * message ends up as that very file (same inode) in msg/, not written again. */
static void
test_prewrite(void **state)
{
	char *dir = test_tmpdir();
	struct run r = {0};
	struct store_target t = {"x@example.test", NULL, "P: 1\r\n", 6};
	const char *msg = "Subject: pre\r\n\r\nbody\r\n";
	char tmp[4200], path[4200], name[256], body[256];
	struct timespec pause = {0, 5000000};
	struct stat st_tmp, st_msg;
	FILE *f;
	size_t n;
	int waits = 0;

	(void)state;
	evthread_use_pthreads();
	r.base = event_base_new();
	r.store = store_open(dir, r.base, &error_unused);
	assert_non_null(r.store);
	assert_int_equal(store_account_create(r.store, "x@example.test", &error_unused), 0);
	r.done = N; /* on_delivered ends the loop at the first callback */
	store_deliver(r.store, &t, 1, msg, strlen(msg), 0, on_delivered, &r);
	/* the loop has not run: only the io thread can write it, and the sync thread move it
	 * (bounded wait: 10 s); caught in tmp/ or already in msg/ */
	snprintf(tmp, sizeof(tmp), "%s/mail/x@example.test/tmp", dir);
	snprintf(path, sizeof(path), "%s/mail/x@example.test/msg", dir);
	while (!one_file(tmp, name, sizeof(name)) && !any_file(path, name, sizeof(name)) &&
	       waits++ < 2000)
		nanosleep(&pause, NULL);
	assert_true(waits < 2000);
	snprintf(tmp, sizeof(tmp), "%s/mail/x@example.test/%s/%s", dir,
		 strchr(name, '.') != NULL ? "tmp" : "msg", name);
	assert_int_equal(stat(tmp, &st_tmp), 0);
	assert_int_equal(r.done, N);
	event_base_dispatch(r.base);
	assert_int_equal(r.done, N + 1);
	assert_int_equal(r.failed, 0);
	if (strchr(name, '.') != NULL)
		*strchr(name, '.') = '\0'; /* <file>.<tag of this process> */
	snprintf(path, sizeof(path), "%s/mail/x@example.test/msg/%s", dir, name);
	assert_int_equal(stat(path, &st_msg), 0);
	assert_int_equal(st_msg.st_ino, st_tmp.st_ino);
	assert_true(strcmp(tmp, path) == 0 || access(tmp, F_OK) == -1);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(body, 1, sizeof(body) - 1, f);
	fclose(f);
	body[n] = '\0';
	assert_string_equal(body, "P: 1\r\nSubject: pre\r\n\r\nbody\r\n");
	store_close(&r.store);
	event_base_free(r.base);
	test_rmrf(dir);
	free(dir);
}

static void
put(const char *path, const char *bytes)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, strlen(bytes), f), strlen(bytes));
	assert_int_equal(fclose(f), 0);
}

static void
get(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
}

/* The apply takes only a file this process wrote ahead (its tag): a tmp/ file left by
 * another process, tagged or not, may be partial (a crash; a power loss) and is never
 * renamed into msg/. */
static void
test_prewrite_foreign_files_unused(void **state)
{
	struct test_account *t;
	char path[4200], other[4200], body[256];
	const char *error;
	struct stat st_pre, st_msg;

	assert_int_equal(test_account_setup(state), 0);
	t = *state;
	snprintf(other, sizeof(other), "%s/tmp/f1-0.0123456789abcdef", t->acct->dir);
	put(other, "partial");
	snprintf(path, sizeof(path), "%s/tmp/f1-0", t->acct->dir);
	put(path, "partial too");
	assert_int_equal(store_apply_write_file(t->acct, "f1-0", "P\r\n", 3, "body\r\n", 6, &error),
			 0);
	snprintf(path, sizeof(path), "%s/msg/f1-0", t->acct->dir);
	get(path, body, sizeof(body));
	assert_string_equal(body, "P\r\nbody\r\n");
	assert_int_equal(access(other, F_OK), 0); /* untouched */

	/* this process's own: renamed as it is */
	snprintf(path, sizeof(path), "%s/tmp/f2-0%s", t->acct->dir, t->store->prewrite_tag);
	put(path, "P\r\nbody\r\n");
	assert_int_equal(stat(path, &st_pre), 0);
	assert_int_equal(store_apply_write_file(t->acct, "f2-0", "P\r\n", 3, "body\r\n", 6, &error),
			 0);
	snprintf(path, sizeof(path), "%s/msg/f2-0", t->acct->dir);
	assert_int_equal(stat(path, &st_msg), 0);
	assert_int_equal(st_msg.st_ino, st_pre.st_ino);
	assert_int_equal(test_account_teardown(state), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_async),
		cmocka_unit_test(test_async_checkpoint),
		cmocka_unit_test(test_prewrite),
		cmocka_unit_test(test_prewrite_foreign_files_unused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
