/* SPF lookups on src/dns. See spf_dns.h. */
#include "mailauth/spf_dns.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

struct spf_dns_query {
	spf_dns_answer_cb *cb;
	void *ctx;
	struct dns_query *q;
	enum spf_rr type;
	bool starting; /* inside dns_lookup_rr() */
	bool done;
};

static const unsigned spf_dns_types[] = {
	[SPF_RR_TXT] = DNS_TYPE_TXT, [SPF_RR_A] = DNS_TYPE_A,     [SPF_RR_AAAA] = DNS_TYPE_AAAA,
	[SPF_RR_MX] = DNS_TYPE_MX,   [SPF_RR_PTR] = DNS_TYPE_PTR,
};

static enum spf_dns_status
spf_dns_status(enum dns_status st)
{
	switch (st) {
	case DNS_OK:
		return SPF_DNS_OK;
	case DNS_NXDOMAIN:
		return SPF_DNS_NXDOMAIN;
	case DNS_NODATA:
		return SPF_DNS_NODATA;
	default:
		return SPF_DNS_TEMPFAIL;
	}
}

static void
spf_dns_answer(void *arg, enum dns_status st, const struct dns_rr *rrs, size_t n, const char *error)
{
	struct spf_dns_query *sq = arg;
	char **texts = xcalloc(n + 1, sizeof(*texts));
	size_t i, j;

	for (i = 0; i < n; i++) {
		const char *sp = strchr(rrs[i].data, ' ');

		if (sq->type == SPF_RR_MX) {
			/* "preference exchange": SPF wants the exchange only (the null MX's
			 * "" is no name, and its lookups find nothing) */
			texts[i] = xstrdup(sp != NULL ? sp + 1 : "");
			continue;
		}
		texts[i] = xmalloc(rrs[i].len + 1);
		memcpy(texts[i], rrs[i].data, rrs[i].len + 1);
		/* spf_resolver.h: a NUL octet of a TXT record is given as 0x7f */
		for (j = 0; j < rrs[i].len; j++) {
			if (texts[i][j] == '\0')
				texts[i][j] = 0x7f;
		}
	}
	sq->cb(sq->ctx, spf_dns_status(st), (const char *const *)texts, n);
	for (i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	if (sq->starting)
		sq->done = true;
	else
		free(sq);
}

static void *
spf_dns_lookup(void *rctx, enum spf_rr type, const char *name, spf_dns_answer_cb *cb, void *cb_ctx)
{
	struct spf_dns_query *sq = xcalloc(1, sizeof(*sq));

	sq->cb = cb;
	sq->ctx = cb_ctx;
	sq->type = type;
	sq->starting = true;
	sq->q = dns_lookup_rr(rctx, spf_dns_types[type], name, spf_dns_answer, sq);
	sq->starting = false;
	if (sq->done) {
		free(sq);
		return NULL;
	}
	return sq;
}

static void
spf_dns_cancel(void *rctx, void *handle)
{
	struct spf_dns_query *sq = handle;

	dns_cancel(sq->q);
	free(sq);
}

struct spf_resolver
spf_dns_resolver(struct dns *dns)
{
	struct spf_resolver r = {spf_dns_lookup, spf_dns_cancel, dns};

	return r;
}
