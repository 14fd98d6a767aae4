/* TLS contexts for the servers (one per certificate) and for outbound SMTP, and the
 * self-signed certificate yubin generates on first start when none is configured. */
#ifndef NET_TLS_H
#define NET_TLS_H
#include <openssl/ssl.h>

/* Server context: TLS 1.2+, the certificate chain and key from PEM files. */
SSL_CTX *tls_server_ctx_new(const char *cert_file, const char *key_file, const char **error_r);
/* Client context for opportunistic STARTTLS (no certificate verification yet). */
SSL_CTX *tls_client_ctx_new(const char **error_r);
/* Writes a new ECDSA P-256 key and a self-signed certificate for common_name (valid 10
 * years), key mode 0600. 0 ok, -1 with *error_r. */
int tls_generate_self_signed(const char *cert_file, const char *key_file, const char *common_name,
			     const char **error_r);
/* Replaces the certificate and key of a live server context (ACME renewal): connections
 * accepted afterwards present the new pair, open ones keep theirs. The pair is checked in a
 * scratch context first, so a bad pair leaves ctx untouched. 0 ok, -1 with *error_r. */
int tls_server_ctx_swap_cert(SSL_CTX *ctx, const char *cert_file, const char *key_file,
			     const char **error_r);

/* tls-alpn-01 (RFC 8737): installs the challenge certificate for server_name on ssl. 0 ok,
 * -1 when there is none. Registered from above (src/acme through serve). */
typedef int tls_acme_cert_fn(SSL *ssl, const char *server_name);
/* Makes ctx answer a ClientHello that offers ALPN "acme-tls/1" with fn's certificate and
 * that protocol (RFC 8737 3), and refuse the handshake when fn has none. */
void tls_server_ctx_acme_alpn(SSL_CTX *ctx, tls_acme_cert_fn *fn);

#endif
