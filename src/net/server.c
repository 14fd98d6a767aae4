/* The server base shared by SMTP, POP3 and IMAP (see server.h). */
#include "net/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* One bound address: what it was bound for, so that a reload keeps the sockets whose
 * address is still configured (no gap in accepting) and closes only the removed ones. */
struct server_bound {
	struct listener *l;
	char *host;
	unsigned short port;
	size_t kind; /* index in kinds */
	bool reused; /* pending only: taken over from the live set */
};

/* A set of listeners: the live one, or the one a reload prepared. */
struct server_binds {
	struct server_bound *items;
	size_t n;
};

struct server {
	struct server_params p;
	void *owner;
	struct server_binds live;
	struct server_binds pending;    /* server_reload_prepare() .. _commit()/_abort() */
	struct server_params pending_p; /* the limits and hostname the reload applies */
	bool has_pending;
	struct server_kind **kinds; /* one per listen list, in the order of the lists */
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
	s->counted = true;
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

static void
server_binds_free(struct server_binds *b, bool keep_reused)
{
	for (size_t i = 0; i < b->n; i++) {
		if (!(keep_reused && b->items[i].reused))
			listener_free(&b->items[i].l);
		free(b->items[i].host);
	}
	free(b->items);
	b->items = NULL;
	b->n = 0;
}

static bool
server_same_host(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* The live listener bound to host:port not yet taken over by the pending set, or NULL. */
static struct server_bound *
server_live_find(struct server *srv, const char *host, unsigned short port)
{
	for (size_t i = 0; i < srv->live.n; i++) {
		struct server_bound *b = &srv->live.items[i];

		if (b->l != NULL && b->port == port && server_same_host(b->host, host))
			return b;
	}
	return NULL;
}

/* The kind (accept context) of list number idx, created at the first use. */
static struct server_kind *
server_kind_at(struct server *srv, size_t idx, const struct server_listen *sl)
{
	while (srv->n_kinds <= idx) {
		srv->kinds = xrealloc(srv->kinds, (srv->n_kinds + 1) * sizeof(*srv->kinds));
		srv->kinds[srv->n_kinds] = xcalloc(1, sizeof(**srv->kinds));
		srv->kinds[srv->n_kinds]->srv = srv;
		srv->n_kinds++;
	}
	srv->kinds[idx]->kind = sl->kind;
	srv->kinds[idx]->tls = sl->implicit_tls ? srv->p.tls : NULL;
	srv->kinds[idx]->proto = metrics_proto_of_key(sl->key);
	return srv->kinds[idx];
}

/* Binds (or takes over from the live set) every address of list idx into srv->pending. */
static int
server_listen(struct server *srv, const struct server_listen *sl, size_t idx, const char **error_r)
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
	k = server_kind_at(srv, idx, sl);
	for (size_t i = 0; i < sl->list->n; i++) {
		const struct listen_addr *a = &sl->list->addrs[i];
		struct server_bound *live = server_live_find(srv, a->host, a->port);
		struct server_bound b = {.host = a->host != NULL ? xstrdup(a->host) : NULL,
					 .port = a->port,
					 .kind = idx};

		if (live != NULL) {
			b.l = live->l;
			b.reused = true;
			live->l = NULL; /* taken: not matched twice, not freed at commit */
		} else {
			b.l = listener_new(srv->p.base, a->host, a->port, server_accept, k,
					   error_r);
			if (b.l == NULL) {
				free(b.host);
				return -1;
			}
		}
		srv->pending.items = xrealloc(srv->pending.items, (srv->pending.n + 1) * sizeof(b));
		srv->pending.items[srv->pending.n++] = b;
	}
	return 0;
}

int
server_reload_prepare(struct server *srv, const struct server_params *params,
		      const struct server_listen *lists, size_t n, const char **error_r)
{
	if (srv->has_pending)
		server_reload_abort(srv);
	srv->has_pending = true;
	srv->pending_p = *params;
	if (srv->shutting_down)
		return 0; /* no listeners any more: only the limits change */
	for (size_t i = 0; i < n; i++)
		if (server_listen(srv, &lists[i], i, error_r) < 0)
			return -1;
	return 0;
}

void
server_reload_abort(struct server *srv)
{
	/* hand the taken-over sockets back to the live set, close the new ones */
	for (size_t i = 0; i < srv->pending.n; i++) {
		struct server_bound *b = &srv->pending.items[i];
		struct server_bound *live;

		if (!b->reused)
			continue;
		for (size_t j = 0; j < srv->live.n; j++) {
			live = &srv->live.items[j];
			if (live->l == NULL && live->port == b->port &&
			    server_same_host(live->host, b->host)) {
				live->l = b->l;
				break;
			}
		}
	}
	server_binds_free(&srv->pending, true);
	srv->has_pending = false;
}

void
server_reload_commit(struct server *srv)
{
	if (!srv->has_pending)
		return;
	srv->has_pending = false;
	srv->p.max_connections = srv->pending_p.max_connections;
	srv->p.max_per_ip = srv->pending_p.max_per_ip;
	srv->p.login_timeout = srv->pending_p.login_timeout;
	srv->p.max_errors = srv->pending_p.max_errors;
	srv->p.hostname = srv->pending_p.hostname;
	if (srv->shutting_down)
		return;
	/* the live listeners not taken over are the removed addresses: closing a listening
	 * socket leaves the connections it accepted alone, so their sessions go on */
	server_binds_free(&srv->live, false);
	srv->live = srv->pending;
	memset(&srv->pending, 0, sizeof(srv->pending));
	for (size_t i = 0; i < srv->live.n; i++)
		listener_set_ctx(srv->live.items[i].l, srv->kinds[srv->live.items[i].kind]);
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
	if (server_reload_prepare(srv, params, lists, n, error_r) < 0) {
		server_free(&srv);
		return NULL;
	}
	server_reload_commit(srv);
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
server_session_uncount(struct server *srv, struct session *s)
{
	if (!s->counted)
		return;
	s->counted = false;
	conn_limits_remove(srv->limits, s->ip);
}

void
server_session_gone(struct server *srv, struct session *s)
{
	if (!s->listed)
		return;
	s->listed = false;
	metrics_connection((enum metrics_proto)s->mproto, -1);
	server_session_uncount(srv, s);
	TAILQ_REMOVE(&srv->sessions, s, entry);
}

void
server_shutdown(struct server *srv)
{
	struct session *s;

	srv->shutting_down = true;
	if (srv->has_pending)
		server_reload_abort(srv);
	server_binds_free(&srv->live, false);
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
	if (srv->has_pending)
		server_reload_abort(srv);
	server_binds_free(&srv->live, false);
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
