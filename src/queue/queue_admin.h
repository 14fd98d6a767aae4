/* The administrator's changes to the outbound queue, shared by `yubin queue` (src/cli)
 * and the admin web page (src/http): the index (data_directory/queue/queue.db) is read
 * and changed directly, as a second SQLite connection beside the server's (SQLite locks;
 * each change is one short transaction, committed with its own fsync). Whoever made a
 * change then tells the running server to re-read the index: queue_flush() inside the
 * server, the control socket's `queue flush` from the CLI. */
#ifndef QUEUE_QUEUE_ADMIN_H
#define QUEUE_QUEUE_ADMIN_H
#include <stdbool.h>

#include "queue/queue_db.h"

enum queue_admin_op {
	QUEUE_ADMIN_FLUSH,   /* every pending recipient due now (qid unused) */
	QUEUE_ADMIN_DELETE,  /* the message, its recipients and its file */
	QUEUE_ADMIN_HOLD,    /* nothing of it is delivered until released */
	QUEUE_ADMIN_RELEASE, /* clears the hold */
};

/* "flush", "delete", "hold", "release" (the CLI's and the web page's words). */
const char *queue_admin_op_name(enum queue_admin_op op);
/* The word back: 0 with *op_r, -1 if it is none of them. */
int queue_admin_op_parse(const char *name, enum queue_admin_op *op_r);
/* A queue id as the queue makes them: 1-31 ASCII letters and digits. */
bool queue_admin_qid_valid(const char *qid);

/* Applies op to qid (NULL for flush) in data_dir's queue. 1 done, 0 no such message (or,
 * for everything but flush, no queue yet), -1 error with *error_r (static text). */
int queue_admin_change(const char *data_dir, enum queue_admin_op op, const char *qid,
		       const char **error_r);
/* Calls cb for every queued message in qid order (msg is freed after cb returns). 0 ok,
 * also when there is no queue yet; -1 error with *error_r. */
int queue_admin_list(const char *data_dir, void (*cb)(void *ctx, const struct queue_db_msg *msg),
		     void *ctx, const char **error_r);

#endif
