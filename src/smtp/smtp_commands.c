/* SMTP commands (RFC 5321 4.1): parse, check sequence and syntax, apply policy, proceed.
 * Dispatch is a table of {verb, states, handler}; message reception is in smtp_message.c and
 * AUTH in smtp_auth.c. */
#include <stdlib.h>
#include <string.h>

#include "auth/accounts.h"
#include "conf/settings.h"
#include "log/log.h"
#include "mail/address.h"
#include "mail/smtp_cmd.h"
#include "net/conn.h"
#include "smtp/smtp_auth.h"
#include "smtp/smtp_guard.h"
#include "smtp/smtp_milter.h"
#include "smtp/smtp_session.h"
#include "smtp/smtp_stage.h"
#include "util/rand.h"
#include "util/str.h"
#include "util/xmalloc.h"

typedef void smtp_cmd_handler(struct smtp_session *s, struct smtp_cmd *cmd);

static const struct settings *
settings_of(const struct smtp_session *s)
{
	return smtp_server_deps(s->server)->settings;
}

static bool
smtp_tls_offered(const struct smtp_session *s)
{
	return smtp_server_tls(s->server) != NULL && !conn_is_tls(s->base.conn);
}

static void smtp_ehlo_accepted(struct smtp_session *s);

/* RFC 5321 4.1.1.1 */
static void
cmd_ehlo(struct smtp_session *s, struct smtp_cmd *cmd)
{
	if (cmd->arg == NULL || *cmd->arg == '\0') {
		smtp_reply_error(s, "501 5.5.4 Syntax: %s hostname",
				 cmd->verb == SMTP_VERB_EHLO ? "EHLO" : "HELO");
		return;
	}
	free(s->helo);
	s->helo = xstrdup(cmd->arg);
	s->esmtp = cmd->verb == SMTP_VERB_EHLO;
	/* EHLO/HELO in a transaction resets it: RFC 5321 4.1.4 */
	smtp_session_reset_transaction(s);
	if (!smtp_milter_helo(s, smtp_ehlo_accepted)) /* else: when the milters agree */
		smtp_ehlo_accepted(s);
}

/* The reply to an accepted EHLO/HELO. */
static void
smtp_ehlo_accepted(struct smtp_session *s)
{
	const struct settings *set = settings_of(s);

	smtp_session_enter_state(s, SMTP_STATE_READY);
	if (!s->esmtp) {
		smtp_reply(s, "250 %s", set->myhostname);
		return;
	}
	smtp_reply(s, "250-%s", set->myhostname);
	smtp_reply(s, "250-PIPELINING");
	smtp_reply(s, "250-SIZE %llu", set->message_size_limit);
	smtp_reply(s, "250-ENHANCEDSTATUSCODES");
	smtp_reply(s, "250-8BITMIME");
	smtp_reply(s, "250-SMTPUTF8");
	smtp_reply(s, "250-CHUNKING");
	if (smtp_auth_offered(s))
		smtp_reply(s, "250-AUTH PLAIN LOGIN");
	if (s->auth_user != NULL || smtp_auth_offered(s)) /* RFC 4468 3 */
		smtp_reply(s, "250-BURL%s", s->auth_user != NULL ? " imap" : "");
	if (smtp_tls_offered(s))
		smtp_reply(s, "250-STARTTLS");
	smtp_reply(s, "250 HELP");
}

static unsigned
smtp_advertised_exts(const struct smtp_session *s)
{
	unsigned exts = SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | SMTP_EXT_SMTPUTF8;

	if (smtp_auth_offered(s))
		exts |= SMTP_EXT_AUTH;
	return s->esmtp ? exts : 0;
}

static void smtp_mail_accepted(struct smtp_session *s);

/* RFC 5321 4.1.1.2 */
static void
cmd_mail(struct smtp_session *s, struct smtp_cmd *cmd)
{
	const struct settings *set = settings_of(s);
	const char *error;

	if (!smtp_auth_mail_allowed(s))
		return;
	smtp_session_reset_transaction(s);
	if (smtp_params_mail(cmd, smtp_advertised_exts(s), &s->mail_params, &error) < 0) {
		smtp_reply_error(s, "%s", error);
		return;
	}
	if (s->mail_params.has_size && s->mail_params.size > set->message_size_limit) {
		smtp_reply_error(s, "552 5.3.4 Message size exceeds fixed limit");
		return;
	}
	if (!s->mail_params.smtputf8 && !str_is_ascii(cmd->path)) {
		smtp_reply_error(s, "553 5.6.7 Sender address needs SMTPUTF8"); /* RFC 6531 3.5 */
		return;
	}
	if (*cmd->path != '\0' && !address_is_valid(cmd->path)) {
		smtp_reply_error(s, "501 5.1.7 Bad sender address syntax");
		return;
	}
	if (!smtp_auth_sender_allowed(s, cmd->path) || !smtp_guard_mail(s))
		return;
	s->mail_from = xstrdup(cmd->path);
	rand_queue_id(s->qid);
	if (!smtp_milter_mail(s, smtp_mail_accepted)) /* else: when the milters agree */
		smtp_mail_accepted(s);
}

/* The reply to an accepted MAIL. */
static void
smtp_mail_accepted(struct smtp_session *s)
{
	smtp_session_enter_state(s, SMTP_STATE_MAIL);
	smtp_stage_mail(s);
	smtp_reply(s, "250 2.1.0 Ok");
}

/* false: the guards refused it (replied; local and remote are freed). */
static bool
smtp_add_rcpt(struct smtp_session *s, const char *address, char **local, char **remote)
{
	struct smtp_rcpt *r;

	if (!smtp_guard_rcpt(s, address)) {
		str_array_free(&local);
		str_array_free(&remote);
		return false;
	}
	s->rcpts = xgrow(s->rcpts, &s->rcpts_cap, s->n_rcpts + 1, sizeof(*s->rcpts));
	r = &s->rcpts[s->n_rcpts++];
	r->address = xstrdup(address);
	r->local = local;
	r->remote = remote;
	return true;
}

/* RFC 5321 4.1.1.3; relay policy: local domains for everyone, other domains only for
 * mynetworks and authenticated clients (no open relay). */
static void
cmd_rcpt(struct smtp_session *s, struct smtp_cmd *cmd)
{
	const struct settings *set = settings_of(s);
	struct accounts *accounts = smtp_server_deps(s->server)->accounts;
	struct smtp_rcpt_params params;
	char **local = NULL, **remote = NULL;
	const char *error, *domain;
	char *path;
	int ret;

	s->rcpt_attempted = true;
	if (smtp_params_rcpt(cmd, smtp_advertised_exts(s), &params, &error) < 0) {
		smtp_reply_error(s, "%s", error);
		return;
	}
	smtp_rcpt_params_clear(&params);
	if (s->n_rcpts >= set->smtp_max_recipients) {
		/* RFC 5321 4.5.3.1.10: the client sends the rest later; not a client error */
		smtp_reply(s, "452 4.5.3 Error: too many recipients");
		return;
	}
	if (!s->mail_params.smtputf8 && !str_is_ascii(cmd->path)) {
		smtp_reply_error(s, "553 5.6.7 Recipient address needs SMTPUTF8");
		return;
	}
	/* RFC 5321 4.5.1: "postmaster" without a domain must be accepted */
	if (strchr(cmd->path, '@') == NULL && str_casecmp(cmd->path, "postmaster") == 0)
		path = xasprintf("postmaster@%s", set->mydomains && set->mydomains[0]
							  ? set->mydomains[0]
							  : set->myhostname);
	else
		path = xstrdup(cmd->path);
	domain = strrchr(path, '@');
	if (domain == NULL || !address_is_valid(path)) {
		smtp_reply_error(s, "501 5.1.3 Bad recipient address syntax");
		free(path);
		return;
	}
	domain++;
	if (!accounts_is_local_domain(accounts, domain)) {
		if (!smtp_session_is_trusted(s)) {
			log_info("smtp: %s: reject: RCPT from [%s]: relay denied to=<%s>",
				 s->base.id, s->base.ip, path);
			smtp_reply_error(s, "554 5.7.1 <%s>: Relay access denied", path);
			free(path);
			return;
		}
		if (smtp_server_deps(s->server)->queue == NULL) {
			smtp_reply_error(s, "451 4.3.2 <%s>: outbound delivery is not enabled",
					 path);
			free(path);
			return;
		}
		remote = xcalloc(2, sizeof(*remote));
		remote[0] = xstrdup(path);
		local = xcalloc(1, sizeof(*local));
		if (!smtp_add_rcpt(s, path, local, remote)) {
			free(path);
			return;
		}
	} else {
		ret = accounts_resolve(accounts, path, &local, &remote);
		if (ret == 0) {
			log_info("smtp: %s: reject: RCPT from [%s]: unknown user to=<%s>",
				 s->base.id, s->base.ip, path);
			smtp_reply_error(s,
					 "550 5.1.1 <%s>: Recipient address rejected: User "
					 "unknown in local recipient table",
					 path);
			free(path);
			return;
		}
		if (ret < 0) {
			smtp_reply_error(s, "451 4.3.0 <%s>: Temporary lookup failure", path);
			free(path);
			return;
		}
		if (remote[0] != NULL && smtp_server_deps(s->server)->queue == NULL) {
			str_array_free(&local);
			str_array_free(&remote);
			smtp_reply_error(s, "451 4.3.2 <%s>: outbound delivery is not enabled",
					 path);
			free(path);
			return;
		}
		if (!smtp_add_rcpt(s, path, local, remote)) {
			free(path);
			return;
		}
	}
	free(path);
	smtp_stage_rcpt(s); /* the stages' verdict, then 250 */
}

static void
cmd_data(struct smtp_session *s, struct smtp_cmd *cmd)
{
	(void)cmd;
	if (s->bdat_started) {
		smtp_reply_error(s, "503 5.5.1 Error: DATA after BDAT");
		return;
	}
	smtp_message_start_data(s);
}

static void
cmd_bdat(struct smtp_session *s, struct smtp_cmd *cmd)
{
	smtp_message_start_bdat(s, cmd->bdat_size, cmd->bdat_last);
}

static void
cmd_rset(struct smtp_session *s, struct smtp_cmd *cmd)
{
	(void)cmd;
	smtp_session_reset_transaction(s);
	if (s->base.state != SMTP_STATE_CONNECTED)
		smtp_session_enter_state(s, SMTP_STATE_READY);
	smtp_reply(s, "250 2.0.0 Ok");
}

static void
cmd_noop(struct smtp_session *s, struct smtp_cmd *cmd)
{
	(void)cmd;
	smtp_reply(s, "250 2.0.0 Ok");
}

static void
cmd_quit(struct smtp_session *s, struct smtp_cmd *cmd)
{
	(void)cmd;
	smtp_reply(s, "221 2.0.0 Bye");
	smtp_session_close(s);
}

/* RFC 5321 3.5.3: 252 without saying whether the user exists (no address harvesting). */
static void
cmd_vrfy(struct smtp_session *s, struct smtp_cmd *cmd)
{
	if (cmd->arg == NULL || *cmd->arg == '\0') {
		smtp_reply_error(s, "501 5.5.4 Syntax: VRFY address");
		return;
	}
	smtp_reply(s, "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery");
}

static void
cmd_expn(struct smtp_session *s, struct smtp_cmd *cmd)
{
	(void)cmd;
	smtp_reply_error(s, "502 5.5.1 Error: EXPN is disabled");
}

static void
cmd_help(struct smtp_session *s, struct smtp_cmd *cmd)
{
	(void)cmd;
	smtp_reply(s,
		   "214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP%s%s",
		   smtp_tls_offered(s) ? " STARTTLS" : "", smtp_auth_offered(s) ? " AUTH" : "");
	smtp_reply(s, "214 2.0.0 See RFC 5321");
}

/* RFC 3207 */
static void
cmd_starttls(struct smtp_session *s, struct smtp_cmd *cmd)
{
	(void)cmd;
	if (conn_is_tls(s->base.conn)) {
		smtp_reply_error(s, "503 5.5.1 Error: TLS already active");
		return;
	}
	if (smtp_server_tls(s->server) == NULL) {
		smtp_reply_error(s, "502 5.5.1 Error: STARTTLS not available");
		return;
	}
	smtp_reply(s, "220 2.0.0 Ready to start TLS");
	if (conn_starttls(s->base.conn, smtp_server_tls(s->server), false) < 0) {
		log_warn("smtp: %s: client=[%s] STARTTLS setup failed", s->base.id, s->base.ip);
		smtp_session_close(s);
		return;
	}
	/* RFC 3207 4.2: forget everything learnt before the handshake */
	smtp_session_reset_transaction(s);
	free(s->helo);
	s->helo = NULL;
	s->esmtp = false;
	smtp_session_enter_state(s, SMTP_STATE_CONNECTED);
}

/* The states a command is valid in (RFC 5321 4.1.4 sequencing), checked in one place.
 * BDAT is valid anywhere: its chunk follows in any case and must be read before the
 * error is given (smtp_message_start_bdat, RFC 3030 2). */
enum smtp_when {
	SMTP_WHEN_CONNECTED = 1 << SMTP_STATE_CONNECTED,
	SMTP_WHEN_READY = 1 << SMTP_STATE_READY,
	SMTP_WHEN_MAIL = 1 << SMTP_STATE_MAIL,
	SMTP_WHEN_RCPT = 1 << SMTP_STATE_RCPT,
	SMTP_WHEN_ANY = SMTP_WHEN_CONNECTED | SMTP_WHEN_READY | SMTP_WHEN_MAIL | SMTP_WHEN_RCPT,
	SMTP_WHEN_NO_MAIL = SMTP_WHEN_CONNECTED | SMTP_WHEN_READY,
};

static const struct smtp_command_def {
	enum smtp_verb verb;
	unsigned when;           /* enum smtp_when bits */
	const char *before_ehlo; /* reply out of sequence before EHLO (NULL: seq) */
	const char *seq;         /* reply out of sequence (RFC 5321 4.1.4: 503) */
	smtp_cmd_handler *handler;
} smtp_commands[] = {
	{SMTP_VERB_EHLO, SMTP_WHEN_ANY, NULL, NULL, cmd_ehlo},
	{SMTP_VERB_HELO, SMTP_WHEN_ANY, NULL, NULL, cmd_ehlo},
	{SMTP_VERB_MAIL, SMTP_WHEN_READY, "503 5.5.1 Error: send HELO/EHLO first",
	 "503 5.5.1 Error: nested MAIL command", cmd_mail},
	{SMTP_VERB_RCPT, SMTP_WHEN_MAIL | SMTP_WHEN_RCPT, NULL,
	 "503 5.5.1 Error: need MAIL command", cmd_rcpt},
	{SMTP_VERB_DATA, SMTP_WHEN_RCPT, NULL, "503 5.5.1 Error: need RCPT command", cmd_data},
	{SMTP_VERB_BDAT, SMTP_WHEN_ANY, NULL, NULL, cmd_bdat},
	{SMTP_VERB_BURL, SMTP_WHEN_ANY, NULL, NULL, smtp_burl_command},
	{SMTP_VERB_RSET, SMTP_WHEN_ANY, NULL, NULL, cmd_rset},
	{SMTP_VERB_NOOP, SMTP_WHEN_ANY, NULL, NULL, cmd_noop},
	{SMTP_VERB_QUIT, SMTP_WHEN_ANY, NULL, NULL, cmd_quit},
	{SMTP_VERB_VRFY, SMTP_WHEN_ANY, NULL, NULL, cmd_vrfy},
	{SMTP_VERB_EXPN, SMTP_WHEN_ANY, NULL, NULL, cmd_expn},
	{SMTP_VERB_HELP, SMTP_WHEN_ANY, NULL, NULL, cmd_help},
	{SMTP_VERB_STARTTLS, SMTP_WHEN_NO_MAIL, NULL,
	 "503 5.5.1 Error: STARTTLS inside a transaction", cmd_starttls},
	{SMTP_VERB_AUTH, SMTP_WHEN_READY, "503 5.5.1 Error: authentication not enabled",
	 "503 5.5.1 Error: MAIL transaction in progress", smtp_auth_command},
};

/* The reply for a command given in a state it is not valid in. */
static const char *
smtp_sequence_error(const struct smtp_session *s, const struct smtp_command_def *def)
{
	/* RFC 5321 3.3: DATA after MAIL whose every RCPT failed: "no valid recipients" */
	if (def->verb == SMTP_VERB_DATA && s->base.state == SMTP_STATE_MAIL && s->rcpt_attempted)
		return "554 5.5.1 Error: no valid recipients";
	if (s->base.state == SMTP_STATE_CONNECTED && def->before_ehlo != NULL)
		return def->before_ehlo;
	return def->seq;
}

void
smtp_session_command(struct smtp_session *s, const char *line, size_t len)
{
	struct smtp_cmd cmd;
	const char *error;
	size_t i;

	if (s->base.state == SMTP_STATE_AUTH) {
		smtp_auth_continue(s, line);
		return;
	}
	if (smtp_cmd_parse(line, len, &cmd, &error) < 0) {
		smtp_reply_error(s, "%s", error);
		return;
	}
	log_debug("smtp: %s: < %s", s->base.id, cmd.verb == SMTP_VERB_AUTH ? "AUTH ..." : line);
	/* a milter refused the connection: RFC 5321 3.1, 503 to all but QUIT */
	if (cmd.verb != SMTP_VERB_QUIT && smtp_milter_refused(s)) {
		smtp_cmd_clear(&cmd);
		return;
	}
	for (i = 0; i < sizeof(smtp_commands) / sizeof(smtp_commands[0]); i++) {
		const struct smtp_command_def *def = &smtp_commands[i];

		if (def->verb != cmd.verb)
			continue;
		if ((def->when & (1u << s->base.state)) == 0)
			smtp_reply_error(s, "%s", smtp_sequence_error(s, def));
		else
			def->handler(s, &cmd);
		smtp_cmd_clear(&cmd);
		return;
	}
	smtp_cmd_clear(&cmd);
	/* the milters' SMFIC_UNKNOWN: their refusal, if any, is the reply */
	if (!smtp_milter_unknown(s, line))
		smtp_reply_error(s, "500 5.5.2 Error: command not recognized");
}
