/* Message files and their lifetime: a file may be shared by several rows (COPY), so it is
 * unlinked only when the last row that names it is gone; the name goes to pending_unlink in
 * the same transaction and is unlinked once that commit is durable (by the io thread of
 * the next store_account_sync, after its fdatasync), so a crash in between leaves a queued
 * name (done at the next open), never an orphan file or a row without its file. The rows
 * of unlinked names are deleted by the account's next releasing transaction: no commit of
 * its own per EXPUNGE. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "log/log.h"
#include "net/workers.h"
#include "store/store_private.h"
#include "util/xmalloc.h"

void
store_names_add(struct store_names *l, char *name)
{
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = name;
}

void
store_names_move(struct store_names *to, struct store_names *from)
{
	for (size_t i = 0; i < from->n; i++)
		store_names_add(to, from->v[i]);
	from->n = 0;
}

void
store_names_free(struct store_names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct store_names){0};
}

int
store_files_release(struct store_account *acct, char **files, size_t n)
{
	sqlite3_stmt *ref = store_stmt(acct, STORE_STMT_FILE_REFERENCED);
	sqlite3_stmt *ins = store_stmt(acct, STORE_STMT_PENDING_UNLINK_INSERT);
	sqlite3_stmt *del = store_stmt(acct, STORE_STMT_PENDING_UNLINK_DELETE);
	int ret = 0;

	/* the files unlinked since the last releasing transaction: forget them here */
	for (size_t i = 0; i < acct->unlinked.n; i++) {
		sqlite3_reset(del);
		sqlite3_bind_text(del, 1, acct->unlinked.v[i], -1, SQLITE_STATIC);
		if (sqlite3_step(del) != SQLITE_DONE)
			ret = -1;
	}
	sqlite3_reset(del);
	for (size_t i = 0; i < n; i++) {
		int rc;

		sqlite3_reset(ref);
		sqlite3_bind_text(ref, 1, files[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(ref);
		if (rc == SQLITE_DONE) {
			sqlite3_reset(ins);
			sqlite3_bind_text(ins, 1, files[i], -1, SQLITE_STATIC);
			if (sqlite3_step(ins) != SQLITE_DONE)
				ret = -1;
			store_names_add(&acct->released, files[i]);
			continue;
		}
		if (rc != SQLITE_ROW)
			ret = -1;
		free(files[i]);
	}
	free(files);
	sqlite3_reset(ref);
	sqlite3_reset(ins);
	return ret;
}

void
store_files_committed(struct store_account *acct)
{
	store_names_move(&acct->unlink_due, &acct->released);
	store_names_free(&acct->unlinked); /* their rows went with this commit */
}

void
store_files_rolled_back(struct store_account *acct)
{
	store_names_free(&acct->released);
}

void
store_files_unlink_names(int dir_fd, char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (unlinkat(dir_fd, names[i], 0) < 0 && errno != ENOENT)
			log_warn("store: unlink(%s) failed: %s", names[i], strerror(errno));
}

struct unlink_job {
	struct store_account *acct; /* a reference, held until the job is done */
	char **names;
	size_t n;
	int dir_fd;
};

/* On a worker: the unlinks themselves, which can take milliseconds each (ext4 with
 * discard), must not stall the loop: a POP3 QUIT of 5,000 messages would. */
static void
unlink_job_work(void *arg)
{
	struct unlink_job *job = arg;

	store_files_unlink_names(job->dir_fd, job->names, job->n);
}

/* Back on the loop: forget the names. A crash before this leaves them queued, and the
 * next open unlinks them again (ENOENT is fine). */
static void
unlink_job_done(void *arg)
{
	struct unlink_job *job = arg;
	sqlite3_stmt *del = store_stmt(job->acct, STORE_STMT_PENDING_UNLINK_DELETE);

	db_exec(job->acct->db, "BEGIN");
	for (size_t i = 0; i < job->n; i++) {
		sqlite3_reset(del);
		sqlite3_bind_text(del, 1, job->names[i], -1, SQLITE_STATIC);
		sqlite3_step(del);
		free(job->names[i]);
	}
	sqlite3_reset(del);
	db_exec(job->acct->db, "COMMIT");
	close(job->dir_fd);
	free(job->names);
	store_account_unref(&job->acct);
	free(job);
}

void
store_files_unlink_pending(struct store_account *acct)
{
	sqlite3_stmt *st = store_stmt(acct, STORE_STMT_PENDING_UNLINK_LIST);
	struct unlink_job *job = xcalloc(1, sizeof(*job));
	size_t cap = 0;
	char path[4096];

	while (sqlite3_step(st) == SQLITE_ROW) {
		job->names = xgrow(job->names, &cap, job->n + 1, sizeof(*job->names));
		job->names[job->n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	snprintf(path, sizeof(path), "%s/msg", acct->dir);
	job->dir_fd = job->n > 0 ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (job->dir_fd < 0) {
		for (size_t i = 0; i < job->n; i++)
			free(job->names[i]);
		free(job->names);
		free(job);
		return;
	}
	job->acct = acct;
	store_account_ref(acct);
	if (acct->store->io != NULL) {
		workers_submit(acct->store->io, unlink_job_work, unlink_job_done, job);
		return;
	}
	unlink_job_work(job);
	unlink_job_done(job);
}
