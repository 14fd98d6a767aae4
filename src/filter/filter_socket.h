/* Where a content filter listens ("inet:host:port" or "unix:/path", Postfix's notation for
 * milters and clamd) and the non-blocking connect to it, with a timeout, on the loop. */
#ifndef FILTER_FILTER_SOCKET_H
#define FILTER_FILTER_SOCKET_H
#include <stdbool.h>
#include <sys/socket.h>

struct event_base;
struct filter_connect;

struct filter_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	bool tcp; /* inet: TCP_NODELAY is set on it */
};

/* "inet:host:port" (host an IP literal, [v6] in brackets, or "localhost") or "unix:/path".
 * 0 ok, -1 with *error_r (static text). */
int filter_addr_parse(const char *spec, struct filter_addr *a, const char **error_r);

/* Called once with a connected non-blocking socket (the callee owns it), or fd -1 and a
 * reason (connection refused, timeout...). */
typedef void filter_connect_fn(void *ctx, int fd, const char *error);

/* Starts connecting to spec; `done` runs later from the loop, never inside this call. With
 * TCP, TCP_NODELAY is set: the protocols send several small packets without waiting for a
 * reply, and Nagle plus delayed ACKs would add ~40 ms to each (docs/filters.md "Running the filter
 * daemons offline"). */
struct filter_connect *filter_connect_start(struct event_base *base, const char *spec,
					    unsigned timeout_s, filter_connect_fn *done, void *ctx);
/* Stops a connect in progress: `done` will not run. NULL is fine. */
void filter_connect_cancel(struct filter_connect *fc);

#endif
