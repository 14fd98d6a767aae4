/* check_host() (RFC 7208 4) as a state machine: each DNS lookup leaves the machine in a
 * state that waits for its answer; spf_run() steps until a lookup is pending or the result
 * is known. Resolvers may answer inside the lookup call (a cache hit, the test fake); the
 * answer is then stored and the loop goes on, so the stack never grows with the lookups.
 *
 * include pushes a frame (a nested check_host with the target domain), redirect= replaces
 * the current frame's domain. Both are bounded by the 10 DNS-mechanism limit (4.6.4), so
 * the stack is at most 11 frames deep. */
#include "mailauth/spf.h"

#include <stdlib.h>
#include <string.h>

#include "mailauth/spf_ip.h"
#include "mailauth/spf_macro.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

enum spf_state {
	SPF_STATE_RECORD, /* look up the TXT records of the frame's domain */
	SPF_STATE_RECORD_ANSWER,
	SPF_STATE_TERM,        /* evaluate the frame's next term */
	SPF_STATE_ADDR_ANSWER, /* "a" or "exists": the A/AAAA answer */
	SPF_STATE_MX_ANSWER,
	SPF_STATE_MX_ADDR, /* look up the addresses of the next MX host */
	SPF_STATE_MX_ADDR_ANSWER,
	SPF_STATE_PTR, /* the validated names of ip (5.5): the PTR lookup */
	SPF_STATE_PTR_ANSWER,
	SPF_STATE_PTR_ADDR, /* look up the addresses of the next PTR name */
	SPF_STATE_PTR_ADDR_ANSWER,
	SPF_STATE_PTR_MATCH, /* "ptr": compare the validated names with the target */
	SPF_STATE_EXP,       /* a fail: fetch the exp= text (6.2) */
	SPF_STATE_EXP_ANSWER,
	SPF_STATE_DONE,
};

struct spf_frame {
	char *domain;
	struct spf_record *rec;
	size_t next;     /* the next term */
	bool redirected; /* reached by redirect=: no record is a permerror (6.1) */
};

struct spf_check {
	struct spf_resolver res;
	spf_check_cb *cb;
	void *ctx;
	struct spf_ip ip;
	char ip_i[72], ip_c[48];
	char *sender, *local, *sender_domain, *helo, *receiver, *default_exp;
	time_t now;

	enum spf_state state;
	struct spf_frame *frames;
	size_t n_frames, cap_frames;
	unsigned dns_mechs, void_lookups, queries;

	/* the pending lookup and the last answer */
	bool waiting, running;
	void *pending;
	enum spf_dns_status ans_status;
	char **ans;
	size_t n_ans;

	/* mx: the exchange names and the next one; ptr: the names and the next one */
	char **names;
	size_t n_names, next_name;
	bool exists; /* SPF_STATE_ADDR_ANSWER serves "exists", not "a" */
	const struct spf_term *term;
	char *target;

	/* validated names of ip (5.5, 7.3 %{p}), computed once */
	bool validated;
	char **valid;
	size_t n_valid, cap_valid;
	enum spf_state after_validation;
	char *p_value;

	enum spf_result result;
	char *explanation;
	const char *problem;
};

static void
spf_strings_free(char ***arr, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*arr)[i]);
	free(*arr);
	*arr = NULL;
	*n = 0;
}

static void
spf_finish(struct spf_check *c, enum spf_result result, const char *problem)
{
	c->result = result;
	if (problem != NULL && c->problem == NULL)
		c->problem = problem;
	c->state = SPF_STATE_DONE;
}

static struct spf_frame *
spf_frame(struct spf_check *c)
{
	return &c->frames[c->n_frames - 1];
}

static void
spf_frame_push(struct spf_check *c, const char *domain)
{
	struct spf_frame *f;

	c->frames = xgrow(c->frames, &c->cap_frames, c->n_frames + 1, sizeof(*c->frames));
	f = &c->frames[c->n_frames++];
	memset(f, 0, sizeof(*f));
	f->domain = xstrdup(domain);
	c->state = SPF_STATE_RECORD;
}

static void
spf_frame_pop(struct spf_check *c)
{
	struct spf_frame *f = spf_frame(c);

	free(f->domain);
	spf_record_free(&f->rec);
	c->n_frames--;
}

static bool spf_run(struct spf_check *c);

static void
spf_on_answer(void *ctx, enum spf_dns_status status, const char *const *rrs, size_t n)
{
	struct spf_check *c = ctx;
	size_t i;

	spf_strings_free(&c->ans, &c->n_ans);
	c->ans_status = status == SPF_DNS_OK && n == 0 ? SPF_DNS_NODATA : status;
	if (c->ans_status == SPF_DNS_OK) {
		c->ans = xcalloc(n, sizeof(*c->ans));
		for (i = 0; i < n; i++)
			c->ans[i] = xstrdup(rrs[i]);
		c->n_ans = n;
	}
	c->waiting = false;
	c->pending = NULL;
	if (!c->running)
		(void)spf_run(c);
}

/* A name a DNS query can be made of: labels of 1..63 octets (RFC 1035 2.3.4). */
static bool
spf_name_ok(const char *d)
{
	size_t len = strlen(d), label = 0, i;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i <= len; i++) {
		if (i == len || d[i] == '.') {
			if (label == 0 || label > 63)
				return false;
			label = 0;
		} else {
			label++;
		}
	}
	return true;
}

static void
spf_lookup(struct spf_check *c, enum spf_rr type, const char *name, enum spf_state next)
{
	void *h;

	c->state = next;
	/* RFC 7208 4.8, 5: a target name that is no domain name (an empty label, one over
	 * 63 octets, say from a macro) is treated as a name that does not exist */
	if (!spf_name_ok(name)) {
		spf_strings_free(&c->ans, &c->n_ans);
		c->ans_status = SPF_DNS_NXDOMAIN;
		return;
	}
	if (++c->queries > SPF_MAX_QUERIES) {
		spf_finish(c, SPF_RESULT_PERMERROR, "too many DNS queries");
		return;
	}
	c->waiting = true;
	h = c->res.lookup(c->res.rctx, type, name, spf_on_answer, c);
	if (c->waiting)
		c->pending = h;
}

/* RFC 7208 4.6.4: answers with no records count; past 2, permerror. */
static bool
spf_void_lookup(struct spf_check *c)
{
	if (c->ans_status != SPF_DNS_NXDOMAIN && c->ans_status != SPF_DNS_NODATA)
		return false;
	if (++c->void_lookups > SPF_MAX_VOID_LOOKUPS)
		spf_finish(c, SPF_RESULT_PERMERROR, "too many void DNS lookups");
	return true;
}

/* %{p} (RFC 7208 7.3): the domain itself if validated, else a validated subdomain of it,
 * else any validated name, else "unknown". */
static const char *
spf_p_value(struct spf_check *c, const char *domain)
{
	size_t i, dlen = strlen(domain);

	free(c->p_value);
	c->p_value = NULL;
	for (i = 0; i < c->n_valid; i++) {
		if (str_casecmp(c->valid[i], domain) == 0)
			return c->p_value = xstrdup(c->valid[i]);
	}
	for (i = 0; i < c->n_valid; i++) {
		size_t len = strlen(c->valid[i]);
		if (len > dlen && c->valid[i][len - dlen - 1] == '.' &&
		    str_casecmp(c->valid[i] + len - dlen, domain) == 0)
			return c->p_value = xstrdup(c->valid[i]);
	}
	if (c->n_valid > 0)
		return c->p_value = xstrdup(c->valid[0]);
	return NULL;
}

static void
spf_vars(struct spf_check *c, const char *domain, struct spf_macro_vars *v)
{
	memset(v, 0, sizeof(*v));
	v->s = c->sender;
	v->l = c->local;
	v->o = c->sender_domain;
	v->d = domain;
	v->i = c->ip_i;
	v->p = c->validated ? spf_p_value(c, domain) : NULL;
	v->v = c->ip.v6 ? "ip6" : "in-addr";
	v->h = c->helo;
	v->c = c->ip_c;
	v->r = c->receiver;
	v->t = (unsigned long long)c->now;
}

/* The target name of a mechanism or modifier: its domain-spec expanded, or the frame's
 * domain. NULL after spf_finish() on a macro error. */
static char *
spf_target(struct spf_check *c, const char *spec)
{
	struct spf_macro_vars v;
	struct buf out = BUF_INIT;
	const char *error;

	if (spec == NULL)
		return xstrdup(spf_frame(c)->domain);
	spf_vars(c, spf_frame(c)->domain, &v);
	if (spf_macro_expand_domain(spec, &v, &out, &error) < 0) {
		buf_free(&out);
		spf_finish(c, SPF_RESULT_PERMERROR, error);
		return NULL;
	}
	return buf_steal(&out);
}

/* RFC 7208 4.3: a domain that is not a multi-label name with labels of 1..63 octets */
static bool
spf_domain_ok(const char *d)
{
	size_t len = strlen(d), label = 0, labels = 0, i;

	if (len > 0 && d[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (i = 0; i <= len; i++) {
		if (i == len || d[i] == '.') {
			if (label == 0 || label > 63)
				return false;
			labels++;
			label = 0;
		} else {
			label++;
		}
	}
	return labels >= 2 && d[0] != '[';
}

/* A frame's check_host() is over with result r: back to its includer, or the end. */
static void
spf_frame_done(struct spf_check *c, enum spf_result r)
{
	struct spf_frame *f = spf_frame(c);

	if (f->redirected && r == SPF_RESULT_NONE) {
		spf_finish(c, SPF_RESULT_PERMERROR, "redirect= to a domain without SPF record");
		return;
	}
	if (c->n_frames == 1) {
		c->result = r;
		if (r == SPF_RESULT_FAIL && f->rec != NULL && f->rec->exp != NULL)
			c->state = SPF_STATE_EXP;
		else
			spf_finish(c, r, NULL);
		return;
	}
	spf_frame_pop(c);
	/* RFC 7208 5.2: the include mechanism matches on pass only */
	switch (r) {
	case SPF_RESULT_PASS:
		spf_frame_done(c, spf_frame(c)->rec->terms[spf_frame(c)->next - 1].qualifier);
		break;
	case SPF_RESULT_FAIL:
	case SPF_RESULT_SOFTFAIL:
	case SPF_RESULT_NEUTRAL:
		c->state = SPF_STATE_TERM;
		break;
	case SPF_RESULT_TEMPERROR:
		spf_finish(c, SPF_RESULT_TEMPERROR, NULL);
		break;
	case SPF_RESULT_NONE:
	case SPF_RESULT_PERMERROR:
		spf_finish(c, SPF_RESULT_PERMERROR,
			   r == SPF_RESULT_NONE ? "include of a domain without SPF record" : NULL);
		break;
	}
}

/* The current term matched: the frame's result is its qualifier (4.6.2). */
static void
spf_match(struct spf_check *c)
{
	spf_frame_done(c, c->term->qualifier);
}

static void
spf_record_answer(struct spf_check *c)
{
	struct spf_frame *f = spf_frame(c);
	const char *found = NULL, *error;
	size_t i;

	if (c->ans_status == SPF_DNS_TEMPFAIL) {
		spf_finish(c, SPF_RESULT_TEMPERROR, "DNS failure fetching the SPF record");
		return;
	}
	/* RFC 7208 4.5: keep the records that start "v=spf1"; one, or permerror */
	for (i = 0; i < c->n_ans; i++) {
		if (!spf_record_is_spf(c->ans[i]))
			continue;
		if (found != NULL) {
			spf_finish(c, SPF_RESULT_PERMERROR, "more than one SPF record");
			return;
		}
		found = c->ans[i];
	}
	if (found == NULL) {
		spf_frame_done(c, SPF_RESULT_NONE);
		return;
	}
	if (spf_record_parse(found, &f->rec, &error) < 0) {
		spf_finish(c, SPF_RESULT_PERMERROR, error);
		return;
	}
	c->state = SPF_STATE_TERM;
}

static bool
spf_term_uses_p(const struct spf_term *t)
{
	return t->domain != NULL && spf_macro_uses_p(t->domain, strlen(t->domain));
}

/* No term matched: redirect= (6.1) or neutral (4.7). */
static void
spf_terms_done(struct spf_check *c)
{
	struct spf_frame *f = spf_frame(c);
	char *target;

	if (f->rec->redirect == NULL) {
		spf_frame_done(c, SPF_RESULT_NEUTRAL);
		return;
	}
	if (!c->validated && spf_macro_uses_p(f->rec->redirect, strlen(f->rec->redirect))) {
		c->after_validation = SPF_STATE_TERM;
		c->state = SPF_STATE_PTR;
		return;
	}
	if (++c->dns_mechs > SPF_MAX_DNS_MECHS) {
		spf_finish(c, SPF_RESULT_PERMERROR, "more than 10 DNS lookups");
		return;
	}
	target = spf_target(c, f->rec->redirect);
	if (target == NULL)
		return;
	free(f->domain);
	f->domain = target;
	spf_record_free(&f->rec);
	f->next = 0;
	f->redirected = true;
	c->state = SPF_STATE_RECORD;
}

static void
spf_term(struct spf_check *c)
{
	struct spf_frame *f = spf_frame(c);
	const struct spf_term *t;

	if (f->next == f->rec->n_terms) {
		spf_terms_done(c);
		return;
	}
	t = c->term = &f->rec->terms[f->next];
	if (!c->validated && spf_term_uses_p(t)) {
		c->after_validation = SPF_STATE_TERM; /* then this term again */
		c->state = SPF_STATE_PTR;
		return;
	}
	f->next++;
	switch (t->mech) {
	case SPF_MECH_ALL:
		spf_match(c);
		return;
	case SPF_MECH_IP4:
	case SPF_MECH_IP6:
		if (c->ip.v6 == (t->mech == SPF_MECH_IP6) &&
		    spf_ip_match(&c->ip, t->ip, c->ip.v6 ? t->cidr6 : t->cidr4))
			spf_match(c);
		return;
	default:
		break;
	}
	if (++c->dns_mechs > SPF_MAX_DNS_MECHS) {
		spf_finish(c, SPF_RESULT_PERMERROR, "more than 10 DNS lookups");
		return;
	}
	free(c->target);
	c->target = spf_target(c, t->domain);
	if (c->target == NULL)
		return;
	switch (t->mech) {
	case SPF_MECH_INCLUDE:
		spf_frame_push(c, c->target);
		break;
	case SPF_MECH_A:
	case SPF_MECH_EXISTS:
		/* RFC 7208 5.7: exists always asks for A records */
		c->exists = t->mech == SPF_MECH_EXISTS;
		spf_lookup(c, c->ip.v6 && !c->exists ? SPF_RR_AAAA : SPF_RR_A, c->target,
			   SPF_STATE_ADDR_ANSWER);
		break;
	case SPF_MECH_MX:
		spf_lookup(c, SPF_RR_MX, c->target, SPF_STATE_MX_ANSWER);
		break;
	case SPF_MECH_PTR:
		c->after_validation = SPF_STATE_PTR_MATCH;
		c->state = c->validated ? SPF_STATE_PTR_MATCH : SPF_STATE_PTR;
		break;
	default:
		break;
	}
}

/* Whether an address answer holds ip, within the current term's prefix lengths. */
static bool
spf_addrs_match(struct spf_check *c, bool whole)
{
	unsigned prefix = whole      ? (c->ip.v6 ? 128 : 32)
			  : c->ip.v6 ? c->term->cidr6
				     : c->term->cidr4;
	size_t i;

	for (i = 0; i < c->n_ans; i++) {
		if (spf_ip_match_text(&c->ip, c->ans[i], prefix))
			return true;
	}
	return false;
}

static void
spf_addr_answer(struct spf_check *c)
{
	if (c->ans_status == SPF_DNS_TEMPFAIL) {
		spf_finish(c, SPF_RESULT_TEMPERROR, "DNS failure");
		return;
	}
	c->state = SPF_STATE_TERM;
	if (spf_void_lookup(c))
		return;
	if (c->exists || spf_addrs_match(c, false))
		spf_match(c);
}

static void
spf_mx_answer(struct spf_check *c)
{
	if (c->ans_status == SPF_DNS_TEMPFAIL) {
		spf_finish(c, SPF_RESULT_TEMPERROR, "DNS failure");
		return;
	}
	c->state = SPF_STATE_TERM;
	if (spf_void_lookup(c))
		return;
	/* RFC 7208 4.6.4: more than 10 MX names is a permerror */
	if (c->n_ans > SPF_MAX_MX_NAMES) {
		spf_finish(c, SPF_RESULT_PERMERROR, "more than 10 MX names");
		return;
	}
	spf_strings_free(&c->names, &c->n_names);
	c->names = c->ans;
	c->n_names = c->n_ans;
	c->ans = NULL;
	c->n_ans = 0;
	c->next_name = 0;
	c->state = SPF_STATE_MX_ADDR;
}

static void
spf_mx_addr_answer(struct spf_check *c)
{
	c->state = SPF_STATE_MX_ADDR;
	if (c->ans_status == SPF_DNS_TEMPFAIL) {
		spf_finish(c, SPF_RESULT_TEMPERROR, "DNS failure");
		return;
	}
	if (c->ans_status == SPF_DNS_OK && spf_addrs_match(c, false))
		spf_match(c);
}

static void
spf_ptr_answer(struct spf_check *c)
{
	size_t i;

	spf_strings_free(&c->names, &c->n_names);
	c->next_name = 0;
	c->state = SPF_STATE_PTR_ADDR;
	/* RFC 7208 5.5: a DNS error on the PTR lookup: no validated names */
	if (c->ans_status != SPF_DNS_OK)
		return;
	/* RFC 7208 4.6.4: names past the first 10 are ignored */
	c->n_names = c->n_ans < SPF_MAX_PTR_NAMES ? c->n_ans : SPF_MAX_PTR_NAMES;
	c->names = xcalloc(c->n_names + 1, sizeof(*c->names));
	for (i = 0; i < c->n_names; i++) {
		size_t len = strlen(c->ans[i]);
		c->names[i] =
			xstrndup(c->ans[i], len > 0 && c->ans[i][len - 1] == '.' ? len - 1 : len);
	}
}

static void
spf_ptr_addr_answer(struct spf_check *c)
{
	c->state = SPF_STATE_PTR_ADDR;
	/* RFC 7208 5.5: a DNS error on an address lookup skips the name */
	if (c->ans_status == SPF_DNS_OK && spf_addrs_match(c, true)) {
		c->valid = xgrow(c->valid, &c->cap_valid, c->n_valid + 1, sizeof(*c->valid));
		c->valid[c->n_valid++] = xstrdup(c->names[c->next_name - 1]);
	}
}

static void
spf_ptr_match(struct spf_check *c)
{
	size_t i, tlen = strlen(c->target);

	c->state = SPF_STATE_TERM;
	for (i = 0; i < c->n_valid; i++) {
		size_t len = strlen(c->valid[i]);
		if (str_casecmp(c->valid[i], c->target) == 0 ||
		    (len > tlen && c->valid[i][len - tlen - 1] == '.' &&
		     str_casecmp(c->valid[i] + len - tlen, c->target) == 0)) {
			spf_match(c);
			return;
		}
	}
}

/* RFC 7208 6.2: the exp= text, expanded with the letters of explanations; any problem
 * leaves the default explanation. */
static void
spf_exp(struct spf_check *c)
{
	struct spf_frame *f = spf_frame(c);
	struct spf_macro_vars v;
	struct buf out = BUF_INIT;
	const char *error;

	if (!c->validated && spf_macro_uses_p(f->rec->exp, strlen(f->rec->exp))) {
		c->after_validation = SPF_STATE_EXP;
		c->state = SPF_STATE_PTR;
		return;
	}
	spf_vars(c, f->domain, &v);
	if (spf_macro_expand_domain(f->rec->exp, &v, &out, &error) < 0 || out.len == 0) {
		buf_free(&out);
		spf_finish(c, SPF_RESULT_FAIL, NULL);
		return;
	}
	spf_lookup(c, SPF_RR_TXT, buf_cstr(&out), SPF_STATE_EXP_ANSWER);
	buf_free(&out);
}

static void
spf_exp_answer(struct spf_check *c)
{
	struct spf_frame *f = spf_frame(c);
	struct spf_macro_vars v;
	struct buf out = BUF_INIT;
	const char *error;

	if (c->ans_status == SPF_DNS_OK && c->n_ans == 1 &&
	    spf_macro_uses_p(c->ans[0], strlen(c->ans[0])) && !c->validated) {
		/* the text needs %{p}: validate, then fetch the text again */
		c->after_validation = SPF_STATE_EXP;
		c->state = SPF_STATE_PTR;
		return;
	}
	if (c->ans_status == SPF_DNS_OK && c->n_ans == 1) {
		spf_vars(c, f->domain, &v);
		if (spf_macro_expand(c->ans[0], strlen(c->ans[0]), &v, true, &out, &error) == 0) {
			c->explanation = buf_steal(&out);
		}
	}
	buf_free(&out);
	spf_finish(c, SPF_RESULT_FAIL, NULL);
}

static void
spf_step(struct spf_check *c)
{
	switch (c->state) {
	case SPF_STATE_RECORD:
		spf_lookup(c, SPF_RR_TXT, spf_frame(c)->domain, SPF_STATE_RECORD_ANSWER);
		break;
	case SPF_STATE_RECORD_ANSWER:
		spf_record_answer(c);
		break;
	case SPF_STATE_TERM:
		spf_term(c);
		break;
	case SPF_STATE_ADDR_ANSWER:
		spf_addr_answer(c);
		break;
	case SPF_STATE_MX_ANSWER:
		spf_mx_answer(c);
		break;
	case SPF_STATE_MX_ADDR:
		if (c->next_name == c->n_names) {
			c->state = SPF_STATE_TERM;
			break;
		}
		spf_lookup(c, c->ip.v6 ? SPF_RR_AAAA : SPF_RR_A, c->names[c->next_name++],
			   SPF_STATE_MX_ADDR_ANSWER);
		break;
	case SPF_STATE_MX_ADDR_ANSWER:
		spf_mx_addr_answer(c);
		break;
	case SPF_STATE_PTR: {
		char name[80];
		spf_ip_reverse_name(&c->ip, name);
		spf_lookup(c, SPF_RR_PTR, name, SPF_STATE_PTR_ANSWER);
		break;
	}
	case SPF_STATE_PTR_ANSWER:
		spf_ptr_answer(c);
		break;
	case SPF_STATE_PTR_ADDR:
		if (c->next_name == c->n_names) {
			c->validated = true;
			c->state = c->after_validation;
			break;
		}
		spf_lookup(c, c->ip.v6 ? SPF_RR_AAAA : SPF_RR_A, c->names[c->next_name++],
			   SPF_STATE_PTR_ADDR_ANSWER);
		break;
	case SPF_STATE_PTR_ADDR_ANSWER:
		spf_ptr_addr_answer(c);
		break;
	case SPF_STATE_PTR_MATCH:
		spf_ptr_match(c);
		break;
	case SPF_STATE_EXP:
		spf_exp(c);
		break;
	case SPF_STATE_EXP_ANSWER:
		spf_exp_answer(c);
		break;
	case SPF_STATE_DONE:
		break;
	}
}

static void
spf_check_free(struct spf_check *c)
{
	while (c->n_frames > 0)
		spf_frame_pop(c);
	free(c->frames);
	spf_strings_free(&c->ans, &c->n_ans);
	spf_strings_free(&c->names, &c->n_names);
	spf_strings_free(&c->valid, &c->n_valid);
	free(c->target);
	free(c->p_value);
	free(c->sender);
	free(c->local);
	free(c->sender_domain);
	free(c->helo);
	free(c->receiver);
	free(c->default_exp);
	free(c->explanation);
	free(c);
}

/* Steps until a lookup is pending or the result is known; then reports and frees c, and
 * returns true. */
static bool
spf_run(struct spf_check *c)
{
	c->running = true;
	while (c->state != SPF_STATE_DONE && !c->waiting)
		spf_step(c);
	c->running = false;
	if (c->state == SPF_STATE_DONE) {
		const char *exp = NULL;
		if (c->result == SPF_RESULT_FAIL)
			exp = c->explanation != NULL ? c->explanation : c->default_exp;
		c->cb(c->ctx, c->result, exp, c->problem);
		spf_check_free(c);
		return true;
	}
	return false;
}

struct spf_check *
spf_check_start(const struct spf_resolver *resolver, const struct spf_check_params *p,
		spf_check_cb *cb, void *ctx)
{
	struct spf_check *c = xcalloc(1, sizeof(*c));
	const char *helo = p->helo != NULL ? p->helo : "";
	const char *at;

	c->res = *resolver;
	c->cb = cb;
	c->ctx = ctx;
	c->now = p->now;
	c->helo = xstrdup(helo);
	c->receiver = p->receiver != NULL ? xstrdup(p->receiver) : NULL;
	c->default_exp = p->default_exp != NULL ? xstrdup(p->default_exp) : NULL;
	/* RFC 7208 2.4, 4.3: a null reverse-path is checked as postmaster@helo; an empty
	 * local part is "postmaster" */
	if (p->mailfrom == NULL || p->mailfrom[0] == '\0') {
		c->local = xstrdup("postmaster");
		c->sender_domain = xstrdup(helo);
	} else if ((at = strrchr(p->mailfrom, '@')) == NULL) {
		c->local = xstrdup("postmaster");
		c->sender_domain = xstrdup(p->mailfrom);
	} else {
		c->local = at == p->mailfrom ? xstrdup("postmaster")
					     : xstrndup(p->mailfrom, (size_t)(at - p->mailfrom));
		c->sender_domain = xstrdup(at + 1);
	}
	c->sender = xasprintf("%s@%s", c->local, c->sender_domain);
	if (!spf_ip_parse(p->ip, &c->ip)) {
		spf_finish(c, SPF_RESULT_PERMERROR, "bad client address");
	} else if (!spf_domain_ok(c->sender_domain)) {
		spf_finish(c, SPF_RESULT_NONE, "not a domain name"); /* RFC 7208 4.3 */
	} else {
		spf_ip_macro_i(&c->ip, c->ip_i);
		spf_ip_macro_c(&c->ip, c->ip_c);
		spf_frame_push(c, c->sender_domain);
	}
	return spf_run(c) ? NULL : c;
}

void
spf_check_cancel(struct spf_check **cp)
{
	struct spf_check *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	if (c->waiting && c->pending != NULL && c->res.cancel != NULL)
		c->res.cancel(c->res.rctx, c->pending);
	spf_check_free(c);
}
