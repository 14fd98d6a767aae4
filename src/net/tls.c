/* OpenSSL context setup and self-signed certificate generation (see tls.h). */
#include "net/tls.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char tls_error[512];

static const char *
tls_last_error(const char *what)
{
	unsigned long e = ERR_get_error();
	char detail[256];

	ERR_error_string_n(e, detail, sizeof(detail));
	snprintf(tls_error, sizeof(tls_error), "%s: %s", what, e ? detail : "unknown error");
	ERR_clear_error();
	return tls_error;
}

SSL_CTX *
tls_server_ctx_new(const char *cert_file, const char *key_file, const char **error_r)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		*error_r = tls_last_error("SSL_CTX_new");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* each idle connection keeps no read/write buffers: IMAP IDLE at scale */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"yubin", 5);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		char what[300];
		snprintf(what, sizeof(what), "cannot load certificate %s", cert_file);
		*error_r = tls_last_error(what);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		char what[300];
		snprintf(what, sizeof(what), "cannot load private key %s", key_file);
		*error_r = tls_last_error(what);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL_CTX *
tls_client_ctx_new(const char **error_r)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		*error_r = tls_last_error("SSL_CTX_new");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
}

static int
tls_write_pem(const char *path, int mode, EVP_PKEY *key, X509 *cert)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FILE *f;
	int ok;

	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		return -1;
	}
	ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
		 : PEM_write_X509(f, cert);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		ok = 0;
	fclose(f);
	return ok ? 0 : -1;
}

int
tls_generate_self_signed(const char *cert_file, const char *key_file, const char *common_name,
			 const char **error_r)
{
	EVP_PKEY *key = EVP_EC_gen("P-256"); /* instant, unlike RSA keygen */
	X509 *cert = X509_new();
	X509_NAME *name;
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	char san[300];
	int ret = -1;

	if (key == NULL || cert == NULL) {
		*error_r = tls_last_error("key generation");
		goto out;
	}
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), (long)time(NULL));
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
	X509_set_pubkey(cert, key);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name,
				   -1, -1, 0);
	X509_set_issuer_name(cert, name);
	X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
	snprintf(san, sizeof(san), "DNS:%s", common_name);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	if (ext != NULL) {
		X509_add_ext(cert, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (X509_sign(cert, key, EVP_sha256()) == 0) {
		*error_r = tls_last_error("certificate signing");
		goto out;
	}
	if (tls_write_pem(key_file, 0600, key, NULL) < 0 ||
	    tls_write_pem(cert_file, 0644, NULL, cert) < 0) {
		snprintf(tls_error, sizeof(tls_error), "cannot write %s / %s", key_file, cert_file);
		*error_r = tls_error;
		goto out;
	}
	ret = 0;
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	return ret;
}

int
tls_server_ctx_swap_cert(SSL_CTX *ctx, const char *cert_file, const char *key_file,
			 const char **error_r)
{
	SSL_CTX *check = tls_server_ctx_new(cert_file, key_file, error_r);

	if (check == NULL)
		return -1;
	SSL_CTX_free(check);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		*error_r = tls_last_error("swapping the certificate");
		return -1;
	}
	return 0;
}

static const unsigned char acme_tls_1[] = "\x0a"
					  "acme-tls/1";

/* Whether the ALPN list (RFC 7301 3.1: a 2-byte length, then 1-byte-length names) of a
 * ClientHello offers acme-tls/1. */
static bool
tls_offers_acme(const unsigned char *p, size_t len)
{
	if (len < 2 || (size_t)((p[0] << 8) | p[1]) != len - 2)
		return false;
	for (size_t i = 2; i < len; i += 1 + p[i])
		if (i + 1 + p[i] <= len && p[i] == 10 && memcmp(p + i + 1, "acme-tls/1", 10) == 0)
			return true;
	return false;
}

/* The host_name of a server_name extension (RFC 6066 3), copied into out, or false. */
static bool
tls_sni(const unsigned char *p, size_t len, char *out, size_t out_size)
{
	if (len < 5 || p[2] != 0)
		return false;
	size_t n = (size_t)((p[3] << 8) | p[4]);
	if (n + 5 > len || n >= out_size)
		return false;
	memcpy(out, p + 5, n);
	out[n] = '\0';
	return true;
}

/* Runs before certificate selection and before ALPN in every TLS version, so the challenge
 * certificate is in place whichever of them comes first. */
static int
tls_client_hello_cb(SSL *ssl, int *alert, void *arg)
{
	tls_acme_cert_fn *fn = (tls_acme_cert_fn *)arg;
	const unsigned char *alpn, *sni;
	size_t alpn_len, sni_len;
	char name[256];

	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation,
				      &alpn, &alpn_len) != 1 ||
	    !tls_offers_acme(alpn, alpn_len))
		return SSL_CLIENT_HELLO_SUCCESS;
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &sni, &sni_len) != 1 ||
	    !tls_sni(sni, sni_len, name, sizeof(name)) || fn(ssl, name) < 0) {
		*alert = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_CLIENT_HELLO_ERROR;
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}

static int
tls_alpn_select_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		   const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned char *sel;

	if (SSL_select_next_proto(&sel, outlen, acme_tls_1, sizeof(acme_tls_1) - 1, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

void
tls_server_ctx_acme_alpn(SSL_CTX *ctx, tls_acme_cert_fn *fn)
{
	SSL_CTX_set_client_hello_cb(ctx, tls_client_hello_cb, (void *)fn);
	SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select_cb, NULL);
}
