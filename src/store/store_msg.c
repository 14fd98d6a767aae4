/* Reading messages (see store_msg.h): metadata rows joined with their msgdata (only the
 * blobs asked for are selected: one prepared statement per field mask), a UID-range
 * cursor, and the message file for streaming. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "store/store_private.h"
#include "util/buf.h"
#include "util/xmalloc.h"

struct store_msg_cursor {
	struct store_view *view;
	sqlite3_stmt *st;
	unsigned fields;
	bool cached; /* st is view->acct->range_stmts[fields]: reset, not finalized */
};

/* The blobs a field mask selects, in column order after the fixed columns (and the
 * STORE_MSG_HEADER_INFO ones). A cursor has fewer fixed columns: its callers take flags,
 * keywords and modseq from the view (store_msg.h), and each column costs per row (a
 * third of a FETCH 1:* (RFC822.SIZE) went to reading the three unused ones). */
#define FIXED_COLUMNS 7
#define RANGE_FIXED_COLUMNS 4
#define INFO_COLUMNS 4
static const struct {
	unsigned field;
	const char *column;
} blob_columns[] = {
	{STORE_MSG_ENVELOPE, "d.envelope"},
	{STORE_MSG_BODY, "d.body"},
	{STORE_MSG_BODYSTRUCTURE, "d.bodystructure"},
	{STORE_MSG_PARTS, "d.parts"},
	{STORE_MSG_PARTS, "d.header"},
	{STORE_MSG_SEARCH, "d.subject"},
	{STORE_MSG_SEARCH, "d.from_"},
	{STORE_MSG_SEARCH, "d.to_"},
	{STORE_MSG_SEARCH, "d.cc"},
	{STORE_MSG_SEARCH, "d.message_id"},
	{STORE_MSG_SORT, "d.sortkeys"},
	{STORE_MSG_FILE, "m.file"},
};
#define N_BLOBS (sizeof(blob_columns) / sizeof(blob_columns[0]))

/* Only the blobs asked for are columns: every column costs per row (FETCH 1:*). */
static char *
select_sql(unsigned fields, bool range)
{
	struct buf sql = BUF_INIT;

	if (range)
		buf_appends(&sql, "SELECT m.uid, m.internaldate, m.size, m.internaldate_tz");
	else
		buf_appends(&sql, "SELECT m.uid, m.internaldate, m.size, m.internaldate_tz,"
				  " m.flags, m.keywords, m.modseq");
	if (fields & STORE_MSG_HEADER_INFO)
		buf_appends(&sql, ", d.header_size, d.body_lines, d.sent_date, d.sent_tz");
	for (size_t i = 0; i < N_BLOBS; i++) {
		if (fields & blob_columns[i].field)
			buf_printf(&sql, ", %s", blob_columns[i].column);
	}
	/* no msgdata column (FETCH FLAGS, RFC822.SIZE, INTERNALDATE, SEARCH on sizes or
	 * dates): no join, so a FETCH 1:* reads the small messages rows only and not one
	 * msgdata row (about 700 bytes each) per message */
	buf_printf(&sql, " FROM messages m%s WHERE m.mailbox = ?1 AND %s",
		   (fields & STORE_MSG_FIELDS_MSGDATA) != 0 ? " JOIN msgdata d ON d.id = m.data"
							    : "",
		   range ? "m.uid BETWEEN ?2 AND ?3 ORDER BY m.uid" : "m.uid = ?2");
	return buf_steal(&sql);
}

static struct store_blob
blob(sqlite3_stmt *st, int col)
{
	struct store_blob b;

	b.data = sqlite3_column_blob(st, col);
	b.len = (size_t)sqlite3_column_bytes(st, col);
	if (b.data == NULL && sqlite3_column_type(st, col) != SQLITE_NULL)
		b.data = "";
	return b;
}

/* Copies the blobs into the account's buffer, so the statement can be reset at once (an
 * active statement would hold a read transaction and keep the WAL from being reused). */
static void
keep_blobs(struct store_account *acct, struct store_msg_meta *m)
{
	struct store_blob *blobs[] = {&m->envelope, &m->body,       &m->bodystructure, &m->parts,
				      &m->header,   &m->subject,    &m->from,          &m->to,
				      &m->cc,       &m->message_id, &m->sortkeys,      &m->file};
	size_t total = 0, off = 0;

	for (size_t i = 0; i < sizeof(blobs) / sizeof(blobs[0]); i++)
		total += blobs[i]->data != NULL ? blobs[i]->len + 1 : 0;
	buf_reset(&acct->get_buf);
	buf_reserve(&acct->get_buf, total);
	for (size_t i = 0; i < sizeof(blobs) / sizeof(blobs[0]); i++) {
		if (blobs[i]->data == NULL)
			continue;
		memcpy(acct->get_buf.data + off, blobs[i]->data, blobs[i]->len);
		acct->get_buf.data[off + blobs[i]->len] = '\0';
		blobs[i]->data = acct->get_buf.data + off;
		off += blobs[i]->len + 1;
	}
}

static void
read_meta(sqlite3_stmt *st, unsigned fields, bool range, struct store_msg_meta *m)
{
	struct store_blob *blobs[N_BLOBS] = {&m->envelope,   &m->body,     &m->bodystructure,
					     &m->parts,      &m->header,   &m->subject,
					     &m->from,       &m->to,       &m->cc,
					     &m->message_id, &m->sortkeys, &m->file};
	int col = range ? RANGE_FIXED_COLUMNS : FIXED_COLUMNS;

	m->uid = (uint32_t)sqlite3_column_int64(st, 0);
	m->internaldate = (time_t)sqlite3_column_int64(st, 1);
	m->size = (uint64_t)sqlite3_column_int64(st, 2);
	m->internaldate_tz = (long)sqlite3_column_int64(st, 3);
	if (range) {
		m->flags = 0;
		m->keywords = 0;
		m->modseq = 0;
	} else {
		m->flags = (uint32_t)sqlite3_column_int64(st, 4) & STORE_FLAGS_STORABLE;
		m->keywords = (uint64_t)sqlite3_column_int64(st, 5);
		m->modseq = (uint64_t)sqlite3_column_int64(st, 6);
	}
	if (fields & STORE_MSG_HEADER_INFO) {
		m->header_size = (uint64_t)sqlite3_column_int64(st, col);
		m->body_lines = (uint64_t)sqlite3_column_int64(st, col + 1);
		m->sent_date = (time_t)sqlite3_column_int64(st, col + 2);
		m->sent_tz = (long)sqlite3_column_int64(st, col + 3);
		col += INFO_COLUMNS;
	} else {
		m->header_size = m->body_lines = 0;
		m->sent_date = 0;
		m->sent_tz = 0;
	}
	for (size_t i = 0; i < N_BLOBS; i++) {
		if (fields & blob_columns[i].field)
			*blobs[i] = blob(st, col++);
		else
			*blobs[i] = (struct store_blob){NULL, 0};
	}
}

int
store_msg_get(struct store_view *view, uint32_t uid, unsigned fields, struct store_msg_meta *meta_r,
	      const char **error_r)
{
	struct store_account *acct = view->acct;
	sqlite3_stmt *st;
	int rc;

	fields &= STORE_MSG_FIELDS_ALL;
	st = acct->get_stmts[fields];
	if (st == NULL) {
		char *sql = select_sql(fields, false);

		st = acct->get_stmts[fields] = db_prepare(acct->db, sql);
		free(sql);
	}
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)view->mailbox_id);
	sqlite3_bind_int64(st, 2, uid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_meta(st, fields, false, meta_r);
		keep_blobs(acct, meta_r);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_account_fail(acct, STORE_ERR_TEMP, "index read failed", error_r);
}

/* The statement of an open cursor: the account's cached one for the field mask, or (when
 * another cursor with the same mask is open on this account) a new one. */
struct store_msg_cursor *
store_msg_cursor_open(struct store_view *view, uint32_t uid_lo, uint32_t uid_hi, unsigned fields)
{
	struct store_account *acct = view->acct;
	struct store_msg_cursor *cur = xcalloc(1, sizeof(*cur));
	char *sql;

	fields &= STORE_MSG_FIELDS_ALL;
	cur->view = view;
	cur->fields = fields;
	if (!acct->range_busy[fields] && acct->range_stmts[fields] != NULL) {
		cur->st = acct->range_stmts[fields];
	} else {
		sql = select_sql(fields, true);
		cur->st = db_prepare(acct->db, sql);
		free(sql);
		if (!acct->range_busy[fields])
			acct->range_stmts[fields] = cur->st;
	}
	if (cur->st == acct->range_stmts[fields]) {
		acct->range_busy[fields] = true;
		cur->cached = true;
	}
	sqlite3_bind_int64(cur->st, 1, (sqlite3_int64)view->mailbox_id);
	sqlite3_bind_int64(cur->st, 2, uid_lo);
	sqlite3_bind_int64(cur->st, 3, uid_hi);
	return cur;
}

int
store_msg_cursor_next(struct store_msg_cursor *cur, struct store_msg_meta *meta_r,
		      const char **error_r)
{
	int rc = sqlite3_step(cur->st);

	if (rc == SQLITE_ROW) {
		read_meta(cur->st, cur->fields, true, meta_r);
		return 1;
	}
	if (rc == SQLITE_DONE)
		return 0;
	return store_account_fail(cur->view->acct, STORE_ERR_TEMP, "index read failed", error_r);
}

void
store_msg_cursor_close(struct store_msg_cursor **curp)
{
	struct store_msg_cursor *cur = *curp;

	if (cur == NULL)
		return;
	if (cur->cached) {
		/* reset: the read transaction ends here, as with finalize */
		sqlite3_reset(cur->st);
		sqlite3_clear_bindings(cur->st);
		cur->view->acct->range_busy[cur->fields] = false;
	} else {
		sqlite3_finalize(cur->st);
	}
	free(cur);
	*curp = NULL;
}

int
store_msg_set_sortkeys(struct store_view *view, const uint32_t *uids,
		       const struct store_blob *blobs, size_t n, const char **error_r)
{
	struct store_account *acct = view->acct;
	sqlite3_stmt *st = store_stmt(acct, STORE_STMT_MSGDATA_SET_SORTKEYS);

	if (n == 0)
		return 0;
	if (db_begin(acct->db) < 0)
		return store_account_fail(acct, STORE_ERR_TEMP, "index write failed", error_r);
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_blob(st, 1, blobs[i].data, (int)blobs[i].len, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)view->mailbox_id);
		sqlite3_bind_int64(st, 3, uids[i]);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_reset(st);
			db_rollback(acct->db);
			return store_account_fail(acct, STORE_ERR_TEMP, "index write failed",
						  error_r);
		}
		sqlite3_reset(st);
	}
	if (db_commit(acct->db) < 0) {
		db_rollback(acct->db);
		return store_account_fail(acct, STORE_ERR_TEMP, "index write failed", error_r);
	}
	return 0;
}

int
store_msg_open(struct store_view *view, uint32_t uid, uint64_t *size_r, const char **error_r)
{
	struct store_account *acct = view->acct;
	sqlite3_stmt *st = store_stmt(acct, STORE_STMT_MESSAGE_FILE);
	char path[4096];
	int fd;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)view->mailbox_id);
	sqlite3_bind_int64(st, 2, uid);
	if (sqlite3_step(st) != SQLITE_ROW)
		return store_account_fail(acct, STORE_ERR_NONEXISTENT, "no such message", error_r);
	snprintf(path, sizeof(path), "%s/msg/%s", acct->dir, sqlite3_column_text(st, 0));
	*size_r = (uint64_t)sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return store_account_fail(acct, STORE_ERR_TEMP, "cannot open the message file",
					  error_r);
	acct->errcode = STORE_ERR_NONE;
	return fd;
}

/* Appends [offset, offset+len) of fd (size bytes) to out and closes fd. */
static int
read_fd(struct store_view *view, int fd, uint64_t size, uint64_t offset, uint64_t len,
	struct buf *out, const char **error_r)
{
	if (offset >= size)
		len = 0;
	else if (len > size - offset)
		len = size - offset;
	buf_reserve(out, (size_t)len);
	while (len > 0) {
		ssize_t n = pread(fd, out->data + out->len, (size_t)len, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return store_account_fail(view->acct, STORE_ERR_TEMP,
						  "cannot read the message file", error_r);
		}
		out->len += (size_t)n;
		out->data[out->len] = '\0';
		offset += (uint64_t)n;
		len -= (uint64_t)n;
	}
	close(fd);
	return 0;
}

int
store_msg_open_meta(struct store_view *view, const struct store_msg_meta *meta, uint64_t *size_r,
		    const char **error_r)
{
	struct store_account *acct = view->acct;
	char path[4096];
	int fd;

	if (meta->file.data == NULL)
		return store_msg_open(view, meta->uid, size_r, error_r);
	snprintf(path, sizeof(path), "%s/msg/%.*s", acct->dir, (int)meta->file.len,
		 meta->file.data);
	*size_r = meta->size;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) /* expunged since meta was read */
		return store_account_fail(acct, STORE_ERR_NONEXISTENT, "no such message", error_r);
	if (fd < 0)
		return store_account_fail(acct, STORE_ERR_TEMP, "cannot open the message file",
					  error_r);
	acct->errcode = STORE_ERR_NONE;
	return fd;
}

int
store_msg_read_meta(struct store_view *view, const struct store_msg_meta *meta, uint64_t offset,
		    uint64_t len, struct buf *out, const char **error_r)
{
	uint64_t size;
	int fd = store_msg_open_meta(view, meta, &size, error_r);

	if (fd < 0)
		return -1;
	return read_fd(view, fd, size, offset, len, out, error_r);
}

int
store_msg_read(struct store_view *view, uint32_t uid, uint64_t offset, uint64_t len,
	       struct buf *out, const char **error_r)
{
	uint64_t size;
	int fd = store_msg_open(view, uid, &size, error_r);

	if (fd < 0)
		return -1;
	return read_fd(view, fd, size, offset, len, out, error_r);
}
