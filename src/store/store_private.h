/* Internals shared by the store's files: struct store, account handles, the journal and
 * its sync thread, pending records, the statement cache. Not for use outside src/store. */
#ifndef STORE_STORE_PRIVATE_H
#define STORE_STORE_PRIVATE_H
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "store/store.h"
#include "store/store_account.h"
#include "store/store_mailbox.h"
#include "store/store_msg.h"
#include "store/store_notify.h"
#include "store/store_record.h"
#include "store/store_view.h"
#include "util/buf.h"

struct event;
struct msg_summary;
struct strmap;

#define STORE_JOURNAL_MAX ((uint64_t)64 << 20) /* rotate + checkpoint past this size */
#define STORE_CHECKPOINT_SECS 30               /* ... or this often when there is work */
#define STORE_ACCOUNT_CACHE 128                /* idle account handles kept open */
#define STORE_MAX_KEYWORDS 64
#define STORE_MAX_SYNC_FDS 8
/* an index WAL past this many pages is checkpointed (off the loop) before the next timer */
#define STORE_WAL_CHECKPOINT_PAGES 4096
/* address space (not memory) a loop connection maps its index.db with: reads of pages not in
 * the WAL are then page-cache hits without a pread() each (store_schema_loop_connection) */
#define STORE_INDEX_MMAP_BYTES ((int64_t)256 << 20)

/* One journal file, journal/<num as 16 hex>.jnl. The last of store->jfiles takes writes. */
struct store_jfile {
	struct store_jfile *next;
	uint64_t num;
	int fd;
	uint64_t size;
	uint64_t last_seq; /* seq of the last record written to it (0: none) */
};

/* State shared with the sync thread; everything below mu is under mu. */
/* A file written ahead (store_prewrite.c) for the sync thread to move into msg/ once its
 * record is durable (store_sync.c). */
struct store_sync_move {
	uint64_t seq; /* of its record */
	size_t ti;    /* its target */
	char *from;   /* <account dir>/tmp/<file><tag> */
	char *to;     /* <account dir>/msg/<file> */
	bool moved;   /* set by the thread */
};

struct store_sync {
	pthread_t thread;
	bool started;
	int efd; /* eventfd: the thread wakes the loop */
	struct event *ev;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	uint64_t req_seq; /* records <= req_seq want an fdatasync */
	int req_fds[STORE_MAX_SYNC_FDS];
	size_t n_req_fds;
	uint64_t done_seq;       /* records <= done_seq were covered by a finished fdatasync */
	uint64_t failed_seq;     /* records <= failed_seq may not be durable (fdatasync failed) */
	pthread_t syncfs_thread; /* the checkpoint's syncfs(), loop-owned */
	bool syncfs_running;
	bool syncfs_done; /* set by the syncfs thread */
	int syncfs_error;
	/* the checkpoint's work list, set by the loop before the syncfs thread starts and
	 * freed after it ends: indexes to checkpoint, journal files to delete after syncfs */
	char **ckpt_indexes;
	size_t n_ckpt_indexes;
	char **retire_paths;
	size_t n_retire_paths;
	bool quit;
	uint64_t n_fdatasync, n_syncfs; /* statistics */
	/* files to move into msg/ after the fdatasync that makes their record durable (the
	 * loop adds them in seq order, the thread takes those its round covers), and the
	 * ones it handled, for the loop (sync_event) to mark in their pendings */
	struct store_sync_move *moves, *handled;
	size_t n_moves, cap_moves, n_handled, cap_handled;
};

/* A record written to the journal and waiting for its fdatasync, then its apply. */
struct store_pending {
	struct store_pending *next;
	uint64_t seq;
	uint64_t jnum;
	struct store_rec rec; /* strings and msg owned by this struct */
	/* per target, built while the fdatasync runs (by a store_prewrite job; NULL when the
	 * apply came first: it builds its own then) */
	struct msg_summary **summaries;
	char *msg_copy;
	store_deliver_cb *deliver_cb;
	store_append_cb *append_cb;
	void *ctx;
	int result;                   /* 0 ok, -1 failed */
	const char *error;            /* static text when failed */
	uint32_t uidvalidity, uid;    /* of target 0, for APPENDUID */
	bool *target_done;            /* per target: applied in its account's open transaction */
	bool *target_moved;           /* per target: its file is in msg/ (the sync thread) */
	unsigned prewrites;           /* store_prewrite jobs in flight (they read rec) */
	bool finished;                /* freed once prewrites reaches 0 */
	struct store_account **accts; /* per target, during the apply */
	struct store_apply_result *results; /* per target, during the apply */
};

enum store_stmt_id {
	STORE_STMT_MAILBOX_BY_NAME,
	STORE_STMT_MAILBOX_BY_ID,
	STORE_STMT_MAILBOX_SET_NEXT,
	STORE_STMT_MSGDATA_INSERT,
	STORE_STMT_MESSAGE_INSERT,
	STORE_STMT_DELIVERED_INSERT,
	STORE_STMT_DELIVERED_GET,
	STORE_STMT_MESSAGE_FILE,
	STORE_STMT_MESSAGE_FLAGS,
	STORE_STMT_MESSAGE_SET_FLAGS,
	STORE_STMT_MESSAGE_DELETE,
	STORE_STMT_MSGDATA_DELETE,
	STORE_STMT_MSGDATA_COPY,
	STORE_STMT_EXPUNGED_INSERT,
	STORE_STMT_MAILBOX_SET_MODSEQ,
	STORE_STMT_MAILBOX_SET_KEYWORDS,
	STORE_STMT_MAILBOX_SET_RECENT,
	STORE_STMT_MAILBOX_STATUS,
	STORE_STMT_MAILBOX_LIST,
	STORE_STMT_SUBSCRIPTIONS,
	STORE_STMT_FILE_REFERENCED,
	STORE_STMT_PENDING_UNLINK_INSERT,
	STORE_STMT_PENDING_UNLINK_DELETE,
	STORE_STMT_PENDING_UNLINK_LIST,
	STORE_STMT_BEGIN,
	STORE_STMT_COMMIT,
	STORE_STMT_VIEW_CHANGED,
	STORE_STMT_VIEW_EXPUNGED,
	STORE_STMT_MSGDATA_SET_SORTKEYS,
	STORE_STMT_COUNT,
};

/* A list of file names (malloc'ed strings). */
struct store_names {
	char **v;
	size_t n, cap;
};

struct store_account {
	struct store *store;
	char *name;
	char *dir; /* mail_dir/name */
	sqlite3 *db;
	int refs;
	bool cached; /* in store->accounts (false once deleted/replaced) */
	dev_t dev;   /* of index.db, to notice a delete + re-create by another process */
	ino_t ino;
	struct store_account *lru_prev, *lru_next; /* idle list (refs == 0) */
	enum store_error errcode;
	bool pop3_locked;
	uint64_t pruned_below; /* delivered rows with jnum below this are gone */
	sqlite3_stmt *stmts[STORE_STMT_COUNT];
	sqlite3_stmt *get_stmts[STORE_MSG_FIELDS_ALL + 1]; /* store_msg_get by field mask */
	struct buf get_buf; /* the blobs store_msg_get returned last */
	sqlite3_stmt *range_stmts[STORE_MSG_FIELDS_ALL + 1]; /* store_msg_cursor_open by mask... */
	bool range_busy[STORE_MSG_FIELDS_ALL + 1]; /* ...range_stmts[i] is in an open cursor */
	void *cache;                               /* store_account_set_cache() */
	void (*cache_free)(void *);
	void *cache2; /* store_account_set_cache2() */
	void (*cache2_free)(void *);
	/* apply batching (store_apply.c) */
	struct store_account *apply_next;
	bool in_batch;
	struct store_view *hibernated; /* views of this handle that are hibernated */
	/* durability (store_durable.c) */
	ino_t wal_ino;         /* the WAL whose directory entry is known durable (0: none yet) */
	bool wal_ckpt_running; /* an early checkpoint of this index is on a store thread */
	int wal_pages;         /* WAL size after the last commit seen (0: none yet) */
	/* commits of the loop connection, counted by the WAL hook (counts_commits: the hook
	 * is installed); a view that read the index at this count has nothing to refresh */
	uint64_t commits;
	bool counts_commits;
	/* message files whose last row is gone (store_files.c): released by the transaction
	 * in progress; committed, to unlink after the next index sync; unlinked, their
	 * pending_unlink rows to delete in the next releasing transaction */
	struct store_names released, unlink_due, unlinked;
};

struct store {
	/* names this process's files written ahead in tmp/ (store_prewrite.c): ".<16 hex>",
	 * random per store_open, so a file left by another process is never taken for one */
	char prewrite_tag[18];
	char *data_dir;
	char *mail_dir;
	char *journal_dir;
	struct event_base *base;
	bool primary; /* holds journal/lock: owns the journal */
	int lock_fd;
	int journal_dir_fd;
	int mail_dir_fd;
	struct store_jfile *jfiles; /* oldest first */
	uint64_t next_jnum;         /* number of the next journal file */
	uint64_t oldest_jnum;       /* delivered rows below this are stale */
	uint64_t next_seq;          /* the next record's seq (from 1) */
	uint64_t applied_seq;       /* every record <= this is applied or failed */
	struct store_pending *pending_head, *pending_tail;
	struct store_sync sync;
	struct strmap *accounts; /* name -> struct store_account, cached handles */
	struct store_account *lru_head, *lru_tail;
	size_t n_idle;
	struct strmap *notify; /* name -> struct store_notify_list */
	/* checkpoint (store_checkpoint.c) */
	int ckpt_state;
	uint64_t ckpt_wait_seq;
	uint64_t ckpt_retire_below; /* jfiles with num below are retired */
	bool dirty;
	struct event *ckpt_timer;
	struct strmap *wal_dirty; /* names of accounts whose index changed since a checkpoint */
	uint64_t ckpt_new_jnum;   /* the journal file a store thread is creating */
	uint64_t n_records, n_checkpoints;
	/* the store's threads for disk work (unlinks of released message files, index
	 * fdatasyncs, account creation, journal file creation); NULL without a base: then
	 * that work is done inline */
	struct workers *io;
};

/* store.c */
char *store_account_dir(const struct store *store, const char *account);
/* Lower-cases and validates an account name into a new string; NULL if invalid. */
char *store_account_name_normalize(const char *account);

/* store_schema.c */
sqlite3 *store_schema_open(const char *path, const char **error_r);
/* False if db cannot write: SQLite opened the database, its WAL or its wal-index read-only
 * (a file it could not open read-write at that moment: see store_schema_open), which
 * lasts as long as the connection. Never waits for a lock. */
bool store_schema_writable(sqlite3 *db);
/* An index connection of the loop: no automatic checkpoint (it fsyncs; store threads
 * checkpoint instead), none at close, and commits reported to store_durable_wal_hook. */
void store_schema_loop_connection(sqlite3 *db, struct store_account *acct);
int store_schema_init_account(sqlite3 *db, const char **error_r);

/* store_account.c */
/* A cached statement of the account's connection, reset and unbound. Reset it again
 * (sqlite3_reset) when done: a statement left stepped keeps its read transaction open. */
sqlite3_stmt *store_stmt(struct store_account *acct, enum store_stmt_id id);
/* One read transaction around several reads (a refresh): each autocommit statement is a
 * transaction of its own, and in WAL mode each one takes and drops a wal-index lock (two
 * fcntl() calls), 10+ per IMAP command before. True if it began one (the connection was
 * in autocommit mode; a read statement in progress, such as a FETCH cursor, keeps its own
 * read transaction after the COMMIT), to be passed to store_read_end(),
 * which commits it. Only for reads: a write inside could fail with SQLITE_BUSY_SNAPSHOT
 * when another connection (the checkpoint thread, a CLI) wrote since it began. */
bool store_read_begin(struct store_account *acct);
void store_read_end(struct store_account *acct, bool began);
void store_account_cache_close_all(struct store *store);
void store_account_forget(struct store *store, const char *name);
int store_account_fail(struct store_account *acct, enum store_error code, const char *msg,
		       const char **error_r);
/* Allocates a new UIDVALIDITY (unique in the account, time-based). Inside a transaction. */
int store_account_new_uidvalidity(struct store_account *acct, uint32_t *uidvalidity_r);

/* store_journal.c */
int store_journal_open(struct store *store, const char **error_r);
/* A new current journal file, created and its directory entry synced inline (start-up,
 * close, write errors). */
int store_journal_rotate(struct store *store, const char **error_r);
/* Thread-safe half of a rotation: creates journal file num and fsyncs the directory. The
 * fd, or -1 with errno. */
int store_journal_create(const char *journal_dir, int journal_dir_fd, uint64_t num);
/* Loop half: fd (from store_journal_create) becomes the current journal file num. */
void store_journal_add(struct store *store, uint64_t num, int fd);
/* Writes rec as the next record; 0 with *seq_r, or -1 (nothing is left in the journal). */
int store_journal_write(struct store *store, const struct store_rec *rec, uint64_t *seq_r,
			const char **error_r);
void store_journal_close(struct store *store);
/* Paths of the jfiles with num < below except the current one (for store_journal_unlink). */
char **store_journal_retire_paths(const struct store *store, uint64_t below, size_t *n_r);
/* Thread-safe: unlinks paths (a missing one is fine) and fsyncs the journal directory.
 * 0 ok, -1 (logged): the files may come back after a crash. */
int store_journal_unlink(int journal_dir_fd, char **paths, size_t n);
/* Forgets (closes) the jfiles with num < below except the current one, once they are gone. */
void store_journal_forget(struct store *store, uint64_t below);
/* store_journal_retire_paths + store_journal_unlink + store_journal_forget, inline. */
int store_journal_retire(struct store *store, uint64_t below);
uint64_t store_journal_size(const struct store *store);
char *store_journal_path(const struct store *store, uint64_t num);

/* store_sync.c */
int store_sync_start(struct store *store, const char **error_r);
void store_sync_stop(struct store *store);
/* Asks for an fdatasync covering every record up to seq (written to the current jfile). */
void store_sync_request(struct store *store, uint64_t seq);
/* fdatasync of every jfile inline, then completes every pending record. */
int store_sync_now(struct store *store);
/* Asks the sync thread for a syncfs(); store_checkpoint_syncfs_done() follows. */
void store_sync_request_syncfs(struct store *store);
int store_sync_syncfs_inline(struct store *store);

/* store_deliver.c */
/* Applies (or fails) every pending record with seq <= done, then runs their callbacks. */
void store_deliver_complete(struct store *store, uint64_t done, uint64_t failed);

/* store_apply.c */
/* Applies the records of batch (in order) to their accounts: one transaction per account,
 * notify events after the commits; sets each record's result. */
void store_apply_batch(struct store *store, struct store_pending *batch);
/* Applies target ti of rec in acct inside the caller's transaction. summary may be NULL
 * (then built here). For a replay, rec->type decides the mailbox fallback. */
struct store_apply_result {
	uint64_t mailbox_id;
	char *mailbox; /* allocated: the mailbox it went to */
	uint32_t uidvalidity, uid;
	uint64_t modseq;
};
int store_apply_target(struct store_account *acct, const struct store_rec *rec, size_t ti,
		       uint64_t jnum, struct msg_summary *summary, bool file_in_place,
		       struct store_apply_result *res, const char **error_r);
/* Before the first apply in a transaction: drops stale delivered rows. */
void store_apply_prune(struct store_account *acct);
/* Replay: rewrites the file of an already applied target in place if its row exists. */
int store_apply_repair(struct store_account *acct, const struct store_rec *rec, size_t ti,
		       const char **error_r);
/* Undoes an applied target (compensation after another target failed). */
void store_apply_undo(struct store_account *acct, const uint8_t id[16], size_t ti);
/* Message file names. */
void store_apply_file_name(const uint8_t id[16], size_t ti, char out[48]);
/* Writes prefix then msg at offset 0 of fd. 0 ok, -1 with errno. */
int store_apply_write_fd(int fd, const char *prefix, size_t prefix_len, const char *msg,
			 size_t len);

/* store_prewrite.c: the message files of a journaled delivery or APPEND, written on an io
 * thread while the journal is fdatasynced, so the loop's apply only renames them. Each
 * target's bytes go to tmp/<file><tag>.pre (tag: store->prewrite_tag), renamed to
 * tmp/<file><tag> once complete; the apply renames tmp/<file><tag> into msg/ when it is
 * there and writes the file itself (tmp/<file>, as before) otherwise, so any interleaving
 * leaves msg/<file> complete, with the same bytes. A file of another process (another tag:
 * after a crash, its bytes may never have reached the disk) is never used; opening an
 * account removes every tmp/ file except this process's. p stays allocated until its jobs
 * are done (p->prewrites; store_pending_free is deferred to the last one). The job of target
 * 0 also builds the MIME summaries (store_summaries_build), handed to p when it ends before
 * the apply. */
void store_prewrite_start(struct store *store, struct store_pending *p);
/* A pending that failed to apply: removes the files written ahead that no apply took (and
 * those the sync thread moved into msg/). */
void store_prewrite_discard(struct store *store, struct store_pending *p);
/* store_sync.c: hands p's files written ahead to the sync thread, which moves them into msg/
 * right after the fdatasync that makes p durable (before the loop hears of it), so the
 * apply renames nothing on the loop (p->target_moved). Call before store_sync_request(). */
void store_sync_add_moves(struct store *store, struct store_pending *p);
/* store_deliver.c: frees p (its record, summaries and message copy). */
void store_pending_free(struct store_pending *p);
/* The MIME summaries of rec's targets (one per distinct prefix, shared), and their free.
 * Reads only rec: callable on an io thread. */
struct msg_summary **store_summaries_build(const struct store_rec *rec);
void store_summaries_free(const struct store_rec *rec, struct msg_summary **summaries);
int store_apply_write_file(struct store_account *acct, const char *file, const char *prefix,
			   size_t prefix_len, const char *msg, size_t len, const char **error_r);

/* store_replay.c */
int store_replay(struct store *store, const char **error_r);

/* store_durable.c */
/* The commit hook of loop connections: notes the account for the next checkpoint and
 * starts an early one when its WAL grew past STORE_WAL_CHECKPOINT_PAGES. */
int store_durable_wal_hook(void *acct, sqlite3 *db, const char *name, int pages);
/* Thread-safe: a PASSIVE checkpoint of the index at path through a connection of its own
 * (it waits for no reader or writer of the loop), then, if the WAL is fully copied,
 * restarts it with a small write so that the WAL header's fsync happens here and not in
 * the next commit of the loop. 0 ok, -1 (logged). */
int store_durable_checkpoint_index(const char *path);
/* Moves the names in store->wal_dirty into a list of index paths (for the checkpoint). */
char **store_durable_take_dirty(struct store *store, size_t *n_r);

/* store_checkpoint.c */
int store_checkpoint_init(struct store *store, const char **error_r);
void store_checkpoint_deinit(struct store *store);
/* After writes / applies: starts or advances a checkpoint when due. */
void store_checkpoint_poll(struct store *store);
/* The syncfs thread's part (also run inline): checkpoints the indexes, syncfs(), deletes
 * the retired journal files, syncs the journal directory. 0 or an errno. */
int store_checkpoint_io(struct store *store);
void store_checkpoint_syncfs_done(struct store *store, int error);
/* Everything applied: rotate, checkpoint the indexes, syncfs, drop old journal files.
 * Blocking (close). */
int store_checkpoint_full(struct store *store);

/* store_notify.c */
void store_notify_emit(struct store *store, enum store_event_type type, const char *account,
		       uint64_t mailbox_id, const char *mailbox, uint64_t modseq);
/* A MAILBOX event for a rename (old_name set in the event). */
void store_notify_emit_rename(struct store *store, const char *account, uint64_t mailbox_id,
			      const char *old_name, const char *new_name);
void store_notify_free_all(struct store *store);

/* store_mailbox.c */
struct store_mailbox_row {
	uint64_t id;
	char *name;
	uint32_t uidvalidity, uidnext, recent_uid;
	uint64_t highestmodseq;
	unsigned special_use;
	bool noselect;
	char *keywords; /* space-separated, position = bit */
};
/* 1 found, 0 not, -1 error. */
int store_mailbox_row_by_name(struct store_account *acct, const char *name,
			      struct store_mailbox_row *row);
int store_mailbox_row_by_id(struct store_account *acct, uint64_t id, struct store_mailbox_row *row);
/* The first selectable mailbox carrying one of the special_use bits (RFC 6154). */
int store_mailbox_row_by_special_use(struct store_account *acct, unsigned special_use,
				     struct store_mailbox_row *row);
void store_mailbox_row_free(struct store_mailbox_row *row);
int store_mailbox_set_next(struct store_account *acct, uint64_t id, uint32_t uidnext,
			   uint64_t modseq);
/* Keyword bits for names, adding missing ones to the row (and the index). 0 all mapped,
 * 1 some did not fit (64 per mailbox; *bits_r has the others), -1 index error. */
int store_mailbox_keyword_bits(struct store_account *acct, struct store_mailbox_row *row,
			       const char *const *names, size_t n, uint64_t *bits_r);
/* store_mailbox_ops.c helpers (inside a transaction) */
char *store_mailbox_normalized(struct store_account *acct, const char *name, const char **error_r);
int store_mailbox_insert(struct store_account *acct, const char *name, unsigned special_use);
int store_mailbox_create_parents(struct store_account *acct, const char *name);
bool store_mailbox_has_children(struct store_account *acct, const char *name);
/* commit + STORE_EVENT_MAILBOX; rolls back on failure. */
int store_mailbox_finish(struct store_account *acct, uint64_t id, const char *name,
			 const char **error_r);
/* The same for a rename: the event carries old_name (NULL: not a rename). */
int store_mailbox_finish_rename(struct store_account *acct, uint64_t id, const char *old_name,
				const char *name, const char **error_r);
int store_mailbox_fail_tx(struct store_account *acct, enum store_error code, const char *msg,
			  const char **error_r);
/* Splits row->keywords into an array (free with str_array_free). */
char **store_mailbox_keyword_list(const struct store_mailbox_row *row, size_t *n_r);

/* store_view.c */
struct store_view {
	struct store_account *acct;
	uint64_t mailbox_id;
	char *name;
	bool readonly;
	/* some entry of msgs may carry STORE_FLAG_EXPUNGED or a refresh mark: the next refresh
	 * walks msgs (without it a refresh costs nothing per message) */
	bool marked;
	uint32_t uidvalidity, uidnext, recent_count;
	uint64_t modseq;         /* HIGHESTMODSEQ the view is synced to */
	uint64_t synced_commits; /* acct->commits at the last refresh (UINT64_MAX: none) */
	struct store_view_msg *msgs;
	size_t count, cap;
	char *keywords_raw;
	char **keywords;
	size_t n_keywords;
	/* hibernation (store_view_hibernate.c): msgs is NULL while hibernated */
	bool hibernated;
	struct store_view_msg *kept; /* entries the index cannot give back, by UID */
	size_t n_kept;
	uint32_t *recent; /* [first, last] UID pairs: the runs of \Recent entries */
	size_t n_recent;
	uint32_t *stale; /* woken: UIDs changed by others while asleep, ascending */
	size_t n_stale;
	struct store_view_msg *dummy;           /* stand-in after a failed implicit wake */
	struct store_view *hib_prev, *hib_next; /* acct->hibernated */
};
void store_view_set_keywords(struct store_view *view, const char *raw);
void store_view_claim_recent(struct store_view *view, const struct store_mailbox_row *row);
void store_view_mark_expunged(struct store_view *view, const uint32_t *uids, size_t n);
/* A write of the view's own session (STORE, EXPUNGE) leaves it synced when it was synced
 * before (store_view_synced(), asked inside the write's transaction) and the write updated
 * the view in memory: store_view_keep_synced() after the commit, with the mailbox's new
 * HIGHESTMODSEQ. The next refresh then reads nothing (store_view_refresh). */
bool store_view_synced(const struct store_view *view, uint64_t highestmodseq);
void store_view_keep_synced(struct store_view *view, uint64_t highestmodseq);
void store_view_update_msg(struct store_view *view, uint32_t uid, uint32_t flags, uint64_t keywords,
			   uint64_t modseq);
uint64_t store_view_mailbox_id(const struct store_view *view);
/* Sequence number of uid in an awake view. */
uint32_t store_view_seq_awake(const struct store_view *view, uint32_t uid);

/* store_view_hibernate.c */
/* For accessors that cannot fail: true awake; false the wake failed (logged; view->dummy
 * stands in for the messages). */
bool store_view_wake_implicit(struct store_view *view);
/* Wakes the hibernated views of mailbox_id (before its messages go for good). */
void store_view_wake_mailbox(struct store_account *acct, uint64_t mailbox_id);
/* Refresh of a hibernated view (row read, mailbox alive): 1 done while staying
 * hibernated (ch filled), 0 the caller must wake it and refresh normally, -1 error. */
int store_view_refresh_asleep(struct store_view *view, const struct store_mailbox_row *row,
			      struct store_view_changes *ch);
bool store_view_is_stale(const struct store_view *view, uint32_t uid);
void store_view_unstale(struct store_view *view, uint32_t uid);
void store_view_hib_free(struct store_view *view);
/* A hibernated view whose mailbox is gone and cannot be woken: it becomes an empty view. */
void store_view_hib_drop(struct store_view *view);

/* store_files.c */
/* Inside a transaction: of files (freed here), those no message references any more are
 * queued in pending_unlink (and remembered in acct->released); the rows of the files
 * unlinked since the last such transaction (acct->unlinked) are deleted. 0 ok, -1 index
 * error. The caller then calls store_files_committed() or, after a rollback,
 * store_files_rolled_back(). */
int store_files_release(struct store_account *acct, char **files, size_t n);
/* After the commit of a releasing transaction: its files are unlinked by the next
 * store_account_sync(), on its io thread once the fdatasync has made this commit durable
 * (a file must not go before the rows that name it: after a power loss the index could
 * come back with a row whose file is gone). */
void store_files_committed(struct store_account *acct);
void store_files_rolled_back(struct store_account *acct);
/* When an account is opened: unlinks the files queued by an earlier process (on an io
 * thread when there is one). */
void store_files_unlink_pending(struct store_account *acct);
/* store_durable.c's sync job: unlinks names in dir_fd (ENOENT is fine). */
void store_files_unlink_names(int dir_fd, char *const *names, size_t n);
void store_names_add(struct store_names *l, char *name);
/* Moves every name of from to the end of to. */
void store_names_move(struct store_names *to, struct store_names *from);
void store_names_free(struct store_names *l);

/* store_expunge.c */
int store_expunged_add(struct store_account *acct, uint64_t mailbox_id, const uint32_t *uids,
		       size_t n, uint64_t modseq);

#endif
