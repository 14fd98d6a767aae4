/* libFuzzer target: IMAP URLs of CATENATE, URLAUTH and BURL (imap_url_parse, RFC 5092,
 * RFC 4469 5, RFC 4467 9) on raw bytes: every success names a mailbox and a non-zero UID
 * (and with URLAUTH an access identifier, a rump inside the URL, a token with its
 * mechanism), every refusal says why. The same bytes as URLFETCH arguments (RFC 5524's
 * "(url *param)" form: a success names a URL and never both BODY and BINARY) and as a
 * message whose parts URLFETCH BINARY and BODYPARTSTRUCTURE describe (the decoded data
 * stays in bounds, a partial range never exceeds what was asked). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <stdlib.h>

#include "imap/imap_parser.h"
#include "imap/imap_urlauth_ext.h"
#include "mail/imap_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_urlfetch_args(const uint8_t *data, size_t size)
{
	struct imap_parser *p = imap_parser_new(NULL);
	struct buf line = BUF_INIT;
	size_t used;

	buf_appends(&line, "a URLFETCH ");
	buf_append(&line, data, size);
	buf_appends(&line, "\r\n");
	if (imap_parser_parse(p, line.data, line.len, &used) == 1) {
		const struct imap_command *cmd = imap_parser_command(p);

		for (size_t i = 0; i < cmd->count; i++) {
			struct imap_urlfetch_arg a;
			const char *error = NULL;

			if (imap_urlfetch_arg_parse(&cmd->args[i], &a, &error) == 0) {
				if (a.url == NULL || ((a.want & IMAP_URLFETCH_BODY) &&
						      (a.want & IMAP_URLFETCH_BINARY)))
					__builtin_trap();
			} else if (error == NULL) {
				__builtin_trap();
			}
		}
	}
	imap_parser_free(&p);
	buf_free(&line);
}

static void
fuzz_urlfetch_part(const uint8_t *data, size_t size)
{
	static const char *const sections[] = {NULL, "1", "1.1", "2", "1.2.1", "TEXT"};
	unsigned want = IMAP_URLFETCH_EXTENDED | IMAP_URLFETCH_BODYPARTSTRUCTURE |
			(size % 2 ? IMAP_URLFETCH_BINARY : IMAP_URLFETCH_BODY);

	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		struct imap_urlfetch_part part;
		struct buf out = BUF_INIT;
		bool partial = i % 2 == 1;

		if (imap_urlfetch_part_build((const char *)data, size, sections[i], partial, 3, 7,
					     want, &part) < 0)
			continue;
		if (partial && part.data.len > 7)
			__builtin_trap();
		if (!(want & IMAP_URLFETCH_BINARY) && part.data.len > size)
			__builtin_trap();
		if (part.bodystructure.len == 0 || buf_cstr(&part.bodystructure)[0] != '(')
			__builtin_trap();
		imap_urlfetch_part_write(&out, &part, want);
		buf_free(&out);
		imap_urlfetch_part_free(&part);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_url u;
	const char *error = NULL;

	if (imap_url_parse((const char *)data, size, &u, &error) == 0) {
		if (u.mailbox == NULL || *u.mailbox == '\0' || u.uid == 0 ||
		    (u.section != NULL && *u.section == '\0'))
			__builtin_trap();
		if (u.access != NULL && (u.rump_len == 0 || u.rump_len > size ||
					 (u.mechanism == NULL) != (u.token == NULL)))
			__builtin_trap();
		free(imap_url_owner(&u));
	} else if (error == NULL) {
		__builtin_trap();
	}
	imap_url_free(&u);
	fuzz_urlfetch_args(data, size);
	fuzz_urlfetch_part(data, size);
	return 0;
}
