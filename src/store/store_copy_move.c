/* COPY and MOVE between mailboxes of one account (see store_msg.h): keyword bits are
 * remapped by name, flags kept (not \Recent), UIDs assigned in order for COPYUID. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "log/log.h"
#include "store/store_private.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct copy {
	struct store_view *view;
	struct store_account *acct;
	struct store_mailbox_row src, dst;
	char **src_keywords;
	size_t n_src_keywords;
	int kwmap[STORE_MAX_KEYWORDS]; /* src bit -> dst bit, -1 unknown, -2 dropped */
	bool move;
	uint32_t next_uid;
	uint64_t dst_modseq;
	uint32_t *moved;
	size_t n_moved;
	struct store_copy_result *res;
	size_t cap_res;
};

static uint64_t
map_keywords(struct copy *c, uint64_t kw)
{
	uint64_t out = 0;

	for (size_t b = 0; b < c->n_src_keywords && b < STORE_MAX_KEYWORDS; b++) {
		if (!(kw & ((uint64_t)1 << b)))
			continue;
		if (c->kwmap[b] == -1) {
			const char *name = c->src_keywords[b];
			uint64_t bits = 0;

			c->kwmap[b] = -2;
			if (store_mailbox_keyword_bits(c->acct, &c->dst, &name, 1, &bits) == 0)
				c->kwmap[b] = __builtin_ctzll(bits);
		}
		if (c->kwmap[b] >= 0)
			out |= (uint64_t)1 << c->kwmap[b];
	}
	return out;
}

/* The copy shares the file: the replay repairs it in place under its one name. */
static int
copy_row(struct copy *c, sqlite3_stmt *src, uint32_t new_uid)
{
	struct store_account *acct = c->acct;
	sqlite3_stmt *st = store_stmt(acct, STORE_STMT_MSGDATA_COPY);

	sqlite3_bind_int64(st, 1, sqlite3_column_int64(src, 5));
	if (sqlite3_step(st) != SQLITE_DONE)
		return -1;
	st = store_stmt(acct, STORE_STMT_MESSAGE_INSERT);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)c->dst.id);
	sqlite3_bind_int64(st, 2, new_uid);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)c->dst_modseq);
	sqlite3_bind_int64(st, 4, sqlite3_column_int64(src, 0) & STORE_FLAGS_STORABLE);
	sqlite3_bind_int64(st, 5,
			   (sqlite3_int64)map_keywords(c, (uint64_t)sqlite3_column_int64(src, 1)));
	sqlite3_bind_int64(st, 6, sqlite3_column_int64(src, 2));
	sqlite3_bind_int64(st, 7, sqlite3_column_int64(src, 3));
	sqlite3_bind_text(st, 8, (const char *)sqlite3_column_text(src, 4), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 9, sqlite3_last_insert_rowid(acct->db));
	sqlite3_bind_int64(st, 10, sqlite3_column_int64(src, 6));
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

static int
move_row(struct copy *c, sqlite3_stmt *src, uint32_t uid, uint32_t new_uid)
{
	uint64_t kw = map_keywords(c, (uint64_t)sqlite3_column_int64(src, 1));
	sqlite3_stmt *st =
		db_prepare(c->acct->db, "UPDATE messages SET mailbox = ?1, uid = ?2, modseq = ?3,"
					" keywords = ?4 WHERE mailbox = ?5 AND uid = ?6");
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)c->dst.id);
	sqlite3_bind_int64(st, 2, new_uid);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)c->dst_modseq);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)kw);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)c->src.id);
	sqlite3_bind_int64(st, 6, uid);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	/* the replay repairs files through delivered: keep it pointing at the row */
	st = db_prepare(c->acct->db, "UPDATE delivered SET mailbox = ?1, uid = ?2"
				     " WHERE mailbox = ?3 AND uid = ?4");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)c->dst.id);
	sqlite3_bind_int64(st, 2, new_uid);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)c->src.id);
	sqlite3_bind_int64(st, 4, uid);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	c->moved[c->n_moved++] = uid;
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
copy_one(struct copy *c, uint32_t uid)
{
	sqlite3_stmt *st = db_prepare(
		c->acct->db, "SELECT flags, keywords, internaldate, size, file, data,"
			     " internaldate_tz FROM messages WHERE mailbox = ? AND uid = ?");
	uint32_t new_uid = c->next_uid;
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)c->src.id);
	sqlite3_bind_int64(st, 2, uid);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	rc = c->move ? move_row(c, st, uid, new_uid) : copy_row(c, st, new_uid);
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	c->next_uid++;
	c->res->src_uids =
		xgrow(c->res->src_uids, &c->cap_res, c->res->count + 1, sizeof(uint32_t));
	c->res->dst_uids = xrealloc(c->res->dst_uids, c->cap_res * sizeof(uint32_t));
	c->res->src_uids[c->res->count] = uid;
	c->res->dst_uids[c->res->count++] = new_uid;
	return 0;
}

static int
load_rows(struct copy *c, const char *dest, const char **error_r)
{
	char *n = store_mailbox_normalized(c->acct, dest, error_r);
	int found;

	if (n == NULL)
		return -1;
	found = store_mailbox_row_by_name(c->acct, n, &c->dst);
	free(n);
	if (found > 0 && c->dst.noselect) {
		store_mailbox_row_free(&c->dst);
		found = 0;
	}
	if (found <= 0)
		return store_account_fail(c->acct,
					  found < 0 ? STORE_ERR_TEMP : STORE_ERR_NONEXISTENT,
					  "no such mailbox", error_r);
	found = store_mailbox_row_by_id(c->acct, c->view->mailbox_id, &c->src);
	if (found <= 0 || c->src.uidvalidity != c->view->uidvalidity) {
		if (found > 0)
			store_mailbox_row_free(&c->src);
		store_mailbox_row_free(&c->dst);
		return store_account_fail(c->acct, STORE_ERR_NONEXISTENT,
					  "the selected mailbox is gone", error_r);
	}
	c->src_keywords = store_mailbox_keyword_list(&c->src, &c->n_src_keywords);
	c->next_uid = c->dst.uidnext;
	c->dst_modseq = c->dst.highestmodseq + 1;
	for (size_t i = 0; i < STORE_MAX_KEYWORDS; i++)
		c->kwmap[i] = -1;
	return 0;
}

/* UIDNEXT/HIGHESTMODSEQ of the destination, then the expunges of a move in the source
 * (after, so a move within one mailbox ends on the higher modseq). */
static int
finish_rows(struct copy *c)
{
	uint64_t src_modseq = c->src.id == c->dst.id ? c->dst_modseq + 1 : c->src.highestmodseq + 1;

	if (c->res->count > 0 &&
	    store_mailbox_set_next(c->acct, c->dst.id, c->next_uid, c->dst_modseq) < 0)
		return -1;
	if (c->n_moved == 0)
		return 0;
	if (store_expunged_add(c->acct, c->src.id, c->moved, c->n_moved, src_modseq) < 0)
		return -1;
	c->src.highestmodseq = src_modseq;
	return store_mailbox_set_next(c->acct, c->src.id,
				      c->src.id == c->dst.id ? c->next_uid : c->src.uidnext,
				      src_modseq);
}

static void
copy_free(struct copy *c)
{
	free(c->moved);
	str_array_free(&c->src_keywords);
	store_mailbox_row_free(&c->src);
	store_mailbox_row_free(&c->dst);
}

int
store_view_copy(struct store_view *view, const uint32_t *uids, size_t n_uids, const char *dest,
		bool move, struct store_copy_result *res, const char **error_r)
{
	struct copy c = {.view = view, .acct = view->acct, .move = move, .res = res};
	struct store_account *acct = view->acct;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	if (move && view->readonly)
		return store_account_fail(acct, STORE_ERR_NOT_ALLOWED, "mailbox is read-only",
					  error_r);
	if (move && store_view_wake(view, error_r) < 0) /* before the index moves on */
		return -1;
	if (db_begin(acct->db) < 0)
		return store_account_fail(acct, STORE_ERR_TEMP, "index busy", error_r);
	if (load_rows(&c, dest, error_r) < 0) {
		db_rollback(acct->db);
		return -1;
	}
	c.moved = xmalloc((n_uids + 1) * sizeof(uint32_t));
	for (size_t i = 0; i < n_uids && rc == 0; i++)
		rc = copy_one(&c, uids[i]);
	if (rc < 0 || finish_rows(&c) < 0 || db_commit(acct->db) < 0) {
		db_rollback(acct->db);
		copy_free(&c);
		store_copy_result_free(res);
		return store_account_fail(acct, STORE_ERR_TEMP, "index write failed", error_r);
	}
	res->dest_uidvalidity = c.dst.uidvalidity;
	acct->errcode = STORE_ERR_NONE;
	if (c.n_moved > 0)
		store_view_mark_expunged(view, c.moved, c.n_moved);
	if (res->count > 0)
		store_notify_emit(acct->store, STORE_EVENT_NEW, acct->name, c.dst.id, c.dst.name,
				  c.src.id == c.dst.id ? c.src.highestmodseq : c.dst_modseq);
	if (c.n_moved > 0 && c.src.id != c.dst.id)
		store_notify_emit(acct->store, STORE_EVENT_EXPUNGE, acct->name, c.src.id,
				  c.src.name, c.src.highestmodseq);
	copy_free(&c);
	return 0;
}

void
store_copy_result_free(struct store_copy_result *res)
{
	free(res->src_uids);
	free(res->dst_uids);
	memset(res, 0, sizeof(*res));
}
