/* Internal to src/auth: the accounts handle shared by accounts*.c. */
#ifndef AUTH_ACCOUNTS_PRIVATE_H
#define AUTH_ACCOUNTS_PRIVATE_H
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "auth/accounts.h"

/* The statements of the hot paths (resolution, password checks), prepared once. */
enum accounts_stmt {
	ACCOUNTS_STMT_USER_HASH_BY_NAME,
	ACCOUNTS_STMT_BEGIN,
	ACCOUNTS_STMT_COMMIT,
	ACCOUNTS_STMT_DATA_VERSION,
	ACCOUNTS_STMT_COUNT
};

struct accounts {
	pthread_mutex_t lock; /* guards db and stmts */
	sqlite3 *db;
	sqlite3_stmt *stmts[ACCOUNTS_STMT_COUNT];
	struct accounts_cache *cache; /* users and aliases in memory (accounts_cache.c) */
	const struct settings *set;
	char dummy_setting[128]; /* yescrypt setting verified when the user does not exist */
};

/* With a->lock held: the cached statement, reset and with its bindings cleared. */
sqlite3_stmt *accounts_db_stmt(struct accounts *a, enum accounts_stmt id);
/* With a->lock held: one read transaction around several lookups, so the database's
 * locks are taken once (a statement outside a transaction takes them itself). */
void accounts_db_read_begin(struct accounts *a);
void accounts_db_read_end(struct accounts *a);
/* With a->lock held: brings the in-memory copy of users and aliases up to date (reloads
 * it if invalidated or if another connection changed the database). 0 ok, -1 error. */
int accounts_cache_refresh(struct accounts *a);
/* With a->lock held: after this handle's own writes (data_version does not see them). */
void accounts_cache_invalidate(struct accounts *a);
void accounts_cache_free(struct accounts *a);
/* With a->lock held, after a refresh: whether an account is stored under exactly this
 * address (as normalized: domain lower-cased). */
bool accounts_cache_user(struct accounts *a, const char *address);
/* With a->lock held, after a refresh: the alias's targets, or NULL. Valid until the lock
 * is released. */
char *const *accounts_cache_alias(struct accounts *a, const char *alias);
/* With a->lock held, after a refresh: the account's own quota (by name) if it has one. */
bool accounts_cache_quota(struct accounts *a, const char *name, unsigned long long *bytes_r);
/* With a->lock held: whether any account or alias has this name case-insensitively. */
bool accounts_db_name_taken(struct accounts *a, const char *address, bool users, bool aliases);
/* With a->lock held: runs one prepared write as its own transaction, with
 * synchronous=FULL. Returns the number of changed rows or -1; finalizes st. */
int accounts_db_write_durable(struct accounts *a, sqlite3_stmt *st);
/* One durable write (UPDATE or DELETE) of the users row of address: ?1 is its name (the
 * lower-cased address), ?2 text2, else *int2, else NULL. 0 when exactly one row changed;
 * -1 with *error_r (a malformed address, no such account, the write failed). */
int accounts_user_write(struct accounts *a, const char *address, const char *sql, const char *text2,
			const long long *int2, const char **error_r);
/* Hashes password with yescrypt, or validates an imported hash. malloc'ed or NULL with
 * *error_r. */
char *accounts_password_hash(const char *password, bool is_hash, const char **error_r);

#endif
