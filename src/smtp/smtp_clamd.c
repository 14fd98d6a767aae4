/* The "clamd" stage: each message is scanned by clamd over INSTREAM at end of data
 * (src/filter/clamd.h); a virus is refused with 554 5.7.1 naming the signature and nothing
 * is stored; clamd down or late -> clamd_default_action. docs/filters.md. */
#include "smtp/smtp_clamd.h"

#include <stdio.h>
#include <string.h>

#include "conf/settings.h"
#include "filter/clamd.h"
#include "log/log.h"
#include "util/metrics.h"
#include "smtp/smtp_session.h"
#include "smtp/smtp_stage.h"

/* The reply for a filter that failed, per its *_default_action (Postfix's milter wording). */
void
smtp_filter_default_action(struct smtp_session *s, const char *action, const char *why)
{
	if (strcmp(action, "accept") == 0)
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, why);
	else if (strcmp(action, "reject") == 0)
		smtp_stage_done(s, SMTP_STAGE_REJECT, "550 5.7.1 Command rejected", why);
	else
		smtp_stage_done(s, SMTP_STAGE_REJECT,
				"451 4.7.1 Service unavailable - try again later", why);
}

static void
clamd_done(void *ctx, enum clamd_result result, const char *detail)
{
	struct smtp_session *s = ctx;
	const struct settings *set = smtp_server_deps(s->server)->settings;
	char reply[512];

	s->clamd = NULL;
	metrics_filter_verdict(METRICS_FILTER_CLAMD, result == CLAMD_CLEAN   ? "clean"
						     : result == CLAMD_VIRUS ? "infected"
									     : "error");
	switch (result) {
	case CLAMD_CLEAN:
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	case CLAMD_VIRUS:
		snprintf(reply, sizeof(reply), "554 5.7.1 Virus found: %s", detail);
		smtp_stage_done(s, SMTP_STAGE_REJECT, reply, "clamd");
		return;
	case CLAMD_ERROR:
		log_warn("smtp: %s: clamd %s: %s (clamd_default_action = %s)", s->qid,
			 set->clamd_socket, detail, set->clamd_default_action);
		smtp_filter_default_action(s, set->clamd_default_action, detail);
		return;
	}
}

void
smtp_clamd_end_of_data(struct smtp_session *s)
{
	const struct smtp_server_deps *deps = smtp_server_deps(s->server);
	const struct settings *set = deps->settings;

	if (set->clamd_socket == NULL) {
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	}
	s->clamd = clamd_scan_start(deps->base, set->clamd_socket, set->clamd_timeout,
				    (size_t)set->clamd_max_stream, s->msg.data, s->msg.len,
				    clamd_done, s);
}

void
smtp_clamd_reset(struct smtp_session *s)
{
	clamd_scan_cancel(s->clamd);
	s->clamd = NULL;
}
