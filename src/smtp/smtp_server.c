/* The SMTP server object: listeners of the three kinds, connection limits (total and
 * per client IP), and the set of live sessions for a graceful shutdown. */
#include "smtp/smtp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/settings.h"
#include "log/log.h"
#include "net/conn.h"
#include "net/conn_limits.h"
#include "net/listener.h"
#include "smtp/smtp_session.h"
#include "util/xmalloc.h"

struct smtp_listener_ctx {
	struct smtp_server *server;
	enum smtp_listener_kind kind;
};

struct smtp_server {
	const struct smtp_server_deps *deps; /* serve's, may be completed after binding */
	struct listener **listeners;
	size_t n_listeners;
	struct smtp_listener_ctx kinds[3]; /* accept context per enum smtp_listener_kind */
	struct conn_limits *limits;
	unsigned long long msg_memory; /* message data held by the sessions */
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

unsigned long long
smtp_server_memory_add(struct smtp_server *server, long long delta)
{
	server->msg_memory = (unsigned long long)((long long)server->msg_memory + delta);
	return server->msg_memory;
}

bool
smtp_server_busy(const struct smtp_server *server)
{
	const struct smtp_session *s;

	TAILQ_FOREACH(s, &server->sessions, entry)
		if (s->state == SMTP_STATE_WAIT || s->state == SMTP_STATE_CLOSING)
			return true;
	return false;
}

bool
smtp_server_shutting_down(const struct smtp_server *server)
{
	return server->shutting_down;
}

void
smtp_server_session_closed(struct smtp_server *server, struct smtp_session *s)
{
	conn_limits_remove(server->limits, s->ip);
	TAILQ_REMOVE(&server->sessions, s, entry);
}

static void
smtp_server_accept(int fd, const struct sockaddr *peer, int peerlen, void *ctx)
{
	const struct smtp_listener_ctx *l = ctx;
	struct smtp_server *server = l->server;
	const struct settings *set = server->deps->settings;
	SSL_CTX *tls = l->kind == SMTP_LISTENER_SUBMISSIONS ? server->deps->tls : NULL;
	struct smtp_session *s;
	struct conn *conn;
	enum conn_limits_result limit;

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
	limit = conn_limits_add(server->limits, s->ip, set->smtp_max_connections,
				set->smtp_max_connections_per_ip);
	/* RFC 5321 3.8: a server that cannot serve may answer the connection with 421 */
	if (limit == CONN_LIMITS_TOTAL) {
		log_warn("smtp: %s: client=[%s] rejected: too many connections (%u)", s->id, s->ip,
			 set->smtp_max_connections);
		smtp_reply(s, "421 4.7.0 %s Error: too many connections, try again later",
			   set->myhostname);
		smtp_session_close(s);
		return;
	}
	if (limit == CONN_LIMITS_PER_IP) {
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
	if (kind == SMTP_LISTENER_SUBMISSIONS && list->n > 0 && server->deps->tls == NULL) {
		*error_r = "submissions_listen needs TLS, but no certificate is loaded";
		return -1;
	}
	server->kinds[kind].server = server;
	server->kinds[kind].kind = kind;
	return listener_bind_list(server->deps->base, list, smtp_server_accept,
				  &server->kinds[kind], &server->listeners, &server->n_listeners,
				  error_r);
}

struct smtp_server *
smtp_server_new(const struct smtp_server_deps *deps, const char **error_r)
{
	struct smtp_server *server = xcalloc(1, sizeof(*server));
	const struct settings *set = deps->settings;

	server->deps = deps;
	server->limits = conn_limits_new();
	TAILQ_INIT(&server->sessions);
	if (smtp_server_listen(server, &set->smtp_listen, SMTP_LISTENER_SMTP, error_r) < 0 ||
	    smtp_server_listen(server, &set->submission_listen, SMTP_LISTENER_SUBMISSION,
			       error_r) < 0 ||
	    smtp_server_listen(server, &set->submissions_listen, SMTP_LISTENER_SUBMISSIONS,
			       error_r) < 0) {
		smtp_server_free(&server);
		return NULL;
	}
	return server;
}

void
smtp_server_shutdown(struct smtp_server *server)
{
	struct smtp_session *s;

	server->shutting_down = true;
	listener_free_all(&server->listeners, &server->n_listeners);
	/* RFC 5321 3.8: a server shutting down answers 421; sessions waiting for their
	 * delivery get its result first */
	TAILQ_FOREACH(s, &server->sessions, entry) {
		if (s->state == SMTP_STATE_WAIT || s->state == SMTP_STATE_CLOSING)
			continue;
		smtp_reply(s, "421 4.3.2 %s Service shutting down",
			   server->deps->settings->myhostname);
		smtp_session_close(s);
	}
}

void
smtp_server_free(struct smtp_server **serverp)
{
	struct smtp_server *server = *serverp;

	if (server == NULL)
		return;
	*serverp = NULL;
	listener_free_all(&server->listeners, &server->n_listeners);
	while (!TAILQ_EMPTY(&server->sessions)) {
		struct smtp_session *s = TAILQ_FIRST(&server->sessions);
		smtp_server_session_closed(server, s);
		smtp_session_free(s);
	}
	conn_limits_free(&server->limits);
	free(server);
}
