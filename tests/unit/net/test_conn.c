/* Unit tests of struct conn (src/net/conn.c) over a socketpair and a real libevent
 * base: the bounded line reader, CR LF / LF endings, close after flush, pause/resume,
 * drain and close reporting from the loop (never inline). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "net/conn.h"
#include "util/buf.h"

#define MAX_LINES 64

struct t {
	struct event_base *base;
	struct conn *conn;
	int peer; /* the other end of the socketpair, non-blocking */
	size_t max;
	char *lines[MAX_LINES];
	int n_lines;
	int n_too_long;
	int n_input_calls;
	int n_input_while_paused;
	int n_drain;
	int n_close;
	enum conn_close_reason reason;
	int paused;
	bool pause_after_line; /* pause after each line (an async step) */
	bool keep_on_timeout;
	int n_timeout;
	struct buf received; /* what the peer read */
	bool peer_eof;
	int peer_eof_int;
};

static void
t_on_input(struct conn *conn, void *ctx)
{
	struct t *t = ctx;
	struct buf line = BUF_INIT;
	int ret;

	t->n_input_calls++;
	if (t->paused)
		t->n_input_while_paused++;
	while ((ret = conn_readline(conn, &line, t->max)) != 0) {
		if (ret < 0) {
			t->n_too_long++;
			continue;
		}
		assert_true(t->n_lines < MAX_LINES);
		t->lines[t->n_lines++] = buf_steal(&line);
		if (t->pause_after_line) {
			t->paused = true;
			conn_pause_read(conn);
			break;
		}
	}
	buf_free(&line);
}

static void
t_on_close(struct conn *conn, void *ctx, enum conn_close_reason reason)
{
	struct t *t = ctx;

	(void)conn;
	t->n_close++;
	t->reason = reason;
}

static void
t_on_drain(struct conn *conn, void *ctx)
{
	struct t *t = ctx;

	assert_true(conn_output_len(conn) <= 64 * 1024); /* the low-water mark */
	t->n_drain++;
}

static bool
t_on_timeout(struct conn *conn, void *ctx)
{
	struct t *t = ctx;

	(void)conn;
	t->n_timeout++;
	return !t->keep_on_timeout;
}

static const struct conn_ops t_ops = {
	.on_input = t_on_input,
	.on_close = t_on_close,
	.on_drain = t_on_drain,
	.on_timeout = t_on_timeout,
};

static struct t *
t_new(size_t max)
{
	struct t *t = calloc(1, sizeof(*t));
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	t->base = event_base_new();
	t->max = max;
	t->peer = sv[1];
	assert_int_equal(fcntl(t->peer, F_SETFL, O_NONBLOCK), 0);
	t->conn = conn_new(t->base, sv[0], NULL, false, &t_ops, t);
	assert_non_null(t->conn);
	return t;
}

static void
t_free(struct t *t)
{
	int i;

	conn_free(&t->conn);
	assert_null(t->conn);
	close(t->peer);
	event_base_free(t->base);
	for (i = 0; i < t->n_lines; i++)
		free(t->lines[i]);
	buf_free(&t->received);
	free(t);
}

/* Reads what the peer can read now. */
static void
t_peer_read(struct t *t)
{
	char chunk[65536];
	int i;

	for (i = 0; i < 1000; i++) {
		ssize_t n = read(t->peer, chunk, sizeof(chunk));
		if (n > 0) {
			buf_append(&t->received, chunk, (size_t)n);
			continue;
		}
		if (n == 0) {
			t->peer_eof = true;
			t->peer_eof_int = 1;
		} else {
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		}
		return;
	}
}

/* Runs the loop, reading at the peer, for at most ms milliseconds or until *until
 * reaches target (when until is given). */
static void
t_run_until(struct t *t, int ms, const int *until, int target)
{
	int i;

	for (i = 0; i < ms; i++) {
		event_base_loop(t->base, EVLOOP_NONBLOCK);
		t_peer_read(t);
		if (until != NULL && *until >= target)
			return;
		usleep(1000);
	}
}

static void
t_run(struct t *t, int ms, const int *until)
{
	t_run_until(t, ms, until, 1);
}

static void
t_send(struct t *t, const char *s)
{
	assert_int_equal(write(t->peer, s, strlen(s)), (ssize_t)strlen(s));
}

static void
test_crlf_and_lf(void **state)
{
	struct t *t = t_new(100);

	(void)state;
	t_send(t, "HELO a\r\nNOOP\nX\r\r\n\r\n\nlast");
	t_run(t, 20, NULL);
	assert_int_equal(t->n_lines, 5);
	assert_string_equal(t->lines[0], "HELO a");
	assert_string_equal(t->lines[1], "NOOP");
	assert_string_equal(t->lines[2], "X\r"); /* only one CR belongs to the ending */
	assert_string_equal(t->lines[3], "");
	assert_string_equal(t->lines[4], "");
	assert_int_equal(conn_input_len(t->conn), 4); /* "last" waits for its LF */
	t_send(t, " one\r");
	t_run(t, 10, NULL);
	assert_int_equal(t->n_lines, 5);
	t_send(t, "\n");
	t_run_until(t, 1000, &t->n_lines, 6);
	assert_int_equal(t->n_lines, 6);
	assert_string_equal(t->lines[5], "last one");
	assert_int_equal(t->n_too_long, 0);
	assert_int_equal(t->n_close, 0);
	t_free(t);
}

static void
test_long_line_discarded_once(void **state)
{
	struct t *t = t_new(10);
	int i;

	(void)state;
	/* no LF yet, already too long: -1 now, the rest of it discarded as it comes */
	t_send(t, "0123456789ABCDEF");
	t_run(t, 10, NULL);
	assert_int_equal(t->n_too_long, 1);
	assert_int_equal(conn_input_len(t->conn), 0);
	for (i = 0; i < 5; i++) {
		t_send(t, "still the same long line ");
		t_run(t, 5, NULL);
	}
	t_send(t, "end of it\r\nOK\r\n");
	t_run(t, 10, NULL);
	assert_int_equal(t->n_too_long, 1);
	assert_int_equal(t->n_lines, 1);
	assert_string_equal(t->lines[0], "OK");
	/* too long with its LF in the same read */
	t_send(t, "xxxxxxxxxxxxxxxxxxxxxxxx\r\nNEXT\r\n");
	t_run(t, 10, NULL);
	assert_int_equal(t->n_too_long, 2);
	assert_int_equal(t->n_lines, 2);
	assert_string_equal(t->lines[1], "NEXT");
	assert_int_equal(t->n_close, 0);
	t_free(t);
}

static void
test_line_length_boundaries(void **state)
{
	struct t *t = t_new(10);

	(void)state;
	t_send(t, "0123456789\r\n"); /* exactly max: fine */
	t_send(t, "0123456789\n");
	t_send(t, "0123456789A\n"); /* max + 1 without CR: too long */
	t_send(t, "0123456789A\r\n");
	t_run(t, 20, NULL);
	assert_int_equal(t->n_lines, 2);
	assert_string_equal(t->lines[0], "0123456789");
	assert_string_equal(t->lines[1], "0123456789");
	assert_int_equal(t->n_too_long, 2);
	/* exactly max, with the CR arriving before the LF in another read */
	t_send(t, "0123456789\r");
	t_run(t, 10, NULL);
	t_send(t, "\nAB\r\n");
	t_run(t, 10, NULL);
	assert_int_equal(t->n_too_long, 2);
	assert_int_equal(t->n_lines, 4);
	assert_string_equal(t->lines[2], "0123456789");
	assert_string_equal(t->lines[3], "AB");
	/* max + 1 bytes that are not a CR, still waiting for the LF */
	t_send(t, "0123456789A");
	t_run(t, 10, NULL);
	assert_int_equal(t->n_too_long, 3);
	t_send(t, "\nZ\n");
	t_run(t, 10, NULL);
	assert_int_equal(t->n_too_long, 3);
	assert_int_equal(t->n_lines, 5);
	assert_string_equal(t->lines[4], "Z");
	t_free(t);
}

static void
test_readline_byte_at_a_time(void **state)
{
	struct t *t = t_new(50);
	const char *in = "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\n";
	size_t i;

	(void)state;
	for (i = 0; in[i] != '\0'; i++) {
		char c[2] = {in[i], '\0'};
		t_send(t, c);
		t_run(t, 2, NULL);
	}
	t_run(t, 10, NULL);
	assert_int_equal(t->n_lines, 2);
	assert_string_equal(t->lines[0], "MAIL FROM:<a@b.test>");
	assert_string_equal(t->lines[1], "RCPT TO:<c@d.test>");
	t_free(t);
}

static void
test_close_after_flush_sends_all(void **state)
{
	struct t *t = t_new(100);
	size_t total = 4 * 1024 * 1024, i;
	char *data = malloc(total);

	(void)state;
	for (i = 0; i < total; i++)
		data[i] = (char)('a' + i % 26);
	conn_write(t->conn, data, total / 2);
	conn_printf(t->conn, "%s", "");
	conn_write(t->conn, data + total / 2, total - total / 2);
	conn_close_after_flush(t->conn);
	assert_true(conn_is_closing(t->conn));
	assert_int_equal(t->n_close, 0); /* never inline */
	t_send(t, "QUIT\r\n");           /* input while closing is ignored */
	t_run(t, 5000, &t->n_close);
	assert_int_equal(t->n_close, 1);
	assert_int_equal(t->reason, CONN_CLOSE_LOCAL);
	assert_int_equal(t->n_input_calls, 0);
	t_run(t, 20, NULL);
	assert_int_equal(t->n_close, 1);
	t_peer_read(t);
	assert_int_equal(t->received.len, total);
	assert_memory_equal(t->received.data, data, total);
	free(data);
	t_free(t);
}

static void
test_close_after_flush_eof_at_peer(void **state)
{
	struct t *t = t_new(100);
	size_t total = 2 * 1024 * 1024, i;
	char *data = malloc(total);

	(void)state;
	for (i = 0; i < total; i++)
		data[i] = (char)(i % 251);
	conn_write(t->conn, data, total);
	conn_writes(t->conn, "221 bye\r\n");
	conn_close_after_flush(t->conn);
	conn_close_after_flush(t->conn); /* twice is harmless */
	t_run(t, 5000, &t->n_close);
	assert_int_equal(t->n_close, 1);
	assert_int_equal(t->reason, CONN_CLOSE_LOCAL);
	/* everything was written before the close was reported */
	conn_free(&t->conn);
	t_run_until(t, 2000, &t->peer_eof_int, 1);
	assert_true(t->peer_eof);
	assert_int_equal(t->received.len, total + 9);
	assert_memory_equal(t->received.data, data, total);
	assert_memory_equal(t->received.data + total, "221 bye\r\n", 9);
	free(data);
	t_free(t);
}

static void
test_close_after_flush_empty_output(void **state)
{
	struct t *t = t_new(100);

	(void)state;
	conn_close_after_flush(t->conn);
	assert_int_equal(t->n_close, 0);
	t_run(t, 1000, &t->n_close);
	assert_int_equal(t->n_close, 1);
	assert_int_equal(t->reason, CONN_CLOSE_LOCAL);
	t_free(t);
}

static void
test_pause_resume(void **state)
{
	struct t *t = t_new(100);

	(void)state;
	conn_pause_read(t->conn);
	t->paused = true;
	t_send(t, "A\r\nB\r\nC\r\n");
	t_run(t, 30, NULL);
	assert_int_equal(t->n_input_calls, 0);
	assert_int_equal(t->n_lines, 0);
	/* resumed: input already buffered is delivered without more arriving */
	t->paused = false;
	conn_resume_read(t->conn);
	assert_int_equal(t->n_input_calls, 0); /* not inline */
	t_run_until(t, 1000, &t->n_lines, 3);
	t_run(t, 10, NULL);
	assert_int_equal(t->n_lines, 3);
	assert_string_equal(t->lines[2], "C");
	t_free(t);
}

/* An async step per line: each line pauses, the test resumes; no input is delivered
 * while paused, even though it was all pipelined in one read. */
static void
test_pause_per_line(void **state)
{
	struct t *t = t_new(100);
	int i;

	(void)state;
	t->pause_after_line = true;
	t_send(t, "1\r\n2\r\n3\r\n4\r\n");
	for (i = 1; i <= 4; i++) {
		t_run(t, 1000, &t->paused);
		t_run(t, 20, NULL);
		assert_int_equal(t->n_lines, i);
		assert_int_equal(t->n_input_while_paused, 0);
		t->paused = false;
		conn_resume_read(t->conn);
	}
	assert_string_equal(t->lines[3], "4");
	t_free(t);
}

/* Resume queues a deferred delivery of the input already buffered; pausing again
 * before it runs (a session that handled a pipelined command itself and started
 * another async step) must win: no on_input while paused. */
static void
test_resume_then_pause_again(void **state)
{
	struct t *t = t_new(100);

	(void)state;
	t->pause_after_line = true;
	t_send(t, "A\r\nB\r\nC\r\n");
	t_run(t, 1000, &t->paused);
	t_run(t, 20, NULL);
	assert_int_equal(t->n_lines, 1);
	assert_true(conn_input_len(t->conn) > 0); /* B and C wait in the input buffer */
	conn_resume_read(t->conn);
	conn_pause_read(t->conn);
	t_run(t, 50, NULL);
	assert_int_equal(t->n_input_while_paused, 0);
	assert_int_equal(t->n_lines, 1);
	t->paused = 0;
	conn_resume_read(t->conn);
	t_run_until(t, 1000, &t->n_lines, 2);
	t_run(t, 20, NULL);
	assert_int_equal(t->n_lines, 2);
	assert_string_equal(t->lines[1], "B");
	t_free(t);
}

static void
test_drain_and_eof(void **state)
{
	struct t *t = t_new(100);

	(void)state;
	conn_want_drain(t->conn); /* nothing queued: still from the loop, not inline */
	assert_int_equal(t->n_drain, 0);
	t_run(t, 1000, &t->n_drain);
	assert_int_equal(t->n_drain, 1);
	conn_writes(t->conn, "+OK\r\n");
	conn_want_drain(t->conn);
	assert_int_equal(t->n_drain, 1);
	t_run_until(t, 1000, &t->n_drain, 2);
	assert_int_equal(t->n_drain, 2);
	assert_string_equal(buf_cstr(&t->received), "+OK\r\n");
	t_run(t, 20, NULL);
	assert_int_equal(t->n_drain, 2); /* one per request */
	shutdown(t->peer, SHUT_WR);
	t_run(t, 1000, &t->n_close);
	assert_int_equal(t->n_close, 1);
	assert_int_equal(t->reason, CONN_CLOSE_EOF);
	assert_string_equal(conn_peer_ip(t->conn), "unknown"); /* AF_UNIX */
	assert_false(conn_is_tls(t->conn));
	assert_null(conn_tls_version(t->conn));
	t_free(t);
}

static void
test_timeout(void **state)
{
	struct t *t = t_new(100);

	(void)state;
	t->keep_on_timeout = true;
	conn_set_timeout(t->conn, 1);
	t_run(t, 3000, &t->n_timeout);
	assert_int_equal(t->n_timeout, 1);
	assert_int_equal(t->n_close, 0);
	/* still reading after a kept timeout */
	t_send(t, "X\r\n");
	t_run(t, 1000, &t->n_lines);
	assert_int_equal(t->n_lines, 1);
	t->keep_on_timeout = false;
	t_run(t, 3000, &t->n_close);
	assert_int_equal(t->n_close, 1);
	assert_int_equal(t->reason, CONN_CLOSE_TIMEOUT);
	t_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crlf_and_lf),
		cmocka_unit_test(test_long_line_discarded_once),
		cmocka_unit_test(test_line_length_boundaries),
		cmocka_unit_test(test_readline_byte_at_a_time),
		cmocka_unit_test(test_close_after_flush_sends_all),
		cmocka_unit_test(test_close_after_flush_eof_at_peer),
		cmocka_unit_test(test_close_after_flush_empty_output),
		cmocka_unit_test(test_pause_resume),
		cmocka_unit_test(test_pause_per_line),
		cmocka_unit_test(test_resume_then_pause_again),
		cmocka_unit_test(test_drain_and_eof),
		cmocka_unit_test(test_timeout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
