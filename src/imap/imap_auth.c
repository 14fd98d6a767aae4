/* IMAP logins: LOGIN (RFC 3501 6.2.3) and AUTHENTICATE PLAIN with SASL-IR (RFC 4959,
 * RFC 4616), the password check on a worker thread, and the growing delay per client
 * address after a failure (auth/penalty.h). */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/accounts.h"
#include "auth/penalty.h"
#include "auth/sasl.h"
#include "imap/imap_session.h"
#include "log/log.h"
#include "net/conn.h"
#include "net/workers.h"
#include "store/store.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct imap_auth_job {
	struct imap_session *session;
	struct accounts *accounts;
	char *tag;
	char *user;
	char *password;
	int result;
	struct event *delay_ev;
};

static void
imap_auth_job_free(struct imap_auth_job *job)
{
	free(job->tag);
	free(job->user);
	sasl_secret_free(&job->password);
	if (job->delay_ev != NULL)
		event_free(job->delay_ev);
	free(job);
}

/* The store names accounts by address with the domain lower-cased (auth/accounts.h). */
static void
imap_auth_canonical(char *user)
{
	char *at = strrchr(user, '@');

	if (at != NULL)
		str_lower(at + 1);
}

static void
imap_auth_finish(struct imap_auth_job *job)
{
	struct imap_session *s = job->session;
	const struct imap_server_deps *deps = imap_server_deps(s->server);
	const char *error;

	if (!imap_session_async_done(s)) {
		imap_auth_job_free(job);
		return;
	}
	if (job->result == 1) {
		imap_auth_canonical(job->user);
		if (!store_account_exists(deps->store, job->user) &&
		    store_account_create(deps->store, job->user, &error) < 0)
			log_error("imap: %s: user=%s cannot create the mailboxes: %s", s->id,
				  job->user, error);
		imap_session_login(s, job->tag, job->user);
	} else if (job->result == 0) {
		log_info("imap: %s: client=[%s] authentication failed user=%s", s->id, s->ip,
			 job->user);
		imap_no(s, job->tag, "[AUTHENTICATIONFAILED] Authentication failed");
	} else {
		imap_no(s, job->tag, "[UNAVAILABLE] Temporary authentication failure");
	}
	imap_auth_job_free(job);
	imap_session_resume(s);
}

static void
imap_auth_delay_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	imap_auth_finish(arg);
}

static void
imap_auth_work(void *arg)
{
	struct imap_auth_job *job = arg;

	job->result = accounts_check_password(job->accounts, job->user, job->password);
}

static void
imap_auth_work_done(void *arg)
{
	struct imap_auth_job *job = arg;
	struct imap_session *s = job->session;
	const struct imap_server_deps *deps = imap_server_deps(s->server);
	struct timeval tv;
	unsigned delay = 0;

	if (s->conn != NULL && deps->penalty != NULL) {
		if (job->result == 1)
			penalty_success(deps->penalty, conn_peer(s->conn));
		else if (job->result == 0)
			delay = penalty_fail(deps->penalty, conn_peer(s->conn), time(NULL));
	}
	if (delay == 0) {
		imap_auth_finish(job);
		return;
	}
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	job->delay_ev = evtimer_new(deps->base, imap_auth_delay_done, job);
	evtimer_add(job->delay_ev, &tv);
}

/* Takes user and password. */
static void
imap_auth_check(struct imap_session *s, const char *tag, char *user, char *password)
{
	const struct imap_server_deps *deps = imap_server_deps(s->server);
	struct imap_auth_job *job = xcalloc(1, sizeof(*job));

	job->session = s;
	job->accounts = deps->accounts;
	job->tag = xstrdup(tag);
	job->user = user;
	job->password = password;
	imap_session_async_begin(s);
	workers_submit(deps->workers, imap_auth_work, imap_auth_work_done, job);
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
