/* APPEND (RFC 3501 6.3.11) with flags and date, APPENDUID (RFC 4315 3), APPENDLIMIT
 * (RFC 7889: the literal limit is enforced by the parser before the client sends it),
 * stored durably and asynchronously: the OK goes out only once the message is on disk. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imap/imap_date.h"
#include "imap/imap_flags.h"
#include "imap/imap_session.h"
#include "log/log.h"
#include "store/store_account.h"
#include "store/store_msg.h"
#include "util/buf.h"
#include "util/xmalloc.h"

struct imap_append_job {
	struct imap_session *session;
	char *tag;
	char *mailbox;
};

static void
imap_append_done(void *ctx, int result, uint32_t uidvalidity, uint32_t uid, const char *error)
{
	struct imap_append_job *job = ctx;
	struct imap_session *s = job->session;

	if (imap_session_async_done(s)) {
		if (result == 0) {
			imap_ok(s, job->tag, "[APPENDUID %u %u] APPEND completed", uidvalidity,
				uid);
		} else if (s->acct != NULL &&
			   store_account_errcode(s->acct) == STORE_ERR_NONEXISTENT) {
			imap_no(s, job->tag, "[TRYCREATE] No such mailbox");
		} else {
			imap_no_store(s, job->tag, "APPEND", error != NULL ? error : "failed");
		}
		imap_session_resume(s);
	}
	free(job->tag);
	free(job->mailbox);
	free(job);
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

/* APPEND mailbox [flag-list] [date-time] literal */
static int
append_parse(const struct imap_command *cmd, struct imap_flag_list *fl, time_t *date_r,
	     const struct imap_arg **msg_r, const char **error_r)
{
	size_t i = 1;
	const char *date;
	long tz;

	memset(fl, 0, sizeof(*fl));
	*date_r = 0;
	if (cmd->count < 2 || cmd->count > 4) {
		*error_r = "APPEND needs a mailbox and a message";
		return -1;
	}
	if (cmd->args[i].type == IMAP_ARG_LIST) {
		if (imap_flags_parse(&cmd->args[i], 1, fl, error_r) < 0)
			return -1;
		i++;
	}
	if (i < cmd->count && cmd->args[i].type == IMAP_ARG_QUOTED) {
		if (!imap_arg_get_string(&cmd->args[i], &date) ||
		    imap_date_time_parse(date, date_r, &tz) < 0) {
			imap_flag_list_free(fl);
			*error_r = "Invalid date-time";
			return -1;
		}
		i++;
	}
	if (i + 1 != cmd->count || cmd->args[i].type != IMAP_ARG_LITERAL) {
		imap_flag_list_free(fl);
		*error_r = "APPEND needs the message as a literal";
		return -1;
	}
	*msg_r = &cmd->args[i];
	return 0;
}

void
imap_cmd_append(struct imap_session *s, const struct imap_command *cmd)
{
	const struct imap_arg *msg;
	struct imap_append_job *job;
	struct imap_flag_list fl;
	const char *error;
	char *mailbox, *fixed;
	size_t len;
	time_t date;

	if (append_parse(cmd, &fl, &date, &msg, &error) < 0) {
		imap_bad(s, cmd->tag, "%s", error);
		return;
	}
	if ((mailbox = imap_mailbox_arg(s, cmd->tag, &cmd->args[0])) == NULL) {
		imap_flag_list_free(&fl);
		return;
	}
	job = xcalloc(1, sizeof(*job));
	job->session = s;
	job->tag = xstrdup(cmd->tag);
	job->mailbox = mailbox;
	len = msg->len;
	fixed = append_crlf(msg->str, msg->len, &len);
	imap_session_async_begin(s);
	store_append(s->acct, mailbox, imap_flags_to_store(fl.flags),
		     (const char *const *)fl.keywords, fl.n_keywords, date,
		     fixed != NULL ? fixed : msg->str, len, imap_append_done, job);
	free(fixed);
	imap_flag_list_free(&fl);
}
