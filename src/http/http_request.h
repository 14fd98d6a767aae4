/* Internals of src/http: one request as the handlers see it, the reply helpers, and
 * what the client settings are (server name, ports, security) as every client-facing
 * answer describes them. */
#ifndef HTTP_HTTP_REQUEST_H
#define HTTP_HTTP_REQUEST_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "http/http_server.h"
#include "util/buf.h"

struct evhttp_request;

/* Where a route is served: the web listeners (http, https) or the metrics listener. */
enum http_site {
	HTTP_SITE_WEB = 1,
	HTTP_SITE_METRICS = 2,
};

struct http_admin;

struct http_request {
	struct evhttp_request *req;
	const struct http_deps *deps;
	struct http_admin *admin; /* the admin page's sessions (http_admin.c) */
	enum http_site site;
	bool tls;          /* came in on https_listen */
	const char *path;  /* decoded path, without the query */
	const char *query; /* raw query string, or NULL */
	const char *body;  /* request body (NUL-terminated copy), or NULL */
	size_t body_len;
	int status; /* set by http_reply() */
};

typedef void http_handler(struct http_request *r);

/* Sends status with body (which is freed) and content type; every response carries
 * Connection: close, X-Content-Type-Options: nosniff and Cache-Control: no-store. */
void http_reply(struct http_request *r, int status, const char *content_type, struct buf *body);
/* A short text/plain error page: "404 Not Found\n". */
void http_reply_error(struct http_request *r, int status, const char *reason);
/* The value of name in the query (application/x-www-form-urlencoded), decoded, or NULL.
 * Free the result. */
char *http_query_param(const struct http_request *r, const char *name);
/* A request header's value, or NULL. */
const char *http_header(const struct http_request *r, const char *name);

/* Appends s with &, <, >, " and ' escaped (XML 1.0 2.4, and HTML text and attributes). */
void http_escape(struct buf *out, const char *s);

/* Whether address is a plausible mailbox to describe: local@domain, at most 254 bytes,
 * no space or control character, no markup characters. */
bool http_address_ok(const char *address);
/* Whether domain is one of mydomains (case-insensitive). */
bool http_domain_is_ours(const struct settings *s, const char *domain);

/* One service a mail client can use, as the config says it is offered. */
struct http_service {
	const char *proto; /* "imap", "pop3", "smtp" */
	unsigned port;
	bool implicit_tls; /* SSL/TLS; else STARTTLS */
};
/* The services of the config, preferred first (implicit TLS before STARTTLS, RFC 8314
 * 3.3): up to 6 into out, returns how many. */
size_t http_services(const struct settings *s, struct http_service *out);

/* The notAfter of tls's certificate (Unix time) and, if subject is not NULL, its subject
 * as one line; false when there is none (http_metrics.c). */
bool http_cert_info(SSL_CTX *tls, time_t *not_after_r, char *subject, size_t size);

/* The handlers (http_autoconfig.c, http_page.c, http_metrics.c). */
void http_autoconfig(struct http_request *r);
void http_autodiscover(struct http_request *r);
void http_mobileconfig(struct http_request *r);
void http_mta_sts(struct http_request *r);
void http_settings_page(struct http_request *r);
void http_healthz(struct http_request *r);
void http_metrics(struct http_request *r);
void http_acme_challenge(struct http_request *r); /* http_acme.c */
/* The admin page (http_admin.c): GET /admin; POST /admin/login (answered later, after
 * the password check), /admin/logout, /admin/queue, /admin/dnscheck. */
void http_admin_get(struct http_request *r);
void http_admin_post(struct http_request *r);

/* The admin page's state, one per server (http_admin.c). */
struct http_admin *http_admin_new(void);
void http_admin_free(struct http_admin **a);

/* http_routes.c: finds the route of r (method, path, site) and runs it, or answers 404 /
 * 405. */
void http_route(struct http_request *r);

#endif
