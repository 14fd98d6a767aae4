/* Asynchronous password checks with failure delays (see auth_login.h). */
#include "auth/auth_login.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/accounts.h"
#include "auth/ban.h"
#include "auth/penalty.h"
#include "auth/sasl.h"
#include "log/log.h"
#include "net/workers.h"
#include "util/metrics.h"
#include "util/xmalloc.h"

struct auth_login_job {
	struct auth_login_deps deps;
	struct sockaddr_storage peer;
	char *user;
	char *password;
	char *account; /* the canonical account name on success */
	int result;
	struct event *delay_ev;
	auth_login_cb *cb;
	void *ctx;
};

static void
auth_login_finish(struct auth_login_job *job)
{
	job->cb(job->ctx, job->result, job->account != NULL ? job->account : job->user);
	free(job->user);
	free(job->account);
	sasl_secret_free(&job->password);
	if (job->delay_ev != NULL)
		event_free(job->delay_ev);
	free(job);
}

static void
auth_login_delay_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	auth_login_finish(arg);
}

static void
auth_login_work(void *arg)
{
	struct auth_login_job *job = arg;

	job->result =
		accounts_authenticate(job->deps.accounts, job->user, job->password, &job->account);
	sasl_secret_free(&job->password);
}

static void
auth_login_work_done(void *arg)
{
	struct auth_login_job *job = arg;
	const struct sockaddr *peer = (const struct sockaddr *)&job->peer;
	struct timeval tv;
	unsigned delay = 0;

	if (job->deps.penalty != NULL) {
		struct ban *ban = penalty_ban(job->deps.penalty);

		if (job->result == 1) {
			penalty_success(job->deps.penalty, peer);
		} else if (job->result == 0) {
			delay = penalty_fail(job->deps.penalty, peer, time(NULL));
			if (ban != NULL)
				ban_fail(ban, peer, time(NULL));
		}
	}
	if (job->result == 0)
		metrics_inc(METRICS_LOGIN_FAILURES);
	if (delay == 0) {
		auth_login_finish(job);
		return;
	}
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	job->delay_ev = evtimer_new(job->deps.base, auth_login_delay_done, job);
	evtimer_add(job->delay_ev, &tv);
}

/* A banned address (ban.h) gets the temporary failure (-1) without a password check,
 * from the loop (never inside auth_login_check). */
static bool
auth_login_banned(struct auth_login_job *job)
{
	const struct sockaddr *peer = (const struct sockaddr *)&job->peer;
	struct ban *ban = penalty_ban(job->deps.penalty);
	const struct timeval now = {0, 0};
	char key[BAN_KEY_MAX];
	time_t until;

	if (ban == NULL || (until = ban_until(ban, peer, time(NULL))) == 0 ||
	    ban_key(peer, key) < 0)
		return false;
	log_info("auth: client=[%s] login refused: banned for %llds more", key,
		 (long long)(until - time(NULL)));
	job->result = -1;
	job->delay_ev = evtimer_new(job->deps.base, auth_login_delay_done, job);
	evtimer_add(job->delay_ev, &now);
	return true;
}

void
auth_login_check(const struct auth_login_deps *deps, const struct sockaddr *peer, char *user,
		 char *password, auth_login_cb *cb, void *ctx)
{
	struct auth_login_job *job = xcalloc(1, sizeof(*job));

	job->deps = *deps;
	if (peer->sa_family == AF_INET)
		memcpy(&job->peer, peer, sizeof(struct sockaddr_in));
	else if (peer->sa_family == AF_INET6)
		memcpy(&job->peer, peer, sizeof(struct sockaddr_in6));
	job->user = user;
	job->password = password;
	job->cb = cb;
	job->ctx = ctx;
	if (auth_login_banned(job))
		return;
	workers_submit(deps->workers, auth_login_work, auth_login_work_done, job);
}

bool
auth_plaintext_allowed(bool tls, const struct sockaddr *peer)
{
	if (tls)
		return true;
	if (peer->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)peer)->sin_addr.s_addr) >> 24) == 127;
	if (peer->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)peer)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}
