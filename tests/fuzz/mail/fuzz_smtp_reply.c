/* libFuzzer target: the SMTP reply parser and xtext. A complete reply parses the same from
 * exactly its own bytes; xtext decoding inverts encoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/smtp_reply.h"
#include "mail/xtext.h"
#include "util/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_reply(const char *in, size_t len)
{
	struct smtp_reply r, again;
	size_t consumed, consumed2;
	int ret;

	smtp_reply_init(&r);
	smtp_reply_init(&again);
	ret = smtp_reply_parse(in, len, &r, &consumed);
	if (ret == 1) {
		if (consumed == 0 || consumed > len || r.code < 200 || r.code > 599 ||
		    in[consumed - 1] != '\n')
			abort();
		if (smtp_reply_parse(in, consumed, &again, &consumed2) != 1 ||
		    consumed2 != consumed || again.code != r.code ||
		    strcmp(again.enhanced, r.enhanced) != 0 ||
		    strcmp(buf_cstr(&again.text), buf_cstr(&r.text)) != 0)
			abort();
		if (consumed > 0 && smtp_reply_parse(in, consumed - 1, &again, &consumed2) != 0)
			abort();
	}
	smtp_reply_clear(&r);
	smtp_reply_clear(&again);
}

static void
check_xtext(const char *in, size_t len)
{
	char *enc = xtext_encode(in, len), *dec, *s;

	dec = xtext_decode(enc);
	if (memchr(in, '\0', len) == NULL) {
		if (dec == NULL || strlen(dec) != len || memcmp(dec, in, len) != 0)
			abort();
	} else if (dec != NULL) {
		abort();
	}
	free(dec);
	free(enc);
	s = xstrndup(in, len);
	dec = xtext_decode(s);
	if ((dec != NULL) != xtext_is_valid(s))
		abort();
	free(dec);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_reply((const char *)data, size);
	check_xtext((const char *)data, size);
	return 0;
}
