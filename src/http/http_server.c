/* The evhttp side of src/http (see http_server.h): one evhttp per kind of listener, the
 * connections' bufferevents (TLS for https_listen), the connection limit and the request
 * deadline that answers 408.
 *
 * evhttp itself answers a malformed request with 400 and an oversized one with 413, but on
 * a read timeout it closes silently. A request that is too slow gets its 408 here: every
 * connection carries a timer from accept, stopped when the request is complete; when it
 * fires first, the 408 is written and the socket shut down, so evhttp sees the end of the
 * connection and frees it. evhttp's own timeout stays as a backstop a little later.
 * evhttp tells when it frees a connection through the connection's close callback; the
 * connection object exists only once the bufferevent we made is handed to it, so the
 * callback is attached right after accept, before any byte is read (http_conn_attach).
 * Each response closes the connection, so one connection is one request and one deadline. */
#include "http/http_server.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf/settings.h"
#include "http/http_request.h"
#include "log/log.h"
#include "util/metrics.h"
#include "util/xmalloc.h"

/* evhttp's own timeout, past http_timeout: only for a connection the 408 could not end */
#define HTTP_BACKSTOP_SECONDS 5

enum { SITE_HTTP, SITE_HTTPS, SITE_METRICS, SITE_COUNT };

struct http_site_ctx {
	struct http_server *srv;
	struct evhttp *http;
	enum http_site site;
	bool tls;
	enum metrics_proto proto;
	struct evhttp_bound_socket **bound;
	size_t n_bound;
};

struct http_conn {
	TAILQ_ENTRY(http_conn) entry;
	struct http_site_ctx *site;
	struct bufferevent *bev;
	struct evhttp_connection *evcon; /* NULL until attached */
	struct event *deadline, *attach;
	bool answered;
};

struct http_server {
	struct http_deps deps;
	struct http_admin *admin;
	struct http_site_ctx sites[SITE_COUNT];
	TAILQ_HEAD(, http_conn) conns;
	unsigned n_conns;
	bool paused, shutting_down;
};

static void
http_listeners_enable(struct http_server *srv, bool on)
{
	for (int i = 0; i < SITE_COUNT; i++)
		for (size_t j = 0; j < srv->sites[i].n_bound; j++) {
			struct evconnlistener *l =
				evhttp_bound_socket_get_listener(srv->sites[i].bound[j]);
			if (on)
				evconnlistener_enable(l);
			else
				evconnlistener_disable(l);
		}
	srv->paused = !on;
}

static void
http_conn_free(struct http_conn *c)
{
	struct http_server *srv = c->site->srv;

	TAILQ_REMOVE(&srv->conns, c, entry);
	srv->n_conns--;
	metrics_connection(c->site->proto, -1);
	event_free(c->deadline);
	event_free(c->attach);
	free(c);
}

/* evhttp frees the connection: the close callback runs first. */
static void
http_conn_gone(struct evhttp_connection *evcon, void *arg)
{
	struct http_conn *c = arg;
	struct http_server *srv = c->site->srv;

	(void)evcon;
	http_conn_free(c);
	if (srv->paused && !srv->shutting_down &&
	    srv->n_conns < srv->deps.settings->http_max_connections)
		http_listeners_enable(srv, true);
}

/* RFC 9110 15.5.9: the request did not arrive in time. */
static void
http_conn_expired(evutil_socket_t unused, short what, void *arg)
{
	static const char resp[] = "HTTP/1.1 408 Request Timeout\r\n"
				   "Content-Type: text/plain; charset=utf-8\r\n"
				   "Content-Length: 20\r\n"
				   "Connection: close\r\n\r\n"
				   "408 Request Timeout\n";
	struct http_conn *c = arg;
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	(void)unused;
	(void)what;
	if (c->answered || fd < 0)
		return;
	log_info("http: request not complete within %us: 408",
		 c->site->srv->deps.settings->http_timeout);
	/* written straight to the socket (or TLS session): nothing else is queued on it yet,
	 * and the reply is far smaller than the socket buffer */
	if (c->site->tls) {
		SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
		if (ssl != NULL && SSL_is_init_finished(ssl))
			(void)SSL_write(ssl, resp, (int)sizeof(resp) - 1);
	} else {
		(void)send(fd, resp, sizeof(resp) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	/* evhttp reads the end of the stream and frees the connection */
	shutdown(fd, SHUT_RDWR);
}

/* Runs right after accept, in the same loop iteration: evhttp has made its connection
 * around our bufferevent (it is the bufferevent's callback argument) and read nothing
 * yet. */
static void
http_conn_attach(evutil_socket_t unused, short what, void *arg)
{
	struct http_conn *c = arg;
	bufferevent_data_cb readcb, writecb;
	bufferevent_event_cb eventcb;
	void *evcon = NULL;

	(void)unused;
	(void)what;
	bufferevent_getcb(c->bev, &readcb, &writecb, &eventcb, &evcon);
	if (evcon == NULL) {
		/* evhttp could not take the connection (and freed the bufferevent) */
		http_conn_free(c);
		return;
	}
	c->evcon = evcon;
	evhttp_connection_set_closecb(c->evcon, http_conn_gone, c);
}

static struct bufferevent *
http_bevcb(struct event_base *base, void *arg)
{
	struct http_site_ctx *site = arg;
	struct http_server *srv = site->srv;
	struct http_conn *c = xcalloc(1, sizeof(*c));
	struct timeval tv = {(time_t)srv->deps.settings->http_timeout, 0};

	c->site = site;
	if (site->tls) {
		SSL *ssl = SSL_new(*srv->deps.tls);
		if (ssl == NULL)
			abort(); /* out of memory, as xmalloc */
		c->bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
							BEV_OPT_CLOSE_ON_FREE);
	} else {
		c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	}
	if (c->bev == NULL)
		abort();
	c->deadline = evtimer_new(base, http_conn_expired, c);
	evtimer_add(c->deadline, &tv);
	c->attach = event_new(base, -1, 0, http_conn_attach, c);
	event_active(c->attach, EV_TIMEOUT, 0);
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->n_conns++;
	metrics_connection(site->proto, 1);
	if (srv->n_conns >= srv->deps.settings->http_max_connections && !srv->paused) {
		log_warn("http: %u connections (http_max_connections): not accepting for now",
			 srv->n_conns);
		http_listeners_enable(srv, false);
	}
	return c->bev;
}

static struct http_conn *
http_conn_of(struct http_server *srv, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct http_conn *c;

	TAILQ_FOREACH(c, &srv->conns, entry)
	if (evcon != NULL && c->evcon == evcon)
		return c;
	return NULL;
}

static void
http_gencb(struct evhttp_request *req, void *arg)
{
	struct http_site_ctx *site = arg;
	struct http_conn *c = http_conn_of(site->srv, req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct http_request r;
	char *path = NULL, *body = NULL;
	size_t len = evbuffer_get_length(in);

	if (c != NULL) {
		c->answered = true;
		evtimer_del(c->deadline);
		if (site->tls && bufferevent_openssl_get_ssl(c->bev) != NULL)
			metrics_tls_handshake(SSL_get_version(bufferevent_openssl_get_ssl(c->bev)));
	}
	memset(&r, 0, sizeof(r));
	r.req = req;
	r.deps = &site->srv->deps;
	r.admin = site->srv->admin;
	r.site = site->site;
	r.tls = site->tls;
	if (uri != NULL && evhttp_uri_get_path(uri) != NULL)
		path = evhttp_uridecode(evhttp_uri_get_path(uri), 0, NULL);
	r.path = path != NULL ? path : "/";
	r.query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	if (len > 0) {
		body = xmalloc(len + 1);
		evbuffer_copyout(in, body, len);
		body[len] = '\0';
		r.body = body;
		r.body_len = len;
	}
	metrics_inc(METRICS_HTTP_REQUESTS);
	http_route(&r);
	free(body);
	free(path);
}

static int
http_bind(struct http_site_ctx *site, const struct listen_list *list, const char *key,
	  const char **error_r)
{
	static char error[256];
	struct event_base *base = site->srv->deps.base;

	for (size_t i = 0; i < list->n; i++) {
		const char *host = list->addrs[i].host;
		struct addrinfo hints, *res = NULL;
		struct evconnlistener *l;
		char port[16];
		int err;

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = host != NULL && *host != '\0' ? AF_UNSPEC : AF_INET6;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
		snprintf(port, sizeof(port), "%u", list->addrs[i].port);
		err = getaddrinfo(host != NULL && *host != '\0' ? host : NULL, port, &hints, &res);
		if (err != 0) {
			snprintf(error, sizeof(error), "%s: bad address %s: %s", key,
				 host != NULL ? host : "", gai_strerror(err));
			*error_r = error;
			return -1;
		}
		l = evconnlistener_new_bind(base, NULL, NULL,
					    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
						    LEV_OPT_CLOSE_ON_EXEC,
					    128, res->ai_addr, (int)res->ai_addrlen);
		freeaddrinfo(res);
		if (l == NULL) {
			snprintf(error, sizeof(error), "%s: cannot listen on %s:%s: %s", key,
				 host != NULL && *host != '\0' ? host : "*", port, strerror(errno));
			*error_r = error;
			return -1;
		}
		site->bound = xrealloc(site->bound, (site->n_bound + 1) * sizeof(*site->bound));
		site->bound[site->n_bound++] = evhttp_bind_listener(site->http, l);
	}
	return 0;
}

static int
http_site_open(struct http_server *srv, int which, const struct listen_list *list, const char *key,
	       const char **error_r)
{
	const struct settings *s = srv->deps.settings;
	struct http_site_ctx *site = &srv->sites[which];
	struct timeval backstop = {(time_t)(s->http_timeout + HTTP_BACKSTOP_SECONDS), 0};

	site->srv = srv;
	site->site = which == SITE_METRICS ? HTTP_SITE_METRICS : HTTP_SITE_WEB;
	site->tls = which == SITE_HTTPS;
	/* scrapes are not counted: they would change what they measure */
	site->proto = which == SITE_HTTPS  ? METRICS_HTTPS
		      : which == SITE_HTTP ? METRICS_HTTP
					   : METRICS_PROTO_COUNT;
	if (list->n == 0)
		return 0;
	if (site->tls && (srv->deps.tls == NULL || *srv->deps.tls == NULL)) {
		*error_r = "https_listen needs TLS, but no certificate is loaded";
		return -1;
	}
	site->http = evhttp_new(srv->deps.base);
	if (site->http == NULL) {
		*error_r = "cannot create an evhttp";
		return -1;
	}
	evhttp_set_max_headers_size(site->http, (ev_ssize_t)s->http_max_header_size);
	evhttp_set_max_body_size(site->http, (ev_ssize_t)s->http_max_body_size);
	evhttp_set_timeout_tv(site->http, &backstop);
	evhttp_set_allowed_methods(site->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
	evhttp_set_bevcb(site->http, http_bevcb, site);
	evhttp_set_gencb(site->http, http_gencb, site);
	return http_bind(site, list, key, error_r);
}

struct http_server *
http_server_new(const struct http_deps *deps, const char **error_r)
{
	struct http_server *srv = xcalloc(1, sizeof(*srv));
	const struct settings *s = deps->settings;

	srv->deps = *deps;
	srv->admin = http_admin_new();
	TAILQ_INIT(&srv->conns);
	if (http_site_open(srv, SITE_HTTP, &s->http_listen, "http_listen", error_r) < 0 ||
	    http_site_open(srv, SITE_HTTPS, &s->https_listen, "https_listen", error_r) < 0 ||
	    http_site_open(srv, SITE_METRICS, &s->metrics_listen, "metrics_listen", error_r) < 0) {
		http_server_free(&srv);
		return NULL;
	}
	return srv;
}

void
http_server_set_queue(struct http_server *srv, struct queue *queue)
{
	srv->deps.queue = queue;
}

void
http_server_set_admin(struct http_server *srv, const struct http_deps *deps)
{
	srv->deps.accounts = deps->accounts;
	srv->deps.store = deps->store;
	srv->deps.workers = deps->workers;
	srv->deps.penalty = deps->penalty;
	srv->deps.smtp = deps->smtp;
	srv->deps.pop3 = deps->pop3;
	srv->deps.imap = deps->imap;
}

void
http_server_shutdown(struct http_server *srv)
{
	if (srv == NULL)
		return;
	srv->shutting_down = true;
	http_listeners_enable(srv, false);
}

void
http_server_free(struct http_server **srvp)
{
	struct http_server *srv = *srvp;

	if (srv == NULL)
		return;
	/* evhttp_free frees the connections, and their close callbacks our records; those
	 * not attached yet (the loop stopped right after their accept) are freed here */
	for (int i = 0; i < SITE_COUNT; i++) {
		if (srv->sites[i].http != NULL)
			evhttp_free(srv->sites[i].http);
		free(srv->sites[i].bound);
	}
	while (!TAILQ_EMPTY(&srv->conns))
		http_conn_free(TAILQ_FIRST(&srv->conns));
	http_admin_free(&srv->admin);
	free(srv);
	*srvp = NULL;
}
