/* Unit tests for the DATA reader (RFC 5321 4.5.2, smuggling vectors) and the BDAT CRLF
 * normalizer: every vector is fed at once, one byte at a time and in two halves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mail/smtp_data.h"
#include "util/buf.h"
#include "util/xmalloc.h"

struct data_vector {
	const char *in;
	size_t in_len;
	int ret;         /* 1 ended, 0 not ended */
	const char *out; /* expected message */
	size_t out_len;
	size_t consumed; /* when ret == 1 */
};

#define V(in, ret, out, consumed)                                                                  \
	{                                                                                          \
		in, sizeof(in) - 1, ret, out, sizeof(out) - 1, consumed                            \
	}

/* Feeds v in pieces of step bytes (0 = all at once) and checks the outcome. */
static void
run_vector(const struct data_vector *v, size_t step)
{
	struct smtp_data_reader r;
	struct buf out = BUF_INIT;
	size_t pos = 0, consumed = 0;
	int ret = 0;

	smtp_data_reader_init(&r, &out, 0);
	while (pos < v->in_len) {
		size_t n = step == 0 || v->in_len - pos < step ? v->in_len - pos : step;
		ret = smtp_data_reader_feed(&r, v->in + pos, n, &consumed);
		if (ret == 1) {
			pos += consumed;
			break;
		}
		assert_int_equal(consumed, n);
		pos += n;
	}
	assert_int_equal(ret, v->ret);
	if (ret == 1)
		assert_int_equal(pos, v->consumed);
	assert_int_equal(out.len, v->out_len);
	assert_memory_equal(out.data == NULL ? "" : out.data, v->out, v->out_len);
	assert_int_equal(smtp_data_reader_size(&r), v->out_len);
	assert_false(smtp_data_reader_too_big(&r));
	buf_free(&out);
}

static void
run_vectors(const struct data_vector *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		run_vector(&v[i], 0);
		run_vector(&v[i], 1);
		run_vector(&v[i], 2);
		run_vector(&v[i], 3);
		run_vector(&v[i], v[i].in_len / 2 + 1);
	}
}

static void
test_data_basic(void **state)
{
	static const struct data_vector v[] = {
		V("Subject: x\r\n\r\nbody\r\n.\r\n", 1, "Subject: x\r\n\r\nbody\r\n", 23),
		/* a first line "." ends an empty message */
		V(".\r\n", 1, "", 3),
		V("a\r\n.\r\n", 1, "a\r\n", 6),
		/* no data yet */
		V("abc", 0, "abc", 0),
		V("abc\r\n", 0, "abc\r\n", 0),
		V("abc\r\n.", 0, "abc\r\n", 0),
		V("abc\r\n.\r", 0, "abc\r\n", 0),
		/* empty lines are kept */
		V("\r\n\r\n.\r\n", 1, "\r\n\r\n", 7),
	};

	run_vectors(v, sizeof(v) / sizeof(v[0]));
}

static void
test_data_dot_unstuffing(void **state)
{
	static const struct data_vector v[] = {
		V("..\r\n.\r\n", 1, ".\r\n", 7),
		V("a\r\n..b\r\n.\r\n", 1, "a\r\n.b\r\n", 11),
		V("a\r\n...\r\n.\r\n", 1, "a\r\n..\r\n", 11),
		V(".x\r\n.\r\n", 1, "x\r\n", 7),
		/* only a dot at the start of a line is removed */
		V("a.b.\r\n.\r\n", 1, "a.b.\r\n", 9),
		/* a dot after a bare LF is not at the start of a line: kept */
		V("a\n..\r\n.\r\n", 1, "a\r\n..\r\n", 9),
		V("a\r.x\r\n.\r\n", 1, "a\r\n.x\r\n", 9),
	};

	run_vectors(v, sizeof(v) / sizeof(v[0]));
}

/* SMTP smuggling: none of these may end the data (CVE-2023-51764/51765/51766 class). */
static void
test_data_smuggling(void **state)
{
	static const struct data_vector v[] = {
		V("a\n.\nMAIL FROM:<x@y>\r\n", 0, "a\r\n.\r\nMAIL FROM:<x@y>\r\n", 0),
		V("a\r\n.\nMAIL FROM:<x@y>\r\n", 0, "a\r\n\r\nMAIL FROM:<x@y>\r\n", 0),
		V("a\n.\r\nMAIL FROM:<x@y>\r\n", 0, "a\r\n.\r\nMAIL FROM:<x@y>\r\n", 0),
		V("a\r.\r\nMAIL FROM:<x@y>\r\n", 0, "a\r\n.\r\nMAIL FROM:<x@y>\r\n", 0),
		V("a\r\n.\rMAIL FROM:<x@y>\r\n", 0, "a\r\n\r\nMAIL FROM:<x@y>\r\n", 0),
		V("a\r.\rMAIL\r\n", 0, "a\r\n.\r\nMAIL\r\n", 0),
		V("a\n.\rMAIL\r\n", 0, "a\r\n.\r\nMAIL\r\n", 0),
		V("a\r\r\n.\r\n", 1, "a\r\n\r\n", 7),
		V("a\r\n\n.\r\n", 0, "a\r\n\r\n.\r\n", 0),
		V("a\r\n\r.\r\n", 0, "a\r\n\r\n.\r\n", 0),
		V(".\n", 0, "\r\n", 0),
		V(".\r", 0, "", 0),
		V(".\rX", 0, "\r\nX", 0),
		V("\n.\r\n", 0, "\r\n.\r\n", 0),
		V("\r.\r\n", 0, "\r\n.\r\n", 0),
		/* after the fake ones, the real end still works */
		V("a\n.\nb\r\n.\r\nQUIT\r\n", 1, "a\r\n.\r\nb\r\n", 10),
		V("a\r\n.\nb\r\n.\r\nQUIT\r\n", 1, "a\r\n\r\nb\r\n", 11),
		V("a\n.\r\nb\r\n.\r\n", 1, "a\r\n.\r\nb\r\n", 11),
		V("a\r.\r\n.\r\n", 1, "a\r\n.\r\n", 8),
	};

	run_vectors(v, sizeof(v) / sizeof(v[0]));
}

static void
test_data_bare_line_ends(void **state)
{
	static const struct data_vector v[] = {
		V("a\nb\rc\r\n.\r\n", 1, "a\r\nb\r\nc\r\n", 10),
		V("\n\n\r\r\r\n.\r\n", 1, "\r\n\r\n\r\n\r\n\r\n", 9),
		V("a\r\r\r\n.\r\n", 1, "a\r\n\r\n\r\n", 8),
	};

	run_vectors(v, sizeof(v) / sizeof(v[0]));
}

static void
test_data_byte_exact(void **state)
{
	static const struct data_vector v[] = {
		V("\x00\xff\x80\xc3\xa9\r\n.\r\n", 1, "\x00\xff\x80\xc3\xa9\r\n", 10),
		V("a\x00.\r\n.\r\n", 1, "a\x00.\r\n", 8),
		V(".\x00\r\n.\r\n", 1, "\x00\r\n", 7),
	};

	run_vectors(v, sizeof(v) / sizeof(v[0]));
}

static void
test_data_pipelining(void **state)
{
	static const struct data_vector v[] = {
		V("x\r\n.\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n", 1, "x\r\n", 6),
		V(".\r\n.\r\n", 1, "", 3),
		V("x\r\n.\r\n\r\n.\r\n", 1, "x\r\n", 6),
	};
	const char *in = "x\r\n.\r\nQUIT\r\n";
	struct smtp_data_reader r;
	struct buf out = BUF_INIT;
	size_t consumed;

	run_vectors(v, sizeof(v) / sizeof(v[0]));
	smtp_data_reader_init(&r, &out, 0);
	assert_int_equal(smtp_data_reader_feed(&r, in, strlen(in), &consumed), 1);
	assert_string_equal(in + consumed, "QUIT\r\n");
	/* once done, nothing more is consumed */
	assert_int_equal(smtp_data_reader_feed(&r, "QUIT\r\n", 6, &consumed), 1);
	assert_int_equal(consumed, 0);
	assert_int_equal(out.len, 3);
	buf_free(&out);
}

/* Long lines (no limit inside data) and a 5 MB message, fed at once and in 1000 byte
 * pieces, byte-exact. */
static void
test_data_long(void **state)
{
	size_t n = 5 * 1024 * 1024, i, pos, consumed = 0;
	char *in = xmalloc(n + 5);
	struct smtp_data_reader r;
	struct buf out = BUF_INIT;
	size_t step;

	for (i = 0; i < n; i++)
		in[i] = (char)('a' + i % 26);
	for (i = 1000; i < n; i += 997) {
		in[i - 1] = '\r';
		in[i] = '\n';
	}
	memcpy(in + n - 2, "\r\n.\r\n", 5); /* ends in CRLF, then ".\r\n" */
	for (step = 1000; step <= n + 5; step += n + 5 - 1000) {
		buf_reset(&out);
		smtp_data_reader_init(&r, &out, 0);
		for (pos = 0; pos < n + 3; pos += consumed) {
			size_t len = n + 3 - pos < step ? n + 3 - pos : step;
			int ret = smtp_data_reader_feed(&r, in + pos, len, &consumed);
			assert_int_equal(ret, pos + consumed == n + 3 ? 1 : 0);
		}
		assert_int_equal(out.len, n);
		assert_memory_equal(out.data, in, n);
	}
	/* a 1 MB line without line end */
	memset(in, 'x', 1024 * 1024);
	buf_reset(&out);
	smtp_data_reader_init(&r, &out, 0);
	assert_int_equal(smtp_data_reader_feed(&r, in, 1024 * 1024, &consumed), 0);
	assert_int_equal(smtp_data_reader_feed(&r, "\r\n.\r\n", 5, &consumed), 1);
	assert_int_equal(out.len, 1024 * 1024 + 2);
	buf_free(&out);
	free(in);
}

static void
test_data_size_limit(void **state)
{
	const char *in = "0123456789\r\n0123456789\r\n.\r\nNOOP\r\n";
	struct smtp_data_reader r;
	struct buf out = BUF_INIT;
	size_t consumed, i, pos;
	int ret = 0;

	/* exactly at the limit is fine */
	smtp_data_reader_init(&r, &out, 24);
	assert_int_equal(smtp_data_reader_feed(&r, in, strlen(in), &consumed), 1);
	assert_false(smtp_data_reader_too_big(&r));
	assert_int_equal(out.len, 24);

	/* one over: output stops, reading goes on to the end, size is still counted */
	buf_reset(&out);
	smtp_data_reader_init(&r, &out, 23);
	assert_int_equal(smtp_data_reader_feed(&r, in, strlen(in), &consumed), 1);
	assert_true(smtp_data_reader_too_big(&r));
	assert_int_equal(smtp_data_reader_size(&r), 24);
	assert_true(out.len <= 23);
	assert_string_equal(in + consumed, "NOOP\r\n");

	/* the same one byte at a time */
	buf_reset(&out);
	smtp_data_reader_init(&r, &out, 5);
	for (i = 0, pos = 0; i < strlen(in) && ret == 0; i++) {
		ret = smtp_data_reader_feed(&r, in + i, 1, &consumed);
		pos += consumed;
	}
	assert_int_equal(ret, 1);
	assert_int_equal(pos, strlen(in) - 6);
	assert_true(smtp_data_reader_too_big(&r));
	assert_true(out.len <= 5);
	assert_int_equal(smtp_data_reader_size(&r), 24);
	buf_free(&out);
}

/* Appends the chunks in order and compares with the expected output. */
static void
check_normalize(const char *const *chunks, size_t n, const char *expected)
{
	struct crlf_normalizer norm;
	struct buf out = BUF_INIT;
	size_t i;

	crlf_normalizer_init(&norm);
	for (i = 0; i < n; i++)
		crlf_normalize_append(&norm, &out, chunks[i], strlen(chunks[i]));
	crlf_normalize_finish(&norm, &out);
	assert_string_equal(buf_cstr(&out), expected);
	assert_int_equal(crlf_normalizer_size(&norm), strlen(expected));
	buf_free(&out);
}

static void
test_bdat_normalize(void **state)
{
	const char *a[] = {"a\r\nb\nc\rd"};
	const char *b[] = {"a\r", "\nb"};
	const char *c[] = {"a\r", "b\r", "", "\n", "\r"};
	const char *d[] = {"\n", "\r", "\r", "\n."};
	const char *e[] = {"x\r\n.\r\n", "y"}; /* no dot handling in BDAT */
	const char *f[] = {"", "\r"};

	check_normalize(a, 1, "a\r\nb\r\nc\r\nd");
	check_normalize(b, 2, "a\r\nb");
	check_normalize(c, 5, "a\r\nb\r\n\r\n");
	check_normalize(d, 4, "\r\n\r\n\r\n.");
	check_normalize(e, 2, "x\r\n.\r\ny");
	check_normalize(f, 2, "\r\n");
}

/* Every split of a string into two chunks, and byte by byte, gives the same output. */
static void
test_bdat_normalize_splits(void **state)
{
	static const char in[] = "a\rb\nc\r\n\r\r\n\n\r.\r\n\x00\xff\r";
	static const char expected[] = "a\r\nb\r\nc\r\n\r\n\r\n\r\n\r\n.\r\n\x00\xff\r\n";
	size_t len = sizeof(in) - 1, i, j;
	struct crlf_normalizer norm;
	struct buf whole = BUF_INIT, out = BUF_INIT;

	crlf_normalizer_init(&norm);
	crlf_normalize_append(&norm, &whole, in, len);
	crlf_normalize_finish(&norm, &whole);
	assert_int_equal(whole.len, sizeof(expected) - 1);
	assert_memory_equal(whole.data, expected, whole.len);
	for (i = 0; i <= len; i++) {
		buf_reset(&out);
		crlf_normalizer_init(&norm);
		crlf_normalize_append(&norm, &out, in, i);
		crlf_normalize_append(&norm, &out, in + i, len - i);
		crlf_normalize_finish(&norm, &out);
		assert_int_equal(out.len, whole.len);
		assert_memory_equal(out.data, whole.data, whole.len);
	}
	buf_reset(&out);
	crlf_normalizer_init(&norm);
	for (j = 0; j < len; j++)
		crlf_normalize_append(&norm, &out, in + j, 1);
	crlf_normalize_finish(&norm, &out);
	assert_int_equal(out.len, whole.len);
	assert_memory_equal(out.data, whole.data, whole.len);
	buf_free(&whole);
	buf_free(&out);
}

static void
test_bdat_size_limit(void **state)
{
	struct crlf_normalizer norm;
	struct buf out = BUF_INIT;

	crlf_normalizer_init(&norm);
	crlf_normalizer_set_max_size(&norm, 6);
	crlf_normalize_append(&norm, &out, "abcd\n", 5);
	assert_false(crlf_normalizer_too_big(&norm));
	assert_string_equal(buf_cstr(&out), "abcd\r\n");
	crlf_normalize_append(&norm, &out, "e", 1);
	crlf_normalize_finish(&norm, &out);
	assert_true(crlf_normalizer_too_big(&norm));
	assert_int_equal(crlf_normalizer_size(&norm), 7);
	assert_true(out.len <= 6);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_basic),
		cmocka_unit_test(test_data_dot_unstuffing),
		cmocka_unit_test(test_data_smuggling),
		cmocka_unit_test(test_data_bare_line_ends),
		cmocka_unit_test(test_data_byte_exact),
		cmocka_unit_test(test_data_pipelining),
		cmocka_unit_test(test_data_long),
		cmocka_unit_test(test_data_size_limit),
		cmocka_unit_test(test_bdat_normalize),
		cmocka_unit_test(test_bdat_normalize_splits),
		cmocka_unit_test(test_bdat_size_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
