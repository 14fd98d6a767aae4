/* IMAP logins: LOGIN (RFC 3501 6.2.3) and AUTHENTICATE PLAIN with SASL-IR (RFC 4959,
 * RFC 4616), through the shared login flow of auth/auth_login.h (worker thread, growing
 * delay per client address after a failure). */
#include <stdlib.h>
#include <string.h>

#include "auth/auth_login.h"
#include "auth/sasl.h"
#include "imap/imap_session.h"
#include "log/log.h"
#include "net/conn.h"
#include "store/store.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* What the login callback needs: the session (kept alive by async_begin) and the tag. */
struct imap_auth_job {
	struct imap_session *session;
	char *tag;
	char *user; /* while its account is created */
};

/* A user who has no mailboxes yet logs in: they were created on a store thread. */
static void
imap_auth_created(void *ctx, int result, const char *error)
{
	struct imap_auth_job *job = ctx;
	struct imap_session *s = job->session;

	if (imap_session_async_done(s)) {
		if (result < 0)
			log_error("imap: %s: user=%s cannot create the mailboxes: %s", s->base.id,
				  job->user, error);
		imap_session_login(s, job->tag, job->user);
		imap_session_resume(s);
	}
	free(job->user);
	free(job->tag);
	free(job);
}

static void
imap_auth_done(void *ctx, int result, const char *user)
{
	struct imap_auth_job *job = ctx;
	struct imap_session *s = job->session;
	const struct imap_server_deps *deps = imap_server_deps(s->server);

	if (!imap_session_async_done(s)) {
		free(job->tag);
		free(job);
		return;
	}
	if (result == 1 && !store_account_exists(deps->store, user)) {
		/* user is the canonical account name here (auth_login.h); the creation
		 * fsyncs, so it runs on a store thread */
		job->user = xstrdup(user);
		imap_session_async_begin(s);
		store_account_create_async(deps->store, user, imap_auth_created, job);
		return;
	}
	if (result == 1) {
		imap_session_login(s, job->tag, user);
	} else if (result == 0) {
		log_info("imap: %s: client=[%s] authentication failed user=%s", s->base.id,
			 s->base.ip, user);
		imap_no(s, job->tag, "[AUTHENTICATIONFAILED] Authentication failed");
	} else {
		imap_no(s, job->tag, "[UNAVAILABLE] Temporary authentication failure");
	}
	free(job->tag);
	free(job);
	imap_session_resume(s);
}

/* Takes user and password. */
static void
imap_auth_check(struct imap_session *s, const char *tag, char *user, char *password)
{
	const struct imap_server_deps *deps = imap_server_deps(s->server);
	struct auth_login_deps login = {deps->base, deps->accounts, deps->workers, deps->penalty};
	struct imap_auth_job *job = xcalloc(1, sizeof(*job));

	job->session = s;
	job->tag = xstrdup(tag);
	imap_session_async_begin(s);
	auth_login_check(&login, conn_peer(s->base.conn), user, password, imap_auth_done, job);
}

void
imap_cmd_login(struct imap_session *s, const struct imap_command *cmd)
{
	const char *user, *password;

	if (cmd->count != 2 || !imap_arg_get_astring(&cmd->args[0], &user) ||
	    !imap_arg_get_astring(&cmd->args[1], &password)) {
		imap_bad(s, cmd->tag, "LOGIN needs a user name and a password");
		return;
	}
	/* RFC 3501 6.2.3 / 7.2.1 LOGINDISABLED */
	if (!imap_plaintext_allowed(s)) {
		imap_no(s, cmd->tag, "[PRIVACYREQUIRED] Use STARTTLS first");
		return;
	}
	if (*user == '\0' || strlen(user) > 255 || strlen(password) > 1024) {
		imap_no(s, cmd->tag, "[AUTHENTICATIONFAILED] Authentication failed");
		return;
	}
	imap_auth_check(s, cmd->tag, xstrdup(user), xstrdup(password));
}

static void
imap_auth_plain(struct imap_session *s, const char *tag, const char *b64)
{
	char *user, *password;
	const char *error;

	if (sasl_plain_decode(b64, &user, &password, &error) < 0) {
		imap_bad(s, tag, "%s", error);
		return;
	}
	imap_auth_check(s, tag, user, password);
}

void
imap_cmd_authenticate(struct imap_session *s, const struct imap_command *cmd)
{
	const char *mech, *ir;

	if (cmd->count < 1 || cmd->count > 2 || !imap_arg_get_atom(&cmd->args[0], &mech)) {
		imap_bad(s, cmd->tag, "AUTHENTICATE needs a mechanism");
		return;
	}
	if (str_casecmp(mech, "PLAIN") != 0) {
		imap_no(s, cmd->tag, "Unsupported authentication mechanism");
		return;
	}
	if (!imap_plaintext_allowed(s)) {
		imap_no(s, cmd->tag, "[PRIVACYREQUIRED] Use STARTTLS first");
		return;
	}
	if (cmd->count == 2) {
		/* RFC 4959 3: the initial response; "=" is an empty one */
		if (!imap_arg_get_atom(&cmd->args[1], &ir)) {
			imap_bad(s, cmd->tag, "Invalid initial response");
			return;
		}
		imap_auth_plain(s, cmd->tag, ir);
		return;
	}
	/* RFC 3501 6.2.2: an empty challenge, then one response line */
	free(s->cont_tag);
	s->cont_tag = xstrdup(cmd->tag);
	s->wait = IMAP_WAIT_SASL;
	imap_send(s, "+ ");
}

void
imap_auth_continue(struct imap_session *s, const char *line)
{
	char *tag = s->cont_tag;

	s->cont_tag = NULL;
	s->wait = IMAP_WAIT_NONE;
	if (sasl_is_cancel(line)) {
		imap_bad(s, tag, "Authentication aborted");
	} else {
		imap_auth_plain(s, tag, line);
	}
	free(tag);
}
