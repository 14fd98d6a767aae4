/* The IMAP server (RFC 3501 / RFC 9051 with the extensions listed in CAPABILITY) on
 * imap_listen (STARTTLS) and imaps_listen (implicit TLS). One server object owns the
 * listeners and the sessions; it plugs into serve like the SMTP and POP3 servers. */
#ifndef IMAP_IMAP_SERVER_H
#define IMAP_IMAP_SERVER_H
#include <openssl/ssl.h>
#include <stdbool.h>

struct accounts;
struct event_base;
struct penalty;
struct rspamd_learner;
struct server;
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
	struct workers *spam_trainer; /* one thread: trainings of one message stay in order */
	struct rspamd_learner *rspamd_learner; /* Junk moves posted to rspamd_controller */
	struct penalty *penalty;
	SSL_CTX *tls; /* NULL: no STARTTLS and no imaps listeners */
};

/* Binds every listener of imap_listen and imaps_listen. NULL with *error_r. On the
 * server base of net/server.h: serve stops and frees it with server_shutdown() and
 * server_free(). At shutdown the sessions get "* BYE"; one with a command in flight (an
 * APPEND being read or stored) finishes it and sends its tagged reply first. */
struct server *imap_server_new(const struct imap_server_deps *deps, const char **error_r);
/* A config reload: binds fresh's new listen addresses and takes its limits
 * (server_reload_prepare()); the caller then commits or aborts on srv. */
int imap_server_reload_prepare(struct server *srv, const struct settings *fresh,
			       const char **error_r);

#endif
