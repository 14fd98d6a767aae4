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
#include "queue/queue_client.h"
#include "queue/queue_local.h"
#include "queue/queue_result.h"
#include "util/file.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xmalloc.h"

#define QUEUE_DEST_LOCAL "<local>"

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
	struct queue_job *job = TAILQ_FIRST(&dest->jobs);

	if (job != NULL)
		TAILQ_REMOVE(&dest->jobs, job, entry);
	return q->shutting_down ? NULL : job;
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
queue_client_ended(struct queue *q, struct queue_dest *dest, struct queue_client *c,
		   bool connected, const char *error)
{
	q->n_clients--;
	dest->n_clients--;
	if (!connected && !q->shutting_down) {
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
	struct queue *q = NULL;

	dest->route_query = NULL;
	q = strmap_get(q_of_dest_map, dest->name) ? NULL : NULL;
	(void)q;
	(void)route;
}
