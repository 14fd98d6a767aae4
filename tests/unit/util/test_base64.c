/* Unit tests of base64 (src/util/base64.c): RFC 4648 section 10 vectors, strict
 * decoding for SASL (RFC 4954 4) and lenient decoding for MIME bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/base64.h"
#include "util/buf.h"

static const char *const vectors[][2] = {
	{"", ""},
	{"f", "Zg=="},
	{"fo", "Zm8="},
	{"foo", "Zm9v"},
	{"foob", "Zm9vYg=="},
	{"fooba", "Zm9vYmE="},
	{"foobar", "Zm9vYmFy"},
};

static void
test_rfc4648_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct buf enc = BUF_INIT, dec = BUF_INIT, len = BUF_INIT;

		base64_encode(&enc, vectors[i][0], strlen(vectors[i][0]));
		assert_string_equal(buf_cstr(&enc), vectors[i][1]);
		assert_int_equal(base64_decode(&dec, vectors[i][1], strlen(vectors[i][1])), 0);
		assert_string_equal(buf_cstr(&dec), vectors[i][0]);
		base64_decode_lenient(&len, vectors[i][1], strlen(vectors[i][1]));
		assert_string_equal(buf_cstr(&len), vectors[i][0]);
		buf_free(&enc);
		buf_free(&dec);
		buf_free(&len);
	}
}

static void
test_roundtrip_binary(void **state)
{
	unsigned char data[300];
	size_t n, i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 37 + 11);
	for (n = 0; n <= sizeof(data); n++) {
		struct buf enc = BUF_INIT, dec = BUF_INIT;

		buf_appends(&enc, "pre:"); /* encode appends */
		base64_encode(&enc, data, n);
		assert_int_equal(enc.len, 4 + (n + 2) / 3 * 4);
		assert_int_equal(base64_decode(&dec, enc.data + 4, enc.len - 4), 0);
		assert_int_equal(dec.len, n);
		if (n > 0)
			assert_memory_equal(dec.data, data, n);
		buf_free(&enc);
		buf_free(&dec);
	}
}

static int
strict(const char *s)
{
	struct buf b = BUF_INIT;
	int ret = base64_decode(&b, s, strlen(s));

	buf_free(&b);
	return ret;
}

static void
test_strict_rejects(void **state)
{
	(void)state;
	assert_int_equal(strict("Zm9v"), 0);
	assert_int_equal(strict("Zm9"), -1); /* not a multiple of 4 */
	assert_int_equal(strict("Zm9vY"), -1);
	assert_int_equal(strict("Zm 9v"), -1); /* whitespace */
	assert_int_equal(strict("Zm9v\r\n"), -1);
	assert_int_equal(strict("Zm9*"), -1); /* bad character */
	assert_int_equal(strict("Zm9-"), -1); /* base64url is not base64 */
	assert_int_equal(strict("Z==="), -1); /* three pads */
	assert_int_equal(strict("===="), -1);
	assert_int_equal(strict("Zg=a"), -1); /* data after a pad */
	assert_int_equal(strict("Z=g="), -1);
	assert_int_equal(strict("Zg==Zm9v"), -1); /* pad in the middle */
	assert_int_equal(strict("Zm8=Zm8="), -1);
	assert_int_equal(strict("Zg=="), 0);
	assert_int_equal(strict("Zm8="), 0);
	assert_int_equal(strict(""), 0);
}

static void
test_strict_nul(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	/* a NUL inside the given length is a bad character, not the end */
	assert_int_equal(base64_decode(&b, "Zm\0v", 4), -1);
	buf_free(&b);
	/* SASL PLAIN: authzid NUL authcid NUL passwd */
	assert_int_equal(base64_decode(&b, "AHVzZXIAcGFzcw==", 16), 0);
	assert_int_equal(b.len, 10);
	assert_memory_equal(b.data, "\0user\0pass", 10);
	buf_free(&b);
}

static void
test_lenient(void **state)
{
	struct buf b = BUF_INIT;
	const char *in = "Zm9v\r\nYmFy\r\n";
	const char *junk = " Zm*9v YmF\ty!";

	(void)state;
	base64_decode_lenient(&b, in, strlen(in));
	assert_string_equal(buf_cstr(&b), "foobar");
	buf_reset(&b);
	base64_decode_lenient(&b, junk, strlen(junk));
	assert_string_equal(buf_cstr(&b), "foobar");
	buf_reset(&b);
	/* stops at the first '=' */
	base64_decode_lenient(&b, "Zg==Zm9v", 8);
	assert_string_equal(buf_cstr(&b), "f");
	buf_reset(&b);
	/* missing padding and a dangling 6 bits */
	base64_decode_lenient(&b, "Zm9vYg", 6);
	assert_string_equal(buf_cstr(&b), "foob");
	buf_reset(&b);
	base64_decode_lenient(&b, "Zm9vY", 5);
	assert_string_equal(buf_cstr(&b), "foo");
	buf_reset(&b);
	base64_decode_lenient(&b, "", 0);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors), cmocka_unit_test(test_roundtrip_binary),
		cmocka_unit_test(test_strict_rejects),  cmocka_unit_test(test_strict_nul),
		cmocka_unit_test(test_lenient),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
