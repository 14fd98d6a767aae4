/* Store tests: the XXH64 checksum, journal record encoding/parsing (torn tails, bit
 * flips), and recovery: records written but never applied are applied at open, cancelled
 * ones are not, applied ones are not duplicated and their files are repaired. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_account.h"
#include "store/store_checksum.h"
#include "store/store_msg.h"
#include "store/store_record.h"
#include "store/store_view.h"
#include "store_test_util.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/xmalloc.h"

static void
test_checksum_vectors(void **state)
{
	static const char s[] = "Nobody inspects the spammish repetition";
	struct store_checksum c;
	char big[1000];

	(void)state;
	assert_true(store_checksum64("", 0, 0) == 0xEF46DB3751D8E999ULL);
	assert_true(store_checksum64("a", 1, 0) == 0xD24EC4F1A98C6E5BULL);
	assert_true(store_checksum64("abc", 3, 0) == 0x44BC2CF5AD770999ULL);
	assert_true(store_checksum64(s, sizeof(s) - 1, 0) == 0xFBCEA83C8A378BF1ULL);
	/* streaming in odd pieces gives the same */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	store_checksum_init(&c, 0);
	for (size_t off = 0; off < sizeof(big);) {
		size_t n = (off % 13) + 1;

		if (off + n > sizeof(big))
			n = sizeof(big) - off;
		store_checksum_update(&c, big + off, n);
		off += n;
	}
	assert_true(store_checksum_final(&c) == store_checksum64(big, sizeof(big), 0));
}

static void
make_record(struct store_rec *rec, struct store_rec_target *t, char **kw, const char *account,
	    const char *msg)
{
	memset(rec, 0, sizeof(*rec));
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < 16; i++)
		rec->id[i] = (uint8_t)(rand() & 0xff);
	rec->type = STORE_RECORD_DELIVER;
	rec->internaldate = 1700000000;
	rec->targets = t;
	rec->n_targets = 1;
	rec->msg = msg;
	rec->msg_len = strlen(msg);
	t->account = (char *)account;
	t->mailbox = NULL;
	t->keywords = kw;
	t->n_keywords = kw != NULL && kw[0] != NULL ? 1 : 0;
	t->prefix = "X-Prefix: 1\r\n";
	t->prefix_len = 13;
}

static void
full_record(const struct store_rec *rec, struct buf *out)
{
	store_record_encode(rec, out);
	if (rec->type != STORE_RECORD_CANCEL)
		buf_append(out, rec->msg, rec->msg_len);
}

static void
test_record_roundtrip(void **state)
{
	char *kw[] = {"Work", NULL};
	struct store_rec rec, parsed;
	struct store_rec_target t;
	struct buf b = BUF_INIT;
	size_t len;

	(void)state;
	make_record(&rec, &t, kw, "a@example.test", "Subject: x\r\n\r\nbody\r\n");
	full_record(&rec, &b);
	assert_int_equal(store_record_parse(b.data, b.len, &parsed, &len), 1);
	assert_int_equal(len, b.len);
	assert_int_equal(parsed.type, STORE_RECORD_DELIVER);
	assert_memory_equal(parsed.id, rec.id, 16);
	assert_int_equal(parsed.internaldate, 1700000000);
	assert_int_equal(parsed.internaldate_tz, 0);
	assert_int_equal(parsed.n_targets, 1);
	assert_string_equal(parsed.targets[0].account, "a@example.test");
	assert_null(parsed.targets[0].mailbox);
	assert_int_equal(parsed.targets[0].n_keywords, 1);
	assert_string_equal(parsed.targets[0].keywords[0], "Work");
	assert_int_equal(parsed.targets[0].prefix_len, 13);
	assert_int_equal(parsed.msg_len, rec.msg_len);
	assert_memory_equal(parsed.msg, rec.msg, rec.msg_len);
	store_record_free(&parsed);

	/* every truncation is "need more", never a record or an error */
	for (size_t cut = 0; cut < b.len; cut++)
		assert_int_equal(store_record_parse(b.data, cut, &parsed, &len), 0);
	/* every single bit flip is caught */
	for (size_t i = 0; i < b.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			int r;

			b.data[i] ^= (char)(1 << bit);
			r = store_record_parse(b.data, b.len, &parsed, &len);
			if (r == 1)
				fail_msg("bit flip at %zu.%d accepted", i, bit);
			b.data[i] ^= (char)(1 << bit);
		}
	}
	/* an APPEND with its date-time's zone: 4 bytes more, the zone back */
	buf_reset(&b);
	full_record(&rec, &b);
	len = b.len;
	buf_reset(&b);
	rec.type = STORE_RECORD_APPEND;
	rec.internaldate_tz = -25200;
	full_record(&rec, &b);
	assert_int_equal(b.len, len + 4);
	assert_int_equal(store_record_parse(b.data, b.len, &parsed, &len), 1);
	assert_int_equal(parsed.type, STORE_RECORD_APPEND);
	assert_int_equal(parsed.internaldate_tz, -25200);
	assert_int_equal(parsed.msg_len, rec.msg_len);
	store_record_free(&parsed);
	rec.internaldate_tz = 0;
	/* a cancel record */
	buf_reset(&b);
	rec.type = STORE_RECORD_CANCEL;
	full_record(&rec, &b);
	assert_int_equal(b.len, STORE_RECORD_HEADER);
	assert_int_equal(store_record_parse(b.data, b.len, &parsed, &len), 1);
	assert_int_equal(parsed.type, STORE_RECORD_CANCEL);
	store_record_free(&parsed);
	/* garbage */
	assert_int_equal(
		store_record_parse("hello world, this is not a record at all!", 41, &parsed, &len),
		-1);
	buf_free(&b);
}

static char *
setup_dir(void)
{
	char *dir = test_tmpdir();
	struct store *store = test_store_open(dir);
	const char *error;

	assert_int_equal(store_account_create(store, "a@example.test", &error), 0);
	assert_int_equal(store_account_create(store, "b@example.test", &error), 0);
	store_close(&store);
	return dir;
}

static void
write_journal(const char *dir, const char *name, const struct buf *b)
{
	char *path = xasprintf("%s/journal/%s", dir, name);
	const char *error;

	assert_int_equal(file_write_atomic(path, b->data, b->len, false, &error), 0);
	free(path);
}

static size_t
count_msgs(struct store *store, const char *account, struct buf *first)
{
	struct store_account *acct;
	struct store_view *v;
	const char *error;
	size_t n;

	acct = store_account_open(store, account, &error);
	assert_non_null(acct);
	assert_int_equal(store_view_open(acct, "INBOX", true, &v, &error), 0);
	n = store_view_count(v);
	if (first != NULL && n > 0)
		test_read_msg(v, store_view_msgs(v)[0].uid, first);
	store_view_close(&v);
	store_account_unref(&acct);
	return n;
}

static void
test_replay(void **state)
{
	char *dir = setup_dir();
	struct store_rec rec, rec2, rec3;
	struct store_rec_target t, t2[2], t3;
	struct buf j = BUF_INIT, got = BUF_INIT;
	struct store *store;
	char *journal_dir;

	(void)state;
	/* 1: to a and b; 2: to a, cancelled; 3: to b, torn */
	make_record(&rec, &t, NULL, "a@example.test", "Subject: one\r\n\r\n1\r\n");
	t2[0] = t;
	t2[1] = t;
	t2[1].account = "b@example.test";
	t2[1].prefix = NULL;
	t2[1].prefix_len = 0;
	rec.targets = t2;
	rec.n_targets = 2;
	full_record(&rec, &j);
	make_record(&rec2, &t, NULL, "a@example.test", "Subject: two\r\n\r\n2\r\n");
	full_record(&rec2, &j);
	rec2.type = STORE_RECORD_CANCEL;
	full_record(&rec2, &j);
	make_record(&rec3, &t3, NULL, "b@example.test", "Subject: three\r\n\r\n3\r\n");
	{
		struct buf torn = BUF_INIT;

		full_record(&rec3, &torn);
		buf_append(&j, torn.data, torn.len - 5);
		buf_free(&torn);
	}
	write_journal(dir, "0000000000000010.jnl", &j);

	store = test_store_open(dir);
	assert_int_equal(count_msgs(store, "a@example.test", &got), 1);
	assert_string_equal(got.data, "X-Prefix: 1\r\nSubject: one\r\n\r\n1\r\n");
	buf_reset(&got);
	assert_int_equal(count_msgs(store, "b@example.test", &got), 1);
	assert_string_equal(got.data, "Subject: one\r\n\r\n1\r\n");
	store_close(&store);
	/* the journal is gone after the replay: nothing is applied twice */
	journal_dir = xasprintf("%s/journal/0000000000000010.jnl", dir);
	assert_false(file_exists(journal_dir));
	free(journal_dir);
	store = test_store_open(dir);
	assert_int_equal(count_msgs(store, "a@example.test", NULL), 1);
	store_close(&store);

	/* the same journal again (a crash before the old files were removed): the
	 * delivered table keeps it from being applied twice... */
	write_journal(dir, "0000000000000020.jnl", &j);
	store = test_store_open(dir);
	assert_int_equal(count_msgs(store, "a@example.test", NULL), 1);
	assert_int_equal(count_msgs(store, "b@example.test", NULL), 1);
	store_close(&store);
	buf_free(&j);
	buf_free(&got);
	test_rmrf(dir);
	free(dir);
}

/* A power loss can leave an applied message's file short: the replay rewrites it. */
static void
test_replay_repairs_file(void **state)
{
	char *dir = setup_dir(), *msgdir, *path = NULL;
	struct store_target t = {"a@example.test", NULL, NULL, 0};
	struct store *store;
	struct buf j = BUF_INIT, got = BUF_INIT;
	const char *error;
	struct dirent *de;
	DIR *d;

	(void)state;
	store = test_store_open(dir);
	assert_int_equal(
		store_deliver_sync(store, &t, 1, "Subject: r\r\n\r\nrepair me\r\n", 26, 0, &error),
		0);
	/* keep the journal as it is before the close checkpoint removes it */
	path = xasprintf("%s/journal", dir);
	d = opendir(path);
	free(path);
	path = NULL;
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".jnl") != NULL) {
			char *p = xasprintf("%s/journal/%s", dir, de->d_name);

			buf_reset(&j);
			int r = file_read_all(p, &j);

			free(p);
			if (r == 0 && j.len > 0)
				break;
		}
	}
	closedir(d);
	assert_true(j.len > 0);
	store_close(&store);
	write_journal(dir, "00000000000000f0.jnl", &j);
	/* truncate the message file as a power loss might */
	msgdir = xasprintf("%s/mail/a@example.test/msg", dir);
	d = opendir(msgdir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			path = xasprintf("%s/%s", msgdir, de->d_name);
	}
	closedir(d);
	assert_non_null(path);
	assert_int_equal(truncate(path, 3), 0);
	store = test_store_open(dir);
	assert_int_equal(count_msgs(store, "a@example.test", &got), 1);
	assert_string_equal(got.data, "Subject: r\r\n\r\nrepair me\r\n");
	store_close(&store);
	free(path);
	free(msgdir);
	buf_free(&j);
	buf_free(&got);
	test_rmrf(dir);
	free(dir);
}

static size_t
count_journal_files(const char *dir)
{
	char *path = xasprintf("%s/journal", dir);
	struct dirent *de;
	DIR *d = opendir(path);
	size_t n = 0;

	free(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strstr(de->d_name, ".jnl") != NULL;
	closedir(d);
	return n;
}

/* Past 64 MiB the journal rotates, and once applied and synced the old file goes. */
static void
test_checkpoint_by_size(void **state)
{
	char *dir = setup_dir();
	struct store_target t = {"a@example.test", NULL, NULL, 0};
	struct store *store = test_store_open(dir);
	struct store_stats stats;
	const char *error;
	size_t len;
	char *msg = test_make_msg(5 << 20, 3, &len);

	(void)state;
	for (int i = 0; i < 14; i++)
		assert_int_equal(store_deliver_sync(store, &t, 1, msg, len, 0, &error), 0);
	store_get_stats(store, &stats);
	assert_int_equal(stats.checkpoints, 1);
	assert_true(stats.syncfs >= 1);
	assert_int_equal(count_journal_files(dir), 1);
	assert_int_equal(count_msgs(store, "a@example.test", NULL), 14);
	store_close(&store);
	/* a clean close leaves one empty journal file and nothing to replay */
	assert_int_equal(count_journal_files(dir), 1);
	store = test_store_open(dir);
	assert_int_equal(count_msgs(store, "a@example.test", NULL), 14);
	store_close(&store);
	free(msg);
	test_rmrf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_vectors),
		cmocka_unit_test(test_record_roundtrip),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_replay_repairs_file),
		cmocka_unit_test(test_checkpoint_by_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
