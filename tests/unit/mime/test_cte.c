/* Tests of content-transfer-encoding decoding for IMAP BINARY (RFC 3516) and of the
 * base64 re-encoding of binary parts at APPEND (src/mail/mime_cte.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mail/mime.h"
#include "mail/mime_cte.h"
#include "util/buf.h"

static void
assert_buf(const struct buf *b, const char *want, size_t len)
{
	assert_int_equal(b->len, len);
	if (len > 0)
		assert_memory_equal(b->data, want, len);
}

/* imaptest's fetch-binary-mime-qp part: RFC 2045 6.7 rules 3 and 5 */
static void
test_qp_rules(void **state)
{
	static const char in[] = "hello  \r\nbar=\r\n\r\nfoo\t=\r\nbar\r\nfoo\t \t= \r\n=62\r\n"
				 "foo = \t\r\nbar\r\nfoo =\r\n=62\r\nfoo  \r\nbar=\r\n\r\n"
				 "foo_bar\r\n";
	static const char want[] = "hello\r\nbar\r\nfoo\tbar\r\nfoo\t \tb\r\nfoo bar\r\nfoo b\r\n"
				   "foo\r\nbar\r\nfoo_bar\r\n";
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(mime_cte_decode(MIME_ENC_QP, in, sizeof(in) - 1, &out), 0);
	assert_buf(&out, want, sizeof(want) - 1);
	assert_int_equal(out.len, 65);
	buf_free(&out);
}

static void
test_qp_escapes(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	/* lower-case hex, a NUL, a bad escape kept, a final line without line end */
	mime_cte_qp_decode("a=3d=00=zz=4", 12, &out);
	assert_buf(&out, "a=\0=zz=4", 8);
	buf_reset(&out);
	/* a soft break at the very end; bare LF line ends kept */
	mime_cte_qp_decode("x\ny=", 4, &out);
	assert_buf(&out, "x\ny", 3);
	buf_free(&out);
}

static void
test_base64(void **state)
{
	static const char in[] = "  aGVs    \r\n bG8g  \r\n   d29y  \t \r\n    bGQ= \r\n\r\n";
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(mime_cte_decode(MIME_ENC_BASE64, in, sizeof(in) - 1, &out), 0);
	assert_buf(&out, "hello world", 11);
	buf_reset(&out);
	assert_int_equal(mime_cte_decode(MIME_ENC_BASE64,
					 "YWJjZGVmZw1oaWprbA0KbW5vCnBxcnN0dXZxeHl6", 40, &out),
			 0);
	assert_buf(&out, "abcdefg\rhijkl\r\nmno\npqrstuvqxyz", 30);
	buf_free(&out);
}

static void
test_identity_and_unknown(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(mime_cte_decode(MIME_ENC_7BIT, "a=3D", 4, &out), 0);
	assert_int_equal(mime_cte_decode(MIME_ENC_BINARY, "\0b", 2, &out), 0);
	assert_buf(&out, "a=3D\0b", 6);
	assert_int_equal(mime_cte_decode(MIME_ENC_UNKNOWN, "begin 644", 9, &out), -1);
	assert_int_equal(out.len, 6);
	assert_true(mime_cte_has_nul("a\0", 2));
	assert_false(mime_cte_has_nul("a\r\n", 3));
	assert_false(mime_cte_has_nul(NULL, 0));
	buf_free(&out);
}

/* RFC 3516 4.3: a binary part is stored as base64 and decodes back to the same bytes */
static void
test_binary_to_base64(void **state)
{
	static const char msg[] = "From: a@b\r\nMime-Version: 1.0\r\n"
				  "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
				  "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
				  "--b\r\nContent-Type: application/octet-stream\r\n"
				  "Content-Transfer-Encoding:\r\n binary\r\nX-After: 1\r\n\r\n"
				  "\0-\xe4\n\r\n\r\n"
				  "--b--\r\n";
	struct buf out = BUF_INIT, dec = BUF_INIT;
	struct mime_tree t;
	const struct mime_part *p;

	(void)state;
	assert_true(mime_cte_binary_to_base64(msg, sizeof(msg) - 1, &out));
	assert_false(mime_cte_has_nul(out.data, out.len));
	assert_non_null(strstr(buf_cstr(&out), "Content-Transfer-Encoding: base64\r\nX-After: 1"));
	assert_null(strstr(buf_cstr(&out), "binary"));
	memset(&t, 0, sizeof(t));
	mime_tree_parse(&t, out.data, out.len);
	assert_int_equal(t.nparts, 3);
	p = &t.parts[2];
	assert_int_equal(p->enc, MIME_ENC_BASE64);
	assert_int_equal(
		mime_cte_decode(p->enc, out.data + mime_part_body_off(p), p->body_size, &dec), 0);
	assert_buf(&dec, "\0-\xe4\n\r\n", 6);
	/* the text part is untouched */
	assert_non_null(strstr(buf_cstr(&out), "Content-Type: text/plain\r\n\r\nhi\r\n--b\r\n"));
	mime_tree_free(&t);
	buf_free(&dec);
	buf_reset(&out);
	/* nothing binary: nothing done */
	assert_false(mime_cte_binary_to_base64("From: a@b\r\n\r\nx\r\n", 16, &out));
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

/* Found by fuzz-mime-cte: white space before the colon (RFC 5322 4.5.8) still names the
 * field that must say base64; a multipart that claims "binary" is not a leaf to encode. */
static void
test_binary_to_base64_odd_headers(void **state)
{
	static const char obs[] = "From: a@b\r\nContent-Transfer-Encoding \t:binary\r\n\r\n\0x\r\n";
	static const char multi[] = "From: a@b\r\nContent-Type: multipart/mixed; boundary=b\r\n"
				    "Content-Transfer-Encoding: binary\r\n\r\n\0 no parts\r\n";
	struct buf out = BUF_INIT, dec = BUF_INIT;
	struct mime_tree t;

	(void)state;
	assert_true(mime_cte_binary_to_base64(obs, sizeof(obs) - 1, &out));
	assert_null(strstr(buf_cstr(&out), "binary"));
	memset(&t, 0, sizeof(t));
	mime_tree_parse(&t, out.data, out.len);
	assert_int_equal(t.parts[0].enc, MIME_ENC_BASE64);
	mime_cte_decode(MIME_ENC_BASE64, out.data + mime_part_body_off(&t.parts[0]),
			t.parts[0].body_size, &dec);
	assert_buf(&dec, "\0x\r\n", 4);
	mime_tree_free(&t);
	buf_reset(&out);
	assert_false(mime_cte_binary_to_base64(multi, sizeof(multi) - 1, &out));
	buf_free(&out);
	buf_free(&dec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qp_rules),
		cmocka_unit_test(test_qp_escapes),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_identity_and_unknown),
		cmocka_unit_test(test_binary_to_base64),
		cmocka_unit_test(test_binary_to_base64_odd_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
