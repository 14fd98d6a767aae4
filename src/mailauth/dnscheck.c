/* The DNS check of `yubin dnscheck` and the admin web page (dnscheck.h): the records
 * `yubin quickstart` asks to publish, looked up through dns_resolvers (src/dns, c-ares)
 * and judged one line each: "ok", "MISSING", "WRONG", or "note" for the optional ones
 * (MTA-STS, TLS-RPT, SRV, autoconfig) when absent. The lookups run one after the other on
 * a private event loop: a few dozen queries, and the code reads top to bottom; the server
 * runs it on a worker thread, never on its loop. */
#include "mailauth/dnscheck.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/settings.h"
#include "dns/dns.h"
#include "mailauth/dkim_sign.h"
#include "mailauth/dmarc_record.h"
#include "mailauth/spf.h"
#include "mailauth/spf_dns.h"
#include "mailauth/tag_list.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* At most this many addresses of the host are checked (PTR, SPF). */
#define DC_MAX_ADDRS 8

struct dc_answer {
	enum dns_status status;
	char **rrs; /* NUL-terminated copies (a TXT record's NULs kept, lens[i] counts them) */
	size_t *lens;
	size_t n;
	bool done;
};

struct dnscheck {
	const struct settings *s;
	struct event_base *base;
	struct dns *dns;
	struct spf_resolver spf;
	const char *host;
	unsigned lookups, tempfails; /* to stop early when the resolvers do not answer */
	char *addrs[DC_MAX_ADDRS];
	size_t n_addrs;
	unsigned problems;
	struct buf *out;
};

/* The p= value of a record, whitespace removed (RFC 6376 3.6.1: FWS may appear inside). */
char *
dnscheck_dkim_record_p(const char *rec, size_t len)
{
	struct tag_list tl;
	const struct tag *t;
	const char *error;
	struct buf b;

	if (tag_list_parse(&tl, rec, len, &error) < 0 || (t = tag_list_get(&tl, "p")) == NULL)
		return NULL;
	buf_init(&b);
	for (size_t i = 0; i < t->value_len; i++) {
		if (t->value[i] != ' ' && t->value[i] != '\t' && t->value[i] != '\r' &&
		    t->value[i] != '\n')
			buf_appendc(&b, t->value[i]);
	}
	buf_appendc(&b, '\0');
	return buf_steal(&b);
}

/* ---- lookups, one at a time ---- */

static void
dc_answer_cb(void *ctx, enum dns_status status, const struct dns_rr *rrs, size_t n,
	     const char *error)
{
	struct dc_answer *a = ctx;

	(void)error;
	a->status = status;
	a->n = status == DNS_OK ? n : 0;
	a->rrs = xcalloc(a->n + 1, sizeof(*a->rrs));
	a->lens = xcalloc(a->n + 1, sizeof(*a->lens));
	for (size_t i = 0; i < a->n; i++) {
		a->rrs[i] = xmalloc(rrs[i].len + 1);
		memcpy(a->rrs[i], rrs[i].data, rrs[i].len);
		a->rrs[i][rrs[i].len] = '\0';
		a->lens[i] = rrs[i].len;
	}
	a->done = true;
}

static void
dc_wait(struct dnscheck *dc, struct dc_answer *a)
{
	while (!a->done)
		event_base_loop(dc->base, EVLOOP_ONCE);
}

static void
dc_lookup(struct dnscheck *dc, unsigned type, const char *name, struct dc_answer *a)
{
	memset(a, 0, sizeof(*a));
	dns_lookup_rr(dc->dns, type, name, dc_answer_cb, a);
	dc_wait(dc, a);
	dc->lookups++;
	if (a->status == DNS_TEMPFAIL)
		dc->tempfails++;
}

static void
dc_answer_free(struct dc_answer *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->rrs[i]);
	free(a->rrs);
	free(a->lens);
	memset(a, 0, sizeof(*a));
}

/* ---- reporting ---- */

enum dc_verdict { DC_OK, DC_MISSING, DC_WRONG, DC_NOTE };

static void dc_say(struct dnscheck *dc, enum dc_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
dc_say(struct dnscheck *dc, enum dc_verdict v, const char *fmt, ...)
{
	static const char *const names[] = {"ok", "MISSING", "WRONG", "note"};
	va_list ap;

	if (v == DC_MISSING || v == DC_WRONG)
		dc->problems++;
	buf_printf(dc->out, "%-8s", names[v]);
	va_start(ap, fmt);
	buf_vprintf(dc->out, fmt, ap);
	va_end(ap);
	buf_appendc(dc->out, '\n');
}

/* A lookup that failed for a reason other than the name's absence (a timeout, SERVFAIL):
 * nothing can be judged. */
static bool
dc_tempfail(struct dnscheck *dc, const struct dc_answer *a, const char *what, const char *name)
{
	if (a->status != DNS_TEMPFAIL)
		return false;
	dc_say(dc, DC_WRONG, "%s %s: the DNS lookup failed (timeout or server error)", what, name);
	return true;
}

static bool
dc_same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && str_ncasecmp(a, b, la) == 0;
}

/* ---- the host: A/AAAA and PTR ---- */

static bool
dc_has_addr(const struct dc_answer *a, const char *addr)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->rrs[i], addr) == 0)
			return true;
	return false;
}

/* Forward-confirmed reverse DNS (RFC 8601 2.7.3 iprev): the PTR names the host, and the
 * host's addresses include this one (they do: addr came from them). */
static void
dc_check_ptr(struct dnscheck *dc, const char *addr)
{
	struct sockaddr_storage ss;
	struct dc_answer a, fwd;
	char rev[80];

	if (!dns_parse_literal(addr, &ss))
		return;
	dns_reverse_name(&ss, rev, sizeof(rev));
	dc_lookup(dc, DNS_TYPE_PTR, rev, &a);
	if (dc_tempfail(dc, &a, "PTR", addr)) {
		/* said */
	} else if (a.n == 0) {
		dc_say(dc, DC_MISSING,
		       "PTR %s: no reverse DNS; ask the address's provider for "
		       "%s. IN PTR %s.",
		       addr, rev, dc->host);
	} else {
		bool named = false;
		for (size_t i = 0; i < a.n; i++)
			named = named || dc_same_name(a.rrs[i], dc->host);
		if (named) {
			dc_say(dc, DC_OK, "PTR %s: %s (forward-confirmed)", addr, dc->host);
		} else {
			memset(&fwd, 0, sizeof(fwd));
			dc_lookup(dc, ss.ss_family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA,
				  a.rrs[0], &fwd);
			dc_say(dc, DC_WRONG, "PTR %s: names %s, not %s%s", addr, a.rrs[0], dc->host,
			       dc_has_addr(&fwd, addr) ? ""
						       : " (which does not resolve back to it)");
			dc_answer_free(&fwd);
		}
	}
	dc_answer_free(&a);
}

/* Whether addr is configured on one of this machine's interfaces. Only a hint: behind NAT
 * the public address is the router's. */
static bool
dc_is_local(const char *addr)
{
	struct ifaddrs *ifs, *i;
	char text[INET6_ADDRSTRLEN];
	bool found = false;

	if (getifaddrs(&ifs) < 0)
		return false;
	for (i = ifs; i != NULL && !found; i = i->ifa_next) {
		const void *bin;
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			bin = &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
		else if (i->ifa_addr->sa_family == AF_INET6)
			bin = &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;
		else
			continue;
		found = inet_ntop(i->ifa_addr->sa_family, bin, text, sizeof(text)) != NULL &&
			strcmp(text, addr) == 0;
	}
	freeifaddrs(ifs);
	return found;
}

static void
dc_check_host(struct dnscheck *dc)
{
	static const unsigned types[] = {DNS_TYPE_A, DNS_TYPE_AAAA};
	struct dc_answer a;

	for (size_t t = 0; t < 2; t++) {
		const char *what = types[t] == DNS_TYPE_A ? "A" : "AAAA";
		dc_lookup(dc, types[t], dc->host, &a);
		if (dc_tempfail(dc, &a, what, dc->host)) {
			/* said */
		} else if (a.n == 0) {
			/* judged below, with the other: one of A and AAAA is enough */
			dc_say(dc, DC_NOTE, "%s %s: none", what, dc->host);
		}
		for (size_t i = 0; i < a.n; i++) {
			dc_say(dc, DC_OK, "%s %s: %s%s", what, dc->host, a.rrs[i],
			       dc_is_local(a.rrs[i]) ? " (an address of this machine)"
						     : " (not an address of this machine: "
						       "behind NAT, or the record is wrong)");
			if (dc->n_addrs < DC_MAX_ADDRS)
				dc->addrs[dc->n_addrs++] = xstrdup(a.rrs[i]);
		}
		dc_answer_free(&a);
	}
	if (dc->n_addrs == 0 && dc->tempfails == 0)
		dc_say(dc, DC_MISSING, "A/AAAA %s: the host has no address: nothing can reach it",
		       dc->host);
	for (size_t i = 0; i < dc->n_addrs; i++)
		dc_check_ptr(dc, dc->addrs[i]);
}

/* ---- mail for a domain: MX, SPF, DKIM, DMARC ---- */

static void
dc_check_mx(struct dnscheck *dc, const char *domain)
{
	struct dc_answer a;
	bool ours = false;

	dc_lookup(dc, DNS_TYPE_MX, domain, &a);
	if (!dc_tempfail(dc, &a, "MX", domain)) {
		struct buf list = BUF_INIT;
		for (size_t i = 0; i < a.n; i++) {
			const char *host = strchr(a.rrs[i], ' ');
			host = host != NULL ? host + 1 : "";
			ours = ours || dc_same_name(host, dc->host);
			buf_printf(&list, "%s%s", i > 0 ? ", " : "", a.rrs[i]);
		}
		if (a.n == 0)
			dc_say(dc, DC_MISSING, "MX %s: none; publish %s. IN MX 10 %s.", domain,
			       domain, dc->host);
		else if (!ours)
			dc_say(dc, DC_WRONG, "MX %s: points to %s, not %s", domain, buf_cstr(&list),
			       dc->host);
		else
			dc_say(dc, DC_OK, "MX %s: %s", domain, buf_cstr(&list));
		buf_free(&list);
	}
	dc_answer_free(&a);
}

struct dc_spf {
	enum spf_result result;
	bool done;
};

static void
dc_spf_cb(void *ctx, enum spf_result result, const char *explanation, const char *problem)
{
	struct dc_spf *r = ctx;

	(void)explanation;
	(void)problem;
	r->result = result;
	r->done = true;
}

/* RFC 7208 4: check_host() for each of the host's addresses, as a receiver would for mail
 * from postmaster@domain (domain = the host itself: the HELO identity, 2.3). */
static void
dc_check_spf(struct dnscheck *dc, const char *domain, bool required)
{
	char *from = xasprintf("postmaster@%s", domain);

	if (dc->n_addrs == 0)
		dc_say(dc, DC_NOTE, "SPF %s: not checked: the host has no address", domain);
	for (size_t i = 0; i < dc->n_addrs; i++) {
		struct spf_check_params p = {dc->addrs[i], from,       dc->host,
					     dc->host,     time(NULL), NULL};
		struct dc_spf r = {SPF_RESULT_NONE, false};

		if (spf_check_start(&dc->spf, &p, dc_spf_cb, &r) != NULL)
			while (!r.done)
				event_base_loop(dc->base, EVLOOP_ONCE);
		if (r.result == SPF_RESULT_PASS)
			dc_say(dc, DC_OK, "SPF %s: pass for %s", domain, dc->addrs[i]);
		else if (r.result == SPF_RESULT_NONE)
			dc_say(dc, required ? DC_MISSING : DC_NOTE,
			       "SPF %s: no record; publish %s. IN TXT \"v=spf1 %s -all\"", domain,
			       domain, required ? "mx" : "a");
		else
			dc_say(dc, DC_WRONG,
			       "SPF %s: %s for %s: the record does not cover this host", domain,
			       spf_result_name(r.result), dc->addrs[i]);
	}
	free(from);
}

static void
dc_check_dkim_key(struct dnscheck *dc, const char *domain, const char *dir, const char *file)
{
	char *sel = xstrndup(file, strlen(file) - 4);
	char *path = xasprintf("%s/%s", dir, file);
	char *name = xasprintf("%s._domainkey.%s", sel, domain);
	struct dkim_sign_key key;
	const char *error;
	struct buf rec = BUF_INIT;
	struct dc_answer a;
	char *mine = NULL;

	memset(&a, 0, sizeof(a));
	if (dkim_sign_key_load(&key, path, domain, sel, &error) < 0) {
		dc_say(dc, DC_WRONG, "DKIM %s: the key %s cannot be read: %s", name, path, error);
		goto out;
	}
	dkim_sign_key_record(&key, &rec);
	dkim_sign_key_clear(&key);
	mine = dnscheck_dkim_record_p(rec.data, rec.len);
	dc_lookup(dc, DNS_TYPE_TXT, name, &a);
	if (!dc_tempfail(dc, &a, "DKIM", name)) {
		bool same = false;
		for (size_t i = 0; i < a.n && mine != NULL; i++) {
			char *p = dnscheck_dkim_record_p(a.rrs[i], a.lens[i]);
			same = same || (p != NULL && strcmp(p, mine) == 0);
			free(p);
		}
		if (a.n == 0)
			dc_say(dc, DC_MISSING, "DKIM %s: no record (`yubin dkim list` prints it)",
			       name);
		else if (!same)
			dc_say(dc, DC_WRONG, "DKIM %s: the record is not the key in %s", name,
			       path);
		else
			dc_say(dc, DC_OK, "DKIM %s: matches %s", name, path);
	}
out:
	dc_answer_free(&a);
	buf_free(&rec);
	free(mine);
	free(name);
	free(path);
	free(sel);
}

static void
dc_check_dkim(struct dnscheck *dc, const char *domain)
{
	char *dir = xasprintf("%s/dkim/%s", dc->s->data_directory, domain);
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort), keys = 0;

	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);
		if (len > 4 && names[i]->d_name[0] != '.' &&
		    strcmp(names[i]->d_name + len - 4, ".pem") == 0) {
			dc_check_dkim_key(dc, domain, dir, names[i]->d_name);
			keys++;
		}
		free(names[i]);
	}
	free(names);
	if (keys == 0)
		dc_say(dc, DC_MISSING, "DKIM %s: no signing key in %s (`yubin dkim keygen %s`)",
		       domain, dir, domain);
	free(dir);
}

/* RFC 7489 6.6.3: exactly one valid record at _dmarc.domain */
static void
dc_check_dmarc(struct dnscheck *dc, const char *domain)
{
	char *name = xasprintf("_dmarc.%s", domain);
	struct dc_answer a;
	struct dmarc_record r, first;
	const char *error = NULL;
	size_t records = 0;
	bool invalid = false;

	memset(&first, 0, sizeof(first));
	dc_lookup(dc, DNS_TYPE_TXT, name, &a);
	for (size_t i = 0; i < a.n; i++) {
		enum dmarc_record_status st = dmarc_record_parse(a.rrs[i], a.lens[i], &r, &error);
		if (st == DMARC_RECORD_NOT_DMARC)
			continue;
		records++;
		invalid = invalid || st != DMARC_RECORD_OK;
		if (records == 1)
			first = r;
	}
	if (dc_tempfail(dc, &a, "DMARC", name))
		; /* said */
	else if (records == 0)
		dc_say(dc, DC_MISSING,
		       "DMARC %s: no record; publish %s. IN TXT \"v=DMARC1; "
		       "p=none; rua=mailto:postmaster@%s\"",
		       name, name, domain);
	else if (records > 1)
		dc_say(dc, DC_WRONG, "DMARC %s: %zu records: receivers ignore them all", name,
		       records);
	else if (invalid)
		dc_say(dc, DC_WRONG, "DMARC %s: invalid: %s", name, error != NULL ? error : "?");
	else
		dc_say(dc, DC_OK, "DMARC %s: p=%s%s", name, dmarc_policy_name(first.p),
		       first.rua != NULL ? " with reports (rua)" : "");
	dc_answer_free(&a);
	free(name);
}

/* ---- the optional records: MTA-STS, TLS-RPT, SRV, autoconfig ---- */

/* A TXT record at name starting with version (and holding need, if not NULL). */
static void
dc_check_txt_tag(struct dnscheck *dc, const char *what, const char *name, const char *version,
		 const char *need)
{
	struct dc_answer a;
	size_t found = 0, good = 0;

	dc_lookup(dc, DNS_TYPE_TXT, name, &a);
	for (size_t i = 0; i < a.n; i++) {
		if (!str_casepfx(a.rrs[i], version))
			continue;
		found++;
		if (need == NULL || strstr(a.rrs[i], need) != NULL)
			good++;
	}
	if (dc_tempfail(dc, &a, what, name))
		; /* said */
	else if (found == 0)
		dc_say(dc, DC_NOTE, "%s %s: none (optional; `yubin quickstart` printed it)", what,
		       name);
	else if (found > 1 || good != 1)
		dc_say(dc, DC_WRONG, "%s %s: %s", what, name,
		       found > 1 ? "more than one record" : "the record lacks its required tag");
	else
		dc_say(dc, DC_OK, "%s %s: %s", what, name, a.rrs[0]);
	dc_answer_free(&a);
}

static void
dc_check_srv(struct dnscheck *dc, const char *domain, const char *service,
	     const struct listen_list *l)
{
	char *name = xasprintf("_%s._tcp.%s", service, domain);
	unsigned want = l->n > 0 ? l->addrs[0].port : 0;
	struct dc_answer a;
	bool match = false;

	dc_lookup(dc, DNS_TYPE_SRV, name, &a);
	for (size_t i = 0; i < a.n; i++) {
		unsigned prio, weight, port;
		int off = 0;
		if (sscanf(a.rrs[i], "%u %u %u %n", &prio, &weight, &port, &off) < 3)
			continue;
		/* RFC 6186 3: target "." means not offered */
		if (want == 0 ? a.rrs[i][off] == '\0' || strcmp(a.rrs[i] + off, ".") == 0
			      : port == want && dc_same_name(a.rrs[i] + off, dc->host))
			match = true;
	}
	if (dc_tempfail(dc, &a, "SRV", name))
		; /* said */
	else if (a.n == 0)
		dc_say(dc, DC_NOTE, "SRV %s: none (optional: mail programs find it by it)", name);
	else if (!match && want == 0)
		dc_say(dc, DC_WRONG, "SRV %s: %s, but this server does not offer %s", name,
		       a.rrs[0], service);
	else if (!match)
		dc_say(dc, DC_WRONG, "SRV %s: %s, not port %u on %s", name, a.rrs[0], want,
		       dc->host);
	else
		dc_say(dc, DC_OK, "SRV %s: %s", name, a.rrs[0]);
	dc_answer_free(&a);
	free(name);
}

struct dc_addr {
	enum dns_status status;
	bool done;
};

static void
dc_addr_cb(void *ctx, enum dns_status status, const struct sockaddr_storage *addrs, size_t n,
	   const char *error)
{
	struct dc_addr *r = ctx;

	(void)addrs;
	(void)n;
	(void)error;
	r->status = status;
	r->done = true;
}

static void
dc_check_resolves(struct dnscheck *dc, const char *label, const char *domain)
{
	char *name = xasprintf("%s.%s", label, domain);
	struct dc_addr r = {DNS_TEMPFAIL, false};

	if (dns_lookup_addr(dc->dns, name, dc_addr_cb, &r) != NULL)
		while (!r.done)
			event_base_loop(dc->base, EVLOOP_ONCE);
	if (r.status == DNS_OK)
		dc_say(dc, DC_OK, "name %s: resolves", name);
	else
		dc_say(dc, DC_NOTE,
		       "name %s: does not resolve (optional: publish %s. IN CNAME %s.)", name, name,
		       dc->host);
	free(name);
}

static void
dc_check_domain(struct dnscheck *dc, const char *domain)
{
	const struct settings *s = dc->s;
	char *name;

	buf_printf(dc->out, "\n; %s\n", domain);
	dc_check_mx(dc, domain);
	dc_check_spf(dc, domain, true);
	dc_check_dkim(dc, domain);
	dc_check_dmarc(dc, domain);
	name = xasprintf("_mta-sts.%s", domain);
	dc_check_txt_tag(dc, "MTA-STS", name, "v=STSv1", "id=");
	free(name);
	name = xasprintf("_smtp._tls.%s", domain);
	dc_check_txt_tag(dc, "TLS-RPT", name, "v=TLSRPTv1", "rua=");
	free(name);
	dc_check_srv(dc, domain, "submissions", &s->submissions_listen);
	dc_check_srv(dc, domain, "submission", &s->submission_listen);
	dc_check_srv(dc, domain, "imaps", &s->imaps_listen);
	dc_check_srv(dc, domain, "imap", &s->imap_listen);
	dc_check_srv(dc, domain, "pop3s", &s->pop3s_listen);
	dc_check_srv(dc, domain, "pop3", &s->pop3_listen);
	dc_check_resolves(dc, "autoconfig", domain);
	dc_check_resolves(dc, "autodiscover", domain);
}

int
dnscheck_run(const struct settings *s, struct buf *out, const char **error_r)
{
	struct dnscheck dc;

	memset(&dc, 0, sizeof(dc));
	*error_r = "cannot create an event loop";
	dc.s = s;
	dc.out = out;
	dc.host = s->myhostname;
	dc.base = event_base_new();
	if (dc.base != NULL)
		dc.dns = dns_new(dc.base, (const char *const *)s->dns_resolvers, error_r);
	if (dc.dns == NULL) {
		if (dc.base != NULL)
			event_base_free(dc.base);
		return -1;
	}
	dns_set_cache_size(dc.dns, 0); /* every answer fresh from the resolvers */
	dc.spf = spf_dns_resolver(dc.dns);
	buf_printf(out, "; %s\n", dc.host);
	dc_check_host(&dc);
	if (dc.tempfails == dc.lookups) {
		/* every lookup would wait for its timeouts: say so once instead */
		buf_appends(out,
			    "\nthe DNS resolvers (dns_resolvers) do not answer: nothing checked\n");
		dc.problems++;
	} else {
		dc_check_spf(&dc, dc.host, false);
		for (char **d = s->mydomains; d != NULL && *d != NULL; d++)
			dc_check_domain(&dc, *d);
		buf_printf(out, "\n%u problem%s\n", dc.problems, dc.problems == 1 ? "" : "s");
	}
	for (size_t i = 0; i < dc.n_addrs; i++)
		free(dc.addrs[i]);
	dns_free(&dc.dns);
	event_base_free(dc.base);
	return (int)dc.problems;
}
