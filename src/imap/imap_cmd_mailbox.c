/* Mailbox commands (RFC 3501 6.3): SELECT / EXAMINE with CONDSTORE and QRESYNC
 * (RFC 7162 3.1.8, 3.2.5), CREATE (with RFC 6154 USE), DELETE, RENAME, SUBSCRIBE,
 * UNSUBSCRIBE and STATUS. */
#include <stdlib.h>
#include <string.h>

#include "imap/imap_durable.h"
#include "imap/imap_session.h"
#include "imap/imap_write.h"
#include "log/log.h"
#include "store/store_account.h"
#include "store/store_mailbox.h"
#include "store/store_view.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* RFC 7162 3.2.5: QRESYNC (uidvalidity modseq [known-uids [seq-match-data]]) */
struct qresync_params {
	bool given;
	uint32_t uidvalidity;
	uint64_t modseq;
	struct imap_seqset known; /* empty: all */
	/* RFC 7162 3.2.5.2 seq-match-data: message numbers and the UIDs the client had for
	 * them, pairwise (NULL: not given) */
	uint32_t *match_seqs, *match_uids;
	size_t n_match;
};

/* seq-match-data is a sample of the client's view: a few pairs are plenty. */
#define QRESYNC_MAX_MATCH 100000

/* The numbers of a set without "*", in the order written (a range "5:3" is 5,4,3). NULL
 * when there are more than QRESYNC_MAX_MATCH. */
static uint32_t *
seqset_numbers(const struct imap_seqset *set, size_t *n_r)
{
	uint32_t *out = NULL;
	size_t n = 0;

	for (size_t i = 0; i < set->count; i++) {
		uint32_t lo = set->ranges[i].lo, hi = set->ranges[i].hi;
		uint64_t len = (lo <= hi ? hi - lo : lo - hi) + 1ULL;

		if (lo == IMAP_SEQ_STAR || hi == IMAP_SEQ_STAR || len > QRESYNC_MAX_MATCH - n) {
			free(out);
			return NULL;
		}
		out = xrealloc(out, (n + (size_t)len) * sizeof(*out));
		for (uint64_t k = 0; k < len; k++)
			out[n++] = (uint32_t)(lo <= hi ? lo + k : lo - k);
	}
	*n_r = n;
	return out;
}

/* "(known-sequence-set known-uid-set)". 0 ok (too big a sample is ignored), -1 BAD. */
static int
parse_seq_match(const struct imap_arg *list, struct qresync_params *q)
{
	struct imap_seqset seqs, uids;
	const char *a, *b, *error;
	size_t n_seqs = 0, n_uids = 0;
	int ret = -1;

	if (list->type != IMAP_ARG_LIST || list->count != 2 ||
	    !imap_arg_get_atom(&list->list[0], &a) || !imap_arg_get_atom(&list->list[1], &b))
		return -1;
	imap_seqset_init(&seqs);
	imap_seqset_init(&uids);
	if (imap_seqset_parse(&seqs, a, false, &error) == 0 &&
	    imap_seqset_parse(&uids, b, false, &error) == 0) {
		q->match_seqs = seqset_numbers(&seqs, &n_seqs);
		q->match_uids = seqset_numbers(&uids, &n_uids);
		ret = 0;
		if (q->match_seqs == NULL || q->match_uids == NULL || n_seqs != n_uids) {
			/* RFC 7162 3.2.5.2: the two sets pair up, so they have as many numbers */
			if (q->match_seqs != NULL && q->match_uids != NULL)
				ret = -1;
			free(q->match_seqs);
			free(q->match_uids);
			q->match_seqs = q->match_uids = NULL;
		} else {
			q->n_match = n_seqs;
		}
	}
	imap_seqset_free(&seqs);
	imap_seqset_free(&uids);
	return ret;
}

static bool
parse_u64_atom(const struct imap_arg *arg, uint64_t *n_r)
{
	unsigned long long n;
	const char *s;

	if (!imap_arg_get_atom(arg, &s) || s[0] < '0' || s[0] > '9' || str_to_u64(s, &n) < 0)
		return false;
	*n_r = n;
	return true;
}

static void
qresync_params_free(struct qresync_params *q)
{
	imap_seqset_free(&q->known);
	free(q->match_seqs);
	free(q->match_uids);
}

static int
parse_qresync(const struct imap_arg *list, struct qresync_params *q)
{
	uint64_t v;
	const char *s, *error;

	if (list->type != IMAP_ARG_LIST || list->count < 2 || list->count > 4 ||
	    !parse_u64_atom(&list->list[0], &v) || v == 0 || v > UINT32_MAX ||
	    !parse_u64_atom(&list->list[1], &q->modseq))
		return -1;
	q->uidvalidity = (uint32_t)v;
	q->given = true;
	if (list->count >= 3) {
		if (!imap_arg_get_atom(&list->list[2], &s) ||
		    imap_seqset_parse(&q->known, s, false, &error) < 0)
			return -1;
	}
	if (list->count == 4 && parse_seq_match(&list->list[3], q) < 0)
		return -1;
	return 0;
}

/* SELECT params (RFC 4466 2.2): (CONDSTORE) or (QRESYNC (...)). */
static int
parse_select_params(struct imap_session *s, const struct imap_command *cmd,
		    struct qresync_params *q)
{
	const struct imap_arg *list;

	if (cmd->count == 1)
		return 0;
	if (cmd->count != 2 || cmd->args[1].type != IMAP_ARG_LIST)
		return -1;
	list = &cmd->args[1];
	for (size_t i = 0; i < list->count; i++) {
		if (imap_arg_atom_equals(&list->list[i], "CONDSTORE")) {
			s->condstore = true;
		} else if (imap_arg_atom_equals(&list->list[i], "QRESYNC") && s->qresync &&
			   i + 1 < list->count) {
			if (parse_qresync(&list->list[++i], q) < 0)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

static void
select_send_state(struct imap_session *s)
{
	const struct store_view_msg *msgs = store_view_msgs(s->view);
	size_t count = store_view_count(s->view);

	imap_send_flags(s);
	imap_send(s, "* %zu EXISTS", count);
	/* RFC 9051 Appendix E 6 and 7.3.2: no RECENT, no [UNSEEN] under IMAP4rev2 */
	if (!s->rev2)
		imap_send(s, "* %u RECENT", store_view_recent_count(s->view));
	for (size_t i = 0; i < count && !s->rev2; i++) {
		if ((msgs[i].flags & STORE_FLAG_SEEN) == 0) {
			imap_send(s, "* OK [UNSEEN %zu] First unseen", i + 1);
			break;
		}
	}
	imap_send(s, "* OK [UIDVALIDITY %u] UIDs valid", store_view_uidvalidity(s->view));
	imap_send(s, "* OK [UIDNEXT %u] Predicted next UID", store_view_uidnext(s->view));
	imap_send(s, "* OK [HIGHESTMODSEQ %llu] Highest",
		  (unsigned long long)store_view_highestmodseq(s->view));
}

/* RFC 7162 3.2.5.2 seq-match-data: while the client's message numbers still name the
 * same UIDs (pairs in ascending order), nothing below those UIDs was expunged since its
 * view: the highest UID of the leading run of matching pairs, below which VANISHED
 * need not look. 0 when there is no such pair. */
static uint32_t
qresync_matched_uid(struct imap_session *s, const struct qresync_params *q)
{
	const struct store_view_msg *msgs = store_view_msgs(s->view);
	size_t count = store_view_count(s->view);
	uint32_t matched = 0;

	for (size_t i = 0; i < q->n_match; i++) {
		uint32_t seq = q->match_seqs[i], uid = q->match_uids[i];

		if (seq == 0 || seq > count || msgs[seq - 1].uid != uid || uid <= matched)
			break;
		matched = uid;
	}
	return matched;
}

/* RFC 7162 3.2.5.2: what vanished and what changed since the client's modseq. */
static void
select_qresync(struct imap_session *s, const struct qresync_params *q)
{
	const struct store_view_msg *msgs = store_view_msgs(s->view);
	size_t count = store_view_count(s->view), n = 0;
	struct buf b = BUF_INIT;
	uint32_t *uids = NULL, matched;
	const char *error;

	if (q->uidvalidity != store_view_uidvalidity(s->view))
		return;
	matched = qresync_matched_uid(s, q);
	if (store_view_vanished_since(s->view, q->modseq, matched + 1, UINT32_MAX, &uids, &n,
				      &error) == 0 &&
	    n > 0) {
		size_t kept = 0;

		for (size_t i = 0; i < n; i++) {
			if (q->known.count == 0 || imap_seqset_contains(&q->known, uids[i]))
				uids[kept++] = uids[i];
		}
		if (kept > 0) {
			buf_appends(&b, "* VANISHED (EARLIER) ");
			imap_seqset_write_list(&b, uids, kept);
			buf_appends(&b, "\r\n");
		}
	}
	free(uids);
	for (size_t i = 0; i < count; i++) {
		if (msgs[i].modseq <= q->modseq)
			continue;
		buf_printf(&b, "* %zu FETCH (UID %u FLAGS ", i + 1, msgs[i].uid);
		imap_write_msg_flags(s, &b, &msgs[i]);
		buf_printf(&b, " MODSEQ (%llu))\r\n", (unsigned long long)msgs[i].modseq);
	}
	imap_send_raw(s, b.data, b.len);
	buf_free(&b);
}

void
imap_cmd_select(struct imap_session *s, const struct imap_command *cmd)
{
	bool readonly = strcmp(cmd->name, "EXAMINE") == 0;
	struct qresync_params q;
	const char *error;
	char *name;

	memset(&q, 0, sizeof(q));
	imap_seqset_init(&q.known);
	if (cmd->count < 1) {
		imap_bad(s, cmd->tag, "%s needs a mailbox name", cmd->name);
		return;
	}
	if (parse_select_params(s, cmd, &q) < 0) {
		qresync_params_free(&q);
		imap_bad(s, cmd->tag, "Invalid %s parameters", cmd->name);
		return;
	}
	/* RFC 3501 6.3.1: selecting closes the current mailbox, even if this fails */
	if (s->view != NULL) {
		imap_session_unselect(s);
		/* RFC 7162 3.2.11, RFC 9051 7.1 */
		if (s->qresync || s->rev2)
			imap_send(s, "* OK [CLOSED] Previous mailbox closed");
	}
	if ((name = imap_mailbox_arg(s, cmd->tag, &cmd->args[0])) == NULL) {
		qresync_params_free(&q);
		return;
	}
	if (store_view_open(s->acct, name, readonly, &s->view, &error) < 0) {
		imap_no_store(s, cmd->tag, cmd->name, error);
	} else {
		s->readonly = readonly;
		imap_session_enter_state(s, IMAP_STATE_SELECTED);
		select_send_state(s);
		if (q.given)
			select_qresync(s, &q);
		imap_ok(s, cmd->tag, "[%s] %s completed", readonly ? "READ-ONLY" : "READ-WRITE",
			cmd->name);
	}
	qresync_params_free(&q);
	free(name);
}

/* RFC 6154 5.2 CREATE-SPECIAL-USE: CREATE name (USE (\Sent ...)) */
static int
parse_create_use(const struct imap_command *cmd, unsigned *use_r)
{
	const struct imap_arg *list, *uses;
	const char *flag;

	*use_r = 0;
	if (cmd->count == 1)
		return 0;
	list = &cmd->args[1];
	if (cmd->count != 2 || list->type != IMAP_ARG_LIST || list->count != 2 ||
	    !imap_arg_atom_equals(&list->list[0], "USE") || list->list[1].type != IMAP_ARG_LIST)
		return -1;
	uses = &list->list[1];
	for (size_t i = 0; i < uses->count; i++) {
		unsigned bit;

		if (!imap_arg_get_atom(&uses->list[i], &flag) ||
		    (bit = store_mailbox_special_use_parse(flag)) == 0)
			return -2;
		*use_r |= bit;
	}
	return 0;
}

void
imap_cmd_create(struct imap_session *s, const struct imap_command *cmd)
{
	const char *error;
	unsigned use;
	char *name;
	size_t len;
	int ret;

	if (cmd->count < 1 || (ret = parse_create_use(cmd, &use)) == -1) {
		imap_bad(s, cmd->tag, "CREATE needs a mailbox name");
		return;
	}
	if (ret == -2) {
		imap_no(s, cmd->tag, "[USEATTR] Unsupported special-use attribute");
		return;
	}
	if (cmd->args[0].type != IMAP_ARG_LIST && cmd->args[0].len > 1 &&
	    cmd->args[0].str[cmd->args[0].len - 1] == '/') {
		/* RFC 3501 6.3.3: a trailing delimiter only declares the intent */
		struct imap_arg trimmed = cmd->args[0];
		char *t = xstrndup(trimmed.str, trimmed.len - 1);
		trimmed.str = t;
		trimmed.len--;
		name = imap_mailbox_arg(s, cmd->tag, &trimmed);
		free(t);
	} else {
		name = imap_mailbox_arg(s, cmd->tag, &cmd->args[0]);
	}
	if (name == NULL)
		return;
	len = strlen(name);
	if (strcmp(name, "INBOX") == 0)
		imap_no(s, cmd->tag, "[ALREADYEXISTS] INBOX always exists");
	else if (len == 0 || store_mailbox_create(s->acct, name, use, &error) < 0)
		imap_no_store(s, cmd->tag, "CREATE", len == 0 ? "Invalid name" : error);
	else
		imap_reply_durable(s, cmd->tag, "CREATE", NULL, xstrdup("CREATE completed"), false);
	free(name);
}

void
imap_cmd_delete(struct imap_session *s, const struct imap_command *cmd)
{
	const char *error;
	char *name;

	if (cmd->count != 1) {
		imap_bad(s, cmd->tag, "DELETE needs a mailbox name");
		return;
	}
	if ((name = imap_mailbox_arg(s, cmd->tag, &cmd->args[0])) == NULL)
		return;
	if (s->view != NULL && strcmp(store_view_mailbox_name(s->view), name) == 0) {
		/* deleting the selected mailbox: unselect it first (RFC 9051 6.3.4) */
		imap_session_unselect(s);
		if (s->qresync || s->rev2)
			imap_send(s, "* OK [CLOSED] Mailbox closed");
	}
	if (store_mailbox_delete(s->acct, name, &error) < 0)
		imap_no_store(s, cmd->tag, "DELETE", error);
	else
		imap_reply_durable(s, cmd->tag, "DELETE", NULL, xstrdup("DELETE completed"), false);
	free(name);
}

void
imap_cmd_rename(struct imap_session *s, const struct imap_command *cmd)
{
	const char *error;
	char *from, *to;

	if (cmd->count != 2) {
		imap_bad(s, cmd->tag, "RENAME needs two mailbox names");
		return;
	}
	if ((from = imap_mailbox_arg(s, cmd->tag, &cmd->args[0])) == NULL)
		return;
	if ((to = imap_mailbox_arg(s, cmd->tag, &cmd->args[1])) == NULL) {
		free(from);
		return;
	}
	if (store_mailbox_rename(s->acct, from, to, &error) < 0)
		imap_no_store(s, cmd->tag, "RENAME", error);
	else
		imap_reply_durable(s, cmd->tag, "RENAME", NULL, xstrdup("RENAME completed"), false);
	free(from);
	free(to);
}

static void
imap_subscription(struct imap_session *s, const struct imap_command *cmd, bool subscribe)
{
	const char *error;
	char *name;
	int ret;

	if (cmd->count != 1) {
		imap_bad(s, cmd->tag, "%s needs a mailbox name", cmd->name);
		return;
	}
	if ((name = imap_mailbox_arg(s, cmd->tag, &cmd->args[0])) == NULL)
		return;
	ret = subscribe ? store_mailbox_subscribe(s->acct, name, &error)
			: store_mailbox_unsubscribe(s->acct, name, &error);
	if (ret < 0)
		imap_no_store(s, cmd->tag, cmd->name, error);
	else
		imap_reply_durable(s, cmd->tag, cmd->name, NULL,
				   xasprintf("%s completed", cmd->name), false);
	free(name);
}

void
imap_cmd_subscribe(struct imap_session *s, const struct imap_command *cmd)
{
	imap_subscription(s, cmd, true);
}

void
imap_cmd_unsubscribe(struct imap_session *s, const struct imap_command *cmd)
{
	imap_subscription(s, cmd, false);
}

/* Writes "(MESSAGES 2 UIDNEXT 5 ...)" for the requested items; -1 for an unknown one. */
int
imap_status_items(struct buf *out, const struct imap_arg *items, const struct store_status *st)
{
	buf_appendc(out, '(');
	for (size_t i = 0; i < items->count; i++) {
		const char *item;

		if (!imap_arg_get_atom(&items->list[i], &item))
			return -1;
		if (i > 0)
			buf_appendc(out, ' ');
		if (str_casecmp(item, "MESSAGES") == 0)
			buf_printf(out, "MESSAGES %u", st->messages);
		else if (str_casecmp(item, "RECENT") == 0)
			buf_printf(out, "RECENT %u", st->recent);
		else if (str_casecmp(item, "UIDNEXT") == 0)
			buf_printf(out, "UIDNEXT %u", st->uidnext);
		else if (str_casecmp(item, "UIDVALIDITY") == 0)
			buf_printf(out, "UIDVALIDITY %u", st->uidvalidity);
		else if (str_casecmp(item, "UNSEEN") == 0)
			buf_printf(out, "UNSEEN %u", st->unseen);
		else if (str_casecmp(item, "HIGHESTMODSEQ") == 0)
			buf_printf(out, "HIGHESTMODSEQ %llu",
				   (unsigned long long)st->highestmodseq);
		else if (str_casecmp(item, "DELETED") == 0) /* RFC 9051 6.3.11 */
			buf_printf(out, "DELETED %u", st->deleted);
		else if (str_casecmp(item, "SIZE") == 0)
			buf_printf(out, "SIZE %llu", (unsigned long long)st->size);
		else if (str_casecmp(item, "DELETED-STORAGE") == 0) /* RFC 9208, in KiB */
			buf_printf(out, "DELETED-STORAGE %llu",
				   ((unsigned long long)st->deleted_size + 1023) / 1024);
		else
			return -1;
	}
	buf_appendc(out, ')');
	return 0;
}

void
imap_cmd_status(struct imap_session *s, const struct imap_command *cmd)
{
	struct store_status st;
	struct buf b = BUF_INIT;
	const char *error;
	char *name;

	if (cmd->count != 2 || cmd->args[1].type != IMAP_ARG_LIST || cmd->args[1].count == 0) {
		imap_bad(s, cmd->tag, "STATUS needs a mailbox name and a list of items");
		return;
	}
	if ((name = imap_mailbox_arg(s, cmd->tag, &cmd->args[0])) == NULL)
		return;
	if (store_mailbox_status(s->acct, name, &st, &error) < 0) {
		imap_no_store(s, cmd->tag, "STATUS", error);
	} else {
		buf_appends(&b, "* STATUS ");
		imap_mailbox_write(s, &b, name);
		buf_appendc(&b, ' ');
		if (imap_status_items(&b, &cmd->args[1], &st) < 0) {
			imap_bad(s, cmd->tag, "Unknown STATUS item");
		} else {
			buf_appends(&b, "\r\n");
			imap_send_raw(s, b.data, b.len);
			imap_ok(s, cmd->tag, "STATUS completed");
		}
	}
	buf_free(&b);
	free(name);
}
