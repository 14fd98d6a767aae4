/* The filter stages' hooks (smtp_stage.h): clamd (smtp_clamd.c) and milters
 * (smtp_milter.c). */
#ifndef SMTP_SMTP_CLAMD_H
#define SMTP_SMTP_CLAMD_H

struct smtp_session;

void smtp_clamd_end_of_data(struct smtp_session *s);
void smtp_clamd_reset(struct smtp_session *s);

/* Ends the current stage as `action` ("tempfail", "accept" or "reject", a
 * *_default_action setting) says, for a filter that is down, late or broken. */
void smtp_filter_default_action(struct smtp_session *s, const char *action, const char *why);

#endif
