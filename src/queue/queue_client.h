/* The outbound SMTP client: one connection to a destination's next hop, walking the
 * route's addresses until one answers, then delivering jobs one after another over it
 * (EHLO with HELO fallback, opportunistic STARTTLS, AUTH to a relayhost, PIPELINING,
 * SIZE, 8BITMIME, SMTPUTF8, dot-stuffing), with per-recipient results. Private to
 * src/queue; the scheduler (queue_sched.c) owns clients and hands them jobs. */
#ifndef QUEUE_QUEUE_CLIENT_H
#define QUEUE_QUEUE_CLIENT_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "queue/queue_private.h"

struct dns_route;

enum queue_result {
	QUEUE_RESULT_SENT,
	QUEUE_RESULT_DEFER,
	QUEUE_RESULT_BOUNCE,
};

/* The outcome for one recipient of a job. */
struct queue_rcpt_result {
	enum queue_result result;
	char status[16]; /* enhanced status code, "5.1.1" */
	char *text;      /* the reply ("550 5.1.1 no such user") or our own explanation */
	bool remote;     /* text is the remote server's reply */
};

/* The client's report of a job (job is still the caller's; results[i] belongs to
 * job->rcpts[i] and is freed after the call). relay: "host[ip]:port" or "none". */
typedef void queue_client_job_cb(struct queue *q, struct queue_job *job,
				 struct queue_rcpt_result *results, const char *relay);
/* The client is gone (closed after QUIT, idle, or failing); connected tells whether it
 * ever reached a server (false: the whole route failed, error says why). */
typedef void queue_client_end_cb(struct queue *q, struct queue_dest *dest,
				 struct queue_client *client, bool connected, const char *error);

struct queue_client_params {
	struct queue *queue;
	struct queue_dest *dest;
	const struct dns_route *route; /* copied */
	unsigned short port;
	const char *helo_name;
	const char *auth_user, *auth_pass; /* relayhost AUTH, or NULL */
	queue_client_job_cb *on_job;
	queue_client_end_cb *on_end;
};

/* Connects (asynchronously) and runs job first. */
struct queue_client *queue_client_new(const struct queue_client_params *p, struct queue_job *job);
/* Hands an idle client its next job. */
void queue_client_run(struct queue_client *c, struct queue_job *job);
/* Closes at once (shutdown): the job in flight, if any, is reported deferred; on_end is
 * not called. Frees c. */
void queue_client_abort(struct queue_client *c);

/* Clients sit in their destination's idle list through this entry. */
void queue_client_idle_insert(struct queue_client_list *list, struct queue_client *c);
void queue_client_idle_remove(struct queue_client_list *list, struct queue_client *c);

/* Dot-stuffs msg (RFC 5321 4.5.2) into out and terminates it with CRLF "." CRLF; a last
 * line without a line end gets one. Pure. */
void queue_client_dot_stuff(struct buf *out, const char *msg, size_t len);

#endif
