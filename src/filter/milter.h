/* The milter client: one conversation with one filter about one message, on the event loop
 * (protocol: src/mail/milter_proto.h). The whole SMTP transaction is replayed at end of
 * data: connect, helo, mail, each rcpt, data, the header fields, eoh, the body in chunks
 * of at most 64 KiB, eom; the steps the filter said it does not want (SMFIP_NO*) are
 * skipped, and the ones it will not answer (SMFIP_NR_*) are not waited for. A chain of
 * filters is several conversations in turn over the same struct milter_msg, so a later
 * filter sees what an earlier one changed. */
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
	/* the SMTP transaction */
	const char *client_name, *client_addr; /* client_addr NULL: local (pickup) */
	unsigned client_port;
	const char *helo;
	const char *mail_from; /* without <>; "" for the null sender */
	const char *const *rcpts;
	size_t n_rcpts;
	/* macros (Postfix's names): j, {daemon_name}, i, {auth_authen}, {auth_type}; "" or
	 * NULL = not sent */
	const char *myhostname, *daemon_name, *queue_id, *auth_authen, *auth_type;
};

enum milter_verdict {
	MILTER_CONTINUE, /* accept/continue: edits applied */
	MILTER_REJECT,   /* reply: the reply line(s) */
	MILTER_DISCARD,
	MILTER_FAILED, /* down, late, broken: reply holds why; *_default_action decides */
};

struct milter_result {
	enum milter_verdict verdict;
	char *reply;      /* MILTER_REJECT: "550 5.7.1 text" (CRLF between lines); FAILED: why */
	char *quarantine; /* SMFIR_QUARANTINE's reason, NULL if none */
	char *new_from;   /* SMFIR_CHGFROM's address (without <>), NULL if unchanged */
	/* SMFIR_ADDRCPT (without <>) and SMFIR_DELRCPT, NULL-terminated, NULL if none */
	char **add_rcpts, **del_rcpts;
	/* a recipient the filter rejected at its RCPT step: rejected[i] for rcpts[i] */
	bool *rcpt_rejected;
	char *rcpt_reply; /* the last such reply */
};

void milter_result_free(struct milter_result *r);

/* `done` runs once, from the loop (never inside milter_run_start), with the result (owned by
 * the callee from then on). msg is edited in place when the verdict is MILTER_CONTINUE and
 * must stay alive until done or cancel. p's strings are copied. */
typedef void milter_done_fn(void *ctx, struct milter_result *result);
struct milter_run *milter_run_start(struct event_base *base, const struct milter_params *p,
				    struct milter_msg *msg, milter_done_fn *done, void *ctx);
/* Stops the conversation (the filter gets an abort when connected): done will not run.
 * NULL is fine. */
void milter_run_cancel(struct milter_run *mr);

#endif
