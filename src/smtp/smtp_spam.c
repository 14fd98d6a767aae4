/* The spam stage (see smtp_spam.h). */
#include "smtp/smtp_spam.h"

#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "log/log.h"
#include "util/metrics.h"
#include "mail/rfc5322.h"
#include "mail/spam_checks.h"
#include "mail/spam_score.h"
#include "net/workers.h"
#include "smtp/smtp_mailauth.h"
#include "smtp/smtp_session.h"
#include "smtp/smtp_stage.h"
#include "spam/spam_job.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct smtp_spam {
	struct smtp_session *session; /* NULL once the transaction was reset: just free */
	struct spam_classify *job;    /* builtin: the classification, on a worker meanwhile */
	char *subject;                /* rspamd: the Subject before the milters, NULL: none */
};

static void
smtp_spam_free(struct smtp_spam *sp)
{
	spam_classify_free(&sp->job);
	free(sp->subject);
	free(sp);
}

/* What the other stages found, for the score. The lead wires the mail authentication
 * verdicts (smtp_mailauth.h) and the DNSBL score (s->dnsbl_score) in here; until then
 * nothing is known and those rules never hit. */
static void
spam_inputs_fill(const struct smtp_session *s, struct spam_inputs *in)
{
	const struct smtp_mailauth_verdicts *v = smtp_mailauth_verdicts(s);

	memset(in, 0, sizeof(*in));
	/* DNSBL zones with a weight (dnsbl_zones = zone=WEIGHT) that list the client */
	in->dnsbl = s->dnsbl_score;
	if (v == NULL || v->mode != SMTP_MAILAUTH_CHECKED)
		return; /* not checked: temperror, none and "not ours to check" score nothing */
	in->spf = v->spf == SPF_RESULT_PASS       ? SPAM_AUTH_PASS
		  : v->spf == SPF_RESULT_FAIL     ? SPAM_AUTH_FAIL
		  : v->spf == SPF_RESULT_SOFTFAIL ? SPAM_AUTH_SOFTFAIL
						  : SPAM_AUTH_NONE;
	/* a message signed at all: pass if any signature verified; a broken signature is a
	 * fail, a temporary DNS problem is nothing */
	in->dkim = v->dkim_signatures == 0            ? SPAM_AUTH_NONE
		   : v->dkim_pass > 0                 ? SPAM_AUTH_PASS
		   : v->dkim_best == DKIM_STATUS_FAIL ? SPAM_AUTH_FAIL
						      : SPAM_AUTH_NONE;
	/* a DMARC fail counts only when the domain asked for action and the admin lets us act
	 * on it: p=none is the owner saying "monitoring, do not act" (RFC 7489 6.3), and
	 * forwarded or list mail fails that way every day; dmarc_enforce = no means the same
	 * on our side */
	bool dmarc_acts = v->dmarc_disposition != DMARC_POLICY_NONE &&
			  smtp_server_deps(s->server)->settings->dmarc_enforce;

	in->dmarc = v->dmarc == DMARC_RESULT_PASS                 ? SPAM_AUTH_PASS
		    : v->dmarc == DMARC_RESULT_FAIL && dmarc_acts ? SPAM_AUTH_FAIL
								  : SPAM_AUTH_NONE;
}

/* Removes X-Spam: and X-Spam-Score: fields the message brought (ours are the only ones
 * a reader may trust). */
static void
strip_spam_fields(struct smtp_session *s)
{
	size_t hlen = rfc5322_header_size(s->msg.data, s->msg.len);
	struct rfc5322_header_iter it;
	struct rfc5322_field f;
	struct buf out = BUF_INIT;
	bool found = false;

	rfc5322_header_iter_init(&it, s->msg.data, hlen);
	while (rfc5322_header_iter_next(&it, &f)) {
		if (f.has_colon &&
		    ((f.name_len == 6 && str_ncasecmp(f.name, "X-Spam", 6) == 0) ||
		     (f.name_len == 12 && str_ncasecmp(f.name, "X-Spam-Score", 12) == 0))) {
			found = true;
			continue;
		}
		buf_append(&out, f.raw, f.raw_len);
	}
	if (found) {
		size_t done = (size_t)(it.p - s->msg.data);
		buf_append(&out, s->msg.data + done, s->msg.len - done);
		buf_reset(&s->msg);
		buf_append(&s->msg, out.data, out.len);
	}
	buf_free(&out);
}

/* Worker thread. */
static void
spam_work(void *arg)
{
	struct smtp_spam *sp = arg;

	spam_classify_run(sp->job);
}

static void
spam_done(void *arg)
{
	struct smtp_spam *sp = arg;
	struct smtp_session *s = sp->session;
	const struct settings *set;
	struct spam_inputs in;
	struct buf rules = BUF_INIT;
	double score;
	char reply[128];

	if (s == NULL) {
		smtp_spam_free(sp);
		return;
	}
	s->spam = NULL;
	set = smtp_server_deps(s->server)->settings;
	spam_inputs_fill(s, &in);
	score = spam_score(&in, sp->job->checks, sp->job->bayes, &rules);
	log_info("smtp: %s: spam score %.1f (%s) tokens=%zu", s->qid, score,
		 rules.len > 0 ? buf_cstr(&rules) : "no rules", sp->job->n_tokens);
	smtp_spam_free(sp);
	if (set->spam_reject_threshold > 0 && score >= set->spam_reject_threshold) {
		snprintf(reply, sizeof(reply), "550 5.7.1 Message refused as spam (score %.1f)",
			 score);
		metrics_filter_verdict(METRICS_FILTER_SPAM, "reject");
		smtp_stage_done(s, SMTP_STAGE_REJECT, reply, buf_cstr(&rules));
		buf_free(&rules);
		return;
	}
	strip_spam_fields(s);
	if (set->spam_threshold > 0 && score >= set->spam_threshold) {
		buf_appends(&s->stage_headers, "X-Spam: Yes\r\n");
		s->deliver_mailbox = "\\Junk"; /* the \\Junk special-use mailbox (store.h) */
	}
	metrics_filter_verdict(METRICS_FILTER_SPAM,
			       set->spam_threshold > 0 && score >= set->spam_threshold ? "junk"
										       : "ham");
	buf_printf(&s->stage_headers, "X-Spam-Score: %.1f (%s)\r\n", score,
		   rules.len > 0 ? buf_cstr(&rules) : "none");
	buf_free(&rules);
	smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
}

/* The first field called name (the value without the leading white space and the line
 * end, folds kept), malloc'ed; NULL when there is none. */
static char *
header_value(const struct smtp_session *s, const char *name)
{
	size_t hlen = rfc5322_header_size(s->msg.data, s->msg.len);
	size_t nlen = strlen(name);
	struct rfc5322_header_iter it;
	struct rfc5322_field f;

	rfc5322_header_iter_init(&it, s->msg.data, hlen);
	while (rfc5322_header_iter_next(&it, &f)) {
		if (!f.has_colon || f.name_len != nlen || str_ncasecmp(f.name, name, nlen) != 0)
			continue;
		const char *v = f.value, *end = f.value + f.value_len;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		return xstrndup(v, (size_t)(end - v));
	}
	return NULL;
}

static bool
rspamd_mode(const struct smtp_session *s)
{
	return strcmp(smtp_server_deps(s->server)->settings->spam_filter, "rspamd") == 0 &&
	       !smtp_session_is_trusted(s);
}

void
smtp_spam_before_milters(struct smtp_session *s)
{
	struct smtp_spam *sp;

	if (!rspamd_mode(s)) {
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	}
	/* an X-Spam: Yes the sender wrote must not pass for rspamd's */
	strip_spam_fields(s);
	smtp_spam_reset(s);
	sp = s->spam = xcalloc(1, sizeof(*sp));
	sp->session = s;
	sp->subject = header_value(s, "Subject");
	smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
}

/* spam_filter = rspamd: rspamd's milter answered "add header" (it set its spam_header,
 * X-Spam: Yes) or "rewrite subject" (it changed the Subject) -> Junk. Its reject was the
 * milter stage's reply already; its header fields stay as it left them. */
static void
rspamd_verdict(struct smtp_session *s)
{
	struct smtp_spam *sp = s->spam;
	char *flag = header_value(s, "X-Spam");
	char *subject = header_value(s, "Subject");
	const char *action = NULL;

	if (flag != NULL && str_casecmp(flag, "Yes") == 0)
		action = "add header";
	else if (sp != NULL && (subject == NULL) != (sp->subject == NULL))
		action = "rewrite subject";
	else if (sp != NULL && subject != NULL && strcmp(subject, sp->subject) != 0)
		action = "rewrite subject";
	if (action != NULL) {
		s->deliver_mailbox = "\\Junk"; /* the \\Junk special-use mailbox (store.h) */
		log_info("smtp: %s: rspamd verdict: %s: to Junk", s->qid, action);
	}
	metrics_filter_verdict(METRICS_FILTER_SPAM, action != NULL ? "junk" : "ham");
	free(flag);
	free(subject);
	if (sp != NULL) {
		s->spam = NULL;
		smtp_spam_free(sp);
	}
	smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
}

void
smtp_spam_end_of_data(struct smtp_session *s)
{
	const struct smtp_server_deps *deps = smtp_server_deps(s->server);
	const struct settings *set = deps->settings;
	const char *accounts[SPAM_CLASSIFY_MAX_ACCOUNTS];
	size_t n = 0;
	struct smtp_spam *sp;

	if (rspamd_mode(s)) {
		rspamd_verdict(s);
		return;
	}
	if (strcmp(set->spam_filter, "builtin") != 0 ||
	    (set->spam_threshold <= 0 && set->spam_reject_threshold <= 0) ||
	    smtp_session_is_trusted(s)) {
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	}
	for (size_t i = 0; i < s->n_rcpts && n < SPAM_CLASSIFY_MAX_ACCOUNTS; i++)
		for (size_t j = 0; s->rcpts[i].local[j] != NULL && n < SPAM_CLASSIFY_MAX_ACCOUNTS;
		     j++) {
			size_t k;
			for (k = 0; k < n && strcmp(accounts[k], s->rcpts[i].local[j]) != 0; k++)
				;
			if (k == n)
				accounts[n++] = s->rcpts[i].local[j];
		}
	smtp_spam_reset(s); /* a reload may have changed spam_filter since spam_mark */
	sp = xcalloc(1, sizeof(*sp));
	sp->session = s;
	sp->job = spam_classify_new(set, s->msg.data != NULL ? s->msg.data : "", s->msg.len,
				    accounts, n);
	s->spam = sp;
	/* the token stores are on disk and tokenizing costs CPU: a worker does both */
	workers_submit(deps->workers, spam_work, spam_done, sp);
}

void
smtp_spam_reset(struct smtp_session *s)
{
	struct smtp_spam *sp = s->spam;

	if (sp == NULL)
		return;
	s->spam = NULL;
	if (sp->job != NULL)
		sp->session = NULL; /* on a worker: its callback frees it */
	else
		smtp_spam_free(sp);
}
