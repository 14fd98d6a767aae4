/* Next-hop routes for mail domains (RFC 5321 5.1, RFC 7505): the MX lookup, then the
 * addresses of every MX host in parallel, assembled into the ordered list of hosts to
 * try. The result is always delivered from a zero-delay timer, never re-entrantly. */
#include "dns/dns.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"
#include "util/xmalloc.h"

struct dns_route_sub {
	struct dns_route_query *rq;
	size_t host;             /* index into rq->route->hosts */
	struct dns_query *query; /* NULL once answered */
	enum dns_status status;
	char error[128];
};

struct dns_route_query {
	struct dns *dns;
	struct event_base *base;
	char *domain;
	dns_route_cb *cb;
	void *ctx;
	struct dns_route *route;
	struct dns_query *mx_query;
	struct dns_route_sub *subs;
	size_t n_subs, n_pending;
	struct event *finish_ev;
};

void
dns_route_free(struct dns_route **routep)
{
	struct dns_route *route = *routep;
	size_t i;

	if (route == NULL)
		return;
	*routep = NULL;
	for (i = 0; i < route->n_hosts; i++) {
		free(route->hosts[i].name);
		free(route->hosts[i].addrs);
	}
	free(route->hosts);
	free(route);
}

bool
dns_parse_literal(const char *s, struct sockaddr_storage *ss)
{
	char buf[64];
	size_t len = strlen(s);
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	/* RFC 5321 4.1.3: "[1.2.3.4]" and "[IPv6:...]" */
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
		if (len > 5 && str_ncasecmp(s, "IPv6:", 5) == 0) {
			s += 5;
			len -= 5;
		}
	}
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return true;
	}
	return false;
}

static void
dns_route_finish_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_route_query *rq = arg;
	struct dns_route *route = rq->route;

	rq->route = NULL;
	rq->cb(rq->ctx, route);
	dns_route_cancel(rq);
}

static void
dns_route_finish(struct dns_route_query *rq)
{
	struct timeval tv = {0, 0};

	evtimer_add(rq->finish_ev, &tv);
}

static void
dns_route_fail(struct dns_route_query *rq, enum dns_status st, const char *error)
{
	rq->route->status = st;
	snprintf(rq->route->error, sizeof(rq->route->error), "%s", error);
	dns_route_finish(rq);
}

/* All address lookups are in: keep the hosts that have addresses. */
static void
dns_route_assemble(struct dns_route_query *rq)
{
	struct dns_route *route = rq->route;
	size_t i, kept = 0;
	bool temp = false;
	const char *error = NULL;

	for (i = 0; i < route->n_hosts; i++) {
		struct dns_route_host *h = &route->hosts[i];

		if (rq->subs[i].status != DNS_OK) {
			temp |= rq->subs[i].status == DNS_TEMPFAIL;
			if (error == NULL || rq->subs[i].status == DNS_TEMPFAIL)
				error = rq->subs[i].error;
			free(h->name);
			free(h->addrs);
			continue;
		}
		route->hosts[kept++] = *h;
	}
	route->n_hosts = kept;
	if (kept > 0) {
		route->status = DNS_OK;
		dns_route_finish(rq);
	} else {
		dns_route_fail(rq, temp ? DNS_TEMPFAIL : DNS_NODATA,
			       error != NULL ? error : "no addresses");
	}
}

static void
dns_route_addr_done(void *ctx, enum dns_status status, const struct sockaddr_storage *addrs,
		    size_t n, const char *error)
{
	struct dns_route_sub *sub = ctx;
	struct dns_route_query *rq = sub->rq;
	struct dns_route_host *h = &rq->route->hosts[sub->host];

	sub->query = NULL;
	sub->status = status;
	if (status == DNS_OK) {
		h->addrs = xcalloc(n, sizeof(*h->addrs));
		memcpy(h->addrs, addrs, n * sizeof(*addrs));
		h->n_addrs = n;
	} else {
		snprintf(sub->error, sizeof(sub->error), "%s: %s", h->name, error);
	}
	if (--rq->n_pending == 0)
		dns_route_assemble(rq);
}

static void
dns_route_add_host(struct dns_route_query *rq, const char *name)
{
	struct dns_route *route = rq->route;

	route->hosts = xrealloc(route->hosts, (route->n_hosts + 1) * sizeof(*route->hosts));
	memset(&route->hosts[route->n_hosts], 0, sizeof(*route->hosts));
	route->hosts[route->n_hosts++].name = xstrdup(name);
}

/* Starts the address lookups of every host in the route. */
static void
dns_route_lookup_hosts(struct dns_route_query *rq)
{
	size_t i, n = rq->route->n_hosts;

	rq->subs = xcalloc(n, sizeof(*rq->subs));
	rq->n_subs = n;
	rq->n_pending = n;
	for (i = 0; i < n; i++) {
		rq->subs[i].rq = rq;
		rq->subs[i].host = i;
	}
	/* a lookup may complete inside dns_lookup_addr: n_pending was set first */
	for (i = 0; i < n; i++)
		rq->subs[i].query = dns_lookup_addr(rq->dns, rq->route->hosts[i].name,
						    dns_route_addr_done, &rq->subs[i]);
}

static void
dns_route_mx_done(void *ctx, enum dns_status status, const struct dns_mx *mx, size_t n,
		  const char *error)
{
	struct dns_route_query *rq = ctx;
	size_t i;

	rq->mx_query = NULL;
	if (status == DNS_NODATA) {
		/* RFC 5321 5.1: no MX, the domain itself is the implicit MX */
		dns_route_add_host(rq, rq->domain);
	} else if (status != DNS_OK) {
		char why[300];
		snprintf(why, sizeof(why), "MX lookup of %s: %s", rq->domain, error);
		dns_route_fail(rq, status, why);
		return;
	} else if (dns_mx_is_null(mx, n)) {
		rq->route->null_mx = true;
		snprintf(rq->route->error, sizeof(rq->route->error),
			 "domain %s does not accept mail (null MX)", rq->domain);
		dns_route_finish(rq);
		return;
	} else {
		for (i = 0; i < n; i++)
			if (mx[i].host[0] != '\0')
				dns_route_add_host(rq, mx[i].host);
	}
	dns_route_lookup_hosts(rq);
}

struct dns_route_query *
dns_route_lookup(struct dns *dns, const char *domain, bool use_mx, dns_route_cb *cb, void *ctx)
{
	struct dns_route_query *rq = xcalloc(1, sizeof(*rq));
	struct sockaddr_storage ss;

	rq->dns = dns;
	rq->domain = xstrdup(domain);
	rq->cb = cb;
	rq->ctx = ctx;
	rq->route = xcalloc(1, sizeof(*rq->route));
	rq->finish_ev = evtimer_new(dns_event_base(dns), dns_route_finish_cb, rq);
	if (dns_parse_literal(domain, &ss)) {
		dns_route_add_host(rq, domain);
		rq->route->hosts[0].addrs = xmalloc(sizeof(ss));
		rq->route->hosts[0].addrs[0] = ss;
		rq->route->hosts[0].n_addrs = 1;
		dns_route_finish(rq);
	} else if (use_mx) {
		rq->mx_query = dns_lookup_mx(dns, domain, dns_route_mx_done, rq);
	} else {
		dns_route_add_host(rq, domain);
		dns_route_lookup_hosts(rq);
	}
	return rq;
}

void
dns_route_cancel(struct dns_route_query *rq)
{
	size_t i;

	if (rq == NULL)
		return;
	if (rq->mx_query != NULL)
		dns_cancel(rq->mx_query);
	for (i = 0; i < rq->n_subs; i++)
		if (rq->subs[i].query != NULL)
			dns_cancel(rq->subs[i].query);
	event_free(rq->finish_ev);
	dns_route_free(&rq->route);
	free(rq->subs);
	free(rq->domain);
	free(rq);
}
