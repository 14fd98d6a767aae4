/* The HTTP side of `yubin serve` on libevent's evhttp: plain (http_listen), TLS
 * (https_listen, the server's certificate) and the metrics listener (metrics_listen,
 * loopback by default). What is served is the route table of http_routes.c: client
 * autoconfiguration, the MTA-STS policy, the settings page, /healthz, and /metrics on the
 * metrics listener only. Every request must arrive whole within http_timeout (else 408),
 * with headers within http_max_header_size and a body within http_max_body_size (else
 * 400 / 413); each response closes its connection. */
#ifndef HTTP_HTTP_SERVER_H
#define HTTP_HTTP_SERVER_H
#include <openssl/ssl.h>
#include <stdbool.h>
#include <time.h>

struct event_base;
struct http_server;
struct queue;
struct settings;

struct accounts;
struct penalty;
struct server;
struct store;
struct workers;

struct http_deps {
	struct event_base *base;
	const struct settings *settings;
	SSL_CTX *const *tls; /* for https_listen, read at each accept (a reload may replace it) */
	struct queue *queue; /* for the queue gauges of /metrics; may be NULL until set */
	time_t start_time;
	/* The admin page's (http_server_set_admin(); until then /admin answers 503): logins
	 * through auth_login_check(), the account list with quota use, sessions per protocol. */
	struct accounts *accounts;
	struct store *store;
	struct workers *workers;
	struct penalty *penalty; /* may be NULL */
	struct server *smtp, *pop3, *imap;
};

/* Binds http_listen, https_listen and metrics_listen (each may be empty). NULL with
 * *error_r (static text) when an address cannot be bound. deps must outlive the server. */
struct http_server *http_server_new(const struct http_deps *deps, const char **error_r);
/* The queue for /metrics' gauges (serve opens it after binding). */
void http_server_set_queue(struct http_server *srv, struct queue *queue);
/* What the admin page needs (serve opens it after binding): the fields of deps from
 * accounts on are taken. */
void http_server_set_admin(struct http_server *srv, const struct http_deps *deps);
/* Stops accepting; requests in flight are answered. */
void http_server_shutdown(struct http_server *srv);
void http_server_free(struct http_server **srv);

#endif
