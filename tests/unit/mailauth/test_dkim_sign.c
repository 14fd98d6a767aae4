/* Unit tests of the DKIM signer (src/mailauth/dkim_sign.c): PEM key loading, the
 * signature field (relaxed/relaxed, the RFC 6376 5.4.1 header list with From/To/Subject/
 * Date oversigned, folded at 78 columns), and that the verifier passes what it signs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "mail/rfc5322.h"
#include "mailauth/dkim_sign.h"
#include "mailauth/dkim_verify.h"
#include "util/xmalloc.h"

static char dir[] = "/tmp/test-dkim-sign-XXXXXX";
static char *ed_path, *rsa_path, *rsa512_path, *junk_path;

static char *
write_key(const char *name, int type, int bits)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(type, NULL);
	EVP_PKEY *pkey = NULL;
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f;

	EVP_PKEY_keygen_init(ctx);
	if (bits > 0)
		EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits);
	EVP_PKEY_keygen(ctx, &pkey);
	EVP_PKEY_CTX_free(ctx);
	f = fopen(path, "w");
	PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	EVP_PKEY_free(pkey);
	return path;
}

static int
setup(void **state)
{
	FILE *f;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	ed_path = write_key("ed.pem", EVP_PKEY_ED25519, 0);
	rsa_path = write_key("rsa.pem", EVP_PKEY_RSA, 2048);
	rsa512_path = write_key("rsa512.pem", EVP_PKEY_RSA, 512);
	junk_path = xasprintf("%s/junk.pem", dir);
	f = fopen(junk_path, "w");
	fputs("not a key\n", f);
	fclose(f);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(ed_path);
	unlink(rsa_path);
	unlink(rsa512_path);
	unlink(junk_path);
	rmdir(dir);
	free(ed_path);
	free(rsa_path);
	free(rsa512_path);
	free(junk_path);
	return 0;
}

static void
test_key_load(void **state)
{
	struct dkim_sign_key k;
	const char *error;
	struct buf rec = BUF_INIT;

	(void)state;
	assert_int_equal(dkim_sign_key_load(&k, ed_path, "Example.ORG", "e1", &error), 0);
	assert_int_equal(k.alg, DKIM_ALG_ED25519_SHA256);
	assert_string_equal(k.domain, "example.org");
	dkim_sign_key_record(&k, &rec);
	/* RFC 8463 4.2: 32 raw bytes, 44 base64 characters */
	assert_int_equal(rec.len, strlen("v=DKIM1; k=ed25519; p=") + 44);
	dkim_sign_key_clear(&k);
	buf_free(&rec);
	assert_int_equal(dkim_sign_key_load(&k, rsa_path, "example.org", "r1", &error), 0);
	assert_int_equal(k.alg, DKIM_ALG_RSA_SHA256);
	dkim_sign_key_clear(&k);
	assert_int_equal(dkim_sign_key_load(&k, rsa512_path, "example.org", "r", &error), -1);
	assert_string_equal(error, "RSA key shorter than 1024 bits");
	assert_int_equal(dkim_sign_key_load(&k, junk_path, "example.org", "r", &error), -1);
	assert_int_equal(dkim_sign_key_load(&k, "/nonexistent/key.pem", "x.org", "r", &error), -1);
}

static const char msg[] = "Received: from x by y; Wed, 2 Dec 2026 10:00:00 +0000\r\n"
			  "From: Joe <joe@example.org>\r\n"
			  "To: a@example.net,\r\n b@example.net\r\n"
			  "Cc: c@example.net\r\n"
			  "Subject: a   subject\r\n"
			  "Date: Wed, 2 Dec 2026 10:00:00 +0000\r\n"
			  "Message-ID: <1@example.org>\r\n"
			  "X-Mailer: none\r\n"
			  "\r\n"
			  "Hello  world \r\n\r\n\r\n";

/* Signs msg with both keys, feeding the body in chunks of chunk bytes. */
static char *
sign_both(const char *m, size_t chunk, struct buf *fields)
{
	struct dkim_sign_key keys[2];
	struct dkim_sign *s = dkim_sign_new(1800000000);
	const char *error;
	size_t len = strlen(m), hsize = rfc5322_header_size(m, len), i;
	char *out;

	assert_int_equal(dkim_sign_key_load(&keys[0], rsa_path, "example.org", "r1", &error), 0);
	assert_int_equal(dkim_sign_key_load(&keys[1], ed_path, "example.org", "e1", &error), 0);
	for (i = hsize; i < len; i += chunk)
		dkim_sign_body(s, m + i, len - i < chunk ? len - i : chunk);
	assert_int_equal(dkim_sign_finish(s, keys, 2, m, hsize, fields, &error), 0);
	dkim_sign_free(&s);
	out = xasprintf("%s%s", buf_cstr(fields), m);
	dkim_sign_key_clear(&keys[0]);
	dkim_sign_key_clear(&keys[1]);
	return out;
}

static size_t
verify_passes(const char *m)
{
	struct dkim_verify_policy pol;
	struct dkim_verify *v;
	struct dkim_sign_key keys[2];
	const struct dkim_result *r;
	const char *error;
	size_t len = strlen(m), hsize = rfc5322_header_size(m, len), i, n, pass = 0;

	dkim_sign_key_load(&keys[0], rsa_path, "example.org", "r1", &error);
	dkim_sign_key_load(&keys[1], ed_path, "example.org", "e1", &error);
	dkim_verify_policy_default(&pol);
	v = dkim_verify_new(&pol, 1800000000);
	dkim_verify_header(v, m, hsize);
	for (i = 0; i < dkim_verify_key_count(v); i++) {
		struct buf rec = BUF_INIT;
		const char *t;
		size_t tl;

		dkim_sign_key_record(&keys[strstr(dkim_verify_key_name(v, i), "r1.") ? 0 : 1],
				     &rec);
		t = buf_cstr(&rec);
		tl = rec.len;
		dkim_verify_key_answer(v, i, DKIM_DNS_OK, &t, &tl, 1);
		buf_free(&rec);
	}
	dkim_verify_body(v, m + hsize, len - hsize);
	dkim_verify_finish(v);
	r = dkim_verify_results(v, &n);
	for (i = 0; i < n; i++)
		pass += r[i].status == DKIM_STATUS_PASS;
	dkim_verify_free(&v);
	dkim_sign_key_clear(&keys[0]);
	dkim_sign_key_clear(&keys[1]);
	return pass;
}

static void
test_sign_field(void **state)
{
	struct buf fields = BUF_INIT;
	char *signed_msg = sign_both(msg, 5, &fields), *line, *save = NULL, *copy;

	(void)state;
	/* the h= list: present fields of the 5.4.1 list, From/To/Subject/Date once more,
	 * nothing for Received or X-Mailer */
	copy = xstrdup(buf_cstr(&fields));
	assert_non_null(strstr(buf_cstr(&fields), "a=rsa-sha256; c=relaxed/relaxed; d=example.org;"
						  " s=r1;"));
	assert_non_null(strstr(buf_cstr(&fields), "a=ed25519-sha256;"));
	assert_null(strstr(buf_cstr(&fields), "received"));
	assert_null(strstr(buf_cstr(&fields), "x-mailer"));
	/* every line within 78 columns, continuation lines start with WSP */
	for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		assert_true(strlen(line) <= 79); /* 78 + the CR */
		assert_true(line[strlen(line) - 1] == '\r');
		assert_true(strncmp(line, "DKIM-Signature: ", 16) == 0 || line[0] == ' ');
	}
	free(copy);
	{
		/* unfolded h= value */
		const char *h = strstr(buf_cstr(&fields), "h=");
		struct buf unf = BUF_INIT;

		for (; *h != ';'; h++)
			if (*h != '\r' && *h != '\n' && *h != ' ')
				buf_appendc(&unf, *h);
		assert_string_equal(buf_cstr(&unf),
				    "h=from:from:subject:subject:date:date:to:to:cc:message-id");
		buf_free(&unf);
	}
	assert_int_equal(verify_passes(signed_msg), 2);
	free(signed_msg);
	buf_free(&fields);
}

static void
test_sign_altered_fails(void **state)
{
	struct buf fields = BUF_INIT;
	char *signed_msg = sign_both(msg, 1, &fields), *alt;

	(void)state;
	/* relaxed/relaxed survives re-folding and whitespace changes... */
	alt = xstrdup(signed_msg);
	memcpy(strstr(alt, "Hello  world"), "Hello world ", 12);
	assert_int_equal(verify_passes(alt), 2);
	free(alt);
	/* ...not a changed word, nor an added Subject (oversigned) */
	alt = xstrdup(signed_msg);
	memcpy(strstr(alt, "Hello"), "Jello", 5);
	assert_int_equal(verify_passes(alt), 0);
	free(alt);
	alt = xasprintf("Subject: forged\r\n%s", signed_msg);
	assert_int_equal(verify_passes(alt), 0);
	free(alt);
	free(signed_msg);
	buf_free(&fields);
}

static void
test_sign_no_from(void **state)
{
	struct dkim_sign_key key;
	struct dkim_sign *s = dkim_sign_new(1800000000);
	struct buf out = BUF_INIT;
	const char *error, *m = "To: a@b\r\n\r\n";

	(void)state;
	assert_int_equal(dkim_sign_key_load(&key, ed_path, "example.org", "e1", &error), 0);
	assert_int_equal(dkim_sign_finish(s, &key, 1, m, strlen(m), &out, &error), -1);
	assert_string_equal(error, "no From field to sign");
	assert_int_equal(out.len, 0);
	dkim_sign_free(&s);
	dkim_sign_key_clear(&key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_load),
		cmocka_unit_test(test_sign_field),
		cmocka_unit_test(test_sign_altered_fails),
		cmocka_unit_test(test_sign_no_from),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
