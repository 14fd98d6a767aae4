/* Local delivery of queued mail to the store (see queue_local.h). */
#include "queue/queue_local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/accounts.h"
#include "queue/queue_private.h"
#include "queue/queue_result.h"
#include "store/store.h"
#include "store/store_quota.h"
#include "util/xmalloc.h"

struct queue_local {
	struct queue_local *next;
	struct queue *q; /* NULL once orphaned by shutdown */
	struct queue_job *job;
	struct queue_rcpt_result *results;
	size_t *target_of; /* per job recipient: its target, or SIZE_MAX if decided already */
};

static void
queue_local_unlink(struct queue *q, struct queue_local *l)
{
	struct queue_local **pp;

	for (pp = &q->locals; *pp != NULL; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			return;
		}
}

static void
queue_local_free(struct queue_local *l)
{
	size_t i;

	for (i = 0; l->job != NULL && i < l->job->n_rcpts; i++)
		free(l->results[i].text);
	free(l->results);
	free(l->target_of);
	queue_job_free(&l->job);
	free(l);
}

static void
queue_local_set(struct queue_rcpt_result *r, enum queue_result result, const char *status,
		const char *text)
{
	r->result = result;
	snprintf(r->status, sizeof(r->status), "%s", status);
	free(r->text);
	r->text = xstrdup(text);
}

static void
queue_local_report(struct queue_local *l)
{
	struct queue_job *job = l->job;
	size_t i, n = job->n_rcpts;

	queue_local_unlink(l->q, l);
	l->job = NULL;
	queue_result_job_done(l->q, job, l->results, "local"); /* frees job */
	for (i = 0; i < n; i++)
		free(l->results[i].text);
	free(l->results);
	free(l->target_of);
	free(l);
}

static void
queue_local_stored(void *ctx, int result, const char *error)
{
	struct queue_local *l = ctx;
	size_t i;

	if (l->q == NULL) {
		queue_local_free(l);
		return;
	}
	for (i = 0; i < l->job->n_rcpts; i++) {
		if (l->target_of[i] == SIZE_MAX)
			continue;
		if (result == 0)
			queue_local_set(&l->results[i], QUEUE_RESULT_SENT, "2.0.0",
					"delivered to mailbox");
		else
			queue_local_set(&l->results[i], QUEUE_RESULT_DEFER, "4.3.0",
					error != NULL ? error : "local delivery failed");
	}
	queue_local_report(l);
}

/* The account's target index, added when new (two addresses may share an account). */
static size_t
queue_local_target(struct store_target *targets, size_t *n, const char *account)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(targets[i].account, account) == 0)
			return i;
	targets[*n].account = account;
	return (*n)++;
}

/* Whether a message of len bytes (and its Return-Path:/Delivered-To: lines) would pass the
 * account's quota (store_quota.h; the limit from src/auth). */
static bool
queue_local_over_quota(struct queue *q, const char *account, size_t len)
{
	unsigned long long limit;
	struct store_usage u;

	if (q->deps.accounts == NULL ||
	    (limit = accounts_quota_limit(q->deps.accounts, account)) == 0)
		return false;
	if (store_quota_usage_of(q->deps.store, account, &u) < 0)
		return false; /* the delivery itself will say */
	return store_quota_exceeds(u.bytes, len + 256, limit);
}

void
queue_local_deliver(struct queue *q, struct queue_job *job)
{
	struct queue_local *l = xcalloc(1, sizeof(*l));
	struct queue_msg *msg = job->msg;
	struct store_target *targets = xcalloc(job->n_rcpts, sizeof(*targets));
	struct buf *prefixes = xcalloc(job->n_rcpts, sizeof(*prefixes));
	size_t n = 0, i;

	l->q = q;
	l->job = job;
	l->results = xcalloc(job->n_rcpts, sizeof(*l->results));
	l->target_of = xcalloc(job->n_rcpts, sizeof(*l->target_of));
	l->next = q->locals;
	q->locals = l;
	for (i = 0; i < job->n_rcpts; i++) {
		const char *account = msg->m.rcpts[job->rcpts[i]].address;

		l->target_of[i] = SIZE_MAX;
		if (q->deps.store == NULL)
			queue_local_set(&l->results[i], QUEUE_RESULT_DEFER, "4.3.0",
					"local delivery is not available");
		else if (!store_account_exists(q->deps.store, account))
			/* RFC 3463: 5.1.1 bad destination mailbox address */
			queue_local_set(&l->results[i], QUEUE_RESULT_BOUNCE, "5.1.1",
					"unknown user: no such local account");
		else if (queue_local_over_quota(q, account, msg->data.len))
			/* RFC 3463: 5.2.2 mailbox full (RFC 9208 quota) */
			queue_local_set(&l->results[i], QUEUE_RESULT_BOUNCE, "5.2.2",
					"mailbox full: over quota");
		else
			l->target_of[i] = queue_local_target(targets, &n, account);
	}
	for (i = 0; i < n; i++) {
		/* RFC 5321 4.4: Return-Path at final delivery; Delivered-To as Postfix */
		buf_printf(&prefixes[i], "Return-Path: <%s>\r\nDelivered-To: %s\r\n", msg->m.sender,
			   targets[i].account);
		targets[i].prefix = prefixes[i].data;
		targets[i].prefix_len = prefixes[i].len;
	}
	if (n == 0)
		queue_local_report(l);
	else
		store_deliver(q->deps.store, targets, n, msg->data.data, msg->data.len,
			      msg->m.arrival, queue_local_stored, l);
	for (i = 0; i < n; i++)
		buf_free(&prefixes[i]);
	free(prefixes);
	free(targets);
}

void
queue_local_orphan_all(struct queue *q)
{
	struct queue_local *l;

	while ((l = q->locals) != NULL) {
		q->locals = l->next;
		l->q = NULL;
		/* the message is about to be freed: the job must not outlive it */
		l->job->msg = NULL;
	}
}
