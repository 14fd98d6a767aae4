/* The "milter" stage: the milters of smtpd_milters (port 25) or non_smtpd_milters
 * (submission) in turn at end of data, each over the message as the previous one left it
 * (src/filter/milter.h); their verdicts and edits applied to the transaction.
 * docs/filters.md. */
#include "smtp/smtp_milter.h"

#include <stdlib.h>
#include <string.h>

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
	size_t next;       /* the milter to run next */
	struct milter_msg msg;
	struct milter_run *run;
};

static void run_next(struct smtp_session *s);

static char *const *
milters_of(const struct smtp_session *s)
{
	const struct settings *set = smtp_server_deps(s->server)->settings;

	return s->kind == SMTP_LISTENER_SMTP ? set->smtpd_milters : set->non_smtpd_milters;
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
	size_t n_before = s->n_rcpts;

	for (size_t i = n_before; i-- > 0;) {
		bool drop = r->rcpt_rejected[i];

		for (size_t j = 0; r->del_rcpts != NULL && r->del_rcpts[j] != NULL; j++)
			if (str_casecmp(r->del_rcpts[j], s->rcpts[i].address) == 0)
				drop = true;
		if (drop) {
			log_info("smtp: %s: milter %s: recipient <%s> removed%s%s", s->qid, name,
				 s->rcpts[i].address, r->rcpt_rejected[i] ? ": " : "",
				 r->rcpt_rejected[i] ? r->rcpt_reply : "");
			drop_rcpt(s, i);
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
		smtp_stage_done(
			s, SMTP_STAGE_REJECT,
			r->rcpt_reply != NULL ? r->rcpt_reply : "550 5.7.1 Command rejected", name);
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

	m->run = NULL;
	switch (r->verdict) {
	case MILTER_CONTINUE:
		if (r->quarantine != NULL)
			log_info("smtp: %s: milter %s: quarantine requested (%s): not supported, "
				 "delivered",
				 s->qid, name, r->quarantine);
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
	const struct smtp_server_deps *deps = smtp_server_deps(s->server);
	const struct settings *set = deps->settings;
	struct smtp_milter *m = s->milter;
	struct milter_params p;
	const char **rcpts;

	if (m->list[m->next] == NULL) {
		if (m->msg.changed)
			store_message(s);
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	}
	rcpts = xcalloc(s->n_rcpts + 1, sizeof(*rcpts));
	for (size_t i = 0; i < s->n_rcpts; i++)
		rcpts[i] = s->rcpts[i].address;
	memset(&p, 0, sizeof(p));
	p.spec = m->list[m->next++];
	p.connect_timeout = set->milter_connect_timeout;
	p.command_timeout = set->milter_command_timeout;
	p.content_timeout = set->milter_content_timeout;
	p.client_name = "unknown"; /* no reverse lookup of clients yet */
	p.client_addr = s->base.ip;
	p.client_port = 0;
	p.helo = s->helo;
	p.mail_from = s->mail_from;
	p.rcpts = rcpts;
	p.n_rcpts = s->n_rcpts;
	p.myhostname = set->myhostname;
	p.daemon_name = set->myhostname; /* rspamd's authserv-id, as Postfix's default */
	p.queue_id = s->qid;
	p.auth_authen = s->auth_user;
	p.auth_type = s->auth_user != NULL ? "PLAIN" : NULL;
	m->run = milter_run_start(deps->base, &p, &m->msg, run_done, s);
	free(rcpts);
}

void
smtp_milter_end_of_data(struct smtp_session *s)
{
	char *const *list = milters_of(s);

	if (list == NULL || list[0] == NULL) {
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	}
	s->milter = xcalloc(1, sizeof(*s->milter));
	s->milter->list = list;
	milter_msg_parse(&s->milter->msg, s->msg.data, s->msg.len);
	run_next(s);
}

void
smtp_milter_reset(struct smtp_session *s)
{
	if (s->milter == NULL)
		return;
	milter_run_cancel(s->milter->run);
	milter_msg_free(&s->milter->msg);
	free(s->milter);
	s->milter = NULL;
}
