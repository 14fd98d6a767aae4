/* The milter client: one conversation with one filter about one SMTP transaction, on the
 * event loop (protocol: src/mail/milter_proto.h). It opens at the first recipient: connect,
 * helo, mail and that rcpt go out, and the filter's verdict on the recipient comes back
 * before the server answers the RCPT command; each further recipient the same. At end of
 * data the message follows: data, the header fields, eoh, the body in chunks of at most
 * 64 KiB, eom. Steps the filter said it does not want (SMFIP_NO*) are skipped, the ones it
 * will not answer (SMFIP_NR_*) are not waited for. A chain of filters is one conversation
 * per filter, the message phases in turn over the same struct milter_msg, so a later filter
 * sees what an earlier one changed. */
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
	/* the SMTP session and transaction */
	const char *client_name, *client_addr; /* client_addr NULL: local (pickup) */
	unsigned client_port;
	const char *helo;
	const char *mail_from; /* without <>; "" for the null sender */
	/* macros (Postfix's names): j, {daemon_name}, i, {auth_authen}, {auth_type}; "" or
	 * NULL = not sent */
	const char *myhostname, *daemon_name, *queue_id, *auth_authen, *auth_type;
};

enum milter_verdict {
	MILTER_CONTINUE, /* accept/continue: for a message, its edits are applied */
	MILTER_REJECT,   /* reply: the reply line(s) */
	MILTER_DISCARD,  /* the message (a recipient verdict is never DISCARD) */
	MILTER_FAILED,   /* down, late, broken: reply holds why; *_default_action decides */
};

struct milter_result {
	enum milter_verdict verdict;
	char *reply;      /* MILTER_REJECT: "550 5.7.1 text" (CRLF between lines); FAILED: why */
	char *quarantine; /* SMFIR_QUARANTINE's reason, NULL if none */
	char *new_from;   /* SMFIR_CHGFROM's address (without <>), NULL if unchanged */
	/* SMFIR_ADDRCPT (without <>) and SMFIR_DELRCPT, NULL-terminated, NULL if none */
	char **add_rcpts, **del_rcpts;
};

void milter_result_free(struct milter_result *r);

/* Starts connecting; nothing is asked yet. p's strings are copied. */
struct milter_run *milter_run_start(struct event_base *base, const struct milter_params *p);

/* The filter's verdict on one more recipient (CONTINUE, REJECT or FAILED; reply as in
 * milter_result, valid during the call). `done` runs once, later from the loop or at once
 * when the answer is already known (the filter accepted the whole transaction, failed, or
 * answers no RCPT). One request at a time. */
typedef void milter_rcpt_fn(void *ctx, enum milter_verdict verdict, const char *reply);
void milter_run_rcpt(struct milter_run *mr, const char *rcpt, milter_rcpt_fn *done, void *ctx);

/* The message: `done` runs once (later, or at once when the verdict is already known) with
 * the result, owned by the callee; the run is over and freed before done is called (do not
 * cancel it). msg is edited in place when the verdict is MILTER_CONTINUE and must stay
 * alive until done or cancel. */
typedef void milter_done_fn(void *ctx, struct milter_result *result);
void milter_run_message(struct milter_run *mr, struct milter_msg *msg, milter_done_fn *done,
			void *ctx);

/* Ends the conversation (the filter gets abort and quit when connected): no callback runs
 * afterwards. Safe from inside a callback. NULL is fine. */
void milter_run_cancel(struct milter_run *mr);

#endif
