/* Tagged replies after store_account_sync (see imap_durable.h). */
#include "imap/imap_durable.h"

#include <stdlib.h>

#include "imap/imap_session.h"
#include "store/store_account.h"
#include "util/xmalloc.h"

struct imap_durable_job {
	struct imap_session *session;
	char *tag;
	char *command;
	char *untagged;
	char *ok_text;
	bool unselect;
};

static void
imap_durable_done(void *ctx, int result, const char *error)
{
	struct imap_durable_job *job = ctx;
	struct imap_session *s = job->session;

	if (imap_session_async_done(s)) {
		if (result < 0) {
			imap_no_store(s, job->tag, job->command, error);
		} else {
			if (job->untagged != NULL)
				imap_send(s, "%s", job->untagged);
			if (job->unselect)
				imap_session_unselect(s);
			imap_ok(s, job->tag, "%s", job->ok_text);
		}
		imap_session_resume(s);
	}
	free(job->tag);
	free(job->command);
	free(job->untagged);
	free(job->ok_text);
	free(job);
}

void
imap_reply_durable(struct imap_session *s, const char *tag, const char *command, char *untagged,
		   char *ok_text, bool unselect)
{
	struct imap_durable_job *job = xcalloc(1, sizeof(*job));

	job->session = s;
	job->tag = xstrdup(tag);
	job->command = xstrdup(command);
	job->untagged = untagged;
	job->ok_text = ok_text;
	job->unselect = unselect;
	imap_session_async_begin(s);
	store_account_sync(s->acct, imap_durable_done, job);
}
