/* clamd INSTREAM client (see clamd.h). */
#include "filter/clamd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "filter/filter_socket.h"
#include "net/conn.h"
#include "util/xmalloc.h"

/* clamd reads chunks of any size up to its StreamMaxLength; 64 KiB keeps each small */
#define CLAMD_CHUNK 65536
/* "stream: <signature> FOUND": signature names are short; a longer reply is not clamd */
#define CLAMD_MAX_REPLY 4096

struct clamd_scan {
	struct event_base *base;
	struct filter_connect *fc;
	struct conn *conn;
	unsigned timeout;
	const char *data;
	size_t len;
	clamd_done_fn *done;
	void *ctx;
};

static void
finish(struct clamd_scan *sc, enum clamd_result result, const char *detail)
{
	clamd_done_fn *done = sc->done;
	void *ctx = sc->ctx;

	clamd_scan_cancel(sc);
	done(ctx, result, detail);
}

/* One reply "stream: OK" / "stream: NAME FOUND" / "... ERROR" (without its NUL). */
static void
handle_reply(struct clamd_scan *sc, char *reply)
{
	size_t n = strlen(reply);
	char *p;

	while (n > 0 && (reply[n - 1] == '\n' || reply[n - 1] == '\r'))
		reply[--n] = '\0';
	p = strncmp(reply, "stream: ", 8) == 0 ? reply + 8 : reply;
	if (strcmp(p, "OK") == 0) {
		finish(sc, CLAMD_CLEAN, NULL);
		return;
	}
	n = strlen(p);
	if (n > 6 && strcmp(p + n - 6, " FOUND") == 0) {
		p[n - 6] = '\0';
		/* the name becomes part of our SMTP reply: printable ASCII only */
		for (char *c = p; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
				*c = '?';
		finish(sc, CLAMD_VIRUS, p);
		return;
	}
	finish(sc, CLAMD_ERROR, reply[0] != '\0' ? reply : "empty reply");
}

static void
on_input(struct conn *conn, void *ctx)
{
	struct clamd_scan *sc = ctx;
	struct evbuffer *in = conn_input(conn);
	size_t n = evbuffer_get_length(in);
	struct evbuffer_ptr nul = evbuffer_search(in, "\0", 1, NULL);
	char reply[CLAMD_MAX_REPLY + 1];

	if (nul.pos < 0 && n <= CLAMD_MAX_REPLY)
		return;
	n = nul.pos >= 0 && (size_t)nul.pos < CLAMD_MAX_REPLY ? (size_t)nul.pos : CLAMD_MAX_REPLY;
	evbuffer_remove(in, reply, n);
	reply[n] = '\0';
	handle_reply(sc, reply);
}

static void
on_close(struct conn *conn, void *ctx, enum conn_close_reason reason)
{
	struct clamd_scan *sc = ctx;
	struct evbuffer *in = conn_input(conn);
	size_t n = evbuffer_get_length(in);
	char reply[CLAMD_MAX_REPLY + 1];

	if (reason == CONN_CLOSE_TIMEOUT) {
		finish(sc, CLAMD_ERROR, "timed out");
		return;
	}
	if (n == 0) {
		finish(sc, CLAMD_ERROR, "connection closed without a reply");
		return;
	}
	/* a reply without its NUL (clamd's non-z commands end with LF) */
	if (n > CLAMD_MAX_REPLY)
		n = CLAMD_MAX_REPLY;
	evbuffer_remove(in, reply, n);
	reply[n] = '\0';
	handle_reply(sc, reply);
}

static const struct conn_ops clamd_conn_ops = {
	.on_input = on_input,
	.on_close = on_close,
};

static void
on_connected(void *ctx, int fd, const char *error)
{
	struct clamd_scan *sc = ctx;
	struct evbuffer *out;
	size_t off;

	sc->fc = NULL;
	if (fd < 0) {
		finish(sc, CLAMD_ERROR, error);
		return;
	}
	sc->conn = conn_new(sc->base, fd, NULL, false, &clamd_conn_ops, sc);
	conn_set_timeout(sc->conn, sc->timeout);
	/* the whole stream at once, by reference: the message stays put until done */
	out = evbuffer_new();
	evbuffer_add(out, "zINSTREAM", 10);
	for (off = 0; off < sc->len; off += CLAMD_CHUNK) {
		size_t n = sc->len - off < CLAMD_CHUNK ? sc->len - off : CLAMD_CHUNK;
		unsigned char hdr[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
					(unsigned char)(n >> 8), (unsigned char)n};

		evbuffer_add(out, hdr, 4);
		evbuffer_add_reference(out, sc->data + off, n, NULL, NULL);
	}
	evbuffer_add(out, "\0\0\0\0", 4);
	conn_write_evbuffer(sc->conn, out);
	evbuffer_free(out);
}

struct clamd_scan *
clamd_scan_start(struct event_base *base, const char *spec, unsigned timeout_s, size_t max_stream,
		 const char *data, size_t len, clamd_done_fn *done, void *ctx)
{
	struct clamd_scan *sc = xcalloc(1, sizeof(*sc));

	sc->base = base;
	sc->timeout = timeout_s;
	sc->data = data;
	sc->len = len < max_stream ? len : max_stream;
	sc->done = done;
	sc->ctx = ctx;
	sc->fc = filter_connect_start(base, spec, timeout_s, on_connected, sc);
	return sc;
}

void
clamd_scan_cancel(struct clamd_scan *sc)
{
	if (sc == NULL)
		return;
	filter_connect_cancel(sc->fc);
	conn_free(&sc->conn);
	free(sc);
}
