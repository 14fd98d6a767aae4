/* Unit tests for the milter protocol codec (src/mail/milter_proto.c): the packets are
 * compared with the bytes libmilter/Postfix put on the wire (milter8.c, mfdef.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mail/milter_proto.h"
#include "util/buf.h"

#define MEM(b, lit) assert_memory_equal((b).data, lit, sizeof(lit) - 1)

static void
test_optneg(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	milter_put_optneg(&b, 6, 0x1ff, 0x1fffff);
	assert_int_equal(b.len, 17);
	MEM(b, "\0\0\0\x0dO\0\0\0\x06\0\0\x01\xff\0\x1f\xff\xff");
	buf_free(&b);
}

static void
test_connect(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	milter_put_connect(&b, "mx.example", "192.0.2.1", 2525);
	MEM(b, "\0\0\0\x19"
	       "Cmx.example\0"
	       "4\x09\xdd"
	       "192.0.2.1\0");
	assert_int_equal(b.len, 4 + 0x19);
	buf_reset(&b);
	milter_put_connect(&b, "h", "::1", 1);
	MEM(b, "\0\0\0\x0a"
	       "Ch\0"
	       "6\0\x01::1\0");
	buf_reset(&b);
	milter_put_connect(&b, "localhost", NULL, 0);
	MEM(b, "\0\0\0\x0c"
	       "Clocalhost\0U");
	buf_free(&b);
}

static void
test_macros_strings_body(void **state)
{
	struct buf b = BUF_INIT;
	const char *pairs[] = {"j", "mx", "daemon_name", "d", "{auth_authen}", "", "i", "Q1", NULL};
	const char *mail[] = {"<a@b>", "SIZE=10"};
	char big[70000];

	(void)state;
	milter_put_macros(&b, 'M', pairs);
	MEM(b, "\0\0\0\x1c"
	       "DMj\0mx\0{daemon_name}\0d\0i\0Q1\0");
	assert_int_equal(b.len, 4 + 0x1c);
	buf_reset(&b);
	milter_put_strings(&b, 'M', mail, 2);
	MEM(b, "\0\0\0\x0f"
	       "M<a@b>\0SIZE=10\0");
	buf_reset(&b);
	memset(big, 'x', sizeof(big));
	milter_put_body(&b, big, sizeof(big));
	assert_int_equal(b.len, 5 + MILTER_CHUNK_SIZE);
	buf_reset(&b);
	milter_put_cmd(&b, 'E');
	MEM(b, "\0\0\0\x01"
	       "E");
	buf_free(&b);
}

static void
test_frame(void **state)
{
	const char pkt[] = "\0\0\0\x03h\0\0extra";
	char cmd;
	const char *payload;
	size_t plen, used;

	(void)state;
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(milter_frame(pkt, i, 100, &cmd, &payload, &plen, &used), 0);
	assert_int_equal(milter_frame(pkt, 7, 100, &cmd, &payload, &plen, &used), 1);
	assert_int_equal(cmd, 'h');
	assert_int_equal(plen, 2);
	assert_int_equal(used, 7);
	assert_ptr_equal(payload, pkt + 5);
	assert_int_equal(milter_frame("\0\0\0\0", 4, 100, &cmd, &payload, &plen, &used), -1);
	assert_int_equal(milter_frame("\0\0\x10\0", 4, 100, &cmd, &payload, &plen, &used), -1);
}

static void
test_parse_replies(void **state)
{
	struct milter_reply r;

	(void)state;
	assert_int_equal(milter_parse_reply('c', "", 0, &r), 0);
	assert_true(milter_reply_is_final('c'));
	assert_false(milter_reply_is_final('h'));
	assert_false(milter_reply_is_final('p'));
	assert_int_equal(milter_parse_reply('h', "X-A\0v w\0", 8, &r), 0);
	assert_string_equal(r.str1, "X-A");
	assert_string_equal(r.str2, "v w");
	assert_int_equal(milter_parse_reply('h', "X-A\0v w", 7, &r), -1); /* no NUL */
	assert_int_equal(milter_parse_reply('h', "X A\0v\0", 6, &r), -1); /* bad name */
	assert_int_equal(milter_parse_reply('h', "\0v\0", 3, &r), -1);    /* empty name */
	assert_int_equal(milter_parse_reply('i', "\0\0\0\x02X\0\0", 7, &r), 0);
	assert_int_equal(r.index, 2);
	assert_string_equal(r.str2, "");
	assert_int_equal(milter_parse_reply('m', "\0\0", 2, &r), -1);
	assert_int_equal(milter_parse_reply('+', "<x@y>\0", 6, &r), 0);
	assert_string_equal(r.str1, "<x@y>");
	assert_int_equal(milter_parse_reply('e', "<x@y>\0", 6, &r), 0);
	assert_null(r.str2);
	assert_int_equal(milter_parse_reply('2', "<x@y>\0A=B\0", 10, &r), 0);
	assert_string_equal(r.str2, "A=B");
	assert_int_equal(milter_parse_reply('b', "ab", 2, &r), 0);
	assert_int_equal(r.len, 2);
	assert_int_equal(milter_parse_reply('q', "why\0", 4, &r), 0);
	assert_int_equal(milter_parse_reply('Z', "", 0, &r), -1);
}

static void
test_replycode(void **state)
{
	struct milter_reply r;
	const char ok[] = "554 5.7.1 Gtube pattern";
	const char ml[] = "550-5.7.1 one\r\n550 5.7.1 two";

	(void)state;
	assert_int_equal(milter_parse_reply('y', ok, sizeof(ok), &r), 0);
	assert_string_equal(r.str1, ok);
	assert_int_equal(milter_parse_reply('y', ml, sizeof(ml), &r), 0);
	assert_int_equal(milter_parse_reply('y', "250 ok", 7, &r), -1);
	assert_int_equal(milter_parse_reply('y', "55", 3, &r), -1);
	assert_int_equal(milter_parse_reply('y', "550 a\nb", 8, &r), -1);
	assert_int_equal(milter_parse_reply('y', "550-a\r\n451 b", 13, &r), -1);
	assert_int_equal(milter_parse_reply('y', "550-a", 6, &r), -1);
	assert_int_equal(milter_parse_reply('y', "451 4.7.1 x", 12, &r), 0);
}

static void
test_optneg_reply(void **state)
{
	struct milter_reply r;
	const char pl[] = "\0\0\0\x06\0\0\x01\xff\0\x0f\xf0\x80"
			  "\0\0\0\x02{mail_addr} i\0";
	const char *p;
	size_t len;
	uint32_t stage;
	const char *macros;

	(void)state;
	assert_int_equal(milter_parse_reply('O', pl, sizeof(pl) - 1, &r), 0);
	assert_int_equal(r.version, 6);
	assert_int_equal(r.actions, 0x1ff);
	assert_int_equal(r.protocol, 0xff080);
	p = r.symlists;
	len = r.symlists_len;
	assert_int_equal(milter_symlist_next(&p, &len, &stage, &macros), 1);
	assert_int_equal(stage, 2);
	assert_string_equal(macros, "{mail_addr} i");
	assert_int_equal(milter_symlist_next(&p, &len, &stage, &macros), 0);
	assert_int_equal(milter_parse_reply('O', pl, 11, &r), -1);
	p = "\0\0\0\x09x\0";
	len = 6;
	assert_int_equal(milter_symlist_next(&p, &len, &stage, &macros), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_optneg),
		cmocka_unit_test(test_connect),
		cmocka_unit_test(test_macros_strings_body),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_parse_replies),
		cmocka_unit_test(test_replycode),
		cmocka_unit_test(test_optneg_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
