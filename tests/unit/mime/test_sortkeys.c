/* Tests of the SORT/THREAD keys: RFC 5256 2.1 base subject, msg-id scanning, and the
 * msg_sortkeys blob (address keys, RFC 5957 display names, references). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mail/base_subject.h"
#include "mail/message_id.h"
#include "mail/msg_sortkeys.h"
#include "mail/msg_summary.h"
#include "mail/rfc2047.h"
#include "util/buf.h"

/* raw is a Subject value as in the header (encoded words decoded first, as step 1) */
static void
check_base(const char *raw, const char *want, bool want_reply)
{
	struct buf dec = BUF_INIT, out = BUF_INIT;
	bool reply = !want_reply;

	rfc2047_decode(raw, strlen(raw), &dec);
	base_subject(buf_cstr(&dec), dec.len, &out, &reply);
	assert_string_equal(buf_cstr(&out), want);
	assert_int_equal(reply, want_reply);
	buf_free(&dec);
	buf_free(&out);
}

static void
test_base_subject(void **state)
{
	check_base("", "", false);
	check_base("hello world", "HELLO WORLD", false);
	check_base("  hello \t  world  ", "HELLO WORLD", false);
	check_base("Re: hello", "HELLO", true);
	check_base("RE: Re: re:hello", "HELLO", true);
	check_base("Fwd: hello", "HELLO", true);
	check_base("fw: hello", "HELLO", true);
	check_base("Re[2]: hello", "HELLO", true);
	check_base("Re [2]: hello", "HELLO", true);
	check_base("hello (fwd)", "HELLO", true);
	check_base("hello (FWD) (fwd)  ", "HELLO", true);
	check_base("[list] hello", "HELLO", false);
	check_base("[list] Re: [other] hello", "HELLO", true);
	check_base("[xyz]", "[XYZ]", false);
	check_base("[xyz]  ", "[XYZ]", false);
	check_base("[fwd: hello]", "HELLO", true);
	check_base("Re: [FWD: c]", "C", true);
	check_base("re: [fwd: [fwd: re: [fwd: babylon]]]", "BABYLON", true);
	check_base("[foo] Fwd: [bar] Re: fw: b (fWd)  (fwd)", "B", true);
	/* not a reply marker: "Ad" is no "Re", "Reply:" is no "Re:" */
	check_base("Ad: Re: Ad: Re: Ad: x", "AD: RE: AD: RE: AD: X", false);
	check_base("Reply: x", "REPLY: X", false);
	check_base("Re x", "RE X", false);
	/* RFC 2047 */
	check_base("=?iso-8859-1?q?_?=", "", false);
	check_base("Re: =?utf-8?q?b?=", "B", true);
	check_base("=?iso-8859-1?q?RE:_C?=", "C", true);
	check_base("=?us-ascii?b?UmU6IGM=?=", "C", true);
	/* 8-bit stays as it is (only ASCII is case-mapped) */
	check_base("Re: =?utf-8?q?=C3=A9t=C3=A9?=", "\xc3\xa9T\xc3\xa9", true);
	/* unbalanced blobs */
	check_base("[a hello", "[A HELLO", false);
	check_base("[a [b] hello", "[A [B] HELLO", false);
	check_base("Re: [", "[", true);
}

static void
check_ids(const char *value, const char *want)
{
	const char *p = value, *end = value + strlen(value), *id;
	struct buf out = BUF_INIT;
	size_t len;

	while (message_id_next(&p, end, &id, &len)) {
		if (out.len > 0)
			buf_appendc(&out, ' ');
		buf_append(&out, id, len);
	}
	assert_string_equal(buf_cstr(&out), want);
	buf_free(&out);
}

static void
test_message_ids(void **state)
{
	check_ids("<a@b>", "a@b");
	check_ids("  <a@b>  <c@d>\r\n\t<e.f@g.h>", "a@b c@d e.f@g.h");
	check_ids("(comment <x@y>) <a@b>", "a@b");
	check_ids("<no-at> <a@b>", "a@b");
	check_ids("<a b@c> <a@b>", "a@b");
	check_ids("<@b> <a@> <a@b>", "a@b");
	check_ids("<<a@b>", "a@b");
	check_ids("junk a@b <a@b", "");
	check_ids("<>", "");
	check_ids("", "");
	check_ids("<A@B> <a@b>", "A@B a@b"); /* octet for octet: case counts */
}

static void
sortkeys(const char *hdr, struct buf *blob, struct msg_sortkeys *k)
{
	buf_reset(blob);
	msg_sortkeys_build(hdr, strlen(hdr), blob);
	assert_int_equal(msg_sortkeys_parse(blob->data, blob->len, k), 0);
}

static void
assert_key(const struct msg_sortkeys *k, enum msg_sortkey which, const char *want)
{
	assert_int_equal(k->len[which], strlen(want));
	assert_memory_equal(k->key[which], want, k->len[which]);
}

static void
test_sortkeys(void **state)
{
	struct buf blob = BUF_INIT;
	struct msg_sortkeys k;

	sortkeys("From: foo bar <User2@Domain2.org>\r\n"
		 "To: user2@domain1.org\r\n"
		 "Cc: grp: blah@domain1.org;\r\n"
		 "Subject: Re: Hello\r\n"
		 "Message-ID: <m1@x>\r\n"
		 "In-Reply-To: <p@x> <q@x>\r\n"
		 "References: <r1@x>\r\n <r2@x> junk <r3@x>\r\n"
		 "\r\n"
		 "From: not@the.header\r\n",
		 &blob, &k);
	assert_key(&k, MSG_SORTKEY_SUBJECT, "HELLO");
	assert_true(k.subject_reply);
	assert_key(&k, MSG_SORTKEY_FROM, "USER2");
	assert_key(&k, MSG_SORTKEY_TO, "USER2");
	assert_key(&k, MSG_SORTKEY_CC, "GRP"); /* a group's first entry is its name */
	assert_key(&k, MSG_SORTKEY_DISPLAYFROM, "FOO BAR");
	assert_key(&k, MSG_SORTKEY_DISPLAYTO, "USER2@DOMAIN1.ORG");
	assert_key(&k, MSG_SORTKEY_MESSAGE_ID, "m1@x");
	assert_key(&k, MSG_SORTKEY_IN_REPLY_TO, "p@x");
	assert_key(&k, MSG_SORTKEY_REFERENCES, "r1@x r2@x r3@x");

	/* RFC 5957: decoded display names; a group's name; a bare local part */
	sortkeys("From: =?iso-8859-1?q?foo_aar?= <e@f.g>\r\nTo: a: xx@xx.org, yy@yy.org;\r\n\r\n",
		 &blob, &k);
	assert_key(&k, MSG_SORTKEY_DISPLAYFROM, "FOO AAR");
	assert_key(&k, MSG_SORTKEY_DISPLAYTO, "A");
	sortkeys("From: d\r\nTo: empty:;\r\n\r\n", &blob, &k);
	assert_key(&k, MSG_SORTKEY_DISPLAYFROM, "D");
	assert_key(&k, MSG_SORTKEY_DISPLAYTO, "EMPTY");
	sortkeys("From: user2@domain2.org (foo bar)\r\n\r\n", &blob, &k);
	assert_key(&k, MSG_SORTKEY_FROM, "USER2");

	/* nothing at all */
	sortkeys("", &blob, &k);
	for (int i = 0; i < MSG_SORTKEY_COUNT; i++)
		assert_int_equal(k.len[i], 0);
	assert_false(k.subject_reply);

	/* first field of each name wins; NUL in a subject does not cut the blob */
	buf_reset(&blob);
	msg_sortkeys_build("Subject: a\0b\r\nSubject: second\r\n\r\n", 34, &blob);
	assert_int_equal(msg_sortkeys_parse(blob.data, blob.len, &k), 0);
	assert_key(&k, MSG_SORTKEY_SUBJECT, "A B");

	/* not a blob of this version */
	assert_int_equal(msg_sortkeys_parse("2x", 2, &k), -1);
	assert_int_equal(msg_sortkeys_parse("1", 1, &k), -1);
	assert_int_equal(msg_sortkeys_parse("10abc", 5, &k), -1);
	assert_int_equal(msg_sortkeys_parse(NULL, 0, &k), -1);
	buf_free(&blob);
}

/* msg_summary_build keeps the blob (what the store writes at delivery) */
static void
test_summary_has_sortkeys(void **state)
{
	const char *msg = "Subject: Fwd: x\r\nMessage-ID: <a@b>\r\n\r\nSubject: body\r\n";
	struct msg_summary s;
	struct msg_sortkeys k;

	msg_summary_build(msg, strlen(msg), &s);
	assert_int_equal(msg_sortkeys_parse(s.sortkeys.data, s.sortkeys.len, &k), 0);
	assert_key(&k, MSG_SORTKEY_SUBJECT, "X");
	assert_key(&k, MSG_SORTKEY_MESSAGE_ID, "a@b");
	msg_summary_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_subject),
		cmocka_unit_test(test_message_ids),
		cmocka_unit_test(test_sortkeys),
		cmocka_unit_test(test_summary_has_sortkeys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
