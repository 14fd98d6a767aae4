/* The deflate layer of a connection (internal to src/net): raw deflate (RFC 1951) both
 * ways as a bufferevent filter, for IMAP COMPRESS=DEFLATE (RFC 4978). conn_compress()
 * (conn.h) stacks it; these are its filter callbacks and context. */
#ifndef NET_CONN_DEFLATE_H
#define NET_CONN_DEFLATE_H
#include <event2/bufferevent.h>

struct conn_deflate;

/* NULL when zlib cannot set up its streams (out of memory). on_error(arg) is called
 * (once) when the client's stream turns out corrupt: libevent does not report a filter's
 * BEV_ERROR, so the connection must be ended by its owner (not from inside the filter). */
struct conn_deflate *conn_deflate_new(void (*on_error)(void *arg), void *arg);
/* The filter's free_context. */
void conn_deflate_free(void *ctx);

/* Input: inflates what is in src into dst, no more than dst_limit in dst (when > 0: a
 * small compressed input cannot fill memory). BEV_ERROR on a corrupt stream. */
enum bufferevent_filter_result conn_deflate_in(struct evbuffer *src, struct evbuffer *dst,
					       ev_ssize_t dst_limit,
					       enum bufferevent_flush_mode mode, void *ctx);
/* Output: deflates all of src into dst and ends with a sync flush (RFC 4978 4: what was
 * written goes out now, an interactive response is never held back for more). */
enum bufferevent_filter_result conn_deflate_out(struct evbuffer *src, struct evbuffer *dst,
						ev_ssize_t dst_limit,
						enum bufferevent_flush_mode mode, void *ctx);

#endif
