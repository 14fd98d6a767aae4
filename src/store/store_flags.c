/* STORE (RFC 3501 6.4.6) with keywords and RFC 7162 UNCHANGEDSINCE: one MODSEQ for all the
 * messages an operation changes; a message whose flags stay the same keeps its MODSEQ.
 * Flag changes commit without fsync (the next checkpoint makes them durable). */
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "store/store_private.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct flag_op {
	enum store_flags_mode mode;
	uint32_t flags;
	uint64_t keywords;
};

static void
push_uid(uint32_t **arr, size_t *n, size_t *cap, uint32_t uid)
{
	*arr = xgrow(*arr, cap, *n + 1, sizeof(uint32_t));
	(*arr)[(*n)++] = uid;
}

/* -FLAGS must not add unknown keywords to the mailbox: only known names map. */
static uint64_t
known_bits(const struct store_mailbox_row *row, const char *const *names, size_t n)
{
	size_t count;
	char **list = store_mailbox_keyword_list(row, &count);
	uint64_t bits = 0;

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < count; k++) {
			if (str_casecmp(list[k], names[i]) == 0)
				bits |= (uint64_t)1 << k;
		}
	}
	str_array_free(&list);
	return bits;
}

static void
apply_op(const struct flag_op *op, uint32_t *flags, uint64_t *kw)
{
	switch (op->mode) {
	case STORE_FLAGS_ADD:
		*flags |= op->flags;
		*kw |= op->keywords;
		break;
	case STORE_FLAGS_REMOVE:
		*flags &= ~op->flags;
		*kw &= ~op->keywords;
		break;
	case STORE_FLAGS_REPLACE:
		*flags = op->flags;
		*kw = op->keywords;
		break;
	}
}

static int
store_one(struct store_view *view, uint32_t uid, const struct flag_op *op, uint64_t unchangedsince,
	  uint64_t modseq, struct store_flags_result *res, size_t *cap_f, size_t *cap_c)
{
	struct store_account *acct = view->acct;
	sqlite3_stmt *st = store_stmt(acct, STORE_STMT_MESSAGE_FLAGS);
	uint32_t flags, old_flags;
	uint64_t kw, old_kw, old_modseq;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)view->mailbox_id);
	sqlite3_bind_int64(st, 2, uid);
	if (sqlite3_step(st) != SQLITE_ROW)
		return 0;
	flags = old_flags = (uint32_t)sqlite3_column_int64(st, 0) & STORE_FLAGS_STORABLE;
	kw = old_kw = (uint64_t)sqlite3_column_int64(st, 1);
	old_modseq = (uint64_t)sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	if (unchangedsince != 0 && old_modseq > unchangedsince) {
		push_uid(&res->failed_uids, &res->n_failed, cap_f, uid);
		return 0;
	}
	apply_op(op, &flags, &kw);
	if (flags == old_flags && kw == old_kw)
		return 0;
	st = store_stmt(acct, STORE_STMT_MESSAGE_SET_FLAGS);
	sqlite3_bind_int64(st, 1, flags);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)kw);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)modseq);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)view->mailbox_id);
	sqlite3_bind_int64(st, 5, uid);
	if (sqlite3_step(st) != SQLITE_DONE)
		return -1;
	push_uid(&res->changed_uids, &res->n_changed, cap_c, uid);
	store_view_update_msg(view, uid, flags, kw, modseq);
	return 0;
}

static int
fail(struct store_account *acct, enum store_error code, const char *msg,
     struct store_flags_result *res, const char **error_r)
{
	db_rollback(acct->db);
	store_flags_result_free(res);
	return store_account_fail(acct, code, msg, error_r);
}

int
store_view_store_flags(struct store_view *view, const uint32_t *uids, size_t n_uids,
		       enum store_flags_mode mode, uint32_t flags, const char *const *keywords,
		       size_t n_keywords, uint64_t unchangedsince, struct store_flags_result *res,
		       const char **error_r)
{
	struct store_account *acct = view->acct;
	struct flag_op op = {mode, flags & STORE_FLAGS_STORABLE, 0};
	struct store_mailbox_row row;
	size_t cap_f = 0, cap_c = 0;
	sqlite3_stmt *st;
	int found, rc = 0;
	bool synced;

	memset(res, 0, sizeof(*res));
	if (view->readonly)
		return store_account_fail(acct, STORE_ERR_NOT_ALLOWED, "mailbox is read-only",
					  error_r);
	if (store_view_wake(view, error_r) < 0) /* before the index moves on */
		return -1;
	if (db_begin(acct->db) < 0)
		return store_account_fail(acct, STORE_ERR_TEMP, "index busy", error_r);
	found = store_mailbox_row_by_id(acct, view->mailbox_id, &row);
	if (found <= 0 || row.uidvalidity != view->uidvalidity) {
		if (found > 0)
			store_mailbox_row_free(&row);
		return fail(acct, found < 0 ? STORE_ERR_TEMP : STORE_ERR_NONEXISTENT,
			    "no such mailbox", res, error_r);
	}
	if (mode == STORE_FLAGS_REMOVE)
		op.keywords = known_bits(&row, keywords, n_keywords);
	else
		rc = store_mailbox_keyword_bits(acct, &row, keywords, n_keywords, &op.keywords);
	if (rc != 0) {
		store_mailbox_row_free(&row);
		return fail(acct, rc < 0 ? STORE_ERR_TEMP : STORE_ERR_LIMIT,
			    rc < 0 ? "index write failed" : "too many keywords", res, error_r);
	}
	synced = store_view_synced(view, row.highestmodseq);
	res->modseq = row.highestmodseq + 1;
	for (size_t i = 0; i < n_uids && rc == 0; i++)
		rc = store_one(view, uids[i], &op, unchangedsince, res->modseq, res, &cap_f,
			       &cap_c);
	if (rc == 0 && res->n_changed > 0) {
		st = store_stmt(acct, STORE_STMT_MAILBOX_SET_MODSEQ);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)res->modseq);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)row.id);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	}
	if (rc < 0 || db_commit(acct->db) < 0) {
		store_mailbox_row_free(&row);
		return fail(acct, STORE_ERR_TEMP, "index write failed", res, error_r);
	}
	if (strcmp(row.keywords, view->keywords_raw) != 0) {
		store_view_set_keywords(view, row.keywords);
		res->keywords_changed = true;
	}
	if (res->n_changed == 0)
		res->modseq = row.highestmodseq;
	/* the changed messages and the keyword list are in the view already */
	if (synced)
		store_view_keep_synced(view, res->modseq);
	acct->store->dirty = true;
	acct->errcode = STORE_ERR_NONE;
	if (res->n_changed > 0)
		store_notify_emit(acct->store, STORE_EVENT_FLAGS, acct->name, row.id, row.name,
				  res->modseq);
	store_mailbox_row_free(&row);
	return 0;
}

void
store_flags_result_free(struct store_flags_result *res)
{
	free(res->failed_uids);
	free(res->changed_uids);
	memset(res, 0, sizeof(*res));
}
