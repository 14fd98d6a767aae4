/* The session base shared by SMTP, POP3 and IMAP (see session.h). */
#include "net/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "net/server.h"
#include "util/buf.h"
#include "util/metrics.h"
#include "util/recent.h"
#include "util/rand.h"
#include "util/xmalloc.h"

static void session_conn_on_input(struct conn *conn, void *ctx);
static void session_conn_on_drain(struct conn *conn, void *ctx);
static void session_conn_on_tls_ready(struct conn *conn, void *ctx);
static void session_conn_on_close(struct conn *conn, void *ctx, enum conn_close_reason why);
static bool session_conn_on_timeout(struct conn *conn, void *ctx);

static const struct conn_ops session_conn_ops = {
	.on_input = session_conn_on_input,
	.on_close = session_conn_on_close,
	.on_drain = session_conn_on_drain,
	.on_tls_ready = session_conn_on_tls_ready,
	.on_timeout = session_conn_on_timeout,
};

void
session_init(struct session *s, struct server *server, struct conn *conn,
	     const struct session_ops *ops, unsigned timeout, bool login_first)
{
	unsigned login = server_login_timeout(server);

	s->ops = ops;
	s->server = server;
	s->conn = conn;
	rand_queue_id(s->id);
	s->ip = xstrdup(conn_peer_ip(conn));
	conn_set_ctx(conn, &session_conn_ops, s);
	/* an idle client that has not logged in gets the short login_timeout (Dovecot:
	 * 3 minutes), not the protocol's timeout for authenticated sessions */
	conn_set_timeout(conn, login_first && login > 0 && login < timeout ? login : timeout);
}

void
session_free_base(struct session *s)
{
	conn_free(&s->conn);
	free(s->ip);
	s->ip = NULL;
}

void
session_logged_in(struct session *s, unsigned timeout)
{
	if (s->conn != NULL)
		conn_set_timeout(s->conn, timeout);
}

void
session_enter_state(struct session *s, unsigned state)
{
	if (s->state == state)
		return;
	log_debug("%s: %s: state %s -> %s", s->ops->proto, s->id, s->ops->state_names[s->state],
		  s->ops->state_names[state]);
	s->state = state;
}

void
session_write(struct session *s, const void *data, size_t len)
{
	if (s->conn != NULL && !conn_is_closing(s->conn))
		conn_write(s->conn, data, len);
}

void
session_vprintf(struct session *s, const char *prefix, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;

	if (s->conn == NULL || conn_is_closing(s->conn))
		return;
	buf_appends(&b, prefix);
	buf_vprintf(&b, fmt, ap);
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_debug("%s: %s: > %s", s->ops->proto, s->id, buf_cstr(&b));
	buf_append(&b, "\r\n", 2);
	conn_write(s->conn, b.data, b.len);
	buf_free(&b);
}

void
session_printf(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	session_vprintf(s, "", fmt, ap);
	va_end(ap);
}

bool
session_count_error(struct session *s)
{
	if (++s->errors <= server_max_errors(s->server))
		return false;
	log_warn("%s: %s: client=[%s] too many errors (%u), disconnecting", s->ops->proto, s->id,
		 s->ip, s->errors);
	session_printf(s, s->ops->too_many_errors, server_hostname(s->server));
	session_close(s);
	return true;
}

void
session_error(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (strcmp(s->ops->proto, "smtp") == 0) { /* counted by enhanced status code */
		char reply[RECENT_TEXT_MAX];
		va_list aq;
		va_copy(aq, ap);
		vsnprintf(reply, sizeof(reply), fmt, aq);
		va_end(aq);
		metrics_smtp_reject(reply);
		recent_add("rejected", NULL, "client=[%s] %s", s->ip, reply);
	}
	session_vprintf(s, "", fmt, ap);
	va_end(ap);
	session_count_error(s);
}

void
session_close(struct session *s)
{
	s->closing = true;
	if (s->conn == NULL)
		return;
	conn_close_after_flush(s->conn);
	/* The goodbye (221, BYE, +OK) went out at once: the client may connect again before
	 * this loop pass reaches the close (new connections are accepted first), and must not
	 * find this one still counted against its address (a sender with 45 sessions that
	 * each quit and reconnect hit a per-address limit of 50). */
	if (conn_output_len(s->conn) == 0)
		server_session_uncount(s->server, s);
}

bool
session_is_closing(const struct session *s)
{
	return s->closing || s->conn == NULL || conn_is_closing(s->conn);
}

void
session_async_begin(struct session *s)
{
	s->pending++;
	if (s->conn != NULL)
		conn_pause_read(s->conn);
}

bool
session_async_done(struct session *s)
{
	s->pending--;
	if (s->conn_gone) {
		if (s->pending == 0) {
			server_orphans_add(s->server, -1);
			s->ops->free(s);
		}
		return false;
	}
	return true;
}

bool
session_busy(const struct session *s)
{
	if (s->conn == NULL)
		return false;
	return s->pending > 0 || s->closing || s->ops->busy(s);
}

bool
session_check_shutdown(struct session *s)
{
	if (!server_shutting_down(s->server) || s->conn == NULL)
		return false;
	if (session_is_closing(s))
		return true;
	if (s->pending > 0 || s->ops->busy(s))
		return false;
	session_printf(s, s->ops->shutdown, server_hostname(s->server));
	session_close(s);
	return true;
}

static void
session_conn_on_input(struct conn *conn, void *ctx)
{
	struct session *s = ctx;

	(void)conn;
	s->ops->input(s);
}

static void
session_conn_on_drain(struct conn *conn, void *ctx)
{
	struct session *s = ctx;

	(void)conn;
	if (s->ops->drain != NULL)
		s->ops->drain(s);
}

static void
session_conn_on_tls_ready(struct conn *conn, void *ctx)
{
	struct session *s = ctx;

	(void)conn;
	if (s->ops->tls_ready != NULL)
		s->ops->tls_ready(s);
}

static void
session_conn_on_close(struct conn *conn, void *ctx, enum conn_close_reason why)
{
	static const char *const why_names[] = {
		[CONN_CLOSE_EOF] = "eof",
		[CONN_CLOSE_ERROR] = "error",
		[CONN_CLOSE_TIMEOUT] = "timeout",
		[CONN_CLOSE_LOCAL] = "local",
	};
	struct session *s = ctx;
	const char *note;

	(void)conn;
	if (s->timed_out)
		why = CONN_CLOSE_TIMEOUT;
	note = s->ops->closed(s);
	log_info("%s: %s: disconnect from [%s] reason=%s%s", s->ops->proto, s->id, s->ip,
		 why_names[why], note);
	server_session_gone(s->server, s);
	conn_free(&s->conn);
	if (s->pending > 0) {
		s->conn_gone = true; /* freed when the async step completes */
		server_orphans_add(s->server, 1);
		return;
	}
	s->ops->free(s);
}

static bool
session_conn_on_timeout(struct conn *conn, void *ctx)
{
	struct session *s = ctx;

	(void)conn;
	if (s->pending > 0 || s->closing)
		return false; /* our own step is slow, not the client */
	log_info("%s: %s: client=[%s] timeout after %s", s->ops->proto, s->id, s->ip,
		 s->ops->state_names[s->state]);
	s->timed_out = true;
	/* the goodbye is queued while writing is still on (RFC 3501 5.4 autologout BYE,
	 * RFC 5321 4.5.3.2 421), then the connection closes after the flush */
	if (s->ops->timeout != NULL)
		session_printf(s, s->ops->timeout, server_hostname(s->server));
	session_close(s);
	return false;
}
