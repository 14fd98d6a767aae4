/* THREAD and UID THREAD (RFC 5256 3): the search runs as SEARCH does (sliced, from the
 * index), the matches' keys are collected as for SORT (imap_sort_set.h), and the
 * threads are built and written by imap_thread.c. */
#include <stdlib.h>

#include "imap/imap_parser.h"
#include "imap/imap_search.h"
#include "imap/imap_session.h"
#include "imap/imap_sort_set.h"
#include "imap/imap_thread.h"
#include "store/store_msg.h"
#include "util/xmalloc.h"

struct thread_job {
	struct imap_sort_set set;
	enum imap_thread_alg alg;
	const char *arena; /* the keys' arena: the sort cache's, or set.arena */
};

static void
thread_match(void *arg, struct imap_session *s, uint32_t seq, const struct store_msg_meta *meta)
{
	struct thread_job *j = arg;

	imap_sort_set_add(&j->set, s, seq, meta);
}

static void
thread_cached_match(void *arg, const struct imap_sort_msg *msg, uint32_t seq, const char *arena)
{
	struct thread_job *j = arg;

	imap_sort_set_add_cached(&j->set, msg, seq);
	j->arena = arena;
}

static void
thread_finish(void *arg, struct imap_session *s, const struct imap_command *cmd,
	      const struct imap_search_query *q)
{
	struct thread_job *j = arg;
	struct buf b = BUF_INIT;

	(void)q;
	imap_sort_set_backfill(&j->set, s);
	buf_appends(&b, "* THREAD ");
	imap_thread_write(j->alg, j->set.msgs, j->set.n,
			  j->arena != NULL ? j->arena : j->set.arena.data, cmd->uid, &b);
	buf_appends(&b, "\r\n");
	imap_send_raw(s, b.data, b.len);
	buf_free(&b);
}

static void
thread_free(void *arg)
{
	struct thread_job *j = arg;

	imap_sort_set_free(&j->set);
	free(j);
}

void
imap_cmd_thread(struct imap_session *s, const struct imap_command *cmd)
{
	struct thread_job *j = xcalloc(1, sizeof(*j));
	struct imap_search_hook hook = {
		.name = "THREAD",
		.fields = STORE_MSG_SORT | STORE_MSG_HEADER_INFO,
		.match = thread_match,
		.finish = thread_finish,
		.free = thread_free,
		.arg = j,
		.cached_match = thread_cached_match,
		/* the sort cache ranks the base subjects once per new mail: both algorithms
		 * then compare and group subjects as integers (imap_thread.c) */
		.sort_keys = 1u << MSG_SORTKEY_SUBJECT,
	};
	const char *alg;

	/* THREAD algorithm charset search-keys (RFC 5256 4) */
	if (cmd->count < 3 || !imap_arg_get_atom(&cmd->args[0], &alg)) {
		imap_bad(s, cmd->tag, "THREAD needs an algorithm, a charset and search keys");
		thread_free(j);
		return;
	}
	if (imap_thread_parse_alg(alg, &j->alg) < 0) {
		imap_bad(s, cmd->tag, "Unknown threading algorithm");
		thread_free(j);
		return;
	}
	j->set.keys = (1u << MSG_SORTKEY_SUBJECT) | (1u << MSG_SORTKEY_MESSAGE_ID) |
		      (1u << MSG_SORTKEY_IN_REPLY_TO) | (1u << MSG_SORTKEY_REFERENCES);
	imap_search_run_charset(s, cmd, NULL, 0, &cmd->args[1], cmd->count - 1, &hook);
}
