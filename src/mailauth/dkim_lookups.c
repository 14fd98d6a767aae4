/* Key lookups and body hashers shared by the DKIM verifier and the ARC validator (see the
 * header). */
#include "mailauth/dkim_lookups.h"

#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

size_t
dkim_key_reqs_for(struct dkim_key_reqs *r, const struct dkim_sig *sig)
{
	struct dkim_key_req *k;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].domain, sig->domain) == 0 &&
		    strcmp(r->v[i].selector, sig->selector) == 0)
			return i;
	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	k = &r->v[r->n];
	memset(k, 0, sizeof(*k));
	k->domain = xstrdup(sig->domain);
	k->selector = xstrdup(sig->selector);
	k->name = xasprintf("%s._domainkey.%s", sig->selector, sig->domain);
	return r->n++;
}

const char *
dkim_key_reqs_name(const struct dkim_key_reqs *r, size_t i)
{
	return i < r->n ? r->v[i].name : NULL;
}

void
dkim_key_reqs_answer(struct dkim_key_reqs *r, size_t i, enum dkim_dns_rcode rc,
		     const char *const *txt, const size_t *txt_len, size_t n)
{
	struct dkim_key_req *k;

	if (i >= r->n || r->v[i].answered)
		return;
	k = &r->v[i];
	k->answered = true;
	k->rc = rc;
	if (rc != DKIM_DNS_OK)
		return;
	k->key_ok = dkim_key_parse_first(&k->key, txt, txt_len, n, &k->key_error) == 0;
}

void
dkim_key_reqs_clear(struct dkim_key_reqs *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].domain);
		free(r->v[i].selector);
		free(r->v[i].name);
		dkim_key_clear(&r->v[i].key);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

const EVP_MD *
dkim_alg_md(enum dkim_alg alg)
{
	return alg == DKIM_ALG_RSA_SHA1 ? EVP_sha1() : EVP_sha256();
}

size_t
dkim_bodies_for(struct dkim_bodies *b, const struct dkim_sig *sig)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		const struct dkim_body_hash *h = &b->v[i].h;

		if (h->canon == sig->bcanon && b->v[i].alg == sig->alg &&
		    h->limited == sig->has_length && (!h->limited || h->limit == sig->length))
			return i;
	}
	b->v = xrealloc(b->v, (b->n + 1) * sizeof(*b->v));
	memset(&b->v[b->n], 0, sizeof(*b->v));
	dkim_body_hash_init(&b->v[b->n].h, sig->bcanon, dkim_alg_md(sig->alg), sig->has_length,
			    sig->length);
	b->v[b->n].alg = sig->alg;
	return b->n++;
}

void
dkim_bodies_update(struct dkim_bodies *b, const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		dkim_body_hash_update(&b->v[i].h, data, len);
}

void
dkim_bodies_final(struct dkim_bodies *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		dkim_body_hash_final(&b->v[i].h, b->v[i].digest, &b->v[i].digest_len);
}

void
dkim_bodies_clear(struct dkim_bodies *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		dkim_body_hash_clear(&b->v[i].h);
	free(b->v);
	b->v = NULL;
	b->n = 0;
}
