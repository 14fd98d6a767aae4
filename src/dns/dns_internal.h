/* What dns.c and dns_rr.c share: the channel and the lookups in flight. Not for use
 * outside src/dns. */
#ifndef DNS_DNS_INTERNAL_H
#define DNS_DNS_INTERNAL_H
#include <ares.h>
#include <stdbool.h>

#include "dns/dns.h"
#include "dns/dns_cache.h"

struct dns_sock;
struct event;

struct dns {
	struct event_base *base;
	ares_channel channel;
	struct dns_sock *socks;
	struct event *timer;
	struct dns_cache *cache;
	bool freeing;
};

struct dns_query {
	struct dns *dns;
	dns_mx_cb *mx_cb;
	dns_addr_cb *addr_cb;
	dns_rr_cb *rr_cb;
	unsigned type; /* of dns_lookup_rr / dns_lookup_mx */
	char *name;
	void *ctx;
	bool cancelled;
	bool starting; /* inside the ares_* call that started it */
	bool finished; /* its callback ran while starting */
};

struct dns_query *dns_query_new(struct dns *dns, void *ctx);
/* After its callback: freed now, or by dns_query_started() if still being started. */
void dns_query_release(struct dns_query *q);
/* The ares_* call returned: NULL if the query already completed inside it. */
struct dns_query *dns_query_started(struct dns_query *q);
enum dns_status dns_status_of(int status, const char **error_r);
/* Starts q (its callback set) for records of type at name: from the cache, or from DNS.
 * Returns q, or NULL when the answer was given inside the call (q then freed). */
struct dns_query *dns_rr_start(struct dns_query *q, unsigned type, const char *name);
/* Gives an answer of dns_lookup_rr/dns_lookup_mx to the query's callback. */
void dns_query_deliver(struct dns_query *q, enum dns_status status, const struct dns_rr *rrs,
		       size_t n, const char *error);

#endif
