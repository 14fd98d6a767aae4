/* Rule points and their sum (see spam_score.h). */
#include "mail/spam_score.h"

#include "mail/spam_checks.h"

static void
hit(double *score, struct buf *rules, const char *name, double points)
{
	*score += points;
	if (rules == NULL)
		return;
	if (rules->len > 0)
		buf_appendc(rules, ' ');
	buf_printf(rules, "%s=%.1f", name, points);
}

double
spam_score(const struct spam_inputs *in, unsigned checks, double bayes, struct buf *rules)
{
	static const struct {
		unsigned bit;
		double points;
	} check_points[] = {
		{SPAM_CHECK_GTUBE, SPAM_POINTS_GTUBE},
		{SPAM_CHECK_NO_DATE, SPAM_POINTS_NO_DATE},
		{SPAM_CHECK_NO_MESSAGE_ID, SPAM_POINTS_NO_MESSAGE_ID},
		{SPAM_CHECK_FROM_SPOOF, SPAM_POINTS_FROM_SPOOF},
		{SPAM_CHECK_RECEIVED_FORGED, SPAM_POINTS_RECEIVED_FORGED},
	};
	double score = 0;

	for (size_t i = 0; i < sizeof(check_points) / sizeof(check_points[0]); i++)
		if (checks & check_points[i].bit)
			hit(&score, rules, spam_check_name(check_points[i].bit),
			    check_points[i].points);
	if (in->spf == SPAM_AUTH_FAIL)
		hit(&score, rules, "SPF_FAIL", SPAM_POINTS_SPF_FAIL);
	else if (in->spf == SPAM_AUTH_SOFTFAIL)
		hit(&score, rules, "SPF_SOFTFAIL", SPAM_POINTS_SPF_SOFTFAIL);
	if (in->dkim == SPAM_AUTH_FAIL)
		hit(&score, rules, "DKIM_FAIL", SPAM_POINTS_DKIM_FAIL);
	if (in->dmarc == SPAM_AUTH_FAIL)
		hit(&score, rules, "DMARC_FAIL", SPAM_POINTS_DMARC_FAIL);
	else if (in->dmarc == SPAM_AUTH_PASS)
		hit(&score, rules, "DMARC_PASS", SPAM_POINTS_DMARC_PASS);
	if (in->dnsbl != 0)
		hit(&score, rules, "DNSBL", in->dnsbl);
	if (bayes >= 0)
		hit(&score, rules, "BAYES", SPAM_POINTS_BAYES * 2.0 * (bayes - 0.5));
	return score;
}
