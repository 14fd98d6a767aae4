/* Deliveries and appends: build a record, write it to the journal, have it synced (group
 * commit by the sync thread, or inline for the _sync variants), then apply it and call
 * back. The MIME summaries are built while the fdatasync runs (on an io thread with the
 * files written ahead, store_prewrite.c). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log.h"
#include "mail/msg_summary.h"
#include "store/store_private.h"
#include "util/rand.h"
#include "util/xmalloc.h"

void
store_summaries_free(const struct store_rec *rec, struct msg_summary **summaries)
{
	if (summaries == NULL)
		return;
	for (size_t i = 0; i < rec->n_targets; i++) {
		bool shared = false;

		for (size_t j = 0; j < i && !shared; j++)
			shared = summaries[j] == summaries[i];
		if (summaries[i] != NULL && !shared) {
			msg_summary_free(summaries[i]);
			free(summaries[i]);
		}
	}
	free(summaries);
}

void
store_pending_free(struct store_pending *p)
{
	struct store_rec *rec = &p->rec;

	store_summaries_free(rec, p->summaries);
	for (size_t i = 0; i < rec->n_targets; i++)
		free((void *)rec->targets[i].prefix);
	free(p->target_done);
	free(p->target_moved);
	store_record_free(rec);
	free(p->msg_copy);
	free(p);
}

static struct store_pending *
pending_new(enum store_record_type type, const struct store_target *targets, size_t n,
	    const char *msg, size_t len, time_t internaldate, const char **error_r)
{
	struct store_pending *p = xcalloc(1, sizeof(*p));
	struct store_rec *rec = &p->rec;

	rec->type = type;
	rand_bytes(rec->id, sizeof(rec->id));
	rec->internaldate = internaldate != 0 ? internaldate : time(NULL);
	p->msg_copy = xmalloc(len + 1);
	if (len > 0)
		memcpy(p->msg_copy, msg, len);
	rec->msg = p->msg_copy;
	rec->msg_len = len;
	rec->targets = xcalloc(n, sizeof(*rec->targets));
	rec->n_targets = n;
	p->target_done = xcalloc(n, sizeof(bool));
	p->target_moved = xcalloc(n, sizeof(bool));
	for (size_t i = 0; i < n; i++) {
		struct store_rec_target *t = &rec->targets[i];

		t->account = store_account_name_normalize(targets[i].account);
		t->mailbox = targets[i].mailbox != NULL ? xstrdup(targets[i].mailbox) : NULL;
		t->keywords = xcalloc(1, sizeof(char *));
		if (targets[i].prefix_len > 0) {
			char *copy = xmalloc(targets[i].prefix_len);

			memcpy(copy, targets[i].prefix, targets[i].prefix_len);
			t->prefix = copy;
			t->prefix_len = targets[i].prefix_len;
		}
		if (t->account == NULL || (t->mailbox != NULL && strlen(t->mailbox) > 65535)) {
			*error_r = "invalid delivery target";
			store_pending_free(p);
			return NULL;
		}
	}
	return p;
}

/* One summary per distinct prefix (the usual case, no prefix or the same, shares one). */
struct msg_summary **
store_summaries_build(const struct store_rec *rec)
{
	struct msg_summary **out = xcalloc(rec->n_targets, sizeof(*out));

	for (size_t i = 0; i < rec->n_targets; i++) {
		const struct store_rec_target *t = &rec->targets[i];
		char *full;

		for (size_t j = 0; j < i && out[i] == NULL; j++) {
			const struct store_rec_target *u = &rec->targets[j];

			if (u->prefix_len == t->prefix_len &&
			    (t->prefix_len == 0 ||
			     memcmp(u->prefix, t->prefix, t->prefix_len) == 0))
				out[i] = out[j];
		}
		if (out[i] != NULL)
			continue;
		out[i] = xcalloc(1, sizeof(struct msg_summary));
		if (t->prefix_len == 0) {
			msg_summary_build(rec->msg, rec->msg_len, out[i]);
			continue;
		}
		full = xmalloc(t->prefix_len + rec->msg_len + 1);
		memcpy(full, t->prefix, t->prefix_len);
		memcpy(full + t->prefix_len, rec->msg, rec->msg_len);
		msg_summary_build(full, t->prefix_len + rec->msg_len, out[i]);
		free(full);
	}
	return out;
}

static void
pending_finish(struct store_pending *p)
{
	if (p->deliver_cb != NULL)
		p->deliver_cb(p->ctx, p->result, p->result == 0 ? NULL : p->error);
	else if (p->append_cb != NULL)
		p->append_cb(p->ctx, p->result, p->uidvalidity, p->uid,
			     p->result == 0 ? NULL : p->error);
	/* an io thread may still be writing its file ahead (store_prewrite.c) */
	p->finished = true;
	if (p->prewrites == 0)
		store_pending_free(p);
}

/* Journals p and queues it; on failure calls back and frees p. With sync set (or without
 * an event base), completes it before returning. */
static int
pending_submit(struct store *store, struct store_pending *p, bool sync, const char **error_r)
{
	uint64_t seq;

	if (store_journal_write(store, &p->rec, &seq, &p->error) < 0) {
		p->result = -1;
		*error_r = p->error;
		pending_finish(p);
		return -1;
	}
	p->seq = seq;
	p->jnum = store->next_jnum - 1;
	if (store->pending_tail != NULL)
		store->pending_tail->next = p;
	else
		store->pending_head = p;
	store->pending_tail = p;
	/* the summaries are built with the files written ahead, off the loop; inline when
	 * there is nothing to overlap. The files go into msg/ on the sync thread (before the
	 * request, so that the round covering p has them). */
	if (!sync && store->sync.started && store->io != NULL) {
		store_prewrite_start(store, p);
		store_sync_add_moves(store, p);
	} else {
		p->summaries = store_summaries_build(&p->rec);
	}
	store_sync_request(store, seq);
	store_checkpoint_poll(store);
	if (sync || !store->sync.started)
		store_sync_now(store);
	return 0;
}

static int
check_targets(struct store *store, const struct store_target *targets, size_t n,
	      const char **error_r)
{
	if (n == 0) {
		*error_r = "no delivery targets";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!store_account_exists(store, targets[i].account)) {
			*error_r = "no such account";
			return -1;
		}
	}
	return 0;
}

/* Delivery results are kept until the callback: the sync variant reads them back. */
struct sync_wait {
	bool done;
	int result;
	const char *error;
	uint32_t uidvalidity, uid;
};

static void
sync_deliver_cb(void *ctx, int result, const char *error)
{
	struct sync_wait *w = ctx;

	w->done = true;
	w->result = result;
	w->error = error;
}

void
store_deliver(struct store *store, const struct store_target *targets, size_t n_targets,
	      const char *msg, size_t len, time_t internaldate, store_deliver_cb *cb, void *ctx)
{
	struct store_pending *p;
	const char *error;

	if (check_targets(store, targets, n_targets, &error) < 0 ||
	    (p = pending_new(STORE_RECORD_DELIVER, targets, n_targets, msg, len, internaldate,
			     &error)) == NULL) {
		cb(ctx, -1, error);
		return;
	}
	p->deliver_cb = cb;
	p->ctx = ctx;
	pending_submit(store, p, false, &error);
}

int
store_deliver_sync(struct store *store, const struct store_target *targets, size_t n_targets,
		   const char *msg, size_t len, time_t internaldate, const char **error_r)
{
	struct sync_wait w = {0};
	struct store_pending *p;

	if (check_targets(store, targets, n_targets, error_r) < 0)
		return -1;
	p = pending_new(STORE_RECORD_DELIVER, targets, n_targets, msg, len, internaldate, error_r);
	if (p == NULL)
		return -1;
	p->deliver_cb = sync_deliver_cb;
	p->ctx = &w;
	if (pending_submit(store, p, true, error_r) < 0)
		return -1;
	if (!w.done || w.result < 0) {
		*error_r = w.done ? w.error : "delivery did not complete";
		return -1;
	}
	return 0;
}

static struct store_pending *
append_new(struct store_account *acct, const char *mailbox, uint32_t flags,
	   const char *const *keywords, size_t n_keywords, const char *msg, size_t len,
	   time_t internaldate, long internaldate_tz, const char **error_r)
{
	struct store_target target = {acct->name, mailbox, NULL, 0};
	struct store_mailbox_row row;
	struct store_pending *p;
	char *name = xstrdup(mailbox);
	int found;

	if (store_mailbox_name_normalize(name) < 0) {
		free(name);
		store_account_fail(acct, STORE_ERR_INVALID, "invalid mailbox name", error_r);
		return NULL;
	}
	found = store_mailbox_row_by_name(acct, name, &row);
	if (found > 0 && row.noselect)
		found = 0;
	if (found > 0)
		store_mailbox_row_free(&row);
	if (found <= 0) {
		free(name);
		store_account_fail(acct, found < 0 ? STORE_ERR_TEMP : STORE_ERR_NONEXISTENT,
				   found < 0 ? "index error" : "no such mailbox", error_r);
		return NULL;
	}
	target.mailbox = name;
	p = pending_new(STORE_RECORD_APPEND, &target, 1, msg, len, internaldate, error_r);
	free(name);
	if (p == NULL)
		return NULL;
	p->rec.targets[0].flags = flags & STORE_FLAGS_STORABLE;
	if (internaldate_tz > -86400 && internaldate_tz < 86400)
		p->rec.internaldate_tz = (int32_t)internaldate_tz;
	free(p->rec.targets[0].keywords);
	p->rec.targets[0].keywords = xcalloc(n_keywords + 1, sizeof(char *));
	for (size_t i = 0; i < n_keywords; i++)
		p->rec.targets[0].keywords[i] = xstrdup(keywords[i]);
	p->rec.targets[0].n_keywords = n_keywords;
	acct->errcode = STORE_ERR_NONE;
	return p;
}

void
store_append(struct store_account *acct, const char *mailbox, uint32_t flags,
	     const char *const *keywords, size_t n_keywords, time_t internaldate,
	     long internaldate_tz, const char *msg, size_t len, store_append_cb *cb, void *ctx)
{
	struct store_pending *p;
	const char *error;

	p = append_new(acct, mailbox, flags, keywords, n_keywords, msg, len, internaldate,
		       internaldate_tz, &error);
	if (p == NULL) {
		cb(ctx, -1, 0, 0, error);
		return;
	}
	p->append_cb = cb;
	p->ctx = ctx;
	pending_submit(acct->store, p, false, &error);
}

static void
sync_append_cb(void *ctx, int result, uint32_t uidvalidity, uint32_t uid, const char *error)
{
	struct sync_wait *w = ctx;

	w->done = true;
	w->result = result;
	w->error = error;
	w->uidvalidity = uidvalidity;
	w->uid = uid;
}

int
store_append_sync(struct store_account *acct, const char *mailbox, uint32_t flags,
		  const char *const *keywords, size_t n_keywords, time_t internaldate,
		  long internaldate_tz, const char *msg, size_t len, uint32_t *uidvalidity_r,
		  uint32_t *uid_r, const char **error_r)
{
	struct sync_wait w = {0};
	struct store_pending *p;

	p = append_new(acct, mailbox, flags, keywords, n_keywords, msg, len, internaldate,
		       internaldate_tz, error_r);
	if (p == NULL)
		return -1;
	p->append_cb = sync_append_cb;
	p->ctx = &w;
	if (pending_submit(acct->store, p, true, error_r) < 0)
		return -1;
	if (!w.done || w.result < 0) {
		*error_r = w.done ? w.error : "append did not complete";
		return -1;
	}
	*uidvalidity_r = w.uidvalidity;
	*uid_r = w.uid;
	return 0;
}

/* A failed record gets a cancel record, so a replay never applies it (best effort: if
 * this one is lost in a crash, the replay may deliver what the client saw fail: a
 * duplicate, never a loss). */
static void
write_cancel(struct store *store, const struct store_pending *p)
{
	struct store_rec cancel = {.type = STORE_RECORD_CANCEL};
	const char *error;
	uint64_t seq;

	memcpy(cancel.id, p->rec.id, sizeof(cancel.id));
	if (store_journal_write(store, &cancel, &seq, &error) == 0)
		store_sync_request(store, seq);
}

void
store_deliver_complete(struct store *store, uint64_t done, uint64_t failed)
{
	struct store_pending *batch = NULL, **tail = &batch, *p;

	while (store->pending_head != NULL && store->pending_head->seq <= done) {
		p = store->pending_head;
		store->pending_head = p->next;
		p->next = NULL;
		if (p->seq <= failed) {
			p->result = -1;
			p->error = "journal sync failed";
		}
		if (p->seq > store->applied_seq)
			store->applied_seq = p->seq;
		*tail = p;
		tail = &p->next;
	}
	if (store->pending_head == NULL)
		store->pending_tail = NULL;
	if (batch == NULL)
		return;
	store_apply_batch(store, batch);
	for (p = batch; p != NULL; p = p->next) {
		if (p->result < 0) {
			write_cancel(store, p);
			store_prewrite_discard(store, p);
		}
	}
	while (batch != NULL) {
		p = batch;
		batch = p->next;
		pending_finish(p);
	}
	store_checkpoint_poll(store);
}
