/* Listening sockets on libevent's evconnlistener (see listener.h). */
#include "net/listener.h"

#include <errno.h>
#include <stdbool.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/settings.h"
#include "log/log.h"
#include "util/xmalloc.h"

/* After accept fails for want of descriptors (EMFILE, ENFILE) or memory, the listener
 * stays readable: re-arming it at once fails again at once (a busy loop and a log line
 * per try). It rests this long instead, so connections that end free descriptors. */
#define LISTENER_REST_MS 250

struct listener {
	struct evconnlistener *evl;
	struct event *rest; /* re-enables the listener after a rest */
	listener_accept_cb *cb;
	void *ctx;
	unsigned port;
	bool resting;
	bool paused; /* listener_pause() by the owner: the rest must not resume */
};

static char listener_error[512];

static void
listener_accept(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa, int len,
		void *arg)
{
	struct listener *l = arg;

	(void)evl;
	l->cb(fd, sa, len, l->ctx);
}

static void
listener_rest_over(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;

	(void)fd;
	(void)what;
	l->resting = false;
	if (!l->paused)
		evconnlistener_enable(l->evl);
}

static void
listener_error_cb(struct evconnlistener *evl, void *arg)
{
	struct listener *l = arg;
	int err = errno;
	struct timeval rest = {0, LISTENER_REST_MS * 1000};

	(void)evl;
	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
		/* a connection that went away before accept (ECONNABORTED...): not ours */
		log_warn("listener: port %u: accept failed: %s", l->port, strerror(err));
		return;
	}
	if (l->resting)
		return;
	/* one line per rest, not one per failed accept */
	log_warn("listener: port %u: accept failed: %s; not accepting for %d ms", l->port,
		 strerror(err), LISTENER_REST_MS);
	l->resting = true;
	evconnlistener_disable(l->evl);
	evtimer_add(l->rest, &rest);
}

struct listener *
listener_new(struct event_base *base, const char *host, unsigned port, listener_accept_cb *cb,
	     void *ctx, const char **error_r)
{
	struct addrinfo hints, *res = NULL;
	struct listener *l;
	char portstr[16];
	int err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", port);
	if (host != NULL && *host == '\0')
		host = NULL;
	if (host == NULL)
		hints.ai_family = AF_INET6; /* dual-stack [::] */
	err = getaddrinfo(host, portstr, &hints, &res);
	if (err != 0) {
		snprintf(listener_error, sizeof(listener_error), "bad listen address %s:%u: %s",
			 host ? host : "", port, gai_strerror(err));
		*error_r = listener_error;
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	l->cb = cb;
	l->ctx = ctx;
	l->port = port;
	l->evl = evconnlistener_new_bind(base, listener_accept, l,
					 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
						 LEV_OPT_CLOSE_ON_EXEC,
					 1024, res->ai_addr, (int)res->ai_addrlen);
	freeaddrinfo(res);
	if (l->evl == NULL) {
		snprintf(listener_error, sizeof(listener_error), "cannot listen on %s:%u: %s",
			 host ? host : "*", port, strerror(errno));
		*error_r = listener_error;
		free(l);
		return NULL;
	}
	evconnlistener_set_error_cb(l->evl, listener_error_cb);
	l->rest = evtimer_new(base, listener_rest_over, l);
	if (port == 0) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		if (getsockname(evconnlistener_get_fd(l->evl), (struct sockaddr *)&ss, &len) == 0)
			l->port = ntohs(ss.ss_family == AF_INET
						? ((struct sockaddr_in *)&ss)->sin_port
						: ((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return l;
}

void
listener_free(struct listener **lp)
{
	if (*lp == NULL)
		return;
	evconnlistener_free((*lp)->evl);
	event_free((*lp)->rest);
	free(*lp);
	*lp = NULL;
}

void
listener_pause(struct listener *l)
{
	l->paused = true;
	evconnlistener_disable(l->evl);
}

void
listener_resume(struct listener *l)
{
	l->paused = false;
	if (!l->resting)
		evconnlistener_enable(l->evl);
}

unsigned
listener_port(const struct listener *l)
{
	return l->port;
}

void
listener_set_ctx(struct listener *l, void *ctx)
{
	l->ctx = ctx;
}

int
listener_bind_list(struct event_base *base, const struct listen_list *list, listener_accept_cb *cb,
		   void *ctx, struct listener ***arr, size_t *n, const char **error_r)
{
	size_t i;

	for (i = 0; i < list->n; i++) {
		struct listener *l = listener_new(base, list->addrs[i].host, list->addrs[i].port,
						  cb, ctx, error_r);
		if (l == NULL)
			return -1;
		*arr = xrealloc(*arr, (*n + 1) * sizeof(**arr));
		(*arr)[(*n)++] = l;
	}
	return 0;
}

void
listener_free_all(struct listener ***arr, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		listener_free(&(*arr)[i]);
	free(*arr);
	*arr = NULL;
	*n = 0;
}
