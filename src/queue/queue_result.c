/* Recording delivery outcomes (see queue_result.h): recipient states, retry times,
 * expiry, bounces (RFC 3464 DSN from MAILER-DAEMON with the null sender, RFC 5321 4.5.5)
 * and the removal of finished messages, each as one durable spool transaction. */
#include "queue/queue_result.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/accounts.h"
#include "conf/settings.h"
#include "log/log.h"
#include "mail/dsn.h"
#include "mailauth/dkim_keyring.h"
#include "queue/queue_sched.h"
#include "queue/queue_spool.h"
#include "util/metrics.h"
#include "util/recent.h"
#include "util/rand.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xmalloc.h"

struct queue_result_txn {
	struct queue *q;
	struct queue_msg *msg;
};

unsigned
queue_result_backoff(unsigned attempts, unsigned min_backoff, unsigned max_backoff)
{
	unsigned long long delay = min_backoff;

	while (attempts > 1 && delay < max_backoff) {
		delay *= 2;
		attempts--;
	}
	return delay > max_backoff ? max_backoff : (unsigned)delay;
}

/* A DSN's envelope recipient: the original sender, a local account or a remote address. */
static size_t
queue_result_dsn_rcpts(struct queue *q, const char *sender, struct queue_db_rcpt **rcpts_r)
{
	char **local = NULL, **remote = NULL;
	struct queue_db_rcpt *rcpts;
	size_t n = 0, i;
	int ret = q->deps.accounts != NULL
			  ? accounts_resolve(q->deps.accounts, sender, &local, &remote)
			  : -1;

	if (ret == 0)
		return 0; /* a local address without an account: nobody to tell */
	if (ret < 0) {
		rcpts = xcalloc(1, sizeof(*rcpts));
		rcpts[0].address = xstrdup(sender);
		*rcpts_r = rcpts;
		return 1;
	}
	rcpts = xcalloc(str_array_len(local) + str_array_len(remote) + 1, sizeof(*rcpts));
	for (i = 0; local[i] != NULL; i++) {
		rcpts[n].address = xstrdup(local[i]);
		rcpts[n++].local = true;
	}
	for (i = 0; remote[i] != NULL; i++)
		rcpts[n++].address = xstrdup(remote[i]);
	str_array_free(&local);
	str_array_free(&remote);
	*rcpts_r = rcpts;
	return n;
}

/* A DSN is the server's own mail: signed for its own domain (dkim_keyring_own_domain:
 * myhostname or its parent with keys, else the first of mydomains with keys), the fields
 * put on top of it. */
static void
queue_result_dsn_sign(struct queue *q, const char *qid, struct buf *dsn)
{
	const struct settings *set = q->deps.settings;
	const char *domain, *error = NULL;
	struct buf sig = BUF_INIT;

	if (!set->dkim_sign || (domain = dkim_keyring_own_domain(q->deps.dkim, set->myhostname,
								 set->mydomains)) == NULL)
		return;
	if (dkim_keyring_sign(q->deps.dkim, domain, dsn->data, dsn->len, time(NULL), &sig, &error) <
	    0) {
		log_warn("queue: %s: DSN not DKIM-signed for %s: %s", qid, domain, error);
		buf_free(&sig);
		return;
	}
	buf_append(&sig, dsn->data, dsn->len);
	buf_free(dsn);
	*dsn = sig;
}

/* Adds the DSN for the failed recipients to txn as a new message. */
static void
queue_result_add_dsn(struct queue *q, struct queue_msg *msg, struct queue_spool_txn *txn,
		     const struct dsn_rcpt *failed, size_t n_failed)
{
	struct dsn_info info;
	struct tm tm;

	if (msg->m.sender[0] == '\0') {
		/* RFC 5321 4.5.5 / RFC 3464 2: a bounce is never bounced */
		log_info("queue: %s: undeliverable bounce discarded", msg->m.qid);
		return;
	}
	memset(&info, 0, sizeof(info));
	info.reporting_mta = q->deps.settings->myhostname;
	info.qid = msg->m.qid;
	info.sender = msg->m.sender;
	info.arrival = msg->m.arrival;
	info.now = time(NULL);
	localtime_r(&info.now, &tm);
	info.tz = tm.tm_gmtoff;
	info.msg = msg->data.data;
	info.msg_len = msg->data_loaded ? msg->data.len : 0;
	info.rcpts = failed;
	info.n_rcpts = n_failed;
	txn->msg.n_rcpts = queue_result_dsn_rcpts(q, msg->m.sender, &txn->msg.rcpts);
	if (txn->msg.n_rcpts == 0) {
		log_info("queue: %s: sender <%s> has no mailbox, bounce discarded", msg->m.qid,
			 msg->m.sender);
		return;
	}
	dsn_format(&txn->data, &info);
	queue_result_dsn_sign(q, msg->m.qid, &txn->data);
	txn->has_msg = true;
	rand_queue_id(txn->msg.qid);
	txn->msg.sender = xstrdup("");
	txn->msg.arrival = info.now;
	txn->msg.size = txn->data.len;
	log_info("queue: %s: sender non-delivery notification: %s", msg->m.qid, txn->msg.qid);
}

static void
queue_result_txn_done(struct queue_spool_txn *txn, void *ctx)
{
	struct queue_result_txn *rt = ctx;
	struct queue *q = rt->q;

	if (txn->result < 0)
		log_error("queue: %s: cannot record the delivery status: %s", rt->msg->m.qid,
			  txn->error);
	if (txn->result == 0 && txn->has_msg) {
		/* the DSN is queued: deliver it like any message */
		struct queue_msg *dsn = queue_msg_new(&txn->msg);
		TAILQ_INSERT_TAIL(&q->msgs, dsn, entry);
		strmap_set(q->by_qid, dsn->m.qid, dsn);
		log_info("queue: %s: from=<> size=%llu nrcpt=%zu (queue active)", dsn->m.qid,
			 dsn->m.size, dsn->m.n_rcpts);
		queue_sched_msg(q, dsn);
	}
	rt->msg->txns--;
	if (rt->msg->deleted && txn->result == 0 && txn->n_deletes > 0)
		log_info("queue: %s: removed", rt->msg->m.qid);
	queue_msg_release(q, rt->msg);
	queue_spool_txn_free(&txn);
	free(rt);
}

static void
queue_result_log(const struct queue_msg *msg, const struct queue_db_rcpt *r, const char *relay,
		 const char *status, const char *text)
{
	log_info("queue: %s: to=<%s> relay=%s delay=%llds status=%s (%s)", msg->m.qid, r->address,
		 relay, (long long)(time(NULL) - msg->m.arrival), status, text);
	metrics_queue_result(status, relay, time(NULL) - msg->m.arrival);
	recent_add(status, msg->m.qid, "to=<%s> relay=%s (%s)", r->address, relay, text);
}

/* One recipient's outcome into memory and txn; a bounce is added to failed[]. */
static void
queue_result_rcpt(struct queue *q, struct queue_msg *msg, size_t idx,
		  const struct queue_rcpt_result *res, const char *relay, struct dsn_rcpt *failed,
		  size_t *n_failed, char **texts)
{
	const struct settings *s = q->deps.settings;
	struct queue_db_rcpt *r = &msg->m.rcpts[idx];
	enum queue_result result = res->result;
	const char *status = res->status, *text = res->text;
	time_t now = time(NULL);

	if (result == QUEUE_RESULT_DEFER &&
	    (unsigned long long)(now - msg->m.arrival) >= s->maximal_queue_lifetime) {
		texts[0] = xasprintf("message expired after %llu seconds in the queue: %s",
				     (unsigned long long)(now - msg->m.arrival), res->text);
		text = texts[0];
		status = "4.4.7"; /* RFC 3463: delivery time expired */
		result = QUEUE_RESULT_BOUNCE;
	}
	free(r->last_error);
	r->last_error = result == QUEUE_RESULT_SENT ? NULL : xstrdup(text);
	if (result == QUEUE_RESULT_SENT) {
		r->state = QUEUE_RCPT_SENT;
		queue_result_log(msg, r, relay, "sent", text);
	} else if (result == QUEUE_RESULT_DEFER) {
		r->attempts++;
		r->next_try = now + queue_result_backoff(r->attempts, s->minimal_backoff_time,
							 s->maximal_backoff_time);
		queue_result_log(msg, r, relay, "deferred", text);
	} else {
		r->state = QUEUE_RCPT_BOUNCED;
		queue_result_log(msg, r, relay, "bounced", text);
		failed[*n_failed].address = r->address;
		failed[*n_failed].status = status;
		failed[*n_failed].remote_mta = res->remote ? relay : NULL;
		failed[*n_failed].diagnostic = text;
		(*n_failed)++;
	}
}

static bool
queue_msg_finished(const struct queue_msg *msg)
{
	size_t i;

	for (i = 0; i < msg->m.n_rcpts; i++)
		if (msg->m.rcpts[i].state == QUEUE_RCPT_PENDING)
			return false;
	return true;
}

void
queue_result_job_done(struct queue *q, struct queue_job *job, struct queue_rcpt_result *results,
		      const char *relay)
{
	struct queue_msg *msg = job->msg;
	struct queue_result_txn *rt = xcalloc(1, sizeof(*rt));
	struct queue_spool_txn *txn = queue_spool_txn_new(queue_result_txn_done, rt);
	struct dsn_rcpt *failed = xcalloc(job->n_rcpts, sizeof(*failed));
	char **texts = xcalloc(job->n_rcpts, sizeof(*texts));
	size_t n_failed = 0, i;

	rt->q = q;
	rt->msg = msg;
	for (i = 0; i < job->n_rcpts; i++) {
		size_t idx = job->rcpts[i];

		msg->busy[idx] = 0;
		if (msg->m.rcpts[idx].state != QUEUE_RCPT_PENDING)
			continue;
		queue_result_rcpt(q, msg, idx, &results[i], relay, failed, &n_failed, &texts[i]);
		queue_spool_txn_update(txn, msg->m.qid, idx, &msg->m.rcpts[idx]);
	}
	if (n_failed > 0)
		queue_result_add_dsn(q, msg, txn, failed, n_failed);
	msg->jobs--;
	if (msg->jobs == 0 && !msg->deleted && queue_msg_finished(msg)) {
		queue_spool_txn_delete(txn, msg->m.qid);
		msg->deleted = true;
	}
	msg->next_due = 0; /* the next tick works out when it is due again */
	msg->txns++;
	queue_spool_commit(q->spool, txn);
	for (i = 0; i < job->n_rcpts; i++)
		free(texts[i]);
	free(texts);
	free(failed);
	queue_job_free(&job);
}

void
queue_result_fail_job(struct queue *q, struct queue_job *job, enum queue_result result,
		      const char *status, const char *why, const char *relay)
{
	struct queue_rcpt_result *results =
		xcalloc(job->n_rcpts ? job->n_rcpts : 1, sizeof(*results));
	size_t i, n = job->n_rcpts;

	for (i = 0; i < n; i++) {
		results[i].result = result;
		snprintf(results[i].status, sizeof(results[i].status), "%s", status);
		results[i].text = xstrdup(why);
	}
	queue_result_job_done(q, job, results, relay);
	for (i = 0; i < n; i++)
		free(results[i].text);
	free(results);
}
