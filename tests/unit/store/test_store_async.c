/* Store tests with an event loop: group-committed asynchronous deliveries and appends
 * (callbacks on the loop, after the covering fdatasync), notify events before the
 * callbacks, a checkpoint, and a close with deliveries still in flight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_account.h"
#include "store/store_mailbox.h"
#include "store/store_msg.h"
#include "store/store_notify.h"
#include "store/store_view.h"
#include "store_test_util.h"
#include "util/buf.h"

#define N 300

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_async),
		cmocka_unit_test(test_async_checkpoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
