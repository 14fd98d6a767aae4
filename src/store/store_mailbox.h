/* Mailboxes of an account: list with attributes, create, delete, rename, subscriptions and
 * STATUS. Names are UTF-8 (IMAP converts modified UTF-7 on the wire), the hierarchy
 * delimiter is '/', and "INBOX" is case-insensitive (any case is stored as "INBOX", also as
 * the first component of a child: "inbox/x" is "INBOX/x"). Names must be non-empty, at most
 * STORE_MAILBOX_NAME_MAX bytes, with no empty component, no control characters and no
 * '*' or '%'. Changes are committed (visible, subscribers notified) when they return and
 * durable once store_account_sync() calls back: answer the client from there. */
#ifndef STORE_STORE_MAILBOX_H
#define STORE_STORE_MAILBOX_H
#include <stddef.h>
#include <stdint.h>

struct store_account;

#define STORE_MAILBOX_NAME_MAX 500

/* Attributes of a listed name (RFC 3501 7.2.2, RFC 3348 CHILDREN, RFC 5258, RFC 6154). */
enum store_mailbox_attr {
	STORE_MAILBOX_NOSELECT = 1 << 0,     /* exists only as a parent */
	STORE_MAILBOX_NONEXISTENT = 1 << 1,  /* only subscribed, no such mailbox */
	STORE_MAILBOX_HAS_CHILDREN = 1 << 2, /* else \HasNoChildren */
	STORE_MAILBOX_SUBSCRIBED = 1 << 3,
	STORE_MAILBOX_SENT = 1 << 8, /* special-use, RFC 6154 */
	STORE_MAILBOX_DRAFTS = 1 << 9,
	STORE_MAILBOX_TRASH = 1 << 10,
	STORE_MAILBOX_JUNK = 1 << 11,
	STORE_MAILBOX_ARCHIVE = 1 << 12,
	STORE_MAILBOX_ALL = 1 << 13,
	STORE_MAILBOX_FLAGGED = 1 << 14,
};
#define STORE_MAILBOX_SPECIAL_USE_MASK 0x7f00u

struct store_mailbox_info {
	char *name;
	unsigned attrs; /* enum store_mailbox_attr */
};

/* Every mailbox (INBOX first, then by name, byte order) plus every subscribed name that
 * does not exist (STORE_MAILBOX_NONEXISTENT). IMAP applies LIST patterns itself. Free with
 * store_mailbox_list_free(). 0 ok, -1 with *error_r. */
int store_mailbox_list(struct store_account *acct, struct store_mailbox_info **list_r,
		       size_t *count_r, const char **error_r);
void store_mailbox_list_free(struct store_mailbox_info **list, size_t count);
/* "\\Sent" etc. for the first special-use bit in attrs, NULL if none. */
const char *store_mailbox_special_use_name(unsigned attrs);
/* Parses "\\Sent" etc. (case-insensitive) to its bit; 0 if unknown. */
unsigned store_mailbox_special_use_parse(const char *name);
/* Normalizes name in place (INBOX case) and validates it. 0 ok, -1 invalid. */
int store_mailbox_name_normalize(char *name);

/* Creates name, and its missing parents (RFC 3501 6.3.3), with special_use attributes
 * (RFC 6154 CREATE-SPECIAL-USE; 0 for none). Creating a \Noselect parent makes it a real
 * mailbox with a new UIDVALIDITY. Fails with STORE_ERR_EXISTS if it exists. */
int store_mailbox_create(struct store_account *acct, const char *name, unsigned special_use,
			 const char **error_r);
/* RFC 3501 6.3.4: INBOX cannot be deleted; a mailbox with children loses its messages and
 * becomes \Noselect; a \Noselect with children cannot be deleted. The UIDVALIDITY of a
 * later mailbox of that name is new. Subscriptions are kept (RFC 3501 6.3.6). */
int store_mailbox_delete(struct store_account *acct, const char *name, const char **error_r);
/* RFC 3501 6.3.5: renames name and all its children (they keep UIDs, UIDVALIDITY, special
 * use; subscriptions follow); missing parents of new_name are created. Renaming INBOX
 * moves its messages into a new mailbox new_name (new UIDVALIDITY) and leaves INBOX empty
 * (its children stay). Fails with STORE_ERR_EXISTS if new_name exists. */
int store_mailbox_rename(struct store_account *acct, const char *name, const char *new_name,
			 const char **error_r);
/* Subscriptions may name mailboxes that do not exist (RFC 3501 6.3.6). Idempotent. */
int store_mailbox_subscribe(struct store_account *acct, const char *name, const char **error_r);
int store_mailbox_unsubscribe(struct store_account *acct, const char *name, const char **error_r);
/* Sets the special-use attributes of an existing mailbox (e.g. RFC 6154 METADATA-less admin
 * use). */
int store_mailbox_set_special_use(struct store_account *acct, const char *name,
				  unsigned special_use, const char **error_r);

/* RFC 3501 6.3.10 STATUS, RFC 7162 HIGHESTMODSEQ, RFC 8438 SIZE, RFC 9051 DELETED. Reading it
 * changes no \Recent state. Fails with STORE_ERR_NONEXISTENT for a missing or \Noselect mailbox. */
struct store_status {
	uint32_t messages;
	uint32_t recent;
	uint32_t uidnext;
	uint32_t uidvalidity;
	uint32_t unseen;
	uint32_t deleted; /* with \Deleted (RFC 9051 6.3.11 STATUS DELETED) */
	uint64_t highestmodseq;
	uint64_t size;         /* sum of RFC822.SIZE */
	uint64_t deleted_size; /* ... of the messages with \Deleted (RFC 9208 DELETED-STORAGE) */
};
int store_mailbox_status(struct store_account *acct, const char *name, struct store_status *st,
			 const char **error_r);

#endif
