/* The spam score of a message (docs/spam.md "Rules"): the sum of the points of the rules
 * that hit, from the mail authentication verdicts, the DNS blocklists, the header checks
 * (spam_checks.h) and the Bayesian probability (spam_bayes.h). Pure. */
#ifndef MAIL_SPAM_SCORE_H
#define MAIL_SPAM_SCORE_H
#include <stddef.h>

#include "util/buf.h"

/* A verdict of SPF, DKIM or DMARC as the spam filter sees it. */
enum spam_auth {
	SPAM_AUTH_NONE = 0, /* not checked, no record, no signature, temperror... */
	SPAM_AUTH_PASS,
	SPAM_AUTH_FAIL,
	SPAM_AUTH_SOFTFAIL, /* SPF ~all */
};

/* What other parts of the server found about the message; all zero = nothing known.
 * Filled by the SMTP stage from the session (smtp_spam.c spam_inputs_fill()). */
struct spam_inputs {
	enum spam_auth spf, dkim, dmarc;
	double dnsbl; /* the summed weights of the blocklists that list the client */
};

#define SPAM_BAYES_NONE (-1.0) /* no Bayesian probability (too little training) */

/* Points of each rule. */
#define SPAM_POINTS_GTUBE 1000.0
#define SPAM_POINTS_SPF_FAIL 2.0
#define SPAM_POINTS_SPF_SOFTFAIL 1.0
#define SPAM_POINTS_DKIM_FAIL 1.0
#define SPAM_POINTS_DMARC_FAIL 3.0
#define SPAM_POINTS_DMARC_PASS (-1.0)
#define SPAM_POINTS_NO_DATE 1.0
#define SPAM_POINTS_NO_MESSAGE_ID 1.0
#define SPAM_POINTS_FROM_SPOOF 2.5
#define SPAM_POINTS_RECEIVED_FORGED 2.0
/* Bayes: linear in the probability, -6 at 0 (ham), 0 at 0.5, +6 at 1 (spam): on its own a
 * clear verdict crosses the default spam_threshold (5) either way. */
#define SPAM_POINTS_BAYES 6.0

/* The score; appends the rules that hit to rules ("BAYES=5.9 NO_DATE=1.0", without a
 * leading space; may be NULL). checks are spam_checks_run() bits; bayes is a probability
 * or SPAM_BAYES_NONE. */
double spam_score(const struct spam_inputs *in, unsigned checks, double bayes, struct buf *rules);

#endif
