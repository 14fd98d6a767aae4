/* struct server: the part of the SMTP, POP3 and IMAP servers that is the same for all
 * three: the listeners (several lists, each of one kind, plain or implicit TLS), the
 * connection limits (total and per client IP), the list of live sessions, accept ->
 * limit check -> greeting, the graceful shutdown and the final free. The protocol
 * gives a session_ops table (session.h); its *_server.c keeps only its own. */
#ifndef NET_SERVER_H
#define NET_SERVER_H
#include <openssl/ssl.h>
#include <stdbool.h>

struct event_base;
struct listen_list;
struct server;
struct session;
struct session_ops;

struct server_params {
	struct event_base *base;
	const struct session_ops *ops;
	void *owner;                /* the protocol server, passed to ops->create */
	unsigned max_connections;   /* total, 0 = unlimited */
	unsigned max_per_ip;        /* per client address, 0 = unlimited */
	unsigned login_timeout;     /* idle seconds allowed before login (session_init) */
};

struct server *server_new(const struct server_params *params);
/* Binds every address of list; its connections are created with kind, and with TLS
 * from *tls at accept time when tls != NULL (implicit TLS; *tls may be replaced by a
 * reload). 0 ok, -1 with *error_r. */
int server_listen(struct server *srv, const struct listen_list *list, unsigned kind,
		  SSL_CTX *const *tls, const char **error_r);
/* Stops accepting. Sessions with a command in flight (session_busy) finish it and then
 * say goodbye (session_check_shutdown); the others get ops->shutdown now and close. */
void server_shutdown(struct server *srv);
bool server_shutting_down(const struct server *srv);
/* Whether a session still has a command in flight or a last reply to flush: serve runs
 * the loop until this is false (bounded) so no acknowledged reply is cut off. */
bool server_busy(const struct server *srv);
unsigned server_login_timeout(const struct server *srv);
/* Frees the sessions still listed and the server (after the loop has ended). */
void server_free(struct server **srv);

/* For session.c: the session's connection is gone, forget it in the list and limits. */
void server_session_gone(struct server *srv, struct session *s);

#endif
