/* Account handles of the store: a refcounted, cached handle on one account's index.db that
 * mailbox, view and message operations take. Handles of idle accounts are kept open in an
 * LRU cache (capped), so reopening an account that was used recently is cheap. */
#ifndef STORE_STORE_ACCOUNT_H
#define STORE_STORE_ACCOUNT_H
#include <stdbool.h>

struct store;
struct store_account;

/* Why the last failed operation on an account failed, for protocol response codes
 * (RFC 5530: ALREADYEXISTS, NONEXISTENT, CANNOT, LIMIT, SERVERBUG/UNAVAILABLE). */
enum store_error {
	STORE_ERR_NONE = 0,
	STORE_ERR_EXISTS,      /* mailbox already exists */
	STORE_ERR_NONEXISTENT, /* no such mailbox / account (IMAP: TRYCREATE for APPEND/COPY) */
	STORE_ERR_INVALID,     /* bad mailbox name or argument */
	STORE_ERR_NOT_ALLOWED, /* e.g. DELETE INBOX, DELETE of a \Noselect with children */
	STORE_ERR_LIMIT,       /* e.g. too many keywords in a mailbox (64) */
	STORE_ERR_TEMP,        /* I/O error, disk full: try again later */
};

/* Opens the account (a lower-cased address) or returns the cached handle with one more
 * reference. NULL with *error_r (STORE_ERR_NONEXISTENT if there is no such account). */
struct store_account *store_account_open(struct store *store, const char *account,
					 const char **error_r);
/* Drops one reference; sets *acct NULL. The handle stays cached while the LRU allows. */
void store_account_unref(struct store_account **acct);
void store_account_ref(struct store_account *acct);
const char *store_account_name(const struct store_account *acct);
struct store *store_account_store(const struct store_account *acct);
/* The code of the last error reported by a store_* call on this account. */
enum store_error store_account_errcode(const struct store_account *acct);

/* Durability of the changes made outside the journal (src/store/README.md "Threads"):
 * mailbox changes (create, delete, rename, subscribe), EXPUNGE, COPY and MOVE commit to
 * the index without waiting for the disk, so they are visible when they return but not
 * yet durable. store_account_sync() makes every change committed on acct before the call
 * durable (an fdatasync of the index's WAL on a store thread) and then runs cb(ctx, 0,
 * NULL) on the loop thread, or cb(ctx, -1, why) if the disk failed. A caller answers its
 * client only from cb. Without an event base it runs inline, before it returns. The
 * caller keeps ctx alive until cb runs (also across store_close, which runs it). */
typedef void store_sync_cb(void *ctx, int result, const char *error);
void store_account_sync(struct store_account *acct, store_sync_cb *cb, void *ctx);
/* The same, blocking: 0 durable, -1 with *error_r (CLI tools, tests). */
int store_account_sync_wait(struct store_account *acct, const char **error_r);

/* POP3 RFC 2449 [IN-USE]: at most one holder per account in this process. true if this
 * caller now holds it; release exactly once. */
/* One slot for a caller's cache of what the index holds, tied to the handle's life (IMAP
 * keeps its SORT/THREAD keys there, imap_sort_cache.c): free_fn(cache) runs when the
 * handle is freed or the slot set again. NULL until set. */
void *store_account_cache(const struct store_account *acct);
void store_account_set_cache(struct store_account *acct, void *cache, void (*free_fn)(void *));
/* A second such slot (IMAP keeps its BODYSTRUCTUREs there, imap_fetch_cache.c). */
void *store_account_cache2(const struct store_account *acct);
void store_account_set_cache2(struct store_account *acct, void *cache, void (*free_fn)(void *));
bool store_account_pop3_lock(struct store_account *acct);
void store_account_pop3_unlock(struct store_account *acct);

#endif
