/* Mailbox listing, rename, subscriptions and STATUS (see store_mailbox.h). */
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "store/store_private.h"
#include "util/xmalloc.h"

static int
cmp_info(const void *a, const void *b)
{
	const struct store_mailbox_info *x = a, *y = b;
	bool xi = strcmp(x->name, "INBOX") == 0, yi = strcmp(y->name, "INBOX") == 0;

	if (xi != yi)
		return xi ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **
read_subscriptions(struct store_account *acct, size_t *n_r)
{
	sqlite3_stmt *st = store_stmt(acct, STORE_STMT_SUBSCRIPTIONS);
	char **subs = NULL;
	size_t cap = 0;

	*n_r = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		subs = xgrow(subs, &cap, *n_r + 1, sizeof(char *));
		subs[(*n_r)++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	if (*n_r > 0)
		qsort(subs, *n_r, sizeof(char *), cmp_str);
	return subs;
}

/* Marks children: list sorted (INBOX first, then byte order). */
static void
mark_children(struct store_mailbox_info *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(list[i].name);

		if (list[i].attrs & STORE_MAILBOX_NONEXISTENT)
			continue;
		for (size_t j = 0; j < n; j++) {
			if (j != i && !(list[j].attrs & STORE_MAILBOX_NONEXISTENT) &&
			    strncmp(list[j].name, list[i].name, len) == 0 &&
			    list[j].name[len] == '/') {
				list[i].attrs |= STORE_MAILBOX_HAS_CHILDREN;
				break;
			}
		}
	}
}

int
store_mailbox_list(struct store_account *acct, struct store_mailbox_info **list_r, size_t *count_r,
		   const char **error_r)
{
	bool txn = store_read_begin(acct);
	struct store_mailbox_info *list = NULL;
	size_t n = 0, cap = 0, n_subs, n_mailboxes;
	char **subs = read_subscriptions(acct, &n_subs);
	sqlite3_stmt *st = store_stmt(acct, STORE_STMT_MAILBOX_LIST);
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		list[n].name = xstrdup((const char *)sqlite3_column_text(st, 0));
		list[n].attrs =
			(unsigned)sqlite3_column_int64(st, 1) & STORE_MAILBOX_SPECIAL_USE_MASK;
		if (sqlite3_column_int(st, 2))
			list[n].attrs |= STORE_MAILBOX_NOSELECT;
		n++;
	}
	sqlite3_reset(st);
	store_read_end(acct, txn);
	n_mailboxes = n;
	for (size_t i = 0; i < n_subs; i++) {
		size_t j;

		for (j = 0; j < n_mailboxes && strcmp(list[j].name, subs[i]) != 0; j++)
			;
		if (j < n_mailboxes) {
			list[j].attrs |= STORE_MAILBOX_SUBSCRIBED;
		} else {
			list = xgrow(list, &cap, n + 1, sizeof(*list));
			list[n].name = subs[i];
			subs[i] = NULL;
			list[n++].attrs = STORE_MAILBOX_SUBSCRIBED | STORE_MAILBOX_NONEXISTENT;
		}
		free(subs[i]);
	}
	free(subs);
	if (n > 0)
		qsort(list, n, sizeof(*list), cmp_info);
	mark_children(list, n);
	if (rc != SQLITE_DONE) {
		store_mailbox_list_free(&list, n);
		return store_account_fail(acct, STORE_ERR_TEMP, "index read failed", error_r);
	}
	*list_r = list;
	*count_r = n;
	return 0;
}

void
store_mailbox_list_free(struct store_mailbox_info **list, size_t count)
{
	for (size_t i = 0; *list != NULL && i < count; i++)
		free((*list)[i].name);
	free(*list);
	*list = NULL;
}

static int
subscription(struct store_account *acct, const char *name, bool on, const char **error_r)
{
	char *n = xstrdup(name);
	sqlite3_stmt *st;
	int rc;

	if (store_mailbox_name_normalize(n) < 0) {
		free(n);
		return store_account_fail(acct, STORE_ERR_INVALID, "invalid mailbox name", error_r);
	}
	st = db_prepare(acct->db, on ? "INSERT OR IGNORE INTO subscriptions (name) VALUES (?)"
				     : "DELETE FROM subscriptions WHERE name = ?");
	sqlite3_bind_text(st, 1, n, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(n);
		return store_account_fail(acct, STORE_ERR_TEMP, "index write failed", error_r);
	}
	acct->store->dirty = true;
	acct->errcode = STORE_ERR_NONE;
	store_notify_emit(acct->store, STORE_EVENT_SUBSCRIPTION, acct->name, 0, n, 0);
	free(n);
	return 0;
}

int
store_mailbox_subscribe(struct store_account *acct, const char *name, const char **error_r)
{
	return subscription(acct, name, true, error_r);
}

int
store_mailbox_unsubscribe(struct store_account *acct, const char *name, const char **error_r)
{
	return subscription(acct, name, false, error_r);
}

int
store_mailbox_set_special_use(struct store_account *acct, const char *name, unsigned special_use,
			      const char **error_r)
{
	struct store_mailbox_row row;
	char *n = xstrdup(name);
	sqlite3_stmt *st;
	int found, rc = SQLITE_ERROR;

	found = store_mailbox_name_normalize(n) < 0 ? 0 : store_mailbox_row_by_name(acct, n, &row);
	free(n);
	if (found <= 0)
		return store_account_fail(acct, found < 0 ? STORE_ERR_TEMP : STORE_ERR_NONEXISTENT,
					  "no such mailbox", error_r);
	st = db_prepare(acct->db, "UPDATE mailboxes SET special_use = ? WHERE id = ?");
	sqlite3_bind_int64(st, 1, special_use & STORE_MAILBOX_SPECIAL_USE_MASK);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)row.id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	store_mailbox_row_free(&row);
	if (rc != SQLITE_DONE)
		return store_account_fail(acct, STORE_ERR_TEMP, "index write failed", error_r);
	acct->store->dirty = true;
	acct->errcode = STORE_ERR_NONE;
	return 0;
}

int
store_mailbox_status(struct store_account *acct, const char *name, struct store_status *status,
		     const char **error_r)
{
	struct store_mailbox_row row;
	char *n = xstrdup(name);
	/* the mailbox row and its counts: one snapshot, one read transaction */
	bool txn = store_read_begin(acct);
	sqlite3_stmt *st;
	int found, rc;

	found = store_mailbox_name_normalize(n) < 0 ? 0 : store_mailbox_row_by_name(acct, n, &row);
	free(n);
	if (found > 0 && row.noselect) {
		store_mailbox_row_free(&row);
		found = 0;
	}
	if (found <= 0) {
		store_read_end(acct, txn);
		return store_account_fail(acct, found < 0 ? STORE_ERR_TEMP : STORE_ERR_NONEXISTENT,
					  "no such mailbox", error_r);
	}
	st = store_stmt(acct, STORE_STMT_MAILBOX_STATUS);
	sqlite3_bind_int64(st, 1, row.recent_uid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)row.id);
	rc = sqlite3_step(st);
	memset(status, 0, sizeof(*status));
	if (rc == SQLITE_ROW) {
		status->messages = (uint32_t)sqlite3_column_int64(st, 0);
		status->size = (uint64_t)sqlite3_column_int64(st, 1);
		status->unseen = (uint32_t)sqlite3_column_int64(st, 2);
		status->recent = (uint32_t)sqlite3_column_int64(st, 3);
		status->deleted = (uint32_t)sqlite3_column_int64(st, 4);
		status->deleted_size = (uint64_t)sqlite3_column_int64(st, 5);
	}
	sqlite3_reset(st);
	store_read_end(acct, txn);
	status->uidnext = row.uidnext;
	status->uidvalidity = row.uidvalidity;
	status->highestmodseq = row.highestmodseq;
	store_mailbox_row_free(&row);
	if (rc != SQLITE_ROW)
		return store_account_fail(acct, STORE_ERR_TEMP, "index read failed", error_r);
	acct->errcode = STORE_ERR_NONE;
	return 0;
}
