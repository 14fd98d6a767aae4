/* The "mailauth" stage: SPF at MAIL, DKIM while the data streams, DMARC at end of data, and
 * our Authentication-Results field. See smtp_mailauth.h. */
#include "smtp/smtp_mailauth.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/settings.h"
#include "dns/dns.h"
#include "log/log.h"
#include "mail/rfc5322.h"
#include "mailauth/arc_verify.h"
#include "mailauth/authres.h"
#include "mailauth/dkim_verify.h"
#include "mailauth/spf.h"
#include "mailauth/spf_dns.h"
#include "smtp/smtp_session.h"
#include "smtp/smtp_stage.h"
#include "util/buf.h"
#include "util/metrics.h"
#include "util/xmalloc.h"

/* Where a message goes when the From: domain's DMARC policy says quarantine: the mailbox
 * with the \Junk special-use (RFC 6154), "Junk" unless the user renamed it; INBOX if the
 * account has none (store.h, store_target.mailbox). */
#define SMTP_MAILAUTH_JUNK "\\Junk"

struct mailauth_key {
	struct smtp_mailauth *ma;
	size_t i;            /* the verifier's key index */
	bool arc;            /* a key of the ARC verifier, not of the DKIM one */
	struct dns_query *q; /* while pending and not answered inside dns_lookup_txt() */
	bool pending;
};

struct smtp_mailauth {
	struct smtp_session *s;
	struct dns *dns;
	struct smtp_mailauth_verdicts v;
	bool decided; /* v is filled in */

	/* SPF (RFC 7208), started at MAIL */
	struct spf_resolver resolver;
	struct spf_check *spf;
	bool spf_pending;
	enum spf_result spf_result;
	char *spf_problem;

	/* the header, found as the data streams */
	bool header_done;
	size_t scan; /* s->msg searched this far for the header's end */

	/* DKIM (RFC 6376) and ARC (RFC 8617): their key lookups share one array */
	struct dkim_verify *dkim;
	struct arc_verify *arc;
	struct mailauth_key *keys;
	size_t n_keys;

	/* DMARC (RFC 7489): the policy lookups start with the header too */
	struct dmarc_eval *dmarc;
	struct dns_query *dmarc_q;
	bool dmarc_pending;
	bool dmarc_inline; /* inside dns_lookup_txt(): the answer loop goes on there */

	/* end of data */
	bool waiting;
	struct event *timer; /* mailauth_timeout */
	struct buf log;
};

static const struct settings *
mailauth_settings(const struct smtp_session *s)
{
	return smtp_server_deps(s->server)->settings;
}

static enum smtp_mailauth_mode
mailauth_mode(struct smtp_session *s)
{
	const struct smtp_server_deps *deps = smtp_server_deps(s->server);

	if (!deps->settings->mailauth_checks || deps->dns == NULL)
		return SMTP_MAILAUTH_OFF;
	/* our own users' mail: checking it would only judge our own DNS records */
	if (s->auth_user != NULL)
		return SMTP_MAILAUTH_SUBMISSION;
	if (smtp_session_is_trusted(s))
		return SMTP_MAILAUTH_MYNETWORKS;
	/* the submission listeners take mail only after AUTH */
	if (s->kind != SMTP_LISTENER_SMTP)
		return SMTP_MAILAUTH_OFF;
	return SMTP_MAILAUTH_CHECKED;
}

static bool
mailauth_pending(const struct smtp_mailauth *ma)
{
	size_t i;

	if (ma->spf_pending || ma->dmarc_pending)
		return true;
	for (i = 0; i < ma->n_keys; i++)
		if (ma->keys[i].pending)
			return true;
	return false;
}

static void mailauth_decide(struct smtp_mailauth *ma);

/* A lookup finished: at end of data, decide once nothing is in flight. */
static void
mailauth_check_done(struct smtp_mailauth *ma)
{
	if (ma->waiting && !mailauth_pending(ma))
		mailauth_decide(ma);
}

/* ---- SPF ---- */

static void
mailauth_spf_done(void *ctx, enum spf_result result, const char *explanation, const char *problem)
{
	struct smtp_mailauth *ma = ctx;

	(void)explanation; /* we do not reject on SPF alone: DMARC decides (RFC 7489 10.1) */
	ma->spf = NULL;
	ma->spf_pending = false;
	ma->spf_result = result;
	if (problem != NULL)
		ma->spf_problem = xstrdup(problem);
	mailauth_check_done(ma);
}

/* The domain SPF checked, for DMARC alignment (RFC 7489 3.1.2): MAIL FROM's, or HELO's. */
static const char *
mailauth_spf_domain(const struct smtp_mailauth *ma)
{
	const struct smtp_session *s = ma->s;
	const char *at;

	if (ma->v.spf_helo)
		return s->helo;
	at = strrchr(s->mail_from, '@');
	return at != NULL ? at + 1 : s->mail_from;
}

void
smtp_mailauth_mail(struct smtp_session *s)
{
	const struct settings *set = mailauth_settings(s);
	struct smtp_mailauth *ma;
	struct spf_check_params p;

	smtp_mailauth_reset(s);
	ma = xcalloc(1, sizeof(*ma));
	ma->s = s;
	ma->v.mode = mailauth_mode(s);
	s->mailauth = ma;
	if (ma->v.mode != SMTP_MAILAUTH_CHECKED)
		return;
	ma->dns = smtp_server_deps(s->server)->dns;
	ma->resolver = spf_dns_resolver(ma->dns);
	/* RFC 7208 2.3, 2.4: the MAIL FROM identity, or HELO's for the null reverse-path */
	ma->v.spf_helo = s->mail_from[0] == '\0';
	memset(&p, 0, sizeof(p));
	p.ip = s->base.ip;
	p.mailfrom = s->mail_from;
	p.helo = s->helo != NULL ? s->helo : "";
	p.receiver = set->myhostname;
	p.now = time(NULL);
	ma->spf_pending = true;
	ma->spf = spf_check_start(&ma->resolver, &p, mailauth_spf_done, ma);
}

/* ---- DNS answers as the verifiers want them ---- */

struct mailauth_txts {
	const char **txt;
	size_t *len;
	size_t n;
};

static void
mailauth_txts_of(struct mailauth_txts *t, enum dns_status st, const struct dns_rr *rrs, size_t n)
{
	size_t i;

	t->n = st == DNS_OK ? n : 0;
	t->txt = xcalloc(t->n ? t->n : 1, sizeof(*t->txt));
	t->len = xcalloc(t->n ? t->n : 1, sizeof(*t->len));
	for (i = 0; i < t->n; i++) {
		t->txt[i] = rrs[i].data;
		t->len[i] = rrs[i].len;
	}
}

static void
mailauth_txts_free(struct mailauth_txts *t)
{
	free(t->txt);
	free(t->len);
}

/* ---- DKIM keys ---- */

static void
mailauth_key_answer(void *ctx, enum dns_status st, const struct dns_rr *rrs, size_t n,
		    const char *error)
{
	struct mailauth_key *k = ctx;
	struct smtp_mailauth *ma = k->ma;
	struct mailauth_txts t;
	enum dkim_dns_rcode rc = st == DNS_OK         ? DKIM_DNS_OK
				 : st == DNS_TEMPFAIL ? DKIM_DNS_TEMPFAIL
						      : DKIM_DNS_NXDOMAIN;

	(void)error;
	k->q = NULL;
	k->pending = false;
	mailauth_txts_of(&t, st, rrs, n);
	if (k->arc)
		arc_verify_key_answer(ma->arc, k->i, rc, t.txt, t.len, t.n);
	else
		dkim_verify_key_answer(ma->dkim, k->i, rc, t.txt, t.len, t.n);
	mailauth_txts_free(&t);
	mailauth_check_done(ma);
}

/* ---- DMARC policy records ---- */

static void mailauth_dmarc_step(struct smtp_mailauth *ma);

static void
mailauth_dmarc_answer(void *ctx, enum dns_status st, const struct dns_rr *rrs, size_t n,
		      const char *error)
{
	struct smtp_mailauth *ma = ctx;
	struct mailauth_txts t;
	enum dmarc_dns rc = st == DNS_OK         ? DMARC_DNS_OK
			    : st == DNS_TEMPFAIL ? DMARC_DNS_TEMPFAIL
						 : DMARC_DNS_NXDOMAIN;

	(void)error;
	ma->dmarc_q = NULL;
	ma->dmarc_pending = false;
	mailauth_txts_of(&t, st, rrs, n);
	dmarc_eval_answer(ma->dmarc, rc, t.txt, t.len, t.n);
	mailauth_txts_free(&t);
	if (ma->dmarc_inline)
		return; /* mailauth_dmarc_step's loop asks the next name */
	mailauth_dmarc_step(ma);
	mailauth_check_done(ma);
}

/* Asks the names the evaluation wants (the From: domain's, then maybe the organizational
 * domain's: RFC 7489 6.6.3), one at a time; cached answers come back inside the call. */
static void
mailauth_dmarc_step(struct smtp_mailauth *ma)
{
	const char *name;

	while (!ma->dmarc_pending && (name = dmarc_eval_query(ma->dmarc)) != NULL) {
		struct dns_query *q;

		ma->dmarc_pending = true;
		ma->dmarc_inline = true;
		q = dns_lookup_txt(ma->dns, name, mailauth_dmarc_answer, ma);
		ma->dmarc_inline = false;
		if (ma->dmarc_pending)
			ma->dmarc_q = q;
	}
}

/* ---- the header ---- */

/* The size of the header with its empty line once s->msg holds it all, else 0 (*scan: how
 * far the search got, so each byte is looked at about once). */
static size_t
mailauth_header_end(const char *m, size_t len, size_t *scan)
{
	size_t i;

	if (len >= 1 && m[0] == '\n')
		return 1;
	if (len >= 2 && m[0] == '\r' && m[1] == '\n')
		return 2;
	for (i = *scan; i < len; i++) {
		if (m[i] != '\n')
			continue;
		if (i + 1 >= len)
			break;
		if (m[i + 1] == '\n')
			return i + 2;
		if (m[i + 1] == '\r') {
			if (i + 2 >= len)
				break;
			if (m[i + 2] == '\n')
				return i + 3;
		}
	}
	*scan = i;
	return 0;
}

/* The header is complete: parse the signatures and the From: field, start the key and
 * policy lookups (they run while the body arrives). */
static void
mailauth_header(struct smtp_mailauth *ma, const char *hdr, size_t len)
{
	const struct settings *set = mailauth_settings(ma->s);
	struct dkim_verify_policy pol;
	size_t i, n_dkim;

	ma->header_done = true;
	dkim_verify_policy_default(&pol);
	pol.max_signatures = set->dkim_verify_max_signatures;
	/* RFC 8301 3.2: a signature with a shorter RSA key is not valid: a fail, like rsa-sha1
	 * (3.1), not an error of the signer's record */
	pol.rsa_short_status = DKIM_STATUS_FAIL;
	ma->dkim = dkim_verify_new(&pol, time(NULL));
	dkim_verify_header(ma->dkim, hdr, len);
	/* RFC 8617 5.2: the chain's AMS and seals use DKIM's key records and algorithms */
	ma->arc = arc_verify_new(&pol, time(NULL));
	arc_verify_header(ma->arc, hdr, len);
	ma->dmarc = dmarc_eval_new(hdr, len);
	n_dkim = dkim_verify_key_count(ma->dkim);
	ma->n_keys = n_dkim + arc_verify_key_count(ma->arc);
	ma->keys = xcalloc(ma->n_keys ? ma->n_keys : 1, sizeof(*ma->keys));
	for (i = 0; i < ma->n_keys; i++) {
		struct mailauth_key *k = &ma->keys[i];
		struct dns_query *q;

		k->ma = ma;
		k->arc = i >= n_dkim;
		k->i = k->arc ? i - n_dkim : i;
		k->pending = true;
		/* the shared cache answers a key both verifiers need from one query */
		q = dns_lookup_txt(ma->dns,
				   k->arc ? arc_verify_key_name(ma->arc, k->i)
					  : dkim_verify_key_name(ma->dkim, k->i),
				   mailauth_key_answer, k);
		if (k->pending)
			k->q = q;
	}
	/* a header DMARC cannot be applied to is refused at end of data: no lookup */
	if (dmarc_eval_from_status(ma->dmarc) == DMARC_FROM_OK)
		mailauth_dmarc_step(ma);
}

void
smtp_mailauth_data(struct smtp_session *s, const char *bytes, size_t len)
{
	struct smtp_mailauth *ma = s->mailauth;
	size_t h;

	if (ma == NULL || ma->v.mode != SMTP_MAILAUTH_CHECKED)
		return;
	if (ma->header_done) {
		dkim_verify_body(ma->dkim, bytes, len);
		arc_verify_body(ma->arc, bytes, len);
		return;
	}
	/* the bytes so far are in s->msg: look there for the header's end */
	h = mailauth_header_end(s->msg.data, s->msg.len, &ma->scan);
	if (h == 0)
		return;
	mailauth_header(ma, s->msg.data, h);
	if (s->msg.len > h) {
		dkim_verify_body(ma->dkim, s->msg.data + h, s->msg.len - h);
		arc_verify_body(ma->arc, s->msg.data + h, s->msg.len - h);
	}
}

/* ---- end of data ---- */

/* RFC 8601 5: every incoming Authentication-Results field that claims our authserv-id is
 * removed before ours is added, so nobody upstream can forge our verdict. Only the header is
 * rewritten; the message is copied only when there is something to remove. */
static void
mailauth_strip_ours(struct smtp_session *s)
{
	const char *id = mailauth_settings(s)->myhostname;
	size_t h = rfc5322_header_size(s->msg.data, s->msg.len);
	struct rfc5322_field f;
	struct buf out = BUF_INIT;
	size_t n;

	if (s->msg.len == 0 || authres_find_ours(s->msg.data, h, id, &f, 1) == 0)
		return;
	n = authres_strip_ours(s->msg.data, h, id, &out);
	buf_append(&out, s->msg.data + h, s->msg.len - h);
	buf_free(&s->msg);
	s->msg = out;
	log_info("smtp: %s: removed %zu Authentication-Results field%s claiming to be ours (%s)",
		 s->qid, n, n == 1 ? "" : "s", id);
}

/* The arc= result (RFC 8617 10.1): the chain validation (cv=none/pass/fail), the sealers,
 * the oldest pass and the client's address, which a later forwarder's ARC set carries on. */
static void
mailauth_authres_arc(struct authres_builder *b, const struct smtp_mailauth *ma)
{
	arc_verify_authres(ma->arc, b, ma->s->base.ip);
}

static void
mailauth_authres(struct smtp_mailauth *ma, const struct dkim_result *r, size_t n,
		 const struct dmarc_verdict *dv)
{
	struct smtp_session *s = ma->s;
	struct authres_builder b;
	size_t i;

	authres_begin(&b, &s->stage_headers, mailauth_settings(s)->myhostname, 0);
	/* RFC 8601 2.7.2: smtp.mailfrom, or smtp.helo when the HELO identity was checked */
	authres_method(&b, "spf", spf_result_name(ma->spf_result));
	if (ma->spf_problem != NULL)
		authres_reason(&b, ma->spf_problem);
	if (ma->v.spf_helo)
		authres_prop(&b, "smtp", "helo", s->helo != NULL ? s->helo : "");
	else
		authres_prop(&b, "smtp", "mailfrom", s->mail_from);
	/* RFC 8601 2.7.1: one result per signature; none when the message has none */
	if (n == 0)
		authres_method(&b, "dkim", "none");
	for (i = 0; i < n; i++) {
		authres_method(&b, "dkim", dkim_status_name(r[i].status));
		if (r[i].status != DKIM_STATUS_PASS && r[i].reason[0] != '\0')
			authres_reason(&b, r[i].reason);
		if (r[i].testing)
			authres_comment(&b, "key in testing mode");
		if (r[i].domain != NULL)
			authres_prop(&b, "header", "d", r[i].domain);
		if (r[i].selector != NULL)
			authres_prop(&b, "header", "s", r[i].selector);
		if (r[i].b_text != NULL)
			authres_prop_b(&b, r[i].b_text);
	}
	/* RFC 7489 11.2: dmarc with header.from; the policy asked for, as policy.dmarc */
	authres_method(&b, "dmarc", dmarc_result_name(dv->result));
	if (dv->result != DMARC_RESULT_PASS && dv->result != DMARC_RESULT_NONE &&
	    dv->reason != NULL)
		authres_reason(&b, dv->reason);
	if (dv->from_domain[0] != '\0')
		authres_prop(&b, "header", "from", dv->from_domain);
	if (dv->policy != DMARC_POLICY_UNSET)
		authres_prop(&b, "policy", "dmarc", dmarc_policy_name(dv->disposition));
	mailauth_authres_arc(&b, ma);
	authres_end(&b);
}

static void
mailauth_log_fields(struct smtp_mailauth *ma, const struct dkim_result *r, size_t n)
{
	size_t i;

	buf_printf(&ma->log, " spf=%s%s dkim=", spf_result_name(ma->spf_result),
		   ma->v.spf_helo ? "(helo)" : "");
	if (n == 0)
		buf_appends(&ma->log, "none");
	for (i = 0; i < n && i < 10; i++)
		buf_printf(&ma->log, "%s%s", i ? "," : "", dkim_status_name(r[i].status));
	if (n > 10)
		buf_appends(&ma->log, ",...");
	buf_printf(&ma->log, " dmarc=%s", dmarc_result_name(ma->v.dmarc));
	if (ma->v.dmarc == DMARC_RESULT_FAIL)
		buf_printf(&ma->log, "(p=%s)", dmarc_policy_name(ma->v.dmarc_disposition));
	if (ma->v.from_domain[0] != '\0')
		buf_printf(&ma->log, " header.from=%s", ma->v.from_domain);
	if (ma->v.arc_sets > 0)
		buf_printf(&ma->log, " arc=%s(i=%u)", arc_cv_name(ma->v.arc), ma->v.arc_sets);
	if (ma->v.quarantined)
		buf_appends(&ma->log, " mailbox=Junk");
}

/* Everything answered (or mailauth_timeout passed): decide. The last thing it does is
 * smtp_stage_done(), after which ma may be gone. */
static void
mailauth_decide(struct smtp_mailauth *ma)
{
	struct smtp_session *s = ma->s;
	const struct settings *set = mailauth_settings(s);
	const struct dkim_result *r;
	const char **pass_domains;
	struct dmarc_auth auth;
	struct dmarc_verdict dv;
	bool uncertain;
	size_t n, i, n_pass = 0;
	char reply[600];

	ma->waiting = false;
	if (ma->timer != NULL)
		evtimer_del(ma->timer);
	dkim_verify_finish(ma->dkim);
	arc_verify_finish(ma->arc);
	ma->v.arc = arc_verify_result(ma->arc)->cv;
	ma->v.arc_sets = arc_verify_result(ma->arc)->n_sets;
	r = dkim_verify_results(ma->dkim, &n);
	pass_domains = xcalloc(n ? n : 1, sizeof(*pass_domains));
	for (i = 0; i < n; i++) {
		if (r[i].status == DKIM_STATUS_TEMPERROR)
			ma->v.temperror = true;
		if (r[i].status == DKIM_STATUS_PASS && r[i].domain != NULL)
			pass_domains[n_pass++] = r[i].domain;
	}
	memset(&auth, 0, sizeof(auth));
	auth.spf_pass = ma->spf_result == SPF_RESULT_PASS;
	auth.spf_domain = mailauth_spf_domain(ma);
	auth.dkim_pass_domains = pass_domains;
	auth.dkim_pass_count = n_pass;
	dmarc_eval_finish(ma->dmarc, &auth, NULL, NULL, &dv);
	free(pass_domains);

	ma->v.spf = ma->spf_result;
	if (ma->spf_result == SPF_RESULT_TEMPERROR || dv.result == DMARC_RESULT_TEMPERROR)
		ma->v.temperror = true;
	ma->v.dkim_signatures = n;
	ma->v.dkim_pass = n_pass;
	ma->v.dkim_best = n_pass > 0 ? DKIM_STATUS_PASS : n > 0 ? r[0].status : DKIM_STATUS_NEUTRAL;
	ma->v.dmarc = dv.result;
	metrics_filter_verdict(METRICS_FILTER_SPF, spf_result_name(ma->spf_result));
	metrics_filter_verdict(METRICS_FILTER_DKIM,
			       n == 0 ? "none" : dkim_status_name(ma->v.dkim_best));
	metrics_filter_verdict(METRICS_FILTER_DMARC, dmarc_result_name(dv.result));
	ma->v.dmarc_policy = dv.policy;
	ma->v.dmarc_disposition = dv.disposition;
	ma->v.dmarc_spf_aligned = dv.spf_aligned;
	ma->v.dmarc_dkim_aligned = dv.dkim_aligned;
	memcpy(ma->v.from_domain, dv.from_domain, sizeof(ma->v.from_domain));
	/* a fail decided while a lookup failed might have been a pass: it is a temperror for
	 * what we do with the message (never lose mail over a DNS failure) */
	uncertain = dv.result == DMARC_RESULT_TEMPERROR ||
		    (dv.result == DMARC_RESULT_FAIL && ma->v.temperror);
	if (dv.result == DMARC_RESULT_FAIL && !uncertain && set->dmarc_enforce &&
	    dv.disposition == DMARC_POLICY_QUARANTINE) {
		ma->v.quarantined = true;
		s->deliver_mailbox = SMTP_MAILAUTH_JUNK;
	}
	ma->decided = true;
	mailauth_log_fields(ma, r, n);

	if (dv.result == DMARC_RESULT_FAIL && !uncertain && set->dmarc_enforce &&
	    dv.disposition == DMARC_POLICY_REJECT) {
		/* RFC 7489 6.6.4, 10.3: reject at end of data, with a reason */
		snprintf(reply, sizeof(reply),
			 "550 5.7.1 Message rejected: the DMARC policy of %s says reject and the "
			 "message is not authenticated for it (%s)",
			 dv.from_domain, dv.reason != NULL ? dv.reason : "not aligned");
		smtp_stage_done(s, SMTP_STAGE_REJECT, reply, buf_cstr(&ma->log) + 1);
		return;
	}
	if (uncertain && set->dmarc_temperror) {
		smtp_stage_done(
			s, SMTP_STAGE_REJECT,
			"451 4.7.5 Temporary DNS failure while checking SPF, DKIM or DMARC, "
			"try again later",
			buf_cstr(&ma->log) + 1);
		return;
	}
	mailauth_strip_ours(s);
	mailauth_authres(ma, r, n, &dv);
	smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
}

/* mailauth_timeout passed at end of data: what is still in flight is a temperror. */
static void
mailauth_on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_mailauth *ma = arg;
	size_t i;

	(void)fd;
	(void)what;
	log_info("smtp: %s: SPF/DKIM/DMARC lookups not done after %u ms: temperror", ma->s->qid,
		 mailauth_settings(ma->s)->mailauth_timeout);
	if (ma->spf_pending) {
		spf_check_cancel(&ma->spf);
		ma->spf_pending = false;
		ma->spf_result = SPF_RESULT_TEMPERROR;
		free(ma->spf_problem);
		ma->spf_problem = xstrdup("DNS lookups timed out");
	}
	for (i = 0; i < ma->n_keys; i++) {
		/* an unanswered key is a temperror in dkim_verify_finish */
		if (ma->keys[i].pending && ma->keys[i].q != NULL)
			dns_cancel(ma->keys[i].q);
		ma->keys[i].q = NULL;
		ma->keys[i].pending = false;
	}
	if (ma->dmarc_pending) {
		/* an unanswered policy query is a temperror in dmarc_eval_finish */
		if (ma->dmarc_q != NULL)
			dns_cancel(ma->dmarc_q);
		ma->dmarc_q = NULL;
		ma->dmarc_pending = false;
	}
	ma->v.temperror = true;
	mailauth_decide(ma);
}

void
smtp_mailauth_end_of_data(struct smtp_session *s)
{
	struct smtp_mailauth *ma = s->mailauth;
	const struct settings *set = mailauth_settings(s);
	enum dmarc_from_status from;
	char reply[300];

	if (ma == NULL || ma->v.mode != SMTP_MAILAUTH_CHECKED) {
		mailauth_strip_ours(s);
		if (ma != NULL && ma->v.mode == SMTP_MAILAUTH_SUBMISSION) {
			authres_not_checked_submission(&s->stage_headers, set->myhostname,
						       s->auth_user);
			buf_appends(&ma->log, " mailauth=not-checked(submission)");
		} else if (ma != NULL && ma->v.mode == SMTP_MAILAUTH_MYNETWORKS) {
			authres_not_checked_mynetworks(&s->stage_headers, set->myhostname);
			buf_appends(&ma->log, " mailauth=not-checked(mynetworks)");
		}
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	}
	if (!ma->header_done)
		mailauth_header(ma, s->msg.data, rfc5322_header_size(s->msg.data, s->msg.len));
	/* RFC 7489 6.6.1: exactly one From: with exactly one address, or DMARC cannot be
	 * applied; such a message is refused */
	from = dmarc_eval_from_status(ma->dmarc);
	if (from != DMARC_FROM_OK) {
		snprintf(reply, sizeof(reply),
			 "550 5.7.1 Message refused: %s (DMARC needs exactly one From: address, "
			 "RFC 7489 6.6.1)",
			 dmarc_from_status_text(from));
		smtp_stage_done(s, SMTP_STAGE_REJECT, reply, "From: rule");
		return;
	}
	ma->waiting = true;
	if (!mailauth_pending(ma)) {
		mailauth_decide(ma);
		return;
	}
	if (ma->timer == NULL) {
		struct timeval tv = {set->mailauth_timeout / 1000,
				     (suseconds_t)(set->mailauth_timeout % 1000) * 1000};

		ma->timer = evtimer_new(smtp_server_deps(s->server)->base, mailauth_on_timeout, ma);
		evtimer_add(ma->timer, &tv);
	}
}

void
smtp_mailauth_reset(struct smtp_session *s)
{
	struct smtp_mailauth *ma = s->mailauth;
	size_t i;

	if (ma == NULL)
		return;
	s->mailauth = NULL;
	if (ma->spf != NULL)
		spf_check_cancel(&ma->spf);
	for (i = 0; i < ma->n_keys; i++)
		if (ma->keys[i].pending && ma->keys[i].q != NULL)
			dns_cancel(ma->keys[i].q);
	if (ma->dmarc_pending && ma->dmarc_q != NULL)
		dns_cancel(ma->dmarc_q);
	if (ma->timer != NULL)
		event_free(ma->timer);
	dkim_verify_free(&ma->dkim);
	arc_verify_free(&ma->arc);
	dmarc_eval_free(&ma->dmarc);
	free(ma->keys);
	free(ma->spf_problem);
	buf_free(&ma->log);
	free(ma);
}

const struct smtp_mailauth_verdicts *
smtp_mailauth_verdicts(const struct smtp_session *s)
{
	const struct smtp_mailauth *ma = s->mailauth;

	return ma != NULL && (ma->decided || ma->v.mode != SMTP_MAILAUTH_CHECKED) ? &ma->v : NULL;
}

const char *
smtp_mailauth_dkim_pass_domain(const struct smtp_session *s, size_t index)
{
	const struct smtp_mailauth *ma = s->mailauth;
	const struct dkim_result *r;
	size_t n;

	if (ma == NULL || !ma->decided || ma->dkim == NULL)
		return NULL;
	r = dkim_verify_results(ma->dkim, &n);
	for (size_t i = 0; i < n; i++)
		if (r[i].status == DKIM_STATUS_PASS && r[i].domain != NULL && index-- == 0)
			return r[i].domain;
	return NULL;
}

const char *
smtp_mailauth_log_fields(const struct smtp_session *s)
{
	const struct smtp_mailauth *ma = s->mailauth;

	return ma != NULL && ma->log.len > 0 ? buf_cstr(&ma->log) : "";
}
