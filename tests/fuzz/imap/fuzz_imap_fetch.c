/* libFuzzer target: FETCH items and modifiers (imap_fetch_parse) on arguments produced by
 * the command parser from "a FETCH 1 <input>". */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "imap/imap_fetch.h"
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
	lim.max_literal = 4096;
	buf_appends(&line, "a FETCH 1 ");
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
		struct imap_fetch_plan plan;
		const char *error = NULL;

		if (c->count >= 2) {
			if (imap_fetch_parse(c->args + 1, c->count - 1, &plan, &error) == 0)
				imap_fetch_plan_free(&plan);
			else if (error == NULL)
				__builtin_trap(); /* a refusal always says why */
		}
	}
	imap_parser_free(&p);
	buf_free(&line);
	return 0;
}
