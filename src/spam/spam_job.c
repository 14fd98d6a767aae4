/* Classification and training jobs (see spam_job.h). */
#include "spam/spam_job.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf/settings.h"
#include "log/log.h"
#include "mail/rfc5322.h"
#include "mail/spam_checks.h"
#include "mail/spam_score.h"
#include "mail/spam_tokens.h"
#include "net/workers.h"
#include "util/buf.h"
#include "util/xmalloc.h"

#define SPAM_HEADER_MAX (1u << 20) /* a header bigger than this is checked in part */

/* Opening an SQLite database (its WAL index, the schema check) costs more than classifying
 * a small message, so each worker thread keeps the token stores it read last open, up to
 * spam_store_cache of them: with fewer than the accounts mail arrives for in turn, nearly
 * every message paid for an open (bench/README.md "--spam on"). An entry is reused only
 * while the file is the same (device and inode: an account deleted and made again gets a
 * new store) and closed when its thread ends. */
struct db_cache_entry {
	char *account;
	dev_t dev;
	ino_t ino;
	struct spam_db *db;
	unsigned long used;
};
struct db_cache {
	struct db_cache_entry *e;
	size_t n; /* entries allocated (the spam_store_cache of the last job) */
	unsigned long clock;
};

static pthread_key_t db_cache_key;
static pthread_once_t db_cache_once = PTHREAD_ONCE_INIT;

static void
db_cache_entry_clear(struct db_cache_entry *e)
{
	spam_db_close(&e->db);
	free(e->account);
	e->account = NULL;
}

static void
db_cache_free(void *arg)
{
	struct db_cache *c = arg;

	for (size_t i = 0; i < c->n; i++)
		db_cache_entry_clear(&c->e[i]);
	free(c->e);
	free(c);
}

static void
db_cache_init(void)
{
	if (pthread_key_create(&db_cache_key, db_cache_free) != 0)
		abort();
}

/* This thread's cache, sized to size entries (a reload may have changed it: entries past a
 * smaller size are closed). */
static struct db_cache *
db_cache_get(size_t size)
{
	struct db_cache *c;

	pthread_once(&db_cache_once, db_cache_init);
	if ((c = pthread_getspecific(db_cache_key)) == NULL) {
		c = xcalloc(1, sizeof(*c));
		pthread_setspecific(db_cache_key, c);
	}
	if (size == 0)
		size = 1;
	if (size < c->n) {
		for (size_t i = size; i < c->n; i++)
			db_cache_entry_clear(&c->e[i]);
		c->n = size;
	} else if (size > c->n) {
		c->e = xrealloc(c->e, xsize_mul(size, sizeof(*c->e)));
		memset(&c->e[c->n], 0, (size - c->n) * sizeof(*c->e));
		c->n = size;
	}
	return c;
}

/* The account's store for reading (NULL: none yet, or it failed and was logged); the
 * cache owns it. */
static struct spam_db *
db_for_reading(const char *data_dir, const char *account, size_t cache_size)
{
	struct db_cache *c;
	struct db_cache_entry *slot = NULL;
	struct stat st;
	const char *error;
	char *path = xasprintf("%s/mail/%s/spam.db", data_dir, account);
	int found = stat(path, &st);

	free(path);
	if (found != 0)
		return NULL;
	c = db_cache_get(cache_size);
	c->clock++;
	for (size_t i = 0; i < c->n; i++) {
		struct db_cache_entry *e = &c->e[i];
		if (e->db != NULL && strcmp(e->account, account) == 0) {
			if (e->dev == st.st_dev && e->ino == st.st_ino) {
				e->used = c->clock;
				return e->db;
			}
			slot = e; /* the same account, another file: reopen */
			break;
		}
		if (slot == NULL || e->db == NULL || (slot->db != NULL && e->used < slot->used))
			slot = e;
	}
	db_cache_entry_clear(slot);
	if ((slot->db = spam_db_open(data_dir, account, false, &error)) == NULL) {
		if (error != NULL)
			log_warn("spam: %s: %s", account, error);
		return NULL;
	}
	slot->account = xstrdup(account);
	slot->dev = st.st_dev;
	slot->ino = st.st_ino;
	slot->used = c->clock;
	return slot->db;
}

struct spam_classify *
spam_classify_new(const struct settings *set, const char *msg, size_t len,
		  const char *const *accounts, size_t n_accounts)
{
	struct spam_classify *j = xcalloc(1, sizeof(*j));

	j->data_dir = xstrdup(set->data_directory);
	j->scan_bytes = (size_t)set->spam_scan_bytes;
	j->len = len < j->scan_bytes ? len : j->scan_bytes;
	/* the header is checked whole (Date:, Received: are in it) even past scan_bytes */
	size_t hlen = rfc5322_header_size(msg, len < SPAM_HEADER_MAX ? len : SPAM_HEADER_MAX);
	if (hlen > j->len)
		j->len = hlen;
	j->msg = xmalloc(j->len + 1);
	memcpy(j->msg, msg, j->len);
	j->msg[j->len] = '\0';
	j->min_trained = set->spam_min_trained;
	j->store_cache = set->spam_store_cache;
	for (size_t i = 0; i < n_accounts && i < SPAM_CLASSIFY_MAX_ACCOUNTS; i++)
		j->accounts[j->n_accounts++] = xstrdup(accounts[i]);
	j->now = (long)time(NULL);
	j->bayes = SPAM_BAYES_NONE;
	return j;
}

void
spam_classify_free(struct spam_classify **job)
{
	struct spam_classify *j = *job;

	if (j == NULL)
		return;
	for (size_t i = 0; i < j->n_accounts; i++)
		free(j->accounts[i]);
	free(j->data_dir);
	free(j->msg);
	free(j);
	*job = NULL;
}

void
spam_classify_run(void *arg)
{
	struct spam_classify *j = arg;
	struct spam_tokens t;
	double sum = 0;
	size_t counted = 0;

	j->checks = spam_checks_run(j->msg, j->len, j->scan_bytes, (time_t)j->now);
	spam_tokens_init(&t);
	spam_tokenize(j->msg, j->len, j->scan_bytes, &t);
	j->n_tokens = t.n;
	/* one verdict for the message (one target mailbox): the mean of the recipients'
	 * own classifiers that have enough training (docs/spam.md "Several recipients") */
	for (size_t i = 0; i < j->n_accounts; i++) {
		struct spam_db *db = db_for_reading(j->data_dir, j->accounts[i], j->store_cache);
		double p;

		if (db == NULL)
			continue;
		p = spam_db_classify(db, &t, j->min_trained);
		if (p >= 0) {
			sum += p;
			counted++;
		}
	}
	if (counted > 0)
		j->bayes = sum / (double)counted;
	spam_tokens_free(&t);
}

uint64_t
spam_message_key(const char *bytes, size_t len, uint64_t size)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)bytes[i];
		h *= 0x100000001b3ULL;
	}
	for (int i = 0; i < 8; i++) {
		h ^= (size >> (8 * i)) & 0xff;
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct spam_train {
	char *data_dir, *account;
	int *fds;
	size_t n;
	enum spam_class cls;
	size_t scan_bytes;
	unsigned long max_tokens;
	size_t trained, failed;
};

static void
train_run(void *arg)
{
	struct spam_train *j = arg;
	struct buf b = BUF_INIT;
	const char *error;
	struct spam_db *db = spam_db_open(j->data_dir, j->account, true, &error);

	if (db == NULL)
		log_warn("spam: %s: cannot open the token store: %s", j->account,
			 error != NULL ? error : "?");
	buf_reserve(&b, j->scan_bytes);
	for (size_t i = 0; i < j->n; i++) {
		struct stat st;
		ssize_t got;
		struct spam_tokens t;
		int ret;

		if (db == NULL || fstat(j->fds[i], &st) != 0 ||
		    (got = pread(j->fds[i], b.data, j->scan_bytes, 0)) < 0) {
			j->failed++;
			continue;
		}
		spam_tokens_init(&t);
		spam_tokenize(b.data, (size_t)got, j->scan_bytes, &t);
		ret = spam_db_train(db, spam_message_key(b.data, (size_t)got, (uint64_t)st.st_size),
				    j->cls, &t, j->max_tokens, (long)time(NULL));
		spam_tokens_free(&t);
		if (ret < 0)
			j->failed++;
		else
			j->trained += (size_t)ret;
	}
	for (size_t i = 0; i < j->n; i++)
		close(j->fds[i]);
	buf_free(&b);
	spam_db_close(&db);
}

static void
train_done(void *arg)
{
	struct spam_train *j = arg;

	log_info("spam: %s: trained %zu of %zu message(s) as %s%s", j->account, j->trained, j->n,
		 j->cls == SPAM_CLASS_SPAM ? "spam" : "ham", j->failed > 0 ? " (some failed)" : "");
	free(j->data_dir);
	free(j->account);
	free(j->fds);
	free(j);
}

void
spam_train_submit(struct workers *w, const struct settings *set, const char *account,
		  const int *fds, size_t n, enum spam_class cls)
{
	struct spam_train *j = xcalloc(1, sizeof(*j));

	j->data_dir = xstrdup(set->data_directory);
	j->account = xstrdup(account);
	j->fds = xmalloc((n > 0 ? n : 1) * sizeof(*j->fds));
	memcpy(j->fds, fds, n * sizeof(*fds));
	j->n = n;
	j->cls = cls;
	j->scan_bytes = (size_t)set->spam_scan_bytes;
	j->max_tokens = set->spam_max_tokens;
	workers_submit(w, train_run, train_done, j);
}
