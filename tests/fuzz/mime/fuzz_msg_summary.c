/* libFuzzer target: msg_summary_build() over arbitrary messages, with every output
 * checked against the RFC 3501 grammar, the parts blob decoded, and section lookups
 * (spec taken from the input's first line) and SEARCH body matching run on it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap_body_check.h"
#include "mail/mime_parts.h"
#include "mail/mime_text.h"
#include "mail/msg_summary.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_sections(const struct mime_parts *parts, const char *spec_text, size_t spec_len,
	       const char *msg, size_t len)
{
	static const char *const fixed[] = {"",
					    "1",
					    "1.MIME",
					    "2.1",
					    "1.HEADER",
					    "TEXT",
					    "HEADER.FIELDS (From Subject)",
					    "1.2.3.TEXT"};
	struct mime_section_spec spec;
	struct mime_section_range r;
	struct buf out = BUF_INIT;
	const char *error;
	size_t i;

	for (i = 0; i <= sizeof(fixed) / sizeof(fixed[0]); i++) {
		const char *s = i == 0 ? spec_text : fixed[i - 1];
		size_t n = i == 0 ? spec_len : strlen(s);

		if (mime_section_parse(s, n, &spec, &error) < 0)
			continue;
		if (mime_section_find(parts, &spec, &r) == 0 &&
		    (r.offset > len || r.size > len - r.offset))
			abort();
		buf_reset(&out);
		mime_section_extract(parts, &spec, msg, len, &out);
		mime_section_spec_free(&spec);
	}
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data, *nl = memchr(data, '\n', size < 80 ? size : 80);
	struct msg_summary s;
	struct mime_parts parts;
	struct mime_text_matcher m;

	msg_summary_build(msg, size, &s);
	if (!imap_body_check(s.body.data, s.body.len, false) ||
	    !imap_body_check(s.bodystructure.data, s.bodystructure.len, true) ||
	    !imap_envelope_check(s.envelope.data, s.envelope.len))
		abort();
	if (s.header_size > size)
		abort();
	if (mime_parts_decode(s.parts.data, s.parts.len, &parts) < 0)
		abort();
	check_sections(&parts, msg, nl != NULL ? (size_t)(nl - msg) : 0, msg, size);
	mime_text_matcher_init(&m, "x\xc3\xa9", 3);
	mime_text_match_body(&m, &parts, msg, size);
	mime_text_matcher_free(&m);
	mime_parts_free(&parts);
	msg_summary_free(&s);
	return 0;
}
