/* One mail transaction of the outbound SMTP client (RFC 5321 3.3): MAIL with SIZE,
 * BODY=8BITMIME and SMTPUTF8 parameters, one RCPT per recipient, DATA with dot-stuffing;
 * pipelined when the server offers PIPELINING (RFC 2920), else one command per reply.
 * Every recipient ends with a result: sent, deferred (4xx) or bounced (5xx). */
#include "queue/queue_client_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "mail/address.h"
#include "net/conn.h"
#include "util/str.h"
#include "util/xmalloc.h"

void
queue_client_dot_stuff(struct buf *out, const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len;

	buf_reserve(out, len + len / 64 + 8);
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol != NULL ? (size_t)(eol - p) + 1 : (size_t)(end - p);

		/* RFC 5321 4.5.2: a line starting with "." gets one more */
		if (*p == '.')
			buf_appendc(out, '.');
		buf_append(out, p, n);
		p += n;
	}
	if (len > 0 && msg[len - 1] != '\n')
		buf_append(out, "\r\n", 2);
	buf_append(out, ".\r\n", 3);
}

char *
qc_reply_text(const struct smtp_reply *r)
{
	struct buf b = BUF_INIT;
	const char *t = buf_cstr(&r->text);

	buf_printf(&b, "%d", r->code);
	if (r->enhanced[0] != '\0')
		buf_printf(&b, " %s", r->enhanced);
	if (*t != '\0')
		buf_appendc(&b, ' ');
	for (; *t != '\0'; t++)
		buf_appendc(&b, *t == '\n' || *t == '\r' ? ' ' : *t);
	return buf_steal(&b);
}

static void
qc_set_result(struct queue_rcpt_result *res, enum queue_result result, const char *status,
	      const char *text, bool remote)
{
	res->result = result;
	snprintf(res->status, sizeof(res->status), "%s", status);
	free(res->text);
	res->text = xstrdup(text);
	res->remote = remote;
}

/* Decides a recipient from a reply: 2xx sent, 4xx deferred, 5xx bounced. */
static void
qc_result_from_reply(struct queue_rcpt_result *res, const struct smtp_reply *r)
{
	char *text = qc_reply_text(r);
	const char *status = r->enhanced[0] != '\0' ? r->enhanced
			     : r->code / 100 == 2   ? "2.0.0"
			     : r->code / 100 == 4   ? "4.0.0"
						    : "5.0.0";

	qc_set_result(res,
		      r->code / 100 == 2   ? QUEUE_RESULT_SENT
		      : r->code / 100 == 4 ? QUEUE_RESULT_DEFER
					   : QUEUE_RESULT_BOUNCE,
		      status, text, true);
	free(text);
}

void
qc_job_finish(struct queue_client *c, enum queue_result rest, const char *status, const char *why)
{
	struct queue_job *job = c->job;
	struct queue_rcpt_result *results = c->results;
	size_t i, n = job->n_rcpts;

	if (results == NULL)
		results = xcalloc(n ? n : 1, sizeof(*results));
	for (i = 0; i < n; i++)
		if (results[i].text == NULL)
			qc_set_result(&results[i], rest, status, why, false);
	c->job = NULL;
	c->results = NULL;
	c->on_job(c->q, job, results, c->relay);
	for (i = 0; i < n; i++)
		free(results[i].text);
	free(results);
}

static void
qc_send_cmd(struct queue_client *c, size_t k)
{
	struct queue_msg *msg = c->job->msg;
	size_t n = c->job->n_rcpts;

	c->sent = k + 1;
	if (k == 0) {
		struct buf params = BUF_INIT;
		const struct buf *data = &msg->data;
		bool utf8 = !str_is_ascii(msg->m.sender);
		size_t i;

		for (i = 0; i < n && !utf8; i++)
			utf8 = !str_is_ascii(msg->m.rcpts[c->job->rcpts[i]].address);
		if (c->ext_size) /* RFC 1870 */
			buf_printf(&params, " SIZE=%zu", data->len);
		if (c->ext_8bitmime && !str_is_ascii(buf_cstr(data))) /* RFC 6152 */
			buf_appends(&params, " BODY=8BITMIME");
		if (utf8) /* RFC 6531 3.4 */
			buf_appends(&params, " SMTPUTF8");
		qc_send(c, "MAIL FROM:<%s>%s", msg->m.sender, buf_cstr(&params));
		buf_free(&params);
	} else if (k <= n) {
		qc_send(c, "RCPT TO:<%s>", msg->m.rcpts[c->job->rcpts[k - 1]].address);
	} else {
		qc_send(c, "DATA");
	}
}

/* What stops the message before any command: too big for the server, or needing
 * SMTPUTF8 that it does not offer. NULL if it can be sent. */
static const char *
qc_txn_precheck(struct queue_client *c, char *why, size_t size, const char **status_r)
{
	struct queue_msg *msg = c->job->msg;
	bool utf8 = !str_is_ascii(msg->m.sender);
	size_t i;

	if (c->ext_size && c->size_max > 0 && msg->data.len > c->size_max) {
		*status_r = "5.3.4";
		snprintf(why, size, "message size %zu exceeds size limit %llu of server %s",
			 msg->data.len, c->size_max, c->relay);
		return why;
	}
	for (i = 0; i < c->job->n_rcpts && !utf8; i++)
		utf8 = !str_is_ascii(msg->m.rcpts[c->job->rcpts[i]].address);
	if (utf8 && !c->ext_smtputf8) {
		*status_r = "5.6.7";
		snprintf(why, size, "SMTPUTF8 is required, but was not offered by host %s",
			 c->relay);
		return why;
	}
	return NULL;
}

void
qc_txn_start(struct queue_client *c)
{
	size_t k, n = c->job->n_rcpts;
	const char *status;
	char why[512];

	c->results = xcalloc(n ? n : 1, sizeof(*c->results));
	c->step = c->sent = c->n_accepted = 0;
	c->mail_failed = c->data_started = false;
	if (qc_txn_precheck(c, why, sizeof(why), &status) != NULL) {
		qc_job_finish(c, QUEUE_RESULT_BOUNCE, status, why);
		qc_next_job(c);
		return;
	}
	qc_enter_state(c, QC_STATE_TXN);
	conn_set_timeout(c->conn, QC_TIMEOUT_COMMAND);
	/* RFC 2920 3.1: MAIL, RCPT and DATA may go in one group, DATA last */
	for (k = 0; k < (c->ext_pipelining ? n + 2 : 1); k++)
		qc_send_cmd(c, k);
}

/* The transaction failed before the message went out: RSET, then the next job. */
static void
qc_txn_abort(struct queue_client *c, enum queue_result rest, const char *status, const char *why)
{
	qc_job_finish(c, rest, status, why);
	qc_enter_state(c, QC_STATE_RSET);
	qc_send(c, "RSET");
}

static void
qc_data_reply(struct queue_client *c, const struct smtp_reply *r)
{
	struct buf body = BUF_INIT;
	size_t i;

	if (r->code == 354) {
		c->data_started = true;
		qc_enter_state(c, QC_STATE_BODY);
		conn_set_timeout(c->conn, QC_TIMEOUT_DATA_END);
		if (c->n_accepted == 0 || c->mail_failed) {
			/* RFC 2920 3.1: nothing to send, but DATA was accepted */
			conn_write(c->conn, ".\r\n", 3);
			return;
		}
		queue_client_dot_stuff(&body, c->job->msg->data.data, c->job->msg->data.len);
		conn_write(c->conn, body.data, body.len);
		buf_free(&body);
		return;
	}
	/* DATA refused: the reply decides the accepted recipients */
	for (i = 0; i < c->job->n_rcpts; i++)
		if (c->results[i].text == NULL)
			qc_result_from_reply(&c->results[i], r);
	qc_txn_abort(c, QUEUE_RESULT_DEFER, "4.0.0", "DATA refused");
}

void
qc_txn_reply(struct queue_client *c, const struct smtp_reply *r)
{
	size_t k = c->step++, n = c->job->n_rcpts, i;

	if (k == 0 && r->code / 100 != 2) {
		/* MAIL refused: the reply decides every recipient */
		c->mail_failed = true;
		for (i = 0; i < n; i++)
			qc_result_from_reply(&c->results[i], r);
	} else if (k >= 1 && k <= n && !c->mail_failed) {
		qc_result_from_reply(&c->results[k - 1], r);
		if (r->code / 100 == 2) {
			c->n_accepted++;
			/* accepted is not delivered: decided by the reply to the message */
			free(c->results[k - 1].text);
			c->results[k - 1].text = NULL;
		}
	} else if (k == n + 1) {
		qc_data_reply(c, r);
		return;
	}
	if (c->ext_pipelining)
		return; /* the replies to the rest of the group follow */
	if (c->mail_failed || (k == n && c->n_accepted == 0)) {
		qc_txn_abort(c, QUEUE_RESULT_DEFER, "4.0.0", "transaction failed");
		return;
	}
	qc_send_cmd(c, k + 1);
}

void
qc_body_reply(struct queue_client *c, const struct smtp_reply *r)
{
	size_t i;

	if (c->n_accepted > 0 && !c->mail_failed)
		for (i = 0; i < c->job->n_rcpts; i++)
			if (c->results[i].text == NULL)
				qc_result_from_reply(&c->results[i], r);
	qc_job_finish(c, QUEUE_RESULT_DEFER, "4.0.0", "no reply to the message");
	qc_next_job(c);
}
