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

#endif
