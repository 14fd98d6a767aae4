/* Unit tests of the spool: queue_submit() durability callbacks (group commit of many
 * submissions), the index rows, and recovery at start (orphan files removed, messages
 * without their file dropped, queued messages kept). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/settings.h"
#include "queue/queue.h"
#include "queue/queue_db.h"
#include "queue/queue_spool.h"
#include "util/file.h"
#include "util/xmalloc.h"

struct fixture {
	char dir[64];
	struct settings s;
	struct event_base *base;
	int done, failed;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/yubin-queue-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	settings_defaults(&f->s);
	free(f->s.data_directory);
	f->s.data_directory = xstrdup(f->dir);
	/* a closed port: deliveries are deferred, nothing leaves the machine */
	f->s.relayhost = xstrdup("[127.0.0.1]:1");
	f->s.smtp_delivery_port = 1;
	evthread_use_pthreads();
	f->base = event_base_new();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = xasprintf("rm -rf %s", f->dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	event_base_free(f->base);
	settings_free(&f->s);
	free(f);
	return 0;
}

static struct queue *
open_queue(struct fixture *f)
{
	struct queue_deps deps = {f->base, &f->s, NULL, NULL, NULL, NULL, NULL};
	const char *error = NULL;
	struct queue *q = queue_new(&deps, &error);

	if (q == NULL)
		fail_msg("queue_new: %s", error);
	return q;
}

static void
submitted(void *ctx, int result, const char *error)
{
	struct fixture *f = ctx;

	f->done++;
	if (result < 0)
		f->failed++;
}

static void
run_until(struct fixture *f, int done)
{
	int i;

	for (i = 0; i < 500 && f->done < done; i++)
		event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(2000);
	assert_int_equal(f->done, done);
}

static void
count_cb(void *ctx, const struct queue_db_msg *m)
{
	(*(int *)ctx)++;
}

static int
count_messages(struct fixture *f)
{
	char *dir = xasprintf("%s/queue", f->dir);
	const char *error;
	struct queue_db *db = queue_db_open(dir, &error);
	int n = 0;

	assert_non_null(db);
	assert_int_equal(queue_db_load(db, NULL, count_cb, &n), 0);
	queue_db_close(&db);
	free(dir);
	return n;
}

static void
test_submit_many_then_recover(void **state)
{
	struct fixture *f = *state;
	struct queue *q = open_queue(f);
	const char *rcpts[] = {"a@remote.test", "b@remote.test", NULL};
	const char *prefix = "Received: by test\r\n";
	const char *msg = "Subject: x\r\n\r\nbody\r\n";
	char qid[32], *path;
	struct stat st;
	int i;

	for (i = 0; i < 50; i++) {
		snprintf(qid, sizeof(qid), "%016X", 0xABC000 + i);
		queue_submit(q, qid, "s@local.test", rcpts, prefix, strlen(prefix), msg,
			     strlen(msg), submitted, f);
	}
	assert_int_equal(f->done, 0); /* never inside queue_submit on success */
	run_until(f, 50);
	assert_int_equal(f->failed, 0);
	path = xasprintf("%s/queue/%016X", f->dir, 0xABC000);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((size_t)st.st_size, strlen(prefix) + strlen(msg));
	free(path);
	queue_shutdown(q);
	queue_free(&q);
	assert_int_equal(count_messages(f), 50);

	/* a crash left a file without index rows and a message without its file */
	path = xasprintf("%s/queue/DEADBEEF00000000", f->dir);
	assert_int_equal(file_write_atomic(path, "x", 1, false, &(const char *){NULL}), 0);
	free(path);
	path = xasprintf("%s/queue/%016X", f->dir, 0xABC001);
	assert_int_equal(unlink(path), 0);
	free(path);
	q = open_queue(f);
	queue_shutdown(q);
	queue_free(&q);
	path = xasprintf("%s/queue/DEADBEEF00000000", f->dir);
	assert_false(file_exists(path));
	free(path);
	assert_int_equal(count_messages(f), 49);
}

static void
test_qid_collision_gets_new_id(void **state)
{
	struct fixture *f = *state;
	struct queue *q = open_queue(f);
	const char *rcpts[] = {"a@remote.test", NULL};

	queue_submit(q, "1111111111111111", "", rcpts, "", 0, "x\r\n", 3, submitted, f);
	queue_submit(q, "1111111111111111", "", rcpts, "", 0, "y\r\n", 3, submitted, f);
	run_until(f, 2);
	assert_int_equal(f->failed, 0);
	queue_shutdown(q);
	queue_free(&q);
	assert_int_equal(count_messages(f), 2);
}

static void
spool_done(struct queue_spool_txn *txn, void *ctx)
{
	struct fixture *f = ctx;

	f->done++;
	if (txn->result < 0)
		f->failed++;
	queue_spool_txn_free(&txn);
}

static void
state_cb(void *ctx, const struct queue_db_msg *m)
{
	*(int *)ctx = m->n_rcpts == 2 ? (int)(m->rcpts[0].state * 10 + m->rcpts[1].state) : -1;
}

/* The spool directly: a new message (durable batch), then recipient updates alone (a batch
 * committed without a sync), then the deletion; the index and the files follow. */
static void
test_spool_updates_and_delete(void **state)
{
	struct fixture *f = *state;
	char *dir = xasprintf("%s/queue", f->dir), *path = xasprintf("%s/ABCDEF0123", dir);
	const char *error = NULL;
	struct queue_db_rcpt rcpts[2] = {{.address = (char *)"a@x.test"},
					 {.address = (char *)"b@x.test"}};
	struct queue_db_rcpt sent = {.state = QUEUE_RCPT_SENT};
	struct queue_spool *sp;
	struct queue_spool_txn *txn;
	struct queue_db *db;
	int st = -1;

	assert_int_equal(file_mkdir_p(dir, 0700), 0);
	evthread_use_pthreads();
	sp = queue_spool_new(f->base, dir, &error);
	assert_non_null(sp);
	txn = queue_spool_txn_new(spool_done, f);
	txn->has_msg = true;
	strcpy(txn->msg.qid, "ABCDEF0123");
	txn->msg.sender = xstrdup("s@x.test");
	txn->msg.rcpts = xcalloc(2, sizeof(*txn->msg.rcpts));
	txn->msg.rcpts[0].address = xstrdup(rcpts[0].address);
	txn->msg.rcpts[1].address = xstrdup(rcpts[1].address);
	txn->msg.n_rcpts = 2;
	buf_appends(&txn->data, "Subject: x\r\n\r\nbody\r\n");
	txn->msg.size = txn->data.len;
	queue_spool_commit(sp, txn);
	run_until(f, 1);
	assert_true(file_exists(path));

	txn = queue_spool_txn_new(spool_done, f);
	queue_spool_txn_update(txn, "ABCDEF0123", 1, &sent);
	queue_spool_commit(sp, txn);
	run_until(f, 2);
	db = queue_db_open(dir, &error);
	assert_non_null(db);
	assert_int_equal(queue_db_load(db, "ABCDEF0123", state_cb, &st), 0);
	assert_int_equal(st, QUEUE_RCPT_PENDING * 10 + QUEUE_RCPT_SENT);
	queue_db_close(&db);

	txn = queue_spool_txn_new(spool_done, f);
	queue_spool_txn_update(txn, "ABCDEF0123", 0, &sent);
	queue_spool_txn_delete(txn, "ABCDEF0123");
	queue_spool_commit(sp, txn);
	run_until(f, 3);
	assert_int_equal(f->failed, 0);
	assert_false(file_exists(path));
	queue_spool_free(&sp);
	assert_int_equal(count_messages(f), 0);
	free(path);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_submit_many_then_recover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qid_collision_gets_new_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_updates_and_delete, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
