/* The scheduler (see queue_sched.h): due recipients become jobs, grouped by destination
 * (one per remote domain, RFC 5321 5.1 routing, or the relayhost; local accounts go to the
 * store); each destination resolves its route once per QUEUE_ROUTE_TTL and feeds up to
 * QUEUE_DEST_CONCURRENCY connections, which take its jobs one after another. */
#include "queue/queue_sched.h"

#include <event2/event.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "dns/dns.h"
#include "log/log.h"
#include "mail/rfc5322.h"
#include "queue/queue_client.h"
#include "queue/queue_local.h"
#include "queue/queue_result.h"
#include "queue/queue_spool.h"
#include "util/file.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xmalloc.h"

void
queue_job_free(struct queue_job **jobp)
{
	struct queue_job *job = *jobp;

	if (job == NULL)
		return;
	*jobp = NULL;
	free(job->rcpts);
	free(job);
}

static struct queue_dest *
queue_dest_get(struct queue *q, const char *name)
{
	struct queue_dest *dest = strmap_get(q->dests, name);

	if (dest != NULL)
		return dest;
	dest = xcalloc(1, sizeof(*dest));
	dest->q = q;
	dest->name = xstrdup(name);
	TAILQ_INIT(&dest->jobs);
	TAILQ_INIT(&dest->idle);
	strmap_set(q->dests, name, dest);
	return dest;
}

static void
queue_dest_free(struct queue_dest *dest)
{
	struct queue_job *job;

	while ((job = TAILQ_FIRST(&dest->jobs)) != NULL) {
		TAILQ_REMOVE(&dest->jobs, job, entry);
		queue_job_free(&job);
	}
	dns_route_cancel(dest->route_query);
	dns_route_free(&dest->route);
	free(dest->name);
	free(dest);
}

struct queue_job *
queue_sched_take_job(struct queue *q, struct queue_dest *dest)
{
	struct queue_job *job;

	if (q->shutting_down)
		return NULL;
	job = TAILQ_FIRST(&dest->jobs);
	if (job != NULL)
		TAILQ_REMOVE(&dest->jobs, job, entry);
	return job;
}

/* Every job waiting for dest gets the same outcome (route failure, dead destination). */
static void
queue_dest_fail_all(struct queue *q, struct queue_dest *dest, enum queue_result result,
		    const char *status, const char *why)
{
	struct queue_job *job;

	while ((job = TAILQ_FIRST(&dest->jobs)) != NULL) {
		TAILQ_REMOVE(&dest->jobs, job, entry);
		queue_result_fail_job(q, job, result, status, why, "none");
	}
}

static void queue_dest_pump(struct queue *q, struct queue_dest *dest);

static void
queue_client_ended(struct queue *q, struct queue_dest *dest, struct queue_client *c, bool connected,
		   const char *error)
{
	q->n_clients--;
	dest->n_clients--;
	if (q->shutting_down)
		return;
	if (!connected) {
		/* no address of the route answered: the destination is down for now */
		queue_dest_fail_all(q, dest, QUEUE_RESULT_DEFER, "4.4.1",
				    error != NULL ? error : "cannot connect");
	}
	queue_dest_pump(q, dest);
}

static void
queue_dest_route_done(void *ctx, struct dns_route *route)
{
	struct queue_dest *dest = ctx;
	struct queue *q = dest->q;

	dest->route_query = NULL;
	if (route->status == DNS_OK && !route->null_mx) {
		dns_route_free(&dest->route);
		dest->route = route;
		dest->route_time = time(NULL);
		queue_dest_pump(q, dest);
		return;
	}
	if (route->null_mx) /* RFC 7505 4.1 */
		queue_dest_fail_all(q, dest, QUEUE_RESULT_BOUNCE, "5.1.10", route->error);
	else if (route->status == DNS_TEMPFAIL)
		queue_dest_fail_all(q, dest, QUEUE_RESULT_DEFER, "4.4.3", route->error);
	else /* no such domain, or no host with an address */
		queue_dest_fail_all(q, dest, QUEUE_RESULT_BOUNCE, "5.4.4", route->error);
	dns_route_free(&route);
}

static bool
queue_dest_route_ready(struct queue *q, struct queue_dest *dest)
{
	bool relay = q->relay_host != NULL; /* then every remote job goes there */

	if (dest->route != NULL && time(NULL) - dest->route_time < QUEUE_ROUTE_TTL)
		return true;
	if (dest->route_query == NULL)
		dest->route_query = dns_route_lookup(q->dns, relay ? q->relay_host : dest->name,
						     !relay || !q->relay_bracketed,
						     queue_dest_route_done, dest);
	/* a stale route still serves while the new one is looked up */
	return dest->route != NULL;
}

static void
queue_dest_start_client(struct queue *q, struct queue_dest *dest, struct queue_job *job)
{
	struct queue_client_params p;
	bool relay = q->relay_host != NULL; /* then every remote job goes there */

	memset(&p, 0, sizeof(p));
	p.queue = q;
	p.dest = dest;
	p.route = dest->route;
	p.port = relay ? q->relay_port : (unsigned short)q->deps.settings->smtp_delivery_port;
	p.helo_name = q->deps.settings->myhostname;
	if (relay && q->relay_user != NULL) {
		p.auth_user = q->relay_user;
		p.auth_pass = q->relay_pass;
	}
	p.on_job = queue_result_job_done;
	p.on_end = queue_client_ended;
	q->n_clients++;
	dest->n_clients++;
	queue_client_new(&p, job);
}

/* Hands waiting jobs to idle connections, or opens new ones within the limits. */
static void
queue_dest_pump(struct queue *q, struct queue_dest *dest)
{
	while (!q->shutting_down && !TAILQ_EMPTY(&dest->jobs)) {
		struct queue_client *c = TAILQ_FIRST(&dest->idle);
		struct queue_job *job;

		if (c == NULL && (dest->n_clients >= QUEUE_DEST_CONCURRENCY ||
				  q->n_clients >= QUEUE_MAX_CLIENTS))
			return;
		if (c == NULL && !queue_dest_route_ready(q, dest))
			return;
		job = TAILQ_FIRST(&dest->jobs);
		TAILQ_REMOVE(&dest->jobs, job, entry);
		if (c != NULL)
			queue_client_run(c, job);
		else
			queue_dest_start_client(q, dest, job);
	}
}

/* ---- dispatching messages ---- */

static struct queue_job *
queue_job_new(struct queue_msg *msg)
{
	struct queue_job *job = xcalloc(1, sizeof(*job));

	job->msg = msg;
	job->rcpts = xcalloc(msg->m.n_rcpts, sizeof(*job->rcpts));
	return job;
}

/* The destination of a remote recipient: the relayhost, or its domain. */
static void
queue_dest_name(struct queue *q, const char *address, char *out, size_t size)
{
	const char *at = strrchr(address, '@');

	if (q->relay_host != NULL)
		snprintf(out, size, "[%s]:%u", q->relay_host, q->relay_port);
	else
		snprintf(out, size, "%s", at != NULL ? at + 1 : address);
	str_lower(out);
}

/* Groups the due recipients into one job per destination. */
static void
queue_sched_group(struct queue *q, struct queue_msg *msg, struct queue_job *local,
		  const size_t *due, size_t n_due)
{
	struct strmap *jobs = strmap_new();
	struct queue_job **order = xcalloc(n_due, sizeof(*order));
	size_t i, n_jobs = 0;
	char name[300];

	for (i = 0; i < n_due; i++) {
		struct queue_db_rcpt *r = &msg->m.rcpts[due[i]];
		struct queue_job *job;

		if (r->local) {
			local->rcpts[local->n_rcpts++] = due[i];
			continue;
		}
		queue_dest_name(q, r->address, name, sizeof(name));
		job = strmap_get(jobs, name);
		if (job == NULL) {
			job = queue_job_new(msg);
			strmap_set(jobs, name, job);
			order[n_jobs++] = job;
		}
		job->rcpts[job->n_rcpts++] = due[i];
	}
	for (i = 0; i < n_jobs; i++) {
		const struct queue_db_rcpt *r = &msg->m.rcpts[order[i]->rcpts[0]];
		struct queue_dest *dest;

		queue_dest_name(q, r->address, name, sizeof(name));
		dest = queue_dest_get(q, name);
		msg->jobs++;
		TAILQ_INSERT_TAIL(&dest->jobs, order[i], entry);
		queue_dest_pump(q, dest);
	}
	free(order);
	strmap_free(&jobs);
}

static void
queue_msg_update_due(struct queue_msg *msg)
{
	size_t i;

	msg->next_due = (time_t)LONG_MAX;
	for (i = 0; i < msg->m.n_rcpts; i++)
		if (msg->m.rcpts[i].state == QUEUE_RCPT_PENDING && !msg->busy[i] &&
		    msg->m.rcpts[i].next_try < msg->next_due)
			msg->next_due = msg->m.rcpts[i].next_try;
}

void
queue_sched_msg(struct queue *q, struct queue_msg *msg)
{
	struct queue_job *local;
	size_t *due, n_due = 0, i;
	time_t now = time(NULL);

	if (q->shutting_down || msg->m.hold || msg->deleted)
		return;
	due = xcalloc(msg->m.n_rcpts ? msg->m.n_rcpts : 1, sizeof(*due));
	for (i = 0; i < msg->m.n_rcpts; i++)
		if (msg->m.rcpts[i].state == QUEUE_RCPT_PENDING && !msg->busy[i] &&
		    msg->m.rcpts[i].next_try <= now) {
			msg->busy[i] = 1;
			due[n_due++] = i;
		}
	if (n_due == 0) {
		free(due);
		queue_msg_update_due(msg);
		return;
	}
	local = queue_job_new(msg);
	if (queue_msg_load_data(q, msg) < 0 ||
	    rfc5322_count_fields(msg->data.data, msg->data.len, "Received") > QUEUE_MAX_RECEIVED) {
		bool loop = msg->data_loaded;
		memcpy(local->rcpts, due, n_due * sizeof(*due));
		local->n_rcpts = n_due;
		msg->jobs++;
		queue_result_fail_job(q, local, loop ? QUEUE_RESULT_BOUNCE : QUEUE_RESULT_DEFER,
				      loop ? "5.4.6" : "4.3.0",
				      loop ? "mail forwarding loop (too many Received: headers)"
					   : "cannot read the queue file",
				      "none");
	} else {
		queue_sched_group(q, msg, local, due, n_due);
		if (local->n_rcpts > 0) {
			msg->jobs++;
			queue_local_deliver(q, local);
		} else {
			queue_job_free(&local);
		}
	}
	free(due);
	queue_msg_update_due(msg);
	queue_msg_release(q, msg);
}

/* ---- the timer, start and stop ---- */

void
queue_sched_kick(struct queue *q)
{
	struct queue_msg *msg, *next;
	time_t now = time(NULL);

	/* queue_sched_msg may release (free) msg: fetch the next one first */
	for (msg = TAILQ_FIRST(&q->msgs); msg != NULL; msg = next) {
		next = TAILQ_NEXT(msg, entry);
		if (msg->next_due <= now)
			queue_sched_msg(q, msg);
	}
}

static void
queue_dest_forget_route_cb(const char *key, void *value, void *ctx)
{
	struct queue_dest *dest = value;

	if (dest->route_query == NULL)
		dns_route_free(&dest->route);
}

void
queue_sched_forget_routes(struct queue *q)
{
	if (q->dests != NULL)
		strmap_foreach(q->dests, queue_dest_forget_route_cb, NULL);
}

static void
queue_sched_tick(evutil_socket_t fd, short what, void *arg)
{
	queue_sched_kick(arg);
}

/* relayhost = host[:port] (MX lookup) or [host][:port] (addresses only), as Postfix. */
static int
queue_sched_relayhost(struct queue *q, const char **error_r)
{
	const struct settings *s = q->deps.settings;
	struct buf pass = BUF_INIT;

	if (s->relayhost == NULL || s->relayhost[0] == '\0')
		return 0;
	if (settings_split_hostport(s->relayhost, (unsigned short)s->smtp_delivery_port,
				    &q->relay_host, &q->relay_port, &q->relay_bracketed) < 0) {
		*error_r = "bad relayhost";
		return -1;
	}
	if (s->relayhost_username == NULL)
		return 0;
	if (s->relayhost_password_file == NULL ||
	    file_read_all(s->relayhost_password_file, &pass) < 0) {
		*error_r = "relayhost_username is set but relayhost_password_file cannot be read";
		buf_free(&pass);
		return -1;
	}
	/* the first line is the password */
	buf_truncate(&pass, strcspn(buf_cstr(&pass), "\r\n"));
	q->relay_user = xstrdup(s->relayhost_username);
	q->relay_pass = buf_steal(&pass);
	return 0;
}

int
queue_sched_start(struct queue *q, const char **error_r)
{
	struct timeval tv = {1, 0};

	TAILQ_INIT(&q->clients);
	if (queue_sched_relayhost(q, error_r) < 0)
		return -1;
	if (q->deps.dns != NULL) {
		q->dns = q->deps.dns;
	} else {
		q->dns = dns_new(q->deps.base, (const char *const *)q->deps.settings->dns_resolvers,
				 error_r);
		if (q->dns == NULL)
			return -1;
		dns_set_cache_size(q->dns, q->deps.settings->dns_cache_size);
	}
	q->tick = event_new(q->deps.base, -1, EV_PERSIST, queue_sched_tick, q);
	event_add(q->tick, &tv);
	queue_sched_kick(q);
	return 0;
}

void
queue_sched_stop(struct queue *q)
{
	struct queue_client *c;

	if (q->tick != NULL)
		event_del(q->tick);
	/* connections in flight are dropped: their recipients are still pending on disk */
	while ((c = TAILQ_FIRST(&q->clients)) != NULL)
		queue_client_abort(c);
	queue_local_orphan_all(q);
}

static void
queue_dest_free_cb(const char *key, void *value, void *ctx)
{
	queue_dest_free(value);
}

void
queue_sched_free(struct queue *q)
{
	if (q->tick != NULL)
		event_free(q->tick);
	q->tick = NULL;
	if (q->dests != NULL)
		strmap_foreach(q->dests, queue_dest_free_cb, NULL);
	if (q->dns != q->deps.dns)
		dns_free(&q->dns);
	q->dns = NULL;
	free(q->relay_host);
	free(q->relay_user);
	free(q->relay_pass);
}

/* ---- re-reading the index after `yubin queue hold/release/delete` ---- */

static void
queue_sched_reload_done(struct queue_spool_txn *txn, void *ctx)
{
	struct queue *q = ctx;
	struct strmap *seen = strmap_new();
	struct queue_msg *msg, *next;
	size_t i;

	if (txn->result < 0) {
		log_error("queue: cannot re-read the queue index: %s", txn->error);
		goto out;
	}
	for (i = 0; i < txn->n_loaded; i++)
		strmap_set(seen, txn->loaded[i].qid, &txn->loaded[i]);
	for (msg = TAILQ_FIRST(&q->msgs); msg != NULL; msg = next) {
		struct queue_spool_loaded *l = strmap_get(seen, msg->m.qid);

		next = TAILQ_NEXT(msg, entry);
		if (l == NULL && !msg->deleted) {
			log_info("queue: %s: removed by the administrator", msg->m.qid);
			msg->deleted = true;
			queue_msg_release(q, msg);
			continue;
		}
		if (l != NULL && l->hold != msg->m.hold) {
			log_info("queue: %s: %s", msg->m.qid, l->hold ? "on hold" : "released");
			msg->m.hold = l->hold;
			msg->next_due = 0;
		}
	}
	queue_sched_kick(q);
out:
	strmap_free(&seen);
	queue_spool_txn_free(&txn);
}

void
queue_sched_reload(struct queue *q)
{
	struct queue_spool_txn *txn = queue_spool_txn_new(queue_sched_reload_done, q);

	txn->reload = true;
	queue_spool_commit(q->spool, txn);
}
