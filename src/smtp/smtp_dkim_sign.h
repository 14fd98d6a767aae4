/* The "dkim_sign" stage (smtp_stage.h): DKIM-signs mail that leaves through authenticated
 * submission or from mynetworks when its From: domain is one of mydomains and has keys
 * (src/mailauth/dkim_keyring.h). */
#ifndef SMTP_SMTP_DKIM_SIGN_H
#define SMTP_SMTP_DKIM_SIGN_H

struct smtp_session;

void smtp_dkim_sign_end_of_data(struct smtp_session *s);

#endif
