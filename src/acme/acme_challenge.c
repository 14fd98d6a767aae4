/* Pending challenge responses: see acme_challenge.h. A handful at a time (one per name of
 * an order), so a list is enough. */
#include "acme/acme_challenge.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "acme/acme_jws.h"
#include "util/xmalloc.h"

struct challenge {
	struct challenge *next;
	char *token;    /* http-01, or NULL */
	char *key_auth; /* http-01 */
	char *domain;   /* tls-alpn-01, or NULL */
	X509 *cert;
	EVP_PKEY *key;
};

static struct challenge *challenges;

void
acme_challenge_http_add(const char *token, const char *key_auth)
{
	struct challenge *c = xcalloc(1, sizeof(*c));

	c->token = xstrdup(token);
	c->key_auth = xstrdup(key_auth);
	c->next = challenges;
	challenges = c;
}

const char *
acme_challenge_http_get(const char *token)
{
	for (struct challenge *c = challenges; c != NULL; c = c->next)
		if (c->token != NULL && strcmp(c->token, token) == 0)
			return c->key_auth;
	return NULL;
}

/* RFC 8737 3: subjectAltName with the one dNSName, and id-pe-acmeIdentifier
 * (1.3.6.1.5.5.7.1.31), critical, whose value is the DER OCTET STRING of the SHA-256
 * digest of the key authorization. */
static X509 *
alpn_cert(EVP_PKEY *key, const char *domain, const char *key_auth)
{
	unsigned char der[2 + SHA256_DIGEST_LENGTH] = {0x04, SHA256_DIGEST_LENGTH};
	X509 *x = X509_new();
	X509_EXTENSION *ext = NULL;
	ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
	ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();
	char san[300];
	X509V3_CTX v3;
	bool ok = false;

	SHA256((const unsigned char *)key_auth, strlen(key_auth), der + 2);
	snprintf(san, sizeof(san), "DNS:%s", domain);
	if (x == NULL || oid == NULL || val == NULL)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 7 * 86400);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)domain, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	X509_EXTENSION *san_ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	if (san_ext == NULL)
		goto out;
	X509_add_ext(x, san_ext, -1);
	X509_EXTENSION_free(san_ext);
	if (ASN1_OCTET_STRING_set(val, der, sizeof(der)) != 1)
		goto out;
	ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 1, val);
	if (ext == NULL || X509_add_ext(x, ext, -1) != 1 || X509_sign(x, key, EVP_sha256()) == 0)
		goto out;
	ok = true;
out:
	X509_EXTENSION_free(ext);
	ASN1_OBJECT_free(oid);
	ASN1_OCTET_STRING_free(val);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int
acme_challenge_alpn_add(const char *domain, const char *key_auth)
{
	/* a P-256 key takes well under a millisecond: fine on the loop */
	EVP_PKEY *key = acme_key_new();
	X509 *cert = key != NULL ? alpn_cert(key, domain, key_auth) : NULL;

	if (cert == NULL) {
		EVP_PKEY_free(key);
		return -1;
	}
	struct challenge *c = xcalloc(1, sizeof(*c));
	c->domain = xstrdup(domain);
	c->cert = cert;
	c->key = key;
	c->next = challenges;
	challenges = c;
	return 0;
}

int
acme_challenge_alpn_use(SSL *ssl, const char *server_name)
{
	if (server_name == NULL)
		return -1;
	for (struct challenge *c = challenges; c != NULL; c = c->next)
		if (c->domain != NULL && strcasecmp(c->domain, server_name) == 0)
			return SSL_use_certificate(ssl, c->cert) == 1 &&
					       SSL_use_PrivateKey(ssl, c->key) == 1
				       ? 0
				       : -1;
	return -1;
}

void
acme_challenge_clear(void)
{
	while (challenges != NULL) {
		struct challenge *c = challenges;
		challenges = c->next;
		free(c->token);
		free(c->key_auth);
		free(c->domain);
		X509_free(c->cert);
		EVP_PKEY_free(c->key);
		free(c);
	}
}
