/* JSON Web Signature (RFC 7515) as ACME uses it (RFC 8555 6.2): flattened JSON
 * serialization, ES256 (ECDSA P-256 with SHA-256, RFC 7518 3.4) account keys, the JWK
 * (RFC 7517) and its thumbprint (RFC 7638). Pure: no I/O besides what the caller hands in. */
#ifndef ACME_JWS_H
#define ACME_JWS_H
#include <openssl/evp.h>
#include <stddef.h>

struct buf;

/* base64url without padding (RFC 7515 2, RFC 4648 5). */
void acme_b64url(struct buf *out, const void *data, size_t len);
/* A new ECDSA P-256 key, or NULL. Seconds of CPU at most: call it on a worker thread. */
EVP_PKEY *acme_key_new(void);
/* The public JWK of key, members in the lexicographic order RFC 7638 3 needs. */
void acme_jwk(struct buf *out, EVP_PKEY *key);
/* base64url(SHA-256(JWK)): the thumbprint in key authorizations (RFC 8555 8.1). */
void acme_thumbprint(struct buf *out, EVP_PKEY *key);
/* The flattened JWS of payload (NULL: the empty payload of POST-as-GET, RFC 8555 6.3)
 * for url with nonce; kid is the account URL, or NULL to embed the JWK (newAccount,
 * RFC 8555 6.2). 0 ok, -1 when signing failed. */
int acme_jws(struct buf *out, EVP_PKEY *key, const char *kid, const char *nonce, const char *url,
	     const char *payload);

#endif
