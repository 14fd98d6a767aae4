/* Crash safety: a child process delivers messages (random sizes up to a few MB, one to
 * three accounts each, with copies and expunges in between; every other round from an
 * event loop with 32 in flight, like the server) and reports each acknowledged one on a
 * pipe; the parent SIGKILLs it at a random moment, reopens the store (replaying
 * the journal) and checks that every acknowledged message is there byte-exact, that every
 * row's file is complete, that no file lacks a row and no temporary file is visible. Copies
 * to Archive are made durable like IMAP does (store_account_sync: on a store thread in the
 * event-loop rounds) and reported when it calls back: each must be there too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_account.h"
#include "store/store_mailbox.h"
#include "store/store_msg.h"
#include "store/store_view.h"
#include "store_test_util.h"
#include "util/buf.h"
#include "util/xmalloc.h"

#define N_ACCOUNTS 4
#define MAX_ROUNDS 40
#define TIME_BUDGET 35.0

static const char *const accounts[N_ACCOUNTS] = {"c0@example.test", "c1@example.test",
						 "c2@example.test", "c3@example.test"};

struct ack {
	uint64_t id;
	uint64_t mask; /* accounts it was delivered to */
};

static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The message for id: its size and bytes follow from id alone (8-bit too). */
static char *
gen_msg(uint64_t id, size_t *len_r)
{
	uint64_t s = id * 0x9E3779B97F4A7C15ULL + 1;
	size_t size = next_rand(&s) % 40 == 0 ? 1000000 + next_rand(&s) % 1500000
					      : 100 + next_rand(&s) % 20000;
	struct buf b = BUF_INIT;

	buf_printf(&b, "X-Test-Id: %" PRIu64 "\r\nSubject: crash %" PRIu64 "\r\n\r\n", id, id);
	buf_reserve(&b, size + 300);
	while (b.len < size) {
		uint64_t r = next_rand(&s);
		size_t line = 1 + r % 200;
		char c = (char)(0x21 + (r >> 16) % 0xde);

		memset(b.data + b.len, c, line);
		b.data[b.len + line / 2] = (char)(0x21 + (r >> 32) % 90);
		b.len += line;
		buf_append(&b, "\r\n", 2);
	}
	*len_r = b.len;
	return buf_steal(&b);
}

static char *
gen_prefix(int acct)
{
	return xasprintf("Delivered-To: %s\r\n", accounts[acct]);
}

/* Reports on the pipe besides acknowledged deliveries (struct ack, mask = accounts): a
 * copy to Archive whose store_account_sync called back (mask ACK_COPY | account), and an
 * expunge from Archive about to be committed (ACK_EXPUNGE | account). */
#define ACK_COPY (1ull << 63)
#define ACK_EXPUNGE (1ull << 62)

struct copy_sync {
	int wfd;
	struct ack ack;
};

static void
copy_synced(void *ctx, int result, const char *error)
{
	struct copy_sync *cs = ctx;

	(void)error;
	if (result == 0 && write(cs->wfd, &cs->ack, sizeof(cs->ack)) != sizeof(cs->ack))
		_exit(3);
	free(cs);
}

static int
account_index(const struct store_account *acct)
{
	for (int a = 0; a < N_ACCOUNTS; a++)
		if (strcmp(store_account_name(acct), accounts[a]) == 0)
			return a;
	abort();
}

/* The test id of uid in v (after the Delivered-To: prefix); 0 if unreadable. */
static uint64_t
msg_id(struct store_view *v, uint32_t uid)
{
	struct buf b = BUF_INIT;
	const char *error, *p;
	uint64_t id = 0;

	if (store_msg_read(v, uid, 0, 300, &b, &error) == 0 &&
	    (p = memmem(b.data, b.len, "X-Test-Id: ", 11)) != NULL)
		sscanf(p, "X-Test-Id: %" SCNu64, &id);
	buf_free(&b);
	return id;
}

/* A copy and an expunge, made durable the server's way: store_account_sync (a store
 * thread with an event base, inline without). */
static void
child_shuffle(struct store *store, uint64_t *s, int wfd)
{
	struct store_account *acct;
	struct store_view *in, *arch;
	struct store_copy_result res;
	const char *error;
	int a;

	acct = store_account_open(store, accounts[next_rand(s) % N_ACCOUNTS], &error);
	if (acct == NULL)
		return;
	a = account_index(acct);
	if (store_view_open(acct, "INBOX", false, &in, &error) == 0) {
		if (store_view_count(in) > 0) {
			uint32_t uid = store_view_msgs(in)[store_view_count(in) - 1].uid;
			uint64_t id = msg_id(in, uid);

			if (store_view_copy(in, &uid, 1, "Archive", false, &res, &error) == 0) {
				struct copy_sync *cs = xcalloc(1, sizeof(*cs));

				cs->wfd = wfd;
				cs->ack.id = id;
				cs->ack.mask = ACK_COPY | (uint64_t)a;
				store_copy_result_free(&res);
				store_account_sync(acct, copy_synced, cs);
			}
		}
		store_view_close(&in);
	}
	if (store_view_open(acct, "Archive", false, &arch, &error) == 0) {
		size_t n = store_view_count(arch);

		if (n > 3) {
			uint32_t uids[2] = {store_view_msgs(arch)[0].uid,
					    store_view_msgs(arch)[1].uid};

			for (int i = 0; i < 2; i++) {
				struct ack ex = {msg_id(arch, uids[i]), ACK_EXPUNGE | (uint64_t)a};

				if (write(wfd, &ex, sizeof(ex)) != sizeof(ex))
					_exit(3);
			}
			store_view_expunge(arch, uids, 2, &error);
			store_account_sync_wait(acct, &error);
		}
		store_view_close(&arch);
	}
	store_account_unref(&acct);
}

/* One delivery of the next id to one to three accounts; *ack is what to report. */
static int
deliver_next(struct store *store, uint64_t *s, uint64_t *id, struct ack *ack, store_deliver_cb *cb,
	     void *ctx)
{
	struct store_target t[N_ACCOUNTS];
	char *prefixes[N_ACCOUNTS];
	const char *error;
	size_t nt = 0, len;
	char *msg;
	int ret = 0;

	ack->id = ++*id;
	ack->mask = 0;
	msg = gen_msg(ack->id, &len);
	for (int a = 0; a < N_ACCOUNTS; a++) {
		if (next_rand(s) % 3 == 0 || (a == N_ACCOUNTS - 1 && nt == 0)) {
			prefixes[nt] = gen_prefix(a);
			t[nt].account = accounts[a];
			t[nt].mailbox = NULL;
			t[nt].prefix = prefixes[nt];
			t[nt].prefix_len = strlen(prefixes[nt]);
			nt++;
			ack->mask |= 1u << a;
		}
	}
	if (cb != NULL)
		store_deliver(store, t, nt, msg, len, 0, cb, ctx);
	else
		ret = store_deliver_sync(store, t, nt, msg, len, 0, &error);
	for (size_t i = 0; i < nt; i++)
		free(prefixes[i]);
	free(msg);
	return ret;
}

static void __attribute__((noreturn)) child(const char *dir, int wfd, uint64_t round)
{
	const char *error;
	struct store *store = store_open(dir, NULL, &error);
	uint64_t s = round * 7919 + 17, id = round * 1000000;

	if (store == NULL)
		_exit(2);
	for (int n = 0; n < 100000; n++) {
		struct ack ack;

		if (deliver_next(store, &s, &id, &ack, NULL, NULL) == 0 &&
		    write(wfd, &ack, sizeof(ack)) != sizeof(ack))
			_exit(3);
		if (n % 7 == 3)
			child_shuffle(store, &s, wfd);
	}
	store_close(&store);
	_exit(0);
}

/* The server's way: an event loop, the sync thread, many deliveries in flight. */
struct async_child {
	struct store *store;
	uint64_t s, id;
	int wfd, started;
};

struct async_one {
	struct async_child *c;
	struct ack ack;
};

static void start_async(struct async_child *c);

static void
async_done(void *ctx, int result, const char *error)
{
	struct async_one *one = ctx;
	struct async_child *c = one->c;

	(void)error;
	if (result == 0 && write(c->wfd, &one->ack, sizeof(one->ack)) != sizeof(one->ack))
		_exit(3);
	free(one);
	if (c->started % 11 == 5)
		child_shuffle(c->store, &c->s, c->wfd);
	start_async(c);
}

static void
start_async(struct async_child *c)
{
	struct async_one *one = xcalloc(1, sizeof(*one));

	one->c = c;
	c->started++;
	deliver_next(c->store, &c->s, &c->id, &one->ack, async_done, one);
}

static void __attribute__((noreturn)) child_async(const char *dir, int wfd, uint64_t round)
{
	struct async_child c = {.s = round * 7919 + 17, .id = round * 1000000, .wfd = wfd};
	struct event_base *base;
	const char *error;

	evthread_use_pthreads();
	base = event_base_new();
	c.store = store_open(dir, base, &error);
	if (c.store == NULL)
		_exit(2);
	for (int i = 0; i < 32; i++)
		start_async(&c);
	event_base_dispatch(base);
	_exit(0);
}

static int
cmp_ack(const void *a, const void *b)
{
	uint64_t x = ((const struct ack *)a)->id, y = ((const struct ack *)b)->id;

	return x < y ? -1 : x > y;
}

struct idlist {
	uint64_t *ids;
	size_t n, cap;
};

static bool
idlist_has(const struct idlist *l, uint64_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->ids[i] == id)
			return true;
	return false;
}

static void
idlist_add(struct idlist *l, uint64_t id)
{
	l->ids = xgrow(l->ids, &l->cap, l->n + 1, sizeof(*l->ids));
	l->ids[l->n++] = id;
}

/* Checks every message of mailbox: complete and byte-exact. Marks INBOX ids in found;
 * adds the ids seen to seen (if not NULL). */
static void
check_mailbox(struct store_account *acct, int a, const char *mailbox, const struct ack *acks,
	      size_t n_acks, uint64_t *found, struct idlist *seen)
{
	struct store_view *v;
	struct buf got = BUF_INIT;
	const char *error;
	char *prefix = gen_prefix(a);
	size_t plen = strlen(prefix);

	assert_int_equal(store_view_open(acct, mailbox, true, &v, &error), 0);
	for (size_t i = 0; i < store_view_count(v); i++) {
		uint32_t uid = store_view_msgs(v)[i].uid;
		struct store_msg_meta meta;
		uint64_t id;
		size_t len;
		char *want;

		buf_reset(&got);
		test_read_msg(v, uid, &got);
		assert_int_equal(store_msg_get(v, uid, 0, &meta, &error), 1);
		assert_int_equal(meta.size, got.len);
		assert_true(got.len > plen);
		assert_memory_equal(got.data, prefix, plen);
		if (sscanf(got.data + plen, "X-Test-Id: %" SCNu64, &id) != 1)
			fail_msg("%s %s uid %u: no test id", accounts[a], mailbox, uid);
		want = gen_msg(id, &len);
		if (got.len != plen + len || memcmp(got.data + plen, want, len) != 0)
			fail_msg("%s %s uid %u: id %" PRIu64 " not byte-exact (%zu vs %zu)",
				 accounts[a], mailbox, uid, id, got.len, plen + len);
		free(want);
		if (seen != NULL)
			idlist_add(seen, id);
		if (strcmp(mailbox, "INBOX") == 0) {
			struct ack key = {id, 0};
			const struct ack *hit = bsearch(&key, acks, n_acks, sizeof(*acks), cmp_ack);

			if (hit != NULL)
				found[hit - acks] |= 1ull << a;
		}
	}
	store_view_close(&v);
	buf_free(&got);
	free(prefix);
}

static size_t
count_dir(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Files on disk agree with the index: as many as distinct file names, no temp files. */
static void
check_files(const char *dir, int a)
{
	char *base = xasprintf("%s/mail/%s", dir, accounts[a]);
	char *db_path = xasprintf("%s/index.db", base), *p;
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t rows;

	assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(
		sqlite3_prepare_v2(db, "SELECT count(DISTINCT file) FROM messages", -1, &st, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	rows = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	p = xasprintf("%s/msg", base);
	assert_int_equal(count_dir(p), rows);
	free(p);
	p = xasprintf("%s/tmp", base);
	assert_int_equal(count_dir(p), 0);
	free(p);
	free(db_path);
	free(base);
}

/* Every copy whose sync called back is in Archive, unless an expunge may have taken it. */
static void
verify_copies(const struct ack *copies, size_t n_copies, struct idlist *expunged,
	      struct idlist *archive, uint64_t round)
{
	for (size_t i = 0; i < n_copies; i++) {
		int a = (int)(copies[i].mask & 0xff);

		if (copies[i].id != 0 && !idlist_has(&expunged[a], copies[i].id) &&
		    !idlist_has(&archive[a], copies[i].id))
			fail_msg("round %" PRIu64 ": synced copy of id %" PRIu64
				 " missing in %s Archive",
				 round, copies[i].id, accounts[a]);
	}
}

static void
verify(const char *dir, struct ack *acks, size_t n_acks, const struct ack *copies, size_t n_copies,
       struct idlist *expunged, uint64_t round)
{
	struct store *store = test_store_open(dir);
	uint64_t *found = xcalloc(n_acks + 1, sizeof(*found));
	struct idlist archive[N_ACCOUNTS] = {0};
	const char *error;

	/* a round may end before any reply was read: no acks, and qsort wants a non-NULL base */
	if (n_acks > 0)
		qsort(acks, n_acks, sizeof(*acks), cmp_ack);
	for (int a = 0; a < N_ACCOUNTS; a++) {
		struct store_account *acct = store_account_open(store, accounts[a], &error);

		assert_non_null(acct);
		check_mailbox(acct, a, "INBOX", acks, n_acks, found, NULL);
		check_mailbox(acct, a, "Archive", acks, n_acks, found, &archive[a]);
		store_account_unref(&acct);
		check_files(dir, a);
	}
	verify_copies(copies, n_copies, expunged, archive, round);
	for (int a = 0; a < N_ACCOUNTS; a++)
		free(archive[a].ids);
	for (size_t i = 0; i < n_acks; i++) {
		if (acks[i].mask & ~found[i])
			fail_msg("round %" PRIu64 ": acknowledged id %" PRIu64
				 " missing in accounts %#" PRIx64,
				 round, acks[i].id, acks[i].mask & ~found[i]);
	}
	free(found);
	store_close(&store);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_crash(void **state)
{
	char *dir = test_tmpdir();
	struct store *store = test_store_open(dir);
	struct ack *acks = NULL, *copies = NULL;
	size_t n_acks = 0, cap = 0, n_copies = 0, cap_copies = 0;
	struct idlist expunged[N_ACCOUNTS] = {0};
	double start = now();
	const char *error;
	int rounds = 0;

	(void)state;
	for (int a = 0; a < N_ACCOUNTS; a++)
		assert_int_equal(store_account_create(store, accounts[a], &error), 0);
	store_close(&store);
	srand((unsigned)time(NULL));
	for (uint64_t round = 1; round <= MAX_ROUNDS && now() - start < TIME_BUDGET; round++) {
		int fds[2], status;
		struct ack ack;
		pid_t pid;

		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			if (round % 2 == 0)
				child_async(dir, fds[1], round);
			child(dir, fds[1], round);
		}
		close(fds[1]);
		usleep(10000 + (useconds_t)(rand() % 300000));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		while (read(fds[0], &ack, sizeof(ack)) == sizeof(ack)) {
			if (ack.mask & ACK_EXPUNGE) {
				idlist_add(&expunged[ack.mask & 0xff], ack.id);
			} else if (ack.mask & ACK_COPY) {
				copies = xgrow(copies, &cap_copies, n_copies + 1, sizeof(*copies));
				copies[n_copies++] = ack;
			} else {
				acks = xgrow(acks, &cap, n_acks + 1, sizeof(*acks));
				acks[n_acks++] = ack;
			}
		}
		close(fds[0]);
		{
			double t0 = now();

			verify(dir, acks, n_acks, copies, n_copies, expunged, round);
			if (getenv("STORE_CRASH_VERBOSE") != NULL)
				print_message("round %" PRIu64 ": %zu acks, verify %.2f s\n", round,
					      n_acks, now() - t0);
		}
		rounds++;
	}
	print_message("crash test: %d rounds, %zu acknowledged deliveries, %zu synced copies,"
		      " %.1f s\n",
		      rounds, n_acks, n_copies, now() - start);
	assert_true(rounds >= 10);
	assert_true(n_acks > 0);
	assert_true(n_copies > 0);
	free(acks);
	free(copies);
	for (int a = 0; a < N_ACCOUNTS; a++)
		free(expunged[a].ids);
	test_rmrf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
