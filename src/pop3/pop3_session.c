/* POP3 sessions: lifetime, replies, the input loop, login (lock + maildrop snapshot). */
#include "pop3/pop3_session.h"

#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "log/log.h"
#include "net/conn.h"
#include "net/server.h"
#include "pop3/pop3_cmd.h"
#include "store/store_account.h"
#include "store/store_msg.h"
#include "store/store_view.h"
#include "util/xmalloc.h"

static const char *const state_names[] = {
	[POP3_STATE_AUTHORIZATION] = "authorization",
	[POP3_STATE_TRANSACTION] = "transaction",
	[POP3_STATE_WAIT] = "wait",
	[POP3_STATE_CLOSING] = "closing",
};

static void pop3_session_on_input(struct session *base);
static void pop3_session_on_drain(struct session *base);

static struct pop3_session *
pop3_of(const struct session *base)
{
	return (struct pop3_session *)base;
}

static struct session *
pop3_session_create(struct server *srv, struct conn *conn, unsigned kind)
{
	struct pop3_session *s = xcalloc(1, sizeof(*s));

	(void)kind;
	s->server = server_owner(srv);
	s->base.state = POP3_STATE_AUTHORIZATION;
	s->stream.fd = -1;
	/* RFC 1939 3: the autologout timer is at least 10 minutes (after login; before
	 * it, login_timeout) */
	session_init(&s->base, srv, conn, &pop3_session_ops,
		     pop3_server_deps(s->server)->settings->pop3_timeout, true);
	return &s->base;
}

static void
pop3_session_free(struct session *base)
{
	struct pop3_session *s = pop3_of(base);

	pop3_retr_abort(s);
	store_view_close(&s->view);
	if (s->locked)
		store_account_pop3_unlock(s->acct);
	store_account_unref(&s->acct);
	session_free_base(&s->base);
	buf_free(&s->line);
	free(s->msgs);
	free(s->user);
	free(s->sasl_mech);
	free(s->account);
	free(s);
}

static void
pop3_greeting(struct session *base)
{
	pop3_reply(pop3_of(base), "+OK yubin POP3 server ready");
}

/* A login check or a RETR/TOP being streamed. */
static bool
pop3_busy(const struct session *base)
{
	return base->state == POP3_STATE_WAIT;
}

static const char *
pop3_closed(struct session *base)
{
	struct pop3_session *s = pop3_of(base);
	/* RFC 1939 6: without QUIT there is no UPDATE state: nothing is deleted */
	const char *note = s->base.state == POP3_STATE_TRANSACTION || s->streaming
				   ? " (no QUIT: nothing deleted)"
				   : "";

	pop3_retr_abort(s);
	return note;
}

const struct session_ops pop3_session_ops = {
	.proto = "pop3",
	.create = pop3_session_create,
	.free = pop3_session_free,
	.greeting = pop3_greeting,
	.too_many = "-ERR [SYS/TEMP] Too many connections, try again later",
	.shutdown = "-ERR [SYS/TEMP] Server shutting down",
	/* RFC 1939 3: the autologout timer expired: close without entering UPDATE */
	.timeout = "-ERR Disconnected for inactivity",
	.too_many_errors = "-ERR Too many errors, closing the connection",
	.busy = pop3_busy,
	.closed = pop3_closed,
	.state_names = state_names,
	.input = pop3_session_on_input,
	.drain = pop3_session_on_drain,
};

void
pop3_session_close(struct pop3_session *s)
{
	pop3_session_enter_state(s, POP3_STATE_CLOSING);
	session_close(&s->base);
}

void
pop3_session_async_begin(struct pop3_session *s)
{
	if (s->base.state != POP3_STATE_WAIT)
		s->resume_state = s->base.state;
	pop3_session_enter_state(s, POP3_STATE_WAIT);
	session_async_begin(&s->base);
}

bool
pop3_session_async_done(struct pop3_session *s)
{
	if (!session_async_done(&s->base))
		return false;
	if (s->base.state == POP3_STATE_WAIT)
		pop3_session_enter_state(s, s->resume_state);
	return true;
}

void
pop3_session_resume(struct pop3_session *s)
{
	if (s->base.conn == NULL || s->base.state == POP3_STATE_CLOSING ||
	    session_check_shutdown(&s->base))
		return;
	if (s->base.state != POP3_STATE_WAIT)
		conn_resume_read(s->base.conn);
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
	int ret = 0;

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
	/* a failed read of the index must fail the login, not report sizes of 0 */
	if (ret < 0)
		return -1;
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
		log_error("pop3: %s: user=%s cannot open the mailbox: %s", s->base.id, account,
			  error);
		pop3_reply_err(s, "-ERR [SYS/TEMP] Cannot open the mailbox, try again later");
		return;
	}
	/* RFC 2449 8.1.1: one session per maildrop */
	if (!store_account_pop3_lock(s->acct)) {
		store_account_unref(&s->acct);
		log_info("pop3: %s: user=%s refused: mailbox in use", s->base.id, account);
		pop3_reply_err(s, "-ERR [IN-USE] Mailbox is locked by another POP3 session");
		return;
	}
	s->locked = true;
	if (pop3_session_snapshot(s, &error) < 0) {
		log_error("pop3: %s: user=%s cannot read the mailbox: %s", s->base.id, account,
			  error);
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
	pop3_session_enter_state(s, POP3_STATE_TRANSACTION);
	session_logged_in(&s->base, deps->settings->pop3_timeout);
	log_info("pop3: %s: login user=%s messages=%u client=[%s]%s", s->base.id, account,
		 s->n_msgs, s->base.ip, conn_is_tls(s->base.conn) ? " tls" : "");
	pop3_reply(s, "+OK Logged in, %u messages", s->n_msgs);
}

static void
pop3_session_on_input(struct session *base)
{
	struct pop3_session *s = pop3_of(base);
	struct conn *conn = base->conn;

	while (s->base.conn != NULL && !conn_is_closing(conn) && s->base.state != POP3_STATE_WAIT) {
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
pop3_session_on_drain(struct session *base)
{
	struct pop3_session *s = pop3_of(base);

	if (s->streaming)
		pop3_retr_continue(s);
}
