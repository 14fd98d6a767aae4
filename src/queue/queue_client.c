/* The outbound SMTP client's session (see queue_client.h): connecting through the route's
 * addresses in turn (RFC 5321 5.1), the greeting, EHLO with HELO fallback (4.1.1.1),
 * opportunistic STARTTLS (RFC 3207), AUTH PLAIN/LOGIN to a relayhost (RFC 4954), idling
 * between jobs, QUIT. Transactions are in queue_client_txn.c. */
#include "queue/queue_client_private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log/log.h"
#include "net/conn.h"
#include "queue/queue_sched.h"
#include "util/base64.h"
#include "util/str.h"
#include "util/xmalloc.h"

static const char *const qc_state_names[] = {
	"CONNECTING", "GREETING", "EHLO", "HELO", "STARTTLS", "TLS_HANDSHAKE", "AUTH",
	"AUTH_LOGIN", "IDLE",     "TXN",  "BODY", "RSET",     "QUIT",
};

static void qc_connect_next(struct queue_client *c);

void
qc_enter_state(struct queue_client *c, enum qc_state state)
{
	log_debug("queue: client %s: %s -> %s", c->relay, qc_state_names[c->state],
		  qc_state_names[state]);
	c->state = state;
}

void
qc_send(struct queue_client *c, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_append(&b, "\r\n", 2);
	conn_write(c->conn, b.data, b.len);
	buf_free(&b);
}

void
queue_client_idle_insert(struct queue_client_list *list, struct queue_client *c)
{
	TAILQ_INSERT_TAIL(list, c, idle_entry);
	c->in_idle_list = true;
}

void
queue_client_idle_remove(struct queue_client_list *list, struct queue_client *c)
{
	if (!c->in_idle_list)
		return;
	TAILQ_REMOVE(list, c, idle_entry);
	c->in_idle_list = false;
}

static void
qc_free(struct queue_client *c)
{
	size_t i;

	queue_client_idle_remove(&c->dest->idle, c);
	TAILQ_REMOVE(&c->q->clients, c, all_entry);
	if (c->connect_ev != NULL)
		event_free(c->connect_ev);
	if (c->idle_ev != NULL)
		event_free(c->idle_ev);
	if (c->fd >= 0)
		close(c->fd);
	conn_free(&c->conn);
	for (i = 0; i < c->n_hosts; i++) {
		free(c->hosts[i].name);
		free(c->hosts[i].addrs);
	}
	free(c->hosts);
	smtp_reply_clear(&c->reply);
	free(c->last_error);
	free(c->helo_name);
	free(c->auth_user);
	free(c->auth_pass);
	free(c);
}

/* The end of the client: on_end, then free. */
static void
qc_end(struct queue_client *c)
{
	c->on_end(c->q, c->dest, c, c->connected_once, c->last_error);
	qc_free(c);
}

void
qc_quit(struct queue_client *c)
{
	if (c->conn == NULL || conn_is_closing(c->conn)) {
		qc_end(c);
		return;
	}
	qc_enter_state(c, QC_STATE_QUIT);
	qc_send(c, "QUIT");
	conn_close_after_flush(c->conn);
}

void
qc_fail(struct queue_client *c, const char *why)
{
	free(c->last_error);
	c->last_error = xstrdup(why);
	if (c->job != NULL) {
		/* a job was being sent: defer what is not decided yet */
		qc_job_finish(c, QUEUE_RESULT_DEFER, "4.4.2", why);
	}
	conn_free(&c->conn);
	qc_end(c);
}

/* Before any job started on this connection: the next address may do better. */
static void
qc_fail_over(struct queue_client *c, const char *why)
{
	log_info("queue: %s: %s", c->relay, why);
	free(c->last_error);
	c->last_error = xstrdup(why);
	conn_free(&c->conn);
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	c->addr_i++;
	qc_connect_next(c);
}

static bool
qc_before_session(const struct queue_client *c)
{
	return c->state <= QC_STATE_AUTH_LOGIN && !c->connected_once;
}

static void
qc_idle_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct queue_client *c = arg;

	queue_client_idle_remove(&c->dest->idle, c);
	qc_quit(c);
}

void
qc_next_job(struct queue_client *c)
{
	struct queue_job *job = queue_sched_take_job(c->q, c->dest);
	struct timeval tv = {QC_IDLE_SECONDS, 0};

	if (job != NULL) {
		queue_client_run(c, job);
		return;
	}
	qc_enter_state(c, QC_STATE_IDLE);
	conn_set_timeout(c->conn, QC_TIMEOUT_COMMAND);
	queue_client_idle_insert(&c->dest->idle, c);
	if (c->idle_ev == NULL)
		c->idle_ev = evtimer_new(c->q->deps.base, qc_idle_timeout, c);
	evtimer_add(c->idle_ev, &tv);
}

void
queue_client_run(struct queue_client *c, struct queue_job *job)
{
	queue_client_idle_remove(&c->dest->idle, c);
	if (c->idle_ev != NULL)
		evtimer_del(c->idle_ev);
	c->job = job;
	qc_txn_start(c);
}

/* The session is set up (after EHLO, STARTTLS and AUTH as they apply). */
static void
qc_session_ready(struct queue_client *c)
{
	c->connected_once = true;
	free(c->last_error);
	c->last_error = NULL;
	log_debug("queue: %s: session ready%s", c->relay, conn_is_tls(c->conn) ? " (TLS)" : "");
	if (c->job != NULL)
		qc_txn_start(c);
	else
		qc_next_job(c);
}

static void
qc_parse_ehlo(struct queue_client *c, const struct smtp_reply *r)
{
	const char *p = buf_cstr(&r->text), *eol;

	c->esmtp = true;
	/* the first line is the greeting; each further line is a keyword with parameters */
	for (p = strchr(p, '\n'); p != NULL; p = eol) {
		char line[256];
		size_t len;

		p++;
		eol = strchr(p, '\n');
		len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		if (len >= sizeof(line))
			continue;
		memcpy(line, p, len);
		line[len] = '\0';
		if (str_casecmp(line, "PIPELINING") == 0)
			c->ext_pipelining = true;
		else if (str_casecmp(line, "STARTTLS") == 0)
			c->ext_starttls = true;
		else if (str_casecmp(line, "8BITMIME") == 0)
			c->ext_8bitmime = true;
		else if (str_casecmp(line, "SMTPUTF8") == 0)
			c->ext_smtputf8 = true;
		else if (str_casepfx(line, "SIZE") && (line[4] == '\0' || line[4] == ' ')) {
			c->ext_size = true;
			c->size_max = strtoull(line + 4, NULL, 10);
		} else if (str_casepfx(line, "AUTH") && (line[4] == ' ' || line[4] == '=')) {
			str_upper(line);
			c->ext_auth_plain |= strstr(line, " PLAIN") || strstr(line, "=PLAIN");
			c->ext_auth_login |= strstr(line, " LOGIN") || strstr(line, "=LOGIN");
		}
	}
}

static void
qc_reset_ext(struct queue_client *c)
{
	c->esmtp = c->ext_pipelining = c->ext_starttls = c->ext_size = false;
	c->ext_8bitmime = c->ext_smtputf8 = c->ext_auth_plain = c->ext_auth_login = false;
	c->size_max = 0;
}

static void
qc_auth_start(struct queue_client *c)
{
	struct buf plain = BUF_INIT, b64 = BUF_INIT;

	if (c->ext_auth_plain) {
		/* RFC 4616: authzid NUL authcid NUL passwd */
		buf_appendc(&plain, '\0');
		buf_appends(&plain, c->auth_user);
		buf_appendc(&plain, '\0');
		buf_appends(&plain, c->auth_pass);
		base64_encode(&b64, plain.data, plain.len);
		qc_enter_state(c, QC_STATE_AUTH);
		qc_send(c, "AUTH PLAIN %s", buf_cstr(&b64));
	} else {
		qc_enter_state(c, QC_STATE_AUTH_LOGIN);
		c->auth_step = 0;
		qc_send(c, "AUTH LOGIN");
	}
	buf_free(&plain);
	buf_free(&b64);
}

/* After EHLO: STARTTLS if offered and not done, then AUTH if configured. */
static void
qc_after_ehlo(struct queue_client *c)
{
	if (c->ext_starttls && !conn_is_tls(c->conn) && !c->no_tls &&
	    c->q->deps.client_tls != NULL) {
		qc_enter_state(c, QC_STATE_STARTTLS);
		qc_send(c, "STARTTLS");
		return;
	}
	if (c->auth_user != NULL && (c->ext_auth_plain || c->ext_auth_login)) {
		qc_auth_start(c);
		return;
	}
	qc_session_ready(c);
}

static void
qc_auth_reply(struct queue_client *c, const struct smtp_reply *r)
{
	struct buf b64 = BUF_INIT;
	char *text;

	if (c->state == QC_STATE_AUTH_LOGIN && r->code == 334) {
		/* RFC 4954 4: LOGIN asks for the user name, then the password */
		const char *what = c->auth_step++ == 0 ? c->auth_user : c->auth_pass;
		base64_encode(&b64, what, strlen(what));
		qc_send(c, "%s", buf_cstr(&b64));
		buf_free(&b64);
		if (c->auth_step == 2)
			qc_enter_state(c, QC_STATE_AUTH);
		return;
	}
	if (r->code == 235) {
		qc_session_ready(c);
		return;
	}
	text = qc_reply_text(r);
	buf_printf(&b64, "SASL authentication failed; server %s said: %s", c->relay, text);
	free(text);
	/* Postfix defers on an authentication failure: it is a configuration problem */
	qc_fail(c, buf_cstr(&b64));
	buf_free(&b64);
}

static void
qc_greeting_reply(struct queue_client *c, const struct smtp_reply *r)
{
	char *text;
	struct buf why = BUF_INIT;

	if (r->code == 220) {
		qc_enter_state(c, QC_STATE_EHLO);
		qc_send(c, "EHLO %s", c->helo_name);
		return;
	}
	/* RFC 5321 3.1: 554 here means no service; another MX may do better */
	text = qc_reply_text(r);
	buf_printf(&why, "host %s refused to talk to me: %s", c->relay, text);
	free(text);
	qc_fail_over(c, buf_cstr(&why));
	buf_free(&why);
}

static void
qc_session_reply(struct queue_client *c, const struct smtp_reply *r)
{
	struct buf why = BUF_INIT;
	char *text;

	switch (c->state) {
	case QC_STATE_EHLO:
		qc_reset_ext(c);
		if (r->code / 100 == 2) {
			qc_parse_ehlo(c, r);
			qc_after_ehlo(c);
			return;
		}
		/* RFC 5321 4.1.1.1: a server that does not know EHLO gets HELO */
		qc_enter_state(c, QC_STATE_HELO);
		qc_send(c, "HELO %s", c->helo_name);
		return;
	case QC_STATE_HELO:
		if (r->code / 100 == 2) {
			qc_after_ehlo(c);
			return;
		}
		break;
	case QC_STATE_STARTTLS:
		if (r->code == 220) {
			qc_enter_state(c, QC_STATE_TLS_HANDSHAKE);
			if (conn_starttls(c->conn, c->q->deps.client_tls, true) == 0)
				return;
			c->no_tls = true;
			qc_fail_over(c, "STARTTLS failed");
			return;
		}
		/* offered but refused: go on in clear (opportunistic TLS) */
		c->no_tls = true;
		qc_after_ehlo(c);
		return;
	default:
		break;
	}
	text = qc_reply_text(r);
	buf_printf(&why, "host %s refused to talk to me: %s", c->relay, text);
	free(text);
	qc_fail_over(c, buf_cstr(&why));
	buf_free(&why);
}

static void
qc_dispatch_reply(struct queue_client *c, const struct smtp_reply *r)
{
	switch (c->state) {
	case QC_STATE_GREETING:
		qc_greeting_reply(c, r);
		break;
	case QC_STATE_EHLO:
	case QC_STATE_HELO:
	case QC_STATE_STARTTLS:
		qc_session_reply(c, r);
		break;
	case QC_STATE_AUTH:
	case QC_STATE_AUTH_LOGIN:
		qc_auth_reply(c, r);
		break;
	case QC_STATE_TXN:
		qc_txn_reply(c, r);
		break;
	case QC_STATE_BODY:
		qc_body_reply(c, r);
		break;
	case QC_STATE_RSET:
		if (r->code / 100 == 2)
			qc_next_job(c);
		else
			qc_fail(c, "RSET failed");
		break;
	default:
		/* unsolicited (IDLE: e.g. a 421 before closing): drop the connection */
		qc_fail(c, "unexpected reply from the server");
		break;
	}
}

static void
qc_on_input(struct conn *conn, void *ctx)
{
	struct queue_client *c = ctx;
	struct evbuffer *in = conn_input(conn);

	/* replies are handled one by one: a handler may end the client (c freed) */
	while (c->conn == conn && evbuffer_get_length(in) > 0 && c->state != QC_STATE_QUIT &&
	       c->state != QC_STATE_TLS_HANDSHAKE) {
		size_t len = evbuffer_get_length(in), used = 0;
		const char *data = (const char *)evbuffer_pullup(in, -1);
		int ret = smtp_reply_parse(data, len, &c->reply, &used);

		if (ret == 0)
			return;
		if (ret < 0) {
			if (qc_before_session(c))
				qc_fail_over(c, "malformed reply from the server");
			else
				qc_fail(c, "malformed reply from the server");
			return;
		}
		evbuffer_drain(in, used);
		qc_dispatch_reply(c, &c->reply);
	}
}

static void
qc_on_close(struct conn *conn, void *ctx, enum conn_close_reason reason)
{
	struct queue_client *c = ctx;
	char why[400];

	if (c->state == QC_STATE_QUIT || reason == CONN_CLOSE_LOCAL) {
		qc_end(c);
		return;
	}
	snprintf(why, sizeof(why), "%s with %s while in state %s",
		 reason == CONN_CLOSE_TIMEOUT ? "conversation timed out" : "lost connection",
		 c->relay, qc_state_names[c->state]);
	if (c->state == QC_STATE_TLS_HANDSHAKE)
		c->no_tls = true;
	if (qc_before_session(c)) {
		/* retry the same address in clear after a failed handshake */
		if (c->state == QC_STATE_TLS_HANDSHAKE)
			c->addr_i--;
		qc_fail_over(c, why);
	} else {
		qc_fail(c, why);
	}
}

static void
qc_on_tls_ready(struct conn *conn, void *ctx)
{
	struct queue_client *c = ctx;

	/* RFC 3207 4.2: everything learnt before is forgotten; EHLO again */
	qc_reset_ext(c);
	qc_enter_state(c, QC_STATE_EHLO);
	qc_send(c, "EHLO %s", c->helo_name);
}

static const struct conn_ops qc_conn_ops = {
	.on_input = qc_on_input,
	.on_close = qc_on_close,
	.on_tls_ready = qc_on_tls_ready,
};

static void
qc_set_relay(struct queue_client *c, const struct sockaddr_storage *ss)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip, sizeof(ip));
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip, sizeof(ip));
	snprintf(c->relay, sizeof(c->relay), "%s[%s]:%u", c->hosts[c->host_i].name, ip, c->port);
}

static void
qc_on_connected(evutil_socket_t fd, short what, void *arg)
{
	struct queue_client *c = arg;
	int err = ETIMEDOUT;
	socklen_t len = sizeof(err);
	char why[400];

	if ((what & EV_WRITE) && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		snprintf(why, sizeof(why), "connect to %s: %s", c->relay, strerror(err));
		qc_fail_over(c, why);
		return;
	}
	event_free(c->connect_ev);
	c->connect_ev = NULL;
	c->conn = conn_new(c->q->deps.base, c->fd, NULL, false, &qc_conn_ops, c);
	c->fd = -1;
	qc_enter_state(c, QC_STATE_GREETING);
	conn_set_timeout(c->conn, QC_TIMEOUT_GREETING);
}

/* Starts a non-blocking connect to the current address, moving on past failures. */
static void
qc_connect_next(struct queue_client *c)
{
	struct timeval tv = {QC_TIMEOUT_CONNECT, 0};

	if (c->connect_ev != NULL) {
		event_free(c->connect_ev);
		c->connect_ev = NULL;
	}
	for (; c->host_i < c->n_hosts; c->host_i++, c->addr_i = 0) {
		struct dns_route_host *h = &c->hosts[c->host_i];
		if (c->addr_i < h->n_addrs)
			break;
	}
	if (c->host_i >= c->n_hosts) {
		if (c->job != NULL)
			qc_job_finish(c, QUEUE_RESULT_DEFER, "4.4.1",
				      c->last_error ? c->last_error
						    : "no route to the destination");
		qc_end(c);
		return;
	}
	struct sockaddr_storage ss = c->hosts[c->host_i].addrs[c->addr_i];
	socklen_t sslen =
		ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	((struct sockaddr_in *)&ss)->sin_port = htons(c->port); /* same offset for v6 */
	qc_set_relay(c, &ss);
	qc_enter_state(c, QC_STATE_CONNECTING);
	c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 ||
	    (connect(c->fd, (struct sockaddr *)&ss, sslen) < 0 && errno != EINPROGRESS)) {
		char why[400];
		snprintf(why, sizeof(why), "connect to %s: %s", c->relay, strerror(errno));
		qc_fail_over(c, why);
		return;
	}
	c->connect_ev = event_new(c->q->deps.base, c->fd, EV_WRITE, qc_on_connected, c);
	event_add(c->connect_ev, &tv);
}

static void
qc_start(evutil_socket_t fd, short what, void *arg)
{
	qc_connect_next(arg);
}

struct queue_client *
queue_client_new(const struct queue_client_params *p, struct queue_job *job)
{
	struct queue_client *c = xcalloc(1, sizeof(*c));
	struct timeval tv = {0, 0};
	size_t i;

	c->q = p->queue;
	c->dest = p->dest;
	c->on_job = p->on_job;
	c->on_end = p->on_end;
	c->helo_name = xstrdup(p->helo_name);
	c->auth_user = p->auth_user ? xstrdup(p->auth_user) : NULL;
	c->auth_pass = p->auth_pass ? xstrdup(p->auth_pass) : NULL;
	c->port = p->port;
	c->fd = -1;
	c->job = job;
	TAILQ_INSERT_TAIL(&c->q->clients, c, all_entry);
	smtp_reply_init(&c->reply);
	c->n_hosts = p->route->n_hosts;
	c->hosts = xcalloc(c->n_hosts ? c->n_hosts : 1, sizeof(*c->hosts));
	for (i = 0; i < c->n_hosts; i++) {
		const struct dns_route_host *h = &p->route->hosts[i];
		c->hosts[i].name = xstrdup(h->name);
		c->hosts[i].n_addrs = h->n_addrs;
		c->hosts[i].addrs = xcalloc(h->n_addrs ? h->n_addrs : 1, sizeof(*h->addrs));
		memcpy(c->hosts[i].addrs, h->addrs, h->n_addrs * sizeof(*h->addrs));
	}
	snprintf(c->relay, sizeof(c->relay), "%s", c->dest->name);
	/* the first connect starts from the loop, so that on_end never runs in here */
	c->connect_ev = evtimer_new(c->q->deps.base, qc_start, c);
	evtimer_add(c->connect_ev, &tv);
	return c;
}

void
queue_client_abort(struct queue_client *c)
{
	if (c->job != NULL)
		queue_job_free(&c->job);
	qc_free(c);
}
