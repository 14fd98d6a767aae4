/* The spool thread's group commit (see queue_spool.h). One batch is in flight at a time;
 * transactions committed meanwhile wait in a list and form the next batch, so the cost of
 * the fsync is shared by everything that arrived while the previous one ran. */
#include "queue/queue_spool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log/log.h"
#include "net/workers.h"
#include "util/file.h"
#include "util/rand.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct queue_spool {
	struct workers *thread;
	struct queue_db *db;
	char *dir;
	int dir_fd;
	struct queue_spool_txn *pending, **pending_tail;
	struct queue_spool_txn *batch; /* in flight on the thread */
	bool freeing;
};

struct queue_spool *
queue_spool_new(struct event_base *base, const char *queue_dir, const char **error_r)
{
	struct queue_spool *sp;
	struct queue_db *db;
	int fd;

	fd = open(queue_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		*error_r = "cannot open the queue directory";
		return NULL;
	}
	db = queue_db_open(queue_dir, error_r);
	if (db == NULL) {
		close(fd);
		return NULL;
	}
	sp = xcalloc(1, sizeof(*sp));
	sp->db = db;
	sp->dir = xstrdup(queue_dir);
	sp->dir_fd = fd;
	sp->pending_tail = &sp->pending;
	sp->thread = workers_new(base, 1);
	return sp;
}

struct queue_db *
queue_spool_db(struct queue_spool *spool)
{
	return spool->db;
}

struct queue_spool_txn *
queue_spool_txn_new(queue_spool_done_cb *done, void *ctx)
{
	struct queue_spool_txn *txn = xcalloc(1, sizeof(*txn));

	txn->done = done;
	txn->ctx = ctx;
	txn->fd = -1;
	return txn;
}

void
queue_spool_txn_free(struct queue_spool_txn **txnp)
{
	struct queue_spool_txn *txn = *txnp;
	size_t i;

	if (txn == NULL)
		return;
	*txnp = NULL;
	queue_db_msg_clear(&txn->msg);
	buf_free(&txn->data);
	for (i = 0; i < txn->n_updates; i++)
		free(txn->updates[i].rcpt.last_error);
	free(txn->updates);
	for (i = 0; i < txn->n_deletes; i++)
		free(txn->deletes[i]);
	free(txn->deletes);
	free(txn->loaded);
	free(txn);
}

void
queue_spool_txn_update(struct queue_spool_txn *txn, const char *qid, size_t idx,
		       const struct queue_db_rcpt *rcpt)
{
	struct queue_spool_update *u;

	txn->updates =
		xgrow(txn->updates, &txn->updates_cap, txn->n_updates + 1, sizeof(*txn->updates));
	u = &txn->updates[txn->n_updates++];
	memset(u, 0, sizeof(*u));
	str_lcpy(u->qid, qid, sizeof(u->qid));
	u->idx = idx;
	u->rcpt.state = rcpt->state;
	u->rcpt.next_try = rcpt->next_try;
	u->rcpt.attempts = rcpt->attempts;
	u->rcpt.last_error = rcpt->last_error ? xstrdup(rcpt->last_error) : NULL;
}

void
queue_spool_txn_delete(struct queue_spool_txn *txn, const char *qid)
{
	txn->deletes =
		xgrow(txn->deletes, &txn->deletes_cap, txn->n_deletes + 1, sizeof(*txn->deletes));
	txn->deletes[txn->n_deletes++] = xstrdup(qid);
}

/* Creates the new message's file under its final name (O_EXCL: a qid collision picks a
 * new qid) and starts its write-back; the fd stays open for the batch's fdatasync. A file
 * that a crash leaves without its index row is an orphan, removed at start-up. */
static int
queue_spool_write_file(struct queue_spool *sp, struct queue_spool_txn *txn)
{
	int fd = -1, tries;

	for (tries = 0; tries < 10 && fd < 0; tries++) {
		fd = openat(sp->dir_fd, txn->msg.qid, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			    0600);
		if (fd < 0 && errno == EEXIST) {
			log_info("queue: %s: queue id in use, renamed", txn->msg.qid);
			rand_queue_id(txn->msg.qid);
		} else if (fd < 0) {
			break;
		}
	}
	if (fd < 0) {
		log_error("queue: %s: open(%s/%s) failed: %s", txn->msg.qid, sp->dir, txn->msg.qid,
			  strerror(errno));
		return -1;
	}
	if (file_write_full(fd, txn->data.data, txn->data.len) < 0) {
		log_error("queue: %s: write(%s/%s) failed: %s", txn->msg.qid, sp->dir, txn->msg.qid,
			  strerror(errno));
		close(fd);
		unlinkat(sp->dir_fd, txn->msg.qid, 0);
		return -1;
	}
	/* write-back starts now, so the fdatasync after the commit mostly waits for it */
	(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	txn->fd = fd;
	return 0;
}

static void
queue_spool_reload_cb(void *ctx, const struct queue_db_msg *m)
{
	struct queue_spool_txn *txn = ctx;
	struct queue_spool_loaded *l;

	txn->loaded = xgrow(txn->loaded, &txn->loaded_cap, txn->n_loaded + 1, sizeof(*txn->loaded));
	l = &txn->loaded[txn->n_loaded++];
	str_lcpy(l->qid, m->qid, sizeof(l->qid));
	l->hold = m->hold;
}

/* Applies one transaction's index changes inside the batch's SQLite transaction. */
static int
queue_spool_apply(struct queue_spool *sp, struct queue_spool_txn *txn)
{
	size_t i;

	if (txn->has_msg && queue_db_insert(sp->db, &txn->msg) < 0)
		return -1;
	for (i = 0; i < txn->n_updates; i++)
		if (queue_db_update_rcpt(sp->db, txn->updates[i].qid, txn->updates[i].idx,
					 &txn->updates[i].rcpt) < 0)
			return -1;
	for (i = 0; i < txn->n_deletes; i++)
		if (queue_db_delete(sp->db, txn->deletes[i]) < 0)
			return -1;
	if (txn->reload) {
		txn->n_loaded = 0;
		if (queue_db_load(sp->db, NULL, queue_spool_reload_cb, txn) < 0)
			return -1;
	}
	return 0;
}

static void
queue_spool_fail(struct queue_spool *sp, struct queue_spool_txn *txn, const char *error)
{
	if (txn->result == 0 && txn->has_msg)
		unlinkat(sp->dir_fd, txn->msg.qid, 0);
	if (txn->fd >= 0)
		close(txn->fd);
	txn->fd = -1;
	txn->result = -1;
	txn->error = error;
}

/* The batch's database part: one transaction, each txn in a savepoint so that one bad
 * txn fails alone. */
static void
queue_spool_batch_db(struct queue_spool *sp)
{
	struct queue_spool_txn *txn;

	if (queue_db_begin(sp->db) < 0) {
		for (txn = sp->batch; txn != NULL; txn = txn->next)
			queue_spool_fail(sp, txn, "queue database error");
		return;
	}
	for (txn = sp->batch; txn != NULL; txn = txn->next) {
		if (txn->result < 0)
			continue;
		queue_db_savepoint(sp->db);
		if (queue_spool_apply(sp, txn) < 0) {
			queue_db_rollback_savepoint(sp->db);
			queue_spool_fail(sp, txn, "queue database error");
		} else {
			queue_db_release_savepoint(sp->db);
		}
	}
	if (queue_db_commit(sp->db) < 0) {
		queue_db_rollback(sp->db);
		for (txn = sp->batch; txn != NULL; txn = txn->next)
			queue_spool_fail(sp, txn, "queue database commit failed");
	}
}

/* A durable batch's sync: each new file's data and size, then the directory (their
 * names). The commit itself already fsynced the WAL (synchronous=FULL). */
static void
queue_spool_sync_files(struct queue_spool *sp)
{
	struct queue_spool_txn *txn;
	bool dir_ok = fsync(sp->dir_fd) == 0;

	if (!dir_ok)
		log_error("queue: fsync(%s) failed: %s", sp->dir, strerror(errno));
	for (txn = sp->batch; txn != NULL; txn = txn->next) {
		if (txn->fd < 0)
			continue;
		if (txn->result == 0 && (!dir_ok || fdatasync(txn->fd) < 0)) {
			if (dir_ok)
				log_error("queue: %s: fdatasync failed: %s", txn->msg.qid,
					  strerror(errno));
			queue_spool_fail(sp, txn, "cannot sync the queue file");
		}
		if (txn->fd >= 0)
			close(txn->fd);
		txn->fd = -1;
	}
}

/* On the spool thread. A batch with a new message (an SMTP client waits for its 250) is
 * made durable: files written, one SQLite commit that fsyncs the WAL, fdatasync of those
 * files and of the directory. A batch of recipient updates and deletions alone commits
 * without any sync: the next durable batch (or a checkpoint) carries it to the disk, and a
 * crash before that only repeats deliveries (at-least-once, see README.md). Deleted
 * messages' files go after the commit. */
static void
queue_spool_work(void *arg)
{
	struct queue_spool *sp = arg;
	struct queue_spool_txn *txn;
	bool durable = false;
	size_t i;

	for (txn = sp->batch; txn != NULL; txn = txn->next) {
		txn->result = 0;
		txn->fd = -1;
		if (!txn->has_msg)
			continue;
		durable = true;
		if (queue_spool_write_file(sp, txn) < 0) {
			txn->result = -1;
			txn->error = "cannot write the queue file";
		}
	}
	if (queue_db_set_synchronous(sp->db, durable) < 0) {
		for (txn = sp->batch; txn != NULL; txn = txn->next)
			queue_spool_fail(sp, txn, "queue database error");
	}
	queue_spool_batch_db(sp);
	if (durable)
		queue_spool_sync_files(sp);
	for (txn = sp->batch; txn != NULL; txn = txn->next)
		for (i = 0; txn->result == 0 && i < txn->n_deletes; i++)
			if (unlinkat(sp->dir_fd, txn->deletes[i], 0) < 0 && errno != ENOENT)
				log_warn("queue: %s: unlink failed: %s", txn->deletes[i],
					 strerror(errno));
}

static void queue_spool_start(struct queue_spool *sp);

/* Back on the loop: report the batch, start the next one. */
static void
queue_spool_done(void *arg)
{
	struct queue_spool *sp = arg;
	struct queue_spool_txn *txn = sp->batch;

	sp->batch = NULL;
	while (txn != NULL) {
		struct queue_spool_txn *next = txn->next;
		txn->next = NULL;
		txn->done(txn, txn->ctx);
		txn = next;
	}
	if (!sp->freeing)
		queue_spool_start(sp);
}

static void
queue_spool_start(struct queue_spool *sp)
{
	if (sp->freeing || sp->batch != NULL || sp->pending == NULL)
		return;
	sp->batch = sp->pending;
	sp->pending = NULL;
	sp->pending_tail = &sp->pending;
	workers_submit(sp->thread, queue_spool_work, queue_spool_done, sp);
}

void
queue_spool_commit(struct queue_spool *sp, struct queue_spool_txn *txn)
{
	txn->next = NULL;
	*sp->pending_tail = txn;
	sp->pending_tail = &txn->next;
	queue_spool_start(sp);
}

void
queue_spool_free(struct queue_spool **spp)
{
	struct queue_spool *sp = *spp;
	struct queue_spool_txn *txn;

	if (sp == NULL)
		return;
	*spp = NULL;
	sp->freeing = true;
	workers_free(&sp->thread); /* runs the in-flight batch's callbacks */
	/* callbacks may commit more: they fail the same way */
	while ((txn = sp->pending) != NULL) {
		sp->pending = txn->next;
		if (sp->pending == NULL)
			sp->pending_tail = &sp->pending;
		txn->next = NULL;
		txn->result = -1;
		txn->error = "the queue is shutting down";
		txn->done(txn, txn->ctx);
	}
	queue_db_close(&sp->db);
	close(sp->dir_fd);
	free(sp->dir);
	free(sp);
}
