/* Unit tests of the durable file helpers (src/util/file.c) in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/file.h"

static char dir[] = "/tmp/yubin-test-file-XXXXXX";

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static size_t
count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_write_atomic(void **state)
{
	char path[256], sub[256];
	const char *error = NULL;
	struct buf b = BUF_INIT;
	struct stat st;
	int sync;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/atomic", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/f", sub);
	for (sync = 0; sync <= 1; sync++) {
		assert_int_equal(file_write_atomic(path, "first", 5, sync, &error), 0);
		assert_int_equal(file_read_all(path, &b), 0);
		assert_string_equal(buf_cstr(&b), "first");
		buf_reset(&b);
		/* replacing: the new content, never a mix; no temporary left behind */
		assert_int_equal(file_write_atomic(path, "2nd", 3, sync, &error), 0);
		assert_int_equal(file_read_all(path, &b), 0);
		assert_string_equal(buf_cstr(&b), "2nd");
		buf_reset(&b);
		assert_int_equal(count_entries(sub), 1);
	}
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* empty content and binary content */
	assert_int_equal(file_write_atomic(path, "", 0, true, &error), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(file_write_atomic(path, "a\0b", 3, true, &error), 0);
	assert_int_equal(file_read_all(path, &b), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 3);
	buf_free(&b);
}

static void
test_write_atomic_errors(void **state)
{
	char path[256], longpath[5000];
	const char *error = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/no/such/dir/f", dir);
	assert_int_equal(file_write_atomic(path, "x", 1, true, &error), -1);
	assert_non_null(error);
	assert_non_null(strstr(error, "open("));
	error = NULL;
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(file_write_atomic(longpath, "x", 1, true, &error), -1);
	assert_non_null(error);
	/* the target is a directory: rename fails, the temporary is removed */
	snprintf(path, sizeof(path), "%s/isdir", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	{
		char sub[300];

		snprintf(sub, sizeof(sub), "%s/inner", path);
		assert_int_equal(mkdir(sub, 0700), 0);
	}
	error = NULL;
	assert_int_equal(file_write_atomic(path, "x", 1, true, &error), -1);
	assert_non_null(error);
	assert_non_null(strstr(error, "rename("));
	assert_int_equal(count_entries(dir), 2); /* atomic/ is from the other test */
}

static void
test_read_all_missing(void **state)
{
	char path[256];
	struct buf b = BUF_INIT;

	(void)state;
	snprintf(path, sizeof(path), "%s/missing", dir);
	errno = 0;
	assert_int_equal(file_read_all(path, &b), -1);
	assert_int_equal(errno, ENOENT);
	assert_false(file_exists(path));
	buf_free(&b);
}

static void
test_read_all_big_appends(void **state)
{
	char path[256];
	const char *error = NULL;
	struct buf b = BUF_INIT;
	char *data = malloc(200000);
	size_t i;

	(void)state;
	for (i = 0; i < 200000; i++)
		data[i] = (char)(i % 251);
	snprintf(path, sizeof(path), "%s/big", dir);
	assert_int_equal(file_write_atomic(path, data, 200000, false, &error), 0);
	buf_appends(&b, "head");
	assert_int_equal(file_read_all(path, &b), 0);
	assert_int_equal(b.len, 4 + 200000);
	assert_memory_equal(b.data + 4, data, 200000);
	assert_true(file_exists(path));
	assert_int_equal(unlink(path), 0);
	free(data);
	buf_free(&b);
}

static void
test_mkdir_p_and_fsync_dir(void **state)
{
	char path[256], file[300];
	const char *error = NULL;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(file_mkdir_p(path, 0750), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(file_mkdir_p(path, 0750), 0);  /* exists: fine */
	snprintf(path, sizeof(path), "%s/a/b/c/", dir); /* trailing slash */
	assert_int_equal(file_mkdir_p(path, 0750), 0);
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(file_fsync_dir(path), 0);
	snprintf(file, sizeof(file), "%s/f", path);
	assert_int_equal(file_write_atomic(file, "x", 1, true, &error), 0);
	assert_int_equal(file_fsync_dir(file), 0);
	assert_int_equal(file_fsync_dir("relative-name-here"), 0); /* its dir is "." */
	snprintf(file, sizeof(file), "%s/nodir/f", dir);
	assert_int_equal(file_fsync_dir(file), -1);
	/* a component that is a file */
	snprintf(path, sizeof(path), "%s/a/b/c/f/x", dir);
	assert_int_equal(file_mkdir_p(path, 0750), -1);
}

static void
test_write_full(void **state)
{
	int fds[2];
	char out[10];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(file_write_full(fds[1], "0123456789", 10), 0);
	assert_int_equal(read(fds[0], out, sizeof(out)), 10);
	assert_memory_equal(out, "0123456789", 10);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(file_write_full(fds[1], "x", 1), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_write_atomic_errors),
		cmocka_unit_test(test_read_all_missing),
		cmocka_unit_test(test_read_all_big_appends),
		cmocka_unit_test(test_mkdir_p_and_fsync_dir),
		cmocka_unit_test(test_write_full),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
