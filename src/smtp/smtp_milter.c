/* The "milter" stage: the milters of smtpd_milters (port 25) or non_smtpd_milters
 * (submission) in turn at end of data, each over the message as the previous one left it
 * (src/filter/milter.h); their verdicts and edits applied to the transaction.
 * docs/filters.md. */
#include "smtp/smtp_milter.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/accounts.h"
#include "conf/settings.h"
#include "filter/milter.h"
#include "filter/milter_msg.h"
#include "log/log.h"
#include "smtp/smtp_clamd.h"
#include "smtp/smtp_session.h"
#include "smtp/smtp_stage.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct smtp_milter {
	char *const *list; /* the settings' list */
	size_t n;
	struct milter_run **runs; /* one conversation per milter, opened at the first RCPT */
	size_t asking;            /* RCPT: the milter being asked */
	size_t next;              /* end of data: the milter to run next */
	struct milter_msg msg;
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

static char *const *
milters_of(const struct smtp_session *s)
{
	const struct settings *set = smtp_server_deps(s->server)->settings;

	return s->kind == SMTP_LISTENER_SMTP ? set->smtpd_milters : set->non_smtpd_milters;
}

/* The conversations, opened with the transaction's envelope (the first RCPT). */
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
	p.client_name = "unknown"; /* no reverse lookup of clients yet */
	p.client_addr = s->base.ip;
	p.helo = s->helo;
	p.mail_from = s->mail_from;
	p.myhostname = set->myhostname;
	p.daemon_name = set->myhostname; /* rspamd's authserv-id, as Postfix's default */
	p.queue_id = s->qid;
	p.auth_authen = s->auth_user;
	p.auth_type = s->auth_user != NULL ? "PLAIN" : NULL;
	for (size_t i = 0; i < m->n; i++) {
		p.spec = list[i];
		m->runs[i] = milter_run_start(deps->base, &p);
	}
	return m;
}

static void ask_rcpt(struct smtp_session *s);

static void
rcpt_answered(void *ctx, enum milter_verdict verdict, const char *reply)
{
	struct smtp_session *s = ctx;
	struct smtp_milter *m = s->milter;
	const char *name = m->list[m->asking];
	const char *action = smtp_server_deps(s->server)->settings->milter_default_action;

	if (verdict == MILTER_REJECT) {
		smtp_stage_rcpt_done(s, SMTP_STAGE_REJECT, reply, name);
		return;
	}
	if (verdict == MILTER_FAILED) {
		log_warn("smtp: %s: milter %s: %s (milter_default_action = %s)", s->qid, name,
			 reply, action);
		if (strcmp(action, "accept") != 0) {
			smtp_stage_rcpt_done(
				s, SMTP_STAGE_REJECT,
				strcmp(action, "reject") == 0
					? "550 5.7.1 Command rejected"
					: "451 4.7.1 Service unavailable - try again later",
				name);
			return;
		}
	}
	m->asking++;
	ask_rcpt(s);
}

static void
ask_rcpt(struct smtp_session *s)
{
	struct smtp_milter *m = s->milter;

	if (m->asking >= m->n) {
		m->rcpt_ms += now_ms() - m->t0;
		smtp_stage_rcpt_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	}
	milter_run_rcpt(m->runs[m->asking], s->rcpts[s->n_rcpts - 1].address, rcpt_answered, s);
}

void
smtp_milter_rcpt(struct smtp_session *s)
{
	struct smtp_milter *m = milters_open(s);

	if (m == NULL) {
		smtp_stage_rcpt_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	}
	m->asking = 0;
	m->t0 = now_ms();
	ask_rcpt(s);
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
 * is allowed); an address that leads nowhere is logged and left out. */
static void
add_rcpt(struct smtp_session *s, const char *address)
{
	const struct smtp_server_deps *deps = smtp_server_deps(s->server);
	const char *domain = strrchr(address, '@');
	char **local = NULL, **remote = NULL;

	if (domain != NULL && accounts_is_local_domain(deps->accounts, domain + 1)) {
		if (accounts_resolve(deps->accounts, address, &local, &remote) <= 0) {
			log_warn("smtp: %s: milter added unknown recipient <%s>: ignored", s->qid,
				 address);
			return;
		}
	} else if (domain != NULL && deps->queue != NULL) {
		remote = xcalloc(2, sizeof(*remote));
		remote[0] = xstrdup(address);
		local = xcalloc(1, sizeof(*local));
	} else {
		log_warn("smtp: %s: milter added recipient <%s>: no route, ignored", s->qid,
			 address);
		return;
	}
	s->rcpts = xgrow(s->rcpts, &s->rcpts_cap, s->n_rcpts + 1, sizeof(*s->rcpts));
	s->rcpts[s->n_rcpts].address = xstrdup(address);
	s->rcpts[s->n_rcpts].local = local;
	s->rcpts[s->n_rcpts].remote = remote;
	s->n_rcpts++;
}

/* A CONTINUE verdict: the recipients and the sender as the milter changed them. 0, or -1
 * when no recipient is left (the stage was ended). */
static int
apply_envelope(struct smtp_session *s, const struct milter_result *r, const char *name)
{
	for (size_t i = s->n_rcpts; i-- > 0;) {
		for (size_t j = 0; r->del_rcpts != NULL && r->del_rcpts[j] != NULL; j++) {
			if (str_casecmp(r->del_rcpts[j], s->rcpts[i].address) != 0)
				continue;
			log_info("smtp: %s: milter %s: recipient <%s> removed", s->qid, name,
				 s->rcpts[i].address);
			drop_rcpt(s, i);
			break;
		}
	}
	for (size_t j = 0; r->add_rcpts != NULL && r->add_rcpts[j] != NULL; j++)
		add_rcpt(s, r->add_rcpts[j]);
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

static void
run_done(void *ctx, struct milter_result *r)
{
	struct smtp_session *s = ctx;
	struct smtp_milter *m = s->milter;
	const char *name = m->list[m->next - 1];
	const struct settings *set = smtp_server_deps(s->server)->settings;

	m->runs[m->next - 1] = NULL; /* over and freed */
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

	if (m->next >= m->n) {
		log_info("smtp: %s: milters: %.2f ms at end of data, %.2f ms at RCPT", s->qid,
			 now_ms() - m->t0, m->rcpt_ms);
		if (m->msg.changed)
			store_message(s);
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	}
	m->next++;
	milter_run_message(m->runs[m->next - 1], &m->msg, run_done, s);
}

void
smtp_milter_end_of_data(struct smtp_session *s)
{
	struct smtp_milter *m = milters_open(s);

	if (m == NULL) {
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	}
	m->next = 0;
	m->t0 = now_ms();
	milter_msg_parse(&m->msg, s->msg.data, s->msg.len);
	run_next(s);
}

void
smtp_milter_reset(struct smtp_session *s)
{
	struct smtp_milter *m = s->milter;

	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		milter_run_cancel(m->runs[i]);
	free(m->runs);
	milter_msg_free(&m->msg);
	free(m);
	s->milter = NULL;
}
