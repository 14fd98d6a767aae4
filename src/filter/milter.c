/* The milter client conversation (see milter.h). Postfix's milter8.c is the behaviour
 * matched: the macros it sends, the reply texts for reject/tempfail, edits applied only
 * when the final verdict accepts the message. */
#include "filter/milter.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "filter/filter_socket.h"
#include "filter/milter_msg.h"
#include "filter/milter_pool.h"
#include "mail/milter_proto.h"
#include "net/conn.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* Postfix's texts for a bare reject / tempfail (milter8.c) */
#define REJECT_TEXT "550 5.7.1 Command rejected"
#define TEMPFAIL_TEXT "451 4.7.1 Service unavailable - try again later"

/* The session as the filter decided it. */
enum run_state {
	RUN_OPEN,      /* talking */
	RUN_ACCEPTED,  /* accept at connect or helo: the rest of the session passes */
	RUN_REJECTED,  /* reject at connect: every request is refused with `why` */
	RUN_DISCARDED, /* discard at connect or helo: every message is discarded */
	RUN_FAILED,    /* down, late, broken: `why` */
};

/* The transaction as the filter sees it. */
enum txn_state {
	TXN_NONE,      /* none open (before MAIL, after the message or a reject at MAIL) */
	TXN_OPEN,      /* MAIL went out: an early end needs an abort */
	TXN_ACCEPTED,  /* accept at mail or rcpt: the rest of the transaction passes */
	TXN_DISCARDED, /* discard at mail or rcpt: the message will be discarded */
};

enum req_kind {
	REQ_NONE,
	REQ_CONNECT,
	REQ_HELO,
	REQ_MAIL,
	REQ_RCPT,
	REQ_UNKNOWN,
	REQ_MESSAGE,
};

struct milter_step {
	char cmd;         /* the command (enum milter_cmd) */
	struct buf pkt;   /* its macros packet, if any, and the command packet */
	bool wants_reply; /* not NR_* */
	bool content;     /* body or eom: milter_content_timeout */
	const char *rcpt; /* a RCPT before the message: the added recipient (extra_rcpts) */
};

struct milter_edit {
	char cmd;
	char *payload;
	size_t len;
};

struct milter_run {
	struct event_base *base;
	struct filter_connect *fc;
	struct conn *conn;
	int fd;   /* the conn's socket (owned by conn), for TCP_QUICKACK */
	bool tcp; /* inet: TCP_QUICKACK after each read */
	struct milter_params p;
	char *spec; /* p.spec's copy */

	enum run_state state;
	enum txn_state txn;
	char *why; /* RUN_REJECTED: the reply; RUN_FAILED: the reason */
	bool negotiated;
	uint32_t version, actions, protocol;

	/* Packets that need no reply (SMFIP_NR_*, abort) wait here and go out with the next
	 * packet that does, or at the end: one write and one wakeup of the filter per reply
	 * instead of one per SMTP command (docs/filters.md "Round trips"). */
	struct buf held;
	/* A connection taken from the idle pool (milter_pool.h): SMFIC_QUIT_NC goes out before
	 * the first packet; until the filter has answered anything on it (confirmed), it may
	 * turn out closed meanwhile: then one new connection is made, negotiated, and sent what
	 * the old one was (replay: the held packets that went out with the current request's
	 * steps). */
	bool reused, quit_nc_due, confirmed, reconnecting;
	unsigned sessions; /* the conversations the connection carried, this one included */
	struct buf replay;
	/* The filter's last word was continue to end of message, nothing sent since: the state
	 * in which libmilter accepts SMFIC_QUIT_NC (its engine.c: after ST_ENDM only). */
	bool at_endm;
	struct milter_step *steps; /* the request in progress' */
	size_t n_steps, next;
	bool waiting; /* for the reply to steps[next - 1] */

	/* the request in progress */
	enum req_kind req;
	char *arg;         /* helo, sender, recipient, command line; connect: client name */
	char *client_addr; /* connect */
	unsigned client_port;
	char **macros;      /* name/value pairs, NULL-terminated */
	char **extra_rcpts; /* message: recipients an earlier filter added */
	char **refused;     /* ...and those of them this filter refused */
	size_t n_refused, refused_cap;
	milter_reply_fn *reply_done;
	struct milter_msg *msg;
	milter_done_fn *msg_done;
	void *ctx;
	struct milter_edit *edits;
	size_t n_edits, edits_cap;

	int in_callback; /* a cancel from inside a callback is deferred to its end */
	bool cancelled;
};

static bool pump(struct milter_run *mr);
static bool start_request(struct milter_run *mr);
static bool renegotiated(struct milter_run *mr, const struct milter_reply *rp);

/* A copy that also ends in a NUL (payloads hold NULs: xstrndup would stop at one). */
static char *
memdup_nul(const char *p, size_t len)
{
	char *c = xmalloc(xsize_add(len, 1));

	memcpy(c, p, len);
	c[len] = '\0';
	return c;
}

/* "<a@b>" -> "a@b" (a filter may send either form). */
static char *
strip_brackets(const char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		return xstrndup(s + 1, n - 2);
	return xstrdup(s);
}

/* A NULL-terminated array copied; with pairs, a NULL value (before the terminating NULL
 * name) becomes "" (milter_put_macros stops at a NULL). */
static char **
copy_array(const char *const *a, bool pairs)
{
	size_t n = 0;
	char **c;

	if (a == NULL)
		return NULL;
	while (a[n] != NULL)
		n += pairs ? 2 : 1;
	c = xcalloc(n + 1, sizeof(*c));
	for (size_t i = 0; i < n; i++)
		c[i] = xstrdup(a[i] != NULL ? a[i] : "");
	return c;
}

static const char *const no_macros[] = {NULL};

/* A macros packet for cmd, when there is a macro to send. */
static void
put_macros(struct buf *out, char cmd, const char *const *m)
{
	if (m[0] != NULL)
		milter_put_macros(out, cmd, m);
}

static const char *const *
macros_of(const struct milter_run *mr)
{
	return mr->macros != NULL ? (const char *const *)mr->macros : no_macros;
}

void
milter_result_free(struct milter_result *r)
{
	if (r == NULL)
		return;
	free(r->reply);
	free(r->quarantine);
	free(r->new_from);
	str_array_free(&r->add_rcpts);
	str_array_free(&r->del_rcpts);
	str_array_free(&r->refused_rcpts);
	free(r);
}

/* ---- writing: held packets, the idle pool ---- */

/* A packet that needs no reply: it waits for the next one that does. */
static void
hold(struct milter_run *mr, const struct buf *b)
{
	buf_append(&mr->held, b->data, b->len);
	mr->at_endm = false;
}

/* Writes QUIT_NC when due, the held packets and then tail (NULL: none), in one write. */
static void
flush(struct milter_run *mr, const struct buf *tail)
{
	struct buf out = BUF_INIT;

	if (mr->quit_nc_due) {
		milter_put_cmd(&out, MILTER_CMD_QUIT_NC);
		mr->quit_nc_due = false;
	}
	buf_append(&out, mr->held.data, mr->held.len);
	if (tail != NULL)
		buf_append(&out, tail->data, tail->len);
	if (out.len > 0)
		conn_write(mr->conn, out.data, out.len);
	buf_free(&out);
	if (mr->reused && !mr->confirmed) {
		/* what a new connection must be told again if this one turns out dead */
		buf_append(&mr->replay, mr->held.data, mr->held.len);
	}
	mr->held.len = 0;
	mr->at_endm = false;
}

/* The connection may serve a later session (milter_pool.h): the conversation ended where
 * the filter expects SMFIC_QUIT_NC. Never after a failure, a timeout or a verdict on the
 * whole session, nor in the middle of a request or with a transaction open; milter
 * protocol 6 only. milter_reuse_after = message: only right after a message the filter
 * answered with continue (what libmilter accepts: after accept or reject it ignores
 * QUIT_NC and the CONNECT after it); session: after any such end (rspamd resets on
 * QUIT_NC in any state). */
static bool
reusable(const struct milter_run *mr)
{
	/* milter_connection_sessions: a connection that served that many is closed, and the
	 * next session connects anew, which the filter's processes accept in turn as each is
	 * free (a connection kept for ever ties its sessions to the process that accepted it,
	 * however busy: rspamd's two proxies at 67% and 51% of a core in bench/smtp-in) */
	if (mr->p.idle_connections == 0 || mr->sessions >= mr->p.connection_sessions ||
	    mr->conn == NULL || !mr->negotiated || mr->reconnecting || mr->version < 6 ||
	    mr->state != RUN_OPEN || mr->req != REQ_NONE || mr->waiting || mr->txn == TXN_OPEN ||
	    conn_is_closing(mr->conn) || conn_input_len(mr->conn) > 0)
		return false;
	return mr->p.reuse_after_session ? true : mr->at_endm;
}

static void
say_goodbye(struct milter_run *mr)
{
	struct buf b = BUF_INIT;
	struct milter_pooled pc;

	if (mr->conn == NULL)
		return;
	if (reusable(mr)) {
		if (mr->held.len > 0)
			flush(mr, NULL);
		pc.conn = mr->conn;
		pc.fd = mr->fd;
		pc.tcp = mr->tcp;
		pc.version = mr->version;
		pc.actions = mr->actions;
		pc.protocol = mr->protocol;
		pc.sessions = mr->sessions;
		if (milter_pool_put(mr->base, mr->spec, &pc, mr->p.idle_connections,
				    mr->p.idle_timeout)) {
			mr->conn = NULL;
			return;
		}
	}
	if (mr->negotiated) {
		/* a transaction (or a request) still open in the filter */
		if (mr->txn == TXN_OPEN || mr->req != REQ_NONE)
			milter_put_cmd(&b, MILTER_CMD_ABORT);
		flush(mr, &b);
		buf_free(&b);
	}
	milter_conn_goodbye(mr->conn, mr->negotiated);
	mr->conn = NULL;
}

static void
clear_edits(struct milter_run *mr)
{
	for (size_t i = 0; i < mr->n_edits; i++)
		free(mr->edits[i].payload);
	mr->n_edits = 0;
}

static void
clear_steps(struct milter_run *mr)
{
	for (size_t i = 0; i < mr->n_steps; i++)
		buf_free(&mr->steps[i].pkt);
	free(mr->steps);
	mr->steps = NULL;
	mr->n_steps = mr->next = 0;
	mr->waiting = false;
}

/* The request is over (answered or dropped). */
static void
clear_request(struct milter_run *mr)
{
	mr->req = REQ_NONE;
	free(mr->arg);
	mr->arg = NULL;
	free(mr->client_addr);
	mr->client_addr = NULL;
	str_array_free(&mr->macros);
	str_array_free(&mr->extra_rcpts);
	str_array_free(&mr->refused);
	mr->n_refused = mr->refused_cap = 0;
	mr->reply_done = NULL;
	mr->msg = NULL;
	mr->msg_done = NULL;
	clear_steps(mr);
}

static void
run_free(struct milter_run *mr)
{
	say_goodbye(mr);
	filter_connect_cancel(mr->fc);
	clear_request(mr);
	clear_edits(mr);
	free(mr->edits);
	buf_free(&mr->held);
	buf_free(&mr->replay);
	free(mr->spec);
	free(mr->why);
	free(mr);
}

/* ---- answering the request in progress ---- */

/* After a callback: false if the run was cancelled from it (it is gone, or goes when the
 * outermost callback returns). */
static bool
after_callback(struct milter_run *mr)
{
	mr->in_callback--;
	if (!mr->cancelled)
		return true;
	if (mr->in_callback == 0)
		run_free(mr);
	return false;
}

/* A command's verdict; the request is cleared first (the callback may ask the next). */
static bool
answer_cmd(struct milter_run *mr, enum milter_verdict verdict, const char *reply)
{
	milter_reply_fn *done = mr->reply_done;
	void *ctx = mr->ctx;
	char *copy = reply != NULL ? xstrdup(reply) : NULL;

	clear_request(mr);
	mr->in_callback++;
	done(ctx, verdict, copy);
	free(copy);
	return after_callback(mr);
}

/* The message's verdict: the transaction is over. */
static bool
answer_message(struct milter_run *mr, struct milter_result *r)
{
	milter_done_fn *done = mr->msg_done;
	void *ctx = mr->ctx;

	mr->txn = TXN_NONE;
	clear_edits(mr);
	clear_request(mr);
	mr->in_callback++;
	done(ctx, r);
	return after_callback(mr);
}

static bool
answer_message_verdict(struct milter_run *mr, enum milter_verdict verdict, const char *reply)
{
	struct milter_result *r = xcalloc(1, sizeof(*r));

	r->verdict = verdict;
	r->reply = reply != NULL ? xstrdup(reply) : NULL;
	return answer_message(mr, r);
}

/* Answers the request without asking the filter, when its state already decides it;
 * false when the filter must be asked. */
static bool
answer_known(struct milter_run *mr)
{
	enum milter_verdict v;

	switch (mr->state) {
	case RUN_OPEN:
		if (mr->req == REQ_MESSAGE && mr->txn == TXN_DISCARDED)
			v = MILTER_DISCARD;
		else if ((mr->req == REQ_RCPT || mr->req == REQ_MESSAGE) &&
			 (mr->txn == TXN_ACCEPTED || mr->txn == TXN_DISCARDED))
			v = MILTER_CONTINUE;
		else
			return false;
		break;
	case RUN_ACCEPTED:
		v = MILTER_CONTINUE;
		break;
	case RUN_DISCARDED:
		v = mr->req == REQ_MESSAGE ? MILTER_DISCARD : MILTER_CONTINUE;
		break;
	case RUN_REJECTED:
		v = MILTER_REJECT;
		break;
	default:
		v = MILTER_FAILED;
		break;
	}
	if (mr->req == REQ_MESSAGE)
		answer_message_verdict(mr, v, mr->why);
	else
		answer_cmd(mr, v, mr->why);
	return true;
}

/* The conversation is over; the request in progress, if any, is answered. */
static void
fail(struct milter_run *mr, const char *why)
{
	mr->state = RUN_FAILED;
	free(mr->why);
	mr->why = xstrdup(why);
	mr->waiting = false;
	clear_edits(mr);
	say_goodbye(mr);
	if (mr->req != REQ_NONE)
		answer_known(mr);
}

/* ---- the steps ---- */

static struct milter_step *
add_step(struct milter_run *mr, char cmd, bool no_reply)
{
	struct milter_step *st;

	mr->steps = xrealloc(mr->steps, xsize_mul(mr->n_steps + 1, sizeof(*mr->steps)));
	st = &mr->steps[mr->n_steps++];
	memset(st, 0, sizeof(*st));
	st->cmd = cmd;
	st->wants_reply = !no_reply;
	return st;
}

/* A command with one address argument in <> (MAIL, RCPT). */
static void
add_address_step(struct milter_run *mr, char cmd, bool no_reply, const char *const *macros,
		 const char *address)
{
	char *arg = xasprintf("<%s>", address);
	const char *args[] = {arg};
	struct milter_step *st = add_step(mr, cmd, no_reply);

	put_macros(&st->pkt, cmd, macros);
	milter_put_strings(&st->pkt, cmd, args, 1);
	free(arg);
}

static void
build_message(struct milter_run *mr)
{
	uint32_t pr = mr->protocol;
	bool leadspc = (pr & MILTER_P_HDR_LEADSPC) != 0;
	const char *const *m = macros_of(mr);
	struct milter_step *st;

	for (size_t i = 0; mr->extra_rcpts != NULL && mr->extra_rcpts[i] != NULL; i++) {
		const char *rm[] = {"{rcpt_addr}", mr->extra_rcpts[i], NULL};

		if (pr & MILTER_P_NORCPT)
			continue;
		add_address_step(mr, MILTER_CMD_RCPT, pr & MILTER_P_NR_RCPT, rm,
				 mr->extra_rcpts[i]);
		mr->steps[mr->n_steps - 1].rcpt = mr->extra_rcpts[i];
	}
	if (!(pr & MILTER_P_NODATA)) {
		st = add_step(mr, MILTER_CMD_DATA, pr & MILTER_P_NR_DATA);
		put_macros(&st->pkt, MILTER_CMD_DATA, m);
		milter_put_cmd(&st->pkt, MILTER_CMD_DATA);
	}
	for (size_t i = 0; i < mr->msg->n && !(pr & MILTER_P_NOHDRS); i++) {
		char *value = milter_field_wire_value(&mr->msg->fields[i], leadspc);
		const char *args[] = {mr->msg->fields[i].name, value};

		st = add_step(mr, MILTER_CMD_HEADER, pr & MILTER_P_NR_HDR);
		milter_put_strings(&st->pkt, MILTER_CMD_HEADER, args, 2);
		free(value);
	}
	if (!(pr & MILTER_P_NOEOH)) {
		st = add_step(mr, MILTER_CMD_EOH, pr & MILTER_P_NR_EOH);
		put_macros(&st->pkt, MILTER_CMD_EOH, m);
		milter_put_cmd(&st->pkt, MILTER_CMD_EOH);
	}
	for (size_t off = 0; off < mr->msg->body.len && !(pr & MILTER_P_NOBODY);
	     off += MILTER_CHUNK_SIZE) {
		size_t n = mr->msg->body.len - off;

		st = add_step(mr, MILTER_CMD_BODY, pr & MILTER_P_NR_BODY);
		st->content = true;
		milter_put_body(&st->pkt, mr->msg->body.data + off,
				n > MILTER_CHUNK_SIZE ? MILTER_CHUNK_SIZE : n);
	}
	st = add_step(mr, MILTER_CMD_EOM, false);
	st->content = true;
	put_macros(&st->pkt, MILTER_CMD_EOM, m);
	milter_put_cmd(&st->pkt, MILTER_CMD_EOM);
}

/* Builds the steps of the request in progress (once negotiated) and sends them. False if
 * the run is gone (cancelled from a callback). */
static bool
start_request(struct milter_run *mr)
{
	uint32_t pr = mr->protocol;
	const char *const *m = macros_of(mr);
	struct milter_step *st;
	const char *args[] = {mr->arg};

	switch (mr->req) {
	case REQ_CONNECT:
		if (pr & MILTER_P_NOCONNECT)
			break;
		st = add_step(mr, MILTER_CMD_CONNECT, pr & MILTER_P_NR_CONN);
		put_macros(&st->pkt, MILTER_CMD_CONNECT, m);
		milter_put_connect(&st->pkt, mr->arg, mr->client_addr, mr->client_port);
		break;
	case REQ_HELO:
		if (pr & MILTER_P_NOHELO)
			break;
		st = add_step(mr, MILTER_CMD_HELO, pr & MILTER_P_NR_HELO);
		put_macros(&st->pkt, MILTER_CMD_HELO, m);
		milter_put_strings(&st->pkt, MILTER_CMD_HELO, args, 1);
		break;
	case REQ_MAIL:
		if (!(pr & MILTER_P_NOMAIL))
			add_address_step(mr, MILTER_CMD_MAIL, pr & MILTER_P_NR_MAIL, m, mr->arg);
		break;
	case REQ_RCPT:
		if (!(pr & MILTER_P_NORCPT))
			add_address_step(mr, MILTER_CMD_RCPT, pr & MILTER_P_NR_RCPT, m, mr->arg);
		break;
	case REQ_UNKNOWN:
		if (pr & MILTER_P_NOUNKNOWN)
			break;
		st = add_step(mr, MILTER_CMD_UNKNOWN, pr & MILTER_P_NR_UNKN);
		milter_put_strings(&st->pkt, MILTER_CMD_UNKNOWN, args, 1);
		break;
	case REQ_MESSAGE:
		build_message(mr);
		break;
	case REQ_NONE:
		return true;
	}
	return pump(mr);
}

/* A command request that needs no reply (skipped or NR_*) went out: it passes. */
static bool
command_passed(struct milter_run *mr)
{
	if (mr->req == REQ_MAIL)
		mr->txn = TXN_OPEN;
	return answer_cmd(mr, MILTER_CONTINUE, NULL);
}

/* Writes steps until one wants a reply (then waits for it); with none left, a command
 * request is answered. False if the run is gone. */
/* Seconds to wait for the reply to the last step sent (Postfix's milter_content_timeout for
 * the message's steps, milter_command_timeout for the others). */
static unsigned
reply_timeout(const struct milter_run *mr)
{
	return mr->steps[mr->next - 1].content ? mr->p.content_timeout : mr->p.command_timeout;
}

static bool
pump(struct milter_run *mr)
{
	struct buf out = BUF_INIT;

	while (mr->next < mr->n_steps) {
		struct milter_step *st = &mr->steps[mr->next++];

		buf_append(&out, st->pkt.data, st->pkt.len);
		if (st->wants_reply) {
			mr->waiting = true;
			break;
		}
	}
	/* no-reply packets wait for the next one that wants a reply (held) */
	if (mr->waiting)
		flush(mr, &out);
	else if (out.len > 0)
		hold(mr, &out);
	buf_free(&out);
	if (mr->waiting) {
		conn_set_timeout(mr->conn, reply_timeout(mr));
		return true;
	}
	/* idle until the next request: the client may take its time */
	conn_set_timeout(mr->conn, 0);
	if (mr->req != REQ_NONE && mr->req != REQ_MESSAGE)
		return command_passed(mr);
	return true;
}

/* ---- replies ---- */

static void
push(char ***arr, size_t *n, size_t *cap, char *s)
{
	*arr = xgrow(*arr, cap, *n + 2, sizeof(char *));
	(*arr)[(*n)++] = s;
	(*arr)[*n] = NULL;
}

/* The message is accepted: its edits go into msg and the result. */
static struct milter_result *
apply_edits(struct milter_run *mr)
{
	struct milter_result *r = xcalloc(1, sizeof(*r));
	bool leadspc = (mr->protocol & MILTER_P_HDR_LEADSPC) != 0;
	size_t n_add = 0, n_del = 0, cap_add = 0, cap_del = 0;
	struct buf body = BUF_INIT;
	bool replbody = false;

	r->verdict = MILTER_CONTINUE;
	r->refused_rcpts = mr->refused;
	mr->refused = NULL;
	mr->n_refused = mr->refused_cap = 0;
	for (size_t i = 0; i < mr->n_edits; i++) {
		struct milter_edit *e = &mr->edits[i];
		struct milter_reply rp;

		if (milter_parse_reply(e->cmd, e->payload, e->len, &rp) < 0)
			continue; /* checked when it arrived */
		switch (e->cmd) {
		case MILTER_R_ADDHEADER:
			milter_msg_add(mr->msg, rp.str1, rp.str2, leadspc);
			break;
		case MILTER_R_INSHEADER:
			milter_msg_insert(mr->msg, rp.index, rp.str1, rp.str2, leadspc);
			break;
		case MILTER_R_CHGHEADER:
			milter_msg_change(mr->msg, rp.str1, rp.index, rp.str2, leadspc);
			break;
		case MILTER_R_REPLBODY:
			replbody = true;
			buf_append(&body, rp.data, rp.len);
			break;
		case MILTER_R_ADDRCPT:
		case MILTER_R_ADDRCPT_PAR:
			push(&r->add_rcpts, &n_add, &cap_add, strip_brackets(rp.str1));
			break;
		case MILTER_R_DELRCPT:
			push(&r->del_rcpts, &n_del, &cap_del, strip_brackets(rp.str1));
			break;
		case MILTER_R_CHGFROM:
			free(r->new_from);
			r->new_from = strip_brackets(rp.str1);
			break;
		case MILTER_R_QUARANTINE:
			free(r->quarantine);
			r->quarantine = xstrdup(rp.str1[0] != '\0' ? rp.str1 : "milter");
			break;
		default:
			break;
		}
	}
	if (replbody) {
		buf_free(&mr->msg->body);
		mr->msg->body = body;
		mr->msg->changed = true;
	}
	return r;
}

/* A final reply to steps[next - 1]. */
static void
handle_final(struct milter_run *mr, const struct milter_reply *rp)
{
	char cmd = mr->steps[mr->next - 1].cmd;
	enum req_kind req = mr->req;
	const char *text;

	mr->waiting = false;
	switch (rp->cmd) {
	case MILTER_R_SKIP:
		/* no more body chunks (SMFIP_SKIP): on to end of message */
		while (mr->next < mr->n_steps && mr->steps[mr->next].cmd == MILTER_CMD_BODY)
			mr->next++;
		/* fall through */
	case MILTER_R_CONTINUE:
		if (req == REQ_MESSAGE) {
			if (cmd == MILTER_CMD_EOM) {
				mr->at_endm = true; /* libmilter's ST_ENDM */
				answer_message(mr, apply_edits(mr));
			} else
				pump(mr);
			return;
		}
		command_passed(mr);
		return;
	case MILTER_R_ACCEPT:
		if (req == REQ_MESSAGE) {
			/* at eom: with its edits; before: the message passes as it is */
			if (cmd != MILTER_CMD_EOM)
				clear_edits(mr);
			answer_message(mr, apply_edits(mr));
			return;
		}
		/* Postfix's milter8.c: at connect or helo the session, at mail or rcpt the
		 * transaction needs no more of this filter */
		if (req == REQ_CONNECT || req == REQ_HELO)
			mr->state = RUN_ACCEPTED;
		else if (req == REQ_MAIL || req == REQ_RCPT)
			mr->txn = TXN_ACCEPTED;
		answer_cmd(mr, MILTER_CONTINUE, NULL);
		return;
	case MILTER_R_DISCARD:
		if (req == REQ_MESSAGE) {
			answer_message_verdict(mr, MILTER_DISCARD, NULL);
			return;
		}
		if (req == REQ_CONNECT || req == REQ_HELO)
			mr->state = RUN_DISCARDED;
		else if (req == REQ_MAIL || req == REQ_RCPT)
			mr->txn = TXN_DISCARDED;
		answer_cmd(mr, MILTER_CONTINUE, NULL);
		return;
	default: /* reject, tempfail, replycode */
		text = rp->cmd == MILTER_R_REPLYCODE ? rp->str1
		       : rp->cmd == MILTER_R_REJECT  ? REJECT_TEXT
						     : TEMPFAIL_TEXT;
		if (req == REQ_MESSAGE) {
			if (cmd == MILTER_CMD_RCPT) {
				/* a recipient an earlier filter added: refused (for this message)
				 */
				push(&mr->refused, &mr->n_refused, &mr->refused_cap,
				     xstrdup(mr->steps[mr->next - 1].rcpt));
				pump(mr);
				return;
			}
			clear_edits(mr); /* edits before a reject are void */
			answer_message_verdict(mr, MILTER_REJECT, text);
			return;
		}
		if (req == REQ_CONNECT) {
			mr->state = RUN_REJECTED;
			free(mr->why);
			mr->why = xstrdup(text);
		} else if (req == REQ_MAIL) {
			mr->txn = TXN_NONE; /* no transaction began */
		}
		answer_cmd(mr, MILTER_REJECT, text);
		return;
	}
}

/* 0 go on reading, -1 stop (the run may be gone). */
static int
handle_packet(struct milter_run *mr, char cmd, const char *payload, size_t len)
{
	struct milter_reply rp;
	char why[128];

	if (milter_parse_reply(cmd, payload, len, &rp) < 0) {
		snprintf(why, sizeof(why), "malformed reply '%c'", cmd);
		fail(mr, why);
		return -1;
	}
	if (!mr->negotiated) {
		if (cmd != MILTER_R_OPTNEG || rp.version < 2 || rp.version > MILTER_VERSION ||
		    (rp.actions & ~MILTER_F_OFFERED) != 0 ||
		    (rp.protocol & ~MILTER_P_OFFERED) != 0) {
			fail(mr, "option negotiation failed");
			return -1;
		}
		if (mr->reconnecting)
			return renegotiated(mr, &rp) ? 0 : -1;
		mr->negotiated = true;
		mr->waiting = false;
		mr->version = rp.version;
		mr->actions = rp.actions;
		mr->protocol = rp.protocol;
		conn_set_timeout(mr->conn, 0);
		if (mr->req != REQ_NONE)
			return start_request(mr) ? 0 : -1;
		return 0;
	}
	/* the filter speaks on this connection: it is alive (no replay needed any more) */
	mr->confirmed = true;
	buf_free(&mr->replay);
	if (!mr->waiting) {
		snprintf(why, sizeof(why), "unexpected reply '%c'", cmd);
		fail(mr, why);
		return -1;
	}
	if (cmd == MILTER_R_PROGRESS)
		return 0; /* the timeout restarted with the read */
	if (milter_reply_is_final(cmd)) {
		handle_final(mr, &rp);
		return -1; /* the next packet, if any, is read on the next input */
	}
	if (mr->steps[mr->next - 1].cmd != MILTER_CMD_EOM || strchr("+-2ehimbq", cmd) == NULL) {
		snprintf(why, sizeof(why), "reply '%c' out of place", cmd);
		fail(mr, why);
		return -1;
	}
	mr->edits = xgrow(mr->edits, &mr->edits_cap, mr->n_edits + 1, sizeof(*mr->edits));
	mr->edits[mr->n_edits].cmd = cmd;
	mr->edits[mr->n_edits].payload = memdup_nul(payload, len);
	mr->edits[mr->n_edits].len = len;
	mr->n_edits++;
	return 0;
}

/* The new connection after a pooled one turned out dead is negotiated: it gets what the
 * dead one was sent for this session, and the request in progress goes on where it was.
 * False if the run failed. */
static bool
renegotiated(struct milter_run *mr, const struct milter_reply *rp)
{
	struct buf out = BUF_INIT;

	mr->reconnecting = false;
	mr->negotiated = true;
	if (rp->version != mr->version || rp->actions != mr->actions ||
	    rp->protocol != mr->protocol) {
		/* the steps of the request in progress were built for the old options */
		fail(mr, "the filter negotiated other options on a new connection");
		return false;
	}
	buf_append(&out, mr->replay.data, mr->replay.len);
	buf_free(&mr->replay);
	if (mr->waiting) {
		/* the steps of the request in progress that went out */
		for (size_t i = 0; i < mr->next; i++)
			buf_append(&out, mr->steps[i].pkt.data, mr->steps[i].pkt.len);
	}
	if (out.len > 0)
		conn_write(mr->conn, out.data, out.len);
	buf_free(&out);
	if (mr->waiting) {
		conn_set_timeout(mr->conn, reply_timeout(mr));
		return true;
	}
	conn_set_timeout(mr->conn, 0);
	if (mr->req != REQ_NONE) {
		/* asked while the new connection was being made: not sent yet */
		clear_steps(mr);
		return start_request(mr);
	}
	return true;
}

static void
on_input(struct conn *conn, void *ctx)
{
	struct milter_run *mr = ctx;
	struct evbuffer *in = conn_input(conn);
	int one = 1;

	/* a filter writes its edits and its verdict as separate small packets: Nagle on its
	 * side holds the verdict back until our ACK of the edits, which Linux delays ~40 ms.
	 * QUICKACK (which Linux clears again on its own) sends that ACK now
	 * (docs/filters.md "Running the filter daemons offline"; measured here: 52 ms -> 2 ms per
	 * message with a header edit). */
	if (mr->tcp)
		(void)setsockopt(mr->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	for (;;) {
		size_t avail = evbuffer_get_length(in), want, plen, used;
		unsigned char hdr[4];
		const char *data, *payload;
		char cmd, *copy;
		int ret;

		if (avail < 4)
			return;
		evbuffer_copyout(in, hdr, 4);
		want = 4 +
		       ((size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3]);
		if (want > 4 + MILTER_MAX_PACKET || want == 4) {
			fail(mr, "reply packet too long or empty");
			return;
		}
		if (avail < want)
			return;
		data = (const char *)evbuffer_pullup(in, (ssize_t)want);
		if (milter_frame(data, want, MILTER_MAX_PACKET, &cmd, &payload, &plen, &used) !=
		    1) {
			fail(mr, "bad packet");
			return;
		}
		/* consumed before handling: handling may free the run and the connection */
		copy = memdup_nul(payload, plen);
		evbuffer_drain(in, used);
		ret = handle_packet(mr, cmd, copy, plen);
		free(copy);
		if (ret < 0) {
			/* a final reply was handled: more input (a filter answering early) waits
			 * for the next read, when the run (if it lives) expects it */
			return;
		}
	}
}

static void on_connected(void *ctx, int fd, const char *error);

static void
on_close(struct conn *conn, void *ctx, enum conn_close_reason reason)
{
	struct milter_run *mr = ctx;

	conn_free(&mr->conn);
	if (mr->reused && !mr->confirmed && reason != CONN_CLOSE_TIMEOUT) {
		/* a pooled connection the filter closed before it answered anything of this
		 * session: once, a new connection, as if the session had just begun */
		mr->reused = false;
		mr->quit_nc_due = false;
		mr->sessions = 1;
		mr->reconnecting = true;
		mr->negotiated = false;
		mr->fc = filter_connect_start(mr->base, mr->p.spec, mr->p.connect_timeout,
					      on_connected, mr);
		return;
	}
	fail(mr, reason == CONN_CLOSE_TIMEOUT ? "timed out" : "connection closed by the filter");
}

static const struct conn_ops milter_conn_ops = {.on_input = on_input, .on_close = on_close};

static void
on_connected(void *ctx, int fd, const char *error)
{
	struct milter_run *mr = ctx;
	struct buf b = BUF_INIT;

	mr->fc = NULL;
	if (fd < 0) {
		fail(mr, error);
		return;
	}
	mr->conn = conn_new(mr->base, fd, NULL, false, &milter_conn_ops, mr);
	mr->fd = fd;
	mr->tcp = strncmp(mr->p.spec, "inet:", 5) == 0;
	conn_set_timeout(mr->conn, mr->p.connect_timeout);
	milter_put_optneg(&b, MILTER_VERSION, MILTER_F_OFFERED, MILTER_P_OFFERED);
	conn_write(mr->conn, b.data, b.len);
	buf_free(&b);
}

struct milter_run *
milter_run_start(struct event_base *base, const struct milter_params *p)
{
	struct milter_run *mr = xcalloc(1, sizeof(*mr));
	struct milter_pooled pc;

	mr->base = base;
	mr->p = *p;
	mr->spec = xstrdup(p->spec);
	mr->p.spec = mr->spec;
	if (p->idle_connections > 0 && milter_pool_take(base, p->spec, &pc)) {
		/* negotiated already: SMFIC_QUIT_NC, then this session's CONNECT */
		mr->conn = pc.conn;
		mr->fd = pc.fd;
		mr->tcp = pc.tcp;
		mr->version = pc.version;
		mr->actions = pc.actions;
		mr->protocol = pc.protocol;
		mr->sessions = pc.sessions + 1;
		mr->negotiated = true;
		mr->reused = mr->quit_nc_due = true;
		conn_set_ctx(mr->conn, &milter_conn_ops, mr);
		conn_set_timeout(mr->conn, 0);
		return mr;
	}
	mr->sessions = 1;
	mr->fc = filter_connect_start(base, p->spec, p->connect_timeout, on_connected, mr);
	return mr;
}

/* A request: answered from the state, sent now, or once the negotiation is over. */
static void
request(struct milter_run *mr, enum req_kind kind, const char *arg, const char *const *macros,
	milter_reply_fn *done, void *ctx)
{
	mr->req = kind;
	mr->arg = arg != NULL ? xstrdup(arg) : NULL;
	mr->macros = copy_array(macros, true);
	mr->reply_done = done;
	mr->ctx = ctx;
	clear_edits(mr);
	if (answer_known(mr))
		return;
	if (mr->negotiated)
		start_request(mr);
}

void
milter_run_connect(struct milter_run *mr, const char *client_name, const char *client_addr,
		   unsigned client_port, const char *const *macros, milter_reply_fn *done,
		   void *ctx)
{
	mr->client_addr = client_addr != NULL ? xstrdup(client_addr) : NULL;
	mr->client_port = client_port;
	request(mr, REQ_CONNECT, client_name != NULL ? client_name : "unknown", macros, done, ctx);
}

void
milter_run_helo(struct milter_run *mr, const char *helo, const char *const *macros,
		milter_reply_fn *done, void *ctx)
{
	request(mr, REQ_HELO, helo, macros, done, ctx);
}

void
milter_run_mail(struct milter_run *mr, const char *mail_from, const char *const *macros,
		milter_reply_fn *done, void *ctx)
{
	if (mr->txn != TXN_OPEN)
		mr->txn = TXN_NONE; /* the last one was accepted or discarded: a new one */
	request(mr, REQ_MAIL, mail_from, macros, done, ctx);
}

void
milter_run_rcpt(struct milter_run *mr, const char *rcpt, const char *const *macros,
		milter_reply_fn *done, void *ctx)
{
	request(mr, REQ_RCPT, rcpt, macros, done, ctx);
}

void
milter_run_unknown(struct milter_run *mr, const char *line, milter_reply_fn *done, void *ctx)
{
	request(mr, REQ_UNKNOWN, line, NULL, done, ctx);
}

void
milter_run_message(struct milter_run *mr, struct milter_msg *msg, const char *const *extra_rcpts,
		   const char *const *macros, milter_done_fn *done, void *ctx)
{
	mr->msg = msg;
	mr->msg_done = done;
	mr->extra_rcpts = copy_array(extra_rcpts, false);
	request(mr, REQ_MESSAGE, NULL, macros, NULL, ctx);
}

void
milter_run_abort(struct milter_run *mr)
{
	struct buf b = BUF_INIT;

	if (mr == NULL)
		return;
	if (mr->req != REQ_NONE) {
		/* not in the contract; the filter's reply would be out of step: give up */
		clear_request(mr);
		fail(mr, "transaction ended while the filter was asked");
		return;
	}
	if (mr->txn == TXN_OPEN && mr->state == RUN_OPEN && (mr->negotiated || mr->reconnecting)) {
		/* no reply: it goes out with the next packet that wants one */
		milter_put_cmd(&b, MILTER_CMD_ABORT);
		hold(mr, &b);
		buf_free(&b);
	}
	mr->txn = TXN_NONE;
}

void
milter_run_cancel(struct milter_run *mr)
{
	if (mr == NULL)
		return;
	if (mr->in_callback > 0) {
		mr->cancelled = true;
		return;
	}
	run_free(mr);
}
