/* DKIM key record parser, RFC 6376 3.6.1; Ed25519 keys per RFC 8463 4.2. */
/* d2i_RSA_PUBKEY is deprecated in OpenSSL 3 but takes 2 us where d2i_PUBKEY, through the
 * decoder framework, takes 80 us: most of an rsa-sha256 verification (measured with
 * dkim-tool bench). d2i_PUBKEY stays as the fallback. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "mailauth/dkim_key.h"

#include <string.h>

#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "mailauth/dkim_sig.h"
#include "mailauth/tag_list.h"
#include "util/base64.h"
#include "util/str.h"

static int
find_item(const char *item, size_t len, void *ctx)
{
	const char **want = ctx;

	if (*want != NULL && strlen(*want) == len && str_ncasecmp(item, *want, len) == 0)
		*want = NULL; /* found */
	return 0;
}

/* true if the colon-separated list v contains name (case-insensitive). */
static bool
list_has(const struct tag *t, const char *name)
{
	const char *want = name;

	tag_value_split(t->value, t->value_len, ':', find_item, &want);
	return want == NULL;
}

/* p= for k=rsa: DER SubjectPublicKeyInfo (RFC 6376 3.6.1); some publishers put a bare
 * PKCS#1 RSAPublicKey there, which OpenDKIM and dkimpy also accept. */
static EVP_PKEY *
rsa_key(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	RSA *rsa = d2i_RSA_PUBKEY(NULL, &p, (long)len);
	EVP_PKEY *pkey = NULL;

	if (rsa != NULL && p == der + len) {
		pkey = EVP_PKEY_new();
		if (EVP_PKEY_assign_RSA(pkey, rsa) == 1)
			return pkey;
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	RSA_free(rsa);
	p = der;
	pkey = d2i_PUBKEY(NULL, &p, (long)len);
	if (pkey == NULL) {
		p = der;
		pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	}
	if (pkey != NULL && EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

static int
parse_p(struct dkim_key *key, const struct tag *p, const char **error_r)
{
	struct buf clean = BUF_INIT, der = BUF_INIT;
	int ret = -1;

	dkim_strip_fws(&clean, p->value, p->value_len);
	if (clean.len == 0) {
		key->revoked = true; /* RFC 6376 3.6.1: "An empty value means ... revoked" */
		buf_free(&clean);
		return 0;
	}
	if (base64_decode(&der, buf_cstr(&clean), clean.len) < 0) {
		*error_r = "bad base64 in key p=";
		goto out;
	}
	if (key->type == DKIM_KEY_ED25519) {
		if (der.len != 32) {
			*error_r = "ed25519 key is not 32 bytes";
			goto out;
		}
		key->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
							(const unsigned char *)der.data, 32);
	} else {
		key->pkey = rsa_key((const unsigned char *)der.data, der.len);
	}
	if (key->pkey == NULL) {
		*error_r = "key p= is not a key of type k=";
		goto out;
	}
	key->bits = (unsigned)EVP_PKEY_get_bits(key->pkey);
	ret = 0;
out:
	buf_free(&clean);
	buf_free(&der);
	return ret;
}

static int
parse_tags(struct dkim_key *key, const struct tag_list *tl, const char **error_r)
{
	const struct tag *v = tag_list_get(tl, "v"), *h = tag_list_get(tl, "h"),
			 *k = tag_list_get(tl, "k"), *s = tag_list_get(tl, "s"),
			 *t = tag_list_get(tl, "t");

	/* RFC 6376 3.6.1 v=: "if specified, this tag MUST be set to "DKIM1" ... and MUST be
	 * the first tag in the record" */
	if (v != NULL && (v != &tl->tags[0] || !tag_value_is(v, "DKIM1"))) {
		*error_r = "bad key record version";
		return -1;
	}
	key->allow_sha1 = key->allow_sha256 = true;
	if (h != NULL) {
		key->allow_sha1 = list_has(h, "sha1");
		key->allow_sha256 = list_has(h, "sha256");
	}
	key->type = DKIM_KEY_RSA;
	if (k != NULL) {
		if (tag_value_is_ci(k, "ed25519")) {
			key->type = DKIM_KEY_ED25519;
		} else if (!tag_value_is_ci(k, "rsa")) {
			*error_r = "unknown key type k=";
			return -1;
		}
	}
	if (s != NULL && !list_has(s, "email") && !list_has(s, "*")) {
		*error_r = "key not for email (s=)";
		return -1;
	}
	if (t != NULL) {
		key->testing = list_has(t, "y");
		key->strict = list_has(t, "s");
	}
	return 0;
}

int
dkim_key_parse(struct dkim_key *key, const char *txt, size_t len, const char **error_r)
{
	struct tag_list tl;
	const struct tag *p;

	memset(key, 0, sizeof(*key));
	if (tag_list_parse(&tl, txt, len, error_r) < 0)
		return -1;
	if (parse_tags(key, &tl, error_r) < 0)
		return -1;
	p = tag_list_get(&tl, "p");
	if (p == NULL) {
		*error_r = "key record has no p=";
		return -1;
	}
	return parse_p(key, p, error_r);
}

void
dkim_key_clear(struct dkim_key *key)
{
	EVP_PKEY_free(key->pkey);
	memset(key, 0, sizeof(*key));
}

int
dkim_key_parse_first(struct dkim_key *key, const char *const *txt, const size_t *txt_len, size_t n,
		     const char **error_r)
{
	size_t j;

	*error_r = "no key for signature";
	for (j = 0; j < n; j++) {
		const char *error;

		if (dkim_key_parse(key, txt[j], txt_len[j], &error) == 0)
			return 0;
		dkim_key_clear(key);
		if (j == 0)
			*error_r = error;
	}
	return -1;
}
