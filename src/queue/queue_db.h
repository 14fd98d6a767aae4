/* The queue index: data_directory/queue/queue.db (SQLite, WAL) holds every queued
 * message's envelope and the state of each of its recipients. The message bytes are in
 * data_directory/queue/<qid>, immutable. Used by the server's spool thread and by the
 * `yubin queue` CLI (both may run at once: SQLite locks; writes are short).
 *
 * It is its own database file, not yubin.db, because yubin.db's schema version belongs to
 * the accounts component. A handle is used by one thread at a time. */
#ifndef QUEUE_QUEUE_DB_H
#define QUEUE_QUEUE_DB_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct queue_db;

enum queue_rcpt_state {
	QUEUE_RCPT_PENDING = 0, /* to be (re)tried at next_try */
	QUEUE_RCPT_SENT = 1,    /* accepted by the next hop or stored locally */
	QUEUE_RCPT_BOUNCED = 2, /* failed for good; the DSN is queued */
};

struct queue_db_rcpt {
	char *address; /* remote address, or the local account name when local */
	bool local;    /* deliver to the store (account name) instead of over SMTP */
	enum queue_rcpt_state state;
	time_t next_try;
	unsigned attempts;
	char *last_error; /* NULL when none */
};

struct queue_db_msg {
	char qid[32];
	char *sender; /* "" for a bounce */
	time_t arrival;
	unsigned long long size;
	bool hold;
	size_t n_rcpts;
	struct queue_db_rcpt *rcpts;
};

/* Opens (creating) queue_dir/queue.db. NULL with *error_r (static text). */
struct queue_db *queue_db_open(const char *queue_dir, const char **error_r);
void queue_db_close(struct queue_db **db);

int queue_db_begin(struct queue_db *db);
int queue_db_commit(struct queue_db *db);
void queue_db_rollback(struct queue_db *db);
/* Nested savepoint inside a transaction: one failing part rolls back alone. */
/* Whether the next commits fsync the WAL themselves (FULL) or leave it to the next
 * checkpoint (NORMAL, the default). Not inside a transaction. */
int queue_db_set_synchronous(struct queue_db *db, bool full);
int queue_db_savepoint(struct queue_db *db);
void queue_db_release_savepoint(struct queue_db *db);
void queue_db_rollback_savepoint(struct queue_db *db);
/* Commit made durable by this commit's own fsync (for the CLI). */
int queue_db_sync_commit(struct queue_db *db);

/* Inserts a message and its recipients (all PENDING, next_try = arrival). -1 on a
 * database error (e.g. the qid exists). */
int queue_db_insert(struct queue_db *db, const struct queue_db_msg *msg);
/* Sets one recipient's state, next try, attempts and last error (NULL keeps none). */
int queue_db_update_rcpt(struct queue_db *db, const char *qid, size_t idx,
			 const struct queue_db_rcpt *rcpt);
/* Deletes the message and its recipients; 0 also when it did not exist. */
int queue_db_delete(struct queue_db *db, const char *qid);
/* Sets/clears the hold flag; 1 done, 0 no such message, -1 error. */
int queue_db_set_hold(struct queue_db *db, const char *qid, bool hold);
/* Makes every pending recipient of every message due now (flush). */
int queue_db_flush(struct queue_db *db, time_t now);
/* Whether the message exists; *hold_r (may be NULL) = its hold flag. */
bool queue_db_exists(struct queue_db *db, const char *qid, bool *hold_r);

/* Loads one message (NULL qid: calls cb for every message in qid order). cb takes
 * ownership of nothing: msg is freed after it returns. 0 ok, -1 error. */
int queue_db_load(struct queue_db *db, const char *qid,
		  void (*cb)(void *ctx, const struct queue_db_msg *msg), void *ctx);
void queue_db_msg_clear(struct queue_db_msg *msg);

#endif
