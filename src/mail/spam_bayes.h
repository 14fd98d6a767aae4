/* The Bayesian classifier's arithmetic (docs/spam.md), pure: Gary Robinson's per-token
 * probability with a prior, and Fisher's chi-square combining as SpamBayes
 * (classifier.py, chi2_spamprob) and bogofilter compute them.
 *   "A Statistical Approach to the Spam Problem", G. Robinson, Linux Journal 107 (2003). */
#ifndef MAIL_SPAM_BAYES_H
#define MAIL_SPAM_BAYES_H
#include <stddef.h>

#define SPAM_BAYES_S 0.45        /* strength of the prior (SpamBayes unknown_word_strength) */
#define SPAM_BAYES_X 0.5         /* the prior (unknown_word_prob) */
#define SPAM_BAYES_MIN_DEV 0.1   /* tokens with |f - 0.5| below this are ignored */
#define SPAM_BAYES_MAX_CLUES 150 /* the most extreme tokens combined (max_discriminators) */

/* f(w) of a token seen in nspam_w spam and nham_w ham messages, out of nspam and nham
 * trained messages: p = (s/NS) / (s/NS + h/NH), f = (S*x + n*p) / (S + n), n = s + h.
 * A token never seen (or no training of one class) gives x. */
double spam_bayes_token_prob(unsigned long nspam_w, unsigned long nham_w, unsigned long nspam,
			     unsigned long nham);

/* The probability that a chi-square variable with v (even) degrees of freedom is >= x2. */
double spam_bayes_chi2q(double x2, unsigned v);

/* Combines token probabilities into a spam probability in [0, 1] (0.5: no evidence):
 * the at most SPAM_BAYES_MAX_CLUES probs farthest from 0.5 by at least SPAM_BAYES_MIN_DEV;
 * S = 1 - chi2q(-2 sum ln(1-f), 2n), H = 1 - chi2q(-2 sum ln f, 2n), (1 + S - H) / 2.
 * probs is reordered. */
double spam_bayes_combine(double *probs, size_t n);

#endif
