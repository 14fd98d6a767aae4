/* Unit tests for the spam filter's arithmetic (src/mail/spam_bayes.c): Robinson's token
 * probability and Fisher's chi-square combining, against values computed with SpamBayes'
 * own formulas (classifier.py chi2_spamprob, chi2.py chi2Q). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mail/spam_bayes.h"
#include "mail/spam_score.h"

#define EPS 1e-12

static void
test_chi2q(void **state)
{
	(void)state;
	assert_true(spam_bayes_chi2q(0, 2) == 1.0);
	assert_float_equal(spam_bayes_chi2q(2, 2), 0.36787944117144233, EPS);
	assert_float_equal(spam_bayes_chi2q(4, 4), 0.40600584970983811, EPS);
	assert_float_equal(spam_bayes_chi2q(10, 6), 0.12465201948308113, EPS);
}

static void
test_token_prob(void **state)
{
	(void)state;
	/* never seen, or nothing trained: the prior */
	assert_float_equal(spam_bayes_token_prob(0, 0, 100, 100), 0.5, EPS);
	assert_float_equal(spam_bayes_token_prob(3, 0, 0, 100), 0.5, EPS);
	/* equally frequent in both classes */
	assert_float_equal(spam_bayes_token_prob(5, 5, 100, 100), 0.5, EPS);
	assert_float_equal(spam_bayes_token_prob(2, 8, 20, 80), 0.5, EPS);
	/* only in spam: (0.45*0.5 + 10*1) / (0.45 + 10) */
	assert_float_equal(spam_bayes_token_prob(10, 0, 100, 100), 0.9784688995215312, EPS);
	/* ratios 0.3 and 0.05: p = 6/7, f = (0.225 + 4p) / 4.45 */
	assert_float_equal(spam_bayes_token_prob(3, 1, 10, 20), 0.8210272873194221, EPS);
	/* a count above the messages trained is clamped */
	assert_float_equal(spam_bayes_token_prob(50, 0, 10, 10), (0.225 + 50.0) / 50.45, EPS);
}

static void
test_combine(void **state)
{
	double ten[10], mixed[] = {0.9, 0.2, 0.7, 0.55, 0.3}, hammy[] = {0.01, 0.02, 0.8},
			none[] = {0.5, 0.45, 0.58}, even[] = {0.99, 0.01};

	(void)state;
	for (int i = 0; i < 10; i++)
		ten[i] = 0.99;
	assert_float_equal(spam_bayes_combine(ten, 10), 0.9999999999841442, EPS);
	assert_float_equal(spam_bayes_combine(mixed, 5), 0.5844942835040667, EPS);
	assert_float_equal(spam_bayes_combine(hammy, 3), 0.11730882216754163, EPS);
	/* no token far enough from 0.5: no evidence */
	assert_float_equal(spam_bayes_combine(none, 3), 0.5, EPS);
	assert_float_equal(spam_bayes_combine(none, 0), 0.5, EPS);
	/* equal evidence both ways */
	assert_float_equal(spam_bayes_combine(even, 2), 0.5, 1e-9);
}

static void
test_combine_max_clues(void **state)
{
	double p[400];

	(void)state;
	/* 150 strong ham clues outweigh 250 weaker spam ones: only the 150 most extreme
	 * count, and those are all the ham ones */
	for (int i = 0; i < 150; i++)
		p[i] = 0.001;
	for (int i = 150; i < 400; i++)
		p[i] = 0.9;
	assert_true(spam_bayes_combine(p, 400) < 0.01);
}

static void
test_score(void **state)
{
	struct spam_inputs in = {0};
	struct buf rules = BUF_INIT;

	(void)state;
	assert_float_equal(spam_score(&in, 0, SPAM_BAYES_NONE, &rules), 0, EPS);
	assert_int_equal(rules.len, 0);
	in.spf = SPAM_AUTH_FAIL;
	in.dmarc = SPAM_AUTH_FAIL;
	in.dnsbl = 2.5;
	assert_float_equal(spam_score(&in, 0, 1.0, &rules), 2 + 3 + 2.5 + 6, EPS);
	assert_string_equal(buf_cstr(&rules), "SPF_FAIL=2.0 DMARC_FAIL=3.0 DNSBL=2.5 BAYES=6.0");
	buf_reset(&rules);
	memset(&in, 0, sizeof(in));
	in.dmarc = SPAM_AUTH_PASS;
	assert_float_equal(spam_score(&in, 0, 0.0, &rules), -1 - 6, EPS);
	assert_string_equal(buf_cstr(&rules), "DMARC_PASS=-1.0 BAYES=-6.0");
	buf_free(&rules);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chi2q),   cmocka_unit_test(test_token_prob),
		cmocka_unit_test(test_combine), cmocka_unit_test(test_combine_max_clues),
		cmocka_unit_test(test_score),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
