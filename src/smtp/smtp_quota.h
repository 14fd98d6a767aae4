/* The "quota" stage: local recipients over their storage quota (RFC 9208 limits, counted by
 * the store). At RCPT, a recipient every local account of which is already over its limit
 * gets 452 4.2.2 (RFC 3463: mailbox full; temporary, the sender retries) and the other
 * recipients are unaffected; the usage comes from an in-memory cache (a few seconds old at
 * most). At end of data, with the usage read afresh, the accounts the message would push
 * over fail: if no target is left, 552 5.2.2 (RFC 5321 4.5.3.1.10 wording); otherwise they
 * are bounced (a DSN to the sender, durable before the stage goes on, as Postfix does with
 * a per-recipient failure behind its single DATA reply) and the others get the message and
 * the 250. docs/smtp.md "Quotas". */
#ifndef SMTP_SMTP_QUOTA_H
#define SMTP_SMTP_QUOTA_H

struct smtp_session;

void smtp_quota_rcpt(struct smtp_session *s);
void smtp_quota_end_of_data(struct smtp_session *s);
void smtp_quota_reset(struct smtp_session *s);

#endif
