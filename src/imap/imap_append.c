/* APPEND (RFC 3501 6.3.11) with flags and date, APPENDUID (RFC 4315 3), APPENDLIMIT
 * (RFC 7889: the literal limit is enforced by the parser before the client sends it),
 * MULTIAPPEND (RFC 3502: several messages, all or none), CATENATE (RFC 4469: messages
 * built from TEXT literals and URLs of messages of the account) and literal8 (RFC 3516
 * 4.3: binary parts are stored base64-encoded). Everything the client may get wrong (a bad
 * URL, a size, a NUL) is checked before anything is stored; the messages are then
 * journalled together (one group commit) and the OK goes out only once all are on disk. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/settings.h"
#include "imap/imap_catenate.h"
#include "imap/imap_flags.h"
#include "imap/imap_seqset.h"
#include "imap/imap_session.h"
#include "log/log.h"
#include "mail/mime_cte.h"
#include "store/store_account.h"
#include "store/store_mailbox.h"
#include "store/store_msg.h"
#include "store/store_view.h"
#include "util/buf.h"
#include "util/xmalloc.h"

struct imap_append_job;

struct imap_append_slot {
	struct imap_append_job *job;
	uint32_t uid; /* 0 until stored */
};

struct imap_append_job {
	struct imap_session *session;
	char *tag;
	char *mailbox;
	struct imap_append_slot *slots;
	size_t n_slots;
	size_t outstanding; /* callbacks still to come (+1 while submitting) */
	uint32_t uidvalidity;
	bool failed, nonexistent;
	char *error;
};

/* RFC 3502 6: a MULTIAPPEND is all or nothing. The messages of a job are checked before
 * any is stored, so only a store failure (journal I/O) gets here: the ones that were
 * stored are expunged again. */
static void
append_undo(struct imap_append_job *job)
{
	struct imap_session *s = job->session;
	struct store_view *view = NULL;
	uint32_t *uids = xcalloc(job->n_slots, sizeof(*uids));
	const char *error;
	size_t n = 0;

	for (size_t i = 0; i < job->n_slots; i++) {
		if (job->slots[i].uid != 0)
			uids[n++] = job->slots[i].uid;
	}
	if (n > 0 && s->acct != NULL &&
	    (store_view_open(s->acct, job->mailbox, false, &view, &error) < 0 ||
	     store_view_expunge(view, uids, n, &error) < 0))
		log_error("imap: %s: user=%s MULTIAPPEND undo failed: %s", s->base.id, s->account,
			  error);
	if (view != NULL)
		store_view_close(&view);
	free(uids);
}

static void
append_job_finish(struct imap_append_job *job)
{
	struct imap_session *s = job->session;
	struct buf set = BUF_INIT;
	uint32_t *uids;

	if (imap_session_async_done(s)) {
		if (!job->failed) {
			/* RFC 4315 3: APPENDUID uidvalidity uid-set, in the order of the messages
			 */
			uids = xcalloc(job->n_slots, sizeof(*uids));
			for (size_t i = 0; i < job->n_slots; i++)
				uids[i] = job->slots[i].uid;
			imap_seqset_write_list(&set, uids, job->n_slots);
			free(uids);
			imap_ok(s, job->tag, "[APPENDUID %u %s] APPEND completed", job->uidvalidity,
				buf_cstr(&set));
		} else {
			append_undo(job);
			if (job->nonexistent)
				imap_no(s, job->tag, "[TRYCREATE] No such mailbox");
			else
				imap_no_store(s, job->tag, "APPEND",
					      job->error != NULL ? job->error : "failed");
		}
		imap_session_resume(s);
	}
	buf_free(&set);
	free(job->slots);
	free(job->error);
	free(job->tag);
	free(job->mailbox);
	free(job);
}

static void
append_job_unref(struct imap_append_job *job)
{
	if (--job->outstanding == 0)
		append_job_finish(job);
}

static void
imap_append_done(void *ctx, int result, uint32_t uidvalidity, uint32_t uid, const char *error)
{
	struct imap_append_slot *slot = ctx;
	struct imap_append_job *job = slot->job;
	struct imap_session *s = job->session;

	if (result == 0) {
		slot->uid = uid;
		job->uidvalidity = uidvalidity;
	} else if (!job->failed) {
		job->failed = true;
		job->nonexistent =
			s->acct != NULL && store_account_errcode(s->acct) == STORE_ERR_NONEXISTENT;
		job->error = xstrdup(error != NULL ? error : "failed");
	}
	append_job_unref(job);
}

/* Bare LF line ends become CRLF (the store keeps CRLF messages). NULL if none. */
static char *
append_crlf(const char *msg, size_t len, size_t *len_r)
{
	struct buf b = BUF_INIT;
	bool bare = false;

	for (size_t i = 0; i < len && !bare; i++)
		bare = msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r');
	if (!bare)
		return NULL;
	buf_reserve(&b, len + len / 32);
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			buf_appendc(&b, '\r');
		buf_appendc(&b, msg[i]);
	}
	*len_r = b.len;
	return buf_steal(&b);
}

/* A literal's bytes, appended to out; *binary_r set for a literal8. A NUL in a plain
 * literal is refused (RFC 3501 9: CHAR8 excludes NUL; RFC 3516 4.3: binary content comes
 * as literal8). 0 ok, -1 with a NO sent. */
static int
append_literal(struct imap_session *s, const char *tag, const struct imap_arg *lit, struct buf *out,
	       bool *binary_r)
{
	if ((lit->flags & IMAP_ARG_FLAG_NUL) && !(lit->flags & IMAP_ARG_FLAG_LITERAL8)) {
		imap_no(s, tag, "[CANNOT] NUL octets are only allowed in a literal8 (RFC 3516)");
		return -1;
	}
	*binary_r |= (lit->flags & IMAP_ARG_FLAG_LITERAL8) != 0;
	buf_append(out, lit->str, lit->len);
	return 0;
}

/* RFC 3516 4.3: a message sent (in part) as literal8 may have "binary" parts; they are
 * stored base64-encoded, so that the message stays text and BINARY[] gives them back. The
 * whole message is looked at, not each CATENATE TEXT part: a part boundary may fall
 * anywhere (and a literal8 of plain text is fine, RFC 3516 does not forbid it). */
static void
append_binary_to_base64(struct buf *msg)
{
	struct buf out = BUF_INIT;

	if (mime_cte_binary_to_base64(buf_cstr(msg), msg->len, &out)) {
		buf_free(msg);
		*msg = out;
	}
}

static void
append_toobig(struct imap_session *s, const char *tag)
{
	/* RFC 4469 6 / RFC 7889: a built message over the APPENDLIMIT, or the messages of one
	 * command over imap_command_literal_limit */
	imap_no(s, tag, "[TOOBIG] Message too large");
}

/* RFC 4469 5: the message of CATENATE's parts, at most max bytes (checked after each
 * part: URLs can name much more than the command carried). 0 ok, -1 with a NO sent. */
static int
append_catenate(struct imap_session *s, const char *tag, const struct imap_append_msg *m,
		struct buf *out, uint64_t max)
{
	const char *url;
	bool binary = false;

	for (size_t i = 0; i < m->n_parts; i++) {
		const struct imap_arg *a = m->parts[i].arg;

		if (m->parts[i].type == IMAP_CAT_TEXT) {
			if (append_literal(s, tag, a, out, &binary) < 0)
				return -1;
			continue;
		}
		if (!imap_arg_get_astring(a, &url) ||
		    imap_catenate_url_fetch(s, a->str, a->len, out) < 0) {
			/* RFC 4469 6: BADURL names the URL (quoted; a literal's text is not
			 * repeated) */
			if (strpbrk(a->str, "\"\\]\r\n") == NULL && a->len < 1024)
				imap_no(s, tag, "[BADURL %s] Invalid or unknown URL", a->str);
			else
				imap_no(s, tag, "[BADURL] Invalid or unknown URL");
			return -1;
		}
		if (out->len > max) {
			append_toobig(s, tag);
			return -1;
		}
	}
	if (binary)
		append_binary_to_base64(out);
	return 0;
}

/* RFC 4469 5: a CATENATE to a mailbox that does not exist is [TRYCREATE] whatever its URLs
 * name, as a plain APPEND is. */
static bool
append_mailbox_exists(struct imap_session *s, const char *mailbox)
{
	struct store_status st;
	const char *error;

	return store_mailbox_status(s->acct, mailbox, &st, &error) == 0 ||
	       store_account_errcode(s->acct) != STORE_ERR_NONEXISTENT;
}

/* Builds every message of the command into bufs[]: each within message_size_limit, all
 * together within imap_command_literal_limit (what the command's literals may hold). 0 ok,
 * -1 with a NO sent. */
static int
append_build(struct imap_session *s, const char *tag, const char *mailbox,
	     const struct imap_append_msg *msgs, size_t n, struct buf *bufs)
{
	const struct settings *set = imap_server_deps(s->server)->settings;
	uint64_t total = 0;
	bool catenate = false;

	for (size_t i = 0; i < n; i++)
		catenate |= msgs[i].literal == NULL;
	if (catenate && !append_mailbox_exists(s, mailbox)) {
		imap_no(s, tag, "[TRYCREATE] No such mailbox");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t left = set->imap_command_literal_limit > total
					? set->imap_command_literal_limit - total
					: 0;
		uint64_t max = set->message_size_limit < left ? set->message_size_limit : left;
		bool binary = false;
		int ret = msgs[i].literal != NULL
				  ? append_literal(s, tag, msgs[i].literal, &bufs[i], &binary)
				  : append_catenate(s, tag, &msgs[i], &bufs[i], max);

		if (ret < 0)
			return -1;
		if (msgs[i].literal != NULL && binary)
			append_binary_to_base64(&bufs[i]);
		if (bufs[i].len > max) {
			append_toobig(s, tag);
			return -1;
		}
		total += bufs[i].len;
	}
	return 0;
}

/* What the messages add to the account's usage (RFC 9208 quota). */
static unsigned long long
append_total(const struct buf *bufs, size_t n)
{
	unsigned long long total = 0;

	for (size_t i = 0; i < n; i++)
		total += bufs[i].len;
	return total;
}

static void
append_submit(struct imap_session *s, const char *tag, char *mailbox,
	      const struct imap_append_msg *msgs, size_t n, struct buf *bufs)
{
	struct imap_append_job *job = xcalloc(1, sizeof(*job));

	job->session = s;
	job->tag = xstrdup(tag);
	job->mailbox = mailbox;
	job->slots = xcalloc(n, sizeof(*job->slots));
	job->n_slots = n;
	job->outstanding = n + 1;
	imap_session_async_begin(s);
	for (size_t i = 0; i < n; i++) {
		size_t len = bufs[i].len;
		char *fixed = append_crlf(buf_cstr(&bufs[i]), bufs[i].len, &len);

		job->slots[i].job = job;
		if (job->failed) {
			/* an earlier message was refused at once: store none of the rest */
			job->outstanding--;
			continue;
		}
		/* INTERNALDATE (RFC 3501 6.3.11): the given date-time in its own zone, else now */
		store_append(s->acct, mailbox, imap_flags_to_store(msgs[i].flags.flags),
			     (const char *const *)msgs[i].flags.keywords, msgs[i].flags.n_keywords,
			     msgs[i].has_date ? msgs[i].date : 0, msgs[i].has_date ? msgs[i].tz : 0,
			     fixed != NULL ? fixed : buf_cstr(&bufs[i]), len, imap_append_done,
			     &job->slots[i]);
		free(fixed);
	}
	append_job_unref(job);
}

void
imap_cmd_append(struct imap_session *s, const struct imap_command *cmd)
{
	struct imap_append_msg *msgs;
	struct buf *bufs;
	const char *error;
	char *mailbox;
	size_t n;

	if (cmd->count < 2) {
		imap_bad(s, cmd->tag, "APPEND needs a mailbox and a message");
		return;
	}
	if (imap_append_args_parse(cmd->args, cmd->count, &msgs, &n, &error) < 0) {
		imap_bad(s, cmd->tag, "%s", error);
		return;
	}
	if ((mailbox = imap_mailbox_arg(s, cmd->tag, &cmd->args[0])) == NULL) {
		imap_append_msgs_free(msgs, n);
		return;
	}
	bufs = xcalloc(n, sizeof(*bufs));
	if (append_build(s, cmd->tag, mailbox, msgs, n, bufs) == 0 &&
	    imap_quota_check(s, cmd->tag, append_total(bufs, n)) == 0)
		append_submit(s, cmd->tag, mailbox, msgs, n, bufs);
	else
		free(mailbox);
	for (size_t i = 0; i < n; i++)
		buf_free(&bufs[i]);
	free(bufs);
	imap_append_msgs_free(msgs, n);
}
