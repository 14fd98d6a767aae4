/* What the DKIM verifier (dkim_verify.c) and the ARC validator (arc_verify.c) share: the key
 * lookups a message's signatures need, one per selector and domain however many signatures
 * name it, and the body hashers, one per body canonicalization, hash and l= however many
 * signatures share them (RFC 6376 6.1.2 and 6.1.3; RFC 8617 5.2 checks an AMS exactly as a
 * DKIM-Signature). */
#ifndef MAILAUTH_DKIM_LOOKUPS_H
#define MAILAUTH_DKIM_LOOKUPS_H
#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "mailauth/dkim_canon.h"
#include "mailauth/dkim_key.h"
#include "mailauth/dkim_sig.h"
#include "mailauth/dkim_verify.h"

struct dkim_key_req {
	char *domain, *selector, *name; /* name: selector._domainkey.domain */
	bool answered;
	enum dkim_dns_rcode rc;
	struct dkim_key key;
	bool key_ok;           /* answered, and a record parsed as a key */
	const char *key_error; /* why not, when answered DKIM_DNS_OK without a key */
};

struct dkim_key_reqs {
	struct dkim_key_req *v;
	size_t n;
};

/* The index of sig's key lookup, added when it is the first signature naming it. */
size_t dkim_key_reqs_for(struct dkim_key_reqs *r, const struct dkim_sig *sig);
/* The DNS name to look up for index i; NULL past the end. */
const char *dkim_key_reqs_name(const struct dkim_key_reqs *r, size_t i);
/* Records the answer for index i (ignored past the end or when already answered): with
 * DKIM_DNS_OK the first of the n TXT records that parses as a key (dkim_key_parse_first). */
void dkim_key_reqs_answer(struct dkim_key_reqs *r, size_t i, enum dkim_dns_rcode rc,
			  const char *const *txt, const size_t *txt_len, size_t n);
void dkim_key_reqs_clear(struct dkim_key_reqs *r);

struct dkim_body {
	struct dkim_body_hash h;
	enum dkim_alg alg;
	unsigned char digest[EVP_MAX_MD_SIZE]; /* after dkim_bodies_final() */
	unsigned digest_len;
};

struct dkim_bodies {
	struct dkim_body *v;
	size_t n;
};

/* The digest a signature's algorithm uses (rsa-sha1: SHA-1; the others SHA-256). */
const EVP_MD *dkim_alg_md(enum dkim_alg alg);
/* The index of the hasher for sig's c= body part, a= hash and l=, added when new. */
size_t dkim_bodies_for(struct dkim_bodies *b, const struct dkim_sig *sig);
/* Body bytes as they arrive (the body as sent, after the header's blank line). */
void dkim_bodies_update(struct dkim_bodies *b, const char *data, size_t len);
/* At end of data: each hasher's digest into its digest field. */
void dkim_bodies_final(struct dkim_bodies *b);
void dkim_bodies_clear(struct dkim_bodies *b);

#endif
