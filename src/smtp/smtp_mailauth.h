/* The "mailauth" transaction stage (smtp_stage.h): SPF, DKIM and DMARC on mail that comes in
 * on port 25 from clients that are not ours (not mynetworks, not authenticated).
 *
 *   MAIL              SPF check_host() starts (RFC 7208; the HELO identity for MAIL FROM:<>)
 *   data streams      at the end of the header: the DKIM key lookups and the DMARC policy
 *                     lookup start; the body is hashed as it arrives (RFC 6376)
 *   end of data       waits (at most mailauth_timeout) for what is still in flight, then
 *                     DMARC (RFC 7489): 550 5.7.1 for p=reject (dmarc_enforce), the Junk
 *                     mailbox for p=quarantine, 451 4.7.5 for a DNS failure when
 *                     dmarc_temperror = defer; our Authentication-Results field (RFC 8601)
 *                     goes into s->stage_headers after every incoming one that claims our
 *                     authserv-id was removed from s->msg
 *   reset             everything in flight is cancelled
 *
 * The verdicts stay in the session until the transaction is forgotten, for the log line
 * and for the stages that run after this one (the spam filter). */
#ifndef SMTP_SMTP_MAILAUTH_H
#define SMTP_SMTP_MAILAUTH_H
#include <stdbool.h>
#include <stddef.h>

#include "mailauth/arc_chain.h"
#include "mailauth/dkim_sig.h"
#include "mailauth/dmarc.h"
#include "mailauth/spf_record.h"

struct smtp_session;

/* The stage's hooks, for its row in smtp_stage.c's table (contracts in smtp_stage.h). */
void smtp_mailauth_mail(struct smtp_session *s);
void smtp_mailauth_data(struct smtp_session *s, const char *bytes, size_t len);
void smtp_mailauth_end_of_data(struct smtp_session *s);
void smtp_mailauth_reset(struct smtp_session *s);

enum smtp_mailauth_mode {
	SMTP_MAILAUTH_OFF = 0,    /* mailauth_checks = no, or no DNS: nothing checked or added */
	SMTP_MAILAUTH_CHECKED,    /* SPF, DKIM and DMARC ran */
	SMTP_MAILAUTH_SUBMISSION, /* authenticated client: ours, not checked */
	SMTP_MAILAUTH_MYNETWORKS, /* a mynetworks client: ours, not checked */
};

/* What the checks found, for the spam filter and the log. Valid from this stage's end of
 * data until the transaction is reset. */
struct smtp_mailauth_verdicts {
	enum smtp_mailauth_mode mode;
	enum spf_result spf;
	bool spf_helo;              /* the HELO identity was checked (MAIL FROM:<>) */
	size_t dkim_signatures;     /* results below (DKIM-Signature fields, at most 50) */
	size_t dkim_pass;           /* of them, verified */
	enum dkim_status dkim_best; /* pass if any passed, else the first one's */
	enum dmarc_result dmarc;
	enum dmarc_policy dmarc_policy;      /* p (or sp) of the record found; UNSET: none */
	enum dmarc_policy dmarc_disposition; /* what the policy asked for this message */
	bool dmarc_spf_aligned, dmarc_dkim_aligned;
	enum arc_cv arc;   /* RFC 8617 chain validation; ARC_CV_NONE when there is no chain */
	unsigned arc_sets; /* the chain's length (the highest instance), 0: none */
	bool temperror;    /* a lookup failed or timed out (SPF, a DKIM key, the DMARC record, an
			      ARC key) */
	bool quarantined;  /* delivered to Junk */
	char from_domain[DMARC_DOMAIN_MAX]; /* the RFC5322.From domain, "" if none */
};

/* NULL until this stage's end of data ran (or when the stage is off). */
const struct smtp_mailauth_verdicts *smtp_mailauth_verdicts(const struct smtp_session *s);

/* The d= (lower-cased) of the index-th DKIM signature that verified; NULL past the last
 * one or before this stage's end of data. Valid until the transaction is reset. */
const char *smtp_mailauth_dkim_pass_domain(const struct smtp_session *s, size_t index);

/* The verdicts as log fields, " spf=pass dkim=pass dmarc=pass" (leading space), or "" when
 * nothing was checked. Valid until the transaction is reset. */
const char *smtp_mailauth_log_fields(const struct smtp_session *s);

#endif
