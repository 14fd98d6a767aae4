/* The store's top level: opening (lock, replay, sync thread, checkpoint timer) and closing,
 * account names and directories, and creating/deleting accounts atomically (a staging
 * directory renamed into place; a delete renames away before removing). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "log/log.h"
#include "net/workers.h"
#include "store/store_private.h"
#include "util/file.h"
#include "util/rand.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xmalloc.h"

char *
store_account_name_normalize(const char *account)
{
	size_t len = account == NULL ? 0 : strlen(account);
	char *name;

	if (len == 0 || len > 255 || account[0] == '.' || strchr(account, '/') != NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)account[i];

		if (c < 0x20 || c == 0x7f)
			return NULL;
	}
	name = xstrdup(account);
	str_lower(name);
	return name;
}

char *
store_account_dir(const struct store *store, const char *account)
{
	return xasprintf("%s/%s", store->mail_dir, account);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) < 0 && errno != ENOENT)
		log_warn("store: remove(%s) failed: %s", path, strerror(errno));
	return 0;
}

static void
rm_rf(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Staging and trash directories a crash left behind. */
static void
clean_mail_dir(const char *mail_dir)
{
	struct dirent *de;
	DIR *d = opendir(mail_dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ".new-", 5) == 0 ||
		    strncmp(de->d_name, ".deleted-", 9) == 0) {
			char *p = xasprintf("%s/%s", mail_dir, de->d_name);

			rm_rf(p);
			free(p);
		}
	}
	closedir(d);
}

static int
open_dirs(struct store *store, const char **error_r)
{
	if (file_mkdir_p(store->mail_dir, 0700) < 0 || file_mkdir_p(store->journal_dir, 0700) < 0) {
		*error_r = "cannot create the store directories";
		return -1;
	}
	store->mail_dir_fd = open(store->mail_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	store->journal_dir_fd = open(store->journal_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (store->mail_dir_fd < 0 || store->journal_dir_fd < 0) {
		*error_r = "cannot open the store directories";
		return -1;
	}
	return 0;
}

/* Only one process owns the journal; another one (a CLI tool while serve runs) opens the
 * store as secondary: accounts and mailboxes work, deliveries fail. */
static int
take_lock(struct store *store, const char **error_r)
{
	char *path = xasprintf("%s/lock", store->journal_dir);

	store->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (store->lock_fd < 0) {
		*error_r = "cannot open the journal lock";
		return -1;
	}
	if (flock(store->lock_fd, LOCK_EX | LOCK_NB) == 0)
		store->primary = true;
	else if (errno != EWOULDBLOCK) {
		*error_r = "cannot lock the journal";
		return -1;
	}
	return 0;
}

struct store *
store_open(const char *data_dir, struct event_base *base, const char **error_r)
{
	struct store *store = xcalloc(1, sizeof(*store));
	uint8_t tag[8];

	rand_bytes(tag, sizeof(tag));
	store->prewrite_tag[0] = '.';
	for (size_t i = 0; i < sizeof(tag); i++)
		snprintf(store->prewrite_tag + 1 + 2 * i, 3, "%02x", tag[i]);
	store->data_dir = xstrdup(data_dir);
	store->mail_dir = xasprintf("%s/mail", data_dir);
	store->journal_dir = xasprintf("%s/journal", data_dir);
	store->base = base;
	store->lock_fd = store->mail_dir_fd = store->journal_dir_fd = store->sync.efd = -1;
	store->next_seq = 1;
	store->accounts = strmap_new();
	store->notify = strmap_new();
	store->wal_dirty = strmap_new();
	pthread_mutex_init(&store->sync.mu, NULL);
	pthread_cond_init(&store->sync.cond, NULL);
	if (open_dirs(store, error_r) < 0 || take_lock(store, error_r) < 0)
		goto fail;
	if (store->primary) {
		clean_mail_dir(store->mail_dir);
		if (store_replay(store, error_r) < 0)
			goto fail;
		if (base != NULL && (store_sync_start(store, error_r) < 0 ||
				     store_checkpoint_init(store, error_r) < 0))
			goto fail;
	} else {
		log_info("store: %s is in use by another process: deliveries disabled here",
			 data_dir);
	}
	/* several: one index fdatasync need not wait for another account's, and the file
	 * system joins concurrent fdatasyncs into one journal commit (ext4's jbd2), so 50
	 * POP3 QUITs at once wait for a few commits, not 25 each */
	if (base != NULL)
		store->io = workers_new(base, 8);
	return store;
fail:
	store_close(&store);
	return NULL;
}

void
store_close(struct store **storep)
{
	struct store *store = *storep;

	if (store == NULL)
		return;
	*storep = NULL;
	/* finishes the disk work in flight (unlinks, index syncs, account creations, a
	 * journal file being created); their callbacks still use the accounts */
	workers_free(&store->io);
	if (store->primary && store->jfiles != NULL) {
		store_sync_now(store);
		store_sync_stop(store);
		store_checkpoint_deinit(store);
		if (store_checkpoint_full(store) < 0)
			log_warn("store: final checkpoint failed; the journal is replayed at open");
	} else {
		store_sync_stop(store);
		store_checkpoint_deinit(store);
	}
	store_journal_close(store);
	store_account_cache_close_all(store);
	strmap_free(&store->accounts);
	store_notify_free_all(store);
	strmap_free(&store->notify);
	strmap_free(&store->wal_dirty);
	pthread_mutex_destroy(&store->sync.mu);
	pthread_cond_destroy(&store->sync.cond);
	if (store->lock_fd >= 0)
		close(store->lock_fd);
	if (store->mail_dir_fd >= 0)
		close(store->mail_dir_fd);
	if (store->journal_dir_fd >= 0)
		close(store->journal_dir_fd);
	free(store->data_dir);
	free(store->mail_dir);
	free(store->journal_dir);
	free(store);
}

bool
store_account_exists(struct store *store, const char *account)
{
	char *name = store_account_name_normalize(account), *path;
	bool ret;

	if (name == NULL)
		return false;
	path = xasprintf("%s/%s/index.db", store->mail_dir, name);
	ret = file_exists(path);
	free(path);
	free(name);
	return ret;
}

/* Builds the account in staging (index.db with its mailboxes, msg/, tmp/), all synced. */
static int
build_staging(const char *staging, const char **error_r)
{
	char *path;
	sqlite3 *db;
	int ret = -1;

	if (mkdir(staging, 0700) < 0) {
		*error_r = "cannot create the account directory";
		return -1;
	}
	path = xasprintf("%s/msg", staging);
	ret = mkdir(path, 0700);
	free(path);
	path = xasprintf("%s/tmp", staging);
	ret |= mkdir(path, 0700);
	free(path);
	if (ret < 0) {
		*error_r = "cannot create the account directory";
		return -1;
	}
	path = xasprintf("%s/index.db", staging);
	db = store_schema_open(path, error_r);
	free(path);
	if (db == NULL)
		return -1;
	ret = store_schema_init_account(db, error_r);
	db_close(&db);
	if (ret == 0 && file_fsync_dir(staging) < 0) {
		*error_r = "cannot sync the account directory";
		ret = -1;
	}
	return ret;
}

int
store_account_create(struct store *store, const char *account, const char **error_r)
{
	char *name = store_account_name_normalize(account), *dir, *staging;
	char guid[33];
	int ret = 0;

	if (name == NULL) {
		*error_r = "invalid account name";
		return -1;
	}
	dir = store_account_dir(store, name);
	rand_hex_guid(guid);
	staging = xasprintf("%s/.new-%s", store->mail_dir, guid);
	if (!store_account_exists(store, name)) {
		ret = build_staging(staging, error_r);
		if (ret == 0 && rename(staging, dir) < 0 && errno != EEXIST && errno != ENOTEMPTY) {
			*error_r = "cannot create the account";
			ret = -1;
		}
		rm_rf(staging);
		if (ret == 0 && fsync(store->mail_dir_fd) < 0) {
			*error_r = "cannot sync the mail directory";
			ret = -1;
		}
		if (ret == 0)
			log_info("store: account created: %s", name);
	}
	free(staging);
	free(dir);
	free(name);
	return ret;
}

struct create_job {
	struct store *store;
	char *account;
	int result;
	char error[256]; /* a copy: the text may live in the worker's thread-local storage */
	store_create_cb *cb;
	void *ctx;
};

/* On a store thread: store_account_create touches only the file system, the store's
 * immutable paths and a connection of its own to the new index. */
static void
create_work(void *arg)
{
	struct create_job *job = arg;
	const char *error = NULL;

	job->result = store_account_create(job->store, job->account, &error);
	snprintf(job->error, sizeof(job->error), "%s", error != NULL ? error : "");
}

static void
create_done(void *arg)
{
	struct create_job *job = arg;

	job->cb(job->ctx, job->result, job->error);
	free(job->account);
	free(job);
}

void
store_account_create_async(struct store *store, const char *account, store_create_cb *cb, void *ctx)
{
	struct create_job *job = xcalloc(1, sizeof(*job));

	job->store = store;
	job->account = xstrdup(account);
	job->cb = cb;
	job->ctx = ctx;
	if (store->io != NULL) {
		workers_submit(store->io, create_work, create_done, job);
		return;
	}
	create_work(job);
	create_done(job);
}

int
store_account_delete(struct store *store, const char *account, const char **error_r)
{
	char *name = store_account_name_normalize(account), *dir, *trash;
	char guid[33];
	int ret = 0;

	if (name == NULL) {
		*error_r = "invalid account name";
		return -1;
	}
	dir = store_account_dir(store, name);
	rand_hex_guid(guid);
	trash = xasprintf("%s/.deleted-%s", store->mail_dir, guid);
	if (rename(dir, trash) == 0) {
		/* until the rename is durable the account may come back after a crash */
		if (fsync(store->mail_dir_fd) < 0) {
			log_error("store: fsync(%s) failed: %s", store->mail_dir, strerror(errno));
			*error_r = "cannot sync the mail directory";
			ret = -1;
		} else {
			log_info("store: account deleted: %s", name);
		}
		rm_rf(trash);
	} else if (errno != ENOENT) {
		*error_r = "cannot delete the account";
		ret = -1;
	}
	if (ret == 0 || !file_exists(dir)) /* gone, even if not durably */
		store_account_forget(store, name);
	free(trash);
	free(dir);
	free(name);
	return ret;
}

void
store_get_stats(struct store *store, struct store_stats *stats)
{
	pthread_mutex_lock(&store->sync.mu);
	stats->fdatasyncs = store->sync.n_fdatasync;
	stats->syncfs = store->sync.n_syncfs;
	pthread_mutex_unlock(&store->sync.mu);
	stats->records = store->n_records;
	stats->checkpoints = store->n_checkpoints;
}

bool
store_owns_journal(const struct store *store)
{
	return store->primary;
}
