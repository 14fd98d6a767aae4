/* The server base shared by SMTP, POP3 and IMAP (see server.h). */
#include "net/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf/settings.h"
#include "log/log.h"
#include "net/conn.h"
#include "net/conn_limits.h"
#include "net/listener.h"
#include "net/session.h"
#include "util/metrics.h"
#include "util/xmalloc.h"

/* The accept context of one listen list: its kind and TLS. */
struct server_kind {
	struct server *srv;
	unsigned kind;
	SSL_CTX *const *tls;
	enum metrics_proto proto; /* from the listen key, for the connection metrics */
};

struct server {
	struct server_params p;
	void *owner;
	struct listener **listeners;
	size_t n_listeners;
	struct server_kind **kinds;
	size_t n_kinds;
	struct conn_limits *limits;
	TAILQ_HEAD(, session) sessions;
	unsigned orphans; /* sessions whose connection is gone, with an async step in flight */
	bool shutting_down;
};

static void
server_accept(int fd, const struct sockaddr *peer, int peerlen, void *ctx)
{
	const struct server_kind *k = ctx;
	struct server *srv = k->srv;
	const struct session_ops *ops = srv->p.ops;
	enum conn_limits_result limit;
	struct session *s;
	struct conn *conn;

	(void)peer;
	(void)peerlen;
	if (srv->shutting_down) {
		close(fd);
		return;
	}
	conn = conn_new(srv->p.base, fd, k->tls != NULL ? *k->tls : NULL, false, NULL, NULL);
	if (conn == NULL)
		return;
	s = ops->create(srv, conn, k->kind);
	TAILQ_INSERT_TAIL(&srv->sessions, s, entry);
	s->listed = true;
	s->mproto = k->proto;
	metrics_connection(k->proto, 1);
	limit = conn_limits_add(srv->limits, s->ip, srv->p.max_connections, srv->p.max_per_ip);
	if (limit != CONN_LIMITS_OK) {
		/* RFC 5321 3.8 421; POP3 -ERR [SYS/TEMP]; IMAP BYE [UNAVAILABLE] */
		log_warn("%s: %s: client=[%s] rejected: too many connections%s (%u)", ops->proto,
			 s->id, s->ip, limit == CONN_LIMITS_PER_IP ? " from this address" : "",
			 limit == CONN_LIMITS_PER_IP ? srv->p.max_per_ip : srv->p.max_connections);
		session_printf(s,
			       limit == CONN_LIMITS_PER_IP && ops->too_many_per_ip != NULL
				       ? ops->too_many_per_ip
				       : ops->too_many,
			       srv->p.hostname);
		session_close(s);
		return;
	}
	log_info("%s: %s: connect from [%s] port=%u", ops->proto, s->id, s->ip,
		 conn_local_port(conn));
	ops->greeting(s);
}

static int
server_listen(struct server *srv, const struct server_listen *sl, const char **error_r)
{
	static char error[128];
	struct server_kind *k;

	if (sl->list->n == 0)
		return 0;
	if (sl->implicit_tls && (srv->p.tls == NULL || *srv->p.tls == NULL)) {
		snprintf(error, sizeof(error), "%s needs TLS, but no certificate is loaded",
			 sl->key);
		*error_r = error;
		return -1;
	}
	k = xcalloc(1, sizeof(*k));
	k->srv = srv;
	k->kind = sl->kind;
	k->tls = sl->implicit_tls ? srv->p.tls : NULL;
	k->proto = metrics_proto_of_key(sl->key);
	srv->kinds = xrealloc(srv->kinds, (srv->n_kinds + 1) * sizeof(*srv->kinds));
	srv->kinds[srv->n_kinds++] = k;
	return listener_bind_list(srv->p.base, sl->list, server_accept, k, &srv->listeners,
				  &srv->n_listeners, error_r);
}

struct server *
server_open(const struct server_params *params, const struct server_listen *lists, size_t n,
	    const char **error_r)
{
	struct server *srv = xcalloc(1, sizeof(*srv));

	srv->p = *params;
	srv->owner = xcalloc(1, params->owner_size > 0 ? params->owner_size : 1);
	srv->limits = conn_limits_new();
	TAILQ_INIT(&srv->sessions);
	for (size_t i = 0; i < n; i++) {
		if (server_listen(srv, &lists[i], error_r) < 0) {
			server_free(&srv);
			return NULL;
		}
	}
	return srv;
}

void *
server_owner(const struct server *srv)
{
	return srv->owner;
}

unsigned
server_max_errors(const struct server *srv)
{
	return srv->p.max_errors;
}

const char *
server_hostname(const struct server *srv)
{
	return srv->p.hostname;
}

bool
server_shutting_down(const struct server *srv)
{
	return srv->shutting_down;
}

unsigned
server_login_timeout(const struct server *srv)
{
	return srv->p.login_timeout;
}

void
server_session_gone(struct server *srv, struct session *s)
{
	if (!s->listed)
		return;
	s->listed = false;
	metrics_connection((enum metrics_proto)s->mproto, -1);
	conn_limits_remove(srv->limits, s->ip);
	TAILQ_REMOVE(&srv->sessions, s, entry);
}

void
server_shutdown(struct server *srv)
{
	struct session *s;

	srv->shutting_down = true;
	listener_free_all(&srv->listeners, &srv->n_listeners);
	TAILQ_FOREACH(s, &srv->sessions, entry)
	{
		/* a command in flight finishes first: its reply (a delivery's 250, an
		 * APPEND's tagged OK) is what the client needs to not send it again */
		if (session_busy(s))
			continue;
		session_printf(s, srv->p.ops->shutdown, srv->p.hostname);
		session_close(s);
	}
}

unsigned
server_session_count(const struct server *srv)
{
	const struct session *s;
	unsigned n = 0;

	if (srv == NULL)
		return 0;
	TAILQ_FOREACH(s, &srv->sessions, entry)
	n++;
	return n;
}

void
server_orphans_add(struct server *srv, int delta)
{
	srv->orphans = (unsigned)((int)srv->orphans + delta);
}

bool
server_busy(const struct server *srv)
{
	const struct session *s;

	if (srv == NULL)
		return false;
	/* a delivery, an APPEND or a login check whose client left still completes (and
	 * frees its session) before the loop ends */
	if (srv->orphans > 0)
		return true;
	TAILQ_FOREACH(s, &srv->sessions, entry)
	if (session_busy(s))
		return true;
	return false;
}

void
server_free(struct server **srvp)
{
	struct server *srv = *srvp;

	if (srv == NULL)
		return;
	*srvp = NULL;
	listener_free_all(&srv->listeners, &srv->n_listeners);
	while (!TAILQ_EMPTY(&srv->sessions)) {
		struct session *s = TAILQ_FIRST(&srv->sessions);

		server_session_gone(srv, s);
		srv->p.ops->free(s);
	}
	for (size_t i = 0; i < srv->n_kinds; i++)
		free(srv->kinds[i]);
	free(srv->kinds);
	free(srv->owner);
	conn_limits_free(&srv->limits);
	free(srv);
}
