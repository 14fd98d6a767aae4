/* Unit tests of the SPF record parser (src/mailauth/spf_record.c), RFC 7208 4.5, 5, 6, 12. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailauth/spf_record.h"
#include "util/buf.h"

static struct spf_record *
parse_ok(const char *text)
{
	struct spf_record *rec = NULL;
	const char *error = NULL;

	if (spf_record_parse(text, &rec, &error) < 0)
		fail_msg("\"%s\": %s", text, error);
	return rec;
}

static void
assert_bad(const char *text)
{
	struct spf_record *rec = NULL;
	const char *error = NULL;

	if (spf_record_parse(text, &rec, &error) == 0)
		fail_msg("\"%s\" parsed", text);
	assert_null(rec);
	assert_non_null(error);
}

static void
test_is_spf(void **state)
{
	(void)state;
	assert_true(spf_record_is_spf("v=spf1"));
	assert_true(spf_record_is_spf("V=SPF1 -all"));
	assert_false(spf_record_is_spf("v=spf10 -all"));
	assert_false(spf_record_is_spf("v=spf1-all"));
	assert_false(spf_record_is_spf(" v=spf1"));
	assert_false(spf_record_is_spf("spf2.0/pra -all"));
}

static void
test_every_mechanism(void **state)
{
	struct spf_record *rec;

	(void)state;
	rec = parse_ok("v=spf1 +all -include:_spf.example.com ~a ?a:%{d}.example.org/24//64 "
		       "mx/16 mx:mail.example.com//48 ptr ptr:example.com ip4:192.0.2.0/24 "
		       "ip6:2001:db8::/32 exists:%{ir}.%{l1r+-}._spf.%{d}  ");
	assert_int_equal(rec->n_terms, 11);
	assert_int_equal(rec->terms[0].mech, SPF_MECH_ALL);
	assert_int_equal(rec->terms[0].qualifier, SPF_RESULT_PASS);
	assert_int_equal(rec->terms[1].mech, SPF_MECH_INCLUDE);
	assert_int_equal(rec->terms[1].qualifier, SPF_RESULT_FAIL);
	assert_string_equal(rec->terms[1].domain, "_spf.example.com");
	assert_int_equal(rec->terms[2].mech, SPF_MECH_A);
	assert_int_equal(rec->terms[2].qualifier, SPF_RESULT_SOFTFAIL);
	assert_null(rec->terms[2].domain);
	assert_int_equal(rec->terms[2].cidr4, 32);
	assert_int_equal(rec->terms[2].cidr6, 128);
	assert_int_equal(rec->terms[3].qualifier, SPF_RESULT_NEUTRAL);
	assert_string_equal(rec->terms[3].domain, "%{d}.example.org");
	assert_int_equal(rec->terms[3].cidr4, 24);
	assert_int_equal(rec->terms[3].cidr6, 64);
	assert_int_equal(rec->terms[4].mech, SPF_MECH_MX);
	assert_int_equal(rec->terms[4].cidr4, 16);
	assert_int_equal(rec->terms[5].cidr4, 32);
	assert_int_equal(rec->terms[5].cidr6, 48);
	assert_int_equal(rec->terms[6].mech, SPF_MECH_PTR);
	assert_string_equal(rec->terms[7].domain, "example.com");
	assert_int_equal(rec->terms[8].mech, SPF_MECH_IP4);
	assert_int_equal(rec->terms[8].cidr4, 24);
	assert_memory_equal(rec->terms[8].ip, "\xc0\x00\x02\x00", 4);
	assert_int_equal(rec->terms[9].mech, SPF_MECH_IP6);
	assert_int_equal(rec->terms[9].cidr6, 32);
	assert_int_equal(rec->terms[9].ip[0], 0x20);
	assert_int_equal(rec->terms[10].mech, SPF_MECH_EXISTS);
	assert_null(rec->redirect);
	assert_null(rec->exp);
	spf_record_free(&rec);
	assert_null(rec);
}

static void
test_modifiers(void **state)
{
	struct spf_record *rec;

	(void)state;
	rec = parse_ok("v=spf1 redirect=_spf.example.com exp=explain._spf.%{d} foo=%{l1r}bar "
		       "moo.cow-far_out=man:dog/cat");
	assert_int_equal(rec->n_terms, 0);
	assert_string_equal(rec->redirect, "_spf.example.com");
	assert_string_equal(rec->exp, "explain._spf.%{d}");
	spf_record_free(&rec);
	/* names are case-insensitive */
	/* domain-end: a macro-expand will do */
	rec = parse_ok("v=spf1 a:%{d} a:x.%{d2} a:x%% a:x%- a:x%_ exists:%{ir}.%{v}.%{d}");
	assert_int_equal(rec->n_terms, 6);
	spf_record_free(&rec);
	rec = parse_ok("v=spf1 MX REDIRECT=example.com");
	assert_int_equal(rec->terms[0].mech, SPF_MECH_MX);
	assert_string_equal(rec->redirect, "example.com");
	spf_record_free(&rec);
}

static void
test_syntax_errors(void **state)
{
	static const char *const bad[] = {
		"v=spf1 redirect=a.example.com redirect=b.example.com",
		"v=spf1 exp=a.example.com exp=b.example.com",
		"v=spf1 -redirect=a.example.com",
		"v=spf1 include",
		"v=spf1 include:",
		"v=spf1 exists",
		"v=spf1 all:example.com",
		"v=spf1 all/24",
		"v=spf1 foo",
		"v=spf1 a:example.com/33",
		"v=spf1 a:example.com//129",
		"v=spf1 a:example.com/024",
		"v=spf1 a:example.com/",
		"v=spf1 ip4:192.0.2.0/33",
		"v=spf1 ip4:192.0.2",
		"v=spf1 ip4:192.0.2.300",
		"v=spf1 ip4:192.0.2.1//64",
		"v=spf1 ip6:2001:db8::/129",
		"v=spf1 ip6:192.0.2.1",
		"v=spf1 ip4",
		"v=spf1 a:example.123", /* a numeric top label */
		"v=spf1 a:example.-com",
		"v=spf1 a:localhost", /* domain-end needs "." toplabel */
		"v=spf1 a:%{x}.example.com",
		"v=spf1 a:%{c}.example.com", /* c, r, t only in exp text */
		"v=spf1 exp=%{r}.example.com",
		"v=spf1 a:example.com\x7f",
		"v=spf1 \x80"
		"a",
		"v=spf1 a:b.example.com\r",
		"v=spf1 foo=%",
		"v=spf1 =foo",
		"v=spf1 -all\tmx",
		"v=spf1 a:example.com}", /* a literal "}" is no macro-expand */
		"v=spf1 a:%{d}x",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_bad(bad[i]);
}

/* Hostile records parse in time linear in their size: 100 mechanisms, 20 KB. */
static void
test_big_records(void **state)
{
	struct spf_record *rec;
	struct buf b = BUF_INIT;
	int i;

	(void)state;
	buf_appends(&b, "v=spf1");
	for (i = 0; i < 100; i++)
		buf_printf(&b, " ip4:198.51.100.%d a:h%d.example.com", i, i);
	buf_appends(&b, " -all");
	rec = parse_ok(buf_cstr(&b));
	assert_int_equal(rec->n_terms, 201);
	spf_record_free(&rec);
	buf_reset(&b);
	buf_appends(&b, "v=spf1 a:");
	for (i = 0; i < 2000; i++)
		buf_appends(&b, "%{l1r}.abc");
	buf_appends(&b, ".example.com -all");
	assert_true(b.len > 20000);
	rec = parse_ok(buf_cstr(&b));
	assert_int_equal(rec->n_terms, 2);
	spf_record_free(&rec);
	buf_free(&b);
}

static void
test_result_names(void **state)
{
	(void)state;
	assert_string_equal(spf_result_name(SPF_RESULT_NONE), "none");
	assert_string_equal(spf_result_name(SPF_RESULT_SOFTFAIL), "softfail");
	assert_string_equal(spf_result_name(SPF_RESULT_PERMERROR), "permerror");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_spf),      cmocka_unit_test(test_every_mechanism),
		cmocka_unit_test(test_modifiers),   cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_big_records), cmocka_unit_test(test_result_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
