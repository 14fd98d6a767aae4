/* RETR and TOP (RFC 1939 7): the message file is read in chunks and dot-stuffed on the
 * way out, pausing while the client's output backlog is large (backpressure), so a big
 * message never sits in memory whole. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log/log.h"
#include "net/conn.h"
#include "pop3/pop3_session.h"
#include "store/store_account.h"
#include "store/store_msg.h"
#include "util/buf.h"

#define POP3_CHUNK 65536
#define POP3_OUTPUT_HIGH (256 * 1024)

static void
pop3_retr_finish(struct pop3_session *s)
{
	close(s->stream.fd);
	s->stream.fd = -1;
	s->streaming = false;
	if (!pop3_session_async_done(s))
		return;
	pop3_session_resume(s);
}

void
pop3_retr_abort(struct pop3_session *s)
{
	if (!s->streaming)
		return;
	close(s->stream.fd);
	s->stream.fd = -1;
	s->streaming = false;
	s->base.pending--;
}

/* Appends the stuffed form of data to out; returns false when TOP has sent enough. */
static bool
pop3_stuff(struct pop3_stream *st, struct buf *out, const char *data, size_t len)
{
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t seg = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (st->line_start) {
			if (st->top && st->in_body && st->lines == 0)
				return false;
			if (*p == '.')
				buf_appendc(out,
					    '.'); /* RFC 1939 3: byte-stuff the termination octet */
			st->line_len = 0;
			st->first_cr = *p == '\r';
		}
		buf_append(out, p, seg);
		st->line_len += seg;
		if (nl != NULL && st->top) {
			/* the header ends at the first empty line; then count body lines */
			if (!st->in_body)
				st->in_body =
					st->line_len == 1 || (st->line_len == 2 && st->first_cr);
			else
				st->lines--;
		}
		st->line_start = nl != NULL;
		p += seg;
	}
	return true;
}

void
pop3_retr_continue(struct pop3_session *s)
{
	struct pop3_stream *st = &s->stream;
	struct buf out = BUF_INIT;
	char chunk[POP3_CHUNK];
	bool more = true;

	if (s->base.conn == NULL)
		return;
	while (more && st->offset < st->size && conn_output_len(s->base.conn) < POP3_OUTPUT_HIGH) {
		size_t want = st->size - st->offset < sizeof(chunk) ? st->size - st->offset
								    : sizeof(chunk);
		ssize_t n = pread(st->fd, chunk, want, (off_t)st->offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* the size was promised already: the only honest thing is to drop */
			log_error("pop3: %s: user=%s read of a message failed: %s", s->base.id,
				  s->account, n < 0 ? strerror(errno) : "short file");
			pop3_retr_abort(s);
			pop3_session_close(s);
			buf_free(&out);
			return;
		}
		st->offset += (uint64_t)n;
		buf_reset(&out);
		more = pop3_stuff(st, &out, chunk, (size_t)n);
		conn_write(s->base.conn, out.data, out.len);
	}
	buf_free(&out);
	if (more && st->offset < st->size) {
		conn_want_drain(s->base.conn);
		return;
	}
	if (!st->line_start)
		conn_write(s->base.conn, "\r\n", 2);
	conn_write(s->base.conn, ".\r\n", 3);
	pop3_retr_finish(s);
}

void
pop3_retr_start(struct pop3_session *s, unsigned num, bool top, unsigned long lines)
{
	struct pop3_msg *m = &s->msgs[num - 1];
	const char *error;
	uint64_t size;
	int fd;

	fd = store_msg_open(s->view, m->uid, &size, &error);
	if (fd < 0) {
		if (store_account_errcode(s->acct) == STORE_ERR_NONEXISTENT) {
			pop3_reply_err(s, "-ERR Message %u was deleted by another session", num);
		} else {
			log_error("pop3: %s: user=%s cannot open message %u: %s", s->base.id,
				  s->account, num, error);
			pop3_reply_err(s,
				       "-ERR [SYS/TEMP] Cannot read the message, try again later");
		}
		return;
	}
	memset(&s->stream, 0, sizeof(s->stream));
	s->stream.fd = fd;
	s->stream.size = size;
	s->stream.top = top;
	s->stream.lines = lines;
	s->stream.line_start = true;
	s->streaming = true;
	pop3_session_async_begin(s);
	if (top)
		pop3_reply(s, "+OK");
	else
		pop3_reply(s, "+OK %llu octets", (unsigned long long)size);
	pop3_retr_continue(s);
}
