/* DMARC evaluation (RFC 7489 6.6): the RFC5322.From domain, policy discovery at the From
 * domain then at its organizational domain (6.6.3), alignment of the SPF and DKIM results
 * (3.1), and the disposition (p/sp, pct, 6.6.4). The core does no DNS: like the DKIM
 * verifier, the caller looks up the TXT name dmarc_eval_query() gives and hands the answer
 * back, as often as asked (at most twice). The SMTP stage: src/smtp/smtp_mailauth.c. */
#ifndef MAILAUTH_DMARC_H
#define MAILAUTH_DMARC_H
#include <stdbool.h>
#include <stddef.h>

#include "mailauth/dmarc_org.h"
#include "mailauth/dmarc_record.h"

enum dmarc_result {
	DMARC_RESULT_NONE = 0, /* no policy record (or From: not evaluable, see from) */
	DMARC_RESULT_PASS,
	DMARC_RESULT_FAIL,
	DMARC_RESULT_TEMPERROR, /* the record lookup failed for now */
	DMARC_RESULT_PERMERROR, /* the From: domain is not a domain name (e.g. an address literal)
				 */
};

/* The From: rule (RFC 7489 6.6.1): a message must have exactly one From: field holding exactly
 * one address with a domain, or DMARC cannot be applied; the SMTP layer refuses such mail
 * (550 5.7.1). Anything but OK stops the evaluation before any lookup. */
enum dmarc_from_status {
	DMARC_FROM_OK = 0,
	DMARC_FROM_MISSING,            /* no From: field */
	DMARC_FROM_MULTIPLE_FIELDS,    /* several From: fields */
	DMARC_FROM_MULTIPLE_ADDRESSES, /* one From: with several addresses */
	DMARC_FROM_NO_ADDRESS,         /* a From: with no address, or an address without a domain */
	DMARC_FROM_BAD_DOMAIN,         /* the domain is not a valid domain name */
};

enum dmarc_dns {
	DMARC_DNS_OK = 0,   /* TXT records given (maybe none of them DMARC) */
	DMARC_DNS_NXDOMAIN, /* the name or its TXT records do not exist */
	DMARC_DNS_TEMPFAIL, /* timeout, SERVFAIL... */
};

/* What SPF and DKIM said (the caller ran them). */
struct dmarc_auth {
	bool spf_pass;          /* SPF result was pass */
	const char *spf_domain; /* the domain SPF checked (MAIL FROM, or HELO for <>), or NULL */
	const char *const *dkim_pass_domains; /* the d= of each signature that verified pass */
	size_t dkim_pass_count;
};

/* Returns a number in [0, 100) for pct sampling; NULL in dmarc_eval_finish: random(). */
typedef unsigned (*dmarc_random_fn)(void *ctx);

struct dmarc_verdict {
	enum dmarc_result result;
	enum dmarc_from_status from;
	const char *reason; /* static text, for the log and the Authentication-Results comment */
	char from_domain[DMARC_DOMAIN_MAX];   /* header.from, lower-cased; "" if none */
	char policy_domain[DMARC_DOMAIN_MAX]; /* where the record was found; "" if none */
	bool org_record;                      /* the record was the organizational domain's */
	enum dmarc_policy policy; /* requested: p, or sp for a subdomain (UNSET: none) */
	/* what to do with the message: NONE for pass, else policy, one step softer (6.6.4)
	 * when pct sampling left the message out */
	enum dmarc_policy disposition;
	bool sampled_out;
	bool spf_aligned, dkim_aligned;
};

struct dmarc_eval;

/* Starts an evaluation for the message header hdr[0..len) (the whole header; the body, if
 * it follows the empty line, is not looked at). Never NULL. */
struct dmarc_eval *dmarc_eval_new(const char *hdr, size_t len);
/* The From: rule's verdict on the header. */
enum dmarc_from_status dmarc_eval_from_status(const struct dmarc_eval *e);
/* The TXT name to look up next ("_dmarc.example.com"), or NULL when no lookup is needed. */
const char *dmarc_eval_query(const struct dmarc_eval *e);
/* The answer to the current query: txts[i] of lens[i] bytes (each TXT RR's strings joined). */
void dmarc_eval_answer(struct dmarc_eval *e, enum dmarc_dns status, const char *const *txts,
		       const size_t *lens, size_t n);
/* Decides (any query not answered counts as temperror). rnd may be NULL. */
void dmarc_eval_finish(struct dmarc_eval *e, const struct dmarc_auth *auth, dmarc_random_fn rnd,
		       void *rnd_ctx, struct dmarc_verdict *v);
void dmarc_eval_free(struct dmarc_eval **e);

/* "none", "pass", "fail", "temperror", "permerror" (RFC 8601 2.7.1). */
const char *dmarc_result_name(enum dmarc_result r);
/* A reply-ready description of a From: problem ("message has several From: fields"...). */
const char *dmarc_from_status_text(enum dmarc_from_status s);

#endif
