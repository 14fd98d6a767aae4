/* The challenge responses yubin is serving while an ACME order is pending: key
 * authorizations for http-01 (RFC 8555 8.3) and challenge certificates for tls-alpn-01
 * (RFC 8737 3). One table per process, used on the loop thread only: src/acme's client
 * fills it, src/http's /.well-known/acme-challenge/ route and the TLS ClientHello hook of
 * src/net/tls.c (through a callback registered by serve) read it. */
#ifndef ACME_CHALLENGE_H
#define ACME_CHALLENGE_H
#include <openssl/ssl.h>

/* http-01: serve key_auth at /.well-known/acme-challenge/token. */
void acme_challenge_http_add(const char *token, const char *key_auth);
/* The key authorization for token, or NULL. */
const char *acme_challenge_http_get(const char *token);
/* tls-alpn-01: build the self-signed certificate for domain that carries
 * SHA-256(key_auth) in the critical acmeIdentifier extension (RFC 8737 3). 0 ok, -1. */
int acme_challenge_alpn_add(const char *domain, const char *key_auth);
/* The tls_acme_cert_fn of src/net/tls.h: installs the challenge certificate for
 * server_name on ssl. 0 ok, -1 when no challenge is pending for that name. */
int acme_challenge_alpn_use(SSL *ssl, const char *server_name);
/* Forgets every pending challenge (the order ended). */
void acme_challenge_clear(void);

#endif
