/* SMTP AUTH (RFC 4954) on the submission listeners, only under TLS, with PLAIN and
 * LOGIN; and the submission policies that depend on it: MAIL needs AUTH there, and the
 * envelope sender must belong to the authenticated account (no spoofing). */
#ifndef SMTP_SMTP_AUTH_H
#define SMTP_SMTP_AUTH_H
#include <stdbool.h>

struct smtp_cmd;
struct smtp_session;

bool smtp_auth_offered(const struct smtp_session *s);
void smtp_auth_command(struct smtp_session *s, struct smtp_cmd *cmd);
/* A client line during a SASL exchange. */
void smtp_auth_continue(struct smtp_session *s, const char *line);
/* Replies and returns false when MAIL is not allowed yet (530 on submission). */
bool smtp_auth_mail_allowed(struct smtp_session *s);
/* Replies and returns false when the authenticated user may not use this sender. */
bool smtp_auth_sender_allowed(struct smtp_session *s, const char *sender);

#endif
