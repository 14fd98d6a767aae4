/* The SMTP server (RFC 5321) for the three listener kinds: smtp (port 25, mail from the
 * internet for local domains, relay only for mynetworks), submission (587, STARTTLS) and
 * submissions (465, implicit TLS), on the server base of net/server.h: serve stops and
 * frees it with server_shutdown() and server_free(). */
#ifndef SMTP_SMTP_SERVER_H
#define SMTP_SMTP_SERVER_H
#include <openssl/ssl.h>
#include <stdbool.h>

struct accounts;
struct dns;
struct dkim_keyring;
struct event_base;
struct penalty;
struct queue;
struct server;
struct settings;
struct smtp_guards;
struct store;
struct workers;

/* What the server uses. The struct itself is kept by pointer and must outlive the server:
 * serve binds the listeners first (as root), then drops privileges, opens the databases
 * and fills in accounts, store, queue... before the loop runs. queue may be NULL (no outbound mail:
 * remote recipients are then refused with a temporary error). */
struct smtp_server_deps {
	struct event_base *base;
	const struct settings *settings;
	struct accounts *accounts;
	struct store *store;
	struct queue *queue;
	struct workers *workers;
	struct penalty *penalty;
	SSL_CTX *tls; /* NULL: no STARTTLS, no implicit TLS listeners */
	/* SPF, DKIM and DMARC lookups; NULL: no inbound checks */
	struct dns *dns;
	/* DNSBL, greeting delay, rate limits, greylisting (smtp_guard.h); NULL: none */
	struct smtp_guards *guards;
	struct dkim_keyring *dkim; /* signing keys (NULL: none), reloaded in place */
};

/* Binds every listener of smtp_listen, submission_listen and submissions_listen.
 * NULL with *error_r when one cannot be bound. At server_shutdown(), sessions still
 * delivering finish first, the others are closed with 421 (RFC 5321 3.8). */
struct server *smtp_server_new(const struct smtp_server_deps *deps, const char **error_r);
/* A config reload: binds fresh's new listen addresses and takes its limits
 * (server_reload_prepare()); the caller then commits or aborts on srv. */
int smtp_server_reload_prepare(struct server *srv, const struct settings *fresh,
			       const char **error_r);

#endif
