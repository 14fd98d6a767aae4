/* Unit tests for the spam filter's tokenizer (src/mail/spam_tokens.c) and header checks
 * (src/mail/spam_checks.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mail/spam_checks.h"
#include "mail/spam_tokens.h"
#include "util/buf.h"

static bool
has(const struct spam_tokens *t, const char *token)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i], token) == 0)
			return true;
	return false;
}

static void
tokenize(const char *msg, size_t max, struct spam_tokens *t)
{
	spam_tokens_init(t);
	spam_tokenize(msg, strlen(msg), max, t);
}

static void
test_plain(void **state)
{
	struct spam_tokens t;

	(void)state;
	tokenize("From: Ann Lee <Ann@Example.ORG>\r\n"
		 "Subject: =?utf-8?q?Cheap_V=C3=ADagra?= NOW!!\r\n"
		 "Received: from spammy by us\r\n"
		 "X-Spam: No\r\n"
		 "Date: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
		 "\r\n"
		 "Hello, (friend) buy now: \"cheap\" pills... at\r\n"
		 "https://Shop.Pills.Example/x?y=1 or at a.\r\n"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n",
		 65536, &t);
	/* header names, words, addresses */
	assert_true(has(&t, "h:from"));
	assert_true(has(&t, "h:subject"));
	assert_true(has(&t, "from:addr:ann@example.org"));
	assert_true(has(&t, "from:dom:example.org"));
	assert_true(has(&t, "from:ann"));
	assert_true(has(&t, "subject:cheap"));
	assert_true(has(&t, "subject:v\xc3\xad"
			    "agra"));
	assert_true(has(&t, "subject:now!!"));
	/* trace fields, our own fields and Date: give nothing */
	assert_false(has(&t, "h:received"));
	assert_false(has(&t, "h:x-spam"));
	assert_false(has(&t, "h:date"));
	/* body words: lower-cased, outer punctuation stripped, short ones dropped */
	assert_true(has(&t, "hello"));
	assert_true(has(&t, "friend"));
	assert_true(has(&t, "cheap"));
	assert_true(has(&t, "pills"));
	assert_false(has(&t, "at"));
	assert_false(has(&t, "a"));
	assert_true(has(&t, "url:shop.pills.example"));
	assert_true(has(&t, "url:pills.example"));
	assert_true(has(&t, "skip:x:50"));
	/* distinct: "cheap" appears once */
	size_t n = 0;
	for (size_t i = 0; i < t.n; i++)
		n += strcmp(t.v[i], "cheap") == 0;
	assert_int_equal(n, 1);
	spam_tokens_free(&t);
}

static void
test_mime_decoded(void **state)
{
	struct spam_tokens t;

	(void)state;
	tokenize("Content-Type: multipart/alternative; boundary=b\r\n"
		 "\r\n"
		 "--b\r\n"
		 "Content-Type: text/plain; charset=iso-8859-1\r\n"
		 "Content-Transfer-Encoding: quoted-printable\r\n"
		 "\r\n"
		 "Gr=FC=DFe aus M=FCnchen, lotte=\r\n"
		 "ry winner\r\n"
		 "--b\r\n"
		 "Content-Type: text/html\r\n"
		 "Content-Transfer-Encoding: base64\r\n"
		 "\r\n"
		 "PHA+PGEgaHJlZj0iaHR0cDovL2V2aWwuZXhhbXBsZS9hIj5DbGFpbTwvYT4gcHJpemU8L3A+\r\n"
		 "--b\r\n"
		 "Content-Type: application/octet-stream\r\n"
		 "\r\n"
		 "secretword\r\n"
		 "--b--\r\n",
		 65536, &t);
	assert_true(has(&t, "gr\xc3\xbc\xc3\x9f"
			    "e"));
	assert_true(has(&t, "m\xc3\xbcnchen"));
	assert_true(has(&t, "lottery"));
	assert_true(has(&t, "winner"));
	/* base64 HTML: tags dropped, the link kept */
	assert_true(has(&t, "claim"));
	assert_true(has(&t, "prize"));
	assert_true(has(&t, "url:evil.example"));
	assert_false(has(&t, "<p><a"));
	/* not a text part */
	assert_false(has(&t, "secretword"));
	spam_tokens_free(&t);
}

static void
test_bounded(void **state)
{
	struct spam_tokens t;
	struct buf b = BUF_INIT;

	(void)state;
	buf_appends(&b, "Subject: x\r\n\r\nearlyword\r\n");
	for (int i = 0; i < 5000; i++)
		buf_printf(&b, "filler%d ", i);
	buf_appends(&b, "\r\nlateword\r\n");
	tokenize(buf_cstr(&b), 1024, &t);
	assert_true(has(&t, "earlyword"));
	assert_false(has(&t, "lateword"));
	assert_true(t.n < 200);
	spam_tokens_free(&t);
	/* the distinct-token cap */
	tokenize(buf_cstr(&b), 1 << 20, &t);
	assert_int_equal(t.n, SPAM_TOKENS_MAX);
	spam_tokens_free(&t);
	buf_free(&b);
}

#define NOW 1796119200 /* Tue, 1 Dec 2026 10:00:00 +0000 */

static unsigned
checks(const char *msg)
{
	return spam_checks_run(msg, strlen(msg), 65536, NOW);
}

static void
test_checks(void **state)
{
	const char *good_trace = "Date: Tue, 1 Dec 2026 09:59:00 +0000\r\nMessage-ID: <a@b>\r\n";
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(checks("Subject: x\r\n\r\nbody\r\n"),
			 SPAM_CHECK_NO_DATE | SPAM_CHECK_NO_MESSAGE_ID);
	buf_printf(&b, "%sFrom: Ann <ann@example.org>\r\n\r\nbody\r\n", good_trace);
	assert_int_equal(checks(buf_cstr(&b)), 0);
	/* display-name spoofing: another domain, not a parent of the real one */
	buf_reset(&b);
	buf_printf(&b, "%sFrom: \"service@paypal.com\" <x@evil.example>\r\n\r\n", good_trace);
	assert_int_equal(checks(buf_cstr(&b)), SPAM_CHECK_FROM_SPOOF);
	buf_reset(&b);
	buf_printf(&b,
		   "%sFrom: =?utf-8?q?PayPal_=3Cservice=40paypal=2Ecom=3E?= <x@evil.example>"
		   "\r\n\r\n",
		   good_trace);
	assert_int_equal(checks(buf_cstr(&b)), SPAM_CHECK_FROM_SPOOF);
	buf_reset(&b);
	buf_printf(&b, "%sFrom: \"service@paypal.com\" <x@mail.paypal.com>\r\n\r\n", good_trace);
	assert_int_equal(checks(buf_cstr(&b)), 0);
	buf_reset(&b);
	buf_printf(&b, "%sFrom: \"Ann @ home\" <ann@example.org>\r\n\r\n", good_trace);
	assert_int_equal(checks(buf_cstr(&b)), 0);
	/* Received: chains: a real one, then a missing date, a date in the future, and an
	 * earlier hop dated two hours after a later one */
	buf_reset(&b);
	buf_printf(&b,
		   "%sReceived: from b by c; Tue, 1 Dec 2026 09:59:30 +0000\r\n"
		   "Received: from a by b;\r\n Tue, 1 Dec 2026 10:59:00 +0100\r\n\r\n",
		   good_trace);
	assert_int_equal(checks(buf_cstr(&b)), 0);
	buf_reset(&b);
	buf_printf(&b, "%sReceived: from a by b\r\n\r\n", good_trace);
	assert_int_equal(checks(buf_cstr(&b)), SPAM_CHECK_RECEIVED_FORGED);
	buf_reset(&b);
	buf_printf(&b, "%sReceived: from a by b; Thu, 3 Dec 2026 10:00:00 +0000\r\n\r\n",
		   good_trace);
	assert_int_equal(checks(buf_cstr(&b)), SPAM_CHECK_RECEIVED_FORGED);
	buf_reset(&b);
	buf_printf(&b,
		   "%sReceived: from b by c; Tue, 1 Dec 2026 07:00:00 +0000\r\n"
		   "Received: from a by b; Tue, 1 Dec 2026 09:00:00 +0000\r\n\r\n",
		   good_trace);
	assert_int_equal(checks(buf_cstr(&b)), SPAM_CHECK_RECEIVED_FORGED);
	/* GTUBE within the scanned bytes */
	buf_reset(&b);
	buf_printf(&b, "%s\r\nbody " SPAM_GTUBE "\r\n", good_trace);
	assert_int_equal(checks(buf_cstr(&b)), SPAM_CHECK_GTUBE);
	assert_int_equal(spam_checks_run(b.data, b.len, 64, NOW), 0);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_mime_decoded),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
