/* SMTP server sessions: creation, the input loop, replies, state changes, error
 * counting, closing, and the session lifetime across asynchronous steps. */
#include "smtp/smtp_session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "log/log.h"
#include "net/conn.h"
#include "util/rand.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* RFC 5321 4.5.3.1.4: 512 octets for a command line; the extensions we offer add to
 * MAIL and RCPT (SIZE, BODY, SMTPUTF8, DSN parameters, AUTH=): leave ample room. */
#define SMTP_LINE_MAX 4096

static const char *const state_names[] = {
	[SMTP_STATE_CONNECTED] = "connected", [SMTP_STATE_READY] = "ready",
	[SMTP_STATE_MAIL] = "mail",	      [SMTP_STATE_RCPT] = "rcpt",
	[SMTP_STATE_DATA] = "data",	      [SMTP_STATE_BDAT] = "bdat",
	[SMTP_STATE_WAIT] = "wait",	      [SMTP_STATE_AUTH] = "auth",
	[SMTP_STATE_CLOSING] = "closing",
};

static void smtp_session_on_input(struct conn *conn, void *ctx);
static void smtp_session_on_close(struct conn *conn, void *ctx, enum conn_close_reason why);
static bool smtp_session_on_timeout(struct conn *conn, void *ctx);

static const struct conn_ops smtp_conn_ops = {
	.on_input = smtp_session_on_input,
	.on_close = smtp_session_on_close,
	.on_timeout = smtp_session_on_timeout,
};

struct smtp_session *
smtp_session_new(struct smtp_server *server, struct conn *conn, enum smtp_listener_kind kind)
{
	struct smtp_session *s = xcalloc(1, sizeof(*s));

	s->server = server;
	s->conn = conn;
	s->kind = kind;
	s->state = SMTP_STATE_CONNECTED;
	rand_queue_id(s->id);
	s->ip = xstrdup(conn_peer_ip(conn));
	conn_set_ctx(conn, &smtp_conn_ops, s);
	conn_set_timeout(conn, smtp_server_deps(server)->settings->smtp_timeout);
	return s;
}

void
smtp_session_free(struct smtp_session *s)
{
	smtp_session_reset_transaction(s);
	conn_free(&s->conn);
	buf_free(&s->line);
	buf_free(&s->msg);
	free(s->ip);
	free(s->helo);
	free(s->auth_user);
	free(s->auth_mech);
	free(s->auth_login_user);
	free(s);
}

void
smtp_session_enter_state(struct smtp_session *s, enum smtp_state state)
{
	if (s->state == state)
		return;
	log_debug("smtp: %s: state %s -> %s", s->id, state_names[s->state], state_names[state]);
	s->state = state;
}

static void
smtp_vreply(struct smtp_session *s, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;

	if (s->conn == NULL)
		return;
	buf_vprintf(&b, fmt, ap);
	buf_append(&b, "\r\n", 2);
	conn_write(s->conn, b.data, b.len);
	if (log_enabled(LOG_LEVEL_DEBUG)) {
		buf_truncate(&b, b.len - 2);
		log_debug("smtp: %s: > %s", s->id, buf_cstr(&b));
	}
	buf_free(&b);
}

void
smtp_reply(struct smtp_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	smtp_vreply(s, fmt, ap);
	va_end(ap);
}

void
smtp_reply_error(struct smtp_session *s, const char *fmt, ...)
{
	const struct settings *set = smtp_server_deps(s->server)->settings;
	va_list ap;

	va_start(ap, fmt);
	smtp_vreply(s, fmt, ap);
	va_end(ap);
	if (++s->errors > set->smtp_max_errors) {
		log_warn("smtp: %s: client=[%s] too many errors (%u), disconnecting", s->id, s->ip,
			 s->errors);
		smtp_reply(s, "421 4.7.0 %s Error: too many errors", set->myhostname);
		smtp_session_close(s);
	}
}

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
	if (s->conn != NULL)
		conn_close_after_flush(s->conn);
}

void
smtp_session_async_begin(struct smtp_session *s)
{
	s->pending++;
	smtp_session_enter_state(s, SMTP_STATE_WAIT);
	if (s->conn != NULL)
		conn_pause_read(s->conn);
}

bool
smtp_session_async_done(struct smtp_session *s)
{
	s->pending--;
	if (s->conn_gone) {
		if (s->pending == 0)
			smtp_session_free(s);
		return false;
	}
	return true;
}

/* Called after the async step's reply: go on with pipelined input. */
static void
smtp_session_resume(struct smtp_session *s)
{
	if (s->conn != NULL && s->state != SMTP_STATE_CLOSING && s->state != SMTP_STATE_WAIT)
		conn_resume_read(s->conn);
}

bool
smtp_session_is_trusted(const struct smtp_session *s)
{
	const struct settings *set = smtp_server_deps(s->server)->settings;

	return s->auth_user != NULL || cidr_list_match(&set->mynetworks, conn_peer(s->conn));
}

static void
smtp_session_on_input(struct conn *conn, void *ctx)
{
	struct smtp_session *s = ctx;

	while (s->conn != NULL && !conn_is_closing(conn)) {
		int ret;

		if (s->state == SMTP_STATE_WAIT || s->state == SMTP_STATE_CLOSING)
			return;
		if (s->state == SMTP_STATE_DATA || s->state == SMTP_STATE_BDAT) {
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

static void
smtp_session_on_close(struct conn *conn, void *ctx, enum conn_close_reason why)
{
	struct smtp_session *s = ctx;
	static const char *const why_names[] = {"eof", "error", "timeout", "local"};

	(void)conn;
	log_info("smtp: %s: disconnect from [%s] reason=%s%s", s->id, s->ip, why_names[why],
		 s->state == SMTP_STATE_DATA || s->state == SMTP_STATE_BDAT
			 ? " (in the middle of a message: nothing stored)" : "");
	smtp_server_session_closed(s->server, s);
	conn_free(&s->conn);
	if (s->pending > 0) {
		s->conn_gone = true; /* freed when the async step completes */
		return;
	}
	smtp_session_free(s);
}

static bool
smtp_session_on_timeout(struct conn *conn, void *ctx)
{
	struct smtp_session *s = ctx;
	const struct settings *set = smtp_server_deps(s->server)->settings;

	(void)conn;
	if (s->state == SMTP_STATE_WAIT)
		return false; /* our own step is slow, not the client */
	log_info("smtp: %s: client=[%s] timeout after %s", s->id, s->ip, state_names[s->state]);
	smtp_reply(s, "421 4.4.2 %s Error: timeout exceeded", set->myhostname);
	smtp_session_close(s);
	return false;
}

void
smtp_session_async_reply_done(struct smtp_session *s)
{
	/* a shutdown skipped us while we waited: finish now that the reply is out */
	if (smtp_server_shutting_down(s->server) && s->state != SMTP_STATE_CLOSING) {
		smtp_reply(s, "421 4.3.2 %s Service shutting down",
			   smtp_server_deps(s->server)->settings->myhostname);
		smtp_session_close(s);
		return;
	}
	smtp_session_resume(s);
}
