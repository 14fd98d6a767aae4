/* DKIM key records (RFC 6376 3.6.1, RFC 8463 4.2): the TXT record at
 * selector._domainkey.domain parsed into an OpenSSL public key and its flags. */
#ifndef MAILAUTH_DKIM_KEY_H
#define MAILAUTH_DKIM_KEY_H
#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

enum dkim_key_type {
	DKIM_KEY_RSA,     /* k=rsa (the default) */
	DKIM_KEY_ED25519, /* k=ed25519: p= is the raw 32-byte key (RFC 8463 4.2) */
};

struct dkim_key {
	enum dkim_key_type type;
	EVP_PKEY *pkey;                /* NULL when revoked */
	bool revoked;                  /* p= empty (RFC 6376 3.6.1) */
	bool testing;                  /* t=y */
	bool strict;                   /* t=s: i= domain must equal d= */
	bool allow_sha1, allow_sha256; /* h= (both when absent) */
	unsigned bits;                 /* key size, RSA: modulus bits */
};

/* Parses one TXT record (its strings already joined). 0 ok (a revoked key is ok, with
 * revoked set); -1 with *error_r a static text: a syntax error, v= not first or not
 * "DKIM1", an unknown k=, s= without "email" or "*", a p= that is not a key of type k=.
 * Call dkim_key_clear() in both cases. */
int dkim_key_parse(struct dkim_key *key, const char *txt, size_t len, const char **error_r);
void dkim_key_clear(struct dkim_key *key);

/* The answer of one key lookup, n TXT records: RFC 6376 6.1.2 lets the verifier choose among
 * several, and DKIM and ARC (RFC 8617 5.1.1: "as DKIM") both take the first that parses.
 * 0 with *key set; -1 with *error_r the first record's error ("no key for signature" when
 * n is 0), *key cleared. */
int dkim_key_parse_first(struct dkim_key *key, const char *const *txt, const size_t *txt_len,
			 size_t n, const char **error_r);

#endif
