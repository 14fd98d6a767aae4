/* Helpers for the store tests: temporary data directories and reading messages back. */
#ifndef STORE_TEST_UTIL_H
#define STORE_TEST_UTIL_H
#include <stddef.h>
#include <stdint.h>

struct buf;
struct store;
struct store_view;

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
