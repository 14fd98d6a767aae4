/* libFuzzer target: the IMAP command parser fed in input-chosen chunk sizes, with every
 * parsed command also run through the SEARCH, flag, sequence-set, date and modified
 * UTF-7 parsers. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "imap/imap_date.h"
#include "imap/imap_flags.h"
#include "imap/imap_mutf7.h"
#include "imap/imap_parser.h"
#include "imap/imap_search.h"
#include "imap/imap_seqset.h"
#include "imap/imap_write.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_strings(const struct imap_arg *args, size_t count, unsigned depth)
{
	struct imap_seqset set, res;
	struct buf b = BUF_INIT;
	const char *s, *error;
	time_t t;
	long day, tz;

	imap_seqset_init(&set);
	imap_seqset_init(&res);
	for (size_t i = 0; i < count && depth < 8; i++) {
		if (args[i].type == IMAP_ARG_LIST || (args[i].flags & IMAP_ARG_FLAG_SECTION))
			check_strings(args[i].list, args[i].count, depth + 1);
		if (!imap_arg_get_astring(&args[i], &s))
			continue;
		if (imap_seqset_parse(&set, s, true, &error) == 0) {
			imap_seqset_resolve(&set, (uint32_t)args[i].len, &res);
			imap_seqset_write(&b, &res);
			(void)imap_seqset_contains(&res, 7);
		}
		buf_reset(&b);
		if (imap_mutf7_decode(s, &b, &error) == 0) {
			struct buf back = BUF_INIT;

			/* the strict decoder accepts only canonical forms: they round-trip */
			if (imap_mutf7_encode(buf_cstr(&b), &back, &error) < 0 ||
			    strcmp(buf_cstr(&back), s) != 0)
				__builtin_trap();
			buf_free(&back);
		}
		buf_reset(&b);
		(void)imap_date_parse(s, &day);
		if (imap_date_time_parse(s, &t, &tz) == 0) { /* a parsed date-time round-trips */
			time_t t2;
			long tz2;
			size_t at = b.len;

			imap_date_time_write(&b, t, tz);
			b.data[b.len - 1] = '\0'; /* drop the quotes */
			if (imap_date_time_parse(b.data + at + 1, &t2, &tz2) < 0 || t2 != t ||
			    tz2 != tz)
				__builtin_trap();
			buf_reset(&b);
		}
		imap_write_astr(&b, s);
		imap_write_mailbox(&b, s);
		buf_reset(&b);
	}
	buf_free(&b);
	imap_seqset_free(&set);
	imap_seqset_free(&res);
}

static void
check_command(const struct imap_command *c)
{
	struct imap_search_query q;
	struct imap_flag_list fl;
	const char *error;

	if (imap_search_parse(c->args, c->count, &q, &error) == 0 || error != NULL)
		imap_search_query_free(&q);
	if (c->count > 0 && imap_flags_parse(c->args, c->count, &fl, &error) == 0)
		imap_flag_list_free(&fl);
	check_strings(c->args, c->count, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser_limits lim = imap_parser_default_limits;
	struct imap_parser *p;
	size_t pos = 0, used;
	unsigned chunk;

	if (size < 1)
		return 0;
	/* the first byte picks the chunk size and small limits to reach the error paths */
	chunk = (data[0] & 0x0f) + 1;
	if (data[0] & 0x10)
		lim.max_line = 64;
	if (data[0] & 0x20)
		lim.max_literal = 8;
	if (data[0] & 0x40)
		lim.max_depth = 3;
	if (data[0] & 0x80) {
		/* the limits of a session before login */
		lim.max_literals_total = 20;
		lim.nonsync_toobig_fatal = true;
	}
	p = imap_parser_new(&lim);
	data++;
	size--;
	for (unsigned guard = 0; guard < 100000 && pos < size; guard++) {
		size_t n = size - pos < chunk ? size - pos : chunk;
		int ret = imap_parser_parse(p, data + pos, n, &used);
		uint64_t lit;

		pos += used;
		if (ret == 1) {
			check_command(imap_parser_command(p));
			imap_parser_next(p);
		} else if (ret == -1) {
			(void)imap_parser_tag(p);
			if (imap_parser_error_code(p) == IMAP_PARSE_ERR_FATAL)
				break;
			imap_parser_next(p);
		} else if (imap_parser_literal_pending(p, &lit)) {
			if (lit % 3 == 2)
				imap_parser_next(p); /* refused */
			else
				imap_parser_literal_continue(p);
		} else if (used == 0 && n > 0) {
			__builtin_trap(); /* no progress without a reason */
		}
	}
	imap_parser_free(&p);
	return 0;
}
