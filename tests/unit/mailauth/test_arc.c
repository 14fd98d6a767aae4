/* Unit tests of ARC (RFC 8617) in src/mailauth: the instance and cv readers, the set
 * collection and structural checks (arc_chain.c, 5.2 steps 1-3), sealing (arc_seal.c, 5.1)
 * and chain validation (arc_verify.c, 5.2 steps 4-7) against each other with real keys:
 * one and two hops, 50 sets, tampering, oldest-pass, DNS outcomes, cv=fail sealing, the
 * Authentication-Results entry. */
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

#include "mail/rfc5322.h"
#include "mailauth/arc_chain.h"
#include "mailauth/arc_seal.h"
#include "mailauth/arc_verify.h"
#include "mailauth/authres.h"
#include "util/xmalloc.h"

static char dir[] = "/tmp/test-arc-XXXXXX";
static char *rsa_a_path, *rsa_b_path, *ed_path;
static struct dkim_sign_key key_a, key_b, key_ed;
static char *rec_a, *rec_b;

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

static char *
record_of(const struct dkim_sign_key *k)
{
	struct buf b = BUF_INIT;

	dkim_sign_key_record(k, &b);
	return buf_steal(&b);
}

static int
setup(void **state)
{
	const char *error;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	rsa_a_path = write_key("a.pem", EVP_PKEY_RSA, 1024);
	rsa_b_path = write_key("b.pem", EVP_PKEY_RSA, 1024);
	ed_path = write_key("ed.pem", EVP_PKEY_ED25519, 0);
	if (dkim_sign_key_load(&key_a, rsa_a_path, "a.example", "sa", &error) < 0 ||
	    dkim_sign_key_load(&key_b, rsa_b_path, "b.example", "sb", &error) < 0 ||
	    dkim_sign_key_load(&key_ed, ed_path, "a.example", "ed", &error) < 0)
		return -1;
	rec_a = record_of(&key_a);
	rec_b = record_of(&key_b);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	dkim_sign_key_clear(&key_a);
	dkim_sign_key_clear(&key_b);
	dkim_sign_key_clear(&key_ed);
	unlink(rsa_a_path);
	unlink(rsa_b_path);
	unlink(ed_path);
	rmdir(dir);
	free(rsa_a_path);
	free(rsa_b_path);
	free(ed_path);
	free(rec_a);
	free(rec_b);
	return 0;
}

/* -- the readers -- */

static unsigned
aar_i(const char *v)
{
	unsigned i = 0;

	return arc_field_instance(ARC_AAR, v, strlen(v), &i) == 0 ? i : 0;
}

static unsigned
tag_i(const char *v)
{
	unsigned i = 0;

	return arc_field_instance(ARC_AS, v, strlen(v), &i) == 0 ? i : 0;
}

static void
test_instance(void **state)
{
	enum arc_cv cv;

	(void)state;
	assert_int_equal(aar_i(" i=1; mx.example.org; spf=pass"), 1);
	assert_int_equal(aar_i("i = 12 ;x"), 12);
	assert_int_equal(aar_i("\r\n\ti=50;x"), 50);
	assert_int_equal(aar_i(" i=0; x"), 0);
	assert_int_equal(aar_i(" i=51; x"), 0);
	assert_int_equal(aar_i(" i=100; x"), 0);
	assert_int_equal(aar_i(" i=1 x; y"), 0);
	assert_int_equal(aar_i(" i=; x"), 0);
	assert_int_equal(aar_i(" x.example; i=1"), 0);
	assert_int_equal(aar_i(" i=1"), 0); /* 4.1.1: the ';' after the instance is required */
	assert_int_equal(tag_i(" i=3; a=rsa-sha256; cv=pass"), 3);
	assert_int_equal(tag_i(" a=rsa-sha256; i = 7 ;"), 7);
	assert_int_equal(tag_i(" a=rsa-sha256"), 0);
	assert_int_equal(tag_i(" i=1; i=2"), 0); /* duplicate tag: no tag list */
	assert_int_equal(tag_i(" i=x"), 0);
	assert_int_equal(arc_parse_cv(" i=1; cv=none", 13, &cv), 0);
	assert_int_equal(cv, ARC_CV_NONE);
	assert_int_equal(arc_parse_cv(" cv=Pass", 8, &cv), 0);
	assert_int_equal(cv, ARC_CV_PASS);
	assert_int_equal(arc_parse_cv(" cv=fail", 8, &cv), 0);
	assert_int_equal(cv, ARC_CV_FAIL);
	assert_int_equal(arc_parse_cv(" cv=maybe", 9, &cv), -1);
	assert_int_equal(arc_parse_cv(" i=1", 4, &cv), -1);
}

/* -- structure (5.2 steps 1-3), on fields whose signatures are not checked -- */

#define AMS(i, extra)                                                                              \
	"ARC-Message-Signature: i=" #i "; a=rsa-sha256; c=relaxed/relaxed; d=a.example; "          \
	"s=sa; h=from:subject" extra "; bh=AAAA; b=AAAA\r\n"
#define AS(i, cv, extra)                                                                           \
	"ARC-Seal: i=" #i "; a=rsa-sha256; cv=" cv "; d=a.example; s=sa" extra "; b=AAAA\r\n"
#define AAR(i) "ARC-Authentication-Results: i=" #i "; mx.a.example; spf=pass\r\n"
#define SET(i, cv) AS(i, cv, "") AMS(i, "") AAR(i)
#define BASE "From: a@a.example\r\nSubject: hi\r\n\r\n"

static enum arc_cv
structure(const char *hdr, const char **reason_r, unsigned *n_r)
{
	struct arc_chain *c = xcalloc(1, sizeof(*c));
	struct dkim_fields fs;
	enum arc_cv st;

	dkim_fields_parse(&fs, hdr, strlen(hdr));
	arc_chain_parse(c, &fs);
	st = c->status;
	*reason_r = c->reason;
	*n_r = c->n;
	arc_chain_clear(c);
	free(c);
	dkim_fields_free(&fs);
	return st;
}

static void
expect_fail(const char *hdr, const char *reason_part)
{
	const char *reason;
	unsigned n;

	assert_int_equal(structure(hdr, &reason, &n), ARC_CV_FAIL);
	assert_non_null(reason);
	if (strstr(reason, reason_part) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", reason, reason_part);
}

static void
test_structure(void **state)
{
	const char *reason;
	unsigned n;

	(void)state;
	assert_int_equal(structure(BASE, &reason, &n), ARC_CV_NONE);
	assert_int_equal(n, 0);
	assert_int_equal(structure(SET(1, "none") BASE, &reason, &n), ARC_CV_PASS);
	assert_int_equal(n, 1);
	/* sets in any order in the header */
	assert_int_equal(
		structure(AAR(1) SET(2, "pass") AS(1, "none", "") AMS(1, "") BASE, &reason, &n),
		ARC_CV_PASS);
	assert_int_equal(n, 2);
	expect_fail(SET(1, "pass") BASE, "i=1 without cv=none");
	expect_fail(SET(2, "none") SET(1, "none") BASE, "i>1 without cv=pass");
	expect_fail(SET(3, "pass") SET(1, "none") BASE, "missing or incomplete"); /* gap */
	expect_fail(SET(2, "pass") BASE, "missing or incomplete");
	expect_fail(AS(1, "none", "") AMS(1, "") BASE, "missing or incomplete"); /* no AAR */
	expect_fail(SET(1, "none") AMS(1, "") BASE, "duplicate");
	expect_fail(SET(1, "none") AAR(1) BASE, "duplicate");
	expect_fail(AS(51, "pass", "") SET(1, "none") BASE, "valid instance");
	expect_fail(SET(1, "none") "ARC-Seal: a=rsa-sha256; cv=none\r\n" BASE, "valid instance");
	expect_fail(SET(1, "none") "ARC-Authentication-Results: mx; i=2\r\n" BASE,
		    "valid instance");
	expect_fail(AS(2, "fail", "") SET(1, "none") BASE, "cv=fail");
	/* the latest cv=fail decides before the structure: even with set 2 incomplete */
	expect_fail(AS(3, "fail", "") SET(1, "none") BASE, "cv=fail");
	expect_fail(AS(1, "bogus", "") AMS(1, "") AAR(1) BASE, "valid cv=");
	/* name case does not matter */
	assert_int_equal(
		structure("arc-seal: i=1; a=rsa-sha256; cv=none; d=a.example; s=sa; "
			  "b=AAAA\r\n" AMS(1, "") "ARC-AUTHENTICATION-RESULTS: i=1; x\r\n" BASE,
			  &reason, &n),
		ARC_CV_PASS);
}

static void
test_set_parse_errors(void **state)
{
	const char *hdr1 = AS(1, "none", "; h=from") AMS(1, ":arc-seal") AAR(1) BASE;
	struct arc_chain *c = xcalloc(1, sizeof(*c));
	struct dkim_fields fs;

	(void)state;
	dkim_fields_parse(&fs, hdr1, strlen(hdr1));
	arc_chain_parse(c, &fs);
	assert_int_equal(c->status, ARC_CV_PASS); /* the structure is fine ... */
	assert_non_null(c->sets[1].as_error);     /* ... but neither signature can pass */
	assert_string_equal(c->sets[1].as_error, "h= is not allowed in ARC-Seal");
	assert_string_equal(c->sets[1].ams_error, "ARC-Message-Signature signs ARC-Seal");
	arc_chain_clear(c);
	dkim_fields_free(&fs);
	free(c);
}

/* -- sealing and validation, with real keys -- */

static const char message[] =
	"Received: from client.a.example by mx.a.example; Wed, 2 Dec 2026 10:00:00 +0000\r\n"
	"From: Alice <alice@a.example>\r\n"
	"To: list@b.example\r\n"
	"Subject: Lunch on\r\n\tFriday?\r\n"
	"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
	"Message-ID: <arc-1@a.example>\r\n"
	"\r\n"
	"Hi,\r\n\r\nshall we   meet at noon?  \r\n";

struct run {
	enum arc_cv cv;
	unsigned n, oldest_pass;
	bool tempfail;
	char reason[128];
	char ar[1024];
};

/* How the keys answer: 0 normal, 1 every lookup TEMPFAIL, 2 NXDOMAIN, 3 never answered. */
static int dns_mode;

static void
verify(const char *msg, size_t chunk, struct run *r)
{
	struct dkim_verify_policy pol;
	struct arc_verify *v;
	size_t len = strlen(msg), hsize = rfc5322_header_size(msg, len), i;
	struct authres_builder b;
	struct buf ar = BUF_INIT;

	dkim_verify_policy_default(&pol);
	v = arc_verify_new(&pol, time(NULL));
	r->n = arc_verify_header(v, msg, hsize);
	for (i = 0; i < arc_verify_key_count(v); i++) {
		const char *name = arc_verify_key_name(v, i), *txt = NULL;
		size_t tl;

		if (strcmp(name, "sa._domainkey.a.example") == 0)
			txt = rec_a;
		else if (strcmp(name, "sb._domainkey.b.example") == 0)
			txt = rec_b;
		if (dns_mode == 1)
			arc_verify_key_answer(v, i, DKIM_DNS_TEMPFAIL, NULL, NULL, 0);
		else if (dns_mode == 2 || txt == NULL)
			arc_verify_key_answer(v, i, DKIM_DNS_NXDOMAIN, NULL, NULL, 0);
		else if (dns_mode == 0) {
			tl = strlen(txt);
			arc_verify_key_answer(v, i, DKIM_DNS_OK, &txt, &tl, 1);
		}
	}
	for (i = hsize; i < len; i += chunk)
		arc_verify_body(v, msg + i, len - i < chunk ? len - i : chunk);
	arc_verify_finish(v);
	r->cv = arc_verify_result(v)->cv;
	r->oldest_pass = arc_verify_result(v)->oldest_pass;
	r->tempfail = arc_verify_result(v)->tempfail;
	snprintf(r->reason, sizeof(r->reason), "%s", arc_verify_result(v)->reason);
	authres_begin(&b, &ar, "mx.c.example", 0);
	arc_verify_authres(v, &b, "192.0.2.1");
	authres_end(&b);
	snprintf(r->ar, sizeof(r->ar), "%s", buf_cstr(&ar));
	buf_free(&ar);
	arc_verify_free(&v);
}

/* Seals msg (validated first, unless cv_force >= 0) and returns the new message; NULL with
 * *error_r when it was not sealed. */
static char *
seal_as(const char *msg, const struct dkim_sign_key *key, int cv_force, const char **error_r)
{
	size_t len = strlen(msg), hsize = rfc5322_header_size(msg, len);
	struct arc_seal *s = arc_seal_new(time(NULL));
	struct buf out = BUF_INIT;
	static const char ar[] = "Authentication-Results: mx.relay.example; spf=pass "
				 "smtp.mailfrom=a.example;\r\n\tdkim=none\r\n";
	enum arc_cv cv;
	struct run r;

	if (cv_force >= 0) {
		cv = (enum arc_cv)cv_force;
	} else {
		verify(msg, 4096, &r);
		cv = r.cv;
	}
	arc_seal_body(s, msg + hsize, len - hsize);
	if (arc_seal_finish(s, key, cv, ar, strlen(ar), msg, hsize, &out, error_r) < 0) {
		arc_seal_free(&s);
		buf_free(&out);
		return NULL;
	}
	arc_seal_free(&s);
	buf_append(&out, msg, len);
	return buf_steal(&out);
}

static char *
seal(const char *msg, const struct dkim_sign_key *key)
{
	const char *error = NULL;
	char *out = seal_as(msg, key, -1, &error);

	if (out == NULL)
		fail_msg("not sealed: %s", error);
	return out;
}

static char *
replace(const char *msg, const char *from, const char *to)
{
	const char *at = strstr(msg, from);

	assert_non_null(at);
	return xasprintf("%.*s%s%s", (int)(at - msg), msg, to, at + strlen(from));
}

static void
test_no_chain(void **state)
{
	struct run r;

	(void)state;
	verify(message, 4096, &r);
	assert_int_equal(r.cv, ARC_CV_NONE);
	assert_int_equal(r.n, 0);
	assert_non_null(strstr(r.ar, "arc=none"));
	assert_null(strstr(r.ar, "oldest-pass"));
}

static void
test_one_hop(void **state)
{
	char *m1 = seal(message, &key_a);
	struct run r;

	(void)state;
	/* the set's fields, the new seal on top, and the AAR from our AR */
	assert_true(strncmp(m1, "ARC-Seal: i=1; a=rsa-sha256; t=", 31) == 0);
	assert_non_null(strstr(m1, "cv=none; d=a.example; s=sa;"));
	assert_non_null(strstr(m1, "\r\nARC-Message-Signature: i=1; a=rsa-sha256; "
				   "c=relaxed/relaxed; d=a.example;"));
	assert_non_null(strstr(m1, "\r\nARC-Authentication-Results: i=1; mx.relay.example; "
				   "spf=pass smtp.mailfrom=a.example;\r\n\tdkim=none\r\n"));
	verify(m1, 4096, &r);
	assert_int_equal(r.cv, ARC_CV_PASS);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.oldest_pass, 0);
	assert_false(r.tempfail);
	assert_non_null(strstr(r.ar, "arc=pass"));
	assert_non_null(strstr(r.ar, "(as.1.d=a.example as.1.s=sa)"));
	assert_non_null(strstr(r.ar, "header.oldest-pass=0"));
	assert_non_null(strstr(r.ar, "smtp.remote-ip=192.0.2.1"));
	assert_non_null(strstr(r.ar, "arc.chain=a.example"));
	/* the body streamed one byte at a time gives the same */
	verify(m1, 1, &r);
	assert_int_equal(r.cv, ARC_CV_PASS);
	free(m1);
}

static void
test_two_hops(void **state)
{
	char *m1 = seal(message, &key_a), *m2 = seal(m1, &key_b), *bad;
	struct run r;

	(void)state;
	assert_non_null(strstr(m2, "ARC-Seal: i=2;"));
	assert_non_null(strstr(m2, "cv=pass; d=b.example; s=sb;"));
	verify(m2, 7, &r);
	assert_int_equal(r.cv, ARC_CV_PASS);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.oldest_pass, 0);
	assert_non_null(strstr(r.ar, "as.2.d=b.example as.2.s=sb as.1.d=a.example as.1.s=sa"));
	assert_non_null(strstr(r.ar, "arc.chain=\"a.example:b.example\""));

	/* the body changed after the last hop: its AMS fails (step 4) */
	bad = replace(m2, "noon", "nine");
	verify(bad, 4096, &r);
	assert_int_equal(r.cv, ARC_CV_FAIL);
	assert_string_equal(r.reason, "ARC-Message-Signature i=2: body hash did not verify");
	assert_non_null(strstr(r.ar, "arc=fail"));
	assert_non_null(
		strstr(r.ar, "reason=\"ARC-Message-Signature i=2: body hash did not verify\""));
	free(bad);
	/* a signed header changed */
	bad = replace(m2, "Lunch on", "Lunch at");
	verify(bad, 4096, &r);
	assert_int_equal(r.cv, ARC_CV_FAIL);
	assert_string_equal(r.reason, "ARC-Message-Signature i=2: signature did not verify");
	free(bad);
	/* the first hop's AAR changed: only the seals cover it (step 6) */
	bad = replace(m2, "i=1; mx.relay.example; spf=pass", "i=1; mx.relay.example; spf=fail");
	verify(bad, 4096, &r);
	assert_int_equal(r.cv, ARC_CV_FAIL);
	assert_string_equal(r.reason, "ARC-Seal i=2: signature did not verify");
	free(bad);
	/* the seals sign their fields relaxed (4.1.3): re-spacing changes nothing */
	bad = replace(m2, "cv=none; d=a.example", "cv=none;  \r\n\td=a.example");
	verify(bad, 4096, &r);
	assert_int_equal(r.cv, ARC_CV_PASS);
	free(bad);
	/* a whole set removed: the structure fails (step 3) */
	bad = replace(m2, "ARC-Seal: i=1;", "X-Old-Seal: i=1;");
	verify(bad, 4096, &r);
	assert_int_equal(r.cv, ARC_CV_FAIL);
	assert_string_equal(r.reason, "ARC set missing or incomplete");
	free(bad);
	free(m1);
	free(m2);
}

/* 5.2 step 5: a header change between hop 1 and hop 2 breaks AMS 1 but not the chain. */
static void
test_oldest_pass(void **state)
{
	char *m1 = seal(message, &key_a), *changed = replace(m1, "Lunch on", "[list] Lunch on"),
	     *m2;
	const char *error = NULL;
	struct run r;

	(void)state;
	/* a list rewrote the subject before validating: the chain it got fails ... */
	verify(changed, 4096, &r);
	assert_int_equal(r.cv, ARC_CV_FAIL);
	/* ... so it seals cv=fail, covering only its own set (5.1.2), and the chain is over */
	m2 = seal(changed, &key_b);
	assert_non_null(strstr(m2, "ARC-Seal: i=2;"));
	assert_non_null(strstr(m2, "cv=fail;"));
	verify(m2, 4096, &r);
	assert_int_equal(r.cv, ARC_CV_FAIL);
	assert_string_equal(r.reason, "the latest ARC-Seal says cv=fail");
	assert_null(seal_as(m2, &key_a, ARC_CV_FAIL, &error));
	assert_string_equal(error, "the chain already ended with cv=fail");
	free(m2);
	/* a list that validated first (pass), then rewrote the subject and sealed cv=pass:
	 * the chain passes, AMS 1 no longer does: oldest-pass is 2 (5.2 step 5) */
	m2 = seal_as(changed, &key_b, ARC_CV_PASS, &error);
	assert_non_null(m2);
	verify(m2, 4096, &r);
	assert_int_equal(r.cv, ARC_CV_PASS);
	assert_int_equal(r.oldest_pass, 2);
	assert_non_null(strstr(r.ar, "header.oldest-pass=2"));
	free(m2);
	free(changed);
	free(m1);
}

/* Does the seal of set k verify over the sets 1..k, or over set k only? */
static bool
seal_covers(const char *msg, unsigned k, bool only_last, EVP_PKEY *pkey)
{
	struct arc_chain *c = xcalloc(1, sizeof(*c));
	size_t hsize = rfc5322_header_size(msg, strlen(msg));
	struct dkim_fields fs;
	struct dkim_sig as;
	struct buf data = BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned md_len;
	const char *error;
	bool ok;

	dkim_fields_parse(&fs, msg, hsize);
	arc_chain_parse(c, &fs);
	assert_int_equal(c->n, k);
	assert_int_equal(dkim_sig_parse_seal(&as, fs.f[c->sets[k].field[ARC_AS]].value,
					     fs.f[c->sets[k].field[ARC_AS]].value_len, &error),
			 0);
	assert_int_equal(arc_chain_seal_data(c, &fs, k, only_last, &data), 0);
	EVP_Digest(data.data, data.len, md, &md_len, EVP_sha256(), NULL);
	ok = dkim_verify_signature(pkey, as.alg, &as.b, md, md_len);
	dkim_sig_clear(&as);
	buf_free(&data);
	arc_chain_clear(c);
	free(c);
	dkim_fields_free(&fs);
	return ok;
}

/* 5.1.2: a cv=fail seal signs its own set only; a pass seal signs them all. */
static void
test_fail_seal_scope(void **state)
{
	char *m1 = seal(message, &key_a), *broken = replace(m1, "noon", "nine"),
	     *m2 = seal(broken, &key_b), *m2p = seal(m1, &key_b);

	(void)state;
	assert_non_null(strstr(m2, "cv=fail;"));
	assert_true(seal_covers(m2, 2, true, key_b.pkey));
	assert_false(seal_covers(m2, 2, false, key_b.pkey));
	assert_non_null(strstr(m2p, "cv=pass;"));
	assert_true(seal_covers(m2p, 2, false, key_b.pkey));
	assert_false(seal_covers(m2p, 2, true, key_b.pkey));
	free(m1);
	free(broken);
	free(m2);
	free(m2p);
}

static void
test_dns_outcomes(void **state)
{
	char *m1 = seal(message, &key_a);
	struct run r;

	(void)state;
	dns_mode = 1;
	verify(m1, 4096, &r);
	assert_int_equal(r.cv, ARC_CV_FAIL);
	assert_true(r.tempfail);
	assert_string_equal(r.reason, "ARC-Message-Signature i=1: key unavailable (DNS)");
	dns_mode = 2;
	verify(m1, 4096, &r);
	assert_int_equal(r.cv, ARC_CV_FAIL);
	assert_false(r.tempfail);
	assert_string_equal(r.reason, "ARC-Message-Signature i=1: no key for signature");
	dns_mode = 3;
	verify(m1, 4096, &r);
	assert_int_equal(r.cv, ARC_CV_FAIL);
	assert_true(r.tempfail);
	assert_string_equal(r.reason, "ARC-Message-Signature i=1: key not looked up");
	dns_mode = 0;
	free(m1);
}

static void
test_fifty_sets(void **state)
{
	char *m = xstrdup(message), *next;
	const char *error = NULL;
	struct run r;
	int i;

	(void)state;
	for (i = 1; i <= ARC_MAX_SETS; i++) {
		next = seal(m, i % 2 ? &key_a : &key_b);
		free(m);
		m = next;
	}
	verify(m, 4096, &r);
	assert_int_equal(r.cv, ARC_CV_PASS);
	assert_int_equal(r.n, 50);
	/* 4.2.1: no 51st */
	assert_null(seal_as(m, &key_a, ARC_CV_PASS, &error));
	assert_string_equal(error, "the message already has 50 ARC sets");
	free(m);
}

static void
test_seal_refusals(void **state)
{
	const char *error = NULL;
	char *m1 = seal(message, &key_a), *broken;

	(void)state;
	assert_null(seal_as(message, &key_ed, ARC_CV_NONE, &error));
	assert_string_equal(error, "ARC seals need an RSA key (rsa-sha256)");
	assert_null(seal_as(message, &key_a, ARC_CV_PASS, &error));
	assert_string_equal(error, "cv pass/fail for a message without ARC sets");
	assert_null(seal_as(m1, &key_a, ARC_CV_NONE, &error));
	assert_string_equal(error, "cv=none for a message with ARC sets");
	broken = replace(m1, "ARC-Seal: i=1;", "X-Seal: i=1;");
	assert_null(seal_as(broken, &key_a, ARC_CV_PASS, &error));
	assert_string_equal(error, "cv=pass for a broken chain");
	free(broken);
	assert_null(seal_as("Subject: x\r\n\r\nbody\r\n", &key_a, ARC_CV_NONE, &error));
	assert_string_equal(error, "no From field to sign");
	free(m1);
}

static int
cv_of(const char *v)
{
	enum arc_cv cv;

	return arc_authres_cv(v, strlen(v), &cv) == 0 ? (int)cv : -1;
}

static void
test_authres_cv(void **state)
{
	(void)state;
	assert_int_equal(cv_of(" mx.example.org; arc=pass (as.1.d=a) header.oldest-pass=0"),
			 ARC_CV_PASS);
	assert_int_equal(cv_of(" mx; spf=pass smtp.mailfrom=a;\r\n\tarc = none"), ARC_CV_NONE);
	assert_int_equal(cv_of(" mx; dkim=pass;(c) ARC=Fail reason=\"x\""), ARC_CV_FAIL);
	assert_int_equal(cv_of(" mx; spf=pass"), -1);
	assert_int_equal(cv_of(" mx; dkim=fail reason=\"; arc=pass\""), -1); /* quoted */
	assert_int_equal(cv_of(" mx; dkim=fail (; arc=pass)"), -1);          /* a comment */
	assert_int_equal(cv_of(" mx; arc=maybe"), -1);
	assert_int_equal(cv_of(" mx; arcx=pass"), -1);
	assert_int_equal(cv_of(" arc=pass"), -1); /* that is the authserv-id */
}

/* The queue's one call: our AR field (as the session wrote it) gives the AAR and the cv. */
static void
test_seal_message(void **state)
{
	const struct dkim_sign_key keys[] = {key_ed, key_a};
	struct buf out = BUF_INIT;
	const char *error = NULL;
	char *m1 = seal(message, &key_a), *in, *m2;
	struct run r;

	(void)state;
	assert_ptr_equal(arc_seal_key(keys, 2), &keys[1]);
	assert_null(arc_seal_key(keys, 1));
	assert_int_equal(
		arc_seal_message(&key_b, "mx.b.example", m1, strlen(m1), time(NULL), &out, &error),
		-1);
	assert_string_equal(error, "no Authentication-Results of ours");
	in = xasprintf("Authentication-Results: mx.b.example; spf=pass\r\n%s", m1);
	assert_int_equal(
		arc_seal_message(&key_b, "mx.b.example", in, strlen(in), time(NULL), &out, &error),
		-1);
	assert_string_equal(error, "no arc= result in our Authentication-Results");
	free(in);
	verify(m1, 4096, &r);
	in = xasprintf("Authentication-Results: mx.other.example; arc=fail\r\n"
		       "Authentication-Results: mx.b.example; spf=pass;\r\n\t%s%s",
		       r.ar + strlen("Authentication-Results: mx.c.example; "), m1);
	assert_int_equal(
		arc_seal_message(&key_b, "mx.b.example", in, strlen(in), time(NULL), &out, &error),
		0);
	assert_non_null(strstr(out.data, "cv=pass; d=b.example;"));
	assert_non_null(strstr(out.data, "ARC-Authentication-Results: i=2; mx.b.example; "
					 "spf=pass;\r\n\tarc=pass"));
	m2 = xasprintf("%s%s", buf_cstr(&out), in);
	verify(m2, 4096, &r);
	assert_int_equal(r.cv, ARC_CV_PASS);
	assert_int_equal(r.n, 2);
	free(m2);
	free(in);
	free(m1);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_instance),         cmocka_unit_test(test_structure),
		cmocka_unit_test(test_set_parse_errors), cmocka_unit_test(test_no_chain),
		cmocka_unit_test(test_one_hop),          cmocka_unit_test(test_two_hops),
		cmocka_unit_test(test_oldest_pass),      cmocka_unit_test(test_dns_outcomes),
		cmocka_unit_test(test_fail_seal_scope),  cmocka_unit_test(test_authres_cv),
		cmocka_unit_test(test_seal_message),     cmocka_unit_test(test_fifty_sets),
		cmocka_unit_test(test_seal_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
