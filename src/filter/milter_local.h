/* The milters of non_smtpd_milters over one message that did not come over SMTP (the
 * maildrop pickup of `yubin sendmail`), as Postfix's cleanup emulates an SMTP session for
 * them: connect from "localhost" without a client address, HELO localhost, MAIL, each RCPT,
 * the message; macros j, {daemon_name} = "pickup", v, _, i, {mail_addr}, {rcpt_addr}. The
 * milters run one after the other, each over the message and envelope the previous one
 * left (a recipient one added is a RCPT to the next). */
#ifndef FILTER_MILTER_LOCAL_H
#define FILTER_MILTER_LOCAL_H
#include <stddef.h>

#include "filter/milter.h"
#include "util/buf.h"

struct event_base;
struct milter_local;

struct milter_local_params {
	char *const *specs; /* NULL-terminated; copied */
	unsigned connect_timeout, command_timeout, content_timeout;
	const char *default_action; /* tempfail|accept|reject: a milter down or late */
	const char *myhostname;
	const char *qid;
};

struct milter_local_result {
	/* CONTINUE: deliver msg to rcpts (from sender); REJECT: reply (4xx: try again later,
	 * 5xx: refused); DISCARD: drop it */
	enum milter_verdict verdict;
	char *reply;
	char *sender;
	char **rcpts;           /* NULL-terminated: the recipients left */
	char **refused;         /* NULL-terminated: recipients a milter refused at RCPT... */
	char **refused_replies; /* ...and its reply for each */
	struct buf msg;         /* CONTINUE: the message as the milters left it */
	char *quarantine;       /* a milter's quarantine reason, NULL if none */
};

void milter_local_result_free(struct milter_local_result *r);

/* done runs once, from the loop (never before milter_local_start returns), with a result
 * the callee owns. */
typedef void milter_local_fn(void *ctx, struct milter_local_result *r);
/* msg: CRLF line ends. rcpts NULL-terminated. Everything is copied. */
struct milter_local *milter_local_start(struct event_base *base,
					const struct milter_local_params *p, const char *sender,
					char *const *rcpts, const char *msg, size_t len,
					milter_local_fn *done, void *ctx);
/* No callback afterwards. NULL is fine. */
void milter_local_cancel(struct milter_local *ml);

#endif
