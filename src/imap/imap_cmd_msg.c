/* Commands that change messages of the selected mailbox: STORE (RFC 3501 6.4.6, RFC 7162
 * 3.1.3 UNCHANGEDSINCE), EXPUNGE and UID EXPUNGE (RFC 4315 2.1), COPY and MOVE with
 * COPYUID (RFC 4315 3, RFC 6851), CLOSE and UNSELECT (RFC 3691). */
#include <stdlib.h>
#include <string.h>

#include "imap/imap_durable.h"
#include "imap/imap_flags.h"
#include "imap/imap_session.h"
#include "imap/imap_spam.h"
#include "store/store_account.h"
#include "store/store_msg.h"
#include "store/store_view.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct store_args {
	enum store_flags_mode mode;
	bool silent;
	uint64_t unchangedsince;
	struct imap_flag_list flags;
};

/* [(UNCHANGEDSINCE n)] (+|-)FLAGS[.SILENT] flags: args after the set. */
static int
store_parse(struct imap_session *s, const struct imap_arg *args, size_t n, struct store_args *sa,
	    const char **error_r)
{
	unsigned long long v;
	const char *item, *num;

	memset(sa, 0, sizeof(*sa));
	if (n > 0 && args[0].type == IMAP_ARG_LIST) {
		if (args[0].count != 2 ||
		    !imap_arg_atom_equals(&args[0].list[0], "UNCHANGEDSINCE") ||
		    !imap_arg_get_atom(&args[0].list[1], &num) || str_to_u64(num, &v) < 0) {
			*error_r = "Invalid STORE modifiers";
			return -1;
		}
		sa->unchangedsince = v;
		imap_condstore_enable(s); /* RFC 7162 3.1 */
		args++;
		n--;
	}
	if (n < 2 || !imap_arg_get_atom(&args[0], &item)) {
		*error_r = "STORE needs a data item and flags";
		return -1;
	}
	sa->mode = STORE_FLAGS_REPLACE;
	if (*item == '+' || *item == '-')
		sa->mode = *item++ == '+' ? STORE_FLAGS_ADD : STORE_FLAGS_REMOVE;
	if (str_casecmp(item, "FLAGS.SILENT") == 0)
		sa->silent = true;
	else if (str_casecmp(item, "FLAGS") != 0) {
		*error_r = "Unknown STORE data item";
		return -1;
	}
	return imap_flags_parse(args + 1, n - 1, &sa->flags, error_r);
}

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* RFC 3501 6.4.6: the new flags of every message in the set, unless .SILENT; with
 * CONDSTORE also for .SILENT when the MODSEQ changed (RFC 7162 3.1.3). */
static void
store_reply(struct imap_session *s, const struct imap_command *cmd, const struct store_args *sa,
	    const uint32_t *uids, size_t n, const struct store_flags_result *res)
{
	const struct store_view_msg *msgs = store_view_msgs(s->view);
	struct buf b = BUF_INIT;
	size_t c = 0;

	imap_flags_announce(s); /* the STORE may have added keywords to the mailbox */
	for (size_t i = 0; i < n; i++) {
		uint32_t seq = store_view_seq(s->view, uids[i]);
		bool changed;

		while (c < res->n_changed && res->changed_uids[c] < uids[i])
			c++;
		changed = c < res->n_changed && res->changed_uids[c] == uids[i];
		if (seq == 0 || (sa->silent && !(changed && s->condstore)))
			continue;
		buf_printf(&b, "* %u FETCH (", seq);
		if (cmd->uid || s->qresync)
			buf_printf(&b, "UID %u ", uids[i]);
		buf_appends(&b, "FLAGS ");
		imap_write_msg_flags(s, &b, &msgs[seq - 1]);
		if (s->condstore)
			buf_printf(&b, " MODSEQ (%llu)", (unsigned long long)msgs[seq - 1].modseq);
		buf_appends(&b, ")\r\n");
	}
	imap_send_raw(s, b.data, b.len);
	buf_free(&b);
}

void
imap_cmd_store(struct imap_session *s, const struct imap_command *cmd)
{
	struct store_flags_result res;
	struct store_args sa;
	const char *setstr, *error;
	uint32_t *uids;
	size_t n;

	if (cmd->count < 3 || !imap_arg_get_atom(&cmd->args[0], &setstr)) {
		imap_bad(s, cmd->tag, "STORE needs a message set, a data item and flags");
		return;
	}
	if (store_parse(s, cmd->args + 1, cmd->count - 1, &sa, &error) < 0) {
		imap_bad(s, cmd->tag, "%s", error);
		return;
	}
	if (s->readonly) {
		imap_flag_list_free(&sa.flags);
		imap_no(s, cmd->tag, "[READ-ONLY] Mailbox is read-only");
		return;
	}
	if (imap_uids_from_set(s, cmd->tag, setstr, cmd->uid, &uids, &n) < 0) {
		imap_flag_list_free(&sa.flags);
		return;
	}
	memset(&res, 0, sizeof(res));
	if (store_view_store_flags(s->view, uids, n, sa.mode, imap_flags_to_store(sa.flags.flags),
				   (const char *const *)sa.flags.keywords, sa.flags.n_keywords,
				   sa.unchangedsince, &res, &error) < 0) {
		imap_no_store(s, cmd->tag, "STORE", error);
	} else {
		imap_spam_store(s, res.changed_uids, res.n_changed, sa.mode,
				(const char *const *)sa.flags.keywords, sa.flags.n_keywords);
		if (res.n_changed > 1)
			qsort(res.changed_uids, res.n_changed, sizeof(uint32_t), uid_cmp);
		store_reply(s, cmd, &sa, uids, n, &res);
		if (res.n_failed > 0) {
			/* RFC 7162 3.1.3: the messages that failed UNCHANGEDSINCE */
			struct buf set = BUF_INIT;
			uint32_t *ids = res.failed_uids;

			if (!cmd->uid) {
				for (size_t i = 0; i < res.n_failed; i++)
					ids[i] = store_view_seq(s->view, ids[i]);
			}
			imap_seqset_write_list(&set, ids, res.n_failed);
			imap_ok(s, cmd->tag, "[MODIFIED %s] Conditional STORE failed",
				buf_cstr(&set));
			buf_free(&set);
		} else {
			imap_ok(s, cmd->tag, "STORE completed");
		}
		store_flags_result_free(&res);
	}
	imap_flag_list_free(&sa.flags);
	free(uids);
}

/* Expunges the \Deleted messages (of uids when given: UID EXPUNGE). 1 some were
 * (durable once store_account_sync calls back), 0 none, -1 error. */
static int
expunge_deleted(struct imap_session *s, const uint32_t *only, size_t n_only, const char **error_r)
{
	const struct store_view_msg *msgs = store_view_msgs(s->view);
	size_t count = store_view_count(s->view), n = 0, j = 0;
	uint32_t *uids = xmalloc((count > 0 ? count : 1) * sizeof(*uids));
	int ret = 0;

	for (size_t i = 0; i < count; i++) {
		if (!(msgs[i].flags & STORE_FLAG_DELETED) || (msgs[i].flags & STORE_FLAG_EXPUNGED))
			continue;
		if (only != NULL) {
			while (j < n_only && only[j] < msgs[i].uid)
				j++;
			if (j >= n_only || only[j] != msgs[i].uid)
				continue;
		}
		uids[n++] = msgs[i].uid;
	}
	if (n > 0)
		ret = store_view_expunge(s->view, uids, n, error_r) < 0 ? -1 : 1;
	free(uids);
	return ret;
}

void
imap_cmd_expunge(struct imap_session *s, const struct imap_command *cmd)
{
	uint32_t *uids = NULL;
	const char *setstr, *error;
	size_t n = 0;
	int ret;

	if (cmd->uid && (cmd->count != 1 || !imap_arg_get_atom(&cmd->args[0], &setstr))) {
		imap_bad(s, cmd->tag, "UID EXPUNGE needs a UID set");
		return;
	}
	if (!cmd->uid && cmd->count != 0) {
		imap_bad(s, cmd->tag, "EXPUNGE takes no arguments");
		return;
	}
	if (s->readonly) {
		imap_no(s, cmd->tag, "[READ-ONLY] Mailbox is read-only");
		return;
	}
	if (cmd->uid && imap_uids_from_set(s, cmd->tag, setstr, true, &uids, &n) < 0)
		return;
	/* the sync before the tagged reply sends the EXPUNGEs */
	ret = expunge_deleted(s, uids, n, &error);
	if (ret < 0)
		imap_no_store(s, cmd->tag, "EXPUNGE", error);
	else if (ret > 0)
		imap_reply_durable(s, cmd->tag, "EXPUNGE", NULL, xstrdup("EXPUNGE completed"),
				   false);
	else
		imap_ok(s, cmd->tag, "EXPUNGE completed");
	free(uids);
}

void
imap_cmd_close(struct imap_session *s, const struct imap_command *cmd)
{
	const char *error;
	int ret = s->readonly ? 0 : expunge_deleted(s, NULL, 0, &error);

	/* RFC 3501 6.4.2: expunge silently, no EXPUNGE responses */
	if (ret < 0) {
		imap_no_store(s, cmd->tag, "CLOSE", error);
		return;
	}
	if (ret > 0) {
		imap_reply_durable(s, cmd->tag, "CLOSE", NULL, xstrdup("CLOSE completed"), true);
		return;
	}
	imap_session_unselect(s);
	imap_ok(s, cmd->tag, "CLOSE completed");
}

void
imap_cmd_unselect(struct imap_session *s, const struct imap_command *cmd)
{
	/* RFC 3691 2 */
	imap_session_unselect(s);
	imap_ok(s, cmd->tag, "UNSELECT completed");
}

void
imap_cmd_copy(struct imap_session *s, const struct imap_command *cmd)
{
	bool move = strcmp(cmd->name, "MOVE") == 0;
	struct store_copy_result res;
	struct buf code = BUF_INIT;
	const char *setstr, *error;
	uint32_t *uids;
	char *dest;
	size_t n;

	if (cmd->count != 2 || !imap_arg_get_atom(&cmd->args[0], &setstr)) {
		imap_bad(s, cmd->tag, "%s needs a message set and a mailbox", cmd->name);
		return;
	}
	if (move && s->readonly) {
		imap_no(s, cmd->tag, "[READ-ONLY] Mailbox is read-only");
		return;
	}
	if ((dest = imap_mailbox_arg(s, cmd->tag, &cmd->args[1])) == NULL)
		return;
	if (imap_uids_from_set(s, cmd->tag, setstr, cmd->uid, &uids, &n) < 0) {
		free(dest);
		return;
	}
	/* RFC 9208 7: a COPY over quota stores nothing (a MOVE frees what it takes) */
	if (!move && imap_quota_check_copy(s, cmd->tag, uids, n) < 0) {
		free(uids);
		free(dest);
		return;
	}
	memset(&res, 0, sizeof(res));
	struct imap_spam_train *train = imap_spam_copy_prepare(s, uids, n, dest);
	int copied = store_view_copy(s->view, uids, n, dest, move, &res, &error);
	imap_spam_copy_finish(s, &train, copied == 0);
	if (copied < 0) {
		if (store_account_errcode(s->acct) == STORE_ERR_NONEXISTENT)
			imap_no(s, cmd->tag, "[TRYCREATE] No such mailbox");
		else
			imap_no_store(s, cmd->tag, cmd->name, error);
	} else {
		/* RFC 4315 3 COPYUID */
		if (res.count > 0) {
			buf_printf(&code, "[COPYUID %u ", res.dest_uidvalidity);
			imap_seqset_write_list(&code, res.src_uids, res.count);
			buf_appendc(&code, ' ');
			imap_seqset_write_list(&code, res.dst_uids, res.count);
			buf_appends(&code, "] ");
		}
		/* RFC 6851 4.3: for MOVE, COPYUID in an untagged OK before the EXPUNGEs */
		char *untagged =
			move && code.len > 0 ? xasprintf("* OK %sMoved", buf_cstr(&code)) : NULL;
		char *ok = move ? xstrdup("MOVE completed")
				: xasprintf("%sCOPY completed", buf_cstr(&code));

		if (res.count > 0) {
			imap_reply_durable(s, cmd->tag, cmd->name, untagged, ok, false);
		} else {
			imap_ok(s, cmd->tag, "%s", ok);
			free(ok);
		}
		store_copy_result_free(&res);
	}
	buf_free(&code);
	free(uids);
	free(dest);
}
