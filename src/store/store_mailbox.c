/* Mailbox rows of an account's index: names (validation, INBOX case), special-use names,
 * reading a row by name or id, and the per-mailbox keyword list (bit i of a message's
 * keywords is the i-th name; at most 64). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "store/store_private.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/utf8.h"
#include "util/xmalloc.h"

static const struct {
	unsigned bit;
	const char *name;
} special_uses[] = {
	{STORE_MAILBOX_SENT, "\\Sent"},       {STORE_MAILBOX_DRAFTS, "\\Drafts"},
	{STORE_MAILBOX_TRASH, "\\Trash"},     {STORE_MAILBOX_JUNK, "\\Junk"},
	{STORE_MAILBOX_ARCHIVE, "\\Archive"}, {STORE_MAILBOX_ALL, "\\All"},
	{STORE_MAILBOX_FLAGGED, "\\Flagged"},
};

const char *
store_mailbox_special_use_name(unsigned attrs)
{
	for (size_t i = 0; i < sizeof(special_uses) / sizeof(special_uses[0]); i++) {
		if (attrs & special_uses[i].bit)
			return special_uses[i].name;
	}
	return NULL;
}

unsigned
store_mailbox_special_use_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(special_uses) / sizeof(special_uses[0]); i++) {
		if (str_casecmp(name, special_uses[i].name) == 0)
			return special_uses[i].bit;
	}
	return 0;
}

int
store_mailbox_name_normalize(char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > STORE_MAILBOX_NAME_MAX || name[0] == '/' || name[len - 1] == '/' ||
	    strstr(name, "//") != NULL)
		return -1;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)name[i];
		size_t n = utf8_decode(name + i, len - i, NULL);

		if (c < 0x20 || c == 0x7f || c == '*' || c == '%' || n == 0)
			return -1;
		i += n;
	}
	/* RFC 3501 5.1: INBOX is case-insensitive */
	if (str_ncasecmp(name, "INBOX", 5) == 0 && (name[5] == '\0' || name[5] == '/'))
		memcpy(name, "INBOX", 5);
	return 0;
}

static void
row_read(sqlite3_stmt *st, struct store_mailbox_row *row)
{
	row->id = (uint64_t)sqlite3_column_int64(st, 0);
	row->name = xstrdup((const char *)sqlite3_column_text(st, 1));
	row->uidvalidity = (uint32_t)sqlite3_column_int64(st, 2);
	row->uidnext = (uint32_t)sqlite3_column_int64(st, 3);
	row->highestmodseq = (uint64_t)sqlite3_column_int64(st, 4);
	row->recent_uid = (uint32_t)sqlite3_column_int64(st, 5);
	row->special_use = (unsigned)sqlite3_column_int64(st, 6);
	row->noselect = sqlite3_column_int(st, 7) != 0;
	row->keywords = xstrdup((const char *)sqlite3_column_text(st, 8));
}

static int
row_get(sqlite3_stmt *st, struct store_mailbox_row *row)
{
	int rc = sqlite3_step(st);

	memset(row, 0, sizeof(*row));
	if (rc == SQLITE_ROW) {
		row_read(st, row);
		sqlite3_reset(st);
		return 1;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_mailbox_row_by_name(struct store_account *acct, const char *name,
			  struct store_mailbox_row *row)
{
	sqlite3_stmt *st = store_stmt(acct, STORE_STMT_MAILBOX_BY_NAME);

	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	return row_get(st, row);
}

int
store_mailbox_row_by_special_use(struct store_account *acct, unsigned special_use,
				 struct store_mailbox_row *row)
{
	/* rare (quarantined mail): a statement of its own, not one of the cached ones */
	sqlite3_stmt *st =
		db_prepare(acct->db, "SELECT id, name, uidvalidity, uidnext,"
				     " highestmodseq, recent_uid, special_use, noselect,"
				     " keywords FROM mailboxes WHERE (special_use & ?) != 0"
				     " AND noselect = 0 ORDER BY id LIMIT 1");
	int rc;

	sqlite3_bind_int64(st, 1, special_use);
	rc = row_get(st, row);
	sqlite3_finalize(st);
	return rc;
}

int
store_mailbox_row_by_id(struct store_account *acct, uint64_t id, struct store_mailbox_row *row)
{
	sqlite3_stmt *st = store_stmt(acct, STORE_STMT_MAILBOX_BY_ID);

	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	return row_get(st, row);
}

void
store_mailbox_row_free(struct store_mailbox_row *row)
{
	free(row->name);
	free(row->keywords);
	row->name = row->keywords = NULL;
}

int
store_mailbox_set_next(struct store_account *acct, uint64_t id, uint32_t uidnext, uint64_t modseq)
{
	sqlite3_stmt *st = store_stmt(acct, STORE_STMT_MAILBOX_SET_NEXT);

	sqlite3_bind_int64(st, 1, uidnext);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)modseq);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)id);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

char **
store_mailbox_keyword_list(const struct store_mailbox_row *row, size_t *n_r)
{
	char **list = str_split(row->keywords, ' ');

	*n_r = str_array_len(list);
	return list;
}

static bool
keyword_valid(const char *s)
{
	if (*s == '\0' || *s == '\\' || strlen(s) > 200)
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f)
			return false;
	}
	return true;
}

static int
save_keywords(struct store_account *acct, struct store_mailbox_row *row, char **list, size_t n)
{
	struct buf b = BUF_INIT;
	sqlite3_stmt *st;
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_appendc(&b, ' ');
		buf_appends(&b, list[i]);
	}
	free(row->keywords);
	row->keywords = buf_steal(&b);
	st = store_stmt(acct, STORE_STMT_MAILBOX_SET_KEYWORDS);
	sqlite3_bind_text(st, 1, row->keywords, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)row->id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_mailbox_keyword_bits(struct store_account *acct, struct store_mailbox_row *row,
			   const char *const *names, size_t n, uint64_t *bits_r)
{
	size_t count, cap;
	char **list = store_mailbox_keyword_list(row, &count);
	bool changed = false;
	int ret = 0;

	cap = count + 1;
	*bits_r = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k;

		for (k = 0; k < count && str_casecmp(list[k], names[i]) != 0; k++)
			;
		if (k == count) {
			if (count >= STORE_MAX_KEYWORDS || !keyword_valid(names[i])) {
				ret = 1;
				continue;
			}
			list = xgrow(list, &cap, count + 2, sizeof(char *));
			list[count++] = xstrdup(names[i]);
			list[count] = NULL;
			changed = true;
		}
		*bits_r |= (uint64_t)1 << k;
	}
	if (changed && save_keywords(acct, row, list, count) < 0)
		ret = -1;
	str_array_free(&list);
	return ret;
}
