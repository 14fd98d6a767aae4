/* SMTP server sessions: creation, the input loop, replies, state changes, error
 * counting, closing, and the session lifetime across asynchronous steps. */
#include "smtp/smtp_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "log/log.h"
#include "net/conn.h"
#include "net/server.h"
#include "smtp/smtp_guard.h"
#include "smtp/smtp_milter.h"
#include "smtp/smtp_stage.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* RFC 5321 4.5.3.1.4: 512 octets for a command line; the extensions we offer add to
 * MAIL and RCPT (SIZE, BODY, SMTPUTF8, DSN parameters, AUTH=): leave ample room. */
#define SMTP_LINE_MAX 4096

static const char *const state_names[] = {
	[SMTP_STATE_CONNECTED] = "connected", [SMTP_STATE_READY] = "ready",
	[SMTP_STATE_MAIL] = "mail",           [SMTP_STATE_RCPT] = "rcpt",
	[SMTP_STATE_DATA] = "data",           [SMTP_STATE_BDAT] = "bdat",
	[SMTP_STATE_WAIT] = "wait",           [SMTP_STATE_AUTH] = "auth",
	[SMTP_STATE_CLOSING] = "closing",
};

static void smtp_session_on_input(struct session *base);

static struct smtp_session *
smtp_of(const struct session *base)
{
	return (struct smtp_session *)base;
}

static struct session *
smtp_session_create(struct server *srv, struct conn *conn, unsigned kind)
{
	struct smtp_session *s = xcalloc(1, sizeof(*s));

	s->server = server_owner(srv);
	s->kind = (enum smtp_listener_kind)kind;
	s->base.state = SMTP_STATE_CONNECTED;
	session_init(&s->base, srv, conn, &smtp_session_ops,
		     smtp_server_deps(s->server)->settings->smtp_timeout, false);
	return &s->base;
}

static void
smtp_session_free(struct session *base)
{
	struct smtp_session *s = smtp_of(base);

	smtp_session_reset_transaction(s);
	smtp_guard_session_free(s);
	smtp_milter_free(s);
	session_free_base(&s->base);
	buf_free(&s->line);
	buf_free(&s->msg);
	free(s->helo);
	free(s->auth_user);
	free(s->auth_mech);
	free(s->auth_login_user);
	free(s);
}

void
smtp_session_greet(struct smtp_session *s)
{
	if (smtp_milter_connect(s))
		return; /* the milters are asked about the connection first: greets later */
	session_printf(&s->base, "220 %s ESMTP yubin", server_hostname(s->base.server));
}

static void
smtp_greeting(struct session *base)
{
	smtp_guard_connect(smtp_of(base)); /* greets, now or after its checks */
}

/* A delivery or an AUTH check in flight: shutdown lets it answer first. A message
 * still being received is not acknowledged yet: it may be cut with 421. */
static bool
smtp_busy(const struct session *base)
{
	return base->state == SMTP_STATE_WAIT;
}

static const char *
smtp_closed(struct session *base)
{
	const struct smtp_session *s = smtp_of(base);

	return s->base.state == SMTP_STATE_DATA || s->base.state == SMTP_STATE_BDAT
		       ? " (in the middle of a message: nothing stored)"
		       : "";
}

const struct session_ops smtp_session_ops = {
	.proto = "smtp",
	.create = smtp_session_create,
	.free = smtp_session_free,
	.greeting = smtp_greeting,
	/* RFC 5321 3.8: a server that cannot serve (too many connections) or is shutting
	 * down answers 421; RFC 5321 4.5.3.2: so does one whose timeout expired */
	.too_many = "421 4.7.0 %s Error: too many connections, try again later",
	.too_many_per_ip = "421 4.7.0 %s Error: too many connections from your address",
	.too_many_errors = "421 4.7.0 %s Error: too many errors",
	.shutdown = "421 4.3.2 %s Service shutting down",
	.timeout = "421 4.4.2 %s Error: timeout exceeded",
	.busy = smtp_busy,
	.closed = smtp_closed,
	.state_names = state_names,
	.input = smtp_session_on_input,
};

void
smtp_session_reset_transaction(struct smtp_session *s)
{
	size_t i;

	for (i = 0; i < s->n_rcpts; i++) {
		free(s->rcpts[i].address);
		str_array_free(&s->rcpts[i].local);
		str_array_free(&s->rcpts[i].remote);
	}
	free(s->rcpts);
	s->rcpts = NULL;
	s->n_rcpts = s->rcpts_cap = 0;
	free(s->mail_from);
	s->mail_from = NULL;
	smtp_mail_params_clear(&s->mail_params);
	smtp_stage_reset(s);
	smtp_server_memory_add(s->server, -(long long)s->mem_counted);
	s->mem_counted = 0;
	s->over_memory = false;
	/* a big message's memory is not kept for an idle session */
	if (s->msg.cap > 65536)
		buf_free(&s->msg);
	else
		buf_reset(&s->msg);
	s->qid[0] = '\0';
	s->bdat_left = 0;
	s->bdat_last = s->bdat_discard = s->bdat_started = s->rcpt_attempted = false;
	s->bdat_error = NULL;
}

void
smtp_session_close(struct smtp_session *s)
{
	smtp_session_enter_state(s, SMTP_STATE_CLOSING);
	session_close(&s->base);
}

void
smtp_session_async_begin(struct smtp_session *s)
{
	smtp_session_enter_state(s, SMTP_STATE_WAIT);
	session_async_begin(&s->base);
}

bool
smtp_session_async_done(struct smtp_session *s)
{
	return session_async_done(&s->base);
}

bool
smtp_session_is_trusted(const struct smtp_session *s)
{
	const struct settings *set = smtp_server_deps(s->server)->settings;

	return s->auth_user != NULL || cidr_list_match(&set->mynetworks, conn_peer(s->base.conn));
}

static void
smtp_session_on_input(struct session *base)
{
	struct smtp_session *s = smtp_of(base);
	struct conn *conn = base->conn;

	if (smtp_guard_input(s))
		return; /* before the greeting */
	while (s->base.conn != NULL && !conn_is_closing(conn)) {
		int ret;

		if (s->base.state == SMTP_STATE_WAIT || s->base.state == SMTP_STATE_CLOSING)
			return;
		if (s->base.state == SMTP_STATE_DATA || s->base.state == SMTP_STATE_BDAT) {
			if (!smtp_message_input(s))
				return;
			continue;
		}
		ret = conn_readline(conn, &s->line, SMTP_LINE_MAX);
		if (ret == 0)
			return;
		if (ret < 0) {
			/* RFC 5321 4.5.3.1.4 / 4.2.4 */
			smtp_reply_error(s, "500 5.5.2 Error: line too long");
			continue;
		}
		smtp_session_command(s, s->line.data, s->line.len);
	}
}

void
smtp_session_async_reply_done(struct smtp_session *s)
{
	/* a shutdown skipped us while we waited: finish now that the reply is out */
	if (s->base.state == SMTP_STATE_CLOSING || session_check_shutdown(&s->base))
		return;
	if (s->base.conn != NULL && s->base.state != SMTP_STATE_WAIT)
		conn_resume_read(s->base.conn);
}
