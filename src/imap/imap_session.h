/* One IMAP session (internal to src/imap): the state machine of RFC 3501 3, the command
 * parser feeding the command table, responses, and the selected mailbox's view. */
#ifndef IMAP_IMAP_SESSION_H
#define IMAP_IMAP_SESSION_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "imap/imap_parser.h"
#include "imap/imap_seqset.h"
#include "imap/imap_server.h"
#include "net/session.h"
#include "util/buf.h"

struct conn;
struct imap_fetch_run;
struct imap_notify;
struct imap_slice;
struct store_account;
struct store_notify;
struct store_view;

/* RFC 3501 3: the connection states. */
enum imap_state {
	IMAP_STATE_NOT_AUTH = 1 << 0,
	IMAP_STATE_AUTH = 1 << 1,
	IMAP_STATE_SELECTED = 1 << 2,
	IMAP_STATE_LOGOUT = 1 << 3,
};
#define IMAP_STATES_ANY (IMAP_STATE_NOT_AUTH | IMAP_STATE_AUTH | IMAP_STATE_SELECTED)
#define IMAP_STATES_AUTHED (IMAP_STATE_AUTH | IMAP_STATE_SELECTED)

enum imap_listener_kind { IMAP_LISTENER_PLAIN, IMAP_LISTENER_TLS };

/* What the session is doing besides reading commands. */
enum imap_wait {
	IMAP_WAIT_NONE,
	IMAP_WAIT_ASYNC, /* password check or APPEND in progress: input paused */
	IMAP_WAIT_IDLE,  /* RFC 2177: reading "DONE" */
	IMAP_WAIT_SASL,  /* AUTHENTICATE: reading the client response line */
};

struct imap_session {
	struct session base; /* first: id, ip, conn, errors, async lifetime */
	struct imap_server *server;
	enum imap_wait wait;
	struct imap_parser *parser;
	uint64_t literal_counted; /* literal bytes counted in imap_memory_limit (imap_literal.h) */
	bool in_command;          /* part of a command (a literal) is read: it is in flight */
	struct buf line;          /* IDLE / AUTHENTICATE continuation lines */
	char *cont_tag;           /* tag of the IDLE or AUTHENTICATE in progress */
	bool tls_pending;         /* STARTTLS answered, handshake running */
	/* after login */
	char *account;
	struct store_account *acct;
	struct store_notify *notify;
	struct imap_notify *notify_state; /* RFC 5465 NOTIFY (imap_notify.c); NULL: none */
	/* selected */
	struct store_view *view;
	bool readonly;
	bool notified;         /* the mailbox changed since the last sync */
	bool no_expunge;       /* current command is FETCH, STORE or SEARCH (RFC 3501 7.4.1) */
	uint64_t kw_announced; /* fingerprint of the keyword list last sent in FLAGS */
	/* RFC 5161 ENABLE */
	bool condstore; /* also switched on by a CONDSTORE-using command (RFC 7162 3.1) */
	bool qresync;
	bool rev2; /* RFC 9051 IMAP4rev2 semantics (imap_rev2.c) */
	/* RFC 5182 SEARCHRES: UIDs of the last SEARCH ... RETURN (SAVE) */
	struct imap_seqset saved;
	/* a FETCH paused until its output drains (counted in pending) */
	struct imap_fetch_run *fetch;
	/* RFC 5267 CONTEXT=SEARCH/SORT: results kept up to date (imap_context.h) */
	struct imap_context *contexts;
	/* a long command running in slices (imap_slice.h; counted in pending) */
	struct imap_slice *slice;
	/* async */
	bool processing; /* inside imap_session_process(): resume must not re-enter it */
};

struct imap_server;
const struct imap_server_deps *imap_server_deps(const struct imap_server *server);
/* Literal bytes held by all sessions (imap_memory_limit), after adding delta. */
unsigned long long imap_server_literal_memory_add(struct imap_server *server, long long delta);

/* The session_ops of IMAP sessions (imap_session.c). */
extern const struct session_ops imap_session_ops;
void imap_session_close(struct imap_session *s);
/* Every state change goes through here (logged at debug level). */
static inline void
imap_session_enter_state(struct imap_session *s, enum imap_state state)
{
	session_enter_state(&s->base, state);
}

/* Writes a response line (CRLF appended). */
void imap_send(struct imap_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes bytes as they are (responses with literals, built in a buf). */
void imap_send_raw(struct imap_session *s, const void *data, size_t len);
/* Tagged replies. BAD counts towards the error limit that closes the session. */
void imap_ok(struct imap_session *s, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void imap_no(struct imap_session *s, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void imap_bad(struct imap_session *s, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* NO with the RFC 5530 code of the account's last store error ([NONEXISTENT], ...). */
void imap_no_store(struct imap_session *s, const char *tag, const char *what, const char *error);

/* Asynchronous steps: input is paused until async_done (false: the session is gone). */
void imap_session_async_begin(struct imap_session *s);
bool imap_session_async_done(struct imap_session *s);
/* Resumes reading commands (also runs the ones already buffered). */
void imap_session_resume(struct imap_session *s);

/* Logs in as account (password verified) and opens the store account. */
void imap_session_login(struct imap_session *s, const char *tag, const char *account);
/* Unselects the mailbox (no expunge). */
void imap_session_unselect(struct imap_session *s);

/* Sends what changed in the selected mailbox (RFC 3501 7.4.1 / 5.2): EXISTS, RECENT,
 * FETCH FLAGS, and, when allow_expunge, EXPUNGE (or VANISHED with QRESYNC). */
void imap_sync(struct imap_session *s, bool allow_expunge);

/* Flags of a view entry as a flag list "(\\Seen $kw)", \Recent included. */
struct store_view_msg;
void imap_write_msg_flags(struct imap_session *s, struct buf *out,
			  const struct store_view_msg *msg);
/* IMAP_FLAG_* bits <-> STORE_FLAG_* bits. */
uint32_t imap_flags_to_store(unsigned imap_flags);
/* "* FLAGS (...)" and "* OK [PERMANENTFLAGS (...)]" for the selected mailbox; the
 * session remembers the keyword list it announced. */
void imap_send_flags(struct imap_session *s);
/* RFC 3501 7.2.6, RFC 9051 7.3.5: a client learns a mailbox's keywords from FLAGS, so a
 * FETCH FLAGS must not carry one it was not told of. Sends FLAGS and PERMANENTFLAGS again
 * when the view's keyword list is not the one last announced; call it before writing
 * FETCH FLAGS after anything that may have changed the view (a refresh, a STORE). */
void imap_flags_announce(struct imap_session *s);

/* RFC 7162 3.1: a CONDSTORE-enabling command (FETCH MODSEQ, SEARCH MODSEQ, STORE
 * UNCHANGEDSINCE ...) switches CONDSTORE on; the first one in the selected state sends
 * "* OK [HIGHESTMODSEQ n]". */
void imap_condstore_enable(struct imap_session *s);

/* Whether LOGIN / AUTHENTICATE PLAIN are allowed: over TLS or from loopback. */
bool imap_plaintext_allowed(const struct imap_session *s);

/* STATUS items (RFC 3501 6.3.10, RFC 7162, RFC 8438): "(MESSAGES 2 ...)"; -1 unknown. */
struct store_status;
int imap_status_items(struct buf *out, const struct imap_arg *items, const struct store_status *st);

/* IMAP4rev2 (RFC 9051, imap_rev2.c): mailbox names are UTF-8 on the wire once it is
 * enabled, modified UTF-7 before. imap_mailbox_write() writes a name for the session;
 * imap_mailbox_decode() turns a name or LIST pattern as sent into UTF-8 (-1 *error_r). */
void imap_mailbox_write(const struct imap_session *s, struct buf *out, const char *utf8_name);
int imap_mailbox_decode(const struct imap_session *s, const char *raw, struct buf *out,
			const char **error_r);

/* The capability list for the current state (without "* CAPABILITY "). */
void imap_capabilities(struct imap_session *s, struct buf *out);

/* Mailbox name of an argument: modified UTF-7 decoded to UTF-8 and normalized (INBOX);
 * malloc'ed, or NULL (and a BAD/NO sent) when invalid. */
char *imap_mailbox_arg(struct imap_session *s, const char *tag, const struct imap_arg *arg);

/* Message sets of the selected mailbox: resolves a sequence set (uid: UIDs) to the
 * ascending UIDs present in the view. -1 (and BAD sent) if invalid. */
int imap_uids_from_set(struct imap_session *s, const char *tag, const char *setstr, bool uid,
		       uint32_t **uids_r, size_t *n_r);

/* Command handlers (one file per command group). */
typedef void imap_command_fn(struct imap_session *s, const struct imap_command *cmd);
imap_command_fn imap_cmd_capability, imap_cmd_noop, imap_cmd_logout, imap_cmd_id, imap_cmd_enable,
	imap_cmd_starttls, imap_cmd_namespace, imap_cmd_login, imap_cmd_authenticate,
	imap_cmd_select, imap_cmd_create, imap_cmd_delete, imap_cmd_rename, imap_cmd_subscribe,
	imap_cmd_unsubscribe, imap_cmd_list, imap_cmd_lsub, imap_cmd_status, imap_cmd_append,
	imap_cmd_check, imap_cmd_close, imap_cmd_unselect, imap_cmd_expunge, imap_cmd_store,
	imap_cmd_copy, imap_cmd_fetch, imap_cmd_search, imap_cmd_idle, imap_cmd_compress,
	imap_cmd_getquotaroot, imap_cmd_getquota, imap_cmd_setquota, imap_cmd_genurlauth,
	imap_cmd_urlfetch, imap_cmd_resetkey;

/* QUOTA (imap_quota.c): 0 if adding `bytes` (an APPEND's messages) or the messages uids
 * of the selected mailbox (a COPY) keeps the account within its limit; -1 with
 * "NO [OVERQUOTA]" (RFC 9208 7) sent. */
int imap_quota_check(struct imap_session *s, const char *tag, unsigned long long bytes);
int imap_quota_check_copy(struct imap_session *s, const char *tag, const uint32_t *uids, size_t n);
/* SORT (imap_sort_cmd.c), THREAD (imap_thread_cmd.c) */
imap_command_fn imap_cmd_sort, imap_cmd_thread, imap_cmd_cancelupdate;
/* A paused FETCH: the output drained, go on (imap_fetch.c); the connection is gone,
 * drop it. */
void imap_fetch_on_drain(struct imap_session *s);
void imap_fetch_abort(struct imap_session *s);
/* Continuation lines of AUTHENTICATE and IDLE. */
void imap_auth_continue(struct imap_session *s, const char *line);
void imap_idle_line(struct imap_session *s, const char *line);
/* Store notify: the account changed. */
void imap_session_notify(struct imap_session *s);

#endif
