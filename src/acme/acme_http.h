/* One HTTPS (or, for tests, HTTP) request to the ACME server on the loop: libevent's evhttp
 * client over bufferevent_openssl, the peer verified against acme_ca_file or the system's
 * CAs (RFC 8555 6.1: ACME runs over HTTPS), names resolved with evdns. One connection per
 * request: an order takes a dozen requests a few months apart, so nothing is kept open. */
#ifndef ACME_HTTP_H
#define ACME_HTTP_H
#include "util/buf.h"

struct event_base;
struct evdns_base;
struct ssl_ctx_st;

struct acme_response {
	int status;           /* 0: no response (connect, TLS or timeout failure) */
	char *nonce;          /* Replay-Nonce, or NULL */
	char *location;       /* Location, or NULL */
	unsigned retry_after; /* Retry-After in seconds (delta form), 0 when absent */
	struct buf body;
};

typedef void acme_http_cb(struct acme_response *resp, void *arg);
struct acme_req;

/* Sends method ("GET", "HEAD", "POST") to url; body (POST) is sent as
 * application/jose+json. cb runs once, later, on the loop; resp is freed after it returns.
 * client_ctx verifies the peer; it must outlive the request. The handle is valid until cb
 * runs; acme_http_cancel() before that drops the request without calling cb. */
struct acme_req *acme_http_request(struct event_base *base, struct evdns_base *dns,
				   struct ssl_ctx_st *client_ctx, const char *method,
				   const char *url, const char *body, acme_http_cb *cb, void *arg);
void acme_http_cancel(struct acme_req *r);

#endif
