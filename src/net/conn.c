/* Connections on libevent bufferevents, with OpenSSL for TLS (see conn.h). */
#include "net/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/conn_deflate.h"
#include "util/buf.h"
#include "util/metrics.h"
#include "util/xmalloc.h"

/* on_drain fires once the output is down to this: refill before the pipe runs dry */
#define CONN_DRAIN_LOW (64 * 1024)
/* While paused, input is still read (so an EOF or a reset is noticed at once, also
 * while a command is in flight) but only up to this much is buffered. */
#define CONN_PAUSED_INPUT_MAX (64 * 1024)
/* A compressed connection inflates at most this much ahead of its owner (a few KiB of
 * deflate can stand for megabytes). */
#define CONN_INFLATED_INPUT_MAX (256 * 1024)

struct conn {
	struct event_base *base;
	struct bufferevent *bev;     /* the top of the stack: the TLS filter after STARTTLS */
	struct bufferevent *under;   /* the socket bufferevent under a STARTTLS filter */
	struct bufferevent *below_z; /* under the deflate filter of conn_compress() */
	struct event *defer_ev; /* reports a local close or a drain from the loop, never inline */
	struct event *flush_ev; /* plain sockets: writes the output at the end of this pass */
	const struct conn_ops *ops;
	void *ctx;
	unsigned timeout;
	bool closing;
	bool close_reported;
	bool want_drain;
	bool skipping_line; /* inside an over-long line being discarded */
	bool paused;
	bool tls_shutdown_sent;
	bool deflate_failed; /* the peer's deflate stream was corrupt: close */
	struct sockaddr_storage peer;
	char peer_ip[INET6_ADDRSTRLEN];
	char local_ip[INET6_ADDRSTRLEN];
	unsigned local_port;
};

static void conn_setup_bev(struct conn *conn);

/* The TLS layer, wherever it is in the stack (under a deflate filter after COMPRESS). */
static SSL *
conn_ssl(const struct conn *conn)
{
	SSL *ssl = bufferevent_openssl_get_ssl(conn->bev);

	if (ssl == NULL && conn->below_z != NULL)
		ssl = bufferevent_openssl_get_ssl(conn->below_z);
	return ssl;
}

/* A plain socket with nothing stacked on it (no TLS, no STARTTLS filter, no deflate):
 * its output is written by conn_flush_cb() straight from the loop pass that produced it.
 * libevent would instead arm EPOLLOUT when output is added and disarm it once written
 * (two epoll_ctl() and one more trip through epoll_wait() per reply: 15 of them per SMTP
 * message, 34 with a milter, `strace -c`). EV_WRITE is enabled only while a write was
 * left incomplete, and whatever is on the stack goes the libevent way. */
static bool
conn_direct(const struct conn *conn)
{
	return conn->under == NULL && conn->below_z == NULL && conn_ssl(conn) == NULL;
}

/* The input high-water mark of the top of the stack when reading is not paused. */
static size_t
conn_read_high(const struct conn *conn)
{
	return conn->below_z != NULL ? CONN_INFLATED_INPUT_MAX : 0;
}
static void conn_report_close(struct conn *conn, enum conn_close_reason reason);
static void conn_under_output_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
				 void *arg);

/* A local close completes once everything is on the wire: the output, then (TLS) the
 * close_notify alert, then what a STARTTLS filter left in the socket's buffer. */
static void
conn_close_progress(struct conn *conn)
{
	SSL *ssl;

	if (conn->close_reported || evbuffer_get_length(bufferevent_get_output(conn->bev)) != 0)
		return;
	if (conn->below_z != NULL &&
	    evbuffer_get_length(bufferevent_get_output(conn->below_z)) != 0)
		return; /* conn_under_output_cb calls again when it drains */
	ssl = conn_ssl(conn);
	if (ssl != NULL && !conn->tls_shutdown_sent) {
		conn->tls_shutdown_sent = true;
		/* RFC 8446 6.1: say we are done, so the client sees a clean end */
		if (SSL_is_init_finished(ssl))
			SSL_shutdown(ssl);
		ERR_clear_error();
	}
	if (conn->under != NULL && evbuffer_get_length(bufferevent_get_output(conn->under)) != 0)
		return; /* conn_under_output_cb calls again when it drains */
	conn_report_close(conn, CONN_CLOSE_LOCAL);
}

static void
conn_report_close(struct conn *conn, enum conn_close_reason reason)
{
	if (conn->close_reported)
		return;
	conn->close_reported = true;
	bufferevent_disable(conn->bev, EV_READ | EV_WRITE);
	conn->ops->on_close(conn, conn->ctx, reason);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *conn = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (conn->closing || conn->close_reported) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	/* a delivery deferred before conn_pause_read() (or queued by a resume the owner
	 * undid) must not run: conn_resume_read() delivers the buffered input later */
	if (conn->paused)
		return;
	conn->ops->on_input(conn, conn->ctx);
}

/* The one on_drain a conn_want_drain() asked for, once the output is down to the mark. */
static void
conn_report_drain(struct conn *conn)
{
	if (conn->want_drain && conn->ops->on_drain != NULL &&
	    conn_output_len(conn) <= CONN_DRAIN_LOW) {
		conn->want_drain = false;
		conn->ops->on_drain(conn, conn->ctx);
	}
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *conn = arg;

	if (conn->closing) {
		conn_close_progress(conn);
		return;
	}
	/* an incomplete direct write is done: back to writing from conn_flush_cb() */
	if (conn_direct(conn) && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_disable(bev, EV_WRITE);
	conn_report_drain(conn);
}

/* A plain socket's output written now, without asking epoll first: true when all of it
 * went; what the socket does not take is left to libevent's EV_WRITE (also while one is
 * armed already: libevent writes, and reports errors and the write timeout, from there). */
static bool
conn_write_direct(struct conn *conn)
{
	struct evbuffer *out = bufferevent_get_output(conn->bev);

	if (!conn_direct(conn) || (bufferevent_get_enabled(conn->bev) & EV_WRITE))
		return false;
	if (evbuffer_get_length(out) > 0) {
		/* a socket bufferevent keeps the front of its output frozen against drains
		 * from outside; its own write callback thaws it the same way */
		evbuffer_unfreeze(out, 1);
		(void)evbuffer_write(out, bufferevent_getfd(conn->bev));
		evbuffer_freeze(out, 1);
	}
	if (evbuffer_get_length(out) > 0) {
		bufferevent_enable(conn->bev, EV_WRITE);
		return false;
	}
	return true;
}

/* Plain sockets: what this loop pass added to the output (every reply line of a command,
 * coalesced) is written now, without asking epoll first; what the socket does not take is
 * left to libevent's EV_WRITE, which also reports errors and the write timeout. */
static void
conn_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *conn = arg;

	(void)fd;
	(void)what;
	if (conn->close_reported || conn->closing)
		return; /* conn_close_after_flush() wrote what it could */
	if (conn_write_direct(conn))
		conn_report_drain(conn);
}

/* Output was added: plain sockets write it at the end of this loop pass. */
static void
conn_output_added(struct conn *conn)
{
	if (conn_direct(conn) && !conn->closing)
		event_active(conn->flush_ev, 0, 0);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *conn = arg;

	if (what & BEV_EVENT_CONNECTED) {
		if (conn_is_tls(conn))
			metrics_tls_handshake(conn_tls_version(conn));
		if (conn->ops->on_tls_ready != NULL && conn_is_tls(conn))
			conn->ops->on_tls_ready(conn, conn->ctx);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		if (!conn->closing && conn->ops->on_timeout != NULL &&
		    !conn->ops->on_timeout(conn, conn->ctx)) {
			bufferevent_enable(bev, EV_READ | EV_WRITE);
			return;
		}
		conn_report_close(conn, CONN_CLOSE_TIMEOUT);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		conn_report_close(conn, conn->closing ? CONN_CLOSE_LOCAL : CONN_CLOSE_EOF);
		return;
	}
	if (what & BEV_EVENT_ERROR)
		conn_report_close(conn, conn->closing ? CONN_CLOSE_LOCAL : CONN_CLOSE_ERROR);
}

static void
conn_defer_ev_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *conn = arg;

	(void)fd;
	(void)what;
	if (conn->deflate_failed && !conn->close_reported) {
		conn_report_close(conn, CONN_CLOSE_ERROR);
		return;
	}
	if (conn->closing) {
		conn_close_progress(conn);
		return;
	}
	if (conn->close_reported)
		return;
	conn_report_drain(conn);
}

static void
conn_fill_addrs(struct conn *conn, int fd)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(conn->peer);

	if (getpeername(fd, (struct sockaddr *)&conn->peer, &len) < 0)
		memset(&conn->peer, 0, sizeof(conn->peer));
	len = sizeof(local);
	if (getsockname(fd, (struct sockaddr *)&local, &len) < 0)
		memset(&local, 0, sizeof(local));
	strcpy(conn->peer_ip, "unknown");
	strcpy(conn->local_ip, "unknown");
	if (conn->peer.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&conn->peer)->sin_addr, conn->peer_ip,
			  sizeof(conn->peer_ip));
	} else if (conn->peer.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&conn->peer)->sin6_addr, conn->peer_ip,
			  sizeof(conn->peer_ip));
	}
	if (local.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&local;
		inet_ntop(AF_INET, &sin->sin_addr, conn->local_ip, sizeof(conn->local_ip));
		conn->local_port = ntohs(sin->sin_port);
	} else if (local.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&local;
		inet_ntop(AF_INET6, &sin6->sin6_addr, conn->local_ip, sizeof(conn->local_ip));
		conn->local_port = ntohs(sin6->sin6_port);
	}
}

struct conn *
conn_new(struct event_base *base, int fd, SSL_CTX *tls, bool client_tls, const struct conn_ops *ops,
	 void *ctx)
{
	struct conn *conn = xcalloc(1, sizeof(*conn));
	int opts = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS;

	conn->base = base;
	conn->ops = ops;
	conn->ctx = ctx;
	evutil_make_socket_nonblocking(fd);
	conn_fill_addrs(conn, fd);
	/* Replies are already coalesced per loop iteration; what Nagle would hold back are
	 * the small unsolicited ones ("* 3 EXISTS" to an IDLE client), until the peer's
	 * delayed ACK (40 ms on Linux). */
	if (conn->peer.ss_family == AF_INET || conn->peer.ss_family == AF_INET6) {
		int one = 1;

		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	if (tls != NULL) {
		SSL *ssl = SSL_new(tls);
		conn->bev = bufferevent_openssl_socket_new(
			base, fd, ssl,
			client_tls ? BUFFEREVENT_SSL_CONNECTING : BUFFEREVENT_SSL_ACCEPTING, opts);
	} else {
		conn->bev = bufferevent_socket_new(base, fd, opts);
	}
	if (conn->bev == NULL) {
		close(fd);
		free(conn);
		return NULL;
	}
	conn->defer_ev = event_new(base, -1, 0, conn_defer_ev_cb, conn);
	conn->flush_ev = event_new(base, -1, 0, conn_flush_cb, conn);
	conn_setup_bev(conn);
	return conn;
}

static void
conn_setup_bev(struct conn *conn)
{
	struct timeval tv = {conn->timeout, 0};

	if (bufferevent_openssl_get_ssl(conn->bev) != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(conn->bev, 1);
	bufferevent_setcb(conn->bev, conn_read_cb, conn_write_cb, conn_event_cb, conn);
	bufferevent_setwatermark(conn->bev, EV_WRITE, CONN_DRAIN_LOW, 0);
	bufferevent_setwatermark(conn->bev, EV_READ, 0,
				 conn->paused ? CONN_PAUSED_INPUT_MAX : conn_read_high(conn));
	bufferevent_set_timeouts(conn->bev, conn->timeout ? &tv : NULL, conn->timeout ? &tv : NULL);
	if (conn_direct(conn) && !conn->closing) {
		bufferevent_enable(conn->bev, EV_READ);
		bufferevent_disable(conn->bev, EV_WRITE);
		conn_output_added(conn);
	} else {
		bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
	}
}

void
conn_free(struct conn **connp)
{
	struct conn *conn = *connp;

	if (conn == NULL)
		return;
	*connp = NULL;
	event_free(conn->defer_ev);
	event_free(conn->flush_ev);
	if (conn->under != NULL)
		evbuffer_remove_cb(bufferevent_get_output(conn->under), conn_under_output_cb, conn);
	if (conn->below_z != NULL)
		evbuffer_remove_cb(bufferevent_get_output(conn->below_z), conn_under_output_cb,
				   conn);
	bufferevent_free(conn->bev);
	free(conn);
}

void
conn_set_ctx(struct conn *conn, const struct conn_ops *ops, void *ctx)
{
	conn->ops = ops;
	conn->ctx = ctx;
}

struct evbuffer *
conn_input(struct conn *conn)
{
	return bufferevent_get_input(conn->bev);
}

size_t
conn_input_len(struct conn *conn)
{
	return evbuffer_get_length(bufferevent_get_input(conn->bev));
}

/* The byte at pos of in (pos < its length). */
static char
conn_input_byte_at(struct evbuffer *in, size_t pos)
{
	struct evbuffer_ptr p;
	char c = '\0';

	if (evbuffer_ptr_set(in, &p, pos, EVBUFFER_PTR_SET) == 0)
		evbuffer_copyout_from(in, &p, &c, 1);
	return c;
}

int
conn_readline(struct conn *conn, struct buf *line, size_t max)
{
	struct evbuffer *in = bufferevent_get_input(conn->bev);
	struct evbuffer_ptr eol;
	size_t len, have;

	buf_reset(line);
	while (conn->skipping_line) {
		eol = evbuffer_search(in, "\n", 1, NULL);
		if (eol.pos < 0) {
			evbuffer_drain(in, evbuffer_get_length(in));
			return 0;
		}
		evbuffer_drain(in, (size_t)eol.pos + 1);
		conn->skipping_line = false;
	}
	eol = evbuffer_search(in, "\n", 1, NULL);
	if (eol.pos < 0) {
		/* max bytes and the CR of their CRLF may still make a line of max bytes */
		have = evbuffer_get_length(in);
		if (have <= max || (have == max + 1 && conn_input_byte_at(in, max) == '\r'))
			return 0;
		evbuffer_drain(in, have);
		conn->skipping_line = true;
		return -1;
	}
	len = (size_t)eol.pos;
	/* longer than max once the CR (if any) of the ending is set aside */
	if (len > max + 1 || (len == max + 1 && conn_input_byte_at(in, max) != '\r')) {
		evbuffer_drain(in, len + 1);
		return -1;
	}
	buf_reserve(line, len + 1);
	evbuffer_remove(in, line->data, len + 1);
	if (len > 0 && line->data[len - 1] == '\r')
		len--;
	line->len = len;
	line->data[len] = '\0';
	return 1;
}

void
conn_write(struct conn *conn, const void *data, size_t len)
{
	bufferevent_write(conn->bev, data, len);
	conn_output_added(conn);
}

void
conn_writes(struct conn *conn, const char *s)
{
	bufferevent_write(conn->bev, s, strlen(s));
	conn_output_added(conn);
}

void
conn_printf(struct conn *conn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(conn->bev), fmt, ap);
	va_end(ap);
	conn_output_added(conn);
}

void
conn_write_evbuffer(struct conn *conn, struct evbuffer *evb)
{
	evbuffer_add_buffer(bufferevent_get_output(conn->bev), evb);
	conn_output_added(conn);
}

int
conn_write_file(struct conn *conn, int fd, off_t offset, size_t len)
{
	if (evbuffer_add_file(bufferevent_get_output(conn->bev), fd, offset, (ev_off_t)len) < 0) {
		close(fd);
		return -1;
	}
	conn_output_added(conn);
	return 0;
}

size_t
conn_output_len(struct conn *conn)
{
	size_t n = evbuffer_get_length(bufferevent_get_output(conn->bev));

	if (conn->under != NULL)
		n += evbuffer_get_length(bufferevent_get_output(conn->under));
	if (conn->below_z != NULL)
		n += evbuffer_get_length(bufferevent_get_output(conn->below_z));
	return n;
}

void
conn_want_drain(struct conn *conn)
{
	conn->want_drain = true;
	if (conn_output_len(conn) <= CONN_DRAIN_LOW)
		event_active(conn->defer_ev, 0, 0);
}

void
conn_pause_read(struct conn *conn)
{
	conn->paused = true;
	/* keep reading (bounded): a peer that goes away is seen now, not after the step */
	bufferevent_setwatermark(conn->bev, EV_READ, 0, CONN_PAUSED_INPUT_MAX);
}

void
conn_resume_read(struct conn *conn)
{
	if (!conn->paused || conn->close_reported)
		return;
	conn->paused = false;
	bufferevent_setwatermark(conn->bev, EV_READ, 0, conn_read_high(conn));
	bufferevent_enable(conn->bev, EV_READ);
	/* input that arrived while paused is already buffered: deliver it now */
	if (evbuffer_get_length(bufferevent_get_input(conn->bev)) > 0)
		bufferevent_trigger(conn->bev, EV_READ, BEV_OPT_DEFER_CALLBACKS);
}

void
conn_set_timeout(struct conn *conn, unsigned seconds)
{
	struct timeval tv = {seconds, 0};

	conn->timeout = seconds;
	bufferevent_set_timeouts(conn->bev, seconds ? &tv : NULL, seconds ? &tv : NULL);
}

static void
conn_under_output_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *conn = arg;

	if (info->n_deleted > 0 &&
	    (conn->closing ? evbuffer_get_length(buf) == 0
			   : conn->want_drain && conn_output_len(conn) <= CONN_DRAIN_LOW))
		event_active(conn->defer_ev, 0, 0);
}

int
conn_starttls(struct conn *conn, SSL_CTX *tls, bool client)
{
	struct evbuffer *in = bufferevent_get_input(conn->bev);
	struct bufferevent *filter;
	SSL *ssl;

	/* RFC 3207 4.2 / RFC 2595 3.1: whatever the client pipelined after the STARTTLS
	 * command was sent in clear and could have been injected: never execute it. */
	evbuffer_drain(in, evbuffer_get_length(in));
	conn->skipping_line = false;
	ssl = SSL_new(tls);
	if (ssl == NULL)
		return -1;
	filter = bufferevent_openssl_filter_new(conn->base, conn->bev, ssl,
						client ? BUFFEREVENT_SSL_CONNECTING
						       : BUFFEREVENT_SSL_ACCEPTING,
						BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (filter == NULL) {
		SSL_free(ssl);
		return -1;
	}
	conn->under = conn->bev;
	conn->bev = filter;
	evbuffer_add_cb(bufferevent_get_output(conn->under), conn_under_output_cb, conn);
	conn_setup_bev(conn);
	return 0;
}

static void
conn_deflate_error(void *arg)
{
	struct conn *conn = arg;

	conn->deflate_failed = true;
	event_active(conn->defer_ev, 0, 0);
}

int
conn_compress(struct conn *conn)
{
	struct bufferevent *filter;
	struct conn_deflate *z;

	if (conn->below_z != NULL || (z = conn_deflate_new(conn_deflate_error, conn)) == NULL)
		return -1;
	filter = bufferevent_filter_new(conn->bev, conn_deflate_in, conn_deflate_out,
					BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS,
					conn_deflate_free, z);
	if (filter == NULL) {
		conn_deflate_free(z);
		return -1;
	}
	conn->below_z = conn->bev;
	conn->bev = filter;
	/* the idle timeout is the top's (conn_setup_bev): one that fired below would stop
	 * its reading behind the filter's back */
	bufferevent_set_timeouts(conn->below_z, NULL, NULL);
	/* compressed input is read ahead no further than plain input while paused */
	bufferevent_setwatermark(conn->below_z, EV_READ, 0, CONN_PAUSED_INPUT_MAX);
	evbuffer_add_cb(bufferevent_get_output(conn->below_z), conn_under_output_cb, conn);
	conn_setup_bev(conn);
	/* what the client sent after the command is compressed already: take it now */
	if (evbuffer_get_length(bufferevent_get_input(conn->below_z)) > 0)
		bufferevent_trigger(conn->below_z, EV_READ, BEV_OPT_DEFER_CALLBACKS);
	return 0;
}

bool
conn_is_compressed(const struct conn *conn)
{
	return conn->below_z != NULL;
}

bool
conn_is_tls(const struct conn *conn)
{
	return conn_ssl(conn) != NULL;
}

const char *
conn_tls_version(const struct conn *conn)
{
	SSL *ssl = conn_ssl(conn);

	return ssl ? SSL_get_version(ssl) : NULL;
}

const char *
conn_tls_cipher(const struct conn *conn)
{
	SSL *ssl = conn_ssl(conn);

	return ssl ? SSL_get_cipher_name(ssl) : NULL;
}

int
conn_tls_cipher_bits(const struct conn *conn)
{
	SSL *ssl = conn_ssl(conn);

	return ssl ? SSL_get_cipher_bits(ssl, NULL) : 0;
}

void
conn_close_after_flush(struct conn *conn)
{
	struct evbuffer *in = bufferevent_get_input(conn->bev);

	if (conn->closing)
		return;
	conn->closing = true;
	evbuffer_drain(in, evbuffer_get_length(in));
	/* A plain socket's last reply goes out now and the close completes in this loop pass
	 * (defer_ev). Left to EV_WRITE, libevent would write it in the next pass and run our
	 * write callback in the one after (deferred callbacks): by then a client that read
	 * the reply (221, BYE, +OK) may have connected again, and both connections counted
	 * against its per-address limit (a sender with 45 sessions hit a limit of 50). */
	if (!conn_write_direct(conn))
		bufferevent_enable(conn->bev, EV_WRITE);
	event_active(conn->defer_ev, 0, 0);
}

bool
conn_is_closing(const struct conn *conn)
{
	return conn->closing || conn->close_reported;
}

const struct sockaddr *
conn_peer(const struct conn *conn)
{
	return (const struct sockaddr *)&conn->peer;
}

const char *
conn_peer_ip(const struct conn *conn)
{
	return conn->peer_ip;
}

const char *
conn_local_ip(const struct conn *conn)
{
	return conn->local_ip;
}

unsigned
conn_local_port(const struct conn *conn)
{
	return conn->local_port;
}
