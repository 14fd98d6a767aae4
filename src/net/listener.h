/* Listening sockets: bind "host:port" (all addresses when host is empty), accept
 * connections and hand each new fd to the owner. */
#ifndef NET_LISTENER_H
#define NET_LISTENER_H
#include <sys/socket.h>

struct event_base;
struct listener;

typedef void listener_accept_cb(int fd, const struct sockaddr *peer, int peerlen, void *ctx);

/* Binds and listens; host NULL or "" = all addresses (IPv6 and IPv4). Returns NULL with
 * *error_r (static text) on failure. */
struct listener *listener_new(struct event_base *base, const char *host, unsigned port,
			      listener_accept_cb *cb, void *ctx, const char **error_r);
void listener_free(struct listener **l);
/* Stop / restart accepting (connection limits, graceful shutdown). */
void listener_pause(struct listener *l);
void listener_resume(struct listener *l);
unsigned listener_port(const struct listener *l);
void listener_set_ctx(struct listener *l, void *ctx);

#endif
