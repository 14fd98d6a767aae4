/* The "spam" stage (smtp_stage.h): the built-in spam filter at end of data (docs/spam.md).
 * Mail from mynetworks and authenticated clients is not scored. The score is computed
 * from the header checks, the inputs of the other stages (spam_inputs_fill()) and the
 * recipients' Bayesian token stores, which are read on a worker thread; then
 *   score >= spam_reject_threshold -> 550 5.7.1, nothing stored;
 *   score >= spam_threshold        -> the local recipients' Junk folder, "X-Spam: Yes";
 * and every scored message gets "X-Spam-Score: <score> (<rules>)". X-Spam and
 * X-Spam-Score fields the message already has are removed. A threshold of 0 is off; with
 * both off the stage does nothing. */
#ifndef SMTP_SMTP_SPAM_H
#define SMTP_SMTP_SPAM_H

struct smtp_session;

void smtp_spam_end_of_data(struct smtp_session *s);
/* spam_filter = rspamd (docs/spam.md "rspamd instead"): a stage of its own just before
 * the milters ("spam_mark") that removes the X-Spam fields the message brought and notes
 * its Subject; then smtp_spam_end_of_data() sends the message to the Junk folder when a
 * milter (rspamd's "add header" action) set "X-Spam: Yes" or (its "rewrite subject")
 * changed the Subject, and computes no score of its own. With spam_filter = none neither
 * does anything; mail from mynetworks and authenticated clients is left alone in all
 * modes. */
void smtp_spam_before_milters(struct smtp_session *s);
void smtp_spam_reset(struct smtp_session *s);

#endif
