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
#include "mail/milter_proto.h"
#include "net/conn.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* a connection that is only said goodbye to is closed after this long at most */
#define MILTER_QUIT_TIMEOUT 5

/* Postfix's texts for a bare reject / tempfail (milter8.c) */
#define REJECT_TEXT "550 5.7.1 Command rejected"
#define TEMPFAIL_TEXT "451 4.7.1 Service unavailable - try again later"

enum run_state {
	RUN_OPEN,      /* talking */
	RUN_ACCEPTED,  /* the filter wants no more of this transaction: everything passes */
	RUN_REJECTED,  /* at connect, helo or mail: every recipient and the message refused */
	RUN_DISCARDED, /* at connect...rcpt: the message will be discarded */
	RUN_FAILED,    /* down, late, broken: `why` */
};

struct milter_step {
	char cmd;         /* the command (enum milter_cmd) */
	struct buf pkt;   /* its macros packet, if any, and the command packet */
	bool wants_reply; /* not NR_* */
	bool content;     /* body or eom: milter_content_timeout */
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
	char **strings; /* the copies of p's strings, freed at the end */
	size_t n_strings;

	enum run_state state;
	char *why; /* RUN_REJECTED: the reply; RUN_FAILED: the reason */
	bool negotiated;
	uint32_t actions, protocol;
	bool envelope_built; /* connect, helo, mail are in steps */
	struct milter_step *steps;
	size_t n_steps, next;
	bool waiting; /* for the reply to steps[next - 1] */

	/* the request in progress: a recipient or the message */
	char *rcpt;
	milter_rcpt_fn *rcpt_done;
	struct milter_msg *msg;
	milter_done_fn *msg_done;
	void *ctx;
	struct milter_edit *edits;
	size_t n_edits, edits_cap;

	int in_callback; /* a cancel from inside a callback is deferred to its end */
	bool cancelled;
};

static bool pump(struct milter_run *mr);

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

static const char *
keep(struct milter_run *mr, const char *s, const char *fallback)
{
	if (s == NULL)
		s = fallback;
	if (s == NULL)
		return NULL;
	mr->strings = xrealloc(mr->strings, xsize_mul(mr->n_strings + 1, sizeof(*mr->strings)));
	return mr->strings[mr->n_strings++] = xstrdup(s);
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
	free(r);
}

/* ---- goodbye: the connection outlives the run just long enough to send QUIT ---- */

static void
bye_input(struct conn *conn, void *ctx)
{
	struct evbuffer *in = conn_input(conn);

	evbuffer_drain(in, evbuffer_get_length(in));
}

static void
bye_close(struct conn *conn, void *ctx, enum conn_close_reason reason)
{
	conn_free(&conn);
}

static const struct conn_ops bye_ops = {.on_input = bye_input, .on_close = bye_close};

static void
say_goodbye(struct milter_run *mr)
{
	struct buf b = BUF_INIT;

	if (mr->conn == NULL)
		return;
	if (mr->negotiated) {
		if (mr->state == RUN_OPEN)
			milter_put_cmd(&b, MILTER_CMD_ABORT);
		milter_put_cmd(&b, MILTER_CMD_QUIT);
		conn_write(mr->conn, b.data, b.len);
		buf_free(&b);
	}
	conn_set_ctx(mr->conn, &bye_ops, NULL);
	conn_set_timeout(mr->conn, MILTER_QUIT_TIMEOUT);
	conn_close_after_flush(mr->conn);
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
run_free(struct milter_run *mr)
{
	say_goodbye(mr);
	filter_connect_cancel(mr->fc);
	for (size_t i = 0; i < mr->n_steps; i++)
		buf_free(&mr->steps[i].pkt);
	free(mr->steps);
	clear_edits(mr);
	free(mr->edits);
	for (size_t i = 0; i < mr->n_strings; i++)
		free(mr->strings[i]);
	free(mr->strings);
	free(mr->rcpt);
	free(mr->why);
	free(mr);
}

/* ---- answering the request in progress ---- */

/* The recipient's verdict; false if the run was cancelled from the callback (it is gone). */
static bool
answer_rcpt(struct milter_run *mr, enum milter_verdict verdict, const char *reply)
{
	milter_rcpt_fn *done = mr->rcpt_done;

	mr->rcpt_done = NULL;
	free(mr->rcpt);
	mr->rcpt = NULL;
	mr->in_callback++;
	done(mr->ctx, verdict, reply);
	mr->in_callback--;
	if (mr->cancelled && mr->in_callback == 0) {
		run_free(mr);
		return false;
	}
	return !mr->cancelled;
}

/* The message's verdict: the run ends here. */
static void
answer_message(struct milter_run *mr, struct milter_result *r)
{
	milter_done_fn *done = mr->msg_done;
	void *ctx = mr->ctx;

	mr->msg_done = NULL;
	mr->state = RUN_ACCEPTED; /* over: a quit, no abort */
	run_free(mr);
	done(ctx, r);
}

static void
answer_message_verdict(struct milter_run *mr, enum milter_verdict verdict, const char *reply)
{
	struct milter_result *r = xcalloc(1, sizeof(*r));

	r->verdict = verdict;
	r->reply = reply != NULL ? xstrdup(reply) : NULL;
	answer_message(mr, r);
}

/* Answers a request from the run's state (not RUN_OPEN). */
static void
answer_from_state(struct milter_run *mr)
{
	if (mr->rcpt_done != NULL) {
		enum milter_verdict v = mr->state == RUN_REJECTED ? MILTER_REJECT
					: mr->state == RUN_FAILED ? MILTER_FAILED
								  : MILTER_CONTINUE;
		answer_rcpt(mr, v, mr->why);
	} else if (mr->msg_done != NULL) {
		enum milter_verdict v = mr->state == RUN_REJECTED    ? MILTER_REJECT
					: mr->state == RUN_FAILED    ? MILTER_FAILED
					: mr->state == RUN_DISCARDED ? MILTER_DISCARD
								     : MILTER_CONTINUE;
		answer_message_verdict(mr, v, mr->why);
	}
}

/* The conversation is over (state set); the request in progress, if any, is answered. */
static void
end_talk(struct milter_run *mr, enum run_state state, const char *why)
{
	mr->state = state;
	free(mr->why);
	mr->why = why != NULL ? xstrdup(why) : NULL;
	mr->waiting = false;
	clear_edits(mr);
	say_goodbye(mr);
	answer_from_state(mr);
}

static void
fail(struct milter_run *mr, const char *why)
{
	end_talk(mr, RUN_FAILED, why);
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

static void
build_envelope(struct milter_run *mr)
{
	const struct milter_params *p = &mr->p;
	uint32_t pr = mr->protocol;
	struct milter_step *st;
	char from[1024];

	mr->envelope_built = true;
	if (!(pr & MILTER_P_NOCONNECT)) {
		const char *m[] = {"j",
				   p->myhostname,
				   "{daemon_name}",
				   p->daemon_name,
				   "v",
				   "yubin",
				   "_",
				   p->client_addr ? p->client_addr : "localhost",
				   "{client_addr}",
				   p->client_addr ? p->client_addr : "",
				   "{client_name}",
				   p->client_name,
				   NULL};
		st = add_step(mr, MILTER_CMD_CONNECT, pr & MILTER_P_NR_CONN);
		milter_put_macros(&st->pkt, MILTER_CMD_CONNECT, m);
		milter_put_connect(&st->pkt, p->client_name, p->client_addr, p->client_port);
	}
	if (!(pr & MILTER_P_NOHELO) && p->helo != NULL) {
		st = add_step(mr, MILTER_CMD_HELO, pr & MILTER_P_NR_HELO);
		milter_put_strings(&st->pkt, MILTER_CMD_HELO, &p->helo, 1);
	}
	if (!(pr & MILTER_P_NOMAIL)) {
		const char *m[] = {"i",           p->queue_id,     "{auth_type}",
				   p->auth_type,  "{auth_authen}", p->auth_authen,
				   "{mail_addr}", p->mail_from,    NULL};
		const char *args[] = {from};

		snprintf(from, sizeof(from), "<%s>", p->mail_from);
		st = add_step(mr, MILTER_CMD_MAIL, pr & MILTER_P_NR_MAIL);
		milter_put_macros(&st->pkt, MILTER_CMD_MAIL, m);
		milter_put_strings(&st->pkt, MILTER_CMD_MAIL, args, 1);
	}
}

static void
build_rcpt(struct milter_run *mr)
{
	const char *m[] = {"{rcpt_addr}", mr->rcpt, NULL};
	char to[1024];
	const char *args[] = {to};
	struct milter_step *st;

	if (mr->protocol & MILTER_P_NORCPT)
		return;
	snprintf(to, sizeof(to), "<%s>", mr->rcpt);
	st = add_step(mr, MILTER_CMD_RCPT, mr->protocol & MILTER_P_NR_RCPT);
	milter_put_macros(&st->pkt, MILTER_CMD_RCPT, m);
	milter_put_strings(&st->pkt, MILTER_CMD_RCPT, args, 1);
}

static void
build_message(struct milter_run *mr)
{
	const struct milter_params *p = &mr->p;
	uint32_t pr = mr->protocol;
	bool leadspc = (pr & MILTER_P_HDR_LEADSPC) != 0;
	const char *m[] = {"i", p->queue_id, NULL};
	struct milter_step *st;

	if (!(pr & MILTER_P_NODATA)) {
		st = add_step(mr, MILTER_CMD_DATA, pr & MILTER_P_NR_DATA);
		milter_put_macros(&st->pkt, MILTER_CMD_DATA, m);
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
		milter_put_macros(&st->pkt, MILTER_CMD_EOH, m);
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
	milter_put_macros(&st->pkt, MILTER_CMD_EOM, m);
	milter_put_cmd(&st->pkt, MILTER_CMD_EOM);
}

/* Builds the steps of the request in progress (once negotiated) and sends them. False if
 * the run is gone (cancelled from the callback). */
static bool
start_request(struct milter_run *mr)
{
	if (!mr->envelope_built)
		build_envelope(mr);
	if (mr->rcpt_done != NULL)
		build_rcpt(mr);
	else
		build_message(mr);
	return pump(mr);
}

/* Writes steps until one wants a reply (then waits for it); with none left, the request
 * (a recipient whose step needs no reply) is answered. False if the run is gone. */
static bool
pump(struct milter_run *mr)
{
	struct buf out = BUF_INIT;

	while (mr->next < mr->n_steps) {
		struct milter_step *st = &mr->steps[mr->next++];

		/* one write per batch of no-reply packets: fewer small segments */
		buf_append(&out, st->pkt.data, st->pkt.len);
		if (st->wants_reply) {
			mr->waiting = true;
			break;
		}
	}
	if (out.len > 0)
		conn_write(mr->conn, out.data, out.len);
	buf_free(&out);
	if (mr->waiting) {
		conn_set_timeout(mr->conn, mr->steps[mr->next - 1].content ? mr->p.content_timeout
									   : mr->p.command_timeout);
		return true;
	}
	/* idle until the next request: the client may take its time (DATA) */
	conn_set_timeout(mr->conn, 0);
	if (mr->rcpt_done != NULL)
		return answer_rcpt(mr, MILTER_CONTINUE, NULL);
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
	const char *text;

	mr->waiting = false;
	switch (rp->cmd) {
	case MILTER_R_SKIP:
		/* no more body chunks (SMFIP_SKIP): on to end of message */
		while (mr->next < mr->n_steps && mr->steps[mr->next].cmd == MILTER_CMD_BODY)
			mr->next++;
		/* fall through */
	case MILTER_R_CONTINUE:
		if (cmd == MILTER_CMD_EOM) {
			answer_message(mr, apply_edits(mr));
			return;
		}
		if (cmd == MILTER_CMD_RCPT && !answer_rcpt(mr, MILTER_CONTINUE, NULL))
			return;
		pump(mr);
		return;
	case MILTER_R_ACCEPT:
		if (cmd == MILTER_CMD_EOM) {
			answer_message(mr, apply_edits(mr));
			return;
		}
		/* the filter wants no more of this transaction */
		end_talk(mr, RUN_ACCEPTED, NULL);
		return;
	case MILTER_R_DISCARD:
		if (cmd == MILTER_CMD_EOM) {
			answer_message_verdict(mr, MILTER_DISCARD, NULL);
			return;
		}
		end_talk(mr, RUN_DISCARDED, NULL);
		return;
	default: /* reject, tempfail, replycode */
		text = rp->cmd == MILTER_R_REPLYCODE ? rp->str1
		       : rp->cmd == MILTER_R_REJECT  ? REJECT_TEXT
						     : TEMPFAIL_TEXT;
		if (cmd == MILTER_CMD_RCPT) {
			/* this recipient only: the conversation goes on */
			if (answer_rcpt(mr, MILTER_REJECT, text))
				pump(mr);
			return;
		}
		if (cmd == MILTER_CMD_EOM || mr->msg_done != NULL) {
			clear_edits(mr); /* edits before a reject are void */
			answer_message_verdict(mr, MILTER_REJECT, text);
			return;
		}
		end_talk(mr, RUN_REJECTED, text);
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
		mr->negotiated = true;
		mr->waiting = false;
		mr->actions = rp.actions;
		mr->protocol = rp.protocol;
		if (mr->rcpt_done != NULL || mr->msg_done != NULL)
			return start_request(mr) ? 0 : -1;
		conn_set_timeout(mr->conn, 0);
		return 0;
	}
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

static void
on_close(struct conn *conn, void *ctx, enum conn_close_reason reason)
{
	struct milter_run *mr = ctx;

	conn_free(&mr->conn);
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

	mr->base = base;
	mr->p = *p;
	mr->p.spec = keep(mr, p->spec, NULL);
	mr->p.client_name = keep(mr, p->client_name, "unknown");
	mr->p.client_addr = keep(mr, p->client_addr, NULL);
	mr->p.helo = keep(mr, p->helo, NULL);
	mr->p.mail_from = keep(mr, p->mail_from, "");
	mr->p.myhostname = keep(mr, p->myhostname, "");
	mr->p.daemon_name = keep(mr, p->daemon_name, "");
	mr->p.queue_id = keep(mr, p->queue_id, "");
	mr->p.auth_authen = keep(mr, p->auth_authen, "");
	mr->p.auth_type = keep(mr, p->auth_type, "");
	mr->fc = filter_connect_start(base, p->spec, p->connect_timeout, on_connected, mr);
	return mr;
}

void
milter_run_rcpt(struct milter_run *mr, const char *rcpt, milter_rcpt_fn *done, void *ctx)
{
	mr->rcpt = xstrdup(rcpt);
	mr->rcpt_done = done;
	mr->ctx = ctx;
	if (mr->state != RUN_OPEN)
		answer_from_state(mr);
	else if (mr->negotiated)
		start_request(mr);
	/* else: sent once the negotiation is over */
}

void
milter_run_message(struct milter_run *mr, struct milter_msg *msg, milter_done_fn *done, void *ctx)
{
	mr->msg = msg;
	mr->msg_done = done;
	mr->ctx = ctx;
	if (mr->state != RUN_OPEN)
		answer_from_state(mr);
	else if (mr->negotiated)
		start_request(mr);
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
