/* libFuzzer target: SORT and THREAD. The first byte picks what the rest is:
 *  even: the arguments of "a SORT <input>" or "a THREAD <input>" (odd/even second bit):
 *        sort criteria, RETURN options (PARTIAL ranges), the search keys after the
 *        charset, the threading algorithm name;
 *  odd:  message headers separated by NUL bytes, each made into its SORT/THREAD keys
 *        (base subject, addresses, Message-IDs), then sorted by every key and threaded
 *        both ways (hostile References: loops, duplicates, self-references). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_parser.h"
#include "imap/imap_search.h"
#include "imap/imap_sort.h"
#include "imap/imap_thread.h"
#include "mail/msg_sortkeys.h"
#include "util/buf.h"
#include "util/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_command(const uint8_t *data, size_t size, bool thread)
{
	struct imap_parser_limits lim = imap_parser_default_limits;
	struct buf line = BUF_INIT;
	struct imap_parser *p;
	size_t used;

	lim.max_literal = 4096;
	buf_appends(&line, thread ? "a THREAD " : "a SORT ");
	buf_append(&line, data, size);
	buf_appends(&line, "\r\n");
	p = imap_parser_new(&lim);
	if (imap_parser_parse(p, line.data, line.len, &used) == 1) {
		const struct imap_command *c = imap_parser_command(p);
		struct imap_sort_crit crit[IMAP_SORT_MAX_CRITERIA];
		struct imap_search_query q;
		const char *error = NULL, *s;
		size_t pos = 0, n;
		enum imap_thread_alg alg;

		if (!thread && c->count >= 2 && imap_arg_atom_equals(&c->args[0], "RETURN")) {
			memset(&q, 0, sizeof(q));
			if (c->args[1].type == IMAP_ARG_LIST &&
			    imap_search_parse_return(&c->args[1], &q, &error) == 0 &&
			    (q.ret & IMAP_SEARCH_RET_PARTIAL) &&
			    (q.partial_lo == 0 || q.partial_lo > q.partial_hi ||
			     (q.partial_lo < 0) != (q.partial_hi < 0)))
				__builtin_trap(); /* a range accepted is a valid one */
			pos = 2;
		}
		if (thread && c->count >= 1 && imap_arg_get_atom(&c->args[0], &s))
			(void)imap_thread_parse_alg(s, &alg);
		if (!thread && pos < c->count &&
		    imap_sort_parse_criteria(&c->args[pos], crit, &n, &error) == 0 &&
		    (n == 0 || n > IMAP_SORT_MAX_CRITERIA))
			__builtin_trap();
		if (pos + 1 < c->count) {
			struct imap_arg *args = xcalloc(c->count - pos + 1, sizeof(*args));

			args[0].type = IMAP_ARG_ATOM;
			args[0].str = "CHARSET";
			args[0].len = 7;
			memcpy(args + 1, c->args + pos + 1, (c->count - pos - 1) * sizeof(*args));
			error = NULL;
			if (imap_search_parse(args, c->count - pos, &q, &error) < 0 &&
			    error == NULL)
				__builtin_trap(); /* a refusal always says why */
			imap_search_query_free(&q);
			free(args);
		}
	}
	imap_parser_free(&p);
	buf_free(&line);
}

static void
fuzz_headers(const uint8_t *data, size_t size)
{
	static const char *const crits[] = {"ARRIVAL", "CC", "DATE",        "FROM",     "SIZE",
					    "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"};
	struct imap_sort_msg *msgs = NULL;
	struct buf arena = BUF_INIT, blob = BUF_INIT, out = BUF_INIT;
	const char *p = (const char *)data, *end = p + size;
	size_t n = 0;

	while (p <= end && n < 64) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		size_t len = nul != NULL ? (size_t)(nul - p) : (size_t)(end - p);
		struct msg_sortkeys k;
		struct imap_sort_msg *m;

		buf_reset(&blob);
		msg_sortkeys_build(p, len, &blob);
		if (msg_sortkeys_parse(blob.data, blob.len, &k) < 0)
			__builtin_trap(); /* what build makes, parse reads */
		msgs = xrealloc(msgs, (n + 1) * sizeof(*msgs));
		m = &msgs[n];
		memset(m, 0, sizeof(*m));
		m->seq = m->uid = (uint32_t)n + 1;
		m->size = len;
		m->date = m->arrival = (int64_t)(len % 7);
		m->reply = k.subject_reply;
		for (int i = 0; i < MSG_SORTKEY_COUNT; i++) {
			m->off[i] = (uint32_t)arena.len;
			m->len[i] = (uint32_t)k.len[i];
			buf_append(&arena, k.key[i], k.len[i]);
		}
		n++;
		if (nul == NULL)
			break;
		p = nul + 1;
	}
	for (size_t c = 0; c < sizeof(crits) / sizeof(crits[0]); c++) {
		struct imap_sort_crit crit = {.key = (enum imap_sort_key)c, .reverse = c % 2};

		imap_sort_msgs(msgs, n, arena.data, &crit, 1);
	}
	/* back to mailbox order: THREAD takes the messages in it */
	for (size_t i = 0; i < n; i++) {
		while (msgs[i].seq != i + 1) {
			struct imap_sort_msg tmp = msgs[msgs[i].seq - 1];

			msgs[msgs[i].seq - 1] = msgs[i];
			msgs[i] = tmp;
		}
	}
	imap_thread_write(IMAP_THREAD_REFERENCES, msgs, n, arena.data, false, &out);
	/* every message appears once: as many numbers as messages */
	{
		size_t nums = 0;

		for (size_t i = 0; i < out.len; i++) {
			if (out.data[i] >= '0' && out.data[i] <= '9' &&
			    (i == 0 || out.data[i - 1] < '0' || out.data[i - 1] > '9'))
				nums++;
		}
		if (nums != n) {
			fprintf(stderr, "n=%zu out=%.*s\n", n, (int)out.len, out.data);
			__builtin_trap();
		}
	}
	buf_reset(&out);
	imap_thread_write(IMAP_THREAD_ORDEREDSUBJECT, msgs, n, arena.data, true, &out);
	free(msgs);
	buf_free(&arena);
	buf_free(&blob);
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	if (data[0] & 1)
		fuzz_headers(data + 1, size - 1);
	else
		fuzz_command(data + 1, size - 1, (data[0] & 2) != 0);
	return 0;
}
