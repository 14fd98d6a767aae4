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

struct http_deps {
	struct event_base *base;
	const struct settings *settings;
	SSL_CTX *const *tls; /* for https_listen, read at each accept (a reload may replace it) */
	struct queue *queue; /* for the queue gauges of /metrics; may be NULL until set */
	time_t start_time;
};

/* Binds http_listen, https_listen and metrics_listen (each may be empty). NULL with
 * *error_r (static text) when an address cannot be bound. deps must outlive the server. */
struct http_server *http_server_new(const struct http_deps *deps, const char **error_r);
/* The queue for /metrics' gauges (serve opens it after binding). */
void http_server_set_queue(struct http_server *srv, struct queue *queue);
/* Stops accepting; requests in flight are answered. */
void http_server_shutdown(struct http_server *srv);
void http_server_free(struct http_server **srv);

#endif
