/* Typed checks of the ESMTP parameters of MAIL and RCPT: SIZE (RFC 1870), BODY (RFC 6152,
 * RFC 3030 BINARYMIME), SMTPUTF8 (RFC 6531), RET/ENVID/NOTIFY/ORCPT (RFC 3461) and AUTH=
 * (RFC 4954 5). Only the extensions the server advertised (exts) are accepted. Pure. */
#ifndef MAIL_SMTP_PARAMS_H
#define MAIL_SMTP_PARAMS_H
#include <stdbool.h>

#include "mail/smtp_cmd.h"

/* Extensions advertised in EHLO, as a bit set passed to the checks below. */
#define SMTP_EXT_SIZE (1u << 0)
#define SMTP_EXT_8BITMIME (1u << 1)
#define SMTP_EXT_SMTPUTF8 (1u << 2)
#define SMTP_EXT_DSN (1u << 3)
#define SMTP_EXT_AUTH (1u << 4)
#define SMTP_EXT_BINARYMIME (1u << 5) /* needs CHUNKING too: RFC 3030 3 */

enum smtp_body { SMTP_BODY_NONE, SMTP_BODY_7BIT, SMTP_BODY_8BITMIME, SMTP_BODY_BINARYMIME };
enum smtp_ret { SMTP_RET_NONE, SMTP_RET_FULL, SMTP_RET_HDRS };

#define SMTP_NOTIFY_NEVER (1u << 0)
#define SMTP_NOTIFY_SUCCESS (1u << 1)
#define SMTP_NOTIFY_FAILURE (1u << 2)
#define SMTP_NOTIFY_DELAY (1u << 3)

struct smtp_mail_params {
	bool has_size;
	unsigned long long size; /* SIZE=, valid when has_size */
	enum smtp_body body;     /* BODY=, SMTP_BODY_NONE when absent */
	bool smtputf8;           /* SMTPUTF8 given */
	enum smtp_ret ret;       /* RET=, SMTP_RET_NONE when absent */
	char *envid;             /* ENVID= decoded from xtext, NULL when absent */
	char *auth;              /* AUTH= decoded from xtext: a mailbox or "<>", NULL when absent */
};

struct smtp_rcpt_params {
	unsigned notify;  /* SMTP_NOTIFY_* bits, 0 when absent; NEVER is never combined */
	char *orcpt_type; /* ORCPT= addr-type as given ("rfc822"), NULL when absent */
	char *orcpt_addr; /* ORCPT= address decoded from xtext, NULL when absent */
};

/* Checks the parameters of a parsed MAIL command against the advertised extensions and
 * fills *params_r (cleared first). Returns 0, or -1 with *error_r a static reply line:
 * "555 5.5.4 ..." for an unknown or not advertised keyword (RFC 5321 4.1.1.11), "501 5.5.4
 * ..." for a repeated keyword or a bad value. Does not compare SIZE with the limit. */
int smtp_params_mail(const struct smtp_cmd *cmd, unsigned exts, struct smtp_mail_params *params_r,
		     const char **error_r);
void smtp_mail_params_clear(struct smtp_mail_params *params);
/* The same for RCPT (NOTIFY, ORCPT with SMTP_EXT_DSN). */
int smtp_params_rcpt(const struct smtp_cmd *cmd, unsigned exts, struct smtp_rcpt_params *params_r,
		     const char **error_r);
void smtp_rcpt_params_clear(struct smtp_rcpt_params *params);

#endif
