/* The "quota" stage (smtp_quota.h). */
#include "smtp/smtp_quota.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/accounts.h"
#include "conf/settings.h"
#include "log/log.h"
#include "mail/dsn.h"
#include "queue/queue.h"
#include "smtp/smtp_server.h"
#include "smtp/smtp_session.h"
#include "smtp/smtp_stage.h"
#include "store/store.h"
#include "store/store_quota.h"
#include "util/buf.h"
#include "util/rand.h"
#include "util/str.h"
#include "util/ttlmap.h"
#include "util/xmalloc.h"

/* How long a usage read for RCPT is reused: a few seconds of staleness cost at most a 452
 * (retried) or a message the end-of-data check catches. */
#define QUOTA_CACHE_TTL 5
#define QUOTA_CACHE_ENTRIES 4096
/* What delivery adds in front of the message (Return-Path:, Delivered-To:, Received:). */
#define QUOTA_PREFIX_ESTIMATE 512

/* The usage cache of the loop thread (one per process, like the loop). */
static struct ttlmap *quota_cache;

/* A DSN for the over-quota recipients on its way to the sender. */
struct smtp_quota {
	struct smtp_session *s; /* NULL once the transaction was reset: drop the answer */
	int pending;            /* store and queue callbacks still to come */
	bool failed;
	char *error;
};

/* The usage of account: from the cache (fresh = false) or the store. -1 if unknown. */
static int
quota_usage(struct smtp_session *s, const char *account, bool fresh, unsigned long long *used_r)
{
	time_t now = time(NULL);
	struct ttlmap_entry *e;
	struct store_usage u;

	if (quota_cache == NULL)
		quota_cache = ttlmap_new(QUOTA_CACHE_ENTRIES);
	if (!fresh && (e = ttlmap_get(quota_cache, account, now)) != NULL) {
		*used_r = (unsigned long long)e->a;
		return 0;
	}
	if (store_quota_usage_of(smtp_server_deps(s->server)->store, account, &u) < 0)
		return -1;
	e = ttlmap_put(quota_cache, account, now);
	e->expires = now + QUOTA_CACHE_TTL;
	e->a = (int64_t)u.bytes;
	*used_r = u.bytes;
	return 0;
}

/* The message is about to be stored for account: the cached usage counts it already, so
 * that the next RCPT within the cache's lifetime sees it. */
static void
quota_count(const char *account, unsigned long long bytes)
{
	struct ttlmap_entry *e =
		quota_cache != NULL ? ttlmap_get(quota_cache, account, time(NULL)) : NULL;

	if (e != NULL)
		e->a += (int64_t)bytes;
}

/* Whether account is over (or, adding bytes, would pass) its limit. */
static bool
quota_over(struct smtp_session *s, const char *account, unsigned long long bytes, bool fresh)
{
	unsigned long long limit, used;

	limit = accounts_quota_limit(smtp_server_deps(s->server)->accounts, account);
	if (limit == 0 || quota_usage(s, account, fresh, &used) < 0)
		return false; /* unlimited, or the account's store is unreadable: delivery says */
	return bytes == 0 ? used >= limit : store_quota_exceeds(used, bytes, limit);
}

void
smtp_quota_rcpt(struct smtp_session *s)
{
	struct smtp_rcpt *r = &s->rcpts[s->n_rcpts - 1];
	bool all_over = r->local != NULL && r->local[0] != NULL &&
			(r->remote == NULL || r->remote[0] == NULL);

	for (char **a = r->local; all_over && a != NULL && *a != NULL; a++)
		all_over = quota_over(s, *a, 0, false);
	if (all_over)
		smtp_stage_rcpt_done(s, SMTP_STAGE_REJECT,
				     "452 4.2.2 Mailbox full, try again later", "over quota");
	else
		smtp_stage_rcpt_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
}

/* Removes account from every recipient (a recipient left with no target goes). */
static void
quota_drop_account(struct smtp_session *s, const char *account)
{
	for (size_t i = 0; i < s->n_rcpts;) {
		struct smtp_rcpt *r = &s->rcpts[i];
		size_t n = str_array_len(r->local), k = 0;

		for (size_t j = 0; j < n; j++) {
			if (strcmp(r->local[j], account) == 0)
				free(r->local[j]);
			else
				r->local[k++] = r->local[j];
		}
		if (r->local != NULL)
			r->local[k] = NULL;
		if (k > 0 || str_array_len(r->remote) > 0) {
			i++;
			continue;
		}
		free(r->address);
		str_array_free(&r->local);
		str_array_free(&r->remote);
		memmove(r, r + 1, (s->n_rcpts - i - 1) * sizeof(*r));
		s->n_rcpts--;
	}
}

static void
quota_dsn_done(void *ctx, int result, const char *error)
{
	struct smtp_quota *q = ctx;
	struct smtp_session *s = q->s;

	if (result < 0 && !q->failed) {
		q->failed = true;
		q->error = xstrdup(error != NULL ? error : "failed");
	}
	if (--q->pending > 0)
		return;
	if (s == NULL) { /* the transaction is gone */
		free(q->error);
		free(q);
		return;
	}
	s->quota = NULL;
	if (q->failed) {
		log_error("smtp: %s: over-quota bounce to <%s> not stored: %s", s->qid,
			  s->mail_from, q->error);
		smtp_stage_done(s, SMTP_STAGE_REJECT, "451 4.3.0 Local error, try again later",
				q->error);
	} else {
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
	}
	free(q->error);
	free(q);
}

/* Sends the DSN for the failed recipients to the envelope sender: into the store for a
 * local sender, into the queue for a remote one. Calls quota_dsn_done() when durable. */
static void
quota_bounce(struct smtp_session *s, const struct dsn_rcpt *failed, size_t n_failed)
{
	const struct smtp_server_deps *deps = smtp_server_deps(s->server);
	struct smtp_quota *q = xcalloc(1, sizeof(*q));
	char **local = NULL, **remote = NULL, qid[17];
	struct store_target *targets;
	struct buf dsn = BUF_INIT;
	struct dsn_info info;
	size_t n_local, n_remote;
	struct tm tm;

	memset(&info, 0, sizeof(info));
	info.reporting_mta = deps->settings->myhostname;
	info.qid = s->qid;
	info.sender = s->mail_from;
	info.arrival = info.now = time(NULL);
	localtime_r(&info.now, &tm);
	info.tz = tm.tm_gmtoff;
	info.msg = s->msg.data;
	info.msg_len = s->msg.len;
	info.rcpts = failed;
	info.n_rcpts = n_failed;
	dsn_format(&dsn, &info);
	if (accounts_resolve(deps->accounts, s->mail_from, &local, &remote) <= 0) {
		log_info("smtp: %s: sender <%s> has no mailbox, over-quota bounce discarded",
			 s->qid, s->mail_from);
		local = xcalloc(1, sizeof(*local));
	}
	n_local = str_array_len(local);
	n_remote = str_array_len(remote);
	if (deps->queue == NULL)
		n_remote = 0;
	q->s = s;
	s->quota = q;
	q->pending = 1 + (n_local > 0) + (n_remote > 0);
	if (n_local > 0) {
		targets = xcalloc(n_local, sizeof(*targets));
		for (size_t i = 0; i < n_local; i++)
			targets[i].account = local[i];
		store_deliver(deps->store, targets, n_local, dsn.data, dsn.len, 0, quota_dsn_done,
			      q);
		free(targets);
	}
	if (n_remote > 0) {
		rand_queue_id(qid);
		queue_submit(deps->queue, qid, "", (const char *const *)remote, NULL, 0, dsn.data,
			     dsn.len, quota_dsn_done, q);
	}
	log_info("smtp: %s: over-quota bounce to <%s>: %zu recipient(s)", s->qid, s->mail_from,
		 n_failed);
	str_array_free(&local);
	str_array_free(&remote);
	buf_free(&dsn);
	quota_dsn_done(q, 0, NULL);
}

void
smtp_quota_end_of_data(struct smtp_session *s)
{
	unsigned long long bytes = s->msg.len + s->stage_headers.len + QUOTA_PREFIX_ESTIMATE;
	struct dsn_rcpt *failed = NULL;
	char **over = NULL;
	size_t n_over = 0, n_targets = 0, n_failed = 0;

	/* every local account once: an alias may name one twice */
	for (size_t i = 0; i < s->n_rcpts; i++) {
		struct smtp_rcpt *r = &s->rcpts[i];

		n_targets += str_array_len(r->remote);
		for (char **a = r->local; a != NULL && *a != NULL; a++) {
			bool seen = false;

			n_targets++;
			for (size_t k = 0; k < n_over && !seen; k++)
				seen = strcmp(over[k], *a) == 0;
			if (seen)
				continue;
			if (!quota_over(s, *a, bytes, true)) {
				quota_count(*a, bytes);
				continue;
			}
			over = xrealloc(over, (n_over + 1) * sizeof(*over));
			over[n_over++] = xstrdup(*a);
			log_info("smtp: %s: to=<%s> (%s): over quota", s->qid, r->address, *a);
		}
	}
	if (n_over == 0) {
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	}
	for (size_t i = 0; i < s->n_rcpts; i++) {
		struct smtp_rcpt *r = &s->rcpts[i];

		for (char **a = r->local; a != NULL && *a != NULL; a++) {
			for (size_t k = 0; k < n_over; k++) {
				if (strcmp(over[k], *a) != 0)
					continue;
				bool one = r->local[1] == NULL && str_array_len(r->remote) == 0;

				failed = xrealloc(failed, (n_failed + 1) * sizeof(*failed));
				/* the address the sender used, or the account an alias reached */
				failed[n_failed].address = xstrdup(one ? r->address : *a);
				failed[n_failed].status = "5.2.2";
				failed[n_failed].remote_mta = NULL;
				failed[n_failed++].diagnostic = "552 5.2.2 Mailbox full";
			}
		}
	}
	if (n_failed == n_targets) {
		/* nobody left to deliver to: the one reply says it */
		smtp_stage_done(s, SMTP_STAGE_REJECT, "552 5.2.2 Mailbox full", "over quota");
	} else if (s->mail_from[0] == '\0') {
		/* RFC 5321 4.5.5 / RFC 3464 2: a bounce is never bounced */
		for (size_t k = 0; k < n_over; k++)
			quota_drop_account(s, over[k]);
		log_info("smtp: %s: bounce to over-quota accounts discarded", s->qid);
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
	} else {
		for (size_t k = 0; k < n_over; k++)
			quota_drop_account(s, over[k]);
		/* ends the stage (now or from a callback): s is not touched after it */
		quota_bounce(s, failed, n_failed);
	}
	for (size_t k = 0; k < n_failed; k++)
		free((char *)failed[k].address);
	free(failed);
	for (size_t k = 0; k < n_over; k++)
		free(over[k]);
	free(over);
}

void
smtp_quota_reset(struct smtp_session *s)
{
	if (s->quota != NULL)
		s->quota->s = NULL; /* its callbacks free it */
	s->quota = NULL;
}
