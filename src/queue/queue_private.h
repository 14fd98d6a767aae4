/* Internals shared by the files of src/queue: the queue context, the in-memory copy of
 * each queued message, destinations (one per next-hop domain) and delivery jobs. All of
 * it lives on the loop thread. */
#ifndef QUEUE_QUEUE_PRIVATE_H
#define QUEUE_QUEUE_PRIVATE_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <time.h>

#include "queue/queue.h"
#include "queue/queue_db.h"
#include "util/buf.h"

struct dns;
struct event;
struct queue_pickup;
struct queue_spool;
struct strmap;

/* At most this many outbound connections in all, and per destination (Postfix's
 * default_destination_concurrency_limit). */
#define QUEUE_MAX_CLIENTS 200
#define QUEUE_DEST_CONCURRENCY 20
/* RFC 5321 6.3: a message with more trace headers than this is looping. */
#define QUEUE_MAX_RECEIVED 50

struct queue_msg {
	TAILQ_ENTRY(queue_msg) entry;
	struct queue_db_msg m;
	unsigned char *busy; /* per recipient: a delivery attempt is in flight */
	unsigned jobs;       /* jobs in flight */
	unsigned txns;       /* spool transactions in flight for it */
	bool deleted;        /* removed (delivered, or `queue delete`): free when idle */
	struct buf data;     /* the spool file, loaded while jobs run */
	bool data_loaded;
	time_t next_due; /* earliest next_try of an idle pending recipient (0: look now) */
};
TAILQ_HEAD(queue_msg_list, queue_msg);

/* A delivery of one message to some of its recipients through one destination. */
struct queue_job {
	TAILQ_ENTRY(queue_job) entry;
	struct queue_msg *msg;
	size_t *rcpts; /* indices into msg->m.rcpts */
	size_t n_rcpts;
};
TAILQ_HEAD(queue_job_list, queue_job);

struct queue_client;
TAILQ_HEAD(queue_client_list, queue_client);

/* Where jobs go: a remote domain (routed by MX), the relayhost, or local delivery. */
struct dns_route;
struct dns_route_query;

struct queue_dest {
	struct queue *q;
	char *name; /* lower-cased domain, or "[relayhost]" */
	struct queue_job_list jobs;
	struct queue_client_list idle; /* connected clients waiting for a job */
	unsigned n_clients;
	struct dns_route *route; /* cached for QUEUE_ROUTE_TTL seconds */
	time_t route_time;
	struct dns_route_query *route_query;
};

/* How long a destination's resolved route is reused. */
#define QUEUE_ROUTE_TTL 60

struct queue_local;

struct queue {
	struct queue_deps deps;
	char *dir;
	struct queue_spool *spool;
	struct dns *dns;
	struct queue_msg_list msgs;
	struct strmap *by_qid;
	struct strmap *dests;
	struct event *tick;
	struct queue_pickup *pickup;
	struct queue_client_list clients; /* every client */
	unsigned n_clients;
	struct queue_local *locals; /* local deliveries in flight */
	/* relayhost, parsed once */
	char *relay_host, *relay_user, *relay_pass;
	unsigned short relay_port;
	bool relay_bracketed;
	bool shutting_down;
};

/* queue_sched.c */
void queue_job_free(struct queue_job **job);

/* queue.c */
struct queue_msg *queue_msg_new(const struct queue_db_msg *m);
void queue_msg_free(struct queue_msg **msg);
/* Drops a message that is finished (deleted) once nothing refers to it any more. */
void queue_msg_release(struct queue *q, struct queue_msg *msg);
/* Reads the spool file (once); -1 if it is missing or short. */
int queue_msg_load_data(struct queue *q, struct queue_msg *msg);
/* queue_submit() with recipients that may be local accounts (sendmail, bounces). */
void queue_submit_rcpts(struct queue *q, const char *qid, const char *sender,
			const struct queue_db_rcpt *rcpts, size_t n_rcpts, const char *prefix,
			size_t prefix_len, const char *msg, size_t len, queue_submit_cb *cb,
			void *ctx);

#endif
