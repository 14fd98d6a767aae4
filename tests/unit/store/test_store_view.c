/* Store tests: views and their refresh (new mail, flag changes, expunges at the caller's
 * pace), flags and keywords with UNCHANGEDSINCE, expunge and VANISHED, copy and move
 * (COPYUID mapping), and the notify bus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_account.h"
#include "store/store_mailbox.h"
#include "store/store_msg.h"
#include "store/store_notify.h"
#include "store/store_view.h"
#include "store_test_util.h"
#include "util/buf.h"

static uint32_t
append(struct store_account *acct, const char *mailbox, unsigned tag)
{
	return test_append_msg(acct, mailbox, 200, tag);
}

static struct store_view *
view(struct store_account *acct, const char *name)
{
	struct store_view *v;
	const char *error;

	assert_int_equal(store_view_open(acct, name, false, &v, &error), 0);
	return v;
}

static void
store_flags(struct store_view *v, uint32_t uid, enum store_flags_mode mode, uint32_t flags,
	    const char *kw, uint64_t unchangedsince, struct store_flags_result *res)
{
	const char *error;
	const char *kws[1] = {kw};

	assert_int_equal(store_view_store_flags(v, &uid, 1, mode, flags, kws, kw != NULL,
						unchangedsince, res, &error),
			 0);
}

static void
test_refresh_new_and_flags(void **state)
{
	struct test_account *f = *state;
	struct store_view *a, *b;
	struct store_view_changes ch;
	struct store_flags_result res;
	const char *error;

	append(f->acct, "INBOX", 1);
	a = view(f->acct, "INBOX");
	b = view(f->acct, "INBOX");
	assert_int_equal(store_view_recent_count(a), 1);
	assert_int_equal(store_view_recent_count(b), 0);
	append(f->acct, "INBOX", 2);
	/* views do not change by themselves */
	assert_int_equal(store_view_count(a), 1);
	assert_int_equal(store_view_refresh(a, 0, &ch, &error), 0);
	assert_int_equal(ch.old_count, 1);
	assert_int_equal(ch.new_count, 2);
	assert_int_equal(ch.n_changed, 0);
	assert_int_equal(store_view_recent_count(a), 2);
	store_view_changes_free(&ch);
	/* a got the \Recent of message 2 first */
	assert_int_equal(store_view_refresh(b, 0, &ch, &error), 0);
	assert_int_equal(ch.new_count, 2);
	assert_int_equal(store_view_recent_count(b), 0);
	store_view_changes_free(&ch);

	store_flags(b, 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN | STORE_FLAG_FLAGGED, "Todo", 0, &res);
	assert_int_equal(res.n_changed, 1);
	assert_true(res.keywords_changed);
	assert_int_equal(store_view_msgs(b)[0].flags & STORE_FLAGS_STORABLE,
			 STORE_FLAG_SEEN | STORE_FLAG_FLAGGED);
	assert_int_equal(store_view_msgs(b)[0].modseq, res.modseq);
	store_flags_result_free(&res);
	/* the own change is not reported again */
	assert_int_equal(store_view_refresh(b, STORE_REFRESH_EXPUNGE, &ch, &error), 0);
	assert_int_equal(ch.n_changed, 0);
	assert_false(ch.keywords_changed);
	store_view_changes_free(&ch);
	/* the other view sees it */
	assert_int_equal(store_view_refresh(a, 0, &ch, &error), 0);
	assert_int_equal(ch.n_changed, 1);
	assert_int_equal(ch.changed_uids[0], 1);
	assert_true(ch.keywords_changed);
	assert_int_equal(store_view_msgs(a)[0].keywords, 1);
	assert_int_equal(store_view_msgs(a)[0].flags & STORE_FLAGS_STORABLE,
			 STORE_FLAG_SEEN | STORE_FLAG_FLAGGED);
	assert_true(store_view_msgs(a)[0].flags & STORE_FLAG_RECENT);
	store_view_changes_free(&ch);

	/* no-op STORE keeps MODSEQ */
	store_flags(b, 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL, 0, &res);
	assert_int_equal(res.n_changed, 0);
	store_flags_result_free(&res);
	store_flags(b, 1, STORE_FLAGS_REMOVE, 0, "Todo", 0, &res);
	assert_int_equal(res.n_changed, 1);
	assert_int_equal(store_view_msgs(b)[0].keywords, 0);
	store_flags_result_free(&res);
	store_flags(b, 1, STORE_FLAGS_REPLACE, STORE_FLAG_ANSWERED, NULL, 0, &res);
	assert_int_equal(store_view_msgs(b)[0].flags & STORE_FLAGS_STORABLE, STORE_FLAG_ANSWERED);
	store_flags_result_free(&res);
	store_view_close(&a);
	store_view_close(&b);
}

static void
test_unchangedsince(void **state)
{
	struct test_account *f = *state;
	struct store_flags_result res;
	struct store_view *a, *b;
	uint32_t uids[2];
	uint64_t m1;
	const char *error;

	append(f->acct, "INBOX", 1);
	append(f->acct, "INBOX", 2);
	a = view(f->acct, "INBOX");
	b = view(f->acct, "INBOX");
	m1 = store_view_msgs(a)[0].modseq;
	store_flags(b, 2, STORE_FLAGS_ADD, STORE_FLAG_DELETED, NULL, 0, &res);
	store_flags_result_free(&res);
	uids[0] = 1;
	uids[1] = 2;
	/* RFC 7162 3.1.3: message 2 changed since: it fails, 1 is stored */
	assert_int_equal(store_view_store_flags(a, uids, 2, STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL,
						0, store_view_highestmodseq(a), &res, &error),
			 0);
	assert_int_equal(res.n_failed, 1);
	assert_int_equal(res.failed_uids[0], 2);
	assert_int_equal(res.n_changed, 1);
	assert_int_equal(res.changed_uids[0], 1);
	assert_true(res.modseq > m1);
	store_flags_result_free(&res);
	store_view_close(&a);
	store_view_close(&b);
}

static void
test_keyword_limit(void **state)
{
	struct test_account *f = *state;
	struct store_flags_result res;
	struct store_view *a;
	uint32_t uid = 1;
	const char *error;
	char name[16];

	append(f->acct, "INBOX", 1);
	a = view(f->acct, "INBOX");
	for (int i = 0; i < 64; i++) {
		const char *kw = name;

		snprintf(name, sizeof(name), "k%d", i);
		assert_int_equal(store_view_store_flags(a, &uid, 1, STORE_FLAGS_ADD, 0, &kw, 1, 0,
							&res, &error),
				 0);
		store_flags_result_free(&res);
	}
	assert_int_equal(store_view_msgs(a)[0].keywords, UINT64_MAX);
	{
		const char *kw = "one-too-many";

		assert_int_equal(store_view_store_flags(a, &uid, 1, STORE_FLAGS_ADD, 0, &kw, 1, 0,
							&res, &error),
				 -1);
		assert_int_equal(store_account_errcode(f->acct), STORE_ERR_LIMIT);
	}
	store_view_close(&a);
}

static void
test_expunge_vanished(void **state)
{
	struct test_account *f = *state;
	struct store_view *a, *b;
	struct store_view_changes ch;
	uint32_t uids[3] = {2, 3, 5}, *vanished;
	uint64_t before;
	const char *error;
	size_t n;
	uint64_t size;

	for (unsigned i = 1; i <= 6; i++)
		append(f->acct, "INBOX", i);
	a = view(f->acct, "INBOX");
	b = view(f->acct, "INBOX");
	before = store_view_highestmodseq(a);
	assert_int_equal(store_view_expunge(b, uids, 3, &error), 0);
	/* the own view: marked, removed at the refresh that allows it */
	assert_true(store_view_msgs(b)[1].flags & STORE_FLAG_EXPUNGED);
	assert_int_equal(store_msg_open(b, 2, &size, &error), -1);
	assert_int_equal(store_account_errcode(f->acct), STORE_ERR_NONEXISTENT);
	/* the other: not during FETCH/STORE/SEARCH (no STORE_REFRESH_EXPUNGE) */
	assert_int_equal(store_view_refresh(a, 0, &ch, &error), 0);
	assert_int_equal(ch.n_expunged, 0);
	assert_int_equal(store_view_count(a), 6);
	assert_true(store_view_msgs(a)[4].flags & STORE_FLAG_EXPUNGED);
	store_view_changes_free(&ch);
	assert_int_equal(store_view_refresh(a, STORE_REFRESH_EXPUNGE, &ch, &error), 0);
	assert_int_equal(ch.n_expunged, 3);
	assert_int_equal(ch.expunged_uids[0], 2);
	assert_int_equal(ch.expunged_seqs[0], 2);
	assert_int_equal(ch.expunged_uids[2], 5);
	assert_int_equal(ch.expunged_seqs[2], 5);
	assert_int_equal(ch.old_count, 3);
	assert_int_equal(store_view_count(a), 3);
	assert_int_equal(store_view_seq(a, 6), 3);
	store_view_changes_free(&ch);
	assert_int_equal(store_view_refresh(b, STORE_REFRESH_EXPUNGE, &ch, &error), 0);
	assert_int_equal(ch.n_expunged, 3);
	store_view_changes_free(&ch);
	/* VANISHED (EARLIER) since the old modseq; none since now */
	assert_int_equal(store_view_vanished_since(a, before, 1, UINT32_MAX, &vanished, &n, &error),
			 0);
	assert_int_equal(n, 3);
	assert_int_equal(vanished[0], 2);
	assert_int_equal(vanished[1], 3);
	assert_int_equal(vanished[2], 5);
	free(vanished);
	assert_int_equal(store_view_vanished_since(a, before, 3, 4, &vanished, &n, &error), 0);
	assert_int_equal(n, 1);
	assert_int_equal(vanished[0], 3);
	free(vanished);
	assert_int_equal(store_view_vanished_since(a, store_view_highestmodseq(a), 1, UINT32_MAX,
						   &vanished, &n, &error),
			 0);
	assert_int_equal(n, 0);
	free(vanished);
	/* UIDs are never reused */
	assert_int_equal(append(f->acct, "INBOX", 9), 7);
	store_view_close(&a);
	store_view_close(&b);
}

static void
test_copy_move(void **state)
{
	struct test_account *f = *state;
	struct store_copy_result res;
	struct store_flags_result fres;
	struct store_view *in, *arch;
	struct store_view_changes ch;
	struct buf b1 = BUF_INIT, b2 = BUF_INIT;
	uint32_t uids[3] = {1, 2, 3};
	const char *error;
	size_t n;

	for (unsigned i = 1; i <= 3; i++)
		append(f->acct, "INBOX", i);
	append(f->acct, "Archive", 10);
	in = view(f->acct, "INBOX");
	store_flags(in, 2, STORE_FLAGS_ADD, STORE_FLAG_FLAGGED, "Important", 0, &fres);
	store_flags_result_free(&fres);
	assert_int_equal(store_view_copy(in, uids, 3, "Archive", false, &res, &error), 0);
	assert_int_equal(res.count, 3);
	assert_int_equal(res.src_uids[1], 2);
	assert_int_equal(res.dst_uids[0], 2);
	assert_int_equal(res.dst_uids[2], 4);
	arch = view(f->acct, "Archive");
	assert_int_equal(res.dest_uidvalidity, store_view_uidvalidity(arch));
	store_copy_result_free(&res);
	assert_int_equal(store_view_count(arch), 4);
	/* flags and keywords by name, \Recent for the destination's first session */
	assert_int_equal(store_view_msgs(arch)[2].flags, STORE_FLAG_FLAGGED | STORE_FLAG_RECENT);
	assert_int_equal(store_view_msgs(arch)[2].keywords, 1);
	assert_string_equal(store_view_keywords(arch, &n)[0], "Important");
	test_read_msg(in, 2, &b1);
	test_read_msg(arch, 3, &b2);
	assert_int_equal(b1.len, b2.len);
	assert_memory_equal(b1.data, b2.data, b1.len);
	/* to a missing mailbox: TRYCREATE */
	assert_int_equal(store_view_copy(in, uids, 1, "Nope", false, &res, &error), -1);
	assert_int_equal(store_account_errcode(f->acct), STORE_ERR_NONEXISTENT);
	/* move */
	assert_int_equal(store_view_copy(in, uids + 1, 1, "Trash", true, &res, &error), 0);
	assert_int_equal(res.count, 1);
	assert_int_equal(res.dst_uids[0], 1);
	store_copy_result_free(&res);
	assert_int_equal(store_view_refresh(in, STORE_REFRESH_EXPUNGE, &ch, &error), 0);
	assert_int_equal(ch.n_expunged, 1);
	assert_int_equal(ch.expunged_uids[0], 2);
	store_view_changes_free(&ch);
	store_view_close(&arch);
	arch = view(f->acct, "Trash");
	buf_reset(&b2);
	test_read_msg(arch, 1, &b2);
	assert_int_equal(b1.len, b2.len);
	assert_memory_equal(b1.data, b2.data, b1.len);
	/* the copy in Archive still reads after the original moved */
	buf_reset(&b2);
	store_view_close(&arch);
	arch = view(f->acct, "Archive");
	test_read_msg(arch, 3, &b2);
	assert_memory_equal(b1.data, b2.data, b1.len);
	/* expunging a copy leaves the other name */
	uids[0] = 3;
	assert_int_equal(store_view_expunge(arch, uids, 1, &error), 0);
	store_view_close(&arch);
	arch = view(f->acct, "Trash");
	buf_reset(&b2);
	test_read_msg(arch, 1, &b2);
	assert_memory_equal(b1.data, b2.data, b1.len);
	/* move within the same mailbox: new UID */
	uids[0] = 1;
	assert_int_equal(store_view_copy(arch, uids, 1, "Trash", true, &res, &error), 0);
	assert_int_equal(res.dst_uids[0], 2);
	store_copy_result_free(&res);
	assert_int_equal(store_view_refresh(arch, STORE_REFRESH_EXPUNGE, &ch, &error), 0);
	assert_int_equal(ch.n_expunged, 1);
	assert_int_equal(store_view_count(arch), 1);
	assert_int_equal(store_view_msgs(arch)[0].uid, 2);
	store_view_changes_free(&ch);
	buf_free(&b1);
	buf_free(&b2);
	store_view_close(&arch);
	store_view_close(&in);
}

struct events {
	int n[4];
	char last_mailbox[64];
	struct store_notify *self;
	bool unsubscribe_self;
};

static void
on_event(void *ctx, const struct store_event *ev)
{
	struct events *e = ctx;

	e->n[ev->type]++;
	snprintf(e->last_mailbox, sizeof(e->last_mailbox), "%s", ev->mailbox);
	if (e->unsubscribe_self)
		store_notify_unsubscribe(&e->self);
}

static void
test_notify(void **state)
{
	struct test_account *f = *state;
	struct events e = {0}, once = {0};
	struct store_target t = {"U@example.test", NULL, NULL, 0};
	struct store_flags_result fres;
	struct store_copy_result cres;
	struct store_view *v;
	uint32_t uid = 1;
	const char *error;

	e.self = store_notify_subscribe(f->store, "u@example.test", on_event, &e);
	once.self = store_notify_subscribe(f->store, "u@example.test", on_event, &once);
	once.unsubscribe_self = true;
	assert_int_equal(store_deliver_sync(f->store, &t, 1, "a\r\n", 3, 0, &error), 0);
	assert_int_equal(e.n[STORE_EVENT_NEW], 1);
	assert_string_equal(e.last_mailbox, "INBOX");
	assert_int_equal(once.n[STORE_EVENT_NEW], 1);
	assert_null(once.self);
	v = view(f->acct, "INBOX");
	store_flags(v, 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL, 0, &fres);
	store_flags_result_free(&fres);
	assert_int_equal(e.n[STORE_EVENT_FLAGS], 1);
	assert_int_equal(store_view_copy(v, &uid, 1, "Sent", true, &cres, &error), 0);
	store_copy_result_free(&cres);
	assert_int_equal(e.n[STORE_EVENT_NEW], 2);
	assert_int_equal(e.n[STORE_EVENT_EXPUNGE], 1);
	assert_int_equal(store_mailbox_create(f->acct, "New", 0, &error), 0);
	assert_int_equal(e.n[STORE_EVENT_MAILBOX], 1);
	assert_int_equal(once.n[STORE_EVENT_MAILBOX], 0);
	store_notify_unsubscribe(&e.self);
	assert_int_equal(store_mailbox_delete(f->acct, "New", &error), 0);
	assert_int_equal(e.n[STORE_EVENT_MAILBOX], 1);
	store_view_close(&v);
}

static void
test_deleted_mailbox_view(void **state)
{
	struct test_account *f = *state;
	struct store_view *v;
	struct store_view_changes ch;
	const char *error;

	assert_int_equal(store_mailbox_create(f->acct, "Gone", 0, &error), 0);
	append(f->acct, "Gone", 1);
	v = view(f->acct, "Gone");
	assert_int_equal(store_mailbox_delete(f->acct, "Gone", &error), 0);
	assert_int_equal(store_mailbox_create(f->acct, "Gone", 0, &error), 0);
	assert_int_equal(store_view_refresh(v, STORE_REFRESH_EXPUNGE, &ch, &error), 0);
	assert_true(ch.mailbox_deleted);
	assert_int_equal(ch.n_expunged, 1);
	assert_int_equal(store_view_count(v), 0);
	store_view_changes_free(&ch);
	store_view_close(&v);
}

static void
test_rename_seen_by_view(void **state)
{
	struct test_account *f = *state;
	struct store_view *v;
	struct store_view_changes ch;
	const char *error;

	assert_int_equal(store_mailbox_create(f->acct, "Old", 0, &error), 0);
	append(f->acct, "Old", 1);
	v = view(f->acct, "Old");
	assert_int_equal(store_mailbox_rename(f->acct, "Old", "New", &error), 0);
	append(f->acct, "New", 2);
	assert_int_equal(store_view_refresh(v, STORE_REFRESH_EXPUNGE, &ch, &error), 0);
	assert_true(ch.renamed);
	assert_false(ch.mailbox_deleted);
	assert_int_equal(ch.new_count, 2);
	assert_string_equal(store_view_mailbox_name(v), "New");
	store_view_changes_free(&ch);
	store_view_close(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refresh_new_and_flags, test_account_setup,
						test_account_teardown),
		cmocka_unit_test_setup_teardown(test_unchangedsince, test_account_setup,
						test_account_teardown),
		cmocka_unit_test_setup_teardown(test_keyword_limit, test_account_setup,
						test_account_teardown),
		cmocka_unit_test_setup_teardown(test_expunge_vanished, test_account_setup,
						test_account_teardown),
		cmocka_unit_test_setup_teardown(test_copy_move, test_account_setup,
						test_account_teardown),
		cmocka_unit_test_setup_teardown(test_notify, test_account_setup,
						test_account_teardown),
		cmocka_unit_test_setup_teardown(test_deleted_mailbox_view, test_account_setup,
						test_account_teardown),
		cmocka_unit_test_setup_teardown(test_rename_seen_by_view, test_account_setup,
						test_account_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
