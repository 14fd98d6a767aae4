/* src/acme/acme_jws.c: base64url (RFC 4648 5), the JWK and its thumbprint (RFC 7638) of a
 * fixed P-256 key, and a JWS whose header and ES256 signature (r||s, RFC 7518 3.4)
 * are checked with OpenSSL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme_jws.h"
#include "util/base64.h"
#include "util/buf.h"

/* A fixed test key (made with `openssl genpkey -algorithm EC -pkeyopt
 * ec_paramgen_curve:P-256`), its coordinates as base64url, and its RFC 7638 thumbprint,
 * both computed apart from yubin with Python's json, hashlib and base64 over the public key
 * that `openssl pkey -pubout` printed. */
static const char test_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgXkzyFXGl9RX4bnHt\n"
	"0Z+uKsCZu8MhnUoDsZcuAv0YksahRANCAAR/4RViWobeSPSl8dZ7Uhdvvn2Ho+8o\n"
	"bzBoKkovZO+FOhxVckWonFE86MCpqxM18fCStN78w/ZgcF9eeN35trIN\n"
	"-----END PRIVATE KEY-----\n";
#define KEY_X "f-EVYlqG3kj0pfHWe1IXb759h6PvKG8waCpKL2TvhTo"
#define KEY_Y "HFVyRaicUTzowKmrEzXx8JK03vzD9mBwX1543fm2sg0"
#define KEY_THUMBPRINT "TousfaIRbseGIZ1ve503R72KBzvX10MwLoTq-8TF1mA"

static void
b64url_decode(struct buf *out, const char *s)
{
	struct buf std = BUF_INIT;

	for (const char *p = s; *p != '\0'; p++)
		buf_appendc(&std, *p == '-' ? '+' : *p == '_' ? '/' : *p);
	while (std.len % 4 != 0)
		buf_appendc(&std, '=');
	assert_int_equal(base64_decode(out, std.data, std.len), 0);
	buf_free(&std);
}

static EVP_PKEY *
test_key(void)
{
	BIO *bio = BIO_new_mem_buf(test_key_pem, -1);
	EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

	assert_non_null(key);
	BIO_free(bio);
	return key;
}

static void
test_b64url(void **state)
{
	struct buf b = BUF_INIT;

	acme_b64url(&b, "", 0);
	assert_string_equal(buf_cstr(&b), "");
	acme_b64url(&b, "\xfb\xff", 2); /* '+' and '/' become '-' and '_', no padding */
	assert_string_equal(buf_cstr(&b), "-_8");
	buf_reset(&b);
	acme_b64url(&b, "{\"a\":1}", 7);
	assert_string_equal(buf_cstr(&b), "eyJhIjoxfQ");
	buf_free(&b);
}

static void
test_jwk_thumbprint(void **state)
{
	EVP_PKEY *key = test_key();
	struct buf b = BUF_INIT;

	acme_jwk(&b, key);
	assert_string_equal(b.data, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" KEY_X
				    "\",\"y\":\"" KEY_Y "\"}");
	buf_reset(&b);
	/* SHA-256 of that JSON (members sorted, no whitespace: RFC 7638 3.3) */
	acme_thumbprint(&b, key);
	assert_string_equal(b.data, KEY_THUMBPRINT);
	buf_free(&b);
	EVP_PKEY_free(key);
}

/* Checks the JWS: its protected header, payload, and the signature over both. */
static json_t *
check_jws(EVP_PKEY *key, const char *jws_text, const char *payload)
{
	json_t *jws = json_loads(jws_text, 0, NULL);
	const char *prot = json_string_value(json_object_get(jws, "protected"));
	const char *pl = json_string_value(json_object_get(jws, "payload"));
	const char *sig = json_string_value(json_object_get(jws, "signature"));
	struct buf hdr = BUF_INIT, body = BUF_INIT, rs = BUF_INIT, input = BUF_INIT;

	assert_non_null(prot);
	assert_non_null(pl);
	assert_non_null(sig);
	b64url_decode(&hdr, prot);
	b64url_decode(&body, pl);
	assert_string_equal(buf_cstr(&body), payload);
	b64url_decode(&rs, sig);
	assert_int_equal(rs.len, 64);
	buf_printf(&input, "%s.%s", prot, pl);
	ECDSA_SIG *es = ECDSA_SIG_new();
	ECDSA_SIG_set0(es, BN_bin2bn((const unsigned char *)rs.data, 32, NULL),
		       BN_bin2bn((const unsigned char *)rs.data + 32, 32, NULL));
	unsigned char *der = NULL;
	int der_len = i2d_ECDSA_SIG(es, &der);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestVerify(md, der, (size_t)der_len,
					  (const unsigned char *)input.data, input.len),
			 1);
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	json_t *h = json_loads(hdr.data, 0, NULL);
	assert_non_null(h);
	assert_string_equal(json_string_value(json_object_get(h, "alg")), "ES256");
	buf_free(&hdr);
	buf_free(&body);
	buf_free(&rs);
	buf_free(&input);
	json_decref(jws);
	return h;
}

static void
test_jws_new_account(void **state)
{
	EVP_PKEY *key = acme_key_new();
	struct buf out = BUF_INIT, jwk_text = BUF_INIT;

	/* RFC 8555 6.2: newAccount carries the JWK, no kid */
	assert_int_equal(acme_jws(&out, key, NULL, "nonce1", "https://ca/new-acct",
				  "{\"termsOfServiceAgreed\":true}"),
			 0);
	json_t *h = check_jws(key, out.data, "{\"termsOfServiceAgreed\":true}");
	assert_string_equal(json_string_value(json_object_get(h, "nonce")), "nonce1");
	assert_string_equal(json_string_value(json_object_get(h, "url")), "https://ca/new-acct");
	assert_null(json_object_get(h, "kid"));
	json_t *jwk = json_object_get(h, "jwk");
	char *got = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS);
	acme_jwk(&jwk_text, key);
	assert_string_equal(got, jwk_text.data);
	free(got);
	json_decref(h);
	buf_free(&jwk_text);
	buf_free(&out);
	EVP_PKEY_free(key);
}

static void
test_jws_post_as_get(void **state)
{
	EVP_PKEY *key = acme_key_new();
	struct buf out = BUF_INIT;

	assert_non_null(key);
	/* RFC 8555 6.3: POST-as-GET has the empty payload; later requests name the kid */
	assert_int_equal(acme_jws(&out, key, "https://ca/acct/1", "n2", "https://ca/order/1", NULL),
			 0);
	json_t *h = check_jws(key, out.data, "");
	assert_string_equal(json_string_value(json_object_get(h, "kid")), "https://ca/acct/1");
	assert_null(json_object_get(h, "jwk"));
	json_decref(h);
	buf_free(&out);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url),
		cmocka_unit_test(test_jwk_thumbprint),
		cmocka_unit_test(test_jws_new_account),
		cmocka_unit_test(test_jws_post_as_get),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
