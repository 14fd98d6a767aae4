/* Accounts, password hashes and aliases, kept in data_directory/yubin.db; recipient
 * resolution (+tag, aliases) and the password check used by AUTH, POP3 and IMAP.
 *
 * Addresses: the domain compares case-insensitively (stored lower-case); the local part
 * of a recipient is compared exactly as stored (case-sensitive), except "postmaster"
 * which RFC 5321 4.5.1 makes case-insensitive. Two accounts (or aliases) may not differ
 * only by case. An account's NAME is its whole address lower-cased: that is what
 * accounts_resolve() returns and what the store uses (store_account_create()). Logins
 * (accounts_authenticate) compare the whole address case-insensitively.
 *
 * Thread safety: every function may be called from any thread; one mutex guards the
 * SQLite connection, and the slow password hashing runs outside it.
 *
 * Speed: accounts_resolve() and accounts_owns_address() work on an in-memory copy of the
 * users and aliases (about 1 us per call); changes committed by other processes (the
 * admin commands) are picked up within a millisecond. */
#ifndef AUTH_ACCOUNTS_H
#define AUTH_ACCOUNTS_H
#include <stdbool.h>

struct settings;
struct accounts;

/* Maximum depth of alias expansion and maximum number of addresses one recipient may
 * expand to; deeper/larger expansions are cut (and logged). */
#define ACCOUNTS_ALIAS_MAX_DEPTH 16
#define ACCOUNTS_RESOLVE_MAX 1000

/* Opens (creating data_directory and yubin.db if needed) the account database. The
 * settings must outlive the handle (mydomains, recipient_delimiter, data_directory are
 * read from it). NULL with *error_r (static or thread-local text) on failure. */
struct accounts *accounts_open(const struct settings *s, const char **error_r);
void accounts_close(struct accounts **a);

/* Adds an account. address must be "local@domain" with a local domain. With is_hash,
 * password is an existing crypt hash, accepted if it starts with $y$, $6$ or $2b$ (and
 * is well-formed enough for libcrypt to verify with it); otherwise password is hashed
 * with yescrypt. 0 ok, -1 with *error_r (already exists, bad address, ...). */
int accounts_user_add(struct accounts *a, const char *address, const char *password, bool is_hash,
		      const char **error_r);
/* Deletes an account (not its mailboxes). -1 if it does not exist. Like passwd, it finds
 * the account by name (address compared case-insensitively). */
int accounts_user_del(struct accounts *a, const char *address, const char **error_r);
/* Changes the password (or hash, with is_hash) of an existing account. */
int accounts_user_passwd(struct accounts *a, const char *address, const char *password,
			 bool is_hash, const char **error_r);
/* Whether an account of this name exists (the whole address compared case-insensitively,
 * as for logins and the admin commands; recipients are matched by accounts_resolve()). */
bool accounts_user_exists(struct accounts *a, const char *address);
/* Calls cb for every account, sorted by address. 0 ok, -1 on a database error. cb runs
 * with the handle's lock held: it must not call accounts_*(). */
int accounts_user_list(struct accounts *a, void (*cb)(void *ctx, const char *address), void *ctx);

/* Storage quotas (RFC 9208; the usage is counted by the store, store_quota.h). An account
 * may have its own limit (`yubin user quota`); otherwise the mailbox_quota setting applies.
 * A limit of 0 is no limit. */
/* Sets the account's own limit (bytes >= 0) or removes it (bytes < 0: mailbox_quota
 * applies again). 0 ok, -1 with *error_r (no such account, ...). */
int accounts_user_set_quota(struct accounts *a, const char *address, long long bytes,
			    const char **error_r);
/* The account's own limit: 1 with *bytes_r, 0 if it has none. Takes the account NAME
 * (lower-cased address). From the in-memory copy (cheap: called at every RCPT). */
int accounts_user_quota(struct accounts *a, const char *account, unsigned long long *bytes_r);
/* The limit that applies to the account (by name): its own, else mailbox_quota. 0: none. */
unsigned long long accounts_quota_limit(struct accounts *a, const char *account);

/* The admin flag (users.admin, schema step 3): who may log in to the admin web page.
 * Sets or clears it; 0 ok, -1 with *error_r (no such account, ...). */
int accounts_user_set_admin(struct accounts *a, const char *address, bool admin,
			    const char **error_r);
/* Whether the account (by NAME, the lower-cased address) is flagged admin. Read from the
 * database at each call (the admin page asks once per login). */
bool accounts_user_is_admin(struct accounts *a, const char *account);

/* Adds (or replaces) an alias. alias is "local@domain" with a local domain, or "@domain"
 * for a catch-all of that domain (used only when no account/alias matches). targets is
 * NULL-terminated, non-empty; each is "local@domain", local or remote. 0 ok, -1. */
int accounts_alias_add(struct accounts *a, const char *alias, const char *const *targets,
		       const char **error_r);
int accounts_alias_del(struct accounts *a, const char *alias, const char **error_r);
/* Calls cb for every alias (sorted) with its NULL-terminated targets. 0 ok, -1. cb must
 * not call accounts_*(). */
int accounts_alias_list(struct accounts *a,
			void (*cb)(void *ctx, const char *alias, const char *const *targets),
			void *ctx);

/* Whether domain is one of mydomains (case-insensitive). */
bool accounts_is_local_domain(struct accounts *a, const char *domain);

/* Resolves a recipient address: domain lower-cased, "+tag" stripped from local addresses
 * (recipient_delimiter; an account or alias whose name contains the delimiter matches
 * first), aliases expanded recursively (loop- and depth-guarded, de-duplicated; an alias
 * target equal to an account delivers to it). A non-local address resolves to itself in
 * remote. Returns 1 with NULL-terminated, malloc'ed arrays of local account names and
 * remote addresses (either may be empty; free with str_array_free()), 0 if the address is
 * in a local domain but matches no account or alias (nothing allocated), -1 on a database
 * error or a malformed address. */
int accounts_resolve(struct accounts *a, const char *address, char ***local_r, char ***remote_r);

/* Password check: slow (yescrypt) and blocking, so servers call it from a worker thread.
 * user is the account address, any case (+tag not allowed). 1 ok, 0 wrong password or no
 * such user (the same work is done either way: a dummy hash is verified), -1 error. */
int accounts_check_password(struct accounts *a, const char *user, const char *password);
/* The same, and on success (1) *account_r = the account's name (malloc'ed), for the
 * session to use with the store and accounts_owns_address(). */
int accounts_authenticate(struct accounts *a, const char *user, const char *password,
			  char **account_r);

/* Address syntax used for accounts and aliases: "local@domain", split at the last '@';
 * local part 1-64 octets, no controls, spaces, '"', '/', '\\', ',' and not starting with
 * '.'; domain a host name. 0 ok with malloc'ed *local_r and lower-cased *domain_r (either
 * pointer may be NULL), -1 if malformed. */
int accounts_addr_split(const char *address, char **local_r, char **domain_r);
/* "local@domain" with the domain lower-cased, malloc'ed; NULL if malformed. */
char *accounts_addr_normalize(const char *address);
/* The account name for an address: the normalized address lower-cased (NULL if bad). */
char *accounts_addr_name(const char *address);

/* Whether address (a MAIL FROM or From: address) belongs to account: the account itself
 * (with or without +tag), or an alias that resolves to the account among its local
 * targets. */
bool accounts_owns_address(struct accounts *a, const char *account, const char *address);

#endif
