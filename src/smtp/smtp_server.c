/* The SMTP server object: listeners of the three kinds, connection limits (total and
 * per client IP), and the set of live sessions for a graceful shutdown. */
#include "smtp/smtp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/settings.h"
#include "log/log.h"
#include "net/conn.h"
#include "net/listener.h"
#include "smtp/smtp_session.h"
#include "util/strmap.h"
#include "util/xmalloc.h"

struct smtp_listener {
	struct smtp_server *server;
	struct listener *listener;
	enum smtp_listener_kind kind;
};

struct smtp_server {
	const struct smtp_server_deps *deps; /* serve's, may be completed after binding */
	struct smtp_listener *listeners;
	size_t n_listeners;
	struct strmap *per_ip;   /* client IP -> connection count (as uintptr_t) */
	unsigned n_connections;
	TAILQ_HEAD(, smtp_session) sessions;
	bool shutting_down;
};

const struct smtp_server_deps *
smtp_server_deps(const struct smtp_server *server)
{
	return server->deps;
}

SSL_CTX *
smtp_server_tls(const struct smtp_server *server)
{
	return server->deps->tls;
}

static void
smtp_server_ip_count(struct smtp_server *server, const char *ip, int delta)
{
	uintptr_t n = (uintptr_t)strmap_get(server->per_ip, ip);

	n = (uintptr_t)((intptr_t)n + delta);
	strmap_set(server->per_ip, ip, n == 0 ? NULL : (void *)n);
}

void
smtp_server_session_closed(struct smtp_server *server, struct smtp_session *s)
{
	server->n_connections--;
	smtp_server_ip_count(server, s->ip, -1);
	TAILQ_REMOVE(&server->sessions, s, entry);
}

static void
smtp_server_accept(int fd, const struct sockaddr *peer, int peerlen, void *ctx)
{
	struct smtp_listener *l = ctx;
	struct smtp_server *server = l->server;
	const struct settings *set = server->deps->settings;
	SSL_CTX *tls = l->kind == SMTP_LISTENER_SUBMISSIONS ? server->deps->tls : NULL;
	struct smtp_session *s;
	struct conn *conn;
	uintptr_t per_ip;

	(void)peer;
	(void)peerlen;
	if (server->shutting_down) {
		close(fd);
		return;
	}
	conn = conn_new(server->deps->base, fd, tls, false, NULL, NULL);
	if (conn == NULL)
		return;
	s = smtp_session_new(server, conn, l->kind);
	TAILQ_INSERT_TAIL(&server->sessions, s, entry);
	server->n_connections++;
	smtp_server_ip_count(server, s->ip, +1);
	per_ip = (uintptr_t)strmap_get(server->per_ip, s->ip);
	/* RFC 5321 3.8: a server that cannot serve may answer the connection with 421 */
	if (server->n_connections > set->smtp_max_connections) {
		log_warn("smtp: %s: client=[%s] rejected: too many connections (%u)", s->id, s->ip,
			 set->smtp_max_connections);
		smtp_reply(s, "421 4.7.0 %s Error: too many connections, try again later",
			   set->myhostname);
		smtp_session_close(s);
		return;
	}
	if (per_ip > set->smtp_max_connections_per_ip) {
		log_warn("smtp: %s: client=[%s] rejected: too many connections from this address "
			 "(%u)", s->id, s->ip, set->smtp_max_connections_per_ip);
		smtp_reply(s, "421 4.7.0 %s Error: too many connections from your address",
			   set->myhostname);
		smtp_session_close(s);
		return;
	}
	log_info("smtp: %s: connect from [%s] port=%u", s->id, s->ip, conn_local_port(conn));
	smtp_reply(s, "220 %s ESMTP yubin", set->myhostname);
}

static int
smtp_server_listen(struct smtp_server *server, const struct listen_list *list,
		   enum smtp_listener_kind kind, const char **error_r)
{
	size_t i;

	if (kind == SMTP_LISTENER_SUBMISSIONS && list->n > 0 && server->deps->tls == NULL) {
		*error_r = "submissions_listen needs TLS, but no certificate is loaded";
		return -1;
	}
	for (i = 0; i < list->n; i++) {
		struct smtp_listener *l;

		server->listeners = xrealloc(server->listeners, (server->n_listeners + 1) *
									sizeof(*server->listeners));
		l = &server->listeners[server->n_listeners];
		l->server = server;
		l->kind = kind;
		l->listener = listener_new(server->deps->base, list->addrs[i].host,
					   list->addrs[i].port, smtp_server_accept, NULL, error_r);
		if (l->listener == NULL)
			return -1;
		server->n_listeners++;
	}
	return 0;
}

struct smtp_server *
smtp_server_new(const struct smtp_server_deps *deps, const char **error_r)
{
	struct smtp_server *server = xcalloc(1, sizeof(*server));
	const struct settings *set = deps->settings;
	size_t i;

	server->deps = deps;
	server->per_ip = strmap_new();
	TAILQ_INIT(&server->sessions);
	if (smtp_server_listen(server, &set->smtp_listen, SMTP_LISTENER_SMTP, error_r) < 0 ||
	    smtp_server_listen(server, &set->submission_listen, SMTP_LISTENER_SUBMISSION,
			       error_r) < 0 ||
	    smtp_server_listen(server, &set->submissions_listen, SMTP_LISTENER_SUBMISSIONS,
			       error_r) < 0) {
		smtp_server_free(&server);
		return NULL;
	}
	/* the listener array is final now: hand each its own address as context */
	for (i = 0; i < server->n_listeners; i++)
		listener_set_ctx(server->listeners[i].listener, &server->listeners[i]);
	return server;
}

void
smtp_server_shutdown(struct smtp_server *server)
{
	size_t i;

	struct smtp_session *s;

	server->shutting_down = true;
	for (i = 0; i < server->n_listeners; i++)
		listener_free(&server->listeners[i].listener);
	/* RFC 5321 3.8: a server shutting down answers 421; sessions waiting for their
	 * delivery get its result first */
	TAILQ_FOREACH(s, &server->sessions, entry) {
		if (s->state == SMTP_STATE_WAIT || s->state == SMTP_STATE_CLOSING)
			continue;
		smtp_reply(s, "421 4.3.2 %s Service shutting down", server->deps->settings->myhostname);
		smtp_session_close(s);
	}
}

void
smtp_server_free(struct smtp_server **serverp)
{
	struct smtp_server *server = *serverp;
	size_t i;

	if (server == NULL)
		return;
	*serverp = NULL;
	for (i = 0; i < server->n_listeners; i++)
		listener_free(&server->listeners[i].listener);
	while (!TAILQ_EMPTY(&server->sessions)) {
		struct smtp_session *s = TAILQ_FIRST(&server->sessions);
		smtp_server_session_closed(server, s);
		smtp_session_free(s);
	}
	free(server->listeners);
	strmap_free(&server->per_ip);
	free(server);
}
