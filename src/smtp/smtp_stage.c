/* The stage table and the runner of the end-of-data stages (see smtp_stage.h). */
#include "smtp/smtp_stage.h"

#include <stdbool.h>
#include <stdlib.h>

#include "log/log.h"
#include "smtp/smtp_mailauth.h"
#include "smtp/smtp_clamd.h"
#include "smtp/smtp_milter.h"
#include "smtp/smtp_dkim_sign.h"
#include "smtp/smtp_guard.h"
#include "smtp/smtp_quota.h"
#include "smtp/smtp_session.h"
#include "smtp/smtp_spam.h"
#include "util/buf.h"
#include "util/str.h"

/* In the order they run. A stage that needs another's result comes after it. */
static const struct smtp_stage smtp_stages[] = {
	/* SPF, DKIM, DMARC: cheap once DNS answered, and a DMARC reject spares the rest */
	{.name = "mailauth",
	 .mail = smtp_mailauth_mail,
	 .data = smtp_mailauth_data,
	 .end_of_data = smtp_mailauth_end_of_data,
	 .reset = smtp_mailauth_reset},
	/* greylisting postponed to here for a sender domain known to sign: needs DKIM */
	{.name = "greylist",
	 .end_of_data = smtp_greylist_end_of_data,
	 .reset = smtp_greylist_reset},
	/* viruses next: nothing else needs to look at a message that is refused anyway */
	{.name = "clamd", .end_of_data = smtp_clamd_end_of_data, .reset = smtp_clamd_reset},
	/* spam_filter = rspamd: the X-Spam fields the message brought removed, its Subject
	 * noted, so that the spam stage sees what rspamd's milter did */
	{.name = "spam_mark", .end_of_data = smtp_spam_before_milters},
	/* milters see the message as the checks before them left it, and may edit it */
	{.name = "milter",
	 .rcpt = smtp_milter_rcpt,
	 .end_of_data = smtp_milter_end_of_data,
	 .reset = smtp_milter_reset},
	/* after mail authentication, the DNSBL check and the milters: their verdicts count
	 * (a milter such as rspamd that already junked or refused decides first) */
	{.name = "spam", .end_of_data = smtp_spam_end_of_data, .reset = smtp_spam_reset},
	/* the recipients and the message as the checks before left them; before signing */
	{.name = "quota",
	 .rcpt = smtp_quota_rcpt,
	 .end_of_data = smtp_quota_end_of_data,
	 .reset = smtp_quota_reset},
	/* last: it signs the message as the stages before it left it */
	{.name = "dkim_sign", .end_of_data = smtp_dkim_sign_end_of_data},
};

#define N_STAGES (sizeof(smtp_stages) / sizeof(smtp_stages[0]))

void
smtp_stage_mail(struct smtp_session *s)
{
	size_t i;

	for (i = 0; i < N_STAGES; i++)
		if (smtp_stages[i].mail != NULL)
			smtp_stages[i].mail(s);
}

/* Runs the rcpt hooks from s->stage_rcpt_next on; the session is paused on entry. */
static void
smtp_stage_rcpt_run(struct smtp_session *s)
{
	if (s->base.conn_gone) {
		smtp_session_async_done(s);
		return;
	}
	while (s->stage_rcpt_next < N_STAGES && smtp_stages[s->stage_rcpt_next].rcpt == NULL)
		s->stage_rcpt_next++;
	if (s->stage_rcpt_next < N_STAGES) {
		smtp_stages[s->stage_rcpt_next++].rcpt(s);
		return;
	}
	if (!smtp_session_async_done(s))
		return;
	smtp_session_enter_state(s, SMTP_STATE_RCPT);
	smtp_reply(s, "250 2.1.5 Ok");
	smtp_session_async_reply_done(s);
}

void
smtp_stage_rcpt(struct smtp_session *s)
{
	s->stage_rcpt_next = 0;
	smtp_session_async_begin(s);
	smtp_stage_rcpt_run(s);
}

void
smtp_stage_rcpt_done(struct smtp_session *s, enum smtp_stage_verdict verdict, const char *reply,
		     const char *why)
{
	struct smtp_rcpt *r;

	if (verdict == SMTP_STAGE_CONTINUE) {
		smtp_stage_rcpt_run(s);
		return;
	}
	if (!smtp_session_async_done(s))
		return; /* the connection went away meanwhile: the session is freed */
	r = &s->rcpts[--s->n_rcpts];
	log_info("smtp: %s: reject by %s: RCPT from [%s]: to=<%s>: %s%s%s", s->qid,
		 smtp_stages[s->stage_rcpt_next - 1].name, s->base.ip, r->address, reply,
		 why ? " — " : "", why ? why : "");
	free(r->address);
	str_array_free(&r->local);
	str_array_free(&r->remote);
	smtp_session_enter_state(s, s->n_rcpts > 0 ? SMTP_STATE_RCPT : SMTP_STATE_MAIL);
	smtp_reply_error(s, "%s", reply);
	smtp_session_async_reply_done(s);
}

void
smtp_stage_data(struct smtp_session *s)
{
	size_t i;

	/* the message buffer was dropped (smtp_memory_limit) or stopped growing (too big):
	 * the message will not be delivered, stop feeding */
	if (s->over_memory || s->msg.len < s->stage_fed) {
		s->stage_fed = s->msg.len;
		return;
	}
	if (s->msg.len == s->stage_fed)
		return;
	for (i = 0; i < N_STAGES; i++)
		if (smtp_stages[i].data != NULL)
			smtp_stages[i].data(s, s->msg.data + s->stage_fed,
					    s->msg.len - s->stage_fed);
	s->stage_fed = s->msg.len;
}

void
smtp_stage_reset(struct smtp_session *s)
{
	size_t i;

	for (i = 0; i < N_STAGES; i++)
		if (smtp_stages[i].reset != NULL)
			smtp_stages[i].reset(s);
	s->stage_fed = 0;
	s->stage_next = 0;
	s->stage_deliver = NULL;
	s->deliver_mailbox = NULL;
	s->deliver_hold = false;
	buf_free(&s->stage_headers);
}

/* Runs stages from s->stage_next on; the session is paused (async) on entry. */
static void
smtp_stage_run(struct smtp_session *s)
{
	/* the client went away while a stage waited: it never saw a 250, so deliver nothing
	 * (it will send again); the session is freed */
	if (s->base.conn_gone) {
		smtp_session_async_done(s);
		return;
	}
	while (s->stage_next < N_STAGES && smtp_stages[s->stage_next].end_of_data == NULL)
		s->stage_next++;
	if (s->stage_next < N_STAGES) {
		smtp_stages[s->stage_next++].end_of_data(s);
		return;
	}
	/* every stage agreed: delivery pauses the session again itself */
	if (!smtp_session_async_done(s))
		return;
	s->stage_deliver(s);
}

void
smtp_stage_end_of_data(struct smtp_session *s, void (*deliver)(struct smtp_session *s))
{
	s->stage_next = 0;
	s->stage_deliver = deliver;
	smtp_session_async_begin(s);
	smtp_stage_run(s);
}

void
smtp_stage_done(struct smtp_session *s, enum smtp_stage_verdict verdict, const char *reply,
		const char *why)
{
	const char *name = smtp_stages[s->stage_next - 1].name;

	if (verdict == SMTP_STAGE_CONTINUE) {
		smtp_stage_run(s);
		return;
	}
	if (!smtp_session_async_done(s))
		return; /* the connection went away meanwhile: the session is freed */
	if (verdict == SMTP_STAGE_DISCARD) {
		log_info("smtp: %s: discard by %s: from=<%s> client=[%s]%s%s", s->qid, name,
			 s->mail_from, s->base.ip, why ? ": " : "", why ? why : "");
		smtp_reply(s, "250 2.0.0 Ok: queued as %s", s->qid);
	} else {
		log_info("smtp: %s: reject by %s: from=<%s> client=[%s]: %s%s%s", s->qid, name,
			 s->mail_from, s->base.ip, reply, why ? " — " : "", why ? why : "");
		smtp_reply_error(s, "%s", reply);
	}
	smtp_session_reset_transaction(s);
	smtp_session_enter_state(s, SMTP_STATE_READY);
	smtp_session_async_reply_done(s);
}
