/* The milters over an SMTP session (smtp_milter.c; docs/filters.md): the stage hooks
 * (smtp_stage.h) and the session's calls at connect, HELO, MAIL and unknown commands. */
#ifndef SMTP_SMTP_MILTER_H
#define SMTP_SMTP_MILTER_H
#include <stdbool.h>

struct smtp_session;

/* From the greeting: opens the conversations and asks the milters about the connection.
 * True when they are being asked: the session is paused and greeted (220, or their
 * refusal: 554 then 503 to every command but QUIT, or 421 and close) when they answer;
 * false (no milter, or already asked): greet now. */
bool smtp_milter_connect(struct smtp_session *s);
/* HELO/EHLO (s->helo set) and MAIL (s->mail_from and s->qid set): true when the milters
 * are asked; the session is paused, and when every milter continued proceed(s) sends the
 * command's success reply (and sets the state); when one refused, its reply is sent (a
 * refused HELO forgets s->helo, a refused MAIL resets the transaction). False: no milter,
 * proceed now. */
bool smtp_milter_helo(struct smtp_session *s, void (*proceed)(struct smtp_session *s));
bool smtp_milter_mail(struct smtp_session *s, void (*proceed)(struct smtp_session *s));
/* An unknown command (SMFIC_UNKNOWN): true when the milters are asked (the reply, theirs
 * or "500 5.5.2", follows); false: no milter, answer it now. */
bool smtp_milter_unknown(struct smtp_session *s, const char *line);
/* A milter refused the connection: true after replying 503 to the command. */
bool smtp_milter_refused(struct smtp_session *s);

/* Stage hooks. reset: the transaction ends (milters inside it get abort). */
void smtp_milter_rcpt(struct smtp_session *s);
void smtp_milter_end_of_data(struct smtp_session *s);
void smtp_milter_reset(struct smtp_session *s);
/* The session ends: the conversations say quit. */
void smtp_milter_free(struct smtp_session *s);

#endif
