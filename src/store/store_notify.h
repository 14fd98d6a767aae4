/* The notify bus: every change the store applies to an account (new messages, flags,
 * expunges, mailbox create/delete/rename/subscribe) calls that account's subscribers
 * synchronously on the loop thread right after it is committed, so an IDLE session can
 * refresh its view and push within milliseconds. A subscriber may call any store function
 * from the callback, and may unsubscribe itself or others. */
#ifndef STORE_STORE_NOTIFY_H
#define STORE_STORE_NOTIFY_H
#include <stdint.h>

struct store;
struct store_notify;

enum store_event_type {
	STORE_EVENT_NEW,          /* messages appended/delivered/copied into mailbox */
	STORE_EVENT_FLAGS,        /* flags or keywords changed in mailbox */
	STORE_EVENT_EXPUNGE,      /* messages expunged from mailbox */
	STORE_EVENT_MAILBOX,      /* mailbox created, deleted or renamed */
	STORE_EVENT_SUBSCRIPTION, /* name (un)subscribed (mailbox_id 0) */
};

struct store_event {
	enum store_event_type type;
	const char *account;
	uint64_t mailbox_id; /* compare with store_view_mailbox_id(); 0 for subscriptions */
	const char *mailbox; /* its current name (the new one for a rename) */
	uint64_t modseq;     /* the mailbox's HIGHESTMODSEQ after the change (0 for MAILBOX) */
	/* MAILBOX of a rename: the old name (NOTIFY's LIST OLDNAME, RFC 5465 5.4); else NULL */
	const char *old_mailbox;
};

typedef void store_notify_cb(void *ctx, const struct store_event *ev);

/* Subscribes to the changes of account (need not be open, nor exist yet). Never fails. */
struct store_notify *store_notify_subscribe(struct store *store, const char *account,
					    store_notify_cb *cb, void *ctx);
/* Sets *sub NULL. Safe inside a callback (also for the subscription being called). */
void store_notify_unsubscribe(struct store_notify **sub);

#endif
