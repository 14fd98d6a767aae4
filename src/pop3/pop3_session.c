/* POP3 sessions: lifetime, replies, the input loop, login (lock + maildrop snapshot). */
#include "pop3/pop3_session.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "log/log.h"
#include "net/conn.h"
#include "pop3/pop3_cmd.h"
#include "store/store_account.h"
#include "store/store_msg.h"
#include "store/store_view.h"
#include "util/rand.h"
#include "util/xmalloc.h"

/* Errors (unknown commands, bad arguments) before the session is closed. */
#define POP3_MAX_ERRORS 20

static void pop3_session_on_input(struct conn *conn, void *ctx);
static void pop3_session_on_close(struct conn *conn, void *ctx, enum conn_close_reason why);
static void pop3_session_on_drain(struct conn *conn, void *ctx);

static const struct conn_ops pop3_conn_ops = {
	.on_input = pop3_session_on_input,
	.on_close = pop3_session_on_close,
	.on_drain = pop3_session_on_drain,
};

struct pop3_session *
pop3_session_new(struct pop3_server *server, struct conn *conn)
{
	struct pop3_session *s = xcalloc(1, sizeof(*s));

	s->server = server;
	s->conn = conn;
	s->state = POP3_STATE_AUTHORIZATION;
	s->stream.fd = -1;
	rand_queue_id(s->id);
	s->ip = xstrdup(conn_peer_ip(conn));
	conn_set_ctx(conn, &pop3_conn_ops, s);
	/* RFC 1939 3: the autologout timer is at least 10 minutes */
	conn_set_timeout(conn, pop3_server_deps(server)->settings->pop3_timeout);
	return s;
}

void
pop3_session_free(struct pop3_session *s)
{
	pop3_retr_abort(s);
	store_view_close(&s->view);
	if (s->locked)
		store_account_pop3_unlock(s->acct);
	store_account_unref(&s->acct);
	conn_free(&s->conn);
	buf_free(&s->line);
	free(s->msgs);
	free(s->ip);
	free(s->user);
	free(s->sasl_mech);
	free(s->account);
	free(s);
}

static void
pop3_vreply(struct pop3_session *s, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;

	if (s->conn == NULL)
		return;
	buf_vprintf(&b, fmt, ap);
	buf_append(&b, "\r\n", 2);
	conn_write(s->conn, b.data, b.len);
	buf_free(&b);
}

void
pop3_reply(struct pop3_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pop3_vreply(s, fmt, ap);
	va_end(ap);
}

void
pop3_reply_err(struct pop3_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pop3_vreply(s, fmt, ap);
	va_end(ap);
	if (++s->errors > POP3_MAX_ERRORS) {
		log_info("pop3: %s: client=[%s] too many errors, disconnecting", s->id, s->ip);
		pop3_reply(s, "-ERR Too many errors, closing the connection");
		pop3_session_close(s);
	}
}

void
pop3_session_close(struct pop3_session *s)
{
	s->state = POP3_STATE_CLOSING;
	if (s->conn != NULL)
		conn_close_after_flush(s->conn);
}

void
pop3_session_async_begin(struct pop3_session *s)
{
	if (s->state != POP3_STATE_WAIT)
		s->resume_state = s->state;
	s->state = POP3_STATE_WAIT;
	s->pending++;
	if (s->conn != NULL)
		conn_pause_read(s->conn);
}

bool
pop3_session_async_done(struct pop3_session *s)
{
	s->pending--;
	if (s->conn_gone) {
		if (s->pending == 0)
			pop3_session_free(s);
		return false;
	}
	if (s->state == POP3_STATE_WAIT)
		s->state = s->resume_state;
	return true;
}

void
pop3_session_resume(struct pop3_session *s)
{
	if (s->conn != NULL && s->state != POP3_STATE_CLOSING &&
	    pop3_server_shutting_down(s->server)) {
		pop3_reply(s, "-ERR [SYS/TEMP] Server shutting down");
		pop3_session_close(s);
		return;
	}
	if (s->conn != NULL && s->state != POP3_STATE_CLOSING && s->state != POP3_STATE_WAIT)
		conn_resume_read(s->conn);
}

/* Takes the maildrop snapshot: RFC 1939 numbers messages at login, and neither new mail
 * nor other sessions' changes renumber them during the session. */
static int
pop3_session_snapshot(struct pop3_session *s, const char **error_r)
{
	const struct store_view_msg *vm;
	struct store_msg_cursor *cur;
	struct store_msg_meta meta;
	size_t n, i = 0;
	int ret;

	if (store_view_open(s->acct, "INBOX", false, &s->view, error_r) < 0)
		return -1;
	s->uidvalidity = store_view_uidvalidity(s->view);
	n = store_view_count(s->view);
	vm = store_view_msgs(s->view);
	s->msgs = xcalloc(n ? n : 1, sizeof(*s->msgs));
	s->n_msgs = (unsigned)n;
	if (n == 0)
		return 0;
	/* sizes in one pass over the index, in UID order like the view */
	cur = store_msg_cursor_open(s->view, vm[0].uid, vm[n - 1].uid, 0);
	while (i < n && (ret = store_msg_cursor_next(cur, &meta, error_r)) == 1) {
		while (i < n && vm[i].uid < meta.uid)
			s->msgs[i++].size = 0; /* vanished meanwhile: RETR will say so */
		if (i < n && vm[i].uid == meta.uid) {
			s->msgs[i].uid = meta.uid;
			s->msgs[i].size = meta.size;
			i++;
		}
	}
	store_msg_cursor_close(&cur);
	for (i = 0; i < n; i++)
		s->msgs[i].uid = vm[i].uid;
	return 0;
}

void
pop3_session_login(struct pop3_session *s, const char *account)
{
	const struct pop3_server_deps *deps = pop3_server_deps(s->server);
	const char *error;

	s->acct = store_account_open(deps->store, account, &error);
	if (s->acct == NULL) {
		log_error("pop3: %s: user=%s cannot open the mailbox: %s", s->id, account, error);
		pop3_reply_err(s, "-ERR [SYS/TEMP] Cannot open the mailbox, try again later");
		return;
	}
	/* RFC 2449 8.1.1: one session per maildrop */
	if (!store_account_pop3_lock(s->acct)) {
		store_account_unref(&s->acct);
		log_info("pop3: %s: user=%s refused: mailbox in use", s->id, account);
		pop3_reply_err(s, "-ERR [IN-USE] Mailbox is locked by another POP3 session");
		return;
	}
	s->locked = true;
	if (pop3_session_snapshot(s, &error) < 0) {
		log_error("pop3: %s: user=%s cannot read the mailbox: %s", s->id, account, error);
		store_view_close(&s->view);
		store_account_pop3_unlock(s->acct);
		s->locked = false;
		store_account_unref(&s->acct);
		free(s->msgs);
		s->msgs = NULL;
		s->n_msgs = 0;
		pop3_reply_err(s, "-ERR [SYS/TEMP] Cannot read the mailbox, try again later");
		return;
	}
	s->account = xstrdup(account);
	s->state = POP3_STATE_TRANSACTION;
	log_info("pop3: %s: login user=%s messages=%u client=[%s]%s", s->id, account, s->n_msgs,
		 s->ip, conn_is_tls(s->conn) ? " tls" : "");
	pop3_reply(s, "+OK Logged in, %u messages", s->n_msgs);
}

static void
pop3_session_on_input(struct conn *conn, void *ctx)
{
	struct pop3_session *s = ctx;

	while (s->conn != NULL && !conn_is_closing(conn) && s->state != POP3_STATE_WAIT) {
		int ret = conn_readline(conn, &s->line, POP3_LINE_MAX);

		if (ret == 0)
			return;
		if (ret < 0) {
			pop3_reply_err(s, "-ERR Line too long");
			continue;
		}
		pop3_session_command(s, s->line.data, s->line.len);
	}
}

static void
pop3_session_on_drain(struct conn *conn, void *ctx)
{
	struct pop3_session *s = ctx;

	(void)conn;
	if (s->streaming)
		pop3_retr_continue(s);
}

static void
pop3_session_on_close(struct conn *conn, void *ctx, enum conn_close_reason why)
{
	struct pop3_session *s = ctx;
	static const char *const why_names[] = {"eof", "error", "timeout", "local"};

	(void)conn;
	/* RFC 1939 6: without QUIT there is no UPDATE state: nothing is deleted */
	log_info("pop3: %s: disconnect from [%s] reason=%s%s", s->id, s->ip, why_names[why],
		 s->state == POP3_STATE_TRANSACTION || s->streaming ? " (no QUIT: nothing deleted)"
								     : "");
	pop3_server_session_closed(s->server, s);
	pop3_retr_abort(s);
	conn_free(&s->conn);
	if (s->pending > 0) {
		s->conn_gone = true;
		return;
	}
	pop3_session_free(s);
}
