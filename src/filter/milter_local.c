/* The milters over a locally submitted message (see milter_local.h): each milter in turn
 * gets the whole emulated session (Postfix's cleanup_milter.c does the same for
 * non_smtpd_milters: connect "localhost", helo "localhost"). */
#include "filter/milter_local.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "filter/milter_msg.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define DEFAULT_REJECT "550 5.7.1 Command rejected"
#define DEFAULT_TEMPFAIL "451 4.7.1 Service unavailable - try again later"

enum local_phase { PH_CONNECT, PH_HELO, PH_MAIL, PH_RCPT, PH_MESSAGE };

struct milter_local {
	struct event_base *base;
	char **specs;
	size_t n, i; /* the milters; the one talking */
	struct milter_params mp;
	char *default_action, *myhostname, *qid;
	struct milter_run *run;
	enum local_phase phase;
	size_t k; /* PH_RCPT: the recipient asked about */
	struct milter_msg msg;
	struct milter_local_result *r; /* sender, rcpts, refused build up here */
	size_t n_rcpts, rcpts_cap, n_refused, refused_cap, n_replies, replies_cap;
	struct event *start_ev; /* the first step runs from the loop (done never runs early) */
	milter_local_fn *done;
	void *ctx;
};

static void step(struct milter_local *ml);

void
milter_local_result_free(struct milter_local_result *r)
{
	if (r == NULL)
		return;
	free(r->reply);
	free(r->sender);
	str_array_free(&r->rcpts);
	str_array_free(&r->refused);
	str_array_free(&r->refused_replies);
	buf_free(&r->msg);
	free(r->quarantine);
	free(r);
}

static void
push(char ***arr, size_t *n, size_t *cap, const char *s)
{
	*arr = xgrow(*arr, cap, *n + 2, sizeof(char *));
	(*arr)[(*n)++] = xstrdup(s);
	(*arr)[*n] = NULL;
}

static void
local_free(struct milter_local *ml)
{
	milter_run_cancel(ml->run);
	if (ml->start_ev != NULL)
		event_free(ml->start_ev);
	str_array_free(&ml->specs);
	free(ml->default_action);
	free(ml->myhostname);
	free(ml->qid);
	milter_msg_free(&ml->msg);
	milter_local_result_free(ml->r);
	free(ml);
}

/* The end: the result goes to the caller, the driver is freed. */
static void
finish(struct milter_local *ml, enum milter_verdict verdict, const char *reply)
{
	struct milter_local_result *r = ml->r;
	milter_local_fn *done = ml->done;
	void *ctx = ml->ctx;

	ml->r = NULL;
	r->verdict = verdict;
	r->reply = reply != NULL ? xstrdup(reply) : NULL;
	if (verdict == MILTER_CONTINUE)
		milter_msg_format(&ml->msg, &r->msg);
	local_free(ml);
	done(ctx, r);
}

/* This milter is done (or ignored): on to the next one. */
static void
next_milter(struct milter_local *ml)
{
	milter_run_cancel(ml->run);
	ml->run = NULL;
	ml->i++;
	ml->phase = PH_CONNECT;
	step(ml);
}

/* A milter down, late or broken: milter_default_action. */
static void
failed(struct milter_local *ml)
{
	if (strcmp(ml->default_action, "accept") == 0)
		next_milter(ml);
	else
		finish(ml, MILTER_REJECT,
		       strcmp(ml->default_action, "reject") == 0 ? DEFAULT_REJECT
								 : DEFAULT_TEMPFAIL);
}

static void
drop_rcpt(struct milter_local *ml, size_t k)
{
	char **rc = ml->r->rcpts;

	free(rc[k]);
	memmove(rc + k, rc + k + 1, (ml->n_rcpts - k) * sizeof(*rc)); /* with the NULL */
	ml->n_rcpts--;
}

static void
on_reply(void *ctx, enum milter_verdict verdict, const char *reply)
{
	struct milter_local *ml = ctx;

	if (verdict == MILTER_FAILED) {
		failed(ml);
		return;
	}
	if (verdict == MILTER_REJECT && ml->phase != PH_RCPT) {
		finish(ml, MILTER_REJECT, reply);
		return;
	}
	switch (ml->phase) {
	case PH_CONNECT:
		ml->phase = PH_HELO;
		break;
	case PH_HELO:
		ml->phase = PH_MAIL;
		break;
	case PH_MAIL:
		ml->phase = PH_RCPT;
		ml->k = 0;
		break;
	case PH_RCPT:
		if (verdict == MILTER_REJECT) {
			/* this recipient only: it is bounced (Postfix's cleanup bounces what a
			 * milter refuses in mail that did not come over SMTP) */
			push(&ml->r->refused, &ml->n_refused, &ml->refused_cap,
			     ml->r->rcpts[ml->k]);
			push(&ml->r->refused_replies, &ml->n_replies, &ml->replies_cap, reply);
			drop_rcpt(ml, ml->k);
		} else {
			ml->k++;
		}
		break;
	case PH_MESSAGE:
		break;
	}
	step(ml);
}

static void
on_message(void *ctx, struct milter_result *res)
{
	struct milter_local *ml = ctx;
	struct milter_local_result *r = ml->r;

	switch (res->verdict) {
	case MILTER_CONTINUE:
		for (size_t j = 0; res->del_rcpts != NULL && res->del_rcpts[j] != NULL; j++)
			for (size_t k = ml->n_rcpts; k-- > 0;)
				if (str_casecmp(r->rcpts[k], res->del_rcpts[j]) == 0)
					drop_rcpt(ml, k);
		for (size_t j = 0; res->add_rcpts != NULL && res->add_rcpts[j] != NULL; j++)
			push(&r->rcpts, &ml->n_rcpts, &ml->rcpts_cap, res->add_rcpts[j]);
		if (res->new_from != NULL) {
			free(r->sender);
			r->sender = xstrdup(res->new_from);
		}
		if (res->quarantine != NULL && r->quarantine == NULL)
			r->quarantine = xstrdup(res->quarantine);
		break;
	case MILTER_REJECT:
		finish(ml, MILTER_REJECT, res->reply);
		milter_result_free(res);
		return;
	case MILTER_DISCARD:
		finish(ml, MILTER_DISCARD, NULL);
		milter_result_free(res);
		return;
	case MILTER_FAILED:
		milter_result_free(res);
		failed(ml);
		return;
	}
	milter_result_free(res);
	next_milter(ml);
}

static void
step(struct milter_local *ml)
{
	const char *r0 = ml->phase == PH_RCPT && ml->k < ml->n_rcpts ? ml->r->rcpts[ml->k] : "";
	const char *connect_mac[] = {
		"j", ml->myhostname, "{daemon_name}", "pickup", "v", "yubin", "_", "localhost",
		NULL};
	const char *mail_mac[] = {"i", ml->qid, "{mail_addr}", ml->r->sender, NULL};
	const char *rcpt_mac[] = {"i", ml->qid, "{rcpt_addr}", r0, NULL};
	const char *msg_mac[] = {"i", ml->qid, NULL};

	if (ml->i >= ml->n) {
		finish(ml, MILTER_CONTINUE, NULL);
		return;
	}
	if (ml->n_rcpts == 0) {
		/* every recipient refused: nothing to deliver, the refusals bounce */
		finish(ml, MILTER_CONTINUE, NULL);
		return;
	}
	switch (ml->phase) {
	case PH_CONNECT:
		ml->mp.spec = ml->specs[ml->i];
		ml->run = milter_run_start(ml->base, &ml->mp);
		milter_run_connect(ml->run, "localhost", NULL, 0, connect_mac, on_reply, ml);
		break;
	case PH_HELO:
		milter_run_helo(ml->run, "localhost", NULL, on_reply, ml);
		break;
	case PH_MAIL:
		milter_run_mail(ml->run, ml->r->sender, mail_mac, on_reply, ml);
		break;
	case PH_RCPT:
		if (ml->k >= ml->n_rcpts) {
			ml->phase = PH_MESSAGE;
			step(ml);
			return;
		}
		milter_run_rcpt(ml->run, r0, rcpt_mac, on_reply, ml);
		break;
	case PH_MESSAGE:
		milter_run_message(ml->run, &ml->msg, NULL, msg_mac, on_message, ml);
		break;
	}
}

static void
on_start(evutil_socket_t fd, short what, void *arg)
{
	step(arg);
}

struct milter_local *
milter_local_start(struct event_base *base, const struct milter_local_params *p, const char *sender,
		   char *const *rcpts, const char *msg, size_t len, milter_local_fn *done,
		   void *ctx)
{
	struct milter_local *ml = xcalloc(1, sizeof(*ml));
	struct timeval now = {0, 0};
	size_t specs_cap = 0;

	ml->base = base;
	for (size_t j = 0; p->specs[j] != NULL; j++)
		push(&ml->specs, &ml->n, &specs_cap, p->specs[j]);
	ml->mp.connect_timeout = p->connect_timeout;
	ml->mp.command_timeout = p->command_timeout;
	ml->mp.content_timeout = p->content_timeout;
	ml->default_action = xstrdup(p->default_action);
	ml->myhostname = xstrdup(p->myhostname);
	ml->qid = xstrdup(p->qid);
	ml->r = xcalloc(1, sizeof(*ml->r));
	ml->r->sender = xstrdup(sender);
	for (size_t j = 0; rcpts[j] != NULL; j++)
		push(&ml->r->rcpts, &ml->n_rcpts, &ml->rcpts_cap, rcpts[j]);
	milter_msg_parse(&ml->msg, msg, len);
	ml->done = done;
	ml->ctx = ctx;
	ml->start_ev = evtimer_new(base, on_start, ml);
	evtimer_add(ml->start_ev, &now);
	return ml;
}

void
milter_local_cancel(struct milter_local *ml)
{
	if (ml != NULL)
		local_free(ml);
}
