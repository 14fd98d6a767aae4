/* Store tests: view hibernation. One random scenario (deliveries, flag changes, expunges,
 * copies and moves by other sessions, the view's own operations, refreshes with and
 * without expunge) runs twice from the same seed, once hibernating the view at random
 * points: refresh results and views must be the same. Also a mailbox deleted under a
 * hibernated view, the memory a hibernated view keeps, and the hibernate + wake time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "store/store.h"
#include "store/store_account.h"
#include "store/store_mailbox.h"
#include "store/store_msg.h"
#include "store/store_private.h"
#include "store/store_view.h"
#include "store_test_util.h"
#include "util/buf.h"

#define STEPS 250
#define ACCOUNT "u@example.test"

static const char *const keyword_pool[] = {"Todo", "$Label1", "Work", "Later"};

struct run {
	char *dir;
	struct store *store;
	struct store_account *acct;
	struct store_view *a; /* the view under test */
	struct store_view *b; /* another session on INBOX */
	struct store_view *c; /* another session on Other */
	bool hib;
	bool readonly;
	uint64_t rng;
	unsigned tag;
	struct buf trace;
};

static uint32_t
rnd(struct run *r, uint32_t n)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return n == 0 ? 0 : (uint32_t)(r->rng % n);
}

static void
sync_view(struct store_view *v)
{
	struct store_view_changes ch;
	const char *error;

	assert_int_equal(store_view_refresh(v, STORE_REFRESH_EXPUNGE, &ch, &error), 0);
	store_view_changes_free(&ch);
}

static void
do_append(struct run *r, const char *mailbox)
{
	uint32_t uidvalidity, uid, flags = rnd(r, 32) & ~(uint32_t)STORE_FLAG_DELETED;
	const char *kw = keyword_pool[rnd(r, 4)];
	const char *error;
	size_t len;
	char *msg = test_make_msg(150, r->tag++, &len);

	assert_int_equal(store_append_sync(r->acct, mailbox, flags, &kw, rnd(r, 2), 0, 0, msg, len,
					   &uidvalidity, &uid, &error),
			 0);
	free(msg);
}

/* Up to max UIDs of v, picked at random (sorted, maybe with repeats removed). */
static size_t
pick(struct run *r, struct store_view *v, uint32_t *uids, size_t max)
{
	size_t count = store_view_count(v), n = 0, want = 1 + rnd(r, (uint32_t)max);
	const struct store_view_msg *msgs;

	if (count == 0)
		return 0;
	msgs = store_view_msgs(v);
	for (size_t i = 0; i < want; i++) {
		uint32_t uid = msgs[rnd(r, (uint32_t)count)].uid;
		size_t j = n;

		while (j > 0 && uids[j - 1] > uid) {
			uids[j] = uids[j - 1];
			j--;
		}
		if (j > 0 && uids[j - 1] == uid) {
			memmove(uids + j, uids + j + 1, (n - j) * sizeof(*uids));
			continue;
		}
		uids[j] = uid;
		n++;
	}
	return n;
}

static void
do_store(struct run *r, struct store_view *v, bool trace)
{
	static const enum store_flags_mode modes[] = {STORE_FLAGS_ADD, STORE_FLAGS_REMOVE,
						      STORE_FLAGS_REPLACE};
	struct store_flags_result res;
	const char *kw = keyword_pool[rnd(r, 4)], *error;
	uint32_t uids[4];
	size_t n = pick(r, v, uids, 4);
	enum store_flags_mode mode = modes[rnd(r, 3)];
	uint32_t flags = rnd(r, 32);
	bool with_kw = rnd(r, 2);

	if (n == 0)
		return;
	assert_int_equal(
		store_view_store_flags(v, uids, n, mode, flags, &kw, with_kw, 0, &res, &error), 0);
	if (trace) {
		buf_printf(&r->trace,
			   "store modseq=%llu kwc=%d chg=", (unsigned long long)res.modseq,
			   res.keywords_changed);
		for (size_t i = 0; i < res.n_changed; i++)
			buf_printf(&r->trace, "%u,", res.changed_uids[i]);
		buf_printf(&r->trace, "\n");
	}
	store_flags_result_free(&res);
}

static void
do_expunge(struct run *r, struct store_view *v)
{
	uint32_t uids[3];
	size_t n = pick(r, v, uids, 3);
	const char *error;

	if (n > 0)
		assert_int_equal(store_view_expunge(v, uids, n, &error), 0);
}

static void
do_copy(struct run *r, struct store_view *v, const char *dest, bool move)
{
	struct store_copy_result res;
	uint32_t uids[3];
	size_t n = pick(r, v, uids, 3);
	const char *error;

	if (n == 0)
		return;
	assert_int_equal(store_view_copy(v, uids, n, dest, move, &res, &error), 0);
	store_copy_result_free(&res);
}

/* The view as text; of an expunged entry only UID, \Recent and the mark: a message another
 * session expunged while the view slept has lost its flags (see store_view.h). */
static void
trace_view(struct run *r, struct store_view *v)
{
	const struct store_view_msg *msgs = store_view_msgs(v);
	const char *const *kw;
	size_t n_kw;

	kw = store_view_keywords(v, &n_kw);
	buf_printf(&r->trace,
		   "view n=%zu recent=%u uidnext=%u modseq=%llu name=%s kw=", store_view_count(v),
		   store_view_recent_count(v), store_view_uidnext(v),
		   (unsigned long long)store_view_highestmodseq(v), store_view_mailbox_name(v));
	for (size_t i = 0; i < n_kw; i++)
		buf_printf(&r->trace, "%s,", kw[i]);
	buf_printf(&r->trace, "\n ");
	for (size_t i = 0; i < store_view_count(v); i++) {
		const struct store_view_msg *m = &msgs[i];

		if (m->flags & STORE_FLAG_EXPUNGED)
			buf_printf(&r->trace, "%u:x%x ", m->uid,
				   m->flags & (STORE_FLAG_RECENT | STORE_FLAG_EXPUNGED));
		else
			buf_printf(&r->trace, "%u:%x:%llx:%llu ", m->uid, m->flags,
				   (unsigned long long)m->keywords, (unsigned long long)m->modseq);
	}
	buf_printf(&r->trace, "\n");
}

static void
do_refresh(struct run *r, unsigned flags)
{
	struct store_view_changes ch;
	const char *error;

	assert_int_equal(store_view_refresh(r->a, flags, &ch, &error), 0);
	buf_printf(&r->trace, "refresh %u old=%zu new=%zu kwc=%d del=%d ren=%d exp=", flags,
		   ch.old_count, ch.new_count, ch.keywords_changed, ch.mailbox_deleted, ch.renamed);
	for (size_t i = 0; i < ch.n_expunged; i++)
		buf_printf(&r->trace, "%u@%u,", ch.expunged_uids[i], ch.expunged_seqs[i]);
	buf_printf(&r->trace, " chg=");
	for (size_t i = 0; i < ch.n_changed; i++)
		buf_printf(&r->trace, "%u,", ch.changed_uids[i]);
	buf_printf(&r->trace, "\n");
	store_view_changes_free(&ch);
	trace_view(r, r->a);
}

/* What is exact even before a refresh: count, \Recent, the UIDs and their numbers. */
static void
do_probe(struct run *r)
{
	struct store_view *a = r->a;
	uint32_t uid = 1 + rnd(r, store_view_uidnext(a) + 2);
	const struct store_view_msg *msgs;

	buf_printf(&r->trace, "probe n=%zu recent=%u seq(%u)=%u:", store_view_count(a),
		   store_view_recent_count(a), uid, store_view_seq(a, uid));
	msgs = store_view_msgs(a);
	for (size_t i = 0; i < store_view_count(a); i++)
		buf_printf(&r->trace, " %u%s", msgs[i].uid,
			   msgs[i].flags & STORE_FLAG_RECENT ? "r" : "");
	buf_printf(&r->trace, "\n");
}

static void
maybe_hibernate(struct run *r, struct store_view *v)
{
	if (r->hib)
		store_view_hibernate(v);
}

static void
step(struct run *r)
{
	uint32_t op = rnd(r, 100);
	struct store_view *d;
	const char *error;

	if (op < 14) {
		for (uint32_t i = rnd(r, 3); i < 3; i++)
			do_append(r, "INBOX");
	} else if (op < 28) {
		sync_view(r->b);
		do_store(r, r->b, false);
	} else if (op < 36) {
		sync_view(r->b);
		do_expunge(r, r->b);
	} else if (op < 42) {
		sync_view(r->b);
		do_copy(r, r->b, rnd(r, 2) ? "INBOX" : "Other", false);
	} else if (op < 47) {
		sync_view(r->b);
		do_copy(r, r->b, rnd(r, 3) ? "Other" : "INBOX", true);
	} else if (op < 51) {
		sync_view(r->c);
		do_copy(r, r->c, "INBOX", rnd(r, 2));
	} else if (op < 54) {
		/* another session selects INBOX: takes the \Recent left */
		assert_int_equal(store_view_open(r->acct, "INBOX", false, &d, &error), 0);
		store_view_close(&d);
	} else if (op < 61) {
		if (!r->readonly)
			do_store(r, r->a, true);
	} else if (op < 65) {
		if (!r->readonly)
			do_expunge(r, r->a);
	} else if (op < 67) {
		if (!r->readonly)
			do_copy(r, r->a, "Other", true);
	} else if (op < 82) {
		do_refresh(r, rnd(r, 3) ? STORE_REFRESH_EXPUNGE : 0);
		if (rnd(r, 2))
			maybe_hibernate(r, r->a);
	} else if (op < 95) {
		maybe_hibernate(r, r->a);
	} else {
		do_probe(r);
	}
}

static void
run_scenario(struct run *r, uint64_t seed, bool hib, bool readonly)
{
	const char *error;

	memset(r, 0, sizeof(*r));
	r->rng = seed * 2654435761u + 1;
	r->hib = hib;
	r->readonly = readonly;
	r->dir = test_tmpdir();
	r->store = test_store_open(r->dir);
	assert_int_equal(store_account_create(r->store, ACCOUNT, &error), 0);
	r->acct = store_account_open(r->store, ACCOUNT, &error);
	assert_non_null(r->acct);
	assert_int_equal(store_mailbox_create(r->acct, "Other", 0, &error), 0);
	for (int i = 0; i < 6; i++)
		do_append(r, "INBOX");
	do_append(r, "Other");
	assert_int_equal(store_view_open(r->acct, "INBOX", readonly, &r->a, &error), 0);
	assert_int_equal(store_view_open(r->acct, "INBOX", false, &r->b, &error), 0);
	assert_int_equal(store_view_open(r->acct, "Other", false, &r->c, &error), 0);
	trace_view(r, r->a);
	for (int i = 0; i < STEPS; i++)
		step(r);
	do_refresh(r, 0);
	do_refresh(r, STORE_REFRESH_EXPUNGE);
	store_view_close(&r->a);
	store_view_close(&r->b);
	store_view_close(&r->c);
	store_account_unref(&r->acct);
	store_close(&r->store);
	test_rmrf(r->dir);
	free(r->dir);
}

static void
compare_traces(const struct buf *x, const struct buf *y, uint64_t seed)
{
	size_t line = 1, start = 0;

	for (size_t i = 0; i < x->len && i < y->len; i++) {
		if (x->data[i] != y->data[i]) {
			const char *ex = x->data + start, *ey = y->data + start;

			fprintf(stderr,
				"seed %llu: traces differ at line %zu\nwithout: %.*s\nwith:    "
				"%.*s\n",
				(unsigned long long)seed, line, (int)strcspn(ex, "\n"), ex,
				(int)strcspn(ey, "\n"), ey);
			fail();
		}
		if (x->data[i] == '\n') {
			line++;
			start = i + 1;
		}
	}
	assert_int_equal(x->len, y->len);
}

static void
scenarios(bool readonly, uint64_t first_seed, int n)
{
	for (uint64_t seed = first_seed; seed < first_seed + (uint64_t)n; seed++) {
		struct run plain, hib;

		run_scenario(&plain, seed, false, readonly);
		run_scenario(&hib, seed, true, readonly);
		compare_traces(&plain.trace, &hib.trace, seed);
		buf_free(&plain.trace);
		buf_free(&hib.trace);
	}
}

static void
test_random_readwrite(void **state)
{
	(void)state;
	scenarios(false, 1, 12);
}

static void
test_random_readonly(void **state)
{
	(void)state;
	scenarios(true, 100, 4);
}

static void
append_to(struct store_account *acct, const char *mailbox, unsigned tag)
{
	test_append_msg(acct, mailbox, 100, tag);
}

/* New mail keeps a hibernated view asleep; a flag change by another session wakes it. */
static void
test_stays_asleep(void **state)
{
	struct test_account *f = *state;
	struct store_view *a, *b;
	struct store_view_changes ch;
	struct store_flags_result res;
	uint32_t uid = 2;
	const char *error;

	append_to(f->acct, "INBOX", 1);
	append_to(f->acct, "INBOX", 2);
	assert_int_equal(store_view_open(f->acct, "INBOX", false, &a, &error), 0);
	assert_int_equal(store_view_open(f->acct, "INBOX", false, &b, &error), 0);
	store_view_hibernate(a);
	assert_true(store_view_is_hibernated(a));
	assert_null(f->acct->hibernated->hib_next);
	append_to(f->acct, "INBOX", 3);
	assert_int_equal(store_view_refresh(a, STORE_REFRESH_EXPUNGE, &ch, &error), 0);
	assert_int_equal(ch.old_count, 2);
	assert_int_equal(ch.new_count, 3);
	assert_int_equal(store_view_recent_count(a), 3);
	store_view_changes_free(&ch);
	assert_true(store_view_is_hibernated(a));
	assert_int_equal(store_view_count(a), 3);
	/* \Recent of 3 was claimed by a, not b */
	sync_view(b);
	assert_int_equal(store_view_recent_count(b), 0);
	assert_int_equal(store_view_store_flags(b, &uid, 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL,
						0, 0, &res, &error),
			 0);
	store_flags_result_free(&res);
	assert_int_equal(store_view_refresh(a, STORE_REFRESH_EXPUNGE, &ch, &error), 0);
	assert_false(store_view_is_hibernated(a));
	assert_int_equal(ch.n_changed, 1);
	assert_int_equal(ch.changed_uids[0], 2);
	store_view_changes_free(&ch);
	assert_int_equal(store_view_msgs(a)[1].flags, STORE_FLAG_SEEN | STORE_FLAG_RECENT);
	assert_int_equal(store_view_msgs(a)[2].uid, 3);
	assert_null(f->acct->hibernated);
	store_view_close(&a);
	store_view_close(&b);
}

/* A deleted mailbox: the hibernated view still reports every message it had. */
static void
test_mailbox_deleted(void **state)
{
	struct test_account *f = *state;
	struct store_view *a, *a2, *b;
	struct store_view_changes ch, ch2;
	uint32_t uid = 2;
	const char *error;

	assert_int_equal(store_mailbox_create(f->acct, "Box", 0, &error), 0);
	for (unsigned i = 0; i < 4; i++)
		append_to(f->acct, "Box", i);
	assert_int_equal(store_view_open(f->acct, "Box", false, &a, &error), 0);
	assert_int_equal(store_view_open(f->acct, "Box", false, &a2, &error), 0);
	assert_int_equal(store_view_open(f->acct, "Box", false, &b, &error), 0);
	assert_int_equal(store_view_expunge(b, &uid, 1, &error), 0);
	store_view_close(&b);
	store_view_hibernate(a);
	assert_int_equal(store_mailbox_delete(f->acct, "Box", &error), 0);
	assert_int_equal(store_view_refresh(a, STORE_REFRESH_EXPUNGE, &ch, &error), 0);
	assert_int_equal(store_view_refresh(a2, STORE_REFRESH_EXPUNGE, &ch2, &error), 0);
	assert_true(ch.mailbox_deleted);
	assert_int_equal(ch.n_expunged, 4);
	assert_int_equal(ch.n_expunged, ch2.n_expunged);
	assert_memory_equal(ch.expunged_uids, ch2.expunged_uids, 4 * sizeof(uint32_t));
	assert_memory_equal(ch.expunged_seqs, ch2.expunged_seqs, 4 * sizeof(uint32_t));
	assert_int_equal(ch.new_count, 0);
	store_view_changes_free(&ch);
	store_view_changes_free(&ch2);
	store_view_close(&a);
	store_view_close(&a2);
}

/* n messages straight into the index (views need no message files). */
static void
fill_index(struct store_account *acct, uint32_t n)
{
	sqlite3_stmt *st;

	assert_int_equal(db_begin(acct->db), 0);
	st = db_prepare(acct->db,
			"WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s"
			" WHERE v < ?1) INSERT INTO messages (mailbox, uid, modseq, flags,"
			" keywords, internaldate, size, file, data)"
			" SELECT (SELECT id FROM mailboxes WHERE name = 'INBOX'), v, v,"
			" v % 3, 0, 0, 100, 'x', 0 FROM s");
	sqlite3_bind_int64(st, 1, n);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	st = db_prepare(acct->db, "UPDATE mailboxes SET uidnext = ?1 + 1, highestmodseq = ?1,"
				  " recent_uid = ?1 + 1 WHERE name = 'INBOX'");
	sqlite3_bind_int64(st, 1, n);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(db_commit(acct->db), 0);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* 10,000 messages: what a hibernated view keeps, and what hibernate + wake costs. */
static void
test_memory_and_time(void **state)
{
	struct test_account *f = *state;
	struct store_view *views[100], *v;
	const char *error;
	double t0, t_hib = 0, t_wake = 0;
	size_t before, after;

	fill_index(f->acct, 10000);
	assert_int_equal(store_view_open(f->acct, "INBOX", false, &v, &error), 0);
	assert_int_equal(store_view_count(v), 10000);
	for (int i = 0; i < 5; i++) {
		t0 = now_ms();
		store_view_hibernate(v);
		t_hib += now_ms() - t0;
		t0 = now_ms();
		assert_int_equal(store_view_wake(v, &error), 0);
		t_wake += now_ms() - t0;
	}
	assert_int_equal(store_view_msgs(v)[9999].uid, 10000);
	printf("hibernate %.3f ms, wake %.3f ms (10,000 messages, mean of 5)\n", t_hib / 5,
	       t_wake / 5);
	assert_true(t_hib / 5 + t_wake / 5 < 100); /* the goal is < 10 ms; slack for sanitizers */
	store_view_close(&v);

	before = mallinfo2().uordblks;
	for (int i = 0; i < 100; i++) {
		assert_int_equal(store_view_open(f->acct, "INBOX", true, &views[i], &error), 0);
		store_view_hibernate(views[i]);
	}
	after = mallinfo2().uordblks;
	printf("hibernated view: %zu bytes each (struct store_view: %zu bytes)\n",
	       (after - before) / 100, sizeof(struct store_view));
#ifndef UNDER_ASAN
	assert_true((after - before) / 100 < sizeof(struct store_view) + 512);
#endif
	for (int i = 0; i < 100; i++)
		store_view_close(&views[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_readwrite),
		cmocka_unit_test(test_random_readonly),
		cmocka_unit_test_setup_teardown(test_stays_asleep, test_account_setup,
						test_account_teardown),
		cmocka_unit_test_setup_teardown(test_mailbox_deleted, test_account_setup,
						test_account_teardown),
		cmocka_unit_test_setup_teardown(test_memory_and_time, test_account_setup,
						test_account_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
