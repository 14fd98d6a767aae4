/* libFuzzer target: NOTIFY's arguments (imap_notify_parse, RFC 5465 8) on arguments the
 * command parser produced from "a NOTIFY <input>": every success has groups (or is NONE)
 * with known filters and only supported events; every refusal says why. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "imap/imap_notify.h"
#include "imap/imap_parser.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser_limits lim = imap_parser_default_limits;
	struct buf line = BUF_INIT;
	struct imap_parser *p;
	size_t used;

	if (size > 65536)
		return 0;
	lim.max_literal = 4096;
	buf_appends(&line, "a NOTIFY ");
	buf_append(&line, data, size);
	buf_appends(&line, "\r\n");
	p = imap_parser_new(&lim);
	if (imap_parser_parse(p, line.data, line.len, &used) == 1) {
		const struct imap_command *c = imap_parser_command(p);
		struct imap_notify_spec spec;
		const char *error = NULL;

		if (imap_notify_parse(c->args, c->count, &spec, &error) == IMAP_NOTIFY_PARSE_OK) {
			if (!spec.none && spec.n_groups == 0)
				__builtin_trap();
			for (size_t i = 0; i < spec.n_groups; i++) {
				if (spec.groups[i].filter > IMAP_NOTIFY_MAILBOXES ||
				    spec.groups[i].events > 0x1f)
					__builtin_trap();
			}
		} else if (error == NULL) {
			__builtin_trap();
		}
		imap_notify_spec_free(&spec);
	}
	imap_parser_free(&p);
	buf_free(&line);
	return 0;
}
