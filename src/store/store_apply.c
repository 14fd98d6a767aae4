/* Applying durable records: message files (tmp + rename, no fsync: the journal covers
 * them until the checkpoint) and index rows, one transaction per account per batch with a
 * savepoint per target, compensation when one target of a record fails, notify events
 * after the commits. Also the replay's in-place repair of an already applied target. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "log/log.h"
#include "mail/msg_summary.h"
#include "store/store_private.h"
#include "util/file.h"
#include "util/xmalloc.h"

void
store_apply_file_name(const uint8_t id[16], size_t ti, char out[48])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < 16; i++) {
		out[2 * i] = hex[id[i] >> 4];
		out[2 * i + 1] = hex[id[i] & 15];
	}
	snprintf(out + 32, 16, "-%zu", ti);
}

int
store_apply_write_fd(int fd, const char *prefix, size_t prefix_len, const char *msg, size_t len)
{
	if (prefix_len > 0 && pwrite(fd, prefix, prefix_len, 0) != (ssize_t)prefix_len)
		return -1;
	for (size_t off = 0; off < len;) {
		ssize_t n = pwrite(fd, msg + off, len - off, (off_t)(prefix_len + off));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

int
store_apply_write_file(struct store_account *acct, const char *file, const char *prefix,
		       size_t prefix_len, const char *msg, size_t len, const char **error_r)
{
	char tmp[4096], path[4096];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/msg/%s", acct->dir, file);
	/* written ahead by an io thread of this process while the journal was synced
	 * (store_prewrite.c): complete (it got its name by a rename) and these very bytes, so
	 * only the rename is left to do on the loop */
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s%s", acct->dir, file, acct->store->prewrite_tag);
	if (rename(tmp, path) == 0)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", acct->dir, file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || store_apply_write_fd(fd, prefix, prefix_len, msg, len) < 0)
		ret = -1;
	if (fd >= 0 && close(fd) < 0)
		ret = -1;
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -1;
	if (ret < 0) {
		log_error("store: %s: writing %s failed: %s", acct->name, file, strerror(errno));
		*error_r = errno == ENOSPC ? "disk full" : "cannot write the message file";
		unlink(tmp);
	}
	return ret;
}

/* The top-level header as the message file holds it: the target's prefix, then the
 * message's own header (s->header_size counts both, and the blank line). */
static void
bind_header(sqlite3_stmt *st, int col, const struct store_rec *rec, size_t ti,
	    const struct msg_summary *s, struct buf *hdr)
{
	const struct store_rec_target *t = &rec->targets[ti];
	size_t size = s->header_size;

	if (size > t->prefix_len + rec->msg_len)
		size = t->prefix_len + rec->msg_len;
	if (size <= t->prefix_len) {
		buf_append(hdr, t->prefix, size);
	} else {
		buf_append(hdr, t->prefix, t->prefix_len);
		buf_append(hdr, rec->msg, size - t->prefix_len);
	}
	sqlite3_bind_blob(st, col, buf_cstr(hdr), (int)hdr->len, SQLITE_STATIC);
}

static int
insert_msgdata(struct store_account *acct, const struct store_rec *rec, size_t ti,
	       const struct msg_summary *s, int64_t *id_r)
{
	sqlite3_stmt *st = store_stmt(acct, STORE_STMT_MSGDATA_INSERT);
	struct buf hdr = BUF_INIT;
	int rc;
	const struct buf *blobs[] = {
		&s->envelope, &s->bodystructure, &s->body,  &s->subject, &s->from, &s->to,
		&s->cc,       &s->message_id,    &s->parts, &s->sortkeys};

	sqlite3_bind_int64(st, 1, (sqlite3_int64)s->header_size);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)s->body_lines);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)s->sent_date);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)s->sent_tz);
	for (int i = 0; i < 10; i++)
		sqlite3_bind_blob(st, 5 + i, buf_cstr(blobs[i]), (int)blobs[i]->len, SQLITE_STATIC);
	bind_header(st, 15, rec, ti, s, &hdr);
	rc = sqlite3_step(st);
	sqlite3_clear_bindings(st); /* hdr goes now */
	buf_free(&hdr);
	if (rc != SQLITE_DONE)
		return -1;
	*id_r = sqlite3_last_insert_rowid(acct->db);
	return 0;
}

static int
insert_message(struct store_account *acct, const struct store_mailbox_row *row,
	       const struct store_rec *rec, size_t ti, uint64_t keywords, const char *file,
	       int64_t data_id, uint64_t jnum)
{
	const struct store_rec_target *t = &rec->targets[ti];
	sqlite3_stmt *st = store_stmt(acct, STORE_STMT_MESSAGE_INSERT);

	sqlite3_bind_int64(st, 1, (sqlite3_int64)row->id);
	sqlite3_bind_int64(st, 2, row->uidnext);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)row->highestmodseq + 1);
	sqlite3_bind_int64(st, 4, t->flags & STORE_FLAGS_STORABLE);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)keywords);
	sqlite3_bind_int64(st, 6, rec->internaldate);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)(t->prefix_len + rec->msg_len));
	sqlite3_bind_text(st, 8, file, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, data_id);
	sqlite3_bind_int64(st, 10, rec->internaldate_tz);
	if (sqlite3_step(st) != SQLITE_DONE)
		return -1;
	if (store_mailbox_set_next(acct, row->id, row->uidnext + 1, row->highestmodseq + 1) < 0)
		return -1;
	st = store_stmt(acct, STORE_STMT_DELIVERED_INSERT);
	sqlite3_bind_blob(st, 1, rec->id, sizeof(rec->id), SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)ti);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)jnum);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)row->id);
	sqlite3_bind_int64(st, 5, row->uidnext);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

/* The target mailbox: a delivery to a missing one goes to INBOX, an append fails. A
 * delivery to a special-use name ("\\Junk") goes to the mailbox that carries it, whatever
 * it is called (store.h). */
static int
target_mailbox(struct store_account *acct, const struct store_rec *rec, size_t ti,
	       struct store_mailbox_row *row, const char **error_r)
{
	const struct store_rec_target *t = &rec->targets[ti];
	char *name = xstrdup(t->mailbox != NULL ? t->mailbox : "INBOX");
	unsigned special = rec->type == STORE_RECORD_DELIVER && name[0] == '\\'
				   ? store_mailbox_special_use_parse(name)
				   : 0;
	int found = 0;

	if (special != 0)
		found = store_mailbox_row_by_special_use(acct, special, row);
	else if (store_mailbox_name_normalize(name) == 0)
		found = store_mailbox_row_by_name(acct, name, row);
	free(name);
	if (found > 0 && row->noselect) {
		store_mailbox_row_free(row);
		found = 0;
	}
	if (found == 0 && rec->type == STORE_RECORD_DELIVER)
		found = store_mailbox_row_by_name(acct, "INBOX", row);
	if (found < 0)
		return store_account_fail(acct, STORE_ERR_TEMP, "index error", error_r);
	if (found == 0)
		return store_account_fail(acct, STORE_ERR_NONEXISTENT, "no such mailbox", error_r);
	return 0;
}

static struct msg_summary *
summary_for(const struct store_rec *rec, size_t ti)
{
	const struct store_rec_target *t = &rec->targets[ti];
	struct msg_summary *s = xcalloc(1, sizeof(*s));
	char *full;

	if (t->prefix_len == 0) { /* no copy (and no memcpy from a NULL prefix) */
		msg_summary_build(rec->msg, rec->msg_len, s);
		return s;
	}
	full = xmalloc(t->prefix_len + rec->msg_len + 1);
	memcpy(full, t->prefix, t->prefix_len);
	memcpy(full + t->prefix_len, rec->msg, rec->msg_len);
	msg_summary_build(full, t->prefix_len + rec->msg_len, s);
	free(full);
	return s;
}

int
store_apply_target(struct store_account *acct, const struct store_rec *rec, size_t ti,
		   uint64_t jnum, struct msg_summary *summary, bool file_in_place,
		   struct store_apply_result *res, const char **error_r)
{
	const struct store_rec_target *t = &rec->targets[ti];
	struct msg_summary *own = NULL;
	struct store_mailbox_row row;
	uint64_t keywords = 0;
	int64_t data_id;
	char file[48];
	int ret = -1;

	if (target_mailbox(acct, rec, ti, &row, error_r) < 0)
		return -1;
	if (store_mailbox_keyword_bits(acct, &row, (const char *const *)t->keywords, t->n_keywords,
				       &keywords) < 0) {
		store_mailbox_row_free(&row);
		return store_account_fail(acct, STORE_ERR_TEMP, "index error", error_r);
	}
	store_apply_file_name(rec->id, ti, file);
	/* file_in_place: moved into msg/ by the sync thread (store_sync_add_moves) */
	if (!file_in_place && store_apply_write_file(acct, file, t->prefix, t->prefix_len, rec->msg,
						     rec->msg_len, error_r) < 0) {
		acct->errcode = STORE_ERR_TEMP;
		store_mailbox_row_free(&row);
		return -1;
	}
	if (summary == NULL)
		summary = own = summary_for(rec, ti);
	if (insert_msgdata(acct, rec, ti, summary, &data_id) < 0 ||
	    insert_message(acct, &row, rec, ti, keywords, file, data_id, jnum) < 0) {
		char path[4096];

		log_error("store: %s: index insert failed: %s", acct->name, db_errmsg(acct->db));
		snprintf(path, sizeof(path), "%s/msg/%s", acct->dir, file);
		unlink(path);
		store_account_fail(acct, STORE_ERR_TEMP, "index write failed", error_r);
	} else {
		res->mailbox_id = row.id;
		res->mailbox = xstrdup(row.name);
		res->uidvalidity = row.uidvalidity;
		res->uid = row.uidnext;
		res->modseq = row.highestmodseq + 1;
		ret = 0;
	}
	if (own != NULL) {
		msg_summary_free(own);
		free(own);
	}
	store_mailbox_row_free(&row);
	return ret;
}

void
store_apply_undo(struct store_account *acct, const uint8_t id[16], size_t ti)
{
	sqlite3_stmt *st = store_stmt(acct, STORE_STMT_DELIVERED_GET);
	sqlite3_int64 mailbox, uid, data;
	char path[4096];

	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)ti);
	if (sqlite3_step(st) != SQLITE_ROW)
		return;
	mailbox = sqlite3_column_int64(st, 0);
	uid = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	st = store_stmt(acct, STORE_STMT_MESSAGE_DELETE);
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, uid);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(path, sizeof(path), "%s/msg/%s", acct->dir,
			 (const char *)sqlite3_column_text(st, 0));
		data = sqlite3_column_int64(st, 1);
		while (sqlite3_step(st) == SQLITE_ROW)
			;
		unlink(path);
		st = store_stmt(acct, STORE_STMT_MSGDATA_DELETE);
		sqlite3_bind_int64(st, 1, data);
		sqlite3_step(st);
	}
	st = db_prepare(acct->db, "DELETE FROM delivered WHERE id = ? AND target = ?");
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)ti);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

void
store_apply_prune(struct store_account *acct)
{
	sqlite3_stmt *st;

	if (acct->pruned_below >= acct->store->oldest_jnum)
		return;
	st = db_prepare(acct->db, "DELETE FROM delivered WHERE jnum < ?");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)acct->store->oldest_jnum);
	if (sqlite3_step(st) == SQLITE_DONE)
		acct->pruned_below = acct->store->oldest_jnum;
	sqlite3_finalize(st);
}

int
store_apply_repair(struct store_account *acct, const struct store_rec *rec, size_t ti,
		   const char **error_r)
{
	const struct store_rec_target *t = &rec->targets[ti];
	sqlite3_stmt *st = store_stmt(acct, STORE_STMT_DELIVERED_GET);
	char file[48], path[4096];
	bool referenced;
	int fd, ret;

	sqlite3_bind_blob(st, 1, rec->id, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)ti);
	ret = sqlite3_step(st);
	sqlite3_reset(st);
	if (ret != SQLITE_ROW)
		return 0;
	/* any row naming the file (the original, a move, a copy) wants it whole */
	store_apply_file_name(rec->id, ti, file);
	st = db_prepare(acct->db, "SELECT 1 FROM messages WHERE file = ? LIMIT 1");
	sqlite3_bind_text(st, 1, file, -1, SQLITE_STATIC);
	referenced = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!referenced)
		return 1; /* expunged since: nothing to repair */
	/* in place: an open reader or a second row sees the same inode */
	snprintf(path, sizeof(path), "%s/msg/%s", acct->dir, file);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ret = fd < 0 ? -1
		     : store_apply_write_fd(fd, t->prefix, t->prefix_len, rec->msg, rec->msg_len);
	if (ret == 0 && ftruncate(fd, (off_t)(t->prefix_len + rec->msg_len)) < 0)
		ret = -1;
	if (fd >= 0)
		close(fd);
	if (ret < 0) {
		log_error("store: %s: repairing %s failed: %s", acct->name, file, strerror(errno));
		*error_r = "cannot repair a message file";
		return -1;
	}
	return 1;
}
