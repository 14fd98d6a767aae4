/* QUOTA (RFC 9208): one quota root per account, named "" (every mailbox of the account
 * shares it), with the STORAGE resource (RFC 9208 5.1: units of 1024 octets) counted by
 * the store (store_quota.h) and limited by the account's own limit or mailbox_quota
 * (src/auth accounts_quota_limit). GETQUOTAROOT and GETQUOTA report it; SETQUOTA is
 * refused (RFC 9208 4.1.3 lets a server refuse it: limits are the administrator's, set
 * with `yubin user quota`); APPEND and COPY that would pass it get NO [OVERQUOTA]
 * (RFC 9208 4.3.1, 7) and store nothing. MOVE is never refused: within one account it
 * frees what it takes. An account without a limit has no quota root. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/accounts.h"
#include "imap/imap_server.h"
#include "imap/imap_session.h"
#include "log/log.h"
#include "store/store_mailbox.h"
#include "store/store_quota.h"
#include "util/buf.h"

static unsigned long long
quota_limit(struct imap_session *s)
{
	return accounts_quota_limit(imap_server_deps(s->server)->accounts, s->account);
}

/* "* QUOTA "" (STORAGE used limit)" (RFC 9208 5.1: 1024-octet units; used rounded up so
 * that a few bytes do not show as nothing). */
static void
quota_send(struct imap_session *s, unsigned long long limit)
{
	struct store_usage u;

	if (store_quota_usage(s->acct, &u) < 0)
		memset(&u, 0, sizeof(u));
	imap_send(s, "* QUOTA \"\" (STORAGE %llu %llu)", (u.bytes + 1023) / 1024, limit / 1024);
}

void
imap_cmd_getquotaroot(struct imap_session *s, const struct imap_command *cmd)
{
	unsigned long long limit = quota_limit(s);
	struct store_status st;
	struct buf b = BUF_INIT;
	const char *error;
	char *name;

	if (cmd->count != 1) {
		imap_bad(s, cmd->tag, "GETQUOTAROOT needs a mailbox name");
		return;
	}
	if ((name = imap_mailbox_arg(s, cmd->tag, &cmd->args[0])) == NULL)
		return;
	if (store_mailbox_status(s->acct, name, &st, &error) < 0) {
		imap_no_store(s, cmd->tag, "GETQUOTAROOT", error);
		free(name);
		return;
	}
	/* RFC 9208 4.1.2: the mailbox and its roots (none without a limit) */
	buf_appends(&b, "* QUOTAROOT ");
	imap_mailbox_write(s, &b, name);
	if (limit != 0)
		buf_appends(&b, " \"\"");
	imap_send(s, "%s", buf_cstr(&b));
	if (limit != 0)
		quota_send(s, limit);
	imap_ok(s, cmd->tag, "GETQUOTAROOT completed");
	buf_free(&b);
	free(name);
}

void
imap_cmd_getquota(struct imap_session *s, const struct imap_command *cmd)
{
	unsigned long long limit = quota_limit(s);
	const char *root;

	if (cmd->count != 1 || !imap_arg_get_astring(&cmd->args[0], &root)) {
		imap_bad(s, cmd->tag, "GETQUOTA needs a quota root");
		return;
	}
	if (root[0] != '\0' || limit == 0) {
		imap_no(s, cmd->tag, "[NONEXISTENT] No such quota root");
		return;
	}
	quota_send(s, limit);
	imap_ok(s, cmd->tag, "GETQUOTA completed");
}

void
imap_cmd_setquota(struct imap_session *s, const struct imap_command *cmd)
{
	/* RFC 9208 4.1.3: "NO - SETQUOTA command not permitted" */
	imap_no(s, cmd->tag, "[NOPERM] Quotas are set by the administrator");
}

int
imap_quota_check(struct imap_session *s, const char *tag, unsigned long long bytes)
{
	unsigned long long limit = quota_limit(s);
	struct store_usage u;

	if (limit == 0)
		return 0;
	if (store_quota_usage(s->acct, &u) < 0) {
		imap_no(s, tag, "[UNAVAILABLE] Cannot read the quota usage");
		return -1;
	}
	if (!store_quota_exceeds(u.bytes, bytes, limit))
		return 0;
	log_info("imap: %s: user=%s over quota: %llu + %llu > %llu", s->base.id, s->account,
		 u.bytes, bytes, limit);
	imap_no(s, tag, "[OVERQUOTA] Quota exceeded");
	return -1;
}

int
imap_quota_check_copy(struct imap_session *s, const char *tag, const uint32_t *uids, size_t n)
{
	unsigned long long bytes;

	if (quota_limit(s) == 0)
		return 0;
	if (store_quota_size_of(s->view, uids, n, &bytes) < 0) {
		imap_no(s, tag, "[UNAVAILABLE] Cannot read the message sizes");
		return -1;
	}
	return imap_quota_check(s, tag, bytes);
}
