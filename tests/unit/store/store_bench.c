/* store-bench: delivers N messages of SIZE bytes round-robin to ACCOUNTS accounts from one
 * event loop with INFLIGHT deliveries outstanding (as concurrent SMTP sessions would), and
 * prints deliveries per second and the fdatasync/syncfs calls the store made.
 * Usage: store-bench [-n N] [-a ACCOUNTS] [-s SIZE] [-i INFLIGHT] [-d DIR] */
#include <event2/event.h>
#include <event2/thread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"
#include "store/store.h"
#include "store_test_util.h"
#include "util/xmalloc.h"

struct bench {
	struct store *store;
	struct event_base *base;
	char **accounts;
	char **prefixes;
	int n_accounts;
	long total, started, done, failed;
	char *msg;
	size_t len;
};

static void start_one(struct bench *b);

static void
delivered(void *ctx, int result, const char *error)
{
	struct bench *b = ctx;

	if (result < 0 && b->failed++ == 0)
		fprintf(stderr, "store-bench: delivery failed: %s\n", error);
	if (++b->done == b->total)
		event_base_loopexit(b->base, NULL);
	else
		start_one(b);
}

static void
start_one(struct bench *b)
{
	struct store_target t;
	int a;

	if (b->started >= b->total)
		return;
	a = (int)(b->started++ % b->n_accounts);
	t.account = b->accounts[a];
	t.mailbox = NULL;
	t.prefix = b->prefixes[a];
	t.prefix_len = strlen(b->prefixes[a]);
	store_deliver(b->store, &t, 1, b->msg, b->len, 0, delivered, b);
}

static double
cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct bench b = {0};
	struct store_stats before, after;
	const char *error, *dir = NULL;
	long inflight = 200;
	size_t size = 2048;
	char *tmp = NULL;
	double t0, t1, c0, c1;
	int opt;

	b.total = 10000;
	b.n_accounts = 100;
	while ((opt = getopt(argc, argv, "n:a:s:i:d:")) != -1) {
		switch (opt) {
		case 'n':
			b.total = atol(optarg);
			break;
		case 'a':
			b.n_accounts = atoi(optarg);
			break;
		case 's':
			size = (size_t)atol(optarg);
			break;
		case 'i':
			inflight = atol(optarg);
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			fprintf(stderr, "usage: store-bench [-n N] [-a ACCOUNTS] [-s SIZE]"
					" [-i INFLIGHT] [-d DIR]\n");
			return 64;
		}
	}
	if (dir == NULL) {
		char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";

		tmp = xasprintf("%s/store-bench-XXXXXX", base);
		if (mkdtemp(tmp) == NULL) {
			perror("mkdtemp");
			return 1;
		}
		dir = tmp;
	}
	log_set_level(LOG_LEVEL_WARN);
	log_init_from_env();
	evthread_use_pthreads();
	b.base = event_base_new();
	b.store = store_open(dir, b.base, &error);
	if (b.store == NULL) {
		fprintf(stderr, "store-bench: %s\n", error);
		return 1;
	}
	b.accounts = xcalloc((size_t)b.n_accounts, sizeof(char *));
	b.prefixes = xcalloc((size_t)b.n_accounts, sizeof(char *));
	for (int i = 0; i < b.n_accounts; i++) {
		b.accounts[i] = xasprintf("bench%d@example.test", i);
		b.prefixes[i] = xasprintf("Return-Path: <sender@example.org>\r\n"
					  "Delivered-To: %s\r\n",
					  b.accounts[i]);
		if (store_account_create(b.store, b.accounts[i], &error) < 0) {
			fprintf(stderr, "store-bench: %s\n", error);
			return 1;
		}
	}
	b.msg = test_make_msg(size, 1, &b.len);
	store_get_stats(b.store, &before);
	t0 = now();
	c0 = cpu();
	for (long i = 0; i < inflight; i++)
		start_one(&b);
	event_base_dispatch(b.base);
	t1 = now();
	c1 = cpu();
	store_get_stats(b.store, &after);
	printf("store-bench: %ld deliveries of %zu bytes to %d accounts, %ld in flight\n", b.done,
	       b.len, b.n_accounts, inflight);
	printf("store-bench: %.0f deliveries/s (%.3f s), %llu fdatasyncs, %llu syncfs, "
	       "%llu checkpoints, %ld failed\n",
	       (double)b.done / (t1 - t0), t1 - t0, after.fdatasyncs - before.fdatasyncs,
	       after.syncfs - before.syncfs, after.checkpoints - before.checkpoints, b.failed);
	printf("store-bench: %.0f us of CPU per delivery (user+sys, both threads)\n",
	       (c1 - c0) * 1e6 / (double)(b.done > 0 ? b.done : 1));
	store_close(&b.store);
	event_base_free(b.base);
	for (int i = 0; i < b.n_accounts; i++) {
		free(b.accounts[i]);
		free(b.prefixes[i]);
	}
	free(b.accounts);
	free(b.prefixes);
	free(b.msg);
	if (tmp != NULL) {
		test_rmrf(tmp);
		free(tmp);
	}
	return b.failed > 0;
}
