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

struct listen_list;
/* Binds every address of list, appending the listeners to *arr (of *n, grown). 0 ok,
 * -1 with *error_r (the ones already bound stay in *arr for the caller to free). */
int listener_bind_list(struct event_base *base, const struct listen_list *list,
		       listener_accept_cb *cb, void *ctx, struct listener ***arr, size_t *n,
		       const char **error_r);
/* Frees the *n listeners of *arr and the array. */
void listener_free_all(struct listener ***arr, size_t *n);

#endif
