/* Unit tests: msg_summary_build() — IMAP ENVELOPE, BODY and BODYSTRUCTURE against
 * Dovecot's published expectations and RFC 3501, plus bad MIME. Messages are written
 * with LF and converted to CRLF (what the store hands over) unless a test says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../fuzz/mime/imap_body_check.h"
#include "mail/mime.h"
#include "mail/msg_summary.h"

static void
to_crlf(const char *lf, struct buf *out)
{
	for (; *lf != '\0'; lf++) {
		if (*lf == '\n')
			buf_appendc(out, '\r');
		buf_appendc(out, *lf);
	}
}

static void
build(const char *lf_msg, struct msg_summary *s)
{
	struct buf m = BUF_INIT;

	to_crlf(lf_msg, &m);
	msg_summary_build(buf_cstr(&m), m.len, s);
	assert_true(imap_body_check(s->body.data, s->body.len, false));
	assert_true(imap_body_check(s->bodystructure.data, s->bodystructure.len, true));
	assert_true(imap_envelope_check(s->envelope.data, s->envelope.len));
	buf_free(&m);
}

/* expected strings are given without the outer parentheses, as in Dovecot's tests */
static void
check(const char *lf_msg, const char *body, const char *bs)
{
	struct msg_summary s;
	struct buf e = BUF_INIT;

	build(lf_msg, &s);
	buf_printf(&e, "(%s)", body);
	assert_string_equal(buf_cstr(&s.body), buf_cstr(&e));
	buf_reset(&e);
	buf_printf(&e, "(%s)", bs);
	assert_string_equal(buf_cstr(&s.bodystructure), buf_cstr(&e));
	buf_free(&e);
	msg_summary_free(&s);
}

static void
check_env(const char *lf_msg, const char *env)
{
	struct msg_summary s;
	struct buf e = BUF_INIT;

	build(lf_msg, &s);
	buf_printf(&e, "(%s)", env);
	assert_string_equal(buf_cstr(&s.envelope), buf_cstr(&e));
	buf_free(&e);
	msg_summary_free(&s);
}

/* ---- Dovecot's test-imap-bodystructure.c vectors ---- */

static void
test_dovecot_simple(void **state)
{
	(void)state;
	check("From: user@domain.org\nDate: Sat, 24 Mar 2017 23:00:00 +0200\nMime-Version: 1.0\n"
	      "Content-Type: text/plain; charset=us-ascii\n\nbody\n",
	      "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1",
	      "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1 NIL NIL NIL NIL");
	check("From: user@domain.org\nDate: Sat, 24 Mar 2017 23:00:00 +0200\nMime-Version: 1.0\n"
	      "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
	      "body\n\n",
	      "\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"8bit\" 8 2",
	      "\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"8bit\" 8 2 NIL NIL NIL NIL");
}

static void
test_dovecot_folded_boundary(void **state)
{
	(void)state;
	check("From: user@domain.org\nDate: Sat, 24 Mar 2007 23:00:00 +0200\nMime-Version: 1.0\n"
	      "Content-Type: multipart/mixed; boundary=\"foo\n bar\"\n\n--foo bar\n"
	      "Content-Type: text/x-myown; charset=us-ascii\n\nhello\n\n--foo bar--\n\n",
	      "(\"text\" \"x-myown\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1) \"mixed\"",
	      "(\"text\" \"x-myown\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1 NIL NIL NIL "
	      "NIL)"
	      " \"mixed\" (\"boundary\" \"foo bar\") NIL NIL NIL");
}

static void
test_dovecot_rfc822(void **state)
{
	(void)state;
	check("From: user@domain.org\nDate: Sat, 24 Mar 2017 23:00:00 +0200\nMime-Version: 1.0\n"
	      "Content-Type: multipart/mixed; boundary=\"foo bar\"\n\n--foo bar\n"
	      "Content-Type: text/plain; charset=us-ascii\nContent-ID: <A.frop.example.com>\n"
	      "Content-Description: Container message\n\nSee attached...\n\n--foo bar\n"
	      "Content-Type: message/rfc822\nContent-ID: <B.frop.example.com>\n"
	      "Content-Description: Forwarded\n\nFrom: user@domain.org\n"
	      "Date: Sat, 24 Mar 2017 23:00:00 +0200\nMime-Version: 1.0\n"
	      "Content-Type: text/plain; charset=us-ascii\n\nbody\n\n--foo bar--\n",
	      "(\"text\" \"plain\" (\"charset\" \"us-ascii\") \"<A.frop.example.com>\" "
	      "\"Container message\" \"7bit\" 17 1)(\"message\" \"rfc822\" NIL "
	      "\"<B.frop.example.com>\" \"Forwarded\" \"7bit\" 133 (\"Sat, 24 Mar 2017 23:00:00 "
	      "+0200\" NIL ((NIL NIL \"user\" \"domain.org\")) ((NIL NIL \"user\" \"domain.org\")) "
	      "((NIL NIL \"user\" \"domain.org\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" "
	      "(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1) 6) \"mixed\"",
	      "(\"text\" \"plain\" (\"charset\" \"us-ascii\") \"<A.frop.example.com>\" "
	      "\"Container message\" \"7bit\" 17 1 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL "
	      "\"<B.frop.example.com>\" \"Forwarded\" \"7bit\" 133 (\"Sat, 24 Mar 2017 23:00:00 "
	      "+0200\" NIL ((NIL NIL \"user\" \"domain.org\")) ((NIL NIL \"user\" \"domain.org\")) "
	      "((NIL NIL \"user\" \"domain.org\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" "
	      "(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1 NIL NIL NIL NIL) 6 NIL NIL NIL NIL) "
	      "\"mixed\" (\"boundary\" \"foo bar\") NIL NIL NIL");
}

static void
test_dovecot_extensions(void **state)
{
	(void)state;
	check("From: user@domain.org\nDate: Sat, 24 Mar 2007 23:00:00 +0200\nMime-Version: 1.0\n"
	      "Content-Type: multipart/mixed; boundary=\"foo\n bar\"\n\nRoot MIME prologue\n\n"
	      "--foo bar\nContent-Type: text/x-myown; charset=us-ascii; foo=\"quoted\\\"string\"\n"
	      "Content-ID: <foo@example.com>\nContent-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n"
	      "Content-Disposition: inline; foo=bar\nContent-Description: hellodescription\n"
	      "Content-Language: en, fi, se\nContent-Location: http://example.com/test.txt\n\n"
	      "hello\n\n--foo bar\nContent-Type: message/rfc822\n\nFrom: sub@domain.org\n"
	      "To: sub-to1@domain.org, sub-to2@domain.org\nDate: Sun, 12 Aug 2012 12:34:56 +0300\n"
	      "Subject: submsg\nContent-Type: multipart/alternative; boundary=\"sub1\"\n\n"
	      "Sub MIME prologue\n--sub1\nContent-Type: text/html\nContent-Transfer-Encoding: "
	      "8bit\n"
	      "\n<p>Hello world</p>\n\n--sub1\nContent-Type: text/plain\n"
	      "Content-Transfer-Encoding: ?invalid\n\nHello another world\n\n--sub1--\n"
	      "Sub MIME epilogue\n\n--foo bar--\nRoot MIME epilogue\n",
	      "(\"text\" \"x-myown\" (\"charset\" \"us-ascii\" \"foo\" \"quoted\\\"string\") "
	      "\"<foo@example.com>\" \"hellodescription\" \"7bit\" 7 1)(\"message\" \"rfc822\" NIL "
	      "NIL NIL \"7bit\" 412 (\"Sun, 12 Aug 2012 12:34:56 +0300\" \"submsg\" ((NIL NIL "
	      "\"sub\" \"domain.org\")) ((NIL NIL \"sub\" \"domain.org\")) ((NIL NIL \"sub\" "
	      "\"domain.org\")) ((NIL NIL \"sub-to1\" \"domain.org\")(NIL NIL \"sub-to2\" "
	      "\"domain.org\")) NIL NIL NIL NIL) ((\"text\" \"html\" (\"charset\" \"us-ascii\") "
	      "NIL "
	      "NIL \"8bit\" 20 1)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	      "21 "
	      "1) \"alternative\") 21) \"mixed\"",
	      "(\"text\" \"x-myown\" (\"charset\" \"us-ascii\" \"foo\" \"quoted\\\"string\") "
	      "\"<foo@example.com>\" \"hellodescription\" \"7bit\" 7 1 "
	      "\"Q2hlY2sgSW50ZWdyaXR5IQ==\" "
	      "(\"inline\" (\"foo\" \"bar\")) (\"en\" \"fi\" \"se\") "
	      "\"http://example.com/test.txt\")"
	      "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 412 (\"Sun, 12 Aug 2012 12:34:56 "
	      "+0300\" "
	      "\"submsg\" ((NIL NIL \"sub\" \"domain.org\")) ((NIL NIL \"sub\" \"domain.org\")) "
	      "((NIL NIL \"sub\" \"domain.org\")) ((NIL NIL \"sub-to1\" \"domain.org\")(NIL NIL "
	      "\"sub-to2\" \"domain.org\")) NIL NIL NIL NIL) ((\"text\" \"html\" (\"charset\" "
	      "\"us-ascii\") NIL NIL \"8bit\" 20 1 NIL NIL NIL NIL)(\"text\" \"plain\" "
	      "(\"charset\" "
	      "\"us-ascii\") NIL NIL \"7bit\" 21 1 NIL NIL NIL NIL) \"alternative\" (\"boundary\" "
	      "\"sub1\") NIL NIL NIL) 21 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"foo bar\") NIL "
	      "NIL NIL");
}

static void
test_dovecot_empty_multipart(void **state)
{
	(void)state;
	check("Content-Type: multipart/mixed; boundary=\"foo\"\n\n",
	      "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) \"mixed\"",
	      "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)"
	      " \"mixed\" (\"boundary\" \"foo\") NIL NIL NIL");
}

static void
test_dovecot_envelopes(void **state)
{
	(void)state;
	check_env("Message-ID: <msg@id>\nIn-Reply-To: <reply@to.id>\n"
		  "Date: Thu, 15 Feb 2007 01:02:03 +0200\nSubject: subject header\n"
		  "From: From Real <fromuser@fromdomain.org>\nTo: To Real <touser@todomain.org>\n"
		  "Cc: Cc Real <ccuser@ccdomain.org>\nBcc: Bcc Real <bccuser@bccdomain.org>\n"
		  "Sender: Sender Real <senderuser@senderdomain.org>\n"
		  "Reply-To: ReplyTo Real <replytouser@replytodomain.org>\n\nbody\n",
		  "\"Thu, 15 Feb 2007 01:02:03 +0200\" \"subject header\" "
		  "((\"From Real\" NIL \"fromuser\" \"fromdomain.org\")) "
		  "((\"Sender Real\" NIL \"senderuser\" \"senderdomain.org\")) "
		  "((\"ReplyTo Real\" NIL \"replytouser\" \"replytodomain.org\")) "
		  "((\"To Real\" NIL \"touser\" \"todomain.org\")) "
		  "((\"Cc Real\" NIL \"ccuser\" \"ccdomain.org\")) "
		  "((\"Bcc Real\" NIL \"bccuser\" \"bccdomain.org\")) \"<reply@to.id>\" "
		  "\"<msg@id>\"");
	check_env("Date: Thu, 15 Feb 2007 01:02:03 +0200\nFrom: user@domain (Real Name)\n"
		  "Sender: \nReply-To: \n\nbody\n",
		  "\"Thu, 15 Feb 2007 01:02:03 +0200\" NIL "
		  "((\"Real Name\" NIL \"user\" \"domain\")) ((\"Real Name\" NIL \"user\" "
		  "\"domain\")) "
		  "((\"Real Name\" NIL \"user\" \"domain\")) NIL NIL NIL NIL NIL");
	check_env("Date: Thu, 15 Feb 2007 01:02:03 +0200\nFrom: <@route:user@domain>\n\nbody\n",
		  "\"Thu, 15 Feb 2007 01:02:03 +0200\" NIL "
		  "((NIL \"@route\" \"user\" \"domain\")) ((NIL \"@route\" \"user\" \"domain\")) "
		  "((NIL \"@route\" \"user\" \"domain\")) NIL NIL NIL NIL NIL");
	check_env("\n", "NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL");
}

/* ---- tricky inputs ---- */

static void
test_alternative_in_mixed_encoded_words(void **state)
{
	struct msg_summary s;

	(void)state;
	build("From: =?iso-8859-1?q?J=F6rg_Doe?= <jorg@example.test>\n"
	      "To: =?utf-8?b?0JjQstCw0L0=?= <ivan@example.test>, plain@example.test\n"
	      "Cc: \"=?utf-8?q?caf=C3=A9?=\" <cafe@example.test>\n"
	      "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= =?utf-8?q?_aus_K=C3=B6ln?=\n"
	      "Message-ID: <1@example.test>\n"
	      "Date: Mon, 1 Jan 2024 10:00:00 +0100\nMIME-Version: 1.0\n"
	      "Content-Type: multipart/mixed; boundary=outer\n\n"
	      "--outer\nContent-Type: multipart/alternative; boundary=inner\n\n"
	      "--inner\nContent-Type: text/plain; charset=utf-8\n"
	      "Content-Transfer-Encoding: quoted-printable\n\nHall=C3=B6chen\n"
	      "--inner\nContent-Type: text/html; charset=utf-8\n\n<b>Hi</b>\n--inner--\n"
	      "--outer\nContent-Type: application/pdf; name=\"a.pdf\"\n"
	      "Content-Disposition: attachment;\n filename*0*=utf-8''%E2%82%AC;\n"
	      " filename*1*=rate.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n--outer--\n",
	      &s);
	assert_string_equal(buf_cstr(&s.subject), "Gr\xc3\xbc\xc3\x9f"
						  "e aus K\xc3\xb6ln");
	assert_string_equal(buf_cstr(&s.from), "J\xc3\xb6rg Doe <jorg@example.test>");
	assert_string_equal(
		buf_cstr(&s.to),
		"\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd <ivan@example.test>, plain@example.test");
	assert_string_equal(buf_cstr(&s.cc), "\"caf\xc3\xa9\" <cafe@example.test>");
	assert_string_equal(buf_cstr(&s.message_id), "<1@example.test>");
	assert_int_equal((long long)s.sent_date, 1704099600);
	assert_int_equal(s.sent_tz, 3600);
	/* the envelope keeps the raw encoded words */
	assert_non_null(strstr(buf_cstr(&s.envelope),
			       "\"=?utf-8?q?Gr=C3=BC=C3=9Fe?= =?utf-8?q?_aus_K=C3=B6ln?=\""));
	assert_non_null(
		strstr(buf_cstr(&s.envelope),
		       "((\"=?iso-8859-1?q?J=F6rg_Doe?=\" NIL \"jorg\" \"example.test\"))"));
	assert_string_equal(
		buf_cstr(&s.body),
		"(((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 14 0)"
		"(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 9 0) \"alternative\")"
		"(\"application\" \"pdf\" (\"name\" \"a.pdf\") NIL NIL \"base64\" 8) \"mixed\")");
	assert_non_null(strstr(buf_cstr(&s.bodystructure),
			       "(\"attachment\" (\"filename*\" \"utf-8''%E2%82%ACrate.pdf\"))"));
	msg_summary_free(&s);
}

static void
test_missing_content_type(void **state)
{
	(void)state;
	check("Subject: x\n\nhello\nworld\n",
	      "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 2",
	      "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 2 NIL NIL NIL "
	      "NIL");
	/* an unparsable Content-Type is as good as none */
	check("Content-Type: text\n\nhi\n",
	      "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 1",
	      "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 1 NIL NIL NIL NIL");
	check("Content-Type: image/png\n\nxx\n", "\"image\" \"png\" NIL NIL NIL \"7bit\" 4",
	      "\"image\" \"png\" NIL NIL NIL \"7bit\" 4 NIL NIL NIL NIL");
	check("Content-Type: TEXT/HTML (comment); CHARSET = \"UTF-8\" (c)\n\nhi\n",
	      "\"TEXT\" \"HTML\" (\"CHARSET\" \"UTF-8\") NIL NIL \"7bit\" 4 1",
	      "\"TEXT\" \"HTML\" (\"CHARSET\" \"UTF-8\") NIL NIL \"7bit\" 4 1 NIL NIL NIL NIL");
}

static void
test_bad_boundaries(void **state)
{
	(void)state;
	/* the boundary never occurs: no parts */
	check("Content-Type: multipart/mixed; boundary=nothere\n\n--other\n\nx\n",
	      "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) \"mixed\"",
	      "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)"
	      " \"mixed\" (\"boundary\" \"nothere\") NIL NIL NIL");
	/* no boundary parameter at all: opaque */
	check("Content-Type: multipart/mixed\n\n--x\n\nhi\n",
	      "\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" 11",
	      "\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" 11 NIL NIL NIL NIL");
	/* never closed: the last part runs to the end */
	check("Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\nthree\n",
	      "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0)"
	      "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 2) \"mixed\"",
	      "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0 NIL NIL NIL NIL)"
	      "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 2 NIL NIL NIL "
	      "NIL)"
	      " \"mixed\" (\"boundary\" \"b\") NIL NIL NIL");
	/* junk after the boundary and a part header cut short by the next boundary */
	check("Content-Type: multipart/mixed; boundary=b\n\n--b  junk\nContent-Type: text/html\n"
	      "--b\n\nx\n--b--junk\nepilogue\n",
	      "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)"
	      "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0) \"mixed\"",
	      "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)"
	      "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL NIL NIL NIL)"
	      " \"mixed\" (\"boundary\" \"b\") NIL NIL NIL");
	/* an inner part ended by the outer boundary */
	check("Content-Type: multipart/mixed; boundary=out\n\n--out\n"
	      "Content-Type: multipart/mixed; boundary=in\n\n--in\n\nx\n--out\n\ny\n--out--\n",
	      "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0) \"mixed\")"
	      "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0) \"mixed\"",
	      "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL NIL NIL "
	      "NIL)"
	      " \"mixed\" (\"boundary\" \"in\") NIL NIL NIL)"
	      "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL NIL NIL NIL)"
	      " \"mixed\" (\"boundary\" \"out\") NIL NIL NIL");
}

static void
test_no_body_and_header_only(void **state)
{
	struct msg_summary s;

	(void)state;
	check("Subject: x\n\n",
	      "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0",
	      "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL");
	build("Subject: only a header\n", &s);
	assert_int_equal(s.header_size, strlen("Subject: only a header\r\n"));
	assert_int_equal(s.body_lines, 0);
	assert_string_equal(buf_cstr(&s.subject), "only a header");
	msg_summary_free(&s);
	check("", "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0",
	      "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL");
}

static void
test_lf_only(void **state)
{
	const char *m = "Subject: lf\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nabc\n"
			"--b--\n";
	struct msg_summary s;

	(void)state;
	msg_summary_build(m, strlen(m), &s);
	assert_string_equal(buf_cstr(&s.body),
			    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0)"
			    " \"mixed\")");
	assert_int_equal(s.header_size, strlen("Subject: lf\nContent-Type: multipart/mixed; "
					       "boundary=b\n\n"));
	msg_summary_free(&s);
}

static void
test_8bit_headers(void **state)
{
	struct msg_summary s;

	(void)state;
	build("Subject: Gr\xc3\xbc\xc3\x9f"
	      "e \"quoted\"\nFrom: J\xf6rg <j@x.test>\n\nbody\n",
	      &s);
	/* 8-bit: a literal in the envelope; decoded fields are valid UTF-8 */
	assert_non_null(strstr(buf_cstr(&s.envelope), "{16}\r\nGr\xc3\xbc\xc3\x9f"
						      "e \"quoted\""));
	assert_string_equal(buf_cstr(&s.subject), "Gr\xc3\xbc\xc3\x9f"
						  "e \"quoted\"");
	assert_string_equal(buf_cstr(&s.from), "J\xc3\xb6rg <j@x.test>");
	msg_summary_free(&s);
}

static void
test_rfc822_variants(void **state)
{
	(void)state;
	/* message/rfc822 in base64 can't be parsed: opaque */
	check("Content-Type: message/rfc822\nContent-Transfer-Encoding: "
	      "base64\n\nU3ViamVjdDogeA==\n",
	      "\"application\" \"octet-stream\" NIL NIL NIL \"base64\" 18",
	      "\"application\" \"octet-stream\" NIL NIL NIL \"base64\" 18 NIL NIL NIL NIL");
	/* top-level message/rfc822; empty encapsulated message */
	check("Content-Type: message/rfc822\n\nSubject: inner\n\nhi\n",
	      "\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 22 (NIL \"inner\" NIL NIL NIL NIL NIL "
	      "NIL "
	      "NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 1) 3",
	      "\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 22 (NIL \"inner\" NIL NIL NIL NIL NIL "
	      "NIL "
	      "NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 1 NIL "
	      "NIL "
	      "NIL NIL) 3 NIL NIL NIL NIL");
	/* digest: parts default to message/rfc822 */
	check("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: a\n\nx\n--d--\n",
	      "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 15 (NIL \"a\" NIL NIL NIL NIL NIL NIL "
	      "NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0) 2) "
	      "\"digest\"",
	      "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 15 (NIL \"a\" NIL NIL NIL NIL NIL NIL "
	      "NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL "
	      "NIL "
	      "NIL NIL) 2 NIL NIL NIL NIL) \"digest\" (\"boundary\" \"d\") NIL NIL NIL");
}

static void
test_deep_nesting(void **state)
{
	struct buf m = BUF_INIT;
	struct msg_summary s;
	int i;

	(void)state;
	for (i = 0; i < 300; i++)
		buf_printf(&m, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i,
			   i);
	buf_appends(&m, "\r\nleaf\r\n");
	for (i = 300; i-- > 0;)
		buf_printf(&m, "--b%d--\r\n", i);
	msg_summary_build(m.data, m.len, &s);
	assert_true(imap_body_check(s.body.data, s.body.len, false));
	assert_true(imap_body_check(s.bodystructure.data, s.bodystructure.len, true));
	assert_non_null(strstr(buf_cstr(&s.body), "\"application\" \"octet-stream\""));
	msg_summary_free(&s);
	/* and nested message/rfc822 */
	buf_reset(&m);
	for (i = 0; i < 300; i++)
		buf_appends(&m, "Content-Type: message/rfc822\r\n\r\n");
	buf_appends(&m, "\r\nleaf\r\n");
	msg_summary_build(m.data, m.len, &s);
	assert_true(imap_body_check(s.bodystructure.data, s.bodystructure.len, true));
	msg_summary_free(&s);
	buf_free(&m);
}

static void
test_many_parts(void **state)
{
	struct buf m = BUF_INIT;
	struct mime_tree t;
	int i;

	(void)state;
	buf_appends(&m, "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (i = 0; i < MIME_MAX_PARTS + 100; i++)
		buf_appends(&m, "--b\r\n\r\nx\r\n");
	mime_tree_parse(&t, m.data, m.len);
	assert_int_equal(t.nparts, MIME_MAX_PARTS);
	mime_tree_free(&t);
	buf_free(&m);
}

static void
test_quoting(void **state)
{
	(void)state;
	check("Content-Type: text/plain; name=\"a\\\\b\"\nContent-Description: line\n two\n\nx\n",
	      "\"text\" \"plain\" (\"name\" \"a\\\\b\" \"charset\" \"us-ascii\") NIL \"line two\" "
	      "\"7bit\" 3 1",
	      "\"text\" \"plain\" (\"name\" \"a\\\\b\" \"charset\" \"us-ascii\") NIL \"line two\" "
	      "\"7bit\" 3 1 NIL NIL NIL NIL");
	check("Content-Type: application/x; name=\"\xc3\xa9.txt\"\n\nx\n",
	      "\"application\" \"x\" (\"name\" {6}\r\n\xc3\xa9.txt) NIL NIL \"7bit\" 3",
	      "\"application\" \"x\" (\"name\" {6}\r\n\xc3\xa9.txt) NIL NIL \"7bit\" 3 NIL NIL NIL "
	      "NIL");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dovecot_simple),
		cmocka_unit_test(test_dovecot_folded_boundary),
		cmocka_unit_test(test_dovecot_rfc822),
		cmocka_unit_test(test_dovecot_extensions),
		cmocka_unit_test(test_dovecot_empty_multipart),
		cmocka_unit_test(test_dovecot_envelopes),
		cmocka_unit_test(test_alternative_in_mixed_encoded_words),
		cmocka_unit_test(test_missing_content_type),
		cmocka_unit_test(test_bad_boundaries),
		cmocka_unit_test(test_no_body_and_header_only),
		cmocka_unit_test(test_lf_only),
		cmocka_unit_test(test_8bit_headers),
		cmocka_unit_test(test_rfc822_variants),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_many_parts),
		cmocka_unit_test(test_quoting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
