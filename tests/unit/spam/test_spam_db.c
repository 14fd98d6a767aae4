/* Unit tests for the spam filter's token store (src/spam/spam_db.c): training, no double
 * training of one message, retraining, classification, pruning to spam_max_tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "mail/spam_score.h"
#include "mail/spam_tokens.h"
#include "spam/spam_db.h"
#include "util/xmalloc.h"

static char dir[] = "/tmp/yubin-spamdb-XXXXXX";

static int
setup(void **state)
{
	char *acct;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	acct = xasprintf("%s/mail", dir);
	mkdir(acct, 0700);
	free(acct);
	acct = xasprintf("%s/mail/a@x", dir);
	mkdir(acct, 0700);
	free(acct);
	return 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	(void)state;
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
	return 0;
}

static void
words(struct spam_tokens *t, const char *list)
{
	char *copy = xstrdup(list), *save = NULL;

	spam_tokens_init(t);
	for (char *w = strtok_r(copy, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save))
		spam_tokens_add(t, w, strlen(w));
	free(copy);
}

static void
test_train_classify(void **state)
{
	const char *error;
	struct spam_db *db;
	struct spam_tokens spam, ham, probe;
	unsigned long ns, nh, nt;

	(void)state;
	/* no store yet: nothing created by a reader */
	assert_null(spam_db_open(dir, "a@x", false, &error));
	assert_null(error);
	db = spam_db_open(dir, "a@x", true, &error);
	assert_non_null(db);
	words(&spam, "viagra cheap pills common");
	words(&ham, "meeting agenda project common");
	for (uint64_t k = 1; k <= 10; k++) {
		assert_int_equal(spam_db_train(db, k, SPAM_CLASS_SPAM, &spam, 1000, 1), 1);
		assert_int_equal(spam_db_train(db, 100 + k, SPAM_CLASS_HAM, &ham, 1000, 1), 1);
	}
	/* the same message and class again: nothing */
	assert_int_equal(spam_db_train(db, 1, SPAM_CLASS_SPAM, &spam, 1000, 1), 0);
	spam_db_stats(db, &ns, &nh, &nt);
	assert_int_equal(ns, 10);
	assert_int_equal(nh, 10);
	assert_int_equal(nt, 7);
	/* too little training for the threshold of 11 */
	words(&probe, "cheap pills");
	assert_true(spam_db_classify(db, &probe, 11) == SPAM_BAYES_NONE);
	assert_true(spam_db_classify(db, &probe, 10) > 0.99);
	spam_tokens_free(&probe);
	words(&probe, "project agenda unknownword");
	assert_true(spam_db_classify(db, &probe, 10) < 0.01);
	spam_tokens_free(&probe);
	words(&probe, "common unknownword");
	assert_true(spam_db_classify(db, &probe, 10) == 0.5);
	spam_tokens_free(&probe);
	/* retraining: message 1 becomes ham (with the spam tokens it had) */
	assert_int_equal(spam_db_train(db, 1, SPAM_CLASS_HAM, &spam, 1000, 2), 1);
	spam_db_stats(db, &ns, &nh, &nt);
	assert_int_equal(ns, 9);
	assert_int_equal(nh, 11);
	spam_tokens_free(&spam);
	spam_tokens_free(&ham);
	spam_db_close(&db);
	assert_null(db);
}

static void
test_prune(void **state)
{
	const char *error;
	struct spam_db *db = spam_db_open(dir, "a@x", true, &error);
	struct spam_tokens t;
	unsigned long ns, nh, nt;
	char w[32];

	(void)state;
	assert_non_null(db);
	/* 1000 distinct tokens, one message each, then "keep" in many messages */
	for (int m = 0; m < 20; m++) {
		spam_tokens_init(&t);
		for (int i = 0; i < 50; i++) {
			snprintf(w, sizeof(w), "w%d", m * 50 + i);
			spam_tokens_add(&t, w, strlen(w));
		}
		spam_tokens_add(&t, "keep", 4);
		assert_int_equal(
			spam_db_train(db, 1000 + (uint64_t)m, SPAM_CLASS_SPAM, &t, 500, 10 + m), 1);
		spam_tokens_free(&t);
	}
	spam_db_stats(db, &ns, &nh, &nt);
	assert_true(nt <= 500);
	assert_true(nt >= 400);
	spam_db_close(&db);
	/* the most useful token survives, and the newest single ones before the oldest */
	char *path = xasprintf("%s/mail/a@x/spam.db", dir);
	sqlite3 *sq;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(path, &sq, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(sq,
					    "SELECT count(*) FROM tokens WHERE token IN "
					    "('keep', 'w999', 'w0')",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2);
	sqlite3_finalize(st);
	sqlite3_close(sq);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_train_classify),
		cmocka_unit_test(test_prune),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
