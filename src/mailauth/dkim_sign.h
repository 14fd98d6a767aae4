/* DKIM signing (RFC 6376 5, RFC 8463): relaxed/relaxed signatures with rsa-sha256 or
 * ed25519-sha256 keys loaded from PEM files, over the header fields RFC 6376 5.4.1
 * recommends, From/To/Subject/Date oversigned. The body is hashed as it streams in:
 *
 *   s = dkim_sign_new(now);
 *   dkim_sign_body(s, chunk, len); ...
 *   dkim_sign_finish(s, keys, n_keys, hdr, hdr_len, &out);  out: the fields to prepend
 *   dkim_sign_free(&s);
 */
#ifndef MAILAUTH_DKIM_SIGN_H
#define MAILAUTH_DKIM_SIGN_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#include "mailauth/dkim_sig.h"
#include "util/buf.h"

struct dkim_sign_key {
	EVP_PKEY *pkey;
	enum dkim_alg alg; /* from the key: RSA -> rsa-sha256, Ed25519 -> ed25519-sha256 */
	char *domain;      /* d= */
	char *selector;    /* s= */
};

/* Loads a PEM private key (PKCS#8 or traditional RSA). RSA keys must have at least 1024
 * bits (RFC 8301 3.2). 0 ok; -1 with error_r (a static text or strerror). */
int dkim_sign_key_load(struct dkim_sign_key *key, const char *pem_path, const char *domain,
		       const char *selector, const char **error_r);
void dkim_sign_key_clear(struct dkim_sign_key *key);
/* Appends the key record to publish: "v=DKIM1; k=rsa; p=..." (one string, unsplit). */
void dkim_sign_key_record(const struct dkim_sign_key *key, struct buf *out);

struct dkim_sign;

struct dkim_sign *dkim_sign_new(time_t now);
void dkim_sign_free(struct dkim_sign **s);
void dkim_sign_body(struct dkim_sign *s, const char *data, size_t len);
/* Appends one DKIM-Signature field per key (CRLF-terminated, folded at 78 columns) to out,
 * to be put above the header. -1 with *error_r if the header has no From field (RFC 6376
 * 5.4: From MUST be signed) or a key cannot sign. */
int dkim_sign_finish(struct dkim_sign *s, const struct dkim_sign_key *keys, size_t n_keys,
		     const char *hdr, size_t hdr_len, struct buf *out, const char **error_r);

/* Shared with ARC (arc_seal.c), whose signatures are DKIM's with other names. */
/* One ARC-Message-Signature (RFC 8617 4.1.2) instead of DKIM-Signatures: "i=instance" first
 * and no v=, the same h= plus every DKIM-Signature field present, signed with key. Call it
 * instead of dkim_sign_finish (either ends the body). */
int dkim_sign_finish_ams(struct dkim_sign *s, const struct dkim_sign_key *key, unsigned instance,
			 const char *hdr, size_t hdr_len, struct buf *out, const char **error_r);

/* A field under construction (text in *out, col its current column), folded before a token
 * that would pass column 78; space: a SP goes before tok unless the line is folded. */
struct dkim_folder {
	struct buf *out;
	size_t col;
};
void dkim_fold_add(struct dkim_folder *fo, const char *tok, size_t len, bool space);
/* Ends a signature field built in fo up to its empty "b=" tag, which must be its last tag:
 * appends that field, relaxed and without its final CRLF (RFC 6376 3.7), to data (the
 * canonical header fields it covers), signs data with key (SHA-256), and appends the whole
 * field with b= filled in (folded) and a CRLF to out. 0 ok, -1 if signing failed. */
int dkim_sign_complete(const struct dkim_sign_key *key, struct buf *data, struct dkim_folder *fo,
		       struct buf *out);

#endif
