/* The mailbox store: per-account mailboxes and messages (index.db + one immutable file per
 * message), made durable through a store-wide group-committed journal (src/store/README.md).
 * This header: opening the store, accounts, and delivery. Mailboxes, views, messages, flags
 * and the notify bus are in store_account.h, store_mailbox.h, store_view.h, store_msg.h and
 * store_notify.h. Every function is called from the loop thread only; the store's own
 * threads do the waiting for the disk (src/store/README.md "Threads"). */
#ifndef STORE_STORE_H
#define STORE_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct store;
struct event_base;

/* Opens the store under data_dir (creates data_dir/mail and data_dir/journal as needed) and
 * replays the journal: every complete record not yet applied is applied now, so a message
 * acknowledged before a crash is visible after this returns. With base != NULL deliveries
 * are asynchronous (a sync thread group-commits the journal and completes back on base);
 * with base == NULL only the _sync variants may be used. NULL with *error_r on failure. */
struct store *store_open(const char *data_dir, struct event_base *base, const char **error_r);
/* Waits for in-flight deliveries (their callbacks run), checkpoints, frees, sets *store NULL. */
void store_close(struct store **store);

/* Creates the account (lower-cased address; no '/', no leading '.', no control chars) with
 * INBOX and Sent, Drafts, Trash, Junk, Archive carrying \Sent \Drafts \Trash \Junk \Archive
 * (RFC 6154), all subscribed. Idempotent: an existing account is left as it is (missing
 * default mailboxes are not recreated). 0 ok, -1 with *error_r (static text). */
int store_account_create(struct store *store, const char *account, const char **error_r);
/* The same on a store thread (it fsyncs the new files and directories): cb(ctx, result,
 * error) on the loop thread; inline without an event base. account is copied. */
typedef void store_create_cb(void *ctx, int result, const char *error);
void store_account_create_async(struct store *store, const char *account, store_create_cb *cb,
				void *ctx);
/* Removes the account and all its mail (open handles keep working until released, their
 * changes are lost). 0 ok (also if it did not exist), -1 with *error_r. */
int store_account_delete(struct store *store, const char *account, const char **error_r);
bool store_account_exists(struct store *store, const char *account);

struct store_target {
	const char *account;
	const char *mailbox; /* NULL = INBOX; a special-use name ("\\Junk", RFC 6154) = the
				mailbox that carries it, whatever its name (none: INBOX) */
	const char *prefix;  /* bytes written before the message in this target's copy
				(Return-Path:, Delivered-To: lines, CRLF ended); may be NULL */
	size_t prefix_len;
};

/* result 0: stored durably everywhere; -1: failed, error says why (static text), nothing
 * is visible anywhere. */
typedef void store_deliver_cb(void *ctx, int result, const char *error);

/* Stores msg (CRLF line ends) in every target durably; cb(ctx, 0, NULL) on the loop thread
 * once the message and its index entries are durable everywhere, cb(ctx, -1, why) if it
 * failed (then nothing is visible anywhere). cb may be called before store_deliver returns
 * only if it fails (or if the store was opened without an event base: then it all happens
 * inline). A target mailbox that does not exist falls back to INBOX; an account that does
 * not exist fails the whole delivery. msg and targets are copied: the caller may free them
 * as soon as this returns. internaldate 0 = now. Callbacks of several deliveries run in
 * the order they were submitted. */
void store_deliver(struct store *store, const struct store_target *targets, size_t n_targets,
		   const char *msg, size_t len, time_t internaldate, store_deliver_cb *cb,
		   void *ctx);
/* The same, blocking: returns once durable (0) or failed (-1, *error_r), with its own
 * inline fdatasync. Usable with or without a base; with one, it also completes (and calls
 * back) the asynchronous deliveries submitted before it. */
int store_deliver_sync(struct store *store, const struct store_target *targets, size_t n_targets,
		       const char *msg, size_t len, time_t internaldate, const char **error_r);

/* Counters for benchmarks and tests: journal records written, fdatasync() and syncfs()
 * calls made by the store, checkpoints completed. */
struct store_stats {
	unsigned long long records;
	unsigned long long fdatasyncs;
	unsigned long long syncfs;
	unsigned long long checkpoints;
};
void store_get_stats(struct store *store, struct store_stats *stats);
/* Whether this process owns the journal (deliveries and APPEND work); false when another
 * process (a running serve) already does: then only account and mailbox management works. */
bool store_owns_journal(const struct store *store);

#endif
