/* Filter addresses and the connect to them (see filter_socket.h). */
#include "filter/filter_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "util/xmalloc.h"

struct filter_connect {
	struct event *ev; /* EV_WRITE on fd with the timeout, or a 0 timer to report an error */
	int fd;
	char error[256];
	filter_connect_fn *done;
	void *ctx;
};

static int
parse_inet(const char *hp, struct filter_addr *a)
{
	char host[128];
	const char *colon = strrchr(hp, ':');
	size_t hlen;
	unsigned long port;
	char *end;

	if (colon == NULL)
		return -1;
	hlen = (size_t)(colon - hp);
	if (hlen >= 2 && hp[0] == '[' && hp[hlen - 1] == ']') {
		hp++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, hp, hlen);
	host[hlen] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port == 0 || port > 65535 || errno != 0)
		return -1;
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	memset(a, 0, sizeof(*a));
	a->tcp = true;
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -1;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		a->len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -1;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		a->len = sizeof(*s4);
	}
	return 0;
}

int
filter_addr_parse(const char *spec, struct filter_addr *a, const char **error_r)
{
	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)&a->ss;
		size_t len = strlen(spec + 5);

		memset(a, 0, sizeof(*a));
		if (len == 0 || len >= sizeof(un->sun_path)) {
			*error_r = "unix socket path empty or too long";
			return -1;
		}
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, spec + 5, len);
		a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
		return 0;
	}
	if (strncmp(spec, "inet:", 5) == 0 && parse_inet(spec + 5, a) == 0)
		return 0;
	*error_r = "expected inet:host:port (an IP address or localhost) or unix:/path";
	return -1;
}

static void
on_event(evutil_socket_t fd, short what, void *arg)
{
	struct filter_connect *fc = arg;
	int err = 0, out = -1;
	socklen_t len = sizeof(err);
	filter_connect_fn *done = fc->done;
	void *ctx = fc->ctx;
	char error[sizeof(fc->error)];

	if (fc->fd >= 0) {
		if (what & EV_TIMEOUT)
			snprintf(fc->error, sizeof(fc->error), "connect timed out");
		else if (getsockopt(fc->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)
			snprintf(fc->error, sizeof(fc->error), "connect: %s",
				 strerror(err ? err : errno));
		else {
			out = fc->fd;
			fc->fd = -1;
		}
	}
	memcpy(error, fc->error, sizeof(error));
	filter_connect_cancel(fc);
	done(ctx, out, out >= 0 ? NULL : error);
}

struct filter_connect *
filter_connect_start(struct event_base *base, const char *spec, unsigned timeout_s,
		     filter_connect_fn *done, void *ctx)
{
	struct filter_connect *fc = xcalloc(1, sizeof(*fc));
	struct filter_addr a;
	const char *error;
	struct timeval tv = {timeout_s, 0}, zero = {0, 0};
	int one = 1;

	fc->done = done;
	fc->ctx = ctx;
	fc->fd = -1;
	if (filter_addr_parse(spec, &a, &error) < 0) {
		snprintf(fc->error, sizeof(fc->error), "%s: %s", spec, error);
		goto fail;
	}
	fc->fd = socket(a.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fc->fd < 0) {
		snprintf(fc->error, sizeof(fc->error), "socket: %s", strerror(errno));
		goto fail;
	}
	if (a.tcp)
		(void)setsockopt(fc->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fc->fd, (struct sockaddr *)&a.ss, a.len) < 0 && errno != EINPROGRESS) {
		snprintf(fc->error, sizeof(fc->error), "connect: %s", strerror(errno));
		close(fc->fd);
		fc->fd = -1;
		goto fail;
	}
	fc->ev = event_new(base, fc->fd, EV_WRITE, on_event, fc);
	event_add(fc->ev, &tv);
	return fc;
fail:
	/* report from the loop, as promised */
	fc->ev = evtimer_new(base, on_event, fc);
	evtimer_add(fc->ev, &zero);
	return fc;
}

void
filter_connect_cancel(struct filter_connect *fc)
{
	if (fc == NULL)
		return;
	if (fc->ev != NULL)
		event_free(fc->ev);
	if (fc->fd >= 0)
		close(fc->fd);
	free(fc);
}
