/* An in-memory copy of the users and aliases tables for recipient resolution, which runs
 * for every RCPT on the event loop and must not pay SQLite's file locks each time. It is
 * reloaded when this handle writes, and when another connection (the admin commands) has
 * committed a change: PRAGMA data_version is checked at most once per millisecond. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/accounts_private.h"
#include "db/db.h"
#include "log/log.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define CACHE_CHECK_INTERVAL_NS 1000000LL

struct cache_entry {
	char *key;
	char **targets;           /* aliases only */
	unsigned long long quota; /* quotas only */
	struct cache_entry *next;
};

struct accounts_table {
	struct cache_entry **buckets;
	size_t n_buckets;
};

struct accounts_cache {
	struct accounts_table users, aliases;
	struct accounts_table quotas; /* by name: the accounts with a limit of their own */
	long long data_version;
	long long checked_ns;
	bool valid;
};

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static size_t
hash_str(const char *s)
{
	size_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void
table_free(struct accounts_table *t)
{
	for (size_t i = 0; i < t->n_buckets; i++) {
		while (t->buckets[i] != NULL) {
			struct cache_entry *e = t->buckets[i];
			t->buckets[i] = e->next;
			free(e->key);
			str_array_free(&e->targets);
			free(e);
		}
	}
	free(t->buckets);
	t->buckets = NULL;
	t->n_buckets = 0;
}

static void
table_init(struct accounts_table *t, size_t n)
{
	for (t->n_buckets = 64; t->n_buckets < n * 2; t->n_buckets *= 2)
		;
	t->buckets = xcalloc(t->n_buckets, sizeof(*t->buckets));
}

static struct cache_entry *
table_add(struct accounts_table *t, const char *key, char **targets)
{
	struct cache_entry *e = xcalloc(1, sizeof(*e));
	size_t b = hash_str(key) & (t->n_buckets - 1);

	e->key = xstrdup(key);
	e->targets = targets;
	e->next = t->buckets[b];
	t->buckets[b] = e;
	return e;
}

static const struct cache_entry *
table_find(const struct accounts_table *t, const char *key)
{
	const struct cache_entry *e;

	if (t->n_buckets == 0)
		return NULL;
	e = t->buckets[hash_str(key) & (t->n_buckets - 1)];
	while (e != NULL && strcmp(e->key, key) != 0)
		e = e->next;
	return e;
}

static long long
count_rows(struct accounts *a, const char *sql)
{
	sqlite3_stmt *st = db_prepare(a->db, sql);
	long long n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;

	sqlite3_finalize(st);
	return n;
}

/* Loads both tables in one read transaction. 0 ok, -1 on a database error. */
static int
cache_load(struct accounts *a, struct accounts_cache *c)
{
	sqlite3_stmt *st;
	int rc1, rc2, rc3;

	accounts_db_read_begin(a);
	table_init(&c->users, (size_t)count_rows(a, "SELECT count(*) FROM users"));
	table_init(&c->aliases, (size_t)count_rows(a, "SELECT count(*) FROM aliases"));
	st = db_prepare(a->db, "SELECT address FROM users");
	while ((rc1 = sqlite3_step(st)) == SQLITE_ROW)
		table_add(&c->users, (const char *)sqlite3_column_text(st, 0), NULL);
	sqlite3_finalize(st);
	st = db_prepare(a->db, "SELECT alias, targets FROM aliases");
	while ((rc2 = sqlite3_step(st)) == SQLITE_ROW)
		table_add(&c->aliases, (const char *)sqlite3_column_text(st, 0),
			  str_split((const char *)sqlite3_column_text(st, 1), '\n'));
	sqlite3_finalize(st);
	table_init(&c->quotas, (size_t)count_rows(a, "SELECT count(*) FROM users"
						     " WHERE quota IS NOT NULL"));
	st = db_prepare(a->db, "SELECT name, quota FROM users WHERE quota IS NOT NULL");
	while ((rc3 = sqlite3_step(st)) == SQLITE_ROW) {
		table_add(&c->quotas, (const char *)sqlite3_column_text(st, 0), NULL)->quota =
			(unsigned long long)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	accounts_db_read_end(a);
	return rc1 == SQLITE_DONE && rc2 == SQLITE_DONE && rc3 == SQLITE_DONE ? 0 : -1;
}

static long long
data_version(struct accounts *a)
{
	sqlite3_stmt *st = accounts_db_stmt(a, ACCOUNTS_STMT_DATA_VERSION);
	long long v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;

	sqlite3_reset(st);
	return v;
}

int
accounts_cache_refresh(struct accounts *a)
{
	struct accounts_cache *c = a->cache;
	long long now = now_ns(), version;

	if (c == NULL)
		c = a->cache = xcalloc(1, sizeof(*c));
	if (c->valid && now - c->checked_ns < CACHE_CHECK_INTERVAL_NS)
		return 0;
	c->checked_ns = now;
	version = data_version(a);
	if (c->valid && version == c->data_version)
		return 0;
	table_free(&c->users);
	table_free(&c->aliases);
	table_free(&c->quotas);
	c->valid = false;
	if (cache_load(a, c) < 0) {
		log_error("accounts: loading users and aliases failed: %s", sqlite3_errmsg(a->db));
		table_free(&c->users);
		table_free(&c->aliases);
		table_free(&c->quotas);
		return -1;
	}
	c->data_version = version;
	c->valid = true;
	return 0;
}

void
accounts_cache_invalidate(struct accounts *a)
{
	if (a->cache != NULL)
		a->cache->valid = false;
}

void
accounts_cache_free(struct accounts *a)
{
	if (a->cache == NULL)
		return;
	table_free(&a->cache->users);
	table_free(&a->cache->aliases);
	table_free(&a->cache->quotas);
	free(a->cache);
	a->cache = NULL;
}

bool
accounts_cache_user(struct accounts *a, const char *address)
{
	return a->cache != NULL && table_find(&a->cache->users, address) != NULL;
}

char *const *
accounts_cache_alias(struct accounts *a, const char *alias)
{
	const struct cache_entry *e;

	if (a->cache == NULL)
		return NULL;
	e = table_find(&a->cache->aliases, alias);
	return e != NULL ? e->targets : NULL;
}

bool
accounts_cache_quota(struct accounts *a, const char *name, unsigned long long *bytes_r)
{
	const struct cache_entry *e;

	if (a->cache == NULL || (e = table_find(&a->cache->quotas, name)) == NULL)
		return false;
	*bytes_r = e->quota;
	return true;
}
