/* Checkpoints (src/store/README.md "Checkpoint"): when the journal passes
 * STORE_JOURNAL_MAX, every STORE_CHECKPOINT_SECS when something changed, and at close:
 * switch writes to a new journal file (created, its directory entry synced, on a store
 * thread), wait until every record of the old ones is applied, then on the syncfs
 * thread: checkpoint the indexes that changed, syncfs() so message files and index WALs
 * are on disk, delete the old journal files and sync the journal directory. Only then are
 * the old files forgotten: a failed step leaves them for the next checkpoint. */
#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log/log.h"
#include "net/workers.h"
#include "store/store_private.h"

enum { CKPT_IDLE, CKPT_ROTATING, CKPT_WAIT_APPLY, CKPT_WAIT_SYNCFS };

static void
free_lists(struct store_sync *s)
{
	for (size_t i = 0; i < s->n_ckpt_indexes; i++)
		free(s->ckpt_indexes[i]);
	free(s->ckpt_indexes);
	s->ckpt_indexes = NULL;
	s->n_ckpt_indexes = 0;
	for (size_t i = 0; i < s->n_retire_paths; i++)
		free(s->retire_paths[i]);
	free(s->retire_paths);
	s->retire_paths = NULL;
	s->n_retire_paths = 0;
}

static void
prepare_lists(struct store *store)
{
	struct store_sync *s = &store->sync;

	free_lists(s);
	s->ckpt_indexes = store_durable_take_dirty(store, &s->n_ckpt_indexes);
	s->retire_paths =
		store_journal_retire_paths(store, store->ckpt_retire_below, &s->n_retire_paths);
}

int
store_checkpoint_io(struct store *store)
{
	struct store_sync *s = &store->sync;

	/* an index that fails to checkpoint is still made durable by the syncfs */
	for (size_t i = 0; i < s->n_ckpt_indexes; i++)
		store_durable_checkpoint_index(s->ckpt_indexes[i]);
	if (store_sync_syncfs_inline(store) < 0)
		return EIO;
	if (store_journal_unlink(store->journal_dir_fd, s->retire_paths, s->n_retire_paths) < 0)
		return EIO;
	return 0;
}

void
store_checkpoint_syncfs_done(struct store *store, int error)
{
	free_lists(&store->sync);
	if (store->ckpt_state != CKPT_WAIT_SYNCFS)
		return;
	store->ckpt_state = CKPT_IDLE;
	if (error != 0) {
		log_error("store: checkpoint failed; retrying later");
		store->dirty = true;
		return;
	}
	store_journal_forget(store, store->ckpt_retire_below);
	store->oldest_jnum = store->ckpt_retire_below;
	store->n_checkpoints++;
}

/* The old journal files are closed for writes from here on. */
static void
wait_apply(struct store *store)
{
	store->ckpt_retire_below = store->next_jnum - 1;
	store->ckpt_wait_seq = store->next_seq - 1;
	store->ckpt_state = CKPT_WAIT_APPLY;
}

struct rotate_job {
	struct store *store;
	uint64_t num;
	int fd;
};

static void
rotate_work(void *arg)
{
	struct rotate_job *job = arg;

	job->fd =
		store_journal_create(job->store->journal_dir, job->store->journal_dir_fd, job->num);
}

static void
rotate_done(void *arg)
{
	struct rotate_job *job = arg;
	struct store *store = job->store;

	if (job->fd < 0) {
		store->ckpt_state = CKPT_IDLE;
		store->dirty = true;
	} else {
		store_journal_add(store, job->num, job->fd);
		wait_apply(store);
		store_checkpoint_poll(store);
	}
	free(job);
}

static void
start(struct store *store)
{
	const char *error;

	if (store->ckpt_state != CKPT_IDLE || !store->primary)
		return;
	store->dirty = false;
	if (store_journal_size(store) > 0 && store->io != NULL) {
		struct rotate_job *job = calloc(1, sizeof(*job));

		if (job != NULL) {
			job->store = store;
			job->num = store->next_jnum++;
			store->ckpt_state = CKPT_ROTATING;
			workers_submit(store->io, rotate_work, rotate_done, job);
			return;
		}
	}
	if (store_journal_size(store) > 0 && store_journal_rotate(store, &error) < 0) {
		log_error("store: checkpoint: %s", error);
		store->dirty = true;
		return;
	}
	wait_apply(store);
}

void
store_checkpoint_poll(struct store *store)
{
	if (store->ckpt_state == CKPT_IDLE && store_journal_size(store) > STORE_JOURNAL_MAX)
		start(store);
	/* every delivery/append record of the retired files is applied (cancel records,
	 * which have no pending entry, count as done once written) */
	if (store->ckpt_state != CKPT_WAIT_APPLY ||
	    (store->pending_head != NULL && store->pending_head->seq <= store->ckpt_wait_seq))
		return;
	store->ckpt_state = CKPT_WAIT_SYNCFS;
	prepare_lists(store);
	if (store->sync.started)
		store_sync_request_syncfs(store);
	else
		store_checkpoint_syncfs_done(store, store_checkpoint_io(store));
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store *store = arg;

	(void)fd;
	(void)what;
	if (store->dirty && store->ckpt_state == CKPT_IDLE) {
		start(store);
		store_checkpoint_poll(store);
	}
}

int
store_checkpoint_init(struct store *store, const char **error_r)
{
	struct timeval tv = {STORE_CHECKPOINT_SECS, 0};

	store->ckpt_timer = event_new(store->base, -1, EV_PERSIST, timer_cb, store);
	if (store->ckpt_timer == NULL || event_add(store->ckpt_timer, &tv) < 0) {
		*error_r = "cannot start the checkpoint timer";
		return -1;
	}
	return 0;
}

void
store_checkpoint_deinit(struct store *store)
{
	if (store->ckpt_timer != NULL) {
		event_free(store->ckpt_timer);
		store->ckpt_timer = NULL;
	}
	store->ckpt_state = CKPT_IDLE;
}

int
store_checkpoint_full(struct store *store)
{
	const char *error;
	int err;

	store->ckpt_state = CKPT_IDLE;
	if (store_journal_size(store) > 0 && store_journal_rotate(store, &error) < 0)
		return -1;
	store->ckpt_retire_below = store->next_jnum - 1;
	store->ckpt_state = CKPT_WAIT_SYNCFS;
	prepare_lists(store);
	err = store_checkpoint_io(store);
	store_checkpoint_syncfs_done(store, err);
	return err != 0 ? -1 : 0;
}
