/* The milter client: one conversation with one filter for one SMTP session (or one pickup
 * message), on the event loop (protocol: src/mail/milter_proto.h), as Postfix's milter8.c
 * holds it. The caller asks in the order of the SMTP session: connect, then helo, mail,
 * rcpt (each a verdict the server gives as the reply to that command), unknown commands,
 * the message (data, the header fields, eoh, the body in chunks of at most 64 KiB, eom),
 * abort when a transaction ends early, and a new mail for the next transaction. Steps
 * the filter said it does not want (SMFIP_NO*) are skipped, the ones it will not answer
 * (SMFIP_NR_*) are not waited for. A chain of filters is one conversation per filter, the
 * message phases in turn over the same struct milter_msg, so a later filter sees what an
 * earlier one changed. */
#ifndef FILTER_MILTER_H
#define FILTER_MILTER_H
#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct milter_msg;
struct milter_run;

struct milter_params {
	const char *spec; /* "inet:host:port" or "unix:/path" */
	unsigned connect_timeout, command_timeout, content_timeout; /* seconds */
	/* milter_idle_connections (0: a connection per conversation, closed at its end),
	 * milter_idle_timeout, milter_connection_sessions, milter_reuse_after = session
	 * (milter_pool.h) */
	unsigned idle_connections, idle_timeout, connection_sessions;
	bool reuse_after_session;
};

enum milter_verdict {
	MILTER_CONTINUE, /* accept/continue: for a message, its edits are applied */
	MILTER_REJECT,   /* reply: the reply line(s) */
	MILTER_DISCARD,  /* the message (a command's verdict is never DISCARD) */
	MILTER_FAILED,   /* down, late, broken: reply holds why; *_default_action decides */
};

struct milter_result {
	enum milter_verdict verdict;
	char *reply;      /* MILTER_REJECT: "550 5.7.1 text" (CRLF between lines); FAILED: why */
	char *quarantine; /* SMFIR_QUARANTINE's reason, NULL if none */
	char *new_from;   /* SMFIR_CHGFROM's address (without <>), NULL if unchanged */
	/* SMFIR_ADDRCPT (without <>) and SMFIR_DELRCPT, NULL-terminated, NULL if none */
	char **add_rcpts, **del_rcpts;
	/* of milter_run_message's extra_rcpts, those this filter refused at their RCPT */
	char **refused_rcpts;
};

void milter_result_free(struct milter_result *r);

/* Starts connecting and negotiating; nothing is asked yet. p's strings are copied. */
struct milter_run *milter_run_start(struct event_base *base, const struct milter_params *p);

/* The filter's verdict on one command: CONTINUE, REJECT or FAILED; reply as in
 * milter_result, valid during the call. `done` runs once, later from the loop or at once
 * when the answer is already known (the filter accepted the whole session or transaction,
 * failed, or answers no such command). One request at a time.
 *
 * macros: name/value pairs ("{client_addr}", "127.0.0.1", ...), NULL-terminated; a NULL or
 * empty value is not sent. Copied. A REJECT at connect refuses the session (every later
 * request is answered REJECT with it); at mail it ends the transaction; at helo, rcpt and
 * unknown only that command is refused. */
typedef void milter_reply_fn(void *ctx, enum milter_verdict verdict, const char *reply);
/* client_addr NULL: a local submission (pickup): family unknown. */
void milter_run_connect(struct milter_run *mr, const char *client_name, const char *client_addr,
			unsigned client_port, const char *const *macros, milter_reply_fn *done,
			void *ctx);
void milter_run_helo(struct milter_run *mr, const char *helo, const char *const *macros,
		     milter_reply_fn *done, void *ctx);
/* A transaction begins (mail_from without <>, "" for the null sender). */
void milter_run_mail(struct milter_run *mr, const char *mail_from, const char *const *macros,
		     milter_reply_fn *done, void *ctx);
void milter_run_rcpt(struct milter_run *mr, const char *rcpt, const char *const *macros,
		     milter_reply_fn *done, void *ctx);
/* An SMTP command the server does not know (SMFIC_UNKNOWN): the whole line. */
void milter_run_unknown(struct milter_run *mr, const char *line, milter_reply_fn *done, void *ctx);

/* The message: `done` runs once (later, or at once when the verdict is already known) with
 * the result, owned by the callee; the transaction is over then. msg is edited in place
 * when the verdict is MILTER_CONTINUE and must stay alive until done or cancel.
 * extra_rcpts (NULL or NULL-terminated, copied): recipients an earlier filter added, shown
 * to this one as RCPT commands before the message; those it refuses come back in
 * result->refused_rcpts (CONTINUE). macros: as above, for DATA, EOH and EOM ("i"). */
typedef void milter_done_fn(void *ctx, struct milter_result *result);
void milter_run_message(struct milter_run *mr, struct milter_msg *msg,
			const char *const *extra_rcpts, const char *const *macros,
			milter_done_fn *done, void *ctx);

/* The transaction ends without its message (RSET, a refused DATA, a new EHLO): the filter
 * gets abort if it is inside one. No reply; no request may be in progress. */
void milter_run_abort(struct milter_run *mr);

/* Ends the conversation (the filter gets abort and quit when connected): no callback runs
 * afterwards. Safe from inside a callback. NULL is fine. */
void milter_run_cancel(struct milter_run *mr);

#endif
