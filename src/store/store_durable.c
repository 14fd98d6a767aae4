/* Durability of the index changes made outside the journal, off the loop
 * (src/store/README.md "Threads"). Loop connections commit with synchronous=NORMAL: a
 * commit writes the WAL into the page cache and waits for nothing. store_account_sync()
 * then has a store thread fdatasync() the WAL (and, once per WAL file, the account's
 * directory, whose entry for it SQLite would otherwise have synced at its first xSync).
 * SQLite's automatic checkpoint, which fsyncs on whichever thread commits, is off on loop
 * connections: the store checkpoints the indexes on its threads instead (the periodic
 * checkpoint, or early when a WAL grows past STORE_WAL_CHECKPOINT_PAGES). The same job
 * then unlinks the message files whose rows the synced commits removed (store_files.c):
 * only now can no power loss bring those rows back. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log/log.h"
#include "net/workers.h"
#include "store/store_private.h"
#include "util/strmap.h"
#include "util/xmalloc.h"

struct sync_job {
	struct store_account *acct;
	char *dir;
	ino_t known_ino, ino;
	int err;
	struct store_names unlink; /* acct->unlink_due when the job was made */
	store_sync_cb *cb;
	void *ctx;
};

static int
fsync_path(const char *path, bool dir)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
	int err = 0;

	if (fd < 0)
		return errno;
	if (fsync(fd) < 0)
		err = errno;
	close(fd);
	return err;
}

/* On a store thread (or inline): only the job's own strings. */
static void
sync_work(void *arg)
{
	struct sync_job *job = arg;
	char path[4096];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/index.db-wal", job->dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT) {
			job->err = errno;
			return;
		}
		/* no WAL: a process closed the last connection, which checkpointed it into
		 * the database file and removed it */
		snprintf(path, sizeof(path), "%s/index.db", job->dir);
		job->err = fsync_path(path, false);
		return;
	}
	if (fstat(fd, &st) < 0 || fdatasync(fd) < 0)
		job->err = errno;
	close(fd);
	if (job->err == 0 && st.st_ino != job->known_ino)
		job->err = fsync_path(job->dir, true);
	if (job->err == 0)
		job->ino = st.st_ino;
	if (job->err == 0 && job->unlink.n > 0) {
		snprintf(path, sizeof(path), "%s/msg", job->dir);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			store_files_unlink_names(fd, job->unlink.v, job->unlink.n);
			close(fd);
		}
	}
}

static int
sync_finish(struct sync_job *job, const char **error_r)
{
	struct store_account *acct = job->acct;
	int ret = 0;

	if (job->err != 0) {
		log_error("store: %s: index sync failed: %s", acct->name, strerror(job->err));
		acct->errcode = STORE_ERR_TEMP;
		*error_r = job->err == ENOSPC ? "disk full" : "cannot sync the index";
		ret = -1;
		store_names_move(&acct->unlink_due, &job->unlink); /* the next sync's */
	} else {
		acct->wal_ino = job->ino;
		*error_r = NULL;
		/* unlinked (or not there): the next releasing transaction deletes their rows */
		store_names_move(&acct->unlinked, &job->unlink);
	}
	store_names_free(&job->unlink);
	store_account_unref(&job->acct);
	free(job->dir);
	return ret;
}

static struct sync_job *
sync_job_new(struct store_account *acct)
{
	struct sync_job *job = xcalloc(1, sizeof(*job));

	store_account_ref(acct);
	job->acct = acct;
	job->dir = xstrdup(acct->dir);
	job->known_ino = acct->wal_ino;
	job->unlink = acct->unlink_due;
	acct->unlink_due = (struct store_names){0};
	return job;
}

static void
sync_done(void *arg)
{
	struct sync_job *job = arg;
	store_sync_cb *cb = job->cb;
	void *ctx = job->ctx;
	const char *error;
	int ret = sync_finish(job, &error);

	free(job);
	cb(ctx, ret, error);
}

void
store_account_sync(struct store_account *acct, store_sync_cb *cb, void *ctx)
{
	struct sync_job *job = sync_job_new(acct);

	job->cb = cb;
	job->ctx = ctx;
	if (acct->store->io != NULL) {
		workers_submit(acct->store->io, sync_work, sync_done, job);
		return;
	}
	sync_work(job);
	sync_done(job);
}

int
store_account_sync_wait(struct store_account *acct, const char **error_r)
{
	struct sync_job *job = sync_job_new(acct);
	int ret;

	sync_work(job);
	ret = sync_finish(job, error_r);
	free(job);
	return ret;
}

int
store_durable_checkpoint_index(const char *path)
{
	sqlite3 *db = NULL;
	int n_log = 0, n_ckpt = 0, rc;

	if (access(path, F_OK) < 0)
		return 0; /* the account was deleted meanwhile */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		log_error("store: checkpoint: cannot open %s: %s", path,
			  db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	/* never wait for the loop's connections: a busy index is checkpointed next time */
	sqlite3_busy_timeout(db, 0);
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	/* a connection learns that the database is in WAL mode at its first read */
	sqlite3_exec(db, "SELECT 1 FROM meta LIMIT 1", NULL, NULL, NULL);
	rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &n_log, &n_ckpt);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
		log_error("store: checkpoint of %s failed: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	/* Everything copied: the next writer restarts the WAL from its start and fsyncs the
	 * new WAL header (SQLite does so even with synchronous=NORMAL). Be that writer here,
	 * so that fsync is not the loop's; if the loop is writing right now (busy), it is. */
	sqlite3_busy_timeout(db, 1000); /* the loop's write transactions are short */
	/* the restart write's commit need not be durable: only the header's sync matters */
	sqlite3_exec(db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	if (rc == SQLITE_OK && n_log > 0 && n_ckpt == n_log &&
	    sqlite3_exec(db,
			 "BEGIN IMMEDIATE;"
			 " INSERT OR REPLACE INTO meta (key, value) VALUES ('wal_restarts',"
			 " coalesce((SELECT value FROM meta WHERE key = 'wal_restarts'), 0) + 1);"
			 " COMMIT;",
			 NULL, NULL, NULL) != SQLITE_OK &&
	    !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return 0;
}

struct ckpt_job {
	struct store_account *acct;
	char *path;
};

static void
ckpt_work(void *arg)
{
	struct ckpt_job *job = arg;

	store_durable_checkpoint_index(job->path);
}

static void
ckpt_done(void *arg)
{
	struct ckpt_job *job = arg;

	job->acct->wal_ckpt_running = false;
	store_account_unref(&job->acct);
	free(job->path);
	free(job);
}

static void
sync_ignore(void *ctx, int result, const char *error)
{
	(void)ctx;
	(void)result;
	(void)error; /* logged by sync_finish */
}

int
store_durable_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store_account *acct = arg;
	struct store *store = acct->store;

	(void)db;
	(void)name;
	acct->commits++; /* store_view_refresh: the index changed */
	/* This commit created or restarted the WAL (the first one this handle sees may
	 * have): its header, not synced by a loop connection (synchronous=OFF), must not
	 * stay unsynced while the new frames overwrite old ones, or a power loss could
	 * leave old frames that look valid. Sync it now, off the loop. */
	if (pages <= acct->wal_pages || acct->wal_pages == 0)
		store_account_sync(acct, sync_ignore, acct->name);
	acct->wal_pages = pages;
	if (strmap_get(store->wal_dirty, acct->name) == NULL)
		strmap_set(store->wal_dirty, acct->name, store);
	store->dirty = true; /* the periodic checkpoint makes it durable, copies it */
	if (pages >= STORE_WAL_CHECKPOINT_PAGES && store->io != NULL && !acct->wal_ckpt_running) {
		struct ckpt_job *job = xcalloc(1, sizeof(*job));

		acct->wal_ckpt_running = true;
		store_account_ref(acct);
		job->acct = acct;
		job->path = xasprintf("%s/index.db", acct->dir);
		workers_submit(store->io, ckpt_work, ckpt_done, job);
	}
	return SQLITE_OK;
}

struct take_ctx {
	const struct store *store;
	char **paths;
	size_t n;
};

static void
take_one(const char *key, void *value, void *arg)
{
	struct take_ctx *t = arg;

	(void)value;
	t->paths[t->n++] = xasprintf("%s/%s/index.db", t->store->mail_dir, key);
}

char **
store_durable_take_dirty(struct store *store, size_t *n_r)
{
	struct take_ctx t = {store, NULL, 0};

	t.paths = xmalloc((strmap_count(store->wal_dirty) + 1) * sizeof(char *));
	strmap_foreach(store->wal_dirty, take_one, &t);
	t.paths[t.n] = NULL;
	strmap_free(&store->wal_dirty);
	store->wal_dirty = strmap_new();
	*n_r = t.n;
	return t.paths;
}
