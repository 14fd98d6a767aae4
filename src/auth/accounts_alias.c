/* Aliases: an address of a local domain (or "@domain", a catch-all) that expands to one
 * or more target addresses, local or remote. Stored in yubin.db's aliases table with the
 * targets joined by newlines (which no address can contain). */
#include "auth/accounts.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/accounts_private.h"
#include "conf/settings.h"
#include "db/db.h"
#include "log/log.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

static __thread char error_buf[512];

/* Normalizes an alias name: "local@domain" or "@domain", domain local. */
static char *
alias_normalize(struct accounts *a, const char *alias, const char **error_r)
{
	char *norm, *domain;

	if (alias[0] == '@') {
		if (!settings_valid_hostname(alias + 1)) {
			*error_r = "malformed catch-all alias (expected @domain)";
			return NULL;
		}
		norm = xstrdup(alias);
		str_lower(norm);
	} else if ((norm = accounts_addr_normalize(alias)) == NULL) {
		*error_r = "malformed alias (expected local@domain or @domain)";
		return NULL;
	}
	domain = strrchr(norm, '@') + 1;
	if (!accounts_is_local_domain(a, domain)) {
		snprintf(error_buf, sizeof(error_buf), "%s is not a local domain (mydomains)",
			 domain);
		*error_r = error_buf;
		free(norm);
		return NULL;
	}
	return norm;
}

/* Validates and normalizes the targets into one newline-joined string. */
static char *
join_targets(const char *const *targets, const char **error_r)
{
	struct buf b = BUF_INIT;
	size_t n = 0;

	for (; targets != NULL && targets[n] != NULL; n++) {
		char *norm = accounts_addr_normalize(targets[n]);
		if (norm == NULL) {
			snprintf(error_buf, sizeof(error_buf), "malformed target address '%.200s'",
				 targets[n]);
			*error_r = error_buf;
			buf_free(&b);
			return NULL;
		}
		if (n > 0)
			buf_appendc(&b, '\n');
		buf_appends(&b, norm);
		free(norm);
	}
	if (n == 0) {
		*error_r = "an alias needs at least one target";
		return NULL;
	}
	if (n > ACCOUNTS_RESOLVE_MAX) {
		*error_r = "too many targets";
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

int
accounts_alias_add(struct accounts *a, const char *alias, const char *const *targets,
		   const char **error_r)
{
	char *norm = alias_normalize(a, alias, error_r), *joined, *name;
	sqlite3_stmt *st;
	int changes;

	if (norm == NULL)
		return -1;
	if ((joined = join_targets(targets, error_r)) == NULL) {
		free(norm);
		return -1;
	}
	name = xstrdup(norm);
	str_lower(name);
	pthread_mutex_lock(&a->lock);
	st = db_prepare(a->db, "INSERT OR REPLACE INTO aliases (alias, name, targets, created) "
			       "VALUES (?1, ?2, ?3, ?4)");
	sqlite3_bind_text(st, 1, norm, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, joined, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	changes = accounts_db_write_durable(a, st);
	pthread_mutex_unlock(&a->lock);
	free(name);
	free(joined);
	free(norm);
	if (changes < 0)
		*error_r = "database write failed";
	return changes < 0 ? -1 : 0;
}

int
accounts_alias_del(struct accounts *a, const char *alias, const char **error_r)
{
	char *norm = alias_normalize(a, alias, error_r);
	sqlite3_stmt *st;
	int changes;

	if (norm == NULL)
		return -1;
	str_lower(norm);
	pthread_mutex_lock(&a->lock);
	st = db_prepare(a->db, "DELETE FROM aliases WHERE name = ?1");
	sqlite3_bind_text(st, 1, norm, -1, SQLITE_TRANSIENT);
	changes = accounts_db_write_durable(a, st);
	pthread_mutex_unlock(&a->lock);
	free(norm);
	if (changes < 0)
		*error_r = "database write failed";
	else if (changes == 0)
		*error_r = "no such alias";
	return changes == 1 ? 0 : -1;
}

int
accounts_alias_list(struct accounts *a,
		    void (*cb)(void *ctx, const char *alias, const char *const *targets), void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	pthread_mutex_lock(&a->lock);
	st = db_prepare(a->db, "SELECT alias, targets FROM aliases ORDER BY name");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char **targets = str_split((const char *)sqlite3_column_text(st, 1), '\n');
		cb(ctx, (const char *)sqlite3_column_text(st, 0), (const char *const *)targets);
		str_array_free(&targets);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
	return rc == SQLITE_DONE ? 0 : -1;
}
