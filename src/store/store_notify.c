/* The notify bus (see store_notify.h): per account a list of subscribers, called in
 * subscription order. Unsubscribing while a list is being dispatched only marks the entry;
 * it is freed when the outermost dispatch of that list ends. */
#include <stdlib.h>

#include "store/store_private.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xmalloc.h"

struct store_notify_list {
	char *account;
	struct store_notify *head, *tail;
	int dispatching;
	bool has_dead;
};

struct store_notify {
	struct store *store;
	struct store_notify_list *list;
	struct store_notify *prev, *next;
	store_notify_cb *cb;
	void *ctx;
	bool dead;
};

struct store_notify *
store_notify_subscribe(struct store *store, const char *account, store_notify_cb *cb, void *ctx)
{
	char *name = store_account_name_normalize(account);
	struct store_notify_list *list;
	struct store_notify *sub;

	if (name == NULL) {
		name = xstrdup(account);
		str_lower(name);
	}
	list = strmap_get(store->notify, name);
	if (list == NULL) {
		list = xcalloc(1, sizeof(*list));
		list->account = name;
		strmap_set(store->notify, name, list);
	} else {
		free(name);
	}
	sub = xcalloc(1, sizeof(*sub));
	sub->store = store;
	sub->list = list;
	sub->cb = cb;
	sub->ctx = ctx;
	sub->prev = list->tail;
	if (list->tail != NULL)
		list->tail->next = sub;
	else
		list->head = sub;
	list->tail = sub;
	return sub;
}

static void
unlink_sub(struct store_notify_list *list, struct store_notify *sub)
{
	if (sub->prev != NULL)
		sub->prev->next = sub->next;
	else
		list->head = sub->next;
	if (sub->next != NULL)
		sub->next->prev = sub->prev;
	else
		list->tail = sub->prev;
	free(sub);
}

static void
list_maybe_free(struct store *store, struct store_notify_list *list)
{
	if (list->head != NULL || list->dispatching > 0)
		return;
	strmap_set(store->notify, list->account, NULL);
	free(list->account);
	free(list);
}

void
store_notify_unsubscribe(struct store_notify **subp)
{
	struct store_notify *sub = *subp;
	struct store_notify_list *list;

	if (sub == NULL)
		return;
	*subp = NULL;
	list = sub->list;
	if (list->dispatching > 0) {
		sub->dead = true;
		list->has_dead = true;
		return;
	}
	{
		struct store *store = sub->store;

		unlink_sub(list, sub);
		list_maybe_free(store, list);
	}
}

static void
dispatch(struct store *store, const struct store_event *evp)
{
	struct store_notify_list *list = strmap_get(store->notify, evp->account);
	struct store_event ev = *evp;

	if (list == NULL)
		return;
	list->dispatching++;
	for (struct store_notify *sub = list->head; sub != NULL; sub = sub->next) {
		if (!sub->dead)
			sub->cb(sub->ctx, &ev);
	}
	if (--list->dispatching > 0 || !list->has_dead)
		return;
	list->has_dead = false;
	for (struct store_notify *sub = list->head, *next; sub != NULL; sub = next) {
		next = sub->next;
		if (sub->dead)
			unlink_sub(list, sub);
	}
	list_maybe_free(store, list);
}

void
store_notify_emit(struct store *store, enum store_event_type type, const char *account,
		  uint64_t mailbox_id, const char *mailbox, uint64_t modseq)
{
	struct store_event ev = {type, account, mailbox_id, mailbox, modseq, NULL};

	dispatch(store, &ev);
}

void
store_notify_emit_rename(struct store *store, const char *account, uint64_t mailbox_id,
			 const char *old_name, const char *new_name)
{
	struct store_event ev = {STORE_EVENT_MAILBOX, account, mailbox_id, new_name, 0, old_name};

	dispatch(store, &ev);
}

static void
free_list(const char *key, void *value, void *ctx)
{
	struct store_notify_list *list = value;

	(void)key;
	(void)ctx;
	while (list->head != NULL) {
		struct store_notify *sub = list->head;

		list->head = sub->next;
		free(sub);
	}
	free(list->account);
	free(list);
}

void
store_notify_free_all(struct store *store)
{
	if (store->notify != NULL)
		strmap_foreach(store->notify, free_list, NULL);
}
