/* Applying a batch of durable records: every target in its account's transaction (one
 * per account per batch, a savepoint per target), undoing the other targets of a record
 * that failed somewhere, then commits, notify events and the records' results. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "log/log.h"
#include "store/store_private.h"
#include "util/xmalloc.h"

struct batch {
	struct store *store;
	struct store_account *touched; /* via apply_next, each holding one reference */
};

static struct store_account *
batch_account(struct batch *b, const char *name, const char **error_r)
{
	struct store_account *acct = store_account_open(b->store, name, error_r);

	if (acct == NULL)
		return NULL;
	if (acct->in_batch) {
		store_account_unref(&(struct store_account *){acct});
		return acct;
	}
	if (db_begin(acct->db) < 0) {
		store_account_unref(&acct);
		*error_r = "index busy";
		return NULL;
	}
	store_apply_prune(acct);
	acct->in_batch = true;
	acct->apply_next = b->touched;
	b->touched = acct;
	return acct;
}

static void
undo_record(struct store_pending *p, bool in_tx)
{
	for (size_t j = 0; j < p->rec.n_targets; j++) {
		struct store_account *acct = p->accts[j];

		if (!p->target_done[j])
			continue;
		p->target_done[j] = false;
		if (!in_tx || !acct->in_batch) {
			/* its batch transaction is over: a transaction of its own */
			db_begin(acct->db);
			store_apply_undo(acct, p->rec.id, j);
			db_commit(acct->db);
		} else {
			store_apply_undo(acct, p->rec.id, j);
		}
	}
}

static void
apply_record(struct batch *b, struct store_pending *p)
{
	size_t n = p->rec.n_targets;

	p->accts = xcalloc(n, sizeof(*p->accts));
	p->results = xcalloc(n, sizeof(*p->results));
	for (size_t ti = 0; ti < n && p->result == 0; ti++) {
		struct store_account *acct =
			batch_account(b, p->rec.targets[ti].account, &p->error);

		if (acct == NULL) {
			p->result = -1;
			break;
		}
		p->accts[ti] = acct;
		db_exec(acct->db, "SAVEPOINT target");
		if (store_apply_target(acct, &p->rec, ti, p->jnum,
				       p->summaries != NULL ? p->summaries[ti] : NULL,
				       p->target_moved[ti], &p->results[ti], &p->error) < 0) {
			db_exec(acct->db, "ROLLBACK TO target");
			p->result = -1;
		} else {
			p->target_done[ti] = true;
		}
		db_exec(acct->db, "RELEASE target");
	}
	if (p->result < 0)
		undo_record(p, true);
	else if (n > 0) {
		p->uidvalidity = p->results[0].uidvalidity;
		p->uid = p->results[0].uid;
	}
}

/* A failed commit fails every record with a target in that account. */
static void
commit_failed(struct store_pending *batch, struct store_account *acct)
{
	log_error("store: %s: commit failed: %s", acct->name, db_errmsg(acct->db));
	db_rollback(acct->db);
	acct->in_batch = false;
	for (struct store_pending *p = batch; p != NULL; p = p->next) {
		bool hit = false;

		for (size_t j = 0; j < p->rec.n_targets && p->result == 0; j++) {
			if (p->accts[j] == acct && p->target_done[j]) {
				char file[48], *path;

				/* the rows are rolled back; the file is not */
				store_apply_file_name(p->rec.id, j, file);
				path = xasprintf("%s/msg/%s", acct->dir, file);
				unlink(path);
				free(path);
				p->target_done[j] = false;
				hit = true;
			}
		}
		if (hit) {
			p->result = -1;
			p->error = "index commit failed";
			undo_record(p, true);
		}
	}
}

static void
emit_events(struct store *store, struct store_pending *batch)
{
	for (struct store_pending *p = batch; p != NULL; p = p->next) {
		for (size_t i = 0; i < p->rec.n_targets && p->result == 0; i++) {
			struct store_apply_result *r = &p->results[i];
			bool later = false;

			/* one event per mailbox: at its last message in the batch */
			for (struct store_pending *q = p; q != NULL && !later; q = q->next) {
				for (size_t j = (q == p ? i + 1 : 0);
				     j < q->rec.n_targets && q->result == 0 && !later; j++)
					later = q->accts[j] == p->accts[i] &&
						q->results[j].mailbox_id == r->mailbox_id;
			}
			if (!later)
				store_notify_emit(store, STORE_EVENT_NEW, p->accts[i]->name,
						  r->mailbox_id, r->mailbox, r->modseq);
		}
	}
}

void
store_apply_batch(struct store *store, struct store_pending *batch)
{
	struct batch b = {store, NULL};
	struct store_account *acct, *next;

	for (struct store_pending *p = batch; p != NULL; p = p->next) {
		if (p->result == 0)
			apply_record(&b, p);
		else
			p->accts = xcalloc(p->rec.n_targets, sizeof(*p->accts));
	}
	for (acct = b.touched; acct != NULL; acct = acct->apply_next) {
		if (db_commit(acct->db) < 0)
			commit_failed(batch, acct);
		acct->in_batch = false;
	}
	store->dirty = true;
	emit_events(store, batch);
	for (acct = b.touched; acct != NULL; acct = next) {
		next = acct->apply_next;
		acct->apply_next = NULL;
		store_account_unref(&acct);
	}
	for (struct store_pending *p = batch; p != NULL; p = p->next) {
		for (size_t i = 0; p->results != NULL && i < p->rec.n_targets; i++)
			free(p->results[i].mailbox);
		free(p->results);
		p->results = NULL;
		free(p->accts);
		p->accts = NULL;
	}
}
