/* SMTP command line parser: splits a line into verb, argument, reverse/forward path and
 * ESMTP parameters (RFC 5321 4.1.1, 4.1.2), or BDAT size and LAST (RFC 3030 2). The verbs
 * and what each takes are in one table; the server does sequencing and policy. */
#include "mail/smtp_cmd.h"

#include <stdlib.h>
#include <string.h>

#include "mail/address.h"
#include "util/str.h"
#include "util/xmalloc.h"

enum smtp_cmd_args {
	SMTP_CMD_ARGS_NONE,
	SMTP_CMD_ARGS_OPTIONAL,
	SMTP_CMD_ARGS_REQUIRED,
	SMTP_CMD_ARGS_MAIL,
	SMTP_CMD_ARGS_RCPT,
	SMTP_CMD_ARGS_BDAT,
};

struct smtp_cmd_def {
	const char *name;
	enum smtp_verb verb;
	enum smtp_cmd_args args;
	const char *syntax; /* reply for a bad argument */
};

static const struct smtp_cmd_def smtp_cmd_defs[] = {
	{"EHLO", SMTP_VERB_EHLO, SMTP_CMD_ARGS_REQUIRED, "501 5.5.4 Syntax: EHLO hostname"},
	{"HELO", SMTP_VERB_HELO, SMTP_CMD_ARGS_REQUIRED, "501 5.5.4 Syntax: HELO hostname"},
	{"MAIL", SMTP_VERB_MAIL, SMTP_CMD_ARGS_MAIL, "501 5.5.4 Syntax: MAIL FROM:<address>"},
	{"RCPT", SMTP_VERB_RCPT, SMTP_CMD_ARGS_RCPT, "501 5.5.4 Syntax: RCPT TO:<address>"},
	{"DATA", SMTP_VERB_DATA, SMTP_CMD_ARGS_NONE, "501 5.5.4 Syntax: DATA"},
	{"BDAT", SMTP_VERB_BDAT, SMTP_CMD_ARGS_BDAT, "501 5.5.4 Syntax: BDAT size [LAST]"},
	{"RSET", SMTP_VERB_RSET, SMTP_CMD_ARGS_NONE, "501 5.5.4 Syntax: RSET"},
	{"NOOP", SMTP_VERB_NOOP, SMTP_CMD_ARGS_OPTIONAL, NULL},
	{"QUIT", SMTP_VERB_QUIT, SMTP_CMD_ARGS_NONE, "501 5.5.4 Syntax: QUIT"},
	{"VRFY", SMTP_VERB_VRFY, SMTP_CMD_ARGS_REQUIRED, "501 5.5.4 Syntax: VRFY address"},
	{"EXPN", SMTP_VERB_EXPN, SMTP_CMD_ARGS_REQUIRED, "501 5.5.4 Syntax: EXPN list"},
	{"HELP", SMTP_VERB_HELP, SMTP_CMD_ARGS_OPTIONAL, NULL},
	{"STARTTLS", SMTP_VERB_STARTTLS, SMTP_CMD_ARGS_NONE, "501 5.5.4 Syntax: STARTTLS"},
	{"AUTH", SMTP_VERB_AUTH, SMTP_CMD_ARGS_REQUIRED,
	 "501 5.5.4 Syntax: AUTH mechanism [initial-response]"},
	{"BURL", SMTP_VERB_BURL, SMTP_CMD_ARGS_REQUIRED, "501 5.5.4 Syntax: BURL imap-url [LAST]"},
};

#define SMTP_CMD_N_DEFS (sizeof(smtp_cmd_defs) / sizeof(smtp_cmd_defs[0]))

static const struct smtp_cmd_def *
smtp_cmd_lookup(const char *verb, size_t len)
{
	size_t i;

	for (i = 0; i < SMTP_CMD_N_DEFS; i++) {
		if (strlen(smtp_cmd_defs[i].name) == len &&
		    str_ncasecmp(verb, smtp_cmd_defs[i].name, len) == 0)
			return &smtp_cmd_defs[i];
	}
	return NULL;
}

const char *
smtp_verb_name(enum smtp_verb verb)
{
	size_t i;

	for (i = 0; i < SMTP_CMD_N_DEFS; i++)
		if (smtp_cmd_defs[i].verb == verb)
			return smtp_cmd_defs[i].name;
	return "UNKNOWN";
}

/* Finds the '>' closing the path that starts at p ('<'), skipping RFC 5321 Quoted-strings
 * (a '>' or '<' may be quoted). NULL if there is none or an unquoted '<' comes first. */
static const char *
smtp_cmd_path_end(const char *p)
{
	bool quoted = false;

	for (p++; *p != '\0'; p++) {
		if (quoted && *p == '\\') {
			if (*++p == '\0')
				return NULL;
		} else if (*p == '"') {
			quoted = !quoted;
		} else if (!quoted && *p == '>') {
			return p;
		} else if (!quoted && *p == '<') {
			return NULL;
		}
	}
	return NULL;
}

/* RFC 5321 4.1.2 A-d-l = At-domain *( "," At-domain ) ":"; At-domain = "@" Domain.
 * Source routes are obsolete and ignored (RFC 5321 3.3, C); returns what follows, or NULL. */
static const char *
smtp_cmd_skip_route(const char *p)
{
	for (;;) {
		const char *end;
		char *domain;
		bool valid;

		if (*p++ != '@')
			return NULL;
		if (*p == '[') {
			end = strchr(p, ']');
			if (end == NULL)
				return NULL;
			end++;
		} else {
			end = p + strcspn(p, ",:");
		}
		domain = xstrndup(p, (size_t)(end - p));
		valid = address_domain_is_valid(domain);
		free(domain);
		if (!valid)
			return NULL;
		if (*end == ':')
			return end + 1;
		if (*end != ',')
			return NULL;
		p = end + 1;
	}
}

/* Checks the text between <> (or the bare path) and sets cmd->path. */
static int
smtp_cmd_set_path(struct smtp_cmd *cmd, const char *inner, bool rcpt, bool bracketed)
{
	const char *mailbox = inner;

	if (!rcpt && bracketed && inner[0] == '\0') {
		/* RFC 5321 4.5.5: the null reverse-path */
		cmd->path = xstrdup("");
		return 0;
	}
	if (inner[0] == '@' && bracketed) {
		mailbox = smtp_cmd_skip_route(inner);
		if (mailbox == NULL)
			return -1;
	}
	/* RFC 5321 4.1.1.3: "Postmaster" without a domain must be accepted as a recipient */
	if (rcpt && str_casecmp(mailbox, "postmaster") == 0) {
		cmd->path = xstrdup(mailbox);
		return 0;
	}
	if (!address_is_valid(mailbox))
		return -1;
	cmd->path = xstrdup(mailbox);
	return 0;
}

/* RFC 5321 4.1.2 esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
static bool
smtp_cmd_keyword_is_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || s[0] == '-')
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
	}
	return true;
}

/* RFC 5321 4.1.2 esmtp-value = 1*(%d33-60 / %d62-126), RFC 6531 3.3: or UTF-8 octets */
static bool
smtp_cmd_value_is_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 33 || c == '=' || c == 127)
			return false;
	}
	return true;
}

/* RFC 5321 4.1.2 Mail-parameters = esmtp-param *(SP esmtp-param); esmtp-param =
 * esmtp-keyword ["=" esmtp-value]. Several spaces between parameters are tolerated. */
static int
smtp_cmd_parse_params(struct smtp_cmd *cmd, const char *p)
{
	size_t cap = 0;

	for (;;) {
		const char *end, *eq;
		size_t klen;
		struct smtp_param *param;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			return 0;
		end = p + strcspn(p, " ");
		eq = memchr(p, '=', (size_t)(end - p));
		klen = (size_t)((eq != NULL ? eq : end) - p);
		if (!smtp_cmd_keyword_is_valid(p, klen) ||
		    (eq != NULL && !smtp_cmd_value_is_valid(eq + 1, (size_t)(end - eq - 1))))
			return -1;
		cmd->params = xgrow(cmd->params, &cap, cmd->n_params + 1, sizeof(*cmd->params));
		param = &cmd->params[cmd->n_params++];
		param->keyword = xstrndup(p, klen);
		str_upper(param->keyword);
		param->value = eq == NULL ? NULL : xstrndup(eq + 1, (size_t)(end - eq - 1));
		p = end;
	}
}

/* RFC 5321 4.1.1.2 "MAIL FROM:" Reverse-path [SP Mail-parameters] and 4.1.1.3 "RCPT TO:"
 * ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path ) [SP Rcpt-parameters] */
static int
smtp_cmd_parse_mail_rcpt(struct smtp_cmd *cmd, const char *rest, bool rcpt, const char **error_r)
{
	const char *kw = rcpt ? "TO:" : "FROM:";
	const char *p, *end;
	char *inner;
	bool bracketed;
	int ret;

	if (!str_casepfx(rest, kw))
		return -1;
	for (p = rest + strlen(kw); *p == ' '; p++)
		;
	bracketed = *p == '<';
	if (bracketed) {
		end = smtp_cmd_path_end(p);
		if (end == NULL)
			return -1;
		inner = xstrndup(p + 1, (size_t)(end - p - 1));
		p = end + 1;
	} else {
		end = p + strcspn(p, " ");
		/* Without <> only a plain mailbox, nothing that could be half a path */
		if (end == p || memchr(p, '<', (size_t)(end - p)) != NULL ||
		    memchr(p, '>', (size_t)(end - p)) != NULL)
			return -1;
		inner = xstrndup(p, (size_t)(end - p));
		p = end;
	}
	if (*p != '\0' && *p != ' ') {
		free(inner);
		return -1;
	}
	ret = smtp_cmd_set_path(cmd, inner, rcpt, bracketed);
	free(inner);
	if (ret < 0) {
		*error_r = rcpt ? "501 5.1.3 Bad recipient address syntax"
				: "501 5.1.7 Bad sender address syntax";
		return -1;
	}
	if (smtp_cmd_parse_params(cmd, p) < 0) {
		*error_r = "501 5.5.4 Syntax error in parameters";
		return -1;
	}
	return 0;
}

/* RFC 3030 2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ]; chunk-size = 1*DIGIT;
 * end-marker = "LAST" */
static int
smtp_cmd_parse_bdat(struct smtp_cmd *cmd, const char *rest)
{
	size_t n = strcspn(rest, " ");
	char *size = xstrndup(rest, n);
	int ret = str_to_u64(size, &cmd->bdat_size);

	free(size);
	if (ret < 0)
		return -1;
	for (rest += n; *rest == ' '; rest++)
		;
	if (*rest == '\0')
		return 0;
	if (str_casecmp(rest, "LAST") != 0)
		return -1;
	cmd->bdat_last = true;
	return 0;
}

static int
smtp_cmd_parse_args(struct smtp_cmd *cmd, const struct smtp_cmd_def *def, const char *rest,
		    const char **error_r)
{
	*error_r = def->syntax;
	switch (def->args) {
	case SMTP_CMD_ARGS_NONE:
		return *rest == '\0' ? 0 : -1;
	case SMTP_CMD_ARGS_OPTIONAL:
		cmd->arg = *rest == '\0' ? NULL : xstrdup(rest);
		return 0;
	case SMTP_CMD_ARGS_REQUIRED:
		if (*rest == '\0')
			return -1;
		cmd->arg = xstrdup(rest);
		return 0;
	case SMTP_CMD_ARGS_MAIL:
		return smtp_cmd_parse_mail_rcpt(cmd, rest, false, error_r);
	case SMTP_CMD_ARGS_RCPT:
		return smtp_cmd_parse_mail_rcpt(cmd, rest, true, error_r);
	case SMTP_CMD_ARGS_BDAT:
		return smtp_cmd_parse_bdat(cmd, rest);
	}
	return -1;
}

int
smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *cmd_r, const char **error_r)
{
	const struct smtp_cmd_def *def;
	char *copy;
	const char *rest;
	size_t vlen;
	int ret = 0;

	memset(cmd_r, 0, sizeof(*cmd_r));
	/* A NUL could hide the rest of the line from C string code; CR and LF are line ends */
	if (memchr(line, '\0', len) != NULL || memchr(line, '\r', len) != NULL ||
	    memchr(line, '\n', len) != NULL) {
		*error_r = "500 5.5.2 Syntax error: invalid character in command";
		return -1;
	}
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	copy = xstrndup(line, len);
	vlen = strcspn(copy, " ");
	for (rest = copy + vlen; *rest == ' '; rest++)
		;
	def = smtp_cmd_lookup(copy, vlen);
	if (def == NULL) {
		cmd_r->verb = SMTP_VERB_UNKNOWN;
		cmd_r->arg = *rest == '\0' ? NULL : xstrdup(rest);
	} else {
		cmd_r->verb = def->verb;
		ret = smtp_cmd_parse_args(cmd_r, def, rest, error_r);
		if (ret < 0) {
			smtp_cmd_clear(cmd_r);
			cmd_r->verb = def->verb;
		}
	}
	free(copy);
	return ret;
}

void
smtp_cmd_clear(struct smtp_cmd *cmd)
{
	size_t i;

	for (i = 0; i < cmd->n_params; i++) {
		free(cmd->params[i].keyword);
		free(cmd->params[i].value);
	}
	free(cmd->params);
	free(cmd->arg);
	free(cmd->path);
	memset(cmd, 0, sizeof(*cmd));
}

const char *
smtp_cmd_param(const struct smtp_cmd *cmd, const char *keyword)
{
	size_t i;

	for (i = 0; i < cmd->n_params; i++) {
		if (str_casecmp(cmd->params[i].keyword, keyword) == 0)
			return cmd->params[i].value != NULL ? cmd->params[i].value : "";
	}
	return NULL;
}
