/* Message files written ahead, off the loop (contract in store_private.h). Creating a file
 * is the dearest part of applying a delivery or APPEND: the inode allocation (on ext4
 * without a journal it walks the recently freed inodes), ~13 % of the loop's CPU with 100
 * IMAP users (bench/README.md "Stress, imaptest"). An io thread does it while the journal
 * record is being fdatasynced; nothing here is fsynced, as before (the journal record is
 * what makes the message durable, the checkpoint's syncfs() the file). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/workers.h"
#include "store/store_private.h"
#include "util/xmalloc.h"

struct prewrite_job {
	struct store_pending *p; /* kept allocated until done() (p->prewrites) */
	size_t ti;
	char *tmp;                      /* <account dir>/tmp/<file><tag> */
	struct msg_summary **summaries; /* built by target 0's job, for p if still wanted */
};

/* On an io thread: reads only rec's bytes, which nothing changes until p is freed. */
static void
prewrite_work(void *arg)
{
	struct prewrite_job *job = arg;
	const struct store_rec *rec = &job->p->rec;
	const struct store_rec_target *t = &rec->targets[job->ti];
	char pre[4200];
	int fd, ok;

	snprintf(pre, sizeof(pre), "%s.pre", job->tmp);
	/* no account directory (a target that does not exist yet): the apply writes it */
	fd = open(pre, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		ok = store_apply_write_fd(fd, t->prefix, t->prefix_len, rec->msg, rec->msg_len) ==
		     0;
		ok &= close(fd) == 0;
		if (!ok || rename(pre, job->tmp) < 0)
			unlink(pre);
	}
	/* the MIME parse of the message: ~3 % of the loop with 100 IMAP users APPENDing */
	if (job->ti == 0)
		job->summaries = store_summaries_build(rec);
}

/* On the loop. If the pending was applied (and finished) before this job ended, the apply
 * wrote the file itself and the tmp/<file><tag> renamed here afterwards is a leftover. */
static void
prewrite_done(void *arg)
{
	struct prewrite_job *job = arg;
	struct store_pending *p = job->p;

	if (p->finished)
		unlink(job->tmp);
	/* applied already (finished), it built its own */
	if (!p->finished && p->summaries == NULL)
		p->summaries = job->summaries;
	else
		store_summaries_free(&p->rec, job->summaries);
	free(job->tmp);
	free(job);
	if (--p->prewrites == 0 && p->finished)
		store_pending_free(p);
}

void
store_prewrite_start(struct store *store, struct store_pending *p)
{
	if (store->io == NULL)
		return;
	for (size_t ti = 0; ti < p->rec.n_targets; ti++) {
		struct prewrite_job *job = xcalloc(1, sizeof(*job));
		char *dir = store_account_dir(store, p->rec.targets[ti].account);
		char file[48];
		size_t len;

		store_apply_file_name(p->rec.id, ti, file);
		len = strlen(dir) + strlen(file) + strlen(store->prewrite_tag) + 6;
		job->tmp = xmalloc(len);
		snprintf(job->tmp, len, "%s/tmp/%s%s", dir, file, store->prewrite_tag);
		free(dir);
		job->p = p;
		job->ti = ti;
		p->prewrites++;
		workers_submit(store->io, prewrite_work, prewrite_done, job);
	}
}

void
store_prewrite_discard(struct store *store, struct store_pending *p)
{
	/* moved into msg/ by the sync thread and not applied (an applied one was undone, its
	 * file unlinked already): nothing names them */
	for (size_t ti = 0; ti < p->rec.n_targets; ti++) {
		char *dir, file[48], path[4200];

		if (!p->target_moved[ti])
			continue;
		dir = store_account_dir(store, p->rec.targets[ti].account);
		store_apply_file_name(p->rec.id, ti, file);
		snprintf(path, sizeof(path), "%s/msg/%s", dir, file);
		unlink(path);
		free(dir);
	}
	if (store->io == NULL || p->prewrites > 0)
		return; /* none, or prewrite_done() removes them (p is finished by then) */
	for (size_t ti = 0; ti < p->rec.n_targets; ti++) {
		char *dir = store_account_dir(store, p->rec.targets[ti].account);
		char file[48], path[4200];

		store_apply_file_name(p->rec.id, ti, file);
		snprintf(path, sizeof(path), "%s/tmp/%s%s", dir, file, store->prewrite_tag);
		unlink(path);
		free(dir);
	}
}
