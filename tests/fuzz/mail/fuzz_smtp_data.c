/* libFuzzer target: the DATA reader and the BDAT CRLF normalizer. The first input bytes
 * seed the split points and the size limit; the invariants: any split gives the same
 * result as one feed, the output has only CRLF line ends, and the size limit is kept. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/smtp_data.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct data_result {
	struct buf out;
	size_t consumed;
	int ret;
	size_t size;
	bool too_big;
};

/* xorshift: deterministic split sizes from the seed */
static uint32_t
next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Feeds in pieces of 1..max_piece bytes (max_piece 0 = all at once). */
static void
run_reader(const char *in, size_t len, uint32_t seed, size_t max_piece, size_t max_size,
	   struct data_result *res)
{
	struct smtp_data_reader r;
	size_t pos = 0, consumed;

	buf_init(&res->out);
	smtp_data_reader_init(&r, &res->out, max_size);
	res->ret = 0;
	while (pos < len) {
		size_t n = max_piece == 0 ? len - pos : 1 + next_rand(&seed) % max_piece;
		if (n > len - pos)
			n = len - pos;
		res->ret = smtp_data_reader_feed(&r, in + pos, n, &consumed);
		pos += consumed;
		if (res->ret == 1)
			break;
		if (consumed != n)
			abort();
	}
	res->consumed = pos;
	res->size = smtp_data_reader_size(&r);
	res->too_big = smtp_data_reader_too_big(&r);
}

static void
check_same(const struct data_result *a, const struct data_result *b)
{
	if (a->ret != b->ret || a->consumed != b->consumed || a->size != b->size ||
	    a->too_big != b->too_big || a->out.len != b->out.len ||
	    (a->out.len > 0 && memcmp(a->out.data, b->out.data, a->out.len) != 0))
		abort();
}

/* Every CR is followed by LF and every LF preceded by CR. */
static void
check_crlf(const struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\r' && (i + 1 == b->len || b->data[i + 1] != '\n'))
			abort();
		if (b->data[i] == '\n' && (i == 0 || b->data[i - 1] != '\r'))
			abort();
	}
}

static void
check_reader(const char *in, size_t len, uint32_t seed, size_t max_size)
{
	struct data_result whole, split, bytes, limited;

	run_reader(in, len, seed, 0, 0, &whole);
	check_crlf(&whole.out);
	if (whole.size != whole.out.len || whole.too_big)
		abort();
	/* the end marker is a real CRLF "." CRLF, or "." CRLF at the very start */
	if (whole.ret == 1 && !(whole.consumed == 3 && memcmp(in, ".\r\n", 3) == 0) &&
	    !(whole.consumed >= 5 && memcmp(in + whole.consumed - 5, "\r\n.\r\n", 5) == 0))
		abort();
	run_reader(in, len, seed, 7, 0, &split);
	check_same(&whole, &split);
	run_reader(in, len, seed, 1, 0, &bytes);
	check_same(&whole, &bytes);
	run_reader(in, len, seed, 3, max_size, &limited);
	if (limited.ret != whole.ret || limited.consumed != whole.consumed ||
	    limited.size != whole.size || limited.too_big != (whole.size > max_size) ||
	    limited.out.len > max_size ||
	    (!limited.too_big &&
	     (limited.out.len != whole.out.len ||
	      (whole.out.len > 0 && memcmp(limited.out.data, whole.out.data, whole.out.len) != 0))))
		abort();
	buf_free(&whole.out);
	buf_free(&split.out);
	buf_free(&bytes.out);
	buf_free(&limited.out);
}

static void
run_normalizer(const char *in, size_t len, uint32_t seed, size_t max_piece, struct buf *out)
{
	struct crlf_normalizer n;
	size_t pos = 0;

	crlf_normalizer_init(&n);
	while (pos < len) {
		size_t k = max_piece == 0 ? len - pos : next_rand(&seed) % (max_piece + 1);
		if (k > len - pos)
			k = len - pos;
		crlf_normalize_append(&n, out, in + pos, k);
		pos += k;
	}
	crlf_normalize_finish(&n, out);
	if (crlf_normalizer_size(&n) != out->len || crlf_normalizer_too_big(&n))
		abort();
}

static void
check_normalizer(const char *in, size_t len, uint32_t seed)
{
	struct buf whole = BUF_INIT, split = BUF_INIT;

	run_normalizer(in, len, seed, 0, &whole);
	check_crlf(&whole);
	run_normalizer(in, len, seed, 5, &split);
	if (whole.len != split.len ||
	    (whole.len > 0 && memcmp(whole.data, split.data, whole.len) != 0))
		abort();
	buf_free(&whole);
	buf_free(&split);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seed;

	if (size < 3)
		return 0;
	seed = (uint32_t)data[0] << 8 | data[1] | 1u;
	check_reader((const char *)data + 3, size - 3, seed, (size_t)data[2] + 1); /* 0: no limit */
	check_normalizer((const char *)data + 3, size - 3, seed);
	return 0;
}
