/* Tests of SORT criteria and ordering (RFC 5256 3, RFC 5957) and of THREAD's two
 * algorithms (RFC 5256 3): RFC cases, the imaptest scripts' cases and tricky ones
 * (duplicate Message-IDs, loops, missing parents, long chains). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_parser.h"
#include "imap/imap_sort.h"
#include "imap/imap_thread.h"
#include "mail/msg_sortkeys.h"
#include "util/buf.h"
#include "util/xmalloc.h"

struct tmsg {
	const char *hdr;
	int64_t date; /* sent date (or INTERNALDATE) */
	uint64_t size;
	int64_t arrival;
};

struct mbox {
	struct imap_sort_msg *msgs;
	size_t n;
	struct buf arena;
};

/* What imap_sort_set_add() does from the index, from headers here. */
static void
mbox_build(struct mbox *mb, const struct tmsg *t, size_t n)
{
	struct buf blob = BUF_INIT;

	mb->msgs = xcalloc(n + 1, sizeof(*mb->msgs));
	mb->n = n;
	buf_init(&mb->arena);
	for (size_t i = 0; i < n; i++) {
		struct imap_sort_msg *m = &mb->msgs[i];
		struct msg_sortkeys k;

		buf_reset(&blob);
		msg_sortkeys_build(t[i].hdr, strlen(t[i].hdr), &blob);
		assert_int_equal(msg_sortkeys_parse(blob.data, blob.len, &k), 0);
		m->seq = (uint32_t)i + 1;
		m->uid = (uint32_t)i * 10 + 10;
		m->size = t[i].size;
		m->arrival = t[i].arrival;
		m->date = t[i].date;
		m->reply = k.subject_reply;
		for (int j = 0; j < MSG_SORTKEY_COUNT; j++) {
			m->off[j] = (uint32_t)mb->arena.len;
			m->len[j] = (uint32_t)k.len[j];
			buf_append(&mb->arena, k.key[j], k.len[j]);
		}
	}
	buf_free(&blob);
}

static void
mbox_free(struct mbox *mb)
{
	free(mb->msgs);
	buf_free(&mb->arena);
}

static int
parse_crit(const char *list, struct imap_sort_crit *crit, size_t *n, const char **error)
{
	struct imap_parser *p = imap_parser_new(NULL);
	struct buf line = BUF_INIT;
	size_t used;
	int ret;

	buf_printf(&line, "a SORT %s\r\n", list);
	assert_int_equal(imap_parser_parse(p, line.data, line.len, &used), 1);
	ret = imap_sort_parse_criteria(&imap_parser_command(p)->args[0], crit, n, error);
	imap_parser_free(&p);
	buf_free(&line);
	return ret;
}

static void
test_criteria(void **state)
{
	struct imap_sort_crit c[IMAP_SORT_MAX_CRITERIA];
	const char *error;
	size_t n;

	assert_int_equal(parse_crit("(arrival)", c, &n, &error), 0);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].key, IMAP_SORT_ARRIVAL);
	assert_false(c[0].reverse);
	assert_int_equal(parse_crit("(REVERSE date Subject reverse DISPLAYFROM displayto cc "
				    "from to size)",
				    c, &n, &error),
			 0);
	assert_int_equal(n, 8);
	assert_true(c[0].reverse);
	assert_int_equal(c[0].key, IMAP_SORT_DATE);
	assert_false(c[1].reverse);
	assert_true(c[2].reverse);
	assert_int_equal(c[2].key, IMAP_SORT_DISPLAYFROM);
	assert_int_equal(c[7].key, IMAP_SORT_SIZE);
	assert_int_equal(parse_crit("()", c, &n, &error), -1);
	assert_int_equal(parse_crit("date", c, &n, &error), -1);
	assert_int_equal(parse_crit("(reverse)", c, &n, &error), -1);
	assert_int_equal(parse_crit("(reverse reverse date)", c, &n, &error), -1);
	assert_int_equal(parse_crit("(date bogus)", c, &n, &error), -1);
	assert_int_equal(parse_crit("((date))", c, &n, &error), -1);
	assert_int_equal(parse_crit("(\"date\")", c, &n, &error), -1);
	assert_int_equal(parse_crit("(date date date date date date date date date date date "
				    "date date date date date date)",
				    c, &n, &error),
			 -1);
}

/* ranked: 0 none, 1 every message ranked (the sort cache's ranks), 2 every other one
 * (new mail after the ranking: ranks and strings mixed) */
static void
mbox_rank(struct mbox *mb, int ranked)
{
	for (int k = 0; ranked > 0 && k <= MSG_SORTKEY_DISPLAYTO; k++) {
		imap_sort_rank(mb->msgs, mb->n, mb->arena.data, (enum msg_sortkey)k);
		for (size_t i = 0; ranked == 2 && i < mb->n; i += 2)
			mb->msgs[i].rank[k] = 0;
	}
}

static void
check_sort_ranked(const struct tmsg *t, size_t n, const char *crit, const char *want, int ranked)
{
	struct imap_sort_crit c[IMAP_SORT_MAX_CRITERIA];
	struct mbox mb;
	struct buf out = BUF_INIT;
	const char *error;
	size_t nc;

	assert_int_equal(parse_crit(crit, c, &nc, &error), 0);
	mbox_build(&mb, t, n);
	mbox_rank(&mb, ranked);
	imap_sort_msgs(mb.msgs, mb.n, mb.arena.data, c, nc);
	for (size_t i = 0; i < mb.n; i++)
		buf_printf(&out, "%s%u", i > 0 ? " " : "", mb.msgs[i].seq);
	assert_string_equal(buf_cstr(&out), want);
	buf_free(&out);
	mbox_free(&mb);
}

static void
check_sort(const struct tmsg *t, size_t n, const char *crit, const char *want)
{
	for (int ranked = 0; ranked <= 2; ranked++)
		check_sort_ranked(t, n, crit, want, ranked);
}

/* imaptest's sort-subject: base subjects, i;ascii-casemap, ties in mailbox order */
static void
test_sort_subject(void **state)
{
	static const struct tmsg t[] = {
		{"Subject: a\r\n", 0, 1, 0},
		{"Subject: C\r\n", 0, 1, 0},
		{"Subject: b\r\n", 0, 1, 0},
		{"Subject: _\r\n", 0, 1, 0},
		{"Subject: [foo] Fwd: [bar] Re: fw: b (fWd)  (fwd)\r\n", 0, 2, 0},
		{"Subject: b (a)\r\n", 0, 2, 0},
		{"Subject: Re: [FWD: c]\r\n", 0, 2, 0},
		{"Subject: [xyz]\r\n", 0, 2, 0},
		{"\r\n", 0, 1, 0},
		{"Subject: =?iso-8859-1?q?_?=\r\n", 0, 2, 0},
		{"Subject: Re: =?utf-8?q?b?=\r\n", 0, 66, 0},
		{"Subject: =?iso-8859-1?q?RE:_C?=\r\n", 0, 132, 0},
		{"Subject: =?us-ascii?b?UmU6IGM=?=\r\n", 0, 220, 0},
		{"Subject: Ad: Re: Ad: Re: Ad: x\r\n", 0, 2, 0},
		{"Subject: re: [fwd: [fwd: re: [fwd: babylon]]]\r\n", 0, 2, 0},
	};

	check_sort(t, 15, "(subject)", "9 10 1 14 3 5 11 6 15 2 7 12 13 8 4");
	check_sort(t, 15, "(reverse subject)", "4 8 2 7 12 13 15 6 3 5 11 14 1 9 10");
	check_sort(t, 15, "(subject reverse size)", "10 9 1 14 11 5 3 6 15 13 12 7 2 8 4");
}

static void
test_sort_other_keys(void **state)
{
	/* sort-arrival */
	static const struct tmsg arr[] = {
		{"", 0, 1, 0},    {"", 0, 1, 7200}, {"", 0, 2, 3600},
		{"", 0, 2, 7200}, {"", 0, 4, 7200},
	};
	/* sort-addresses */
	static const struct tmsg addr[] = {
		{"From: user2@domain2.org\r\nTo: foo bar <user2@domain2.org>\r\n"
		 "Cc: user2@domain2.org (foo bar)\r\n",
		 0, 1, 0},
		{"From: user2@domain1.org\r\nTo: user2@domain1.org\r\nCc: user2: "
		 "blah@domain1.org;\r\n",
		 0, 1, 1},
		{"From: user1@domain1.org\r\nTo: user1@domain1.org\r\nCc: user1@domain1.org\r\n", 0,
		 1, 2},
	};
	/* sort-display-to */
	static const struct tmsg disp[] = {
		{"To: foo bar <a@b.c>\r\n", 0, 1, 0},
		{"To: b@c.d\r\n", 0, 1, 0},
		{"To: d\r\n", 0, 1, 0},
		{"To: =?iso-8859-1?q?foo_aar?= <e@f.g>\r\n", 0, 1, 0},
		{"To: =?iso-8859-1?q?foo_car?= <f@g.h>\r\n", 0, 1, 0},
		{"To: a: xx@xx.org, yy@yy.org;\r\n", 0, 1, 0},
		{"To: z: aa@aa.org, bb@bb.org;\r\n", 0, 1, 0},
		{"To: empty:;\r\n", 0, 1, 0},
	};

	check_sort(arr, 5, "(arrival)", "1 3 2 4 5");
	check_sort(arr, 5, "(reverse arrival)", "2 4 5 3 1");
	check_sort(arr, 5, "(arrival reverse size)", "1 3 5 4 2");
	check_sort(arr, 5, "(size)", "1 2 3 4 5");
	check_sort(arr, 5, "(date)", "1 2 3 4 5"); /* all equal: mailbox order */
	check_sort(addr, 3, "(from)", "3 1 2");
	check_sort(addr, 3, "(cc)", "3 1 2");
	check_sort(addr, 3, "(reverse to)", "1 2 3");
	check_sort(addr, 3, "(to reverse arrival)", "3 2 1");
	check_sort(disp, 8, "(displayto)", "6 2 3 8 4 1 5 7");
	check_sort(disp, 8, "(reverse displayto)", "7 5 1 4 8 3 2 6");
}

static void
check_thread(enum imap_thread_alg alg, const struct tmsg *t, size_t n, bool uid, const char *want)
{
	/* unranked, ranked (subjects compared as integers), partly ranked (strings) */
	for (int ranked = 0; ranked <= 2; ranked++) {
		struct mbox mb;
		struct buf out = BUF_INIT;

		mbox_build(&mb, t, n);
		mbox_rank(&mb, ranked);
		imap_thread_write(alg, mb.msgs, mb.n, mb.arena.data, uid, &out);
		assert_string_equal(buf_cstr(&out), want);
		buf_free(&out);
		mbox_free(&mb);
	}
}

#define REFS IMAP_THREAD_REFERENCES

/* A plain reference ordering for test_sort_many: the criteria on the test's own keys
 * (strings compared as cmp_strings does), ties by sequence number. */
static int
ref_cmp(const struct imap_sort_msg *a, const struct imap_sort_msg *b, const char *arena,
	const struct imap_sort_crit *c, size_t nc)
{
	for (size_t i = 0; i < nc; i++) {
		int r = 0;

		if (c[i].key == IMAP_SORT_ARRIVAL)
			r = a->arrival < b->arrival ? -1 : a->arrival > b->arrival;
		else if (c[i].key == IMAP_SORT_DATE)
			r = a->date < b->date ? -1 : a->date > b->date;
		else if (c[i].key == IMAP_SORT_SIZE)
			r = a->size < b->size ? -1 : a->size > b->size;
		else if (c[i].key == IMAP_SORT_SUBJECT) {
			uint32_t la = a->len[MSG_SORTKEY_SUBJECT], lb = b->len[MSG_SORTKEY_SUBJECT];

			r = memcmp(arena + a->off[MSG_SORTKEY_SUBJECT],
				   arena + b->off[MSG_SORTKEY_SUBJECT], la < lb ? la : lb);
			if (r == 0)
				r = la < lb ? -1 : la > lb;
		}
		if (r != 0)
			return c[i].reverse ? -r : r;
	}
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* More messages than the radix sort's threshold (imap_sort_refs): few distinct keys (long
 * runs of ties), negative dates, every criterion first and second, ranked or not; the
 * order must be the reference's. */
static void
test_sort_many(void **state)
{
	static const char *const subj[] = {"Subject: b\r\n", "Subject: Re: a\r\n", "Subject: c\r\n",
					   "Subject: a b\r\n", "\r\n"};
	static const char *const crits[] = {
		"(subject)",      "(reverse subject)",      "(subject reverse size)",
		"(arrival)",      "(reverse date subject)", "(size date)",
		"(reverse size)", "(date reverse arrival)", "(reverse arrival subject size)"};
	enum { N = 300 };
	struct tmsg t[N];
	uint32_t rnd = 11;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		rnd = rnd * 1103515245u + 12345u;
		t[i].hdr = subj[(rnd >> 16) % 5];
		t[i].date = (int64_t)((rnd >> 8) % 7) * 86400 - 3 * 86400;
		t[i].size = (rnd >> 4) % 9;
		t[i].arrival = (int64_t)((rnd >> 12) % 11) - 5;
	}
	for (size_t ci = 0; ci < sizeof(crits) / sizeof(crits[0]); ci++) {
		struct imap_sort_crit c[IMAP_SORT_MAX_CRITERIA];
		const char *error;
		struct mbox ref;
		size_t nc;

		assert_int_equal(parse_crit(crits[ci], c, &nc, &error), 0);
		mbox_build(&ref, t, N);
		/* insertion sort: slow, plainly right */
		for (size_t i = 1; i < N; i++) {
			struct imap_sort_msg m = ref.msgs[i];
			size_t j = i;

			for (; j > 0 && ref_cmp(&ref.msgs[j - 1], &m, ref.arena.data, c, nc) > 0;
			     j--)
				ref.msgs[j] = ref.msgs[j - 1];
			ref.msgs[j] = m;
		}
		for (int ranked = 0; ranked <= 2; ranked++) {
			struct mbox mb;

			mbox_build(&mb, t, N);
			mbox_rank(&mb, ranked);
			imap_sort_msgs(mb.msgs, mb.n, mb.arena.data, c, nc);
			for (size_t i = 0; i < N; i++)
				assert_int_equal(mb.msgs[i].seq, ref.msgs[i].seq);
			mbox_free(&mb);
		}
		mbox_free(&ref);
	}
}

static void
test_thread_references(void **state)
{
	/* imaptest thread: a References that a later message's own References contradicts
	 * (c's parent: b, not a); b under c would be a loop */
	static const struct tmsg t1[] = {
		{"Message-ID: <a@b>\r\n", 300, 1, 0},
		{"Message-Id: <b@b>\r\nReferences: <a@b> <c@b>\r\n", 100, 1, 0},
		{"Message-Id: <c@b>\r\nReferences: <b@b>\r\n", 200, 1, 0},
	};
	/* thread2, thread3: duplicate Message-IDs are messages of their own */
	static const struct tmsg t2[] = {
		{"Message-Id: <a@b>\r\n", 0, 1, 0},
		{"Message-Id: <a@b>\r\n", 0, 1, 0},
	};
	static const struct tmsg t3[] = {
		{"Message-Id: <a@b>\r\nSubject: foo\r\n", 0, 1, 0},
		{"Message-Id: <a@b>\r\nSubject: Re: foo\r\n", 1, 1, 0},
	};
	/* thread4: a missing parent at the root with one child is promoted, then the
	 * subjects join a reply to its original */
	static const struct tmsg t4[] = {
		{"Message-Id: <a@b>\r\nSubject: foo\r\n", 0, 1, 0},
		{"Message-Id: <b@b>\r\nReferences: <c@b>\r\nSubject: Re: foo\r\n", 1, 1, 0},
	};
	/* thread6: a missing parent with two children stays (as a dummy) at the root */
	static const struct tmsg t6[] = {
		{"References: <a@b>\r\n", 0, 1, 0},
		{"References: <a@b>\r\n", 1, 1, 0},
	};
	/* thread7 */
	static const struct tmsg t7[] = {
		{"Message-Id: <a@b>\r\n", 0, 1, 0},
		{"Message-Id: <b@b>\r\nReferences: <a@b>\r\n", 0, 1, 0},
		{"Message-Id: <c@b>\r\nReferences: <b@b>\r\n", 0, 1, 0},
		{"Message-Id: <b@b>\r\nReferences: <a@b>\r\n", 0, 1, 0},
	};
	static const struct tmsg t7b[] = {
		{"Message-Id: <a@b>\r\n", 0, 1, 0},
		{"Message-Id: <c@b>\r\nReferences: <b@b>\r\n", 0, 1, 0},
		{"Message-Id: <b@b>\r\nReferences: <a@b>\r\n", 0, 1, 0},
	};
	/* In-Reply-To when there is no References; siblings by date; subjects gathered
	 * under a dummy when neither is a reply */
	static const struct tmsg irt[] = {
		{"Message-Id: <1@x>\r\nSubject: one\r\n", 10, 1, 0},
		{"Message-Id: <2@x>\r\nIn-Reply-To: <1@x>\r\nSubject: Re: one\r\n", 30, 1, 0},
		{"Message-Id: <3@x>\r\nIn-Reply-To: <1@x> <2@x>\r\nSubject: Re: one\r\n", 20, 1, 0},
		{"Message-Id: <4@x>\r\nSubject: two\r\n", 5, 1, 0},
		{"Message-Id: <5@x>\r\nSubject: two\r\n", 40, 1, 0},
		{"Message-Id: <6@x>\r\nSubject: two (fwd)\r\n", 50, 1, 0},
	};
	/* a message referencing itself, and a two-message loop */
	static const struct tmsg loops[] = {
		{"Message-Id: <a@x>\r\nReferences: <a@x>\r\n", 0, 1, 0},
		{"Message-Id: <b@x>\r\nReferences: <c@x>\r\n", 1, 1, 0},
		{"Message-Id: <c@x>\r\nReferences: <b@x>\r\n", 2, 1, 0},
	};

	/* fuzz-found: a root dummy whose only child comes later in the node array was
	 * counted twice once its child took its place */
	static const struct tmsg late_child[] = {
		{"References: <d@x> <k@x>\r\n", 0, 1, 0},
		{"Message-ID: <k@x>\r\nReferences: <d@x>\r\n", 1, 1, 0},
	};

	check_thread(REFS, late_child, 2, false, "(2 1)");
	check_thread(REFS, t1, 3, false, "(3 2)(1)");
	check_thread(REFS, t1 + 1, 2, false, "(2 1)");
	check_thread(REFS, t2, 2, false, "(1)(2)");
	check_thread(REFS, t3, 2, false, "(1 2)");
	check_thread(REFS, t4, 2, false, "(1 2)");
	check_thread(REFS, t6, 2, false, "((1)(2))");
	check_thread(REFS, t7, 4, false, "(1 (2 3)(4))");
	check_thread(REFS, t7b, 3, false, "(1 3 2)");
	check_thread(REFS, t7b, 3, true, "(10 30 20)");
	check_thread(REFS, irt, 6, false, "((4)(5)(6))(1 (3)(2))");
	check_thread(REFS, loops, 3, false, "(1)(3 2)");
	check_thread(REFS, t1, 0, false, "");
}

/* RFC 5256 ORDEREDSUBJECT and imaptest's thread-orderedsubject2 */
static void
test_thread_orderedsubject(void **state)
{
	static const struct tmsg t[] = {
		{"Subject: b\r\n", 20, 1, 0},     {"Subject: Re: a\r\n", 30, 1, 0},
		{"Subject: a\r\n", 20, 1, 0},     {"Subject: b\r\n", 10, 1, 0},
		{"Subject: re: a\r\n", 40, 1, 0}, {"Subject: B\r\n", 30, 1, 0},
		{"Subject: [x] a\r\n", 30, 1, 0}, {"Subject: b\r\n", 20, 1, 0},
	};
	static const struct tmsg empty[] = {
		{"\r\n", 0, 1, 0},
		{"Subject:  \r\n", 0, 1, 0},
	};

	check_thread(IMAP_THREAD_ORDEREDSUBJECT, t, 8, false, "(4 (1)(8)(6))(3 (2)(7)(5))");
	check_thread(IMAP_THREAD_ORDEREDSUBJECT, empty, 2, false, "(1 2)");
	check_thread(IMAP_THREAD_ORDEREDSUBJECT, t, 1, false, "(1)");
}

/* a 200,000-message reply chain: no recursion deep enough to exhaust the stack */
/* More roots and more siblings than the radix sort's threshold (imap_thread.c
 * sort_by_date): dates with ties and below zero; the order is (date, sequence number). */
static void
test_thread_many(void **state)
{
	enum { N = 150 };
	static char hdrs[N][128];
	struct tmsg t[N];
	uint32_t order[N], rnd = 5;
	struct buf want = BUF_INIT;

	(void)state;
	for (int kids = 0; kids <= 1; kids++) {
		/* kids 0: every message its own thread (distinct subjects); 1: every message
		 * but the first answers the first (one root, N - 1 children) */
		for (size_t i = 0; i < N; i++) {
			rnd = rnd * 1103515245u + 12345u;
			snprintf(hdrs[i], sizeof(hdrs[i]),
				 "Subject: %s%zu\r\nMessage-ID: <m%zu@x>\r\n%s",
				 kids ? "Re: s" : "s", kids ? (size_t)0 : i, i,
				 kids && i > 0 ? "References: <m0@x>\r\n" : "");
			t[i] = (struct tmsg){hdrs[i], (int64_t)((rnd >> 16) % 40) - 20, 1, 0};
			order[i] = (uint32_t)i;
		}
		/* the reference: insertion sort by (date, seq) of all but the root */
		for (size_t i = 1 + (size_t)kids; i < N; i++) {
			uint32_t m = order[i];
			size_t j = i;

			for (; j > (size_t)kids && t[order[j - 1]].date > t[m].date; j--)
				order[j] = order[j - 1];
			order[j] = m;
		}
		buf_reset(&want);
		if (kids)
			buf_appends(&want, "(1 ");
		for (size_t i = (size_t)kids; i < N; i++)
			buf_printf(&want, "(%u)", order[i] + 1);
		if (kids)
			buf_appends(&want, ")");
		check_thread(IMAP_THREAD_REFERENCES, t, N, false, buf_cstr(&want));
		if (!kids)
			check_thread(IMAP_THREAD_ORDEREDSUBJECT, t, N, false, buf_cstr(&want));
	}
	buf_free(&want);
}

static void
test_thread_long_chain(void **state)
{
	enum { N = 200000 };
	struct tmsg *t = xcalloc(N, sizeof(*t));
	char **hdrs = xcalloc(N, sizeof(*hdrs));
	struct mbox mb;
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < N; i++) {
		struct buf h = BUF_INIT;

		buf_printf(&h, "Message-ID: <%zu@x>\r\n", i);
		if (i > 0)
			buf_printf(&h, "In-Reply-To: <%zu@x>\r\n", i - 1);
		hdrs[i] = buf_steal(&h);
		t[i].hdr = hdrs[i];
		t[i].date = (int64_t)i;
	}
	mbox_build(&mb, t, N);
	imap_thread_write(REFS, mb.msgs, mb.n, mb.arena.data, false, &out);
	assert_true(strncmp(out.data, "(1 2 3 ", 7) == 0);
	assert_true(out.len > 6 * N);
	assert_int_equal(out.data[out.len - 1], ')');
	buf_reset(&out);
	imap_thread_write(IMAP_THREAD_ORDEREDSUBJECT, mb.msgs, mb.n, mb.arena.data, false, &out);
	assert_true(strncmp(out.data, "(1 (2)(3)", 9) == 0);
	mbox_free(&mb);
	buf_free(&out);
	for (size_t i = 0; i < N; i++)
		free(hdrs[i]);
	free(hdrs);
	free(t);
}

static void
test_alg_names(void **state)
{
	enum imap_thread_alg a;

	assert_int_equal(imap_thread_parse_alg("references", &a), 0);
	assert_int_equal(a, IMAP_THREAD_REFERENCES);
	assert_int_equal(imap_thread_parse_alg("ORDEREDSUBJECT", &a), 0);
	assert_int_equal(a, IMAP_THREAD_ORDEREDSUBJECT);
	assert_int_equal(imap_thread_parse_alg("REFS", &a), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_criteria),
		cmocka_unit_test(test_sort_subject),
		cmocka_unit_test(test_sort_other_keys),
		cmocka_unit_test(test_sort_many),
		cmocka_unit_test(test_thread_references),
		cmocka_unit_test(test_thread_orderedsubject),
		cmocka_unit_test(test_thread_long_chain),
		cmocka_unit_test(test_thread_many),
		cmocka_unit_test(test_alg_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
