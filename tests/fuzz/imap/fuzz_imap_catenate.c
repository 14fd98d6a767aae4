/* libFuzzer target: APPEND's argument list (MULTIAPPEND messages, CATENATE parts:
 * imap_append_args_parse) on arguments the command parser produced from
 * "a APPEND box <input>", and every URL part through imap_url_parse. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "imap/imap_catenate.h"
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
	int ret;

	if (size > 65536)
		return 0;
	lim.max_literal = lim.max_append = 4096;
	buf_appends(&line, "a APPEND box ");
	buf_append(&line, data, size);
	buf_appends(&line, "\r\n");
	p = imap_parser_new(&lim);
	ret = imap_parser_parse(p, line.data, line.len, &used);
	while (ret == 0 && imap_parser_literal_pending(p, NULL)) {
		size_t off = used;

		imap_parser_literal_continue(p);
		ret = imap_parser_parse(p, line.data + off, line.len - off, &used);
		used += off;
	}
	if (ret == 1) {
		const struct imap_command *c = imap_parser_command(p);
		struct imap_append_msg *msgs;
		const char *error = NULL;
		size_t n;

		if (imap_append_args_parse(c->args, c->count, &msgs, &n, &error) == 0) {
			if (n == 0)
				__builtin_trap();
			for (size_t i = 0; i < n; i++) {
				if ((msgs[i].literal == NULL) == (msgs[i].n_parts == 0))
					__builtin_trap(); /* a literal or parts, never both */
				for (size_t k = 0; k < msgs[i].n_parts; k++) {
					const struct imap_arg *a = msgs[i].parts[k].arg;
					struct imap_url u;

					if (msgs[i].parts[k].type != IMAP_CAT_URL)
						continue;
					if (imap_url_parse(a->str, a->len, &u, &error) == 0 &&
					    (u.mailbox == NULL || u.uid == 0))
						__builtin_trap();
					imap_url_free(&u);
				}
			}
			imap_append_msgs_free(msgs, n);
		} else if (error == NULL) {
			__builtin_trap(); /* a refusal always says why */
		}
	}
	imap_parser_free(&p);
	buf_free(&line);
	return 0;
}
