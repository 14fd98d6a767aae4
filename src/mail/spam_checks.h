/* The spam filter's header checks and GTUBE (docs/spam.md "Rules"), pure. */
#ifndef MAIL_SPAM_CHECKS_H
#define MAIL_SPAM_CHECKS_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* SpamAssassin's Generic Test for Unsolicited Bulk Email: always spam. */
#define SPAM_GTUBE "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

enum spam_check {
	SPAM_CHECK_NO_DATE = 1 << 0,       /* no Date: field (RFC 5322 3.6: it is required) */
	SPAM_CHECK_NO_MESSAGE_ID = 1 << 1, /* no Message-ID: (RFC 5322 3.6.4: SHOULD) */
	/* a From: display name that holds an address (x@y.z) in another domain than the
	 * From: address itself (and not a parent domain of it): "paypal.com@... <a@evil>" */
	SPAM_CHECK_FROM_SPOOF = 1 << 2,
	/* a Received: chain no real path makes: a field without a parseable date after its
	 * ';' (RFC 5321 4.4 requires it), a field dated more than a day after `now`, or an
	 * earlier hop (lower field) dated more than an hour after a later hop (upper field) */
	SPAM_CHECK_RECEIVED_FORGED = 1 << 3,
	SPAM_CHECK_GTUBE = 1 << 4, /* the GTUBE string within the scanned bytes */
};

/* Runs every check on the message msg[0..len) (CRLF or LF); the header and at most
 * max_bytes of the message are looked at. Returns the SPAM_CHECK_* bits that hit. */
unsigned spam_checks_run(const char *msg, size_t len, size_t max_bytes, time_t now);

/* The names of the bits, as in the X-Spam-Score rules list ("NO_DATE"). */
const char *spam_check_name(unsigned bit);

#endif
