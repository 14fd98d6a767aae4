/* DKIM verifier, RFC 6376 6.1. Signatures are checked in three steps that match when the
 * data is there: the DKIM-Signature fields and the header digests at the end of the header
 * (6.1.1, 6.1.3 first half), the key records when the caller's DNS answers come (6.1.2),
 * and the body hashes and the signatures at the end of data (6.1.3). */
#include "mailauth/dkim_verify.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "mailauth/dkim_canon.h"
#include "mailauth/dkim_headers.h"
#include "mailauth/dkim_key.h"
#include "mailauth/dkim_lookups.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct vsig {
	struct dkim_sig sig;
	bool decided;
	unsigned char hdr_digest[EVP_MAX_MD_SIZE];
	unsigned hdr_digest_len;
	size_t key;  /* index in keys */
	size_t body; /* index in bodies */
};

struct dkim_verify {
	struct dkim_verify_policy policy;
	time_t now;
	struct vsig *sigs;
	struct dkim_result *results;
	size_t n_sigs;
	struct dkim_key_reqs keys;
	struct dkim_bodies bodies;
	size_t dropped; /* signatures past DKIM_VERIFY_MAX_RESULTS */
	bool finished;
};

void
dkim_verify_policy_default(struct dkim_verify_policy *p)
{
	p->max_signatures = 10;
	p->rsa_min_bits = 1024;
	p->rsa_short_status = DKIM_STATUS_PERMERROR;
	p->rsa_max_bits = 8192;
	p->clock_skew = 300;
	p->accept_rsa_sha1 = false;
}

struct dkim_verify *
dkim_verify_new(const struct dkim_verify_policy *policy, time_t now)
{
	struct dkim_verify *v = xcalloc(1, sizeof(*v));

	v->policy = *policy;
	v->now = now;
	return v;
}

static void decide(struct dkim_verify *v, size_t i, enum dkim_status st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
decide(struct dkim_verify *v, size_t i, enum dkim_status st, const char *fmt, ...)
{
	va_list ap;

	v->sigs[i].decided = true;
	v->results[i].status = st;
	va_start(ap, fmt);
	vsnprintf(v->results[i].reason, sizeof(v->results[i].reason), fmt, ap);
	va_end(ap);
}

/* RFC 6376 6.1.1 checks that need the clock and the policy, not the key. */
static bool
check_sig_policy(struct dkim_verify *v, size_t i)
{
	const struct dkim_sig *sig = &v->sigs[i].sig;

	if (sig->alg == DKIM_ALG_RSA_SHA1 && !v->policy.accept_rsa_sha1) {
		decide(v, i, DKIM_STATUS_FAIL, "rsa-sha1 is not accepted (RFC 8301)");
		return false;
	}
	if (sig->has_expire && (uint64_t)v->now > sig->expire) {
		decide(v, i, DKIM_STATUS_PERMERROR, "signature expired");
		return false;
	}
	if (sig->has_timestamp && v->now >= 0 &&
	    sig->timestamp > (uint64_t)v->now + v->policy.clock_skew) {
		decide(v, i, DKIM_STATUS_PERMERROR, "signature timestamp in the future");
		return false;
	}
	return true;
}

static void
header_digest(struct vsig *vs, const struct dkim_fields *fs, size_t self)
{
	struct buf data = BUF_INIT;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	dkim_headers_select(&data, vs->sig.hcanon, fs, vs->sig.headers, vs->sig.n_headers, self);
	dkim_headers_sig_field(&data, vs->sig.hcanon, fs->f[self].raw, fs->f[self].raw_len);
	EVP_DigestInit_ex(md, dkim_alg_md(vs->sig.alg), NULL);
	EVP_DigestUpdate(md, data.data, data.len);
	EVP_DigestFinal_ex(md, vs->hdr_digest, &vs->hdr_digest_len);
	EVP_MD_CTX_free(md);
	buf_free(&data);
}

static void
add_sig(struct dkim_verify *v, const struct dkim_fields *fs, size_t field)
{
	size_t i = v->n_sigs++;
	struct vsig *vs;
	struct dkim_result *r;
	const char *error;

	v->sigs = xrealloc(v->sigs, v->n_sigs * sizeof(*v->sigs));
	v->results = xrealloc(v->results, v->n_sigs * sizeof(*v->results));
	vs = &v->sigs[i];
	r = &v->results[i];
	memset(vs, 0, sizeof(*vs));
	memset(r, 0, sizeof(*r));
	if (i >= v->policy.max_signatures) {
		decide(v, i, DKIM_STATUS_PERMERROR, "more than %u signatures",
		       v->policy.max_signatures);
		return;
	}
	if (dkim_sig_parse(&vs->sig, fs->f[field].value, fs->f[field].value_len, &error) < 0) {
		r->domain = vs->sig.domain;
		r->selector = vs->sig.selector;
		decide(v, i, DKIM_STATUS_PERMERROR, "%s", error);
		return;
	}
	r->domain = vs->sig.domain;
	r->selector = vs->sig.selector;
	r->identity = vs->sig.identity;
	r->b_text = vs->sig.b_text;
	r->alg_known = true;
	r->alg = vs->sig.alg;
	if (!check_sig_policy(v, i))
		return;
	header_digest(vs, fs, field);
	vs->key = dkim_key_reqs_for(&v->keys, &vs->sig);
	vs->body = dkim_bodies_for(&v->bodies, &vs->sig);
}

size_t
dkim_verify_header(struct dkim_verify *v, const char *hdr, size_t len)
{
	struct dkim_fields fs;
	size_t i;

	dkim_fields_parse(&fs, hdr, len);
	for (i = 0; i < fs.count; i++) {
		if (!dkim_field_is(&fs.f[i], "DKIM-Signature"))
			continue;
		if (v->n_sigs < DKIM_VERIFY_MAX_RESULTS)
			add_sig(v, &fs, i);
		else
			v->dropped++;
	}
	dkim_fields_free(&fs);
	return v->n_sigs + v->dropped;
}

size_t
dkim_verify_dropped(const struct dkim_verify *v)
{
	return v->dropped;
}

size_t
dkim_verify_key_count(const struct dkim_verify *v)
{
	return v->keys.n;
}

const char *
dkim_verify_key_name(const struct dkim_verify *v, size_t i)
{
	return dkim_key_reqs_name(&v->keys, i);
}

void
dkim_verify_key_answer(struct dkim_verify *v, size_t i, enum dkim_dns_rcode rc,
		       const char *const *txt, const size_t *txt_len, size_t n)
{
	dkim_key_reqs_answer(&v->keys, i, rc, txt, txt_len, n);
}

void
dkim_verify_body(struct dkim_verify *v, const char *data, size_t len)
{
	dkim_bodies_update(&v->bodies, data, len);
}

enum dkim_status
dkim_verify_key_usable(const struct dkim_verify_policy *pol, const struct dkim_key *key,
		       enum dkim_alg alg, const char *identity, const char *domain, char *reason,
		       size_t size)
{
	const char *at;

	if (key->revoked) {
		snprintf(reason, size, "key revoked");
		return DKIM_STATUS_PERMERROR;
	}
	if ((key->type == DKIM_KEY_ED25519) != (alg == DKIM_ALG_ED25519_SHA256)) {
		snprintf(reason, size, "key type k= does not match a=");
		return DKIM_STATUS_PERMERROR;
	}
	if (alg == DKIM_ALG_RSA_SHA1 ? !key->allow_sha1 : !key->allow_sha256) {
		snprintf(reason, size, "key h= does not allow the hash of a=");
		return DKIM_STATUS_PERMERROR;
	}
	at = identity != NULL ? strrchr(identity, '@') : NULL;
	if (identity != NULL && key->strict && (at == NULL || str_casecmp(at + 1, domain) != 0)) {
		snprintf(reason, size, "key t=s: i= domain is not d=");
		return DKIM_STATUS_PERMERROR;
	}
	if (key->type == DKIM_KEY_RSA && key->bits < pol->rsa_min_bits) {
		snprintf(reason, size, "RSA key too short (%u bits)", key->bits);
		return pol->rsa_short_status;
	}
	if (key->type == DKIM_KEY_RSA && key->bits > pol->rsa_max_bits) {
		snprintf(reason, size, "RSA key too long (%u bits)", key->bits);
		return DKIM_STATUS_PERMERROR;
	}
	return DKIM_STATUS_PASS;
}

/* RFC 6376 6.1.2 steps 6-9: the key record against the signature. */
static bool
check_key(struct dkim_verify *v, size_t i, const struct dkim_key_req *k)
{
	const struct dkim_sig *sig = &v->sigs[i].sig;
	char reason[sizeof(v->results[i].reason)];
	enum dkim_status st;

	if (k->rc == DKIM_DNS_TEMPFAIL) {
		decide(v, i, DKIM_STATUS_TEMPERROR, "key unavailable (DNS)");
		return false;
	}
	if (k->rc == DKIM_DNS_NXDOMAIN) {
		decide(v, i, DKIM_STATUS_PERMERROR, "no key for signature");
		return false;
	}
	if (!k->key_ok) {
		decide(v, i, DKIM_STATUS_PERMERROR, "%s", k->key_error);
		return false;
	}
	v->results[i].testing = k->key.testing;
	if (!k->key.revoked)
		v->results[i].key_bits = k->key.bits;
	st = dkim_verify_key_usable(&v->policy, &k->key, sig->alg, sig->identity, sig->domain,
				    reason, sizeof(reason));
	if (st != DKIM_STATUS_PASS) {
		decide(v, i, st, "%s", reason);
		return false;
	}
	return true;
}

bool
dkim_verify_signature(EVP_PKEY *pkey, enum dkim_alg alg, const struct buf *b,
		      const unsigned char *digest, unsigned digest_len)
{
	const unsigned char *sig = (const unsigned char *)b->data;
	bool ok = false;

	if (alg == DKIM_ALG_ED25519_SHA256) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		ok = EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) == 1 &&
		     EVP_DigestVerify(md, sig, b->len, digest, digest_len) == 1;
		EVP_MD_CTX_free(md);
	} else {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);

		ok = ctx != NULL && EVP_PKEY_verify_init(ctx) == 1 &&
		     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_signature_md(ctx, dkim_alg_md(alg)) == 1 &&
		     EVP_PKEY_verify(ctx, sig, b->len, digest, digest_len) == 1;
		EVP_PKEY_CTX_free(ctx);
	}
	return ok;
}

static void
finish_sig(struct dkim_verify *v, size_t i)
{
	struct vsig *vs = &v->sigs[i];
	const struct dkim_key_req *k = &v->keys.v[vs->key];
	const struct dkim_body *b = &v->bodies.v[vs->body];

	if (!k->answered) {
		decide(v, i, DKIM_STATUS_TEMPERROR, "key not looked up");
		return;
	}
	if (!check_key(v, i, k))
		return;
	/* RFC 6376 3.5 l=: a body shorter than l= cannot have been signed as it is */
	if (vs->sig.has_length && b->h.total < vs->sig.length) {
		decide(v, i, DKIM_STATUS_PERMERROR, "l= is longer than the body");
		return;
	}
	if (vs->sig.bh.len != b->digest_len ||
	    memcmp(vs->sig.bh.data, b->digest, b->digest_len) != 0) {
		decide(v, i, DKIM_STATUS_FAIL, "body hash did not verify");
		return;
	}
	if (!dkim_verify_signature(k->key.pkey, vs->sig.alg, &vs->sig.b, vs->hdr_digest,
				   vs->hdr_digest_len)) {
		decide(v, i, DKIM_STATUS_FAIL, "signature did not verify");
		return;
	}
	if (vs->sig.has_length && b->h.total > vs->sig.length)
		decide(v, i, DKIM_STATUS_PASS, "good signature, %llu body bytes unsigned (l=)",
		       (unsigned long long)(b->h.total - vs->sig.length));
	else
		decide(v, i, DKIM_STATUS_PASS, "good signature");
}

void
dkim_verify_finish(struct dkim_verify *v)
{
	size_t i;

	if (v->finished)
		return;
	v->finished = true;
	dkim_bodies_final(&v->bodies);
	for (i = 0; i < v->n_sigs; i++)
		if (!v->sigs[i].decided)
			finish_sig(v, i);
}

const struct dkim_result *
dkim_verify_results(const struct dkim_verify *v, size_t *n_r)
{
	*n_r = v->n_sigs;
	return v->results;
}

void
dkim_verify_free(struct dkim_verify **vp)
{
	struct dkim_verify *v = *vp;
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n_sigs; i++)
		dkim_sig_clear(&v->sigs[i].sig);
	dkim_key_reqs_clear(&v->keys);
	dkim_bodies_clear(&v->bodies);
	free(v->sigs);
	free(v->results);
	free(v);
	*vp = NULL;
}
