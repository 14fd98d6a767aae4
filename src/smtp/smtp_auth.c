/* SMTP AUTH PLAIN/LOGIN with the password check on a worker thread and a growing delay
 * per client address after failures (see smtp_auth.h). */
#include "smtp/smtp_auth.h"

#include <stdlib.h>
#include <string.h>

#include "auth/accounts.h"
#include "auth/auth_login.h"
#include "auth/sasl.h"
#include "conf/settings.h"
#include "log/log.h"
#include "mail/smtp_cmd.h"
#include "net/conn.h"
#include "smtp/smtp_session.h"
#include "util/str.h"
#include "util/xmalloc.h"

bool
smtp_auth_offered(const struct smtp_session *s)
{
	/* RFC 4954 4 and Postfix's smtpd_tls_auth_only: never a password in clear */
	return s->kind != SMTP_LISTENER_SMTP && s->base.conn != NULL && conn_is_tls(s->base.conn);
}

bool
smtp_auth_mail_allowed(struct smtp_session *s)
{
	if (s->kind == SMTP_LISTENER_SMTP || s->auth_user != NULL)
		return true;
	smtp_reply_error(s, "530 5.7.0 Authentication required");
	return false;
}

bool
smtp_auth_sender_allowed(struct smtp_session *s, const char *sender)
{
	struct accounts *accounts = smtp_server_deps(s->server)->accounts;

	if (s->auth_user == NULL || *sender == '\0' ||
	    accounts_owns_address(accounts, s->auth_user, sender))
		return true;
	log_info("smtp: %s: reject: MAIL from [%s]: sender <%s> not owned by user %s", s->base.id,
		 s->base.ip, sender, s->auth_user);
	smtp_reply_error(s, "553 5.7.1 <%s>: Sender address rejected: not owned by user %s", sender,
			 s->auth_user);
	return false;
}

static void
smtp_auth_done(void *ctx, int result, const char *user)
{
	struct smtp_session *s = ctx;

	if (!smtp_session_async_done(s))
		return;
	smtp_session_enter_state(s, SMTP_STATE_READY);
	if (result == 1) {
		s->auth_user = xstrdup(user);
		log_info("smtp: %s: client=[%s] sasl_method=%s sasl_username=%s", s->base.id,
			 s->base.ip, s->auth_mech, s->auth_user);
		smtp_reply(s, "235 2.7.0 Authentication successful");
	} else if (result == 0) {
		log_info("smtp: %s: client=[%s] authentication failed sasl_method=%s "
			 "sasl_username=%s",
			 s->base.id, s->base.ip, s->auth_mech, user);
		smtp_reply_error(s, "535 5.7.8 Error: authentication failed");
	} else {
		smtp_reply_error(s, "454 4.7.0 Temporary authentication failure");
	}
	if (result != 1) { /* kept after success: the milters' {auth_type} */
		free(s->auth_mech);
		s->auth_mech = NULL;
	}
	smtp_session_async_reply_done(s);
}

/* Takes ownership of user and password. */
static void
smtp_auth_check(struct smtp_session *s, char *user, char *password)
{
	const struct smtp_server_deps *deps = smtp_server_deps(s->server);
	struct auth_login_deps login = {deps->base, deps->accounts, deps->workers, deps->penalty};

	smtp_session_async_begin(s);
	auth_login_check(&login, conn_peer(s->base.conn), user, password, smtp_auth_done, s);
}

static void
smtp_auth_plain(struct smtp_session *s, const char *response)
{
	char *user, *password;
	const char *error;

	if (sasl_plain_decode(response, &user, &password, &error) < 0) {
		smtp_session_enter_state(s, SMTP_STATE_READY);
		smtp_reply_error(s, "501 5.5.2 %s", error);
		return;
	}
	smtp_auth_check(s, user, password);
}

void
smtp_auth_command(struct smtp_session *s, struct smtp_cmd *cmd)
{
	char *mech, *initial;

	if (s->kind == SMTP_LISTENER_SMTP || !s->esmtp) {
		smtp_reply_error(s, "503 5.5.1 Error: authentication not enabled");
		return;
	}
	if (!conn_is_tls(s->base.conn)) {
		smtp_reply_error(s, "538 5.7.11 Encryption required for requested authentication "
				    "mechanism");
		return;
	}
	if (s->auth_user != NULL) {
		smtp_reply_error(s, "503 5.5.1 Error: already authenticated");
		return;
	}
	if (cmd->arg == NULL || *cmd->arg == '\0') {
		smtp_reply_error(s, "501 5.5.4 Syntax: AUTH mechanism");
		return;
	}
	mech = xstrdup(cmd->arg);
	initial = strchr(mech, ' ');
	if (initial != NULL)
		*initial++ = '\0';
	str_upper(mech);
	free(s->auth_mech);
	s->auth_mech = mech;
	if (strcmp(mech, "PLAIN") == 0) {
		if (initial != NULL) {
			smtp_auth_plain(s, initial);
			return;
		}
		smtp_session_enter_state(s, SMTP_STATE_AUTH);
		smtp_reply(s, "334 ");
	} else if (strcmp(mech, "LOGIN") == 0) {
		free(s->auth_login_user);
		s->auth_login_user = NULL;
		smtp_session_enter_state(s, SMTP_STATE_AUTH);
		if (initial != NULL) {
			smtp_auth_continue(s, initial);
			return;
		}
		smtp_reply(s, "334 " SASL_LOGIN_CHALLENGE_USER);
	} else {
		free(s->auth_mech);
		s->auth_mech = NULL;
		smtp_reply_error(s, "504 5.5.4 Unrecognized authentication type");
	}
}

void
smtp_auth_continue(struct smtp_session *s, const char *line)
{
	const char *error;
	char *value;

	if (sasl_is_cancel(line)) {
		smtp_session_enter_state(s, SMTP_STATE_READY);
		smtp_reply_error(s, "501 5.7.0 Authentication aborted");
		return;
	}
	if (strcmp(s->auth_mech, "PLAIN") == 0) {
		smtp_auth_plain(s, line);
		return;
	}
	if (sasl_login_decode(line, &value, &error) < 0) {
		smtp_session_enter_state(s, SMTP_STATE_READY);
		smtp_reply_error(s, "501 5.5.2 %s", error);
		return;
	}
	if (s->auth_login_user == NULL) {
		s->auth_login_user = value;
		smtp_reply(s, "334 " SASL_LOGIN_CHALLENGE_PASS);
		return;
	}
	smtp_auth_check(s, s->auth_login_user, value);
	s->auth_login_user = NULL;
}
