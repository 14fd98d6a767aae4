/* Checkpoints (src/store/README.md "Checkpoint"): when the journal passes
 * STORE_JOURNAL_MAX, every STORE_CHECKPOINT_SECS when something changed, and at close:
 * switch writes to a new journal file, wait until every record of the old ones is
 * applied, syncfs() (on the sync thread) so message files and index WALs are on disk, then
 * delete the old journal files. */
#include <event2/event.h>

#include "log/log.h"
#include "store/store_private.h"

enum { CKPT_IDLE, CKPT_WAIT_APPLY, CKPT_WAIT_SYNCFS };

static void
finish(struct store *store)
{
	store_journal_retire(store, store->ckpt_retire_below);
	store->oldest_jnum = store->ckpt_retire_below;
	store->n_checkpoints++;
	store->ckpt_state = CKPT_IDLE;
}

void
store_checkpoint_syncfs_done(struct store *store, int error)
{
	if (store->ckpt_state != CKPT_WAIT_SYNCFS)
		return;
	if (error != 0) {
		log_error("store: checkpoint syncfs failed; retrying later");
		store->ckpt_state = CKPT_IDLE;
		store->dirty = true;
		return;
	}
	finish(store);
}

static void
start(struct store *store)
{
	const char *error;

	if (store->ckpt_state != CKPT_IDLE || !store->primary)
		return;
	store->dirty = false;
	if (store_journal_size(store) > 0 && store_journal_rotate(store, &error) < 0) {
		log_error("store: checkpoint: %s", error);
		store->dirty = true;
		return;
	}
	store->ckpt_retire_below = store->next_jnum - 1;
	store->ckpt_wait_seq = store->next_seq - 1;
	store->ckpt_state = CKPT_WAIT_APPLY;
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
	if (store->sync.started)
		store_sync_request_syncfs(store);
	else
		store_checkpoint_syncfs_done(store, store_sync_syncfs_inline(store) < 0 ? -1 : 0);
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

	store->ckpt_state = CKPT_IDLE;
	if (store_journal_size(store) > 0 && store_journal_rotate(store, &error) < 0)
		return -1;
	if (store_sync_syncfs_inline(store) < 0)
		return -1;
	store->ckpt_retire_below = store->next_jnum - 1;
	finish(store);
	return 0;
}
