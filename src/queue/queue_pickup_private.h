/* Shared by the maildrop pickup (queue_pickup.c) and its milters (queue_pickup_milter.c).
 * Private to src/queue. */
#ifndef QUEUE_QUEUE_PICKUP_PRIVATE_H
#define QUEUE_QUEUE_PICKUP_PRIVATE_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/buf.h"

struct milter_local;
struct queue;
struct queue_db_rcpt;
struct queue_pickup;

/* One maildrop file on its way into the queue. */
struct pickup_submit {
	struct queue_pickup *p;
	struct queue *q;
	char *name;
	/* non_smtpd_milters: the message in their hands (p's `filtering` list) */
	struct milter_local *ml;
	struct pickup_submit *next, **prevp;
	uid_t uid;
	char qid[32];
};

/* queue_pickup.c */
/* The file's fate: result 0 removes it (queued, bounced or discarded), -1 keeps it for the
 * next scan (error logged). Frees ps. A queue_submit_cb. */
void pickup_submitted(void *ctx, int result, const char *error);
/* Recipients resolved to local accounts (aliases) and remote addresses; -1 lookup error. */
int pickup_resolve(struct queue *q, char *const *rcpts, struct queue_db_rcpt **out_r, size_t *n_r);
/* Our Received:, the DKIM signature, then the queue; pickup_submitted when durable. */
void pickup_queue(struct queue *q, struct pickup_submit *ps, const char *sender,
		  const struct queue_db_rcpt *rcpts, size_t n, const struct buf *msg);
/* The head of the list of files with the milters. */
struct pickup_submit **pickup_filtering(struct queue_pickup *p);

/* queue_pickup_milter.c */
/* With non_smtpd_milters set: hands the message to the milters and returns true (the file
 * is queued, bounced, discarded or kept for later when they answer); false: none. */
bool pickup_milter_start(struct queue *q, struct pickup_submit *ps, const char *sender,
			 char *const *rcpts, const struct buf *msg);
/* Stops the milters (shutdown): the file stays for the next start. Frees ps. */
void pickup_milter_cancel(struct pickup_submit *ps);

#endif
