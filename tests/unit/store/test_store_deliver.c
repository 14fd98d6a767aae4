/* Store tests: accounts, delivery (prefix, several targets, fallbacks, failures), append
 * and reading messages and their metadata back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_account.h"
#include "store/store_mailbox.h"
#include "store/store_msg.h"
#include "store/store_view.h"
#include "store_test_util.h"
#include "util/buf.h"

struct fixture {
	char *dir;
	struct store *store;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *error;

	f->dir = test_tmpdir();
	f->store = test_store_open(f->dir);
	assert_int_equal(store_account_create(f->store, "a@example.test", &error), 0);
	assert_int_equal(store_account_create(f->store, "B@Example.Test", &error), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	store_close(&f->store);
	test_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static struct store_view *
open_view(struct store *store, const char *account, const char *mailbox)
{
	struct store_account *acct;
	struct store_view *view;
	const char *error = NULL;

	acct = store_account_open(store, account, &error);
	if (acct == NULL)
		fail_msg("store_account_open: %s", error);
	if (store_view_open(acct, mailbox, false, &view, &error) < 0)
		fail_msg("store_view_open: %s", error);
	store_account_unref(&acct);
	return view;
}

static void
test_accounts(void **state)
{
	struct fixture *f = *state;
	struct store_mailbox_info *list;
	struct store_account *acct;
	const char *error;
	size_t n;

	assert_true(store_account_exists(f->store, "a@example.test"));
	assert_true(store_account_exists(f->store, "b@example.test"));
	assert_true(store_account_exists(f->store, "A@EXAMPLE.TEST"));
	assert_false(store_account_exists(f->store, "c@example.test"));
	/* idempotent */
	assert_int_equal(store_account_create(f->store, "a@example.test", &error), 0);
	assert_int_equal(store_account_create(f->store, "x/y@example.test", &error), -1);
	assert_int_equal(store_account_create(f->store, ".x@example.test", &error), -1);
	assert_int_equal(store_account_create(f->store, "x\n@example.test", &error), -1);
	assert_int_equal(store_account_create(f->store, "", &error), -1);

	acct = store_account_open(f->store, "a@example.test", &error);
	assert_non_null(acct);
	assert_int_equal(store_mailbox_list(acct, &list, &n, &error), 0);
	assert_int_equal(n, 6);
	assert_string_equal(list[0].name, "INBOX");
	assert_true(list[0].attrs & STORE_MAILBOX_SUBSCRIBED);
	for (size_t i = 1; i < n; i++) {
		const char *su = store_mailbox_special_use_name(list[i].attrs);

		assert_non_null(su);
		assert_string_equal(su + 1, list[i].name);
		assert_true(list[i].attrs & STORE_MAILBOX_SUBSCRIBED);
	}
	store_mailbox_list_free(&list, n);
	store_account_unref(&acct);

	assert_int_equal(store_account_delete(f->store, "b@example.test", &error), 0);
	assert_false(store_account_exists(f->store, "b@example.test"));
	assert_null(store_account_open(f->store, "b@example.test", &error));
	assert_int_equal(store_account_delete(f->store, "b@example.test", &error), 0);
	assert_int_equal(store_account_create(f->store, "b@example.test", &error), 0);
	assert_true(store_account_exists(f->store, "b@example.test"));
}

static void
test_deliver_prefix(void **state)
{
	struct fixture *f = *state;
	static const char msg[] = "Subject: hello\r\n\r\nbody line\r\n.dot line\r\n";
	struct store_target t[2] = {
		{"a@example.test", NULL, "Delivered-To: a@example.test\r\n", 30},
		{"b@example.test", "INBOX", NULL, 0},
	};
	struct store_view *va, *vb;
	struct buf b = BUF_INIT;
	const char *error = NULL;
	struct store_msg_meta meta;

	assert_int_equal(
		store_deliver_sync(f->store, t, 2, msg, sizeof(msg) - 1, 1700000000, &error), 0);
	va = open_view(f->store, "a@example.test", "INBOX");
	vb = open_view(f->store, "b@example.test", "inbox");
	assert_int_equal(store_view_count(va), 1);
	assert_int_equal(store_view_count(vb), 1);
	assert_int_equal(store_view_msgs(va)[0].uid, 1);
	assert_true(store_view_msgs(va)[0].flags & STORE_FLAG_RECENT);
	test_read_msg(va, 1, &b);
	assert_int_equal(b.len, 30 + sizeof(msg) - 1);
	assert_memory_equal(b.data, "Delivered-To: a@example.test\r\n", 30);
	assert_memory_equal(b.data + 30, msg, sizeof(msg) - 1);
	buf_reset(&b);
	test_read_msg(vb, 1, &b);
	assert_int_equal(b.len, sizeof(msg) - 1);
	assert_memory_equal(b.data, msg, sizeof(msg) - 1);
	buf_reset(&b);
	/* a range */
	assert_int_equal(store_msg_read(vb, 1, 9, 5, &b, &error), 0);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "hello", 5);
	buf_free(&b);

	assert_int_equal(store_msg_get(va, 1, STORE_MSG_SEARCH | STORE_MSG_ENVELOPE, &meta, &error),
			 1);
	assert_int_equal(meta.size, 30 + sizeof(msg) - 1);
	assert_int_equal(meta.internaldate, 1700000000);
	assert_int_equal(meta.subject.len, 5);
	assert_memory_equal(meta.subject.data, "hello", 5);
	assert_true(meta.envelope.len > 0);
	assert_null(meta.header.data); /* only with STORE_MSG_PARTS */
	/* the top-level header as the file starts: the target's prefix, then the message's own
	 * header and its blank line (schema step 3, served to BODY[HEADER...]) */
	assert_int_equal(store_msg_get(va, 1, STORE_MSG_PARTS, &meta, &error), 1);
	assert_int_equal(meta.header.len, 30 + 18);
	assert_memory_equal(meta.header.data,
			    "Delivered-To: a@example.test\r\nSubject: hello\r\n\r\n", 48);
	assert_int_equal(store_msg_get(vb, 1, STORE_MSG_PARTS, &meta, &error), 1);
	assert_int_equal(meta.header.len, 18);
	assert_memory_equal(meta.header.data, "Subject: hello\r\n\r\n", 18);
	assert_int_equal(store_msg_get(va, 2, 0, &meta, &error), 0);
	store_view_close(&va);
	store_view_close(&vb);
}

static void
test_deliver_failures(void **state)
{
	struct fixture *f = *state;
	struct store_target t[2] = {
		{"a@example.test", NULL, NULL, 0},
		{"nobody@example.test", NULL, NULL, 0},
	};
	struct store_target one = {"a@example.test", "No/Such", NULL, 0};
	struct store_view *v;
	const char *error = NULL;
	struct store_status st;
	struct store_account *acct;

	assert_int_equal(store_deliver_sync(f->store, t, 2, "x\r\n", 3, 0, &error), -1);
	assert_non_null(error);
	assert_int_equal(store_deliver_sync(f->store, t, 0, "x\r\n", 3, 0, &error), -1);
	v = open_view(f->store, "a@example.test", "INBOX");
	assert_int_equal(store_view_count(v), 0);
	store_view_close(&v);
	/* a missing mailbox falls back to INBOX */
	assert_int_equal(store_deliver_sync(f->store, &one, 1, "x\r\n", 3, 0, &error), 0);
	one.mailbox = "Sent";
	assert_int_equal(store_deliver_sync(f->store, &one, 1, "y\r\n", 3, 0, &error), 0);
	acct = store_account_open(f->store, "a@example.test", &error);
	assert_int_equal(store_mailbox_status(acct, "INBOX", &st, &error), 0);
	assert_int_equal(st.messages, 1);
	assert_int_equal(st.uidnext, 2);
	assert_int_equal(st.recent, 1);
	assert_int_equal(st.unseen, 1);
	assert_int_equal(st.size, 3);
	assert_int_equal(store_mailbox_status(acct, "Sent", &st, &error), 0);
	assert_int_equal(st.messages, 1);
	assert_int_equal(store_mailbox_status(acct, "Nope", &st, &error), -1);
	assert_int_equal(store_account_errcode(acct), STORE_ERR_NONEXISTENT);
	store_account_unref(&acct);
}

static void
deliver_cb(void *ctx, int result, const char *error)
{
	int *called = ctx;

	(void)error;
	*called = result == 0 ? 1 : -1;
}

static void
test_deliver_async_no_base(void **state)
{
	struct fixture *f = *state;
	struct store_target t = {"a@example.test", NULL, NULL, 0};
	int called = 0;

	store_deliver(f->store, &t, 1, "a\r\n", 3, 0, deliver_cb, &called);
	assert_int_equal(called, 1);
	t.account = "nobody@example.test";
	store_deliver(f->store, &t, 1, "a\r\n", 3, 0, deliver_cb, &called);
	assert_int_equal(called, -1);
}

static void
test_uids_modseq(void **state)
{
	struct fixture *f = *state;
	struct store_target t = {"a@example.test", NULL, NULL, 0};
	struct store_view *v;
	const char *error;
	uint64_t last = 0;

	for (int i = 0; i < 20; i++) {
		size_t len;
		char *msg = test_make_msg(100 + (size_t)i * 50, (unsigned)i, &len);

		assert_int_equal(store_deliver_sync(f->store, &t, 1, msg, len, 0, &error), 0);
		free(msg);
	}
	v = open_view(f->store, "a@example.test", "INBOX");
	assert_int_equal(store_view_count(v), 20);
	for (size_t i = 0; i < 20; i++) {
		const struct store_view_msg *m = &store_view_msgs(v)[i];

		assert_int_equal(m->uid, i + 1);
		assert_true(m->modseq > last);
		last = m->modseq;
		assert_int_equal(store_view_seq(v, m->uid), i + 1);
	}
	assert_int_equal(store_view_uidnext(v), 21);
	assert_true(store_view_highestmodseq(v) >= last);
	assert_int_equal(store_view_recent_count(v), 20);
	store_view_close(&v);
	/* \Recent went to the first session */
	v = open_view(f->store, "a@example.test", "INBOX");
	assert_int_equal(store_view_recent_count(v), 0);
	store_view_close(&v);
}

static void
test_append(void **state)
{
	struct fixture *f = *state;
	static const char msg[] = "From: x@y\r\nSubject: appended\r\n\r\nhi\r\n";
	const char *kw[] = {"$Forwarded", "Work"};
	struct store_account *acct;
	struct store_msg_cursor *cur;
	struct store_msg_meta meta;
	struct store_view *v;
	uint32_t uidvalidity, uid;
	const char *error;
	size_t n;

	acct = store_account_open(f->store, "a@example.test", &error);
	assert_int_equal(store_append_sync(acct, "Drafts",
					   STORE_FLAG_SEEN | STORE_FLAG_DRAFT | STORE_FLAG_RECENT,
					   kw, 2, 1600000000, -7200, msg, sizeof(msg) - 1,
					   &uidvalidity, &uid, &error),
			 0);
	assert_int_equal(uid, 1);
	assert_int_equal(store_append_sync(acct, "Drafts", 0, NULL, 0, 0, 0, msg, sizeof(msg) - 1,
					   &uidvalidity, &uid, &error),
			 0);
	assert_int_equal(uid, 2);
	assert_int_equal(store_append_sync(acct, "Nope", 0, NULL, 0, 0, 0, msg, sizeof(msg) - 1,
					   &uidvalidity, &uid, &error),
			 -1);
	assert_int_equal(store_account_errcode(acct), STORE_ERR_NONEXISTENT);
	assert_int_equal(store_view_open(acct, "Drafts", false, &v, &error), 0);
	assert_int_equal(store_view_uidvalidity(v), uidvalidity);
	assert_int_equal(store_view_msgs(v)[0].flags & STORE_FLAGS_STORABLE,
			 STORE_FLAG_SEEN | STORE_FLAG_DRAFT);
	assert_int_equal(store_view_msgs(v)[0].keywords, 3);
	assert_string_equal(store_view_keywords(v, &n)[1], "Work");
	assert_int_equal(n, 2);
	assert_int_equal(store_view_keyword_index(v, "work"), 1);
	cur = store_msg_cursor_open(v, 1, UINT32_MAX, STORE_MSG_BODYSTRUCTURE);
	assert_int_equal(store_msg_cursor_next(cur, &meta, &error), 1);
	assert_int_equal(meta.uid, 1);
	assert_int_equal(meta.internaldate, 1600000000);
	assert_int_equal(meta.internaldate_tz, -7200); /* the APPEND's zone is kept */
	assert_true(meta.bodystructure.len > 0);
	assert_null(meta.envelope.data);
	assert_int_equal(store_msg_cursor_next(cur, &meta, &error), 1);
	assert_int_equal(meta.uid, 2);
	assert_int_equal(store_msg_cursor_next(cur, &meta, &error), 0);
	store_msg_cursor_close(&cur);

	/* STORE_MSG_FILE: read by the file's name (no lookup), the same bytes as by UID; a
	 * file gone since the row was read is an expunged message */
	cur = store_msg_cursor_open(v, 2, 2, STORE_MSG_FILE);
	assert_int_equal(store_msg_cursor_next(cur, &meta, &error), 1);
	assert_non_null(meta.file.data);
	{
		struct buf by_name = BUF_INIT, by_uid = BUF_INIT;
		struct store_msg_meta no_file = meta, gone = meta;
		char path[4200];

		no_file.file.data = NULL;
		assert_int_equal(store_msg_read_meta(v, &meta, 5, 100, &by_name, &error), 0);
		assert_int_equal(store_msg_read_meta(v, &no_file, 5, 100, &by_uid, &error), 0);
		assert_int_equal(by_name.len, sizeof(msg) - 1 - 5);
		assert_memory_equal(by_name.data, msg + 5, by_name.len);
		assert_int_equal(by_uid.len, by_name.len);
		assert_memory_equal(by_uid.data, by_name.data, by_uid.len);
		snprintf(path, sizeof(path), "%s/mail/a@example.test/msg/%.*s", f->dir,
			 (int)meta.file.len, meta.file.data);
		assert_int_equal(unlink(path), 0);
		gone.file = meta.file;
		assert_int_equal(store_msg_read_meta(v, &gone, 0, 10, &by_name, &error), -1);
		assert_int_equal(store_account_errcode(acct), STORE_ERR_NONEXISTENT);
		buf_free(&by_name);
		buf_free(&by_uid);
	}
	store_msg_cursor_close(&cur);
	store_view_close(&v);
	store_account_unref(&acct);
}

/* Cursors reuse the account's statement per field mask; a second cursor with the same mask
 * open at the same time gets its own; only the asked-for columns are filled. */
static void
test_cursor_cache(void **state)
{
	struct fixture *f = *state;
	static const char msg[] = "From: x@y\r\nDate: Mon, 4 Mar 2024 10:00:00 +0100\r\n"
				  "Subject: dated\r\n\r\nhi\r\n";
	const unsigned mask = STORE_MSG_BODYSTRUCTURE | STORE_MSG_HEADER_INFO;
	struct store_msg_cursor *a, *b;
	struct store_msg_meta meta;
	struct store_account *acct;
	struct store_view *v;
	uint32_t uidvalidity, uid;
	const char *error;

	acct = store_account_open(f->store, "a@example.test", &error);
	for (int i = 0; i < 3; i++)
		assert_int_equal(store_append_sync(acct, "INBOX", 0, NULL, 0, 0, 0, msg,
						   sizeof(msg) - 1, &uidvalidity, &uid, &error),
				 0);
	assert_int_equal(store_view_open(acct, "INBOX", false, &v, &error), 0);
	for (int round = 0; round < 2; round++) {
		a = store_msg_cursor_open(v, 1, UINT32_MAX, mask);
		assert_int_equal(store_msg_cursor_next(a, &meta, &error), 1);
		assert_int_equal(meta.uid, 1);
		assert_int_equal(meta.sent_date, 1709542800);
		assert_int_equal(meta.sent_tz, 3600);
		assert_true(meta.header_size > 0);
		assert_true(meta.bodystructure.len > 0);
		assert_null(meta.envelope.data);
		b = store_msg_cursor_open(v, 2, 3, mask);
		assert_int_equal(store_msg_cursor_next(b, &meta, &error), 1);
		assert_int_equal(meta.uid, 2);
		assert_int_equal(store_msg_cursor_next(b, &meta, &error), 1);
		assert_int_equal(meta.uid, 3);
		assert_int_equal(store_msg_cursor_next(b, &meta, &error), 0);
		store_msg_cursor_close(&b);
		assert_int_equal(store_msg_cursor_next(a, &meta, &error), 1);
		assert_int_equal(meta.uid, 2);
		store_msg_cursor_close(&a); /* before the end: reset for the next round */
	}
	/* without STORE_MSG_HEADER_INFO the integers stay 0 */
	a = store_msg_cursor_open(v, 3, 3, STORE_MSG_ENVELOPE);
	assert_int_equal(store_msg_cursor_next(a, &meta, &error), 1);
	assert_int_equal(meta.uid, 3);
	assert_int_equal(meta.sent_date, 0);
	assert_int_equal(meta.header_size, 0);
	assert_true(meta.envelope.len > 0);
	assert_null(meta.bodystructure.data);
	assert_int_equal(store_msg_cursor_next(a, &meta, &error), 0);
	store_msg_cursor_close(&a);
	assert_int_equal(store_msg_get(v, 2, STORE_MSG_HEADER_INFO, &meta, &error), 1);
	assert_int_equal(meta.sent_date, 1709542800);
	store_view_close(&v);
	store_account_unref(&acct);
}

static void
test_big_message(void **state)
{
	struct fixture *f = *state;
	struct store_target t = {"a@example.test", NULL, "Return-Path: <>\r\n", 17};
	struct store_view *v;
	struct buf b = BUF_INIT;
	const char *error;
	size_t len;
	char *msg = test_make_msg(5 << 20, 7, &len);

	/* 8-bit bytes too */
	for (size_t i = 300; i < len; i += 997)
		if (msg[i] != '\r' && msg[i] != '\n')
			msg[i] = (char)0xe9;
	assert_int_equal(store_deliver_sync(f->store, &t, 1, msg, len, 0, &error), 0);
	v = open_view(f->store, "a@example.test", "INBOX");
	test_read_msg(v, 1, &b);
	assert_int_equal(b.len, len + 17);
	assert_memory_equal(b.data + 17, msg, len);
	buf_free(&b);
	store_view_close(&v);
	free(msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accounts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deliver_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deliver_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deliver_async_no_base, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uids_modseq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_message, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
