/* The POP3 server (RFC 1939, RFC 2449 CAPA, RFC 5034 SASL, RFC 2595 STLS) on
 * pop3_listen (STLS) and pop3s_listen (implicit TLS). The maildrop is the INBOX of the
 * store; deletions happen only at QUIT. */
#ifndef POP3_POP3_SERVER_H
#define POP3_POP3_SERVER_H
#include <openssl/ssl.h>
#include <stdbool.h>

struct accounts;
struct event_base;
struct penalty;
struct pop3_server;
struct settings;
struct store;
struct workers;

/* Kept by pointer, must outlive the server; serve fills accounts, store, workers and
 * penalty in after binding (see smtp_server.h). */
struct pop3_server_deps {
	struct event_base *base;
	const struct settings *settings;
	struct accounts *accounts;
	struct store *store;
	struct workers *workers;
	struct penalty *penalty;
	SSL_CTX *tls;
};

struct pop3_server *pop3_server_new(const struct pop3_server_deps *deps, const char **error_r);
/* Stops accepting and closes the sessions (without UPDATE: nothing is deleted); a
 * session with a command in flight (RETR, a login) finishes it first. */
void pop3_server_shutdown(struct pop3_server *server);
/* Whether a session still has a command in flight or a last reply to flush. */
bool pop3_server_busy(const struct pop3_server *server);
void pop3_server_free(struct pop3_server **server);

#endif
