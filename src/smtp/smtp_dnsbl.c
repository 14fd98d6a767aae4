/* DNSBL lookups at connect (see smtp_guard.h): for each zone of dnsbl_zones, the A record
 * of the client's reversed address under the zone (RFC 5782 2.1: IPv4 as reversed octets,
 * 2.4: IPv6 as 32 reversed nibbles); an answer in 127.0.0.0/8 means listed (RFC 5782 2.3:
 * 127.0.0.2 and up; 127.0.0.1 is not used, other answers are errors we ignore). A reject
 * zone's TXT record (RFC 5782 2.1) gives the reason shown to the client. The lookups go
 * through src/dns, on the loop, with its shared answer cache. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "log/log.h"
#include "net/conn.h"
#include "smtp/smtp_guard.h"
#include "smtp/smtp_session.h"
#include "util/xmalloc.h"

/* The TXT shown to the client: printable ASCII only, at most this long. */
#define DNSBL_REASON_MAX 200

struct smtp_dnsbl_lookup {
	struct smtp_session *s;
	const struct smtp_dnsbl_zone *zone;
	struct dns_query *q; /* in flight, NULL otherwise */
	char *name;          /* reversed address + "." + zone */
};

int
smtp_dnsbl_reverse(const struct sockaddr *sa, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *a;

	if (sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (!IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a)) {
			size_t n = 0;
			if (size < 64)
				return -1;
			for (int i = 15; i >= 0; i--) {
				out[n++] = hex[a[i] & 15];
				out[n++] = '.';
				out[n++] = hex[a[i] >> 4];
				out[n++] = i > 0 ? '.' : '\0';
			}
			return 0;
		}
		a += 12;
	} else if (sa->sa_family == AF_INET) {
		a = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else {
		return -1;
	}
	return snprintf(out, size, "%u.%u.%u.%u", a[3], a[2], a[1], a[0]) < (int)size ? 0 : -1;
}

static void
dnsbl_settle(struct smtp_dnsbl_lookup *l)
{
	struct smtp_session *s = l->s;

	l->q = NULL;
	s->guard->lookups_pending--;
	if (s->guard->lookups_pending == 0 && !s->guard->starting)
		smtp_guard_dnsbl_done(s);
}

static void
dnsbl_txt_done(void *ctx, enum dns_status status, const struct dns_rr *rrs, size_t n,
	       const char *error)
{
	struct smtp_dnsbl_lookup *l = ctx;
	struct smtp_guard_conn *gc = l->s->guard;

	(void)error;
	if (status == DNS_OK && n > 0 && gc->reject_reason == NULL) {
		size_t len = rrs[0].len < DNSBL_REASON_MAX ? rrs[0].len : DNSBL_REASON_MAX;
		char *r = xstrndup(rrs[0].data, len);
		/* the text goes into a reply line: nothing but printable ASCII */
		for (char *p = r; *p != '\0'; p++)
			if (*p < 0x20 || *p > 0x7e)
				*p = '?';
		gc->reject_reason = r;
	}
	dnsbl_settle(l);
}

static void
dnsbl_a_done(void *ctx, enum dns_status status, const struct dns_rr *rrs, size_t n,
	     const char *error)
{
	struct smtp_dnsbl_lookup *l = ctx;
	struct smtp_session *s = l->s;
	struct smtp_guard_conn *gc = s->guard;
	bool listed = false;

	if (status == DNS_TEMPFAIL)
		log_info("smtp: %s: client=[%s] DNSBL %s: %s (let in)", s->base.id, s->base.ip,
			 l->zone->name, error != NULL ? error : "lookup failed");
	for (size_t i = 0; status == DNS_OK && i < n; i++)
		listed = listed || (strncmp(rrs[i].data, "127.", 4) == 0 &&
				    strcmp(rrs[i].data, "127.0.0.1") != 0);
	if (listed && l->zone->reject && gc->reject_zone == NULL) {
		bool was_starting = gc->starting;
		struct dns_query *q;

		gc->reject_zone = xstrdup(l->zone->name);
		l->q = NULL;
		/* the reason, as one more lookup of the same name; a cached answer settles l
		 * inside the call, and the end is then decided here */
		gc->starting = true;
		q = dns_lookup_txt(smtp_server_deps(s->server)->dns, l->name, dnsbl_txt_done, l);
		gc->starting = was_starting;
		if (q != NULL)
			l->q = q;
		else if (!was_starting && gc->lookups_pending == 0)
			smtp_guard_dnsbl_done(s);
		return;
	}
	if (listed && !l->zone->reject) {
		s->dnsbl_score += (int)l->zone->weight;
		log_info("smtp: %s: client=[%s] listed by %s (weight %u, score %d)", s->base.id,
			 s->base.ip, l->zone->name, l->zone->weight, s->dnsbl_score);
	}
	dnsbl_settle(l);
}

void
smtp_dnsbl_start(struct smtp_session *s)
{
	const struct smtp_guards *g = smtp_server_deps(s->server)->guards;
	struct smtp_guard_conn *gc = s->guard;
	char rev[80];

	if (smtp_dnsbl_reverse(conn_peer(s->base.conn), rev, sizeof(rev)) < 0)
		return;
	gc->lookups = xcalloc(g->n_zones, sizeof(*gc->lookups));
	gc->starting = true;
	for (size_t i = 0; i < g->n_zones; i++) {
		struct smtp_dnsbl_lookup *l = &gc->lookups[i];
		struct dns_query *q;

		l->s = s;
		l->zone = &g->zones[i];
		l->name = xasprintf("%s.%s", rev, l->zone->name);
		gc->lookups_pending++;
		/* a cached answer calls back inside the call, which returns NULL */
		q = dns_lookup_rr(smtp_server_deps(s->server)->dns, DNS_TYPE_A, l->name,
				  dnsbl_a_done, l);
		if (q != NULL)
			l->q = q;
	}
	gc->starting = false;
}

void
smtp_dnsbl_cancel(struct smtp_session *s)
{
	const struct smtp_guards *g = smtp_server_deps(s->server)->guards;
	struct smtp_guard_conn *gc = s->guard;

	if (gc->lookups == NULL)
		return;
	for (size_t i = 0; i < g->n_zones; i++) {
		if (gc->lookups[i].q != NULL)
			dns_cancel(gc->lookups[i].q);
		free(gc->lookups[i].name);
	}
	free(gc->lookups);
	gc->lookups = NULL;
	gc->lookups_pending = 0;
}
