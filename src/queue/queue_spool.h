/* The spool thread: every change to the queue (a new message file plus its index rows,
 * recipient state updates, deletions) is a transaction handed to one worker thread, which
 * group-commits whatever has accumulated: it writes the new files, commits one SQLite
 * transaction and, when the batch holds a new message, makes it durable (WAL fsync at the
 * commit, fdatasync of each new file, fsync of the directory), then reports each
 * transaction back on the loop thread. Recipient updates and deletions alone are committed
 * without a sync (at-least-once). Private to src/queue. */
#ifndef QUEUE_QUEUE_SPOOL_H
#define QUEUE_QUEUE_SPOOL_H
#include <stdbool.h>
#include <stddef.h>

#include "queue/queue_db.h"
#include "util/buf.h"

struct event_base;
struct queue_spool;
struct queue_spool_txn;

typedef void queue_spool_done_cb(struct queue_spool_txn *txn, void *ctx);

struct queue_spool_update {
	char qid[32];
	size_t idx;
	struct queue_db_rcpt rcpt; /* state, next_try, attempts, last_error (owned) */
};

struct queue_spool_txn {
	/* A new message: its bytes (data) go to queue/<qid> and msg into the index. If the
	 * qid is taken, the spool thread picks a new one and writes it into msg.qid. */
	bool has_msg;
	struct queue_db_msg msg;
	struct buf data;
	/* Recipient state changes and whole-message deletions (whose files are removed
	 * after the commit). */
	struct queue_spool_update *updates;
	size_t n_updates, updates_cap;
	char **deletes;
	size_t n_deletes, deletes_cap;
	/* Re-read the index after the rest: fills loaded[] with every message's qid and hold
	 * flag (for `yubin queue` changes made behind the server's back). */
	bool reload;
	struct queue_spool_loaded {
		char qid[32];
		bool hold;
	} * loaded;
	size_t n_loaded, loaded_cap;

	/* result: 0 durable, -1 failed (error: static text) and nothing of it applied */
	int result;
	const char *error;
	int fd; /* the spool thread's: the new file, open until the batch is synced */
	queue_spool_done_cb *done;
	void *ctx;
	struct queue_spool_txn *next;
};

/* queue_dir must exist. NULL with *error_r. Needs a base set up for threads
 * (evthread_use_pthreads) like every worker pool. */
struct queue_spool *queue_spool_new(struct event_base *base, const char *queue_dir,
				    const char **error_r);
/* Waits for the batch in flight (its callbacks run), fails what is still pending
 * (callbacks run with -1) and frees. */
void queue_spool_free(struct queue_spool **spool);
/* The index handle, for loading at start only (before any queue_spool_commit). */
struct queue_db *queue_spool_db(struct queue_spool *spool);

struct queue_spool_txn *queue_spool_txn_new(queue_spool_done_cb *done, void *ctx);
void queue_spool_txn_free(struct queue_spool_txn **txn);
void queue_spool_txn_update(struct queue_spool_txn *txn, const char *qid, size_t idx,
			    const struct queue_db_rcpt *rcpt);
void queue_spool_txn_delete(struct queue_spool_txn *txn, const char *qid);
/* Queues txn for the next group commit; done(txn, ctx) runs on the loop thread later (never
 * inside this call) and owns txn (free it with queue_spool_txn_free). */
void queue_spool_commit(struct queue_spool *spool, struct queue_spool_txn *txn);

#endif
