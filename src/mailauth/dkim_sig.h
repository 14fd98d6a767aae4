/* DKIM-Signature header fields (RFC 6376 3.5): parsing and the checks of 6.1.1 that need
 * no DNS and no clock (required tags, v=1, known a=/c=/q=, i= within d=, h= has From).
 * Also the shared DKIM enums (algorithms, canonicalizations, results). */
#ifndef MAILAUTH_DKIM_SIG_H
#define MAILAUTH_DKIM_SIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

enum dkim_alg {
	DKIM_ALG_RSA_SHA256,
	DKIM_ALG_RSA_SHA1,       /* parsed so it can be reported; RFC 8301: never a pass */
	DKIM_ALG_ED25519_SHA256, /* RFC 8463 */
};

enum dkim_canon {
	DKIM_CANON_SIMPLE,
	DKIM_CANON_RELAXED,
};

/* RFC 8601 2.7.1 result values of the dkim method. */
enum dkim_status {
	DKIM_STATUS_PASS,
	DKIM_STATUS_FAIL,
	DKIM_STATUS_NEUTRAL,
	DKIM_STATUS_POLICY,
	DKIM_STATUS_TEMPERROR,
	DKIM_STATUS_PERMERROR,
};

/* A cap on h= entries: RFC 6376 sets none, but selection is O(entries x fields). */
#define DKIM_SIG_MAX_HEADERS 256

struct dkim_sig {
	enum dkim_alg alg;
	enum dkim_canon hcanon, bcanon;
	char *domain;   /* d=, lower-cased */
	char *selector; /* s= */
	char *identity; /* i=, or "@" d= when absent */
	char **headers; /* h=, lower-cased, in order; may repeat */
	size_t n_headers;
	struct buf b;  /* b= decoded */
	struct buf bh; /* bh= decoded */
	char *b_text;  /* b= as written without FWS: for header.b (RFC 6008) */
	bool has_length;
	uint64_t length; /* l= */
	bool has_timestamp, has_expire;
	uint64_t timestamp, expire; /* t=, x= */
};

/* Parses the value of a DKIM-Signature field (everything after the ':', folded).
 * 0 ok; -1 with *error_r a static text when the field is not a usable signature
 * (RFC 6376 6.1.1: PERMFAIL). A partly parsed sig keeps d=/s= when they were readable, so
 * the result can still name them; call dkim_sig_clear() in both cases. */
int dkim_sig_parse(struct dkim_sig *sig, const char *value, size_t len, const char **error_r);
/* The same for an ARC-Message-Signature (RFC 8617 4.1.2): DKIM's syntax and semantics but
 * no v= (ignored if present) and i= the ARC instance, not an identity (identity is "@" d=;
 * the instance is the caller's to read). */
int dkim_sig_parse_ams(struct dkim_sig *sig, const char *value, size_t len, const char **error_r);
/* An ARC-Seal (RFC 8617 4.1.3) into the same struct: a=, b=, d=, s= required, t=
 * optional, no h= allowed, header canonicalization relaxed; no headers, no bh=. cv= and i=
 * are the caller's to read. */
int dkim_sig_parse_seal(struct dkim_sig *sig, const char *value, size_t len, const char **error_r);
void dkim_sig_clear(struct dkim_sig *sig);

/* The a= text of alg ("rsa-sha256"...). */
const char *dkim_alg_name(enum dkim_alg alg);
/* "pass", "fail", ... (RFC 8601). */
const char *dkim_status_name(enum dkim_status st);

/* Appends s with the FWS (SP, HTAB, CR, LF) taken out: b=, bh=, p= values. */
void dkim_strip_fws(struct buf *out, const char *s, size_t len);
/* true if dom is sub a subdomain of or equal to parent (ASCII case-insensitive). */
bool dkim_domain_within(const char *dom, size_t len, const char *parent);

#endif
