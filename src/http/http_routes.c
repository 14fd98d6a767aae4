/* The route table of src/http: which handler answers which method and path on which
 * listener. One table, looked up in one place, so a new page (the admin page, ACME's
 * http-01 challenge under /.well-known/acme-challenge/) is one line here. */
#include <event2/http.h>
#include <stdio.h>
#include <string.h>

#include "http/http_request.h"
#include "log/log.h"
#include "util/str.h"

enum {
	M_GET = 1, /* GET and HEAD */
	M_POST = 2,
};

struct http_route {
	const char *path;
	unsigned methods;
	unsigned sites; /* enum http_site bits */
	bool nocase;    /* Outlook varies the case of the Autodiscover path */
	bool prefix;    /* path is a prefix ending in '/' (ACME: /.well-known/acme-challenge/) */
	bool quiet;     /* logged at debug only (scraped every few seconds) */
	http_handler *handler;
};

static const struct http_route routes[] = {
	/* Thunderbird autoconfig: the well-known URL on the domain and the autoconfig.
	 * host's path (both, as Thunderbird tries them) */
	{"/.well-known/autoconfig/mail/config-v1.1.xml", M_GET, HTTP_SITE_WEB, false, false, false,
	 http_autoconfig},
	{"/mail/config-v1.1.xml", M_GET, HTTP_SITE_WEB, false, false, false, http_autoconfig},
	/* Microsoft Autodiscover, plain old XML (POX) */
	{"/autodiscover/autodiscover.xml", M_POST, HTTP_SITE_WEB, true, false, false,
	 http_autodiscover},
	/* Apple configuration profile */
	{"/mail/config.mobileconfig", M_GET, HTTP_SITE_WEB, false, false, false, http_mobileconfig},
	/* RFC 8461 3.3 */
	{"/.well-known/mta-sts.txt", M_GET, HTTP_SITE_WEB, false, false, false, http_mta_sts},
	{"/", M_GET, HTTP_SITE_WEB, false, false, false, http_settings_page},
	/* RFC 8555 8.3 */
	{"/.well-known/acme-challenge/", M_GET, HTTP_SITE_WEB, false, true, false,
	 http_acme_challenge},
	/* the admin page: behind a login, on https_listen (http_listen from loopback only) */
	{"/admin", M_GET, HTTP_SITE_WEB, false, false, false, http_admin_get},
	{"/admin/", M_POST, HTTP_SITE_WEB, false, true, false, http_admin_post},
	{"/healthz", M_GET, HTTP_SITE_WEB | HTTP_SITE_METRICS, false, false, true, http_healthz},
	{"/metrics", M_GET, HTTP_SITE_METRICS, false, false, true, http_metrics},
};

static unsigned
method_bit(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
	case EVHTTP_REQ_HEAD:
		return M_GET;
	case EVHTTP_REQ_POST:
		return M_POST;
	default:
		return 0;
	}
}

static const char *
method_name(enum evhttp_cmd_type cmd)
{
	return cmd == EVHTTP_REQ_GET ? "GET" : cmd == EVHTTP_REQ_HEAD ? "HEAD" : "POST";
}

/* The peer's address, copied before the reply (after it evhttp may free the request). */
static void
http_peer(const struct http_request *r, char *out, size_t size)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(r->req);
	ev_uint16_t port = 0;
	char *host = NULL;

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &host, &port);
	snprintf(out, size, "%s", host != NULL ? host : "?");
}

void
http_route(struct http_request *r)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(r->req);
	unsigned method = method_bit(cmd);
	const struct http_route *found = NULL;
	bool path_only = false, quiet;
	char peer[64];

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct http_route *rt = &routes[i];
		size_t n = strlen(rt->path);
		bool same = rt->prefix   ? strncmp(rt->path, r->path, n) == 0
			    : rt->nocase ? str_casecmp(rt->path, r->path) == 0
					 : strcmp(rt->path, r->path) == 0;
		if (!same || (rt->sites & r->site) == 0)
			continue;
		if ((rt->methods & method) == 0) {
			path_only = true;
			continue;
		}
		found = rt;
		break;
	}
	quiet = found != NULL && found->quiet;
	http_peer(r, peer, sizeof(peer));
	if (found != NULL)
		found->handler(r);
	else if (path_only)
		http_reply_error(r, 405, "Method Not Allowed");
	else
		http_reply_error(r, 404, "Not Found");
	if (log_enabled(quiet ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO)) {
		/* the path is the client's (decoded: %0A is a line feed): at most 200 bytes,
		 * control characters as '?', and never the query (it carries the address asked
		 * about) */
		char path[201];
		size_t i;

		for (i = 0; i < sizeof(path) - 1 && r->path[i] != '\0'; i++)
			path[i] = (unsigned char)r->path[i] < 0x20 || r->path[i] == 0x7f
					  ? '?'
					  : r->path[i];
		path[i] = '\0';
		/* status 0: the handler answers later (the admin login) and logs then */
		(quiet ? log_debug : log_info)("http: client=[%s] %s %s status=%d", peer,
					       method_name(cmd), path, r->status);
	}
}
