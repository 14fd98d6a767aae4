/* Helpers for the store tests (see store_test_util.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_account.h"
#include "store/store_msg.h"
#include "store/store_view.h"
#include "store_test_util.h"
#include "util/buf.h"
#include "util/xmalloc.h"

char *
test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *path = xasprintf("%s/yubin-store-XXXXXX", base != NULL ? base : "/tmp");

	assert_non_null(mkdtemp(path));
	return path;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void
test_rmrf(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

struct store *
test_store_open(const char *dir)
{
	const char *error = NULL;
	struct store *store = store_open(dir, NULL, &error);

	if (store == NULL)
		fail_msg("store_open: %s", error);
	return store;
}

void
test_read_msg(struct store_view *view, uint32_t uid, struct buf *out)
{
	const char *error = NULL;

	if (store_msg_read(view, uid, 0, UINT64_MAX, out, &error) < 0)
		fail_msg("store_msg_read(%u): %s", uid, error);
}

char *
test_make_msg(size_t size, unsigned tag, size_t *len_r)
{
	struct buf b = BUF_INIT;
	size_t line = 0;

	buf_printf(&b,
		   "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\n"
		   "Subject: test %u\r\nMessage-ID: <%u@example.test>\r\n"
		   "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n",
		   tag, tag);
	while (b.len < size) {
		buf_printf(&b, "line %zu of message %u: ", line++, tag);
		for (unsigned i = 0; i < (line * 7 + tag) % 60; i++)
			buf_appendc(&b, (char)('a' + (i + tag) % 26));
		buf_append(&b, "\r\n", 2);
	}
	*len_r = b.len;
	return buf_steal(&b);
}

int
test_account_setup(void **state)
{
	struct test_account *f = xcalloc(1, sizeof(*f));
	const char *error;

	f->dir = test_tmpdir();
	f->store = test_store_open(f->dir);
	assert_int_equal(store_account_create(f->store, TEST_ACCOUNT, &error), 0);
	f->acct = store_account_open(f->store, TEST_ACCOUNT, &error);
	assert_non_null(f->acct);
	*state = f;
	return 0;
}

int
test_account_teardown(void **state)
{
	struct test_account *f = *state;

	store_account_unref(&f->acct);
	store_close(&f->store);
	test_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

uint32_t
test_append_msg(struct store_account *acct, const char *mailbox, size_t size, unsigned tag)
{
	uint32_t uidvalidity, uid;
	const char *error;
	size_t len;
	char *msg = test_make_msg(size, tag, &len);

	assert_int_equal(store_append_sync(acct, mailbox, 0, NULL, 0, 0, 0, msg, len, &uidvalidity,
					   &uid, &error),
			 0);
	free(msg);
	return uid;
}
