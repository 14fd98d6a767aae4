/* Unit tests of DMARC (src/mailauth/dmarc*.c, RFC 7489): records, organizational domains,
 * alignment, policy discovery, sp, pct and the From: rule, over answers given by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailauth/dmarc.h"

static enum dmarc_record_status
rec(const char *s, struct dmarc_record *r)
{
	return dmarc_record_parse(s, strlen(s), r, NULL);
}

static void
test_record_basic(void **state)
{
	struct dmarc_record r;

	(void)state;
	assert_int_equal(rec("v=DMARC1; p=reject", &r), DMARC_RECORD_OK);
	assert_int_equal(r.p, DMARC_POLICY_REJECT);
	assert_int_equal(r.sp, DMARC_POLICY_UNSET);
	assert_int_equal(r.adkim, DMARC_ALIGN_RELAXED);
	assert_int_equal(r.aspf, DMARC_ALIGN_RELAXED);
	assert_int_equal(r.pct, 100);
	assert_int_equal(r.ri, 86400);
	assert_null(r.rua);
	assert_int_equal(rec("v=DMARC1;p=Quarantine;sp=none;adkim=s;aspf=s;pct=20;ri=3600;"
			     "rua=mailto:a@example.com,mailto:b@example.com!10m;ruf=mailto:f@x.org;"
			     "fo=1;rf=afrf;np=reject;future=whatever;",
			     &r),
			 DMARC_RECORD_OK);
	assert_int_equal(r.p, DMARC_POLICY_QUARANTINE);
	assert_int_equal(r.sp, DMARC_POLICY_NONE);
	assert_int_equal(r.np, DMARC_POLICY_REJECT);
	assert_int_equal(r.adkim, DMARC_ALIGN_STRICT);
	assert_int_equal(r.aspf, DMARC_ALIGN_STRICT);
	assert_int_equal(r.pct, 20);
	assert_int_equal(r.ri, 3600);
	assert_int_equal(r.rua_len, strlen("mailto:a@example.com,mailto:b@example.com!10m"));
	assert_memory_equal(r.fo, "1", 1);
	/* FWS around tags and values */
	assert_int_equal(rec(" v = DMARC1 ;\r\n p = none ", &r), DMARC_RECORD_OK);
	assert_int_equal(r.p, DMARC_POLICY_NONE);
}

static void
test_record_not_dmarc(void **state)
{
	struct dmarc_record r;

	(void)state;
	assert_int_equal(rec("p=reject; v=DMARC1", &r), DMARC_RECORD_NOT_DMARC);
	assert_int_equal(rec("v=DMARC2; p=reject", &r), DMARC_RECORD_NOT_DMARC);
	assert_int_equal(rec("v=dmarc1; p=reject", &r), DMARC_RECORD_NOT_DMARC);
	assert_int_equal(rec("v=spf1 -all", &r), DMARC_RECORD_NOT_DMARC);
	assert_int_equal(rec("", &r), DMARC_RECORD_NOT_DMARC);
	assert_int_equal(rec("v=DMARC1; p=reject; p=none", &r), DMARC_RECORD_NOT_DMARC);
	assert_int_equal(rec("garbage without equals", &r), DMARC_RECORD_NOT_DMARC);
}

static void
test_record_invalid_values(void **state)
{
	struct dmarc_record r;

	(void)state;
	/* no p and no rua: no DMARC processing (6.6.3) */
	assert_int_equal(rec("v=DMARC1", &r), DMARC_RECORD_INVALID);
	assert_int_equal(rec("v=DMARC1; p=bogus", &r), DMARC_RECORD_INVALID);
	assert_int_equal(rec("v=DMARC1; p=reject; sp=bogus", &r), DMARC_RECORD_INVALID);
	assert_int_equal(rec("v=DMARC1; rua=not a uri", &r), DMARC_RECORD_INVALID);
	assert_int_equal(rec("v=DMARC1; rua=nocolon", &r), DMARC_RECORD_INVALID);
	/* ...with a valid rua: as if p=none */
	assert_int_equal(rec("v=DMARC1; rua=mailto:d@example.com", &r), DMARC_RECORD_OK);
	assert_int_equal(r.p, DMARC_POLICY_NONE);
	assert_true(r.p_inferred);
	assert_int_equal(rec("v=DMARC1; p=reject; sp=x; rua=mailto:d@example.com", &r),
			 DMARC_RECORD_OK);
	assert_int_equal(r.p, DMARC_POLICY_NONE);
	assert_int_equal(r.sp, DMARC_POLICY_UNSET);
	/* other bad values keep their defaults */
	assert_int_equal(rec("v=DMARC1; p=reject; pct=101; adkim=x; aspf=; ri=-1", &r),
			 DMARC_RECORD_OK);
	assert_int_equal(r.pct, 100);
	assert_int_equal(r.adkim, DMARC_ALIGN_RELAXED);
	assert_int_equal(r.aspf, DMARC_ALIGN_RELAXED);
	assert_int_equal(r.ri, 86400);
	assert_int_equal(rec("v=DMARC1; p=reject; pct=0", &r), DMARC_RECORD_OK);
	assert_int_equal(r.pct, 0);
	assert_int_equal(rec("v=DMARC1; p=reject; pct=99999999999999999999", &r), DMARC_RECORD_OK);
	assert_int_equal(r.pct, 100);
	assert_int_equal(rec("v=DMARC1; p=REJECT", &r), DMARC_RECORD_OK);
	assert_int_equal(r.p, DMARC_POLICY_REJECT);
	assert_true(dmarc_uri_list_valid("mailto:a@b.c!5k", 15));
	assert_false(dmarc_uri_list_valid("mailto:a@b.c!k", 14));
	assert_false(dmarc_uri_list_valid("mailto:a@b.c!5x", 15));
}

static const char *
org(const char *d)
{
	static char out[DMARC_DOMAIN_MAX];

	if (!dmarc_org_domain(d, out))
		return "(error)";
	return out;
}

static void
test_org_domain(void **state)
{
	(void)state;
	assert_string_equal(dmarc_org_source(), "latest");
	assert_string_equal(org("example.com"), "example.com");
	assert_string_equal(org("mail.Example.COM."), "example.com");
	assert_string_equal(org("a.b.c.example.com"), "example.com");
	/* multi-label public suffixes */
	assert_string_equal(org("a.b.example.co.uk"), "example.co.uk");
	assert_string_equal(org("example.co.uk"), "example.co.uk");
	assert_string_equal(org("www.city.kawasaki.jp"), "city.kawasaki.jp");
	/* private section of the list */
	assert_string_equal(org("foo.bar.blogspot.com"), "bar.blogspot.com");
	assert_string_equal(org("x.y.github.io"), "y.github.io");
	/* a public suffix is its own organizational domain */
	assert_string_equal(org("co.uk"), "co.uk");
	assert_string_equal(org("com"), "com");
	/* an unlisted TLD: the implicit "*" rule */
	assert_string_equal(org("a.b.example"), "b.example");
	assert_string_equal(org(""), "(error)");
	assert_string_equal(org("."), "(error)");
}

static void
test_alignment(void **state)
{
	(void)state;
	/* from, id, relaxed, strict */
	static const struct {
		const char *from, *id;
		bool relaxed, strict;
	} cases[] = {
		{"example.com", "example.com", true, true},
		{"example.com", "EXAMPLE.com.", true, true},
		{"example.com", "mail.example.com", true, false},
		{"news.example.com", "example.com", true, false},
		{"a.example.com", "b.example.com", true, false},
		{"example.com", "example.org", false, false},
		{"example.com", "example.com.evil.org", false, false},
		{"a.example.co.uk", "b.example.co.uk", true, false},
		{"example.co.uk", "other.co.uk", false, false},
		{"a.blogspot.com", "b.blogspot.com", false, false},
		{"x.a.blogspot.com", "a.blogspot.com", true, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(dmarc_aligned(cases[i].from, cases[i].id, DMARC_ALIGN_RELAXED),
				 cases[i].relaxed);
		assert_int_equal(dmarc_aligned(cases[i].from, cases[i].id, DMARC_ALIGN_STRICT),
				 cases[i].strict);
	}
}

/* ---- evaluation ---- */

struct zone {
	const char *name;
	const char *txt; /* NULL: NXDOMAIN; "TEMPFAIL": temporary failure */
	const char *txt2;
};

static unsigned
rnd_fixed(void *ctx)
{
	return *(const unsigned *)ctx;
}

/* Runs a whole evaluation, answering the queries from zone; counts the queries. */
static void
run(const char *hdr, const struct zone *zone, const struct dmarc_auth *auth, unsigned rnd,
    struct dmarc_verdict *v, int *queries)
{
	struct dmarc_eval *e = dmarc_eval_new(hdr, strlen(hdr));
	const char *q;

	*queries = 0;
	while ((q = dmarc_eval_query(e)) != NULL) {
		const struct zone *z = zone;
		(*queries)++;
		while (z != NULL && z->name != NULL && strcmp(z->name, q) != 0)
			z++;
		if (z == NULL || z->name == NULL || z->txt == NULL) {
			dmarc_eval_answer(e, DMARC_DNS_NXDOMAIN, NULL, NULL, 0);
		} else if (strcmp(z->txt, "TEMPFAIL") == 0) {
			dmarc_eval_answer(e, DMARC_DNS_TEMPFAIL, NULL, NULL, 0);
		} else {
			const char *t[2] = {z->txt, z->txt2};
			size_t l[2] = {strlen(z->txt), z->txt2 ? strlen(z->txt2) : 0};
			dmarc_eval_answer(e, DMARC_DNS_OK, t, l, z->txt2 ? 2 : 1);
		}
		assert_true(*queries <= 2);
	}
	dmarc_eval_finish(e, auth, rnd_fixed, &rnd, v);
	dmarc_eval_free(&e);
	assert_null(e);
}

static const struct zone zone[] = {
	{"_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine", NULL},
	{"_dmarc.strict.com", "v=DMARC1; p=reject; adkim=s; aspf=s", NULL},
	{"_dmarc.own.example.com", "v=DMARC1; p=none", NULL},
	{"_dmarc.example.co.uk", "v=spf1 -all", "v=DMARC1; p=quarantine"},
	{"_dmarc.half.org", "v=DMARC1; p=reject; pct=50", NULL},
	{"_dmarc.q.org", "v=DMARC1; p=quarantine; pct=10", NULL},
	{"_dmarc.nosp.org", "v=DMARC1; p=reject", NULL},
	{"_dmarc.two.org", "v=DMARC1; p=reject", "v=DMARC1; p=none"},
	{"_dmarc.bad.org", "v=DMARC1; p=never", NULL},
	{"_dmarc.temp.org", "TEMPFAIL", NULL},
	{"_dmarc.sub.temp2.org", "TEMPFAIL", NULL},
	{"_dmarc.temp2.org", "v=DMARC1; p=reject", NULL},
	{NULL, NULL, NULL},
};

static void
test_eval_alignment(void **state)
{
	struct dmarc_verdict v;
	int q;
	const char *d_ok[] = {"mail.example.com"};
	const char *d_other[] = {"other.net", "example.net"};
	struct dmarc_auth spf_ok = {.spf_pass = true, .spf_domain = "bounce.example.com"};
	struct dmarc_auth spf_fail = {.spf_pass = false, .spf_domain = "example.com"};
	struct dmarc_auth dkim_ok = {.dkim_pass_domains = d_ok, .dkim_pass_count = 1};
	struct dmarc_auth unaligned = {.spf_pass = true,
				       .spf_domain = "example.net",
				       .dkim_pass_domains = d_other,
				       .dkim_pass_count = 2};

	(void)state;
	run("From: A <a@example.com>\r\n\r\n", zone, &spf_ok, 0, &v, &q);
	assert_int_equal(v.result, DMARC_RESULT_PASS);
	assert_true(v.spf_aligned);
	assert_false(v.dkim_aligned);
	assert_int_equal(v.disposition, DMARC_POLICY_NONE);
	assert_int_equal(v.policy, DMARC_POLICY_REJECT);
	assert_string_equal(v.from_domain, "example.com");
	assert_string_equal(v.policy_domain, "example.com");
	assert_int_equal(q, 1);
	run("From: a@Example.COM\r\n\r\n", zone, &dkim_ok, 0, &v, &q);
	assert_int_equal(v.result, DMARC_RESULT_PASS);
	assert_true(v.dkim_aligned);
	run("From: a@example.com\r\n\r\n", zone, &spf_fail, 0, &v, &q);
	assert_int_equal(v.result, DMARC_RESULT_FAIL);
	assert_int_equal(v.disposition, DMARC_POLICY_REJECT);
	run("From: a@example.com\r\n\r\n", zone, &unaligned, 0, &v, &q);
	assert_int_equal(v.result, DMARC_RESULT_FAIL);
	run("From: a@example.com\r\n\r\n", zone, NULL, 0, &v, &q);
	assert_int_equal(v.result, DMARC_RESULT_FAIL);
	/* strict: a subdomain identity does not align */
	struct dmarc_auth s1 = {.spf_pass = true, .spf_domain = "mail.strict.com"};
	run("From: a@strict.com\r\n\r\n", zone, &s1, 0, &v, &q);
	assert_int_equal(v.result, DMARC_RESULT_FAIL);
	struct dmarc_auth s2 = {.spf_pass = true, .spf_domain = "STRICT.com"};
	run("From: a@strict.com\r\n\r\n", zone, &s2, 0, &v, &q);
	assert_int_equal(v.result, DMARC_RESULT_PASS);
}

static void
test_eval_discovery(void **state)
{
	struct dmarc_verdict v;
	int q;

	(void)state;
	/* a subdomain without a record: the org domain's record, with sp */
	run("From: a@news.example.com\r\n\r\n", zone, NULL, 0, &v, &q);
	assert_int_equal(q, 2);
	assert_int_equal(v.result, DMARC_RESULT_FAIL);
	assert_true(v.org_record);
	assert_string_equal(v.policy_domain, "example.com");
	assert_int_equal(v.policy, DMARC_POLICY_QUARANTINE);
	assert_int_equal(v.disposition, DMARC_POLICY_QUARANTINE);
	/* no sp: p applies to subdomains */
	run("From: a@x.y.nosp.org\r\n\r\n", zone, NULL, 0, &v, &q);
	assert_int_equal(v.policy, DMARC_POLICY_REJECT);
	/* a subdomain with its own record: that one, sp not used */
	run("From: a@own.example.com\r\n\r\n", zone, NULL, 0, &v, &q);
	assert_int_equal(q, 1);
	assert_false(v.org_record);
	assert_int_equal(v.policy, DMARC_POLICY_NONE);
	/* multi-label suffix; the non-DMARC TXT is discarded */
	run("From: a@shop.example.co.uk\r\n\r\n", zone, NULL, 0, &v, &q);
	assert_int_equal(v.result, DMARC_RESULT_FAIL);
	assert_string_equal(v.policy_domain, "example.co.uk");
	assert_int_equal(v.policy, DMARC_POLICY_QUARANTINE);
	/* no record anywhere */
	run("From: a@sub.nothing.org\r\n\r\n", zone, NULL, 0, &v, &q);
	assert_int_equal(q, 2);
	assert_int_equal(v.result, DMARC_RESULT_NONE);
	assert_int_equal(v.policy, DMARC_POLICY_UNSET);
	assert_int_equal(v.disposition, DMARC_POLICY_UNSET);
	run("From: a@nothing.org\r\n\r\n", zone, NULL, 0, &v, &q);
	assert_int_equal(q, 1); /* the org domain itself: asked once */
	assert_int_equal(v.result, DMARC_RESULT_NONE);
	/* two DMARC records, an invalid one: no DMARC processing */
	run("From: a@two.org\r\n\r\n", zone, NULL, 0, &v, &q);
	assert_int_equal(v.result, DMARC_RESULT_NONE);
	run("From: a@bad.org\r\n\r\n", zone, NULL, 0, &v, &q);
	assert_int_equal(v.result, DMARC_RESULT_NONE);
	/* DNS failures: temperror, and no fallback to the org domain */
	run("From: a@temp.org\r\n\r\n", zone, NULL, 0, &v, &q);
	assert_int_equal(v.result, DMARC_RESULT_TEMPERROR);
	run("From: a@sub.temp2.org\r\n\r\n", zone, NULL, 0, &v, &q);
	assert_int_equal(q, 1);
	assert_int_equal(v.result, DMARC_RESULT_TEMPERROR);
	run("From: a@x.temp.org\r\n\r\n", zone, NULL, 0, &v, &q);
	assert_int_equal(q, 2);
	assert_int_equal(v.result, DMARC_RESULT_TEMPERROR);
	/* a query never answered */
	struct dmarc_eval *e = dmarc_eval_new("From: a@example.com\r\n\r\n", 24);
	assert_string_equal(dmarc_eval_query(e), "_dmarc.example.com");
	dmarc_eval_finish(e, NULL, NULL, NULL, &v);
	assert_int_equal(v.result, DMARC_RESULT_TEMPERROR);
	dmarc_eval_free(&e);
}

static void
test_eval_pct(void **state)
{
	struct dmarc_verdict v;
	int q;

	(void)state;
	run("From: a@half.org\r\n\r\n", zone, NULL, 49, &v, &q);
	assert_int_equal(v.disposition, DMARC_POLICY_REJECT);
	assert_false(v.sampled_out);
	run("From: a@half.org\r\n\r\n", zone, NULL, 50, &v, &q);
	assert_int_equal(v.result, DMARC_RESULT_FAIL);
	assert_int_equal(v.policy, DMARC_POLICY_REJECT);
	assert_int_equal(v.disposition, DMARC_POLICY_QUARANTINE);
	assert_true(v.sampled_out);
	run("From: a@q.org\r\n\r\n", zone, NULL, 10, &v, &q);
	assert_int_equal(v.disposition, DMARC_POLICY_NONE);
	run("From: a@q.org\r\n\r\n", zone, NULL, 9, &v, &q);
	assert_int_equal(v.disposition, DMARC_POLICY_QUARANTINE);
	/* pct=100 never asks the random function */
	run("From: a@nosp.org\r\n\r\n", zone, NULL, 99, &v, &q);
	assert_int_equal(v.disposition, DMARC_POLICY_REJECT);
}

static void
from_is(const char *hdr, enum dmarc_from_status want)
{
	struct dmarc_eval *e = dmarc_eval_new(hdr, strlen(hdr));
	struct dmarc_verdict v;

	assert_int_equal(dmarc_eval_from_status(e), want);
	if (want != DMARC_FROM_OK) {
		assert_null(dmarc_eval_query(e)); /* no lookup for a message DMARC cannot judge */
		dmarc_eval_finish(e, NULL, NULL, NULL, &v);
		assert_int_equal(v.from, want);
		assert_int_not_equal(v.result, DMARC_RESULT_PASS);
		assert_non_null(strstr(v.reason, "From:"));
	}
	dmarc_eval_free(&e);
}

static void
test_from_rule(void **state)
{
	(void)state;
	from_is("From: a@example.com\r\nSubject: x\r\n\r\n", DMARC_FROM_OK);
	from_is("FROM: \"A, B\" <a@example.com>\r\n\r\n", DMARC_FROM_OK);
	from_is("From: group: a@example.com;\r\n\r\n", DMARC_FROM_OK);
	from_is("From:\r\n a@example.com (folded)\r\n\r\n", DMARC_FROM_OK);
	from_is("Subject: x\r\n\r\nFrom: a@example.com\r\n", DMARC_FROM_MISSING);
	from_is("", DMARC_FROM_MISSING);
	from_is("From: a@example.com\r\nFrom: b@example.com\r\n\r\n", DMARC_FROM_MULTIPLE_FIELDS);
	from_is("From: a@example.com, b@example.org\r\n\r\n", DMARC_FROM_MULTIPLE_ADDRESSES);
	from_is("From: a@example.com, b@example.com\r\n\r\n", DMARC_FROM_MULTIPLE_ADDRESSES);
	from_is("From: \r\n\r\n", DMARC_FROM_NO_ADDRESS);
	from_is("From: nobody\r\n\r\n", DMARC_FROM_NO_ADDRESS);
	from_is("From: undisclosed:;\r\n\r\n", DMARC_FROM_NO_ADDRESS);
	from_is("From: a@[192.0.2.1]\r\n\r\n", DMARC_FROM_BAD_DOMAIN);
	from_is("From: a@exa_mple..com\r\n\r\n", DMARC_FROM_BAD_DOMAIN);

	struct dmarc_eval *e = dmarc_eval_new("From: a@[192.0.2.1]\r\n\r\n", 23);
	struct dmarc_verdict v;
	dmarc_eval_finish(e, NULL, NULL, NULL, &v);
	assert_int_equal(v.result, DMARC_RESULT_PERMERROR);
	dmarc_eval_free(&e);
	assert_string_equal(dmarc_result_name(DMARC_RESULT_TEMPERROR), "temperror");
	assert_string_equal(dmarc_policy_name(DMARC_POLICY_QUARANTINE), "quarantine");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_basic),
		cmocka_unit_test(test_record_not_dmarc),
		cmocka_unit_test(test_record_invalid_values),
		cmocka_unit_test(test_org_domain),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_eval_alignment),
		cmocka_unit_test(test_eval_discovery),
		cmocka_unit_test(test_eval_pct),
		cmocka_unit_test(test_from_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
