/* An account's usage for quotas: read from the totals the triggers of schema step 3 keep
 * (store_quota.h). */
#include "store/store_quota.h"

#include <string.h>

#include "log/log.h"
#include "store/store.h"
#include "store/store_account.h"
#include "store/store_private.h"

int
store_quota_usage(struct store_account *acct, struct store_usage *u)
{
	sqlite3_stmt *st;
	int rc, ret = 0;

	memset(u, 0, sizeof(*u));
	/* prepared per call: two rows of a small table, a few microseconds */
	rc = sqlite3_prepare_v2(acct->db,
				"SELECT key, value FROM meta"
				" WHERE key IN ('quota_bytes', 'quota_messages')",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		log_error("store: %s: quota usage: %s", acct->name, sqlite3_errmsg(acct->db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(st, 0);
		sqlite3_int64 v = sqlite3_column_int64(st, 1);

		if (v < 0)
			v = 0;
		if (key != NULL && strcmp(key, "quota_bytes") == 0)
			u->bytes = (unsigned long long)v;
		else
			u->messages = (unsigned long long)v;
	}
	if (rc != SQLITE_DONE) {
		log_error("store: %s: quota usage: %s", acct->name, sqlite3_errmsg(acct->db));
		memset(u, 0, sizeof(*u));
		ret = -1;
	}
	sqlite3_finalize(st);
	return ret;
}

int
store_quota_usage_of(struct store *store, const char *account, struct store_usage *u)
{
	const char *error;
	struct store_account *acct = store_account_open(store, account, &error);
	int ret;

	if (acct == NULL) {
		memset(u, 0, sizeof(*u));
		return -1;
	}
	ret = store_quota_usage(acct, u);
	store_account_unref(&acct);
	return ret;
}

int
store_quota_size_of(struct store_view *view, const uint32_t *uids, size_t n_uids,
		    unsigned long long *bytes_r)
{
	sqlite3 *db = view->acct->db;
	sqlite3_stmt *st;
	int rc = SQLITE_DONE;

	*bytes_r = 0;
	if (sqlite3_prepare_v2(db, "SELECT size FROM messages WHERE mailbox = ?1 AND uid = ?2", -1,
			       &st, NULL) != SQLITE_OK) {
		log_error("store: %s: quota size: %s", view->acct->name, sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)view->mailbox_id);
	for (size_t i = 0; i < n_uids; i++) {
		sqlite3_bind_int64(st, 2, uids[i]);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*bytes_r += (unsigned long long)sqlite3_column_int64(st, 0);
			rc = SQLITE_DONE;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_error("store: %s: quota size: %s", view->acct->name, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}
