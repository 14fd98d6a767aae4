/* DMARC evaluation (RFC 7489 6.6). */
#include "mailauth/dmarc.h"

#include <stdlib.h>
#include <string.h>

#include "mail/address.h"
#include "mail/rfc5322.h"
#include "util/str.h"
#include "util/xmalloc.h"

enum stage { STAGE_FROM, STAGE_ORG, STAGE_DONE };

struct dmarc_eval {
	enum dmarc_from_status from;
	enum stage stage;
	char from_domain[DMARC_DOMAIN_MAX];
	char org_domain[DMARC_DOMAIN_MAX];
	char query[DMARC_DOMAIN_MAX + 8];
	bool tempfail;   /* a lookup failed: temperror unless a record was found first */
	bool found;      /* rec holds the policy record */
	bool org_record; /* ...found at the organizational domain */
	const char *none_reason;
	struct dmarc_record rec; /* pointers cleared: only the values are kept */
};

const char *
dmarc_result_name(enum dmarc_result r)
{
	static const char *const names[] = {"none", "pass", "fail", "temperror", "permerror"};
	return (unsigned)r < 5 ? names[r] : "none";
}

const char *
dmarc_from_status_text(enum dmarc_from_status s)
{
	switch (s) {
	case DMARC_FROM_OK:
		return "From: ok";
	case DMARC_FROM_MISSING:
		return "message has no From: header field, DMARC cannot be applied";
	case DMARC_FROM_MULTIPLE_FIELDS:
		return "message has several From: header fields, DMARC cannot be applied";
	case DMARC_FROM_MULTIPLE_ADDRESSES:
		return "From: header field has several addresses, DMARC cannot be applied";
	case DMARC_FROM_NO_ADDRESS:
		return "From: header field has no address with a domain, DMARC cannot be applied";
	case DMARC_FROM_BAD_DOMAIN:
		return "From: header field domain is not a valid domain name";
	}
	return "From: invalid";
}

/* 6.6.1: exactly one From: field with exactly one address (RFC 5322 3.6.2 allows several
 * mailboxes with a Sender:, but DMARC needs one author domain). */
static enum dmarc_from_status
find_from_domain(const char *hdr, size_t len, char out[DMARC_DOMAIN_MAX])
{
	struct rfc5322_header_iter it;
	struct rfc5322_field f, from = {0};
	struct rfc5322_addr_list l;
	const struct rfc5322_addr *a = NULL;
	size_t fields = 0, real = 0, n;
	enum dmarc_from_status st = DMARC_FROM_OK;

	rfc5322_header_iter_init(&it, hdr, len);
	while (rfc5322_header_iter_next(&it, &f)) {
		if (f.has_colon && f.name_len == 4 && str_ncasecmp(f.name, "From", 4) == 0) {
			if (++fields == 1)
				from = f;
		}
	}
	if (fields == 0)
		return DMARC_FROM_MISSING;
	if (fields > 1)
		return DMARC_FROM_MULTIPLE_FIELDS;
	rfc5322_addr_list_parse(from.value, from.value_len, &l);
	for (size_t i = 0; i < l.count; i++) {
		if (l.addrs[i].group_start || l.addrs[i].group_end)
			continue;
		if (real++ == 0)
			a = &l.addrs[i];
	}
	if (real > 1)
		st = DMARC_FROM_MULTIPLE_ADDRESSES;
	else if (a == NULL || a->domain == NULL || a->domain[0] == '\0')
		st = DMARC_FROM_NO_ADDRESS;
	else if (a->domain[0] == '[' || !address_domain_is_valid(a->domain) ||
		 (n = strlen(a->domain)) >= DMARC_DOMAIN_MAX - 1)
		st = DMARC_FROM_BAD_DOMAIN;
	else {
		for (size_t i = 0; i <= n; i++) {
			char c = a->domain[i];
			out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		}
		if (n > 0 && out[n - 1] == '.')
			out[n - 1] = '\0';
	}
	rfc5322_addr_list_free(&l);
	return st;
}

static void
set_query(struct dmarc_eval *e, const char *domain)
{
	size_t n = strlen(domain);

	memcpy(e->query, "_dmarc.", 7);
	memcpy(e->query + 7, domain, n + 1);
}

struct dmarc_eval *
dmarc_eval_new(const char *hdr, size_t len)
{
	struct dmarc_eval *e = xcalloc(1, sizeof(*e));

	e->from = find_from_domain(hdr, len, e->from_domain);
	e->stage = STAGE_DONE;
	if (e->from != DMARC_FROM_OK)
		return e;
	if (!dmarc_org_domain(e->from_domain, e->org_domain)) {
		e->from = DMARC_FROM_BAD_DOMAIN;
		return e;
	}
	e->stage = STAGE_FROM;
	set_query(e, e->from_domain);
	return e;
}

enum dmarc_from_status
dmarc_eval_from_status(const struct dmarc_eval *e)
{
	return e->from;
}

const char *
dmarc_eval_query(const struct dmarc_eval *e)
{
	return e->stage == STAGE_DONE ? NULL : e->query;
}

void
dmarc_eval_answer(struct dmarc_eval *e, enum dmarc_dns status, const char *const *txts,
		  const size_t *lens, size_t n)
{
	size_t records = 0;
	struct dmarc_record r, one;
	enum dmarc_record_status one_st = DMARC_RECORD_NOT_DMARC;

	if (e->stage == STAGE_DONE)
		return;
	if (status == DMARC_DNS_TEMPFAIL) {
		/* 6.6.3: a transient error is not "no record": do not fall back to the org domain
		 */
		e->tempfail = true;
		e->stage = STAGE_DONE;
		return;
	}
	for (size_t i = 0; status == DMARC_DNS_OK && i < n; i++) {
		enum dmarc_record_status st = dmarc_record_parse(txts[i], lens[i], &r, NULL);
		if (st == DMARC_RECORD_NOT_DMARC)
			continue; /* 6.6.3 step 2: discarded */
		if (records++ == 0) {
			one = r;
			one_st = st;
		}
	}
	if (records == 0) {
		/* 6.6.3 step 3: none at the From domain: try the organizational domain */
		if (e->stage == STAGE_FROM && strcmp(e->org_domain, e->from_domain) != 0) {
			e->stage = STAGE_ORG;
			set_query(e, e->org_domain);
			return;
		}
		e->none_reason = "no DMARC record";
	} else if (records > 1) {
		e->none_reason = "several DMARC records"; /* 6.6.3 step 2 */
	} else if (one_st == DMARC_RECORD_INVALID) {
		e->none_reason = "invalid DMARC record"; /* 6.6.3, last paragraph */
	} else {
		one.rua = one.ruf = one.fo = one.rf = NULL; /* they pointed into the answer */
		e->rec = one;
		e->found = true;
		e->org_record = e->stage == STAGE_ORG;
	}
	e->stage = STAGE_DONE;
}

/* 6.6.4: with pct < 100, a message outside the sample gets the next less strict policy. */
static enum dmarc_policy
softer(enum dmarc_policy p)
{
	if (p == DMARC_POLICY_REJECT)
		return DMARC_POLICY_QUARANTINE;
	return DMARC_POLICY_NONE;
}

void
dmarc_eval_finish(struct dmarc_eval *e, const struct dmarc_auth *auth, dmarc_random_fn rnd,
		  void *rnd_ctx, struct dmarc_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->from = e->from;
	v->result = DMARC_RESULT_NONE;
	memcpy(v->from_domain, e->from_domain, sizeof(v->from_domain));
	if (e->from != DMARC_FROM_OK) {
		v->result = e->from == DMARC_FROM_BAD_DOMAIN ? DMARC_RESULT_PERMERROR
							     : DMARC_RESULT_NONE;
		v->reason = dmarc_from_status_text(e->from);
		return;
	}
	if (e->tempfail || e->stage != STAGE_DONE) {
		v->result = DMARC_RESULT_TEMPERROR;
		v->reason = e->tempfail ? "DNS failure looking up the DMARC record"
					: "DMARC record not looked up";
		return;
	}
	if (!e->found) {
		v->reason = e->none_reason;
		return;
	}
	v->org_record = e->org_record;
	memcpy(v->policy_domain, e->org_record ? e->org_domain : e->from_domain,
	       sizeof(v->policy_domain));
	/* sp applies to subdomains: the From domain found no record of its own (6.3 sp) */
	v->policy = e->rec.p;
	if (e->org_record && e->rec.sp != DMARC_POLICY_UNSET)
		v->policy = e->rec.sp;
	if (auth != NULL) {
		v->spf_aligned = auth->spf_pass && auth->spf_domain != NULL &&
				 dmarc_aligned(e->from_domain, auth->spf_domain, e->rec.aspf);
		for (size_t i = 0; i < auth->dkim_pass_count && !v->dkim_aligned; i++)
			v->dkim_aligned = auth->dkim_pass_domains[i] != NULL &&
					  dmarc_aligned(e->from_domain, auth->dkim_pass_domains[i],
							e->rec.adkim);
	}
	if (v->spf_aligned || v->dkim_aligned) {
		v->result = DMARC_RESULT_PASS;
		v->reason = v->dkim_aligned ? "aligned DKIM pass" : "aligned SPF pass";
		v->disposition = DMARC_POLICY_NONE;
		return;
	}
	v->result = DMARC_RESULT_FAIL;
	v->reason = "no aligned SPF or DKIM pass";
	v->disposition = v->policy;
	if (e->rec.pct < 100) {
		unsigned r = rnd != NULL ? rnd(rnd_ctx) % 100 : (unsigned)(random() % 100);
		if (r >= e->rec.pct) {
			v->sampled_out = true;
			v->disposition = softer(v->policy);
		}
	}
}

void
dmarc_eval_free(struct dmarc_eval **e)
{
	free(*e);
	*e = NULL;
}
