/* libFuzzer target: the RFC 5322 address-list and date parsers, RFC 2047 decoding and
 * header filtering. A parsed date must survive a format / parse round trip; address
 * output must be a valid IMAP address list. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap_body_check.h"
#include "mail/imap_envelope.h"
#include "mail/mime_text.h"
#include "mail/rfc2047.h"
#include "mail/rfc5322.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_date(const char *s, size_t n)
{
	char out[RFC5322_DATE_MAX];
	time_t t, t2;
	long tz, tz2;

	if (rfc5322_date_parse(s, n, &t, &tz) == 0) {
		rfc5322_date_format(t, tz, out);
		if (rfc5322_date_parse(out, strlen(out), &t2, &tz2) < 0 || t2 != t || tz2 != tz)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	static const char *const names[] = {"from", "To", "x-"};
	struct buf b = BUF_INIT;
	struct ibc c = {NULL, NULL, 0, {0}};
	struct mime_text_matcher m;

	imap_envelope_write_addresses(&b, s, size);
	c.p = b.data;
	c.end = b.data + b.len;
	if (!ibc_addr_list(&c) || c.p != c.end)
		abort();
	check_date(s, size);
	buf_reset(&b);
	rfc2047_decode(s, size, &b);
	buf_reset(&b);
	rfc5322_header_filter(s, size, names, 3, size % 2 == 0, &b);
	mime_text_matcher_init(&m, s, size < 8 ? size : 8);
	mime_text_match_header(&m, s, size);
	mime_text_matcher_free(&m);
	buf_free(&b);
	return 0;
}
