/* Commands valid in any state (RFC 3501 6.1: CAPABILITY, NOOP, LOGOUT), ID (RFC 2971),
 * ENABLE (RFC 5161), NAMESPACE (RFC 2342), STARTTLS (RFC 3501 6.2.1) and CHECK. */
#include <stdlib.h>
#include <string.h>

#include "auth/auth_login.h"
#include "conf/settings.h"
#include "imap/imap_session.h"
#include "log/log.h"
#include "net/conn.h"
#include "util/str.h"

/* Passwords travel in clear only over TLS or from loopback (issue: LOGINDISABLED). */
bool
imap_plaintext_allowed(const struct imap_session *s)
{
	return auth_plaintext_allowed(conn_is_tls(s->base.conn), conn_peer(s->base.conn));
}

void
imap_capabilities(struct imap_session *s, struct buf *out)
{
	const struct imap_server_deps *deps = imap_server_deps(s->server);

	buf_appends(
		out,
		"IMAP4rev1 IMAP4rev2 SASL-IR LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS "
		"MOVE CHILDREN SPECIAL-USE CONDSTORE QRESYNC ESEARCH SEARCHRES NOTIFY URLAUTH "
		"URLAUTH=BINARY "
		"LIST-EXTENDED LIST-STATUS STATUS=SIZE BINARY MULTIAPPEND CATENATE "
		"QUOTA QUOTA=RES-STORAGE");
	/* RFC 5256, RFC 5957, RFC 5267 (imap_sort_cmd.c, imap_thread_cmd.c) */
	buf_appends(out, " SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES"
			 " CONTEXT=SEARCH CONTEXT=SORT");
	buf_printf(out, " APPENDLIMIT=%llu", deps->settings->message_size_limit);
	if (s->base.state != IMAP_STATE_NOT_AUTH) {
		/* RFC 4978 3: COMPRESS is a command of the authenticated states */
		buf_appends(out, " COMPRESS=DEFLATE");
		return;
	}
	if (!conn_is_tls(s->base.conn) && deps->tls != NULL)
		buf_appends(out, " STARTTLS");
	if (imap_plaintext_allowed(s))
		buf_appends(out, " AUTH=PLAIN");
	else
		buf_appends(out, " LOGINDISABLED");
}

void
imap_cmd_capability(struct imap_session *s, const struct imap_command *cmd)
{
	struct buf caps = BUF_INIT;

	if (cmd->count != 0) {
		imap_bad(s, cmd->tag, "CAPABILITY takes no arguments");
		return;
	}
	imap_capabilities(s, &caps);
	imap_send(s, "* CAPABILITY %s", buf_cstr(&caps));
	buf_free(&caps);
	imap_ok(s, cmd->tag, "Capability completed");
}

void
imap_cmd_noop(struct imap_session *s, const struct imap_command *cmd)
{
	/* RFC 3501 6.1.2: a chance to report mailbox changes, which imap_ok() does */
	imap_ok(s, cmd->tag, "NOOP completed");
}

void
imap_cmd_check(struct imap_session *s, const struct imap_command *cmd)
{
	/* RFC 3501 6.4.1: everything is durable already */
	imap_ok(s, cmd->tag, "CHECK completed");
}

void
imap_cmd_logout(struct imap_session *s, const struct imap_command *cmd)
{
	/* RFC 3501 6.1.3 */
	imap_send(s, "* BYE Logging out");
	imap_session_unselect(s);
	imap_ok(s, cmd->tag, "LOGOUT completed");
	imap_session_close(s);
}

void
imap_cmd_id(struct imap_session *s, const struct imap_command *cmd)
{
	/* RFC 2971 3.1: the argument is NIL or a list of field/value pairs */
	if (cmd->count != 1 ||
	    (cmd->args[0].type != IMAP_ARG_LIST && cmd->args[0].type != IMAP_ARG_NIL)) {
		imap_bad(s, cmd->tag, "ID needs NIL or a list");
		return;
	}
	imap_send(s, "* ID (\"name\" \"yubin\" \"vendor\" \"yubin\")");
	imap_ok(s, cmd->tag, "ID completed");
}

void
imap_cmd_enable(struct imap_session *s, const struct imap_command *cmd)
{
	struct buf enabled = BUF_INIT;
	const char *name;

	if (cmd->count == 0) {
		imap_bad(s, cmd->tag, "ENABLE needs capability names");
		return;
	}
	for (size_t i = 0; i < cmd->count; i++) {
		if (!imap_arg_get_atom(&cmd->args[i], &name)) {
			buf_free(&enabled);
			imap_bad(s, cmd->tag, "Invalid capability name");
			return;
		}
		/* RFC 5161 3.1: unknown capabilities are ignored; RFC 7162 3.2.3: QRESYNC
		 * implies CONDSTORE */
		if (str_casecmp(name, "CONDSTORE") == 0 && !s->condstore) {
			s->condstore = true;
			buf_appends(&enabled, " CONDSTORE");
		} else if (str_casecmp(name, "QRESYNC") == 0 && !s->qresync) {
			s->qresync = true;
			if (!s->condstore)
				buf_appends(&enabled, " CONDSTORE");
			s->condstore = true;
			buf_appends(&enabled, " QRESYNC");
		} else if (str_casecmp(name, "IMAP4rev2") == 0 && !s->rev2) {
			/* RFC 9051 7.2.1: the rev2 semantics of imap_rev2.c from now on */
			s->rev2 = true;
			buf_appends(&enabled, " IMAP4rev2");
		}
	}
	imap_send(s, "* ENABLED%s", buf_cstr(&enabled));
	buf_free(&enabled);
	imap_ok(s, cmd->tag, "ENABLE completed");
}

void
imap_cmd_namespace(struct imap_session *s, const struct imap_command *cmd)
{
	/* RFC 2342 5: one personal namespace, no other users' or shared ones */
	imap_send(s, "* NAMESPACE ((\"\" \"/\")) NIL NIL");
	imap_ok(s, cmd->tag, "NAMESPACE completed");
}

void
imap_cmd_starttls(struct imap_session *s, const struct imap_command *cmd)
{
	const struct imap_server_deps *deps = imap_server_deps(s->server);

	if (cmd->count != 0) {
		imap_bad(s, cmd->tag, "STARTTLS takes no arguments");
		return;
	}
	if (conn_is_tls(s->base.conn) || deps->tls == NULL) {
		imap_bad(s, cmd->tag,
			 conn_is_tls(s->base.conn) ? "TLS is already active"
						   : "TLS is not available");
		return;
	}
	imap_ok(s, cmd->tag, "Begin TLS negotiation now");
	/* RFC 3501 6.2.1 / RFC 2595 3.1: commands pipelined after STARTTLS are discarded
	 * (conn_starttls drops the unread input) */
	if (conn_starttls(s->base.conn, deps->tls, false) < 0) {
		log_warn("imap: %s: client=[%s] starttls failed", s->base.id, s->base.ip);
		imap_session_close(s);
		return;
	}
	s->tls_pending = true;
}
