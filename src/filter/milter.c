/* The milter client conversation (see milter.h). Postfix's milter8.c is the behaviour
 * matched: the macros it sends, the reply texts for reject/tempfail, edits applied only
 * when the final verdict accepts the message. */
#include "filter/milter.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "filter/filter_socket.h"
#include "filter/milter_msg.h"
#include "mail/milter_proto.h"
#include "net/conn.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* a connection that is only said goodbye to is closed after this long at most */
#define MILTER_QUIT_TIMEOUT 5

struct milter_step {
	char cmd;         /* the command (enum milter_cmd) */
	struct buf pkt;   /* its macros packet, if any, and the command packet */
	bool wants_reply; /* not NR_* */
	bool content;     /* body or eom: milter_content_timeout */
	size_t rcpt;      /* RCPT: the index in rcpts */
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
	struct milter_params p;
	char **strings; /* the copies of p's strings and rcpts, freed at the end */
	size_t n_strings;
	struct milter_msg *msg;
	milter_done_fn *done;
	void *ctx;

	bool negotiated;
	uint32_t actions, protocol;
	struct milter_step *steps;
	size_t n_steps, next;
	bool waiting; /* for the reply to steps[next - 1] */
	struct milter_edit *edits;
	size_t n_edits, edits_cap;
	struct milter_result *result;
};

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

static char *
keep(struct milter_run *mr, const char *s)
{
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
	free(r->rcpt_rejected);
	free(r->rcpt_reply);
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
say_goodbye(struct milter_run *mr, bool abort_first)
{
	struct buf b = BUF_INIT;

	if (mr->conn == NULL)
		return;
	if (abort_first)
		milter_put_cmd(&b, MILTER_CMD_ABORT);
	milter_put_cmd(&b, MILTER_CMD_QUIT);
	conn_write(mr->conn, b.data, b.len);
	buf_free(&b);
	conn_set_ctx(mr->conn, &bye_ops, NULL);
	conn_set_timeout(mr->conn, MILTER_QUIT_TIMEOUT);
	conn_close_after_flush(mr->conn);
	mr->conn = NULL;
}

static void
run_free(struct milter_run *mr)
{
	filter_connect_cancel(mr->fc);
	for (size_t i = 0; i < mr->n_steps; i++)
		buf_free(&mr->steps[i].pkt);
	free(mr->steps);
	for (size_t i = 0; i < mr->n_edits; i++)
		free(mr->edits[i].payload);
	free(mr->edits);
	for (size_t i = 0; i < mr->n_strings; i++)
		free(mr->strings[i]);
	free(mr->strings);
	milter_result_free(mr->result);
	free(mr);
}

/* Ends the run: the result goes to `done`. */
static void
finish(struct milter_run *mr, enum milter_verdict verdict, const char *reply)
{
	struct milter_result *r = mr->result;
	milter_done_fn *done = mr->done;
	void *ctx = mr->ctx;

	say_goodbye(mr, verdict == MILTER_FAILED && mr->negotiated);
	mr->result = NULL;
	r->verdict = verdict;
	free(r->reply);
	r->reply = reply != NULL ? xstrdup(reply) : NULL;
	run_free(mr);
	done(ctx, r);
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
build_steps(struct milter_run *mr)
{
	const struct milter_params *p = &mr->p;
	uint32_t pr = mr->protocol;
	bool leadspc = (pr & MILTER_P_HDR_LEADSPC) != 0;
	struct milter_step *st;
	char from[1024];

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
				   p->client_addr,
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
	snprintf(from, sizeof(from), "<%s>", p->mail_from);
	if (!(pr & MILTER_P_NOMAIL)) {
		const char *m[] = {"i",           p->queue_id,     "{auth_type}",
				   p->auth_type,  "{auth_authen}", p->auth_authen,
				   "{mail_addr}", p->mail_from,    NULL};
		const char *args[] = {from};
		st = add_step(mr, MILTER_CMD_MAIL, pr & MILTER_P_NR_MAIL);
		milter_put_macros(&st->pkt, MILTER_CMD_MAIL, m);
		milter_put_strings(&st->pkt, MILTER_CMD_MAIL, args, 1);
	}
	for (size_t i = 0; i < p->n_rcpts && !(pr & MILTER_P_NORCPT); i++) {
		const char *m[] = {"{rcpt_addr}", p->rcpts[i], NULL};
		char to[1024];
		const char *args[] = {to};

		snprintf(to, sizeof(to), "<%s>", p->rcpts[i]);
		st = add_step(mr, MILTER_CMD_RCPT, pr & MILTER_P_NR_RCPT);
		st->rcpt = i;
		milter_put_macros(&st->pkt, MILTER_CMD_RCPT, m);
		milter_put_strings(&st->pkt, MILTER_CMD_RCPT, args, 1);
	}
	if (!(pr & MILTER_P_NODATA)) {
		const char *m[] = {"i", p->queue_id, NULL};
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
		const char *m[] = {"i", p->queue_id, NULL};
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
	{
		const char *m[] = {"i", p->queue_id, NULL};
		st = add_step(mr, MILTER_CMD_EOM, false);
		st->content = true;
		milter_put_macros(&st->pkt, MILTER_CMD_EOM, m);
		milter_put_cmd(&st->pkt, MILTER_CMD_EOM);
	}
}

/* Writes steps until one wants a reply (then waits for it). */
static void
pump(struct milter_run *mr)
{
	struct buf out = BUF_INIT;

	while (mr->next < mr->n_steps) {
		struct milter_step *st = &mr->steps[mr->next++];

		/* one write per batch of no-reply packets: fewer small segments */
		buf_append(&out, st->pkt.data, st->pkt.len);
		if (st->wants_reply) {
			mr->waiting = true;
			conn_set_timeout(mr->conn, st->content ? mr->p.content_timeout
							       : mr->p.command_timeout);
			break;
		}
	}
	conn_write(mr->conn, out.data, out.len);
	buf_free(&out);
}

/* ---- replies ---- */

static void
apply_edits(struct milter_run *mr)
{
	struct milter_result *r = mr->result;
	bool leadspc = (mr->protocol & MILTER_P_HDR_LEADSPC) != 0;
	size_t n_add = 0, n_del = 0, cap_add = 0, cap_del = 0;
	struct buf body = BUF_INIT;
	bool replbody = false;

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
			r->add_rcpts = xgrow(r->add_rcpts, &cap_add, n_add + 2, sizeof(char *));
			r->add_rcpts[n_add++] = strip_brackets(rp.str1);
			r->add_rcpts[n_add] = NULL;
			break;
		case MILTER_R_DELRCPT:
			r->del_rcpts = xgrow(r->del_rcpts, &cap_del, n_del + 2, sizeof(char *));
			r->del_rcpts[n_del++] = strip_brackets(rp.str1);
			r->del_rcpts[n_del] = NULL;
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
}

/* A final reply to steps[next - 1]. 0 the conversation goes on, -1 it is over. */
static int
handle_final(struct milter_run *mr, const struct milter_reply *rp)
{
	const struct milter_step *st = &mr->steps[mr->next - 1];
	char text[1024];

	mr->waiting = false;
	switch (rp->cmd) {
	case MILTER_R_CONTINUE:
		break;
	case MILTER_R_SKIP:
		/* no more body chunks (SMFIP_SKIP): on to end of message */
		while (mr->next < mr->n_steps && mr->steps[mr->next].cmd == MILTER_CMD_BODY)
			mr->next++;
		break;
	case MILTER_R_ACCEPT:
		/* the filter wants no more of this message; edits count only at end of message */
		if (st->cmd == MILTER_CMD_EOM)
			apply_edits(mr);
		finish(mr, MILTER_CONTINUE, NULL);
		return -1;
	case MILTER_R_DISCARD:
		finish(mr, MILTER_DISCARD, NULL);
		return -1;
	case MILTER_R_REJECT:
	case MILTER_R_TEMPFAIL:
	case MILTER_R_REPLYCODE:
		/* Postfix's texts for the bare replies (milter8.c) */
		snprintf(text, sizeof(text), "%s",
			 rp->cmd == MILTER_R_REPLYCODE ? rp->str1
			 : rp->cmd == MILTER_R_REJECT
				 ? "550 5.7.1 Command rejected"
				 : "451 4.7.1 Service unavailable - try again later");
		if (st->cmd == MILTER_CMD_RCPT) {
			/* this recipient only (the rest of the message goes on) */
			mr->result->rcpt_rejected[st->rcpt] = true;
			free(mr->result->rcpt_reply);
			mr->result->rcpt_reply = xstrdup(text);
			break;
		}
		finish(mr, MILTER_REJECT, text);
		return -1;
	}
	if (st->cmd == MILTER_CMD_EOM) {
		apply_edits(mr);
		finish(mr, MILTER_CONTINUE, NULL);
		return -1;
	}
	pump(mr);
	return 0;
}

/* 0 go on, -1 the run is over (finished). */
static int
handle_packet(struct milter_run *mr, char cmd, const char *payload, size_t len)
{
	struct milter_reply rp;
	char why[128];

	if (milter_parse_reply(cmd, payload, len, &rp) < 0) {
		snprintf(why, sizeof(why), "malformed reply '%c'", cmd);
		finish(mr, MILTER_FAILED, why);
		return -1;
	}
	if (!mr->negotiated) {
		if (cmd != MILTER_R_OPTNEG || rp.version < 2 || rp.version > MILTER_VERSION ||
		    (rp.actions & ~MILTER_F_OFFERED) != 0 ||
		    (rp.protocol & ~MILTER_P_OFFERED) != 0) {
			finish(mr, MILTER_FAILED, "option negotiation failed");
			return -1;
		}
		mr->negotiated = true;
		mr->actions = rp.actions;
		mr->protocol = rp.protocol;
		build_steps(mr);
		pump(mr);
		return 0;
	}
	if (!mr->waiting) {
		snprintf(why, sizeof(why), "unexpected reply '%c'", cmd);
		finish(mr, MILTER_FAILED, why);
		return -1;
	}
	if (cmd == MILTER_R_PROGRESS)
		return 0; /* the timeout restarted with the read */
	if (milter_reply_is_final(cmd))
		return handle_final(mr, &rp);
	if (mr->steps[mr->next - 1].cmd != MILTER_CMD_EOM || strchr("+-2ehimbq", cmd) == NULL) {
		snprintf(why, sizeof(why), "reply '%c' out of place", cmd);
		finish(mr, MILTER_FAILED, why);
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

	for (;;) {
		size_t avail = evbuffer_get_length(in), want, plen, used;
		unsigned char hdr[4];
		const char *data, *payload;
		char cmd;
		int ret;

		if (avail < 4)
			return;
		evbuffer_copyout(in, hdr, 4);
		want = 4 +
		       ((size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3]);
		if (want > 4 + MILTER_MAX_PACKET || want == 4) {
			finish(mr, MILTER_FAILED, "reply packet too long or empty");
			return;
		}
		if (avail < want)
			return;
		data = (const char *)evbuffer_pullup(in, (ssize_t)want);
		ret = milter_frame(data, want, MILTER_MAX_PACKET, &cmd, &payload, &plen, &used);
		if (ret != 1) {
			finish(mr, MILTER_FAILED, "bad packet");
			return;
		}
		{
			/* the packet is consumed before handling: handling may free the run */
			char *copy = memdup_nul(payload, plen);
			evbuffer_drain(in, used);
			ret = handle_packet(mr, cmd, copy, plen);
			free(copy);
		}
		if (ret < 0)
			return;
	}
}

static void
on_close(struct conn *conn, void *ctx, enum conn_close_reason reason)
{
	struct milter_run *mr = ctx;

	conn_free(&mr->conn);
	finish(mr, MILTER_FAILED,
	       reason == CONN_CLOSE_TIMEOUT ? "timed out" : "connection closed by the filter");
}

static const struct conn_ops milter_conn_ops = {.on_input = on_input, .on_close = on_close};

static void
on_connected(void *ctx, int fd, const char *error)
{
	struct milter_run *mr = ctx;
	struct buf b = BUF_INIT;

	mr->fc = NULL;
	if (fd < 0) {
		finish(mr, MILTER_FAILED, error);
		return;
	}
	mr->conn = conn_new(mr->base, fd, NULL, false, &milter_conn_ops, mr);
	conn_set_timeout(mr->conn, mr->p.command_timeout);
	milter_put_optneg(&b, MILTER_VERSION, MILTER_F_OFFERED, MILTER_P_OFFERED);
	conn_write(mr->conn, b.data, b.len);
	buf_free(&b);
}

struct milter_run *
milter_run_start(struct event_base *base, const struct milter_params *p, struct milter_msg *msg,
		 milter_done_fn *done, void *ctx)
{
	struct milter_run *mr = xcalloc(1, sizeof(*mr));
	const char **rcpts = xcalloc(p->n_rcpts + 1, sizeof(*rcpts));

	mr->base = base;
	mr->msg = msg;
	mr->done = done;
	mr->ctx = ctx;
	mr->p = *p;
	mr->p.spec = keep(mr, p->spec);
	mr->p.client_name = keep(mr, p->client_name ? p->client_name : "unknown");
	mr->p.client_addr = keep(mr, p->client_addr);
	mr->p.helo = keep(mr, p->helo);
	mr->p.mail_from = keep(mr, p->mail_from ? p->mail_from : "");
	for (size_t i = 0; i < p->n_rcpts; i++)
		rcpts[i] = keep(mr, p->rcpts[i]);
	mr->strings = xrealloc(mr->strings, xsize_mul(mr->n_strings + 1, sizeof(*mr->strings)));
	mr->strings[mr->n_strings++] = (char *)rcpts;
	mr->p.rcpts = rcpts;
	mr->p.myhostname = keep(mr, p->myhostname ? p->myhostname : "");
	mr->p.daemon_name = keep(mr, p->daemon_name ? p->daemon_name : "");
	mr->p.queue_id = keep(mr, p->queue_id ? p->queue_id : "");
	mr->p.auth_authen = keep(mr, p->auth_authen ? p->auth_authen : "");
	mr->p.auth_type = keep(mr, p->auth_type ? p->auth_type : "");
	mr->result = xcalloc(1, sizeof(*mr->result));
	mr->result->rcpt_rejected = xcalloc(p->n_rcpts + 1, sizeof(bool));
	mr->fc = filter_connect_start(base, p->spec, p->connect_timeout, on_connected, mr);
	return mr;
}

void
milter_run_cancel(struct milter_run *mr)
{
	if (mr == NULL)
		return;
	say_goodbye(mr, mr->negotiated);
	run_free(mr);
}
