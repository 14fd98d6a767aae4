/* URLAUTH (RFC 4467): GENURLAUTH makes a URL rump an authorized URL with the INTERNAL
 * mechanism (HMAC-SHA1 under the mailbox's access key, store_urlauth.h), URLFETCH gives
 * what authorized URLs name (to the users their access identifier allows), with RFC 5524's
 * BINARY, BODY and BODYPARTSTRUCTURE parameters (imap_urlauth_ext.c), RESETKEY
 * replaces the keys so every URL generated before stops working. */
#include <stdlib.h>
#include <string.h>

#include "imap/imap_catenate.h"
#include "imap/imap_durable.h"
#include "imap/imap_session.h"
#include "imap/imap_urlauth_ext.h"
#include "imap/imap_write.h"
#include "mail/imap_url.h"
#include "store/store_mailbox.h"
#include "store/store_urlauth.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* RFC 4467 9: the one mechanism offered */
#define MECHANISM "INTERNAL"

/* The URL's mailbox as the store names it; NULL if invalid. */
static char *
url_mailbox(const struct imap_url *u)
{
	char *name = xstrdup(u->mailbox);

	if (str_casecmp(name, "INBOX") == 0)
		strcpy(name, "INBOX");
	if (store_mailbox_name_normalize(name) < 0) {
		free(name);
		return NULL;
	}
	return name;
}

/* Whether the URL's user is account ("user" with host "domain" is "user@domain"). */
static bool
url_is_of(const struct imap_url *u, const char *account)
{
	char *owner = imap_url_owner(u);
	bool same = owner != NULL && str_casecmp(owner, account) == 0;

	free(owner);
	return same;
}

void
imap_cmd_genurlauth(struct imap_session *s, const struct imap_command *cmd)
{
	struct buf out = BUF_INIT;

	if (cmd->count == 0 || cmd->count % 2 != 0) {
		imap_bad(s, cmd->tag, "GENURLAUTH needs URL rumps and mechanisms");
		return;
	}
	buf_appends(&out, "* GENURLAUTH");
	for (size_t i = 0; i < cmd->count; i += 2) {
		char token[STORE_URLAUTH_TOKEN_LEN + 1];
		struct imap_url u;
		const char *rump, *mech, *error;
		char *name = NULL, *full;
		int ret = -1;

		if (!imap_arg_get_astring(&cmd->args[i], &rump) ||
		    !imap_arg_get_atom(&cmd->args[i + 1], &mech)) {
			imap_bad(s, cmd->tag, "GENURLAUTH needs URL rumps and mechanisms");
			buf_free(&out);
			return;
		}
		/* RFC 4467 6.1: a rump of the logged-in user's own mailbox, with an access
		 * identifier and no verifier yet */
		if (str_casecmp(mech, MECHANISM) == 0 &&
		    imap_url_parse(rump, strlen(rump), &u, &error) == 0 && u.access != NULL &&
		    u.mechanism == NULL && url_is_of(&u, s->account) &&
		    (name = url_mailbox(&u)) != NULL)
			ret = store_urlauth_token(s->acct, name, true, rump, u.rump_len, token,
						  &error);
		imap_url_free(&u);
		free(name);
		if (ret != 1) {
			imap_no(s, cmd->tag, "[BADURL %s] Cannot authorize that URL", rump);
			buf_free(&out);
			return;
		}
		full = xasprintf("%s:internal:%s", rump, token);
		buf_appendc(&out, ' ');
		imap_write_astr(&out, full);
		free(full);
	}
	/* a new key must survive a crash before the client hands the URL out */
	imap_reply_durable(s, cmd->tag, "GENURLAUTH", buf_steal(&out),
			   xstrdup("GENURLAUTH completed"), false);
}

/* RFC 5524: the metadata items of an extended URLFETCH for a valid URL, or " NIL". */
static void
urlfetch_extended(struct imap_session *s, const struct imap_urlfetch_arg *a, struct buf *out)
{
	const struct imap_server_deps *deps = imap_server_deps(s->server);
	struct imap_urlfetch_part part;
	struct buf msg = BUF_INIT;
	struct imap_url u;
	const char *error;
	int ret = -1;

	if (imap_url_parse(a->url, strlen(a->url), &u, &error) == 0 &&
	    store_urlauth_fetch_message(deps->store, a->url, strlen(a->url), s->account, &msg) ==
		    0 &&
	    imap_urlfetch_part_build(msg.data != NULL ? msg.data : "", msg.len, u.section,
				     u.partial, u.partial_offset, u.partial_len, a->want,
				     &part) == 0) {
		imap_urlfetch_part_write(out, &part, a->want);
		imap_urlfetch_part_free(&part);
		ret = 0;
	}
	if (ret < 0)
		buf_appends(out, " NIL");
	imap_url_free(&u);
	buf_free(&msg);
}

void
imap_cmd_urlfetch(struct imap_session *s, const struct imap_command *cmd)
{
	const struct imap_server_deps *deps = imap_server_deps(s->server);
	struct imap_urlfetch_arg *args;
	struct buf out = BUF_INIT;
	const char *error;

	if (cmd->count == 0) {
		imap_bad(s, cmd->tag, "URLFETCH needs URLs");
		return;
	}
	/* every argument checked before anything is sent: a BAD sends no URLFETCH data */
	args = xcalloc(cmd->count, sizeof(*args));
	for (size_t i = 0; i < cmd->count; i++) {
		if (imap_urlfetch_arg_parse(&cmd->args[i], &args[i], &error) < 0) {
			imap_bad(s, cmd->tag, "%s", error);
			free(args);
			return;
		}
	}
	buf_appends(&out, "* URLFETCH");
	for (size_t i = 0; i < cmd->count; i++) {
		struct buf data = BUF_INIT;
		const char *url = args[i].url;

		buf_appendc(&out, ' ');
		imap_write_astr(&out, url);
		if (args[i].want != 0) {
			urlfetch_extended(s, &args[i], &out);
			continue;
		}
		/* RFC 4467 6.3: what the URL names if it is valid and s->account may use it */
		if (store_urlauth_fetch(deps->store, url, strlen(url), s->account, false, &data) <
		    0) {
			buf_appends(&out, " NIL");
		} else {
			buf_printf(&out, " {%zu}\r\n", data.len);
			buf_append(&out, data.data != NULL ? data.data : "", data.len);
		}
		buf_free(&data);
	}
	free(args);
	buf_appends(&out, "\r\n");
	imap_send_raw(s, out.data, out.len);
	buf_free(&out);
	imap_ok(s, cmd->tag, "URLFETCH completed");
}

void
imap_cmd_resetkey(struct imap_session *s, const struct imap_command *cmd)
{
	const char *error;
	char *name = NULL;

	/* RFC 4467 6.2: RESETKEY [mailbox *(SP mechanism)] */
	if (cmd->count > 0) {
		for (size_t i = 1; i < cmd->count; i++) {
			if (!imap_arg_atom_equals(&cmd->args[i], MECHANISM)) {
				imap_no(s, cmd->tag, "Unknown URLAUTH mechanism");
				return;
			}
		}
		if ((name = imap_mailbox_arg(s, cmd->tag, &cmd->args[0])) == NULL)
			return;
	}
	if (store_urlauth_reset(s->acct, name, &error) < 0)
		imap_no_store(s, cmd->tag, "RESETKEY", error);
	else /* RFC 4467 4: revoked URLs must stay revoked after a crash */
		imap_reply_durable(s, cmd->tag, "RESETKEY", NULL, xstrdup("RESETKEY completed"),
				   false);
	free(name);
}
