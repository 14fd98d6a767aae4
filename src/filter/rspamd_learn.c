/* The rspamd controller's learn client (see rspamd_learn.h). HTTP/1.1 (RFC 9112) with
 * "Connection: close": one request per connection, the reply read to the end. */
#include "filter/rspamd_learn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf/settings.h"
#include "log/log.h"
#include "net/workers.h"
#include "util/buf.h"
#include "util/xmalloc.h"

#define RSPAMD_CONTROLLER_PORT 11334 /* rspamd's default for its controller worker */
#define REPLY_MAX 8192               /* rspamd answers a short JSON object */
#define PASSWORD_MAX 1024

struct rspamd_learner {
	struct workers *thread; /* one: the posts keep their order */
	atomic_bool stopping;
	unsigned pending; /* loop thread only */
};

struct learn_job {
	struct rspamd_learner *l;
	/* in: copies, the settings may be reloaded meanwhile */
	char *controller, *password_file, *account;
	unsigned timeout;
	unsigned long long max_size;
	int fd;
	bool spam;
	/* out */
	int status;      /* the HTTP status, 0 = none (error says why) */
	char error[160]; /* or the start of the reply body */
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until deadline: 0 ready, -1 timed out or failed. */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = {.fd = fd, .events = events};

	for (;;) {
		long long left = deadline - now_ms();
		int r;

		if (left <= 0)
			return -1;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* A connected non-blocking socket to host:port, or -1 with j->error. */
static int
connect_to(struct learn_job *j, long long deadline)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	char *host = NULL, port_s[8];
	unsigned short port;
	int fd = -1, rc;

	if (settings_split_hostport(j->controller, RSPAMD_CONTROLLER_PORT, &host, &port, NULL) <
	    0) {
		snprintf(j->error, sizeof(j->error), "bad rspamd_controller");
		return -1;
	}
	snprintf(port_s, sizeof(port_s), "%u", port);
	rc = getaddrinfo(host, port_s, &hints, &res);
	free(host);
	if (rc != 0) {
		snprintf(j->error, sizeof(j->error), "%s", gai_strerror(rc));
		return -1;
	}
	snprintf(j->error, sizeof(j->error), "no address");
	for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		int err = 0;
		socklen_t len = sizeof(err);

		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
			err = errno;
		else if (wait_fd(fd, POLLOUT, deadline) < 0)
			err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err != 0) {
			snprintf(j->error, sizeof(j->error), "connect: %s", strerror(err));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

static int
send_all(int fd, const char *p, size_t len, long long deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return -1;
		} else if (wait_fd(fd, POLLOUT, deadline) < 0) {
			return -1;
		}
	}
	return 0;
}

/* The password file's first line, or "" (no file, unreadable: logged by the caller as
 * rspamd's refusal). */
static void
read_password(const char *path, char *out, size_t size)
{
	FILE *f = path != NULL ? fopen(path, "re") : NULL;

	out[0] = '\0';
	if (f == NULL)
		return;
	if (fgets(out, (int)size, f) == NULL)
		out[0] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	fclose(f);
}

/* The request: header and the whole message. 0, or -1 with j->error. */
static int
build_request(struct learn_job *j, struct buf *req)
{
	struct stat st;
	char password[PASSWORD_MAX];
	size_t head;
	off_t off = 0;

	if (fstat(j->fd, &st) < 0) {
		snprintf(j->error, sizeof(j->error), "fstat: %s", strerror(errno));
		return -1;
	}
	if ((unsigned long long)st.st_size > j->max_size) {
		snprintf(j->error, sizeof(j->error), "%lld bytes, over rspamd_learn_max_size",
			 (long long)st.st_size);
		return -1;
	}
	read_password(j->password_file, password, sizeof(password));
	buf_printf(req,
		   "POST /%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
		   "Content-Length: %lld\r\n",
		   j->spam ? "learnspam" : "learnham", j->controller, (long long)st.st_size);
	if (password[0] != '\0')
		buf_printf(req, "Password: %s\r\n", password);
	buf_appends(req, "\r\n");
	head = req->len;
	buf_reserve(req, (size_t)st.st_size);
	while (off < st.st_size) {
		ssize_t n = pread(j->fd, req->data + head + off, (size_t)(st.st_size - off), off);

		if (n <= 0) {
			snprintf(j->error, sizeof(j->error), "read: %s",
				 n < 0 ? strerror(errno) : "short file");
			return -1;
		}
		off += n;
	}
	req->len = head + (size_t)st.st_size;
	return 0;
}

/* The header and the Content-Length bytes of body are in (RFC 9112 6.3): the reply is
 * over even if the server keeps the connection open despite "Connection: close". */
static bool
reply_complete(char *reply, size_t len)
{
	const char *end, *cl;

	reply[len] = '\0';
	end = strstr(reply, "\r\n\r\n");
	if (end == NULL)
		return false;
	cl = strcasestr(reply, "\r\nContent-Length:");
	if (cl == NULL || cl > end)
		return false; /* read to the end of the connection */
	return (size_t)(end + 4 - reply) + strtoul(cl + 17, NULL, 10) <= len;
}

/* Reads the reply to the end (or REPLY_MAX) and fills j->status and j->error with the
 * status and the start of the body. */
static void
read_reply(struct learn_job *j, int fd, long long deadline)
{
	char reply[REPLY_MAX + 1];
	size_t len = 0;
	const char *body;
	int major, minor, status;

	while (len < REPLY_MAX && !reply_complete(reply, len)) {
		ssize_t n = recv(fd, reply + len, REPLY_MAX - len, 0);

		if (n > 0) {
			len += (size_t)n;
		} else if (n == 0) {
			break;
		} else if (errno != EAGAIN && errno != EINTR) {
			snprintf(j->error, sizeof(j->error), "read: %s", strerror(errno));
			return;
		} else if (wait_fd(fd, POLLIN, deadline) < 0) {
			snprintf(j->error, sizeof(j->error), "no reply within %u s", j->timeout);
			return;
		}
	}
	reply[len] = '\0';
	if (sscanf(reply, "HTTP/%d.%d %3d", &major, &minor, &status) != 3) {
		snprintf(j->error, sizeof(j->error), "not an HTTP reply");
		return;
	}
	j->status = status;
	body = strstr(reply, "\r\n\r\n");
	snprintf(j->error, sizeof(j->error), "%s", body != NULL ? body + 4 : "");
	for (char *p = j->error; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
}

/* Worker thread. */
static void
learn_work(void *arg)
{
	struct learn_job *j = arg;
	long long deadline = now_ms() + (long long)j->timeout * 1000;
	struct buf req = BUF_INIT;
	int fd;

	if (atomic_load(&j->l->stopping)) {
		snprintf(j->error, sizeof(j->error), "shutting down");
		return;
	}
	if (build_request(j, &req) < 0) {
		buf_free(&req);
		return;
	}
	fd = connect_to(j, deadline);
	if (fd >= 0) {
		if (send_all(fd, req.data, req.len, deadline) < 0)
			snprintf(j->error, sizeof(j->error), "write: %s",
				 errno == EAGAIN ? "timed out" : strerror(errno));
		else
			read_reply(j, fd, deadline);
		close(fd);
	}
	buf_free(&req);
}

/* Back on the loop. */
static void
learn_done(void *arg)
{
	struct learn_job *j = arg;
	const char *what = j->spam ? "learnspam" : "learnham";

	/* 2xx: learned; rspamd answers 208 for a message it already learned as that class */
	if (j->status >= 200 && j->status < 300)
		log_info("rspamd: %s: %s: HTTP %d %s", j->account, what, j->status, j->error);
	else if (j->status != 0)
		log_warn("rspamd: %s: %s: HTTP %d %s", j->account, what, j->status, j->error);
	else
		log_warn("rspamd: %s: %s: %s: %s", j->account, what, j->controller, j->error);
	j->l->pending--;
	close(j->fd);
	free(j->controller);
	free(j->password_file);
	free(j->account);
	free(j);
}

struct rspamd_learner *
rspamd_learner_new(struct event_base *base)
{
	struct rspamd_learner *l = xcalloc(1, sizeof(*l));

	atomic_init(&l->stopping, false);
	l->thread = workers_new(base, 1);
	return l;
}

void
rspamd_learner_free(struct rspamd_learner **lp)
{
	struct rspamd_learner *l = *lp;

	if (l == NULL)
		return;
	*lp = NULL;
	atomic_store(&l->stopping, true);
	workers_free(&l->thread); /* runs the done() of every job: they use l */
	free(l);
}

bool
rspamd_learner_submit(struct rspamd_learner *l, const struct settings *set, const char *account,
		      int fd, bool spam)
{
	struct learn_job *j;

	if (l == NULL || set->rspamd_controller == NULL) {
		close(fd);
		return false;
	}
	if (l->pending >= set->rspamd_learn_queue) {
		log_warn("rspamd: %s: %s not posted: %u messages already waiting "
			 "(rspamd_learn_queue)",
			 account, spam ? "learnspam" : "learnham", l->pending);
		close(fd);
		return false;
	}
	j = xcalloc(1, sizeof(*j));
	j->l = l;
	j->controller = xstrdup(set->rspamd_controller);
	j->password_file = set->rspamd_controller_password_file != NULL
				   ? xstrdup(set->rspamd_controller_password_file)
				   : NULL;
	j->account = xstrdup(account);
	j->timeout = set->rspamd_learn_timeout;
	j->max_size = set->rspamd_learn_max_size;
	j->fd = fd;
	j->spam = spam;
	l->pending++;
	workers_submit(l->thread, learn_work, learn_done, j);
	return true;
}

unsigned
rspamd_learner_pending(const struct rspamd_learner *l)
{
	return l != NULL ? l->pending : 0;
}
