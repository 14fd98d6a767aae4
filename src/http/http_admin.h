/* Internals of the admin web page (http_admin.c: login, sessions, actions;
 * http_admin_page.c: the page; http_admin_dns.c: the DNS check on a worker thread). */
#ifndef HTTP_HTTP_ADMIN_H
#define HTTP_HTTP_ADMIN_H
#include <stdbool.h>

#include "http/http_request.h"

/* A session token and a CSRF token: 32 random bytes, in hex. */
#define HTTP_ADMIN_TOKEN_HEX 64

struct admin_session;
struct buf;
struct http_dnscheck;

/* Whether r may reach the admin page: on https_listen, or from a loopback client. */
bool http_admin_allowed(const struct http_request *r);
/* The session of r's cookie, its idle time reset; NULL when none or expired. */
struct admin_session *http_admin_session(struct http_request *r);
const char *http_admin_session_account(const struct admin_session *s);
const char *http_admin_session_csrf(const struct admin_session *s);
/* The security headers of every admin page (CSP without script, no framing). */
void http_admin_headers(struct http_request *r);

/* http_admin_page.c: the document's head (title escaped) and the page of session s. */
void http_admin_page_head(struct buf *x, const char *title);
void http_admin_page(struct http_request *r, const struct admin_session *s);

/* http_admin_dns.c: the last DNS check of the server (where http_admin keeps it). */
struct http_dnscheck **http_admin_dnscheck(struct http_admin *a);
/* Starts a DNS check on a worker thread unless one runs. */
void http_dnscheck_start(struct http_request *r);
/* Its state and report as HTML (escaped). */
void http_dnscheck_render(struct http_admin *a, struct buf *x);
void http_dnscheck_free(struct http_dnscheck **d);

#endif
