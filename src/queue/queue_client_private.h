/* The SMTP client's session state, shared by queue_client.c (connection, greeting, EHLO,
 * STARTTLS, AUTH) and queue_client_txn.c (MAIL/RCPT/DATA and results). */
#ifndef QUEUE_QUEUE_CLIENT_PRIVATE_H
#define QUEUE_QUEUE_CLIENT_PRIVATE_H
#include <stdbool.h>
#include <sys/socket.h>

#include "dns/dns.h"
#include "mail/smtp_reply.h"
#include "queue/queue_client.h"

struct conn;
struct event;

/* RFC 5321 4.5.3.2 timeouts, in seconds; the connect timeout is Postfix's. */
#define QC_TIMEOUT_CONNECT 30
#define QC_TIMEOUT_GREETING 300
#define QC_TIMEOUT_COMMAND 300
#define QC_TIMEOUT_DATA_INIT 120
#define QC_TIMEOUT_DATA_END 600
/* How long a connection waits for another job of its destination before QUIT. */
#define QC_IDLE_SECONDS 2

enum qc_state {
	QC_STATE_CONNECTING,
	QC_STATE_GREETING,
	QC_STATE_EHLO,
	QC_STATE_HELO,
	QC_STATE_STARTTLS,
	QC_STATE_TLS_HANDSHAKE,
	QC_STATE_AUTH,       /* AUTH PLAIN, or LOGIN's password step */
	QC_STATE_AUTH_LOGIN, /* AUTH LOGIN sent, then the user name */
	QC_STATE_IDLE,       /* ready, waiting for a job */
	QC_STATE_TXN,        /* MAIL, RCPT..., DATA replies */
	QC_STATE_BODY,       /* the message is sent, waiting for the final reply */
	QC_STATE_RSET,
	QC_STATE_QUIT,
};

struct queue_client {
	TAILQ_ENTRY(queue_client) idle_entry;
	TAILQ_ENTRY(queue_client) all_entry; /* in queue->clients */
	bool in_idle_list;
	struct queue *q;
	struct queue_dest *dest;
	queue_client_job_cb *on_job;
	queue_client_end_cb *on_end;
	char *helo_name, *auth_user, *auth_pass;
	unsigned short port;

	/* the route, walked host by host, address by address */
	struct dns_route_host *hosts;
	size_t n_hosts, host_i, addr_i;
	bool no_tls; /* STARTTLS failed on this address: retry it in clear */
	bool connected_once;
	char *last_error;

	int fd;
	struct event *connect_ev, *idle_ev;
	struct conn *conn;
	enum qc_state state;
	char relay[320]; /* "host[ip]:port" */
	struct smtp_reply reply;
	int auth_step;

	/* EHLO keywords (RFC 5321 4.1.1.1) */
	bool esmtp, ext_pipelining, ext_starttls, ext_size, ext_8bitmime, ext_smtputf8,
		ext_auth_plain, ext_auth_login;
	unsigned long long size_max;

	/* the job in flight */
	struct queue_job *job;
	struct queue_rcpt_result *results;
	size_t step; /* replies received: 0 MAIL, 1..n RCPT, n+1 DATA */
	size_t sent; /* commands sent so far (without PIPELINING one at a time) */
	size_t n_accepted;
	bool mail_failed, data_started;
};

/* queue_client.c */
void qc_enter_state(struct queue_client *c, enum qc_state state);
void qc_send(struct queue_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends the session: QUIT when connected; on_end; frees c. */
void qc_quit(struct queue_client *c);
/* Connection lost or unusable mid-session. */
void qc_fail(struct queue_client *c, const char *why);
/* Looks for the next job of the destination, or waits idle. */
void qc_next_job(struct queue_client *c);

/* queue_client_txn.c */
void qc_txn_start(struct queue_client *c);
void qc_txn_reply(struct queue_client *c, const struct smtp_reply *r);
void qc_body_reply(struct queue_client *c, const struct smtp_reply *r);
/* Reports the job (results filled in so far; the rest with result/why) and clears it. */
void qc_job_finish(struct queue_client *c, enum queue_result rest, const char *status,
		   const char *why);
/* "550 5.1.1 text" with lines joined by spaces, for results and logs. Newly allocated. */
char *qc_reply_text(const struct smtp_reply *r);

#endif
