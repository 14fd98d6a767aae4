/* struct conn: one client or server connection on the event loop, plain or TLS, with
 * in-place STARTTLS upgrade, a bounded line reader, idle timeouts and backpressure.
 * Every protocol (SMTP server and client, POP3, IMAP) sits on this one layer.
 *
 * Callbacks never run inside a conn_* call made by the owner: they come from the loop,
 * so a session may free itself from on_close without re-entrancy surprises. */
#ifndef NET_CONN_H
#define NET_CONN_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

struct buf;
struct conn;
struct event_base;
struct evbuffer;

enum conn_close_reason {
	CONN_CLOSE_EOF,     /* the peer closed */
	CONN_CLOSE_ERROR,   /* socket or TLS error */
	CONN_CLOSE_TIMEOUT, /* no input for the idle timeout */
	CONN_CLOSE_LOCAL,   /* conn_close_after_flush() finished */
};

struct conn_ops {
	/* New input is in conn_input(). */
	void (*on_input)(struct conn *conn, void *ctx);
	/* The connection is finished; the owner must conn_free() it (now or later). */
	void (*on_close)(struct conn *conn, void *ctx, enum conn_close_reason reason);
	/* The output fell to its low-water mark (64 KiB) after conn_want_drain() (optional). */
	void (*on_drain)(struct conn *conn, void *ctx);
	/* The TLS handshake of conn_new(tls) or conn_starttls() completed (optional). */
	void (*on_tls_ready)(struct conn *conn, void *ctx);
	/* The timeout fired; return true to close (default when NULL), false to keep. */
	bool (*on_timeout)(struct conn *conn, void *ctx);
};

/* Takes ownership of fd. tls != NULL starts a server-side TLS handshake at once
 * (implicit TLS); client_tls makes it a client-side handshake instead. */
struct conn *conn_new(struct event_base *base, int fd, SSL_CTX *tls, bool client_tls,
		      const struct conn_ops *ops, void *ctx);
void conn_free(struct conn **conn);
void conn_set_ctx(struct conn *conn, const struct conn_ops *ops, void *ctx);

/* Input as an evbuffer the owner may read and drain directly (DATA, literals). */
struct evbuffer *conn_input(struct conn *conn);
size_t conn_input_len(struct conn *conn);
/* Reads one line ending in LF into line (reset first, without the CRLF or LF).
 * 1 a line, 0 need more, -1 the line is longer than max: it is discarded (now and as
 * the rest of it arrives) and -1 is returned once for it. */
int conn_readline(struct conn *conn, struct buf *line, size_t max);

void conn_write(struct conn *conn, const void *data, size_t len);
void conn_writes(struct conn *conn, const char *s);
void conn_printf(struct conn *conn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Moves (without copying) the whole of evb to the output. */
void conn_write_evbuffer(struct conn *conn, struct evbuffer *evb);
/* Sends the file range as part of the output without reading it all into memory.
 * Takes ownership of fd (closed when sent or on error). 0 ok, -1 error. */
int conn_write_file(struct conn *conn, int fd, off_t offset, size_t len);
size_t conn_output_len(struct conn *conn);
/* Ask for one on_drain when the output is down to the low-water mark: time to produce
 * more (backpressure for big RETR/FETCH output). */
void conn_want_drain(struct conn *conn);

/* Stop / restart delivering on_input (backpressure, or while an async step runs). While
 * paused, up to 64 KiB more input is buffered and the end of the connection (EOF, reset)
 * is still reported through on_close at once. */
void conn_pause_read(struct conn *conn);
void conn_resume_read(struct conn *conn);
/* Idle timeout in seconds (0 = none); restarts on every read. */
void conn_set_timeout(struct conn *conn, unsigned seconds);

/* Server-side upgrade after "STARTTLS"/"STLS": input not yet consumed is DISCARDED
 * (RFC 3207 section 4.2: no command pipelined before the handshake may be executed).
 * Output already queued (the "220 Ready") is sent in clear before the handshake.
 * 0 ok, -1 error (the connection should be closed). */
int conn_starttls(struct conn *conn, SSL_CTX *tls, bool client);
bool conn_is_tls(const struct conn *conn);

/* RFC 4978 (IMAP COMPRESS=DEFLATE): from now on both directions are raw deflate, each
 * batch of output sync-flushed. Output already queued (the command's OK) goes out as it
 * is; input not consumed yet is taken as compressed. Works over TLS; no STARTTLS after
 * it. 0 ok, -1 (already compressed, or no memory): the connection is unchanged. */
int conn_compress(struct conn *conn);
bool conn_is_compressed(const struct conn *conn);
const char *conn_tls_version(const struct conn *conn); /* "TLSv1.3" or NULL */
const char *conn_tls_cipher(const struct conn *conn);
int conn_tls_cipher_bits(const struct conn *conn); /* the cipher's secret bits; 0 plain */

/* Flush the output, then close and report CONN_CLOSE_LOCAL through on_close. Input
 * arriving meanwhile is ignored. */
void conn_close_after_flush(struct conn *conn);
bool conn_is_closing(const struct conn *conn);

const struct sockaddr *conn_peer(const struct conn *conn);
const char *conn_peer_ip(const struct conn *conn); /* "127.0.0.1", "::1" */
const char *conn_local_ip(const struct conn *conn);
unsigned conn_local_port(const struct conn *conn);

#endif
