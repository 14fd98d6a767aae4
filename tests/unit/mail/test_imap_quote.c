/* Unit tests of the IMAP string quoter (src/mail/imap_quote.c), the one used for ENVELOPE,
 * BODYSTRUCTURE and every IMAP response: quoted vs literal by RFC 3501 9 / RFC 9051 9
 * (QUOTED-CHAR excludes CR, LF and 8-bit; CHAR8 of a literal excludes NUL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mail/imap_quote.h"
#include "util/buf.h"

/* The output of imap_quote_append_string for s[0..len), as a NUL-terminated string. */
static const char *
quote(struct buf *b, const char *s, size_t len)
{
	buf_reset(b);
	imap_quote_append_string(b, s, len);
	return buf_cstr(b);
}

static void
test_quoted(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_string_equal(quote(&b, "hello world", 11), "\"hello world\"");
	assert_string_equal(quote(&b, "", 0), "\"\"");
	assert_string_equal(quote(&b, "a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	/* TAB and other controls but CR/LF are TEXT-CHAR, so they may be quoted */
	assert_string_equal(quote(&b, "a\tb\x01", 4), "\"a\tb\x01\"");
	assert_string_equal(quote(&b, "x\x7f", 2), "\"x\x7f\"");
	buf_free(&b);
}

static void
test_literal(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	/* CR, LF, 8-bit: never in a quoted string */
	assert_string_equal(quote(&b, "line\r\nbreak", 11), "{11}\r\nline\r\nbreak");
	assert_string_equal(quote(&b, "a\rb", 3), "{3}\r\na\rb");
	assert_string_equal(quote(&b, "a\nb", 3), "{3}\r\na\nb");
	assert_string_equal(quote(&b, "\xc3\xa9", 2), "{2}\r\n\xc3\xa9");
	assert_string_equal(quote(&b, "\x80", 1), "{1}\r\n\x80");
	/* NUL: no IMAP string may hold it (CHAR8 = %x01-ff); it becomes '?' */
	quote(&b, "a\0b\0", 4);
	assert_int_equal(b.len, 9);
	assert_memory_equal(b.data, "{4}\r\na?b?", 9);
	buf_free(&b);
}

static void
test_thresholds(void **state)
{
	struct buf b = BUF_INIT;
	char s[1100];

	(void)state;
	/* up to 1024 bytes quoted, beyond that a literal */
	memset(s, 'x', sizeof(s));
	assert_int_equal(quote(&b, s, 1024)[0], '"');
	assert_int_equal(b.len, 1026);
	assert_true(strncmp(quote(&b, s, 1025), "{1025}\r\nxxx", 11) == 0);
	assert_int_equal(b.len, 8 + 1025);
	/* up to 16 escapes quoted, beyond that a literal */
	memset(s, '"', 16);
	assert_int_equal(quote(&b, s, 16)[0], '"');
	assert_int_equal(b.len, 2 + 32);
	memset(s, '\\', 17);
	assert_true(strncmp(quote(&b, s, 17), "{17}\r\n\\\\", 8) == 0);
	assert_int_equal(b.len, 6 + 17);
	buf_free(&b);
}

static void
test_nstring_and_str(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	imap_quote_append_nstring(&b, NULL, 0);
	buf_appendc(&b, ' ');
	imap_quote_append_nstr(&b, NULL);
	buf_appendc(&b, ' ');
	imap_quote_append_nstr(&b, "NIL"); /* the string NIL, not the atom */
	buf_appendc(&b, ' ');
	imap_quote_append_str(&b, "x");
	buf_appendc(&b, ' ');
	imap_quote_append_nstring(&b, "yz", 1);
	assert_string_equal(buf_cstr(&b), "NIL NIL \"NIL\" \"x\" \"y\"");
	/* appends: what came before is kept */
	buf_reset(&b);
	buf_appends(&b, "(TAG ");
	imap_quote_append_str(&b, "A1");
	assert_string_equal(buf_cstr(&b), "(TAG \"A1\"");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_nstring_and_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
