/* The IMAP server (RFC 3501 / RFC 9051 with the extensions listed in CAPABILITY) on
 * imap_listen (STARTTLS) and imaps_listen (implicit TLS). One server object owns the
 * listeners and the sessions; it plugs into serve like the SMTP and POP3 servers. */
#ifndef IMAP_IMAP_SERVER_H
#define IMAP_IMAP_SERVER_H
#include <openssl/ssl.h>
#include <stdbool.h>

struct accounts;
struct event_base;
struct imap_server;
struct penalty;
struct settings;
struct store;
struct workers;

/* Kept by pointer, must outlive the server; serve fills accounts, store, workers and
 * penalty in after binding (see smtp_server.h). */
struct imap_server_deps {
	struct event_base *base;
	const struct settings *settings;
	struct accounts *accounts;
	struct store *store;
	struct workers *workers;
	struct penalty *penalty;
	SSL_CTX *tls; /* NULL: no STARTTLS and no imaps listeners */
};

/* Binds every listener of imap_listen and imaps_listen. NULL with *error_r. */
struct imap_server *imap_server_new(const struct imap_server_deps *deps, const char **error_r);
/* Stops accepting and closes the sessions with "* BYE"; a session with a command in
 * flight (an APPEND being read or stored) finishes it and sends its tagged reply first. */
void imap_server_shutdown(struct imap_server *server);
/* Whether a session still has a command in flight or a last reply to flush. */
bool imap_server_busy(const struct imap_server *server);
void imap_server_free(struct imap_server **server);

#endif
