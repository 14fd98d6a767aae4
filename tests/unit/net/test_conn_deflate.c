/* Unit tests of the deflate filter of a compressed connection (src/net/conn_deflate.c,
 * RFC 4978): output sync-flushed per batch and inflatable at once, input inflated within
 * the filter's limit (a deflate bomb cannot fill memory in one go), a corrupt stream
 * reported once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <zlib.h>

#include "net/conn_deflate.h"

static int errors;

static void
on_error(void *arg)
{
	(void)arg;
	errors++;
}

static size_t
drain_all(struct evbuffer *b, char *out, size_t max)
{
	size_t n = evbuffer_get_length(b);

	assert_true(n <= max);
	evbuffer_remove(b, out, n);
	return n;
}

/* Two batches through the output filter, then through the input filter of another
 * context: each batch comes out whole right after its own filter call. */
static void
test_round_trip_flushed(void **state)
{
	struct conn_deflate *a = conn_deflate_new(on_error, NULL);
	struct conn_deflate *b = conn_deflate_new(on_error, NULL);
	struct evbuffer *plain = evbuffer_new(), *wire = evbuffer_new(), *back = evbuffer_new();
	static char got[300000];
	char *big = malloc(200000);

	(void)state;
	for (size_t i = 0; i < 200000; i++)
		big[i] = (char)('a' + (i * 7 + i / 13) % 26);
	evbuffer_add(plain, "* OK [CAPABILITY IMAP4rev1] hi\r\n", 32);
	assert_int_equal(conn_deflate_out(plain, wire, 0, BEV_NORMAL, a), BEV_OK);
	assert_int_equal(evbuffer_get_length(plain), 0);
	assert_int_equal(conn_deflate_in(wire, back, 0, BEV_NORMAL, b), BEV_OK);
	assert_int_equal(drain_all(back, got, sizeof(got)), 32);
	assert_memory_equal(got, "* OK [CAPABILITY IMAP4rev1] hi\r\n", 32);
	evbuffer_add(plain, big, 200000);
	assert_int_equal(conn_deflate_out(plain, wire, 0, BEV_NORMAL, a), BEV_OK);
	assert_true(evbuffer_get_length(wire) < 200000);
	assert_int_equal(conn_deflate_in(wire, back, 0, BEV_NORMAL, b), BEV_OK);
	assert_int_equal(drain_all(back, got, sizeof(got)), 200000);
	assert_memory_equal(got, big, 200000);
	assert_int_equal(errors, 0);
	/* nothing to send: nothing written */
	assert_int_equal(conn_deflate_out(plain, wire, 0, BEV_NORMAL, a), BEV_NEED_MORE);
	assert_int_equal(evbuffer_get_length(wire), 0);
	free(big);
	evbuffer_free(plain);
	evbuffer_free(wire);
	evbuffer_free(back);
	conn_deflate_free(a);
	conn_deflate_free(b);
}

/* 4 MB of zeros deflate to a few KB: the input filter stops near its limit and goes on
 * when called again. */
static void
test_inflate_limit(void **state)
{
	struct conn_deflate *a = conn_deflate_new(on_error, NULL);
	struct conn_deflate *b = conn_deflate_new(on_error, NULL);
	struct evbuffer *plain = evbuffer_new(), *wire = evbuffer_new(), *back = evbuffer_new();
	char *zeros = calloc(1, 4 << 20);
	size_t total = 0;

	(void)state;
	evbuffer_add(plain, zeros, 4 << 20);
	assert_int_equal(conn_deflate_out(plain, wire, 0, BEV_NORMAL, a), BEV_OK);
	assert_true(evbuffer_get_length(wire) < 64 * 1024);
	for (int rounds = 0; evbuffer_get_length(wire) > 0 || total < (4u << 20); rounds++) {
		assert_true(rounds < 1000);
		conn_deflate_in(wire, back, 65536, BEV_NORMAL, b);
		/* at most one chunk past the limit */
		assert_true(evbuffer_get_length(back) <= 65536 + 16384);
		total += evbuffer_get_length(back);
		evbuffer_drain(back, evbuffer_get_length(back));
	}
	assert_int_equal(total, 4 << 20);
	free(zeros);
	evbuffer_free(plain);
	evbuffer_free(wire);
	evbuffer_free(back);
	conn_deflate_free(a);
	conn_deflate_free(b);
}

static void
test_corrupt_input(void **state)
{
	struct conn_deflate *b = conn_deflate_new(on_error, NULL);
	struct evbuffer *wire = evbuffer_new(), *back = evbuffer_new();

	(void)state;
	errors = 0;
	evbuffer_add(wire, "\xff\xff\xff\xff not deflate", 16);
	assert_int_equal(conn_deflate_in(wire, back, 0, BEV_NORMAL, b), BEV_ERROR);
	assert_int_equal(errors, 1);
	assert_int_equal(evbuffer_get_length(wire), 0);
	evbuffer_add(wire, "more", 4);
	assert_int_equal(conn_deflate_in(wire, back, 0, BEV_NORMAL, b), BEV_ERROR);
	assert_int_equal(errors, 1); /* reported once */
	assert_int_equal(evbuffer_get_length(back), 0);
	evbuffer_free(wire);
	evbuffer_free(back);
	conn_deflate_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_flushed),
		cmocka_unit_test(test_inflate_limit),
		cmocka_unit_test(test_corrupt_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
