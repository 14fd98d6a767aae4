/* Rate limits (see smtp_guard.h): connections per client address and minute on port 25
 * (smtpd_client_connection_rate_limit, Postfix's name and 421 reply), and messages and
 * recipients per authenticated account and hour (submission_rate_limit), so that a
 * stolen password cannot send a flood. Fixed windows that start with the first event;
 * the counters live in bounded tables (guard_table_size). */
#include <time.h>

#include "conf/settings.h"
#include "log/log.h"
#include "smtp/smtp_guard.h"
#include "smtp/smtp_session.h"
#include "util/ttlmap.h"

#define CONNECTION_RATE_WINDOW 60
#define SUBMISSION_RATE_WINDOW 3600

bool
smtp_ratelimit_connect(struct smtp_guards *g, const char *ip, time_t now)
{
	unsigned limit = g->settings->smtpd_client_connection_rate_limit;
	struct ttlmap_entry *e;

	if (limit == 0)
		return true;
	e = ttlmap_put(g->conn_rate, ip, now);
	if (e->expires == 0)
		e->expires = now + CONNECTION_RATE_WINDOW;
	if (e->a >= limit)
		return false; /* a refused connection is not counted: the window still ends */
	e->a++;
	return true;
}

/* The account's counters, or NULL when the session is not authenticated. */
static struct ttlmap_entry *
submission_counters(struct smtp_session *s, time_t now)
{
	struct smtp_guards *g = smtp_server_deps(s->server)->guards;
	struct ttlmap_entry *e;

	if (s->auth_user == NULL)
		return NULL;
	e = ttlmap_put(g->submission, s->auth_user, now);
	if (e->expires == 0)
		e->expires = now + SUBMISSION_RATE_WINDOW;
	return e;
}

bool
smtp_ratelimit_mail(struct smtp_session *s)
{
	const struct settings_rate *r =
		&smtp_server_deps(s->server)->settings->submission_rate_limit;
	struct ttlmap_entry *e;

	if (r->messages == 0 || (e = submission_counters(s, time(NULL))) == NULL)
		return true;
	if (e->a >= r->messages) {
		log_warn("smtp: %s: reject: MAIL from [%s]: sasl_username=%s over %u messages an "
			 "hour",
			 s->base.id, s->base.ip, s->auth_user, r->messages);
		/* RFC 3463 4.7.1: delivery not authorized now; 450: try again later */
		smtp_reply_error(s, "450 4.7.1 Error: too many messages from %s, try again later",
				 s->auth_user);
		return false;
	}
	e->a++;
	return true;
}

bool
smtp_ratelimit_rcpt(struct smtp_session *s)
{
	const struct settings_rate *r =
		&smtp_server_deps(s->server)->settings->submission_rate_limit;
	struct ttlmap_entry *e;

	if (r->recipients == 0 || (e = submission_counters(s, time(NULL))) == NULL)
		return true;
	if (e->b >= r->recipients) {
		log_warn("smtp: %s: reject: RCPT from [%s]: sasl_username=%s over %u recipients "
			 "an hour",
			 s->base.id, s->base.ip, s->auth_user, r->recipients);
		smtp_reply_error(s, "450 4.7.1 Error: too many recipients from %s, try again later",
				 s->auth_user);
		return false;
	}
	e->b++;
	return true;
}
