/* libFuzzer target: the SMTP command parser, the ESMTP parameter checks and the address
 * functions. Checks that a parsed path is a valid address and that canonical forms and
 * formatting round-trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/address.h"
#include "mail/smtp_cmd.h"
#include "mail/smtp_params.h"
#include "util/str.h"
#include "util/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_address(const char *s)
{
	struct address addr, again;
	const char *error;
	char *formatted, *canon, *canon2;

	if (address_parse(s, &addr, &error) < 0) {
		if (address_canonical(s, '+') != NULL)
			abort();
		return;
	}
	formatted = address_format(&addr);
	if (address_parse(formatted, &again, &error) < 0 || strcmp(again.local, addr.local) != 0 ||
	    strcmp(again.domain, addr.domain) != 0)
		abort();
	canon = address_canonical(s, '+');
	if (canon == NULL)
		abort();
	canon2 = address_canonical(canon, '+');
	if (canon2 == NULL || strcmp(canon, canon2) != 0)
		abort();
	free(canon2);
	free(canon);
	free(formatted);
	address_clear(&again);
	address_clear(&addr);
}

static void
check_cmd(const struct smtp_cmd *cmd)
{
	const unsigned all = SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | SMTP_EXT_SMTPUTF8 | SMTP_EXT_DSN |
			     SMTP_EXT_AUTH | SMTP_EXT_BINARYMIME;
	struct smtp_mail_params mp;
	struct smtp_rcpt_params rp;
	const char *error;

	if (cmd->verb == SMTP_VERB_MAIL || cmd->verb == SMTP_VERB_RCPT) {
		if (cmd->path == NULL || cmd->arg != NULL)
			abort();
		if (cmd->path[0] == '\0') {
			if (cmd->verb != SMTP_VERB_MAIL)
				abort();
		} else if (str_casecmp(cmd->path, "postmaster") != 0 ||
			   cmd->verb != SMTP_VERB_RCPT) {
			if (!address_is_valid(cmd->path))
				abort();
		}
	}
	if (cmd->verb == SMTP_VERB_MAIL && smtp_params_mail(cmd, all, &mp, &error) == 0)
		smtp_mail_params_clear(&mp);
	if (cmd->verb == SMTP_VERB_RCPT && smtp_params_rcpt(cmd, all, &rp, &error) == 0)
		smtp_rcpt_params_clear(&rp);
	(void)smtp_cmd_param(cmd, "SIZE");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_cmd cmd;
	const char *error = NULL;
	char *s;

	if (smtp_cmd_parse((const char *)data, size, &cmd, &error) == 0) {
		check_cmd(&cmd);
		smtp_cmd_clear(&cmd);
	} else if (error == NULL || strlen(error) < 10 || cmd.path != NULL || cmd.arg != NULL) {
		abort();
	}
	s = xstrndup((const char *)data, size);
	check_address(s);
	(void)address_domain_is_valid(s);
	free(s);
	return 0;
}
