/* non_smtpd_milters for mail dropped by `yubin sendmail` (see queue_pickup_private.h and
 * src/filter/milter_local.h). Postfix's pickup hands such mail to cleanup with
 * CLEANUP_FLAG_BOUNCE: the sendmail command has long returned, so what a milter refuses
 * is bounced to the sender (a DSN, RFC 3464), a temporary refusal keeps the file in the
 * maildrop for the next scan (every minute), a discard drops it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/settings.h"
#include "filter/milter_local.h"
#include "log/log.h"
#include "mail/dsn.h"
#include "queue/queue_db.h"
#include "queue/queue_pickup_private.h"
#include "queue/queue_private.h"
#include "util/rand.h"
#include "util/xmalloc.h"

/* "550 5.7.1 text" -> "5.7.1"; a reply without an enhanced code -> "5.0.0" (RFC 3463). */
static void
reply_status(const char *reply, char out[16])
{
	const char *p = reply + 4;
	size_t n = 0;

	if (strlen(reply) > 4 && p[0] >= '2' && p[0] <= '5' && p[1] == '.') {
		while (n < 15 && p[n] != '\0' && p[n] != ' ' && p[n] != '\r')
			n++;
		memcpy(out, p, n);
		out[n] = '\0';
		return;
	}
	snprintf(out, 16, "%c.0.0", reply[0] == '4' ? '4' : '5');
}

static void
bounce_logged(void *ctx, int result, const char *error)
{
	if (result < 0)
		log_error("queue: pickup: bounce not queued: %s", error);
}

/* A DSN to sender for addrs (each with replies[i], or `reply` for all). cb (or a log line)
 * when it is durable. */
static void
pickup_bounce(struct queue *q, const char *qid, const char *sender, char *const *addrs,
	      char *const *replies, const char *reply, const struct buf *msg, queue_submit_cb *cb,
	      void *ctx)
{
	char *to[] = {(char *)sender, NULL};
	struct queue_db_rcpt *rr = NULL;
	struct dsn_rcpt *dr;
	char(*status)[16];
	struct dsn_info info;
	struct buf out = BUF_INIT;
	struct tm tm;
	size_t n = 0, nr = 0;
	char dsn_qid[17];

	while (addrs != NULL && addrs[n] != NULL)
		n++;
	if (sender[0] == '\0' || n == 0 || pickup_resolve(q, to, &rr, &nr) < 0) {
		log_info("queue: %s: milter refusal of mail from <%s> not bounced", qid, sender);
		if (cb != NULL)
			cb(ctx, 0, NULL);
		return;
	}
	dr = xcalloc(n, sizeof(*dr));
	status = xcalloc(n, sizeof(*status));
	for (size_t i = 0; i < n; i++) {
		dr[i].address = addrs[i];
		dr[i].diagnostic = replies != NULL ? replies[i] : reply;
		reply_status(dr[i].diagnostic, status[i]);
		dr[i].status = status[i];
	}
	memset(&info, 0, sizeof(info));
	info.reporting_mta = q->deps.settings->myhostname;
	info.qid = qid;
	info.sender = sender;
	info.arrival = info.now = time(NULL);
	localtime_r(&info.now, &tm);
	info.tz = tm.tm_gmtoff;
	info.msg = msg->data;
	info.msg_len = msg->len;
	info.rcpts = dr;
	info.n_rcpts = n;
	dsn_format(&out, &info);
	rand_queue_id(dsn_qid);
	log_info("queue: %s: milter refusal bounced to <%s> as %s", qid, sender, dsn_qid);
	/* RFC 3464 2: a DSN goes out with the null sender */
	queue_submit_rcpts(q, dsn_qid, "", rr, nr, "", 0, out.data, out.len,
			   cb != NULL ? cb : bounce_logged, ctx);
	for (size_t i = 0; i < nr; i++)
		free(rr[i].address);
	free(rr);
	free(dr);
	free(status);
	buf_free(&out);
}

static void
unlink_ps(struct pickup_submit *ps)
{
	*ps->prevp = ps->next;
	if (ps->next != NULL)
		ps->next->prevp = ps->prevp;
	ps->ml = NULL;
}

static void
pickup_milter_done(void *ctx, struct milter_local_result *r)
{
	struct pickup_submit *ps = ctx;
	struct queue *q = ps->q;
	struct queue_db_rcpt *rcpts = NULL;
	size_t n = 0;

	unlink_ps(ps);
	switch (r->verdict) {
	case MILTER_CONTINUE:
		if (r->refused != NULL)
			pickup_bounce(q, ps->qid, r->sender, r->refused, r->refused_replies, NULL,
				      &r->msg, NULL, NULL);
		if (r->rcpts == NULL || r->rcpts[0] == NULL) {
			log_info("queue: %s: pickup: every recipient refused by the milters",
				 ps->qid);
			pickup_submitted(ps, 0, NULL);
			break;
		}
		if (r->quarantine != NULL)
			log_warn("queue: %s: milter quarantine (%s) not available for sendmail "
				 "mail: queued",
				 ps->qid, r->quarantine);
		if (pickup_resolve(q, r->rcpts, &rcpts, &n) < 0) {
			pickup_submitted(ps, -1, "recipient lookup failed, will retry");
			break;
		}
		pickup_queue(q, ps, r->sender, rcpts, n, &r->msg);
		for (size_t i = 0; i < n; i++)
			free(rcpts[i].address);
		free(rcpts);
		break;
	case MILTER_REJECT:
		if (r->reply[0] == '4') {
			/* kept in the maildrop: the next scan tries again */
			log_warn("queue: %s: pickup: milter: %s (will retry)", ps->qid, r->reply);
			pickup_submitted(ps, -1, "deferred by a milter");
			break;
		}
		log_info("queue: %s: pickup: reject by milter: from=<%s>: %s", ps->qid, r->sender,
			 r->reply);
		if (r->refused != NULL)
			pickup_bounce(q, ps->qid, r->sender, r->refused, r->refused_replies, NULL,
				      &r->msg, NULL, NULL);
		pickup_bounce(q, ps->qid, r->sender, r->rcpts, NULL, r->reply, &r->msg,
			      pickup_submitted, ps);
		break;
	default:
		log_info("queue: %s: pickup: discarded by a milter", ps->qid);
		pickup_submitted(ps, 0, NULL);
		break;
	}
	milter_local_result_free(r);
}

bool
pickup_milter_start(struct queue *q, struct pickup_submit *ps, const char *sender,
		    char *const *rcpts, const struct buf *msg)
{
	const struct settings *set = q->deps.settings;
	struct milter_local_params mp;
	struct pickup_submit **head = pickup_filtering(ps->p);

	if (set->non_smtpd_milters == NULL || set->non_smtpd_milters[0] == NULL)
		return false;
	memset(&mp, 0, sizeof(mp));
	mp.specs = set->non_smtpd_milters;
	mp.connect_timeout = set->milter_connect_timeout;
	mp.command_timeout = set->milter_command_timeout;
	mp.content_timeout = set->milter_content_timeout;
	mp.default_action = set->milter_default_action;
	mp.myhostname = set->myhostname;
	mp.qid = ps->qid;
	ps->next = *head;
	if (*head != NULL)
		(*head)->prevp = &ps->next;
	*head = ps;
	ps->prevp = head;
	ps->ml = milter_local_start(q->deps.base, &mp, sender, rcpts, msg->data, msg->len,
				    pickup_milter_done, ps);
	return true;
}

void
pickup_milter_cancel(struct pickup_submit *ps)
{
	milter_local_cancel(ps->ml);
	unlink_ps(ps);
	pickup_submitted(ps, -1, "shutting down while the milters were asked");
}
