/* Robinson-Fisher combining (see spam_bayes.h). */
#include "mail/spam_bayes.h"

#include <math.h>
#include <stdlib.h>

double
spam_bayes_token_prob(unsigned long nspam_w, unsigned long nham_w, unsigned long nspam,
		      unsigned long nham)
{
	double n = (double)nspam_w + (double)nham_w, sr, hr, p;

	if (nspam == 0 || nham == 0 || n == 0)
		return SPAM_BAYES_X;
	/* a token counted more often than messages trained (a count from before an untrain
	 * that raced) is clamped: the ratios stay in [0, 1] */
	sr = nspam_w > nspam ? 1.0 : (double)nspam_w / (double)nspam;
	hr = nham_w > nham ? 1.0 : (double)nham_w / (double)nham;
	p = sr / (sr + hr);
	return (SPAM_BAYES_S * SPAM_BAYES_X + n * p) / (SPAM_BAYES_S + n);
}

double
spam_bayes_chi2q(double x2, unsigned v)
{
	double m = x2 / 2.0, sum, term;

	sum = term = exp(-m);
	for (unsigned i = 1; i < v / 2; i++) {
		term *= m / i;
		sum += term;
	}
	return sum < 1.0 ? sum : 1.0;
}

static int
by_deviation(const void *a, const void *b)
{
	double da = fabs(*(const double *)a - 0.5), db = fabs(*(const double *)b - 0.5);

	return da < db ? 1 : da > db ? -1 : 0;
}

double
spam_bayes_combine(double *probs, size_t n)
{
	double sl = 0, hl = 0, s, h;
	size_t used = 0;

	qsort(probs, n, sizeof(*probs), by_deviation);
	for (size_t i = 0; i < n && used < SPAM_BAYES_MAX_CLUES; i++) {
		double f = probs[i];
		if (fabs(f - 0.5) < SPAM_BAYES_MIN_DEV)
			break; /* sorted: the rest are closer still */
		/* f is in (0, 1): the prior keeps it off both ends */
		sl += log(1.0 - f);
		hl += log(f);
		used++;
	}
	if (used == 0)
		return 0.5;
	s = 1.0 - spam_bayes_chi2q(-2.0 * sl, 2 * (unsigned)used);
	h = 1.0 - spam_bayes_chi2q(-2.0 * hl, 2 * (unsigned)used);
	return (s - h + 1.0) / 2.0;
}
