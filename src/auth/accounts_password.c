/* Password hashing (yescrypt through libxcrypt), validation of imported hashes ($y$,
 * $6$, $2b$: Linux shadow and Dovecot passwd files) and the password check, which does
 * the same work whether or not the account exists. */
#include "auth/accounts.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include "auth/accounts_private.h"
#include "db/db.h"
#include "log/log.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define PASSWORD_MAX 1024

static const char *const hash_prefixes[] = {"$y$", "$6$", "$2b$"};

/* crypt_rn() into a heap crypt_data (it is ~32 KiB); returns a malloc'ed result or NULL
 * if libcrypt failed (it returns a string starting with '*' or NULL). */
static char *
crypt_alloc(const char *password, const char *setting)
{
	struct crypt_data *data = xcalloc(1, sizeof(*data));
	const char *out = crypt_rn(password, setting, data, (int)sizeof(*data));
	char *ret = out != NULL && out[0] != '*' ? xstrdup(out) : NULL;

	explicit_bzero(data, sizeof(*data));
	free(data);
	return ret;
}

static bool
known_prefix(const char *hash)
{
	for (size_t i = 0; i < sizeof(hash_prefixes) / sizeof(hash_prefixes[0]); i++)
		if (strncmp(hash, hash_prefixes[i], strlen(hash_prefixes[i])) == 0)
			return true;
	return false;
}

/* An imported hash must have a known prefix, no characters outside crypt's alphabet,
 * and be complete: hashing anything with it as setting gives a string of its length. */
static int
validate_hash(const char *hash, const char **error_r)
{
	char *check;
	bool ok;

	if (!known_prefix(hash)) {
		*error_r = "unsupported hash: expected one starting with $y$, $6$ or $2b$";
		return -1;
	}
	for (const char *p = hash; *p != '\0'; p++) {
		if (*p <= ' ' || *p > '~' || *p == ':') {
			*error_r = "malformed hash (bad character)";
			return -1;
		}
	}
	if (crypt_checksalt(hash) != CRYPT_SALT_OK &&
	    crypt_checksalt(hash) != CRYPT_SALT_METHOD_LEGACY) {
		*error_r = "malformed or disabled hash method";
		return -1;
	}
	check = crypt_alloc("yubin-hash-check", hash);
	ok = check != NULL && strlen(check) == strlen(hash) &&
	     strrchr(check, '$') - check == strrchr(hash, '$') - hash &&
	     strncmp(check, hash, (size_t)(strrchr(hash, '$') - hash)) == 0;
	free(check);
	if (!ok) {
		*error_r = "malformed hash (incomplete, or not accepted by libcrypt)";
		return -1;
	}
	return 0;
}

char *
accounts_password_hash(const char *password, bool is_hash, const char **error_r)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	char *hash;

	if (is_hash)
		return validate_hash(password, error_r) < 0 ? NULL : xstrdup(password);
	if (password[0] == '\0' || strlen(password) > PASSWORD_MAX) {
		*error_r = "the password must be 1 to 1024 characters";
		return NULL;
	}
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)) == NULL ||
	    (hash = crypt_alloc(password, setting)) == NULL) {
		*error_r = "yescrypt hashing failed";
		return NULL;
	}
	return hash;
}

/* Constant-time comparison of two NUL-terminated strings of possibly different length. */
static bool
secure_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[i % (lb + 1)]);
	return diff == 0;
}

/* Fetches the hash and the account name of the account whose name is lower(user). */
static int
fetch_hash(struct accounts *a, const char *user, char **hash_r, char **name_r)
{
	char *name = accounts_addr_name(user);
	sqlite3_stmt *st;
	int rc;

	*hash_r = *name_r = NULL;
	if (name == NULL)
		return 0;
	pthread_mutex_lock(&a->lock);
	st = accounts_db_stmt(a, ACCOUNTS_STMT_USER_HASH_BY_NAME);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*hash_r = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	pthread_mutex_unlock(&a->lock);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		free(name);
		return -1;
	}
	*name_r = name;
	return 0;
}

int
accounts_authenticate(struct accounts *a, const char *user, const char *password, char **account_r)
{
	char *hash, *name, *out;
	bool ok;

	*account_r = NULL;
	if (fetch_hash(a, user, &hash, &name) < 0) {
		log_error("auth: database error looking up an account");
		return -1;
	}
	if (strlen(password) > PASSWORD_MAX)
		password = "";
	/* No such user: verify against a dummy setting so the time taken is the same. */
	out = crypt_alloc(password, hash != NULL ? hash : a->dummy_setting);
	ok = hash != NULL && out != NULL && password[0] != '\0' && secure_equal(out, hash);
	if (out != NULL)
		explicit_bzero(out, strlen(out));
	free(out);
	free(hash);
	if (ok)
		*account_r = name;
	else
		free(name);
	return ok ? 1 : 0;
}

int
accounts_check_password(struct accounts *a, const char *user, const char *password)
{
	char *account;
	int ret = accounts_authenticate(a, user, password, &account);

	free(account);
	return ret;
}
