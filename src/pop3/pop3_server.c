/* The POP3 server object: listeners (pop3_listen with STLS, pop3s_listen with implicit
 * TLS), connection limits and the list of sessions. */
#include "pop3/pop3_server.h"

#include <stdlib.h>
#include <unistd.h>

#include "conf/settings.h"
#include "log/log.h"
#include "net/conn.h"
#include "net/conn_limits.h"
#include "net/listener.h"
#include "pop3/pop3_session.h"
#include "util/xmalloc.h"

struct pop3_listener_ctx {
	struct pop3_server *server;
	enum pop3_listener_kind kind;
};

struct pop3_server {
	const struct pop3_server_deps *deps;
	struct listener **listeners;
	size_t n_listeners;
	struct pop3_listener_ctx kinds[2];
	struct conn_limits *limits;
	TAILQ_HEAD(, pop3_session) sessions;
	bool shutting_down;
};

const struct pop3_server_deps *
pop3_server_deps(const struct pop3_server *server)
{
	return server->deps;
}

bool
pop3_server_shutting_down(const struct pop3_server *server)
{
	return server->shutting_down;
}

void
pop3_server_session_closed(struct pop3_server *server, struct pop3_session *s)
{
	conn_limits_remove(server->limits, s->ip);
	TAILQ_REMOVE(&server->sessions, s, entry);
}

static void
pop3_server_accept(int fd, const struct sockaddr *peer, int peerlen, void *ctx)
{
	const struct pop3_listener_ctx *l = ctx;
	struct pop3_server *server = l->server;
	const struct settings *set = server->deps->settings;
	struct pop3_session *s;
	struct conn *conn;
	enum conn_limits_result limit;

	(void)peer;
	(void)peerlen;
	if (server->shutting_down) {
		close(fd);
		return;
	}
	conn = conn_new(server->deps->base, fd, l->kind == POP3_LISTENER_TLS ? server->deps->tls
									     : NULL,
			false, NULL, NULL);
	if (conn == NULL)
		return;
	s = pop3_session_new(server, conn);
	TAILQ_INSERT_TAIL(&server->sessions, s, entry);
	limit = conn_limits_add(server->limits, s->ip, set->pop3_max_connections,
				set->max_connections_per_ip);
	if (limit != CONN_LIMITS_OK) {
		log_warn("pop3: %s: client=[%s] rejected: too many connections%s", s->id, s->ip,
			 limit == CONN_LIMITS_PER_IP ? " from this address" : "");
		pop3_reply(s, "-ERR [SYS/TEMP] Too many connections, try again later");
		pop3_session_close(s);
		return;
	}
	log_info("pop3: %s: connect from [%s]", s->id, s->ip);
	pop3_reply(s, "+OK yubin POP3 server ready");
}

struct pop3_server *
pop3_server_new(const struct pop3_server_deps *deps, const char **error_r)
{
	struct pop3_server *server = xcalloc(1, sizeof(*server));
	const struct settings *set = deps->settings;

	server->deps = deps;
	server->limits = conn_limits_new();
	TAILQ_INIT(&server->sessions);
	server->kinds[POP3_LISTENER_PLAIN].server = server;
	server->kinds[POP3_LISTENER_PLAIN].kind = POP3_LISTENER_PLAIN;
	server->kinds[POP3_LISTENER_TLS].server = server;
	server->kinds[POP3_LISTENER_TLS].kind = POP3_LISTENER_TLS;
	if (set->pop3s_listen.n > 0 && deps->tls == NULL) {
		*error_r = "pop3s_listen needs TLS, but no certificate is loaded";
		pop3_server_free(&server);
		return NULL;
	}
	if (listener_bind_list(deps->base, &set->pop3_listen, pop3_server_accept,
			       &server->kinds[POP3_LISTENER_PLAIN], &server->listeners,
			       &server->n_listeners, error_r) < 0 ||
	    listener_bind_list(deps->base, &set->pop3s_listen, pop3_server_accept,
			       &server->kinds[POP3_LISTENER_TLS], &server->listeners,
			       &server->n_listeners, error_r) < 0) {
		pop3_server_free(&server);
		return NULL;
	}
	return server;
}

void
pop3_server_shutdown(struct pop3_server *server)
{
	struct pop3_session *s;

	server->shutting_down = true;
	listener_free_all(&server->listeners, &server->n_listeners);
	TAILQ_FOREACH(s, &server->sessions, entry) {
		/* a session in WAIT is mid-reply (RETR) or mid-login: it closes when done */
		if (s->state == POP3_STATE_CLOSING || s->state == POP3_STATE_WAIT)
			continue;
		pop3_reply(s, "-ERR [SYS/TEMP] Server shutting down");
		pop3_session_close(s);
	}
}

void
pop3_server_free(struct pop3_server **serverp)
{
	struct pop3_server *server = *serverp;

	if (server == NULL)
		return;
	*serverp = NULL;
	listener_free_all(&server->listeners, &server->n_listeners);
	while (!TAILQ_EMPTY(&server->sessions)) {
		struct pop3_session *s = TAILQ_FIRST(&server->sessions);
		pop3_server_session_closed(server, s);
		pop3_session_free(s);
	}
	conn_limits_free(&server->limits);
	free(server);
}
