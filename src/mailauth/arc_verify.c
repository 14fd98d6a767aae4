/* ARC validator, RFC 8617 5.2. Like dkim_verify.c in three steps that match when the data
 * is there: the sets, their structure (steps 1-3, arc_chain.c) and the header digests of
 * every AMS and AS at the end of the header; the key records when the caller's answers
 * come; the body hashes and the signatures (steps 4-7) at the end of data. The AMS is
 * checked exactly as a DKIM-Signature (the same canonicalization, header selection, body
 * hasher and key checks); the AS over the ARC sets (5.1.1.3). */
#include "mailauth/arc_verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mailauth/dkim_canon.h"
#include "mailauth/dkim_headers.h"
#include "mailauth/dkim_key.h"
#include "mailauth/dkim_lookups.h"
#include "util/xmalloc.h"

struct digest {
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len;
	bool ok;     /* computed (the signature was parsable) */
	size_t key;  /* index in keys */
	size_t body; /* AMS: index in bodies */
};

struct arc_verify {
	struct dkim_verify_policy policy;
	time_t now;
	struct arc_chain *chain;
	struct digest ams[ARC_MAX_SETS + 1], as[ARC_MAX_SETS + 1];
	/* at most 2 x 50 signatures: each list is bounded by the sets */
	struct dkim_key_reqs keys;
	struct dkim_bodies bodies;
	struct arc_result result;
	bool finished;
};

struct arc_verify *
arc_verify_new(const struct dkim_verify_policy *policy, time_t now)
{
	struct arc_verify *v = xcalloc(1, sizeof(*v));

	v->policy = *policy;
	v->now = now;
	v->chain = xcalloc(1, sizeof(*v->chain));
	v->chain->status = ARC_CV_NONE;
	return v;
}

static void
digest_of(struct digest *d, enum dkim_alg alg, const struct buf *data)
{
	EVP_Digest(data->data, data->len, d->md, &d->len, dkim_alg_md(alg), NULL);
	d->ok = true;
}

/* The AMS of set k: DKIM's data to sign (RFC 6376 3.7) with the AMS as the signature. */
static void
ams_digest(struct arc_verify *v, const struct dkim_fields *fs, unsigned k)
{
	const struct arc_set *set = &v->chain->sets[k];
	const struct dkim_field *f = &fs->f[set->field[ARC_AMS]];
	struct buf data = BUF_INIT;

	dkim_headers_select(&data, set->ams.hcanon, fs, set->ams.headers, set->ams.n_headers,
			    set->field[ARC_AMS]);
	if (dkim_headers_sig_field(&data, set->ams.hcanon, f->raw, f->raw_len) == 0) {
		digest_of(&v->ams[k], set->ams.alg, &data);
		v->ams[k].key = dkim_key_reqs_for(&v->keys, &set->ams);
		v->ams[k].body = dkim_bodies_for(&v->bodies, &set->ams);
	}
	buf_free(&data);
}

static void
as_digest(struct arc_verify *v, const struct dkim_fields *fs, unsigned k)
{
	const struct arc_set *set = &v->chain->sets[k];
	struct buf data = BUF_INIT;

	/* every seal of a valid chain has cv none or pass: it covers sets 1..k (5.1.1.3) */
	if (arc_chain_seal_data(v->chain, fs, k, false, &data) == 0) {
		digest_of(&v->as[k], set->as.alg, &data);
		v->as[k].key = dkim_key_reqs_for(&v->keys, &set->as);
	}
	buf_free(&data);
}

unsigned
arc_verify_header(struct arc_verify *v, const char *hdr, size_t len)
{
	struct dkim_fields fs;
	unsigned k;

	dkim_fields_parse(&fs, hdr, len);
	arc_chain_clear(v->chain);
	arc_chain_parse(v->chain, &fs);
	v->result.n_sets = v->chain->n;
	if (v->chain->status == ARC_CV_PASS) {
		for (k = v->chain->n; k >= 1; k--) {
			if (v->chain->sets[k].ams_error == NULL)
				ams_digest(v, &fs, k);
			if (v->chain->sets[k].as_error == NULL)
				as_digest(v, &fs, k);
		}
	}
	dkim_fields_free(&fs);
	return v->chain->n;
}

size_t
arc_verify_key_count(const struct arc_verify *v)
{
	return v->keys.n;
}

const char *
arc_verify_key_name(const struct arc_verify *v, size_t i)
{
	return dkim_key_reqs_name(&v->keys, i);
}

void
arc_verify_key_answer(struct arc_verify *v, size_t i, enum dkim_dns_rcode rc,
		      const char *const *txt, const size_t *txt_len, size_t n)
{
	dkim_key_reqs_answer(&v->keys, i, rc, txt, txt_len, n);
}

void
arc_verify_body(struct arc_verify *v, const char *data, size_t len)
{
	dkim_bodies_update(&v->bodies, data, len);
}

/* One AMS or AS against its key: PASS, or the status with reason. */
static enum dkim_status
check_sig(struct arc_verify *v, const struct dkim_sig *sig, const struct digest *d, char *reason,
	  size_t size)
{
	const struct dkim_key_req *k = &v->keys.v[d->key];
	enum dkim_status st;

	if (!k->answered) {
		snprintf(reason, size, "key not looked up");
		return DKIM_STATUS_TEMPERROR;
	}
	if (k->rc == DKIM_DNS_TEMPFAIL) {
		snprintf(reason, size, "key unavailable (DNS)");
		return DKIM_STATUS_TEMPERROR;
	}
	if (k->rc == DKIM_DNS_NXDOMAIN || !k->key_ok) {
		snprintf(reason, size, "%s",
			 k->rc == DKIM_DNS_NXDOMAIN ? "no key for signature" : k->key_error);
		return DKIM_STATUS_PERMERROR;
	}
	/* rsa-sha1 is never good (RFC 8301; RFC 8617 names rsa-sha256) */
	if (sig->alg == DKIM_ALG_RSA_SHA1) {
		snprintf(reason, size, "rsa-sha1 is not accepted");
		return DKIM_STATUS_FAIL;
	}
	/* ARC has no i= identity: no t=s check */
	st = dkim_verify_key_usable(&v->policy, &k->key, sig->alg, NULL, sig->domain, reason, size);
	if (st != DKIM_STATUS_PASS)
		return st;
	if (!dkim_verify_signature(k->key.pkey, sig->alg, &sig->b, d->md, d->len)) {
		snprintf(reason, size, "signature did not verify");
		return DKIM_STATUS_FAIL;
	}
	return DKIM_STATUS_PASS;
}

static enum dkim_status
check_ams(struct arc_verify *v, unsigned k, char *reason, size_t size)
{
	const struct arc_set *set = &v->chain->sets[k];
	const struct digest *d = &v->ams[k];
	const struct dkim_body *b;

	if (set->ams_error != NULL || !d->ok) {
		snprintf(reason, size, "%s", set->ams_error != NULL ? set->ams_error : "no b= tag");
		return DKIM_STATUS_PERMERROR;
	}
	b = &v->bodies.v[d->body];
	if (set->ams.has_length && b->h.total < set->ams.length) {
		snprintf(reason, size, "l= is longer than the body");
		return DKIM_STATUS_PERMERROR;
	}
	if (set->ams.bh.len != b->digest_len ||
	    memcmp(set->ams.bh.data, b->digest, b->digest_len) != 0) {
		snprintf(reason, size, "body hash did not verify");
		return DKIM_STATUS_FAIL;
	}
	return check_sig(v, &set->ams, d, reason, size);
}

static enum dkim_status
check_as(struct arc_verify *v, unsigned k, char *reason, size_t size)
{
	const struct arc_set *set = &v->chain->sets[k];

	if (set->as_error != NULL || !v->as[k].ok) {
		snprintf(reason, size, "%s", set->as_error != NULL ? set->as_error : "no b= tag");
		return DKIM_STATUS_PERMERROR;
	}
	return check_sig(v, &set->as, &v->as[k], reason, size);
}

static void result(struct arc_verify *v, enum arc_cv cv, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
result(struct arc_verify *v, enum arc_cv cv, const char *fmt, ...)
{
	va_list ap;

	v->result.cv = cv;
	va_start(ap, fmt);
	vsnprintf(v->result.reason, sizeof(v->result.reason), fmt, ap);
	va_end(ap);
}

/* 5.2 steps 4-7 over a chain whose structure is sound. */
static void
validate(struct arc_verify *v)
{
	unsigned n = v->chain->n, k;
	char reason[96];
	enum dkim_status st;

	/* step 4: the latest AMS must verify over the message as it is now */
	st = check_ams(v, n, reason, sizeof(reason));
	if (st != DKIM_STATUS_PASS) {
		v->result.tempfail = st == DKIM_STATUS_TEMPERROR;
		result(v, ARC_CV_FAIL, "ARC-Message-Signature i=%u: %s", n, reason);
		return;
	}
	/* step 5: oldest-pass, from N down until an AMS fails */
	v->result.oldest_pass = 0;
	for (k = n - 1; k >= 1; k--) {
		if (check_ams(v, k, reason, sizeof(reason)) != DKIM_STATUS_PASS) {
			v->result.oldest_pass = k + 1;
			break;
		}
	}
	/* step 6: every seal, from N down to 1 */
	for (k = n; k >= 1; k--) {
		st = check_as(v, k, reason, sizeof(reason));
		if (st != DKIM_STATUS_PASS) {
			v->result.tempfail = st == DKIM_STATUS_TEMPERROR;
			v->result.oldest_pass = 0;
			result(v, ARC_CV_FAIL, "ARC-Seal i=%u: %s", k, reason);
			return;
		}
	}
	/* step 7 */
	result(v, ARC_CV_PASS, "%u ARC set%s verified", n, n == 1 ? "" : "s");
}

void
arc_verify_finish(struct arc_verify *v)
{
	if (v->finished)
		return;
	v->finished = true;
	dkim_bodies_final(&v->bodies);
	switch (v->chain->status) {
	case ARC_CV_NONE:
		result(v, ARC_CV_NONE, "no ARC sets");
		break;
	case ARC_CV_FAIL:
		result(v, ARC_CV_FAIL, "%s", v->chain->reason);
		break;
	case ARC_CV_PASS:
		validate(v);
		break;
	}
}

const struct arc_result *
arc_verify_result(const struct arc_verify *v)
{
	return &v->result;
}

const struct dkim_sig *
arc_verify_seal(const struct arc_verify *v, unsigned k)
{
	if (v->chain->status != ARC_CV_PASS || k < 1 || k > v->chain->n ||
	    v->chain->sets[k].as_error != NULL)
		return NULL;
	return &v->chain->sets[k].as;
}

const struct dkim_sig *
arc_verify_ams(const struct arc_verify *v, unsigned k)
{
	if (v->chain->status != ARC_CV_PASS || k < 1 || k > v->chain->n ||
	    v->chain->sets[k].ams_error != NULL)
		return NULL;
	return &v->chain->sets[k].ams;
}

void
arc_verify_authres(const struct arc_verify *v, struct authres_builder *b, const char *remote_ip)
{
	const struct arc_result *r = &v->result;
	struct buf text = BUF_INIT;
	unsigned k;

	authres_method(b, "arc", arc_cv_name(r->cv));
	if (r->cv == ARC_CV_FAIL)
		authres_reason(b, r->reason);
	/* the sealers, latest first, as "as.<i>.d=<d> as.<i>.s=<s>" (RFC 8617 appendix B) */
	for (k = r->n_sets; k >= 1; k--) {
		const struct dkim_sig *as = arc_verify_seal(v, k);

		if (as != NULL)
			buf_printf(&text, "%sas.%u.d=%s as.%u.s=%s", text.len > 0 ? " " : "", k,
				   as->domain, k, as->selector);
	}
	if (text.len > 0)
		authres_comment(b, buf_cstr(&text));
	if (r->cv == ARC_CV_PASS) {
		char n[16];

		snprintf(n, sizeof(n), "%u", r->oldest_pass);
		authres_prop(b, "header", "oldest-pass", n);
	}
	if (remote_ip != NULL)
		authres_prop(b, "smtp", "remote-ip", remote_ip);
	if (r->cv == ARC_CV_PASS) {
		buf_reset(&text);
		for (k = 1; k <= r->n_sets; k++)
			buf_printf(&text, "%s%s", k > 1 ? ":" : "", arc_verify_seal(v, k)->domain);
		authres_prop(b, "arc", "chain", buf_cstr(&text));
	}
	buf_free(&text);
}

void
arc_verify_free(struct arc_verify **vp)
{
	struct arc_verify *v = *vp;

	if (v == NULL)
		return;
	arc_chain_clear(v->chain);
	free(v->chain);
	dkim_key_reqs_clear(&v->keys);
	dkim_bodies_clear(&v->bodies);
	free(v);
	*vp = NULL;
}
