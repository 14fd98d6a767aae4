/* An account's usage, for quotas (RFC 9208 "STORAGE" and "MESSAGE" resources): the sum of
 * the sizes (RFC822.SIZE) and the number of its messages in all mailboxes. A COPY counts
 * again (the file is shared on disk, but the client sees two messages), a MOVE does not
 * change the usage, an EXPUNGE frees.
 *
 * The totals are kept in index.db (meta rows 'quota_bytes' and 'quota_messages') by
 * triggers on the messages table, so they change in the very transaction that inserts or
 * deletes a message, whichever code path does it (delivery, APPEND, COPY, EXPUNGE, mailbox
 * DELETE, the replay): reading them is one indexed lookup, never a walk. Schema step 3
 * computes them once for an account from before (store_schema.c).
 *
 * The limits are not the store's business: they live with the accounts (src/auth) and
 * the settings (mailbox_quota). */
#ifndef STORE_STORE_QUOTA_H
#define STORE_STORE_QUOTA_H
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_account;

struct store_usage {
	unsigned long long bytes;
	unsigned long long messages;
};

/* The account's usage as committed now. 0 ok, -1 on a database error (*u zeroed). */
int store_quota_usage(struct store_account *acct, struct store_usage *u);
/* The same by account name (the handle is opened, or taken from the store's cache, and
 * released). -1 if there is no such account or on an error. */
int store_quota_usage_of(struct store *store, const char *account, struct store_usage *u);

/* The sum of the sizes of uids (UIDs not in the view's mailbox count 0): what a COPY of
 * them adds. 0 ok, -1 on a database error. */
struct store_view;
int store_quota_size_of(struct store_view *view, const uint32_t *uids, size_t n_uids,
			unsigned long long *bytes_r);

/* Whether adding `bytes` to usage `used` passes `limit` (0 = unlimited). */
static inline int
store_quota_exceeds(unsigned long long used, unsigned long long bytes, unsigned long long limit)
{
	return limit != 0 && (used > limit || bytes > limit - used);
}

/* The schema step (internal to src/store). */
#define STORE_QUOTA_MIGRATION                                                                      \
	"INSERT OR REPLACE INTO meta (key, value)"                                                 \
	" VALUES ('quota_bytes', (SELECT coalesce(sum(size), 0) FROM messages));"                  \
	"INSERT OR REPLACE INTO meta (key, value)"                                                 \
	" VALUES ('quota_messages', (SELECT count(*) FROM messages));"                             \
	"CREATE TRIGGER quota_insert AFTER INSERT ON messages BEGIN"                               \
	"  UPDATE meta SET value = value + NEW.size WHERE key = 'quota_bytes';"                    \
	"  UPDATE meta SET value = value + 1 WHERE key = 'quota_messages';"                        \
	" END;"                                                                                    \
	"CREATE TRIGGER quota_delete AFTER DELETE ON messages BEGIN"                               \
	"  UPDATE meta SET value = value - OLD.size WHERE key = 'quota_bytes';"                    \
	"  UPDATE meta SET value = value - 1 WHERE key = 'quota_messages';"                        \
	" END;"                                                                                    \
	"CREATE TRIGGER quota_resize AFTER UPDATE OF size ON messages BEGIN"                       \
	"  UPDATE meta SET value = value - OLD.size + NEW.size WHERE key = 'quota_bytes';"         \
	" END;"

#endif
