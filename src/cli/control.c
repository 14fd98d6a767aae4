/* The control socket (control.h): server side on the event loop, and the client that
 * `yubin status` and `yubin queue` use. */
#include "cli/control.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "acme/acme_client.h"
#include "auth/ban.h"
#include "auth/penalty.h"
#include "conf/settings.h"
#include "log/log.h"
#include "net/server.h"
#include "queue/queue.h"
#include "util/buf.h"
#include "util/xmalloc.h"

/* Input read and dropped after the reply before the client is cut off. */
#define CONTROL_DISCARD_MAX (64 * 1024)

struct control_client {
	TAILQ_ENTRY(control_client) entry;
	struct control *c;
	struct bufferevent *bev;
	bool replied;
	bool eof;         /* the client has closed its side */
	size_t discarded; /* input after the request, read and dropped (see control_on_write) */
};

struct control {
	struct control_deps deps;
	int fd;
	struct event *ev;
	char *path;
	TAILQ_HEAD(, control_client) clients;
};

/* ---- addresses ---- */

/* sun_path holds 108 octets; a deeper data_directory is reached through its descriptor
 * (/proc/self/fd/N/control.sock), which the kernel resolves like the path. *dirfd_r is
 * that descriptor (-1 when the path fits): close it after bind/connect. */
static int
control_sockaddr(const char *data_dir, struct sockaddr_un *sun, int *dirfd_r)
{
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	*dirfd_r = -1;
	n = snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/%s", data_dir, CONTROL_SOCKET_NAME);
	if (n > 0 && (size_t)n < sizeof(sun->sun_path))
		return 0;
	*dirfd_r = open(data_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd_r < 0)
		return -1;
	snprintf(sun->sun_path, sizeof(sun->sun_path), "/proc/self/fd/%d/%s", *dirfd_r,
		 CONTROL_SOCKET_NAME);
	return 0;
}

/* ---- the replies ---- */

static void
control_listeners(struct buf *out, const char *key, const struct listen_list *l)
{
	char addr[300];

	for (size_t i = 0; i < l->n; i++) {
		listen_addr_format(&l->addrs[i], addr, sizeof(addr));
		buf_printf(out, "listener %s %s\n", key, addr);
	}
}

static void
control_certificate(struct buf *out, SSL_CTX *tls)
{
	X509 *cert = tls != NULL ? SSL_CTX_get0_certificate(tls) : NULL;
	const ASN1_TIME *not_after;
	char subject[256], when[64];
	struct tm tm;
	int days = 0, secs = 0;

	if (cert == NULL) {
		buf_appends(out, "certificate none\n");
		return;
	}
	not_after = X509_get0_notAfter(cert);
	X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
	if (ASN1_TIME_to_tm(not_after, &tm) != 1 ||
	    ASN1_TIME_diff(&days, &secs, NULL, not_after) != 1) {
		buf_printf(out, "certificate %s expiry unreadable\n", subject);
		return;
	}
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(out, "certificate %s expires %s (in %d days)\n", subject, when, days);
}

static void
control_status(const struct control *c, struct buf *out)
{
	const struct control_deps *d = &c->deps;
	const struct settings *s = d->settings;
	time_t now = time(NULL), oldest;
	size_t messages;

	buf_printf(out, "uptime %lld s\n", (long long)(now - d->started));
	buf_printf(out, "myhostname %s\n", s->myhostname);
	control_listeners(out, "smtp_listen", &s->smtp_listen);
	control_listeners(out, "submission_listen", &s->submission_listen);
	control_listeners(out, "submissions_listen", &s->submissions_listen);
	control_listeners(out, "imap_listen", &s->imap_listen);
	control_listeners(out, "imaps_listen", &s->imaps_listen);
	control_listeners(out, "pop3_listen", &s->pop3_listen);
	control_listeners(out, "pop3s_listen", &s->pop3s_listen);
	buf_printf(out, "sessions smtp %u\n", server_session_count(d->smtp));
	buf_printf(out, "sessions imap %u\n", server_session_count(d->imap));
	buf_printf(out, "sessions pop3 %u\n", server_session_count(d->pop3));
	queue_stats(d->queue, &messages, &oldest);
	buf_printf(out, "queue %zu messages, oldest %lld s\n", messages,
		   (long long)(messages > 0 && now > oldest ? now - oldest : 0));
	control_certificate(out, d->tls != NULL ? *d->tls : NULL);
	if (d->acme != NULL && *d->acme != NULL) {
		acme_client_status(*d->acme, out);
		buf_appendc(out, '\n');
	}
}

static void
control_ban_line(const char *key, time_t until, unsigned failures, void *ctx)
{
	buf_printf(ctx, "%s until %lld failures %u\n", key, (long long)until, failures);
}

/* "ban list", "ban del ADDR" (auth/ban.h). */
static int
control_ban(struct control *c, const char *args, struct buf *body, const char **last_r)
{
	struct ban *ban = penalty_ban(c->deps.penalty);
	int ret;

	if (ban == NULL) {
		*last_r = "login bans are off (auth_ban_threshold = 0)";
		return strcmp(args, "list") == 0 ? 200 : 550;
	}
	if (strcmp(args, "list") == 0) {
		ban_list(ban, time(NULL), control_ban_line, body);
		*last_r = "ok";
		return 200;
	}
	if (strncmp(args, "del ", 4) != 0) {
		*last_r = "unknown request (ban list, ban del ADDRESS)";
		return 500;
	}
	ret = ban_del(ban, args + 4, time(NULL));
	*last_r = ret > 0 ? "ban lifted" : ret == 0 ? "not banned" : "not an address";
	return ret > 0 ? 200 : ret == 0 ? 550 : 501;
}

/* Handles one request line; the reply's lines go to body, the result is its code and
 * the last line's text. */
static int
control_handle(struct control *c, const char *line, struct buf *body, const char **last_r)
{
	if (strcmp(line, "status") == 0) {
		control_status(c, body);
		*last_r = "ok";
		return 200;
	}
	if (strcmp(line, "queue flush") == 0) {
		log_info("control: queue flush");
		queue_flush(c->deps.queue);
		*last_r = "queue flushed";
		return 200;
	}
	if (strncmp(line, "ban ", 4) == 0)
		return control_ban(c, line + 4, body, last_r);
	if (strcmp(line, "reload") == 0 && c->deps.reload != NULL) {
		const char *error;

		if (c->deps.reload(c->deps.reload_ctx, &error) < 0) {
			buf_printf(body, "%s\n", error);
			*last_r = "reload refused, the running config stays";
			return 550;
		}
		*last_r = "reloaded";
		return 200;
	}
	*last_r = "unknown request (status, queue flush, ban list, ban del ADDRESS, reload)";
	return 500;
}

/* "CODE-line" for each line of body, then "CODE last". */
static void
control_format(struct buf *out, int code, const struct buf *body, const char *last)
{
	const char *p = buf_cstr(body), *end = p + body->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		buf_printf(out, "%d-%.*s\n", code, (int)n, p);
		p += n + (nl != NULL);
	}
	buf_printf(out, "%d %s\n", code, last);
}

/* ---- the server side ---- */

static void
control_client_free(struct control_client *cl)
{
	TAILQ_REMOVE(&cl->c->clients, cl, entry);
	bufferevent_free(cl->bev);
	free(cl);
}

/* Answers one request line (len octets, no LF) and starts sending the reply. */
static void
control_reply(struct control_client *cl, char *line, size_t len)
{
	struct buf body = BUF_INIT, out = BUF_INIT;
	const char *last;
	int code;

	if (line == NULL || len >= CONTROL_LINE_MAX) {
		code = 500;
		last = "request line too long";
	} else {
		if (len > 0 && line[len - 1] == '\r')
			line[len - 1] = '\0';
		code = control_handle(cl->c, line, &body, &last);
	}
	control_format(&out, code, &body, last);
	cl->replied = true;
	bufferevent_write(cl->bev, out.data, out.len);
	buf_free(&out);
	buf_free(&body);
}

static void
control_on_read(struct bufferevent *bev, void *arg)
{
	struct control_client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	if (cl->replied) {
		cl->discarded += evbuffer_get_length(in);
		evbuffer_drain(in, evbuffer_get_length(in));
		if (cl->discarded > CONTROL_DISCARD_MAX)
			control_client_free(cl);
		return;
	}
	line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
	if (line == NULL && evbuffer_get_length(in) < CONTROL_LINE_MAX)
		return; /* need more */
	control_reply(cl, line, len);
	free(line);
}

/* The reply is out (the write callback runs when the output buffer has drained): say
 * EOF, and read what the client still sends until it closes, so that the reply reaches it
 * (closing with unread input would reset the connection and could drop the reply). */
static void
control_on_write(struct bufferevent *bev, void *arg)
{
	struct control_client *cl = arg;

	if (cl->replied && cl->eof)
		control_client_free(cl);
	else if (cl->replied)
		shutdown(bufferevent_getfd(bev), SHUT_WR);
}

static void
control_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct control_client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	/* the client closed its side after the request (`printf status | nc -UN`): a last
	 * line without LF is still the request, and the reply still goes out */
	if ((what & BEV_EVENT_EOF) && !(what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))) {
		cl->eof = true;
		bufferevent_disable(bev, EV_READ);
		if (!cl->replied && evbuffer_get_length(in) > 0) {
			size_t len = evbuffer_get_length(in);
			char *line = xmalloc(len + 1);
			evbuffer_remove(in, line, len);
			line[len] = '\0';
			control_reply(cl, line, strlen(line) == len ? len : CONTROL_LINE_MAX);
			free(line);
		}
		if (cl->replied && evbuffer_get_length(bufferevent_get_output(bev)) > 0)
			return; /* control_on_write frees it once the reply is out */
	}
	control_client_free(cl); /* gone, broken or too slow */
}

static void
control_on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct control *c = arg;
	struct timeval tv = {CONTROL_TIMEOUT, 0};
	struct control_client *cl;
	int cfd;

	(void)fd;
	(void)what;
	cfd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	cl = xcalloc(1, sizeof(*cl));
	cl->c = c;
	cl->bev = bufferevent_socket_new(c->deps.base, cfd, BEV_OPT_CLOSE_ON_FREE);
	if (cl->bev == NULL) {
		close(cfd);
		free(cl);
		return;
	}
	TAILQ_INSERT_TAIL(&c->clients, cl, entry);
	bufferevent_setcb(cl->bev, control_on_read, control_on_write, control_on_event, cl);
	bufferevent_set_timeouts(cl->bev, &tv, &tv);
	/* bounded input: no more than one request line is ever buffered */
	bufferevent_setwatermark(cl->bev, EV_READ, 0, CONTROL_LINE_MAX);
	bufferevent_enable(cl->bev, EV_READ);
}

struct control *
control_new(const struct control_deps *deps, const char **error_r)
{
	static __thread char error[PATH_MAX + 64];
	struct control *c = xcalloc(1, sizeof(*c));
	struct sockaddr_un sun;
	int dirfd = -1;

	c->deps = *deps;
	c->fd = -1;
	TAILQ_INIT(&c->clients);
	c->path = xasprintf("%s/%s", deps->settings->data_directory, CONTROL_SOCKET_NAME);
	if (control_sockaddr(deps->settings->data_directory, &sun, &dirfd) < 0 ||
	    (c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(error, sizeof(error), "%s: %s", c->path, strerror(errno));
		goto fail;
	}
	/* a socket left by a server that was killed; a live server on this data_directory
	 * was already refused (the store's journal lock) */
	unlink(c->path);
	/* No umask() around bind: it is process-wide, and the store's threads create files.
	 * The socket is made with the server's umask (connecting needs write permission, which
	 * the usual 022 or 027 gives the owner only) and made 0600 before listen(). */
	if (bind(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(error, sizeof(error), "bind(%s) failed: %s", c->path, strerror(errno));
		goto fail;
	}
	if (chmod(sun.sun_path, 0600) < 0) {
		snprintf(error, sizeof(error), "chmod(%s) failed: %s", c->path, strerror(errno));
		unlink(c->path);
		goto fail;
	}
	if (listen(c->fd, 16) < 0) {
		snprintf(error, sizeof(error), "listen(%s) failed: %s", c->path, strerror(errno));
		goto fail;
	}
	if (dirfd >= 0)
		close(dirfd);
	c->ev = event_new(deps->base, c->fd, EV_READ | EV_PERSIST, control_on_accept, c);
	event_add(c->ev, NULL);
	return c;
fail:
	if (dirfd >= 0)
		close(dirfd);
	if (c->fd >= 0)
		close(c->fd);
	free(c->path);
	free(c);
	*error_r = error;
	return NULL;
}

void
control_free(struct control **cp)
{
	struct control *c = *cp;

	if (c == NULL)
		return;
	while (!TAILQ_EMPTY(&c->clients))
		control_client_free(TAILQ_FIRST(&c->clients));
	if (c->ev != NULL)
		event_free(c->ev);
	close(c->fd);
	unlink(c->path);
	free(c->path);
	free(c);
	*cp = NULL;
}

/* ---- the client side ---- */

/* Reads until the last reply line ("CODE text") or EOF, at most CONTROL_REPLY_MAX. */
static int
control_read_reply(int fd, struct buf *raw)
{
	char chunk[4096];

	for (;;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		const char *p = buf_cstr(raw), *last;
		ssize_t n;

		/* done when the last complete line has a space after its code */
		if (raw->len > 0 && p[raw->len - 1] == '\n') {
			last = raw->len >= 2 ? memrchr(p, '\n', raw->len - 1) : NULL;
			last = last != NULL ? last + 1 : p;
			if (strlen(last) > 4 && last[3] == ' ')
				return 0;
		}
		if (raw->len > CONTROL_REPLY_MAX)
			return -1;
		if (poll(&pfd, 1, CONTROL_TIMEOUT * 1000) <= 0)
			return -1;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf_append(raw, chunk, (size_t)n);
	}
}

int
control_request(const char *data_dir, const char *line, struct buf *reply_r, bool *no_server_r,
		const char **error_r)
{
	static __thread char error[PATH_MAX + 64];
	struct sockaddr_un sun;
	struct buf raw = BUF_INIT, req = BUF_INIT;
	int fd = -1, dirfd = -1, code = -1;
	const char *p, *end;

	*no_server_r = false;
	if (control_sockaddr(data_dir, &sun, &dirfd) < 0 ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		*no_server_r = errno == ENOENT || errno == ECONNREFUSED;
		snprintf(error, sizeof(error), "%s/%s: %s", data_dir, CONTROL_SOCKET_NAME,
			 strerror(errno));
		goto out;
	}
	buf_printf(&req, "%s\n", line);
	if (write(fd, req.data, req.len) != (ssize_t)req.len || control_read_reply(fd, &raw) < 0) {
		snprintf(error, sizeof(error), "%s/%s: no complete reply", data_dir,
			 CONTROL_SOCKET_NAME);
		goto out;
	}
	/* strip the codes: "200-text\n" ... "200 text\n" */
	p = buf_cstr(&raw);
	end = p + raw.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);
		if (n < 4 || (p[3] != '-' && p[3] != ' ')) {
			snprintf(error, sizeof(error), "%s/%s: malformed reply", data_dir,
				 CONTROL_SOCKET_NAME);
			code = -1;
			goto out;
		}
		code = atoi(p);
		buf_append(reply_r, p + 4, n - 4 + 1);
		p = nl + 1;
	}
out:
	if (code < 0)
		*error_r = error;
	if (fd >= 0)
		close(fd);
	if (dirfd >= 0)
		close(dirfd);
	buf_free(&raw);
	buf_free(&req);
	return code;
}
