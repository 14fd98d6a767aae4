/* JWS for ACME: see acme_jws.h. */
#include "acme/acme_jws.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/sha.h>
#include <string.h>

#include "util/base64.h"
#include "util/buf.h"

void
acme_b64url(struct buf *out, const void *data, size_t len)
{
	struct buf b = BUF_INIT;

	base64_encode(&b, data, len);
	for (size_t i = 0; i < b.len; i++) {
		char c = b.data[i];
		if (c == '=')
			break;
		buf_appendc(out, c == '+' ? '-' : c == '/' ? '_' : c);
	}
	buf_free(&b);
}

EVP_PKEY *
acme_key_new(void)
{
	return EVP_EC_gen("P-256");
}

/* The affine coordinates of the public point, 32 bytes each (RFC 7518 6.2.1.2). */
static int
acme_key_xy(EVP_PKEY *key, unsigned char x[32], unsigned char y[32])
{
	BIGNUM *bx = NULL, *by = NULL;
	int ret = -1;

	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &bx) == 1 &&
	    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &by) == 1 &&
	    BN_bn2binpad(bx, x, 32) == 32 && BN_bn2binpad(by, y, 32) == 32)
		ret = 0;
	BN_free(bx);
	BN_free(by);
	return ret;
}

void
acme_jwk(struct buf *out, EVP_PKEY *key)
{
	unsigned char x[32], y[32];

	if (acme_key_xy(key, x, y) < 0)
		memset(x, 0, 32), memset(y, 0, 32);
	buf_appends(out, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"");
	acme_b64url(out, x, 32);
	buf_appends(out, "\",\"y\":\"");
	acme_b64url(out, y, 32);
	buf_appends(out, "\"}");
}

void
acme_thumbprint(struct buf *out, EVP_PKEY *key)
{
	struct buf jwk = BUF_INIT;
	unsigned char md[SHA256_DIGEST_LENGTH];

	acme_jwk(&jwk, key);
	SHA256((const unsigned char *)jwk.data, jwk.len, md);
	acme_b64url(out, md, sizeof(md));
	buf_free(&jwk);
}

/* ES256 signature: r and s, 32 bytes each, big-endian (RFC 7518 3.4), not DER. */
static int
acme_sign(struct buf *out, EVP_PKEY *key, const char *input, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[80], rs[64];
	const unsigned char *p = der;
	size_t der_len = sizeof(der);
	ECDSA_SIG *sig = NULL;
	int ret = -1;

	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, der, &der_len, (const unsigned char *)input, len) != 1)
		goto out;
	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (sig == NULL || BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, 32) != 32 ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + 32, 32) != 32)
		goto out;
	acme_b64url(out, rs, sizeof(rs));
	ret = 0;
out:
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	return ret;
}

int
acme_jws(struct buf *out, EVP_PKEY *key, const char *kid, const char *nonce, const char *url,
	 const char *payload)
{
	struct buf jwk = BUF_INIT, input = BUF_INIT;
	json_t *hdr;
	char *hdr_text;
	int ret;

	acme_jwk(&jwk, key);
	hdr = json_pack("{s:s, s:s, s:s}", "alg", "ES256", "nonce", nonce, "url", url);
	if (kid != NULL)
		json_object_set_new(hdr, "kid", json_string(kid));
	else
		json_object_set_new(hdr, "jwk", json_loads(jwk.data, 0, NULL));
	hdr_text = json_dumps(hdr, JSON_COMPACT);
	json_decref(hdr);
	acme_b64url(&input, hdr_text, strlen(hdr_text));
	free(hdr_text);
	buf_appendc(&input, '.');
	size_t protected_len = input.len - 1;
	if (payload != NULL)
		acme_b64url(&input, payload, strlen(payload));
	buf_printf(out, "{\"protected\":\"%.*s\",\"payload\":\"%s\",\"signature\":\"",
		   (int)protected_len, input.data, input.data + protected_len + 1);
	ret = acme_sign(out, key, input.data, input.len);
	buf_appends(out, "\"}");
	buf_free(&jwk);
	buf_free(&input);
	return ret;
}
