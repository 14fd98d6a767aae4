/* struct server: the part of the SMTP, POP3 and IMAP servers that is the same for all
 * three: the listeners (several lists, each of one kind, plain or implicit TLS), the
 * connection limits (total and per client IP), the list of live sessions, accept ->
 * limit check -> greeting, the graceful shutdown and the final free. The protocol gives
 * a session_ops table (session.h) and the size of its own server data (the "owner",
 * allocated and freed here); its *_server.c keeps only what is its protocol's own. */
#ifndef NET_SERVER_H
#define NET_SERVER_H
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct listen_list;
struct server;
struct session;
struct session_ops;

struct server_params {
	struct event_base *base;
	const struct session_ops *ops;
	size_t owner_size;        /* the protocol's server data: server_owner() */
	unsigned max_connections; /* total, 0 = unlimited */
	unsigned max_per_ip;      /* per client address, 0 = unlimited */
	unsigned login_timeout;   /* idle seconds allowed before login (session_init) */
	unsigned max_errors;      /* error replies before a session is closed */
	const char *hostname;     /* the %s of the ops' reply lines (myhostname) */
	SSL_CTX *const *tls;      /* for implicit TLS listeners, read at each accept (a
				   * reload may replace it); *tls NULL: none loaded */
};

/* One listen list: its addresses accept connections of kind (the protocol's enum);
 * implicit_tls starts TLS at once. key names the list in errors ("imaps_listen"). */
struct server_listen {
	const struct listen_list *list;
	unsigned kind;
	bool implicit_tls;
	const char *key;
};

/* Creates the server and binds every address of the n lists. NULL with *error_r (static
 * text) when one cannot be bound, or an implicit TLS list has no certificate. */
struct server *server_open(const struct server_params *params, const struct server_listen *lists,
			   size_t n, const char **error_r);
/* Reloading the config (SIGHUP, `yubin reload`), in two steps so that serve can refuse
 * the whole reload when one server cannot bind: prepare binds the addresses of lists
 * that are not bound yet (an address still configured keeps its socket, even when it
 * moved to another list of this server) and remembers params' limits, login timeout,
 * error count and hostname (which must stay valid after commit). 0 ok, -1 with *error_r
 * (the caller then aborts). Commit closes the listeners of removed addresses (sessions
 * they accepted go on) and applies the new ones and the params; abort closes what
 * prepare bound and leaves everything as it was. The lists must name the same kinds in
 * the same order as at server_open(). */
int server_reload_prepare(struct server *srv, const struct server_params *params,
			  const struct server_listen *lists, size_t n, const char **error_r);
void server_reload_commit(struct server *srv);
void server_reload_abort(struct server *srv);
/* The protocol's server data (owner_size bytes, zeroed at open). */
void *server_owner(const struct server *srv);
/* Stops accepting. Sessions with a command in flight (session_busy) finish it and then
 * say goodbye (session_check_shutdown); the others get ops->shutdown now and close. */
void server_shutdown(struct server *srv);
bool server_shutting_down(const struct server *srv);
/* Whether a session still has a command in flight or a last reply to flush, or an async
 * step of a session whose client left is still running: serve runs the loop until this
 * is false (bounded) so no acknowledged reply is cut off and nothing is left half done. */
bool server_busy(const struct server *srv);
/* The sessions connected now (for `yubin status`); 0 for NULL. */
unsigned server_session_count(const struct server *srv);
unsigned server_login_timeout(const struct server *srv);
unsigned server_max_errors(const struct server *srv);
const char *server_hostname(const struct server *srv);
/* Frees the sessions still listed, the owner data and the server (after the loop). */
void server_free(struct server **srv);

/* For session.c: the session's connection is gone, forget it in the list and limits;
 * sessions gone with an async step in flight are counted (server_busy) until it ends. */
void server_session_gone(struct server *srv, struct session *s);
/* s said its last words and they are all on the wire: it stops counting against the
 * connection limits now, though its close completes only later in this loop pass. */
void server_session_uncount(struct server *srv, struct session *s);
void server_orphans_add(struct server *srv, int delta);

#endif
