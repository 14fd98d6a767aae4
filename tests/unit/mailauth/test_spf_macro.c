/* Unit tests of SPF macro expansion (src/mailauth/spf_macro.c): the examples of RFC 7208
 * 7.4, every letter, transformers, delimiters, escapes, and the syntax errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailauth/spf_ip.h"
#include "mailauth/spf_macro.h"

static struct spf_macro_vars vars4 = {
	.s = "strong-bad@email.example.com",
	.l = "strong-bad",
	.o = "email.example.com",
	.d = "email.example.com",
	.i = "192.0.2.3",
	.v = "in-addr",
	.h = "mx.example.org",
	.c = "192.0.2.3",
	.r = "mx.example.net",
	.t = 1234567890,
};

static char *
expand(const char *s, const struct spf_macro_vars *v, bool in_exp)
{
	struct buf out = BUF_INIT;
	const char *error = NULL;

	if (spf_macro_expand(s, strlen(s), v, in_exp, &out, &error) < 0) {
		buf_free(&out);
		return NULL;
	}
	buf_appendc(&out, '\0');
	return buf_steal(&out);
}

static void
assert_expands(const char *s, const struct spf_macro_vars *v, bool in_exp, const char *want)
{
	char *got = expand(s, v, in_exp);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_rfc7208_examples(void **state)
{
	(void)state;
	/* RFC 7208 7.4 */
	assert_expands("%{s}", &vars4, false, "strong-bad@email.example.com");
	assert_expands("%{o}", &vars4, false, "email.example.com");
	assert_expands("%{d}", &vars4, false, "email.example.com");
	assert_expands("%{d4}", &vars4, false, "email.example.com");
	assert_expands("%{d3}", &vars4, false, "email.example.com");
	assert_expands("%{d2}", &vars4, false, "example.com");
	assert_expands("%{d1}", &vars4, false, "com");
	assert_expands("%{dr}", &vars4, false, "com.example.email");
	assert_expands("%{d2r}", &vars4, false, "example.email");
	assert_expands("%{l}", &vars4, false, "strong-bad");
	assert_expands("%{l-}", &vars4, false, "strong.bad");
	assert_expands("%{lr}", &vars4, false, "strong-bad");
	assert_expands("%{lr-}", &vars4, false, "bad.strong");
	assert_expands("%{l1r-}", &vars4, false, "strong");
	assert_expands("%{ir}.%{v}._spf.%{d2}", &vars4, false,
		       "3.2.0.192.in-addr._spf.example.com");
	assert_expands("%{lr-}.lp._spf.%{d2}", &vars4, false, "bad.strong.lp._spf.example.com");
	assert_expands("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", &vars4, false,
		       "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
	assert_expands("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", &vars4, false,
		       "3.2.0.192.in-addr.strong.lp._spf.example.com");
	assert_expands("%{d2}.trusted-domains.example.net", &vars4, false,
		       "example.com.trusted-domains.example.net");
}

static void
test_rfc7208_example_ip6(void **state)
{
	struct spf_macro_vars v = vars4;
	struct spf_ip ip;
	char i[72];

	(void)state;
	assert_true(spf_ip_parse("2001:db8::cb01", &ip));
	spf_ip_macro_i(&ip, i);
	v.i = i;
	v.v = "ip6";
	assert_expands("%{ir}.%{v}._spf.%{d2}", &v, false,
		       "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf."
		       "example.com");
}

static void
test_letters_and_escapes(void **state)
{
	struct spf_macro_vars v = vars4;

	(void)state;
	assert_expands("%{h}", &vars4, false, "mx.example.org");
	assert_expands("%{p}", &vars4, false, "unknown"); /* not validated */
	v.p = "mail.example.com";
	assert_expands("%{p2}", &v, false, "example.com");
	assert_expands("%%%_%-", &vars4, false, "% %20");
	/* uppercase: URL-escaped (RFC 7208 7.3) */
	assert_expands("%{S}", &vars4, false, "strong-bad%40email.example.com");
	/* several delimiters; parts joined with "." */
	v.l = "a+b=c_d,e/f";
	assert_expands("%{l+=_,/}", &v, false, "a.b.c.d.e.f");
	assert_expands("%{l2r+}", &v, false, "b=c_d,e/f.a");
	/* a transformer bigger than the parts keeps them all */
	assert_expands("%{d99}", &vars4, false, "email.example.com");
	/* exp-only letters */
	assert_expands("%{c} %{r} %{t}", &vars4, true, "192.0.2.3 mx.example.net 1234567890");
}

static void
test_syntax_errors(void **state)
{
	static const char *const bad[] = {
		"%",      "%{",  "%{s", "%{x}", "%{d0}", "%{s-x}", "%a",
		"%{dr2}", "%{}", "a b", "\x80", "%{c}",  "%{r}",   "%{t}",
	};
	const char *error = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error = NULL;
		assert_int_equal(spf_macro_check(bad[i], strlen(bad[i]), false, &error), -1);
		assert_non_null(error);
	}
	/* c, r and t and spaces are fine in explanations */
	assert_int_equal(spf_macro_check("%{c} is %{r} at %{t}", 20, true, &error), 0);
	assert_true(spf_macro_uses_p("x.%{p}", 6));
	assert_true(spf_macro_uses_p("%{P2}", 5));
	assert_false(spf_macro_uses_p("%%{p}", 5));
}

static void
test_domain_truncation(void **state)
{
	struct spf_macro_vars v = vars4;
	struct buf out = BUF_INIT;
	const char *error;
	char l[300];

	(void)state;
	/* RFC 7208 7.3: labels are dropped from the left until at most 253 octets remain */
	memset(l, 'a', 60);
	l[60] = '\0';
	v.l = NULL;
	{
		char spec[400];
		snprintf(spec, sizeof(spec), "%s.%s.%s.%s.%s.example.com.", l, l, l, l, l);
		assert_int_equal(spf_macro_expand_domain(spec, &v, &out, &error), 0);
		assert_true(out.len <= 253);
		assert_int_equal(out.len, 3 * 61 + strlen("example.com"));
		assert_string_equal(buf_cstr(&out) + out.len - 12, ".example.com");
	}
	buf_reset(&out);
	assert_int_equal(spf_macro_expand_domain("%{d}.", &v, &out, &error), 0);
	assert_string_equal(buf_cstr(&out), "email.example.com");
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7208_examples),
		cmocka_unit_test(test_rfc7208_example_ip6),
		cmocka_unit_test(test_letters_and_escapes),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_domain_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
