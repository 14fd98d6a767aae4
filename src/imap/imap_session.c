/* IMAP sessions: lifetime, the input loop (parser, literal continuations, IDLE and
 * AUTHENTICATE lines), the command table and its state checks (RFC 3501 3, 6), replies. */
#include "imap/imap_session.h"

#include <event2/buffer.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "imap/imap_context.h"
#include "imap/imap_literal.h"
#include "imap/imap_mutf7.h"
#include "imap/imap_notify.h"
#include "imap/imap_slice.h"
#include "log/log.h"
#include "net/conn.h"
#include "net/server.h"
#include "store/store_account.h"
#include "store/store_mailbox.h"
#include "store/store_notify.h"
#include "store/store_view.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* IDLE "DONE" and AUTHENTICATE response lines. */
#define IMAP_CONT_LINE_MAX 65536

struct imap_command_def {
	const char *name;
	unsigned states; /* enum imap_state bits the command is valid in */
	bool uid;        /* valid after "UID" */
	bool plain_ok;   /* valid without UID */
	imap_command_fn *fn;
	/* RFC 3501 7.4.1: no EXPUNGE response while answering it (UID versions excepted) */
	bool no_expunge;
};

/* RFC 3501 6 and the extensions' commands. */
static const struct imap_command_def commands[] = {
	{"CAPABILITY", IMAP_STATES_ANY, false, true, imap_cmd_capability, false},
	{"NOOP", IMAP_STATES_ANY, false, true, imap_cmd_noop, false},
	{"LOGOUT", IMAP_STATES_ANY, false, true, imap_cmd_logout, false},
	{"ID", IMAP_STATES_ANY, false, true, imap_cmd_id, false},
	{"STARTTLS", IMAP_STATE_NOT_AUTH, false, true, imap_cmd_starttls, false},
	{"LOGIN", IMAP_STATE_NOT_AUTH, false, true, imap_cmd_login, false},
	{"AUTHENTICATE", IMAP_STATE_NOT_AUTH, false, true, imap_cmd_authenticate, false},
	{"ENABLE", IMAP_STATES_AUTHED, false, true, imap_cmd_enable, false},
	{"NAMESPACE", IMAP_STATES_AUTHED, false, true, imap_cmd_namespace, false},
	{"SELECT", IMAP_STATES_AUTHED, false, true, imap_cmd_select, false},
	{"EXAMINE", IMAP_STATES_AUTHED, false, true, imap_cmd_select, false},
	{"CREATE", IMAP_STATES_AUTHED, false, true, imap_cmd_create, false},
	{"DELETE", IMAP_STATES_AUTHED, false, true, imap_cmd_delete, false},
	{"RENAME", IMAP_STATES_AUTHED, false, true, imap_cmd_rename, false},
	{"SUBSCRIBE", IMAP_STATES_AUTHED, false, true, imap_cmd_subscribe, false},
	{"UNSUBSCRIBE", IMAP_STATES_AUTHED, false, true, imap_cmd_unsubscribe, false},
	{"LIST", IMAP_STATES_AUTHED, false, true, imap_cmd_list, false},
	{"LSUB", IMAP_STATES_AUTHED, false, true, imap_cmd_lsub, false},
	{"STATUS", IMAP_STATES_AUTHED, false, true, imap_cmd_status, false},
	{"APPEND", IMAP_STATES_AUTHED, false, true, imap_cmd_append, false},
	{"GETQUOTAROOT", IMAP_STATES_AUTHED, false, true, imap_cmd_getquotaroot, false},
	{"GETQUOTA", IMAP_STATES_AUTHED, false, true, imap_cmd_getquota, false},
	{"SETQUOTA", IMAP_STATES_AUTHED, false, true, imap_cmd_setquota, false},
	{"IDLE", IMAP_STATES_AUTHED, false, true, imap_cmd_idle, false},
	{"NOTIFY", IMAP_STATES_AUTHED, false, true, imap_cmd_notify, false},
	{"GENURLAUTH", IMAP_STATES_AUTHED, false, true, imap_cmd_genurlauth, false},
	{"URLFETCH", IMAP_STATES_AUTHED, false, true, imap_cmd_urlfetch, false},
	{"RESETKEY", IMAP_STATES_AUTHED, false, true, imap_cmd_resetkey, false},
	{"COMPRESS", IMAP_STATES_AUTHED, false, true, imap_cmd_compress, false},
	{"CHECK", IMAP_STATE_SELECTED, false, true, imap_cmd_check, false},
	{"CLOSE", IMAP_STATE_SELECTED, false, true, imap_cmd_close, false},
	{"UNSELECT", IMAP_STATE_SELECTED, false, true, imap_cmd_unselect, false},
	{"EXPUNGE", IMAP_STATE_SELECTED, true, true, imap_cmd_expunge, false},
	{"SEARCH", IMAP_STATE_SELECTED, true, true, imap_cmd_search, true},
	{"SORT", IMAP_STATE_SELECTED, true, true, imap_cmd_sort, true},
	{"THREAD", IMAP_STATE_SELECTED, true, true, imap_cmd_thread, true},
	{"CANCELUPDATE", IMAP_STATE_SELECTED, false, true, imap_cmd_cancelupdate, false},
	{"FETCH", IMAP_STATE_SELECTED, true, true, imap_cmd_fetch, true},
	{"STORE", IMAP_STATE_SELECTED, true, true, imap_cmd_store, true},
	{"COPY", IMAP_STATE_SELECTED, true, true, imap_cmd_copy, false},
	{"MOVE", IMAP_STATE_SELECTED, true, true, imap_cmd_copy, false},
};

static void imap_session_on_input(struct session *base);
static void imap_session_on_tls_ready(struct session *base);
static void imap_session_on_drain(struct session *base);

static const char *const imap_state_names[] = {
	[IMAP_STATE_NOT_AUTH] = "not-auth",
	[IMAP_STATE_AUTH] = "auth",
	[IMAP_STATE_SELECTED] = "selected",
	[IMAP_STATE_LOGOUT] = "logout",
};

static struct imap_session *
imap_of(const struct session *base)
{
	return (struct imap_session *)base;
}

static struct session *
imap_session_create(struct server *srv, struct conn *conn, unsigned kind)
{
	const struct imap_server_deps *deps = imap_server_deps(server_owner(srv));
	struct imap_session *s = xcalloc(1, sizeof(*s));

	(void)kind;
	s->server = server_owner(srv);
	s->base.state = IMAP_STATE_NOT_AUTH;
	s->parser = imap_parser_new(NULL);
	imap_literal_set_limits(s);
	imap_seqset_init(&s->saved);
	/* RFC 3501 5.4: the autologout timer is at least 30 minutes once authenticated;
	 * before login, login_timeout */
	session_init(&s->base, srv, conn, &imap_session_ops,
		     deps->settings->imap_timeout < 1800 ? 1800 : deps->settings->imap_timeout,
		     true);
	return &s->base;
}

static void
imap_session_free(struct session *base)
{
	struct imap_session *s = imap_of(base);

	imap_fetch_abort(s);
	imap_slice_abort(s);
	imap_context_free_all(s);
	store_notify_unsubscribe(&s->notify);
	imap_notify_free(s);
	store_view_close(&s->view);
	store_account_unref(&s->acct);
	imap_literal_release(s);
	session_free_base(&s->base);
	imap_parser_free(&s->parser);
	imap_seqset_free(&s->saved);
	buf_free(&s->line);
	free(s->cont_tag);
	free(s->account);
	free(s);
}

static void
imap_greeting(struct session *base)
{
	struct imap_session *s = imap_of(base);
	struct buf caps = BUF_INIT;

	/* RFC 3501 7.1.1: the greeting; the capabilities save a round trip */
	imap_capabilities(s, &caps);
	imap_send(s, "* OK [CAPABILITY %s] yubin IMAP server ready", buf_cstr(&caps));
	buf_free(&caps);
}

/* Part of a command (an APPEND literal) read, or an async step (counted in pending). */
static bool
imap_busy(const struct session *base)
{
	const struct imap_session *s = imap_of(base);

	return s->in_command || s->wait == IMAP_WAIT_ASYNC;
}

static const char *
imap_closed(struct session *base)
{
	struct imap_session *s = imap_of(base);

	store_notify_unsubscribe(&s->notify);
	imap_fetch_abort(s);
	imap_slice_abort(s);
	if (s->account == NULL)
		return "";
	buf_reset(&s->line);
	buf_printf(&s->line, " user=%s", s->account);
	return buf_cstr(&s->line);
}

const struct session_ops imap_session_ops = {
	.proto = "imap",
	.create = imap_session_create,
	.free = imap_session_free,
	.greeting = imap_greeting,
	.too_many = "* BYE [UNAVAILABLE] Too many connections, try again later",
	.shutdown = "* BYE [UNAVAILABLE] Server shutting down",
	/* RFC 3501 5.4: autologout */
	.timeout = "* BYE Autologout; idle for too long",
	.too_many_errors = "* BYE Too many errors",
	.busy = imap_busy,
	.closed = imap_closed,
	.state_names = imap_state_names,
	.input = imap_session_on_input,
	.drain = imap_session_on_drain,
	.tls_ready = imap_session_on_tls_ready,
};

void
imap_session_close(struct imap_session *s)
{
	imap_session_enter_state(s, IMAP_STATE_LOGOUT);
	session_close(&s->base);
}

void
imap_send_raw(struct imap_session *s, const void *data, size_t len)
{
	session_write(&s->base, data, len);
}

static void
imap_vsend(struct imap_session *s, const char *prefix, const char *fmt, va_list ap)
{
	session_vprintf(&s->base, prefix, fmt, ap);
}

void
imap_send(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	imap_vsend(s, "", fmt, ap);
	va_end(ap);
}

static void
imap_tagged(struct imap_session *s, const char *tag, const char *status, const char *fmt,
	    va_list ap)
{
	struct buf prefix = BUF_INIT;

	buf_printf(&prefix, "%s %s ", tag != NULL ? tag : "*", status);
	imap_vsend(s, buf_cstr(&prefix), fmt, ap);
	buf_free(&prefix);
}

void
imap_ok(struct imap_session *s, const char *tag, const char *fmt, ...)
{
	va_list ap;

	if (s->view != NULL && tag != NULL)
		imap_sync(s, !s->no_expunge);
	if (tag != NULL)
		imap_notify_flush(s);
	va_start(ap, fmt);
	imap_tagged(s, tag, "OK", fmt, ap);
	va_end(ap);
}

void
imap_no(struct imap_session *s, const char *tag, const char *fmt, ...)
{
	va_list ap;

	if (s->view != NULL && tag != NULL)
		imap_sync(s, !s->no_expunge);
	if (tag != NULL)
		imap_notify_flush(s);
	va_start(ap, fmt);
	imap_tagged(s, tag, "NO", fmt, ap);
	va_end(ap);
}

void
imap_bad(struct imap_session *s, const char *tag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	imap_tagged(s, tag, "BAD", fmt, ap);
	va_end(ap);
	session_count_error(&s->base);
}

void
imap_no_store(struct imap_session *s, const char *tag, const char *what, const char *error)
{
	/* RFC 5530 response codes */
	static const char *const codes[] = {
		[STORE_ERR_NONE] = "[SERVERBUG] ",          [STORE_ERR_EXISTS] = "[ALREADYEXISTS] ",
		[STORE_ERR_NONEXISTENT] = "[NONEXISTENT] ", [STORE_ERR_INVALID] = "[CANNOT] ",
		[STORE_ERR_NOT_ALLOWED] = "[CANNOT] ",      [STORE_ERR_LIMIT] = "[LIMIT] ",
		[STORE_ERR_TEMP] = "[UNAVAILABLE] ",
	};
	enum store_error code = s->acct != NULL ? store_account_errcode(s->acct) : STORE_ERR_NONE;

	if ((unsigned)code >= sizeof(codes) / sizeof(codes[0]))
		code = STORE_ERR_NONE;
	if (code == STORE_ERR_TEMP || code == STORE_ERR_NONE)
		log_error("imap: %s: user=%s %s failed: %s", s->base.id, s->account, what, error);
	imap_no(s, tag, "%s%s failed: %s", codes[code], what, error);
}

void
imap_session_async_begin(struct imap_session *s)
{
	s->wait = IMAP_WAIT_ASYNC;
	session_async_begin(&s->base);
}

bool
imap_session_async_done(struct imap_session *s)
{
	if (!session_async_done(&s->base))
		return false;
	if (s->wait == IMAP_WAIT_ASYNC)
		s->wait = IMAP_WAIT_NONE;
	return true;
}

static void imap_session_process(struct imap_session *s);

void
imap_session_resume(struct imap_session *s)
{
	if (s->base.conn == NULL || s->base.state == IMAP_STATE_LOGOUT ||
	    s->wait == IMAP_WAIT_ASYNC)
		return;
	conn_resume_read(s->base.conn);
	if (!s->processing)
		imap_session_process(s);
}

static const struct imap_command_def *
find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

/* Check, then proceed (docs/style.md "The event loop"): syntax is checked by the handlers. */
static void
imap_session_dispatch(struct imap_session *s, const struct imap_command *cmd)
{
	const struct imap_command_def *def = find_command(cmd->name);

	if (def == NULL || (cmd->uid && !def->uid) || (!cmd->uid && !def->plain_ok)) {
		imap_bad(s, cmd->tag, "Unknown command");
		return;
	}
	if ((def->states & s->base.state) == 0) {
		if (s->base.state == IMAP_STATE_NOT_AUTH)
			imap_bad(s, cmd->tag, "Log in first");
		else if (def->states == IMAP_STATE_SELECTED)
			imap_bad(s, cmd->tag, "No mailbox selected");
		else
			imap_bad(s, cmd->tag, "Command not valid in this state");
		return;
	}
	s->no_expunge = !cmd->uid && def->no_expunge;
	def->fn(s, cmd);
}

static void
imap_session_parse_error(struct imap_session *s)
{
	const char *tag = imap_parser_tag(s->parser);
	const char *why = imap_parser_error(s->parser);

	switch (imap_parser_error_code(s->parser)) {
	case IMAP_PARSE_ERR_TOOBIG:
		/* RFC 7889 / RFC 4469: the literal is refused before it is sent */
		imap_no(s, tag, "[TOOBIG] %s", why);
		break;
	case IMAP_PARSE_ERR_FATAL:
		imap_send(s, "* BYE %s", why);
		imap_session_close(s);
		break;
	default:
		imap_bad(s, tag, "%s", why);
		break;
	}
}

/* IDLE "DONE" or an AUTHENTICATE response: one line. 1 handled, 0 need more. */
static int
imap_session_cont_line(struct imap_session *s)
{
	int ret = conn_readline(s->base.conn, &s->line, IMAP_CONT_LINE_MAX);

	if (ret == 0)
		return 0;
	if (ret < 0)
		buf_reset(&s->line); /* too long: an invalid response */
	if (s->wait == IMAP_WAIT_IDLE)
		imap_idle_line(s, buf_cstr(&s->line));
	else
		imap_auth_continue(s, buf_cstr(&s->line));
	return 1;
}

/* One step of the command parser on the buffered input. 1 go on, 0 stop. */
static int
imap_session_parse_step(struct imap_session *s)
{
	struct evbuffer *in = conn_input(s->base.conn);
	struct evbuffer_iovec v;
	size_t used;
	int ret;

	if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
		v.iov_len = 0;
	ret = imap_parser_parse(s->parser, v.iov_base, v.iov_len, &used);
	evbuffer_drain(in, used);
	if (ret != 0)
		s->in_command = false;
	else if (used > 0)
		s->in_command = true; /* a shutdown lets the command finish */
	if (ret == 1) {
		imap_session_dispatch(s, imap_parser_command(s->parser));
		imap_parser_next(s->parser);
		imap_literal_account(s);
		return 1;
	}
	if (ret < 0) {
		imap_session_parse_error(s);
		imap_parser_next(s->parser);
		imap_literal_account(s);
		return 1;
	}
	if (imap_literal_account(s) < 0)
		return 1; /* refused (or closing: the loop stops) */
	if (imap_parser_literal_pending(s->parser, NULL)) {
		/* RFC 3501 7.5: the literal is within the limits, let the client send it */
		imap_send(s, "+ Ready for literal data");
		imap_parser_literal_continue(s->parser);
		return 1;
	}
	return used > 0 && evbuffer_get_length(in) > 0;
}

static void
imap_session_process_loop(struct imap_session *s)
{
	for (unsigned guard = 0; guard < 1000000; guard++) {
		if (s->base.conn == NULL || conn_is_closing(s->base.conn) ||
		    s->base.state == IMAP_STATE_LOGOUT || s->wait == IMAP_WAIT_ASYNC ||
		    s->tls_pending)
			return;
		/* a shutdown skipped us while a command was in flight: it is answered now */
		if (session_check_shutdown(&s->base))
			return;
		if (s->wait == IMAP_WAIT_IDLE || s->wait == IMAP_WAIT_SASL) {
			if (imap_session_cont_line(s) == 0)
				return;
			continue;
		}
		if (imap_session_parse_step(s) == 0)
			return;
	}
}

static void
imap_session_process(struct imap_session *s)
{
	s->processing = true;
	imap_session_process_loop(s);
	s->processing = false;
}

static void
imap_session_on_input(struct session *base)
{
	imap_session_process(imap_of(base));
}

static void
imap_session_on_drain(struct session *base)
{
	imap_fetch_on_drain(imap_of(base));
	imap_notify_kick(imap_of(base)); /* RFC 5465: what waited for the output to drain */
}

static void
imap_session_on_tls_ready(struct session *base)
{
	struct imap_session *s = imap_of(base);

	if (!s->tls_pending)
		return;
	s->tls_pending = false;
	log_info("imap: %s: starttls %s client=[%s]", s->base.id, conn_tls_version(s->base.conn),
		 s->base.ip);
	imap_session_process(s);
}

static void
imap_session_on_notify(void *ctx, const struct store_event *ev)
{
	struct imap_session *s = ctx;

	if (imap_notify_event(s, ev))
		return;
	if (s->view == NULL || ev->mailbox_id != store_view_mailbox_id(s->view))
		return;
	imap_session_notify(s);
}

void
imap_session_notify(struct imap_session *s)
{
	s->notified = true;
	/* RFC 2177: an idling client is told at once */
	if (s->wait == IMAP_WAIT_IDLE && s->base.conn != NULL)
		imap_sync(s, true);
}

void
imap_condstore_enable(struct imap_session *s)
{
	if (s->condstore)
		return;
	s->condstore = true;
	if (s->view != NULL)
		imap_send(s, "* OK [HIGHESTMODSEQ %llu] Highest",
			  (unsigned long long)store_view_highestmodseq(s->view));
}

void
imap_session_login(struct imap_session *s, const char *tag, const char *account)
{
	const struct imap_server_deps *deps = imap_server_deps(s->server);
	struct buf caps = BUF_INIT;
	const char *error;

	s->acct = store_account_open(deps->store, account, &error);
	if (s->acct == NULL) {
		log_error("imap: %s: user=%s cannot open the mailboxes: %s", s->base.id, account,
			  error);
		imap_no(s, tag, "[UNAVAILABLE] Cannot open the mailboxes, try again later");
		return;
	}
	s->account = xstrdup(account);
	s->notify = store_notify_subscribe(deps->store, account, imap_session_on_notify, s);
	imap_session_enter_state(s, IMAP_STATE_AUTH);
	imap_literal_set_limits(s);
	session_logged_in(&s->base, deps->settings->imap_timeout < 1800
					    ? 1800
					    : deps->settings->imap_timeout);
	log_info("imap: %s: login user=%s client=[%s]%s", s->base.id, account, s->base.ip,
		 conn_is_tls(s->base.conn) ? " tls" : "");
	imap_capabilities(s, &caps);
	imap_ok(s, tag, "[CAPABILITY %s] Logged in", buf_cstr(&caps));
	buf_free(&caps);
}

void
imap_session_unselect(struct imap_session *s)
{
	imap_context_free_all(s);
	store_view_close(&s->view);
	imap_seqset_clear(&s->saved);
	s->readonly = false;
	if (s->base.state == IMAP_STATE_SELECTED)
		imap_session_enter_state(s, IMAP_STATE_AUTH);
}

char *
imap_mailbox_arg(struct imap_session *s, const char *tag, const struct imap_arg *arg)
{
	struct buf name = BUF_INIT;
	const char *raw, *error;
	char *out;

	if (!imap_arg_get_astring(arg, &raw)) {
		imap_bad(s, tag, "Invalid mailbox name");
		return NULL;
	}
	if (imap_mailbox_decode(s, raw, &name, &error) < 0) {
		buf_free(&name);
		imap_no(s, tag, "[CANNOT] %s", error);
		return NULL;
	}
	out = buf_steal(&name);
	if (str_casecmp(out, "INBOX") == 0)
		strcpy(out, "INBOX");
	if (store_mailbox_name_normalize(out) < 0) {
		free(out);
		imap_no(s, tag, "[CANNOT] Invalid mailbox name");
		return NULL;
	}
	return out;
}

/* Index of the first of msgs[0..count) (UID order) with UID >= uid. */
static size_t
msgs_lower_bound(const struct store_view_msg *msgs, size_t count, uint32_t uid)
{
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
imap_uids_from_set(struct imap_session *s, const char *tag, const char *setstr, bool uid,
		   uint32_t **uids_r, size_t *n_r)
{
	const struct store_view_msg *msgs = store_view_msgs(s->view);
	size_t count = store_view_count(s->view), n = 0;
	struct imap_seqset parsed, set;
	const char *error;
	uint32_t *uids;
	size_t *slices; /* per range: [first, end) indexes in msgs */

	imap_seqset_init(&parsed);
	imap_seqset_init(&set);
	if (imap_seqset_parse(&parsed, setstr, true, &error) < 0) {
		imap_bad(s, tag, "%s", error);
		return -1;
	}
	if (parsed.saved) {
		/* RFC 5182 2.1: "$" is the saved result, as UIDs */
		imap_seqset_resolve(&s->saved, 0, &set);
		uid = true;
	} else {
		imap_seqset_resolve(&parsed,
				    uid ? (count > 0 ? msgs[count - 1].uid : 0) : (uint32_t)count,
				    &set);
	}
	/* RFC 9051 6.4.8: a sequence number past the last message is an error ("*" never
	 * is: on an empty mailbox "1:*" is simply empty) */
	for (size_t i = 0; !uid && i < parsed.count; i++) {
		const struct imap_seq_range *r = &parsed.ranges[i];

		if (r->lo != IMAP_SEQ_STAR && r->hi != IMAP_SEQ_STAR &&
		    (r->lo > count || r->hi > count)) {
			imap_seqset_free(&parsed);
			imap_seqset_free(&set);
			imap_bad(s, tag, "Invalid message sequence number");
			return -1;
		}
	}
	imap_seqset_free(&parsed);
	/* the set's ranges are sorted and disjoint, the view is in UID order: one slice of
	 * the view per range (a single-message command costs nothing per message) */
	slices = xmalloc((set.count > 0 ? set.count : 1) * 2 * sizeof(*slices));
	for (size_t r = 0; r < set.count; r++) {
		const struct imap_seq_range *sr = &set.ranges[r];
		size_t lo, hi;

		if (uid) {
			lo = msgs_lower_bound(msgs, count, sr->lo);
			hi = sr->hi == UINT32_MAX ? count
						  : msgs_lower_bound(msgs, count, sr->hi + 1);
		} else {
			lo = sr->lo > 0 ? sr->lo - 1 : 0;
			hi = sr->hi < count ? sr->hi : count;
		}
		slices[2 * r] = lo;
		slices[2 * r + 1] = hi > lo ? hi : lo;
		n += slices[2 * r + 1] - lo;
	}
	uids = xmalloc((n > 0 ? n : 1) * sizeof(*uids));
	n = 0;
	for (size_t r = 0; r < set.count; r++) {
		for (size_t i = slices[2 * r]; i < slices[2 * r + 1]; i++)
			uids[n++] = msgs[i].uid;
	}
	free(slices);
	imap_seqset_free(&set);
	*uids_r = uids;
	*n_r = n;
	return 0;
}
