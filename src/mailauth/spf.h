/* SPF check_host() (RFC 7208 4): is ip allowed to send mail for a domain? An asynchronous
 * evaluator over an abstract resolver (spf_resolver.h): started when MAIL FROM arrives,
 * it answers through a callback once its DNS lookups are done (the SMTP stage:
 * src/smtp/smtp_mailauth.c). */
#ifndef MAILAUTH_SPF_H
#define MAILAUTH_SPF_H
#include <time.h>

#include "mailauth/spf_record.h"
#include "mailauth/spf_resolver.h"

/* RFC 7208 4.6.4 */
#define SPF_MAX_DNS_MECHS 10   /* include, a, mx, ptr, exists, redirect= */
#define SPF_MAX_VOID_LOOKUPS 2 /* answers with no records (NODATA, NXDOMAIN) */
#define SPF_MAX_MX_NAMES 10    /* address lookups per mx mechanism */
#define SPF_MAX_PTR_NAMES 10   /* names of a PTR answer that are validated */
/* A bound on all queries of one check, whatever the records say (the limits above make
 * about 130 at most); past it, permerror. */
#define SPF_MAX_QUERIES 150

struct spf_check_params {
	const char *ip;       /* the SMTP client's address, IPv4 or IPv6 text */
	const char *mailfrom; /* the MAIL FROM address without <>; NULL or "" = null path */
	const char *helo;     /* the HELO/EHLO argument */
	const char *receiver; /* our host name, for %{r} in explanations; NULL = "unknown" */
	time_t now;           /* for %{t} */
	/* The explanation of a fail without a usable exp= (RFC 7208 6.2); NULL = none. */
	const char *default_exp;
};

/* explanation: for SPF_RESULT_FAIL only (exp= text or default_exp), else NULL; problem: a
 * short text for logs saying why (permerror, temperror), or NULL. Both valid only during
 * the call. */
typedef void spf_check_cb(void *ctx, enum spf_result result, const char *explanation,
			  const char *problem);

struct spf_check;

/* Checks the MAIL FROM identity (RFC 7208 2.4), or, for a null reverse-path, the HELO
 * identity as "postmaster@helo" (2.3, 4.3). A MAIL FROM without a local part uses
 * "postmaster" (4.3). Calls cb exactly once: inside this call (then it returns NULL) or
 * later, from the resolver's callbacks. resolver must outlive the check. */
struct spf_check *spf_check_start(const struct spf_resolver *resolver,
				  const struct spf_check_params *params, spf_check_cb *cb,
				  void *ctx);
/* Drops a running check without its callback. */
void spf_check_cancel(struct spf_check **check);

#endif
