/* Unit tests of the DKIM-Signature (RFC 6376 3.5) and key record (3.6.1, RFC 8463 4.2)
 * parsers: required tags, i= within d=, From in h=, revoked keys, flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailauth/dkim_key.h"
#include "mailauth/dkim_sig.h"

#define BH "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; "
#define B "b=AuUoFEfDxTDk; "

static int
sig(const char *s, const char **error_r)
{
	struct dkim_sig sg;
	int ret = dkim_sig_parse(&sg, s, strlen(s), error_r);

	dkim_sig_clear(&sg);
	return ret;
}

static void
test_sig_good(void **state)
{
	struct dkim_sig s;
	const char *error = NULL;
	const char *v = "v=1; a=rsa-sha256; d=Example.NET; s=brisbane; c=relaxed;\r\n q=dns/txt;"
			" i=joe@eng.example.net; l=12; t=1117574938; x=1118006938;\r\n"
			" h=From : to:Subject:from; " BH B "z=From:foo@eng.example.net";

	(void)state;
	assert_int_equal(dkim_sig_parse(&s, v, strlen(v), &error), 0);
	assert_string_equal(s.domain, "example.net");
	assert_string_equal(s.selector, "brisbane");
	assert_string_equal(s.identity, "joe@eng.example.net");
	assert_int_equal(s.alg, DKIM_ALG_RSA_SHA256);
	assert_int_equal(s.hcanon, DKIM_CANON_RELAXED);
	assert_int_equal(s.bcanon, DKIM_CANON_SIMPLE); /* "relaxed" alone: relaxed/simple */
	assert_int_equal(s.n_headers, 4);
	assert_string_equal(s.headers[0], "from");
	assert_string_equal(s.headers[3], "from");
	assert_true(s.has_length);
	assert_int_equal(s.length, 12);
	assert_int_equal(s.expire, 1118006938);
	assert_int_equal(s.bh.len, 32);
	dkim_sig_clear(&s);
	/* defaults: c=simple/simple, i=@d */
	v = "v=1; a=ed25519-sha256; d=example.net; s=x; h=from; " BH B;
	assert_int_equal(dkim_sig_parse(&s, v, strlen(v), &error), 0);
	assert_string_equal(s.identity, "@example.net");
	assert_int_equal(s.hcanon, DKIM_CANON_SIMPLE);
	assert_int_equal(s.alg, DKIM_ALG_ED25519_SHA256);
	dkim_sig_clear(&s);
}

static void
test_sig_bad(void **state)
{
	const char *error = NULL;

	(void)state;
	/* each required tag missing in turn */
	assert_int_equal(sig("a=rsa-sha256; d=e.net; s=x; h=from; " BH B, &error), -1);
	assert_int_equal(sig("v=1; d=e.net; s=x; h=from; " BH B, &error), -1);
	assert_int_equal(sig("v=1; a=rsa-sha256; s=x; h=from; " BH B, &error), -1);
	assert_int_equal(sig("v=1; a=rsa-sha256; d=e.net; h=from; " BH B, &error), -1);
	assert_int_equal(sig("v=1; a=rsa-sha256; d=e.net; s=x; " BH B, &error), -1);
	assert_int_equal(sig("v=1; a=rsa-sha256; d=e.net; s=x; h=from; " B, &error), -1);
	assert_int_equal(sig("v=1; a=rsa-sha256; d=e.net; s=x; h=from; " BH, &error), -1);
	assert_string_equal(error, "signature missing required tag");
	assert_int_equal(sig("v=2; a=rsa-sha256; d=e.net; s=x; h=from; " BH B, &error), -1);
	assert_int_equal(sig("v=1; a=rsa-md5; d=e.net; s=x; h=from; " BH B, &error), -1);
	assert_string_equal(error, "unsupported algorithm");
	assert_int_equal(sig("v=1; a=rsa-sha256; d=e.net; s=x; h=to:subject; " BH B, &error), -1);
	assert_string_equal(error, "From field not signed");
	assert_int_equal(
		sig("v=1; a=rsa-sha256; d=e.net; s=x; h=from; i=a@other.net; " BH B, &error), -1);
	assert_string_equal(error, "i= domain is not within d=");
	/* a name that merely ends like d= is not a subdomain */
	assert_int_equal(sig("v=1; a=rsa-sha256; d=e.net; s=x; h=from; i=@blae.net; " BH B, &error),
			 -1);
	assert_int_equal(
		sig("v=1; a=rsa-sha256; d=e.net; s=x; h=from; i=@sub.E.net; " BH B, &error), 0);
	assert_int_equal(sig("v=1; a=rsa-sha256; d=e.net; s=x; h=from; c=fancy; " BH B, &error),
			 -1);
	assert_int_equal(sig("v=1; a=rsa-sha256; d=e.net; s=x; h=from; q=http; " BH B, &error), -1);
	assert_int_equal(sig("v=1; a=rsa-sha256; d=e.net; s=x; h=from; l=-1; " BH B, &error), -1);
	assert_int_equal(sig("v=1; a=rsa-sha256; d=e.net; s=x; h=from; t=20; x=10; " BH B, &error),
			 -1);
	assert_int_equal(
		sig("v=1; a=rsa-sha256; d=e.net; s=x; h=from; t=1234567890123; " BH B, &error), -1);
	assert_int_equal(sig("v=1; a=rsa-sha256; d=e..net; s=x; h=from; " BH B, &error), -1);
	assert_int_equal(sig("v=1; a=rsa-sha256; d=e.net; s=x; h=from; b=!!; " BH, &error), -1);
}

#define ED_P "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define RSA_P                                                                                      \
	"p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bd"       \
	"OKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4h"         \
	"stT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"

static int
key(struct dkim_key *k, const char *s, const char **error_r)
{
	return dkim_key_parse(k, s, strlen(s), error_r);
}

static void
test_key(void **state)
{
	struct dkim_key k;
	const char *error = NULL;

	(void)state;
	assert_int_equal(key(&k, "v=DKIM1; k=ed25519; " ED_P, &error), 0);
	assert_int_equal(k.type, DKIM_KEY_ED25519);
	assert_non_null(k.pkey);
	dkim_key_clear(&k);
	assert_int_equal(key(&k, RSA_P "; t=y:s; s=email; h=sha256; n=a note", &error), 0);
	assert_int_equal(k.type, DKIM_KEY_RSA);
	assert_int_equal(k.bits, 1024);
	assert_true(k.testing);
	assert_true(k.strict);
	assert_true(k.allow_sha256);
	assert_false(k.allow_sha1);
	dkim_key_clear(&k);
	/* p= folded with FWS inside (a TXT record's strings joined with spaces) */
	assert_int_equal(
		key(&k, "k=ed25519; p=11qYAYKxCrfVS/7TyWQ HOg7hcvPapiMlrwIaaPcHURo=", &error), 0);
	dkim_key_clear(&k);
	/* empty p= is a revoked key: parses, marked revoked */
	assert_int_equal(key(&k, "v=DKIM1; p=", &error), 0);
	assert_true(k.revoked);
	assert_null(k.pkey);
	dkim_key_clear(&k);
}

static void
test_key_bad(void **state)
{
	struct dkim_key k;
	const char *error = NULL;

	(void)state;
	assert_int_equal(key(&k, "k=rsa; v=DKIM1; " RSA_P, &error), -1); /* v= not first */
	dkim_key_clear(&k);
	assert_int_equal(key(&k, "v=DKIM2; " RSA_P, &error), -1);
	dkim_key_clear(&k);
	assert_int_equal(key(&k, "v=DKIM1; k=dsa; " RSA_P, &error), -1);
	dkim_key_clear(&k);
	assert_int_equal(key(&k, "v=DKIM1; s=other; " RSA_P, &error), -1);
	assert_string_equal(error, "key not for email (s=)");
	dkim_key_clear(&k);
	assert_int_equal(key(&k, "v=DKIM1; k=rsa", &error), -1); /* no p= */
	dkim_key_clear(&k);
	/* k=ed25519 with an RSA key, and the reverse */
	assert_int_equal(key(&k, "k=ed25519; " RSA_P, &error), -1);
	dkim_key_clear(&k);
	assert_int_equal(key(&k, "k=rsa; " ED_P, &error), -1);
	dkim_key_clear(&k);
	assert_int_equal(key(&k, "p=bm90IGEga2V5", &error), -1); /* "not a key" */
	dkim_key_clear(&k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sig_good),
		cmocka_unit_test(test_sig_bad),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_key_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
