/* POP3 logins: USER/PASS and AUTH PLAIN (RFC 5034), the password check on a worker
 * thread, the growing delay per client address after a failure, and Dovecot's rule that
 * passwords travel in clear only over TLS or on loopback. */
#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/accounts.h"
#include "auth/penalty.h"
#include "auth/sasl.h"
#include "log/log.h"
#include "net/conn.h"
#include "net/workers.h"
#include "pop3/pop3_session.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct pop3_auth_job {
	struct pop3_session *session;
	struct accounts *accounts;
	char *user;
	char *password;
	int result;
	struct event *delay_ev;
};

static bool
sockaddr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return false;
}

bool
pop3_auth_plaintext_allowed(const struct pop3_session *s)
{
	return conn_is_tls(s->conn) || sockaddr_is_loopback(conn_peer(s->conn));
}

static void
pop3_auth_job_free(struct pop3_auth_job *job)
{
	free(job->user);
	sasl_secret_free(&job->password);
	if (job->delay_ev != NULL)
		event_free(job->delay_ev);
	free(job);
}

static void
pop3_auth_finish(struct pop3_auth_job *job)
{
	struct pop3_session *s = job->session;

	if (!pop3_session_async_done(s)) {
		pop3_auth_job_free(job);
		return;
	}
	if (job->result == 1) {
		pop3_session_login(s, job->user);
	} else if (job->result == 0) {
		log_info("pop3: %s: client=[%s] authentication failed user=%s", s->id, s->ip,
			 job->user);
		pop3_reply_err(s, "-ERR [AUTH] Authentication failed");
	} else {
		pop3_reply_err(s, "-ERR [SYS/TEMP] Temporary authentication failure");
	}
	pop3_auth_job_free(job);
	pop3_session_resume(s);
}

static void
pop3_auth_delay_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pop3_auth_finish(arg);
}

static void
pop3_auth_work(void *arg)
{
	struct pop3_auth_job *job = arg;

	job->result = accounts_check_password(job->accounts, job->user, job->password);
}

static void
pop3_auth_work_done(void *arg)
{
	struct pop3_auth_job *job = arg;
	struct pop3_session *s = job->session;
	const struct pop3_server_deps *deps = pop3_server_deps(s->server);
	struct timeval tv;
	unsigned delay = 0;

	if (s->conn != NULL && deps->penalty != NULL) {
		if (job->result == 1)
			penalty_success(deps->penalty, conn_peer(s->conn));
		else if (job->result == 0)
			delay = penalty_fail(deps->penalty, conn_peer(s->conn), time(NULL));
	}
	if (delay == 0) {
		pop3_auth_finish(job);
		return;
	}
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	job->delay_ev = evtimer_new(deps->base, pop3_auth_delay_done, job);
	evtimer_add(job->delay_ev, &tv);
}

void
pop3_auth_check(struct pop3_session *s, char *user, char *password)
{
	const struct pop3_server_deps *deps = pop3_server_deps(s->server);
	struct pop3_auth_job *job = xcalloc(1, sizeof(*job));

	job->session = s;
	job->accounts = deps->accounts;
	job->user = user;
	job->password = password;
	pop3_session_async_begin(s);
	workers_submit(deps->workers, pop3_auth_work, pop3_auth_work_done, job);
}

void
pop3_auth_continue(struct pop3_session *s, const char *line)
{
	char *user, *password;
	const char *error;

	free(s->sasl_mech);
	s->sasl_mech = NULL;
	if (sasl_is_cancel(line)) {
		pop3_reply_err(s, "-ERR Authentication aborted");
		return;
	}
	if (sasl_plain_decode(line, &user, &password, &error) < 0) {
		pop3_reply_err(s, "-ERR [AUTH] %s", error);
		return;
	}
	pop3_auth_check(s, user, password);
}
