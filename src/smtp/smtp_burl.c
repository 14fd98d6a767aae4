/* BURL (RFC 4468) on submission: "BURL imap-url [LAST]" takes a chunk of the message from
 * an IMAP URL of the local store instead of the wire, so a client sends a draft it has
 * already stored without uploading it again. The URL must be URLAUTH-authorized
 * (RFC 4467) for "submit+" the authenticated user (or "anonymous"); it is read directly
 * from the store (store_urlauth_fetch), then treated as a BDAT chunk (RFC 3030). */
#include <string.h>

#include "log/log.h"
#include "mail/smtp_cmd.h"
#include "smtp/smtp_server.h"
#include "smtp/smtp_session.h"
#include "store/store_urlauth.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

void
smtp_burl_command(struct smtp_session *s, struct smtp_cmd *cmd)
{
	struct buf data = BUF_INIT;
	const char *arg = cmd->arg, *sp;
	size_t url_len;
	bool last = false;

	/* RFC 4468 3: BURL imap needs an authenticated session (the URL's submit+ user) */
	if (s->auth_user == NULL) {
		smtp_reply_error(s, "530 5.7.0 Authentication required for BURL");
		return;
	}
	sp = strchr(arg, ' ');
	url_len = sp != NULL ? (size_t)(sp - arg) : strlen(arg);
	if (sp != NULL) {
		if (str_casecmp(sp + 1, "LAST") != 0) {
			smtp_reply_error(s, "501 5.5.4 Syntax: BURL imap-url [LAST]");
			return;
		}
		last = true;
	}
	/* RFC 4468 4: a URL must follow RCPT like a BDAT chunk (the same sequence checks) */
	if (s->base.state != SMTP_STATE_RCPT || strncmp(arg, "imap://", 7) != 0 ||
	    store_urlauth_fetch(smtp_server_deps(s->server)->store, arg, url_len, s->auth_user,
				true, &data) < 0) {
		if (s->base.state == SMTP_STATE_RCPT) {
			/* RFC 4468 6: the URL cannot be resolved; the transaction is aborted */
			log_info("smtp: %s: burl: cannot resolve the URL for user=%s", s->base.id,
				 s->auth_user);
			smtp_session_reset_transaction(s);
			smtp_session_enter_state(s, SMTP_STATE_READY);
			smtp_reply_error(s, "554 5.6.6 IMAP URL resolution failed");
		} else {
			smtp_message_chunk(s, "", 0, last); /* the BDAT sequence error */
		}
		buf_free(&data);
		return;
	}
	smtp_message_chunk(s, data.data != NULL ? data.data : "", data.len, last);
	buf_free(&data);
}
