/* The account database (data_directory/yubin.db): opening it, its schema, and adding,
 * deleting, listing accounts and changing their passwords. Aliases are in
 * accounts_alias.c, resolution in accounts_resolve.c, passwords in accounts_password.c. */
#include "auth/accounts.h"

#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/accounts_private.h"
#include "conf/settings.h"
#include "db/db.h"
#include "log/log.h"
#include "util/file.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* users.address and aliases.alias keep the local part as given and the domain lower-cased;
 * name is lower(address), unique, so two entries never differ only by case. */
static const char *const migrations[] = {
	"CREATE TABLE users (address TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" password TEXT NOT NULL, created INTEGER NOT NULL);"
	"CREATE TABLE aliases (alias TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" targets TEXT NOT NULL, created INTEGER NOT NULL);",
	/* 2: the account's own storage limit in bytes (0 unlimited; NULL: mailbox_quota) */
	"ALTER TABLE users ADD COLUMN quota INTEGER;",
	/* 3: may log in to the admin web page (src/http/http_admin.c); 0 for every account
	 * until `yubin user admin ADDRESS yes` */
	"ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;",
};

static const char *const stmt_sql[ACCOUNTS_STMT_COUNT] = {
	[ACCOUNTS_STMT_USER_HASH_BY_NAME] = "SELECT password FROM users WHERE name = ?1",
	[ACCOUNTS_STMT_BEGIN] = "BEGIN",
	[ACCOUNTS_STMT_COMMIT] = "COMMIT",
	[ACCOUNTS_STMT_DATA_VERSION] = "PRAGMA data_version",
};

static __thread char error_buf[512];

sqlite3_stmt *
accounts_db_stmt(struct accounts *a, enum accounts_stmt id)
{
	if (a->stmts[id] == NULL)
		a->stmts[id] = db_prepare(a->db, stmt_sql[id]);
	sqlite3_reset(a->stmts[id]);
	sqlite3_clear_bindings(a->stmts[id]);
	return a->stmts[id];
}

struct accounts *
accounts_open(const struct settings *s, const char **error_r)
{
	struct accounts *a;
	char *path;

	if (file_mkdir_p(s->data_directory, 0750) < 0) {
		snprintf(error_buf, sizeof(error_buf), "mkdir(%s) failed: %s", s->data_directory,
			 strerror(errno));
		*error_r = error_buf;
		return NULL;
	}
	a = xcalloc(1, sizeof(*a));
	a->set = s;
	path = xasprintf("%s/yubin.db", s->data_directory);
	a->db = db_open(path, migrations, sizeof(migrations) / sizeof(migrations[0]), error_r);
	free(path);
	if (a->db == NULL) {
		free(a);
		return NULL;
	}
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, a->dummy_setting, sizeof(a->dummy_setting)) ==
	    NULL) {
		*error_r = "crypt_gensalt_rn($y$) failed: libcrypt without yescrypt?";
		db_close(&a->db);
		free(a);
		return NULL;
	}
	pthread_mutex_init(&a->lock, NULL);
	return a;
}

void
accounts_close(struct accounts **ap)
{
	struct accounts *a = *ap;

	if (a == NULL)
		return;
	accounts_cache_free(a);
	for (int i = 0; i < ACCOUNTS_STMT_COUNT; i++)
		sqlite3_finalize(a->stmts[i]);
	db_close(&a->db);
	pthread_mutex_destroy(&a->lock);
	free(a);
	*ap = NULL;
}

void
accounts_db_read_begin(struct accounts *a)
{
	if (sqlite3_step(accounts_db_stmt(a, ACCOUNTS_STMT_BEGIN)) != SQLITE_DONE)
		log_error("accounts: BEGIN failed: %s", sqlite3_errmsg(a->db));
	sqlite3_reset(a->stmts[ACCOUNTS_STMT_BEGIN]);
}

void
accounts_db_read_end(struct accounts *a)
{
	if (sqlite3_get_autocommit(a->db))
		return;
	if (sqlite3_step(accounts_db_stmt(a, ACCOUNTS_STMT_COMMIT)) != SQLITE_DONE) {
		log_error("accounts: COMMIT failed: %s", sqlite3_errmsg(a->db));
		db_rollback(a->db);
	}
	sqlite3_reset(a->stmts[ACCOUNTS_STMT_COMMIT]);
}

bool
accounts_is_local_domain(struct accounts *a, const char *domain)
{
	for (char **d = a->set->mydomains; d != NULL && *d != NULL; d++)
		if (str_casecmp(*d, domain) == 0)
			return true;
	return false;
}

/* An admin change must survive a power loss on its own, so it runs with synchronous=FULL,
 * set outside any transaction (SQLite refuses to change it inside one). */
int
accounts_db_write_durable(struct accounts *a, sqlite3_stmt *st)
{
	int rc, changes;

	db_exec(a->db, "PRAGMA synchronous=FULL");
	rc = sqlite3_step(st);
	changes = sqlite3_changes(a->db);
	accounts_cache_invalidate(a);
	if (rc != SQLITE_DONE)
		log_error("accounts: write failed: %s", sqlite3_errmsg(a->db));
	sqlite3_finalize(st);
	db_exec(a->db, "PRAGMA synchronous=NORMAL");
	return rc == SQLITE_DONE ? changes : -1;
}

bool
accounts_db_name_taken(struct accounts *a, const char *address, bool users, bool aliases)
{
	char *name = xstrdup(address);
	bool taken = false;

	str_lower(name);
	for (int i = 0; i < 2 && !taken; i++) {
		sqlite3_stmt *st;
		if ((i == 0 && !users) || (i == 1 && !aliases))
			continue;
		st = db_prepare(a->db, i == 0 ? "SELECT 1 FROM users WHERE name = ?1"
					      : "SELECT 1 FROM aliases WHERE name = ?1");
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		taken = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	free(name);
	return taken;
}

/* Normalizes address and checks its domain is local. */
static char *
local_address(struct accounts *a, const char *address, const char **error_r)
{
	char *domain, *norm;

	if (accounts_addr_split(address, NULL, &domain) < 0) {
		*error_r = "malformed address (expected local@domain)";
		return NULL;
	}
	if (!accounts_is_local_domain(a, domain)) {
		snprintf(error_buf, sizeof(error_buf), "%s is not a local domain (mydomains)",
			 domain);
		*error_r = error_buf;
		free(domain);
		return NULL;
	}
	free(domain);
	norm = accounts_addr_normalize(address);
	return norm;
}

int
accounts_user_add(struct accounts *a, const char *address, const char *password, bool is_hash,
		  const char **error_r)
{
	char *norm = local_address(a, address, error_r), *hash, *name;
	sqlite3_stmt *st;
	int ret;

	if (norm == NULL)
		return -1;
	hash = accounts_password_hash(password, is_hash, error_r);
	if (hash == NULL) {
		free(norm);
		return -1;
	}
	name = xstrdup(norm);
	str_lower(name);
	pthread_mutex_lock(&a->lock);
	if (accounts_db_name_taken(a, norm, true, false)) {
		*error_r = "an account with this address already exists";
		ret = -1;
	} else {
		st = db_prepare(a->db, "INSERT INTO users (address, name, password, created) "
				       "VALUES (?1, ?2, ?3, ?4)");
		sqlite3_bind_text(st, 1, norm, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, hash, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
		ret = accounts_db_write_durable(a, st) == 1 ? 0 : -1;
		if (ret < 0)
			*error_r = "database write failed";
	}
	pthread_mutex_unlock(&a->lock);
	explicit_bzero(hash, strlen(hash));
	free(hash);
	free(name);
	free(norm);
	return ret;
}

int
accounts_user_write(struct accounts *a, const char *address, const char *sql, const char *text2,
		    const long long *int2, const char **error_r)
{
	char *name = accounts_addr_name(address);
	sqlite3_stmt *st;
	int changes;

	if (name == NULL) {
		*error_r = "malformed address (expected local@domain)";
		return -1;
	}
	pthread_mutex_lock(&a->lock);
	st = db_prepare(a->db, sql);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	/* an unbound ?2 is NULL (SQLite's rule for parameters) */
	if (text2 != NULL)
		sqlite3_bind_text(st, 2, text2, -1, SQLITE_TRANSIENT);
	else if (int2 != NULL)
		sqlite3_bind_int64(st, 2, *int2);
	changes = accounts_db_write_durable(a, st);
	pthread_mutex_unlock(&a->lock);
	free(name);
	if (changes < 0)
		*error_r = "database write failed";
	else if (changes == 0)
		*error_r = "no such account";
	return changes == 1 ? 0 : -1;
}

int
accounts_user_del(struct accounts *a, const char *address, const char **error_r)
{
	return accounts_user_write(a, address, "DELETE FROM users WHERE name = ?1", NULL, NULL,
				   error_r);
}

int
accounts_user_passwd(struct accounts *a, const char *address, const char *password, bool is_hash,
		     const char **error_r)
{
	char *hash = accounts_password_hash(password, is_hash, error_r);
	int ret;

	if (hash == NULL)
		return -1;
	ret = accounts_user_write(a, address, "UPDATE users SET password = ?2 WHERE name = ?1",
				  hash, NULL, error_r);
	explicit_bzero(hash, strlen(hash));
	free(hash);
	return ret;
}

bool
accounts_user_exists(struct accounts *a, const char *address)
{
	bool exists = false;

	if (accounts_addr_split(address, NULL, NULL) < 0)
		return false;
	pthread_mutex_lock(&a->lock);
	exists = accounts_db_name_taken(a, address, true, false);
	pthread_mutex_unlock(&a->lock);
	return exists;
}

int
accounts_user_list(struct accounts *a, void (*cb)(void *ctx, const char *address), void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	pthread_mutex_lock(&a->lock);
	st = db_prepare(a->db, "SELECT address FROM users ORDER BY name");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(ctx, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
	return rc == SQLITE_DONE ? 0 : -1;
}
