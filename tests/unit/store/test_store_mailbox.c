/* Store tests: mailbox create (with parents), delete (\Noselect rules), rename (children,
 * INBOX), subscriptions, names, UIDVALIDITY rules, STATUS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_account.h"
#include "store/store_mailbox.h"
#include "store/store_msg.h"
#include "store/store_view.h"
#include "store_test_util.h"
#include "util/buf.h"

/* attrs of name in the list, or -1 if not listed */
static int
attrs_of(struct store_account *acct, const char *name)
{
	struct store_mailbox_info *list;
	const char *error;
	size_t n;
	int ret = -1;

	assert_int_equal(store_mailbox_list(acct, &list, &n, &error), 0);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i].name, name) == 0)
			ret = (int)list[i].attrs;
	}
	store_mailbox_list_free(&list, n);
	return ret;
}

static uint32_t
uidvalidity_of(struct store_account *acct, const char *name)
{
	struct store_status st;
	const char *error;

	assert_int_equal(store_mailbox_status(acct, name, &st, &error), 0);
	return st.uidvalidity;
}

static void
append(struct store_account *acct, const char *mailbox, const char *text)
{
	uint32_t uidvalidity, uid;
	const char *error;

	assert_int_equal(store_append_sync(acct, mailbox, 0, NULL, 0, 0, 0, text, strlen(text),
					   &uidvalidity, &uid, &error),
			 0);
}

static void
test_names(void **state)
{
	static const char *bad[] = {"",   "/a",   "a/",       "a//b",    "a*",
				    "b%", "x\ty", "\xff\xfe", "\xc0\xaf"};
	char ok[] = "inbox/Sub";
	char ok2[] = "Inboxes";
	char utf8[] = "Caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac";

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char copy[32];

		strcpy(copy, bad[i]);
		assert_int_equal(store_mailbox_name_normalize(copy), -1);
	}
	assert_int_equal(store_mailbox_name_normalize(ok), 0);
	assert_string_equal(ok, "INBOX/Sub");
	assert_int_equal(store_mailbox_name_normalize(ok2), 0);
	assert_string_equal(ok2, "Inboxes");
	assert_int_equal(store_mailbox_name_normalize(utf8), 0);
	assert_int_equal(store_mailbox_special_use_parse("\\trash"), STORE_MAILBOX_TRASH);
	assert_int_equal(store_mailbox_special_use_parse("\\Nope"), 0);
}

static void
test_create(void **state)
{
	struct test_account *f = *state;
	const char *error;
	int a;

	assert_int_equal(store_mailbox_create(f->acct, "Work/2024/Q1", 0, &error), 0);
	assert_true(attrs_of(f->acct, "Work") >= 0);
	assert_true(attrs_of(f->acct, "Work") & STORE_MAILBOX_HAS_CHILDREN);
	assert_true(attrs_of(f->acct, "Work/2024") & STORE_MAILBOX_HAS_CHILDREN);
	a = attrs_of(f->acct, "Work/2024/Q1");
	assert_false(a & STORE_MAILBOX_HAS_CHILDREN);
	assert_false(a & STORE_MAILBOX_SUBSCRIBED);
	assert_int_equal(store_mailbox_create(f->acct, "work/2024/Q1", 0, &error), 0);
	assert_int_equal(store_mailbox_create(f->acct, "Work", 0, &error), -1);
	assert_int_equal(store_account_errcode(f->acct), STORE_ERR_EXISTS);
	assert_int_equal(store_mailbox_create(f->acct, "inbox", 0, &error), -1);
	assert_int_equal(store_account_errcode(f->acct), STORE_ERR_EXISTS);
	assert_int_equal(store_mailbox_create(f->acct, "a//b", 0, &error), -1);
	assert_int_equal(store_account_errcode(f->acct), STORE_ERR_INVALID);
	assert_int_equal(store_mailbox_create(f->acct, "Flagged", STORE_MAILBOX_FLAGGED, &error),
			 0);
	assert_true(attrs_of(f->acct, "Flagged") & STORE_MAILBOX_FLAGGED);
	/* every mailbox has its own UIDVALIDITY */
	assert_int_not_equal(uidvalidity_of(f->acct, "Work"), uidvalidity_of(f->acct, "Flagged"));
	assert_int_not_equal(uidvalidity_of(f->acct, "Work"), uidvalidity_of(f->acct, "INBOX"));
}

static void
test_delete(void **state)
{
	struct test_account *f = *state;
	struct store_status st;
	const char *error;
	uint32_t old;

	assert_int_equal(store_mailbox_delete(f->acct, "INBOX", &error), -1);
	assert_int_equal(store_account_errcode(f->acct), STORE_ERR_NOT_ALLOWED);
	assert_int_equal(store_mailbox_delete(f->acct, "Nope", &error), -1);
	assert_int_equal(store_account_errcode(f->acct), STORE_ERR_NONEXISTENT);

	assert_int_equal(store_mailbox_create(f->acct, "P/C", 0, &error), 0);
	append(f->acct, "P", "Subject: p\r\n\r\n");
	append(f->acct, "P/C", "Subject: c\r\n\r\n");
	old = uidvalidity_of(f->acct, "P");
	/* RFC 3501 6.3.4: with children it becomes \Noselect */
	assert_int_equal(store_mailbox_delete(f->acct, "P", &error), 0);
	assert_true(attrs_of(f->acct, "P") & STORE_MAILBOX_NOSELECT);
	assert_int_equal(store_mailbox_status(f->acct, "P", &st, &error), -1);
	assert_int_equal(store_mailbox_delete(f->acct, "P", &error), -1);
	assert_int_equal(store_account_errcode(f->acct), STORE_ERR_NOT_ALLOWED);
	assert_int_equal(store_mailbox_delete(f->acct, "P/C", &error), 0);
	assert_int_equal(attrs_of(f->acct, "P/C"), -1);
	/* now childless: deletable */
	assert_int_equal(store_mailbox_delete(f->acct, "P", &error), 0);
	assert_int_equal(attrs_of(f->acct, "P"), -1);
	/* re-created: new UIDVALIDITY, empty */
	assert_int_equal(store_mailbox_create(f->acct, "P", 0, &error), 0);
	assert_int_equal(store_mailbox_status(f->acct, "P", &st, &error), 0);
	assert_int_not_equal(st.uidvalidity, old);
	assert_int_equal(st.messages, 0);
	assert_int_equal(st.uidnext, 1);
}

static void
test_noselect_recreate(void **state)
{
	struct test_account *f = *state;
	const char *error;
	uint32_t old;

	assert_int_equal(store_mailbox_create(f->acct, "N/C", 0, &error), 0);
	old = uidvalidity_of(f->acct, "N");
	assert_int_equal(store_mailbox_delete(f->acct, "N", &error), 0);
	assert_int_equal(store_mailbox_create(f->acct, "N", 0, &error), 0);
	assert_false(attrs_of(f->acct, "N") & STORE_MAILBOX_NOSELECT);
	assert_int_not_equal(uidvalidity_of(f->acct, "N"), old);
}

static void
test_rename(void **state)
{
	struct test_account *f = *state;
	struct store_status st;
	const char *error;
	uint32_t v1, v2;

	assert_int_equal(store_mailbox_create(f->acct, "A/B/C", 0, &error), 0);
	assert_int_equal(store_mailbox_subscribe(f->acct, "A/B", &error), 0);
	append(f->acct, "A/B", "Subject: 1\r\n\r\n");
	append(f->acct, "A/B", "Subject: 2\r\n\r\n");
	v1 = uidvalidity_of(f->acct, "A/B");
	v2 = uidvalidity_of(f->acct, "A/B/C");
	assert_int_equal(store_mailbox_rename(f->acct, "A/B", "X/Y", &error), 0);
	assert_int_equal(attrs_of(f->acct, "A/B"), -1);
	assert_int_equal(attrs_of(f->acct, "A/B/C"), -1);
	assert_true(attrs_of(f->acct, "X") >= 0);
	assert_true(attrs_of(f->acct, "X/Y") & STORE_MAILBOX_SUBSCRIBED);
	assert_int_equal(uidvalidity_of(f->acct, "X/Y"), v1);
	assert_int_equal(uidvalidity_of(f->acct, "X/Y/C"), v2);
	assert_int_equal(store_mailbox_status(f->acct, "X/Y", &st, &error), 0);
	assert_int_equal(st.messages, 2);
	assert_int_equal(st.uidnext, 3);
	/* errors */
	assert_int_equal(store_mailbox_rename(f->acct, "X/Y", "Sent", &error), -1);
	assert_int_equal(store_account_errcode(f->acct), STORE_ERR_EXISTS);
	assert_int_equal(store_mailbox_rename(f->acct, "Nope", "Z", &error), -1);
	assert_int_equal(store_account_errcode(f->acct), STORE_ERR_NONEXISTENT);
	assert_int_equal(store_mailbox_rename(f->acct, "X", "X/Y/Z", &error), -1);
	/* special use follows */
	assert_int_equal(store_mailbox_rename(f->acct, "Trash", "Bin", &error), 0);
	assert_true(attrs_of(f->acct, "Bin") & STORE_MAILBOX_TRASH);
}

static void
test_rename_inbox(void **state)
{
	struct test_account *f = *state;
	struct store_status st;
	struct store_view *v;
	struct buf b = BUF_INIT;
	const char *error;
	uint32_t inbox_v;

	assert_int_equal(store_mailbox_create(f->acct, "INBOX/Child", 0, &error), 0);
	append(f->acct, "INBOX", "Subject: 1\r\n\r\none\r\n");
	append(f->acct, "INBOX", "Subject: 2\r\n\r\ntwo\r\n");
	inbox_v = uidvalidity_of(f->acct, "INBOX");
	assert_int_equal(store_view_open(f->acct, "INBOX", false, &v, &error), 0);
	assert_int_equal(store_mailbox_rename(f->acct, "INBOX", "Old", &error), 0);
	assert_int_equal(store_mailbox_status(f->acct, "INBOX", &st, &error), 0);
	assert_int_equal(st.messages, 0);
	assert_int_equal(st.uidvalidity, inbox_v);
	assert_int_equal(st.uidnext, 3);
	assert_int_equal(store_mailbox_status(f->acct, "Old", &st, &error), 0);
	assert_int_equal(st.messages, 2);
	assert_int_not_equal(st.uidvalidity, inbox_v);
	assert_true(attrs_of(f->acct, "INBOX/Child") >= 0);
	assert_int_equal(attrs_of(f->acct, "Old/Child"), -1);
	{
		struct store_view_changes ch;

		assert_int_equal(store_view_refresh(v, STORE_REFRESH_EXPUNGE, &ch, &error), 0);
		assert_int_equal(ch.n_expunged, 2);
		assert_int_equal(store_view_count(v), 0);
		store_view_changes_free(&ch);
	}
	store_view_close(&v);
	assert_int_equal(store_view_open(f->acct, "Old", false, &v, &error), 0);
	test_read_msg(v, 2, &b);
	assert_string_equal(b.data, "Subject: 2\r\n\r\ntwo\r\n");
	buf_free(&b);
	store_view_close(&v);
	/* new mail still lands in INBOX with fresh UIDs */
	append(f->acct, "INBOX", "Subject: 3\r\n\r\n");
	assert_int_equal(store_mailbox_status(f->acct, "INBOX", &st, &error), 0);
	assert_int_equal(st.messages, 1);
	assert_int_equal(st.uidnext, 4);
}

static void
test_subscriptions(void **state)
{
	struct test_account *f = *state;
	const char *error;

	assert_int_equal(store_mailbox_subscribe(f->acct, "Ghost/Box", &error), 0);
	assert_int_equal(attrs_of(f->acct, "Ghost/Box"),
			 STORE_MAILBOX_SUBSCRIBED | STORE_MAILBOX_NONEXISTENT);
	assert_int_equal(store_mailbox_subscribe(f->acct, "Ghost/Box", &error), 0);
	assert_int_equal(store_mailbox_unsubscribe(f->acct, "Ghost/Box", &error), 0);
	assert_int_equal(attrs_of(f->acct, "Ghost/Box"), -1);
	assert_int_equal(store_mailbox_unsubscribe(f->acct, "Sent", &error), 0);
	assert_false(attrs_of(f->acct, "Sent") & STORE_MAILBOX_SUBSCRIBED);
	/* RFC 3501 6.3.6: a deleted mailbox stays subscribed */
	assert_int_equal(store_mailbox_delete(f->acct, "Junk", &error), 0);
	assert_int_equal(attrs_of(f->acct, "Junk"),
			 STORE_MAILBOX_SUBSCRIBED | STORE_MAILBOX_NONEXISTENT);
}

static void
test_status(void **state)
{
	struct test_account *f = *state;
	struct store_status st, st2;
	struct store_view *v;
	struct store_flags_result res;
	uint32_t uid = 1;
	const char *error;

	append(f->acct, "INBOX", "Subject: 1\r\n\r\n12345\r\n");
	append(f->acct, "INBOX", "Subject: 2\r\n\r\n");
	assert_int_equal(store_mailbox_status(f->acct, "inbox", &st, &error), 0);
	assert_int_equal(st.messages, 2);
	assert_int_equal(st.recent, 2);
	assert_int_equal(st.unseen, 2);
	assert_int_equal(st.uidnext, 3);
	assert_int_equal(st.size,
			 strlen("Subject: 1\r\n\r\n12345\r\n") + strlen("Subject: 2\r\n\r\n"));
	/* STATUS does not take \Recent; a read-only view neither */
	assert_int_equal(store_view_open(f->acct, "INBOX", true, &v, &error), 0);
	assert_int_equal(store_view_recent_count(v), 2);
	store_view_close(&v);
	assert_int_equal(store_mailbox_status(f->acct, "INBOX", &st2, &error), 0);
	assert_int_equal(st2.recent, 2);
	assert_int_equal(store_view_open(f->acct, "INBOX", false, &v, &error), 0);
	assert_int_equal(store_view_store_flags(v, &uid, 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL,
						0, 0, &res, &error),
			 0);
	store_flags_result_free(&res);
	store_view_close(&v);
	assert_int_equal(store_mailbox_status(f->acct, "INBOX", &st2, &error), 0);
	assert_int_equal(st2.recent, 0);
	assert_int_equal(st2.unseen, 1);
	assert_true(st2.highestmodseq > st.highestmodseq);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_create, test_account_setup,
						test_account_teardown),
		cmocka_unit_test_setup_teardown(test_delete, test_account_setup,
						test_account_teardown),
		cmocka_unit_test_setup_teardown(test_noselect_recreate, test_account_setup,
						test_account_teardown),
		cmocka_unit_test_setup_teardown(test_rename, test_account_setup,
						test_account_teardown),
		cmocka_unit_test_setup_teardown(test_rename_inbox, test_account_setup,
						test_account_teardown),
		cmocka_unit_test_setup_teardown(test_subscriptions, test_account_setup,
						test_account_teardown),
		cmocka_unit_test_setup_teardown(test_status, test_account_setup,
						test_account_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
