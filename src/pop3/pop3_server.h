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
struct server;
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

/* On the server base of net/server.h: serve stops and frees it with server_shutdown()
 * and server_free(). At shutdown the sessions are closed without UPDATE (nothing is
 * deleted); one with a command in flight (RETR, a login) finishes it first. */
struct server *pop3_server_new(const struct pop3_server_deps *deps, const char **error_r);
/* A config reload: binds fresh's new listen addresses and takes its limits
 * (server_reload_prepare()); the caller then commits or aborts on srv. */
int pop3_server_reload_prepare(struct server *srv, const struct settings *fresh,
			       const char **error_r);

#endif
