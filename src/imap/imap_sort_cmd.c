/* SORT and UID SORT (RFC 5256 3, RFC 5957 SORT=DISPLAY, RFC 5267 ESORT and PARTIAL):
 * the search runs as SEARCH does (imap_search_run: sliced, from the index); each match
 * hands its keys, read from the index (msg_sortkeys blob, sent date, size), to a
 * message set; at the end the set is ordered and sent. THREAD (imap_thread_cmd.c) uses
 * the same message set. */
#include <stdlib.h>
#include <string.h>

#include "imap/imap_parser.h"
#include "imap/imap_search.h"
#include "imap/imap_session.h"
#include "imap/imap_sort.h"
#include "imap/imap_sort_set.h"
#include "imap/imap_write.h"
#include "mail/imap_quote.h"
#include "store/store_msg.h"
#include "util/xmalloc.h"

struct sort_job {
	struct imap_sort_set set;
	struct imap_sort_crit crit[IMAP_SORT_MAX_CRITERIA];
	size_t n_crit;
	uint32_t *sorted_uids; /* the result in sort order (for a RETURN (UPDATE) context) */
	const char *arena;     /* the keys' arena: the sort cache's, or set.arena */
	/* the matches: entries of the sort cache (cached path), or of set */
	struct imap_sort_ref *refs;
	size_t n_refs, cap_refs;
};

static void
sort_match(void *arg, struct imap_session *s, uint32_t seq, const struct store_msg_meta *meta)
{
	struct sort_job *j = arg;

	imap_sort_set_add(&j->set, s, seq, meta);
}

/* a match served by the sort cache: its keys stay in the cache's arena */
static void
sort_cached_match(void *arg, const struct imap_sort_msg *msg, uint32_t seq, const char *arena)
{
	struct sort_job *j = arg;

	if (j->n_refs == j->cap_refs) {
		j->cap_refs = j->cap_refs ? j->cap_refs * 2 : 1024;
		j->refs = xrealloc(j->refs, j->cap_refs * sizeof(*j->refs));
	}
	j->refs[j->n_refs].m = msg;
	j->refs[j->n_refs++].seq = seq;
	j->arena = arena;
}

static void
sort_finish(void *arg, struct imap_session *s, const struct imap_command *cmd,
	    const struct imap_search_query *q)
{
	struct sort_job *j = arg;
	struct buf b = BUF_INIT;
	uint32_t *ids;

	size_t n;

	imap_sort_set_backfill(&j->set, s);
	if (j->arena == NULL) {
		/* the index path: sort references to the collected entries */
		j->refs = xrealloc(j->refs, (j->set.n + 1) * sizeof(*j->refs));
		for (size_t i = 0; i < j->set.n; i++) {
			j->refs[i].m = &j->set.msgs[i];
			j->refs[i].seq = j->set.msgs[i].seq;
		}
		j->n_refs = j->set.n;
	}
	n = j->n_refs;
	imap_sort_refs(j->refs, n, j->arena != NULL ? j->arena : j->set.arena.data, j->crit,
		       j->n_crit);
	ids = xmalloc((n + 1) * sizeof(*ids));
	j->sorted_uids = xmalloc((n + 1) * sizeof(*ids));
	for (size_t i = 0; i < n; i++) {
		ids[i] = cmd->uid ? j->refs[i].m->uid : j->refs[i].seq;
		j->sorted_uids[i] = j->refs[i].m->uid;
	}
	if (q->esearch && q->ret == IMAP_SEARCH_RET_SAVE) {
		/* RFC 5182 2.4: SAVE alone answers nothing */
	} else if (q->esearch) {
		/* RFC 5267 3.1: ESEARCH with the results in sort order */
		buf_appends(&b, "* ESEARCH (TAG ");
		imap_quote_append_str(&b, cmd->tag);
		buf_appendc(&b, ')');
		if (cmd->uid)
			buf_appends(&b, " UID");
		imap_search_write_esearch(&b, q, ids, n);
	} else {
		buf_appends(&b, "* SORT");
		for (size_t i = 0; i < n; i++) {
			buf_appendc(&b, ' ');
			imap_sort_append_u32(&b, ids[i]);
		}
	}
	if (b.len > 0) {
		buf_appends(&b, "\r\n");
		imap_send_raw(s, b.data, b.len);
	}
	buf_free(&b);
	free(ids);
}

static const uint32_t *
sort_result_uids(void *arg, size_t *n_r)
{
	struct sort_job *j = arg;

	*n_r = j->n_refs;
	return j->sorted_uids;
}

static void
sort_free(void *arg)
{
	struct sort_job *j = arg;

	imap_sort_set_free(&j->set);
	free(j->refs);
	free(j->sorted_uids);
	free(j);
}

void
imap_cmd_sort(struct imap_session *s, const struct imap_command *cmd)
{
	const struct imap_arg *args = cmd->args;
	size_t count = cmd->count, pos = 0;
	struct sort_job *j = xcalloc(1, sizeof(*j));
	struct imap_search_hook hook = {
		.name = "SORT",
		.fields = STORE_MSG_SORT | STORE_MSG_HEADER_INFO,
		.match = sort_match,
		.finish = sort_finish,
		.free = sort_free,
		.arg = j,
		.result_uids = sort_result_uids,
		.cached_match = sort_cached_match,
		.crit = j->crit,
	};
	const char *error;

	/* SORT [RETURN (...)] (criteria) charset search-keys: the search part is given to
	 * SEARCH as [RETURN (...)] CHARSET charset keys */
	if (count >= 2 && imap_arg_atom_equals(&args[0], "RETURN"))
		pos = 2;
	if (pos + 3 > count) {
		imap_bad(s, cmd->tag, "SORT needs criteria, a charset and search keys");
		sort_free(j);
		return;
	}
	if (imap_sort_parse_criteria(&args[pos], j->crit, &j->n_crit, &error) < 0) {
		imap_bad(s, cmd->tag, "%s", error);
		sort_free(j);
		return;
	}
	j->set.keys = imap_sort_keys_needed(j->crit, j->n_crit);
	/* read only what the criteria use: no blob for ARRIVAL, DATE, SIZE */
	hook.fields = j->set.keys != 0 ? STORE_MSG_SORT | STORE_MSG_HEADER_INFO : 0;
	for (size_t i = 0; i < j->n_crit; i++) {
		if (j->crit[i].key == IMAP_SORT_DATE)
			hook.fields |= STORE_MSG_HEADER_INFO;
	}
	hook.n_crit = j->n_crit;
	hook.sort_keys = j->set.keys;
	imap_search_run_charset(s, cmd, args, pos, &args[pos + 1], count - pos - 1, &hook);
}
