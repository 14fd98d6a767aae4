/* DKIM verification (RFC 6376 6.1, RFC 8463, RFC 8301), shaped for an asynchronous caller
 * and without any DNS or I/O of its own:
 *
 *   v = dkim_verify_new(&policy, now);
 *   dkim_verify_header(v, hdr, hdr_len);        at the end of the header
 *   for i < dkim_verify_key_count(v):           look up TXT dkim_verify_key_name(v, i)
 *       dkim_verify_key_answer(v, i, ...);      whenever each answer arrives
 *   dkim_verify_body(v, chunk, len);            as the body streams in (any order with
 *   ...                                          the key answers)
 *   dkim_verify_finish(v);                      at the end of data
 *   results = dkim_verify_results(v, &n);       one per DKIM-Signature, top first
 *   dkim_verify_free(&v);
 *
 * The header digests are computed in dkim_verify_header, so the header need not be kept;
 * the body is hashed chunk by chunk and never stored. Input uses CRLF line ends. */
#ifndef MAILAUTH_DKIM_VERIFY_H
#define MAILAUTH_DKIM_VERIFY_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#include "mailauth/dkim_key.h"
#include "mailauth/dkim_sig.h"

struct dkim_verify_policy {
	unsigned max_signatures;           /* signatures verified; the ones after: permerror (10) */
	unsigned rsa_min_bits;             /* shorter RSA keys are refused (1024, RFC 8301 3.2) */
	enum dkim_status rsa_short_status; /* the result for them: PERMERROR, or FAIL */
	unsigned rsa_max_bits; /* longer RSA keys are permerror (8192): a hostile key record
				  must not cost seconds of CPU (RFC 8301 3.2 asks for 4096) */
	unsigned clock_skew;   /* seconds a t= may be in the future (300) */
	bool accept_rsa_sha1;  /* false: rsa-sha1 is a fail (RFC 8301 3.1); true only for
				  tests against signers that know nothing else */
};

void dkim_verify_policy_default(struct dkim_verify_policy *p);

struct dkim_result {
	enum dkim_status status;
	char reason[96];      /* why, for Authentication-Results reason= and the log */
	const char *domain;   /* header.d (NULL if the signature had none readable) */
	const char *selector; /* header.s */
	const char *identity; /* header.i */
	const char *b_text;   /* header.b: the b= value, whole (RFC 6008 uses a prefix) */
	bool alg_known;
	enum dkim_alg alg;
	unsigned key_bits; /* 0 until a key was used */
	bool testing;      /* the key record says t=y: treat as unsigned (RFC 6376 3.6.1) */
};

enum dkim_dns_rcode {
	DKIM_DNS_OK,       /* txt[] holds the TXT records (each one's strings joined) */
	DKIM_DNS_NXDOMAIN, /* no such name, or no TXT record: permerror "no key" */
	DKIM_DNS_TEMPFAIL, /* timeout, SERVFAIL...: temperror */
};

struct dkim_verify;

struct dkim_verify *dkim_verify_new(const struct dkim_verify_policy *policy, time_t now);
void dkim_verify_free(struct dkim_verify **v);

/* Results kept per message: signatures after max_signatures get a permerror result each, up
 * to this many results in all; the ones after that are only counted (a hostile header of
 * thousands of DKIM-Signature fields must not cost memory or an endless
 * Authentication-Results header). */
#define DKIM_VERIFY_MAX_RESULTS 50

/* The message's header, up to (optionally including) the empty line. Call once. Returns
 * the number of DKIM-Signature fields found. */
size_t dkim_verify_header(struct dkim_verify *v, const char *hdr, size_t len);
/* DKIM-Signature fields beyond DKIM_VERIFY_MAX_RESULTS: no result of their own. */
size_t dkim_verify_dropped(const struct dkim_verify *v);

/* Key records to look up: distinct (d=, s=) pairs of the signatures still undecided. */
size_t dkim_verify_key_count(const struct dkim_verify *v);
/* "selector._domainkey.domain", owned by v. */
const char *dkim_verify_key_name(const struct dkim_verify *v, size_t i);
void dkim_verify_key_answer(struct dkim_verify *v, size_t i, enum dkim_dns_rcode rc,
			    const char *const *txt, const size_t *txt_len, size_t n);

void dkim_verify_body(struct dkim_verify *v, const char *data, size_t len);
/* Ends the body and decides every signature. A key never answered is a temperror. */
void dkim_verify_finish(struct dkim_verify *v);
const struct dkim_result *dkim_verify_results(const struct dkim_verify *v, size_t *n_r);

/* Shared with ARC (arc_verify.c), whose signatures are DKIM's with other names. */
/* RFC 6376 6.1.2 steps 6-9: can key check a signature of alg? PASS if so, else the result
 * with reason (revoked, k= and a= differ, h= of the key, t=s when identity is not NULL,
 * RSA size outside the policy). */
enum dkim_status dkim_verify_key_usable(const struct dkim_verify_policy *pol,
					const struct dkim_key *key, enum dkim_alg alg,
					const char *identity, const char *domain, char *reason,
					size_t size);
/* RSA: PKCS#1 v1.5 over the digest (RFC 6376 3.3.1); Ed25519: PureEdDSA over the SHA-256
 * digest itself (RFC 8463 3). true if b is a good signature of digest by pkey. */
bool dkim_verify_signature(EVP_PKEY *pkey, enum dkim_alg alg, const struct buf *b,
			   const unsigned char *digest, unsigned digest_len);

#endif
