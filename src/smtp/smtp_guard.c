/* The SMTP guards' tables and the connect checks before the greeting (see smtp_guard.h):
 * the pregreet memory, the connection rate, and the wait for the greeting delay and the
 * DNSBL lookups, in the style of Postfix's postscreen. */
#include "smtp/smtp_guard.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "db/db_kv.h"
#include "log/log.h"
#include "net/conn.h"
#include "smtp/smtp_session.h"
#include "util/str.h"
#include "util/ttlmap.h"
#include "util/xmalloc.h"

struct smtp_guards *
smtp_guards_new(const struct settings *set, struct event_base *base, const char **error_r)
{
	struct smtp_guards *g = xcalloc(1, sizeof(*g));
	size_t n = 0;

	g->settings = set;
	while (set->dnsbl_zones != NULL && set->dnsbl_zones[n] != NULL)
		n++;
	g->zones = xcalloc(n + 1, sizeof(*g->zones));
	for (size_t i = 0; i < n; i++) {
		const char *z = set->dnsbl_zones[i], *eq = strchr(z, '=');
		struct smtp_dnsbl_zone *zone = &g->zones[g->n_zones++];

		zone->name = eq != NULL ? xstrndup(z, (size_t)(eq - z)) : xstrdup(z);
		zone->reject = eq != NULL && strcmp(eq + 1, "reject") == 0;
		zone->weight = eq == NULL     ? 1
			       : zone->reject ? 0
					      : (unsigned)strtoul(eq + 1, NULL, 10);
	}
	g->pregreet = ttlmap_new(set->guard_table_size);
	g->conn_rate = ttlmap_new(set->guard_table_size);
	g->submission = ttlmap_new(set->guard_table_size);
	g->greylist = ttlmap_new(set->guard_table_size);
	if (set->greylist && smtp_greylist_open(g, base, error_r) < 0) {
		smtp_guards_free(&g);
		return NULL;
	}
	return g;
}

void
smtp_guards_free(struct smtp_guards **gp)
{
	struct smtp_guards *g = *gp;

	if (g == NULL)
		return;
	for (size_t i = 0; i < g->n_zones; i++)
		free(g->zones[i].name);
	free(g->zones);
	ttlmap_free(&g->pregreet);
	ttlmap_free(&g->conn_rate);
	ttlmap_free(&g->submission);
	ttlmap_free(&g->greylist);
	db_kv_close(&g->greylist_db);
	free(g);
	*gp = NULL;
}

static struct smtp_guards *
guards_of(const struct smtp_session *s)
{
	return smtp_server_deps(s->server)->guards;
}

void
smtp_guard_session_free(struct smtp_session *s)
{
	struct smtp_guard_conn *gc = s->guard;

	if (gc == NULL)
		return;
	smtp_dnsbl_cancel(s);
	if (gc->delay_ev != NULL)
		event_free(gc->delay_ev);
	if (gc->timeout_ev != NULL)
		event_free(gc->timeout_ev);
	free(gc->reject_zone);
	free(gc->reject_reason);
	free(gc);
	s->guard = NULL;
}

/* Everything waited for is in: refuse (a reject zone listed the client) or greet. */
static void
guard_finish(struct smtp_session *s)
{
	struct smtp_guard_conn *gc = s->guard;

	/* closed meanwhile (shutdown, timeout): the session is freed soon, greet no one */
	if (gc->lookups_pending > 0 || gc->starting || session_is_closing(&s->base))
		return;
	if (gc->reject_zone != NULL) {
		/* RFC 5321 3.1: a 554 greeting; the client should QUIT, we close anyway as
		 * postscreen does */
		log_info("smtp: %s: reject: connect from [%s]: listed by %s%s%s", s->base.id,
			 s->base.ip, gc->reject_zone, gc->reject_reason != NULL ? ": " : "",
			 gc->reject_reason != NULL ? gc->reject_reason : "");
		smtp_reply(s, "554 5.7.1 Service unavailable; client [%s] blocked using %s%s%s",
			   s->base.ip, gc->reject_zone, gc->reject_reason != NULL ? "; " : "",
			   gc->reject_reason != NULL ? gc->reject_reason : "");
		smtp_guard_session_free(s);
		smtp_session_close(s);
		return;
	}
	if (gc->delay_ev != NULL)
		return;
	smtp_guard_session_free(s);
	smtp_session_greet(s);
	if (s->base.conn != NULL)
		conn_resume_read(s->base.conn); /* input held meanwhile is processed now */
}

void
smtp_guard_dnsbl_done(struct smtp_session *s)
{
	guard_finish(s);
}

static void
guard_delay_done(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session *s = arg;

	(void)fd;
	(void)what;
	event_free(s->guard->delay_ev);
	s->guard->delay_ev = NULL;
	guard_finish(s);
}

/* dnsbl_timeout: the lookups still out are given up; the client is let in. */
static void
guard_dnsbl_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session *s = arg;

	(void)fd;
	(void)what;
	if (s->guard->lookups_pending > 0)
		log_info("smtp: %s: client=[%s] DNSBL lookups timed out, let in", s->base.id,
			 s->base.ip);
	smtp_dnsbl_cancel(s);
	guard_finish(s);
}

static void
timer_ms(struct event *ev, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	evtimer_add(ev, &tv);
}

void
smtp_guard_connect(struct smtp_session *s)
{
	struct smtp_guards *g = guards_of(s);
	const struct settings *set;
	struct event_base *base;
	struct smtp_guard_conn *gc;
	time_t now = time(NULL);

	if (g == NULL || s->kind != SMTP_LISTENER_SMTP ||
	    cidr_list_match(&g->settings->mynetworks, conn_peer(s->base.conn))) {
		smtp_session_greet(s);
		return;
	}
	set = g->settings;
	if (ttlmap_get(g->pregreet, s->base.ip, now) != NULL) {
		log_info("smtp: %s: reject: connect from [%s]: talked before the greeting earlier",
			 s->base.id, s->base.ip);
		smtp_reply(s,
			   "421 4.7.0 %s Error: your client talked before the greeting; try "
			   "again later",
			   set->myhostname);
		smtp_session_close(s);
		return;
	}
	if (!smtp_ratelimit_connect(g, s->base.ip, now)) {
		log_info("smtp: %s: reject: connect from [%s]: more than %u connections a minute",
			 s->base.id, s->base.ip, set->smtpd_client_connection_rate_limit);
		/* Postfix's anvil reply for smtpd_client_connection_rate_limit */
		smtp_reply(s, "421 4.7.0 %s Error: too many connections from %s", set->myhostname,
			   s->base.ip);
		smtp_session_close(s);
		return;
	}
	if (set->smtpd_greet_delay == 0 && g->n_zones == 0) {
		smtp_session_greet(s);
		return;
	}
	base = smtp_server_deps(s->server)->base;
	gc = s->guard = xcalloc(1, sizeof(*gc));
	if (set->smtpd_greet_delay > 0) {
		gc->delay_ev = evtimer_new(base, guard_delay_done, s);
		timer_ms(gc->delay_ev, set->smtpd_greet_delay);
	} else {
		conn_pause_read(s->base.conn); /* nothing to watch for: hold the input */
	}
	if (g->n_zones > 0 && smtp_server_deps(s->server)->dns != NULL) {
		gc->timeout_ev = evtimer_new(base, guard_dnsbl_timeout, s);
		timer_ms(gc->timeout_ev, set->dnsbl_timeout);
		smtp_dnsbl_start(s);
	}
	guard_finish(s);
}

bool
smtp_guard_input(struct smtp_session *s)
{
	struct smtp_guards *g = guards_of(s);
	struct smtp_guard_conn *gc = s->guard;

	if (gc == NULL)
		return false;
	if (gc->delay_ev == NULL) {
		/* the delay is over, the lookups are not: keep the input for later */
		conn_pause_read(s->base.conn);
		return true;
	}
	/* postscreen's pregreet test: a real SMTP client waits for the greeting (RFC 5321
	 * 4.3.1); spam bots often do not */
	ttlmap_put(g->pregreet, s->base.ip, time(NULL))->expires =
		time(NULL) + (time_t)g->settings->smtpd_pregreet_ban_time;
	log_info("smtp: %s: reject: connect from [%s]: talked before the greeting", s->base.id,
		 s->base.ip);
	smtp_reply(s, "554 5.5.1 %s Error: you talked before the greeting",
		   g->settings->myhostname);
	smtp_guard_session_free(s);
	smtp_session_close(s);
	return true;
}

bool
smtp_guard_mail(struct smtp_session *s)
{
	return guards_of(s) == NULL || smtp_ratelimit_mail(s);
}

bool
smtp_guard_rcpt(struct smtp_session *s, const char *rcpt)
{
	return guards_of(s) == NULL || (smtp_ratelimit_rcpt(s) && smtp_greylist_rcpt(s, rcpt));
}
