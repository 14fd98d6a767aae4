/* Unit tests of the DKIM verifier (src/mailauth/dkim_verify.c): the RFC 8463 Appendix A
 * and RFC 6376 Appendix A examples, altered messages, oversigned headers, l=, x=/t=, key
 * record checks, DNS outcomes, the 10-signature limit, rsa-sha1 and short RSA keys. The
 * signatures with unusual tags are made here, with the library's own canonicalization,
 * by sign_custom(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "mail/rfc5322.h"
#include "mailauth/dkim_canon.h"
#include "mailauth/dkim_headers.h"
#include "mailauth/dkim_verify.h"
#include "util/base64.h"
#include "util/xmalloc.h"

#define NOW 1800000000

static const char rfc8463_msg[] = "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
				  " d=football.example.com; i=@football.example.com;\r\n"
				  " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
				  " subject : date : message-id : from : subject : date;\r\n"
				  " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
				  " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
				  " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
				  "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
				  " d=football.example.com; i=@football.example.com;\r\n"
				  " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
				  " date : message-id : from : subject : date;\r\n"
				  " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
				  " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
				  " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
				  " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
				  "From: Joe SixPack <joe@football.example.com>\r\n"
				  "To: Suzie Q <suzie@shopping.example.net>\r\n"
				  "Subject: Is dinner ready?\r\n"
				  "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
				  "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
				  "\r\n"
				  "Hi.\r\n"
				  "\r\n"
				  "We lost the game.  Are you hungry yet?\r\n"
				  "\r\n"
				  "Joe.\r\n";

/* RFC 8463 A.2 */
static const char brisbane_ed[] =
	"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
static const char test_rsa[] =
	"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
	"iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
	"DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
	"Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

/* RFC 6376 A.2 (the message of A.1 signed) and A.3 (its key) */
static const char rfc6376_msg[] =
	"DKIM-Signature: v=1; a=rsa-sha256; s=brisbane; d=example.com;\r\n"
	"      c=simple/simple; q=dns/txt; i=joe@football.example.com;\r\n"
	"      h=Received : From : To : Subject : Date : Message-ID;\r\n"
	"      bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
	"      b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB\r\n"
	"        4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut\r\n"
	"        KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV\r\n"
	"        4bmp/YzhwvcubU4=;\r\n"
	"Received: from client1.football.example.com  [192.0.2.1]\r\n"
	"      by submitserver.example.com with SUBMISSION;\r\n"
	"      Fri, 11 Jul 2003 21:01:54 -0700 (PDT)\r\n"
	"From: Joe SixPack <joe@football.example.com>\r\n"
	"To: Suzie Q <suzie@shopping.example.net>\r\n"
	"Subject: Is dinner ready?\r\n"
	"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
	"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
	"\r\n"
	"Hi.\r\n"
	"\r\n"
	"We lost the game. Are you hungry yet?\r\n"
	"\r\n"
	"Joe.\r\n";
static const char rfc6376_key[] = "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQ"
				  "KBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYt"
				  "IxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v"
				  "/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhi"
				  "tdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB";

struct answer {
	const char *name; /* key name */
	const char *txt;  /* NULL: NXDOMAIN; "TEMPFAIL" */
};

struct run {
	struct dkim_verify *v;
	const struct dkim_result *r;
	size_t n;
};

/* Verifies msg, feeding the body chunk bytes at a time, answering key lookups from ans. */
static void
verify(struct run *run, const char *msg, const struct answer *ans, size_t n_ans, size_t chunk,
       const struct dkim_verify_policy *pol_in)
{
	struct dkim_verify_policy pol;
	size_t len = strlen(msg), hsize = rfc5322_header_size(msg, len), i, j;

	dkim_verify_policy_default(&pol);
	if (pol_in != NULL)
		pol = *pol_in;
	run->v = dkim_verify_new(&pol, NOW);
	dkim_verify_header(run->v, msg, hsize);
	for (i = 0; i < dkim_verify_key_count(run->v); i++) {
		const char *name = dkim_verify_key_name(run->v, i);

		for (j = 0; j < n_ans; j++) {
			const char *txt = ans[j].txt;
			size_t tl = txt != NULL ? strlen(txt) : 0;

			if (strcmp(ans[j].name, name) != 0)
				continue;
			if (txt == NULL)
				dkim_verify_key_answer(run->v, i, DKIM_DNS_NXDOMAIN, NULL, NULL, 0);
			else if (strcmp(txt, "TEMPFAIL") == 0)
				dkim_verify_key_answer(run->v, i, DKIM_DNS_TEMPFAIL, NULL, NULL, 0);
			else
				dkim_verify_key_answer(run->v, i, DKIM_DNS_OK, &txt, &tl, 1);
		}
	}
	for (i = hsize; i < len; i += chunk)
		dkim_verify_body(run->v, msg + i, len - i < chunk ? len - i : chunk);
	dkim_verify_finish(run->v);
	run->r = dkim_verify_results(run->v, &run->n);
}

static void
run_free(struct run *run)
{
	dkim_verify_free(&run->v);
}

static void
test_rfc8463(void **state)
{
	struct answer ans[] = {{"brisbane._domainkey.football.example.com", brisbane_ed},
			       {"test._domainkey.football.example.com", test_rsa}};
	struct run run;
	char *bad;

	(void)state;
	verify(&run, rfc8463_msg, ans, 2, 1, NULL);
	assert_int_equal(run.n, 2);
	assert_int_equal(run.r[0].status, DKIM_STATUS_PASS);
	assert_int_equal(run.r[0].alg, DKIM_ALG_ED25519_SHA256);
	assert_string_equal(run.r[0].selector, "brisbane");
	assert_int_equal(run.r[1].status, DKIM_STATUS_PASS);
	assert_int_equal(run.r[1].key_bits, 1024);
	run_free(&run);
	/* a changed body fails both; a changed signed header too */
	bad = xstrdup(rfc8463_msg);
	memcpy(strstr(bad, "hungry"), "HUNGRY", 6);
	verify(&run, bad, ans, 2, 4096, NULL);
	assert_int_equal(run.r[0].status, DKIM_STATUS_FAIL);
	assert_string_equal(run.r[0].reason, "body hash did not verify");
	assert_int_equal(run.r[1].status, DKIM_STATUS_FAIL);
	run_free(&run);
	free(bad);
	bad = xstrdup(rfc8463_msg);
	memcpy(strstr(bad, "dinner"), "DINNER", 6);
	verify(&run, bad, ans, 2, 4096, NULL);
	assert_int_equal(run.r[0].status, DKIM_STATUS_FAIL);
	assert_string_equal(run.r[0].reason, "signature did not verify");
	assert_int_equal(run.r[1].status, DKIM_STATUS_FAIL);
	run_free(&run);
	free(bad);
}

static void
test_rfc6376(void **state)
{
	struct answer ans[] = {{"brisbane._domainkey.example.com", rfc6376_key}};
	struct run run;

	(void)state;
	verify(&run, rfc6376_msg, ans, 1, 5, NULL);
	assert_int_equal(run.n, 1);
	assert_int_equal(run.r[0].status, DKIM_STATUS_PASS);
	assert_string_equal(run.r[0].identity, "joe@football.example.com");
	run_free(&run);
}

static void
test_dns_outcomes(void **state)
{
	struct answer tempfail[] = {{"brisbane._domainkey.example.com", "TEMPFAIL"}};
	struct answer nx[] = {{"brisbane._domainkey.example.com", NULL}};
	struct answer revoked[] = {{"brisbane._domainkey.example.com", "v=DKIM1; p="}};
	struct answer junk[] = {{"brisbane._domainkey.example.com", "v=DKIM1; p=bm90IGEga2V5"}};
	struct answer edkey[] = {{"brisbane._domainkey.example.com", brisbane_ed}};
	struct run run;

	(void)state;
	verify(&run, rfc6376_msg, tempfail, 1, 4096, NULL);
	assert_int_equal(run.r[0].status, DKIM_STATUS_TEMPERROR);
	run_free(&run);
	verify(&run, rfc6376_msg, nx, 1, 4096, NULL);
	assert_int_equal(run.r[0].status, DKIM_STATUS_PERMERROR);
	assert_string_equal(run.r[0].reason, "no key for signature");
	run_free(&run);
	verify(&run, rfc6376_msg, revoked, 1, 4096, NULL);
	assert_int_equal(run.r[0].status, DKIM_STATUS_PERMERROR);
	assert_string_equal(run.r[0].reason, "key revoked");
	run_free(&run);
	verify(&run, rfc6376_msg, junk, 1, 4096, NULL);
	assert_int_equal(run.r[0].status, DKIM_STATUS_PERMERROR);
	run_free(&run);
	verify(&run, rfc6376_msg, edkey, 1, 4096, NULL);
	assert_int_equal(run.r[0].status, DKIM_STATUS_PERMERROR);
	assert_string_equal(run.r[0].reason, "key type k= does not match a=");
	run_free(&run);
	/* hostile records: 20 KB of base64 that is no key, too many tags */
	{
		struct buf big = BUF_INIT;
		struct answer ans[] = {{"brisbane._domainkey.example.com", NULL}};
		int i;

		buf_appends(&big, "v=DKIM1; p=");
		for (i = 0; i < 20000; i++)
			buf_appendc(&big, 'A');
		ans[0].txt = buf_cstr(&big);
		verify(&run, rfc6376_msg, ans, 1, 4096, NULL);
		assert_int_equal(run.r[0].status, DKIM_STATUS_PERMERROR);
		assert_string_equal(run.r[0].reason, "key p= is not a key of type k=");
		run_free(&run);
		buf_reset(&big);
		buf_appends(&big, "v=DKIM1; ");
		for (i = 0; i < 100; i++)
			buf_printf(&big, "n%d=x; ", i);
		buf_appends(&big, rfc6376_key + strlen("v=DKIM1; "));
		ans[0].txt = buf_cstr(&big);
		verify(&run, rfc6376_msg, ans, 1, 4096, NULL);
		assert_int_equal(run.r[0].status, DKIM_STATUS_PERMERROR);
		assert_string_equal(run.r[0].reason, "too many tags");
		run_free(&run);
		buf_free(&big);
	}
	/* never answered: temperror, not a crash */
	verify(&run, rfc6376_msg, NULL, 0, 4096, NULL);
	assert_int_equal(run.r[0].status, DKIM_STATUS_TEMPERROR);
	run_free(&run);
}

/* ---- signatures made here, with chosen tags ---- */

static EVP_PKEY *ed_key, *rsa512_key;
static char *ed_record, *rsa512_record;

static char *
record_of(EVP_PKEY *pkey, bool ed)
{
	struct buf out = BUF_INIT;

	if (ed) {
		unsigned char raw[32];
		size_t len = sizeof(raw);

		EVP_PKEY_get_raw_public_key(pkey, raw, &len);
		buf_appends(&out, "v=DKIM1; k=ed25519; p=");
		base64_encode(&out, raw, len);
	} else {
		unsigned char *der = NULL;
		int dl = i2d_PUBKEY(pkey, &der);

		buf_appends(&out, "v=DKIM1; p=");
		base64_encode(&out, der, (size_t)dl);
		OPENSSL_free(der);
	}
	return buf_steal(&out);
}

static int
setup(void **state)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);

	(void)state;
	EVP_PKEY_keygen_init(ctx);
	EVP_PKEY_keygen(ctx, &ed_key);
	EVP_PKEY_CTX_free(ctx);
	ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
	EVP_PKEY_keygen_init(ctx);
	EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 512);
	EVP_PKEY_keygen(ctx, &rsa512_key);
	EVP_PKEY_CTX_free(ctx);
	ed_record = record_of(ed_key, true);
	rsa512_record = record_of(rsa512_key, false);
	return ed_key != NULL && rsa512_key != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(ed_key);
	EVP_PKEY_free(rsa512_key);
	free(ed_record);
	free(rsa512_record);
	return 0;
}

static const char base_msg[] = "From: a@example.org\r\n"
			       "To: b@example.net\r\n"
			       "Subject: test\r\n"
			       "\r\n"
			       "line one\r\n"
			       "\r\n"
			       "line two\r\n";

/* Returns msg with a DKIM-Signature field on top: tags (without bh= and b=), relaxed/
 * relaxed, the body hash over the first l bytes when l >= 0, signed with pkey (Ed25519, or
 * RSA with SHA-256). */
static char *
sign_custom(const char *msg, const char *tags, char *const *names, size_t n, long l, EVP_PKEY *pkey)
{
	size_t len = strlen(msg), hsize = rfc5322_header_size(msg, len);
	struct dkim_body_hash bh;
	unsigned char d[EVP_MAX_MD_SIZE], sig[512];
	unsigned dl;
	size_t sl = sizeof(sig);
	struct buf field = BUF_INIT, data = BUF_INIT, out = BUF_INIT;
	struct dkim_fields fs;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	dkim_body_hash_init(&bh, DKIM_CANON_RELAXED, EVP_sha256(), l >= 0, (uint64_t)l);
	dkim_body_hash_update(&bh, msg + hsize, len - hsize);
	dkim_body_hash_final(&bh, d, &dl);
	dkim_body_hash_clear(&bh);
	buf_printf(&field, "DKIM-Signature: %s; bh=", tags);
	base64_encode(&field, d, dl);
	buf_appends(&field, "; b=\r\n");
	dkim_fields_parse(&fs, msg, hsize);
	dkim_headers_select(&data, DKIM_CANON_RELAXED, &fs, names, n, SIZE_MAX);
	dkim_headers_sig_field(&data, DKIM_CANON_RELAXED, field.data, field.len);
	dkim_fields_free(&fs);
	EVP_Digest(data.data, data.len, d, &dl, EVP_sha256(), NULL);
	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519) {
		EVP_DigestSignInit(md, NULL, NULL, NULL, pkey);
		assert_int_equal(EVP_DigestSign(md, sig, &sl, d, dl), 1);
	} else {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);

		EVP_PKEY_sign_init(ctx);
		EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING);
		EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256());
		assert_int_equal(EVP_PKEY_sign(ctx, sig, &sl, d, dl), 1);
		EVP_PKEY_CTX_free(ctx);
	}
	EVP_MD_CTX_free(md);
	buf_truncate(&field, field.len - 2);
	base64_encode(&field, sig, sl);
	buf_appends(&field, "\r\n");
	buf_append(&out, field.data, field.len);
	buf_appends(&out, msg);
	buf_free(&field);
	buf_free(&data);
	return buf_steal(&out);
}

static char *h_std[] = {"from", "to", "subject"};
static char *h_over[] = {"from", "to", "subject", "from", "to", "subject"};

static enum dkim_status
status_of(const char *msg, const char *record, const char **reason_r)
{
	struct answer ans[] = {{"sel._domainkey.example.org", record}};
	struct run run;
	enum dkim_status st;
	static char reason[96];

	verify(&run, msg, ans, 1, 3, NULL);
	assert_int_equal(run.n, 1);
	st = run.r[0].status;
	strcpy(reason, run.r[0].reason);
	if (reason_r != NULL)
		*reason_r = reason;
	run_free(&run);
	return st;
}

#define ED_TAGS "v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.org; s=sel"

static void
test_oversigning(void **state)
{
	char *m, *added;

	(void)state;
	/* h= names each field once: a second Subject added on top is not covered (the
	 * bottom-up pick takes the signed one), so the signature still passes: the weakness
	 * oversigning closes (RFC 6376 8.15) */
	m = sign_custom(base_msg, ED_TAGS "; h=from:to:subject", h_std, 3, -1, ed_key);
	assert_int_equal(status_of(m, ed_record, NULL), DKIM_STATUS_PASS);
	added = xasprintf("Subject: forged\r\n%s", m);
	assert_int_equal(status_of(added, ed_record, NULL), DKIM_STATUS_PASS);
	free(added);
	free(m);
	/* oversigned: the extra names stood for "no such field" (5.4.2), so an added
	 * Subject, or a To that was absent at signing, breaks the signature */
	m = sign_custom("From: a@example.org\r\nSubject: s\r\n\r\nbody\r\n",
			ED_TAGS "; h=from:to:subject:from:to:subject", h_over, 6, -1, ed_key);
	assert_int_equal(status_of(m, ed_record, NULL), DKIM_STATUS_PASS);
	added = xasprintf("Subject: forged\r\n%s", m);
	assert_int_equal(status_of(added, ed_record, NULL), DKIM_STATUS_FAIL);
	free(added);
	added = xasprintf("To: someone@else\r\n%s", m);
	assert_int_equal(status_of(added, ed_record, NULL), DKIM_STATUS_FAIL);
	free(added);
	/* a field not in h= may be added */
	added = xasprintf("X-Added: yes\r\n%s", m);
	assert_int_equal(status_of(added, ed_record, NULL), DKIM_STATUS_PASS);
	free(added);
	free(m);
}

static void
test_length_tag(void **state)
{
	char *m, *longer;
	const char *reason;

	(void)state;
	m = sign_custom(base_msg, ED_TAGS "; l=10; h=from:to:subject", h_std, 3, 10, ed_key);
	assert_int_equal(status_of(m, ed_record, &reason), DKIM_STATUS_PASS);
	assert_string_equal(reason, "good signature, 12 body bytes unsigned (l=)");
	longer = xasprintf("%sappended after signing\r\n", m);
	assert_int_equal(status_of(longer, ed_record, NULL), DKIM_STATUS_PASS);
	free(longer);
	free(m);
	/* l= longer than the body */
	m = sign_custom(base_msg, ED_TAGS "; l=999; h=from:to:subject", h_std, 3, 999, ed_key);
	assert_int_equal(status_of(m, ed_record, &reason), DKIM_STATUS_PERMERROR);
	assert_string_equal(reason, "l= is longer than the body");
	free(m);
}

static void
test_times(void **state)
{
	char *m;
	const char *reason;

	(void)state;
	m = sign_custom(base_msg, ED_TAGS "; t=1700000000; x=1700000100; h=from:to:subject", h_std,
			3, -1, ed_key);
	assert_int_equal(status_of(m, ed_record, &reason), DKIM_STATUS_PERMERROR);
	assert_string_equal(reason, "signature expired");
	free(m);
	m = sign_custom(base_msg, ED_TAGS "; t=1800000100; x=1900000000; h=from:to:subject", h_std,
			3, -1, ed_key); /* 100 s ahead: within the skew */
	assert_int_equal(status_of(m, ed_record, NULL), DKIM_STATUS_PASS);
	free(m);
	m = sign_custom(base_msg, ED_TAGS "; t=1800003600; h=from:to:subject", h_std, 3, -1,
			ed_key);
	assert_int_equal(status_of(m, ed_record, &reason), DKIM_STATUS_PERMERROR);
	assert_string_equal(reason, "signature timestamp in the future");
	free(m);
}

static void
test_key_flags(void **state)
{
	char *m, *rec;
	const char *reason;

	(void)state;
	m = sign_custom(base_msg, ED_TAGS "; i=@sub.example.org; h=from:to:subject", h_std, 3, -1,
			ed_key);
	assert_int_equal(status_of(m, ed_record, NULL), DKIM_STATUS_PASS);
	rec = xasprintf("%s; t=s", ed_record);
	assert_int_equal(status_of(m, rec, &reason), DKIM_STATUS_PERMERROR);
	assert_string_equal(reason, "key t=s: i= domain is not d=");
	free(rec);
	rec = xasprintf("%s; h=sha1", ed_record);
	assert_int_equal(status_of(m, rec, NULL), DKIM_STATUS_PERMERROR);
	free(rec);
	rec = xasprintf("%s; s=other", ed_record);
	assert_int_equal(status_of(m, rec, NULL), DKIM_STATUS_PERMERROR);
	free(rec);
	/* t=y: the result carries the testing flag */
	rec = xasprintf("%s; t=y", ed_record);
	{
		struct answer ans[] = {{"sel._domainkey.example.org", rec}};
		struct run run;

		verify(&run, m, ans, 1, 4096, NULL);
		assert_int_equal(run.r[0].status, DKIM_STATUS_PASS);
		assert_true(run.r[0].testing);
		run_free(&run);
	}
	free(rec);
	free(m);
}

static void
test_short_rsa_and_sha1(void **state)
{
	char *m, *sha1;
	const char *reason;
	struct dkim_verify_policy pol;
	struct answer ans[1];
	struct run run;

	(void)state;
	m = sign_custom(base_msg,
			"v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=sel; "
			"h=from:to:subject",
			h_std, 3, -1, rsa512_key);
	assert_int_equal(status_of(m, rsa512_record, &reason), DKIM_STATUS_PERMERROR);
	assert_string_equal(reason, "RSA key too short (512 bits)");
	dkim_verify_policy_default(&pol);
	pol.rsa_short_status = DKIM_STATUS_FAIL;
	ans[0] = (struct answer){"sel._domainkey.example.org", rsa512_record};
	verify(&run, m, ans, 1, 4096, &pol);
	assert_int_equal(run.r[0].status, DKIM_STATUS_FAIL);
	run_free(&run);
	/* the same key accepted when the policy allows 512 bits: the signature is good */
	pol.rsa_min_bits = 512;
	verify(&run, m, ans, 1, 4096, &pol);
	assert_int_equal(run.r[0].status, DKIM_STATUS_PASS);
	run_free(&run);
	/* an RSA key longer than rsa_max_bits (8192 by default; 1000 here to test with the
	 * 1024-bit RFC 8463 key) */
	{
		struct answer a8463[] = {{"brisbane._domainkey.football.example.com", brisbane_ed},
					 {"test._domainkey.football.example.com", test_rsa}};

		dkim_verify_policy_default(&pol);
		pol.rsa_max_bits = 1000;
		pol.rsa_min_bits = 512;
		verify(&run, rfc8463_msg, a8463, 2, 4096, &pol);
		assert_int_equal(run.r[1].status, DKIM_STATUS_PERMERROR);
		assert_string_equal(run.r[1].reason, "RSA key too long (1024 bits)");
		assert_int_equal(run.r[0].status, DKIM_STATUS_PASS);
		run_free(&run);
	}
	/* rsa-sha1 is a fail without any key lookup (RFC 8301) */
	sha1 = xstrdup(m);
	memcpy(strstr(sha1, "rsa-sha256"), "rsa-sha1  ", 10);
	verify(&run, sha1, NULL, 0, 4096, NULL);
	assert_int_equal(run.r[0].status, DKIM_STATUS_FAIL);
	assert_int_equal(dkim_verify_key_count(run.v), 0);
	run_free(&run);
	free(sha1);
	free(m);
}

static void
test_max_signatures(void **state)
{
	struct buf msg = BUF_INIT;
	char *m;
	struct answer ans[] = {{"sel._domainkey.example.org", NULL}};
	struct run run;
	int i;

	(void)state;
	ans[0].txt = ed_record;
	m = sign_custom(base_msg, ED_TAGS "; h=from:to:subject", h_std, 3, -1, ed_key);
	/* the same signature 12 times: the first 10 pass, the rest are permerror */
	for (i = 0; i < 11; i++)
		buf_append(&msg, m, (size_t)(strstr(m, "From:") - m));
	buf_appends(&msg, m);
	verify(&run, buf_cstr(&msg), ans, 1, 4096, NULL);
	assert_int_equal(run.n, 12);
	for (i = 0; i < 10; i++)
		assert_int_equal(run.r[i].status, DKIM_STATUS_PASS);
	assert_int_equal(run.r[10].status, DKIM_STATUS_PERMERROR);
	assert_string_equal(run.r[11].reason, "more than 10 signatures");
	/* one key lookup and one body hash serve all ten */
	assert_int_equal(dkim_verify_key_count(run.v), 1);
	assert_int_equal(dkim_verify_dropped(run.v), 0);
	run_free(&run);
	/* 1000 signature fields: 50 results, the rest only counted */
	buf_reset(&msg);
	for (i = 0; i < 1000; i++)
		buf_appends(&msg, "DKIM-Signature: v=1\r\n");
	buf_appends(&msg, base_msg);
	verify(&run, buf_cstr(&msg), ans, 1, 4096, NULL);
	assert_int_equal(run.n, DKIM_VERIFY_MAX_RESULTS);
	assert_int_equal(dkim_verify_dropped(run.v), 1000 - DKIM_VERIFY_MAX_RESULTS);
	assert_string_equal(run.r[0].reason, "signature missing required tag");
	assert_string_equal(run.r[49].reason, "more than 10 signatures");
	run_free(&run);
	buf_free(&msg);
	free(m);
}

static void
test_bad_signature_field(void **state)
{
	struct run run;
	const char *msg = "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=x; h=to; "
			  "bh=AAAA; b=AAAA\r\nFrom: a@example.org\r\n\r\nbody\r\n";

	(void)state;
	verify(&run, msg, NULL, 0, 4096, NULL);
	assert_int_equal(run.n, 1);
	assert_int_equal(run.r[0].status, DKIM_STATUS_PERMERROR);
	assert_string_equal(run.r[0].reason, "From field not signed");
	assert_string_equal(run.r[0].domain, "example.org");
	run_free(&run);
	verify(&run, "From: a@b\r\n\r\n", NULL, 0, 4096, NULL);
	assert_int_equal(run.n, 0);
	run_free(&run);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8463),        cmocka_unit_test(test_rfc6376),
		cmocka_unit_test(test_dns_outcomes),   cmocka_unit_test(test_oversigning),
		cmocka_unit_test(test_length_tag),     cmocka_unit_test(test_times),
		cmocka_unit_test(test_key_flags),      cmocka_unit_test(test_short_rsa_and_sha1),
		cmocka_unit_test(test_max_signatures), cmocka_unit_test(test_bad_signature_field),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
