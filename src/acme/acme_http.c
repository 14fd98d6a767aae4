/* The ACME client's HTTP requests: see acme_http.h. */
#include "acme/acme_http.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/xmalloc.h"

/* Each request is bounded: a stuck CA must not hold an order forever, nor a broken one
 * fill memory (a directory, an order or a chain of certificates are a few KiB). */
#define ACME_HTTP_TIMEOUT 30
#define ACME_HTTP_MAX_BODY (1 << 20)
#define ACME_HTTP_MAX_HEADERS (64 << 10)

struct acme_req {
	struct evhttp_connection *conn;
	acme_http_cb *cb;
	void *arg;
	struct acme_response resp;
	bool done;
	struct event *fail_ev;
};

static void
acme_req_free(struct acme_req *r)
{
	free(r->resp.nonce);
	free(r->resp.location);
	buf_free(&r->resp.body);
	free(r);
}

static void
acme_req_done(struct evhttp_request *req, void *arg)
{
	struct acme_req *r = arg;

	if (r->done)
		return;
	r->done = true;
	if (req != NULL && evhttp_request_get_response_code(req) > 0) {
		struct evkeyvalq *h = evhttp_request_get_input_headers(req);
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		const char *v;

		r->resp.status = evhttp_request_get_response_code(req);
		if ((v = evhttp_find_header(h, "Replay-Nonce")) != NULL)
			r->resp.nonce = xstrdup(v);
		if ((v = evhttp_find_header(h, "Location")) != NULL)
			r->resp.location = xstrdup(v);
		/* RFC 8555 8.2 / RFC 9110 10.2.3: only the delta-seconds form is honoured; an
		 * HTTP-date is treated as absent and the caller's default delay applies */
		if ((v = evhttp_find_header(h, "Retry-After")) != NULL)
			r->resp.retry_after = (unsigned)strtoul(v, NULL, 10);
		size_t n = evbuffer_get_length(in);
		buf_reserve(&r->resp.body, n);
		evbuffer_remove(in, r->resp.body.data, n);
		r->resp.body.len = n;
		r->resp.body.data[n] = '\0';
	}
	r->cb(&r->resp, r->arg);
	/* the connection frees itself (evhttp_connection_free_on_completion) */
	acme_req_free(r);
}

void
acme_http_cancel(struct acme_req *r)
{
	if (r == NULL)
		return;
	if (r->conn == NULL) { /* a failure waiting to be reported */
		event_free(r->fail_ev);
		acme_req_free(r);
		return;
	}
	/* frees the pending request without calling its callback */
	evhttp_connection_free(r->conn);
	acme_req_free(r);
}

static void
acme_req_fail_later(evutil_socket_t fd, short what, void *arg)
{
	struct acme_req *r = arg;

	r->done = true;
	event_free(r->fail_ev);
	r->cb(&r->resp, r->arg);
	acme_req_free(r);
}

struct acme_req *
acme_http_request(struct event_base *base, struct evdns_base *dns, struct ssl_ctx_st *client_ctx,
		  const char *method, const char *url, const char *body, acme_http_cb *cb,
		  void *arg)
{
	struct acme_req *r = xcalloc(1, sizeof(*r));
	struct evhttp_uri *uri = evhttp_uri_parse(url);
	struct bufferevent *bev = NULL;
	struct evhttp_request *req;
	const char *scheme = uri != NULL ? evhttp_uri_get_scheme(uri) : NULL;
	const char *host = uri != NULL ? evhttp_uri_get_host(uri) : NULL;
	bool tls = scheme != NULL && strcmp(scheme, "https") == 0;
	enum evhttp_cmd_type cmd = strcmp(method, "POST") == 0   ? EVHTTP_REQ_POST
				   : strcmp(method, "HEAD") == 0 ? EVHTTP_REQ_HEAD
								 : EVHTTP_REQ_GET;

	r->cb = cb;
	r->arg = arg;
	buf_init(&r->resp.body);
	if (host == NULL || scheme == NULL || (!tls && strcmp(scheme, "http") != 0))
		goto fail;
	int port = evhttp_uri_get_port(uri);
	if (port < 0)
		port = tls ? 443 : 80;
	if (tls) {
		SSL *ssl = SSL_new(client_ctx);
		if (ssl == NULL)
			goto fail;
		/* the name the certificate must carry (RFC 6125), and SNI, which is for
		 * names only (RFC 6066 3); an IP literal (a test CA) is checked as such */
		unsigned char ip[16];
		if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1) {
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
		} else {
			SSL_set_tlsext_host_name(ssl, host);
			SSL_set1_host(ssl, host);
		}
		bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
						     BEV_OPT_CLOSE_ON_FREE |
							     BEV_OPT_DEFER_CALLBACKS);
		if (bev == NULL) {
			SSL_free(ssl);
			goto fail;
		}
		/* evhttp reads until the close: a TLS peer that just closes is no error */
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	} else {
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	}
	r->conn =
		evhttp_connection_base_bufferevent_new(base, dns, bev, host, (unsigned short)port);
	if (r->conn == NULL) {
		bufferevent_free(bev);
		goto fail;
	}
	evhttp_connection_free_on_completion(r->conn);
	evhttp_connection_set_timeout(r->conn, ACME_HTTP_TIMEOUT);
	evhttp_connection_set_max_body_size(r->conn, ACME_HTTP_MAX_BODY);
	evhttp_connection_set_max_headers_size(r->conn, ACME_HTTP_MAX_HEADERS);
	evhttp_connection_set_retries(r->conn, 0);
	req = evhttp_request_new(acme_req_done, r);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct buf hostport = BUF_INIT;
	buf_printf(&hostport, "%s", host);
	if (evhttp_uri_get_port(uri) >= 0)
		buf_printf(&hostport, ":%d", port);
	evhttp_add_header(h, "Host", hostport.data);
	buf_free(&hostport);
	evhttp_add_header(h, "User-Agent", "yubin-acme");
	evhttp_add_header(h, "Connection", "close");
	if (body != NULL) {
		evhttp_add_header(h, "Content-Type", "application/jose+json");
		evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
	}
	struct buf target = BUF_INIT;
	const char *path = evhttp_uri_get_path(uri), *query = evhttp_uri_get_query(uri);
	buf_appends(&target, path != NULL && *path != '\0' ? path : "/");
	if (query != NULL)
		buf_printf(&target, "?%s", query);
	if (evhttp_make_request(r->conn, req, cmd, target.data) != 0) {
		/* evhttp freed req; report the failure from the loop like any other */
		buf_free(&target);
		evhttp_connection_free(r->conn);
		r->conn = NULL;
		goto fail;
	}
	buf_free(&target);
	evhttp_uri_free(uri);
	return r;
fail:
	if (uri != NULL)
		evhttp_uri_free(uri);
	r->fail_ev = evtimer_new(base, acme_req_fail_later, r);
	event_active(r->fail_ev, EV_TIMEOUT, 0);
	return r;
}
