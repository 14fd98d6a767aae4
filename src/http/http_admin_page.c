/* The admin page itself: plain server-rendered HTML, no script. Every value that comes
 * from the config, the queue, the accounts or a client (addresses, error texts) goes
 * through http_escape(). The actions are small forms that POST with the session's CSRF
 * token (http_admin.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/accounts.h"
#include "conf/settings.h"
#include "http/http_admin.h"
#include "net/server.h"
#include "queue/queue.h"
#include "queue/queue_admin.h"
#include "store/store_quota.h"
#include "util/recent.h"
#include "util/str.h"
#include "util/xmalloc.h"

static const char style[] =
	"body{font-family:sans-serif;margin:1em 2em;color:#222}"
	"table{border-collapse:collapse;margin-bottom:1em}"
	"th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
	"th{background:#eee}.error{color:#a00}.held{color:#a60}"
	"form.inline{display:inline;margin:0}pre{background:#f6f6f6;padding:.5em}";

void
http_admin_page_head(struct buf *x, const char *title)
{
	buf_appends(x, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width\">\n<title>");
	http_escape(x, title);
	buf_printf(x, "</title>\n<style>%s</style>\n</head><body>\n", style);
}

static void
age_text(struct buf *x, long long age)
{
	if (age < 120)
		buf_printf(x, "%llds", age);
	else if (age < 7200)
		buf_printf(x, "%lldm", age / 60);
	else if (age < 2 * 86400)
		buf_printf(x, "%lldh", age / 3600);
	else
		buf_printf(x, "%lldd", age / 86400);
}

/* A button that POSTs action (and id) to path with the session's CSRF token. */
static void
action_button(struct buf *x, const struct admin_session *s, const char *path, const char *action,
	      const char *id, const char *label)
{
	buf_printf(x, "<form class=\"inline\" method=\"post\" action=\"%s\">", path);
	buf_printf(x, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">",
		   http_admin_session_csrf(s));
	if (action != NULL) {
		buf_appends(x, "<input type=\"hidden\" name=\"action\" value=\"");
		http_escape(x, action);
		buf_appends(x, "\">");
	}
	if (id != NULL) {
		buf_appends(x, "<input type=\"hidden\" name=\"id\" value=\"");
		http_escape(x, id);
		buf_appends(x, "\">");
	}
	buf_appends(x, "<button type=\"submit\">");
	http_escape(x, label);
	buf_appends(x, "</button></form>");
}

/* ---- overview ---- */

static void
listeners_rows(struct buf *x, const char *key, const struct listen_list *l)
{
	char addr[300];

	for (size_t i = 0; i < l->n; i++) {
		listen_addr_format(&l->addrs[i], addr, sizeof(addr));
		buf_appends(x, "<tr><td>");
		http_escape(x, key);
		buf_appends(x, "</td><td>");
		http_escape(x, addr);
		buf_appends(x, "</td></tr>\n");
	}
}

static void
section_overview(struct buf *x, const struct http_request *r)
{
	const struct http_deps *d = r->deps;
	const struct settings *s = d->settings;
	time_t not_after;
	char subject[256];

	buf_appends(x, "<h2 id=\"overview\">Server</h2>\n<table>\n<tr><th>host</th><td>");
	http_escape(x, s->myhostname);
	buf_appends(x, "</td></tr>\n<tr><th>uptime</th><td id=\"uptime\">");
	age_text(x, (long long)(time(NULL) - d->start_time));
	buf_appends(x, "</td></tr>\n<tr><th>certificate</th><td id=\"certificate\">");
	if (d->tls != NULL && http_cert_info(*d->tls, &not_after, subject, sizeof(subject))) {
		char when[64];
		struct tm tm;
		long long left = (long long)(not_after - time(NULL));

		gmtime_r(&not_after, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		http_escape(x, subject);
		buf_printf(x, ": expires %s (%s%lld days)", when, left < 0 ? "expired " : "in ",
			   (left < 0 ? -left : left) / 86400);
	} else {
		buf_appends(x, "none");
	}
	buf_appends(x, "</td></tr>\n</table>\n<h3>Sessions</h3>\n<table id=\"sessions\">\n"
		       "<tr><th>protocol</th><th>now</th></tr>\n");
	buf_printf(x, "<tr><td>SMTP</td><td>%u</td></tr>\n",
		   d->smtp != NULL ? server_session_count(d->smtp) : 0);
	buf_printf(x, "<tr><td>IMAP</td><td>%u</td></tr>\n",
		   d->imap != NULL ? server_session_count(d->imap) : 0);
	buf_printf(x, "<tr><td>POP3</td><td>%u</td></tr>\n</table>\n",
		   d->pop3 != NULL ? server_session_count(d->pop3) : 0);
	buf_appends(x, "<h3>Listeners</h3>\n<table id=\"listeners\">\n");
	listeners_rows(x, "smtp_listen", &s->smtp_listen);
	listeners_rows(x, "submission_listen", &s->submission_listen);
	listeners_rows(x, "submissions_listen", &s->submissions_listen);
	listeners_rows(x, "imap_listen", &s->imap_listen);
	listeners_rows(x, "imaps_listen", &s->imaps_listen);
	listeners_rows(x, "pop3_listen", &s->pop3_listen);
	listeners_rows(x, "pop3s_listen", &s->pop3s_listen);
	listeners_rows(x, "http_listen", &s->http_listen);
	listeners_rows(x, "https_listen", &s->https_listen);
	listeners_rows(x, "metrics_listen", &s->metrics_listen);
	buf_appends(x, "</table>\n");
}

/* ---- the queue ---- */

struct queue_page {
	struct buf *x;
	const struct admin_session *s;
	size_t count;
};

static void
queue_row(void *ctx, const struct queue_db_msg *m)
{
	struct queue_page *q = ctx;
	struct buf *x = q->x;

	buf_appends(x, "<tr id=\"q-");
	http_escape(x, m->qid);
	buf_appends(x, "\"><td class=\"qid\">");
	http_escape(x, m->qid);
	buf_appends(x, "</td><td>&lt;");
	http_escape(x, m->sender);
	buf_appends(x, "&gt;</td><td><ul>");
	for (size_t i = 0; i < m->n_rcpts; i++) {
		const struct queue_db_rcpt *rc = &m->rcpts[i];
		if (rc->state != QUEUE_RCPT_PENDING)
			continue;
		buf_appends(x, "<li>&lt;");
		http_escape(x, rc->address);
		buf_printf(x, "&gt;%s <span class=\"attempts\">%u attempt%s</span>",
			   rc->local ? " (local)" : "", rc->attempts, rc->attempts == 1 ? "" : "s");
		if (rc->last_error != NULL) {
			buf_appends(x, ": <span class=\"error\">");
			http_escape(x, rc->last_error);
			buf_appends(x, "</span>");
		}
		buf_appends(x, "</li>");
	}
	buf_appends(x, "</ul></td><td>");
	age_text(x, (long long)(time(NULL) - m->arrival));
	buf_printf(x, "</td><td>%llu</td><td class=\"state\">%s</td><td>", m->size,
		   m->hold ? "<span class=\"held\">held</span>" : "queued");
	if (m->hold)
		action_button(x, q->s, "/admin/queue", "release", m->qid, "Release");
	else
		action_button(x, q->s, "/admin/queue", "hold", m->qid, "Hold");
	buf_appendc(x, ' ');
	action_button(x, q->s, "/admin/queue", "delete", m->qid, "Delete");
	buf_appends(x, "</td></tr>\n");
	q->count++;
}

static void
section_queue(struct buf *x, const struct http_request *r, const struct admin_session *s)
{
	struct queue_page q = {x, s, 0};
	size_t n = 0;
	time_t oldest = 0;
	const char *error;
	char *gone = http_query_param(r, "gone");

	if (r->deps->queue != NULL)
		queue_stats(r->deps->queue, &n, &oldest);
	buf_printf(x, "<h2 id=\"queue\">Queue</h2>\n<p>%zu message%s in the queue. ", n,
		   n == 1 ? "" : "s");
	action_button(x, s, "/admin/queue", "flush", NULL, "Flush queue");
	buf_appends(x, "</p>\n");
	if (gone != NULL)
		buf_appends(x, "<p class=\"error\">That message is no longer in the queue.</p>\n");
	free(gone);
	buf_appends(x, "<table id=\"queue-table\">\n<tr><th>id</th><th>sender</th>"
		       "<th>pending recipients, attempts, last error</th><th>age</th>"
		       "<th>size</th><th>state</th><th></th></tr>\n");
	if (queue_admin_list(r->deps->settings->data_directory, queue_row, &q, &error) < 0) {
		buf_appends(x, "<tr><td colspan=\"7\" class=\"error\">");
		http_escape(x, error);
		buf_appends(x, "</td></tr>\n");
	}
	buf_appends(x, "</table>\n");
	if (q.count == 0)
		buf_appends(x, "<p id=\"queue-empty\">The queue is empty.</p>\n");
}

/* ---- recent events ---- */

static void
section_recent(struct buf *x, const struct settings *set)
{
	size_t max = set->admin_recent_events;
	struct recent_event *ev = xcalloc(max > 0 ? max : 1, sizeof(*ev));
	size_t n = recent_get(ev, max);

	buf_appends(x, "<h2 id=\"recent\">Recent deliveries and errors</h2>\n"
		       "<table id=\"recent-table\">\n<tr><th>when</th><th>what</th><th>id</th>"
		       "<th></th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		char when[32];
		struct tm tm;
		bool bad = strcmp(ev[i].kind, "deferred") == 0 ||
			   strcmp(ev[i].kind, "bounced") == 0 ||
			   strcmp(ev[i].kind, "rejected") == 0;

		gmtime_r(&ev[i].when, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		buf_printf(x, "<tr><td>%s</td><td%s>", when, bad ? " class=\"error\"" : "");
		http_escape(x, ev[i].kind);
		buf_appends(x, "</td><td>");
		http_escape(x, ev[i].qid);
		buf_appends(x, "</td><td>");
		http_escape(x, ev[i].text);
		buf_appends(x, "</td></tr>\n");
	}
	buf_appends(x, "</table>\n");
	free(ev);
}

/* ---- accounts ---- */

static void
collect(void *ctx, const char *address)
{
	char ***users = ctx;
	size_t n = str_array_len(*users);

	*users = xrealloc(*users, (n + 2) * sizeof(**users));
	(*users)[n] = xstrdup(address);
	(*users)[n + 1] = NULL;
}

static void
section_accounts(struct buf *x, const struct http_deps *d)
{
	char **users = NULL;

	buf_appends(x, "<h2 id=\"accounts\">Accounts</h2>\n<table id=\"accounts-table\">\n"
		       "<tr><th>address</th><th>quota</th><th>used</th><th>messages</th>"
		       "<th>admin</th></tr>\n");
	if (accounts_user_list(d->accounts, collect, &users) < 0)
		buf_appends(x, "<tr><td colspan=\"5\" class=\"error\">cannot read the accounts"
			       "</td></tr>\n");
	for (char **u = users; u != NULL && *u != NULL; u++) {
		char *name = accounts_addr_name(*u);
		unsigned long long limit =
			name != NULL ? accounts_quota_limit(d->accounts, name) : 0;
		struct store_usage use = {0, 0};
		bool have_use = d->store != NULL && name != NULL &&
				store_quota_usage_of(d->store, name, &use) == 0;

		buf_appends(x, "<tr><td>");
		http_escape(x, *u);
		if (limit > 0)
			buf_printf(x, "</td><td>%llu</td>", limit);
		else
			buf_appends(x, "</td><td>none</td>");
		if (have_use) {
			buf_printf(x, "<td>%llu", use.bytes);
			if (limit > 0)
				buf_printf(x, " (%llu%%)", use.bytes * 100 / limit);
			buf_printf(x, "</td><td>%llu</td>", use.messages);
		} else {
			buf_appends(x, "<td>?</td><td>?</td>");
		}
		buf_printf(x, "<td>%s</td></tr>\n",
			   name != NULL && accounts_user_is_admin(d->accounts, name) ? "yes" : "");
		free(name);
	}
	buf_appends(x, "</table>\n");
	str_array_free(&users);
}

void
http_admin_page(struct http_request *r, const struct admin_session *s)
{
	struct buf x = BUF_INIT;

	http_admin_page_head(&x, "yubin admin");
	buf_appends(&x, "<h1>yubin admin</h1>\n<p>Logged in as <span id=\"who\">");
	http_escape(&x, http_admin_session_account(s));
	buf_appends(&x, "</span> ");
	action_button(&x, s, "/admin/logout", NULL, NULL, "Log out");
	buf_appends(&x, " <a href=\"/admin\">Reload</a></p>\n");
	section_overview(&x, r);
	section_queue(&x, r, s);
	section_recent(&x, r->deps->settings);
	buf_appends(&x, "<h2 id=\"dns\">DNS records</h2>\n");
	action_button(&x, s, "/admin/dnscheck", NULL, NULL, "Check the DNS records");
	http_dnscheck_render(r->admin, &x);
	section_accounts(&x, r->deps);
	buf_appends(&x, "</body></html>\n");
	http_admin_headers(r);
	http_reply(r, 200, "text/html; charset=utf-8", &x);
}
