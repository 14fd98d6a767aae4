/* Typed checks of MAIL/RCPT ESMTP parameters: SIZE (RFC 1870), BODY (RFC 6152, RFC 3030),
 * SMTPUTF8 (RFC 6531 3.4), RET/ENVID/NOTIFY/ORCPT (RFC 3461 4), AUTH= (RFC 4954 5). One
 * table row per keyword: the extension that enables it and the function checking its value. */
#include "mail/smtp_params.h"

#include <stdlib.h>
#include <string.h>

#include "mail/address.h"
#include "mail/xtext.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define SMTP_PARAMS_ENVID_MAX 100 /* RFC 3461 4.4 */
#define SMTP_PARAMS_ORCPT_MAX 500 /* RFC 3461 4.2 */
#define SMTP_PARAMS_AUTH_MAX 500  /* RFC 4954 5: like ORCPT */

static const char smtp_params_err_unknown[] = "555 5.5.4 Unsupported parameter";
static const char smtp_params_err_dup[] = "501 5.5.4 Duplicate parameter";

struct smtp_params_def {
	const char *keyword;
	unsigned ext;
	/* value is NULL when the parameter had none; returns 0 or -1 with *error_r */
	int (*check)(const char *value, unsigned exts, void *params, const char **error_r);
};

/* RFC 1870 3: size-value ::= 1*20DIGIT */
static int
smtp_params_size(const char *value, unsigned exts, void *ctx, const char **error_r)
{
	struct smtp_mail_params *p = ctx;

	*error_r = "501 5.5.4 Bad SIZE value";
	if (value == NULL || strlen(value) > 20 || str_to_u64(value, &p->size) < 0)
		return -1;
	p->has_size = true;
	return 0;
}

/* RFC 6152 2: BODY=7BIT / BODY=8BITMIME; RFC 3030 3: BODY=BINARYMIME */
static int
smtp_params_body(const char *value, unsigned exts, void *ctx, const char **error_r)
{
	struct smtp_mail_params *p = ctx;

	*error_r = "501 5.5.4 Bad BODY value";
	if (value == NULL)
		return -1;
	if (str_casecmp(value, "7BIT") == 0) {
		p->body = SMTP_BODY_7BIT;
	} else if (str_casecmp(value, "8BITMIME") == 0) {
		p->body = SMTP_BODY_8BITMIME;
	} else if (str_casecmp(value, "BINARYMIME") == 0 && (exts & SMTP_EXT_BINARYMIME) != 0) {
		p->body = SMTP_BODY_BINARYMIME;
	} else {
		return -1;
	}
	return 0;
}

/* RFC 6531 3.4: the SMTPUTF8 parameter has no value */
static int
smtp_params_smtputf8(const char *value, unsigned exts, void *ctx, const char **error_r)
{
	struct smtp_mail_params *p = ctx;

	*error_r = "501 5.5.4 SMTPUTF8 takes no value";
	if (value != NULL)
		return -1;
	p->smtputf8 = true;
	return 0;
}

/* RFC 3461 4.3: ret-value = "FULL" / "HDRS" */
static int
smtp_params_ret(const char *value, unsigned exts, void *ctx, const char **error_r)
{
	struct smtp_mail_params *p = ctx;

	*error_r = "501 5.5.4 Bad RET value";
	if (value != NULL && str_casecmp(value, "FULL") == 0)
		p->ret = SMTP_RET_FULL;
	else if (value != NULL && str_casecmp(value, "HDRS") == 0)
		p->ret = SMTP_RET_HDRS;
	else
		return -1;
	return 0;
}

/* RFC 3461 4.4: envid-value = xtext, at most 100 characters */
static int
smtp_params_envid(const char *value, unsigned exts, void *ctx, const char **error_r)
{
	struct smtp_mail_params *p = ctx;

	*error_r = "501 5.5.4 Bad ENVID value";
	if (value == NULL || strlen(value) > SMTP_PARAMS_ENVID_MAX)
		return -1;
	p->envid = xtext_decode(value);
	return p->envid == NULL ? -1 : 0;
}

/* RFC 4954 5: "AUTH=" (xtext of a mailbox) / "AUTH=<>" */
static int
smtp_params_auth(const char *value, unsigned exts, void *ctx, const char **error_r)
{
	struct smtp_mail_params *p = ctx;

	*error_r = "501 5.5.4 Bad AUTH value";
	if (value == NULL || strlen(value) > SMTP_PARAMS_AUTH_MAX)
		return -1;
	p->auth = xtext_decode(value);
	if (p->auth == NULL)
		return -1;
	if (strcmp(p->auth, "<>") != 0 && !address_is_valid(p->auth)) {
		free(p->auth);
		p->auth = NULL;
		return -1;
	}
	return 0;
}

/* RFC 3461 4.1: notify-list-element = "SUCCESS" / "FAILURE" / "DELAY", or "NEVER" alone */
static int
smtp_params_notify(const char *value, unsigned exts, void *ctx, const char **error_r)
{
	struct smtp_rcpt_params *p = ctx;
	char **items, **it;
	int ret = 0;

	*error_r = "501 5.5.4 Bad NOTIFY value";
	if (value == NULL || value[0] == ',' || value[strlen(value) - 1] == ',' ||
	    strstr(value, ",,") != NULL)
		return -1;
	items = str_split(value, ',');
	for (it = items; *it != NULL && ret == 0; it++) {
		if (str_casecmp(*it, "NEVER") == 0)
			p->notify |= SMTP_NOTIFY_NEVER;
		else if (str_casecmp(*it, "SUCCESS") == 0)
			p->notify |= SMTP_NOTIFY_SUCCESS;
		else if (str_casecmp(*it, "FAILURE") == 0)
			p->notify |= SMTP_NOTIFY_FAILURE;
		else if (str_casecmp(*it, "DELAY") == 0)
			p->notify |= SMTP_NOTIFY_DELAY;
		else
			ret = -1;
	}
	str_array_free(&items);
	if ((p->notify & SMTP_NOTIFY_NEVER) != 0 && p->notify != SMTP_NOTIFY_NEVER)
		ret = -1;
	return ret;
}

/* RFC 3461 4.2: orcpt-value = addr-type ";" xtext; addr-type = atom (RFC 3461 4.2 as
 * amended by RFC 6533 for utf-8 types is not supported beyond the atom syntax) */
static int
smtp_params_orcpt(const char *value, unsigned exts, void *ctx, const char **error_r)
{
	struct smtp_rcpt_params *p = ctx;
	const char *semi;
	size_t i;

	*error_r = "501 5.5.4 Bad ORCPT value";
	if (value == NULL || strlen(value) > SMTP_PARAMS_ORCPT_MAX)
		return -1;
	semi = strchr(value, ';');
	if (semi == NULL || semi == value || semi[1] == '\0')
		return -1;
	for (i = 0; value + i < semi; i++) {
		char c = value[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return -1;
	}
	p->orcpt_addr = xtext_decode(semi + 1);
	if (p->orcpt_addr == NULL)
		return -1;
	p->orcpt_type = xstrndup(value, (size_t)(semi - value));
	return 0;
}

static const struct smtp_params_def smtp_params_mail_defs[] = {
	{"SIZE", SMTP_EXT_SIZE, smtp_params_size},
	{"BODY", SMTP_EXT_8BITMIME | SMTP_EXT_BINARYMIME, smtp_params_body},
	{"SMTPUTF8", SMTP_EXT_SMTPUTF8, smtp_params_smtputf8},
	{"RET", SMTP_EXT_DSN, smtp_params_ret},
	{"ENVID", SMTP_EXT_DSN, smtp_params_envid},
	{"AUTH", SMTP_EXT_AUTH, smtp_params_auth},
	{NULL, 0, NULL},
};

static const struct smtp_params_def smtp_params_rcpt_defs[] = {
	{"NOTIFY", SMTP_EXT_DSN, smtp_params_notify},
	{"ORCPT", SMTP_EXT_DSN, smtp_params_orcpt},
	{NULL, 0, NULL},
};

/* Runs each parameter of cmd through its table row; a keyword may appear once. */
static int
smtp_params_check(const struct smtp_cmd *cmd, const struct smtp_params_def *defs, unsigned exts,
		  void *params, const char **error_r)
{
	unsigned seen = 0;
	size_t i, d;

	for (i = 0; i < cmd->n_params; i++) {
		const struct smtp_param *param = &cmd->params[i];

		for (d = 0; defs[d].keyword != NULL; d++)
			if (strcmp(defs[d].keyword, param->keyword) == 0)
				break;
		if (defs[d].keyword == NULL || (defs[d].ext & exts) == 0) {
			*error_r = smtp_params_err_unknown;
			return -1;
		}
		if ((seen & (1u << d)) != 0) {
			*error_r = smtp_params_err_dup;
			return -1;
		}
		seen |= 1u << d;
		if (defs[d].check(param->value, exts, params, error_r) < 0)
			return -1;
	}
	return 0;
}

int
smtp_params_mail(const struct smtp_cmd *cmd, unsigned exts, struct smtp_mail_params *params_r,
		 const char **error_r)
{
	memset(params_r, 0, sizeof(*params_r));
	if (smtp_params_check(cmd, smtp_params_mail_defs, exts, params_r, error_r) < 0) {
		smtp_mail_params_clear(params_r);
		return -1;
	}
	return 0;
}

void
smtp_mail_params_clear(struct smtp_mail_params *params)
{
	free(params->envid);
	free(params->auth);
	memset(params, 0, sizeof(*params));
}

int
smtp_params_rcpt(const struct smtp_cmd *cmd, unsigned exts, struct smtp_rcpt_params *params_r,
		 const char **error_r)
{
	memset(params_r, 0, sizeof(*params_r));
	if (smtp_params_check(cmd, smtp_params_rcpt_defs, exts, params_r, error_r) < 0) {
		smtp_rcpt_params_clear(params_r);
		return -1;
	}
	return 0;
}

void
smtp_rcpt_params_clear(struct smtp_rcpt_params *params)
{
	free(params->orcpt_type);
	free(params->orcpt_addr);
	memset(params, 0, sizeof(*params));
}
