/* Not a test: the CPU the built-in spam filter costs per message (docs/spam.md). Trains the
 * first half of each class of a corpus into a fresh token store, then runs on each message
 * of the other half exactly what the SMTP stage runs on a worker (spam_classify_run: header
 * checks, tokenizing, the token store lookups and the combining), timed with the thread's
 * CPU clock; prints the mean and the worst, and how many were sorted right.
 *   python3 tests/integration/spam_corpus.py /tmp/corpus 1000
 *   build/tests/unit/spam/spam-bench /tmp/corpus */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf/settings.h"
#include "mail/spam_score.h"
#include "mail/spam_tokens.h"
#include "spam/spam_db.h"
#include "spam/spam_job.h"
#include "util/buf.h"
#include "util/xmalloc.h"

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	*len_r = b.len;
	return buf_steal(&b);
}

int
main(int argc, char **argv)
{
	char tmpl[] = "/tmp/yubin-spam-bench-XXXXXX";
	struct settings set;
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, right = 0, classified = 0;
	double total = 0, worst = 0;
	const char *error;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR (spam-*.eml and ham-*.eml)\n", argv[0]);
		return 2;
	}
	if ((d = opendir(argv[1])) == NULL) {
		perror(argv[1]);
		return 1;
	}
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".eml") != NULL) {
			names = xgrow(names, &cap, n + 1, sizeof(*names));
			names[n++] = xasprintf("%s/%s", argv[1], e->d_name);
		}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	if (mkdtemp(tmpl) == NULL)
		return 1;
	char *mail = xasprintf("%s/mail", tmpl), *acct = xasprintf("%s/mail/u@x", tmpl);
	mkdir(mail, 0700);
	mkdir(acct, 0700);
	settings_defaults(&set);
	free(set.data_directory);
	set.data_directory = xstrdup(tmpl);
	/* train: the even-numbered messages */
	struct spam_db *db = spam_db_open(tmpl, "u@x", true, &error);
	if (db == NULL) {
		fprintf(stderr, "token store: %s\n", error);
		return 1;
	}
	for (size_t i = 0; i < n; i += 2) {
		size_t len;
		char *msg = slurp(names[i], &len);
		struct spam_tokens t;
		spam_tokens_init(&t);
		spam_tokenize(msg, len, (size_t)set.spam_scan_bytes, &t);
		spam_db_train(db, spam_message_key(msg, len, len),
			      strstr(names[i], "/spam-") ? SPAM_CLASS_SPAM : SPAM_CLASS_HAM, &t,
			      set.spam_max_tokens, 1);
		spam_tokens_free(&t);
		free(msg);
	}
	spam_db_close(&db);
	/* classify: the odd-numbered ones */
	for (size_t i = 1; i < n; i += 2) {
		size_t len;
		char *msg = slurp(names[i], &len);
		const char *accounts[] = {"u@x"};
		struct spam_inputs in = {0};
		double t0 = cpu_now(), dt, score;
		struct spam_classify *job = spam_classify_new(&set, msg, len, accounts, 1);
		spam_classify_run(job);
		score = spam_score(&in, job->checks, job->bayes, NULL);
		spam_classify_free(&job);
		dt = cpu_now() - t0;
		total += dt;
		if (dt > worst)
			worst = dt;
		classified++;
		right += (score >= set.spam_threshold) == (strstr(names[i], "/spam-") != NULL);
		free(msg);
	}
	printf("%zu messages classified: CPU %.3f ms per message (worst %.3f ms), %zu sorted "
	       "right (%.1f%%)\n",
	       classified, classified ? 1000 * total / (double)classified : 0, 1000 * worst, right,
	       classified ? 100.0 * (double)right / (double)classified : 0);
	char *cmd = xasprintf("rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpl);
	free(cmd);
	free(mail);
	free(acct);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	settings_free(&set);
	return 0;
}
