/* The names of the ACME certificate besides myhostname when acme_domains is empty (issue
 * 10: "myhostname, plus the autoconfig/MTA-STS names once they are served"): for each of
 * mydomains, mta-sts.D and autoconfig.D, the names quickstart asks to point at this host
 * (docs/quickstart.md), taken once they resolve to one of myhostname's addresses. A name
 * that does not (not published yet, or pointing elsewhere) is left out: one name the CA
 * cannot validate fails the whole order. Looked up through dns_resolvers at start and every
 * acme_check_interval, so a name published later is added then (src/acme orders again when
 * the certificate lacks a name). Only with an HTTP or HTTPS listener: without one, nothing
 * serves those names. */
#include "cli/serve_acme_names.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "acme/acme_client.h"
#include "conf/settings.h"
#include "dns/dns.h"
#include "log/log.h"
#include "util/xmalloc.h"

struct name_lookup {
	struct serve_acme_names *an;
	char *name;                     /* NULL: myhostname */
	struct sockaddr_storage *addrs; /* its A/AAAA answers */
	size_t n;
	struct dns_query *q; /* pending, else NULL */
	bool answered;
};

struct serve_acme_names {
	struct dns *dns;
	const struct settings *s;
	struct acme_client *acme;
	struct event *timer;
	struct name_lookup *lookups; /* [0] myhostname, then the candidates */
	size_t n_lookups, pending;
};

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)(const void *)a)->sin_addr,
			      &((const struct sockaddr_in *)(const void *)b)->sin_addr,
			      sizeof(struct in_addr)) == 0;
	return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
		      sizeof(struct in6_addr)) == 0;
}

/* One of l's addresses is one of myhostname's. */
static bool
points_here(const struct name_lookup *host, const struct name_lookup *l)
{
	for (size_t i = 0; i < l->n; i++)
		for (size_t j = 0; j < host->n; j++)
			if (same_addr(&l->addrs[i], &host->addrs[j]))
				return true;
	return false;
}

static void
lookups_clear(struct serve_acme_names *an)
{
	for (size_t i = 0; i < an->n_lookups; i++) {
		if (an->lookups[i].q != NULL)
			dns_cancel(an->lookups[i].q);
		free(an->lookups[i].name);
		free(an->lookups[i].addrs);
	}
	free(an->lookups);
	an->lookups = NULL;
	an->n_lookups = an->pending = 0;
}

static void
all_answered(struct serve_acme_names *an)
{
	const char **names = xcalloc(an->n_lookups, sizeof(char *));
	size_t n = 0;

	for (size_t i = 1; i < an->n_lookups; i++) {
		if (points_here(&an->lookups[0], &an->lookups[i]))
			names[n++] = an->lookups[i].name;
		else
			log_debug("acme: %s does not point at %s: not in the certificate",
				  an->lookups[i].name, an->s->myhostname);
	}
	names[n] = NULL;
	acme_client_set_names(an->acme, names);
	free(names);
	lookups_clear(an);
}

static void
on_addr(void *ctx, enum dns_status status, const struct sockaddr_storage *addrs, size_t n,
	const char *error)
{
	struct name_lookup *l = ctx;
	struct serve_acme_names *an = l->an;

	l->q = NULL;
	l->answered = true;
	if (status == DNS_OK && n > 0) {
		l->addrs = xcalloc(n, sizeof(*addrs));
		memcpy(l->addrs, addrs, n * sizeof(*addrs));
		l->n = n;
	}
	if (--an->pending == 0)
		all_answered(an);
}

static void
look_up(struct serve_acme_names *an)
{
	size_t n_domains = 0, k = 0;

	if (an->n_lookups > 0)
		return; /* the previous round is still waiting */
	while (an->s->mydomains != NULL && an->s->mydomains[n_domains] != NULL)
		n_domains++;
	an->n_lookups = 1 + 2 * n_domains;
	an->lookups = xcalloc(an->n_lookups, sizeof(*an->lookups));
	an->lookups[k++].name = xstrdup(an->s->myhostname);
	for (size_t i = 0; i < n_domains; i++) {
		an->lookups[k++].name = xasprintf("mta-sts.%s", an->s->mydomains[i]);
		an->lookups[k++].name = xasprintf("autoconfig.%s", an->s->mydomains[i]);
	}
	/* one more than the lookups until all are started: an answer from the cache may come
	 * inside dns_lookup_addr(), and the last must not end the round mid-loop */
	an->pending = an->n_lookups + 1;
	for (size_t i = 0; i < an->n_lookups; i++) {
		struct name_lookup *l = &an->lookups[i];
		struct dns_query *q;

		l->an = an;
		q = dns_lookup_addr(an->dns, l->name, on_addr, l);
		if (!l->answered)
			l->q = q;
	}
	if (--an->pending == 0)
		all_answered(an);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	look_up(arg);
}

struct serve_acme_names *
serve_acme_names_start(struct event_base *base, struct dns *dns, const struct settings *s,
		       struct acme_client *acme)
{
	struct serve_acme_names *an = xcalloc(1, sizeof(*an));
	struct timeval tv = {(time_t)s->acme_check_interval, 0};

	an->dns = dns;
	an->s = s;
	an->acme = acme;
	an->timer = event_new(base, -1, EV_PERSIST, on_timer, an);
	event_add(an->timer, &tv);
	look_up(an);
	return an;
}

void
serve_acme_names_free(struct serve_acme_names **anp)
{
	struct serve_acme_names *an = *anp;

	if (an == NULL)
		return;
	lookups_clear(an);
	event_free(an->timer);
	free(an);
	*anp = NULL;
}
