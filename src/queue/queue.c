/* The queue's life cycle (see queue.h): opening the spool and recovering what a crash
 * left, submissions from the SMTP server, flush, shutdown; and the in-memory messages. */
#include "queue/queue.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/settings.h"
#include "log/log.h"
#include "queue/queue_pickup.h"
#include "queue/queue_private.h"
#include "queue/queue_sched.h"
#include "queue/queue_spool.h"
#include "util/file.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xmalloc.h"

struct queue_msg *
queue_msg_new(const struct queue_db_msg *m)
{
	struct queue_msg *msg = xcalloc(1, sizeof(*msg));
	size_t i;

	msg->m = *m;
	msg->m.sender = xstrdup(m->sender);
	msg->m.rcpts = xcalloc(m->n_rcpts ? m->n_rcpts : 1, sizeof(*msg->m.rcpts));
	for (i = 0; i < m->n_rcpts; i++) {
		msg->m.rcpts[i] = m->rcpts[i];
		msg->m.rcpts[i].address = xstrdup(m->rcpts[i].address);
		msg->m.rcpts[i].last_error =
			m->rcpts[i].last_error ? xstrdup(m->rcpts[i].last_error) : NULL;
	}
	msg->busy = xcalloc(m->n_rcpts ? m->n_rcpts : 1, 1);
	return msg;
}

void
queue_msg_free(struct queue_msg **msgp)
{
	struct queue_msg *msg = *msgp;

	if (msg == NULL)
		return;
	*msgp = NULL;
	queue_db_msg_clear(&msg->m);
	free(msg->busy);
	buf_free(&msg->data);
	free(msg);
}

void
queue_msg_release(struct queue *q, struct queue_msg *msg)
{
	if (msg->jobs > 0 || msg->txns > 0)
		return;
	if (!msg->deleted) {
		/* idle: the bytes are read again when the next attempt needs them */
		buf_free(&msg->data);
		msg->data_loaded = false;
		return;
	}
	if (strmap_get(q->by_qid, msg->m.qid) == msg)
		strmap_set(q->by_qid, msg->m.qid, NULL);
	TAILQ_REMOVE(&q->msgs, msg, entry);
	queue_msg_free(&msg);
}

int
queue_msg_load_data(struct queue *q, struct queue_msg *msg)
{
	char *path;
	int ret;

	if (msg->data_loaded)
		return 0;
	path = xasprintf("%s/%s", q->dir, msg->m.qid);
	buf_reset(&msg->data);
	ret = file_read_all(path, &msg->data);
	if (ret < 0)
		log_error("queue: %s: read(%s) failed: %s", msg->m.qid, path, strerror(errno));
	free(path);
	if (ret < 0)
		return -1;
	msg->data_loaded = true;
	return 0;
}

/* Start-up: the index is the truth. A message whose file is missing or short was never
 * acknowledged (its commit was not synced) and is dropped; files without a message (a
 * crash before the commit) are removed. */
static void
queue_load_msg(void *ctx, const struct queue_db_msg *m)
{
	struct queue *q = ctx;
	struct queue_msg *msg;
	char *path = xasprintf("%s/%s", q->dir, m->qid);
	struct stat st;

	if (stat(path, &st) < 0 || (unsigned long long)st.st_size != m->size) {
		log_warn("queue: %s: spool file missing or short, message dropped (it was "
			 "never acknowledged)",
			 m->qid);
		queue_db_delete(queue_spool_db(q->spool), m->qid);
		unlink(path);
		free(path);
		return;
	}
	free(path);
	msg = queue_msg_new(m);
	TAILQ_INSERT_TAIL(&q->msgs, msg, entry);
	strmap_set(q->by_qid, msg->m.qid, msg);
}

static void
queue_remove_orphans(struct queue *q)
{
	DIR *dir = opendir(q->dir);
	struct dirent *de;

	if (dir == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.' || strncmp(de->d_name, "queue.db", 8) == 0 ||
		    strmap_get(q->by_qid, de->d_name) != NULL)
			continue;
		if (unlinkat(dirfd(dir), de->d_name, 0) == 0)
			log_info("queue: removed unreferenced spool file %s", de->d_name);
	}
	closedir(dir);
}

static int
queue_recover(struct queue *q, const char **error_r)
{
	struct queue_db *db = queue_spool_db(q->spool);

	if (queue_db_begin(db) < 0 || queue_db_load(db, NULL, queue_load_msg, q) < 0 ||
	    queue_db_sync_commit(db) < 0) {
		queue_db_rollback(db);
		*error_r = "cannot load the queue index";
		return -1;
	}
	queue_remove_orphans(q);
	return 0;
}

struct queue *
queue_new(const struct queue_deps *deps, const char **error_r)
{
	struct queue *q = xcalloc(1, sizeof(*q));

	q->deps = *deps;
	TAILQ_INIT(&q->msgs);
	q->by_qid = strmap_new();
	q->dests = strmap_new();
	q->dir = xasprintf("%s/queue", deps->settings->data_directory);
	if (file_mkdir_p(q->dir, 0700) < 0) {
		*error_r = "cannot create data_directory/queue";
		queue_free(&q);
		return NULL;
	}
	q->spool = queue_spool_new(deps->base, q->dir, error_r);
	if (q->spool == NULL || queue_recover(q, error_r) < 0) {
		queue_free(&q);
		return NULL;
	}
	if (queue_sched_start(q, error_r) < 0) {
		queue_free(&q);
		return NULL;
	}
	q->pickup = queue_pickup_new(q, error_r);
	if (q->pickup == NULL) {
		queue_free(&q);
		return NULL;
	}
	log_info("queue: started, %zu messages in the queue", strmap_count(q->by_qid));
	return q;
}

void
queue_shutdown(struct queue *q)
{
	if (q == NULL || q->shutting_down)
		return;
	q->shutting_down = true;
	queue_pickup_free(&q->pickup);
	queue_sched_stop(q);
}

void
queue_free(struct queue **qp)
{
	struct queue *q = *qp;
	struct queue_msg *msg;

	if (q == NULL)
		return;
	*qp = NULL;
	queue_shutdown(q);
	/* runs the callbacks of transactions in flight (which may release messages) */
	queue_spool_free(&q->spool);
	queue_sched_free(q);
	while ((msg = TAILQ_FIRST(&q->msgs)) != NULL) {
		TAILQ_REMOVE(&q->msgs, msg, entry);
		queue_msg_free(&msg);
	}
	strmap_free(&q->by_qid);
	strmap_free(&q->dests);
	free(q->dir);
	free(q);
}

void
queue_stats(const struct queue *q, size_t *length_r, time_t *oldest_r)
{
	const struct queue_msg *msg;

	*length_r = 0;
	*oldest_r = 0;
	TAILQ_FOREACH(msg, &q->msgs, entry)
	{
		if (msg->deleted)
			continue;
		(*length_r)++;
		if (*oldest_r == 0 || msg->m.arrival < *oldest_r)
			*oldest_r = msg->m.arrival;
	}
}

void
queue_flush(struct queue *q)
{
	struct queue_msg *msg;
	time_t now = time(NULL);
	size_t i;

	if (q == NULL || q->shutting_down)
		return;
	log_info("queue: flush requested");
	/* `yubin queue hold/release/delete` changed the index: re-read it */
	queue_sched_reload(q);
	/* As Postfix's `postqueue -f`: every deferred recipient is due now, whatever its
	 * backoff. The scheduler looks only at messages whose next_due has come, so that is
	 * reset too; and the destinations forget their cached routes, so the attempt resolves
	 * afresh (the destination may have moved while it was down). */
	TAILQ_FOREACH(msg, &q->msgs, entry)
	{
		for (i = 0; i < msg->m.n_rcpts; i++) {
			struct queue_db_rcpt *r = &msg->m.rcpts[i];

			if (r->state != QUEUE_RCPT_PENDING || msg->busy[i] || r->next_try <= now)
				continue;
			/* a held message stays held; it goes at once when released */
			if (!msg->m.hold)
				log_info("queue: %s: to=<%s> flush: retrying now (attempt %u, was "
					 "due "
					 "in %llds)",
					 msg->m.qid, r->address, r->attempts + 1,
					 (long long)(r->next_try - now));
			r->next_try = now;
			msg->next_due = 0;
		}
	}
	queue_sched_forget_routes(q);
	queue_sched_kick(q);
}

struct queue_submit_req {
	struct queue *q;
	queue_submit_cb *cb;
	void *ctx;
};

static void
queue_submit_done(struct queue_spool_txn *txn, void *ctx)
{
	struct queue_submit_req *req = ctx;
	struct queue *q = req->q;

	if (txn->result == 0) {
		struct queue_msg *msg = queue_msg_new(&txn->msg);
		TAILQ_INSERT_TAIL(&q->msgs, msg, entry);
		strmap_set(q->by_qid, msg->m.qid, msg);
		log_info("queue: %s: from=<%s> size=%llu nrcpt=%zu (queue active)", msg->m.qid,
			 msg->m.sender, msg->m.size, msg->m.n_rcpts);
		if (!q->shutting_down) {
			/* the bytes are at hand: spare the first attempt a read */
			buf_append(&msg->data, txn->data.data, txn->data.len);
			msg->data_loaded = true;
			queue_sched_msg(q, msg);
		}
	}
	req->cb(req->ctx, txn->result, txn->error);
	queue_spool_txn_free(&txn);
	free(req);
}

void
queue_submit_rcpts(struct queue *q, const char *qid, const char *sender,
		   const struct queue_db_rcpt *rcpts, size_t n_rcpts, const char *prefix,
		   size_t prefix_len, const char *msg, size_t len, queue_submit_cb *cb, void *ctx)
{
	struct queue_submit_req *req = xcalloc(1, sizeof(*req));
	struct queue_spool_txn *txn = queue_spool_txn_new(queue_submit_done, req);
	size_t i;

	req->q = q;
	req->cb = cb;
	req->ctx = ctx;
	txn->has_msg = true;
	str_lcpy(txn->msg.qid, qid, sizeof(txn->msg.qid));
	txn->msg.sender = xstrdup(sender);
	txn->msg.arrival = time(NULL);
	txn->msg.size = prefix_len + len;
	txn->msg.rcpts = xcalloc(n_rcpts ? n_rcpts : 1, sizeof(*txn->msg.rcpts));
	txn->msg.n_rcpts = n_rcpts;
	for (i = 0; i < n_rcpts; i++) {
		txn->msg.rcpts[i].address = xstrdup(rcpts[i].address);
		txn->msg.rcpts[i].local = rcpts[i].local;
		txn->msg.rcpts[i].next_try = txn->msg.arrival;
	}
	buf_reserve(&txn->data, prefix_len + len);
	buf_append(&txn->data, prefix, prefix_len);
	buf_append(&txn->data, msg, len);
	if (q->shutting_down) {
		txn->result = -1;
		txn->error = "the queue is shutting down";
		queue_submit_done(txn, req);
		return;
	}
	queue_spool_commit(q->spool, txn);
}

void
queue_submit(struct queue *q, const char *qid, const char *sender, const char *const *rcpts,
	     const char *prefix, size_t prefix_len, const char *msg, size_t len,
	     queue_submit_cb *cb, void *ctx)
{
	struct queue_db_rcpt *list;
	size_t n = 0, i;

	while (rcpts[n] != NULL)
		n++;
	list = xcalloc(n ? n : 1, sizeof(*list));
	for (i = 0; i < n; i++)
		list[i].address = (char *)rcpts[i];
	queue_submit_rcpts(q, qid, sender, list, n, prefix, prefix_len, msg, len, cb, ctx);
	free(list);
}
