/* The milters of smtpd_milters (port 25) or non_smtpd_milters (submission) over the whole
 * SMTP session, as Postfix's smtpd holds them: one conversation per milter opened at
 * connect (src/filter/milter.h), asked in turn at connect, HELO, MAIL, RCPT and unknown
 * commands (their verdict is the reply to that command), and at end of data each over the
 * message as the previous one left it; their verdicts and edits applied to the
 * transaction. docs/filters.md. */
#include "smtp/smtp_milter.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/accounts.h"
#include "conf/settings.h"
#include "filter/milter.h"
#include "filter/milter_msg.h"
#include "log/log.h"
#include "util/metrics.h"
#include "net/conn.h"
#include "smtp/smtp_clamd.h"
#include "smtp/smtp_session.h"
#include "smtp/smtp_stage.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* Postfix's replies for milter_default_action (milter8.c) */
#define DEFAULT_REJECT "550 5.7.1 Command rejected"
#define DEFAULT_TEMPFAIL "451 4.7.1 Service unavailable - try again later"

enum milter_ask {
	ASK_CONNECT,
	ASK_HELO,
	ASK_MAIL,
	ASK_RCPT,
	ASK_UNKNOWN,
};

struct smtp_milter {
	char *const *list; /* the settings' list */
	size_t n;
	struct milter_run **runs; /* one conversation per milter, for the whole session */

	/* the command being asked about, milter by milter */
	enum milter_ask ask;
	size_t asking;
	void (*proceed)(struct smtp_session *s); /* HELO, MAIL: every milter continued */
	int prev_state;                          /* UNKNOWN: the state to go back to */
	char *line;                              /* UNKNOWN: the command line */
	bool connected; /* the connect verdict is in (greeted or refused) */
	char *refused;  /* a milter refused the connection: every command but QUIT gets 503 */

	/* end of data */
	size_t next; /* the milter to run next */
	struct milter_msg msg;
	char **added; /* recipients the milters so far added: shown to the next ones */
	size_t n_added, added_cap;
	double t0, rcpt_ms; /* time waited for the milters: at RCPT, from t0 at end of data */
};

/* milliseconds, monotonic: the time the milters cost a message goes to the log */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void run_next(struct smtp_session *s);
static void ask_next(struct smtp_session *s);

static unsigned
peer_port(const struct smtp_session *s)
{
	const struct sockaddr *sa = conn_peer(s->base.conn);

	if (sa != NULL && sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	if (sa != NULL && sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	return 0;
}

static const struct settings *
settings_of(const struct smtp_session *s)
{
	return smtp_server_deps(s->server)->settings;
}

static char *const *
milters_of(const struct smtp_session *s)
{
	const struct settings *set = settings_of(s);

	return s->kind == SMTP_LISTENER_SMTP ? set->smtpd_milters : set->non_smtpd_milters;
}

/* The conversations, opened at connect. NULL when no milter is configured. */
static struct smtp_milter *
milters_open(struct smtp_session *s)
{
	const struct smtp_server_deps *deps = smtp_server_deps(s->server);
	const struct settings *set = deps->settings;
	char *const *list = milters_of(s);
	struct smtp_milter *m;
	struct milter_params p;

	if (s->milter != NULL || list == NULL || list[0] == NULL)
		return s->milter;
	m = s->milter = xcalloc(1, sizeof(*m));
	m->list = list;
	while (list[m->n] != NULL)
		m->n++;
	m->runs = xcalloc(m->n, sizeof(*m->runs));
	memset(&p, 0, sizeof(p));
	p.connect_timeout = set->milter_connect_timeout;
	p.command_timeout = set->milter_command_timeout;
	p.content_timeout = set->milter_content_timeout;
	/* connections kept between sessions (docs/filters.md "Reusing milter connections") */
	p.idle_connections = set->milter_idle_connections;
	p.idle_timeout = set->milter_idle_timeout;
	p.connection_sessions = set->milter_connection_sessions;
	p.reuse_after_session = strcmp(set->milter_reuse_after, "session") == 0;
	for (size_t i = 0; i < m->n; i++) {
		p.spec = list[i];
		m->runs[i] = milter_run_start(deps->base, &p);
	}
	return m;
}

/* ---- the commands: every milter in turn, the first refusal is the reply ---- */

/* A milter's reply (lines separated by CRLF) with code in place of each line's code. */
static void
reply_with_code(struct smtp_session *s, const char *code, const char *reply)
{
	const char *p = reply;

	while (*p != '\0') {
		const char *end = strstr(p, "\r\n");
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len >= 3)
			smtp_reply(s, "%s%.*s", code, (int)(len - 3), p + 3);
		p += len + (end != NULL ? 2 : 0);
	}
}

static void
finish_connect(struct smtp_session *s, const char *reply, const char *name)
{
	struct smtp_milter *m = s->milter;

	m->connected = true;
	if (!smtp_session_async_done(s))
		return;
	smtp_session_enter_state(s, SMTP_STATE_CONNECTED);
	if (reply == NULL) {
		smtp_session_greet(s);
	} else if (reply[0] == '5') {
		/* RFC 5321 3.1: a 554 greeting, then 503 to every command but QUIT (as
		 * Postfix's smtpd does after a milter's connect reject) */
		log_info("smtp: %s: reject by milter %s: connect from [%s]: %s", s->base.id, name,
			 s->base.ip, reply);
		m->refused = xstrdup(reply);
		reply_with_code(s, "554", reply);
	} else {
		log_info("smtp: %s: tempfail by milter %s: connect from [%s]: %s", s->base.id, name,
			 s->base.ip, reply);
		reply_with_code(s, "421", reply);
		smtp_session_close(s);
		return;
	}
	smtp_session_async_reply_done(s);
}

static void
finish_helo(struct smtp_session *s, const char *reply, const char *name)
{
	if (!smtp_session_async_done(s))
		return;
	if (reply == NULL) {
		s->milter->proceed(s);
	} else {
		log_info("smtp: %s: reject by milter %s: HELO from [%s]: %s: %s", s->base.id, name,
			 s->base.ip, s->helo, reply);
		free(s->helo);
		s->helo = NULL;
		smtp_session_enter_state(s, SMTP_STATE_CONNECTED);
		smtp_reply_error(s, "%s", reply);
	}
	smtp_session_async_reply_done(s);
}

static void
finish_mail(struct smtp_session *s, const char *reply, const char *name)
{
	if (!smtp_session_async_done(s))
		return;
	if (reply == NULL) {
		s->milter->proceed(s);
	} else {
		log_info("smtp: %s: reject by milter %s: MAIL from [%s]: from=<%s>: %s", s->qid,
			 name, s->base.ip, s->mail_from, reply);
		smtp_session_reset_transaction(s); /* the milters before it get abort */
		smtp_session_enter_state(s, SMTP_STATE_READY);
		smtp_reply_error(s, "%s", reply);
	}
	smtp_session_async_reply_done(s);
}

static void
finish_unknown(struct smtp_session *s, const char *reply, const char *name)
{
	struct smtp_milter *m = s->milter;

	free(m->line);
	m->line = NULL;
	if (!smtp_session_async_done(s))
		return;
	smtp_session_enter_state(s, (enum smtp_state)m->prev_state);
	/* Postfix: the milter's reject is the reply, else the usual one */
	smtp_reply_error(s, "%s",
			 reply != NULL ? reply : "500 5.5.2 Error: command not recognized");
	smtp_session_async_reply_done(s);
}

/* Every milter answered (reply NULL) or one refused (reply, its name). */
static void
finish(struct smtp_session *s, const char *reply, const char *name)
{
	switch (s->milter->ask) {
	case ASK_CONNECT:
		finish_connect(s, reply, name);
		break;
	case ASK_HELO:
		finish_helo(s, reply, name);
		break;
	case ASK_MAIL:
		finish_mail(s, reply, name);
		break;
	case ASK_RCPT:
		s->milter->rcpt_ms += now_ms() - s->milter->t0;
		smtp_stage_rcpt_done(s, reply != NULL ? SMTP_STAGE_REJECT : SMTP_STAGE_CONTINUE,
				     reply, name);
		break;
	case ASK_UNKNOWN:
		finish_unknown(s, reply, name);
		break;
	}
}

static void
asked(void *ctx, enum milter_verdict verdict, const char *reply)
{
	struct smtp_session *s = ctx;
	struct smtp_milter *m = s->milter;
	const char *name = m->list[m->asking];
	const char *action = settings_of(s)->milter_default_action;

	if (verdict == MILTER_REJECT) {
		finish(s, reply, name);
		return;
	}
	if (verdict == MILTER_FAILED) {
		log_warn("smtp: %s: milter %s: %s (milter_default_action = %s)", s->base.id, name,
			 reply, action);
		if (strcmp(action, "accept") != 0) {
			finish(s, strcmp(action, "reject") == 0 ? DEFAULT_REJECT : DEFAULT_TEMPFAIL,
			       name);
			return;
		}
	}
	m->asking++;
	ask_next(s);
}

static void
ask_next(struct smtp_session *s)
{
	const struct settings *set = settings_of(s);
	struct smtp_milter *m = s->milter;
	struct milter_run *mr;
	char bits[16];
	const char *tls;

	/* every milter asked, or the client left meanwhile (finish frees the session) */
	if (m->asking >= m->n || s->base.conn == NULL) {
		finish(s, NULL, NULL);
		return;
	}
	mr = m->runs[m->asking];
	tls = conn_tls_version(s->base.conn);
	switch (m->ask) {
	case ASK_CONNECT: {
		/* Postfix's milter_connect_macros; no reverse lookup of clients yet */
		const char *mac[] = {"j",
				     set->myhostname,
				     "{daemon_name}",
				     set->myhostname,
				     "v",
				     "yubin",
				     "_",
				     s->base.ip,
				     "{client_addr}",
				     s->base.ip,
				     "{client_name}",
				     "unknown",
				     NULL};

		milter_run_connect(mr, "unknown", s->base.ip, peer_port(s), mac, asked, s);
		break;
	}
	case ASK_HELO: {
		/* Postfix's milter_helo_macros: the TLS state of the session */
		const char *mac[] = {"{tls_version}",
				     tls,
				     "{cipher}",
				     tls != NULL ? conn_tls_cipher(s->base.conn) : NULL,
				     "{cipher_bits}",
				     tls != NULL ? bits : NULL,
				     NULL};

		snprintf(bits, sizeof(bits), "%d", conn_tls_cipher_bits(s->base.conn));
		milter_run_helo(mr, s->helo, mac, asked, s);
		break;
	}
	case ASK_MAIL: {
		const char *mac[] = {"i",
				     s->qid,
				     "{auth_type}",
				     s->auth_user != NULL ? s->auth_mech : NULL,
				     "{auth_authen}",
				     s->auth_user,
				     "{mail_addr}",
				     s->mail_from,
				     NULL};

		milter_run_mail(mr, s->mail_from, mac, asked, s);
		break;
	}
	case ASK_RCPT: {
		const char *rcpt = s->rcpts[s->n_rcpts - 1].address;
		const char *mac[] = {"i", s->qid, "{rcpt_addr}", rcpt, NULL};

		milter_run_rcpt(mr, rcpt, mac, asked, s);
		break;
	}
	case ASK_UNKNOWN:
		milter_run_unknown(mr, m->line, asked, s);
		break;
	}
}

/* Starts asking; false when no milter is configured (or the connection was refused). */
static bool
ask(struct smtp_session *s, enum milter_ask what, void (*proceed)(struct smtp_session *s))
{
	struct smtp_milter *m = s->milter;

	if (m == NULL || m->refused != NULL)
		return false;
	m->ask = what;
	m->asking = 0;
	m->proceed = proceed;
	m->t0 = now_ms();
	if (what != ASK_RCPT) { /* the stage runner paused the session for RCPT */
		m->prev_state = s->base.state;
		smtp_session_async_begin(s);
	}
	ask_next(s);
	return true;
}

bool
smtp_milter_connect(struct smtp_session *s)
{
	struct smtp_milter *m = milters_open(s);

	if (m == NULL || m->connected)
		return false;
	return ask(s, ASK_CONNECT, NULL);
}

bool
smtp_milter_helo(struct smtp_session *s, void (*proceed)(struct smtp_session *s))
{
	return ask(s, ASK_HELO, proceed);
}

bool
smtp_milter_mail(struct smtp_session *s, void (*proceed)(struct smtp_session *s))
{
	return ask(s, ASK_MAIL, proceed);
}

bool
smtp_milter_unknown(struct smtp_session *s, const char *line)
{
	if (s->milter == NULL || s->milter->refused != NULL)
		return false;
	free(s->milter->line);
	s->milter->line = xstrdup(line);
	return ask(s, ASK_UNKNOWN, NULL);
}

bool
smtp_milter_refused(struct smtp_session *s)
{
	if (s->milter == NULL || s->milter->refused == NULL)
		return false;
	smtp_reply_error(s, "503 5.7.0 Error: access denied for [%s]", s->base.ip);
	return true;
}

void
smtp_milter_rcpt(struct smtp_session *s)
{
	if (!ask(s, ASK_RCPT, NULL))
		smtp_stage_rcpt_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
}

/* ---- end of data: the message through each milter in turn ---- */

/* arr (NULL-terminated, may be NULL) holds s, case-insensitively. */
static bool
str_array_contains(char *const *arr, const char *s)
{
	for (size_t i = 0; arr != NULL && arr[i] != NULL; i++)
		if (str_casecmp(arr[i], s) == 0)
			return true;
	return false;
}

static void
drop_rcpt(struct smtp_session *s, size_t i)
{
	free(s->rcpts[i].address);
	str_array_free(&s->rcpts[i].local);
	str_array_free(&s->rcpts[i].remote);
	memmove(s->rcpts + i, s->rcpts + i + 1, (s->n_rcpts - i - 1) * sizeof(*s->rcpts));
	s->n_rcpts--;
}

/* SMFIR_ADDRCPT: routed like a RCPT TO from this client (local, or remote when relaying
 * is allowed); an address that leads nowhere is logged and left out (false). */
static bool
add_rcpt(struct smtp_session *s, const char *address)
{
	const struct smtp_server_deps *deps = smtp_server_deps(s->server);
	const char *domain = strrchr(address, '@');
	char **local = NULL, **remote = NULL;

	if (domain != NULL && accounts_is_local_domain(deps->accounts, domain + 1)) {
		if (accounts_resolve(deps->accounts, address, &local, &remote) <= 0) {
			log_warn("smtp: %s: milter added unknown recipient <%s>: ignored", s->qid,
				 address);
			return false;
		}
	} else if (domain != NULL && deps->queue != NULL) {
		remote = xcalloc(2, sizeof(*remote));
		remote[0] = xstrdup(address);
		local = xcalloc(1, sizeof(*local));
	} else {
		log_warn("smtp: %s: milter added recipient <%s>: no route, ignored", s->qid,
			 address);
		return false;
	}
	s->rcpts = xgrow(s->rcpts, &s->rcpts_cap, s->n_rcpts + 1, sizeof(*s->rcpts));
	s->rcpts[s->n_rcpts].address = xstrdup(address);
	s->rcpts[s->n_rcpts].local = local;
	s->rcpts[s->n_rcpts].remote = remote;
	s->n_rcpts++;
	return true;
}

/* A CONTINUE verdict: the recipients and the sender as the milter changed them. 0, or -1
 * when no recipient is left (the stage was ended). */
static int
apply_envelope(struct smtp_session *s, const struct milter_result *r, const char *name)
{
	struct smtp_milter *m = s->milter;

	for (size_t i = s->n_rcpts; i-- > 0;) {
		if (str_array_contains(r->del_rcpts, s->rcpts[i].address)) {
			log_info("smtp: %s: milter %s: recipient <%s> removed", s->qid, name,
				 s->rcpts[i].address);
			drop_rcpt(s, i);
		} else if (str_array_contains(r->refused_rcpts, s->rcpts[i].address) &&
			   str_array_contains(m->added, s->rcpts[i].address)) {
			/* a recipient an earlier milter added, refused by this one */
			log_info("smtp: %s: milter %s: added recipient <%s> refused", s->qid, name,
				 s->rcpts[i].address);
			drop_rcpt(s, i);
		}
	}
	for (size_t j = m->n_added; j-- > 0;) {
		if (!str_array_contains(r->refused_rcpts, m->added[j]) &&
		    !str_array_contains(r->del_rcpts, m->added[j]))
			continue;
		free(m->added[j]);
		memmove(m->added + j, m->added + j + 1, (m->n_added - j) * sizeof(*m->added));
		m->n_added--;
	}
	for (size_t j = 0; r->add_rcpts != NULL && r->add_rcpts[j] != NULL; j++) {
		if (!add_rcpt(s, r->add_rcpts[j]))
			continue;
		/* the milters after this one see it as a RCPT (milter_run_message) */
		m->added = xgrow(m->added, &m->added_cap, m->n_added + 2, sizeof(*m->added));
		m->added[m->n_added++] = xstrdup(r->add_rcpts[j]);
		m->added[m->n_added] = NULL;
	}
	if (r->new_from != NULL) {
		log_info("smtp: %s: milter %s: sender <%s> -> <%s>", s->qid, name, s->mail_from,
			 r->new_from);
		free(s->mail_from);
		s->mail_from = xstrdup(r->new_from);
	}
	if (s->n_rcpts == 0) {
		/* every recipient deleted: nothing to deliver, as a discard */
		smtp_stage_done(s, SMTP_STAGE_DISCARD, NULL, name);
		return -1;
	}
	return 0;
}

/* The milter's verdict as yubin_filter_verdicts_total{filter="milter"} names it. */
static const char *
verdict_name(const struct milter_result *r)
{
	switch (r->verdict) {
	case MILTER_CONTINUE:
		return r->quarantine != NULL ? "quarantine" : "accept";
	case MILTER_REJECT:
		return r->reply != NULL && r->reply[0] == '4' ? "tempfail" : "reject";
	case MILTER_DISCARD:
		return "discard";
	case MILTER_FAILED:
		break;
	}
	return "error";
}

static void
run_done(void *ctx, struct milter_result *r)
{
	struct smtp_session *s = ctx;
	struct smtp_milter *m = s->milter;
	const char *name = m->list[m->next - 1];
	const struct settings *set = settings_of(s);

	metrics_filter_verdict(METRICS_FILTER_MILTER, verdict_name(r));
	switch (r->verdict) {
	case MILTER_CONTINUE:
		if (r->quarantine != NULL) {
			/* held in the queue: `yubin queue list` shows it, `release` delivers */
			log_info("smtp: %s: milter %s: quarantine: %s", s->qid, name,
				 r->quarantine);
			if (smtp_server_deps(s->server)->queue != NULL)
				s->deliver_hold = true;
			else
				log_warn("smtp: %s: no queue to hold the message in: delivered",
					 s->qid);
		}
		if (apply_envelope(s, r, name) == 0)
			run_next(s);
		break;
	case MILTER_REJECT:
		smtp_stage_done(s, SMTP_STAGE_REJECT, r->reply, name);
		break;
	case MILTER_DISCARD:
		smtp_stage_done(s, SMTP_STAGE_DISCARD, NULL, name);
		break;
	case MILTER_FAILED:
		log_warn("smtp: %s: milter %s: %s (milter_default_action = %s)", s->qid, name,
			 r->reply, set->milter_default_action);
		if (strcmp(set->milter_default_action, "accept") == 0)
			run_next(s); /* as if this milter were not there */
		else
			smtp_filter_default_action(s, set->milter_default_action, r->reply);
		break;
	}
	milter_result_free(r);
}

/* Puts the edited message back into s->msg (keeping the memory accounting right). */
static void
store_message(struct smtp_session *s)
{
	struct buf out = BUF_INIT;

	milter_msg_format(&s->milter->msg, &out);
	buf_free(&s->msg);
	s->msg = out;
	smtp_server_memory_add(s->server, (long long)s->msg.len - (long long)s->mem_counted);
	s->mem_counted = s->msg.len;
}

static void
run_next(struct smtp_session *s)
{
	struct smtp_milter *m = s->milter;
	const char *mac[] = {"i", s->qid, NULL};

	if (m->next >= m->n) {
		log_info("smtp: %s: milters: %.2f ms at end of data, %.2f ms at RCPT", s->qid,
			 now_ms() - m->t0, m->rcpt_ms);
		m->rcpt_ms = 0;
		if (m->msg.changed)
			store_message(s);
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	}
	m->next++;
	milter_run_message(m->runs[m->next - 1], &m->msg, (const char *const *)m->added, mac,
			   run_done, s);
}

void
smtp_milter_end_of_data(struct smtp_session *s)
{
	struct smtp_milter *m = s->milter;

	if (m == NULL) {
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	}
	m->next = 0;
	m->t0 = now_ms();
	milter_msg_free(&m->msg);
	milter_msg_parse(&m->msg, s->msg.data, s->msg.len);
	run_next(s);
}

void
smtp_milter_reset(struct smtp_session *s)
{
	struct smtp_milter *m = s->milter;

	if (m == NULL)
		return;
	/* the transaction ends: a milter still inside it gets abort */
	for (size_t i = 0; i < m->n; i++)
		milter_run_abort(m->runs[i]);
	milter_msg_free(&m->msg);
	str_array_free(&m->added);
	m->n_added = m->added_cap = 0;
	m->rcpt_ms = 0;
}

void
smtp_milter_free(struct smtp_session *s)
{
	struct smtp_milter *m = s->milter;

	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		milter_run_cancel(m->runs[i]);
	free(m->runs);
	milter_msg_free(&m->msg);
	str_array_free(&m->added);
	free(m->line);
	free(m->refused);
	free(m);
	s->milter = NULL;
}
