/* POP3 commands (RFC 1939 5-7, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH): a table of
 * {verb, state, handler}; each handler checks its arguments then proceeds. */
#include <stdlib.h>
#include <string.h>

#include "auth/sasl.h"
#include "conf/settings.h"
#include "log/log.h"
#include "net/conn.h"
#include "pop3/pop3_cmd.h"
#include "pop3/pop3_session.h"
#include "store/store_account.h"
#include "store/store_msg.h"
#include "store/store_view.h"
#include "util/str.h"
#include "util/xmalloc.h"

typedef void pop3_handler(struct pop3_session *s, struct pop3_cmd *cmd);

static bool
pop3_tls_offered(const struct pop3_session *s)
{
	return pop3_server_deps(s->server)->tls != NULL && !conn_is_tls(s->base.conn);
}

/* RFC 2449 5 */
static void
cmd_capa(struct pop3_session *s, struct pop3_cmd *cmd)
{
	bool auth = s->base.state == POP3_STATE_AUTHORIZATION;

	(void)cmd;
	pop3_reply(s, "+OK Capability list follows");
	pop3_reply(s, "TOP");
	pop3_reply(s, "UIDL");
	pop3_reply(s, "RESP-CODES");
	pop3_reply(s, "AUTH-RESP-CODE");
	pop3_reply(s, "PIPELINING");
	if (auth && pop3_auth_plaintext_allowed(s)) {
		pop3_reply(s, "USER");
		pop3_reply(s, "SASL PLAIN");
	}
	if (auth && pop3_tls_offered(s))
		pop3_reply(s, "STLS");
	pop3_reply(s, "EXPIRE NEVER");
	pop3_reply(s, "IMPLEMENTATION yubin");
	pop3_reply(s, ".");
}

static void
cmd_user(struct pop3_session *s, struct pop3_cmd *cmd)
{
	if (cmd->n_args != 1) {
		pop3_reply_err(s, "-ERR Syntax: USER name");
		return;
	}
	if (!pop3_auth_plaintext_allowed(s)) {
		pop3_reply_err(s, "-ERR [AUTH] Plaintext authentication disallowed on non-secure "
				  "(SSL/TLS) connections: use STLS first");
		return;
	}
	free(s->user);
	s->user = xstrdup(cmd->args[0]);
	pop3_reply(s, "+OK Send your password");
}

static void
cmd_pass(struct pop3_session *s, struct pop3_cmd *cmd)
{
	char *user;

	if (s->user == NULL) {
		pop3_reply_err(s, "-ERR No USER given");
		return;
	}
	if (*cmd->rest == '\0') {
		pop3_reply_err(s, "-ERR Syntax: PASS password");
		return;
	}
	user = s->user;
	s->user = NULL;
	pop3_auth_check(s, user, xstrdup(cmd->rest));
}

/* RFC 5034 4 */
static void
cmd_auth(struct pop3_session *s, struct pop3_cmd *cmd)
{
	if (cmd->n_args == 0) {
		pop3_reply(s, "+OK");
		if (pop3_auth_plaintext_allowed(s))
			pop3_reply(s, "PLAIN");
		pop3_reply(s, ".");
		return;
	}
	if (cmd->n_args > 2) {
		pop3_reply_err(s, "-ERR Syntax: AUTH mechanism [initial-response]");
		return;
	}
	if (str_casecmp(cmd->args[0], "PLAIN") != 0) {
		pop3_reply_err(s, "-ERR Unsupported authentication mechanism");
		return;
	}
	if (!pop3_auth_plaintext_allowed(s)) {
		pop3_reply_err(s, "-ERR [AUTH] Plaintext authentication disallowed on non-secure "
				  "(SSL/TLS) connections: use STLS first");
		return;
	}
	free(s->sasl_mech);
	s->sasl_mech = xstrdup("PLAIN");
	if (cmd->n_args == 2) {
		pop3_auth_continue(s, cmd->response);
		return;
	}
	pop3_reply(s, "+ ");
}

static void
cmd_apop(struct pop3_session *s, struct pop3_cmd *cmd)
{
	(void)cmd;
	/* no timestamp in the greeting: RFC 1939 7 says APOP is then not offered */
	pop3_reply_err(s, "-ERR APOP is not supported");
}

/* RFC 2595 4 */
static void
cmd_stls(struct pop3_session *s, struct pop3_cmd *cmd)
{
	(void)cmd;
	if (!pop3_tls_offered(s)) {
		pop3_reply_err(s, conn_is_tls(s->base.conn) ? "-ERR TLS already active"
							    : "-ERR STLS not available");
		return;
	}
	pop3_reply(s, "+OK Begin TLS negotiation now");
	if (conn_starttls(s->base.conn, pop3_server_deps(s->server)->tls, false) < 0) {
		pop3_session_close(s);
		return;
	}
	/* RFC 2595 4: the client must forget what it learnt; so do we */
	free(s->user);
	s->user = NULL;
}

static struct pop3_msg *
pop3_msg_arg(struct pop3_session *s, const char *arg, unsigned *num_r)
{
	struct pop3_msg *m;

	if (pop3_cmd_msgnum(arg, s->n_msgs, num_r) < 0) {
		pop3_reply_err(s, "-ERR There is no message %s", arg);
		return NULL;
	}
	m = &s->msgs[*num_r - 1];
	if (m->deleted) {
		pop3_reply_err(s, "-ERR Message %u is deleted", *num_r);
		return NULL;
	}
	return m;
}

static void
cmd_stat(struct pop3_session *s, struct pop3_cmd *cmd)
{
	unsigned long long size = 0;
	unsigned i, n = 0;

	(void)cmd;
	for (i = 0; i < s->n_msgs; i++) {
		if (!s->msgs[i].deleted) {
			n++;
			size += s->msgs[i].size;
		}
	}
	pop3_reply(s, "+OK %u %llu", n, size);
}

static void
cmd_list(struct pop3_session *s, struct pop3_cmd *cmd)
{
	unsigned i, num;
	struct pop3_msg *m;

	if (cmd->n_args > 1) {
		pop3_reply_err(s, "-ERR Syntax: LIST [msg]");
		return;
	}
	if (cmd->n_args == 1) {
		if ((m = pop3_msg_arg(s, cmd->args[0], &num)) != NULL)
			pop3_reply(s, "+OK %u %llu", num, (unsigned long long)m->size);
		return;
	}
	for (i = 0, num = 0; i < s->n_msgs; i++)
		num += !s->msgs[i].deleted;
	pop3_reply(s, "+OK %u messages", num);
	for (i = 0; i < s->n_msgs; i++)
		if (!s->msgs[i].deleted)
			pop3_reply(s, "%u %llu", i + 1, (unsigned long long)s->msgs[i].size);
	pop3_reply(s, ".");
}

/* RFC 1939 7: unique-id is 1-70 characters 0x21-0x7E, never reused: UIDVALIDITY and UID
 * together are exactly that. */
static void
pop3_uidl_line(struct pop3_session *s, unsigned num, bool single)
{
	pop3_reply(s, "%s%u %08x%08x", single ? "+OK " : "", num, s->uidvalidity,
		   s->msgs[num - 1].uid);
}

static void
cmd_uidl(struct pop3_session *s, struct pop3_cmd *cmd)
{
	unsigned i, num;

	if (cmd->n_args > 1) {
		pop3_reply_err(s, "-ERR Syntax: UIDL [msg]");
		return;
	}
	if (cmd->n_args == 1) {
		if (pop3_msg_arg(s, cmd->args[0], &num) != NULL)
			pop3_uidl_line(s, num, true);
		return;
	}
	pop3_reply(s, "+OK");
	for (i = 0; i < s->n_msgs; i++)
		if (!s->msgs[i].deleted)
			pop3_uidl_line(s, i + 1, false);
	pop3_reply(s, ".");
}

static void
cmd_retr(struct pop3_session *s, struct pop3_cmd *cmd)
{
	unsigned num;

	if (cmd->n_args != 1) {
		pop3_reply_err(s, "-ERR Syntax: RETR msg");
		return;
	}
	if (pop3_msg_arg(s, cmd->args[0], &num) != NULL)
		pop3_retr_start(s, num, false, 0);
}

static void
cmd_top(struct pop3_session *s, struct pop3_cmd *cmd)
{
	unsigned long long lines;
	unsigned num;

	if (cmd->n_args != 2 || str_to_u64(cmd->args[1], &lines) < 0) {
		pop3_reply_err(s, "-ERR Syntax: TOP msg lines");
		return;
	}
	if (pop3_msg_arg(s, cmd->args[0], &num) != NULL)
		pop3_retr_start(s, num, true, (unsigned long)lines);
}

static void
cmd_dele(struct pop3_session *s, struct pop3_cmd *cmd)
{
	struct pop3_msg *m;
	unsigned num;

	if (cmd->n_args != 1) {
		pop3_reply_err(s, "-ERR Syntax: DELE msg");
		return;
	}
	if ((m = pop3_msg_arg(s, cmd->args[0], &num)) == NULL)
		return;
	m->deleted = true;
	pop3_reply(s, "+OK Marked to be deleted");
}

static void
cmd_rset(struct pop3_session *s, struct pop3_cmd *cmd)
{
	unsigned i;

	(void)cmd;
	for (i = 0; i < s->n_msgs; i++)
		s->msgs[i].deleted = false;
	pop3_reply(s, "+OK %u messages", s->n_msgs);
}

static void
cmd_noop(struct pop3_session *s, struct pop3_cmd *cmd)
{
	(void)cmd;
	pop3_reply(s, "+OK");
}

/* The expunge of QUIT is durable (or failed): the reply, then the end. */
static void
quit_synced(void *ctx, int result, const char *error)
{
	struct pop3_session *s = ctx;

	if (!pop3_session_async_done(s))
		return;
	if (result < 0) {
		log_error("pop3: %s: user=%s expunge failed: %s", s->base.id, s->account, error);
		pop3_reply(s, "-ERR [SYS/TEMP] Could not delete the messages");
	} else {
		log_info("pop3: %s: logout user=%s deleted=%u", s->base.id, s->account,
			 s->n_deleted);
		pop3_reply(s, "+OK Logging out, %u messages deleted", s->n_deleted);
	}
	pop3_session_close(s);
}

/* RFC 1939 6: QUIT in TRANSACTION enters UPDATE: the marked messages are removed, durably
 * before the +OK (a store thread syncs the index; other sessions go on meanwhile). */
static void
cmd_quit(struct pop3_session *s, struct pop3_cmd *cmd)
{
	uint32_t *uids;
	const char *error;
	unsigned i, n = 0;

	(void)cmd;
	if (s->base.state != POP3_STATE_TRANSACTION) {
		pop3_reply(s, "+OK Logging out");
		pop3_session_close(s);
		return;
	}
	uids = xcalloc(s->n_msgs ? s->n_msgs : 1, sizeof(*uids));
	for (i = 0; i < s->n_msgs; i++)
		if (s->msgs[i].deleted)
			uids[n++] = s->msgs[i].uid;
	if (n > 0 && store_view_expunge(s->view, uids, n, &error) < 0) {
		log_error("pop3: %s: user=%s expunge failed: %s", s->base.id, s->account, error);
		pop3_reply(s, "-ERR [SYS/TEMP] Could not delete the messages, they are kept");
	} else if (n > 0) {
		free(uids);
		s->n_deleted = n;
		pop3_session_async_begin(s);
		store_account_sync(s->acct, quit_synced, s);
		return;
	} else {
		log_info("pop3: %s: logout user=%s deleted=%u", s->base.id, s->account, n);
		pop3_reply(s, "+OK Logging out, %u messages deleted", n);
	}
	free(uids);
	pop3_session_close(s);
}

enum pop3_when { POP3_AUTH = 1, POP3_TRANS = 2, POP3_ANY = 3 };

static const struct {
	enum pop3_verb verb;
	enum pop3_when when;
	pop3_handler *handler;
} pop3_commands[] = {
	{POP3_VERB_CAPA, POP3_ANY, cmd_capa},   {POP3_VERB_QUIT, POP3_ANY, cmd_quit},
	{POP3_VERB_NOOP, POP3_TRANS, cmd_noop}, {POP3_VERB_USER, POP3_AUTH, cmd_user},
	{POP3_VERB_PASS, POP3_AUTH, cmd_pass},  {POP3_VERB_AUTH, POP3_AUTH, cmd_auth},
	{POP3_VERB_APOP, POP3_AUTH, cmd_apop},  {POP3_VERB_STLS, POP3_AUTH, cmd_stls},
	{POP3_VERB_STAT, POP3_TRANS, cmd_stat}, {POP3_VERB_LIST, POP3_TRANS, cmd_list},
	{POP3_VERB_UIDL, POP3_TRANS, cmd_uidl}, {POP3_VERB_RETR, POP3_TRANS, cmd_retr},
	{POP3_VERB_TOP, POP3_TRANS, cmd_top},   {POP3_VERB_DELE, POP3_TRANS, cmd_dele},
	{POP3_VERB_RSET, POP3_TRANS, cmd_rset},
};

void
pop3_session_command(struct pop3_session *s, const char *line, size_t len)
{
	enum pop3_when now = s->base.state == POP3_STATE_TRANSACTION ? POP3_TRANS : POP3_AUTH;
	struct pop3_cmd cmd;
	const char *error;
	size_t i;

	if (s->sasl_mech != NULL) {
		pop3_auth_continue(s, line);
		return;
	}
	if (pop3_cmd_parse(line, len, &cmd, &error) < 0) {
		pop3_reply_err(s, "-ERR %s", error);
		return;
	}
	for (i = 0; i < sizeof(pop3_commands) / sizeof(pop3_commands[0]); i++) {
		if (pop3_commands[i].verb != cmd.verb)
			continue;
		if ((pop3_commands[i].when & now) == 0) {
			pop3_reply_err(s, now == POP3_AUTH ? "-ERR Not logged in"
							   : "-ERR Already logged in");
			return;
		}
		/* USER must be followed by PASS (RFC 1939 7) */
		if (cmd.verb != POP3_VERB_PASS && cmd.verb != POP3_VERB_USER) {
			free(s->user);
			s->user = NULL;
		}
		pop3_commands[i].handler(s, &cmd);
		return;
	}
	pop3_reply_err(s, "-ERR Unknown command");
}
