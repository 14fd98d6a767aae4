/* The IMAP server object: listeners (imap_listen with STARTTLS, imaps_listen with
 * implicit TLS), connection limits and the list of sessions. */
#include "imap/imap_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf/settings.h"
#include "imap/imap_session.h"
#include "log/log.h"
#include "net/conn.h"
#include "net/conn_limits.h"
#include "net/listener.h"
#include "util/xmalloc.h"

struct imap_listener_ctx {
	struct imap_server *server;
	enum imap_listener_kind kind;
};

struct imap_server {
	const struct imap_server_deps *deps;
	struct listener **listeners;
	size_t n_listeners;
	struct imap_listener_ctx kinds[2];
	struct conn_limits *limits;
	TAILQ_HEAD(, imap_session) sessions;
	bool shutting_down;
	unsigned long long literal_memory; /* imap_literal.h */
};

const struct imap_server_deps *
imap_server_deps(const struct imap_server *server)
{
	return server->deps;
}

unsigned long long
imap_server_literal_memory_add(struct imap_server *server, long long delta)
{
	server->literal_memory = (unsigned long long)((long long)server->literal_memory + delta);
	return server->literal_memory;
}

void
imap_server_session_closed(struct imap_server *server, struct imap_session *s)
{
	conn_limits_remove(server->limits, s->ip);
	TAILQ_REMOVE(&server->sessions, s, entry);
}

static void
imap_server_accept(int fd, const struct sockaddr *peer, int peerlen, void *ctx)
{
	const struct imap_listener_ctx *l = ctx;
	struct imap_server *server = l->server;
	const struct settings *set = server->deps->settings;
	struct imap_session *s;
	struct conn *conn;
	enum conn_limits_result limit;
	struct buf caps = BUF_INIT;

	(void)peer;
	(void)peerlen;
	if (server->shutting_down) {
		close(fd);
		return;
	}
	conn = conn_new(server->deps->base, fd,
			l->kind == IMAP_LISTENER_TLS ? server->deps->tls : NULL, false, NULL, NULL);
	if (conn == NULL)
		return;
	s = imap_session_new(server, conn, l->kind);
	TAILQ_INSERT_TAIL(&server->sessions, s, entry);
	limit = conn_limits_add(server->limits, s->ip, set->imap_max_connections,
				set->max_connections_per_ip);
	if (limit != CONN_LIMITS_OK) {
		log_warn("imap: %s: client=[%s] rejected: too many connections%s", s->id, s->ip,
			 limit == CONN_LIMITS_PER_IP ? " from this address" : "");
		imap_send(s, "* BYE [UNAVAILABLE] Too many connections, try again later");
		imap_session_close(s);
		return;
	}
	log_info("imap: %s: connect from [%s]", s->id, s->ip);
	/* RFC 3501 7.1.1: the greeting; the capabilities save a round trip */
	imap_capabilities(s, &caps);
	imap_send(s, "* OK [CAPABILITY %s] yubin IMAP server ready", buf_cstr(&caps));
	buf_free(&caps);
}

struct imap_server *
imap_server_new(const struct imap_server_deps *deps, const char **error_r)
{
	struct imap_server *server = xcalloc(1, sizeof(*server));
	const struct settings *set = deps->settings;

	server->deps = deps;
	server->limits = conn_limits_new();
	TAILQ_INIT(&server->sessions);
	for (unsigned i = 0; i < 2; i++) {
		server->kinds[i].server = server;
		server->kinds[i].kind = i == 0 ? IMAP_LISTENER_PLAIN : IMAP_LISTENER_TLS;
	}
	if (set->imaps_listen.n > 0 && deps->tls == NULL) {
		*error_r = "imaps_listen needs TLS, but no certificate is loaded";
		imap_server_free(&server);
		return NULL;
	}
	if (listener_bind_list(deps->base, &set->imap_listen, imap_server_accept,
			       &server->kinds[IMAP_LISTENER_PLAIN], &server->listeners,
			       &server->n_listeners, error_r) < 0 ||
	    listener_bind_list(deps->base, &set->imaps_listen, imap_server_accept,
			       &server->kinds[IMAP_LISTENER_TLS], &server->listeners,
			       &server->n_listeners, error_r) < 0) {
		imap_server_free(&server);
		return NULL;
	}
	return server;
}

void
imap_server_shutdown(struct imap_server *server)
{
	struct imap_session *s;

	server->shutting_down = true;
	listener_free_all(&server->listeners, &server->n_listeners);
	TAILQ_FOREACH(s, &server->sessions, entry) {
		if (s->state == IMAP_STATE_LOGOUT)
			continue;
		imap_send(s, "* BYE [UNAVAILABLE] Server shutting down");
		imap_session_close(s);
	}
}

void
imap_server_free(struct imap_server **serverp)
{
	struct imap_server *server = *serverp;

	if (server == NULL)
		return;
	*serverp = NULL;
	listener_free_all(&server->listeners, &server->n_listeners);
	while (!TAILQ_EMPTY(&server->sessions)) {
		struct imap_session *s = TAILQ_FIRST(&server->sessions);
		imap_server_session_closed(server, s);
		imap_session_free(s);
	}
	conn_limits_free(&server->limits);
	free(server);
}
