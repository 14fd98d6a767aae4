/* RFC 5267 4.3: live SEARCH and SORT results (see imap_context.h). A context is evaluated
 * again only when its mailbox changed since (HIGHESTMODSEQ, message count or last UID):
 * on the messages that changed when its keys allow (evaluate_changed), else on the whole
 * view; the old and new results are compared. */
#include "imap/imap_context.h"

#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "imap/imap_parser.h"
#include "imap/imap_seqset.h"
#include "imap/imap_session.h"
#include "imap/imap_sort_cache.h"
#include "imap/imap_sort_set.h"
#include "log/log.h"
#include "mail/imap_quote.h"
#include "store/store_msg.h"
#include "store/store_view.h"
#include "util/xmalloc.h"

struct imap_context {
	struct imap_context *next;
	char *tag;
	bool uid;
	struct imap_search_query q;
	unsigned fields, n_slots;
	bool sort;
	struct imap_sort_crit crit[IMAP_SORT_MAX_CRITERIA];
	size_t n_crit;
	unsigned sort_keys;
	uint32_t *uids; /* the result as the client knows it, in its order */
	size_t n;
	/* the mailbox when the result was last computed */
	uint64_t modseq;
	size_t count;
	uint32_t last_uid;
};

static void
snapshot(struct imap_session *s, struct imap_context *c)
{
	size_t count = store_view_count(s->view);

	c->modseq = store_view_highestmodseq(s->view);
	c->count = count;
	c->last_uid = count > 0 ? store_view_msgs(s->view)[count - 1].uid : 0;
}

static size_t
count_contexts(const struct imap_session *s)
{
	size_t n = 0;

	for (const struct imap_context *c = s->contexts; c != NULL; c = c->next)
		n++;
	return n;
}

bool
imap_context_add(struct imap_session *s, const struct imap_context_def *def,
		 struct imap_search_query *q, const uint32_t *uids, size_t n)
{
	const struct settings *set = imap_server_deps(s->server)->settings;
	struct imap_context *c, **tail;

	if (count_contexts(s) >= set->imap_max_contexts)
		return false;
	c = xcalloc(1, sizeof(*c));
	c->tag = xstrdup(def->tag);
	c->uid = def->uid;
	c->q = *q;
	c->fields = def->fields;
	c->n_slots = def->n_slots;
	if (def->crit != NULL) {
		c->sort = true;
		c->n_crit = def->n_crit;
		memcpy(c->crit, def->crit, def->n_crit * sizeof(*c->crit));
		c->sort_keys = def->sort_keys;
	}
	c->uids = xmalloc((n + 1) * sizeof(uint32_t));
	memcpy(c->uids, uids, n * sizeof(uint32_t));
	c->n = n;
	snapshot(s, c);
	for (tail = &s->contexts; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = c;
	return true;
}

static void
context_free(struct imap_context *c)
{
	imap_search_query_free(&c->q);
	free(c->uids);
	free(c->tag);
	free(c);
}

void
imap_context_free_all(struct imap_session *s)
{
	while (s->contexts != NULL) {
		struct imap_context *c = s->contexts;

		s->contexts = c->next;
		context_free(c);
	}
}

static void
begin_reply(struct buf *b, const struct imap_context *c)
{
	buf_appends(b, "* ESEARCH (TAG ");
	imap_quote_append_str(b, c->tag);
	buf_appendc(b, ')');
	if (c->uid)
		buf_appends(b, " UID");
}

void
imap_context_expunged(struct imap_session *s, const uint32_t *uids, const uint32_t *seqs, size_t n)
{
	for (struct imap_context *c = s->contexts; c != NULL; c = c->next) {
		uint32_t *ids = xmalloc((c->n + 1) * sizeof(uint32_t));
		size_t n_ids = 0, first_pos = 0, k = 0;

		/* both lists are short next to a mailbox: n x result is fine for what an
		 * EXPUNGE removes; the result keeps its order */
		for (size_t i = 0; i < c->n; i++) {
			size_t e;

			for (e = 0; e < n && uids[e] != c->uids[i]; e++)
				;
			if (e == n) {
				c->uids[k++] = c->uids[i];
				continue;
			}
			if (n_ids == 0)
				first_pos = i + 1;
			ids[n_ids++] = c->uid ? uids[e] : seqs[e];
		}
		c->n = k;
		if (n_ids > 0) {
			struct buf b = BUF_INIT;

			begin_reply(&b, c);
			buf_printf(&b, " REMOVEFROM (%zu ", first_pos);
			imap_seqset_write_list(&b, ids, n_ids);
			buf_appends(&b, ")\r\n");
			imap_send_raw(s, b.data, b.len);
			buf_free(&b);
		}
		free(ids);
	}
}

struct sort_collect {
	struct imap_sort_set set;
};

static void
collect_match(void *arg, struct imap_session *s, uint32_t seq, const struct store_msg_meta *meta)
{
	struct sort_collect *sc = arg;

	imap_sort_set_add(&sc->set, s, seq, meta);
}

/* The context's result now, in its order. */
static int
evaluate(struct imap_session *s, struct imap_context *c, uint32_t **uids_r, size_t *n_r)
{
	struct sort_collect sc;
	struct imap_search_hook hook = {.match = collect_match, .arg = &sc};
	uint32_t *uids;
	size_t n;

	memset(&sc, 0, sizeof(sc));
	sc.set.keys = c->sort_keys;
	if (imap_search_eval_view(s, &c->q, c->fields, c->n_slots, c->sort ? &hook : NULL, &uids,
				  &n) < 0) {
		imap_sort_set_free(&sc.set);
		return -1;
	}
	if (c->sort) {
		imap_sort_set_backfill(&sc.set, s);
		imap_sort_msgs(sc.set.msgs, sc.set.n, sc.set.arena.data, c->crit, c->n_crit);
		for (size_t i = 0; i < sc.set.n && i < n; i++)
			uids[i] = sc.set.msgs[i].uid;
	}
	imap_sort_set_free(&sc.set);
	*uids_r = uids;
	*n_r = n;
	return 0;
}

/* Whether a key's result depends on more than its message: message numbers shift with
 * expunges, "*" moves with new mail, "$" is another command's result. */
static bool
key_positional(const struct imap_search_key *k)
{
	if (k->type == IMAP_SEARCH_SEQSET)
		return true;
	if (k->type == IMAP_SEARCH_UID) {
		if (k->set.saved)
			return true;
		for (size_t i = 0; i < k->set.count; i++) {
			if (k->set.ranges[i].lo == IMAP_SEQ_STAR ||
			    k->set.ranges[i].hi == IMAP_SEQ_STAR)
				return true;
		}
	}
	for (size_t i = 0; i < k->count; i++) {
		if (key_positional(&k->children[i]))
			return true;
	}
	return false;
}

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool
uid_in(const uint32_t *sorted, size_t n, uint32_t uid)
{
	return bsearch(&uid, sorted, n, sizeof(uid), uid_cmp) != NULL;
}

/* The messages changed since the context's snapshot: new ones (past its last UID) and
 * those whose MODSEQ moved (flags, keywords), ascending. */
static uint32_t *
changed_since(struct imap_session *s, const struct imap_context *c, size_t *n_r)
{
	const struct store_view_msg *msgs = store_view_msgs(s->view);
	size_t count = store_view_count(s->view), n = 0;
	uint32_t *out = xmalloc((count + 1) * sizeof(*out));

	for (size_t i = 0; i < count; i++) {
		if (msgs[i].flags & STORE_FLAG_EXPUNGED)
			continue;
		if (msgs[i].uid > c->last_uid || msgs[i].modseq > c->modseq)
			out[n++] = msgs[i].uid;
	}
	*n_r = n;
	return out;
}

/* RFC 5267 4.3: the result brought up to date by evaluating the query on the messages that
 * changed only (a BODY search on a big mailbox then costs the changed messages, not the
 * mailbox). The others keep their membership: the query has no key that depends on
 * anything but the message (key_positional), their MODSEQ did not move, and their sort
 * keys never change (a SORT's new order comes from the sort cache's keys). 1 done, 0 not
 * possible here (evaluate the whole view), -1 index error. */
static int
evaluate_changed(struct imap_session *s, struct imap_context *c, uint32_t **uids_r, size_t *n_r)
{
	const struct imap_sort_set *cache = NULL;
	size_t n_changed, n_match, n = 0;
	uint32_t *changed, *match, *out;

	if (key_positional(&c->q.root) || c->modseq == 0)
		return 0;
	if (c->sort && (cache = imap_sort_cache_get(s, c->sort_keys)) == NULL)
		return 0;
	changed = changed_since(s, c, &n_changed);
	/* many changes: one walk of the view costs less than one walk per run */
	if (n_changed > 64 && n_changed > store_view_count(s->view) / 4) {
		free(changed);
		return 0;
	}
	if (imap_search_eval_uids(s, &c->q, c->fields, c->n_slots, NULL, changed, n_changed, &match,
				  &n_match) < 0) {
		free(changed);
		return -1;
	}
	out = xmalloc((c->n + n_match + 1) * sizeof(*out));
	/* the members that did not change, then the changed ones that match */
	for (size_t i = 0; i < c->n; i++) {
		uint32_t seq = store_view_seq(s->view, c->uids[i]);

		/* an expunge not reported yet leaves the result as in a whole evaluation */
		if (seq != 0 && !(store_view_msgs(s->view)[seq - 1].flags & STORE_FLAG_EXPUNGED) &&
		    !uid_in(changed, n_changed, c->uids[i]))
			out[n++] = c->uids[i];
	}
	memcpy(out + n, match, n_match * sizeof(*out));
	n += n_match;
	free(match);
	free(changed);
	if (!c->sort) {
		qsort(out, n, sizeof(*out), uid_cmp); /* mailbox order */
	} else {
		struct imap_sort_ref *refs = xmalloc((n + 1) * sizeof(*refs));
		size_t k = 0;

		for (size_t i = 0; i < n; i++) {
			size_t lo = 0, hi = cache->n;

			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;

				if (cache->msgs[mid].uid < out[i])
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo == cache->n || cache->msgs[lo].uid != out[i])
				continue; /* not cached (cannot happen: the cache covers the view)
					   */
			refs[k].m = &cache->msgs[lo];
			refs[k++].seq = store_view_seq(s->view, out[i]);
		}
		imap_sort_refs(refs, k, cache->arena.data, c->crit, c->n_crit);
		for (size_t i = 0; i < k; i++)
			out[i] = refs[i].m->uid;
		n = k;
		free(refs);
	}
	*uids_r = out;
	*n_r = n;
	return 1;
}

/* ADDTO / REMOVEFROM data for the members of list[] (in the result's order) not in
 * other_sorted: "pos set" pairs, pos being the 1-based position of the first (RFC 5267
 * 4.3.1). A SORT result gets one pair per run of consecutive positions; a SEARCH result
 * is in mailbox order whatever the positions, so one pair. */
static void
flush_pair(struct buf *b, const char *what, bool *any, size_t first, const uint32_t *ids,
	   size_t n_ids)
{
	if (!*any)
		buf_printf(b, " %s (", what);
	else
		buf_appendc(b, ' ');
	buf_printf(b, "%zu ", first);
	imap_seqset_write_list(b, ids, n_ids);
	*any = true;
}

static void
write_changes(struct imap_session *s, const struct imap_context *c, struct buf *b, const char *what,
	      const uint32_t *list, size_t n, const bool *marked)
{
	uint32_t *ids = xmalloc((n + 1) * sizeof(uint32_t));
	size_t n_ids = 0, first = 0;
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		uint32_t id = 0;

		if (marked[i])
			id = c->uid ? list[i] : store_view_seq(s->view, list[i]);
		if (id != 0) {
			if (n_ids == 0)
				first = i + 1;
			ids[n_ids++] = id;
		} else if (c->sort && n_ids > 0) {
			flush_pair(b, what, &any, first, ids, n_ids);
			n_ids = 0;
		}
	}
	if (n_ids > 0)
		flush_pair(b, what, &any, first, ids, n_ids);
	if (any)
		buf_appendc(b, ')');
	free(ids);
}

void
imap_context_sync(struct imap_session *s)
{
	for (struct imap_context *c = s->contexts; c != NULL; c = c->next) {
		size_t count = store_view_count(s->view), n_new;
		uint32_t last = count > 0 ? store_view_msgs(s->view)[count - 1].uid : 0;
		uint32_t *fresh;
		bool *removed, *added;
		struct buf b = BUF_INIT, rem = BUF_INIT, add = BUF_INIT;
		int ret;

		if (c->modseq == store_view_highestmodseq(s->view) && c->count == count &&
		    c->last_uid == last)
			continue;
		ret = evaluate_changed(s, c, &fresh, &n_new);
		if (ret == 0)
			ret = evaluate(s, c, &fresh, &n_new);
		if (ret < 0) {
			log_error("imap: %s: user=%s context %s: evaluation failed", s->base.id,
				  s->account, c->tag);
			continue;
		}
		snapshot(s, c);
		removed = xmalloc((c->n + 1) * sizeof(bool));
		added = xmalloc((n_new + 1) * sizeof(bool));
		imap_context_diff(c->uids, c->n, fresh, n_new, c->sort, removed, added);
		/* RFC 5267 4.3.2/4.3.3: what left the result (or its place), then what joined
		 * it (or got a new place) */
		write_changes(s, c, &rem, "REMOVEFROM", c->uids, c->n, removed);
		write_changes(s, c, &add, "ADDTO", fresh, n_new, added);
		if (rem.len > 0) {
			begin_reply(&b, c);
			buf_append(&b, rem.data, rem.len);
			buf_appends(&b, "\r\n");
		}
		if (add.len > 0) {
			begin_reply(&b, c);
			buf_append(&b, add.data, add.len);
			buf_appends(&b, "\r\n");
		}
		if (b.len > 0)
			imap_send_raw(s, b.data, b.len);
		buf_free(&rem);
		buf_free(&add);
		buf_free(&b);
		free(c->uids);
		c->uids = fresh;
		c->n = n_new;
		free(removed);
		free(added);
	}
}

/* CANCELUPDATE tag... (RFC 5267 4.3.4) */
void
imap_cmd_cancelupdate(struct imap_session *s, const struct imap_command *cmd)
{
	if (cmd->count == 0) {
		imap_bad(s, cmd->tag, "CANCELUPDATE needs tags");
		return;
	}
	for (size_t i = 0; i < cmd->count; i++) {
		const char *tag;
		struct imap_context **pc;

		if (!imap_arg_get_astring(&cmd->args[i], &tag)) {
			imap_bad(s, cmd->tag, "Invalid tag");
			return;
		}
		for (pc = &s->contexts; *pc != NULL && strcmp((*pc)->tag, tag) != 0;
		     pc = &(*pc)->next)
			;
		if (*pc == NULL) {
			imap_bad(s, cmd->tag, "No update context with tag %s", tag);
			return;
		}
		{
			struct imap_context *c = *pc;

			*pc = c->next;
			context_free(c);
		}
	}
	imap_ok(s, cmd->tag, "CANCELUPDATE completed");
}
