/* Unit tests of the DKIM signing keyring without DNS (src/mailauth/dkim_keyring.c,
 * dkim_keyring_sign.c): loading DOMAIN/SELECTOR.pem trees (bad files skipped, reload), the
 * choice before any DNS answer (the oldest key per algorithm), the From: domain rule, the
 * domain of the server's own mail, and signatures that the verifier passes. The choice after
 * DNS answers (rotation) is tested end to end in tests/integration/test_dkim_sign.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "mail/rfc5322.h"
#include "mailauth/dkim_keyring.h"
#include "mailauth/dkim_verify.h"
#include "util/buf.h"
#include "util/xmalloc.h"

static char root[] = "/tmp/test-dkim-keyring-XXXXXX";

/* Writes DOMAIN/SEL.pem under root with mtime `age` seconds in the past. */
static void
write_key(const char *domain, const char *sel, int type, int age)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(type, NULL);
	EVP_PKEY *pkey = NULL;
	char *dir = xasprintf("%s/%s", root, domain);
	char *path = xasprintf("%s/%s.pem", dir, sel);
	struct timeval tv[2];
	FILE *f;

	mkdir(dir, 0700);
	EVP_PKEY_keygen_init(ctx);
	if (type == EVP_PKEY_RSA)
		EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 1024);
	EVP_PKEY_keygen(ctx, &pkey);
	EVP_PKEY_CTX_free(ctx);
	f = fopen(path, "w");
	assert_non_null(f);
	PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	EVP_PKEY_free(pkey);
	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= age;
	tv[1] = tv[0];
	utimes(path, tv);
	free(path);
	free(dir);
}

static void
write_file(const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", root, rel);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(root) == NULL)
		return -1;
	write_key("a.test", "old-ed", EVP_PKEY_ED25519, 200);
	write_key("a.test", "new-ed", EVP_PKEY_ED25519, 100);
	write_key("a.test", "old-rsa", EVP_PKEY_RSA, 200);
	write_key("A.test", "x-ed", EVP_PKEY_ED25519, 0); /* a second spelling: one is kept */
	write_key("only-ed.test", "k", EVP_PKEY_ED25519, 0);
	write_file("a.test/notes.txt", "not a key\n");
	write_file("a.test/broken.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n");
	return 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf %s", root);

	(void)state;
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

static void
test_load_and_choose_before_dns(void **state)
{
	struct dkim_keyring *kr = dkim_keyring_new(NULL, 0);
	const struct dkim_sign_key *keys;
	size_t n;

	(void)state;
	/* a.test/ and A.test/ are one domain: old-ed, new-ed, old-rsa, x-ed; and k */
	assert_int_equal(dkim_keyring_load(kr, root), 5);
	keys = dkim_keyring_keys(kr, "A.TEST", &n);
	/* no DNS answer yet: the oldest key of each algorithm, ed25519 first */
	assert_int_equal(n, 2);
	assert_int_equal(keys[0].alg, DKIM_ALG_ED25519_SHA256);
	assert_string_equal(keys[0].selector, "old-ed");
	assert_string_equal(keys[0].domain, "a.test");
	assert_int_equal(keys[1].alg, DKIM_ALG_RSA_SHA256);
	assert_string_equal(keys[1].selector, "old-rsa");
	keys = dkim_keyring_keys(kr, "only-ed.test", &n);
	assert_int_equal(n, 1);
	assert_int_equal(keys[0].alg, DKIM_ALG_ED25519_SHA256);
	assert_null(dkim_keyring_keys(kr, "other.test", &n));
	assert_int_equal(n, 0);
	/* reload: the same again; a missing directory: no keys */
	assert_int_equal(dkim_keyring_load(kr, root), 5);
	assert_int_equal(dkim_keyring_load(kr, "/nonexistent/dkim"), 0);
	assert_null(dkim_keyring_keys(kr, "a.test", &n));
	dkim_keyring_free(&kr);
	assert_null(kr);
	dkim_keyring_free(&kr);
}

static void
test_from_domain(void **state)
{
	static const struct {
		const char *msg, *domain;
	} cases[] = {
		{"From: a@Example.COM\r\n\r\n", "example.com"},
		{"To: x@y\r\nfrom: \"A, B\" <a@ex.test>, c@other.test\r\n\r\nFrom: b@z\r\n",
		 "ex.test"},
		{"From: group: a@g.test;\r\n\r\n", "g.test"},
		{"From: a@one.test\r\nFrom: b@two.test\r\n\r\n", NULL}, /* two From fields */
		{"To: a@b.test\r\n\r\n", NULL},
		{"From: undisclosed\r\n\r\n", NULL},
		{"From: a@\r\n\r\n", NULL},
	};
	char out[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = dkim_from_domain(cases[i].msg, strlen(cases[i].msg), out, sizeof(out));
		if (cases[i].domain == NULL) {
			assert_false(ok);
		} else {
			assert_true(ok);
			assert_string_equal(out, cases[i].domain);
		}
	}
}

static void
test_own_domain(void **state)
{
	struct dkim_keyring *kr = dkim_keyring_new(NULL, 0);
	char *mydomains[] = {"nokeys.test", "only-ed.test", NULL};
	char *none[] = {"nokeys.test", NULL};

	(void)state;
	dkim_keyring_load(kr, root);
	/* myhostname's parent with keys (DMARC relaxed alignment), never a bare TLD */
	assert_string_equal(dkim_keyring_own_domain(kr, "mx.a.test", mydomains), "a.test");
	assert_string_equal(dkim_keyring_own_domain(kr, "only-ed.test", mydomains), "only-ed.test");
	assert_string_equal(dkim_keyring_own_domain(kr, "mx.other.test", mydomains),
			    "only-ed.test");
	assert_null(dkim_keyring_own_domain(kr, "mx.other.test", none));
	assert_null(dkim_keyring_own_domain(kr, "localhost", NULL));
	dkim_keyring_free(&kr);
}

static void
test_sign_ours_verifies(void **state)
{
	struct dkim_keyring *kr = dkim_keyring_new(NULL, 0);
	char *mydomains[] = {"only-ed.test", NULL};
	char *other[] = {"b.test", NULL};
	const char *error = NULL;
	struct buf out = BUF_INIT, signed_msg = BUF_INIT, rec = BUF_INIT;
	const char *msg = "From: u@only-ed.test\r\nSubject: s\r\n\r\nhello\r\n";
	char domain[256];
	size_t n, hsize;
	const struct dkim_sign_key *keys;
	const struct dkim_result *r;
	struct dkim_verify_policy pol;
	struct dkim_verify *v;
	const char *txt[1];
	size_t txt_len[1];

	(void)state;
	dkim_keyring_load(kr, root);
	assert_int_equal(dkim_keyring_sign_ours(kr, other, msg, strlen(msg), time(NULL), &out,
						domain, &error),
			 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(dkim_keyring_sign_ours(kr, mydomains, msg, strlen(msg), time(NULL), &out,
						domain, &error),
			 1);
	assert_string_equal(domain, "only-ed.test");
	assert_non_null(strstr(buf_cstr(&out), "a=ed25519-sha256"));
	/* the verifier passes it with the key's own record */
	buf_append(&signed_msg, out.data, out.len);
	buf_appends(&signed_msg, msg);
	keys = dkim_keyring_keys(kr, "only-ed.test", &n);
	dkim_sign_key_record(&keys[0], &rec);
	dkim_verify_policy_default(&pol);
	v = dkim_verify_new(&pol, time(NULL));
	hsize = rfc5322_header_size(signed_msg.data, signed_msg.len);
	dkim_verify_header(v, signed_msg.data, hsize);
	assert_int_equal(dkim_verify_key_count(v), 1);
	assert_string_equal(dkim_verify_key_name(v, 0), "k._domainkey.only-ed.test");
	txt[0] = rec.data;
	txt_len[0] = rec.len;
	dkim_verify_key_answer(v, 0, DKIM_DNS_OK, txt, txt_len, 1);
	dkim_verify_body(v, signed_msg.data + hsize, signed_msg.len - hsize);
	dkim_verify_finish(v);
	r = dkim_verify_results(v, &n);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].status, DKIM_STATUS_PASS);
	dkim_verify_free(&v);
	/* a message without From: is refused by the signer */
	buf_reset(&out);
	assert_int_equal(dkim_keyring_sign(kr, "only-ed.test", "To: a@b\r\n\r\nx\r\n", 14,
					   time(NULL), &out, &error),
			 -1);
	assert_non_null(error);
	buf_free(&out);
	buf_free(&signed_msg);
	buf_free(&rec);
	dkim_keyring_free(&kr);
}

/* A copy of the keys outlives a reload that drops them (work on a worker thread). */
static void
test_keys_copy_outlives_reload(void **state)
{
	struct dkim_keyring *kr = dkim_keyring_new(NULL, 0);
	struct dkim_sign_key copy[2];
	const char *msg = "From: u@a.test\r\nSubject: s\r\n\r\nhello\r\n", *error = NULL;
	struct buf out = BUF_INIT;
	size_t n;

	(void)state;
	dkim_keyring_load(kr, root);
	n = dkim_keyring_keys_copy(kr, "a.test", copy);
	assert_int_equal(n, 2);
	dkim_keyring_load(kr, "/nonexistent/dkim");
	assert_int_equal(dkim_sign_message(copy, n, msg, strlen(msg), time(NULL), &out, &error), 0);
	assert_non_null(strstr(buf_cstr(&out), "s=old-ed"));
	assert_non_null(strstr(buf_cstr(&out), "s=old-rsa"));
	for (size_t i = 0; i < n; i++)
		dkim_sign_key_clear(&copy[i]);
	buf_free(&out);
	dkim_keyring_free(&kr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_and_choose_before_dns),
		cmocka_unit_test(test_from_domain),
		cmocka_unit_test(test_own_domain),
		cmocka_unit_test(test_sign_ours_verifies),
		cmocka_unit_test(test_keys_copy_outlives_reload),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
