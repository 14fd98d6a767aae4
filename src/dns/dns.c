/* c-ares on libevent (see dns.h): the channel's sockets are watched with events that the
 * socket-state callback creates and removes, and one timer drives c-ares's retransmits.
 * MX and A/AAAA lookups, with NXDOMAIN told apart from temporary failures; MX answers go
 * through the record cache (dns_rr.c). */
#include "dns/dns.h"
#include "dns/dns_internal.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "log/log.h"
#include "util/buf.h"
#include "util/metrics.h"
#include "util/rand.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct dns_sock {
	struct dns_sock *next;
	ares_socket_t fd;
	struct event *ev;
};

static void dns_schedule_timer(struct dns *dns);

static void
dns_on_socket(evutil_socket_t fd, short what, void *arg)
{
	struct dns *dns = arg;

	ares_process_fd(dns->channel, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
			(what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	dns_schedule_timer(dns);
}

static void
dns_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct dns *dns = arg;

	ares_process_fd(dns->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_schedule_timer(dns);
}

static void
dns_schedule_timer(struct dns *dns)
{
	struct timeval tv, *tvp;

	if (dns->freeing)
		return;
	tvp = ares_timeout(dns->channel, NULL, &tv);
	if (tvp == NULL) {
		event_del(dns->timer);
		return;
	}
	event_add(dns->timer, tvp);
}

/* c-ares tells which sockets to watch, and for what. */
static void
dns_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns *dns = data;
	struct dns_sock **pp, *s;

	for (pp = &dns->socks; *pp != NULL && (*pp)->fd != fd; pp = &(*pp)->next)
		;
	s = *pp;
	if (s != NULL) {
		event_free(s->ev);
		if (!readable && !writable) {
			*pp = s->next;
			free(s);
			return;
		}
	} else {
		if (!readable && !writable)
			return;
		s = xcalloc(1, sizeof(*s));
		s->fd = fd;
		s->next = dns->socks;
		dns->socks = s;
	}
	s->ev = event_new(dns->base, fd,
			  EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0),
			  dns_on_socket, dns);
	event_add(s->ev, NULL);
}

/* "addr", "addr:port", "[v6]:port" or a bare IPv6 address, as c-ares's csv wants them. */
static int
dns_servers_csv(const char *const *resolvers, struct buf *csv)
{
	size_t i;

	for (i = 0; resolvers[i] != NULL; i++) {
		char *host;
		unsigned short port;

		if (settings_split_hostport(resolvers[i], 53, &host, &port, NULL) < 0)
			return -1;
		buf_printf(csv, "%s%s%s%s:%u", i ? "," : "", strchr(host, ':') ? "[" : "", host,
			   strchr(host, ':') ? "]" : "", port);
		free(host);
	}
	return 0;
}

struct dns *
dns_new(struct event_base *base, const char *const *resolvers, const char **error_r)
{
	struct dns *dns = xcalloc(1, sizeof(*dns));
	struct ares_options opts;
	struct buf csv = BUF_INIT;
	int optmask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;

	ares_library_init(ARES_LIB_INIT_ALL);
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = dns_sock_state;
	opts.sock_state_cb_data = dns;
	opts.timeout = 2000;
	opts.tries = 3;
	/* mail domains are absolute: no search list; EDNS for big MX answers */
	opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_EDNS;
	dns->base = base;
	if (ares_init_options(&dns->channel, &opts, optmask) != ARES_SUCCESS) {
		*error_r = "cannot initialise the DNS resolver (c-ares)";
		free(dns);
		return NULL;
	}
	if (resolvers != NULL && resolvers[0] != NULL &&
	    (dns_servers_csv(resolvers, &csv) < 0 ||
	     ares_set_servers_ports_csv(dns->channel, buf_cstr(&csv)) != ARES_SUCCESS)) {
		*error_r = "bad dns_resolvers";
		buf_free(&csv);
		ares_destroy(dns->channel);
		free(dns);
		return NULL;
	}
	buf_free(&csv);
	dns->timer = evtimer_new(base, dns_on_timer, dns);
	dns->cache = dns_cache_new(DNS_CACHE_DEFAULT_SIZE, NULL, NULL);
	return dns;
}

struct event_base *
dns_event_base(struct dns *dns)
{
	return dns->base;
}

void
dns_free(struct dns **dnsp)
{
	struct dns *dns = *dnsp;

	if (dns == NULL)
		return;
	*dnsp = NULL;
	dns->freeing = true;
	/* callbacks run with ARES_EDESTRUCTION; queries are marked so owners hear nothing */
	ares_destroy(dns->channel);
	while (dns->socks != NULL) {
		struct dns_sock *s = dns->socks;
		dns->socks = s->next;
		event_free(s->ev);
		free(s);
	}
	event_free(dns->timer);
	dns_cache_free(&dns->cache);
	free(dns);
}

void
dns_set_cache_size(struct dns *dns, size_t entries)
{
	dns_cache_set_size(dns->cache, entries);
}

void
dns_cancel(struct dns_query *q)
{
	q->cancelled = true;
}

enum dns_status
dns_status_of(int status, const char **error_r)
{
	metrics_dns_answer(status == ARES_SUCCESS || status == ARES_ENOTFOUND ||
			   status == ARES_ENODATA);
	switch (status) {
	case ARES_SUCCESS:
		return DNS_OK;
	case ARES_ENOTFOUND:
		*error_r = "Host or domain name not found (NXDOMAIN)";
		return DNS_NXDOMAIN;
	case ARES_ENODATA:
		*error_r = "no records of the requested type";
		return DNS_NODATA;
	default:
		*error_r = ares_strerror(status);
		return DNS_TEMPFAIL;
	}
}

struct dns_query *
dns_query_new(struct dns *dns, void *ctx)
{
	struct dns_query *q = xcalloc(1, sizeof(*q));

	q->dns = dns;
	q->ctx = ctx;
	q->starting = true;
	return q;
}

static void
dns_query_free(struct dns_query *q)
{
	free(q->name);
	free(q);
}

void
dns_query_release(struct dns_query *q)
{
	if (q->starting)
		q->finished = true;
	else
		dns_query_free(q);
}

struct dns_query *
dns_query_started(struct dns_query *q)
{
	q->starting = false;
	dns_schedule_timer(q->dns);
	if (q->finished) {
		dns_query_free(q);
		return NULL;
	}
	return q;
}

/* ---- MX ---- */

bool
dns_mx_is_null(const struct dns_mx *mx, size_t n)
{
	return n == 1 && mx[0].host[0] == '\0';
}

void
dns_mx_order(struct dns_mx *mx, size_t n)
{
	size_t i, j, start;

	/* insertion sort by preference: MX sets are small */
	for (i = 1; i < n; i++) {
		struct dns_mx t = mx[i];
		for (j = i; j > 0 && mx[j - 1].pref > t.pref; j--)
			mx[j] = mx[j - 1];
		mx[j] = t;
	}
	/* RFC 5321 5.1: hosts of equal preference are tried in random order */
	for (start = 0; start < n; start = i) {
		for (i = start + 1; i < n && mx[i].pref == mx[start].pref; i++)
			;
		for (j = i - 1; j > start; j--) {
			size_t k = start + rand_below((uint32_t)(j - start + 1));
			struct dns_mx t = mx[j];
			mx[j] = mx[k];
			mx[k] = t;
		}
	}
}

/* An MX answer of dns_lookup_rr ("preference exchange" texts) to struct dns_mx. */
static void
dns_mx_deliver(struct dns_query *q, enum dns_status st, const struct dns_rr *rrs, size_t n_rrs,
	       const char *error)
{
	struct dns_mx *mx = NULL;
	size_t n = 0, cap = 0, i;

	for (i = 0; st == DNS_OK && i < n_rrs; i++) {
		char *end;
		unsigned long pref = strtoul(rrs[i].data, &end, 10);
		if (*end != ' ')
			continue;
		mx = xgrow(mx, &cap, n + 1, sizeof(*mx));
		/* RFC 7505: the null MX's exchange is the root, "." (given as "") */
		mx[n].host = xstrdup(strcmp(end + 1, ".") == 0 ? "" : end + 1);
		mx[n].pref = (unsigned)pref;
		n++;
	}
	if (st == DNS_OK && n == 0) {
		st = DNS_NODATA;
		error = "no MX records";
	}
	if (st == DNS_OK)
		dns_mx_order(mx, n);
	q->mx_cb(q->ctx, st, mx, n, error);
	for (i = 0; i < n; i++)
		free(mx[i].host);
	free(mx);
}

void
dns_query_deliver(struct dns_query *q, enum dns_status status, const struct dns_rr *rrs, size_t n,
		  const char *error)
{
	if (q->mx_cb != NULL)
		dns_mx_deliver(q, status, rrs, n, error);
	else
		q->rr_cb(q->ctx, status, rrs, n, error);
}

struct dns_query *
dns_lookup_mx(struct dns *dns, const char *domain, dns_mx_cb *cb, void *ctx)
{
	struct dns_query *q = dns_query_new(dns, ctx);

	q->mx_cb = cb;
	return dns_rr_start(q, DNS_TYPE_MX, domain);
}

/* ---- A / AAAA ---- */

static void
dns_addr_done(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct dns_query *q = arg;
	struct sockaddr_storage *addrs = NULL;
	struct ares_addrinfo_node *node;
	size_t n = 0, cap = 0;
	const char *error = NULL;
	enum dns_status st;

	if (q->cancelled || status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
		if (res != NULL)
			ares_freeaddrinfo(res);
		dns_query_release(q);
		return;
	}
	st = dns_status_of(status, &error);
	for (node = res != NULL ? res->nodes : NULL; st == DNS_OK && node != NULL;
	     node = node->ai_next) {
		if ((node->ai_family != AF_INET && node->ai_family != AF_INET6) ||
		    node->ai_addrlen > (ares_socklen_t)sizeof(*addrs))
			continue;
		addrs = xgrow(addrs, &cap, n + 1, sizeof(*addrs));
		memset(&addrs[n], 0, sizeof(*addrs));
		memcpy(&addrs[n], node->ai_addr, node->ai_addrlen);
		n++;
	}
	if (st == DNS_OK && n == 0) {
		st = DNS_NODATA;
		error = "no A or AAAA records";
	}
	q->addr_cb(q->ctx, st, addrs, n, error);
	free(addrs);
	if (res != NULL)
		ares_freeaddrinfo(res);
	dns_query_release(q);
}

struct dns_query *
dns_lookup_addr(struct dns *dns, const char *host, dns_addr_cb *cb, void *ctx)
{
	struct dns_query *q = dns_query_new(dns, ctx);
	struct ares_addrinfo_hints hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = ARES_AI_NOSORT;
	q->addr_cb = cb;
	ares_getaddrinfo(dns->channel, host, NULL, &hints, dns_addr_done, q);
	return dns_query_started(q);
}
