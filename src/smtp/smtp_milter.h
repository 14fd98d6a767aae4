/* The milter stage's hooks (smtp_stage.h; smtp_milter.c). */
#ifndef SMTP_SMTP_MILTER_H
#define SMTP_SMTP_MILTER_H

struct smtp_session;

void smtp_milter_rcpt(struct smtp_session *s);
void smtp_milter_end_of_data(struct smtp_session *s);
void smtp_milter_reset(struct smtp_session *s);

#endif
