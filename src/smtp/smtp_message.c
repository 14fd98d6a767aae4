/* Message reception: DATA (RFC 5321 4.1.1.4, transparency 4.5.2) and BDAT (RFC 3030),
 * the checks on the finished message, the Received: trace header (RFC 5321 4.4) and the
 * hand-over to the store (local recipients) and the queue (remote ones). The 250 is sent
 * only from the store's callback, i.e. once the message is durable. */
#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/accounts.h"
#include "conf/settings.h"
#include "log/log.h"
#include "mail/rfc5322.h"
#include "net/conn.h"
#include "queue/queue.h"
#include "smtp/smtp_mailauth.h"
#include "smtp/smtp_arc_seal.h"
#include "smtp/smtp_session.h"
#include "smtp/smtp_stage.h"
#include "store/store.h"
#include "util/metrics.h"
#include "util/recent.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* RFC 5321 6.3: a message with this many trace headers is looping. */
#define SMTP_MAX_RECEIVED 50

struct smtp_delivery {
	struct smtp_session *session;
	unsigned long long size;
	size_t n_local;
	size_t n_remote;
	unsigned pending; /* store and queue callbacks still to come */
	bool failed;
	char *error; /* copied: the callback's text may live in another thread's buffer */
};

void
smtp_message_start_data(struct smtp_session *s)
{
	const struct settings *set = smtp_server_deps(s->server)->settings;

	buf_reset(&s->msg);
	smtp_data_reader_init(&s->data, &s->msg, set->message_size_limit);
	smtp_session_enter_state(s, SMTP_STATE_DATA);
	smtp_reply(s, "354 End data with <CR><LF>.<CR><LF>");
}

void
smtp_message_start_bdat(struct smtp_session *s, unsigned long long size, bool last)
{
	const struct settings *set = smtp_server_deps(s->server)->settings;

	s->bdat_left = size;
	s->bdat_last = last;
	s->bdat_discard = false;
	s->bdat_error = NULL;
	/* RFC 3030 2: the chunk follows the command in any case, so an error is only
	 * given once the chunk has been read (and thrown away) */
	if (s->base.state != SMTP_STATE_RCPT) {
		s->bdat_discard = true;
		s->bdat_error = s->base.state == SMTP_STATE_MAIL && s->rcpt_attempted
					? "554 5.5.1 Error: no valid recipients"
					: "503 5.5.1 Error: need RCPT command";
	} else if (!s->bdat_started) {
		s->bdat_started = true;
		buf_reset(&s->msg);
		crlf_normalizer_init(&s->bdat_norm);
		crlf_normalizer_set_max_size(&s->bdat_norm, set->message_size_limit);
	}
	smtp_session_enter_state(s, SMTP_STATE_BDAT);
}

/* Counts the growth of s->msg against smtp_memory_limit; past it, stops keeping the
 * message. */
static void
smtp_message_account(struct smtp_session *s)
{
	const struct settings *set = smtp_server_deps(s->server)->settings;
	unsigned long long total;

	if (s->msg.len == s->mem_counted || s->over_memory)
		return;
	total = smtp_server_memory_add(s->server,
				       (long long)s->msg.len - (long long)s->mem_counted);
	s->mem_counted = s->msg.len;
	if (total <= set->smtp_memory_limit)
		return;
	/* Too many large messages arrive at once: read this one to its end (the client is
	 * mid-transfer) but keep nothing, and answer 452 so the client retries later. */
	log_warn("smtp: %s: client=[%s] smtp_memory_limit reached (%llu bytes held): message "
		 "deferred",
		 s->qid, s->base.ip, total);
	s->over_memory = true;
	s->data.max_size = 1;
	crlf_normalizer_set_max_size(&s->bdat_norm, 1);
	smtp_server_memory_add(s->server, -(long long)s->mem_counted);
	s->mem_counted = 0;
	buf_free(&s->msg);
}

static void
smtp_received_header(struct smtp_session *s, struct buf *out)
{
	const struct settings *set = smtp_server_deps(s->server)->settings;
	bool tls = conn_is_tls(s->base.conn);
	char date[64];
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	/* RFC 5321 4.4, with the protocol names of RFC 3848 */
	buf_printf(out, "Received: from %s ([%s])\r\n\tby %s (yubin) with %s%s%s\r\n",
		   s->helo ? s->helo : "unknown", s->base.ip, set->myhostname,
		   s->esmtp ? "ESMTP" : "SMTP", tls ? "S" : "", s->auth_user ? "A" : "");
	if (tls)
		buf_printf(out, "\t(using %s with cipher %s)\r\n", conn_tls_version(s->base.conn),
			   conn_tls_cipher(s->base.conn));
	buf_printf(out, "\tid %s", s->qid);
	if (s->n_rcpts == 1)
		buf_printf(out, "\r\n\tfor <%s>", s->rcpts[0].address);
	buf_printf(out, "; %s\r\n", date);
}

static void smtp_message_delivered(void *ctx, int result, const char *error);

static void
smtp_message_reply(struct smtp_delivery *d)
{
	struct smtp_session *s = d->session;

	if (!smtp_session_async_done(s)) {
		free(d->error);
		free(d);
		return;
	}
	if (!d->failed) {
		log_info("smtp: %s: from=<%s> size=%llu nrcpt=%zu local=%zu remote=%zu%s%s%s "
			 "client=[%s]",
			 s->qid, s->mail_from, d->size, s->n_rcpts, d->n_local, d->n_remote,
			 conn_is_tls(s->base.conn) ? " tls=" : "",
			 conn_is_tls(s->base.conn) ? conn_tls_version(s->base.conn) : "",
			 smtp_mailauth_log_fields(s), s->base.ip);
		metrics_smtp_accepted(d->n_local);
		recent_add("received", s->qid,
			   "from=<%s> nrcpt=%zu local=%zu remote=%zu client=[%s]", s->mail_from,
			   s->n_rcpts, d->n_local, d->n_remote, s->base.ip);
		smtp_reply(s, "250 2.0.0 Ok: queued as %s", s->qid);
	} else {
		log_error("smtp: %s: from=<%s> not stored: %s", s->qid, s->mail_from, d->error);
		smtp_reply_error(s, "451 4.3.0 Error: local storage failure, try again later");
	}
	free(d->error);
	free(d);
	smtp_session_reset_transaction(s);
	if (s->base.state == SMTP_STATE_WAIT)
		smtp_session_enter_state(s, SMTP_STATE_READY);
	smtp_session_async_reply_done(s);
}

static void
smtp_message_delivered(void *ctx, int result, const char *error)
{
	struct smtp_delivery *d = ctx;

	if (result < 0 && !d->failed) {
		d->failed = true;
		d->error = xstrdup(error != NULL ? error : "unknown error");
	}
	if (--d->pending == 0)
		smtp_message_reply(d);
}

static bool
target_seen(const struct store_target *targets, size_t n, const char *account)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(targets[i].account, account) == 0)
			return true;
	return false;
}

/* The message is complete and checked: store it for the local recipients and queue it
 * for the remote ones; reply once both are durable. */
static void
smtp_message_deliver(struct smtp_session *s)
{
	const struct smtp_server_deps *deps = smtp_server_deps(s->server);
	struct smtp_delivery *d = xcalloc(1, sizeof(*d));
	struct store_target *targets = NULL;
	struct buf received = BUF_INIT;
	struct buf *prefixes = NULL;
	char **remote = NULL;
	size_t n_targets = 0, cap = 0, n_remote = 0, remote_cap = 0, i, j;

	d->session = s;
	d->size = s->msg.len;
	/* the stages' header fields (Authentication-Results, X-Spam...) go above our trace
	 * header, as a milter's would */
	if (s->stage_headers.len > 0)
		buf_append(&received, s->stage_headers.data, s->stage_headers.len);
	smtp_received_header(s, &received);
	for (i = 0; i < s->n_rcpts; i++) {
		for (j = 0; s->rcpts[i].local[j] != NULL; j++) {
			const char *account = s->rcpts[i].local[j];
			if (target_seen(targets, n_targets, account))
				continue;
			targets = xgrow(targets, &cap, n_targets + 1, sizeof(*targets));
			targets[n_targets].account = account;
			targets[n_targets].mailbox = s->deliver_mailbox;
			n_targets++;
		}
		for (j = 0; s->rcpts[i].remote[j] != NULL; j++) {
			remote = xgrow(remote, &remote_cap, n_remote + 2, sizeof(*remote));
			remote[n_remote++] = s->rcpts[i].remote[j];
			remote[n_remote] = NULL;
		}
	}
	d->n_local = n_targets;
	d->n_remote = n_remote;
	if (n_targets == 0 && n_remote == 0) {
		/* every recipient expanded to nothing (an alias loop): never 250 for nothing */
		free(d);
		free(targets);
		free(remote);
		buf_free(&received);
		log_warn("smtp: %s: from=<%s> no deliverable recipient after expansion", s->qid,
			 s->mail_from);
		smtp_session_reset_transaction(s);
		smtp_session_enter_state(s, SMTP_STATE_READY);
		smtp_reply_error(s, "550 5.1.1 Error: no deliverable recipient");
		return;
	}
	prefixes = xcalloc(n_targets ? n_targets : 1, sizeof(*prefixes));
	for (i = 0; i < n_targets; i++) {
		/* RFC 5321 4.4: Return-Path at final delivery; Delivered-To as Postfix does */
		buf_printf(&prefixes[i], "Return-Path: <%s>\r\nDelivered-To: %s\r\n", s->mail_from,
			   targets[i].account);
		buf_append(&prefixes[i], received.data, received.len);
		targets[i].prefix = prefixes[i].data;
		targets[i].prefix_len = prefixes[i].len;
	}
	d->pending = (n_targets > 0) + (n_remote > 0);
	smtp_session_async_begin(s);
	/* one extra hold so neither callback can finish the reply before both are issued */
	d->pending++;
	if (s->deliver_hold && deps->queue != NULL) {
		/* a stage's quarantine: every recipient waits in the queue, on hold */
		const char **accounts = xcalloc(n_targets + 1, sizeof(*accounts));

		for (i = 0; i < n_targets; i++)
			accounts[i] = targets[i].account;
		d->pending = 2;
		queue_submit_held(deps->queue, s->qid, s->mail_from, accounts,
				  (const char *const *)remote, received.data, received.len,
				  s->msg.data, s->msg.len, smtp_message_delivered, d);
		free(accounts);
	} else {
		if (n_targets > 0)
			store_deliver(deps->store, targets, n_targets, s->msg.data, s->msg.len,
				      time(NULL), smtp_message_delivered, d);
		if (n_remote > 0) {
			/* forwarded mail from outside gets our ARC set on top (RFC 8617 5.1) */
			struct buf outgoing = BUF_INIT;

			smtp_arc_seal_forward(s, &received, &outgoing);
			buf_append(&outgoing, received.data, received.len);
			queue_submit(deps->queue, s->qid, s->mail_from, (const char *const *)remote,
				     outgoing.data, outgoing.len, s->msg.data, s->msg.len,
				     smtp_message_delivered, d);
			buf_free(&outgoing);
		}
	}
	for (i = 0; i < n_targets; i++)
		buf_free(&prefixes[i]);
	free(prefixes);
	free(targets);
	free(remote);
	buf_free(&received);
	smtp_message_delivered(d, 0, NULL);
}

/* No spoofing on submission: every From: address must belong to the authenticated
 * account (its own address or one of its aliases). Returns the first foreign address, or
 * NULL when all are owned (or the client did not authenticate). Free the result. */
static char *
smtp_message_foreign_from(struct smtp_session *s)
{
	struct accounts *accounts = smtp_server_deps(s->server)->accounts;
	struct rfc5322_header_iter it;
	struct rfc5322_field f;
	char *foreign = NULL;
	unsigned n_from = 0;
	size_t i;

	if (s->auth_user == NULL)
		return NULL;
	rfc5322_header_iter_init(&it, s->msg.data, rfc5322_header_size(s->msg.data, s->msg.len));
	while (foreign == NULL && rfc5322_header_iter_next(&it, &f)) {
		struct rfc5322_addr_list list;

		if (!f.has_colon || f.name_len != 4 || str_ncasecmp(f.name, "From", 4) != 0)
			continue;
		/* RFC 5322 3.6: exactly one From:; a second one could hide a spoofed sender */
		if (++n_from > 1) {
			foreign = xstrdup("(a second From: header)");
			break;
		}
		rfc5322_addr_list_parse(f.value, f.value_len, &list);
		for (i = 0; i < list.count && foreign == NULL; i++) {
			const struct rfc5322_addr *a = &list.addrs[i];
			char *addr;

			if (a->group_start || a->group_end || a->mailbox == NULL)
				continue;
			addr = xasprintf("%s@%s", a->mailbox, a->domain ? a->domain : "");
			if (!accounts_owns_address(accounts, s->auth_user, addr))
				foreign = addr;
			else
				free(addr);
		}
		rfc5322_addr_list_free(&list);
	}
	return foreign;
}

static void
smtp_message_end(struct smtp_session *s, bool too_big)
{
	char *foreign;

	if (s->over_memory) {
		smtp_session_reset_transaction(s);
		smtp_session_enter_state(s, SMTP_STATE_READY);
		smtp_reply_error(s,
				 "452 4.3.1 Error: insufficient system storage, try again later");
		return;
	}

	if (too_big) {
		log_info("smtp: %s: reject: message from [%s] exceeds the size limit", s->qid,
			 s->base.ip);
		smtp_session_reset_transaction(s);
		smtp_session_enter_state(s, SMTP_STATE_READY);
		smtp_reply_error(s, "552 5.3.4 Error: message file too big");
		return;
	}
	if (rfc5322_count_fields(s->msg.data, s->msg.len, "Received") > SMTP_MAX_RECEIVED) {
		log_info("smtp: %s: reject: message from [%s] is looping (too many Received: "
			 "headers)",
			 s->qid, s->base.ip);
		smtp_session_reset_transaction(s);
		smtp_session_enter_state(s, SMTP_STATE_READY);
		smtp_reply_error(s, "554 5.4.6 Error: too many hops (mail loop)");
		return;
	}
	if ((foreign = smtp_message_foreign_from(s)) != NULL) {
		log_info("smtp: %s: reject: message from [%s]: From: <%s> not owned by user %s",
			 s->qid, s->base.ip, foreign, s->auth_user);
		smtp_reply_error(s, "550 5.7.1 From: address <%s> is not owned by user %s", foreign,
				 s->auth_user);
		free(foreign);
		smtp_session_reset_transaction(s);
		smtp_session_enter_state(s, SMTP_STATE_READY);
		return;
	}
	smtp_stage_end_of_data(s, smtp_message_deliver);
}

static bool
smtp_message_data_input(struct smtp_session *s)
{
	struct evbuffer *in = conn_input(s->base.conn);

	while (evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		size_t used = 0;
		int ret;

		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		ret = smtp_data_reader_feed(&s->data, v.iov_base, v.iov_len, &used);
		evbuffer_drain(in, used);
		smtp_message_account(s);
		smtp_stage_data(s);
		if (ret == 1) {
			smtp_message_end(s, smtp_data_reader_too_big(&s->data));
			return s->base.state != SMTP_STATE_WAIT;
		}
	}
	return false;
}

static void
smtp_message_bdat_chunk_done(struct smtp_session *s)
{
	if (s->bdat_discard) {
		const char *error = s->bdat_error;
		smtp_session_reset_transaction(s);
		smtp_session_enter_state(s,
					 s->helo != NULL ? SMTP_STATE_READY : SMTP_STATE_CONNECTED);
		smtp_reply_error(s, "%s", error);
		return;
	}
	if (!s->bdat_last) {
		smtp_session_enter_state(s, SMTP_STATE_RCPT);
		smtp_reply(s, "250 2.0.0 %zu octets received", crlf_normalizer_size(&s->bdat_norm));
		return;
	}
	crlf_normalize_finish(&s->bdat_norm, &s->msg);
	smtp_stage_data(s);
	smtp_message_end(s, crlf_normalizer_too_big(&s->bdat_norm));
}

static bool
smtp_message_bdat_input(struct smtp_session *s)
{
	struct evbuffer *in = conn_input(s->base.conn);

	while (s->bdat_left > 0 && evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		size_t n;

		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		n = v.iov_len < s->bdat_left ? v.iov_len : (size_t)s->bdat_left;
		if (!s->bdat_discard) {
			crlf_normalize_append(&s->bdat_norm, &s->msg, v.iov_base, n);
			smtp_message_account(s);
			smtp_stage_data(s);
		}
		evbuffer_drain(in, n);
		s->bdat_left -= n;
	}
	if (s->bdat_left > 0)
		return false;
	smtp_message_bdat_chunk_done(s);
	return s->base.state != SMTP_STATE_WAIT;
}

void
smtp_message_chunk(struct smtp_session *s, const void *data, size_t len, bool last)
{
	smtp_message_start_bdat(s, len, last);
	if (!s->bdat_discard && len > 0) {
		crlf_normalize_append(&s->bdat_norm, &s->msg, data, len);
		smtp_message_account(s);
		smtp_stage_data(s);
	}
	s->bdat_left = 0;
	smtp_message_bdat_chunk_done(s);
}

bool
smtp_message_input(struct smtp_session *s)
{
	if (s->base.state == SMTP_STATE_DATA)
		return smtp_message_data_input(s);
	return smtp_message_bdat_input(s);
}
