/* Helpers for the store tests: temporary data directories and reading messages back. */
#ifndef STORE_TEST_UTIL_H
#define STORE_TEST_UTIL_H
#include <stddef.h>
#include <stdint.h>

struct buf;
struct store;
struct store_account;
struct store_view;

#define TEST_ACCOUNT "u@example.test"

/* One store in a fresh directory with the account TEST_ACCOUNT open: the fixture most
 * tests share. test_account_setup/teardown fit cmocka's setup/teardown (*state is the
 * struct test_account). */
struct test_account {
	char *dir;
	struct store *store;
	struct store_account *acct;
};
int test_account_setup(void **state);
int test_account_teardown(void **state);
/* Appends a message of about size bytes tagged tag to mailbox; returns its UID. */
uint32_t test_append_msg(struct store_account *acct, const char *mailbox, size_t size,
			 unsigned tag);

/* mkdtemp under $TMPDIR (or /tmp); returns a malloc'ed path. */
char *test_tmpdir(void);
void test_rmrf(const char *path);
/* Opens the store (no event base) and fails the test on error. */
struct store *test_store_open(const char *dir);
/* The bytes of uid in the view, appended to out; fails the test if unreadable. */
void test_read_msg(struct store_view *view, uint32_t uid, struct buf *out);
/* A message of about size bytes (CRLF lines, a Subject with tag), malloc'ed. */
char *test_make_msg(size_t size, unsigned tag, size_t *len_r);

#endif
