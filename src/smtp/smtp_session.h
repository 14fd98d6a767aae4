/* One SMTP server session: the state machine, the command loop and replies. Internal to
 * src/smtp: the command handlers (smtp_commands.c), message reception (smtp_message.c)
 * and the server (smtp_server.c) share this definition. */
#ifndef SMTP_SMTP_SESSION_H
#define SMTP_SMTP_SESSION_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>

#include "mail/smtp_data.h"
#include "mail/smtp_params.h"
#include "net/session.h"
#include "smtp/smtp_server.h"

struct smtp_server;
#include "util/buf.h"

struct conn;
struct clamd_scan;
struct smtp_milter;
struct smtp_quota;

enum smtp_listener_kind {
	SMTP_LISTENER_SMTP,        /* port 25 */
	SMTP_LISTENER_SUBMISSION,  /* port 587, STARTTLS */
	SMTP_LISTENER_SUBMISSIONS, /* port 465, implicit TLS */
};

enum smtp_state {
	SMTP_STATE_CONNECTED, /* greeted, waiting for EHLO/HELO */
	SMTP_STATE_READY,     /* after EHLO/HELO, no transaction */
	SMTP_STATE_MAIL,      /* MAIL accepted, no valid RCPT yet */
	SMTP_STATE_RCPT,      /* at least one RCPT accepted */
	SMTP_STATE_DATA,      /* reading DATA until <CRLF>.<CRLF> */
	SMTP_STATE_BDAT,      /* reading a BDAT chunk of known size */
	SMTP_STATE_WAIT,      /* an asynchronous step (delivery, AUTH) runs; input paused */
	SMTP_STATE_AUTH,      /* waiting for a SASL continuation line */
	SMTP_STATE_CLOSING,   /* reply queued, closing after flush */
};

struct smtp_rcpt {
	char *address; /* as given in RCPT TO */
	char **local;  /* local account names it resolves to (NULL-terminated) */
	char **remote; /* remote addresses it resolves to (NULL-terminated) */
};

struct smtp_session {
	struct session base; /* first: id (the transaction's queue id is qid), ip, conn */
	struct smtp_server *server;
	enum smtp_listener_kind kind;
	char *helo; /* EHLO/HELO argument */
	bool esmtp;
	struct buf line;

	/* AUTH (submission) */
	char *auth_user;       /* authenticated account, NULL if none */
	char *auth_mech;       /* mechanism of the exchange in progress, or of the success */
	char *auth_login_user; /* LOGIN: the user given in the first step */

	/* current transaction */
	char qid[17];
	char *mail_from; /* reverse-path, "" for <> */
	struct smtp_mail_params mail_params;
	struct smtp_rcpt *rcpts;
	size_t n_rcpts, rcpts_cap;
	struct buf msg; /* message being received (without our Received:) */
	struct smtp_data_reader data;
	struct crlf_normalizer bdat_norm;
	unsigned long long bdat_left; /* bytes of the current chunk still to read */
	bool bdat_last;
	bool bdat_discard;      /* the chunk is read and thrown away (error already decided) */
	const char *bdat_error; /* reply for a discarded chunk */
	bool bdat_started;      /* the transaction uses BDAT (DATA is then out of sequence) */
	bool rcpt_attempted;    /* a RCPT was tried (DATA then says "no valid recipients") */
	size_t mem_counted;     /* bytes of msg counted in the server's memory total */
	bool over_memory;       /* smtp_memory_limit was hit: the message is read, not kept */

	/* stages (smtp_stage.h) */
	size_t stage_fed;       /* bytes of msg given to the stages' data hooks */
	size_t stage_next;      /* the end-of-data stage to run next */
	size_t stage_rcpt_next; /* the rcpt stage to run next */
	void (*stage_deliver)(struct smtp_session *s);
	struct buf stage_headers;    /* header fields the stages add for delivery */
	const char *deliver_mailbox; /* local mailbox chosen by a stage (static), NULL: INBOX */

	struct smtp_mailauth *mailauth; /* the mailauth stage's state (smtp_mailauth.c) */
	bool deliver_hold;              /* a stage quarantined it: queued on hold, not delivered */
	struct clamd_scan *clamd;       /* smtp_clamd.c: the scan in flight */
	struct smtp_milter *milter;     /* smtp_milter.c: the milter run in flight */
	struct smtp_quota *quota;       /* smtp_quota.c: the over-quota bounce in flight */
	/* guards (smtp_guard.h) */
	struct smtp_guard_conn *guard; /* before the greeting: DNSBL lookups, greeting delay */
	int dnsbl_score; /* the weights of the DNSBL zones (dnsbl_zones = zone=WEIGHT) that list
			    the client, for the spam filter; 0 when none does */
	struct smtp_spam *spam; /* the spam stage's classification in flight */
	/* greylisting postponed to end of data: the sender's domain signed with DKIM before
	 * (smtp_greylist.c); a DKIM pass of a known domain lets the message through */
	bool greylist_pending;
};

/* Server side helpers smtp_session.c uses. */
const struct smtp_server_deps *smtp_server_deps(const struct smtp_server *server);
SSL_CTX *smtp_server_tls(const struct smtp_server *server);
/* Adds delta bytes to the message data all sessions hold; returns the new total. */
unsigned long long smtp_server_memory_add(struct smtp_server *server, long long delta);

/* The session_ops of SMTP sessions (smtp_session.c). */
extern const struct session_ops smtp_session_ops;
/* Sends a reply line (text without CRLF; a multi-line reply is several calls with '-'). */
#define smtp_reply(s, ...) session_printf(&(s)->base, __VA_ARGS__)
/* A 4xx/5xx reply that counts towards smtp_max_errors; past it, 421 and close. */
#define smtp_reply_error(s, ...) session_error(&(s)->base, __VA_ARGS__)
/* Every state change goes through here (logged at debug level). */
static inline void
smtp_session_enter_state(struct smtp_session *s, enum smtp_state state)
{
	session_enter_state(&s->base, state);
}
/* Forgets the transaction (RSET, after delivery, after STARTTLS). */
void smtp_session_reset_transaction(struct smtp_session *s);
/* Closes after the queued replies are sent. */
void smtp_session_close(struct smtp_session *s);
/* Pauses input for an asynchronous step; smtp_session_async_done() resumes it and frees
 * the session if its connection went away meanwhile (then it returns false). */
void smtp_session_async_begin(struct smtp_session *s);
bool smtp_session_async_done(struct smtp_session *s);
/* After the async step's reply was sent and the state set: read pipelined input again. */
void smtp_session_async_reply_done(struct smtp_session *s);
/* Sends the 220 greeting (after the guards' connect checks, smtp_guard.h). */
void smtp_session_greet(struct smtp_session *s);
/* Handles one command line. */
void smtp_session_command(struct smtp_session *s, const char *line, size_t len);
/* Message reception (smtp_message.c): feed input in DATA/BDAT states; returns false when
 * the input loop must stop (waiting for an async step). */
bool smtp_message_input(struct smtp_session *s);
void smtp_message_start_data(struct smtp_session *s);
void smtp_message_start_bdat(struct smtp_session *s, unsigned long long size, bool last);
/* A whole chunk already in memory (BURL, RFC 4468 3): as a BDAT of those bytes. */
void smtp_message_chunk(struct smtp_session *s, const void *data, size_t len, bool last);
/* BURL (smtp_burl.c). */
struct smtp_cmd;
void smtp_burl_command(struct smtp_session *s, struct smtp_cmd *cmd);
bool smtp_session_is_trusted(const struct smtp_session *s); /* mynetworks or AUTH */

#endif
